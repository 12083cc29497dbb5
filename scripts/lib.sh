# SPDX-License-Identifier: GPL-2.0
#
# Shared shell functions of the test rig.  Sourced by scripts/check,
# scripts/testvm and the scripts/rig-* steps; never run on its own.
#
# Two folders:
#  - the cache, $ARGO_TEST_CACHE, by default the per-user cache folder
#    ${XDG_CACHE_HOME:-~/.cache}/virtio-argo: what the rig downloads or
#    builds from other projects' sources (apt lists, Xen, its tools, the
#    kernels, the debug kernel, the sid chroot, vsock_test, checkpatch,
#    run_kselftest.sh, the Flask policies, the fuzz corpora).  It outlives the clone, so a
#    fresh clone (and CI on the developer's machine) starts warm.  Each
#    entry is keyed on what it was built from (package versions, config
#    and script hashes, the compiler) and a stale one is never used; each
#    is made under a lock (rig_lock) and moved into place whole, so several
#    clones can use one cache at once.  `make clean-cache` empties it.
#  - the work folder, build/ in this clone ($ARGO_TEST_WORK overrides it):
#    what is built from this clone's own files (the modules, the guest
#    images, the userspace programs), the VM runs and make check's report.
RIG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rig_default_cache() { echo "${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/virtio-argo"; }
RIG_CACHE=${ARGO_TEST_CACHE:-$(rig_default_cache)}
RIG_WORK=${ARGO_TEST_WORK:-$RIG_ROOT/build}
# A folder the rig makes its cache (new or empty) gets the standard mark of
# a cache folder, CACHEDIR.TAG: `make clean-cache` empties no other folder
# than one so marked or the default one.
if [ -z "$(ls -A "$RIG_CACHE" 2>/dev/null)" ]; then
	mkdir -p "$RIG_CACHE"
	printf '%s\n' 'Signature: 8a477f597d28d172789f06886806bc55' \
		'# The virtio-argo test rig'"'"'s cache (scripts/lib.sh); make clean-cache empties it.' \
		>"$RIG_CACHE/CACHEDIR.TAG"
fi
mkdir -p "$RIG_CACHE/locks" "$RIG_WORK/logs"
RIG_CACHE=$(cd "$RIG_CACHE" && pwd)
RIG_WORK=$(cd "$RIG_WORK" && pwd)
# Logs of this clone's runs (the cache's own builds log here too).
RIG_LOGS=$RIG_WORK/logs
RIG_JOBS=${RIG_JOBS:-$(nproc)}

# Kernel series the rig knows: the Debian 12 kernel and the backports one
# (what `make check` tests by default), and "debug", our own build of
# Debian's 6.1 source with lockdep, KFENCE, kmemleak and KUnit
# (scripts/rig-debug-kernel), which every --kernel option also takes.
RIG_SERIES="6.1 6.12"
RIG_SERIES_ALL="$RIG_SERIES debug"
# Kernel series testvm's --kernel also takes but `make check` does not test
# by default: "sid", the newest kernel of Debian sid, from the sid chroot
# of scripts/rig-sid-chroot (its image, modules and vsock_test come from
# sid's archive through that chroot; our modules are built inside it by
# scripts/rig-sid-build).
RIG_SERIES_EXTRA="sid"

# rig_lock NAME: hold the cache's lock NAME until this process exits (or
# the shell closes the descriptor): one clone builds an entry while the
# others wait for it, then find it made.
rig_lock() {
	local fd
	exec {fd}>"$RIG_CACHE/locks/$1.lock"
	flock "$fd"
}

rig_log() { printf '[rig] %s\n' "$*" >&2; }
rig_die() { printf '[rig] error: %s\n' "$*" >&2; exit 2; }

# Run a command with its output going to a log file; on failure show the
# log's tail so the reason is visible without digging.
rig_quiet() {
	local log=$1; shift
	mkdir -p "$(dirname "$log")"
	if ! "$@" >"$log" 2>&1; then
		rig_log "command failed: $* (log: $log)"
		tail -n 40 "$log" >&2
		return 1
	fi
}

