#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 600
#
# A hostile backend (tests/progs/va_hostile.c) behaves until the guest
# reads sector 1000 of its disk, then breaks the protocol in one way per
# round.  Each time the read fails with an error instead of hanging, dmesg
# names the broken rule, the device goes away, and the guest stays clean
# (panic_on_warn is on, and the rig fails on any BUG or WARNING).  Other
# rounds misbehave while serving, or in CONNECT: a protocol 1 backend, a
# refusal, answers outside what the guest offered, a record size of 1024
# bytes kept to by both sides, a HOLD that was not negotiated.
. /rig/tap.sh
self=$(argo info | sed -n 's/^domid //p')
modprobe virtio_blk
rmmod virtio-argo 2>/dev/null

# wait_for SECS CMD: until the shell command CMD succeeds, at most SECS
wait_for() {
	_n=$(($1 * 10))
	while ! eval "$2" && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	eval "$2"
}
# hostile MODE: (re)start the backend, its log /tmp/h.log, and wait
# until it listens: a guest that finds no ring says so, and only that
hostile() {
	/rig/bin/va_hostile "$1" >/tmp/h.log 2>&1 &
	hpid=$!
	wait_for 5 "grep -q 'listening on port' /tmp/h.log"
}
# start MODE: the backend, and virtio-argo towards it
start() {
	hostile "$1"
	tap_dmesg_mark
	modprobe virtio-argo backends="$self" timeout_ms=2000
}
wait_disk() {
	wait_for 20 '[ -b /dev/vda ]'
}
devices() {
	ls /sys/bus/virtio/devices | wc -l
}
gone() {	# MODE: the device goes away
	wait_for 20 '[ -z "$(ls /sys/bus/virtio/devices)" ]'
	tap_is "$(devices)" 0 "$1: the device is removed"
}
# finish MODE EXPECTED-DMESG [HOOK]: once the disk is there, HOOK MODE,
# then the read at sector 1000 (the trigger) fails; the guest says why
finish() {
	if ! wait_disk; then
		tap_ok 1 "$1: the hostile backend's disk appears"
	else
		[ -n "$3" ] && $3 "$1"
		# An error, or end-of-file when the disk is already gone.
		n=$(dd if=/dev/vda bs=4096 skip=125 count=1 2>/dev/null | wc -c)
		tap_is "$n" 0 "$1: the read at sector 1000 returns no data"
	fi
	gone "$1"
	tap_dmesg_since | grep -q "$2"
	tap_ok $? "$1: dmesg says '$2'"
	tap_dmesg_since | grep 'virtio-argo' | grep -v 'loaded\|unloaded' | sed 's/^/# /' | head -n 3
	rmmod virtio-argo
	tap_is $? 0 "$1: rmmod virtio-argo"
	kill $hpid 2>/dev/null
	wait $hpid 2>/dev/null
}
round() {	# MODE EXPECTED-DMESG [HOOK]
	start "$1"
	finish "$@"
}
# what the backend answered to CONNECT (its last answer)
connect_answer() {
	sed -n 's/.*: answered \(revision .*\)/\1/p' /tmp/h.log | tail -n 1
}
round truncated 'protocol violation: msg_size beyond the end of the message'
round wrong-chain 'broken: USED_CHAIN for a chain that is not outstanding'
round oversize "broken: total larger than the chain's buffers"
round bad-offset 'broken: fragment offset out of sequence'
round unknown-device 'protocol violation: USED_CHAIN for an unknown device'
round bad-queue 'broken: USED_CHAIN for a queue that is not set up'
round garbage 'protocol violation: \|backend stopped answering'
round unsolicited 'protocol violation: response matches no outstanding request'
round silent 'backend stopped answering'
# argo-core's watch of the backend's ring (twice a second) usually
# notices first; a send in between finds no ring instead
round exit 'its ring at port 0x76690001 is gone (-104)\|no backend listening at port 0x76690001'

# A HOLD that CONNECT did not settle: the backend answered no feature
# (the guest offered VA_F_HOLD), then completes the read with HOLD.
nohold_connect() {
	tap_is "$(connect_answer)" 'revision 1 max_size 65535 features 0x0' \
		"$1: CONNECT settled no feature"
}
round nohold 'broken: USED_CHAIN with HOLD, which was not negotiated' nohold_connect

