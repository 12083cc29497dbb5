#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
#
# domU -> dom0 -> domU through argo-core: four messages to dom0's echo
# server, each echo checked byte for byte, source and type included.
. /rig/tap.sh
tap_dmesg_mark
out=$(modprobe argo_selftest mode=ping peer=0 port=0x1000 count=4 wait_s=60 2>&1)
tap_ok $? "ping dom0 through argo-core" "$out"
tap_kmod_results argo_selftest
tap_cmd "rmmod argo_selftest" rmmod argo_selftest
tap_done
