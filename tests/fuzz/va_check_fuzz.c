// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtio-msg bus over Argo's framing and checks
 * (virtio-argo/check.c, protocol 2), in both directions.
 *
 * Why: every byte of an Argo message is chosen by another, possibly
 * hostile, domain: a backend's by the device side, a guest's by the
 * driver side.  Both sides frame and check records with the same
 * functions, so this target walks the input the way each of them does,
 * with the message in a heap buffer of exactly its length (so ASan sees
 * any read past it), and traps when an accepted record would let the
 * receiver read outside the record or write outside a chain's buffers:
 *
 *   driver side (virtio-argo/backend.c, vq.c): va_check_hdr() with the
 *   link's max_size, then va_check_from_device(); USED_CHAIN fragments
 *   go through va_check_used() against a small table of outstanding
 *   chains, as vq.c keeps them; a transport record that breaks a rule
 *   fails its device and the walk goes on, anything else ends it; a
 *   CONNECT answer goes through va_check_connect() and a GET_DEVICES
 *   answer through va_check_devices(), against what the guest asks;
 *
 *   and memory window requests (MEM_READ, MEM_WRITE, spec 13) through
 *   va_check_mem_req(), as backend.c's va_rx_mem() takes them: an
 *   accepted one must have its bytes inside the record, and its answer
 *   must fit a record of the link;
 *
 *   device side (tools/virtio-backend): va_check_hdr() with the link's
 *   max_size, then va_check_from_driver() on each record, the payload
 *   read in place as the backend does; for each accepted record, the
 *   bytes the backend then reads must be inside it; a CONNECT is answered
 *   with va_connect_choose(), which the driver's va_check_connect() must
 *   accept or see as a refusal, and a GET_DEVICES with the window a
 *   device returns (the one asked, at most VA_WINDOW_MAX numbers, none
 *   past 65535), which va_check_devices() must accept.
 *
 * Input layout: byte 0 picks the in_len of the four outstanding chains
 * (2 bits each, from {0, 1, 4097, 65536}); byte 1 picks the link CONNECT
 * settled: bits 0-2 its max_size (from link_sizes[]), bit 3 VA_F_HOLD and
 * VA_F_WINDOWS,
 * bits 4-6 the offset of the GET_DEVICES window the driver asked for (in
 * 64s) and bit 7 its count (64, else VA_WINDOW_MAX); the rest is one Argo
 * message, walked from each side.
 *
 * Built with -DVA_FUZZ_SEEDS, the same file writes a few seed inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <argo/virtio_argo_check.h>

/* Byte 1: bits 0-2 index link_sizes[], then these */
#define LINK_HOLD	0x08
#define LINK_COUNT64	0x80

#ifdef VA_FUZZ_SEEDS
static int seed(const char *dir, const char *name, const u8 *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		if (f)
			fclose(f);
		return 1;
	}
	return fclose(f) != 0;
}

/* A record at @p: its header; returns where its payload goes. */
static u8 *put_hdr(u8 *p, u8 type, u8 id, u16 dev, u16 token, u32 plen)
{
	struct va_hdr *h = (void *)p;

	h->type = type;
	h->msg_id = id;
	h->dev_num = cpu_to_le16(dev);
	h->token = cpu_to_le16(token);
	h->msg_size = cpu_to_le16(VA_HDR_SIZE + plen);
	memset(h + 1, 0, plen);
	return (u8 *)(h + 1);
}

static size_t put_used(u8 *p, u16 chain, u32 written, u32 total, u32 offset,
		       u16 flags)
{
	struct va_used_chain *u;

	u = (void *)put_hdr(p, 0, VA_USED_CHAIN, 1, 0,
			    sizeof(*u) + written);
	u->vq = 0;
	u->chain = cpu_to_le16(chain);
	u->written = cpu_to_le32(written);
	u->total = cpu_to_le32(total);
	u->offset = cpu_to_le32(offset);
	u->flags = cpu_to_le16(flags);
	u->rsvd = 0;
	memset(u + 1, 0xab, written);
	return VA_CHAIN_HDR_SIZE + written;
}

