#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
#
# argo-core probed Argo (XEN_ARGO_OP_notify with no ring data returned 0)
# and learned this domain's id.
. "$(dirname "$0")/lib/tap.sh"
line=$(dmesg | grep -o 'argo-core: Argo available: domain [0-9]*, mechanism [a-z-]*' | tail -n 1)
tap_diag "$line"
tap_ok $([ -n "$line" ]; echo $?) "argo-core reports Argo available"
domid=${line#*domain }
domid=${domid%%,*}
if [ "$(tap_role)" = dom0 ]; then
	tap_is "$domid" 0 "dom0 is domain 0"
else
	tap_ok $([ "${domid:-0}" -gt 0 ]; echo $?) "domU has a non-zero domid ($domid)"
fi
tap_is "${line##* }" xen-hypercall "mechanism is the Xen hypercall"
tap_is "$(grep -c ' argo$' /proc/interrupts)" 1 \
	"one VIRQ_ARGO interrupt bound"
tap_done
