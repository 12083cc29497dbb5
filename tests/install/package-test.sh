#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# package-test.sh: the Debian packages and the backend's systemd unit, on
# the host (no kernel needed); TAP on stdout.  Run once by `make check`.
#
#   - debian/changelog's version is include/argo/version.h's;
#   - `make deb` (dpkg-buildpackage -us -uc -b from debian/, in a scratch
#     copy of the tree) builds virtio-argo-dkms and argo-tools; their
#     fields, files and maintainer scripts;
#   - lintian finds nothing in either package (errors, warnings and info
#     tags; the overrides in debian/*.lintian-overrides explain themselves);
#   - systemd-analyze verify has nothing to say about the packaged unit,
#     the unit keeps its sandbox, and systemd-analyze security rates it
#     no worse than 3.0 ("OK");
#   - the modprobe.d example uses only parameters the modules have, the
#     modules-load.d examples only modules the suite builds.
# Nothing is written into the checkout: the build, its scratch copy and
# the packages are in a temporary folder.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$top/tests/lib/tap.sh"
ver=$(sed -n 's/^#define ARGO_SUITE_VERSION "\(.*\)"$/\1/p' "$top/include/argo/version.h")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
MODULES="argo-core argo-char argo-vsock virtio-argo"
UNIT=lib/systemd/system/argo-virtio-backend.service
EX=usr/share/doc/argo-tools/examples

# diag FILE: a failure's details, as TAP comments (the first 30 lines)
diag() { head -n 30 "$1" | sed 's/^/# /'; }

tap_is "$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version 2>&1)" "$ver" \
	"debian/changelog's version is the suite's ($ver)"

# ---- make deb ---------------------------------------------------------------
make -C "$top" deb DIST="$T/dist" DEB_WORK="$T/work" >"$T/deb.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 "$T/deb.log" | sed 's/^/# /'
tap_ok $rc "make deb (dpkg-buildpackage -us -uc -b on a copy of the tree)"
dk=$T/dist/virtio-argo-dkms_${ver}_all.deb
tl=$T/dist/argo-tools_${ver}_$arch.deb
tap_is "$(cd "$T/dist" 2>/dev/null && ls | tr '\n' ' ')" "$(basename "$tl") $(basename "$dk") " \
	"make deb put exactly the two packages into DIST"
contents() { dpkg-deb -c "$1" 2>&1 | awk '{ print $6 }' | grep -v '/$' | sed 's|^\./||'; }
# Without both packages nothing below means anything.
if [ ! -f "$dk" ] || [ ! -f "$tl" ]; then
	tap_diag "no packages: the checks of their contents, lintian and the unit's did not run"
	tap_done
fi

# ---- virtio-argo-dkms -------------------------------------------------------
tap_is "$(dpkg-deb -f "$dk" Package Version Architecture Depends 2>&1 | tr '\n' ' ')" \
	"Package: virtio-argo-dkms Version: $ver Architecture: all Depends: dkms (>= 2.8) " \
	"virtio-argo-dkms: name, version, arch all, depends on dkms"
tap_is "$(contents "$dk" | grep -vE "^usr/src/virtio-argo-$ver/|^usr/share/doc/virtio-argo-dkms/(copyright|changelog\.gz)$|^usr/share/lintian/overrides/virtio-argo-dkms$" | tr '\n' ' ')" "" \
	"virtio-argo-dkms holds only /usr/src/virtio-argo-$ver, its copyright, changelog and lintian overrides"
# the package's source folder is exactly what `make dkms-src` installs
make -s -C "$top" dkms-src DESTDIR="$T/dkms-src" >/dev/null 2>&1
tap_is "$(contents "$dk" | sed -n "s|^usr/src/virtio-argo-$ver/||p" | sort | tr '\n' ' ')" \
	"$(cd "$T/dkms-src/usr/src/virtio-argo-$ver" 2>/dev/null && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')" \
	"... whose /usr/src/virtio-argo-$ver is what make dkms-src installs (dkms.conf, Kbuild files, sources, headers)"
tap_is "$(contents "$dk" | grep -c '\.ko$')" 0 "... and no built module"
mkdir -p "$T/dk-ctl" "$T/dk-root"
dpkg-deb -e "$dk" "$T/dk-ctl" && dpkg-deb -x "$dk" "$T/dk-root"
tap_is "$(cmp "$top/dkms.conf" "$T/dk-root/usr/src/virtio-argo-$ver/dkms.conf" 2>&1)" "" \
	"its dkms.conf is the repository's"
