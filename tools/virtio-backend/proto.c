// SPDX-License-Identifier: GPL-2.0
/*
 * Records on the wire: splitting a received Argo message into records, and
 * building the records we send.  Every length read from a guest's message
 * is checked here before anything else looks at the bytes it describes.
 */
#include <linux/virtio_config.h>

#include "backend.h"

/*
 * The next record of @msg at *@off, framed by the shared rules
 * (va_check_hdr(), virtio-argo/check.c).  Returns 1 with @r filled and
 * *@off moved past the record, 0 at the end of the message, or -1 when
 * the framing is broken (@why says how): the rest of the message cannot
 * be trusted, since we no longer know where its records start.  Bits 2-7
 * of the type are dropped here: receivers ignore them.
 */
int rec_next(const uint8_t *msg, size_t len, size_t *off, uint32_t max_size,
	     struct va_rec *r, const char **why)
{
	size_t rem = len - *off;
	struct va_hdr h;

	if (!rem)
		return 0;
	memset(&h, 0, sizeof(h));
	memcpy(&h, msg + *off, MIN(rem, sizeof(h)));
	if (va_check_hdr(&h, rem > UINT32_MAX ? UINT32_MAX : rem, max_size,
			 why))
		return -1;
	r->hdr = h;
	r->type = va_type(&h);
	r->msg_id = h.msg_id;
	r->dev_num = le16_to_cpu(h.dev_num);
	r->token = le16_to_cpu(h.token);
	r->payload = msg + *off + VA_HDR_SIZE;
	r->len = le16_to_cpu(h.msg_size) - VA_HDR_SIZE;
	*off += le16_to_cpu(h.msg_size);
	return 1;
}

/*
 * Append a record with room for @payload_len bytes to the guest's output
 * and return where its payload goes, or NULL when the guest's output can
 * take no more (the guest is then doomed: see guest_doom()).
 */
void *rec_append(struct guest *g, uint8_t type, uint8_t msg_id,
		 uint16_t dev_num, uint16_t token, uint32_t payload_len)
{
	uint32_t size = VA_HDR_SIZE + payload_len;
	uint8_t *p;

	if (g->doom)
		return NULL;
	if (size > g->bus.max_size) {
		guest_doom(g, "internal error: record larger than the negotiated maximum");
		return NULL;
	}
	p = outq_reserve(&g->out, size);
	if (!p) {
		guest_doom(g, g->out.bytes + size > VB_OUTQ_MAX ?
			   "it is not reading its ring" : "out of memory");
		return NULL;
	}
	p[offsetof(struct va_hdr, type)] = type;
	p[offsetof(struct va_hdr, msg_id)] = msg_id;
	put_le16(p + offsetof(struct va_hdr, dev_num), dev_num);
	put_le16(p + offsetof(struct va_hdr, token), token);
	put_le16(p + offsetof(struct va_hdr, msg_size), size);
	return p + VA_HDR_SIZE;
}

/* The response to @req: same msg_id, dev_num and token. */
void reply(struct guest *g, const struct va_rec *req, const void *payload,
	   uint32_t len)
{
	uint8_t *p = rec_append(g, VA_TYPE_RESPONSE | (req->type & VA_TYPE_BUS),
				req->msg_id, req->dev_num, req->token, len);

	if (p && len)
		memcpy(p, payload, len);
}

/*
 * The device will not carry out @req: the bus's ERROR event names the
 * request and says why (docs/virtio-argo-protocol.md 4.2), so that the
 * driver fails that one request now instead of waiting for a timeout.
 */
void reply_error(struct guest *g, const struct va_rec *req, uint32_t err)
{
	uint8_t *p = rec_append(g, VA_TYPE_BUS, VA_BUS_ERROR, 0, 0,
				sizeof(struct va_bus_error));

	if (!p)
		return;
	if (!(req->type & VA_TYPE_BUS) && req->dev_num &&
	    req->dev_num <= VA_MAX_DEVICES && g->be->devs[req->dev_num])
		g->be->devs[req->dev_num]->errors++;
	put_le16(p + offsetof(struct va_bus_error, dev_num), req->dev_num);
	put_le16(p + offsetof(struct va_bus_error, token), req->token);
	p[offsetof(struct va_bus_error, msg_id)] = req->msg_id;
	p[offsetof(struct va_bus_error, type)] = req->type & VA_TYPE_BUS;
	put_le16(p + offsetof(struct va_bus_error, rsvd), 0);
	put_le32(p + offsetof(struct va_bus_error, error), err);
}

