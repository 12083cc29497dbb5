/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A simulated guest driver for argo-virtio-backend's host test programs
 * that drive whole devices (test_gpu.c, test_vnc.c): a fake transport
 * that captures what the backend sends, checks every record with the
 * shared rules of virtio-argo/check.c and keeps the chains it answers
 * (struct used), and the driver's side: connect, records, chains in
 * fragments.  The including file defines PORT and the backend `be`.
 */
#ifndef _VB_TEST_DRIVER_H
#define _VB_TEST_DRIVER_H

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* ---- the fake transport ---- */

struct used {
	uint16_t dom, dev, vq, chain;
	uint32_t len;
	uint8_t data[512];
};

static struct used *useds;
static size_t nused, usedcap;
/* the last transport response (GET_DEVICE_INFO, GET_CONFIG...) */
static uint8_t resp_id;
static uint8_t resp[256];
static uint32_t resp_len;
static struct va_link links[8];
static unsigned int bad_records;
static char bad_why[256];

static inline void bad(const char *why)
{
	if (!bad_records++)
		snprintf(bad_why, sizeof(bad_why), "%s", why);
}

static inline void take_record(uint16_t dom, const uint8_t *rec, uint32_t avail)
{
	struct va_link *lk = &links[dom];
	const uint8_t *p = rec + VA_HDR_SIZE;
	const char *why = NULL;
	struct va_hdr h;
	uint32_t plen, written, total;
	struct used *u;

	memcpy(&h, rec, sizeof(h));
	if (!lk->max_size)
		lk->max_size = VA_SIZE_MAX;
	if (va_check_hdr(&h, avail, lk->max_size, &why)) {
		bad(why);
		return;
	}
	plen = le16toh(h.msg_size) - VA_HDR_SIZE;
	if (va_check_from_device(&h, p, plen, lk, &why))
		bad(why ? why : "a record the driver ignores");
	if (h.type == (VA_TYPE_RESPONSE | VA_TYPE_BUS) &&
	    h.msg_id == VA_BUS_CONNECT && plen >= 16) {
		lk->max_size = get_le32(p + 4);
		lk->features = get_le64(p + 8);
	}
	if (h.type == VA_TYPE_RESPONSE && plen <= sizeof(resp)) {
		resp_id = h.msg_id;
		resp_len = plen;
		memcpy(resp, p, plen);
	}
	if (h.type || h.msg_id != VA_USED_CHAIN)
		return;
	written = get_le32(p + offsetof(struct va_used_chain, written));
	total = get_le32(p + offsetof(struct va_used_chain, total));
	/* every answer a test expects fits one record */
	if (get_le16(p + offsetof(struct va_used_chain, flags)) !=
	    (VA_CHAIN_FIRST | VA_CHAIN_LAST) || written != total ||
	    total > sizeof(u->data)) {
		bad("an answer in several fragments or too long");
		return;
	}
	if (nused == usedcap) {
		usedcap = usedcap ? usedcap * 2 : 64;
		useds = realloc(useds, usedcap * sizeof(*useds));
		if (!useds)
			abort();
	}
	u = &useds[nused++];
	u->dom = dom;
	u->dev = le16toh(h.dev_num);
	u->vq = get_le16(p + offsetof(struct va_used_chain, vq));
	u->chain = get_le16(p + offsetof(struct va_used_chain, chain));
	u->len = total;
	memcpy(u->data, p + sizeof(struct va_used_chain), total);
}

static inline int fake_send(struct backend *b, struct guest *g, const void *buf,
		     size_t len)
{
	const uint8_t *m = buf;
	size_t off = 0;

	(void)b;
	while (off + VA_HDR_SIZE <= len) {
		uint16_t size = get_le16(m + off + 6);

		if (size < VA_HDR_SIZE || size > len - off) {
			bad("bad msg_size");
			return 0;
		}
		take_record(g->domid, m + off, len - off);
		off += size;
	}
	if (off != len)
		bad("trailing bytes");
	return 0;
}

