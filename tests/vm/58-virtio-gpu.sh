#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 240
#
# virtio-gpu over Argo, with the stock virtio_gpu DRM driver: the guest is
# its own backend here (argo-virtio-backend --gpu in this domain, as
# 66-virtio-hostile does with va_hostile), so that the backend's PNG of
# the display can be compared with what the guest drew.  drm_pattern
# draws a pattern through DRM (a dumb buffer, the mode the backend
# offers), which the PNG must show pixel for pixel; then it redraws a
# rectangle and reports it damaged, and the PNG must change inside that
# rectangle only.  The device reads the pixels through the memory windows
# of the driver's own mappings, and nothing outside them.  The backend is
# started with command-line options, not a configuration file, on
# purpose: this test and 59 and 60-virtio-conform keep the command-line
# form ("for quick use") tested.
. /rig/tap.sh
self=$(argo info | sed -n 's/^domid //p')
png=/tmp/gpu/gpu-$self.png
if ! modprobe virtio_gpu 2>/tmp/gpu-modprobe.err; then
	tap_skip "virtio-gpu over Argo" "no virtio_gpu module: $(cat /tmp/gpu-modprobe.err)"
	tap_done
fi
rmmod virtio_argo 2>/dev/null
mkdir -p /tmp/gpu
argo-virtio-backend --gpu png=/tmp/gpu,size=640x480 </dev/null >/tmp/gpu/backend.log 2>&1 &
bpid=$!
i=0
until argo query "$self" 0x76690001 2>/dev/null | grep -q 'ring exists' || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
tap_dmesg_mark
modprobe virtio-argo backends="$self"
tap_ok $? "modprobe virtio-argo (backends=$self, this domain's backend)"
i=0
until [ -c /dev/dri/card0 ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
tap_ok $([ -c /dev/dri/card0 ]; echo $?) "virtio_gpu binds: /dev/dri/card0 after $((i / 10)).$((i % 10)) s"
dev=$(ls /sys/bus/virtio/devices | head -n 1)
tap_is "$(basename "$(readlink "/sys/bus/virtio/devices/$dev/driver")")" virtio_gpu \
	"$dev is driven by virtio_gpu"
tap_is "$(basename "$(readlink -f "/sys/bus/virtio/devices/$dev/..")")" "va$self-dev1" \
	"its DMA parent is its own (memory windows agreed)"
# (and 3 s of full-screen frames: their rate is a diagnostic line)
out=$(/rig/bin/drm_pattern /dev/dri/card0 "$png" 3 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -q '^ok 1 - the display shows the first pattern (640x480) pixel for pixel'
tap_ok $? "the backend's PNG shows what the guest drew, pixel for pixel"
printf '%s\n' "$out" | grep -q '^ok 2 - after redrawing 160,120-373,216 and DIRTYFB, only that rectangle changed'
tap_ok $? "after a partial update only the damaged rectangle changed"
tap_is "$rc" 0 "drm_pattern passed"
tap_dmesg_since | grep -q 'outside what its driver mapped'
tap_is $? 1 "no access outside the device's windows was asked for"
# Linux 6.1's virtio_gpu, unplugged while fbcon still holds its fbdev
# framebuffer, warns that its memory manager is not clean: unbind fbcon
# first, as anyone removing a display would.
for v in /sys/class/vtconsole/vtcon*; do
	grep -q 'frame buffer' "$v/name" 2>/dev/null && echo 0 >"$v/bind"
done
kill "$bpid" 2>/dev/null
wait "$bpid" 2>/dev/null
i=0
until [ ! -c /dev/dri/card0 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
tap_ok $([ ! -c /dev/dri/card0 ]; echo $?) "the backend gone, the device is removed"
sed 's/^/# backend: /' /tmp/gpu/backend.log | tail -n 5
rmmod virtio_argo
tap_is $? 0 "rmmod virtio-argo"
rm -rf /tmp/gpu
tap_done
