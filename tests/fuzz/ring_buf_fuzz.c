// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for argo-core's ring arithmetic (argo-core/ring_buf.c).
 *
 * Why: a ring's data area and its rx/tx indexes are written by the
 * hypervisor on behalf of another, untrusted domain, so argo_rb_peek() and
 * argo_rb_copy() must cope with any contents and any index snapshot without
 * reading outside the ring or handing a consumer a message that does not
 * fit in what tx covers.  This target builds a ring from the input, with the
 * data area in a heap buffer of exactly the ring's length (so that ASan
 * reports any stray read), consumes it as argo-core does, and checks every
 * result against an independent model; a broken invariant traps.
 *
 * Input layout (little-endian; bytes past the end of the input read as 0):
 *   0       mode: bits 0-1 ring length, 2-3 rx, 4-5 tx, 6-7 copy plan
 *   1..2    ring length selector
 *   3..6    rx selector
 *   7..10   tx selector
 *   11..18  size passed to argo_rb_geometry()
 *   19..22  seed for the argo_rb_copy() offsets and counts
 *   23..    data area bytes, laid out from rx on (wrapping at the end of
 *           the ring, so that what the input holds is what the consumer
 *           reads first); the rest of the ring is zero
 *
 * Built with -DRB_FUZZ_SEEDS, the same file is a small program writing a
 * few seed inputs in that layout (see the Makefile).
 */
#include <stdio.h>
#include <stdlib.h>
#include <argo/ring_buf.h>

#define IN_MODE		0
#define IN_LEN		1
#define IN_RX		3
#define IN_TX		7
#define IN_GEOM		11
#define IN_SEED		19
#define IN_DATA		23

/* ring length: a small valid ring, any valid ring (two codes), raw u16 */
#define LEN_SMALL	0
#define LEN_RAW		3
/* rx: 0, a valid slot (two codes), raw u32 */
#define RX_ZERO		0
#define RX_RAW		3
/* tx: rx + the data the input holds, rx + a slot count, raw, rx + raw */
#define TX_FILL		0
#define TX_SLOTS	1
#define TX_RAW		2
#define TX_NEAR		3

#define SLOT		16U
#define HDR		16U
#define SMALL_SLOTS	62U	/* small rings: 48 to 1024 bytes */
#define ANY_SLOTS	4094U	/* any ring: 48 to 65536 bytes */

#ifdef RB_FUZZ_SEEDS

/* ---- seed writer: ring_buf_seeds DIR ---- */

struct seed {
	u8 buf[4096];
	size_t n;
};

static void seed_init(struct seed *s, u8 mode, u16 len, u32 rx, u32 tx)
{
	memset(s, 0, sizeof(*s));
	s->buf[IN_MODE] = mode;
	memcpy(s->buf + IN_LEN, &len, sizeof(len));
	memcpy(s->buf + IN_RX, &rx, sizeof(rx));
	memcpy(s->buf + IN_TX, &tx, sizeof(tx));
	s->buf[IN_GEOM] = 0xc1;		/* geometry size 4033: two pages */
	s->buf[IN_GEOM + 1] = 0x0f;
	s->buf[IN_SEED] = 0x5a;
	s->n = IN_DATA;
}

/* Append a message as the hypervisor writes it: header, payload, padding. */
static void seed_msg(struct seed *s, u32 payload_len, u32 hdr_len)
{
	struct xen_argo_ring_message_header h = {
		.len = hdr_len ? hdr_len : HDR + payload_len,
		.source = { .aport = 0x1234, .domain_id = 7 },
		.message_type = 42,
	};
	u32 i, total = (HDR + payload_len + SLOT - 1) & ~(SLOT - 1);

	memcpy(s->buf + s->n, &h, HDR);
	for (i = 0; i < payload_len; i++)
		s->buf[s->n + HDR + i] = (u8)(i * 7 + 1);
	s->n += total;
}

static int seed_write(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->n, f) != s->n || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

#define MODE(l, r, t)	((u8)((l) | (r) << 2 | (t) << 4))