# Phase timing: rig_phase NAME starts a phase, rig_phase_end prints it.
rig_phase() {
	RIG_PHASE_NAME=$1
	RIG_PHASE_T0=$(date +%s.%N)
	rig_log "phase: $1 ..."
}
rig_phase_end() {
	local dt
	dt=$(awk -v a="$RIG_PHASE_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	printf '[rig] phase: %-44s %7ss\n' "$RIG_PHASE_NAME" "$dt" >&2
	if [ -n "${RIG_TIMES_FILE:-}" ]; then
		printf '%-52s %7ss\n' "$RIG_PHASE_NAME" "$dt" >>"$RIG_TIMES_FILE"
	fi
}

# A short stable hash of files and strings, for cache keys.
rig_hash() {
	local x
	for x in "$@"; do
		if [ -f "$x" ]; then cat "$x"; else printf '%s\n' "$x"; fi
	done | sha256sum | cut -c1-12
}

# ---- private apt configuration ------------------------------------------
#
# Source packages, kernels and the Xen tools come from Debian's archive
# through an apt configuration of our own in the cache: the machine's apt
# sources are never edited and nothing is installed from it.

RIG_APT=$RIG_CACHE/apt
rig_apt_opts() {
	printf '%s\n' \
		-o "Dir::Etc::sourcelist=$RIG_APT/sources.list" \
		-o "Dir::Etc::sourceparts=-" \
		-o "Dir::State::Lists=$RIG_APT/lists" \
		-o "Dir::Cache=$RIG_APT/cache" \
		-o "APT::Sandbox::User=root" \
		-o "Acquire::Retries=3"
}
rig_apt_get() { local o; mapfile -t o < <(rig_apt_opts); apt-get -q "${o[@]}" "$@"; }
rig_apt_cache() { local o; mapfile -t o < <(rig_apt_opts); apt-cache "${o[@]}" "$@"; }

# Same mirrors as the machine uses (or Debian's), bookworm plus backports.
# Under the cache's apt lock, in a subshell that releases it.
rig_apt_setup() { (rig_apt_setup_locked) || exit 2; }
rig_apt_setup_locked() {
	local mirror=http://deb.debian.org/debian
	local sec=http://deb.debian.org/debian-security
	local key="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
	local age

	rig_lock apt
	mkdir -p "$RIG_APT/lists/partial" "$RIG_APT/cache/archives/partial"
	cat >"$RIG_APT/sources.list.new" <<EOF
deb $key $mirror bookworm main
deb-src $key $mirror bookworm main
deb $key $mirror bookworm-updates main
deb $key $mirror bookworm-backports main
deb $key $sec bookworm-security main
deb-src $key $sec bookworm-security main
EOF
	if ! cmp -s "$RIG_APT/sources.list.new" "$RIG_APT/sources.list"; then
		mv "$RIG_APT/sources.list.new" "$RIG_APT/sources.list"
		rm -f "$RIG_APT/updated"
	fi
	rm -f "$RIG_APT/sources.list.new"
	# Refresh the package lists at most every 12 hours, or on request.
	age=999999
	[ -f "$RIG_APT/updated" ] && age=$(( $(date +%s) - $(stat -c %Y "$RIG_APT/updated") ))
	if [ "$age" -gt 43200 ] || [ -n "${ARGO_TEST_REFRESH:-}" ]; then
		rig_quiet "$RIG_LOGS/apt-update.log" rig_apt_get update ||
			rig_die "cannot update the rig's private apt lists"
		touch "$RIG_APT/updated"
	fi
}

# Download packages (name or name=version) into a directory.
rig_apt_download() {
	local dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && rig_apt_get download "$@") >"$RIG_LOGS/apt-download.log" 2>&1 ||
		{ tail -n 20 "$RIG_LOGS/apt-download.log" >&2; return 1; }
}

