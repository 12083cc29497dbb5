#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 300
#
# Hot-unplug and replug at run time (EVENT_DEVICE).  A backend killed in
# the middle of a write: the writer gets an I/O error
# within seconds (no D-state hang), the device goes away, and comes back by
# itself when the backend is started again.  A ring lost after a restore
# fails the devices at once.  Then rmmod virtio-argo while
# a reader is busy.  The backend runs in this domain (backends=<own id>),
# so the test needs nothing from dom0.  Its disk and rng come from a
# configuration file (checked with --check-config first), both for this
# domain's own domid: a writable disk in a configuration file names its
# one guest.
. /rig/tap.sh
self=$(argo info | sed -n 's/^domid //p')
modprobe -a virtio_blk virtio-rng
rmmod virtio-argo 2>/dev/null
dd if=/dev/zero of=/tmp/d.img bs=1M count=16 2>/dev/null
# (SIGUSR1 and SIGUSR2 below take away and bring back the highest-numbered
# device: the rng, the file's last)
cat >/tmp/d.conf <<EOF
[backend]
control = /tmp/d.sock

[blk disk]
path = /tmp/d.img
guest = $self

[rng rng]
guest = $self
EOF
tap_is "$(argo-virtio-backend --config /tmp/d.conf --check-config 2>&1)" \
"device 1 disk: blk /tmp/d.img,guest=$self
device 2 rng: rng guest=$self
2 devices, configuration OK" "--check-config: the disk and the rng, for domain $self"
start_backend() {
	argo-virtio-backend --config /tmp/d.conf >>/tmp/d.log 2>&1 &
	bpid=$!
}
wait_devices() {	# N SECONDS
	i=0
	while [ "$(ls /sys/bus/virtio/devices | wc -l)" != "$1" ] && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(ls /sys/bus/virtio/devices | wc -l)" = "$1" ]
}
start_backend
tap_dmesg_mark
modprobe virtio-argo backends="$self"
tap_ok $? "modprobe virtio-argo backends=$self (a backend in this domain)"
wait_devices 2 20
tap_ok $? "its disk and rng appear"
sleep 1

tap_dmesg_mark
kill -USR1 $bpid
wait_devices 1 20
tap_ok $? "SIGUSR1 to the backend: EVENT_DEVICE REMOVED takes the rng away"
tap_dmesg_since | grep -q 'device 2: removed by the backend'
tap_ok $? "dmesg: device 2: removed by the backend"
tap_is "$(cat /sys/class/misc/hw_random/rng_current)" none "no hwrng left"
kill -USR2 $bpid
wait_devices 2 20
tap_ok $? "SIGUSR2: EVENT_DEVICE READY brings it back"
tap_is "$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c)" 16 "and it reads"

# Our ring lost: argo-core's lose_ring (debugfs) does what a restore that
# cannot register the ring again does.  The devices fail at once, not
# after the PING timeout, and come back once rediscovery got the ring
# registered again.
port=$(awk -v p="$self" 'NR > 1 && $2 == p && $1 ~ /^0x8/ { print $1 }' /sys/kernel/debug/argo/rings)
tap_is "$(echo $port | wc -w)" 1 "virtio-argo's ring in argo-core's debugfs ($port)"
tap_dmesg_mark
echo "${port#0x} $self 13" >/sys/kernel/debug/argo/lose_ring
tap_ok $? "lose_ring takes it away (EACCES)"
# (rediscovery may bring them back within a second: look at the log)
i=0
until tap_dmesg_since | grep -q "device [0-9]*: removing virtio" || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
tap_ok $([ $i -lt 50 ]; echo $?) "the devices are being removed within 5 s"
tap_dmesg_since | grep -q "virtio-argo: backend dom$self: our ring was lost after a restore or migration (-13): failing its devices' I/O and removing them"
tap_ok $? "logged: our ring was lost after a restore or migration (-13)"
wait_devices 2 30
tap_ok $? "they come back by themselves"
tap_dmesg_since | grep -q "virtio-argo: backend dom$self: our ring is registered again"
tap_ok $? "logged: our ring is registered again"
tap_dmesg_mark

# A writer that keeps 1 MiB synced writes going until one fails.
( while dd if=/dev/zero of=/dev/vda bs=64k count=16 conv=fsync 2>/tmp/dd.err; do :; done ) &
ddpid=$!
sleep 3
kill -9 $bpid
wait $bpid 2>/dev/null
i=0
while kill -0 $ddpid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $ddpid 2>/dev/null; then
	tap_ok 1 "the writer returned within 30 s of the backend's death"
	kill $ddpid
else
	tap_ok 0 "the writer failed ($(tail -n 1 /tmp/dd.err)) $((i / 10)).$((i % 10)) s after the kill"
fi
wait_devices 0 20
tap_ok $? "the devices are removed"
tap_dmesg_since | grep -q 'virtio-argo: backend dom'"$self"': .*failing its devices'
tap_ok $? "dmesg says the backend failed and its devices are removed"
tap_dmesg_since | grep virtio-argo | sed 's/^/# /' | tail -n 8

start_backend
wait_devices 2 30
tap_ok $? "the devices come back by themselves when the backend restarts"
tap_is "$(dd if=/dev/vda bs=4096 count=1 2>/dev/null | wc -c)" 4096 "and reads work"

dd if=/dev/vda of=/dev/null bs=64k count=256 2>/dev/null &
ddpid=$!
sleep 0.3
t0=$(date +%s)
rmmod virtio-argo
tap_is $? 0 "rmmod virtio-argo while a reader is busy"
tap_ok $([ $(($(date +%s) - t0)) -lt 30 ]; echo $?) "rmmod took $(($(date +%s) - t0)) s"
wait $ddpid
tap_is "$(ls /sys/bus/virtio/devices | wc -l)" 0 "no device left"
kill $bpid
wait $bpid 2>/dev/null
tap_done