/*
 * Tell the driver the config or the status changed (virtio: after
 * DEVICE_NEEDS_RESET).  No data: the driver reads the space again.
 */
void send_event_config(struct devinst *di)
{
	uint8_t *p;

	if (!(di->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	p = rec_append(di->g, 0, VA_EVENT_CONFIG, di->dev->dev_num, 0,
		       sizeof(struct va_event_config));
	if (!p)
		return;
	put_le32(p + offsetof(struct va_event_config, status), di->status);
	put_le32(p + offsetof(struct va_event_config, generation),
		 di->generation);
	put_le32(p + offsetof(struct va_event_config, offset), 0);
	put_le32(p + offsetof(struct va_event_config, size), 0);
}

/* EVENT_DEVICE: tell a guest that @dev_num came (READY) or went (REMOVED). */
void send_event_device(struct guest *g, uint16_t dev_num, uint16_t state)
{
	uint8_t *p;

	if (!g->connected)
		return;		/* it learns of the device from GET_DEVICES */
	p = rec_append(g, VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 0,
		       sizeof(struct va_event_device));
	if (!p)
		return;
	put_le16(p + offsetof(struct va_event_device, dev_num), dev_num);
	put_le16(p + offsetof(struct va_event_device, state), state);
}

/* send_used()'s filler: the bytes come from a buffer. */
static void fill_copy(void *ctx, uint8_t *dst, uint32_t off, uint32_t n)
{
	memcpy(dst, (const uint8_t *)ctx + off, n);
}

/*
 * Complete a chain: USED_CHAIN records carrying @total bytes, at most
 * va_frag_max() each, FIRST on the first and LAST on the last; a chain
 * with no bytes is one empty FIRST|LAST record.  @hold puts HOLD on the
 * LAST: the guest publishes the chain with the next one completed
 * without it.  Only devices that offered a feature needing HOLD use it,
 * and they offer it only when the guest negotiated VA_F_HOLD.
 *
 * @fill writes the bytes [off, off + n) of the chain's data straight
 * into the record being built, in order, every byte of them: the output
 * queue's memory is reused and must never carry old bytes to a guest.
 * Producing the data in place (a disk read into the record) saves a copy
 * of every byte over building it aside first.
 */
void send_used_fill(struct guest *g, uint16_t dev_num, uint16_t vq,
		    uint16_t chain, uint32_t total, bool hold,
		    used_fill_fn fill, void *ctx)
{
	uint32_t off = 0, frag = va_frag_max(&g->bus);

	if (hold && !(g->bus.features & (1ULL << VA_F_HOLD))) {
		guest_doom(g, "internal error: HOLD without VA_F_HOLD");
		return;
	}
	do {
		uint32_t n = MIN(total - off, frag);
		bool last = off + n == total;
		uint16_t flags = (off ? 0 : VA_CHAIN_FIRST) |
				 (last ? VA_CHAIN_LAST : 0) |
				 (last && hold ? VA_CHAIN_HOLD : 0);
		uint8_t *p = rec_append(g, 0, VA_USED_CHAIN, dev_num, 0,
					sizeof(struct va_used_chain) + n);

		if (!p)
			return;
		put_le16(p + offsetof(struct va_used_chain, vq), vq);
		put_le16(p + offsetof(struct va_used_chain, chain), chain);
		put_le32(p + offsetof(struct va_used_chain, written), n);
		put_le32(p + offsetof(struct va_used_chain, total), total);
		put_le32(p + offsetof(struct va_used_chain, offset), off);
		put_le16(p + offsetof(struct va_used_chain, flags), flags);
		put_le16(p + offsetof(struct va_used_chain, rsvd), 0);
		if (n)
			fill(ctx, p + sizeof(struct va_used_chain), off, n);
		off += n;
	} while (off < total);
}

/* send_used_fill() from a buffer (@data NULL only when @total is 0). */
void send_used(struct guest *g, uint16_t dev_num, uint16_t vq,
	       uint16_t chain, const uint8_t *data, uint32_t total, bool hold)
{
	send_used_fill(g, dev_num, vq, chain, total, hold, fill_copy,
		       (void *)data);
}
