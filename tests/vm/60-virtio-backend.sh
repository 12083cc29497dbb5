#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0 side of the virtio-argo tests: argo-virtio-backend serving the domU
# a 128 MiB disk image (virtio-blk, dev 1), a read-only 8 MiB image
# (dev 2), a console port that echoes (dev 3) and an rng (dev 4), from a
# configuration file (--config), as a service would.  It runs
# unprivileged: only /dev/argo is opened to it.  Its control socket is
# in /tmp/vb (an unprivileged user cannot create /run/virtio-argo).
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
# The writable disk is the suite's domU's alone: the first domain created
# in this boot, so domid 1 (39-virtio-blk-image counts on it too).  The
# others are for any guest, which must be said.
cat >/tmp/vb/backend.conf <<'EOF'
[backend]
control = /tmp/vb/control.sock

[blk disk]
path = /tmp/vb/blk.img
serial = argo-blk0
guest = 1              # the suite's domU

[blk ro]
path = /tmp/vb/ro.img
readonly = yes
guest = any

[console echo]
mode = echo
port = argo-echo
guest = any

[rng rng]
guest = any
EOF
chown 1000:1000 /tmp/vb/backend.conf
tap_is "$(argo-virtio-backend --config /tmp/vb/backend.conf --check-config)" \
"device 1 disk: blk /tmp/vb/blk.img,serial=argo-blk0,guest=1
device 2 ro: blk /tmp/vb/ro.img,ro,guest=any
device 3 echo: console echo,port=argo-echo,guest=any
device 4 rng: rng guest=any
4 devices, configuration OK" "--check-config lists the four devices"
su -s /bin/sh vbackend -c 'argo-virtio-backend --config /tmp/vb/backend.conf \
	</dev/null >/tmp/vb/backend.log 2>&1 & echo $!' >/tmp/backend.pid
i=0
while [ ! -S /tmp/vb/control.sock ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pid=$(cat /tmp/backend.pid)
tap_ok $(kill -0 "$pid"; echo $?) "argo-virtio-backend running"
tap_is "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")" 1000 \
	"it runs as uid 1000, with only /dev/argo given to it"
tap_is "$(argo query 0 0x76690001 | cut -d: -f3 | cut -d, -f1)" " ring exists" \
	"the backend's ring is at the well-known port 0x76690001"
tap_is "$(stat -c '%a %U' /tmp/vb/control.sock)" "600 vbackend" \
	"its control socket is the backend user's, mode 0600"
tap_is "$(su -s /bin/sh vbackend -c 'argo-virtio-backend ctl --control /tmp/vb/control.sock list')" \
"device 1 name=disk type=blk guest=1 state=free instances=- requests=0 bytes=0 errors=0 from=config
device 2 name=ro type=blk guest=any state=ready instances=- requests=0 bytes=0 errors=0 from=config
device 3 name=echo type=console guest=any state=ready instances=- requests=0 bytes=0 errors=0 from=config
device 4 name=rng type=rng guest=any state=ready instances=- requests=0 bytes=0 errors=0 from=config" \
	"ctl list: the four devices, no guest yet"
sed 's/^/# /' /tmp/vb/backend.log
tap_done
