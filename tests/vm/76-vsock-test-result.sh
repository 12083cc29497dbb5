#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: post-domu
#
# dom0's results of vsock_test with the domU (see 74 and 75): dom0 as the
# server of the domU's client, then as the client of the domU's server.
. /rig/tap.sh
tap_vsock_test /tmp/vt/server.out "dom0 server, domU client"
tap_is "$(cat /tmp/vt/server.rc 2>/dev/null)" 0 "dom0's vsock_test server exited 0"
tap_vsock_test /tmp/vt/client.out "dom0 client, domU server"
tap_is "$(cat /tmp/vt/client.rc 2>/dev/null)" 0 "dom0's vsock_test client exited 0"
# argo-vsock's default buffer again (74 lowered it for vsock_test)
cat /tmp/vt/buffer_kb >/sys/module/argo_vsock/parameters/buffer_kb
tap_is "$(cat /sys/module/argo_vsock/parameters/buffer_kb)" "$(cat /tmp/vt/buffer_kb)" \
	"argo-vsock's buffer_kb is back to $(cat /tmp/vt/buffer_kb)"
tap_done
