#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0 side of the vsock tests: dom0 is CID 2, argo-vsock registered both
# roles, and AF_VSOCK servers run in the background while the domU runs:
# stream and seqpacket echo (ports 5000, 5001), and a socat sink on 5002
# whose sha256 is served on 5003 once the stream ended.
. /rig/tap.sh
V=/rig/bin/vsock_cat
tap_is "$($V cid)" 2 "dom0's CID is 2 (VMADDR_CID_HOST)"
dmesg | grep -q "argo-vsock: CID 2 (domain 0), wildcard ring of 1048576 bytes at port 0x76730001, host-to-guest and guest-to-host"
tap_ok $? "argo-vsock registered host-to-guest and guest-to-host, wildcard ring"
$V echo 5000 -n 0 >/tmp/vs-echo.out 2>&1 &
$V echo 5001 -s -n 0 >/tmp/vs-seq.out 2>&1 &
(socat -u -b 65536 VSOCK-LISTEN:5002 - | $V sum >/tmp/vs-bulk.sum
 $V serve 5003 </tmp/vs-bulk.sum) >/tmp/vs-bulk.out 2>&1 &
sleep 0.5
tap_done
