#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
# timeout: 300
#
# `xl save` and `xl restore` of a domU in the middle of a conversation with
# dom0: after restore (with a new domid) argo-core registers its rings
# again, and every one of the domU's 300 pings comes back intact.
. /rig/tap.sh
P=/sys/module/argo_selftest/parameters
modprobe argo_selftest mode=echo port=0x1000
tap_ok $? "echo server on dom0 port 0x1000"
domid=$(/rig/start-domu saver "modprobe argo_selftest mode=pinger peer=0 port=0x1000 count=300 interval_ms=50 retries=10 wait_s=120; \
while [ \$(cat /sys/module/argo_selftest/parameters/pinger_done) = 0 ]; do sleep 0.2; done; \
echo PINGER-GOOD=\$(cat /sys/module/argo_selftest/parameters/pinger_good); dmesg | grep argo-core:")
tap_ok $? "domU 'saver' created (domid $domid)"
i=0
while [ "$(cat $P/echoed)" -lt 20 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
before=$(cat $P/echoed)
tap_ok $([ "$before" -ge 20 ] && [ "$before" -lt 300 ]; echo $?) "conversation under way ($before echoes) when saving"
xl save saver /tmp/saver.chk >/tmp/xl-save.log 2>&1
tap_ok $? "xl save" "$(tail -n 2 /tmp/xl-save.log)"
xl restore /tmp/saver.chk >/tmp/xl-restore.log 2>&1
tap_ok $? "xl restore" "$(tail -n 2 /tmp/xl-restore.log)"
new=$(xl domid saver 2>/dev/null)
tap_ok $([ -n "$new" ] && [ "$new" != "$domid" ]; echo $?) "restored as a new domain ($domid -> $new)"
i=0
while xl domid saver >/dev/null 2>&1 && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done
log=/var/log/xen/console/guest-saver.log
tr -d '\r' <$log | grep -E 'PINGER|argo-core|WARNING|BUG' | sed 's/^/# /'
tap_is "$(tr -d '\r' <$log | sed -n 's/.*PINGER-GOOD=//p')" 300 "all 300 round trips intact across save and restore"
tr -d '\r' <$log | grep -q "argo-core: rings registered again after resume"
tap_ok $? "the domU's argo-core registered its rings again"
tr -d '\r' <$log | grep -q "argo-core: domain id changed from $domid to $new on resume"
tap_ok $? "argo-core learned its new domid"
tr -d '\r' <$log >>/results/domu-console.log
rm -f /tmp/saver.chk
rmmod argo_selftest
tap_done
