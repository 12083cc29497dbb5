#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# argo-virtio-backend's xenstore client (tools/virtio-backend/xs.c, here
# as /rig/bin/xs_name) against the real xenstored, which the domain names
# come from: dom0 is "Domain-0", as `xl domname` and `xl list` say, both
# through /dev/xen/xenbus (the default) and through xenstored's socket; a
# domain that does not exist is ENOENT; a user who may open neither the
# device nor the socket (both root's) gets EACCES, not a hang.  The domU
# exists only after this phase: a background script reads its name while
# it runs, and 77-xs-name-result.sh reports it.
. /rig/tap.sh
mkdir -p /tmp/xsn
rm -f /tmp/xsn/*
ls -l /dev/xen/xenbus /var/run/xenstored/socket 2>&1 | sed 's/^/# /'

xl_name0=$(xl domname 0)
list_name0=$(xl list | awk 'NR > 1 && $2 == 0 { print $1 }')
tap_is "$xl_name0" Domain-0 "xl domname 0: Domain-0"
tap_is "$list_name0" Domain-0 "xl list: domain 0 is Domain-0"
name=$(xs_name 0)
tap_is "$?" 0 "xs_name 0 exits 0 (first transport: /dev/xen/xenbus)"
tap_is "$name" "$xl_name0" "xs_name 0: $name, as xl domname 0"
name=$(ARGO_XENSTORE_PATH=/dev/xen/xenbus xs_name 0)
tap_is "$name" Domain-0 "through /dev/xen/xenbus only: $name"
name=$(ARGO_XENSTORE_PATH=/var/run/xenstored/socket xs_name 0)
tap_is "$name" Domain-0 "through xenstored's socket only: $name"
xs_name 31000 2>/dev/null
tap_is "$?" 2 "xs_name 31000 (no such domain): ENOENT"
grep -q '^vbackend:' /etc/passwd 2>/dev/null ||
	echo 'vbackend:x:1000:1000::/tmp/vb:/bin/sh' >>/etc/passwd
t0=$(date +%s)
su -s /bin/sh vbackend -c 'xs_name 0' 2>/dev/null
tap_is "$?" 13 "xs_name 0 as uid 1000: EACCES"
tap_ok "$([ $(($(date +%s) - t0)) -le 2 ]; echo $?)" "... at once, not after a timeout"

cat >/tmp/xsn/run.sh <<'EOS'
i=0
until d=$(xl domid domu 2>/dev/null) || [ $i -ge 2400 ]; do sleep 0.25; i=$((i + 1)); done
echo "$d" >/tmp/xsn/domid
xs_name "$d" >/tmp/xsn/name 2>>/tmp/xsn/err
echo $? >/tmp/xsn/rc
ARGO_XENSTORE_PATH=/var/run/xenstored/socket xs_name "$d" >/tmp/xsn/name-sock 2>>/tmp/xsn/err
xl domname "$d" >/tmp/xsn/domname
xl list | awk -v d="$d" 'NR > 1 && $2 == d { print $1 }' >/tmp/xsn/xl-list
EOS
sh /tmp/xsn/run.sh </dev/null >/tmp/xsn/run.log 2>&1 &
echo $! >/tmp/xsn/pid
sleep 0.2
tap_ok "$(kill -0 $! 2>/dev/null; echo $?)" "a background script waits for the domU to read its name"
tap_done
