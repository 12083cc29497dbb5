#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 120
#
# `modprobe virtio-argo` finds the four devices dom0's backend offers, and
# Linux's stock drivers bind to them through the virtio-argo transport.
# VA_BACKEND (default 0) is the backend's domain: 93-driver-virtio runs
# this test in a guest served by a driver domain.
. /rig/tap.sh
be=${VA_BACKEND:-0}
# The rig has no udev to load drivers by modalias: load them first, then
# connect afresh (the rig loaded virtio-argo at boot, before the backend
# ran).
modprobe -a virtio_blk virtio_console virtio-rng
tap_ok $? "modprobe virtio_blk virtio_console virtio-rng"
rmmod virtio_argo 2>/dev/null
tap_dmesg_mark
modprobe virtio-argo backends="$be"
tap_ok $? "modprobe virtio-argo (backends=$be)"
i=0
while [ "$(ls /sys/bus/virtio/devices | wc -l)" -lt 4 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
tap_is "$(ls /sys/bus/virtio/devices | wc -l)" 4 "4 virtio devices after $((i / 10)).$((i % 10)) s"
drivers=
for d in /sys/bus/virtio/devices/*; do
	drv=$(basename "$(readlink "$d/driver")")
	parent=$(basename "$(dirname "$(readlink -f "$d")")")
	tap_diag "$(basename "$d"): device $(cat "$d/device") driver $drv on $parent"
	drivers="$drivers $drv"
	[ "$parent" = "virtio-argo.$be" ] || bad_parent=$parent
done
tap_is "$drivers" " virtio_blk virtio_blk virtio_console virtio_rng" \
	"the stock drivers bound (blk, blk, console, rng)"
tap_is "${bad_parent:-virtio-argo.$be}" "virtio-argo.$be" \
	"every device hangs off the virtio-argo.$be transport device (named after the backend domain)"
tap_ok $([ -b /dev/vda ] && [ -b /dev/vdb ]; echo $?) "/dev/vda and /dev/vdb exist"
# Bit N of the negotiated features is character N + 1 of this file.
f=$(cat /sys/bus/virtio/devices/virtio0/features)
tap_is "$(echo "$f" | cut -c29-30)$(echo "$f" | cut -c33)" 111 \
	"vda negotiated INDIRECT_DESC, EVENT_IDX and VERSION_1"
# ACCESS_PLATFORM (bit 33) is the transport's own (the device reaches
# memory only through virtio-argo's DMA ops): every device has it.
for d in /sys/bus/virtio/devices/*; do
	[ "$(cut -c34 "$d/features")" = 1 ] || no_ap="$no_ap $(basename "$d")"
done
tap_is "${no_ap:-none}" none "every device negotiated ACCESS_PLATFORM"
# A PV domU of a kernel built with CONFIG_XEN_VIRTIO (the debug kernel)
# hands every virtio device's parent to Xen's grant DMA ops ("Using dom0 as
# backend"), and refuses devices without ACCESS_PLATFORM: the drivers
# above bound and the disks below move data all the same.
if kernel_has XEN_VIRTIO; then want=yes; else want=no; fi
tap_dmesg_since | grep -q "virtio-argo.$be: Using dom0 as backend" && got=yes || got=no
tap_is "$got" "$want" "Xen's grant DMA check ran on the devices: $want (CONFIG_XEN_VIRTIO)"
tap_dmesg_since | grep -q "virtio-argo: backend dom$be: connected"
tap_ok $? "dmesg: virtio-argo: backend dom$be: connected"
tap_dmesg_since | grep 'virtio-argo' | sed 's/^/# /'
tap_done
