#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
#
# The rig itself: we run on Xen, as a PV guest, on the kernel the host
# built our modules for, with WARN turned into a panic.
. /rig/tap.sh
tap_is "$(cat /sys/hypervisor/type)" xen "hypervisor is Xen"
tap_is "$(cat /sys/hypervisor/guest_type)" PV "PV guest"
tap_is "$(uname -r)" "$KREL" "kernel is $KREL"
tap_is "$(cat /proc/sys/kernel/panic_on_warn)" 1 "panic_on_warn is on"
tap_is "$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)" 4.17 "Xen 4.17"
tap_done
