#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 120
#
# The domU's memory-leak scan after its tests (the debug lane's kernel has
# kmemleak; Debian's have not, and then this is skipped, saying so).  See
# /rig/kmemleak-check.
. /rig/tap.sh
. /rig/kmemleak-check
tap_done
