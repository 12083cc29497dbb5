#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 60
#
# Every denial the earlier MAC tests provoked is in Xen's log (`xl dmesg`)
# as an AVC record naming the permission, both domains and their labels:
# what an administrator reads to see what the policy refused.
. /rig/tap.sh
. /rig/mac.sh
g1=$(mac_domid g1)
g2=$(mac_domid g2)
b=$(mac_domid b)
xl dmesg >/tmp/xl-dmesg.txt
G=system_u:system_r:argo_guest_t
B=system_u:system_r:argo_backend_t
# avc PERM SRC-TYPE SRC TGT-TYPE TGT [WHY]: a denial of PERM from domain
# SRC to domain TGT, with their labels, is in the log
avc() {
	grep -q "avc:  denied  { $1 } for source=d$3 target=d$5 scontext=system_u:system_r:$2 tcontext=system_u:system_r:$4 tclass=argo" /tmp/xl-dmesg.txt
	tap_ok $? "$1 d$3 -> d$5${6:+ ($6)}"
}
G=argo_guest_t
B=argo_backend_t
avc register_single_source $G "$g1" $G "$g2" "guest to guest, argo ping and virtio-argo"
avc register_single_source $G "$g2" $G "$g1"
avc send $G "$g1" $G "$g2" "argo send -A, argo query, vsock connect"
avc send $G "$g2" $G "$g1"
avc send $G "$g1" $B "$b" "after the policy change"
avc send $B "$b" $G "$g1" "after the policy change, b's end of the vsock connection"
grep -q "argo: XSM REJECTED $g1 -> $g2" /tmp/xl-dmesg.txt
tap_ok $? "Argo's own line: XSM REJECTED $g1 -> $g2"
n=$(grep -c "avc:  denied .* tclass=argo" /tmp/xl-dmesg.txt)
tap_diag "$n Argo AVC denials in all; the first ones:"
grep "avc:  denied .* tclass=argo" /tmp/xl-dmesg.txt | head -n 5 | sed 's/^/# /'
# no denial between domains the example policy lets talk: none of dom0's
# own, and none of g2 with b
tap_is "$(grep "avc:  denied .* tclass=argo" /tmp/xl-dmesg.txt | grep -c "source=d0 \|target=d0 ")" 0 "no Argo denial involving dom0"
tap_is "$(grep "avc:  denied .* tclass=argo" /tmp/xl-dmesg.txt | grep -c "source=d$g2 target=d$b \|source=d$b target=d$g2 ")" 0 "no Argo denial between g2 and b"
tap_done
