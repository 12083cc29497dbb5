#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
#
# The backend's side of 62-virtio-blk.sh: the file the domU wrote, read
# from the image file in dom0, has the checksum the domU computed.  It runs
# first after the domU (hence its number) and frees the images, which
# dom0's RAM-backed root needs for 43's `xl save`.
. /rig/tap.sh
want=$(sed -n 's/^# data-sha256 //p' /results/domu/62-virtio-blk.tap 2>/dev/null)
tap_ok $([ -n "$want" ]; echo $?) "the domU reported its data's checksum"
kill "$(cat /tmp/backend.pid)" 2>/dev/null
sleep 0.5
grep -Eq 'guest 1( \([^)]*\))? connected' /tmp/vb/backend.log
tap_ok $? "the backend logged the guest's connect"
sed 's/^/# /' /tmp/vb/backend.log | tail -n 20
modprobe -q loop; modprobe -q ext4
mkdir -p /mnt/img
mount -t ext4 -o ro,loop /tmp/vb/blk.img /mnt/img
tap_ok $? "dom0 mounts the image file"
tap_is "$(sha256sum </mnt/img/data | cut -d' ' -f1)" "$want" "the image holds the same 64 MiB"
umount /mnt/img
rm -rf /tmp/vb
tap_done
