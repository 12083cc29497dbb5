// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of argo-core's ring arithmetic (argo-core/ring_buf.c).
 *
 * A reference writer puts messages into a ring the way the hypervisor
 * does (16-byte header, payload, padding to a 16-byte slot, wrapping at
 * the end), and the tests check what argo_rb_peek()/argo_rb_copy() make of
 * it, including rings whose indexes or headers were corrupted.
 */
#include <stdlib.h>
#include <argo/ring_buf.h>
#include "../lib/tap.h"

#define HDR 16U

struct fake_ring {
	u8 *data;
	u32 len, rx, tx;
};

static void ring_init(struct fake_ring *r, u32 len)
{
	r->data = calloc(1, len);
	r->len = len;
	r->rx = r->tx = 0;
}

static u32 ring_free_bytes(const struct fake_ring *r)
{
	return r->len - argo_rb_used(r->len, r->rx, r->tx);
}

static void put_bytes(struct fake_ring *r, const void *src, u32 n)
{
	u32 first = r->len - r->tx < n ? r->len - r->tx : n;

	memcpy(r->data + r->tx, src, first);
	memcpy(r->data, (const u8 *)src + first, n - first);
	r->tx = (r->tx + n) % r->len;
}

/* Insert like the hypervisor: refuse when it would fill the last slot. */
static int ring_write(struct fake_ring *r, const void *p, u32 n, u16 dom,
		      u32 port, u32 type)
{
	struct xen_argo_ring_message_header h = {
		.len = HDR + n, .source = { .aport = port, .domain_id = dom },
		.message_type = type,
	};
	u32 total = (HDR + n + 15) & ~15U;
	static const u8 zero[16];

	if (total >= ring_free_bytes(r))
		return -EAGAIN;
	put_bytes(r, &h, HDR);
	put_bytes(r, p, n);
	put_bytes(r, zero, total - HDR - n);
	return 0;
}

static void test_geometry(void)
{
	u32 len = 0, np = 0;

	tap_is(argo_rb_geometry(0, &len, &np), 0, "geometry: size 0 accepted");
	tap_ok(len == 4032 && np == 1, "geometry: size 0 -> one page, 4032 bytes (got %u, %u)", len, np);
	argo_rb_geometry(4032, &len, &np);
	tap_ok(len == 4032 && np == 1, "geometry: 4032 fits one page");
	argo_rb_geometry(4033, &len, &np);
	tap_ok(len == 8128 && np == 2, "geometry: 4033 -> two pages, 8128 bytes");
	tap_is(argo_rb_geometry(XEN_ARGO_MAX_RING_LEN, &len, &np), 0, "geometry: 16 MiB - 64 accepted");
	tap_ok(len == XEN_ARGO_MAX_RING_LEN && np == 4096, "geometry: largest ring is 4096 pages");
	tap_is(argo_rb_geometry(XEN_ARGO_MAX_RING_LEN + 1, &len, &np), -EINVAL, "geometry: larger is -EINVAL");
	tap_is(argo_rb_geometry(0x1000000, &len, &np), -EINVAL, "geometry: 16 MiB (needs 4097 pages) is -EINVAL");
}

static void test_empty_and_bad_ptrs(void)
{
	struct fake_ring r;
	struct argo_rb_msg m;

	ring_init(&r, 4032);
	tap_is(argo_rb_peek(r.data, r.len, 0, 0, &m), -EAGAIN, "empty ring: -EAGAIN");
	tap_is(argo_rb_peek(r.data, r.len, 8, 8, &m), -EIO, "rx off a slot boundary: -EIO");
	tap_is(argo_rb_peek(r.data, r.len, 4032, 0, &m), -EIO, "rx at len: -EIO");
	tap_is(argo_rb_peek(r.data, r.len, 0, 4048, &m), -EIO, "tx past len: -EIO");
	tap_is(argo_rb_peek(r.data, 40, 0, 16, &m), -EIO, "ring shorter than 48 bytes: -EIO");
	tap_is(argo_rb_peek(r.data, 4040, 0, 16, &m), -EIO, "ring length not a slot multiple: -EIO");
	tap_is(argo_rb_peek(r.data, XEN_ARGO_MAX_RING_LEN + 16, 0, 16, &m), -EIO,
	       "ring longer than the hypervisor allows: -EIO");
	free(r.data);
}

static void test_one_message(void)
{
	struct fake_ring r;
	struct argo_rb_msg m;
	char buf[64] = "";

	ring_init(&r, 4032);
	ring_write(&r, "hello, ring", 11, 7, 0x1234, 42);
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), 0, "one message: found");
	tap_ok(m.payload_len == 11 && m.src_domid == 7 && m.src_port == 0x1234 && m.type == 42,
	       "one message: length, source and type");
	tap_is(m.next_rx, 32, "one message: next rx skips header and padding");
	tap_is(argo_rb_copy(r.data, r.len, &m, 0, buf, sizeof(buf)), 11, "copy: whole payload");
	tap_ok(!memcmp(buf, "hello, ring", 11), "copy: bytes match");
	memset(buf, 0, sizeof(buf));
	tap_is(argo_rb_copy(r.data, r.len, &m, 7, buf, 2), 2, "copy with offset 7, count 2");
	tap_ok(!memcmp(buf, "ri", 2), "copy with offset: right bytes");
	tap_is(argo_rb_copy(r.data, r.len, &m, 11, buf, 8), 0, "copy at the end: 0 bytes");
	tap_is(argo_rb_copy(r.data, r.len, &m, 500, buf, 8), 0, "copy past the end: 0 bytes");
	free(r.data);
}

