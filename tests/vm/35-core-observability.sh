#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
#
# debugfs lists rings, and argo-core's trace events fire.
. "$(dirname "$0")/lib/tap.sh"
tap_debugfs
D=/sys/kernel/debug/argo
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs tracefs $T
domid=$(sed -n 's/^domid //p' $D/status)
tap_ok $([ -n "$domid" ]; echo $?) "debugfs status shows the domid ($domid)"
tap_is "$(sed -n 's/^mechanism //p' $D/status)" xen-hypercall "debugfs status shows the mechanism"
tap_is "$(sed -n 's/^space_waiters //p' $D/status)" 0 "no sender waits for space"

tap_modprobe argo_selftest mode=echo port=0x7000
line=$(grep '^0x7000 ' $D/rings)
tap_diag "$line"
tap_is "$(echo "$line" | awk '{ print $2 }')" 32756 "debugfs lists the echo ring, partner ANY (32756)"
tap_is "$(echo "$line" | awk '{ print $3 }')" 20416 "16 KiB asked, 5 pages filled: 20416 bytes"
tap_is "$(echo "$line" | awk '{ print $NF }')" ok "ring state ok"
rmmod argo_selftest
tap_is "$(grep -c '^0x7000 ' $D/rings)" 0 "ring gone from debugfs after unload"

echo >$T/trace
# Enabling any event normally also hooks sched_switch/sched_wakeup to
# record task names, which live-patches the scheduler's hottest code on
# every vCPU.  Under QEMU TCG a vCPU then sometimes runs a stale int3 left
# by that patching ("Oops: int3" in ttwu_do_activate, seen on 6.12 with 2
# vCPUs).  Only argo-core's own tracepoints are under test here, so leave
# the scheduler alone.
echo 0 >$T/options/record-cmd
echo 1 >$T/events/argo/enable
tap_modprobe argo_selftest mode=self
tap_ok $? "self test traffic with tracing on"
rmmod argo_selftest
echo 0 >$T/events/argo/enable
echo 1 >$T/options/record-cmd
for ev in argo_ring_register argo_sendv argo_receive argo_notify argo_ring_unregister; do
	grep -q " $ev: " $T/trace
	tap_ok $? "trace event $ev recorded"
done
grep -m1 ' argo_sendv: ' $T/trace | sed 's/^/# /'
tap_done
