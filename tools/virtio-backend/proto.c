// SPDX-License-Identifier: GPL-2.0
/*
 * Records on the wire: splitting a received Argo message into records, and
 * building the records we send.  Every length read from a guest's message
 * is checked here before anything else looks at the bytes it describes.
 */
#include <linux/virtio_config.h>

#include "backend.h"

/*
 * The next record of @msg at *@off.  Returns 1 with @r filled and *@off
 * moved past the record, 0 at the end of the message, or -1 when the
 * framing is broken (@why says how): the rest of the message cannot be
 * trusted, since we no longer know where its records start.
 */
int rec_next(const uint8_t *msg, size_t len, size_t *off, struct va_rec *r,
	     const char **why)
{
	const uint8_t *p = msg + *off;
	size_t rem = len - *off;
	uint16_t size;

	if (!rem)
		return 0;
	if (rem < VA_HDR_SIZE) {
		*why = "record shorter than its header";
		return -1;
	}
	size = get_le16(p + offsetof(struct va_hdr, msg_size));
	if (size < VA_HDR_SIZE) {
		*why = "msg_size smaller than the header";
		return -1;
	}
	if (size > rem) {
		*why = "msg_size beyond the end of the message";
		return -1;
	}
	r->type = p[offsetof(struct va_hdr, type)];
	r->msg_id = p[offsetof(struct va_hdr, msg_id)];
	r->dev_num = get_le16(p + offsetof(struct va_hdr, dev_num));
	r->token = get_le16(p + offsetof(struct va_hdr, token));
	r->payload = p + VA_HDR_SIZE;
	r->len = size - VA_HDR_SIZE;
	*off += size;
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
	if (size > UINT16_MAX) {
		guest_doom(g, "internal error: record too large");
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

void reply_error(struct guest *g, const struct va_rec *req, uint32_t err)
{
	uint8_t *p = rec_append(g, VA_TYPE_RESPONSE | VA_TYPE_ERROR |
				(req->type & VA_TYPE_BUS), req->msg_id,
				req->dev_num, req->token,
				sizeof(struct va_error));

	if (p)
		put_le32(p, err);
}

/* Tell the driver the config changed (virtio: after DEVICE_NEEDS_RESET). */
void send_event_config(struct devinst *di)
{
	uint8_t *p;

	if (!(di->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	p = rec_append(di->g, 0, VA_EVENT_CONFIG, di->dev->dev_num, 0,
		       sizeof(struct va_generation));
	if (p)
		put_le32(p, di->generation);
}

/* EVENT_DEVICE: tell a guest that @dev_num came (READY) or went (REMOVED). */
void send_event_device(struct guest *g, uint16_t dev_num, uint16_t state)
{
	uint8_t *p = rec_append(g, VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 0,
				sizeof(struct va_event_device));

	if (!p)
		return;
	put_le16(p + offsetof(struct va_event_device, dev_num), dev_num);
	put_le16(p + offsetof(struct va_event_device, state), state);
}

/*
 * Complete a chain: USED_CHAIN records carrying @total bytes, at most
 * VA_FRAG_MAX each, FIRST on the first and LAST on the last; a chain with
 * no bytes is one empty FIRST|LAST record.  @hold puts HOLD on the LAST:
 * the guest publishes the chain with the next one completed without it.
 */
void send_used(struct guest *g, uint16_t dev_num, uint16_t vq,
	       uint16_t chain, const uint8_t *data, uint32_t total, bool hold)
{
	uint32_t off = 0;

	do {
		uint32_t n = MIN(total - off, VA_FRAG_MAX);
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
		if (data)	/* NULL only for a chain with no bytes */
			memcpy(p + sizeof(struct va_used_chain), data + off, n);
		off += n;
	} while (off < total);
}
