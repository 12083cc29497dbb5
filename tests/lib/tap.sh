# SPDX-License-Identifier: GPL-2.0
#
# A small TAP 13 producer for shell tests, in the style of the kernel's
# kselftests: "TAP version 13", "ok N name", "not ok N name # reason",
# the plan "1..N" last, and exit status 0 (pass), 1 (fail) or 4 (skip).
#
#   . /rig/tap.sh
#   tap_is "$(cat /sys/hypervisor/type)" xen "running on Xen"
#   tap_done

# Where the test runs from: the rig's /rig/tests, or the collection's
# folder of a kselftest install (make kselftest-install, docs/kselftest.md),
# whose bin/ holds the suite's programs and modules/ its test modules.
TAP_HOME=$(cd "$(dirname "$0")" && pwd)
[ -d "$TAP_HOME/bin" ] && PATH=$TAP_HOME/bin:$PATH

TAP_N=0
TAP_FAIL=0
TAP_SKIP=0
echo "TAP version 13"

# tap_ok STATUS NAME [DIAG]: STATUS 0 is a pass; DIAG explains a failure.
tap_ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N $2"
	else
		TAP_FAIL=$((TAP_FAIL + 1))
		echo "not ok $TAP_N $2${3:+ # $3}"
	fi
}

# tap_is GOT WANT NAME: pass when the two strings are equal.
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3" "got '$1', want '$2'"
	fi
}

# tap_cmd NAME CMD...: pass when CMD exits 0; its output goes to the log.
tap_cmd() {
	_name=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	[ -n "$_out" ] && printf '%s\n' "$_out" | sed 's/^/# /'
	tap_ok $_rc "$_name" "exit status $_rc"
}

# tap_skip NAME REASON
tap_skip() {
	TAP_N=$((TAP_N + 1))
	TAP_SKIP=$((TAP_SKIP + 1))
	echo "ok $TAP_N $1 # SKIP $2"
}

tap_diag() { echo "# $*"; }

tap_done() {
	echo "1..$TAP_N"
	[ $TAP_FAIL -gt 0 ] && exit 1
	[ $TAP_N -gt 0 ] && [ $TAP_SKIP -eq $TAP_N ] && exit 4
	exit 0
}

# tap_dmesg_mark: write a numbered mark line into the kernel log, so that
# tap_dmesg_since prints only what was logged after it.  A mark rather
# than a line count: once the log buffer is full (a device that logs on
# every config change fills it), old lines go as new ones come and the
# count stands still.
TAP_DMESG_N=0
tap_dmesg_mark() {
	TAP_DMESG_N=$((TAP_DMESG_N + 1))
	TAP_DMESG_MARK="tap-mark $$.$TAP_DMESG_N"
	echo "$TAP_DMESG_MARK" >/dev/kmsg
}
tap_dmesg_since() {
	dmesg | awk -v m="${TAP_DMESG_MARK:-}" 'm == "" || on { print } m != "" && index($0, m) { on = 1 }'
}

# tap_kmod_results MODNAME: turn the "MODNAME: ok N - ..." lines a test
# module logged since tap_dmesg_mark into TAP lines of this test.
tap_kmod_results() {
	tap_dmesg_since | sed -n "s/^\[[ 0-9.]*\] $1: //p" |
		grep -E '^(not )?ok [0-9]+ ' >/tmp/.tap_kmod
	if [ ! -s /tmp/.tap_kmod ]; then
		tap_ok 1 "$1 reported results" "no TAP lines in the kernel log"
		return
	fi
	while read -r _l; do
		case $_l in
		"not ok "*) tap_ok 1 "$1: ${_l#not ok * - }" ;;
		*) tap_ok 0 "$1: ${_l#ok * - }" ;;
		esac
	done </tmp/.tap_kmod
}

# kernel_older MAJ.MIN: is the running kernel older than MAJ.MIN?
kernel_older() {
	_k=$(uname -r)
	_kmaj=${_k%%.*}
	_kmin=${_k#*.}
	_kmin=${_kmin%%[!0-9]*}
	[ "$_kmaj" -lt "${1%%.*}" ] ||
		{ [ "$_kmaj" -eq "${1%%.*}" ] && [ "$_kmin" -lt "${1#*.}" ]; }
}

# kernel_has OPTION: was the running kernel built with CONFIG_OPTION (=y
# or =m)?
kernel_has() {
	grep -Eq "^CONFIG_$1=(y|m)$" /rig/kconfig
}

# vsock_test_skip_why NAME: why this kernel skips vsock_test's case NAME
# (/rig/vsock-test-skips); status 1 when it runs it.
vsock_test_skip_why() {
	_tab=$(printf '\t')
	while IFS=$_tab read -r _when _name _why; do
		[ "$_name" = "$1" ] || continue
		case $_when in
		virtio) ;;
		"<"*) kernel_older "${_when#<}" || continue ;;
		*) continue ;;
		esac
		echo "$_why"
		return 0
	done <<EOF
