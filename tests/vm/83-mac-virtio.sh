#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 300
#
# virtio-argo under the example policy.  argo-virtio-backend runs in dom0,
# in the driver domain b (a 16 MiB disk and an rng) and in both guests:
#   g1 -> g2's backend and g2 -> g1's (guest to guest, denied): modprobe
#         fails with EACCES, the log says "registering our ring denied by
#         XSM policy (-13): no devices", no device appears, the other
#         guest's backend never hears of it;
#   g1 -> b (guest to driver domain) and g2 -> dom0: the devices appear
#         and the stock drivers work.
# g1 keeps its devices from b for the policy-change test (84).
. /rig/tap.sh
. /rig/mac.sh
g1=$(mac_domid g1)
g2=$(mac_domid g2)
b=$(mac_domid b)
backend="argo-virtio-backend --rng >/tmp/vb.log 2>&1"
for d in $MAC_DOMAINS; do
	on $d "rmmod virtio_argo 2>/dev/null; modprobe -a virtio_blk virtio-rng"
done
on dom0 "$(mac_bg "$backend")" >/dev/null
on g1 "$(mac_bg "$backend")" >/dev/null
on g2 "$(mac_bg "$backend")" >/dev/null
on b "dd if=/dev/zero of=/tmp/blk.img bs=1M count=16 2>/dev/null
$(mac_bg "argo-virtio-backend --blk /tmp/blk.img --rng >/tmp/vb.log 2>&1")" >/dev/null
sleep 1

# devices: their count and "virtio id:driver:transport" of each
devs='ls /sys/bus/virtio/devices | wc -l
for d in /sys/bus/virtio/devices/*; do [ -e "$d" ] || continue
echo "$(cat $d/device):$(basename $(readlink $d/driver)):$(basename $(dirname $(readlink -f $d)))"; done | sort | tr "\n" " "'
# wait_devs NAME N: until NAME has N virtio devices (30 s at most)
wait_devs() {
	i=0
	until [ "$(on $1 "$devs" | head -n 1)" = "$2" ] || [ $i -ge 60 ]; do
		sleep 0.5; i=$((i + 1))
	done
}

r=$(on g1 "dmesg -c >/dev/null; modprobe virtio-argo backends=$g2 2>/dev/null; echo rc=\$?")
tap_is "$r" rc=1 "g1 -> g2's backend: modprobe virtio-argo fails"
on g1 "dmesg" | grep -q "virtio-argo: backend dom$g2: registering our ring denied by XSM policy (-13): no devices"
tap_ok $? "g1 logs: registering our ring denied by XSM policy (-13): no devices"
sleep 2
tap_is "$(on g1 "$devs" | head -n 1)" 0 "g1: no device appeared"
tap_is "$(on g2 "grep -c 'guest $g1' /tmp/vb.log")" 0 "g2's backend never heard from g1"

r=$(on g2 "dmesg -c >/dev/null; modprobe virtio-argo backends=$g1 2>/dev/null; echo rc=\$?")
tap_is "$r" rc=1 "the other way, g2 -> g1's backend: modprobe virtio-argo fails"
on g2 "dmesg" | grep -q "virtio-argo: backend dom$g1: registering our ring denied by XSM policy (-13): no devices"
tap_ok $? "g2 logs: registering our ring denied by XSM policy (-13): no devices"
tap_is "$(on g1 "grep -c 'guest $g2' /tmp/vb.log")" 0 "g1's backend never heard from g2"

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
tap_done
