#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 300
#
# virtio-console over Argo: 1 MiB written to the port comes back through
# the backend's echo, byte for byte.
. /rig/tap.sh
port=
for p in /sys/class/virtio-ports/*; do
	[ "$(cat "$p/name" 2>/dev/null)" = argo-echo ] && port=$(basename "$p")
done
tap_ok $([ -n "$port" ] && [ -c "/dev/$port" ]; echo $?) "the backend's port 'argo-echo' is /dev/$port"
dd if=/dev/urandom of=/tmp/src bs=4096 count=256 2>/dev/null
want=$(sha256sum </tmp/src | cut -d' ' -f1)
exec 3<>"/dev/$port"
head -c 1048576 <&3 >/tmp/got &
reader=$!
cat /tmp/src >&3
tap_ok $? "1 MiB written to /dev/$port"
i=0
while kill -0 $reader 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill $reader 2>/dev/null
exec 3>&-
tap_is "$(wc -c </tmp/got)" 1048576 "1 MiB read back in $((i / 10)).$((i % 10)) s"
tap_is "$(sha256sum </tmp/got | cut -d' ' -f1)" "$want" "the echo is byte for byte"
rm -f /tmp/src /tmp/got
tap_done
