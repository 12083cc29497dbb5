#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 600
#
# A hostile backend (tests/progs/va_hostile.c) behaves until the guest
# reads sector 1000 of its disk, then breaks the protocol in one way per
# round.  Each time the read fails with an error instead of hanging, dmesg
# names the broken rule, the device goes away, and the guest stays clean
# (panic_on_warn is on, and the rig fails on any BUG or WARNING).
. /rig/tap.sh
self=$(argo info | sed -n 's/^domid //p')
modprobe virtio_blk
rmmod virtio-argo 2>/dev/null
round() {	# MODE EXPECTED-DMESG
	/rig/bin/va_hostile "$1" >/tmp/h.log 2>&1 &
	hpid=$!
	tap_dmesg_mark
	modprobe virtio-argo backends="$self" timeout_ms=2000
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	if [ ! -b /dev/vda ]; then
		tap_ok 1 "$1: the hostile backend's disk appears"
	else
		# An error, or end-of-file when the disk is already gone.
		n=$(dd if=/dev/vda bs=4096 skip=125 count=1 2>/dev/null | wc -c)
		tap_is "$n" 0 "$1: the read at sector 1000 returns no data"

	fi
	i=0
	while [ -n "$(ls /sys/bus/virtio/devices)" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	tap_is "$(ls /sys/bus/virtio/devices | wc -l)" 0 "$1: the device is removed"
	tap_dmesg_since | grep -q "$2"
	tap_ok $? "$1: dmesg says '$2'"
	tap_dmesg_since | grep 'virtio-argo' | grep -v 'loaded\|unloaded' | sed 's/^/# /' | head -n 3
	rmmod virtio-argo
	tap_is $? 0 "$1: rmmod virtio-argo"
	kill $hpid 2>/dev/null
	wait $hpid 2>/dev/null
}
round truncated 'protocol violation: msg_size beyond the end of the message'
round wrong-chain 'broken: USED_CHAIN for a chain that is not outstanding'
round oversize "broken: total larger than the chain's buffers"
round bad-offset 'broken: fragment offset out of sequence'
round unknown-device 'protocol violation: USED_CHAIN for an unknown device'
round bad-queue 'broken: USED_CHAIN for a queue that is not set up'
round garbage 'protocol violation: \|backend stopped answering'
round unsolicited 'protocol violation: response matches no outstanding request'
round silent 'backend stopped answering'
round exit 'no backend listening at port 0x76690001'
tap_done
