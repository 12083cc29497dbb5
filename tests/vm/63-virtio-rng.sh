#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
#
# virtio-rng over Argo: /dev/hwrng is the backend's, and 1 MiB read from it
# is 1 MiB of incompressible bytes.
. /rig/tap.sh
cur=$(cat /sys/class/misc/hw_random/rng_current)
case $cur in virtio_rng*) r=0 ;; *) r=1 ;; esac
tap_ok $r "the current hwrng is virtio ($cur)"
dd if=/dev/hwrng of=/tmp/rng bs=4096 count=256 2>/dev/null
tap_is "$(wc -c </tmp/rng)" 1048576 "1 MiB read from /dev/hwrng"
z=$(gzip -c </tmp/rng | wc -c)
tap_ok $([ "$z" -gt 1040000 ]; echo $?) "the bytes do not compress ($z bytes gzipped)"
rm -f /tmp/rng
tap_done
