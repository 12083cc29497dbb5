// SPDX-License-Identifier: GPL-2.0
/*
 * Chains: reassembling AVAIL_CHAIN fragments, handing complete chains to
 * the device model, and completing them with USED_CHAIN records.
 *
 * Every field of every fragment is checked against what came before: a
 * chain starts with FIRST at offset 0, each fragment continues exactly
 * where the previous one ended with the same lengths, and LAST comes
 * exactly when out_len bytes have arrived.  A fragment that breaks a rule
 * means the guest's transport and we no longer agree on that device's
 * queues, so the device instance is marked DEVICE_NEEDS_RESET (see
 * devinst_fail()); nothing else is affected.
 *
 * Memory: a chain's buffer grows with the bytes that actually arrived (a
 * FIRST fragment claiming 16 MiB costs nothing until the bytes come), and
 * everything a guest makes us hold is charged to it (VB_GUEST_BUDGET).
 */
#include <stdlib.h>

#include "backend.h"

/* Chain ids must be below the queue's size (the driver's size if set). */
static uint32_t vq_limit(const struct vqstate *q)
{
	return q->size ? q->size : VB_QUEUE_SIZE;
}

static void chain_free(struct chain *c)
{
	struct devinst *di = c->di;
	struct vqstate *q = &di->vq[c->vq];

	list_del_init(&c->link);
	q->slots[c->id] = NULL;
	q->outstanding--;
	di->g->held -= c->cap;
	free(c->out);
	free(c);
}

/* Make room for @need bytes at c->out, charging the guest for them. */
static int chain_grow(struct chain *c, uint32_t need)
{
	struct guest *g = c->di->g;
	uint32_t cap;
	uint8_t *p;

	if (need <= c->cap)
		return 0;
	/*
	 * The first fragment reserves the whole chain up to VB_CHAIN_RESERVE
	 * (a 1 MiB write then never moves), beyond that doubling keeps a
	 * many-fragment chain from copying quadratically.  Reserving costs
	 * address space only until the bytes arrive, and is charged anyway.
	 */
	if (!c->cap)
		cap = MIN(c->out_len, VB_CHAIN_RESERVE);
	else
		cap = c->cap > c->out_len / 2 ? c->out_len : c->cap * 2;
	if (cap < need)
		cap = need;
	if (g->held + (cap - c->cap) > VB_GUEST_BUDGET)
		return -1;
	p = realloc(c->out, cap);
	if (!p)
		return -1;
	g->held += cap - c->cap;
	c->out = p;
	c->cap = cap;
	return 0;
}

static struct chain *chain_new(struct devinst *di, uint16_t vq, uint16_t id,
			       uint32_t out_len, uint32_t in_len)
{
	struct chain *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	list_init(&c->link);
	c->di = di;
	c->vq = vq;
	c->id = id;
	c->out_len = out_len;
	c->in_len = in_len;
	di->vq[vq].slots[id] = c;
	di->vq[vq].outstanding++;
	return c;
}

/* A complete chain: run it now, or after the guest's output drained. */
static void chain_ready(struct chain *c)
{
	struct devinst *di = c->di;
	struct guest *g = di->g;

	c->complete = true;
	vb_debug("guest %u: device %u: queue %u chain %u: out %u in %u",
		 g->domid, di->dev->dev_num, c->vq, c->id, c->out_len,
		 c->in_len);
	/*
	 * A guest that does not read its ring must not make us produce ever
	 * more output (a 16 MiB read each): past VB_OUTQ_HIGH, chains wait,
	 * in order, and run as the output drains (chain_run_deferred()).
	 */
	if (!list_empty(&g->deferred) || g->out.bytes >= VB_OUTQ_HIGH) {
		list_add_tail(&c->link, &g->deferred);
		return;
	}
	di->dev->ops->chain(di, c);
}

