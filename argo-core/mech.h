/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mechanism seam: how argo-core reaches the hypervisor.
 *
 * Everything above this table speaks in terms of Argo's operations; only
 * the table's implementation knows how an operation is issued (today the
 * Xen hypercall, later possibly another hypervisor's v4v or an MSR/SMCCC
 * interface).  All operations are called in process context.
 */
#ifndef _ARGO_CORE_MECH_H
#define _ARGO_CORE_MECH_H

#include <argo/xen_argo_abi.h>

/**
 * struct argo_mech - one way to issue Argo operations
 * @name: shown in logs and debugfs
 * @available: true when this mechanism can be used in this domain at all
 * @probe: 0 when Argo answers, else the hypervisor's negative errno
 * @register_ring: register @npages frames listed in @gfns under @reg
 * @unregister_ring: remove the ring named by @unreg
 * @sendv: send @niov iovecs; returns payload bytes or a negative errno
 * @notify: query/notify; @data may be NULL to only release waiting senders
 * @reads_user: true when @sendv may be given the calling task's user
 *	addresses (present pages) and the hypervisor reads them directly
 */
struct argo_mech {
	const char *name;
	bool (*available)(void);
	int (*probe)(void);
	int (*register_ring)(struct xen_argo_register_ring *reg, __u64 *gfns,
			     unsigned int npages, unsigned int flags);
	int (*unregister_ring)(struct xen_argo_unregister_ring *unreg);
	long (*sendv)(struct xen_argo_send_addr *addr, struct xen_argo_iov *iov,
		      unsigned int niov, u32 type);
	int (*notify)(struct xen_argo_ring_data *data);
	bool (*reads_user)(void);
};

extern const struct argo_mech argo_mech_xen;

#endif /* _ARGO_CORE_MECH_H */
