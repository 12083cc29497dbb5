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
modprobe -a xen-blkback loop
loop=$(losetup -f)
losetup "$loop" /tmp/vb/bench.img
# Attach once the domU's kernel is up (it announces its shutdown
# features in xenstore), not while xl create is still building it.
i=0
while [ $i -lt 600 ]; do
	id=$(xl domid domu 2>/dev/null) &&
		xenstore-read "/local/domain/$id/control/feature-poweroff" >/dev/null 2>&1 && break
	sleep 0.5; i=$((i + 1))
done
# xl create may still be storing the domain's configuration (libxl then
# answers ERROR_JSON_CONFIG_EMPTY): retry for a while.
for i in 1 2 3 4 5 6 7 8 9 10; do
	xl block-attach domu "format=raw,vdev=xvdb,access=rw,script=/rig/bin/xen-block-phy,target=$loop" && break
	sleep 2
done
echo "block-attach: attempt $i"