static size_t put_avail(u8 *p, u16 chain, u32 dlen, u32 out_len, u32 offset,
			u16 flags)
{
	struct va_avail_chain *a;

	a = (void *)put_hdr(p, 0, VA_AVAIL_CHAIN, 1, 0, sizeof(*a) + dlen);
	a->chain = cpu_to_le16(chain);
	a->out_len = cpu_to_le32(out_len);
	a->in_len = cpu_to_le32(1);
	a->offset = cpu_to_le32(offset);
	a->flags = cpu_to_le16(flags);
	memset(a + 1, 0xcd, dlen);
	return VA_CHAIN_HDR_SIZE + dlen;
}

/* A request of @plen bytes (zeroes) from the driver. */
static size_t put_req(u8 *p, u8 type, u8 id, u32 plen)
{
	put_hdr(p, type, id, type & VA_TYPE_BUS ? 0 : 1, 5, plen);
	return VA_HDR_SIZE + plen;
}

/*
 * A MEM_READ or MEM_WRITE request (@type 0) or its answer
 * (VA_TYPE_RESPONSE, with @err): the bytes that belong to it follow.
 */
static size_t put_mem(u8 *p, u8 type, u8 id, u64 addr, u32 len, u32 err)
{
	u32 data = type ? (id == VA_MEM_READ && !err ? len : 0) :
		   (id == VA_MEM_WRITE ? len : 0);
	struct va_mem_resp *m = (void *)put_hdr(p, type, id, 1, 11,
						 sizeof(*m) + data);

	/* a request's fixed part has the same layout, rsvd for error */
	m->addr = cpu_to_le64(addr);
	m->len = cpu_to_le32(len);
	m->error = cpu_to_le32(err);
	return VA_HDR_SIZE + sizeof(*m) + data;
}

