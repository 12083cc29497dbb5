#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: argo-off
#
# Booted with Xen's argo=0 (and the modules installed by DKMS, as a user
# has them): argo-core must refuse to load with the one line that tells
# the administrator what to do, whichever module modprobe was asked for.
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
tap_dmesg_mark
modprobe argo-vsock 2>/tmp/modprobe.err
tap_ok $([ $? -ne 0 ]; echo $?) "modprobe argo-vsock fails"
tap_diag "modprobe said: $(cat /tmp/modprobe.err)"
tap_ok $(grep -q 'argo-core' /tmp/modprobe.err; echo $?) "modprobe's error names argo-core"
tap_dmesg_since | grep -q '^\[[ 0-9.]*\] argo-core: Argo is disabled in the hypervisor: boot Xen with argo=1$'
tap_ok $? "modprobe argo-vsock: argo-core explains: boot Xen with argo=1"
tap_ok $(grep -qE '^(argo_core|argo_vsock) ' /proc/modules; [ $? -ne 0 ]; echo $?) \
	"neither argo_vsock nor argo_core is loaded"
tap_done
