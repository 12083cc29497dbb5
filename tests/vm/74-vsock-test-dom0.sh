#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: pre-domu
#
# dom0's half of Linux's vsock_test between dom0 and the domU (75 runs the
# domU's half, 76 reports dom0's results).  A background script waits for
# the suite's domU, serves vsock_test to it (control channel on TCP 7100,
# announced ready on TCP 7103), then runs the client against the domU's
# server once the domU says so (TCP 7102).  Control traffic goes over the
# PV network; every test's own traffic goes over AF_VSOCK.
. /rig/tap.sh
mkdir -p /tmp/vt
rm -f /tmp/vt/*
# the cases this kernel skips (/rig/vsock-test-skips), as the domU's 75
vsock_test_skips >/tmp/vt/skips
# vsock_test's MSG_ZEROCOPY case sends 100 pages expecting them to exceed
# the peer's buffer, the vsock core's default 256 KiB; argo-vsock's own
# default (buffer_kb, 2 MiB) would take them.  Its sockets get the core's
# default meanwhile (76 puts it back).
cat /sys/module/argo_vsock/parameters/buffer_kb >/tmp/vt/buffer_kb
cat >/tmp/vt/run.sh <<'EOS'
i=0
until d=$(xl domid domu 2>/dev/null) || [ $i -ge 1200 ]; do sleep 0.5; i=$((i + 1)); done
echo 256 >/sys/module/argo_vsock/parameters/buffer_kb
cid=$((d + 2))
skips=$(cat /tmp/vt/skips)
vsock_test --mode=server --control-port=7100 --peer-cid=$cid $skips >/tmp/vt/server.out 2>&1 &
spid=$!
i=0
until grep -q 'Control socket listening' /tmp/vt/server.out || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
socat -U TCP-LISTEN:7103,reuseaddr,fork SYSTEM:'echo ready' &
bpid=$!
wait $spid
echo $? >/tmp/vt/server.rc
kill $bpid
socat -u TCP-LISTEN:7102,reuseaddr - >/tmp/vt/go
vsock_test --mode=client --control-host=10.0.0.2 --control-port=7101 --peer-cid=$cid $skips >/tmp/vt/client.out 2>&1
echo $? >/tmp/vt/client.rc
EOS
sh /tmp/vt/run.sh </dev/null >/tmp/vt/run.log 2>&1 &
sleep 0.2
tap_ok $(kill -0 $! 2>/dev/null; echo $?) "dom0's vsock_test driver waits for the domU"
tap_done
