#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
#
# argo-core's API against our own domain: rings, sendv, receive callback,
# queries and the error cases that need no second domain.
. "$(dirname "$0")/lib/tap.sh"
tap_dmesg_mark
insmod_out=$(tap_modprobe argo_selftest mode=self 2>&1)
tap_ok $? "argo_selftest mode=self loads" "$insmod_out"
tap_kmod_results argo_selftest
tap_cmd "rmmod argo_selftest" rmmod argo_selftest
tap_done
