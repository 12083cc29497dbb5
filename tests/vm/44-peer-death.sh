#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
# timeout: 200
#
# `xl destroy` of a domU while dom0 floods it with messages: dom0's sender
# stops within seconds with -ESRCH or -ECONNREFUSED (no hang), a watch of
# its ring fires within 2 s, and dom0's own rings keep working.
. /rig/tap.sh
P=/sys/module/argo_selftest/parameters
domid=$(/rig/start-domu victim "modprobe argo_selftest mode=echo port=0x3000; sleep 600")
tap_ok $? "domU 'victim' created (domid $domid)"
modprobe argo_selftest mode=flood peer="$domid" port=0x3000
tap_ok $? "dom0 floods dom$domid:0x3000"
i=0
while [ "$(cat $P/flood_sent)" -lt 200 ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
tap_ok $([ "$(cat $P/flood_sent)" -ge 200 ]; echo $?) "messages flowing ($(cat $P/flood_sent) sent)"
tap_is "$(cat $P/flood_result)" 0 "no send error before the destroy"
# argo-core's liveness watch, through argo-char's GONE notice
argo watch "$domid" 0x3000 >/tmp/watch.out 2>&1 &
wp=$!
sleep 1
tap_ok $(kill -0 $wp 2>/dev/null; echo $?) "argo watch waits while dom$domid's ring is there"
xl destroy victim
w=0
while kill -0 $wp 2>/dev/null && [ $w -lt 50 ]; do sleep 0.1; w=$((w + 1)); done
tap_is "$(cat /tmp/watch.out)" "dom$domid:0x3000: ring gone (Connection reset by peer)" \
	"the watch fires when the domain is destroyed"
tap_ok $([ $w -lt 20 ]; echo $?) "within 2 s of xl destroy returning ($((w / 10)).$((w % 10)) s)"
t=0
while [ "$(cat $P/flood_result)" = 0 ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
res=$(cat $P/flood_result)
tap_ok $([ "$res" = -3 ] || [ "$res" = -111 ]; echo $?) "sender stopped with -ESRCH or -ECONNREFUSED ($res) $((t / 10)).$((t % 10)) s after the destroy"
tap_is "$(sed -n 's/^space_waiters //p' /sys/kernel/debug/argo/status)" 0 "no sender left waiting for space"
rmmod argo_selftest
tap_ok $? "flood module unloads"
modprobe argo_selftest mode=self
tap_ok $? "dom0's rings still work (core self test)"
rmmod argo_selftest
tap_done
