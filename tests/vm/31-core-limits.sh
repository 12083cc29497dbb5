#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
#
# Ring sizes from the smallest to 16 MiB - 64 (and one byte more: -EINVAL),
# and the hypervisor's 128-ring limit (-ENOSPC, with a clear log line).
. "$(dirname "$0")/lib/tap.sh"
tap_debugfs
existing=$(($(wc -l </sys/kernel/debug/argo/rings) - 1))
tap_diag "rings already registered in this domain: $existing"
tap_dmesg_mark
tap_modprobe argo_selftest mode=limits count="$existing" 2>/dev/null
tap_ok $? "argo_selftest mode=limits passes"
tap_kmod_results argo_selftest
tap_dmesg_since | grep -q "argo-core: cannot register ring .*: error -28: the hypervisor's limit of 128 rings per domain is reached"
tap_ok $? "the ring limit is explained in the kernel log"
rmmod argo_selftest
tap_done
