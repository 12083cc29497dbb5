#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 180
#
# AF_VSOCK from a domU over argo-vsock: the CID mapping, stream and
# seqpacket round trips with dom0 (CID 2) and with itself (loopback through
# Argo), the exact errno of each failed connect, and forged packets
# dropped with the rule they broke.
. /rig/tap.sh
V=/rig/bin/vsock_cat
S=/sys/kernel/debug/argo-vsock/status
domid=$(sed -n 's/^domid //p' /sys/kernel/debug/argo/status)
cid=$($V cid)
tap_is "$cid" $((domid + 2)) "IOCTL_VM_SOCKETS_GET_LOCAL_CID is domid + 2"
tap_is "$(sed -n 's/^cid //p' $S)" "$cid" "debugfs shows the same CID"
tap_is "$(sed -n 's/^mode //p' $S)" wildcard "one wildcard ring (Xen is mac-permissive)"
# the line of the load, kept by /init: 66's storm may have pushed it out
{ cat /run/dmesg-at-load; dmesg; } 2>/dev/null |
	grep -q "argo-vsock: CID $cid (domain $domid), wildcard ring of 1048576 bytes at port 0x76730001, guest-to-host"
tap_ok $? "registered as the guest-to-host transport"

head -c 4194304 /dev/urandom >/tmp/vs4m
want=$($V sum </tmp/vs4m)
# dom0's servers start before the domU; give them a moment on a slow boot
i=0
until echo x | $V send 2 5000 >/dev/null 2>&1 || [ $i -ge 20 ]; do sleep 0.5; i=$((i + 1)); done
got=$($V send 2 5000 </tmp/vs4m | $V sum)
tap_is "$got" "$want" "4 MiB stream echo through dom0 (CID 2) intact"
got=$($V send 2 5001 -s </tmp/vs4m | $V sum)
tap_is "$got" "$want" "4 MiB seqpacket echo through dom0 intact"
$V echo 6000 -n 1 >/dev/null 2>&1 &
$V echo 6001 -s -n 1 >/dev/null 2>&1 &
sleep 0.3
got=$($V send "$cid" 6000 </tmp/vs4m | $V sum)
tap_is "$got" "$want" "4 MiB stream echo to our own CID $cid intact"
got=$($V send "$cid" 6001 -s </tmp/vs4m | $V sum)
tap_is "$got" "$want" "4 MiB seqpacket echo to our own CID $cid intact"
rm -f /tmp/vs4m
wait

tap_is "$($V send 2 5999 </dev/null)" "connect: ECONNRESET" "no listener on dom0's port: ECONNRESET"
tap_is "$($V send 77 5999 </dev/null)" "connect: EHOSTUNREACH" "CID 77 (no domain 75): EHOSTUNREACH"
tap_is "$($V send 1 5999 </dev/null)" "connect: EHOSTUNREACH" "CID 1 without vsock_loopback: EHOSTUNREACH"
tap_is "$($V send 0 5999 </dev/null)" "connect: EHOSTUNREACH" "CID 0 (the hypervisor): EHOSTUNREACH"

# forged packets, sent to ourselves through /dev/argo
before=$(sed -n 's/^rx_dropped //p' $S)
tap_dmesg_mark
/rig/bin/vsock_forge "$domid" >/tmp/vs-forge.out
tap_ok $? "vsock_forge sent its packets"
sleep 1
tap_is "$(sed -n 's/^rx_dropped //p' $S)" $((before + $(wc -l </tmp/vs-forge.out))) \
	"every forged packet dropped ($(wc -l </tmp/vs-forge.out))"
while read -r rule; do
	tap_dmesg_since | grep -F "argo-vsock: dropped a packet from domain $domid port " |
		grep -qF "): $rule"
	tap_ok $? "logged: $rule"
done </tmp/vs-forge.out
got=$($V send 2 5000 </rig/tap.sh | $V sum)
tap_is "$got" "$($V sum </rig/tap.sh)" "sockets still work after the forged packets"

# The wildcard ring lost: argo-core's lose_ring (debugfs) does what a
# restore that cannot register the ring again does.  Every socket is
# reset with its errno, a connect fails with it at once, and the ring is
# offered to the hypervisor again 10 s later.  (Our own CID: dom0's
# echo server would exit on the reset.)
$V echo 6002 -n 1 >/dev/null 2>&1 &
sleep 0.3
$V hold "$cid" 6002 >/tmp/vs-hold.out 2>&1 &
hp=$!
i=0
until grep -q connected /tmp/vs-hold.out || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
tap_dmesg_mark
t0=$(cut -d' ' -f1 /proc/uptime)
echo "76730001 32756 13" >/sys/kernel/debug/argo/lose_ring
tap_ok $? "lose_ring takes the wildcard ring away (EACCES)"
tap_is "$($V send 2 5000 </dev/null)" "connect: EACCES" "a new connect fails with its errno at once"
i=0
while kill -0 $hp 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
tap_is "$(sed -n 2p /tmp/vs-hold.out | cut -d' ' -f1-2)" "read: EACCES" \
	"a reader blocked on a connection wakes with it within 5 s"
tap_dmesg_since | grep -q "argo-vsock: wildcard ring lost (-13): [1-9][0-9]* socket(s) reset; retried every 10 s"
tap_ok $? "logged: wildcard ring lost (-13): N socket(s) reset; retried every 10 s"
i=0
until tap_dmesg_since | grep -q "argo-vsock: wildcard ring registered again" || [ $i -ge 200 ]; do
	sleep 0.1; i=$((i + 1))
done
dt=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }')
tap_ok $([ $i -lt 200 ] && [ "$dt" -ge 9 ]; echo $?) "registered again after 10 s ($dt s)"
got=$($V send 2 5000 </rig/tap.sh | $V sum)
tap_is "$got" "$($V sum </rig/tap.sh)" "and sockets work again"
wait
tap_done