# Memory windows (protocol section 13): the backend agreed VA_F_WINDOWS,
# so the disk has a DMA parent of its own, and at the trigger asks for
# memory its driver never mapped for it: each request is answered with
# the exact errno and no byte, then a request of 0 bytes breaks the rules.
windows_connect() {
	tap_is "$(connect_answer)" 'revision 1 max_size 65535 features 0x3' \
		"$1: CONNECT settled HOLD and windows"
	tap_is "$(basename "$(readlink -f /sys/bus/virtio/devices/virtio*/..)")" \
		"va$self-dev1" "$1: the device's parent is its own (va$self-dev1)"
}
round windows 'broken: memory window request of a bad length' windows_connect
for l in 'MEM_READ dev 1 0x1000+64: error 14 (0 bytes)' \
	'MEM_WRITE dev 1 0x2000+16: error 14 (0 bytes)' \
	'MEM_READ dev 1 0xfffffffffffffff8+16: error 14 (0 bytes)' \
	'MEM_READ dev 7 0x1000+16: error 19 (0 bytes)'; do
	grep -qF "$l" /tmp/h.log
	tap_ok $? "windows: answered $l"
done
tap_is "$(grep -c 'MEM_' /tmp/h.log)" 4 "windows: no answer to the request of 0 bytes"
tap_dmesg_since | grep -q 'asked to read 64 bytes at 0x1000, outside what its driver mapped for it: refused (EFAULT)'
tap_ok $? "windows: the guest logs the refused read"

# A protocol 1 backend: it drops every message of protocol 2's Argo type,
# CONNECT included, and answers nothing.  The guest says so once, however
# often it tries again, and has no device; then, without a reload, it
# connects to the protocol 2 backend that replaces it ("small" below).
hostile v1
tap_dmesg_mark
modprobe virtio-argo backends="$self" timeout_ms=2000
wait_for 10 'tap_dmesg_since | grep -q CONNECT'
tap_ok $? "v1: dmesg has a line about CONNECT"
tap_dmesg_since | grep CONNECT | sed 's/^/# /'
tap_dmesg_since | grep CONNECT | grep -q 'protocol 2'
tap_ok $? "v1: the line names protocol 2"
grep -q 'dropped message 1 of type 0x56410002 (24 bytes; first record type 0x02 id 0x80)' /tmp/h.log
tap_ok $? "v1: the guest's first message is a CONNECT alone, Argo type 0x56410002"
wait_for 10 "grep -q 'dropped message 2 ' /tmp/h.log"
tap_ok $? "v1: the guest sends CONNECT again"
sleep 2.5	# that one's timeout
tap_is "$(tap_dmesg_since | grep -c CONNECT)" 1 \
	"v1: one line, for $(grep -c 'dropped message' /tmp/h.log) CONNECTs unanswered"
tap_is "$(devices)" 0 "v1: no device"
kill $hpid 2>/dev/null
wait $hpid 2>/dev/null

