// SPDX-License-Identifier: GPL-2.0
/*
 * argo-virtio-backend: memory windows, the device's side (window.h).
 *
 * An access is split into MEM_READ or MEM_WRITE requests of at most
 * va_mem_max() bytes each (docs/virtio-argo-protocol.md section 13), all
 * sent at once behind whatever the guest's output queue holds.  Each
 * request has a token of ours; the guest answers each once, in order.
 * When the last piece of an access is answered its callback runs, from the
 * event loop, with the bytes or the first error.  A reset or the end of
 * the instance completes what is still outstanding with -ENODEV (before
 * the model's own reset hook runs), and answers that still come for it are
 * then unknown tokens, dropped.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "backend.h"
#include "window.h"

/*
 * Requests one guest may have outstanding: a 4K display transferred one
 * 4 KiB page at a time (a resource's pages are rarely contiguous).
 */
#define WIN_SLOTS	16384U

struct win_access {
	struct devinst *di;
	win_done_fn done;
	void *ctx;
	uint32_t len;
	uint32_t pending;		/* pieces not answered yet */
	int err;			/* the first error */
	uint8_t *buf;			/* a read's bytes */
	struct list_node link;		/* on the guest's list */
};

/* One request in flight: which part of which access it is. */
struct win_piece {
	struct win_access *a;
	uint64_t addr;
	uint32_t off;
	uint32_t len;
	uint16_t token;
	uint8_t msg_id;
};

/* A guest's requests in flight, by token; made at its first access. */
struct win_table {
	struct win_piece *slot[WIN_SLOTS];
	unsigned int used;
	uint16_t next_token;
	struct list_node accesses;
};

bool win_available(const struct devinst *di)
{
	return di->g->connected &&
	       (di->g->bus.features & (1ULL << VA_F_WINDOWS));
}

static struct win_table *win_table(struct guest *g)
{
	struct win_table *t = g->win;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		list_init(&t->accesses);
		g->win = t;
	}
	return t;
}

/* A free token whose slot is free too; 0 when all slots are taken. */
static uint16_t win_token(struct win_table *t)
{
	unsigned int i;

	if (t->used >= WIN_SLOTS)
		return 0;
	for (i = 0; i < 65536; i++) {
		uint16_t tok = ++t->next_token;

		if (tok && !t->slot[tok % WIN_SLOTS])
			return tok;
	}
	return 0;
}

static void win_finish(struct win_access *a)
{
	list_del_init(&a->link);
	a->done(a->di, a->ctx, a->err, a->err ? NULL : a->buf, a->len);
	free(a->buf);
	free(a);
}

static int win_start(struct devinst *di, uint64_t addr, uint32_t len,
		     const void *data, win_done_fn done, void *ctx)
{
	struct guest *g = di->g;
	uint32_t max = va_mem_max(&g->bus), off, n;
	uint8_t id = data ? VA_MEM_WRITE : VA_MEM_READ;
	struct win_access *a;
	struct win_table *t;

	if (!win_available(di))
		return -EOPNOTSUPP;
	if (!len || len > WIN_IO_MAX)
		return -EINVAL;
	t = win_table(g);
	if (!t)
		return -ENOMEM;
	if (t->used + (len + max - 1) / max > WIN_SLOTS)
		return -ENOMEM;		/* back pressure: try later */
	a = calloc(1, sizeof(*a));
	if (!a || (!data && !(a->buf = malloc(len)))) {
		free(a);
		return -ENOMEM;
	}
	a->di = di;
	a->done = done;
	a->ctx = ctx;
	a->len = len;
	list_add_tail(&a->link, &t->accesses);
	for (off = 0; off < len; off += n) {
		struct win_piece *p = calloc(1, sizeof(*p));
		uint8_t *rec;

		n = MIN(max, len - off);
		rec = p ? rec_append(g, 0, id, di->dev->dev_num, 0,
				     sizeof(struct va_mem_req) +
				     (data ? n : 0)) : NULL;
		if (!rec) {
			/* the guest is doomed, or no memory: fail the access */
			free(p);
			a->err = -ENOMEM;
			break;
		}
		p->a = a;
		p->addr = addr + off;
		p->off = off;
		p->len = n;
		p->msg_id = id;
		p->token = win_token(t);
		t->slot[p->token % WIN_SLOTS] = p;
		t->used++;
		a->pending++;
		put_le16(rec - VA_HDR_SIZE + offsetof(struct va_hdr, token),
			 p->token);
		put_le64(rec + offsetof(struct va_mem_req, addr), p->addr);
		put_le32(rec + offsetof(struct va_mem_req, len), n);
		put_le32(rec + offsetof(struct va_mem_req, rsvd), 0);
		if (data)
			memcpy(rec + sizeof(struct va_mem_req),
			       (const uint8_t *)data + off, n);
	}
	/* nothing went out: the caller hears now, not from the callback */
	if (!a->pending) {
		list_del_init(&a->link);
		free(a->buf);
		free(a);
		return -ENOMEM;
	}
	return 0;
}

