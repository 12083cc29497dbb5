#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-test.sh KDIR: `make install` and `make uninstall` as a user
# runs them, into staging roots (DESTDIR), against the kernel build
# directory KDIR; TAP on stdout.  A copy of the tree is used, so the
# checkout gets no build outputs.  (`make deb` and the packages:
# tests/install/package-test.sh; DKMS itself is tested in a guest:
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
EX=usr/share/doc/virtio-argo/examples
tap_is "$(files "$R" | tr ' ' '\n' | grep -v "^$M/" | tr '\n' ' ')" \
	"usr/bin/argo usr/bin/argo-virtio-backend usr/include/libargo.h usr/include/linux/argo.h usr/lib/libargo.a usr/lib/pkgconfig/argo.pc usr/lib/systemd/system/argo-virtio-backend.service usr/lib/udev/rules.d/60-argo.rules $EX/backend.conf $EX/modprobe.d/virtio-argo.conf $EX/modules-load.d/argo-backend.conf $EX/modules-load.d/virtio-argo.conf " \
	"userspace: the argo command, the backend, libargo, headers, pkg-config, udev rule, systemd unit, examples"
tap_is "$(grep '^ExecStart=' "$R/usr/lib/systemd/system/argo-virtio-backend.service" 2>&1)" \
	"ExecStart=/usr/bin/argo-virtio-backend --config /etc/virtio-argo/backend.conf" \
	"the unit runs /usr/bin/argo-virtio-backend --config /etc/virtio-argo/backend.conf"
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
tap_is "$(grep '^ExecStart=' "$T/local/usr/local/lib/systemd/system/argo-virtio-backend.service" 2>&1)" \
	"ExecStart=/usr/local/bin/argo-virtio-backend --config /etc/virtio-argo/backend.conf" \
	"PREFIX=/usr/local: the unit in /usr/local/lib/systemd/system runs /usr/local/bin/argo-virtio-backend"
run "$T/tools-un.log" make -C "$T/src/tools" uninstall DESTDIR="$T/local" PREFIX=/usr/local
tap_ok $? "make -C tools uninstall PREFIX=/usr/local"
tap_is "$(files "$T/local")" "" "... leaves no file"

tap_done
