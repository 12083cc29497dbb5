#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0 side of the userspace ping-pong and stream tests: `argo listen -e`
# on port 0x2000 and an argo_stream receiver on 0x2100 (one-page ring) of
# stream_count messages (tap.sh), both in the background while the domU
# runs.
. /rig/tap.sh
argo listen -e 0x2000 >/tmp/listen.out 2>&1 &
echo $! >/tmp/listen.pid
argo_stream recv 0x2100 "$(stream_count)" 4032 >/tmp/stream.out 2>&1 &
echo $! >/tmp/stream.pid
sleep 0.5
tap_ok $(kill -0 "$(cat /tmp/listen.pid)"; echo $?) "argo listen -e 0x2000 running"
tap_ok $(kill -0 "$(cat /tmp/stream.pid)"; echo $?) "argo_stream receiver on 0x2100 running"
tap_is "$(argo query 0 0x2000 | cut -d: -f3 | cut -d, -f1)" " ring exists" "argo query sees the echo ring"
tap_done
