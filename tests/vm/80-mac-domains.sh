#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 400
#
# Xen booted with the example Flask policy (policy/argo_suite.te): the
# domains of the MAC tests start under their labels (two guests, a driver
# domain, each with an agent the later tests drive), and a domain of type
# argo_isolated_t, denied Argo's "enable", cannot load argo-core: it says
# "denied by XSM policy" and Xen's log holds the AVC denial.
. /rig/tap.sh
. /rig/mac.sh
mkdir -p $MAC
tap_is "$(xl getenforce)" Enforcing "Flask enforcing"

# -t: dom0 closes the connection once the command's output is complete
# (see on in /rig/mac.sh); until then the shell's output must not be cut
# off (socat's default is half a second after dom0's end of input)
agent="socat -t 300 VSOCK-LISTEN:$MAC_AGENT,reuseaddr,fork EXEC:/bin/sh,stderr"
labels="g1:argo_guest_t g2:argo_guest_t b:argo_backend_t"
for d in $labels; do
	name=${d%%:*}
	id=$(LABEL=${d#*:} /rig/start-domu "$name" "$agent")
	tap_ok $? "domain $name created as ${d#*:} (domid $id)"
	echo "$id" >$MAC/$name.domid
done
for d in $labels; do
	name=${d%%:*}
	i=0
	until [ "$(on $name 'echo up' 2>/dev/null)" = up ] || [ $i -ge 300 ]; do
		sleep 1; i=$((i + 1))
	done
	tap_is "$(on $name 'echo up')" up "$name's agent answers over vsock"
	label=$(xl list -Z "$name" | awk 'NR == 2 { print $NF }')
	tap_is "$label" "system_u:system_r:${d#*:}" "xl list -Z: $name runs as ${d#*:}"
done

# argo_isolated_t: no Argo at all
log=/var/log/xen/console/guest-iso.log
id=$(LABEL=argo_isolated_t /rig/start-domu iso "lsmod | grep -c '^argo_core ' | sed 's/^/ISO-LOADED /'; modprobe argo-core 2>/dev/null; echo ISO-RC \$?; dmesg | grep 'argo-core: Argo denied' | tail -n 1 | sed 's/^\[[ 0-9.]*\] /ISO-DMESG /'")
tap_ok $? "domain iso created as argo_isolated_t (domid $id)"
i=0
until grep -q ISO-DMESG $log 2>/dev/null || [ $i -ge 300 ]; do sleep 0.5; i=$((i + 1)); done
tag() { grep "$1" $log | tail -n 1 | tr -d '\r' | sed "s/.*$1 //"; }
tap_is "$(tag ISO-LOADED)" 0 "iso: argo_core did not load at boot"
tap_is "$(tag ISO-RC)" 1 "iso: modprobe argo-core fails"
tap_is "$(tag ISO-DMESG)" "argo-core: Argo denied to this domain by XSM policy (error -13)" \
	"iso: argo-core says why"
xl destroy iso 2>/dev/null
# at creation the toolstack (d0) asks on its behalf; then its own calls
xl dmesg | grep -q "avc:  denied  { enable } for current=d$id scontext=system_u:system_r:argo_isolated_t tcontext=system_u:system_r:xen_t tclass=argo"
tap_ok $? "xl dmesg: AVC denial of enable to d$id (argo_isolated_t) on its own call"
tap_done
