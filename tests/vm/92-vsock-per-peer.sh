#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac-strict
# timeout: 300
#
# Booted with argo=1,mac-permissive=0: argo-vsock falls back to per-peer
# rings.  dom0 reaches itself (CID 2); a domU's connect to dom0 is refused
# with ECONNREFUSED until dom0 lists it in peers=, and then succeeds;
# dom0 connecting out to a domU that then dies gets ECONNRESET and drops
# the ring it made for it; mode=wildcard and a too small ring_kb refuse
# to load, saying why; a connect() loop over every CID leaves at most
# max_peer_rings rings, which go once idle.
. /rig/tap.sh
V=/rig/bin/vsock_cat
S=/sys/kernel/debug/argo-vsock/status
P=/sys/module/argo_vsock/parameters
tap_is "$(sed -n 's/^mode //p' $S)" per-peer "per-peer rings"
dmesg | grep -q "argo-vsock: wildcard ring refused (-1): per-peer rings; listeners accept only the domains in peers="
tap_ok $? "the fallback is explained in the kernel log"
$V echo 5100 -n 1 >/dev/null 2>&1 &
sleep 0.3
tap_is "$(echo self | $V send 2 5100)" self "dom0 -> its own CID 2"
wait

$V echo 5101 -n 0 >/dev/null 2>&1 &
echo_pid=$!
d=$(/rig/start-domu pp "f=\$($V send 2 5101 </dev/null); echo PP-FIRST \$f; i=0; until r=\$(echo hello | $V send 2 5101) && [ \"\$r\" = hello ] || [ \$i -ge 240 ]; do sleep 0.5; i=\$((i + 1)); done; echo PP-LAST \$r")
tap_ok $? "domU pp created (domid $d)"
log=/var/log/xen/console/guest-pp.log
# tag WORD: what the domU printed after the tag (its lines carry a prefix)
tag() { grep "$1" $log 2>/dev/null | tail -n 1 | tr -d '\r' | sed "s/.*$1 //"; }
i=0
until [ -n "$(tag PP-FIRST)" ] || [ $i -ge 240 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$(tag PP-FIRST)" "connect: ECONNREFUSED" "domU -> dom0 before peers= lists it: ECONNREFUSED"
echo "$d" >$P/peers
tap_is "$(cat $P/peers)" "$d" "peers= reads back $d"
tap_is "$(awk -v d="$d" '$1 == d { print $2, $3 }' $S)" "own yes" "dom0 made a ring for domain $d"
i=0
until [ -n "$(tag PP-LAST)" ] || [ $i -ge 240 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$(tag PP-LAST)" hello "domU -> dom0 once listed: echo round trip"
xl destroy pp 2>/dev/null
kill $echo_pid
wait

# dom0 connects out to a domU that lists dom0 in its peers=: dom0 makes a
# ring for it on connect, then the domU dies under a blocked reader.  The
# reader gets ECONNRESET and that ring (not a listener's) is let go.
d=$(/rig/start-domu pq "echo 0 >$P/peers; $V echo 5102 -n 0")
tap_ok $? "domU pq created (domid $d), listening with peers=0"
c=$((d + 2))
i=0
until echo x | $V send $c 5102 >/dev/null 2>&1 || [ $i -ge 240 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$(echo there | $V send $c 5102)" there "dom0 -> domU pq: echo round trip"
tap_is "$(awk -v d="$d" '$1 == d { print $2, $3 }' $S)" "own no" "dom0 made a ring for domain $d on connect"
$V hold $c 5102 >/tmp/pp-hold.out 2>&1 &
sleep 2
tap_is "$(head -n 1 /tmp/pp-hold.out)" connected "a reader blocks on pq"
xl destroy pq
i=0
until [ "$(wc -l </tmp/pp-hold.out)" -ge 2 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
case "$(sed -n 2p /tmp/pp-hold.out)" in "read: ECONNRESET"*) rc=0 ;; *) rc=1 ;; esac
tap_ok $rc "the blocked read failed with ECONNRESET"
wait
tap_is "$(awk -v d="$d" '$1 == d { print $2, $3 }' $S)" "none no" "the ring for the dead domain is gone"

rmmod argo_vsock
tap_ok $? "rmmod argo_vsock"
tap_dmesg_mark
modprobe argo_vsock mode=wildcard 2>/dev/null
tap_ok $([ $? != 0 ]; echo $?) "mode=wildcard refuses to load"
tap_dmesg_since | grep -q "argo-vsock: cannot register the wildcard ring at port 0x76730001: -1"
tap_ok $? "and says why"
tap_dmesg_mark
modprobe argo_vsock ring_kb=64 2>/dev/null
tap_ok $([ $? != 0 ]; echo $?) "ring_kb=64 refuses to load"
tap_dmesg_since | grep -q "argo-vsock: ring_kb=64: must be 128 to 16383"
tap_ok $? "and says why"

# Any local user's connect() loop over every CID (vsock_cat scan runs as
# nobody): per-peer rings made on demand stay within max_peer_rings and
# go after ring_idle_s unused, so they cannot eat the domain's 128 Argo
# rings.  Live domains: dom0 itself (CID 2) and pr.
modprobe argo_vsock max_peer_rings=1 ring_idle_s=8
tap_ok $? "modprobe argo_vsock max_peer_rings=1 ring_idle_s=8"
d=$(/rig/start-domu pr "sleep 600")
tap_ok $? "domU pr created (domid $d)"
vsrings() { awk 'NR > 1 && $1 == "0x76730001"' /sys/kernel/debug/argo/rings | wc -l; }
out=$($V scan 2 300 9999)
printf '%s\n' "$out" | sed 's/^/# /'
tap_is "$(printf '%s\n' "$out" | awk '$1 != "ok" && $1 != "other" { n += $2 } END { print n }')" 299 \
	"299 connect()s, each refused (EHOSTUNREACH, or ENOBUFS once max_peer_rings is in use)"
tap_is "$(vsrings)" 1 "after a connect() to every CID as nobody, argo-vsock has 1 ring (max_peer_rings)"
tap_is "$(sed -n 's/^peer_rings //p' $S)" "1 max 1 idle_s 8" "debugfs counts it"
# and the domain's other Argo users still get rings (Xen's quota is 128 a
# domain: what the loop left of it is what keeps them working)
argo listen -p 0 0x9210 >/dev/null 2>&1 &
lpid=$!
i=0
until q=$(argo query 0 0x9210 2>/dev/null | cut -d, -f1)
	[ "$q" = "dom0:0x9210: ring exists" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
tap_is "$q" "dom0:0x9210: ring exists" \
	"after the loop, argo-char's BIND still gets its ring"
kill $lpid 2>/dev/null
wait $lpid 2>/dev/null
i=0
until [ "$(vsrings)" = 0 ] || [ $i -ge 250 ]; do sleep 0.1; i=$((i + 1)); done
tap_is "$(vsrings)" 0 "the idle ring goes after ring_idle_s (8 s)"
$V echo 5103 -n 1 >/dev/null 2>&1 &
sleep 0.3
tap_is "$(echo again | $V send 2 5103)" again "a new connection makes a ring again"
wait
xl destroy pr
rmmod argo_vsock
modprobe argo_vsock
tap_ok $? "modprobe argo_vsock again"
tap_done
