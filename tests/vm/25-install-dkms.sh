#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: install
#
# Booted with `testvm --dkms --no-modules`: the modules were installed
# into this root by DKMS from the virtio-argo-dkms package (scripts/rig-dkms),
# for this kernel, as `apt install virtio-argo-dkms` does.  A plain
# `modprobe virtio-argo` must load DKMS's virtio-argo and, as a dependency,
# argo-core; every module parameter must have a description.
. /rig/tap.sh
krel=$(uname -r)
M=/lib/modules/$krel
ours="argo-core argo-char argo-vsock virtio-argo"
loaded() { grep -q "^$1 " /proc/modules; }
# busybox's modinfo finds a module by file name only
mi() { modinfo -F "$1" "$M/updates/dkms/$2.ko"; }
tap_dmesg_mark

for m in $ours; do
	tap_ok $([ -f "$M/updates/dkms/$m.ko" ]; echo $?) "DKMS installed updates/dkms/$m.ko for $krel"
done
tap_is "$(grep -cE '^updates/dkms/(argo-core|argo-char|argo-vsock|virtio-argo)\.ko:' "$M/modules.dep")" 4 \
	"modules.dep names DKMS's four modules"
tap_is "$(grep -E '^updates/dkms/virtio-argo\.ko:' "$M/modules.dep" | grep -c 'updates/dkms/argo-core\.ko')" 1 \
	"modules.dep: virtio-argo depends on DKMS's argo-core"
# The image carries the rig's own build in extra/: remove it, so that the
# only copies modprobe can find are DKMS's.
for m in $ours; do rm -f "$M/extra/$m.ko"; done

tap_ok $(loaded argo_core; [ $? -ne 0 ]; echo $?) "no Argo module is loaded before the test"
modprobe virtio-argo 2>/tmp/modprobe.err
tap_ok $? "modprobe virtio-argo" "$(cat /tmp/modprobe.err)"
tap_ok $(loaded argo_core; echo $?) "argo_core was loaded as virtio-argo's dependency"
tap_ok $(loaded virtio_argo; echo $?) "virtio_argo is loaded"
tap_ok $(loaded argo_char || loaded argo_vsock; [ $? -ne 0 ]; echo $?) \
	"nothing else was loaded (argo_char, argo_vsock)"
ver=$(mi version virtio-argo)
tap_ok $([ -n "$ver" ]; echo $?) "DKMS's virtio-argo.ko has a version ($ver)"
tap_is "$(cat /sys/module/virtio_argo/version 2>&1)" "$ver" "the loaded virtio_argo is version $ver"
tap_is "$(cat /sys/module/argo_core/version 2>&1)" "$ver" "the loaded argo_core is version $ver"

modprobe -a argo-char argo-vsock 2>/tmp/modprobe.err
tap_ok $? "modprobe -a argo-char argo-vsock" "$(cat /tmp/modprobe.err)"
tap_ok $([ -c /dev/argo ]; echo $?) "argo-char created /dev/argo"
tap_is "$(argo info 2>&1 | sed -n 's/^domid //p')" 0 "argo info through DKMS's argo-char: domid 0"

# Every parameter has a description (modinfo's parm field is "name:text";
# a parameter without MODULE_PARM_DESC has none).
params() { mi parm "$1" | sed -n 's/^\([a-z_]*\):..*/\1/p' | sort | tr '\n' ' '; }
tap_is "$(params argo-core)" "" "argo-core has no parameters"
tap_is "$(params argo-char)" "" "argo-char has no parameters"
tap_is "$(params argo-vsock)" "buffer_kb max_peer_rings mode peers ring_idle_s ring_kb " "argo-vsock: every parameter described"
tap_is "$(params virtio-argo)" "backends queue_size ring_kb timeout_ms " \
	"virtio-argo: every parameter described"
# ... and none is left out: each parameter with a type has a description.
for m in $ours; do
	typed=$(mi parmtype "$m" | sed 's/:.*//' | sort | tr '\n' ' ')
	undescribed=
	for p in $typed; do
		case " $(params "$m")" in *" $p "*) ;; *) undescribed="$undescribed $p" ;; esac
	done
	tap_is "$undescribed" "" "$m: no parameter without a description"
done

for m in argo_vsock argo_char virtio_argo argo_core; do rmmod "$m"; done
tap_ok $(loaded argo_core; [ $? -ne 0 ]; echo $?) "all four unload"
tap_is "$(tap_dmesg_since | grep -cE 'Unknown symbol|disagrees about version')" 0 \
	"no symbol errors in the kernel log"
tap_done
