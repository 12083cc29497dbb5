// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of argo-virtio-backend's memory windows, the device's side
 * (window.c, docs/virtio-argo-protocol.md section 13): what CONNECT
 * agrees, how an access is split into MEM_READ and MEM_WRITE requests,
 * how the answers are matched (in any order; unknown tokens, wrong
 * addresses and stray answers dropped), and that every accepted access
 * gets its callback exactly once: with the bytes, the guest's errno, or
 * -ENODEV when a reset or the guest's end comes first.  The gpu device is
 * there only because it is the device that makes guests agree windows;
 * the test calls window.h directly.  Output is TAP.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "window.h"
#include "test_tap.h"

#define PORT		0x1000
#define DOM_WIN		1	/* agrees windows */
#define DOM_NOWIN	2	/* offers none */
#define DEV_GPU		1
#define MAX_REQS	8

static struct backend be;

/* ---- what the backend sends: MEM requests and the CONNECT answer ---- */

struct req {
	uint16_t dom, dev, token;
	uint8_t id;
	uint64_t addr;
	uint32_t len;
	uint8_t data[64];		/* a write's first bytes */
};

static struct req reqs[MAX_REQS];
static unsigned int nreqs;
static uint64_t connect_features;

static int fake_send(struct backend *b, struct guest *g, const void *buf,
		     size_t len)
{
	const uint8_t *m = buf;
	size_t off = 0;

	(void)b;
	while (off + VA_HDR_SIZE <= len) {
		const uint8_t *p = m + off + VA_HDR_SIZE;
		uint16_t size = get_le16(m + off + 6);
		uint8_t type = m[off], id = m[off + 1];

		if (type == (VA_TYPE_RESPONSE | VA_TYPE_BUS) &&
		    id == VA_BUS_CONNECT) {
			connect_features = get_le64(p + offsetof(struct va_connect,
								 features));
		} else if (!type && (id == VA_MEM_READ || id == VA_MEM_WRITE) &&
			   nreqs < MAX_REQS) {
			struct req *r = &reqs[nreqs++];

			r->dom = g->domid;
			r->id = id;
			r->dev = get_le16(m + off + 2);
			r->token = get_le16(m + off + 4);
			r->addr = get_le64(p + offsetof(struct va_mem_req, addr));
			r->len = get_le32(p + offsetof(struct va_mem_req, len));
			if (id == VA_MEM_WRITE)
				memcpy(r->data, p + sizeof(struct va_mem_req),
				       MIN(r->len, sizeof(r->data)));
		}
		off += size;
	}
	return 0;
}

/* send_once and forget are optional: nothing here needs them */
static const struct transport_ops fake_ops = {
	.send = fake_send,
};

/* ---- the simulated driver ---- */

static uint8_t msg[VA_MSG_MAX];

static void deliver(uint16_t dom, uint32_t len)
{
	guest_receive(&be, NULL, dom, PORT, VA_MSG_TYPE, msg, len);
	backend_flush(&be);
}

static void connect_with(uint16_t dom, uint64_t features)
{
	uint8_t *c = msg + VA_HDR_SIZE;

	msg[0] = VA_TYPE_BUS;
	msg[1] = VA_BUS_CONNECT;
	put_le16(msg + 2, 0);
	put_le16(msg + 4, 1);
	put_le16(msg + 6, VA_HDR_SIZE + sizeof(struct va_connect));
	put_le32(c + offsetof(struct va_connect, revision), VA_REVISION);
	put_le32(c + offsetof(struct va_connect, max_size), VA_SIZE_MAX);
	put_le64(c + offsetof(struct va_connect, features), features);
	deliver(dom, VA_HDR_SIZE + sizeof(struct va_connect));
}

/* The guest answers request @r with @err; a read gets @fill bytes. */
static void answer(const struct req *r, uint32_t err, uint64_t addr,
		   uint8_t fill)
{
	uint32_t data = r->id == VA_MEM_READ && !err ? r->len : 0;
	uint8_t *p = msg + VA_HDR_SIZE;

	msg[0] = VA_TYPE_RESPONSE;
	msg[1] = r->id;
	put_le16(msg + 2, r->dev);
	put_le16(msg + 4, r->token);
	put_le16(msg + 6, VA_HDR_SIZE + sizeof(struct va_mem_resp) + data);
	put_le64(p + offsetof(struct va_mem_resp, addr), addr);
	put_le32(p + offsetof(struct va_mem_resp, len), r->len);
	put_le32(p + offsetof(struct va_mem_resp, error), err);
	memset(p + sizeof(struct va_mem_resp), fill, data);
	deliver(r->dom, VA_HDR_SIZE + sizeof(struct va_mem_resp) + data);
}

/* ---- the callbacks ---- */

struct done {
	unsigned int calls;
	int err;
	uint32_t len;
	bool data;
	bool bytes_ok;			/* every byte as answered */
	uint8_t first, last;
};

static void on_done(struct devinst *di, void *ctx, int err,
		    const uint8_t *data, uint32_t len)
{
	struct done *d = ctx;
	uint32_t i;

	(void)di;
	d->calls++;
	d->err = err;
	d->len = len;
	d->data = data;
	d->bytes_ok = true;
	if (data) {
		d->first = data[0];
		d->last = data[len - 1];
	}
	/* the test answers piece k of a read with the byte 0x10 + k */
	for (i = 0; data && i < len; i++)
		if (data[i] != 0x10 + i / va_mem_max(&di->g->bus))
			d->bytes_ok = false;
}

static struct devinst *inst(uint16_t dom)
{
	struct guest *g = guest_find(&be, dom);

