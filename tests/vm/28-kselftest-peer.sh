#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0 as the peer domain a kselftest farm provides (docs/kselftest.md):
# `argo listen -e` on port 0x2200, in the background while the domU's
# 28-kselftest runs the collection's peer test (52-char-ping) against it
# (ARGO_PEER_DOMID=0 ARGO_PEER_PORT=0x2200).  Its own port: the rig's
# 52-char-ping uses 51-char-ping-echo's 0x2000, whose pings 54 counts.
# Only on a boot given testvm --kselftest, like 28-kselftest.
. /rig/tap.sh
if [ "${KSELFTEST:-0}" != 1 ]; then
	tap_skip "the kselftest peer's responder" \
		"only on a boot given testvm --kselftest (make check: ARGO_KSELFTEST_KERNELS)"
	tap_done
fi
argo listen -e 0x2200 >/tmp/ksft-peer.out 2>&1 &
echo $! >/tmp/ksft-peer.pid
sleep 0.5
kill -0 "$(cat /tmp/ksft-peer.pid)"
tap_ok $? "argo listen -e 0x2200 running"
tap_is "$(argo query 0 0x2200 | cut -d: -f3 | cut -d, -f1)" " ring exists" "argo query sees its ring"
tap_done