# small: CONNECT settles records of 1024 bytes, the least allowed.  Both
# sides keep to it: chains of several KiB go in fragments of at most
# 1024 - 28 bytes, and work.  At the trigger the backend sends a record
# of 2076 bytes.
small_io() {
	tap_is "$(connect_answer)" 'revision 1 max_size 1024 features 0x1' \
		"$1: CONNECT settled records of 1024 bytes"
	dd if=/dev/zero of=/dev/vda bs=65536 count=1 oflag=direct 2>/dev/null
	tap_ok $? "$1: a 64 KiB write is answered"
	dd if=/dev/vda of=/tmp/r bs=65536 count=1 iflag=direct 2>/dev/null
	tap_is "$(wc -c </tmp/r) $(tr -d '\000' </tmp/r | wc -c)" '65536 0' \
		"$1: a 64 KiB read is answered, with its zeros"
	sz=$(sed -n 's/.*largest record \([0-9]*\) bytes, largest AVAIL_CHAIN data \([0-9]*\) bytes/\1 \2/p' /tmp/h.log | tail -n 1)
	[ -n "$sz" ] || sz='0 0'
	rec=${sz% *}
	frag=${sz#* }
	tap_ok $((rec > 1024 || frag > 996 || frag < 1)) \
		"$1: the guest's records of at most 1024 bytes, AVAIL_CHAIN data of at most 996 (largest: $rec, $frag)"
	tap_is "$(grep -c 'record larger than' /tmp/h.log)" 0 \
		"$1: the backend dropped no record of the guest's as too large"
}
hostile small
finish small 'protocol violation: record larger than the negotiated maximum' small_io

# Backends that keep serving while they misbehave, and lifetimes a backend
# can drive.  Each waits in the background with a deadline, since a hang
# here is a task in D state that no signal ends.

# deadline SECS CMD: run CMD in the background; "done" or "hung"
deadline() {
	rm -f /tmp/dl.done
	( eval "$2"; echo done >/tmp/dl.done ) &
	i=0
	while [ ! -e /tmp/dl.done ] && [ $i -lt $(($1 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	[ -e /tmp/dl.done ] && echo done || echo hung
}
stop() {	# MODE
	tap_is "$(deadline 60 'rmmod virtio-argo')" done "$1: rmmod virtio-argo returns"
	kill $hpid 2>/dev/null
	wait $hpid 2>/dev/null
}

# A completion held back (VA_CHAIN_HOLD) and never released: the backend
# exits, or goes on answering PINGs.  The read returns the bytes the
# backend did send (its group will not come) instead of hanging: when
# the backend exits, argo-core's watch of its ring fails the device
# within a second; when it stays, the held entry's timeout (timeout_ms,
# here 2 s) does.
for m in hold-exit hold-forever; do
	start $m
	wait_disk
	tap_ok $? "$m: the disk appears"
	tap_is "$(connect_answer)" 'revision 1 max_size 65535 features 0x1' \
		"$m: CONNECT settled VA_F_HOLD"
	# O_DIRECT: one request, the read's own, no readahead beside it
	tap_is "$(deadline 30 'dd if=/dev/vda bs=4096 skip=125 count=1 iflag=direct 2>/tmp/dd.err | wc -c >/tmp/n')" \
		done "$m: the read at sector 1000 returns"
	# an exit noticed before its HOLD record was read fails the read
	n=$(cat /tmp/n 2>/dev/null)
	[ $m = hold-exit ] && [ "$n" = 0 ] && n=4096
	tap_is "$n" 4096 "$m: with the 4096 bytes the backend sent (hold-exit: or an error)"
	[ "$n" = 4096 ] || { sed 's/^/# dd: /' /tmp/dd.err; tap_dmesg_since | tail -n 5 | sed 's/^/# /'; }
	gone $m
	want='completed chains held back (VA_CHAIN_HOLD) beyond the timeout'
	[ $m = hold-exit ] && want='its ring at port 0x76690001 is gone (-104)'
	tap_dmesg_since | grep -q "$want"
	tap_ok $? "$m: dmesg says '$want'"
	stop $m
done

# The guest drops the device on its own (GET_CONFIG answers another
# range than asked); the EVENT_CONFIGs that still come for it are not a protocol
# violation that would fail the backend's other devices.
start config-drop
wait_disk
tap_ok $? "config-drop: the disk appears"
tap_is "$(dd if=/dev/vda bs=4096 skip=125 count=1 iflag=direct 2>/dev/null | wc -c)" 4096 \
	"config-drop: the read at sector 1000 is answered"
gone config-drop
tap_dmesg_since | grep -q 'GET_CONFIG answered another range'
tap_ok $? "config-drop: dmesg says 'GET_CONFIG answered another range'"
# the backend sends one more EVENT_CONFIG after each PING (every 5 s)
sleep 7
tap_is "$(tap_dmesg_since | grep -c 'protocol violation\|failing its devices')" 0 \
	"config-drop: events for the dropped device are ignored, the backend is not failed"
stop config-drop

# More devices than a guest may have (64), offered over several pages.
start many-devices
i=0; n=0
while [ $i -lt 300 ]; do
	n=$(ls /sys/bus/virtio/devices | wc -l)
	tap_dmesg_since | grep -q 'offers more than 64 devices' && [ "$n" -ge 64 ] && break
	sleep 0.1; i=$((i + 1))
done
tap_is "$(ls /sys/bus/virtio/devices | wc -l)" 64 "many-devices: 64 of the 100 devices registered"
tap_dmesg_since | grep -q 'offers more than 64 devices: device 65 and later not added'
tap_ok $? "many-devices: dmesg says 'offers more than 64 devices: device 65 and later not added'"
stop many-devices

# The ring's features are the transport's: VIRTIO_F_IN_ORDER offered by
# the backend is not negotiated (USED_CHAIN completes in any order).
start in-order
wait_disk
tap_ok $? "in-order: the disk appears"
f=$(cat /sys/bus/virtio/devices/*/features)
tap_is "$(echo "$f" | cut -c33)$(echo "$f" | cut -c36)" 10 \
	"in-order: VERSION_1 negotiated, IN_ORDER (bit 35) not ($f)"
tap_is "$(dd if=/dev/vda bs=4096 count=1 2>/dev/null | wc -c)" 4096 "in-order: a read is answered"
stop in-order

# Type bits 2-7 set in every record the backend sends, its PING too:
# the guest ignores them, and it answers the backend's PING.
start type-bits
wait_disk
tap_ok $? "type-bits: the disk appears"
dd if=/dev/zero of=/dev/vda bs=65536 seek=16 count=1 oflag=direct 2>/dev/null
tap_ok $? "type-bits: a 64 KiB write is answered"
tap_is "$(dd if=/dev/vda bs=65536 skip=16 count=1 iflag=direct 2>/dev/null | wc -c)" 65536 \
	"type-bits: a 64 KiB read at sector 2048 is answered"
wait_for 5 "grep -q 'answered our PING' /tmp/h.log"
tap_ok $? "type-bits: the guest answers the backend's PING"
tap_is "$(tap_dmesg_since | grep -c 'protocol violation\|broken\|ignoring\|failing')" 0 \
	"type-bits: no record refused or ignored"
stop type-bits

# The answer to a reset and a USED_CHAIN for the queue's last chain in one
# Argo message, over 20 resets (unbinding virtio_blk resets the device):
# the record after the answer is dropped, however soon the driver comes
# back, instead of being taken for a protocol violation that fails the
# device.  (virtio_blk has no chain outstanding at a reset, so nothing
# could be copied here; va_reset() keeps copies out for drivers that do.)
start reset-used
wait_disk
tap_ok $? "reset-used: the disk appears"
d=$(ls /sys/bus/virtio/devices)
for r in $(seq 20); do
	echo "$d" >/sys/bus/virtio/drivers/virtio_blk/unbind
	echo "$d" >/sys/bus/virtio/drivers/virtio_blk/bind
done
wait_disk
tap_is "$(dd if=/dev/vda bs=4096 skip=8 count=1 iflag=direct 2>/dev/null | wc -c)" 4096 \
	"reset-used: a read after 20 resets is answered"
n=$(grep -c 'USED_CHAIN in the answer' /tmp/h.log)
tap_ok $((n < 20)) "reset-used: at least 20 resets answered so ($n)"
tap_is "$(tap_dmesg_since | grep -c 'protocol violation\|broken\|failing its devices')" 0 \
	"reset-used: no device failed"
stop reset-used

# EVENT_CONFIG as fast as the guest takes them, during I/O and during the
# device's removal (rmmod), three times over: no use after free, and
# every read answered with its data.
for r in 1 2 3; do
	start config-storm
	wait_disk
	tap_ok $? "config-storm $r: the disk appears"
	ok=0
	for s in 0 8 16 24 32 40 48 56; do
		n=$(dd if=/dev/vda bs=4096 skip=$s count=1 iflag=direct 2>/dev/null | wc -c)
		[ "$n" = 4096 ] && ok=$((ok + 1))
	done
	tap_is "$ok" 8 "config-storm $r: 8 of 8 reads answered during the storm"
	stop "config-storm $r"
done

# CONNECT refused (revision 0): one line, however often the guest tries
# again, and no device.
start refuse
wait_for 10 'tap_dmesg_since | grep -q refuses'
tap_ok $? "refuse: dmesg says the backend refuses"
tap_dmesg_since | grep refuses | sed 's/^/# /'
# the guest tries again after 2 s
wait_for 6 '[ "$(grep -c "answered revision 0" /tmp/h.log)" -ge 2 ]'
tap_ok $? "refuse: the guest sends CONNECT again"
tap_is "$(tap_dmesg_since | grep -c refuses)" 1 \
	"refuse: one line, for $(grep -c 'answered revision 0' /tmp/h.log) CONNECTs refused"
tap_is "$(devices)" 0 "refuse: no device"
stop refuse

# CONNECT answers outside what the guest offered: a feature (bit 5), a
# record size below 1024, a record size above the one offered.
for a in 'connect-features features we did not offer' \
	 'connect-small a size outside what we offered' \
	 'connect-big a size outside what we offered'; do
	m=${a%% *}
	want="protocol violation: CONNECT answers ${a#* }"
	start "$m"
	wait_for 10 "tap_dmesg_since | grep -q '$want'"
	tap_ok $? "$m: dmesg says '$want'"
	tap_is "$(devices)" 0 "$m: no device"
	stop "$m"
done

# Parameters that name no backend, or would fail every request.
for a in 'backends=0,0 named twice' 'backends=32756 reserved' 'timeout_ms=0 timeout_ms must be'; do
	set -- $a
	tap_dmesg_mark
	modprobe virtio-argo "$1" 2>/dev/null
	tap_is $? 1 "modprobe virtio-argo $1 is refused"
	tap_dmesg_since | grep -q "$2 $3"
	tap_ok $? "$1: dmesg says why ('$2 $3')"
done
tap_done
