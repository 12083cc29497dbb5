# SPDX-License-Identifier: GPL-2.0
#
# kmemleak-check: sourced by the suite's last test in each domain, after
# tests/lib/tap.sh.  On a kernel with kmemleak, unload our modules (so
# what they still hold is no longer referenced from live module data and
# their own freeing on unload is exercised), scan twice (kmemleak reports
# an object only once it has been unreferenced for 5 s) and report every
# suspected leak with its backtrace.  Any leak fails the test; the TAP line
# counts the backtrace lines that are in our modules.
if [ ! -e /sys/kernel/debug/kmemleak ]; then
	tap_skip "no memory leak (kmemleak)" \
		"kernel $(uname -r) is built without kmemleak (the debug lane's kernel has it)"
else
	for m in virtio_argo argo_vsock argo_char argo_selftest argo_core; do
		grep -q "^$m " /proc/modules && rmmod "$m" 2>/dev/null
	done
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/tmp/kmemleak.txt
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
	sed 's/^/# /' /tmp/kmemleak.txt | head -n 200
	ours=$(grep -cE '\[(argo_core|argo_char|argo_vsock|virtio_argo|argo_selftest|argo_kunit)\]' /tmp/kmemleak.txt)
	tap_is "$n" 0 "no memory leak after the tests (kmemleak; $ours backtrace line(s) in our modules)"
fi