/* The records the guest transport sends, one of each. */
static size_t put_requests(u8 *b)
{
	size_t n = 0;
	u8 *p;

	p = put_hdr(b + n, VA_TYPE_BUS, VA_BUS_CONNECT, 0, 1,
		    sizeof(struct va_connect));
	((struct va_connect *)p)->revision = cpu_to_le32(VA_REVISION);
	((struct va_connect *)p)->max_size = cpu_to_le32(VA_SIZE_MAX);
	((struct va_connect *)p)->features = cpu_to_le64(VA_F_KNOWN);
	n += VA_HDR_SIZE + sizeof(struct va_connect);
	p = put_hdr(b + n, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 2,
		    sizeof(struct va_get_devices_req));
	((struct va_get_devices_req *)p)->count = cpu_to_le16(VA_WINDOW_MAX);
	n += VA_HDR_SIZE + sizeof(struct va_get_devices_req);
	n += put_req(b + n, VA_TYPE_BUS, VA_BUS_PING, 4);
	n += put_req(b + n, 0, VA_GET_DEVICE_INFO, 0);
	p = put_hdr(b + n, 0, VA_GET_DEVICE_FEATURES, 1, 3, 8);
	((struct va_features *)p)->count = cpu_to_le32(2);
	n += VA_HDR_SIZE + 8;
	p = put_hdr(b + n, 0, VA_SET_DRIVER_FEATURES, 1, 4, 8 + 8);
	((struct va_features *)p)->count = cpu_to_le32(2);
	n += VA_HDR_SIZE + 16;
	p = put_hdr(b + n, 0, VA_GET_CONFIG, 1, 6, 8);
	((struct va_get_config_req *)p)->size = cpu_to_le32(8);
	n += VA_HDR_SIZE + 8;
	p = put_hdr(b + n, 0, VA_SET_CONFIG, 1, 7, 12 + 4);
	((struct va_config *)p)->size = cpu_to_le32(4);
	n += VA_HDR_SIZE + 16;
	n += put_req(b + n, 0, VA_GET_DEVICE_STATUS, 0);
	n += put_req(b + n, 0, VA_SET_DEVICE_STATUS, 4);
	n += put_req(b + n, 0, VA_GET_VQUEUE, 4);
	n += put_req(b + n, 0, VA_SET_VQUEUE, sizeof(struct va_vqueue));
	n += put_req(b + n, 0, VA_RESET_VQUEUE, 4);
	n += put_req(b + n, 0, VA_GET_SHM, 4);
	n += put_avail(b + n, 0, 16, 16, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	return n;
}

/* The answers and events a backend sends a guest. */
static size_t put_answers(u8 *b)
{
	struct va_get_devices_resp *gd;
	struct va_bus_error *e;
	struct va_event_config *ec;
	size_t n = 0;
	u8 *p;

	p = put_hdr(b + n, VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_CONNECT, 0,
		    1, sizeof(struct va_connect));
	((struct va_connect *)p)->revision = cpu_to_le32(VA_REVISION);
	((struct va_connect *)p)->max_size = cpu_to_le32(4096);
	((struct va_connect *)p)->features = cpu_to_le64(VA_F_KNOWN);
	n += VA_HDR_SIZE + sizeof(struct va_connect);
	gd = (void *)put_hdr(b + n, VA_TYPE_RESPONSE | VA_TYPE_BUS,
			     VA_BUS_GET_DEVICES, 0, 2, sizeof(*gd) + 8);
	gd->count = cpu_to_le16(64);
	((u8 *)(gd + 1))[0] = 0x3e;	/* devices 1-5 */
	n += VA_HDR_SIZE + sizeof(*gd) + 8;
	n += put_req(b + n, VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO,
		     sizeof(struct va_device_info));
	p = put_hdr(b + n, VA_TYPE_RESPONSE, VA_GET_DEVICE_FEATURES, 1, 3,
		    8 + 8);
	((struct va_features *)p)->count = cpu_to_le32(2);
	n += VA_HDR_SIZE + 16;
	p = put_hdr(b + n, VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 6, 12 + 8);
	((struct va_config *)p)->size = cpu_to_le32(8);
	n += VA_HDR_SIZE + 20;
	n += put_req(b + n, VA_TYPE_RESPONSE, VA_SET_CONFIG, 12);
	n += put_req(b + n, VA_TYPE_RESPONSE, VA_GET_VQUEUE,
		     sizeof(struct va_vqueue));
	n += put_req(b + n, VA_TYPE_RESPONSE, VA_GET_SHM,
		     sizeof(struct va_shm_resp));
	e = (void *)put_hdr(b + n, VA_TYPE_BUS, VA_BUS_ERROR, 0, 0,
			    sizeof(*e));
	e->dev_num = cpu_to_le16(1);
	e->token = cpu_to_le16(9);
	e->msg_id = VA_GET_CONFIG;
	e->error = cpu_to_le32(22);
	n += VA_HDR_SIZE + sizeof(*e);
	ec = (void *)put_hdr(b + n, 0, VA_EVENT_CONFIG, 1, 0,
			     sizeof(*ec) + 6);
	ec->offset = cpu_to_le32(8);
	ec->size = cpu_to_le32(6);
	n += VA_HDR_SIZE + sizeof(*ec) + 6;
	p = put_hdr(b + n, VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 0, 4);
	((struct va_event_device *)p)->state = cpu_to_le16(VA_DEVICE_READY);
	n += VA_HDR_SIZE + 4;
	n += put_req(b + n, VA_TYPE_BUS, VA_BUS_PING, 4);
	return n;
}

int main(int argc, char **argv)
{
	static u8 b[8192];
	size_t n;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	b[0] = 0xaa;	/* every chain has in_len 4097 */
	b[1] = 0;	/* 65535-byte link, no HOLD */
	n = 2 + put_used(b + 2, 0, 4097, 4097, 0,
			 VA_CHAIN_FIRST | VA_CHAIN_LAST);
	bad |= seed(argv[1], "used-whole", b, n);
	n = 2 + put_used(b + 2, 1, 1000, 4097, 0, VA_CHAIN_FIRST);
	n += put_used(b + n, 1, 3097, 4097, 1000, VA_CHAIN_LAST);
	bad |= seed(argv[1], "used-two-fragments", b, n);
	b[1] = LINK_HOLD;
	n = 2 + put_used(b + 2, 2, 100, 100, 0,
			 VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD);
	n += put_used(b + n, 3, 200, 200, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	bad |= seed(argv[1], "used-hold", b, n);
	b[1] = 1;	/* a 1024-byte link: fragments of 996 */
	n = 2 + put_used(b + 2, 0, 996, 4097, 0, VA_CHAIN_FIRST);
	n += put_used(b + n, 0, 996, 4097, 996, 0);
	n += put_used(b + n, 0, 996, 4097, 1992, 0);
	n += put_used(b + n, 0, 996, 4097, 2988, 0);
	n += put_used(b + n, 0, 113, 4097, 3984, VA_CHAIN_LAST);
	bad |= seed(argv[1], "used-small-link", b, n);
	b[1] = LINK_HOLD | LINK_COUNT64;
	n = 2 + put_answers(b + 2);
	bad |= seed(argv[1], "answers", b, n);
	b[1] = LINK_HOLD;
	n = 2 + put_requests(b + 2);
	bad |= seed(argv[1], "requests", b, n);
	b[1] = LINK_HOLD;
	n = 2 + put_mem(b + 2, 0, VA_MEM_READ, 0x1000, 64, 0);
	n += put_mem(b + n, 0, VA_MEM_WRITE, 0x2000, 16, 0);
	bad |= seed(argv[1], "mem-requests", b, n);
	n = 2 + put_mem(b + 2, VA_TYPE_RESPONSE, VA_MEM_READ, 0x1000, 64, 0);
	n += put_mem(b + n, VA_TYPE_RESPONSE, VA_MEM_READ, 0x1000, 64, 14);
	n += put_mem(b + n, VA_TYPE_RESPONSE, VA_MEM_WRITE, 0x2000, 16, 0);
	bad |= seed(argv[1], "mem-answers", b, n);
	b[1] = 1;
	n = 2 + put_avail(b + 2, 4, 996, 1000, 0, VA_CHAIN_FIRST);
	n += put_avail(b + n, 4, 4, 1000, 996, VA_CHAIN_LAST);
	bad |= seed(argv[1], "avail-small-link", b, n);
	return bad;
}

#else /* !VA_FUZZ_SEEDS */

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "va_check_fuzz: invariant broken: %s\n",	\
			#cond);						\
		__builtin_trap();					\
	}								\
} while (0)