tap_is "$(grep -cE "^DKMS_NAME=virtio-argo$|^DKMS_VERSION=$ver$|/usr/lib/dkms/common.postinst" "$T/dk-ctl/postinst" 2>&1)" 3 \
	"its postinst (dh_dkms) runs DKMS's common.postinst for virtio-argo $ver"
tap_is "$(grep -cE "^DKMS_NAME=virtio-argo$|^DKMS_VERSION=$ver$|dkms remove -m" "$T/dk-ctl/prerm" 2>&1)" 3 \
	"its prerm removes virtio-argo $ver from DKMS"

# ---- argo-tools -------------------------------------------------------------
tap_is "$(dpkg-deb -f "$tl" Package Version Architecture 2>&1 | tr '\n' ' ')" \
	"Package: argo-tools Version: $ver Architecture: $arch " "argo-tools: name, version, arch $arch"
tap_is "$(contents "$tl" | grep -vE '^usr/share/(doc/argo-tools/(copyright|changelog\.gz)|lintian/overrides/argo-tools)$' | sort | tr '\n' ' ')" \
	"$(printf '%s\n' usr/bin/argo usr/bin/argo-virtio-backend usr/include/libargo.h \
		usr/include/linux/argo.h "usr/lib/$multiarch/libargo.a" "usr/lib/$multiarch/pkgconfig/argo.pc" \
		usr/lib/udev/rules.d/60-argo.rules "$UNIT" "$EX/backend.conf" \
		"$EX/modprobe.d/virtio-argo.conf" "$EX/modules-load.d/argo-backend.conf" \
		"$EX/modules-load.d/virtio-argo.conf" usr/share/man/man1/argo.1.gz \
		usr/share/man/man8/argo-virtio-backend.8.gz | sort | tr '\n' ' ')" \
	"argo-tools: the programs, libargo, its headers and pkg-config file, the udev rule, the unit, the examples, the manual pages"
mkdir -p "$T/at-ctl" "$T/at-root"
dpkg-deb -e "$tl" "$T/at-ctl" && dpkg-deb -x "$tl" "$T/at-root"
tap_is "$(grep -c '^[[:space:]]*addgroup --system argo' "$T/at-ctl/postinst" 2>&1)" 1 \
	"its postinst creates the group argo (the udev rule's)"
tap_is "$(grep -c "deb-systemd-helper.* enable 'argo-virtio-backend.service'" "$T/at-ctl/postinst"; \
	grep -c 'deb-systemd-invoke.*start' "$T/at-ctl/postinst")" "$(printf '1\n0')" \
	"installing it enables the service only if it was enabled before, and starts nothing"

# ---- lintian ----------------------------------------------------------------
# --fail-on info too: every info tag is either fixed or overridden, with
# the reason next to the override.
for deb in "$dk" "$tl"; do
	pkg=$(basename "$deb" | cut -d_ -f1)
	lintian --fail-on error,warning,info --display-info "$deb" >"$T/lintian.$pkg" 2>&1
	rc=$?
	grep -v '^running with root privileges is not recommended!$' "$T/lintian.$pkg" >"$T/lintian.$pkg.tags"
	clean=1
	[ $rc = 0 ] && [ ! -s "$T/lintian.$pkg.tags" ] && clean=0
	[ $clean = 0 ] || diag "$T/lintian.$pkg.tags"
	tap_ok $clean \
		"lintian $pkg: no error, warning or info tag" "exit status $rc, $(wc -l <"$T/lintian.$pkg.tags") line(s)"
done

# ---- the systemd unit -------------------------------------------------------
u=$T/at-root/$UNIT
tap_is "$(grep -E '^Exec(Start|Reload)=' "$u" 2>&1 | tr '\n' ' ')" \
	"ExecStart=/usr/bin/argo-virtio-backend --config /etc/virtio-argo/backend.conf ExecReload=/bin/kill -HUP \$MAINPID " \
	"the unit runs /usr/bin/argo-virtio-backend --config ..., reloads it with SIGHUP"
