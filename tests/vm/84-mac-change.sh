#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 300
#
# A policy change under traffic.  g1 uses b three ways: virtio-argo's disk
# and rng (from 83), a vsock connection with a reader blocked on it, and
# argo-char messages.  `xl loadpolicy` of the variant without the guest <->
# driver domain edge then:
#   - fails g1's next argo-char send with EACCES;
#   - resets the blocked vsock reader with EACCES within seconds;
#   - breaks g1's virtio-argo devices cleanly: I/O in flight fails with
#     EIO instead of hanging, the log names the denial, the devices go;
# and g1's edges to dom0 keep working.  Loading the example policy again
# lets new connections succeed and the devices come back by themselves.
. /rig/tap.sh
. /rig/mac.sh
V=/rig/bin/vsock_cat
b=$(mac_domid b)
on b "$(mac_bg "$V echo 5302 -n 1 >/tmp/echo-b.out 2>&1")
$(mac_bg 'argo listen 0x8102 >/tmp/mac-8102.out')" >/dev/null
on g1 "$(mac_bg "$V hold $(mac_cid b) 5302 >/tmp/hold.out 2>&1")
$(mac_bg 'while echo 1 >/proc/sys/vm/drop_caches && dd if=/dev/vda of=/dev/null bs=64k 2>/tmp/dd.err; do :; done; echo end >/tmp/dd.end')
dmesg -c >/dev/null" >/dev/null
sleep 2
tap_is "$(on g1 'head -n 1 /tmp/hold.out')" connected "g1 holds a vsock reader blocked on b"
tap_is "$(on g1 "argo send $b 0x8102 before; echo rc=\$?")" rc=0 "g1 -> b argo-char send before the change"
tap_is "$(on g1 '[ -e /tmp/dd.end ] && echo ended || echo reading')" reading "g1 is reading b's disk in a loop"

# seconds since the policy change, to a tenth
t0=$(cut -d' ' -f1 /proc/uptime)
since() { awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }'; }
tap_is "$(xl loadpolicy /extra/argo-cut.pol 2>&1)" "Successfully loaded policy." \
	"xl loadpolicy argo-cut.pol (no guest <-> driver domain edge)"
tap_is "$(on g1 "argo send $b 0x8102 after 2>&1; echo rc=\$?")" "argo: bind: Permission denied
rc=1" "g1 -> b argo-char: EACCES"
tap_is "$(on g1 "argo send -A $b 0x8102 after 2>&1; echo rc=\$?")" "argo: send: Permission denied
rc=1" "g1 -> b argo-char from a wildcard ring: EACCES at sendv"
i=0
until [ "$(on g1 'wc -l </tmp/hold.out')" -ge 2 ] || [ $i -ge 40 ]; do sleep 0.25; i=$((i + 1)); done
dt=$(since)
case "$(on g1 'sed -n 2p /tmp/hold.out')" in "read: EACCES"*) rc=0 ;; *) rc=1 ;; esac
tap_ok $rc "g1's blocked vsock reader fails with EACCES" "$(on g1 'sed -n 2p /tmp/hold.out')"
tap_ok $(awk -v d="$dt" 'BEGIN { exit !(d < 10) }'; echo $?) "within 10 s of the change ($dt s)"
i=0
until [ -n "$(on b 'cat /tmp/echo-b.out')" ] || [ $i -ge 20 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$(on b 'cat /tmp/echo-b.out')" "read: EACCES" "b's end of that connection is reset with EACCES too"
i=0
until [ "$(on g1 'cat /tmp/dd.end 2>/dev/null')" ] || [ $i -ge 60 ]; do sleep 0.25; i=$((i + 1)); done
dt=$(since)
tap_ok $(awk -v d="$dt" 'BEGIN { exit !(d < 15) }'; echo $?) "g1's disk reads fail instead of hanging (ended $dt s after the change)"
tap_diag "the last dd: $(on g1 'grep -v records /tmp/dd.err')"
on g1 dmesg | grep -q "virtio-argo: backend dom$b: sending to port 0x76690001 denied by XSM policy (-13): failing its devices' I/O and removing them"
tap_ok $? "g1 logs: sending ... denied by XSM policy (-13): failing its devices' I/O and removing them"
i=0
until [ "$(on g1 'ls /sys/bus/virtio/devices | wc -l')" = 0 ] || [ $i -ge 20 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$(on g1 'ls /sys/bus/virtio/devices | wc -l')" 0 "g1's devices from b are gone"
on dom0 "$(mac_bg "$V echo 5304 -n 1")"
sleep 0.5
tap_is "$(on g1 "echo still | $V send 2 5304")" still "g1 -> dom0 vsock still works"
tap_is "$(on b 'sed "s/.*: //" /tmp/mac-8102.out')" before "b received the message from before the change only"

tap_is "$(xl loadpolicy /extra/argo-example.pol 2>&1)" "Successfully loaded policy." \
	"xl loadpolicy argo-example.pol again"
t0=$(cut -d' ' -f1 /proc/uptime)
on b "$(mac_bg "$V echo 5303 -n 1")" >/dev/null
sleep 0.5
tap_is "$(on g1 "echo again | $V send $(mac_cid b) 5303")" again "g1 -> b: a new vsock connection works"
tap_is "$(on g1 "argo send $b 0x8102 again; echo rc=\$?")" rc=0 "g1 -> b argo-char send works"
i=0
until [ "$(on g1 'ls /sys/bus/virtio/devices | wc -l')" = 2 ] || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$(on g1 'ls /sys/bus/virtio/devices | wc -l')" 2 "g1's devices from b come back by themselves ($(since) s after the restore)"
tap_is "$(on g1 'dd if=/dev/vda bs=7 count=1 2>/dev/null')" mac-blk "g1 reads b's disk again"
tap_done