static const u32 in_lens[4] = { 0, 1, 4097, 65536 };

/* Byte 1's link sizes: the extremes, the limits VA_FRAG_MAX sits on. */
static const u32 link_sizes[8] = {
	VA_SIZE_MAX, VA_SIZE_MIN, VA_SIZE_MIN + 1, 2048, 4096,
	VA_FRAG_MAX + VA_CHAIN_HDR_SIZE, VA_FRAG_MAX + VA_CHAIN_HDR_SIZE - 1,
	8192,
};

struct chain {
	struct va_used_acct acct;
	bool live;
};

/* What one input says the driver and the device settled and asked. */
struct setup {
	struct va_link lk;
	struct va_get_devices_req devreq;	/* the driver's window */
	struct chain chains[4];			/* of the one device */
	bool failed;				/* that device failed */
};

/* Where touch() adds up what it read: global, so the reads are kept. */
u32 va_fuzz_sink;

/* Read @n bytes at @p, so that ASan sees a read past the buffer. */
static void touch(const u8 *p, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		va_fuzz_sink += p[i];
}


static bool link_ok(const struct va_link *lk)
{
	return lk->max_size >= VA_SIZE_MIN && lk->max_size <= VA_SIZE_MAX &&
	       !(lk->features & ~VA_F_KNOWN) &&
	       va_frag_max(lk) <= VA_FRAG_MAX &&
	       va_frag_max(lk) + VA_CHAIN_HDR_SIZE <= lk->max_size;
}

/* ---- the driver's side: what a backend sends ---- */

/* A CONNECT answer, against what the guest transport offers. */
static void driver_connect(const u8 *p)
{
	const struct va_connect req = {
		.revision = cpu_to_le32(VA_REVISION),
		.max_size = cpu_to_le32(VA_SIZE_MAX),
		.features = cpu_to_le64(VA_F_KNOWN),
	};
	struct va_connect resp;
	struct va_link lk = { 0 };
	const char *why = NULL;
	int r;

	memcpy(&resp, p, sizeof(resp));
	r = va_check_connect(&req, &resp, &lk, &why);
	CHECK(r == 0 || ((r == -EPROTO || r == -EPROTONOSUPPORT) && why));
	if (r)
		return;
	CHECK(link_ok(&lk));
	CHECK(le32_to_cpu(resp.revision) == VA_REVISION);
}

/* A GET_DEVICES answer: the guest then walks count bits of its bitmap. */
static void driver_devices(const struct setup *s, const u8 *p, u32 len)
{
	const struct va_get_devices_resp *gd = (const void *)p;
	const char *why = NULL;
	u32 offset, count, next, i, present = 0;
	int r;

	CHECK(len >= sizeof(*gd));
	r = va_check_devices(&s->devreq, gd, &why);
	CHECK(r == 0 || (r == -EPROTO && why));
	if (r)
		return;
	offset = le16_to_cpu(gd->offset);
	count = le16_to_cpu(gd->count);
	next = le16_to_cpu(gd->next_offset);
	CHECK(offset == le16_to_cpu(s->devreq.offset));
	CHECK(count <= le16_to_cpu(s->devreq.count) && count <= VA_WINDOW_MAX);
	CHECK(count % 8 == 0);
	/* discovery goes forward or stops: it cannot loop */
	CHECK(!next || next > offset);
	CHECK(sizeof(*gd) + count / 8 <= len);
	for (i = 0; i < count; i++)
		present += !!(p[sizeof(*gd) + i / 8] & (1U << (i % 8)));
	CHECK(present <= count);
}

