#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
#
# virtio-rng over Argo: /dev/hwrng is the backend's, and 256 KiB read from
# it are 256 KiB of incompressible bytes.  (virtio-rng asks for a few
# bytes per request, so 1 MiB took 45 to 60 s under TCG; 256 KiB go the
# same way.)
. /rig/tap.sh
cur=$(cat /sys/class/misc/hw_random/rng_current)
case $cur in virtio_rng*) r=0 ;; *) r=1 ;; esac
tap_ok $r "the current hwrng is virtio ($cur)"
dd if=/dev/hwrng of=/tmp/rng bs=4096 count=64 2>/dev/null
tap_is "$(wc -c </tmp/rng)" 262144 "256 KiB read from /dev/hwrng"
# gzip adds about 100 bytes to data it cannot compress; 256 KiB that
# compress by 1% or more are not random
z=$(gzip -c </tmp/rng | wc -c)
tap_ok $([ "$z" -gt 259500 ]; echo $?) "the bytes do not compress ($z bytes gzipped)"
rm -f /tmp/rng
tap_done
