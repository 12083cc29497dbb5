#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
#
# What an unprivileged domain, such as a driver domain running
# argo-virtio-backend, may read of the domain names: its own (libxl gives
# a domain read access to /local/domain/DOMID), but not dom0's nor any
# other domain's, by default: xs_name says EACCES, promptly.  Nor does
# xenstored tell it which domains exist: a domid nobody has is EACCES
# too, not ENOENT.  The domU does not know its domid: the one whose name
# it can read is its own.
. /rig/tap.sh
tap_ok "$([ -c /dev/xen/xenbus ]; echo $?)" "/dev/xen/xenbus exists (the domU's only way to xenstore)"
t0=$(date +%s)
xs_name 0 2>/dev/null
tap_is "$?" 13 "xs_name 0 (dom0's name) from the domU: EACCES"
own='' others=''
for d in $(seq 1 40); do
	name=$(xs_name "$d" 2>/dev/null)
	rc=$?
	if [ $rc = 0 ]; then
		own="$own $d:$name"
	else
		others="$others $d:$rc"
	fi
done
tap_diag "readable names:${own:- none}; errors (domid:errno):${others:- none}"
tap_is "${own#* *:}" domu "exactly one name is readable, its own: domu"
tap_is "$(echo "$others" | tr ' ' '\n' | grep . | grep -vc ':13$')" 0 \
	"every other domid, whether a domain or not: EACCES"
tap_ok "$([ $(($(date +%s) - t0)) -le 5 ]; echo $?)" "41 lookups within 5 s (no timeouts)"
tap_done