/* The expected size of a response, or -1 when it is variable. */
static long driver_response_size(bool bus, u8 id)
{
	if (bus)
		return id == VA_BUS_PING ? 4 : id == VA_BUS_CONNECT ? 16 : -1;
	switch (id) {
	case VA_GET_DEVICE_INFO:
		return 24;
	case VA_SET_DRIVER_FEATURES:
	case VA_SET_VQUEUE:
	case VA_RESET_VQUEUE:
		return 0;
	case VA_GET_DEVICE_STATUS:
	case VA_SET_DEVICE_STATUS:
		return 4;
	case VA_GET_VQUEUE:
		return 40;
	case VA_GET_SHM:
		return 12;
	}
	return -1;
}

/* An accepted control record: what the guest transport then reads. */
static void driver_control(const struct setup *s, const struct va_hdr *h,
			   const u8 *p, u32 len)
{
	bool bus = va_type(h) & VA_TYPE_BUS;
	long fixed;

	touch(p, len);
	if (va_type(h) & VA_TYPE_RESPONSE) {
		fixed = driver_response_size(bus, h->msg_id);
		if (fixed >= 0) {
			CHECK(len == (u32)fixed);
			if (bus && h->msg_id == VA_BUS_CONNECT)
				driver_connect(p);
			return;
		}
		if (bus) {
			CHECK(h->msg_id == VA_BUS_GET_DEVICES);
			driver_devices(s, p, len);
			return;
		}
		switch (h->msg_id) {
		case VA_GET_DEVICE_FEATURES:
			CHECK(len >= 8 && get_le32(p + 4) <= VA_FEATURE_BLOCKS_MAX);
			CHECK(8 + 4ULL * get_le32(p + 4) == len);
			return;
		case VA_GET_CONFIG:
		case VA_SET_CONFIG:
			CHECK(len >= 12 && get_le32(p + 8) <= VA_CONFIG_CHUNK);
			CHECK(12ULL + get_le32(p + 8) == len);
			return;
		}
		CHECK(!"a response to no request was accepted");
	}
	CHECK(!bus || !le16_to_cpu(h->dev_num));
	if (bus) {
		switch (h->msg_id) {
		case VA_BUS_EVENT_DEVICE:
			CHECK(len == 4);
			CHECK(get_le16(p + 2) == VA_DEVICE_READY ||
			      get_le16(p + 2) == VA_DEVICE_REMOVED);
			return;
		case VA_BUS_ERROR:
			/* the guest fails the request with -error */
			CHECK(len == sizeof(struct va_bus_error));
			CHECK(get_le32(p + 8) >= 1 && get_le32(p + 8) <= 4095);
			return;
		case VA_BUS_PING:
			CHECK(len == 4);	/* echoed as it is */
			return;
		}
		CHECK(!"an unknown bus message was accepted");
	}
	CHECK(h->msg_id == VA_EVENT_CONFIG);
	CHECK(len >= 16 && 16ULL + get_le32(p + 12) == len);
	CHECK(get_le32(p + 12) <= VA_CONFIG_CHUNK);
	CHECK((u64)get_le32(p + 8) + get_le32(p + 12) <= VA_CONFIG_MAX);
}

/*
 * A USED_CHAIN the guest transport copies into a chain's buffers.  A
 * fragment that breaks a rule fails its device (the framing held): its
 * chains are gone, and what comes for it later is checked, not copied.
 */
