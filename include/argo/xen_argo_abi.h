/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Xen Argo hypercall ABI, restated for this project.
 *
 * Linux carries no definitions for Argo, so the numbers and structure
 * layouts of Xen's public interface are declared here with the kernel's
 * fixed-width __u types.  The header is valid in kernel code and in
 * userspace (host unit tests compare it with Xen's own header), so it only
 * depends on <linux/types.h>.
 *
 * All structures use natural alignment; none is packed.  Guest handles are
 * 64-bit virtual addresses on x86_64 and are declared as __u64.
 */
#ifndef _ARGO_XEN_ARGO_ABI_H
#define _ARGO_XEN_ARGO_ABI_H

#include <linux/types.h>

#define XEN_HYPERCALL_ARGO_OP		39
#define XEN_VIRQ_ARGO			11	/* Linux: VIRQ_XC_RESERVED */

#define XEN_ARGO_OP_REGISTER_RING	1
#define XEN_ARGO_OP_UNREGISTER_RING	2
#define XEN_ARGO_OP_SENDV		3
#define XEN_ARGO_OP_NOTIFY		4

#define XEN_ARGO_REGISTER_FLAG_FAIL_EXIST	0x1

#define XEN_ARGO_DOMID_ANY		0x7FF4U	/* == DOMID_INVALID */
#define XEN_ARGO_MAX_RING_SIZE		0x1000000U
#define XEN_ARGO_MAXIOV			8U
#define XEN_ARGO_MSG_SLOT_SIZE		16U
#define XEN_ARGO_MIN_RING_SIZE		48U
#define XEN_ARGO_MAX_RINGS_PER_DOMAIN	128U
#define XEN_ARGO_MAX_NOTIFY_COUNT	256U
#define XEN_ARGO_MAX_PAGES		4096U
#define XEN_ARGO_PAGE_SIZE		4096U
/* Largest data area: XEN_ARGO_MAX_PAGES pages less the ring header. */
#define XEN_ARGO_MAX_RING_LEN	(XEN_ARGO_MAX_PAGES * XEN_ARGO_PAGE_SIZE - 64U)

/* xen_argo_ring_data_ent.flags, set by the hypervisor on notify. */
#define XEN_ARGO_RING_EXISTS		(1U << 0)
#define XEN_ARGO_RING_SHARED		(1U << 1)
#define XEN_ARGO_RING_EMPTY		(1U << 2)
#define XEN_ARGO_RING_SUFFICIENT	(1U << 3)
#define XEN_ARGO_RING_EMSGSIZE		(1U << 4)
#define XEN_ARGO_RING_EBUSY		(1U << 5)

struct xen_argo_addr {
	__u32 aport;
	__u16 domain_id;
	__u16 pad;
};

struct xen_argo_send_addr {
	struct xen_argo_addr src;
	struct xen_argo_addr dst;
};

struct xen_argo_iov {
	__u64 iov_hnd;
	__u32 iov_len;
	__u32 pad;
};

/* The first 64 bytes of a registered ring; the data area follows. */
struct xen_argo_ring {
	__u32 rx_ptr;
	__u32 tx_ptr;
	__u8 reserved[56];
	__u8 ring[];
};

struct xen_argo_register_ring {
	__u32 aport;
	__u16 partner_id;
	__u16 pad;
	__u32 len;
};

struct xen_argo_unregister_ring {
	__u32 aport;
	__u16 partner_id;
	__u16 pad;
};

struct xen_argo_ring_data_ent {
	struct xen_argo_addr ring;
	__u16 flags;
	__u16 pad;
	__u32 space_required;
	__u32 max_message_size;
};

struct xen_argo_ring_data {
	__u32 nent;
	__u32 pad;
	struct xen_argo_ring_data_ent data[];
};

/* Written by the hypervisor in front of every message in a ring. */
struct xen_argo_ring_message_header {
	__u32 len;			/* includes this 16-byte header */
	struct xen_argo_addr source;
	__u32 message_type;
	__u8 data[];
};

#endif /* _ARGO_XEN_ARGO_ABI_H */
