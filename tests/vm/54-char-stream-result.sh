#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
# timeout: 300
#
# dom0's receiver of the domU's stream_count messages (tap.sh): 0 lost,
# 0 duplicated, 0 reordered, 0 corrupted.  Also stops the echo listener.
. /rig/tap.sh
n=$(stream_count)
pid=$(cat /tmp/stream.pid)
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
tap_ok $(! kill -0 "$pid" 2>/dev/null; echo $?) "receiver finished"
sed 's/^/# /' /tmp/stream.out
grep -q "^received $n messages .*: lost 0 duplicated-or-reordered 0 corrupted 0\$" /tmp/stream.out
tap_ok $? "$n received: 0 lost, 0 duplicated or reordered, 0 corrupted"
kill "$(cat /tmp/listen.pid)" 2>/dev/null
tap_is "$(grep -c '^dom[0-9]*:0x' /tmp/listen.out)" 20 "the echo listener saw the 20 pings"
tap_done