static void driver_used(struct setup *s, const struct va_hdr *h,
			const u8 *rec, u32 plen)
{
	struct va_used_chain u = { 0 };
	const char *why = NULL;
	struct chain *c;
	u32 idx, n;
	u16 flags;
	int r;

	/* vq.c copies only the fixed part, if there is one */
	if (plen >= sizeof(u))
		memcpy(&u, rec + VA_HDR_SIZE, sizeof(u));
	r = va_check_from_device(h, &u, plen, &s->lk, &why);
	if (r) {
		CHECK(r == -EPROTO && why);
		s->failed = true;
		return;
	}
	n = le32_to_cpu(u.written);
	flags = le16_to_cpu(u.flags);
	CHECK(VA_CHAIN_HDR_SIZE + n == le16_to_cpu(h->msg_size));
	CHECK(n <= va_frag_max(&s->lk));
	CHECK(!(flags & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD)));
	if (flags & VA_CHAIN_HOLD) {
		CHECK(s->lk.features & (1ULL << VA_F_HOLD));
		CHECK(flags & VA_CHAIN_LAST);
	}
	idx = le16_to_cpu(u.chain);
	if (s->failed)
		return;
	if (idx >= 4 || !s->chains[idx].live) {
		s->failed = true;	/* "not outstanding": vq.c refuses */
		return;
	}
	c = &s->chains[idx];
	r = va_check_used(&u, n, &c->acct, &why);
	if (r) {
		CHECK(r == -EPROTO && why);
		s->failed = true;
		return;
	}
	/* What the module then writes must fit the buffers. */
	CHECK(c->acct.received + n <= c->acct.in_len);
	CHECK(le32_to_cpu(u.total) <= c->acct.in_len);
	touch(rec + VA_CHAIN_HDR_SIZE, n);
	c->acct.started = true;
	c->acct.total = le32_to_cpu(u.total);
	c->acct.received += n;
	if (flags & VA_CHAIN_LAST) {
		CHECK(c->acct.received == c->acct.total);
		c->live = false;
	}
}

/* The guest transport's walk of one message from its backend. */
/*
 * MEM_READ or MEM_WRITE, as va_rx_mem() takes it: the fixed part copied
 * (zeroed if the record is shorter), checked; an accepted request's bytes
 * (a write's) must be inside the record, and its answer (a read's bytes)
 * must fit one record of the link, in the guest's buffer of VA_SIZE_MAX.
 */
static void driver_mem(struct setup *s, const struct va_hdr *h,
		       const u8 *rec, u32 plen)
{
	struct va_mem_req rq = { 0 };
	const char *why = NULL;
	u32 n;
	int r;

	if (plen >= sizeof(rq))
		memcpy(&rq, rec + VA_HDR_SIZE, sizeof(rq));
	r = va_check_mem_req(h, &rq, plen, &s->lk, &why);
	if (r) {
		CHECK(r == -EPROTO && why);
		s->failed = true;	/* its device fails, the walk goes on */
		return;
	}
	CHECK(s->lk.features & (1ULL << VA_F_WINDOWS));
	n = le32_to_cpu(rq.len);
	CHECK(n && VA_HDR_SIZE + sizeof(struct va_mem_resp) + (u64)n <=
	      s->lk.max_size);
	if (h->msg_id == VA_MEM_WRITE) {
		CHECK(plen == sizeof(rq) + n);
		touch(rec + VA_HDR_SIZE + sizeof(rq), n);
	} else {
		CHECK(plen == sizeof(rq));
	}
}

static void driver_walk(struct setup *s, const u8 *msg, u32 len)
{
	u8 scratch[VA_CTRL_MAX];
	u32 off = 0;

	while (off < len) {
		struct va_hdr h = { 0 };
		const char *why = NULL;
		u32 avail = len - off, plen;
		int r;

		/* The module copies at most what the message holds. */
		memcpy(&h, msg + off, avail < sizeof(h) ? avail : sizeof(h));
		r = va_check_hdr(&h, avail, s->lk.max_size, &why);
		if (r) {
			CHECK(r == -EPROTO && why);
			break;
		}
		CHECK(le16_to_cpu(h.msg_size) >= VA_HDR_SIZE);
		CHECK(le16_to_cpu(h.msg_size) <= avail);
		CHECK(le16_to_cpu(h.msg_size) <= s->lk.max_size);
		plen = le16_to_cpu(h.msg_size) - VA_HDR_SIZE;

		if (!va_type(&h) && h.msg_id == VA_USED_CHAIN) {
			driver_used(s, &h, msg + off, plen);
		} else if (!va_type(&h) && (h.msg_id == VA_MEM_READ ||
					    h.msg_id == VA_MEM_WRITE)) {
			driver_mem(s, &h, msg + off, plen);
		} else {
			if (plen > VA_CTRL_MAX)
				break;	/* "control record too large" */
			memcpy(scratch, msg + off + VA_HDR_SIZE, plen);
			r = va_check_from_device(&h, scratch, plen, &s->lk,
						 &why);
			CHECK(r == 0 || r == VA_IGNORE ||
			      (r == -EPROTO && why));
			/* a bad transport event fails its device alone */
			if (r < 0 && !va_type(&h))
				s->failed = true;
			else if (r < 0)
				break;
			if (!r)
				driver_control(s, &h, scratch, plen);
		}
		off += le16_to_cpu(h.msg_size);
	}
}

