#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: mac
# timeout: 60
#
# After the MAC tests (each checked the AVC records of its own denials):
# Xen's log holds Argo denials only between domains the example policy
# keeps apart, never one involving dom0, whose edges are all allowed.
. /rig/tap.sh
. /rig/mac.sh
xl dmesg | grep "avc:  denied .* tclass=argo" >/tmp/avc-argo.txt
n=$(wc -l </tmp/avc-argo.txt)
tap_ok $([ "$n" -gt 0 ]; echo $?) "xl dmesg holds the MAC tests' Argo denials ($n)"
tap_is "$(grep -c -E 'source=d0 |target=d0 ' /tmp/avc-argo.txt)" 0 "none involves dom0"
# every denial is between two guests, a guest and the driver domain (the
# policy change) or of the isolated domain's enable
tap_is "$(grep -v -E 'scontext=system_u:system_r:argo_guest_t tcontext=system_u:system_r:argo_(guest|backend)_t|scontext=system_u:system_r:argo_backend_t tcontext=system_u:system_r:argo_guest_t|\{ enable \} .*scontext=system_u:system_r:argo_isolated_t' /tmp/avc-argo.txt | sed 's/^/# /')" "" \
	"every one is between types the policy keeps apart"
tap_done