int main(int argc, char **argv)
{
	struct seed s;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	/* 4032-byte ring (one page), rx == tx == 0 */
	seed_init(&s, MODE(1, RX_ZERO, TX_SLOTS), (4032 - 48) / 16, 0, 0);
	err |= seed_write(argv[1], "seed-empty", &s);

	/* one 11-byte message at 0 */
	seed_init(&s, MODE(1, RX_ZERO, TX_FILL), (4032 - 48) / 16, 0, 0);
	seed_msg(&s, 11, 0);
	err |= seed_write(argv[1], "seed-one", &s);

	/* 256-byte ring, header at 208, 100-byte payload wrapping to 0 */
	seed_init(&s, MODE(LEN_SMALL, 1, TX_FILL), (256 - 48) / 16, 208 / 16, 0);
	seed_msg(&s, 100, 0);
	err |= seed_write(argv[1], "seed-wrap", &s);

	/* header in the last slot, payload from 0 */
	seed_init(&s, MODE(LEN_SMALL, 1, TX_FILL), (256 - 48) / 16, 240 / 16, 0);
	seed_msg(&s, 20, 0);
	err |= seed_write(argv[1], "seed-last-slot", &s);

	/* several messages, one of them empty, across the end of the ring */
	seed_init(&s, MODE(LEN_SMALL, 1, TX_FILL), (256 - 48) / 16, 160 / 16, 0);
	seed_msg(&s, 5, 0);
	seed_msg(&s, 40, 0);
	seed_msg(&s, 0, 0);
	seed_msg(&s, 60, 0);
	err |= seed_write(argv[1], "seed-stream", &s);

	/* smallest ring, filled: 48 bytes holding one 32-byte message */
	seed_init(&s, MODE(LEN_SMALL, RX_ZERO, TX_FILL), 0, 0, 0);
	seed_msg(&s, 16, 0);
	err |= seed_write(argv[1], "seed-full", &s);

	/* header length far past tx */
	seed_init(&s, MODE(1, RX_ZERO, TX_FILL), (4032 - 48) / 16, 0, 0);
	seed_msg(&s, 8, 0xfffffff0);
	err |= seed_write(argv[1], "seed-corrupt", &s);

	/* ring length off a slot boundary */
	seed_init(&s, MODE(LEN_RAW, RX_ZERO, TX_FILL), 4040, 0, 0);
	seed_msg(&s, 8, 0);
	err |= seed_write(argv[1], "seed-bad-len", &s);

	return err;
}

#else /* !RB_FUZZ_SEEDS */

/* ---- the fuzz target ---- */

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "ring_buf_fuzz: %s:%d: invariant broken: %s: " fmt "\n", \
			__FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
		__builtin_trap();					\
	}								\
} while (0)

struct input {
	const u8 *p;
	size_t n;
};

static u64 in_get(const struct input *in, size_t off, size_t bytes)
{
	u64 v = 0;
	size_t i;

	for (i = 0; i < bytes; i++)
		if (off + i < in->n)
			v |= (u64)in->p[off + i] << (8 * i);
	return v;
}

static u64 round16(u64 x)
{
	return (x + SLOT - 1) / SLOT * SLOT;
}

