#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 900
#
# 1,000,000 numbered, checksummed messages from the domU to dom0 through
# a one-page ring (dom0's receiver checks them: 54-char-stream-result.sh).
. /rig/tap.sh
out=$(argo_stream send 0 0x2100 1000000 2>&1)
tap_ok $? "1000000 messages sent to dom0" "$out"
tap_diag "$out"
tap_done
