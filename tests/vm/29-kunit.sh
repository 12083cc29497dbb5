#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# timeout: 120
#
# The KUnit suites of the modules' pure logic (tests/kunit: argo-core's
# ring arithmetic, virtio-argo's record validation and memory windows,
# argo-vsock's packet check, each compiled by the kernel's build, the
# pure ones with their host test's vectors).  Loading argo_kunit runs them; each suite's KTAP results are
# read back from debugfs and printed, every case must pass, and the
# suites must have all their cases.  Debian's kernels have no KUnit: there
# the test is skipped, naming the reason (the debug lane's kernel has it).
. /rig/tap.sh
if [ ! -d /sys/kernel/debug/kunit ]; then
	tap_skip "KUnit suites of the modules' pure logic" \
		"kernel $(uname -r) is built without KUnit (the debug lane's kernel has it)"
	tap_done
fi
out=$(modprobe argo_kunit 2>&1)
tap_ok $? "argo_kunit loads (its suites run at load)" "$out"
# suite:cases, as tests/kunit/*_kunit.c define them
for sc in argo_ring_buf:8 argo_va_check:10 argo_vsock_check:2 argo_va_windows:5; do
	s=${sc%:*}
	f=/sys/kernel/debug/kunit/$s/results
	if [ ! -r "$f" ]; then
		tap_ok 1 "$s: results in debugfs" "no $f"
		continue
	fi
	sed 's/^/# /' "$f"
	n=0
	while read -r l; do
		case $l in
		# a case's line, "ok N kunit_NAME" (the suite's own has no kunit_)
		"ok "[0-9]*" kunit_"*) tap_ok 0 "$s: ${l#ok * }"; n=$((n + 1)) ;;
		"not ok "[0-9]*" kunit_"*) tap_ok 1 "$s: ${l#not ok * }"; n=$((n + 1)) ;;
		esac
	done <"$f"
	tap_is "$n" "${sc#*:}" "$s: every case ran"
	tap_is "$(tail -n 1 "$f")" "ok 1 $s" "$s: the suite passed"
done
out=$(rmmod argo_kunit 2>&1)
tap_ok $? "argo_kunit unloads" "$out"
tap_done
