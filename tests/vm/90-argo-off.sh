#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: argo-off
#
# Booted with Xen's argo=0: argo-core must refuse to load with the one
# line that tells the administrator what to do.
. /rig/tap.sh
tap_dmesg_mark
modprobe argo-core 2>/dev/null
tap_ok $([ $? -ne 0 ]; echo $?) "modprobe argo-core fails"
# (busybox's module loader retries a failed init once: the line may repeat)
tap_dmesg_since | grep -q '^\[[ 0-9.]*\] argo-core: Argo is disabled in the hypervisor: boot Xen with argo=1$'
tap_ok $? "argo-core explains: boot Xen with argo=1"
tap_ok $(! grep -q '^argo_core ' /proc/modules; echo $?) "argo_core is not loaded"
modprobe argo-char 2>/dev/null
tap_ok $([ $? -ne 0 ]; echo $?) "a client module cannot load without argo-core"
tap_done
