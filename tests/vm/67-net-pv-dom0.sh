#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0's side of the PV network test (68-net-pv.sh in the domU): the
# bridge /init made, and a TCP listener on 10.0.0.1:5000 that counts and
# checksums what arrives, then serves "BYTES SHA256" once on 10.0.0.1:5001
# for the domU to compare.  69-net-pv-result.sh checks it after the domU.
. /rig/tap.sh
addr4() { ip -4 -o addr show dev "$1" 2>/dev/null | awk '{ print $4 }'; }
tap_is "$(addr4 lo)" 127.0.0.1/8 "lo has 127.0.0.1/8"
tap_is "$(addr4 xenbr0)" 10.0.0.1/24 "bridge xenbr0 has 10.0.0.1/24"
tap_is "$(cat /sys/class/net/xenbr0/bridge/stp_state 2>/dev/null)" 0 "xenbr0 runs without spanning tree"
tap_ok $(grep -q '^xen_netback ' /proc/modules; echo $?) "xen-netback loaded"

mkdir -p /tmp/net
rm -f /tmp/net/report
# The data is counted from a file, not a pipe, so that a short transfer
# shows as a byte count rather than as a checksum only; the file goes as
# soon as it is summed (dom0's root is RAM).
cat >/tmp/net/listen.sh <<'EOS'
socat -u TCP-LISTEN:5000,bind=10.0.0.1,reuseaddr CREATE:/tmp/net/rx || exit 1
echo "$(($(wc -c </tmp/net/rx))) $(sha256sum </tmp/net/rx | cut -d' ' -f1)" >/tmp/net/report.new
rm -f /tmp/net/rx
mv /tmp/net/report.new /tmp/net/report
exec socat -u FILE:/tmp/net/report TCP-LISTEN:5001,bind=10.0.0.1,reuseaddr
EOS
sh /tmp/net/listen.sh </dev/null >/tmp/net/listen.log 2>&1 &
echo $! >/tmp/net/listen.pid
i=0
while ! netstat -ltn 2>/dev/null | grep -q ' 10\.0\.0\.1:5000 ' && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
netstat -ltn 2>/dev/null | grep -q ' 10\.0\.0\.1:5000 '
tap_ok $? "listener on 10.0.0.1:5000" "$(cat /tmp/net/listen.log)"
tap_done
