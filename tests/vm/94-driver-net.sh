#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: driver
# timeout: 1800
#
# virtio-net over Argo, served from the driver domain (93 started it): g1
# and g2 run Linux's stock virtio_net on virtio-argo; drv's backend gives
# each a TAP interface (vnet<domid>) on its bridge br0 (192.168.77.1).
#   - the MAC address the backend gives (02:41:52:47 and the domid), the
#     link, ping to drv and, through the bridge, between the guests;
#   - 64 MiB over TCP from g1 to drv and from drv to g1, 32 MiB from g1
#     to g2 (each at least 500 times the largest frame and a ring's worth
#     many times over; 256 MiB from g1 took 4 more minutes under TCG), each checked by sha256 at the receiver, and no frame
#     seen by a guest with buffers missing (the backend's HOLD);
#   - link status: the TAP set down in drv takes the guest's carrier away;
#   - g1 destroyed in the middle of a transfer while g2 sends too: g2's
#     data arrives whole, drv's backend drops g1's device and its TAP and
#     goes on serving g2.
. /rig/tap.sh
MAC=/tmp/drv
. /rig/mac.sh
drv=$(mac_domid drv)
g1=$(mac_domid g1)
g2=$(mac_domid g2)

# g1 and g2: virtio_net, then virtio-argo towards drv; eth0 is the only
# interface (no Xen vif)
n=11
for g in g1 g2; do
	id=$(mac_domid $g)
	on $g "modprobe virtio_net; rmmod virtio_argo; modprobe virtio-argo backends=$drv" >/dev/null
	tap_is "$(mac_until $g 'cat /sys/class/net/eth0/address 2>/dev/null' \
		"$(printf '02:41:52:47:%02x:%02x' $((id >> 8)) $((id & 255)))")" \
		"$(printf '02:41:52:47:%02x:%02x' $((id >> 8)) $((id & 255)))" \
		"$g: eth0 appears with the backend's MAC for domid $id"
	tap_is "$(on $g 'basename $(readlink /sys/class/net/eth0/device/driver)')" \
		virtio_net "$g: eth0 is the stock virtio_net"
	on $g "ip addr add 192.168.77.$n/24 dev eth0; ip link set eth0 up" >/dev/null
	tap_is "$(mac_until $g 'cat /sys/class/net/eth0/operstate' up 10)" up \
		"$g: eth0's link is up (192.168.77.$n)"
	tap_is "$(on drv "cat /sys/class/net/vnet$id/master/uevent 2>/dev/null |
		sed -n 's/^INTERFACE=//p'")" br0 "drv: vnet$id is on br0"
	n=$((n + 1))
done
on drv 'cat /tmp/vb/backend.log' | grep -i net | sed 's/^/# drv: /'

# ping: 3 replies each
ping3() {	# FROM TO-ADDRESS
	on "$1" "ping -c 3 -W 5 $2 | grep -c 'bytes from'"
}
tap_is "$(ping3 g1 192.168.77.1)" 3 "ping g1 -> drv (192.168.77.1): 3 replies"
tap_is "$(ping3 g2 192.168.77.1)" 3 "ping g2 -> drv: 3 replies"
tap_is "$(ping3 g1 192.168.77.12)" 3 "ping g1 -> g2 through drv's bridge: 3 replies"

