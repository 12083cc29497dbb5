#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: driver
# timeout: 900
#
# Three domains and more: the backend in a driver domain (a domU), not in
# dom0.  This test starts the phase's domains, recorded in /tmp/drv for
# 94 and 95:
#   drv  the driver domain: argo-virtio-backend serving the others, its
#        devices from a configuration file (/tmp/vb/backend.conf, checked
#        with --check-config first) bound to the guests' domids, with its
#        disk images in its own RAM and a bridge br0 (192.168.77.1/24)
#        that the guests' TAP interfaces join
#   t    a guest that runs the virtio-argo tests of the suite's domU
#        (61-66) against drv's backend (VA_BACKEND=<drv's domid>)
#   g1   a guest with a virtio-net device (94)
#   g2   another guest with a virtio-net device (94)
# dom0 drives each through its vsock agent (/rig/mac.sh's `on`), and
# relays each of t's tests as TAP points of its own ("t: 62-virtio-blk:
# ...").  Last, drv's image file holds the data t wrote (as 39 checks in
# dom0 for the suite's domU).
. /rig/tap.sh
MAC=/tmp/drv
. /rig/mac.sh
mkdir -p $MAC

# -t 900: 94's transfers run a command up to 15 minutes (ON_SECONDS)
agent="socat -t 900 VSOCK-LISTEN:$MAC_AGENT,reuseaddr,fork EXEC:/bin/sh,stderr"
# NAME:MiB:vCPUs (t runs the console test, which needs two vCPUs)
for d in drv:512:2 t:256:2 g1:256:1 g2:256:1; do
	name=${d%%:*}
	mem=${d#*:}
	mem=${mem%:*}
	id=$(MEM=$mem VCPUS=${d##*:} /rig/start-domu "$name" "$agent")
	tap_ok $? "domain $name created (domid $id, $mem MiB, ${d##*:} vCPUs)"
	echo "$id" >$MAC/$name.domid
done
for name in drv t g1 g2; do
	i=0
	until [ "$(on $name 'echo up' 2>/dev/null)" = up ] || [ $i -ge 300 ]; do
		sleep 1; i=$((i + 1))
	done
	up=$(on $name 'echo up')
	tap_is "$up" up "$name's agent answers over vsock"
	[ "$up" = up ] ||
		tail -n 15 /var/log/xen/console/guest-$name.log | sed "s/^/# $name: /"
done
drv=$(mac_domid drv)
t=$(mac_domid t)
g1=$(mac_domid g1)
g2=$(mac_domid g2)

# The driver domain is a backend, not a guest: its own virtio-argo goes.
# The disk images and devices are 60-virtio-backend's, offered to t only;
# the virtio-net device is offered to g1 and g2, one TAP each (vnet<domid>)
# on the bridge.  They come from a configuration file, as a service's
# would.  A driver domain cannot read other domains' names from xenstore
# (docs/virtio-argo.md, "Names need xenstore"), so every device is bound
# to its guests' domids, written into the file here.
on drv "rmmod virtio_argo; modprobe -a tun bridge loop ext4
	brctl addbr br0
	echo 0 >/sys/class/net/br0/bridge/stp_state
	echo 0 >/sys/class/net/br0/bridge/forward_delay
	ip addr add 192.168.77.1/24 dev br0
	ip link set br0 up
	mkdir -p /tmp/vb
	dd if=/dev/zero of=/tmp/vb/blk.img bs=1M count=0 seek=128 2>/dev/null
	dd if=/dev/zero of=/tmp/vb/ro.img bs=1M count=8 2>/dev/null
	printf 'read-only image' | dd of=/tmp/vb/ro.img conv=notrunc 2>/dev/null
	cat >/tmp/vb/backend.conf <<'EOF'
[backend]
control = /tmp/vb/control.sock

[blk disk]
path = /tmp/vb/blk.img
serial = argo-blk0
guest = $t

[blk ro]
path = /tmp/vb/ro.img
readonly = yes
guest = $t

[console echo]
mode = echo
port = argo-echo
guest = $t

[rng rng]
guest = $t

[net net]
tap = vnet%d
bridge = br0
guest = $g1
guest = $g2
EOF" >/dev/null
# (--check-config lists a device's guests sorted as strings)
tap_is "$(on drv 'argo-virtio-backend --config /tmp/vb/backend.conf --check-config')" \
"device 1 disk: blk /tmp/vb/blk.img,serial=argo-blk0,guest=$t
device 2 ro: blk /tmp/vb/ro.img,ro,guest=$t
device 3 echo: console echo,port=argo-echo,guest=$t
device 4 rng: rng guest=$t
device 5 net: net tap=vnet%d,bridge=br0$(printf ',guest=%s\n' "$g1" "$g2" | LC_ALL=C sort | tr -d '\n')
5 devices, configuration OK" "drv: --check-config lists the five devices, bound to t's, g1's and g2's domids"
on drv "$(mac_bg "argo-virtio-backend --config /tmp/vb/backend.conf \
	>/tmp/vb/backend.log 2>&1")" >/dev/null
tap_is "$(mac_until drv 'pidof argo-virtio-backend | wc -w' 1 10)" 1 \
	"drv: argo-virtio-backend running"
mac_wait_ring drv 0x76690001
tap_is "$(argo query "$drv" 0x76690001 | cut -d: -f3 | cut -d, -f1)" " ring exists" \
	"drv's backend ring is at the well-known port 0x76690001"
on drv 'cat /tmp/vb/backend.log' | sed 's/^/# drv: /'

# relay NAME TEST: run the suite's TEST in domain NAME against drv's
# backend; its TAP points become ours, prefixed, and its exit status one
# more point
relay() {
	on "$1" "VA_BACKEND=$drv sh /rig/tests/$2.sh; echo \"@@RC \$?\"" >$MAC/$2.out
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_ok 0 "$1: $2: $(echo "$line" | cut -d' ' -f3-)" ;;
		"not ok "*) tap_ok 1 "$1: $2: $(echo "$line" | cut -d' ' -f4-)" ;;
		"# "*) echo "# $1: $2: ${line#\# }" ;;
		esac
	done <$MAC/$2.out
	tap_is "$(sed -n 's/^@@RC //p' $MAC/$2.out)" 0 "$1: $2 exits 0"
}
for test in 61-virtio-devices 62-virtio-blk 63-virtio-rng 64-virtio-console \
	    65-virtio-backend-death 66-virtio-hostile; do
	relay t $test
done

# 62's data, read back from the image file in the driver domain
want=$(sed -n 's/^# data-sha256 //p' $MAC/62-virtio-blk.out)
tap_ok $([ -n "$want" ]; echo $?) "t reported its data's checksum"
got=$(on drv 'mkdir -p /mnt/img && mount -t ext4 -o ro,loop /tmp/vb/blk.img /mnt/img &&
	sha256sum </mnt/img/data | cut -d" " -f1; umount /mnt/img')
tap_is "$got" "$want" "drv's image file holds the same 64 MiB"
tap_is "$(on drv "grep -Ec 'guest $t( \([^)]*\))? connected' /tmp/vb/backend.log")" 1 \
	"drv's backend logged t's connect once"
tap_done
