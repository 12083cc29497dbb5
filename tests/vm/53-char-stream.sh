#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 900
#
# 100,000 numbered, checksummed messages (stream_count in tap.sh) from
# the domU to dom0 through a one-page ring (dom0's receiver checks them: 54-char-stream-result.sh).
. /rig/tap.sh
n=$(stream_count)
out=$(argo_stream send 0 0x2100 "$n" 2>&1)
tap_ok $? "$n messages sent to dom0" "$out"
tap_diag "$out"
tap_done
