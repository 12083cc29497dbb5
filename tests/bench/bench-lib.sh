# SPDX-License-Identifier: GPL-2.0
#
# bench-lib.sh: sourced by the benchmarks that need a guest and a driver
# domain (bench-all.sh, net-bench.sh), after /rig/mac.sh and with fail()
# defined.
#
# bench_domains AGENT: start the driver domain drv (512 MiB, 10.0.0.10 on
# Xen's PV network) and the guest g (10.0.0.11), each running AGENT (the
# vsock agent `on` talks to); in drv, a bridge br0 (192.168.77.1) and
# argo-virtio-backend --net serving g a TAP on it; sock_bench's server in
# both.  Sets drv and g to their domids.
bench_domains() {
	MEM=512 NET=10.0.0.10 /rig/start-domu drv "$1" >$MAC/drv.domid || fail "cannot start drv"
	NET=10.0.0.11 /rig/start-domu g "$1" >$MAC/g.domid || fail "cannot start g"
	for d in drv g; do
		[ "$(mac_until $d 'echo up' up 300)" = up ] || fail "$d's agent does not answer"
	done
	drv=$(mac_domid drv)
	g=$(mac_domid g)
	# drv booted with virtio-argo loaded for dom0's backend: it is a
	# backend here
	on drv "rmmod virtio_argo; modprobe -a tun bridge
		brctl addbr br0
		echo 0 >/sys/class/net/br0/bridge/stp_state
		echo 0 >/sys/class/net/br0/bridge/forward_delay
		ip addr add 192.168.77.1/24 dev br0
		ip link set br0 up" >/dev/null
	on drv "$(mac_bg "argo-virtio-backend --net tap=vnet%d,bridge=br0,guest=$g >/tmp/backend.log 2>&1")" >/dev/null
	for d in drv g; do
		on $d "$(mac_bg '/rig/bin/sock_bench server 6100 >/tmp/sock-bench.log 2>&1')" >/dev/null
	done
}
