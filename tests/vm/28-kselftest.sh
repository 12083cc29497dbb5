#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# timeout: 600
#
# The suite's kselftest collection (make kselftest-install,
# docs/kselftest.md), run as a test farm runs it: by Linux's own
# run_kselftest.sh (Debian's linux-source-6.1, scripts/rig-kselftest) from
# the kselftest install in /rig/kselftest, with the rig's ROLE and KREL
# unset.  Every test of the list must pass; the peer test (52-char-ping)
# is skipped in dom0, which has no peer given, and in the domU pings
# dom0's responder of 28-kselftest-peer, named by ARGO_PEER_DOMID and
# ARGO_PEER_PORT as a farm names its peer domain.  One TAP line a test of
# the collection.  Only on a boot given testvm --kselftest (make check:
# one kernel series, ARGO_KSELFTEST_KERNELS).
. /rig/tap.sh
K=/rig/kselftest
C=virtio-argo
if [ "${KSELFTEST:-0}" != 1 ]; then
	tap_skip "kselftest collection $C by run_kselftest.sh" \
		"only on a boot given testvm --kselftest (make check: ARGO_KSELFTEST_KERNELS)"
	tap_done
fi
list=$(grep "^$C:" "$K/kselftest-list.txt" | cut -d: -f2)
n=$(printf '%s\n' "$list" | grep -c .)
tap_diag "collection $C: $n tests"
[ "$n" -gt 0 ]
tap_ok $? "kselftest-list.txt lists the collection's tests"

peer=
[ "$ROLE" = domu ] && peer="ARGO_PEER_DOMID=0 ARGO_PEER_PORT=0x2200"
# The runner calls /usr/bin/timeout --foreground: coreutils' for the run
# (busybox's has no --foreground), busybox's again after it.
ln -sf /rig/libexec/timeout /usr/bin/timeout
# The runner writes each test's output to /dev/stdout, which a system's
# udev provides and the rig's devtmpfs has not: without it, that output
# would go to a file of that name.
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
# Appended to, not truncated: the runner writes each test's output
# through a descriptor of its own that it opens on /dev/stdout in append
# mode, and a plain `>` would let its own lines overwrite them.
: >/tmp/ksft.out
# shellcheck disable=SC2086 # $peer is words
env -u ROLE -u KREL $peer "$K/run_kselftest.sh" -c "$C" >>/tmp/ksft.out 2>&1
rc=$?
ln -sf /bin/busybox /usr/bin/timeout
sed 's/^/# /' /tmp/ksft.out
tap_is "$rc" 0 "run_kselftest.sh -c $C exits 0"
tap_is "$(grep -c '^1\.\.' /tmp/ksft.out)" 1 "one plan"
tap_is "$(grep '^1\.\.' /tmp/ksft.out)" "1..$n" "its plan is the list's $n tests"
# each test's own TAP, indented by the runner as comments
tap_is "$(grep -c '^# TAP version 13$' /tmp/ksft.out)" "$n" "the output has each test's own TAP"
tap_is "$(grep -c '^# not ok ' /tmp/ksft.out)" 0 "no check of a test failed"
i=0
for t in $list; do
	i=$((i + 1))
	want="ok $i selftests: $C: $t"
	[ "$t" = 52-char-ping.sh ] && [ "$ROLE" = dom0 ] && want="$want # SKIP"
	got=$(grep -E "^(not )?ok [0-9]+ selftests: $C: $t( |\$)" /tmp/ksft.out)
	tap_is "$got" "$want" "kselftest $C:$t"
done
rm -f /tmp/ksft.out
tap_done
