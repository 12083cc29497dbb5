#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: driver
# timeout: 300
#
# The driver domain destroyed while its guests use it: t in the middle of
# reading its disk, g2 with its virtio-net link up.  t's reader gets an
# I/O error within seconds (no D-state hang), and both guests' virtio-argo
# devices go away; the guests themselves stay up and clean (panic_on_warn
# is on in every domain: a WARN would take the guest's agent down).
. /rig/tap.sh
MAC=/tmp/drv
. /rig/mac.sh
drv=$(mac_domid drv)

on t "modprobe virtio_blk; rmmod virtio_argo 2>/dev/null; modprobe virtio-argo backends=$drv" >/dev/null
tap_is "$(mac_until t 'ls /sys/block | grep -c ^vd' 2 30)" 2 "t: vda and vdb back from drv"
tap_is "$(on g2 'ls /sys/bus/virtio/devices | wc -l')" 1 "g2: its virtio-net device is there"
on t "$(mac_bg 'while dd if=/dev/vda of=/dev/null bs=1M count=128 iflag=direct 2>/tmp/dd.err; do :; done; echo done >/tmp/dd.end')" >/dev/null
sleep 2
tap_is "$(on t 'cat /tmp/dd.end 2>/dev/null')" "" "t: the reader is busy"
xl destroy drv
tap_ok $? "xl destroy drv"
t0=$(date +%s)
end=$(mac_until t 'cat /tmp/dd.end 2>/dev/null' done 30)
tap_is "$end" done "t: the reader stops with an error within $(($(date +%s) - t0)) s"
on t 'head -n 1 /tmp/dd.err' | sed 's/^/# t: /'
tap_is "$(mac_until t 'ls /sys/bus/virtio/devices | wc -l' 0 30)" 0 "t: its devices are gone"
tap_is "$(mac_until g2 'ls /sys/bus/virtio/devices | wc -l' 0 30)" 0 "g2: its virtio-net device is gone"
tap_is "$(on g2 'ls /sys/class/net | grep -c ^eth')" 0 "g2: eth0 is gone"
for g in t g2; do
	on $g 'dmesg | grep virtio-argo | tail -n 3' | sed "s/^/# $g: /"
	tap_is "$(on $g 'echo up')" up "$g is still up and clean"
done
tap_done
