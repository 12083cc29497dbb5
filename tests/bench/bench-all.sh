#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-all.sh [SECONDS [ROUNDS]]: every Argo data path beside Xen's PV
# baseline, in one boot (`make bench`: scripts/bench runs this in dom0,
# with the Xen tools, and prints the table).  dom0 starts two domUs and
# drives them through their vsock agents (/rig/mac.sh's `on`):
#   g    the guest (10.0.0.11 on Xen's PV network);
#   drv  a driver domain (10.0.0.10), 512 MiB, with a bridge br0
#        (192.168.77.1) and argo-virtio-backend --net serving g.
# g gets, from one 128 MiB image file in dom0, /dev/vda through
# virtio-argo (argo-virtio-backend --blk in dom0) and /dev/xvdb through
# blkfront (blkback on a loop device), and a virtio_net card from drv
# (192.168.77.11); its virtio-argo has two backends, dom0 and drv.
#
# Measured, each path beside its baseline, the two alternated within
# every round and the best of ROUNDS kept for each:
#   blk     blk_bench on /dev/vda and /dev/xvdb, one test at a time, the
#           device that goes first swapped every round (so that neither
#           always inherits the other's dirty state or warm caches);
#   net     sock_bench client in g (g -> drv) and in drv (drv -> g),
#           TCP over virtio-net against TCP over netfront;
#   vsock   sock_bench client in g to drv (guest <-> guest) and to dom0,
#           argo-vsock against TCP over netfront;
#   argo    argo_bench client in g to dom0, 64 KiB messages, against
#           memcpy of the same size in g (it measures both);
# and the Argo ring memory of g and drv (the sum of the ring sizes in
# argo-core's /sys/kernel/debug/argo/rings), everything loaded and used.
#
# Output: the programs' own lines as they come, and for scripts/bench
#   PLAN|ROWS|RINGS   first: how many ROW and RING lines a whole run has
#   KERNEL|RELEASE
#   ROW|PATH|METRIC|UNIT|ARGO|BASELINE|RATIO|TARGET
#   RING|WHO|KIB|RINGS  (WHO: "guest g", "driver domain drv")
# RATIO is Argo / baseline, or baseline / Argo for times (unit us): above
# 1, Argo is better.  A failed measurement gives a ROW with 0 and the exit
# status 1; a missed target is only reported (by scripts/bench).
secs=${1:-3}
rounds=${2:-3}
MAC=/tmp/bench
. /rig/mac.sh
. /rig/bin/bench-lib.sh
mkdir -p $MAC
# The longest command: a sock_bench client, 2 paths x 2 tests x ROUNDS.
ON_SECONDS=$((4 * secs * rounds + 120))
agent="socat -t $ON_SECONDS VSOCK-LISTEN:$MAC_AGENT,reuseaddr,fork EXEC:/bin/sh,stderr"
status=0

fail() {
	echo "bench-all: error: $*" >&2
	for d in g drv; do
		[ -f /var/log/xen/console/guest-$d.log ] || continue
		echo "bench-all: the end of $d's console:" >&2
		tail -n 15 /var/log/xen/console/guest-$d.log | tr -d '\r' | sed "s/^/  $d: /" >&2
	done
	for f in $MAC/backend.log $MAC/attach.log; do
		[ -s "$f" ] && sed "s|^|  $f: |" "$f" >&2
	done
	[ -s $MAC/drv.domid ] && on drv 'cat /tmp/backend.log 2>/dev/null' | sed 's|^|  drv: /tmp/backend.log: |' >&2
	exit 1
}

# row PATH METRIC UNIT ARGO BASELINE TARGET: one line for scripts/bench;
# a figure missing or zero makes the run fail
row() {
	awk -v p="$1" -v m="$2" -v u="$3" -v a="$4" -v b="$5" -v t="$6" 'BEGIN {
		if (a == "") a = 0
		if (b == "") b = 0
		r = 0
		if (a + 0 > 0 && b + 0 > 0)
			r = u == "us" ? b / a : a / b
		printf "ROW|%s|%s|%s|%s|%s|%.2f|%s\n", p, m, u, a, b, r, t
		exit !(r > 0) }' || status=1
}