void chain_record(struct devinst *di, const struct va_rec *r)
{
	const uint32_t hlen = sizeof(struct va_avail_chain);
	uint32_t out_len, in_len, offset, dlen;
	uint16_t vq, id, flags;
	struct vqstate *q;
	struct chain *c;
	bool last;

	if (devinst_broken(di)) {
		vb_debug("guest %u: device %u needs reset: chain ignored",
			 di->g->domid, di->dev->dev_num);
		return;
	}
	vq = get_le16(r->payload + offsetof(struct va_avail_chain, vq));
	id = get_le16(r->payload + offsetof(struct va_avail_chain, chain));
	out_len = get_le32(r->payload + offsetof(struct va_avail_chain,
						 out_len));
	in_len = get_le32(r->payload + offsetof(struct va_avail_chain, in_len));
	offset = get_le32(r->payload + offsetof(struct va_avail_chain, offset));
	flags = get_le16(r->payload + offsetof(struct va_avail_chain, flags));
	dlen = r->len - hlen;

	if (vq >= di->dev->ops->nqueues) {
		devinst_fail(di, "AVAIL_CHAIN for queue %u, which does not exist",
			     vq);
		return;
	}
	q = &di->vq[vq];
	if (id >= vq_limit(q)) {
		devinst_fail(di, "queue %u: chain %u beyond the queue size %u",
			     vq, id, vq_limit(q));
		return;
	}
	if (dlen > va_frag_max(&di->g->bus)) {
		devinst_fail(di, "queue %u: fragment of %u bytes (limit %u)",
			     vq, dlen, va_frag_max(&di->g->bus));
		return;
	}
	if (out_len > VB_CHAIN_MAX || in_len > VB_CHAIN_MAX) {
		devinst_fail(di, "queue %u: chain %u too large (out %u, in %u, limit %u)",
			     vq, id, out_len, in_len, VB_CHAIN_MAX);
		return;
	}
	c = q->slots[id];
	if (flags & VA_CHAIN_FIRST) {
		if (c) {
			devinst_fail(di, "queue %u: chain %u offered again while outstanding",
				     vq, id);
			return;
		}
		if (offset) {
			devinst_fail(di, "queue %u: chain %u FIRST fragment at offset %u",
				     vq, id, offset);
			return;
		}
	} else {
		if (!c || c->complete) {
			devinst_fail(di, "queue %u: chain %u continued but %s",
				     vq, id, c ? "already complete" :
				     "never started");
			return;
		}
		if (out_len != c->out_len || in_len != c->in_len) {
			devinst_fail(di, "queue %u: chain %u lengths changed between fragments",
				     vq, id);
			return;
		}
		if (offset != c->received) {
			devinst_fail(di, "queue %u: chain %u fragment at offset %u, expected %u",
				     vq, id, offset, c->received);
			return;
		}
	}
	if (dlen > out_len - offset) {
		devinst_fail(di, "queue %u: chain %u fragment beyond out_len %u",
			     vq, id, out_len);
		return;
	}
	last = offset + dlen == out_len;
	if (!!(flags & VA_CHAIN_LAST) != last) {
		devinst_fail(di, "queue %u: chain %u %s", vq, id, last ?
			     "has all its bytes but no LAST flag" :
			     "LAST fragment before out_len bytes arrived");
		return;
	}
	if (!c) {
		c = chain_new(di, vq, id, out_len, in_len);
		if (!c) {
			devinst_fail(di, "out of memory");
			return;
		}
	}
	if (dlen) {
		if (chain_grow(c, c->received + dlen)) {
			devinst_fail(di, "chain data over the %u MiB budget, or out of memory",
				     VB_GUEST_BUDGET >> 20);
			return;
		}
		memcpy(c->out + c->received, r->payload + hlen, dlen);
		c->received += dlen;
	}
	if (last)
		chain_ready(c);
}

static void chain_send_used(struct chain *c, const void *data, uint32_t len,
			    bool hold)
{
	struct devinst *di = c->di;

	if (len > c->in_len)
		len = c->in_len;	/* the protocol forbids more */
	di->dev->requests++;
	di->dev->bytes += (uint64_t)c->out_len + len;
	send_used(di->g, di->dev->dev_num, c->vq, c->id, data, len, hold);
	chain_free(c);
}

/*
 * The device wrote @len bytes into the chain's writable buffers: send them
 * (USED_CHAIN) and forget the chain.
 */
void chain_complete(struct chain *c, const void *data, uint32_t len)
{
	chain_send_used(c, data, len, false);
}

/*
 * The same, for a chain the guest must see used only together with the
 * chains completed after it, up to the next chain_complete() of the queue
 * (VA_CHAIN_HOLD).
 */
void chain_complete_held(struct chain *c, const void *data, uint32_t len)
{
	chain_send_used(c, data, len, true);
}

/*
 * The same, with the bytes produced in place by @fill (see
 * send_used_fill()), in order; past the chain's in_len it is not called.
 */
void chain_complete_fill(struct chain *c, uint32_t len, used_fill_fn fill,
			 void *ctx)
{
	struct devinst *di = c->di;

	if (len > c->in_len)
		len = c->in_len;	/* the protocol forbids more */
	di->dev->requests++;
	di->dev->bytes += (uint64_t)c->out_len + len;
	send_used_fill(di->g, di->dev->dev_num, c->vq, c->id, len, false,
		       fill, ctx);
	chain_free(c);
}

/* Reset of one queue: its chains are forgotten, none is completed. */
void chain_drop_queue(struct devinst *di, unsigned int vq)
{
	struct vqstate *q = &di->vq[vq];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(q->slots) && q->outstanding; i++)
		if (q->slots[i])
			chain_free(q->slots[i]);
}

void chain_drop_all(struct devinst *di)
{
	unsigned int i;

	for (i = 0; i < di->dev->ops->nqueues; i++)
		chain_drop_queue(di, i);
}

/* Run the chains that waited for the guest's output to drain, in order. */
void chain_run_deferred(struct guest *g)
{
	while (!list_empty(&g->deferred) && g->out.bytes < VB_OUTQ_HIGH &&
	       !g->doom) {
		struct chain *c = list_first_entry(&g->deferred, struct chain,
						   link);

		list_del_init(&c->link);
		c->di->dev->ops->chain(c->di, c);
	}
}
