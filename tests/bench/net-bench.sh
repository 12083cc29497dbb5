#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# net-bench.sh [SECONDS [ROUNDS]]: TCP between a guest and a driver
# domain, two ways in the same run (run in dom0, with the Xen tools):
#   - over virtio-argo's virtio-net: the guest's stock virtio_net, the
#     backend in the driver domain with the guest's TAP on its bridge br0
#     (192.168.77.1; the guest is 192.168.77.11);
#   - over Xen's PV network: netfront in both domUs, netback and the
#     bridge xenbr0 in dom0 (the driver domain is 10.0.0.10, the guest
#     10.0.0.11).
# sock_bench runs a server in each domain and its client in the guest
# (guest -> driver domain: the guest's transmit path), then in the driver
# domain (driver domain -> guest: the guest's receive path), alternating
# the two paths, and prints the best of each with the ratio.  dom0 drives
# both domains through their vsock agents (/rig/mac.sh).
secs=${1:-3}
rounds=${2:-3}
. /rig/tap.sh >/dev/null
MAC=/tmp/bench
. /rig/mac.sh
. /rig/bin/bench-lib.sh
mkdir -p $MAC
agent="socat -t 300 VSOCK-LISTEN:$MAC_AGENT,reuseaddr,fork EXEC:/bin/sh,stderr"
fail() { echo "net-bench: $*" >&2; exit 1; }

bench_domains "$agent"
on g "modprobe virtio_net; rmmod virtio_argo; modprobe virtio-argo backends=$drv" >/dev/null
# the interface virtio_net made (netfront's eth0 is there too)
dev=
i=0
while [ -z "$dev" ] && [ $i -lt 60 ]; do
	dev=$(on g 'for n in /sys/class/net/*; do
		[ "$(basename "$(readlink $n/device/driver)")" = virtio_net ] && basename $n
	done')
	[ -n "$dev" ] || sleep 0.5
	i=$((i + 1))
done
[ -n "$dev" ] || fail "no virtio_net interface in g: $(on drv 'cat /tmp/backend.log')"
on g "ip addr add 192.168.77.11/24 dev $dev; ip link set $dev up" >/dev/null
for a in 192.168.77.1 10.0.0.10; do
	[ "$(mac_until g "ping -c 1 -W 1 $a >/dev/null 2>&1 && echo yes" yes 30)" = yes ] ||
		fail "g cannot reach drv at $a"
done
echo "guest d$g ($dev 192.168.77.11, eth0 10.0.0.11) -> driver domain d$drv, ${rounds} x ${secs} s:"
on g "/rig/bin/sock_bench client 192.168.77.1 10.0.0.10 6100 $secs $rounds 'virtio-argo net' 'TCP netfront'"
echo
echo "driver domain d$drv -> guest d$g, ${rounds} x ${secs} s:"
on drv "/rig/bin/sock_bench client 192.168.77.11 10.0.0.11 6100 $secs $rounds 'virtio-argo net' 'TCP netfront'"