# sock NAME A B PATH STREAM-METRIC RTT-METRIC TARGET: sock_bench's client
# in domain NAME against A (Argo) and B (TCP over netfront), alternated
# ROUNDS times; its table's two figures per path become two rows
sock() {
	on "$1" "/rig/bin/sock_bench client $2 $3 6100 $secs $rounds Argo netfront" >$MAC/sock.out
	cat $MAC/sock.out
	set -- "$4" "$5" "$6" "$7" \
		"$(awk -F'|' '/^\| stream throughput/ { gsub(/ /, ""); print $3, $4 }' $MAC/sock.out)" \
		"$(awk -F'|' '/^\| round trip/ { gsub(/ /, ""); print $3, $4 }' $MAC/sock.out)"
	row "$1" "$2" MiB/s "${5% *}" "${5#* }" "$4"
	row "$1" "$3" us "${6% *}" "${6#* }" "$4"
}

# ring_kib NAME: "KIB RINGS" of the Argo rings domain NAME registered,
# from the rings file $MAC/rings.NAME
ring_kib() {
	awk '$1 ~ /^0x/ { kib += $3 / 1024; n++ } END { printf "%d %d\n", kib, n }' $MAC/rings.$1
}

# 5 blk, 4 net, 2 + 2 vsock, 1 /dev/argo; the rings of g and drv
echo "PLAN|14|2"
echo "KERNEL|$(uname -r)"
echo "bench-all: $rounds round(s) of $secs s, in dom0 $(uname -r)"

# ---- dom0: servers, the image file -----------------------------------------
# dom0 is the backend here, not a guest of its own backend.
rmmod virtio_argo 2>/dev/null
modprobe -a xen-blkback loop || fail "modprobe xen-blkback loop"
dd if=/dev/zero of=$MAC/bench.img bs=1M count=128 2>/dev/null || fail "no room for the image"
setsid /rig/bin/sock_bench server 6100 </dev/null >$MAC/sock-server.log 2>&1 &
setsid /rig/bin/argo_bench server 0x3000 </dev/null >$MAC/argo-server.log 2>&1 &

# ---- the two domUs -----------------------------------------------------------
bench_domains "$agent"
# g booted with virtio-argo loaded for dom0's backend: it loads it again
# below with both of its backends
on g "rmmod virtio_argo; modprobe -a xen-blkfront virtio_blk virtio_net" >/dev/null

# ---- g's disks: one image, two ways ------------------------------------------
argo-virtio-backend --blk $MAC/bench.img,guest=$g </dev/null >$MAC/backend.log 2>&1 &
loop=$(losetup -f) && losetup "$loop" $MAC/bench.img || fail "losetup"
# xl create may still be storing the domain's configuration (libxl then
# answers ERROR_JSON_CONFIG_EMPTY): retry for a while.
for i in 1 2 3 4 5 6 7 8 9 10; do
	xl block-attach g "format=raw,vdev=xvdb,access=rw,script=/rig/bin/xen-block-phy,target=$loop" \
		>>$MAC/attach.log 2>&1 && break
	sleep 2