# systemd-analyze verify checks that ExecStart's program exists: the copy
# it checks runs the packaged program from where it was unpacked, and is
# otherwise the packaged unit.  (It exits 0 on unknown or malformed
# settings, so any output at all fails.)
mkdir -p "$T/verify"
sed "s|^ExecStart=/usr/bin/|ExecStart=$T/at-root/usr/bin/|" "$u" >"$T/verify/argo-virtio-backend.service"
SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$T/verify/argo-virtio-backend.service" >"$T/verify.log" 2>&1
rc=$?
clean=1
[ $rc = 0 ] && [ ! -s "$T/verify.log" ] && clean=0
[ $clean = 0 ] || diag "$T/verify.log"
tap_ok $clean \
	"systemd-analyze verify: the unit is clean" "exit status $rc, $(wc -l <"$T/verify.log") line(s)"
# The sandbox: each of these settings must be in the unit as it is here.
missing=
while read -r want; do
	grep -qxF "$want" "$u" || missing="$missing${missing:+; }$want"
done <<'EOF'
RuntimeDirectory=virtio-argo
StateDirectory=virtio-argo
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
DevicePolicy=closed
DeviceAllow=/dev/argo rw
DeviceAllow=/dev/net/tun rw
DeviceAllow=/dev/xen/xenbus rw
CapabilityBoundingSet=CAP_NET_ADMIN
NoNewPrivileges=yes
RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET
SystemCallFilter=@system-service
Requires=dev-argo.device
ConditionPathExists=/etc/virtio-argo/backend.conf
EOF
tap_is "$missing" "" "the unit's sandbox: devices, capabilities, file system, address families, system calls"
# No AF_INET6, no other device, no other capability, no other writable path.
tap_is "$(grep -E '^(DeviceAllow|CapabilityBoundingSet|AmbientCapabilities|ReadWritePaths|RestrictAddressFamilies|PrivateDevices|User)=' "$u" | sort | tr '\n' ' ')" \
	"CapabilityBoundingSet=CAP_NET_ADMIN DeviceAllow=/dev/argo rw DeviceAllow=/dev/net/tun rw DeviceAllow=/dev/xen/xenbus rw RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET " \
	"... and nothing more: no other device, capability, writable path or address family"
exposure=$(SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=yes --no-pager \
	"$T/verify/argo-virtio-backend.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for argo-virtio-backend.service: \([0-9.]*\).*/\1/p')
awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 3.0) }'
tap_ok $? \
	"systemd-analyze security: exposure ${exposure:-unknown} (3.0 at most)"

# ---- the examples -----------------------------------------------------------
# Each "options MODULE NAME=VALUE..." line of the modprobe.d example, in
# use or commented out, names a parameter MODULE declares
# (module_param, module_param_named, module_param_cb, module_param_array).
params() {
	sed -n 's/^[[:space:]]*module_param\(_named\|_cb\|_array\)\?(\([a-z_0-9]*\),.*/\2/p' \
		"$top/$1"/*.c | sort -u
}
bad=
n=0
while read -r mod rest; do
	case " $MODULES " in *" $mod "*) ;; *) bad="$bad unknown module $mod;"; continue ;; esac
	for kv in $rest; do
		n=$((n + 1))
		params "$mod" | grep -qx "${kv%%=*}" || bad="$bad $mod has no parameter ${kv%%=*};"
	done
done < <(sed -n 's/^#\?options[[:space:]]\+//p' "$T/at-root/$EX/modprobe.d/virtio-argo.conf")
tap_is "$bad" "" "modprobe.d example: its $n parameter settings all name parameters of the modules"
bad=
for f in "$T/at-root/$EX"/modules-load.d/*.conf; do
	while read -r m; do
		case " $MODULES " in *" $m "*) ;; *) bad="$bad $(basename "$f"): $m;" ;; esac
	done < <(sed -n 's/^#\?\([a-z][a-z-]*\)$/\1/p' "$f")
done
tap_is "$bad" "" "modules-load.d examples: every module named is one of the suite's four"
# The packaged backend checks the packaged example: as shipped (every
# device commented out: it serves nothing until edited), and with every
# commented section and key taken in.
b=$T/at-root/usr/bin/argo-virtio-backend
c=$T/at-root/$EX/backend.conf
tap_is "$("$b" --config "$c" --check-config 2>&1 | tail -n 1)" "0 devices, configuration OK" \
	"the example backend.conf as shipped: valid, no device"
sed -E 's/^#(\[|[a-z-]+ = )/\1/' "$c" >"$T/backend-all.conf"
tap_is "$("$b" --config "$T/backend-all.conf" --check-config 2>&1 | tail -n 1)" \
	"7 devices, configuration OK" \
	"the example with every section and key uncommented: valid: its 7 devices (two disks, a network card, a console, an rng, a display and its input)"
tap_done
