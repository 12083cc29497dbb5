#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 400
#
# A policy change under traffic.  g1 uses b four ways: virtio-argo's disk
# (read in a loop, the page cache dropped each time so that every read
# reaches b) and rng (from 83), a vsock connection with a reader blocked
# on it, and an `argo send` that stays open, fed through a FIFO.
# `xl loadpolicy` of argo-cut.pol, where guests and driver domains keep
# their rings but may no longer send to each other, then:
#   - fails the open sender's next message with EACCES, and new ones;
#   - resets the blocked vsock reader with EACCES within seconds, and b's
#     end of that connection too;
#   - breaks g1's virtio-argo devices cleanly: the read in flight fails
#     with EIO instead of hanging, the log names the denial, the devices
#     go;
#   - a virtio-argo loaded afterwards in g2 gets its ring, has its first
#     message refused, says so once and gives up: no device, no retry;
# and g1's edge to dom0 keeps working.  Loading the example policy again
# lets new connections succeed, g1's devices come back by themselves and
# g2's after a reload.
. /rig/tap.sh
. /rig/mac.sh
V=/rig/bin/vsock_cat
g1=$(mac_domid g1)
g2=$(mac_domid g2)
b=$(mac_domid b)
G=argo_guest_t
B=argo_backend_t
cb=$(mac_cid b)

# b: a vsock echo server for two connections (dom0's probe, g1's reader)
# and an argo-char listener
on b "$(mac_bg "$V echo 5302 -n 2 >/tmp/echo-b.out 2>&1")
$(mac_bg 'argo listen 0x8102 >/tmp/mac-8102.out')" >/dev/null
mac_until dom0 "echo up | $V send $cb 5302" up >/dev/null
mac_wait_ring b 0x8102
# g1: the open sender, the blocked reader, the disk loop
on g1 "mkfifo /tmp/fifo
$(mac_bg "argo send $b 0x8102 </tmp/fifo >/tmp/sender.out 2>&1; echo rc=\$? >>/tmp/sender.out")
$(mac_bg 'sleep 1000 >/tmp/fifo')
$(mac_bg "$V hold $cb 5302 >/tmp/hold.out 2>&1")
$(mac_bg 'while echo 1 >/proc/sys/vm/drop_caches && dd if=/dev/vda of=/dev/null bs=64k 2>/tmp/dd.err; do :; done; echo end >/tmp/dd.end')" >/dev/null
on g1 'echo before >/tmp/fifo'
tap_is "$(mac_until b 'sed "s/.*: //" /tmp/mac-8102.out' before)" before "g1's open argo sender delivers to b"
tap_is "$(mac_until g1 'head -n 1 /tmp/hold.out' connected)" connected "g1 holds a vsock reader blocked on b"
tap_is "$(on g1 '[ -e /tmp/dd.end ] && echo ended || echo reading')" reading "g1 is reading b's disk in a loop"

mac_avc_mark
# the kernel's I/O errors on g1's disk so far (the read loop's, below)
ioerr0=$(on g1 'dmesg | grep -c "I/O error, dev vda"')
# seconds since the policy change, to a tenth
t0=$(cut -d' ' -f1 /proc/uptime)
since() { awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }'; }
tap_is "$(xl loadpolicy /extra/argo-cut.pol 2>&1)" "Successfully loaded policy." \
	"xl loadpolicy argo-cut.pol (guests and driver domains may not send to each other)"

on g1 'echo after >/tmp/fifo'
tap_is "$(mac_until g1 'cat /tmp/sender.out' 'argo: send: Permission denied
rc=1' 10)" "argo: send: Permission denied
rc=1" "g1's open argo sender: the next message fails with EACCES"
tap_is "$(on g1 "argo send $b 0x8102 new 2>&1; echo rc=\$?")" "argo: send: Permission denied
rc=1" "a new argo sender g1 -> b: its ring is allowed, its message EACCES"

tap_is "$(mac_until g1 'sed -n 2p /tmp/hold.out | cut -d" " -f1-2' 'read: EACCES' 10)" "read: EACCES" \
	"g1's blocked vsock reader fails with EACCES"
dt=$(since)
tap_ok $(awk -v d="$dt" 'BEGIN { exit !(d < 15) }'; echo $?) "within 15 s of the change ($dt s)"
tap_is "$(mac_until b 'cat /tmp/echo-b.out' 'read: EACCES' 10)" "read: EACCES" "b's end of that connection is reset with EACCES too"