static void test_zero_length(void)
{
	struct fake_ring r;
	struct argo_rb_msg m;

	ring_init(&r, 4032);
	ring_write(&r, "", 0, 1, 2, 3);
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), 0, "zero-length message: found");
	tap_ok(m.payload_len == 0 && m.next_rx == 16, "zero-length message: header only");
	free(r.data);
}

static void test_wrap(void)
{
	struct fake_ring r;
	struct argo_rb_msg m;
	char in[100], out[100];
	int i;

	for (i = 0; i < 100; i++)
		in[i] = (char)(i * 7 + 1);
	ring_init(&r, 256);
	r.rx = r.tx = 208;		/* header at 208, payload 224..255 then 0.. */
	ring_write(&r, in, 100, 3, 9, 1);
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), 0, "wrapping message: found");
	tap_ok(m.payload_off == 224 && m.next_rx == (208 + 128) % 256,
	       "wrapping message: payload at 224, next rx %u", m.next_rx);
	memset(out, 0, sizeof(out));
	tap_is(argo_rb_copy(r.data, r.len, &m, 0, out, 100), 100, "wrapping message: full copy");
	tap_ok(!memcmp(in, out, 100), "wrapping message: bytes intact across the end");
	memset(out, 0, sizeof(out));
	tap_is(argo_rb_copy(r.data, r.len, &m, 30, out, 10), 10, "copy straddling the end with an offset");
	tap_ok(!memcmp(in + 30, out, 10), "offset copy across the end: bytes intact");

	r.rx = r.tx = 240;		/* header in the last slot, payload at 0 */
	ring_write(&r, in, 20, 3, 9, 1);
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), 0, "header in the last slot: found");
	tap_is(m.payload_off, 0, "header in the last slot: payload starts at 0");
	free(r.data);
}

static void test_full_ring(void)
{
	struct fake_ring r;
	struct argo_rb_msg m;
	static u8 big[4032];

	ring_init(&r, 4032);
	/* the largest message: the ring less one free slot and the header */
	tap_is(ring_write(&r, big, 4032 - 32 + 1, 1, 1, 1), -EAGAIN, "one byte too many does not fit");
	tap_is(ring_write(&r, big, 4032 - 32, 1, 1, 1), 0, "a message of len - 32 bytes fits");
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), 0, "full ring: found");
	tap_ok(m.payload_len == 4000 && m.next_rx == r.tx, "full ring: whole message, rx meets tx");
	free(r.data);
}

static void test_corrupt_headers(void)
{
	struct fake_ring r;
	struct argo_rb_msg m;
	struct xen_argo_ring_message_header *h;

	ring_init(&r, 4032);
	ring_write(&r, "abcdefgh", 8, 1, 1, 1);
	h = (void *)r.data;
	h->len = 15;
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), -EIO, "header len below 16: -EIO");
	h->len = 33;
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), -EIO, "header len past tx: -EIO");
	h->len = 0xfffffff0;
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), -EIO, "huge header len: -EIO");
	h->len = 24;
	tap_is(argo_rb_peek(r.data, r.len, r.rx, 8, &m), -EIO, "tx off a slot boundary: -EIO");
	tap_is(argo_rb_peek(r.data, r.len, 0, 16, &m), -EIO, "message longer than what tx covers: -EIO");
	tap_is(argo_rb_peek(r.data, r.len, r.rx, r.tx, &m), 0, "restored header: found");
	free(r.data);
}

/* Many messages of pseudo-random sizes through a small ring: a model check. */
static void test_stream(void)
{
	struct fake_ring r;
	struct argo_rb_msg m;
	u8 in[600], out[600];
	unsigned int seed = 12345, sent = 0, got = 0, bad = 0, i;
	u32 want_len[64];
	unsigned int head = 0, tail = 0;

	ring_init(&r, 1024);
	for (i = 0; i < 20000; i++) {
		u32 n = (seed = seed * 1103515245 + 12345) % 500;

		memset(in, (int)(sent & 0xff), n);
		if (head - tail < 64 && !ring_write(&r, in, n, 5, sent, sent)) {
			want_len[head++ % 64] = n;
			sent++;
			continue;
		}
		/* drain one */
		if (argo_rb_peek(r.data, r.len, r.rx, r.tx, &m)) {
			bad++;
			break;
		}
		if (m.payload_len != want_len[tail % 64] || m.type != got ||
		    argo_rb_copy(r.data, r.len, &m, 0, out, sizeof(out)) != m.payload_len)
			bad++;
		else if (m.payload_len && (out[0] != (u8)(got & 0xff) ||
					   out[m.payload_len - 1] != (u8)(got & 0xff)))
			bad++;
		r.rx = m.next_rx;
		tail++;
		got++;
	}
	tap_ok(bad == 0 && got > 1000, "stream: %u messages through a 1 KiB ring, %u bad", got, bad);
	free(r.data);
}

int main(void)
{
	tap_start();
	test_geometry();
	test_empty_and_bad_ptrs();
	test_one_message();
	test_zero_length();
	test_wrap();
	test_full_ring();
	test_corrupt_headers();
	test_stream();
	return tap_done();
}