	return g ? g->inst[DEV_GPU] : NULL;
}

static void test_connect(void)
{
	connect_with(DOM_WIN, VA_F_KNOWN);
	ok(connect_features == VA_F_KNOWN && inst(DOM_WIN) &&
	   win_available(inst(DOM_WIN)),
	   "with a device that reads memory, CONNECT agrees HOLD and windows (0x%llx)",
	   (unsigned long long)connect_features);
	connect_with(DOM_NOWIN, 1ULL << VA_F_HOLD);
	ok(connect_features == 1ULL << VA_F_HOLD && !win_available(inst(DOM_NOWIN)),
	   "a guest that offers no windows has none");
}

static void test_split_and_order(void)
{
	struct devinst *di = inst(DOM_WIN);
	const uint32_t max = va_mem_max(&di->g->bus);
	struct done d = { 0 };
	int r;

	nreqs = 0;
	r = win_read(di, 0x10000, 100000, on_done, &d);
	backend_flush(&be);
	ok(r == 0 && nreqs == 2 &&
	   reqs[0].id == VA_MEM_READ && reqs[0].addr == 0x10000 &&
	   reqs[0].len == max && reqs[1].addr == 0x10000 + max &&
	   reqs[1].len == 100000 - max && reqs[0].dev == DEV_GPU &&
	   reqs[0].token && reqs[1].token && reqs[0].token != reqs[1].token,
	   "a 100000-byte read is two MEM_READs of %u and %u bytes with their own tokens",
	   max, 100000 - max);
	ok(d.calls == 0, "... and nothing is called back before the answers");
	answer(&reqs[1], 0, reqs[1].addr, 0x11);
	ok(d.calls == 0, "the second piece answered first: still waiting");
	answer(&reqs[0], 0, reqs[0].addr, 0x10);
	ok(d.calls == 1 && d.err == 0 && d.data && d.len == 100000 &&
	   d.bytes_ok && d.first == 0x10 && d.last == 0x11,
	   "both answered: one callback with the 100000 bytes in place");
	answer(&reqs[0], 0, reqs[0].addr, 0x10);
	ok(d.calls == 1, "an answer repeated is dropped, no second callback");
}

static void test_errors(void)
{
	struct devinst *di = inst(DOM_WIN);
	uint8_t bytes[16] = { 0xAB, 1, 2, 3 };
	struct done d = { 0 };
	int r;

	nreqs = 0;
	r = win_write(di, 0x2000, bytes, sizeof(bytes), on_done, &d);
	backend_flush(&be);
	ok(r == 0 && nreqs == 1 && reqs[0].id == VA_MEM_WRITE && reqs[0].len == 16 &&
	   !memcmp(reqs[0].data, bytes, sizeof(bytes)),
	   "a 16-byte write is one MEM_WRITE carrying the bytes");
	answer(&reqs[0], 0, 0x3000, 0);
	ok(d.calls == 0, "an answer naming another address is dropped");
	reqs[0].token ^= 0x100;
	answer(&reqs[0], 0, 0x2000, 0);
	reqs[0].token ^= 0x100;
	ok(d.calls == 0, "an answer with an unknown token is dropped");
	answer(&reqs[0], 14, 0x2000, 0);
	ok(d.calls == 1 && d.err == -EFAULT && !d.data,
	   "the guest's EFAULT reaches the callback, without data");
	ok(win_read(di, 0x1000, 0, on_done, &d) == -EINVAL &&
	   win_read(di, 0x1000, WIN_IO_MAX + 1, on_done, &d) == -EINVAL &&
	   win_read(inst(DOM_NOWIN), 0x1000, 16, on_done, &d) == -EOPNOTSUPP &&
	   d.calls == 1,
	   "0 bytes, more than WIN_IO_MAX, and no windows: refused at once, no callback");
}

static void test_cancel(void)
{
	struct devinst *di = inst(DOM_WIN);
	struct done d = { 0 }, e = { 0 };
	int r;

	nreqs = 0;
	r = win_read(di, 0x5000, 64, on_done, &d) |
	    win_read(di, 0x6000, 64, on_done, &e);
	backend_flush(&be);
	ok(r == 0 && nreqs == 2, "two reads outstanding");
	answer(&reqs[1], 0, reqs[1].addr, 0x10);
	devinst_reset(di);
	ok(d.calls == 1 && d.err == -ENODEV && !d.data && e.calls == 1 &&
	   e.err == 0, "a reset completes the one outstanding with -ENODEV");
	answer(&reqs[0], 0, reqs[0].addr, 0x10);
	ok(d.calls == 1, "its late answer is dropped");

	nreqs = 0;
	memset(&d, 0, sizeof(d));
	r = win_read(di, 0x7000, 64, on_done, &d);
	backend_flush(&be);
	ok(r == 0 && nreqs == 1, "a read outstanding when the guest goes");
	guest_drop(di->g, "test");
	ok(d.calls == 1 && d.err == -ENODEV && !guest_find(&be, DOM_WIN),
	   "the guest dropped: -ENODEV, and everything freed");
}

int main(void)
{
	char err[256];
	struct device *d;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	backend_init(&be, &fake_ops, NULL);
	d = gpu_parse(NULL, err, sizeof(err));
	if (!d || backend_add_device(&be, d) < 0 ||
	    device_start(d, err, sizeof(err))) {
		printf("Bail out! gpu: %s\n", err);
		return 1;
	}
	test_connect();
	test_split_and_order();
	test_errors();
	test_cancel();
	backend_fini(&be);
	printf("1..%d\n", testno);
	return failures ? 1 : 0;
}
