// SPDX-License-Identifier: GPL-2.0
/*
 * Ring arithmetic shared by argo-core and the host unit tests.
 *
 * The data area of a ring is written by the hypervisor while the owning
 * domain reads it, and its contents come from another domain.  Every index
 * and length is therefore checked against the ring length before use, and
 * the header is copied once so that a concurrent writer cannot change it
 * between the check and the use.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/export.h>
#include <linux/string.h>
#endif
#include <argo/ring_buf.h>

#define RB_SLOT		XEN_ARGO_MSG_SLOT_SIZE
#define RB_HDR		((u32)sizeof(struct xen_argo_ring_message_header))
#define RB_ALIGN(x)	(((x) + RB_SLOT - 1) & ~(RB_SLOT - 1))

/**
 * argo_rb_geometry() - size a ring so that it fills whole pages
 * @want: the smallest data area the caller accepts, in bytes
 * @len: returned data area length (a multiple of 16)
 * @npages: returned number of 4 KiB pages, header included
 *
 * The hypervisor requires npages == ceil((len + 64) / 4096) exactly and at
 * most 4096 pages, so the data area is grown to use all of the last page
 * and the largest ring is 16 MiB less the 64-byte header.
 *
 * Return: 0, or -EINVAL when @want exceeds %XEN_ARGO_MAX_RING_LEN.
 */
int argo_rb_geometry(size_t want, u32 *len, u32 *npages)
{
	const u32 hdr = sizeof(struct xen_argo_ring);

	if (want < XEN_ARGO_MIN_RING_SIZE)
		want = XEN_ARGO_MIN_RING_SIZE;
	if (want > XEN_ARGO_MAX_RING_LEN)
		return -EINVAL;
	*npages = (u32)((want + hdr + XEN_ARGO_PAGE_SIZE - 1) / XEN_ARGO_PAGE_SIZE);
	*len = *npages * XEN_ARGO_PAGE_SIZE - hdr;
	return 0;
}

/**
 * argo_rb_used() - bytes between the read and the write index
 * @len: data area length
 * @rx: read index
 * @tx: write index
 *
 * Return: the number of bytes the hypervisor has written and the owner has
 * not yet consumed.  Both indexes must already be valid for @len.
 */
u32 argo_rb_used(u32 len, u32 rx, u32 tx)
{
	return tx >= rx ? tx - rx : len - rx + tx;
}

/**
 * argo_rb_check_ptrs() - validate a snapshot of rx_ptr and tx_ptr
 * @len: data area length
 * @rx: read index
 * @tx: write index
 *
 * Return: 0 when both lie inside the ring on a slot boundary, else -EIO.
 */
int argo_rb_check_ptrs(u32 len, u32 rx, u32 tx)
{
	/* a length above the maximum would let the index sums overflow */
	if (len < XEN_ARGO_MIN_RING_SIZE || len > XEN_ARGO_MAX_RING_LEN ||
	    len % RB_SLOT)
		return -EIO;
	if (rx >= len || tx >= len || rx % RB_SLOT || tx % RB_SLOT)
		return -EIO;
	return 0;
}

/**
 * argo_rb_peek() - locate and validate the message at the read index
 * @data: the ring's data area (after the 64-byte ring header)
 * @len: data area length
 * @rx: read index snapshot
 * @tx: write index snapshot (read with acquire semantics by the caller)
 * @msg: filled with the message's location and metadata
 *
 * The header never straddles the end of the ring (it is one slot long and
 * every message starts on a slot boundary); the payload may wrap.
 *
 * Return: 0 when a message is present, -EAGAIN when the ring is empty, or
 * -EIO when the indexes or the header are inconsistent (the ring must then
 * be treated as corrupt: nothing in it can be trusted).
 */
int argo_rb_peek(const u8 *data, u32 len, u32 rx, u32 tx,
		 struct argo_rb_msg *msg)
{
	struct xen_argo_ring_message_header hdr;
	u32 used, mlen;

	if (argo_rb_check_ptrs(len, rx, tx))
		return -EIO;
	if (rx == tx)
		return -EAGAIN;
	used = argo_rb_used(len, rx, tx);
	if (used < RB_HDR)
		return -EIO;

	memcpy(&hdr, data + rx, RB_HDR);
	mlen = hdr.len;
	if (mlen < RB_HDR || mlen > len || RB_ALIGN(mlen) > used)
		return -EIO;

	msg->payload_off = rx + RB_HDR;
	if (msg->payload_off == len)
		msg->payload_off = 0;
	msg->payload_len = mlen - RB_HDR;
	msg->next_rx = (rx + RB_ALIGN(mlen)) % len;
	msg->src_domid = hdr.source.domain_id;
	msg->src_port = hdr.source.aport;
	msg->type = hdr.message_type;
	return 0;
}

/**
 * argo_rb_span() - where a range of a message's payload lies in the ring
 * @len: data area length
 * @msg: a message returned by argo_rb_peek() for this ring
 * @offset: first payload byte wanted
 * @count: at most this many bytes
 * @pos: returned offset in the data area of the first byte
 * @first: returned number of bytes from @pos before the ring wraps; the
 *	rest (return value minus @first) starts at offset 0
 *
 * Return: the number of bytes in the range (0 when @offset is at or past
 * the end of the payload).
 */
size_t argo_rb_span(u32 len, const struct argo_rb_msg *msg, size_t offset,
		    size_t count, u32 *pos, size_t *first)
{
	size_t n;

	*pos = 0;
	*first = 0;
	if (offset >= msg->payload_len)
		return 0;
	n = msg->payload_len - offset;
	if (n > count)
		n = count;
	*pos = (u32)((msg->payload_off + offset) % len);
	*first = len - *pos;
	if (*first > n)
		*first = n;
	return n;
}

/**
 * argo_rb_copy() - copy part of a validated message's payload
 * @data: the ring's data area
 * @len: data area length
 * @msg: a message returned by argo_rb_peek() for this ring
 * @offset: first payload byte to copy
 * @buf: destination
 * @count: at most this many bytes
 *
 * Return: the number of bytes copied (0 when @offset is at or past the end
 * of the payload).
 */
size_t argo_rb_copy(const u8 *data, u32 len, const struct argo_rb_msg *msg,
		    size_t offset, void *buf, size_t count)
{
	size_t n, first;
	u32 pos;

	n = argo_rb_span(len, msg, offset, count, &pos, &first);
	if (!n)
		return 0;
	memcpy(buf, data + pos, first);
	if (n > first)
		memcpy((u8 *)buf + first, data, n - first);
	return n;
}