tap_is "$(mac_until g1 'cat /tmp/dd.end 2>/dev/null' end 15)" end "g1's disk read loop ended instead of hanging"
# The read in flight fails: dd reports EIO, or, when the disk was gone
# before dd retried the failed block (it then reads an end of disk, and
# the next dd cannot open /dev/vda), the kernel's I/O error line shows
# that its request was failed rather than left hanging.
dderr=$(on g1 'cat /tmp/dd.err')
ioerr=$(($(on g1 'dmesg | grep -c "I/O error, dev vda"') - ioerr0))
case $dderr in
*"Input/output error"*) failed=0 ;;
*) failed=$([ "$ioerr" -gt 0 ] && echo 0 || echo 1) ;;
esac
tap_ok "$failed" "the read in flight failed with EIO" \
	"dd: $(echo "$dderr" | tail -n 1); kernel: $ioerr I/O errors on vda"
on g1 dmesg | grep -q "virtio-argo: backend dom$b: sending to port 0x76690001 denied by XSM policy (-13): failing its devices' I/O and removing them"
tap_ok $? "g1 logs: sending ... denied by XSM policy (-13): failing its devices' I/O and removing them"
tap_is "$(mac_until g1 'ls /sys/bus/virtio/devices | wc -l' 0 10)" 0 "g1's devices from b are gone"

# a first message refused while the ring is allowed: g2 gives up at once
r=$(on g2 "rmmod virtio_argo 2>/dev/null; dmesg -c >/dev/null; modprobe virtio-argo backends=$b; echo rc=\$?")
tap_is "$r" rc=0 "g2: modprobe virtio-argo backends=$b loads (its ring is allowed)"
tap_is "$(mac_until g2 'dmesg | grep -c "denied by XSM"' 1 10)" 1 "g2 logs the denial once"
on g2 dmesg | grep -q "virtio-argo: backend dom$b: sending to port 0x76690001 denied by XSM policy (-13): no devices"
tap_ok $? "g2 logs: sending to port 0x76690001 denied by XSM policy (-13): no devices"
n=$(xl dmesg | grep -c "avc:  denied  { send } for source=d$g2 target=d$b ")
sleep 6
tap_is "$(xl dmesg | grep -c "avc:  denied  { send } for source=d$g2 target=d$b ")" "$n" \
	"g2 does not retry: no new denial in 6 s (the retry period is 2 to 10 s)"
tap_is "$(on g2 'ls /sys/bus/virtio/devices | wc -l; dmesg | grep -c "denied by XSM"')" "0
1" "g2: no device, and still that one line"

on dom0 "$(mac_bg "$V echo 5304 -n 1")"
tap_is "$(mac_until g1 "echo still | $V send 2 5304" still)" still "g1 -> dom0 vsock still works"
tap_is "$(on b 'sed "s/.*: //" /tmp/mac-8102.out')" before "b received the message from before the change only"
mac_avc send $G "$g1" $B "$b" "g1's messages, reads and vsock"
mac_avc send $B "$b" $G "$g1" "b's replies and its vsock check"
mac_avc send $G "$g2" $B "$b" "g2's first message"

tap_is "$(xl loadpolicy /extra/argo-example.pol 2>&1)" "Successfully loaded policy." \
	"xl loadpolicy argo-example.pol again"
t0=$(cut -d' ' -f1 /proc/uptime)
on b "$(mac_bg "$V echo 5303 -n 1")" >/dev/null
tap_is "$(mac_until g1 "echo again | $V send $cb 5303" again)" again "g1 -> b: a new vsock connection works"
tap_is "$(on g1 "argo send $b 0x8102 again; echo rc=\$?")" rc=0 "g1 -> b: a new argo sender works"
tap_is "$(mac_until g1 'ls /sys/bus/virtio/devices | wc -l' 2)" 2 "g1's devices from b come back by themselves ($(since) s after the restore)"
tap_is "$(on g1 'dd if=/dev/vda bs=7 count=1 2>/dev/null')" mac-blk "g1 reads b's disk again"
tap_is "$(on g2 'ls /sys/bus/virtio/devices | wc -l')" 0 "g2 stays given up until reloaded"
on g2 "rmmod virtio_argo; modprobe virtio-argo backends=$b" >/dev/null
tap_is "$(mac_until g2 'ls /sys/bus/virtio/devices | wc -l' 2)" 2 "g2 after a reload: b's two devices"
on g1 'pkill -f "[s]leep 1000"' >/dev/null
tap_done
