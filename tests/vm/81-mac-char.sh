#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 300
#
# argo-char under the example policy, every ordered pair of dom0, the two
# guests and the driver domain, each check asserting the exact result:
#   argo ping     binds a ring for the partner (register_single_source),
#                 then a round trip: allowed edges get their echo, a
#                 denied one fails at bind with EACCES
#   argo send -A  sends from a wildcard ring (send): allowed edges deliver,
#                 a denied one fails at sendv with EACCES
#   argo query    asks Xen about the partner's ring (send again, through
#                 notify): allowed edges see it, a denied one gets EACCES
# Denied messages never arrive.  Userspace sees Argo's errno unchanged,
# and Xen's log holds an AVC record of each kind of denial.
. /rig/tap.sh
. /rig/mac.sh
mac_avc_mark
for d in $MAC_DOMAINS; do
	on $d "$(mac_bg 'argo listen -e 0x8100')
$(mac_bg 'argo listen 0x8101 >/tmp/mac-8101.out')"
done
for d in $MAC_DOMAINS; do
	mac_wait_ring $d 0x8100
	mac_wait_ring $d 0x8101
done
for src in $MAC_DOMAINS; do
	cmds=
	for dst in $MAC_DOMAINS; do
		id=$(mac_domid $dst)
		cmds="$cmds
echo \"PING $dst \$(argo ping -c 1 -w 5 $id 0x8100 2>&1 | tail -n 1 | cut -d, -f1-2)\"
o=\$(argo send -A $id 0x8101 from-$src 2>&1)
echo \"SEND $dst \$o rc=\$?\"
echo \"QUERY $dst \$(argo query $id 0x8100 2>&1 | cut -d, -f1)\""
	done
	on $src "$cmds" >/tmp/mac-char-$src.out
	for dst in $MAC_DOMAINS; do
		id=$(mac_domid $dst)
		r() { sed -n "s/^$1 $dst //p" /tmp/mac-char-$src.out; }
		if mac_allowed $src $dst; then
			tap_is "$(r PING)" "1 sent, 1 received intact" "$src -> $dst allowed: ping round trip"
			tap_is "$(r SEND)" " rc=0" "$src -> $dst allowed: send from a wildcard ring"
			tap_is "$(r QUERY)" "dom$id:0x8100: ring exists" "$src -> $dst allowed: query sees the ring"
		else
			tap_is "$(r PING)" "argo: bind: Permission denied" "$src -> $dst denied: binding a ring for it, EACCES"
			tap_is "$(r SEND)" "argo: send: Permission denied rc=1" "$src -> $dst denied: sendv, EACCES"
			tap_is "$(r QUERY)" "argo: query: Permission denied" "$src -> $dst denied: query, EACCES"
		fi
	done
done
# what each domain's plain listener got: one message from each allowed
# source, none from a denied one
for dst in $MAC_DOMAINS; do
	got=$(on $dst 'sed "s/.*: //" /tmp/mac-8101.out | sort | tr "\n" " "')
	want=
	for src in $MAC_DOMAINS; do
		mac_allowed $src $dst && want="$want from-$src"
	done
	want=$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')
	tap_is "$got" "$want" "$dst received exactly the allowed messages"
done
g1=$(mac_domid g1)
g2=$(mac_domid g2)
G=argo_guest_t
mac_avc register_single_source $G "$g1" $G "$g2" "argo ping's ring"
mac_avc register_single_source $G "$g2" $G "$g1" "argo ping's ring"
mac_avc send $G "$g1" $G "$g2" "argo send -A and argo query"
mac_avc send $G "$g2" $G "$g1" "argo send -A and argo query"
xl dmesg | grep -q "argo: XSM REJECTED $g1 -> $g2"
tap_ok $? "xl dmesg: Argo's own line for the refused sendv, XSM REJECTED $g1 -> $g2"
for d in $MAC_DOMAINS; do
	on $d 'pkill -f "[a]rgo listen"' >/dev/null
done
tap_done
