#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
#
# The four modules load (modprobe resolves argo-core as the dependency of
# the other three), refuse to unload out of order, and unload cleanly.
. "$(dirname "$0")/lib/tap.sh"
CLIENTS="argo_char argo_vsock virtio_argo"
loaded() { grep -q "^$1 " /proc/modules; }

for m in argo_core $CLIENTS; do
	tap_ok $(loaded $m; echo $?) "$m loaded at boot"
done
holders=$(ls /sys/module/argo_core/holders 2>/dev/null | sort | tr '\n' ' ')
tap_is "$holders" "argo_char argo_vsock virtio_argo " "clients hold argo_core"

rmmod argo_core 2>/dev/null
tap_ok $(loaded argo_core; echo $?) "argo_core cannot be removed while clients use it"

tap_dmesg_mark
for m in $CLIENTS; do
	tap_cmd "rmmod $m" rmmod $m
done
tap_cmd "rmmod argo_core" rmmod argo_core
left=$(grep -c argo /proc/modules)
tap_is "$left" 0 "no argo module left"
tap_is "$(tap_dmesg_since | grep -c 'argo-core: unloaded')" 1 "argo-core logged its unload"

for m in virtio-argo argo-vsock argo-char; do
	tap_cmd "modprobe $m" modprobe $m
done
for m in argo_core $CLIENTS; do
	tap_ok $(loaded $m; echo $?) "$m loaded again"
done
tap_done
