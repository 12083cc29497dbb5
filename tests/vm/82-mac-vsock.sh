#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 300
#
# argo-vsock under the example policy: connect() from every one of dom0,
# the guests and the driver domain to every one of them (itself
# included).  An allowed edge echoes; a denied one fails at connect() with
# EACCES, the errno Flask gave, at once rather than after a timeout, and
# Xen logs the AVC denial.
. /rig/tap.sh
. /rig/mac.sh
V=/rig/bin/vsock_cat
mac_avc_mark
for d in $MAC_DOMAINS; do
	on $d "$(mac_bg "$V echo 5301 -n 0")"
done
for d in $MAC_DOMAINS; do
	mac_until dom0 "echo up | $V send $(mac_cid $d) 5301" up >/dev/null
done
for src in $MAC_DOMAINS; do
	cmds=
	for dst in $MAC_DOMAINS; do
		# the time is taken for a denied connect, which sends nothing
		cmds="$cmds
t0=\$(cut -d' ' -f1 /proc/uptime)
r=\$(echo hi-$src | $V send $(mac_cid $dst) 5301 2>&1)
echo \"VSOCK $dst \$r \$(awk -v a=\$t0 -v b=\$(cut -d' ' -f1 /proc/uptime) 'BEGIN { if (b - a < 2) print \"fast\"; else print \"slow\" }')\""
	done
	on $src "$cmds" >/tmp/mac-vsock-$src.out
	for dst in $MAC_DOMAINS; do
		r=$(sed -n "s/^VSOCK $dst //p" /tmp/mac-vsock-$src.out)
		if mac_allowed $src $dst; then
			tap_is "${r% *}" "hi-$src" "$src -> $dst (CID $(mac_cid $dst)) allowed: echo"
		else
			tap_is "$r" "connect: EACCES fast" "$src -> $dst (CID $(mac_cid $dst)) denied: connect() fails with EACCES at once"
		fi
	done
done
G=argo_guest_t
mac_avc send $G "$(mac_domid g1)" $G "$(mac_domid g2)" "vsock connect"
mac_avc send $G "$(mac_domid g2)" $G "$(mac_domid g1)" "vsock connect"
for d in $MAC_DOMAINS; do
	on $d "pkill -f '[v]sock_cat echo 5301'" >/dev/null
done
tap_done
