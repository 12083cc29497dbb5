#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
#
# The suite's domU's name as argo-virtio-backend's xenstore client read it
# while the domU ran (77-xs-name.sh's background script), against `xl
# domname` and `xl list` then; and now that the domU is gone, its domid
# has no name any more (ENOENT).
. /rig/tap.sh
pid=$(cat /tmp/xsn/pid 2>/dev/null)
[ -n "$pid" ] && kill "$pid" 2>/dev/null
d=$(cat /tmp/xsn/domid 2>/dev/null)
sed 's/^/# /' /tmp/xsn/err /tmp/xsn/run.log 2>/dev/null
tap_ok "$([ -n "$d" ]; echo $?)" "the domU was seen (domid ${d:-none})"
tap_is "$(cat /tmp/xsn/rc 2>/dev/null)" 0 "xs_name $d exited 0"
tap_is "$(cat /tmp/xsn/domname 2>/dev/null)" domu "xl domname $d: domu"
tap_is "$(cat /tmp/xsn/xl-list 2>/dev/null)" domu "xl list: domain $d is domu"
tap_is "$(cat /tmp/xsn/name 2>/dev/null)" "$(cat /tmp/xsn/domname 2>/dev/null)" \
	"xs_name $d (/dev/xen/xenbus): as xl domname"
tap_is "$(cat /tmp/xsn/name-sock 2>/dev/null)" "$(cat /tmp/xsn/domname 2>/dev/null)" \
	"xs_name $d (xenstored's socket): as xl domname"
if [ -n "$d" ]; then
	xs_name "$d" 2>/dev/null
	tap_is "$?" 2 "the domU gone, xs_name $d: ENOENT"
fi
tap_done
