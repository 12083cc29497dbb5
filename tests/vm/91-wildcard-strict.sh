#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac-strict
#
# Booted with argo=1,mac-permissive=0: an any-sender ring is refused with
# -EPERM and an explanation; single-partner rings still work.
. /rig/tap.sh
tap_dmesg_mark
modprobe argo_selftest mode=wildcard expect=-1 2>/dev/null
tap_ok $? "argo_selftest mode=wildcard expect=-EPERM passes"
tap_kmod_results argo_selftest
tap_dmesg_since | grep -q "argo-core: cannot register ring port 0x5000 partner 32756: error -1: wildcard rings need Xen's argo=1,mac-permissive=1"
tap_ok $? "the refusal is explained in the kernel log"
rmmod argo_selftest
tap_dmesg_mark
modprobe argo_selftest mode=self 2>/dev/null
tap_ok $? "the core self test passes with mac-permissive=0"
rmmod argo_selftest
tap_done
