// SPDX-License-Identifier: GPL-2.0
/*
 * argo-vsock: a vsock transport carried by Argo.
 *
 * Registers with the kernel's vsock core, so that every AF_VSOCK program
 * works between Xen domains.  Addressing: domain D is CID D + 2, so dom0 is
 * VMADDR_CID_HOST (2).  In dom0 the transport takes both roles the vsock
 * core knows: host-to-guest (CIDs above 2 are guests) and guest-to-host
 * (CID 2, dom0 itself, is reached through Argo too).  In any other domain
 * it is the guest-to-host transport, which the vsock core also uses for
 * every CID above 2 when no host-to-guest transport is loaded: a domU
 * reaches dom0, other domUs and itself.
 *
 * Rings: one ring at AVS_PORT carries every socket's packets.  A wildcard
 * ring (any domain may send) when the hypervisor allows it; otherwise one
 * ring per peer domain, made when we first send to it or, for the domains
 * listed in peers=, at once so that they can connect to our listeners.
 */
#define pr_fmt(fmt) "argo-vsock: " fmt

#include <linux/bitmap.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/af_vsock.h>
#include <xen/interface/xen.h>
#include <argo/version.h>
#include "avs.h"

static unsigned int ring_kb = 1024;
module_param(ring_kb, uint, 0444);
MODULE_PARM_DESC(ring_kb,
		 "Size of each receive ring in KiB (128-16383, default 1024)");

unsigned int avs_max_peer_rings = 32;
module_param_named(max_peer_rings, avs_max_peer_rings, uint, 0444);
MODULE_PARM_DESC(max_peer_rings,
		 "Per-peer mode: at most this many rings made on demand, for connections to or from domains not in peers= (1-120, default 32: a quarter of Xen's 128 rings per domain)");

unsigned int avs_ring_idle_s = 30;
module_param_named(ring_idle_s, avs_ring_idle_s, uint, 0444);
MODULE_PARM_DESC(ring_idle_s,
		 "Per-peer mode: let go of a ring made on demand after this many seconds without a connected socket or a packet (1-3600, default 30)");

static char *mode = "auto";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode,
		 "Ring mode: auto (wildcard ring if the hypervisor allows it, else per-peer), wildcard or per-peer");

u64 avs_own_cid;
bool avs_per_peer;
size_t avs_ring_size;
struct argo_ring *avs_wild_ring;
struct workqueue_struct *avs_wq;

/*
 * peers=: the domains kept in per-peer mode, and whether the peers exist
 * (from init until unload starts).  Both change under the module's
 * parameter lock, which a write to peers= holds.
 */
static DECLARE_BITMAP(avs_listen, DOMID_FIRST_RESERVED);
static bool avs_live;

static int avs_peers_set(const char *val, const struct kernel_param *kp)
{
	unsigned long *want, d;
	int err;

	want = bitmap_zalloc(DOMID_FIRST_RESERVED, GFP_KERNEL);
	if (!want)
		return -ENOMEM;
	err = bitmap_parselist(val, want, DOMID_FIRST_RESERVED);
	if (err) {
		pr_err("peers=: '%s' is not a list of domids\n", val);
		goto out;
	}
	if (READ_ONCE(avs_live)) {
		for_each_set_bit(d, want, DOMID_FIRST_RESERVED)
			if (!test_bit(d, avs_listen))
				avs_peer_set_listen(d, true);
		for_each_set_bit(d, avs_listen, DOMID_FIRST_RESERVED)
			if (!test_bit(d, want))
				avs_peer_set_listen(d, false);
	}
	bitmap_copy(avs_listen, want, DOMID_FIRST_RESERVED);
out:
	bitmap_free(want);
	return err;
}

static int avs_peers_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%*pbl\n", DOMID_FIRST_RESERVED,
			 avs_listen);
}

static const struct kernel_param_ops avs_peers_ops = {
	.set = avs_peers_set,
	.get = avs_peers_get,
};
module_param_cb(peers, &avs_peers_ops, NULL, 0644);
MODULE_PARM_DESC(peers,
		 "Per-peer mode: domids whose connections our listeners accept, e.g. 1,3-5 (writable at run time)");

/*
 * The wildcard ring, or -EPERM/-EACCES when the hypervisor or its policy
 * refuses one (Xen without mac-permissive, or no register_any_source).
 */
