#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
#
# domU <-> dom0 ping-pong through /dev/argo with the argo command.
. /rig/tap.sh
out=$(argo ping -c 20 -i 0 -s 200 0 0x2000 2>&1)
rc=$?
printf '%s\n' "$out" | tail -n 3 | sed 's/^/# /'
tap_is "$rc" 0 "argo ping exits 0"
printf '%s\n' "$out" | grep -q '^20 sent, 20 received intact'
tap_ok $? "20 of 20 round trips intact"
tap_done