done
mac_wait_ring dom0 0x76690001
mac_wait_ring drv 0x76690001
on g "modprobe virtio-argo backends=0,$drv" >/dev/null
# /dev/vda (virtio-argo), /dev/xvdb (blkfront), and the interface
# virtio_net made (netfront's eth0 is there too)
dev=
i=0
while [ $i -lt 120 ]; do
	dev=$(on g '[ -b /dev/vda ] && [ -b /dev/xvdb ] && for n in /sys/class/net/*; do
		[ "$(basename "$(readlink $n/device/driver)")" = virtio_net ] && basename $n
	done')
	[ -n "$dev" ] && break
	sleep 0.5
	i=$((i + 1))
done
[ -n "$dev" ] || fail "g's devices did not all appear: $(on g 'ls /dev/vda /dev/xvdb /sys/class/net; dmesg | grep -i -e virtio-argo -e blkfront | tail -n 8' | tr '\n' ' ')"
on g "ip addr add 192.168.77.11/24 dev $dev; ip link set $dev up" >/dev/null
for a in 192.168.77.1 10.0.0.10 10.0.0.1; do
	[ "$(mac_until g "ping -c 1 -W 1 $a >/dev/null 2>&1 && echo yes" yes 30)" = yes ] ||
		fail "g cannot reach $a"
done
echo "bench-all: dom0 d0, driver domain drv d$drv, guest g d$g: /dev/vda (virtio-argo) and /dev/xvdb (blkfront) on $MAC/bench.img, $dev (virtio-argo net from drv)"

# ---- blk -------------------------------------------------------------------
BLK="blk: virtio-argo vs blkfront, one image"
echo
echo "== blk: $rounds round(s), $secs s per test and device, O_DIRECT"
r=1
while [ $r -le $rounds ]; do
	for t in seq-read seq-write rand-read-4k rand-write-4k rand-read-4k-qd32; do
		order="/dev/vda /dev/xvdb"
		[ $((r % 2)) = 0 ] && order="/dev/xvdb /dev/vda"
		for d in $order; do
			out=$(on g "/rig/bin/blk_bench $d $secs 64 $t")
			echo "round $r $d: $out"
			printf '%s\n' "$out" | awk -v d=$d -v t=$t '$1 == t { print d, t, $3 }' >>$MAC/blk.txt
		done
	done
	r=$((r + 1))
done
# best DEV TEST: the highest figure of DEV in TEST
# (the figure as blk_bench printed it)
best() { awk -v d="$1" -v t="$2" '$1 == d && $2 == t && $3 + 0 > b + 0 { b = $3 } END { print b }' $MAC/blk.txt; }
blk() { row "$BLK" "$2" "$3" "$(best /dev/vda "$1")" "$(best /dev/xvdb "$1")" 1.0; }
blk seq-read "seq-read 1 MiB" MiB/s
blk seq-write "seq-write 1 MiB" MiB/s
blk rand-read-4k "rand-read 4 KiB, QD1" IOPS
blk rand-write-4k "rand-write 4 KiB, QD1" IOPS
blk rand-read-4k-qd32 "rand-read 4 KiB, QD32" IOPS

# ---- sockets -----------------------------------------------------------------
echo
echo "== net: TCP over virtio-argo's virtio-net vs over netfront, g -> drv"
sock g 192.168.77.1 10.0.0.10 "net: virtio-argo vs netfront, guest <-> driver domain" \
	"stream g -> drv" "round trip g -> drv" 1.0
echo "== net: the same, drv -> g"
sock drv 192.168.77.11 10.0.0.11 "net: virtio-argo vs netfront, guest <-> driver domain" \
	"stream drv -> g" "round trip drv -> g" 1.0
echo "== vsock: argo-vsock vs TCP over netfront, g -> drv (CID $((drv + 2)))"
sock g $((drv + 2)) 10.0.0.10 "vsock: argo-vsock vs TCP netfront, domU <-> domU" \
	"stream g -> drv" "round trip g -> drv" 2.0
echo "== vsock: argo-vsock vs TCP over netfront, g -> dom0 (CID 2)"
sock g 2 10.0.0.1 "vsock: argo-vsock vs TCP netfront, domU <-> dom0" \
	"stream g -> dom0" "round trip g -> dom0" 1.5

# ---- /dev/argo -----------------------------------------------------------------
echo
echo "== /dev/argo: 64 KiB messages g -> dom0, against memcpy in g"
: >$MAC/argo.txt
r=1
while [ $r -le $rounds ]; do
	out=$(on g "/rig/bin/argo_bench client 0 0x3000 $secs 65536")
	printf '%s\n' "$out"
	# size msgs/s MB/s memcpy-MB/s ratio rtt
	printf '%s\n' "$out" | awk '$1 == 65536 { print $3, $4 }' >>$MAC/argo.txt
	r=$((r + 1))
done
row "/dev/argo vs memcpy, domU -> dom0" "64 KiB messages" MB/s \
	"$(awk '$1 + 0 > b + 0 { b = $1 } END { print b }' $MAC/argo.txt)" \
	"$(awk '$2 + 0 > b + 0 { b = $2 } END { print b }' $MAC/argo.txt)" 0.35

# ---- ring memory ---------------------------------------------------------------
# Everything is loaded and has been used: g's virtio-argo (a ring per
# backend) and argo-vsock; drv's argo-vsock and its backend's /dev/argo ring.
echo
echo "== Argo rings registered (argo-core's debugfs)"
for d in g:guest drv:driver\ domain; do
	n=${d%%:*}
	on $n 'cat /sys/kernel/debug/argo/rings' >$MAC/rings.$n
	sed "s/^/  $n: /" $MAC/rings.$n
	set -- $(ring_kib $n)
	echo "RING|${d#*:} $n|${1:-0}|${2:-0}"
	[ "${1:-0}" -gt 0 ] || status=1
done
exit $status