/* ---- the device's side: what a guest sends ---- */

/*
 * A CONNECT: the device's answer (va_connect_choose(), with the link's
 * size and features as the device's own) must be one the driver's check
 * accepts, or sees as a refusal; never a protocol violation.
 */
static void device_connect(const struct setup *s, const u8 *p)
{
	struct va_connect req, resp;
	struct va_link lk = { 0 };
	const char *why = NULL;
	int chose, r;

	memcpy(&req, p, sizeof(req));
	chose = va_connect_choose(&req, s->lk.max_size, s->lk.features,
				  &resp);
	CHECK(chose == 0 || chose == -EPROTONOSUPPORT);
	CHECK(!chose == !!le32_to_cpu(resp.revision));
	CHECK(le32_to_cpu(resp.max_size) <= s->lk.max_size);
	CHECK(le32_to_cpu(resp.max_size) <= le32_to_cpu(req.max_size));
	CHECK(!(le64_to_cpu(resp.features) & ~s->lk.features));
	CHECK(!(le64_to_cpu(resp.features) & ~le64_to_cpu(req.features)));
	r = va_check_connect(&req, &resp, &lk, &why);
	CHECK(r == chose);
	if (!r) {
		CHECK(link_ok(&lk));
		CHECK(lk.max_size == le32_to_cpu(resp.max_size));
	}
}

/*
 * A GET_DEVICES: the window a device returns (docs/virtio-argo-protocol.md
 * 4.3: the one asked, at most VA_WINDOW_MAX numbers and none past 65535,
 * going on or not) must pass the driver's check, and its record fit any
 * link.
 */
static void device_devices(const u8 *p)
{
	struct va_get_devices_req req;
	struct va_get_devices_resp resp;
	u32 offset, count, next;
	const char *why = NULL;

	memcpy(&req, p, sizeof(req));
	offset = le16_to_cpu(req.offset);
	count = le16_to_cpu(req.count);
	CHECK(offset % 8 == 0 && count % 8 == 0);
	if (count > VA_WINDOW_MAX)
		count = VA_WINDOW_MAX;
	if (count > 65536 - offset)
		count = 65536 - offset;	/* no device number above 65535 */
	CHECK(VA_HDR_SIZE + sizeof(resp) + count / 8 <= VA_SIZE_MIN);
	resp.offset = req.offset;
	resp.count = cpu_to_le16(count);
	resp.next_offset = 0;
	CHECK(va_check_devices(&req, &resp, &why) == 0);
	/* a window that reaches device 65535 never goes on */
	next = offset + count;
	if (!count || next > 0xffff)
		return;
	resp.next_offset = cpu_to_le16(next);
	CHECK(va_check_devices(&req, &resp, &why) == 0);
}

/*
 * An accepted record: the bytes the backend then reads (at fixed places
 * of the payload, or counted by the payload) must be inside the record.
 */
