#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
#
# Linux's vsock_test and vsock_diag_test (scripts/rig-vsock-test) run in
# the guest: they list their tests, and a vsock_test server and client
# with every test skipped complete their TCP control channel over
# 127.0.0.1, which needs no vsock at all.  The vsock core modules
# argo-vsock plugs into are in the image.
. /rig/tap.sh
for b in vsock_test vsock_diag_test; do
	tap_ok $([ -x "/rig/bin/$b" ]; echo $?) "/rig/bin/$b installed"
done
# --list exits with status 1 by design: only its output counts.
list=$(vsock_test --list 2>&1)
n=$(printf '%s\n' "$list" | grep -c '^[0-9][0-9]*	')
tap_is "$(printf '%s\n' "$list" | sed -n 2p)" "$(printf '0\tSOCK_STREAM connection reset')" \
	"vsock_test --list starts with test 0 (SOCK_STREAM connection reset)"
tap_diag "vsock_test lists $n tests"
tap_is "$(vsock_diag_test --list 2>&1 | sed -n 2p)" "$(printf '0\tNo sockets')" \
	"vsock_diag_test --list starts with test 0 (No sockets)"

skips=
i=0
while [ $i -lt "$n" ]; do
	skips="$skips --skip=$i"
	i=$((i + 1))
done
opts="--control-host=127.0.0.1 --control-port=7000 --peer-cid=1$skips"
# shellcheck disable=SC2086
vsock_test --mode=server $opts >/tmp/vt-server.out 2>&1 &
spid=$!
i=0
while ! grep -q 'Control socket listening' /tmp/vt-server.out && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
# shellcheck disable=SC2086
out=$(timeout 30 vsock_test --mode=client $opts 2>&1)
tap_ok $? "vsock_test client, every test skipped, over 127.0.0.1" "$(printf '%s\n' "$out" | tail -n 1)"
tap_is "$(printf '%s\n' "$out" | grep -c 'skipped$')" "$n" "the client went through the $n tests with the server"
i=0
while kill -0 "$spid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill "$spid" 2>/dev/null
wait "$spid"
tap_is "$?" 0 "the server finished too"
sed 's/^/# server: /' /tmp/vt-server.out | tail -n 3
rm -f /tmp/vt-server.out

for m in vsock vmw_vsock_virtio_transport_common vsock_loopback vsock_diag; do
	grep -q "/$m\.ko[.a-z]*:" "/lib/modules/$KREL/modules.dep"
	tap_ok $? "module $m in the image"
done
tap_done
