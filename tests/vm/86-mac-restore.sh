#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 300
#
# A restore whose rings cannot come back.  A guest (argo_guest_t) has an
# `argo listen` blocked on a wildcard ring and a vsock reader blocked on a
# connection to dom0 (argo-vsock's wildcard ring carries it).  It is saved,
# Xen loads argo-noreg.pol (guests may no longer register wildcard rings),
# and it is restored: argo-core cannot register those rings again (EACCES,
# not a transient error, so no retry), reports them lost, and within
# seconds the listener fails with EACCES and the vsock reader's socket is
# reset with EACCES, instead of both waiting forever.  The example policy
# is loaded again afterwards.
. /rig/tap.sh
. /rig/mac.sh
V=/rig/bin/vsock_cat
pol=$(ls /extra/argo-noreg.pol 2>/dev/null)
tap_ok $([ -n "$pol" ]; echo $?) "the restore policy is there (argo-noreg.pol)"

# dom0: a vsock server the guest's reader connects to; it never writes
$V echo 5310 -n 1 >/tmp/rg-echo.out 2>&1 &
epid=$!
# shellcheck disable=SC2016 # expanded in the guest
cmd='argo listen 0x8300 >/tmp/l.out 2>&1 &
/rig/bin/vsock_cat hold 2 5310 >/tmp/h.out 2>&1 &
i=0
until [ -s /tmp/h.out ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "RG-UP $(head -n 1 /tmp/h.out)"
wait
echo "RG-LISTEN $(cat /tmp/l.out)"
echo "RG-HOLD $(sed -n 2p /tmp/h.out)"'
id=$(LABEL=argo_guest_t MEM=192 /rig/start-domu rg "$cmd")
tap_ok $? "guest rg created as argo_guest_t (domid $id)"
echo "$id" >$MAC/rg.domid
mac_wait_ring rg 0x8300

# tag TAG: what follows TAG on the last line of rg's console that has it
tag() {
	cat /var/log/xen/console/guest-rg*.log 2>/dev/null | tr -d '\r' |
		grep "$1 " | tail -n 1 | sed "s/.*$1 //"
}
i=0
until [ -n "$(tag RG-UP)" ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
tap_is "$(tag RG-UP)" connected "rg's vsock reader is connected to dom0 and blocks"
tap_is "$(argo query "$id" 0x8300 | cut -d, -f1)" "dom$id:0x8300: ring exists" \
	"rg's argo listener has its wildcard ring"

xl save rg /tmp/rg.chk >/tmp/xl-save.log 2>&1
tap_ok $? "xl save rg" "$(tail -n 2 /tmp/xl-save.log)"
mac_avc_mark
tap_is "$(xl loadpolicy "$pol" 2>&1)" "Successfully loaded policy." \
	"xl loadpolicy argo-noreg.pol (guests may not register wildcard rings)"
xl restore /tmp/rg.chk >/tmp/xl-restore.log 2>&1
tap_ok $? "xl restore rg" "$(tail -n 2 /tmp/xl-restore.log)"
t0=$(cut -d' ' -f1 /proc/uptime)
rm -f /tmp/rg.chk
new=$(xl domid rg 2>/dev/null)
echo "$new" >$MAC/rg.domid
i=0
until [ -n "$(tag RG-HOLD)" ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
dt=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
tap_ok $(awk -v d="$dt" 'BEGIN { exit !(d < 15) }'; echo $?) \
	"both blocked calls returned within 15 s of the restore ($dt s)"
tap_is "$(tag RG-LISTEN)" "argo: receive: Permission denied" \
	"the argo listener fails with EACCES instead of waiting forever"
# The save froze the reader's task, so its read() starts again after the
# restore; when the socket was reset first, the vsock core answers a read
# on a closed socket with ENOTCONN, and SO_ERROR says why
case $(tag RG-HOLD) in
"read: EACCES (SO_ERROR"* | "read: ENOTCONN (SO_ERROR EACCES)"*) rc=0 ;;
*) rc=1 ;;
esac
tap_ok $rc "the vsock reader's socket is reset with EACCES ($(tag RG-HOLD))"
cat /var/log/xen/console/guest-rg*.log | tr -d '\r' | grep -E 'argo-(core|vsock)' | sed 's/^/# /'
grep -q "argo-core: ring port 0x8300 partner 32756 lost (cannot register it again after resume, error -13): its client is told" \
	/var/log/xen/console/guest-rg*.log
tap_ok $? "rg's argo-core reports the listener's ring lost (EACCES)"
grep -q "argo-vsock: wildcard ring lost (-13)" /var/log/xen/console/guest-rg*.log
tap_ok $? "rg's argo-vsock reports its wildcard ring lost and resets its sockets"
xl dmesg | tail -n +$(($(cat $MAC/avc.mark) + 1)) |
	grep -q "avc:  denied  { register_any_source } for current=d$new scontext=system_u:system_r:argo_guest_t tcontext=system_u:system_r:xen_t tclass=argo"
tap_ok $? "xl dmesg: AVC denial of register_any_source to d$new (argo_guest_t)"

tap_is "$(xl loadpolicy /extra/argo-example.pol 2>&1)" "Successfully loaded policy." \
	"xl loadpolicy argo-example.pol again"
xl destroy rg 2>/dev/null
kill $epid 2>/dev/null
wait $epid 2>/dev/null
tap_done
