#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# blk-bench.sh [SECONDS [PARAM=VALUE...]]: the domU side of the disk benchmark.  The same
# image file in dom0 is /dev/vda (virtio-argo + argo-virtio-backend) and
# /dev/xvdb (Xen's blkfront + blkback); blk_bench measures both, one after
# the other, in this run, and the table gives virtio-argo / blkfront.
# Extra words are virtio-argo module parameters (e.g. ring_kb=1024).
secs=${1:-5}
[ $# -gt 0 ] && shift
modprobe -a xen-blkfront virtio_blk
rmmod virtio_argo 2>/dev/null
modprobe virtio-argo backends=0 "$@"
i=0
while { [ ! -b /dev/vda ] || [ ! -b /dev/xvdb ]; } && [ $i -lt 1200 ]; do
	sleep 0.1; i=$((i + 1))
done
[ -b /dev/vda ] || { echo "no /dev/vda (virtio-argo)"; exit 1; }
[ -b /dev/xvdb ] || { echo "no /dev/xvdb (blkfront)"; exit 1; }
/rig/bin/blk_bench /dev/vda "$secs" 64 >/tmp/va.txt || exit 1
/rig/bin/blk_bench /dev/xvdb "$secs" 64 >/tmp/xb.txt || exit 1
printf '| %-22s | %12s | %12s | %7s |\n' "$secs s each, O_DIRECT" virtio-argo blkfront ratio
printf '|%s|%s|%s|%s|\n' ------------------------ -------------- -------------- ---------
paste /tmp/va.txt /tmp/xb.txt | while read -r m u a m2 u2 b; do
	printf '| %-22s | %12s | %12s | %7s |\n' "$m ($u)" "$a" "$b" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
