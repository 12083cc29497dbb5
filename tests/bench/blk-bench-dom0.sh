#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dom0 side of the disk benchmark (see BENCHMARKS.md): one 128 MiB image
# file, served to the domU both by argo-virtio-backend (virtio-argo:
# /dev/vda) and by Xen's blkback through a loop device (blkfront: /dev/xvdb).
rmmod virtio_argo 2>/dev/null
mkdir -p /tmp/vb
dd if=/dev/zero of=/tmp/vb/bench.img bs=1M count=128 2>/dev/null
argo-virtio-backend --blk /tmp/vb/bench.img >/tmp/vb/backend.log 2>&1 &
modprobe xen-blkback
loop=$(losetup -f)
losetup "$loop" /tmp/vb/bench.img
i=0
while ! xl domid domu >/dev/null 2>&1 && [ $i -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
xl block-attach domu "format=raw,vdev=xvdb,access=rw,script=/rig/bin/xen-block-phy,target=$loop"
echo "block-attach: $?"
