#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0 side of the cross-domain round trip: an echo server on port 0x1000
# (started before the domU boots; 41-roundtrip-ping.sh is the other end).
. /rig/tap.sh
tap_cmd "echo server on dom0 port 0x1000" modprobe argo_selftest mode=echo port=0x1000
tap_is "$(cat /sys/module/argo_selftest/parameters/echoed)" 0 "nothing echoed yet"
tap_done
