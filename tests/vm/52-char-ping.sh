#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# kselftest: peer
#
# domU <-> dom0 ping-pong through /dev/argo with the argo command: in the
# rig, against dom0's `argo listen -e 0x2000` (51-char-ping-echo.sh).
# Elsewhere (a kselftest farm, docs/kselftest.md) the peer is the domain
# ARGO_PEER_DOMID, running `argo listen -e` on ARGO_PEER_PORT (default
# 0x2000); without ARGO_PEER_DOMID the test is skipped.
. "$(dirname "$0")/lib/tap.sh"
peer=${ARGO_PEER_DOMID:-}
[ -n "$peer" ] || [ "${ROLE:-}" != domu ] || peer=0
if [ -z "$peer" ]; then
	tap_skip "argo ping to a peer domain" \
		"no peer: set ARGO_PEER_DOMID to a domain running 'argo listen -e ${ARGO_PEER_PORT:-0x2000}' (docs/kselftest.md)"
	tap_done
fi
port=${ARGO_PEER_PORT:-0x2000}
tap_diag "peer: domain $peer, port $port"
out=$(argo ping -c 20 -i 0 -s 200 "$peer" "$port" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -n 3 | sed 's/^/# /'
tap_is "$rc" 0 "argo ping exits 0"
printf '%s\n' "$out" | grep -q '^20 sent, 20 received intact'
tap_ok $? "20 of 20 round trips intact"
tap_done
