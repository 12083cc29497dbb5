#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sock-bench.sh [SECONDS [ROUNDS]]: the domU side of the socket benchmark.
# dom0 is CID 2 over argo-vsock and 10.0.0.1 over Xen's PV network
# (netfront here, netback and the bridge in dom0); sock_bench measures
# both in this run, alternating, and prints the best of ROUNDS each with
# the ratio.
secs=${1:-5}
rounds=${2:-3}
i=0
until ping -c 1 -W 1 10.0.0.1 >/dev/null 2>&1 || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
ping -c 1 -W 1 10.0.0.1 >/dev/null 2>&1 || { echo "dom0 (10.0.0.1) unreachable over the PV network"; exit 1; }
sleep 1
exec /rig/bin/sock_bench client 2 10.0.0.1 6100 "$secs" "$rounds"
