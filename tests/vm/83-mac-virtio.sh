#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 300
#
# virtio-argo under the example policy.  argo-virtio-backend runs in dom0
# (an rng), in the driver domain b (a 16 MiB disk and an rng) and in both
# guests (an rng), each from a configuration file (/tmp/vb.conf in its
# domain, checked with --check-config first), every device for any guest:
#   g1 -> g2's backend and g2 -> g1's (guest to guest, denied): modprobe
#         fails with EACCES, the log says "registering our ring denied by
#         XSM policy (-13): no devices", no device appears, the other
#         guest's backend never hears of it, Xen logs the AVC denial;
#   g1 -> b (guest to driver domain), g2 -> dom0, b -> dom0 and dom0 -> b:
#         the devices appear and the stock drivers work.
# g1 keeps its devices from b for the policy-change test (84).  (A first
# message refused while the ring is allowed is tested there, under the
# policy that allows exactly that.)
. /rig/tap.sh
. /rig/mac.sh
g1=$(mac_domid g1)
g2=$(mac_domid g2)
b=$(mac_domid b)
G=argo_guest_t
backend="argo-virtio-backend --config /tmp/vb.conf >/tmp/vb.log 2>&1"
mac_avc_mark
for d in $MAC_DOMAINS; do
	on $d "rmmod virtio_argo 2>/dev/null; modprobe -a virtio_blk virtio-rng"
done
rng_conf='[backend]
control = /tmp/vb.sock

[rng rng]
guest = any'
# shared: g1 and dom0 both use b's disk, on purpose (a writable disk goes
# to one guest at a time unless shared; in a configuration file, a
# writable disk for more than one guest must say shared)
b_conf='[backend]
control = /tmp/vb.sock

[blk disk]
path = /tmp/blk.img
shared = yes
guest = any

[rng rng]
guest = any'
for d in dom0 g1 g2 b; do
	conf=$rng_conf
	want="device 1 rng: rng guest=any
1 device, configuration OK"
	if [ $d = b ]; then
		conf=$b_conf
		want="device 1 disk: blk /tmp/blk.img,shared,guest=any
device 2 rng: rng guest=any
2 devices, configuration OK"
	fi
	tap_is "$(on $d "cat >/tmp/vb.conf <<'EOF'
$conf
EOF
argo-virtio-backend --config /tmp/vb.conf --check-config")" "$want" \
		"$d: --check-config lists its devices, for any guest"
done
on dom0 "$(mac_bg "$backend")" >/dev/null
on g1 "$(mac_bg "$backend")" >/dev/null
on g2 "$(mac_bg "$backend")" >/dev/null
on b "dd if=/dev/zero of=/tmp/blk.img bs=1M count=16 2>/dev/null
$(mac_bg "$backend")" >/dev/null
for d in $MAC_DOMAINS; do
	mac_wait_ring $d 0x76690001
done

# devices: their count and "virtio id:driver:transport" of each
devs='ls /sys/bus/virtio/devices | wc -l
for d in /sys/bus/virtio/devices/*; do [ -e "$d/driver" ] || continue
echo "$(cat $d/device):$(basename $(readlink $d/driver)):$(basename $(dirname $(readlink -f $d)))"; done | sort | tr "\n" " "'
# wait_devs NAME N: until NAME has N virtio devices (30 s at most)
wait_devs() {
	mac_until "$1" "ls /sys/bus/virtio/devices | wc -l" "$2" >/dev/null
}

# denied: a guest to the other guest's backend, both ways
for pair in "g1 $g1 g2 $g2" "g2 $g2 g1 $g1"; do
	set -- $pair
	r=$(on $1 "dmesg -c >/dev/null; modprobe virtio-argo backends=$4 2>/dev/null; echo rc=\$?")
	tap_is "$r" rc=1 "$1 -> $3's backend (guest to guest): modprobe virtio-argo fails"
	on $1 "dmesg" | grep -q "virtio-argo: backend dom$4: registering our ring denied by XSM policy (-13): no devices"
	tap_ok $? "$1 logs: registering our ring denied by XSM policy (-13): no devices"
	tap_is "$(on $1 'ls /sys/bus/virtio/devices | wc -l; lsmod | grep -c "^virtio_argo "')" "0
0" "$1: no device, and no virtio-argo module left loaded"
	tap_is "$(on $3 "grep -c 'guest $2' /tmp/vb.log")" 0 "$3's backend (running) never heard from $1"
	mac_avc register_single_source $G "$2" $G "$4" "virtio-argo's ring"
done

# allowed: guest -> driver domain, guest -> dom0, driver domain <-> dom0
on g1 "modprobe virtio-argo backends=$b" >/dev/null
wait_devs g1 2
tap_is "$(on g1 "$devs" | tail -n 1)" "0x0002:virtio_blk:virtio-argo.$b 0x0004:virtio_rng:virtio-argo.$b " \
	"g1 -> b (guest to driver domain): blk and rng from b's backend"
tap_is "$(on g1 'dd if=/dev/hwrng bs=4096 count=4 2>/dev/null | wc -c')" 16384 "g1 reads 16 KiB from b's rng"
tap_is "$(on g1 'echo mac-blk | dd of=/dev/vda conv=fsync 2>/dev/null; dd if=/dev/vda bs=7 count=1 2>/dev/null')" mac-blk \
	"g1 writes and reads back b's disk"
tap_is "$(on b "grep -c 'guest $g1 connected' /tmp/vb.log")" 1 "b's backend logged g1's connection"

on g2 "modprobe virtio-argo backends=0" >/dev/null
wait_devs g2 1
tap_is "$(on g2 "$devs" | tail -n 1)" "0x0004:virtio_rng:virtio-argo.0 " "g2 -> dom0: the rng from dom0's backend"

on b "modprobe virtio-argo backends=0" >/dev/null
wait_devs b 1
tap_is "$(on b "$devs" | tail -n 1)" "0x0004:virtio_rng:virtio-argo.0 " "b -> dom0: the rng from dom0's backend"
on b "rmmod virtio_argo"

on dom0 "modprobe virtio-argo backends=$b" >/dev/null
wait_devs dom0 2
tap_is "$(on dom0 "$devs" | tail -n 1)" "0x0002:virtio_blk:virtio-argo.$b 0x0004:virtio_rng:virtio-argo.$b " \
	"dom0 -> b: blk and rng from b's backend"
on dom0 "rmmod virtio_argo"
tap_done