$(grep -v '^#' "${VSOCK_TEST_SKIPS:-/rig/vsock-test-skips}")
EOF
	return 1
}

# vsock_test_skips: the --skip options, for the installed vsock_test, of
# the cases this kernel skips.  Both peers of a run must pass the same.
vsock_test_skips() {
	_tab=$(printf '\t')
	vsock_test --list 2>/dev/null | while IFS=$_tab read -r _n _name; do
		case $_n in '' | *[!0-9]*) continue ;; esac
		vsock_test_skip_why "$_name" >/dev/null && printf ' --skip=%s' "$_n"
	done
}

# tap_vsock_test FILE LABEL: one TAP line per test in the output FILE of
# Linux's vsock_test ("N - NAME...ok"): ok; skipped, with its reason when
# /rig/vsock-test-skips names it for this kernel (vsock_test_skips),
# else a failure (the suite must run every test); or, for the test it
# died in, not ok with its last words; then whether both peers completed.
tap_vsock_test() {
	_done=0
	_cur=
	while IFS= read -r _l; do
		case $_l in
		[0-9]*" - "*...ok) tap_ok 0 "$2: ${_l%...ok}" ;;
		[0-9]*" - "*...skipped)
			_t=${_l%...skipped}
			if _skipwhy=$(vsock_test_skip_why "${_t#* - }"); then
				tap_skip "$2: $_t" "$_skipwhy"
			else
				tap_ok 1 "$2: $_t" "skipped"
			fi
			;;
		[0-9]*" - "*...*) _cur=${_l%%...*}; _why=${_l#*...} ;;
		"All tests have been executed. Waiting other peer...ok") _done=1 ;;
		*) [ -n "$_cur" ] && _why="$_why $_l" ;;
		esac
	done <"$1"
	case $(tail -n 1 "$1") in
	[0-9]*" - "*...ok | [0-9]*" - "*...skipped | *"Waiting other peer...ok") ;;
	*) [ -n "$_cur" ] && tap_ok 1 "$2: $_cur" "$_why" ;;
	esac
	tap_ok $((1 - _done)) "$2: both peers completed every test"
}

# stream_count: how many messages the stream test (51, 53, 54) sends
# through its one-page ring: 100,000 on every kernel.  They wrap the ring
# about 25,000 times, and nothing in the path counts further than the ring
# (its rx/tx offsets stay below its size; the stream's sequence numbers are
# 64-bit), so the 1,000,000 that 6.1 used to send (136 s under TCG, against
# 13 s) proved nothing more.  STREAM_COUNT (testvm --stream-count)
# overrides it, for a longer soak.
stream_count() {
	echo "${STREAM_COUNT:-100000}"
}

# vsock_bulk_mib: how many MiB the vsock bulk test (72) sends: 256 on the
# Debian kernels, 64 on the debug lane's, where 256 took 76 s under TCG;
# 64 MiB is still 256 times dom0's 256 KiB receive ring.
vsock_bulk_mib() {
	case $(uname -r) in
	*-argo-debug) echo 64 ;;
	*) echo 256 ;;
	esac
}

# tap_modprobe MODULE [PARAM=VALUE...]: load one of the suite's test
# modules (argo_selftest): from the kselftest collection's modules/ when
# it has it (built against the running kernel by make kselftest-install;
# argo-core, which it needs, is loaded), else from the kernel's module
# tree (the rig's images).
tap_modprobe() {
	if [ -f "$TAP_HOME/modules/$1.ko" ]; then
		_m=$1
		shift
		insmod "$TAP_HOME/modules/$_m.ko" "$@"
	else
		modprobe "$@"
	fi
}

# tap_debugfs: debugfs mounted on /sys/kernel/debug (the rig's /init
# mounts it; a farm's system may not have).
tap_debugfs() {
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
		mount -t debugfs debugfs /sys/kernel/debug
}

# tap_role: dom0 or domu, this domain's role: the rig's ROLE, else dom0
# when Xen gives this domain the all-zero handle that only dom0 has
# (/sys/hypervisor/uuid), domu otherwise.
tap_role() {
	if [ -n "${ROLE:-}" ]; then
		echo "$ROLE"
	elif [ "$(cat /sys/hypervisor/uuid 2>/dev/null)" = 00000000-0000-0000-0000-000000000000 ]; then
		echo dom0
	else
		echo domu
	fi
}
