#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 600
#
# socat moves 256 MiB (64 on the debug kernel: vsock_bulk_mib) from the
# domU to dom0 over AF_VSOCK (argo-vsock).
# The data is a pseudo-random stream; dom0's byte count and sum64 of what
# arrived (served back on port 5003) must equal the generator's.
# (sum64, not sha256: busybox hashes about 0.5 MiB/s under emulation.)
. /rig/tap.sh
V=/rig/bin/vsock_cat
mib=$(vsock_bulk_mib)
bytes=$((mib * 1048576))
t0=$(cut -d' ' -f1 /proc/uptime)
$V gen $bytes 7 2>/tmp/vs.gen | socat -u -b 65536 - VSOCK-CONNECT:2:5002
tap_is $? 0 "socat sent $mib MiB to VSOCK-CONNECT:2:5002"
t1=$(cut -d' ' -f1 /proc/uptime)
tap_diag "$mib MiB in $(awk -v a="$t0" -v b="$t1" -v m="$mib" 'BEGIN { printf "%.1f s, %.1f MiB/s", b - a, m / (b - a) }')"
sent=$(sed -n 's/^sum64 //p' /tmp/vs.gen)
i=0
until got=$($V send 2 5003 </dev/null 2>/dev/null) && [ -n "$got" ] || [ $i -ge 60 ]; do
	sleep 0.5
	i=$((i + 1))
done
tap_is "$got" "$sent" "dom0 received all $bytes bytes intact (count and sum64)"
tap_done