int win_read(struct devinst *di, uint64_t addr, uint32_t len,
	     win_done_fn done, void *ctx)
{
	return win_start(di, addr, len, NULL, done, ctx);
}

int win_write(struct devinst *di, uint64_t addr, const void *data,
	      uint32_t len, win_done_fn done, void *ctx)
{
	return win_start(di, addr, len, data, done, ctx);
}

/**
 * win_answer() - a MEM_READ or MEM_WRITE answer from @g
 * @g: the guest
 * @r: the record, its size already checked (va_check_from_driver())
 *
 * An answer that matches no request of ours (a token unknown, a reset
 * cancelled it, or another address or length) is dropped and logged: the
 * guest broke the rules, but its devices' other work goes on.
 */
void win_answer(struct guest *g, const struct va_rec *r)
{
	struct win_table *t = g->win;
	struct win_piece *p = t ? t->slot[r->token % WIN_SLOTS] : NULL;
	struct win_access *a;
	uint32_t err;

	if (!p || p->token != r->token || p->msg_id != r->msg_id ||
	    p->a->di->dev->dev_num != r->dev_num ||
	    get_le64(r->payload + offsetof(struct va_mem_resp, addr)) != p->addr ||
	    get_le32(r->payload + offsetof(struct va_mem_resp, len)) != p->len) {
		guest_err(g, "memory window answer (token %u) matches no request: dropped",
			  r->token);
		return;
	}
	t->slot[r->token % WIN_SLOTS] = NULL;
	t->used--;
	a = p->a;
	err = get_le32(r->payload + offsetof(struct va_mem_resp, error));
	if (err && !a->err)
		a->err = err < 4096 ? -(int)err : -EIO;
	else if (!err && a->buf)
		memcpy(a->buf + p->off, r->payload + sizeof(struct va_mem_resp),
		       p->len);
	free(p);
	if (!--a->pending)
		win_finish(a);
}

/**
 * win_cancel() - complete @di's outstanding accesses with -ENODEV
 * @di: an instance being reset or freed
 *
 * Their requests may still be answered: the tokens are forgotten, so the
 * answers are dropped.
 */
void win_cancel(struct devinst *di)
{
	struct win_table *t = di->g->win;
	struct list_node *n, *tmp;
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < WIN_SLOTS; i++) {
		struct win_piece *p = t->slot[i];

		if (p && p->a->di == di) {
			t->slot[i] = NULL;
			t->used--;
			free(p);
		}
	}
	list_for_each_safe(n, tmp, &t->accesses) {
		struct win_access *a = list_entry(n, struct win_access, link);

		if (a->di != di)
			continue;
		a->err = -ENODEV;
		win_finish(a);
	}
}

/* The guest is gone: its instances were cancelled already. */
void win_guest_free(struct guest *g)
{
	free(g->win);
	g->win = NULL;
}
