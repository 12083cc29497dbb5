/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure arithmetic on the contents of an Argo ring.
 *
 * Nothing here touches hypervisor state, locks or allocators: the functions
 * take the ring's data area, its length and a snapshot of the two indexes
 * and decide what is there.  That keeps the code that parses memory
 * written by the hypervisor (on behalf of another, untrusted domain) small
 * enough to be unit-tested and fuzzed on the host, where the same source
 * file is compiled against a tiny userspace shim.
 */
#ifndef _ARGO_RING_BUF_H
#define _ARGO_RING_BUF_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#endif
#include "xen_argo_abi.h"

/**
 * struct argo_rb_msg - one message located in a ring, after validation
 * @payload_off: offset of the first payload byte in the data area
 * @payload_len: payload length in bytes (header excluded)
 * @next_rx: value of rx_ptr once this message is consumed
 * @src_domid: sending domain, as written by the hypervisor
 * @src_port: sending port
 * @type: message_type given by the sender
 */
struct argo_rb_msg {
	u32 payload_off;
	u32 payload_len;
	u32 next_rx;
	u16 src_domid;
	u32 src_port;
	u32 type;
};

int argo_rb_geometry(size_t want, u32 *len, u32 *npages);
u32 argo_rb_used(u32 len, u32 rx, u32 tx);
int argo_rb_check_ptrs(u32 len, u32 rx, u32 tx);
int argo_rb_peek(const u8 *data, u32 len, u32 rx, u32 tx,
		 struct argo_rb_msg *msg);
size_t argo_rb_span(u32 len, const struct argo_rb_msg *msg, size_t offset,
		    size_t count, u32 *pos, size_t *first);
size_t argo_rb_copy(const u8 *data, u32 len, const struct argo_rb_msg *msg,
		    size_t offset, void *buf, size_t count);

#endif /* _ARGO_RING_BUF_H */
