#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
# timeout: 400
#
# `xl save` + `xl restore`, then `xl migrate` to localhost, of a domU in
# the middle of a conversation with dom0: after each, argo-core registers
# its rings again under the new domid, and every one of the domU's 600
# pings comes back intact.  A ring whose partner was the domU's own old
# domid cannot come back (that domain is gone): it is reported lost, and
# the argo listener blocked on it fails with ESRCH.  600 at 50 ms is not slack: on the debug
# kernel 300 were spent before `xl migrate` suspended the domU, which then
# powered off under the migration ("failed to suspend at sender").
. /rig/tap.sh
P=/sys/module/argo_selftest/parameters
modprobe argo_selftest mode=echo port=0x1000
tap_ok $? "echo server on dom0 port 0x1000"
domid=$(/rig/start-domu saver "argo listen -p \$(argo info | sed -n 's/^domid //p') 0x2000 >/tmp/lost.out 2>&1 & \
modprobe argo_selftest mode=pinger peer=0 port=0x1000 count=600 interval_ms=50 retries=10 wait_s=120; \
while [ \$(cat /sys/module/argo_selftest/parameters/pinger_done) = 0 ]; do sleep 0.2; done; \
echo PINGER-GOOD=\$(cat /sys/module/argo_selftest/parameters/pinger_good); echo LISTENER=\$(cat /tmp/lost.out); \
dmesg | grep -E 'argo-(core|char):'")
tap_ok $? "domU 'saver' created (domid $domid)"

# wait_echoes N: until dom0 echoed N messages (or 60 s)
wait_echoes() {
	i=0
	while [ "$(cat $P/echoed)" -lt "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	n=$(cat $P/echoed)
	tap_ok $([ "$n" -ge "$1" ] && [ "$n" -lt 600 ]; echo $?) "conversation under way ($n echoes) before $2"
}

wait_echoes 20 "xl save"
xl save saver /tmp/saver.chk >/tmp/xl-save.log 2>&1
tap_ok $? "xl save" "$(tail -n 2 /tmp/xl-save.log)"
xl restore /tmp/saver.chk >/tmp/xl-restore.log 2>&1
tap_ok $? "xl restore" "$(tail -n 2 /tmp/xl-restore.log)"
rm -f /tmp/saver.chk
restored=$(xl domid saver 2>/dev/null)
tap_ok $([ -n "$restored" ] && [ "$restored" != "$domid" ]; echo $?) "restored as a new domain ($domid -> $restored)"

wait_echoes $(($(cat $P/echoed) + 20)) "xl migrate"
# xl migrate runs "SSH HOST xl migrate-receive": this stand-in runs it here
printf '#!/bin/sh\nshift\nexec "$@"\n' >/tmp/nossh
chmod +x /tmp/nossh
xl migrate -s /tmp/nossh saver localhost >/tmp/xl-migrate.log 2>&1
tap_ok $? "xl migrate to localhost" "$(tail -n 2 /tmp/xl-migrate.log)"
migrated=$(xl domid saver 2>/dev/null)
tap_ok $([ -n "$migrated" ] && [ "$migrated" != "$restored" ]; echo $?) "migrated to a new domain ($restored -> $migrated)"

i=0
while xl domid saver >/dev/null 2>&1 && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done
# the console log changes name with the domain (saver--incoming on migration)
log=$(cat /var/log/xen/console/guest-saver*.log | tr -d '\r')
printf '%s\n' "$log" | grep -E 'PINGER|argo-core|WARNING|BUG' | sed 's/^/# /'
tap_is "$(printf '%s\n' "$log" | sed -n 's/.*PINGER-GOOD=//p')" 600 "all 600 round trips intact across save, restore and migration"
tap_is "$(printf '%s\n' "$log" | grep -c 'argo-core: rings registered again after resume')" 2 \
	"the domU's argo-core registered its rings again after restore and after migration"
printf '%s\n' "$log" | grep -q "argo-core: domain id changed from $domid to $restored on resume"
tap_ok $? "argo-core learned its domid after restore"
printf '%s\n' "$log" | grep -q "argo-core: domain id changed from $restored to $migrated on resume"
tap_ok $? "argo-core learned its domid after migration"
printf '%s\n' "$log" | grep -q "argo-core: ring port 0x2000 partner $domid lost (cannot register it again after resume, error -3): its client is told"
tap_ok $? "a ring whose partner (the domU's old self) is gone is reported lost after restore (ESRCH)"
tap_is "$(printf '%s\n' "$log" | sed -n 's/.*LISTENER=//p')" "argo: receive: No such process" \
	"the argo listener blocked on it fails with ESRCH instead of waiting forever"
tap_is "$(printf '%s\n' "$log" | grep -c 'argo-core: rings registered again after resume, except 1 lost')" 1 \
	"argo-core's line after restore counts it"
printf '%s\n' "$log" >>/results/domu-console.log
rmmod argo_selftest
tap_done