# MIB MiB of random bytes (4 MiB of them, repeated) over TCP; the
# receiver keeps the sha256 of what it got in /tmp/sum.PORT (written once
# the stream ended), which must be the sender's
sender_data() {	# NAME
	on "$1" 'head -c 4194304 /dev/urandom >/tmp/r4' >/dev/null
}
stream() {	# MIB: the command that writes MIB MiB of /tmp/r4, repeated
	echo "i=0; while [ \$i -lt $(($1 / 4)) ]; do cat /tmp/r4; i=\$((i + 1)); done"
}
listen() {	# NAME PORT
	on "$1" "$(mac_bg "socat -u TCP-LISTEN:$2,reuseaddr - | sha256sum | cut -d\" \" -f1 >/tmp/s.$2; mv /tmp/s.$2 /tmp/sum.$2")" >/dev/null
}
connect() {	# ADDR PORT: socat's address, retrying while the listener starts
	echo "TCP:$1:$2,connect-timeout=10,retry=20,interval=0.5"
}
transfer() {	# FROM TO-NAME TO-ADDR PORT MIB
	sender_data "$1"
	want=$(ON_SECONDS=900 on "$1" "( $(stream "$5") ) | sha256sum | cut -d' ' -f1")
	listen "$2" "$4"
	t0=$(date +%s)
	# the debug kernel takes more than the default 5 minutes
	out=$(ON_SECONDS=900 on "$1" "( $(stream "$5") ) | socat -u - $(connect "$3" "$4"); echo SENT \$?")
	t1=$(date +%s)
	printf '%s\n' "$out" | grep -q '^SENT 0$'
	tap_ok $? "$5 MiB sent from $1 to $2 ($3:$4)" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	tap_diag "$5 MiB in $((t1 - t0)) s (with the sender's own reading and the rig's latency)"
	tap_is "$(mac_until "$2" "cat /tmp/sum.$4 2>/dev/null" "$want" 60)" "$want" \
		"$2 received the $5 MiB with the sender's sha256"
}
transfer g1 drv 192.168.77.1 6001 64
# the guest's receive path: frames of up to 64 KiB (TSO) spread over
# mergeable receive buffers
transfer drv g1 192.168.77.11 6005 64
# guest to guest crosses drv's bridge between two TAPs
transfer g1 g2 192.168.77.12 6002 32
# virtio-net must see every buffer of a merged frame used at once (the
# backend's VA_CHAIN_HOLD); a frame seen with some missing is dropped and
# counted in rx_length_errors
for g in g1 g2; do
	tap_is "$(on $g 'cat /sys/class/net/eth0/statistics/rx_length_errors')" 0 \
		"$g: no frame arrived with buffers missing (rx_length_errors 0)"
done
on drv "for t in vnet$g1 vnet$g2; do
	echo \$t: tx_dropped \$(cat /sys/class/net/\$t/statistics/tx_dropped) rx_dropped \$(cat /sys/class/net/\$t/statistics/rx_dropped)
done" | sed 's/^/# drv: /'

# link status events: VIRTIO_NET_S_LINK_UP follows drv's TAP
on drv "ip link set vnet$g1 down" >/dev/null
tap_is "$(mac_until g1 'cat /sys/class/net/eth0/carrier' 0 10)" 0 \
	"vnet$g1 down in drv: g1's eth0 loses its carrier"
on drv "ip link set vnet$g1 up" >/dev/null
tap_is "$(mac_until g1 'cat /sys/class/net/eth0/carrier' 1 10)" 1 \
	"vnet$g1 up again: the carrier is back"
tap_is "$(ping3 g1 192.168.77.1)" 3 "ping g1 -> drv after the link came back"

# g1 dies mid-transfer; g2's transfer to drv carries on unharmed
sender_data g2
want=$(on g2 "( $(stream 32) ) | sha256sum | cut -d' ' -f1")
listen drv 6003
listen drv 6004
on g1 "$(mac_bg "cat /dev/zero | socat -u - $(connect 192.168.77.1 6003)")" >/dev/null
on g2 "$(mac_bg "( $(stream 32) ) | socat -u - $(connect 192.168.77.1 6004); echo \$? >/tmp/sent.6004")" >/dev/null
sleep 2
xl destroy g1
tap_ok $? "g1 destroyed while both guests send"
tap_is "$(mac_until drv 'cat /tmp/sum.6004 2>/dev/null' "$want" 600)" "$want" \
	"drv received g2's 32 MiB whole, with its sha256"
tap_is "$(on g2 'cat /tmp/sent.6004')" 0 "g2's sender exits 0"
tap_is "$(mac_until drv "grep -c 'guest $g1 disconnected' /tmp/vb/backend.log" 1 30)" 1 \
	"drv's backend logs g1's disconnect"
tap_is "$(mac_until drv "ls -d /sys/class/net/vnet$g1 2>/dev/null | wc -l" 0 10)" 0 \
	"drv: g1's TAP vnet$g1 is gone"
tap_is "$(ping3 g2 192.168.77.1)" 3 "ping g2 -> drv still works"
tap_is "$(on drv 'pidof argo-virtio-backend | wc -w')" 1 "drv's backend still runs"
on drv 'tail -n 8 /tmp/vb/backend.log' | sed 's/^/# drv: /'
tap_done
