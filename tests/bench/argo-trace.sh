#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# argo-trace.sh: where one message's time goes, with ftrace, in a rig
# guest (busybox, no perf needed; Debian's kernels have the tracepoints).
#
#   argo-trace.sh on [EVENTS...]   start tracing: argo-core's tracepoints
#                                  (argo_sendv, argo_receive, argo_notify),
#                                  interrupts (VIRQ_ARGO shows as "argo"),
#                                  work items, wake-ups, block requests
#                                  and the Argo-relevant system calls, or
#                                  the EVENTS given (tracefs names such as
#                                  "sched/sched_switch")
#   argo-trace.sh off FILE         stop, and write the trace to FILE
#   argo-trace.sh run FILE CMD...  on, CMD, off FILE
#   argo-trace.sh gaps FILE [N]    the N (default 20) longest gaps between
#                                  consecutive events of FILE, with the two
#                                  events: where the time went
#
# Each domain has its own trace (and clock): trace the sender and the
# receiver each in its own domain, e.g. for the disk (BENCHMARKS.md):
#   dom0:  argo-trace.sh on; ...; argo-trace.sh off /results/dom0/trace.txt
#   domU:  argo-trace.sh run /tmp/t.txt dd if=/dev/vda of=/dev/null \
#              bs=1M count=3 iflag=direct
# Reading a trace: a request leaves the guest at argo_sendv, reaches the
# backend's domain as an "argo" interrupt, a work item
# (argo_ring_rx_work), a wake-up of the backend and its ioctl; the answer
# goes back the same way.  The gaps between those lines are the cost of
# each hop.
T=/sys/kernel/tracing
EVENTS="argo/argo_sendv argo/argo_receive argo/argo_notify
irq/irq_handler_entry workqueue/workqueue_execute_start
workqueue/workqueue_execute_end sched/sched_wakeup block/block_rq_issue
block/block_rq_complete syscalls/sys_enter_ioctl syscalls/sys_exit_ioctl
syscalls/sys_enter_ppoll syscalls/sys_exit_ppoll syscalls/sys_enter_pread64
syscalls/sys_exit_pread64 syscalls/sys_enter_pwrite64
syscalls/sys_exit_pwrite64 syscalls/sys_enter_write syscalls/sys_exit_write
syscalls/sys_enter_read syscalls/sys_exit_read"

tr_mount() {
	[ -e $T/trace ] || mount -t tracefs none $T 2>/dev/null ||
		{ echo "argo-trace: no tracefs at $T" >&2; exit 1; }
}

tr_on() {
	tr_mount
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 16384 >$T/buffer_size_kb
	# shellcheck disable=SC2086 # the list is split into its words
	[ $# -gt 0 ] || set -- $EVENTS
	for e in "$@"; do
		# an event this kernel lacks (argo-core not loaded) is skipped
		[ -e "$T/events/$e/enable" ] && echo 1 >"$T/events/$e/enable"
	done
	echo 1 >$T/tracing_on
}

tr_off() {
	echo 0 >$T/tracing_on
	# written aside and renamed: a reader never sees half a trace
	cat $T/trace >"$1.tmp" && mv "$1.tmp" "$1"
	echo 0 >$T/events/enable
	echo "argo-trace: $(grep -vc '^#' "$1") events in $1"
}

tr_gaps() {
	grep -v '^#' "$1" | awk -v n="${2:-20}" '
		{
			for (i = 1; i <= NF; i++)
				if ($i ~ /^[0-9]+\.[0-9]+:$/) { t = substr($i, 1, length($i) - 1); break }
			if (prev != "")
				printf "%10.0f us  %s\n%14s-> %s\n", (t - pt) * 1e6, prev, "", $0
			prev = $0; pt = t
		}' | paste - - | sort -rn | head -n "${2:-20}" | tr '\t' '\n'
}

case ${1:-} in
on) shift; tr_on "$@" ;;
off) [ -n "${2:-}" ] || { echo "usage: argo-trace.sh off FILE" >&2; exit 2; }
	tr_off "$2" ;;
run) [ $# -ge 3 ] || { echo "usage: argo-trace.sh run FILE CMD..." >&2; exit 2; }
	f=$2; shift 2
	tr_on
	"$@"; rc=$?
	tr_off "$f"
	exit $rc ;;
gaps) [ -n "${2:-}" ] || { echo "usage: argo-trace.sh gaps FILE [N]" >&2; exit 2; }
	tr_gaps "$2" "${3:-20}" ;;
*) echo "usage: argo-trace.sh on [EVENTS...] | off FILE | run FILE CMD... | gaps FILE [N]" >&2
	exit 2 ;;
esac
