// SPDX-License-Identifier: GPL-2.0
/*
 * The sending side: sendv, notify and destination queries.
 */
#define pr_fmt(fmt) "argo-core: " fmt

#include <linux/kernel.h>
#include <linux/export.h>
#include <linux/slab.h>

#include "core.h"
#include "trace.h"

/* Payload bytes in @iov (at most XEN_ARGO_MAXIOV entries are counted). */
size_t argo_iov_len(const struct kvec *iov, unsigned int niov)
{
	size_t total = 0;
	unsigned int i;

	for (i = 0; i < niov && i < XEN_ARGO_MAXIOV; i++)
		total += iov[i].iov_len;
	return total;
}

/**
 * argo_sendv() - send one message
 * @from: the ring whose port is the source address (replies go there)
 * @domid: destination domain
 * @port: destination port
 * @iov: the payload, in kernel memory (or user memory, see
 *	argo_sendv_reads_user()), as up to %ARGO_MAX_IOV pieces
 * @niov: number of entries in @iov
 * @type: message_type delivered with the message
 *
 * Context: process context.
 * Return: payload bytes sent, or a negative errno: -EINVAL (more than
 * %ARGO_MAX_IOV pieces or a piece over 4 GiB), -ECONNREFUSED (no ring at
 * the destination), -ESRCH (no such domain), -EMSGSIZE (can never fit),
 * -EAGAIN or -EBUSY (ring full: retry later), or an XSM denial (-EPERM,
 * -EACCES).
 */
ssize_t argo_sendv(struct argo_ring *from, u16 domid, u32 port,
		   const struct kvec *iov, unsigned int niov, u32 type)
{
	struct xen_argo_iov xiov[XEN_ARGO_MAXIOV] = { };
	struct xen_argo_send_addr addr = {
		.src = { .aport = from->port, .domain_id = ARGO_DOMID_ANY },
		.dst = { .aport = port, .domain_id = domid },
	};
	unsigned int i;
	long ret;

	if (niov > XEN_ARGO_MAXIOV)
		return -EINVAL;
	for (i = 0; i < niov; i++) {
		if (iov[i].iov_len > U32_MAX)
			return -EINVAL;
		xiov[i].iov_hnd = (unsigned long)iov[i].iov_base;
		xiov[i].iov_len = iov[i].iov_len;
	}
	ret = argo_mech->sendv(&addr, xiov, niov, type);
	trace_argo_sendv(from->port, domid, port, argo_iov_len(iov, niov), type,
			 ret);
	if (ret >= 0) {
		atomic_long_inc(&from->tx_msgs);
		atomic_long_add(ret, &from->tx_bytes);
	} else if (ret == -EAGAIN || ret == -EBUSY) {
		atomic_long_inc(&from->tx_full);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(argo_sendv);

/**
 * argo_sendv_reads_user() - may argo_sendv() be given user memory?
 *
 * When true, the entries of argo_sendv()'s @iov may also be addresses in
 * the calling task's user memory (cast with __force): the hypervisor then
 * copies the payload straight from the task's pages, without a bounce
 * copy in the kernel.  The caller must keep the pages present for the
 * call (pin them); should the hypervisor still find one missing, the
 * send fails with -EFAULT and nothing was sent, so the caller may send
 * the same bytes again through a kernel buffer.  True in Xen PV domains.
 *
 * Return: whether user addresses may be passed.
 */
bool argo_sendv_reads_user(void)
{
	return argo_mech->reads_user && argo_mech->reads_user();
}
EXPORT_SYMBOL_GPL(argo_sendv_reads_user);

/**
 * argo_notify() - tell the hypervisor that ring space was freed
 *
 * Senders blocked on this domain's rings are released only by a notify.
 * argo-core calls it after each rx callback that consumed messages.
 *
 * Context: process context.
 * Return: 0 or the hypervisor's negative errno.
 */
int argo_notify(void)
{
	int err;

	/*
	 * Whatever was consumed before this point is covered: the rx work
	 * need not notify for it again (argo_ring_consume()).  The exchange
	 * orders the consumers' index updates before the hypercall.
	 */
	atomic_xchg(&argo_unnotified, 0);
	err = argo_mech->notify(NULL);

	trace_argo_notify(0, err);
	return err;
}
EXPORT_SYMBOL_GPL(argo_notify);

/**
 * argo_query() - ask the hypervisor about a destination ring
 * @domid: destination domain
 * @port: destination port
 * @space_required: payload bytes the caller wants to send
 * @info: filled with what the hypervisor reports
 *
 * The hypervisor keeps one pending space notification per destination
 * ring and sending domain, shared by this query and argo-core's waiting
 * senders (argo_space_wait()): a query that finds room drops it, one that
 * finds none raises it to @space_required.  After a query that found
 * room, argo-core asks again for its waiting senders, so that none of
 * them loses its wake-up; a larger query than theirs can only delay it,
 * by at most the senders' 0.5 s recheck.
 *
 * Context: process context.
 * Return: 0 (also when no such ring exists: see @info->exists) or the
 * hypervisor's negative errno (an XSM denial).
 */
int argo_query(u16 domid, u32 port, u32 space_required,
	       struct argo_dest_info *info)
{
	struct xen_argo_ring_data *rd;
	struct xen_argo_ring_data_ent *ent;
	int err;

	rd = kzalloc(struct_size(rd, data, 1), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	rd->nent = 1;
	ent = &rd->data[0];
	ent->ring.aport = port;
	ent->ring.domain_id = domid;
	ent->space_required = space_required;
	err = argo_mech->notify(rd);
	if (!err) {
		info->exists = ent->flags & XEN_ARGO_RING_EXISTS;
		info->sufficient = ent->flags & XEN_ARGO_RING_SUFFICIENT;
		info->max_message_size = ent->max_message_size;
		if (info->sufficient)
			argo_space_kick();
	}
	kfree(rd);
	return err;
}
EXPORT_SYMBOL_GPL(argo_query);