static int avs_wildcard_ring(void)
{
	struct argo_ring_params p = {
		.port = AVS_PORT,
		.partner = ARGO_DOMID_ANY,
		.size = avs_ring_size,
		.rx = avs_rx,
		.resumed = avs_resumed,
		.lost = avs_ring_lost,
		.rx_local = true,
	};
	struct argo_ring *ring = argo_ring_create(&p);

	if (IS_ERR(ring))
		return PTR_ERR(ring);
	avs_wild_ring = ring;
	return 0;
}

static int avs_choose_mode(void)
{
	int err;

	if (!strcmp(mode, "per-peer")) {
		avs_per_peer = true;
		return 0;
	}
	if (strcmp(mode, "auto") && strcmp(mode, "wildcard")) {
		pr_err("mode=%s: use auto, wildcard or per-peer\n", mode);
		return -EINVAL;
	}
	err = avs_wildcard_ring();
	if (!err)
		return 0;
	if (!strcmp(mode, "auto") && (err == -EPERM || err == -EACCES)) {
		pr_info("wildcard ring refused (%d): per-peer rings; listeners accept only the domains in peers=\n",
			err);
		avs_per_peer = true;
		return 0;
	}
	pr_err("cannot register the wildcard ring at port %#x: %d\n", AVS_PORT,
	       err);
	return err;
}

/* From here a write to peers= only records the list: no peer is made. */
static void avs_not_live(void)
{
	kernel_param_lock(THIS_MODULE);
	WRITE_ONCE(avs_live, false);
	kernel_param_unlock(THIS_MODULE);
}

static int __init avs_init(void)
{
	int own = argo_own_domid();
	int features, err;
	unsigned long d;

	if (ring_kb < 128 || ring_kb > 16383) {
		pr_err("ring_kb=%u: must be 128 to 16383 (a ring takes at least one 64 KiB packet)\n",
		       ring_kb);
		return -EINVAL;
	}
	if (avs_max_peer_rings < 1 || avs_max_peer_rings > 120 ||
	    avs_ring_idle_s < 1 || avs_ring_idle_s > 3600) {
		pr_err("max_peer_rings=%u ring_idle_s=%u: must be 1 to 120 and 1 to 3600\n",
		       avs_max_peer_rings, avs_ring_idle_s);
		return -EINVAL;
	}
	avs_ring_size = (size_t)ring_kb * 1024;
	avs_own_cid = AVS_DOMID_TO_CID(own);
	avs_wq = alloc_workqueue("argo-vsock", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!avs_wq)
		return -ENOMEM;
	err = avs_choose_mode();
	if (err)
		goto err_wq;
	kernel_param_lock(THIS_MODULE);
	WRITE_ONCE(avs_live, true);
	for_each_set_bit(d, avs_listen, DOMID_FIRST_RESERVED)
		avs_peer_set_listen(d, true);
	kernel_param_unlock(THIS_MODULE);
	avs_debugfs_init();

	features = VSOCK_TRANSPORT_F_G2H;
	if (own == 0)
		features |= VSOCK_TRANSPORT_F_H2G;
	err = vsock_core_register(&avs_transport.transport, features);
	if (err) {
		pr_err("the vsock core refused the transport (%d): another %s transport is loaded\n",
		       err, own == 0 ? "host or guest" : "guest-to-host");
		goto err_rings;
	}
	avs_peers_start();
	pr_info("CID %llu (domain %d), %s ring%s of %zu bytes at port %#x, %s\n",
		avs_own_cid, own, avs_per_peer ? "per-peer" : "wildcard",
		avs_per_peer ? "s" : "", avs_ring_size, AVS_PORT,
		own == 0 ? "host-to-guest and guest-to-host" : "guest-to-host");
	return 0;

err_rings:
	avs_not_live();
	avs_debugfs_exit();
	avs_peers_quiesce();
	if (avs_wild_ring)
		argo_ring_destroy(avs_wild_ring);
	avs_peers_stop();
err_wq:
	destroy_workqueue(avs_wq);
	return err;
}

static void __exit avs_exit(void)
{
	vsock_core_unregister(&avs_transport.transport);
	avs_not_live();
	avs_debugfs_exit();
	avs_peers_quiesce();
	if (avs_wild_ring)
		argo_ring_destroy(avs_wild_ring);
	avs_peers_stop();
	destroy_workqueue(avs_wq);
	pr_info("unloaded\n");
}

module_init(avs_init);
module_exit(avs_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vsock transport carried by Xen's Argo");
MODULE_VERSION(ARGO_SUITE_VERSION);
