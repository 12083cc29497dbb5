#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
#
# With the rig's default argo=1,mac-permissive=1 a ring open to any sender
# registers (91-wildcard-strict.sh is the mac-permissive=0 side).
. "$(dirname "$0")/lib/tap.sh"
tap_dmesg_mark
tap_modprobe argo_selftest mode=wildcard expect=0 2>/dev/null
tap_ok $? "argo_selftest mode=wildcard expect=0 passes"
tap_kmod_results argo_selftest
rmmod argo_selftest
tap_done
