// SPDX-License-Identifier: GPL-2.0
/*
 * Argo operations issued as Xen hypercalls (__HYPERVISOR_argo_op, 39).
 *
 * Linux has no HYPERVISOR_argo_op() wrapper; xen_single_call() issues any
 * hypercall number with up to five arguments on every kernel we support.
 */
#include <linux/kernel.h>
#include <xen/xen.h>
#include <asm/xen/hypercall.h>

#include "mech.h"

static long argo_hypercall(unsigned int cmd, void *arg1, void *arg2,
			   unsigned long arg3, unsigned long arg4)
{
	return xen_single_call(XEN_HYPERCALL_ARGO_OP, cmd, (unsigned long)arg1,
			       (unsigned long)arg2, arg3, arg4);
}

static bool xen_argo_available(void)
{
	return xen_domain();
}

static int xen_argo_probe(void)
{
	/* notify with no ring data only releases waiting senders: harmless */
	return (int)argo_hypercall(XEN_ARGO_OP_NOTIFY, NULL, NULL, 0, 0);
}

static int xen_argo_register(struct xen_argo_register_ring *reg, __u64 *gfns,
			     unsigned int npages, unsigned int flags)
{
	return (int)argo_hypercall(XEN_ARGO_OP_REGISTER_RING, reg, gfns,
				   npages, flags);
}

static int xen_argo_unregister(struct xen_argo_unregister_ring *unreg)
{
	return (int)argo_hypercall(XEN_ARGO_OP_UNREGISTER_RING, unreg, NULL,
				   0, 0);
}

static long xen_argo_sendv(struct xen_argo_send_addr *addr,
			   struct xen_argo_iov *iov, unsigned int niov, u32 type)
{
	/*
	 * Xen computes the result as "(ret < 0) ? ret : len" with an unsigned
	 * len, so an error comes back zero-extended (0xffffff91 for
	 * -ECONNREFUSED).  Payloads are far below 2 GiB, so the low 32 bits
	 * read as a signed value are always the true result.
	 */
	return (int)argo_hypercall(XEN_ARGO_OP_SENDV, addr, iov, niov, type);
}

static int xen_argo_notify(struct xen_argo_ring_data *data)
{
	return (int)argo_hypercall(XEN_ARGO_OP_NOTIFY, data, NULL, 0, 0);
}

/*
 * A PV kernel runs on its task's page tables, user mappings included, and
 * Xen reads a PV guest's linear addresses with the same rights for user
 * and kernel pages (a PV kernel runs unprivileged): a send may name the
 * task's pages.  In HVM and PVH domains Xen walks the guest's page
 * tables as a supervisor access, which SMAP refuses for user pages.
 */
static bool xen_argo_reads_user(void)
{
	return xen_pv_domain();
}

const struct argo_mech argo_mech_xen = {
	.name = "xen-hypercall",
	.available = xen_argo_available,
	.probe = xen_argo_probe,
	.register_ring = xen_argo_register,
	.unregister_ring = xen_argo_unregister,
	.sendv = xen_argo_sendv,
	.notify = xen_argo_notify,
	.reads_user = xen_argo_reads_user,
};
