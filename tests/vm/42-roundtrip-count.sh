#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
#
# After the domU is gone: dom0's echo server saw exactly the four pings,
# and unloads cleanly.
. /rig/tap.sh
tap_is "$(cat /sys/module/argo_selftest/parameters/echoed 2>/dev/null)" 4 "dom0 echoed the domU's 4 messages"
tap_cmd "rmmod argo_selftest (echo server)" rmmod argo_selftest
tap_done
