#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
# timeout: 180
#
# Four concurrent senders, 1000 numbered messages each, into one small
# ring: every message arrives exactly once and in order per sender.
. "$(dirname "$0")/lib/tap.sh"
tap_dmesg_mark
tap_modprobe argo_selftest mode=stress count=1000 2>/dev/null
tap_ok $? "argo_selftest mode=stress passes"
tap_kmod_results argo_selftest
rmmod argo_selftest
tap_done
