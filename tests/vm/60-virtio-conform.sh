#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
# timeout: 180
#
# The conformance checker (tests/progs/va_conform.c) against
# argo-virtio-backend: dom0 plays a guest of the backend that
# 60-virtio-backend.sh started in dom0 (a domain may send to itself; the
# domU does not exist yet, and dom0's own virtio-argo is unloaded, so
# nothing else talks to that backend from dom0).  Runs:
#   1. the defaults (max_size 65535, VA_F_HOLD offered) and --v1: the
#      backend answers a protocol 1 request with protocol 1's refusal and
#      logs it once;
#   2. max_size 1024 and no transport feature: every record fits 1024
#      bytes, the disk's 4 KiB read comes in fragments;
#   3. a second backend with a net device (and an rng), bound to the same
#      port with a ring for dom0 alone (--partner 0), which Argo prefers
#      to the first backend's ring for any domain: MRG_RXBUF is offered
#      only with VA_F_HOLD.
# Each run's TAP lines become this test's, prefixed with the run's name.
# The second backend is started with command-line options, not a
# configuration file, on purpose: with 58 and 59, this test keeps the
# command-line form tested.
. /rig/tap.sh
vb_pid=$(cat /tmp/backend.pid)

# relay NAME FILE RC: the TAP of a va_conform run as ours
relay() {
	while IFS= read -r _l; do
		case $_l in
		"not ok "*) tap_ok 1 "$1: ${_l#not ok * - }" ;;
		"ok "*" # SKIP "*)
			_l=${_l#ok * - }
			tap_skip "$1: ${_l%% # SKIP *}" "${_l#* # SKIP }"
			;;
		"ok "*) tap_ok 0 "$1: ${_l#ok * - }" ;;
		"Bail out!"*) tap_ok 1 "$1: va_conform ran to its end" "$_l" ;;
		"#"*) echo "$_l" ;;
		esac
	done <"$2"
	tap_is "$3" 0 "$1: va_conform exits 0"
}

v1_before=$(grep -c 'speaks virtio-argo protocol 1' /tmp/vb/backend.log)
t0=$(date +%s)
/rig/bin/va_conform --v1 >/tmp/vc-default.tap 2>&1
relay default /tmp/vc-default.tap $?
tap_diag "default run: $(($(date +%s) - t0)) s"
tap_is "$(($(grep -c 'speaks virtio-argo protocol 1' /tmp/vb/backend.log) - v1_before))" 1 \
	"the backend logged the protocol 1 request once"

t0=$(date +%s)
/rig/bin/va_conform --max-size 1024 --no-hold >/tmp/vc-small.tap 2>&1
relay small /tmp/vc-small.tap $?
tap_diag "small run: $(($(date +%s) - t0)) s"
tap_ok $(kill -0 "$vb_pid"; echo $?) "60's backend still runs"

modprobe tun
argo-virtio-backend --partner 0 --net tap=vconf%d,guest=0 --rng,guest=0 \
	</dev/null >/tmp/vb/conform-net.log 2>&1 &
net_pid=$!
sleep 1
if kill -0 "$net_pid" 2>/dev/null; then
	tap_ok 0 "a second backend with a net device, for dom0 alone"
	t0=$(date +%s)
	/rig/bin/va_conform >/tmp/vc-net.tap 2>&1
	relay net /tmp/vc-net.tap $?
	tap_diag "net run: $(($(date +%s) - t0)) s"
	kill "$net_pid"
	wait "$net_pid"
	tap_is $? 0 "the second backend stops on SIGTERM (exit status 0)"
else
	tap_ok 1 "a second backend with a net device, for dom0 alone" \
		"$(tr '\n' ' ' </tmp/vb/conform-net.log)"
fi
sed 's/^/# net backend: /' /tmp/vb/conform-net.log
tap_ok $(kill -0 "$vb_pid"; echo $?) "60's backend still runs"
tail -n 20 /tmp/vb/backend.log | sed 's/^/# backend: /'
tap_done
