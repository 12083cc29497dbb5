#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 600
#
# socat moves 256 MiB from the domU to dom0 over AF_VSOCK (argo-vsock);
# dom0's sha256 of what arrived must equal the domU's of what it sent.
. /rig/tap.sh
V=/rig/bin/vsock_cat
rm -f /tmp/vs.fifo && mkfifo /tmp/vs.fifo
sha256sum </tmp/vs.fifo | cut -c1-64 >/tmp/vs.sent &
t0=$(date +%s)
head -c 268435456 /dev/urandom | tee /tmp/vs.fifo | socat -u - VSOCK-CONNECT:2:5002
tap_is $? 0 "socat sent 256 MiB to VSOCK-CONNECT:2:5002"
wait
t1=$(date +%s)
tap_diag "256 MiB in $((t1 - t0)) s, random generation and checksums included"
i=0
until got=$($V send 2 5003 </dev/null 2>/dev/null) && [ -n "$got" ] || [ $i -ge 60 ]; do
	sleep 0.5
	i=$((i + 1))
done
tap_is "$got" "$(cat /tmp/vs.sent)" "dom0 received the 256 MiB intact (sha256)"
tap_done