static void device_reads(const struct setup *s, const struct va_hdr *h,
			 const u8 *p, u32 len)
{
	bool bus = va_type(h) & VA_TYPE_BUS;
	u64 need;

	if (va_type(h) & VA_TYPE_RESPONSE) {
		u32 data;

		if (bus) {
			/* a PING answer is taken (and not read) */
			CHECK(h->msg_id == VA_BUS_PING && len == 4);
			return;
		}
		/* and a memory window answer, whose bytes window.c copies */
		CHECK(h->msg_id == VA_MEM_READ || h->msg_id == VA_MEM_WRITE);
		CHECK(len >= sizeof(struct va_mem_resp));
		data = h->msg_id == VA_MEM_READ &&
		       !get_le32(p + offsetof(struct va_mem_resp, error)) ?
		       get_le32(p + offsetof(struct va_mem_resp, len)) : 0;
		CHECK(len == sizeof(struct va_mem_resp) + data);
		touch(p, len);
		return;
	}
	if (bus) {
		CHECK(!le16_to_cpu(h->dev_num));
		switch (h->msg_id) {
		case VA_BUS_CONNECT:
			CHECK(len == sizeof(struct va_connect));
			device_connect(s, p);
			return;
		case VA_BUS_GET_DEVICES:
			CHECK(len == sizeof(struct va_get_devices_req));
			device_devices(p);
			return;
		case VA_BUS_PING:
			/* echoed: the answer must fit the smallest link */
			CHECK(len == 4);
			touch(p, len);
			return;
		}
		CHECK(!"an unknown bus request was accepted");
	}
	switch (h->msg_id) {
	case VA_GET_DEVICE_INFO:
	case VA_GET_DEVICE_STATUS:
		need = 0;
		break;
	case VA_GET_DEVICE_FEATURES:
	case VA_GET_CONFIG:
	case VA_EVENT_AVAIL:
		need = 8;
		break;
	case VA_SET_DEVICE_STATUS:
	case VA_GET_VQUEUE:
	case VA_RESET_VQUEUE:
	case VA_GET_SHM:
		need = 4;
		break;
	case VA_SET_VQUEUE:
		need = sizeof(struct va_vqueue);
		break;
	case VA_SET_DRIVER_FEATURES:
		/* index, count, then count blocks, each read */
		CHECK(len >= 8);
		need = 8 + 4ULL * get_le32(p + 4);
		break;
	case VA_SET_CONFIG:
		CHECK(len >= 12);
		need = 12ULL + get_le32(p + 8);
		break;
	case VA_AVAIL_CHAIN:
		/* the header, then the fragment copied into the chain */
		CHECK(len >= sizeof(struct va_avail_chain));
		CHECK(len - sizeof(struct va_avail_chain) <= va_frag_max(&s->lk));
		CHECK(!(get_le16(p + 16) & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST)));
		need = len;
		break;
	default:
		CHECK(!"an unknown transport request was accepted");
		return;
	}
	CHECK(need == len);
	touch(p, need);
}

/* The backend's walk of one message from a guest (guest.c, proto.c). */
static void device_walk(const struct setup *s, const u8 *msg, u32 len)
{
	u32 off = 0;

	while (off < len) {
		struct va_hdr h = { 0 };
		const char *why = NULL;
		u32 avail = len - off, size;
		int r;

		memcpy(&h, msg + off, avail < sizeof(h) ? avail : sizeof(h));
		r = va_check_hdr(&h, avail, s->lk.max_size, &why);
		if (r) {
			CHECK(r == -EPROTO && why);
			break;	/* the rest of the message is dropped */
		}
		size = le16_to_cpu(h.msg_size);
		CHECK(size >= VA_HDR_SIZE && size <= avail &&
		      size <= s->lk.max_size);
		/* the payload is read in place, inside the message */
		why = NULL;
		r = va_check_from_driver(&h, msg + off + VA_HDR_SIZE,
					 size - VA_HDR_SIZE, &why);
		CHECK(r == 0 || r == VA_IGNORE || (r == -EPROTO && why));
		if (!r)
			device_reads(s, &h, msg + off + VA_HDR_SIZE,
				     size - VA_HDR_SIZE);
		/* a malformed record is dropped alone */
		off += size;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct setup s;
	u8 *msg;
	u32 len;
	int i;

	if (size < 2 || size - 2 > VA_MSG_MAX)
		return 0;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 4; i++) {
		s.chains[i].acct = (struct va_used_acct) {
			.in_len = in_lens[(data[0] >> (2 * i)) & 3],
		};
		s.chains[i].live = true;
	}
	s.lk.max_size = link_sizes[data[1] & 7];
	s.lk.features = data[1] & LINK_HOLD ?
			(1ULL << VA_F_HOLD) | (1ULL << VA_F_WINDOWS) : 0;
	CHECK(link_ok(&s.lk));
	s.devreq.offset = cpu_to_le16(((data[1] >> 4) & 7) * 64);
	s.devreq.count = cpu_to_le16(data[1] & LINK_COUNT64 ? 64 :
				     VA_WINDOW_MAX);
	len = size - 2;
	msg = malloc(len ? len : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 2, len);
	driver_walk(&s, msg, len);
	device_walk(&s, msg, len);
	free(msg);
	return 0;
}
#endif /* VA_FUZZ_SEEDS */
