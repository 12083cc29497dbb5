#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
# timeout: 240
#
# After the suite's domU: dom0's listener (67-net-pv-dom0.sh) got exactly
# the bytes the domU sent (68-net-pv.sh reports their sha256), the domU's
# vif left the bridge with the domain, and an extra domU started with
# NET=1 gets the next address of start-domu's rule, joins the bridge and
# reaches dom0.
. /rig/tap.sh
want=$(sed -n 's/^# data-sha256 //p' /results/domu/68-net-pv.tap 2>/dev/null)
tap_ok $([ -n "$want" ]; echo $?) "the domU reported its data's checksum"
tap_is "$(cat /tmp/net/report 2>/dev/null)" "16777216 $want" \
	"dom0's listener received the domU's 16 MiB intact"
pid=$(cat /tmp/net/listen.pid 2>/dev/null)
if [ -n "$pid" ]; then
	pkill -P "$pid" 2>/dev/null
	kill "$pid" 2>/dev/null
fi
sed 's/^/# listener: /' /tmp/net/listen.log 2>/dev/null
tap_is "$(ls /sys/class/net/xenbr0/brif 2>/dev/null | tr '\n' ' ')" "" \
	"no vif left on xenbr0 once the domU is gone"

n=$(cat /var/lib/xen/net-next 2>/dev/null || echo 10)
domid=$(NET=1 /rig/start-domu netx 'ip -4 -o addr show dev eth0; ping -c 1 -W 5 10.0.0.1 >/dev/null && echo NETX-PING-OK')
tap_ok $? "domU 'netx' created with NET=1 (domid $domid)"
tap_is "$(cat /var/lib/xen/netx/ip 2>/dev/null)" "10.0.0.$n" "NET=1 gave it the next address, 10.0.0.$n"
tap_is "$(ls /sys/class/net/xenbr0/brif 2>/dev/null | tr '\n' ' ')" "vif$domid.0 " \
	"its vif joined xenbr0"
i=0
while xl domid netx >/dev/null 2>&1 && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
log=$(tr -d '\r' </var/log/xen/console/guest-netx.log 2>/dev/null)
printf '%s\n' "$log" | grep -E '@@OUT|network:' | sed 's/^/# /'
printf '%s\n' "$log" | grep -q "inet 10\.0\.0\.$n/24 "
tap_ok $? "its eth0 has 10.0.0.$n/24"
printf '%s\n' "$log" | grep -q NETX-PING-OK
tap_ok $? "it pings dom0"
printf '%s\n' "$log" >>/results/domu-console.log
tap_done
