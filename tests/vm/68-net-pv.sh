#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 240
#
# Xen's PV network between the suite's domU and dom0 (netfront here,
# netback and the bridge xenbr0 in dom0; addresses: see start-domu):
# the addresses /init set, ping, and 16 MiB of random bytes over TCP to
# dom0's listener (67-net-pv-dom0.sh), which answers with the byte count
# and sha256 it received.  socat, which the transfer uses, runs here.
. /rig/tap.sh
addr4() { ip -4 -o addr show dev "$1" 2>/dev/null | awk '{ print $4 }'; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

tap_is "$(sed -n 's/.*rig\.ip=\([0-9.]*\).*/\1/p' /proc/cmdline)" 10.0.0.2 \
	"start-domu gave the suite's domU rig.ip=10.0.0.2"
tap_is "$(addr4 lo)" 127.0.0.1/8 "lo has 127.0.0.1/8"
tap_is "$(addr4 eth0)" 10.0.0.2/24 "eth0 has 10.0.0.2/24"
tap_is "$(cat /sys/class/net/eth0/device/devtype 2>/dev/null)" vif "eth0 is a Xen vif (netfront)"
tap_is "$(cat /sys/class/net/eth0/operstate 2>/dev/null)" up "eth0's link is up (netback connected)"

out=$(ping -c 3 -W 5 10.0.0.1 2>&1)
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -q '^3 packets transmitted, 3 packets received'
tap_ok $? "ping -c 3 10.0.0.1: 3 replies"

v=$(socat -V 2>&1 | sed -n 's/^socat version \([^ ]*\).*/\1/p')
tap_ok $([ -n "$v" ]; echo $?) "socat runs (version $v)"

head -c 16777216 /dev/urandom >/tmp/net.data
sum=$(sha256sum </tmp/net.data | cut -d' ' -f1)
tap_diag "data-sha256 $sum"
t0=$(uptime_s)
out=$(socat -u OPEN:/tmp/net.data TCP:10.0.0.1:5000,connect-timeout=10 2>&1)
tap_ok $? "16 MiB sent to 10.0.0.1:5000" "$out"
tap_diag "$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { d = b - a; if (d <= 0) d = 0.01
	printf "16 MiB in %.2f s: %.1f MiB/s", d, 16 / d }')"
rm -f /tmp/net.data
# dom0 sums the data before it answers on 5001: retry meanwhile.
report=
i=0
while [ $i -lt 60 ]; do
	report=$(socat -u TCP:10.0.0.1:5001,connect-timeout=5 - 2>/dev/null)
	[ -n "$report" ] && break
	sleep 0.5
	i=$((i + 1))
done
tap_is "$report" "16777216 $sum" "dom0 received 16777216 bytes with the same sha256"
tap_done
