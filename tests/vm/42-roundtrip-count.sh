#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
#
# After the domU is gone: dom0's echo server saw exactly the four pings,
# its debugfs counters agree, and it unloads cleanly.
. /rig/tap.sh
tap_is "$(cat /sys/module/argo_selftest/parameters/echoed 2>/dev/null)" 4 "dom0 echoed the domU's 4 messages"
line=$(grep '^0x1000 ' /sys/kernel/debug/argo/rings)
tap_diag "$line"
tap_is "$(echo "$line" | awk '{ print $6 }')" 4 "debugfs: 4 messages received on port 0x1000"
tap_is "$(echo "$line" | awk '{ print $8 }')" 4 "debugfs: 4 messages sent from port 0x1000"
tap_cmd "rmmod argo_selftest (echo server)" rmmod argo_selftest
tap_done
