#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sock-bench-dom0.sh: the dom0 side of the socket benchmark: sock_bench's
# server on port 6100, over AF_VSOCK (argo-vsock) and TCP (xenbr0, where
# the domU's vif is bridged).
/rig/bin/sock_bench server 6100 >/tmp/sock-bench-server.log 2>&1 &
