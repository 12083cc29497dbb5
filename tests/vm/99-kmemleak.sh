#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
# timeout: 120
#
# dom0's memory-leak scan after all its tests (see 98 for the domU's and
# /rig/kmemleak-check for how).
. /rig/tap.sh
. /rig/kmemleak-check
tap_done
