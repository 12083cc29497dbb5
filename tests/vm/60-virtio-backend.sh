#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0 side of the virtio-argo tests: argo-virtio-backend serving the domU
# a 128 MiB disk image (virtio-blk, dev 1), a read-only 8 MiB image
# (dev 2), a console port that echoes (dev 3) and an rng (dev 4).  It runs
# unprivileged: only /dev/argo is opened to it.
. /rig/tap.sh
# dom0 is the backend domain here, not a guest: its own virtio-argo (loaded
# at boot, backends=0) would otherwise take the devices too.
rmmod virtio_argo 2>/dev/null
mkdir -p /tmp/vb
dd if=/dev/zero of=/tmp/vb/blk.img bs=1M count=0 seek=128 2>/dev/null
dd if=/dev/zero of=/tmp/vb/ro.img bs=1M count=8 2>/dev/null
printf 'read-only image' | dd of=/tmp/vb/ro.img conv=notrunc 2>/dev/null
grep -q '^vbackend:' /etc/passwd 2>/dev/null ||
	echo 'vbackend:x:1000:1000::/tmp/vb:/bin/sh' >>/etc/passwd
chown -R 1000:1000 /tmp/vb
chown 1000 /dev/argo
su -s /bin/sh vbackend -c 'argo-virtio-backend \
	--blk /tmp/vb/blk.img,serial=argo-blk0 --blk /tmp/vb/ro.img,ro \
	--console echo,port=argo-echo --rng </dev/null >/tmp/vb/backend.log 2>&1 & echo $!' >/tmp/backend.pid
sleep 1
pid=$(cat /tmp/backend.pid)
tap_ok $(kill -0 "$pid"; echo $?) "argo-virtio-backend running"
tap_is "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")" 1000 \
	"it runs as uid 1000, with only /dev/argo given to it"
tap_is "$(argo query 0 0x76690001 | cut -d: -f3 | cut -d, -f1)" " ring exists" \
	"the backend's ring is at the well-known port 0x76690001"
sed 's/^/# /' /tmp/vb/backend.log
tap_done
