#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 400
#
# virtio-blk over Argo: ext4 on /dev/vda with 64 MiB of random data,
# checked after a remount and by fsck; the serial number (GET_ID); a
# read-only device refusing writes; discard reading back zeros.  The data's
# checksum is printed for dom0's 39-virtio-blk-image.sh, which computes it
# again from the backend's image file.
. /rig/tap.sh
tap_is "$(cat /sys/block/vda/serial 2>/dev/null)" argo-blk0 "vda's serial (VIRTIO_BLK_T_GET_ID)"
tap_is "$(cat /sys/block/vda/size)" 262144 "vda is 128 MiB (262144 sectors)"
mkfs.ext4 -q -F /dev/vda
tap_ok $? "mkfs.ext4 /dev/vda"
mkdir -p /mnt/v
mount -t ext4 /dev/vda /mnt/v
tap_ok $? "mount /dev/vda"
dd if=/dev/urandom of=/tmp/data bs=1M count=64 2>/dev/null
want=$(sha256sum </tmp/data | cut -d' ' -f1)
cp /tmp/data /mnt/v/data && sync
tap_ok $? "64 MiB of random data written and synced"
rm -f /tmp/data
umount /mnt/v
tap_ok $? "umount"
fsck.ext4 -fn /dev/vda >/tmp/fsck.out 2>&1
tap_is $? 0 "fsck.ext4 -fn finds the filesystem clean"
echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 -o ro /dev/vda /mnt/v
tap_ok $? "remount read-only"
tap_is "$(sha256sum </mnt/v/data | cut -d' ' -f1)" "$want" "the data reads back intact"
umount /mnt/v
echo "# data-sha256 $want"

tap_is "$(cat /sys/block/vdb/ro)" 1 "vdb is read-only (VIRTIO_BLK_F_RO)"
tap_is "$(dd if=/dev/vdb bs=15 count=1 2>/dev/null)" "read-only image" "vdb reads the backend's image"
dd if=/dev/zero of=/dev/vdb bs=4096 count=1 2>/tmp/ro.err
tap_ok $([ $? != 0 ]; echo $?) "a write to vdb fails ($(head -n 1 /tmp/ro.err))"

# Discard: the backend punches a hole, which reads back as zeros.
dd if=/dev/urandom of=/dev/vda bs=1M seek=120 count=1 conv=fsync 2>/dev/null
blkdiscard -o $((120 << 20)) -l $((1 << 20)) /dev/vda
tap_is $? 0 "blkdiscard of 1 MiB at 120 MiB"
zero=$(dd if=/dev/zero bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
echo 3 >/proc/sys/vm/drop_caches
tap_is "$(dd if=/dev/vda bs=1M skip=120 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)" \
	"$zero" "the discarded range reads back as zeros"
tap_done
