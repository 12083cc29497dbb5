#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
# timeout: 240
#
# Two extra domUs: B talks to A over AF_VSOCK (domU to domU), then dom0
# holds a blocked reader and a blocked writer on A and destroys it: both
# wake with ECONNRESET within seconds, and A's CID is then unreachable.
. /rig/tap.sh
V=/rig/bin/vsock_cat
a=$(/rig/start-domu vsa "$V echo 7000 -n 0")
tap_ok $? "domU vsa created (domid $a, CID $((a + 2)))"
ca=$((a + 2))
i=0
until echo x | $V send $ca 7000 >/dev/null 2>&1 || [ $i -ge 120 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$(echo ping | $V send $ca 7000)" ping "dom0 -> vsa echo round trip"

b=$(/rig/start-domu vsb "head -c 1048576 /dev/urandom >/tmp/r; s=\$(sha256sum </tmp/r | cut -c1-64); r=\$($V send $ca 7000 </tmp/r | sha256sum | cut -c1-64); echo VSOCK-RESULT \$s \$r")
tap_ok $? "domU vsb created (domid $b)"
log=/var/log/xen/console/guest-vsb.log
i=0
until grep -q 'VSOCK-RESULT' $log 2>/dev/null || [ $i -ge 240 ]; do sleep 0.5; i=$((i + 1)); done
# the domU's output lines carry the rig's prefix: keep what follows the tag
set -- $(grep 'VSOCK-RESULT' $log | tail -n 1 | tr -d '\r' | sed 's/.*VSOCK-RESULT/VSOCK-RESULT/')
[ -n "$2" ] && [ "$2" = "$3" ]
rc=$?
tap_ok $rc "vsb -> vsa (domU to domU): 1 MiB echoed intact ($2)"
[ $rc = 0 ] || tail -n 8 $log | sed 's/^/# vsb: /'

$V hold $ca 7000 >/tmp/vs-hold-r.out 2>&1 &
$V hold $ca 7000 -w >/tmp/vs-hold-w.out 2>&1 &
sleep 3
tap_is "$(head -n 1 /tmp/vs-hold-r.out)" connected "a reader blocks on vsa"
tap_is "$(head -n 1 /tmp/vs-hold-w.out)" connected "a writer fills vsa's credit and blocks"
t0=$(cut -d' ' -f1 /proc/uptime)
xl destroy vsa
t=0
until [ "$(wc -l </tmp/vs-hold-r.out)" -ge 2 ] && [ "$(wc -l </tmp/vs-hold-w.out)" -ge 2 ] || [ $t -ge 100 ]; do
	sleep 0.1
	t=$((t + 1))
done
dt=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
tap_ok $(awk -v d="$dt" 'BEGIN { exit !(d < 10) }'; echo $?) "both woke within 10 s of the start of xl destroy ($dt s)"
r=$(sed -n 2p /tmp/vs-hold-r.out)
w=$(sed -n 2p /tmp/vs-hold-w.out)
tap_diag "$r"
tap_diag "$w"
case "$r" in "read: ECONNRESET (SO_ERROR"*) rc=0 ;; *) rc=1 ;; esac
tap_ok $rc "the blocked read failed with ECONNRESET"
# a write that had sent part of its buffer returns that count; the next
# one finds the socket closed (ENOTCONN): SO_ERROR says why
case "$w" in "write: ECONNRESET (SO_ERROR"* | "write: ENOTCONN (SO_ERROR ECONNRESET)"*) rc=0 ;; *) rc=1 ;; esac
tap_ok $rc "the blocked write failed, the socket's error is ECONNRESET"
wait
tap_is "$($V send $ca 7000 </dev/null)" "connect: EHOSTUNREACH" "connect to the destroyed domain's CID: EHOSTUNREACH"
xl destroy vsb 2>/dev/null
dmesg | grep -q "argo-vsock: domain $a is gone or has no argo-vsock ring for us (-104): 2 socket(s) reset"
tap_ok $? "dom0 logged the reset of vsa's 2 sockets"
tap_done
