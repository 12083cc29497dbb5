#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 1000
#
# Linux's own vsock test suite (tools/testing/vsock/vsock_test, built by
# the rig from the Debian linux-source package of the booted kernel: 11
# tests on 6.1, 26 on 6.12) over argo-vsock, every test of it on both
# sides: within this domU (its own CID, through Argo: vsock_loopback
# is not loaded), as the client of a server in dom0, and as the server of a
# client in dom0 (74 and 76 are dom0's halves).  The cases
# /rig/vsock-test-skips names for this kernel are skipped, on both peers,
# with their reason (a newer vsock_test on an older kernel: testvm
# --vsock-test sid).
. /rig/tap.sh
cid=$(/rig/bin/vsock_cat cid)
skips=$(vsock_test_skips)
# vsock_test assumes the vsock core's default buffer (256 KiB): its
# MSG_ZEROCOPY case sends 100 pages expecting them not to fit the peer's.
# argo-vsock's sockets get that default while it runs (buffer_kb).
kb=$(cat /sys/module/argo_vsock/parameters/buffer_kb)
echo 256 >/sys/module/argo_vsock/parameters/buffer_kb
tap_is "$(cat /sys/module/argo_vsock/parameters/buffer_kb)" 256 \
	"argo-vsock's sockets get the vsock core's 256 KiB buffer (buffer_kb=256)"
[ -z "$skips" ] || tap_diag "skipped here:$skips"
grep -q '^vsock_loopback ' /proc/modules
tap_ok $((1 - $?)) "vsock_loopback is not loaded: CID $cid goes through Argo"

# listen_wait FILE: until the server writing FILE has its control socket
listen_wait() {
	_i=0
	until grep -q 'Control socket listening' "$1" || [ $_i -ge 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}

# took LABEL: how long the run since the last call took (the budget is
# 300 s per run; each takes well under 30 s under TCG).
t0=$(date +%s)
took() {
	tap_diag "$1: $(($(date +%s) - t0)) s"
	t0=$(date +%s)
}

# shellcheck disable=SC2086 # $skips: words
vsock_test --mode=server --control-port=7000 --peer-cid="$cid" $skips >/tmp/vtl-s.out 2>&1 &
spid=$!
listen_wait /tmp/vtl-s.out
# shellcheck disable=SC2086
timeout 300 vsock_test --mode=client --control-host=127.0.0.1 --control-port=7000 \
	--peer-cid="$cid" $skips >/tmp/vtl-c.out 2>&1
wait $spid
took "within the domU"
tap_vsock_test /tmp/vtl-c.out "within the domU, client"
tap_vsock_test /tmp/vtl-s.out "within the domU, server"

i=0
until ready=$(socat -u TCP:10.0.0.1:7103 - 2>/dev/null) && [ "$ready" = ready ] ||
	[ $i -ge 240 ]; do sleep 0.5; i=$((i + 1)); done
tap_is "$ready" ready "dom0's vsock_test server says it is ready (TCP 7103)"
# shellcheck disable=SC2086
timeout 300 vsock_test --mode=client --control-host=10.0.0.1 --control-port=7100 \
	--peer-cid=2 $skips >/tmp/vtd-c.out 2>&1
took "domU client, dom0 server"
tap_vsock_test /tmp/vtd-c.out "domU client, dom0 server"

# shellcheck disable=SC2086
vsock_test --mode=server --control-port=7101 --peer-cid=2 $skips >/tmp/vtd-s.out 2>&1 &
spid=$!
listen_wait /tmp/vtd-s.out
i=0
until echo go | socat -u - TCP:10.0.0.1:7102 2>/dev/null || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
tap_ok $((i >= 60)) "dom0's vsock_test client told to start (TCP 7102)"
i=0
while kill -0 $spid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
kill $spid 2>/dev/null
wait $spid
took "domU server, dom0 client"
tap_vsock_test /tmp/vtd-s.out "domU server, dom0 client"
echo "$kb" >/sys/module/argo_vsock/parameters/buffer_kb
tap_is "$(cat /sys/module/argo_vsock/parameters/buffer_kb)" "$kb" \
	"argo-vsock's buffer_kb is back to $kb"
tap_done