/* splitmix64: offsets and counts for argo_rb_copy() from the input's seed */
static u64 next_rand(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fuzz_geometry(const struct input *in)
{
	size_t want = (size_t)in_get(in, IN_GEOM, 8);
	u64 eff, npages;
	u32 len = 0, np = 0;
	int ret;

	/* most of the time a plausible size (< 16 MiB), else any size_t */
	if (!(in_get(in, IN_GEOM + 7, 1) & 0x80))
		want &= 0xffffff;
	ret = argo_rb_geometry(want, &len, &np);
	if (want > XEN_ARGO_MAX_RING_LEN) {
		CHECK(ret == -EINVAL, "want %zu ret %d", want, ret);
		return;
	}
	CHECK(ret == 0, "want %zu ret %d", want, ret);
	eff = want < XEN_ARGO_MIN_RING_SIZE ? XEN_ARGO_MIN_RING_SIZE : want;
	npages = ((u64)len + 64 + XEN_ARGO_PAGE_SIZE - 1) / XEN_ARGO_PAGE_SIZE;
	CHECK(len >= eff, "want %zu len %u", want, len);
	CHECK(len % SLOT == 0, "len %u", len);
	CHECK(np >= 1 && np <= XEN_ARGO_MAX_PAGES, "npages %u", np);
	CHECK(np == npages, "len %u npages %u, want %llu", len, np,
	      (unsigned long long)npages);
	/* the data area fills whole pages, and no page is wasted */
	CHECK(((u64)len + 64) % XEN_ARGO_PAGE_SIZE == 0, "len %u", len);
	CHECK((u64)len < eff + XEN_ARGO_PAGE_SIZE, "want %zu len %u", want, len);
	CHECK(argo_rb_check_ptrs(len, 0, 0) == 0, "len %u", len);
}

/* What argo_rb_peek() must answer, written from its contract. */
static int model_peek(const u8 *ring, u32 len, u32 rx, u32 tx, u64 *used)
{
	u32 mlen;

	if (len < XEN_ARGO_MIN_RING_SIZE || len % SLOT ||
	    rx >= len || tx >= len || rx % SLOT || tx % SLOT)
		return -EIO;
	if (rx == tx)
		return -EAGAIN;
	*used = ((u64)tx + len - rx) % len;
	memcpy(&mlen, ring + rx, sizeof(mlen));
	/* a header, and all of the slots it covers written by tx */
	if (mlen < HDR || round16(mlen) > *used)
		return -EIO;
	return 0;
}

/* Copy part of @m as a consumer would, into a buffer of exactly the size. */
static void fuzz_copy(const u8 *ring, u32 len, u32 rx,
		      const struct argo_rb_msg *m, size_t offset, size_t count)
{
	size_t want, alloc, got, i;
	u8 *buf;

	want = offset >= m->payload_len ? 0 : m->payload_len - offset;
	if (want > count)
		want = count;
	/* a huge count: the buffer holds exactly what must be copied */
	alloc = count > (size_t)m->payload_len + 64 ? want : count;
	buf = malloc(alloc ? alloc : 1);
	if (!buf)
		return;
	memset(buf, 0xa5, alloc);
	got = argo_rb_copy(ring, len, m, offset, buf, count);
	CHECK(got == want, "payload %u offset %zu count %zu: copied %zu, want %zu",
	      m->payload_len, offset, count, got, want);
	for (i = 0; i < got; i++)
		CHECK(buf[i] == ring[((u64)rx + HDR + offset + i) % len],
		      "payload %u offset %zu: byte %zu differs", m->payload_len,
		      offset, i);
	for (; i < alloc; i++)
		CHECK(buf[i] == 0xa5, "copy of %zu bytes wrote byte %zu", got, i);
	free(buf);
}

static size_t pick_offset(u64 *seed, u32 plen)
{
	u64 r = next_rand(seed);

	switch (r % 8) {
	case 0:
		return 0;
	case 1:
		return plen;
	case 2:
		return plen ? plen - 1 : 0;
	case 3:
		return SIZE_MAX - (r >> 8) % 32;
	case 4:	/* truncation bait: equal to a small offset modulo 2^32 */
		return ((size_t)1 << 32) + (r >> 8) % (plen + 1);
	default:
		return (r >> 8) % ((u64)plen + 17);
	}
}

static size_t pick_count(u64 *seed, u32 plen)
{
	u64 r = next_rand(seed);

	switch (r % 8) {
	case 0:
		return 0;
	case 1:
		return SIZE_MAX;
	case 2:
		return plen;
	case 3:
		return 1;
	default:
		return (r >> 8) % ((u64)plen + 17);
	}
}

static void fuzz_message(const u8 *ring, u32 len, u32 rx, const struct argo_rb_msg *m,
			 u64 *seed, unsigned int plan)
{
	size_t off, n, chunk;
	unsigned int i;

	/* the whole payload, then a scatter in chunks as a socket reads it */
	fuzz_copy(ring, len, rx, m, 0, SIZE_MAX);
	for (off = 0; off < m->payload_len; off += n) {
		chunk = 1 + next_rand(seed) % ((u64)m->payload_len + 1);
		fuzz_copy(ring, len, rx, m, off, chunk);
		n = chunk < m->payload_len - off ? chunk : m->payload_len - off;
	}
	for (i = 0; i < 1 + plan; i++)
		fuzz_copy(ring, len, rx, m, pick_offset(seed, m->payload_len),
			  pick_count(seed, m->payload_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned int mode = in_get(&in, IN_MODE, 1);
	u32 len, rx, tx, slots, sel;
	size_t ndata = size > IN_DATA ? size - IN_DATA : 0;
	unsigned int nmsg, max_msgs;
	u8 *ring, *orig;
	u64 seed, used;
	size_t i;
	int ret, want;

	fuzz_geometry(&in);

	sel = in_get(&in, IN_LEN, 2);
	switch (mode & 3) {
	case LEN_SMALL:
		len = XEN_ARGO_MIN_RING_SIZE + SLOT * (sel % SMALL_SLOTS);
		break;
	case LEN_RAW:
		len = sel;
		break;
	default:
		len = XEN_ARGO_MIN_RING_SIZE + SLOT * (sel % ANY_SLOTS);
		break;
	}
	slots = len >= SLOT ? len / SLOT : 1;

	sel = in_get(&in, IN_RX, 4);
	switch ((mode >> 2) & 3) {
	case RX_ZERO:
		rx = 0;
		break;
	case RX_RAW:
		rx = sel;
		break;
	default:
		rx = sel % slots * SLOT;
		break;
	}

	sel = in_get(&in, IN_TX, 4);
	switch ((mode >> 4) & 3) {
	case TX_FILL:	/* the hypervisor wrote exactly what the input holds */
		used = round16(ndata);
		if (len >= SLOT && used > len - SLOT)
			used = len - SLOT;
		tx = len ? (u32)(((u64)rx + used) % len) : 0;
		break;
	case TX_SLOTS:
		tx = len ? (u32)(((u64)rx + sel % slots * SLOT) % len) : 0;
		break;
	case TX_RAW:
		tx = sel;
		break;
	default:
		tx = rx + sel;
		break;
	}

	/* exactly len bytes: any read outside the ring is an ASan report */
	ring = malloc(len ? len : 1);
	orig = malloc(len ? len : 1);
	if (!ring || !orig) {
		free(ring);
		free(orig);
		return 0;
	}
	memset(ring, 0, len);
	for (i = 0; len && i < ndata && i < len; i++)
		ring[((u64)rx + i) % len] = data[IN_DATA + i];
	memcpy(orig, ring, len);

	CHECK((argo_rb_check_ptrs(len, rx, tx) == 0) ==
	      (len >= XEN_ARGO_MIN_RING_SIZE && len % SLOT == 0 && rx < len &&
	       tx < len && rx % SLOT == 0 && tx % SLOT == 0),
	      "len %u rx %u tx %u", len, rx, tx);

	seed = in_get(&in, IN_SEED, 4);
	/* every message takes a slot at least: more than len / 16 is a loop */
	max_msgs = len / SLOT + 1;
	for (nmsg = 0;; nmsg++) {
		struct argo_rb_msg m;
		struct xen_argo_ring_message_header h;
		u64 step;

		CHECK(nmsg < max_msgs, "len %u: %u messages and rx %u tx %u",
		      len, nmsg, rx, tx);
		used = 0;
		want = model_peek(ring, len, rx, tx, &used);
		ret = argo_rb_peek(ring, len, rx, tx, &m);
		CHECK(ret == want, "len %u rx %u tx %u: ret %d, want %d",
		      len, rx, tx, ret, want);
		if (ret)
			break;

		CHECK(argo_rb_used(len, rx, tx) == used, "len %u rx %u tx %u: used %u",
		      len, rx, tx, argo_rb_used(len, rx, tx));
		CHECK((u64)m.payload_len + HDR <= used, "payload %u used %llu",
		      m.payload_len, (unsigned long long)used);
		CHECK(m.payload_off < len, "payload_off %u len %u", m.payload_off, len);
		CHECK(m.payload_off == ((u64)rx + HDR) % len, "rx %u payload_off %u",
		      rx, m.payload_off);
		CHECK(m.next_rx < len && m.next_rx % SLOT == 0, "next_rx %u len %u",
		      m.next_rx, len);
		step = round16((u64)m.payload_len + HDR);
		CHECK(m.next_rx == ((u64)rx + step) % len,
		      "rx %u payload %u: next_rx %u, want %llu", rx, m.payload_len,
		      m.next_rx, (unsigned long long)(((u64)rx + step) % len));
		/* consuming the message leaves the rest of what tx covers */
		CHECK(argo_rb_used(len, m.next_rx, tx) == used - step,
		      "rx %u next_rx %u tx %u", rx, m.next_rx, tx);
		memcpy(&h, ring + rx, HDR);
		CHECK(m.payload_len == h.len - HDR && m.src_domid == h.source.domain_id &&
		      m.src_port == h.source.aport && m.type == h.message_type,
		      "header at %u", rx);

		fuzz_message(ring, len, rx, &m, &seed, mode >> 6);
		rx = m.next_rx;
	}
	CHECK(!memcmp(ring, orig, len), "the ring was written to");
	free(ring);
	free(orig);
	return 0;
}

#endif /* RB_FUZZ_SEEDS */
