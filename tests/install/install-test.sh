#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-test.sh KDIR: `make install`, `make uninstall` and `make deb`
# as a user runs them, into staging roots (DESTDIR), against the kernel
# build directory KDIR; TAP on stdout.  A copy of the tree is used, so
# the checkout gets no build outputs.  (DKMS itself is tested in a guest:
# tests/vm/25-install-dkms.sh.)
set -uo pipefail
kdir=$(cd "${1:?usage: install-test.sh KDIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h")
# kbuild's modules_install compresses modules as the kernel's own are
# (Debian's 6.12: CONFIG_MODULE_COMPRESS_XZ, so .ko.xz; its 6.1: none).
ko=.ko
grep -q '^CONFIG_MODULE_COMPRESS_XZ=y' "$kdir/.config" && ko=.ko.xz
grep -q '^CONFIG_MODULE_COMPRESS_ZSTD=y' "$kdir/.config" && ko=.ko.zst
grep -q '^CONFIG_MODULE_COMPRESS_GZIP=y' "$kdir/.config" && ko=.ko.gz
ver=$(sed -n 's/^#define ARGO_SUITE_VERSION "\(.*\)"$/\1/p' "$top/include/argo/version.h")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

mkdir -p "$T/src"
(cd "$top" && git ls-files -co --exclude-standard 2>/dev/null | grep -v '^build/' |
	while read -r f; do [ -f "$f" ] && echo "$f"; done | cpio -pdm --quiet "$T/src")
files() { (cd "$1" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' '); }
run() { # LOG CMD...: run CMD, its output into LOG (shown on failure)
	local log=$1 rc
	shift
	"$@" >"$log" 2>&1
	rc=$?
	[ $rc = 0 ] || sed 's/^/# /' "$log" | tail -n 20
	return $rc
}

tap_ok $([ -n "$ver" ]; echo $?) "the suite's version is in include/argo/version.h ($ver)"
tap_is "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")" "$ver" \
	"dkms.conf's PACKAGE_VERSION is the suite's version"

# ---- make install DESTDIR=... PREFIX=/usr --------------------------------
R=$T/root
run "$T/install.log" make -C "$T/src" install KDIR="$kdir" DESTDIR="$R" PREFIX=/usr
tap_ok $? "make install KDIR=... DESTDIR=... PREFIX=/usr"
M=lib/modules/$krel
want="$M/updates/argo-char/argo-char$ko $M/updates/argo-core/argo-core$ko $M/updates/argo-vsock/argo-vsock$ko $M/updates/virtio-argo/virtio-argo$ko "
tap_is "$(files "$R" | tr ' ' '\n' | grep -E '\.ko(\.[a-z]+)?$' | tr '\n' ' ')" "$want" \
	"the four modules are in /lib/modules/$krel/updates/<module>/, as <module>$ko"
tap_is "$(files "$R" | tr ' ' '\n' | grep -v "^$M/" | tr '\n' ' ')" \
	"usr/bin/argo usr/bin/argo-virtio-backend usr/include/libargo.h usr/include/linux/argo.h usr/lib/libargo.a usr/lib/pkgconfig/argo.pc usr/lib/udev/rules.d/60-argo.rules " \
	"userspace: the argo command, the backend, libargo, headers, pkg-config, udev rule"
tap_is "$(grep -c "^updates/virtio-argo/virtio-argo$ko: updates/argo-core/argo-core$ko" "$R/$M/modules.dep" 2>&1)" 1 \
	"depmod ran: modules.dep has virtio-argo depending on argo-core"
tap_is "$(modinfo -F version "$R/$M/updates/argo-core/argo-core$ko" 2>&1)" "$ver" "modinfo: argo-core is version $ver"
tap_is "$(sed -n 's/^prefix=//p; s/^Version: //p' "$R/usr/lib/pkgconfig/argo.pc" | tr '\n' ' ')" "/usr $ver " \
	"argo.pc: prefix /usr, version $ver"

# ---- make uninstall with the same variables ------------------------------
run "$T/uninstall.log" make -C "$T/src" uninstall KDIR="$kdir" DESTDIR="$R" PREFIX=/usr
tap_ok $? "make uninstall KDIR=... DESTDIR=... PREFIX=/usr"
tap_is "$(files "$R" | tr ' ' '\n' | grep -v "^$M/modules\." | tr '\n' ' ')" "" \
	"nothing is left but depmod's index"
tap_is "$(grep -c 'argo' "$R/$M/modules.dep" 2>&1)" 0 "depmod ran again: modules.dep names none of ours"

# ---- PREFIX=/usr/local: the udev rule goes where udev reads it -----------
run "$T/tools.log" make -C "$T/src/tools" install DESTDIR="$T/local" PREFIX=/usr/local
tap_ok $? "make -C tools install PREFIX=/usr/local"
tap_ok $([ -f "$T/local/etc/udev/rules.d/60-argo.rules" ] && [ -x "$T/local/usr/local/bin/argo" ]; echo $?) \
	"PREFIX=/usr/local: argo in /usr/local/bin, the udev rule in /etc/udev/rules.d"

# ---- make deb ------------------------------------------------------------
run "$T/deb.log" make -C "$T/src" deb DIST="$T/dist"
tap_ok $? "make deb"
dk=$T/dist/virtio-argo-dkms_${ver}_all.deb
tl=$T/dist/argo-tools_${ver}_$(dpkg --print-architecture).deb
tap_is "$(dpkg-deb -f "$dk" Package Version Architecture Depends 2>&1 | tr '\n' ' ')" \
	"Package: virtio-argo-dkms Version: $ver Architecture: all Depends: dkms (>= 2.8) " \
	"virtio-argo-dkms: name, version, arch all, depends on dkms"
tap_is "$(dpkg-deb -c "$dk" | awk '{ print $6 }' | grep -vE '/$|^\./usr/src/virtio-argo-'"$ver"'/|^\./usr/share/doc/virtio-argo-dkms/' | tr '\n' ' ')" "" \
	"virtio-argo-dkms holds only /usr/src/virtio-argo-$ver and its copyright"
tap_is "$(dpkg-deb -c "$dk" | awk '{ print $6 }' | grep -cE '/(dkms\.conf|Kbuild|argo_compat\.h|version\.h)$')" 8 \
	"... with dkms.conf, the Kbuild files, the compat and version headers"
tap_is "$(dpkg-deb -c "$dk" | grep -c '\.ko$')" 0 "... and no built module"
mkdir -p "$T/ctl"
dpkg-deb -e "$dk" "$T/ctl"
tap_is "$(grep -c "common.postinst virtio-argo $ver" "$T/ctl/postinst")" 1 \
	"its postinst runs DKMS's common.postinst for virtio-argo $ver"
tap_is "$(dpkg-deb -f "$tl" Package Version 2>&1 | tr '\n' ' ')" "Package: argo-tools Version: $ver " \
	"argo-tools: name and version"
tap_is "$(dpkg-deb -c "$tl" | awk '{ print $6 }' | grep -cE '^\./usr/(bin/argo|bin/argo-virtio-backend|lib/libargo\.a|include/libargo\.h|lib/udev/rules\.d/60-argo\.rules)$')" 5 \
	"argo-tools holds the two programs, libargo, its header and the udev rule"
tap_done