/* send_once and forget are optional: nothing here needs them */
static const struct transport_ops fake_ops = {
	.send = fake_send,
};

/* ---- the simulated driver ---- */

static uint8_t msg[VA_MSG_MAX];
static uint16_t next_token = 1;

/* Send one record with @plen payload bytes from @payload. */
static inline void send_rec(uint16_t dom, uint8_t type, uint8_t id, uint16_t dev,
		     const void *payload, uint32_t plen)
{
	msg[0] = type;
	msg[1] = id;
	put_le16(msg + 2, dev);
	put_le16(msg + 4, (type & VA_TYPE_BUS) || id < VA_ID_EVENT ?
		 next_token++ : 0);
	put_le16(msg + 6, VA_HDR_SIZE + plen);
	if (plen)
		memcpy(msg + VA_HDR_SIZE, payload, plen);
	guest_receive(&be, NULL, dom, PORT, VA_MSG_TYPE, msg,
		      VA_HDR_SIZE + plen);
	backend_flush(&be);
}

static inline void guest_up(uint16_t dom)
{
	uint8_t c[sizeof(struct va_connect)];

	put_le32(c + offsetof(struct va_connect, revision), VA_REVISION);
	put_le32(c + offsetof(struct va_connect, max_size), VA_SIZE_MAX);
	put_le64(c + offsetof(struct va_connect, features), 0);
	send_rec(dom, VA_TYPE_BUS, VA_BUS_CONNECT, 0, c, sizeof(c));
}

static inline struct devinst *inst(uint16_t dom, uint16_t dev)
{
	struct guest *g = guest_find(&be, dom);

	return g ? g->inst[dev] : NULL;
}

static uint16_t next_chain[2];

/* Offer a chain (in as many fragments as it takes); returns its id. */
static inline uint16_t submit(uint16_t dom, uint16_t dev, uint16_t vq,
		       const void *out, uint32_t out_len, uint32_t in_len)
{
	const uint32_t frag = va_frag_max(&links[dom]);
	uint16_t id = next_chain[vq]++ % VB_QUEUE_SIZE;
	uint8_t hdr[sizeof(struct va_avail_chain)];
	uint32_t off = 0;

	do {
		uint32_t n = MIN(frag, out_len - off);
		uint16_t flags = (off ? 0 : VA_CHAIN_FIRST) |
				 (off + n == out_len ? VA_CHAIN_LAST : 0);
		uint8_t *p = msg + VA_HDR_SIZE;

		put_le16(hdr + 0, vq);
		put_le16(hdr + 2, id);
		put_le32(hdr + 4, out_len);
		put_le32(hdr + 8, in_len);
		put_le32(hdr + 12, off);
		put_le16(hdr + 16, flags);
		put_le16(hdr + 18, 0);
		msg[0] = 0;
		msg[1] = VA_AVAIL_CHAIN;
		put_le16(msg + 2, dev);
		put_le16(msg + 4, 0);
		put_le16(msg + 6, VA_HDR_SIZE + sizeof(hdr) + n);
		memcpy(p, hdr, sizeof(hdr));
		if (n)
			memcpy(p + sizeof(hdr), (const uint8_t *)out + off, n);
		guest_receive(&be, NULL, dom, PORT, VA_MSG_TYPE, msg,
			      VA_HDR_SIZE + sizeof(hdr) + n);
		off += n;
	} while (off < out_len);
	backend_flush(&be);
	return id;
}

/* The latest answer to chain @id, or NULL. */
static inline const struct used *answer(uint16_t dom, uint16_t dev, uint16_t vq,
				 uint16_t id)
{
	size_t i;

	for (i = nused; i-- > 0;)
		if (useds[i].dom == dom && useds[i].dev == dev &&
		    useds[i].vq == vq && useds[i].chain == id)
			return &useds[i];
	return NULL;
}

static inline void forget_answers(void)
{
	nused = 0;
}

#endif /* _VB_TEST_DRIVER_H */