# rig_apt_fetch PKG VER: the .deb of PKG=VER, downloaded once into the
# cache's debs/ folder, which keeps one version of each package (the
# kernel source packages serve several steps: checkpatch, vsock_test, the
# debug kernel).  Prints its path.
rig_apt_fetch() {
	local pkg=$1 ver=$2 name f t
	name=${pkg}_${ver/:/%3a}
	(
		rig_lock "deb-$pkg"
		for f in "$RIG_CACHE/debs/${pkg}"_*.deb; do
			[ -e "$f" ] || continue
			case $f in "$RIG_CACHE/debs/$name"_*.deb) ;; *) rm -f "$f" ;; esac
		done
		compgen -G "$RIG_CACHE/debs/${name}_*.deb" >/dev/null && exit 0
		t=$(mktemp -d "$RIG_CACHE/debs.tmp.XXXXXX")
		trap 'rm -rf "$t"' EXIT
		rig_apt_download "$t" "$pkg=$ver" || exit 1
		mkdir -p "$RIG_CACHE/debs"
		mv "$t"/*.deb "$RIG_CACHE/debs/"
	) || return 1
	compgen -G "$RIG_CACHE/debs/${name}_*.deb" | head -n 1
}

# ---- kernels ------------------------------------------------------------

# The Debian kernel release (uname -r) the rig uses for a series, resolved
# through the linux-image-amd64 metapackage: the newest version of that
# series in bookworm, bookworm-security or bookworm-backports.
rig_kernel_release() {
	local series=$1 f=$RIG_CACHE/kernels/release-$1 ver
	mkdir -p "$RIG_CACHE/kernels"
	if [ "$series" = sid ]; then
		# The release of sid's linux-headers-amd64 in the chroot (made or
		# brought up to date on the way).
		"$RIG_ROOT/scripts/rig-sid-chroot" || exit 2
		return
	fi
	if [ "$series" = debug ]; then
		# The debug kernel's release is the source's upstream version
		# (no epoch, no Debian revision) and its LOCALVERSION.
		ver=$(rig_debug_kernel_source) || exit 2
		ver=${ver#*:}
		echo "${ver%-*}$RIG_DEBUG_LOCALVERSION"
		return
	fi
	if [ -s "$f" ] && [ "$f" -nt "$RIG_APT/updated" ]; then
		cat "$f"
		return
	fi
	ver=$(rig_apt_cache madison linux-image-amd64 | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
		grep -E "^${series//./\\.}\\.[0-9]" | sort -V | tail -n 1)
	[ -n "$ver" ] || rig_die "no linux-image-amd64 of series $series in the archive"
	rig_apt_cache depends "linux-image-amd64=$ver" |
		sed -n 's/^ *Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n 1 >"$f.tmp"
	[ -s "$f.tmp" ] || rig_die "cannot resolve the kernel of linux-image-amd64=$ver"
	mv "$f.tmp" "$f"
	cat "$f"
}

rig_kernel_dir() { echo "$RIG_CACHE/kernels/$1"; }
rig_kbuild_dir() {
	local krel=$1
	echo "$(rig_kernel_dir "$krel")/root/usr/src/linux-headers-$krel"
}

# The debug kernel: built from Debian's linux-source-6.1 package, the
# archive's candidate version; its release is <upstream version> plus this
# LOCALVERSION (also in scripts/debug-kernel.config).
RIG_DEBUG_SOURCE=linux-source-6.1
RIG_DEBUG_LOCALVERSION=-argo-debug
rig_debug_kernel_source() {
	local ver
	ver=$(rig_apt_cache policy "$RIG_DEBUG_SOURCE" | sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || rig_die "no $RIG_DEBUG_SOURCE in the archive"
	echo "$ver"
}

# The newest kernel of Debian sid: its kbuild binaries need sid's C
# library, so its headers live in a debootstrap'd sid chroot in the cache
# (scripts/rig-sid-chroot, which prints the release) and our modules are
# built inside it (scripts/rig-sid-build).
rig_sid_dir() { echo "$RIG_CACHE/sid"; }
rig_sid_root() { echo "$RIG_CACHE/sid/root"; }

# rig_sid_run CMD...: run CMD in the sid chroot, as root, with a clean
# environment, from a private mount namespace with /proc and /dev mounted
# in the chroot: the mounts are never visible in the machine's namespace
# and vanish with the command however it ends (no umount to forget).
rig_sid_run() {
	# shellcheck disable=SC2016 # expanded by that sh
	unshare --mount --propagation private -- /bin/sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --bind /dev "$r/dev" &&
			exec chroot "$r" "$@"' sh "$(rig_sid_root)" \
		/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
