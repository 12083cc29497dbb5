// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of argo-virtio-backend: the real dispatch, chain and device
 * code, with a fake transport in place of /dev/argo.  Messages go in
 * through guest_receive(), exactly as argo_io.c delivers them; what the
 * backend sends is captured, checked against the rules the guest
 * transport applies (docs/virtio-argo-protocol.md sections 7 and 8, with
 * the shared checks of virtio-argo/check.c), and inspected.  Every
 * simulated guest speaks protocol 2 and CONNECTs first (guest_up()), but
 * those that test what a backend does before CONNECT or with protocol 1.
 * Output is TAP; the exit status is non-zero on any failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "backend.h"
#include "test_tap.h"

#define MAX(a, b)	((a) > (b) ? (a) : (b))

#define DOM		1
#define DOM2		2
#define PORT		0x1000
#define IMG_SECTORS	2048

/* Devices, in command-line order. */
#define DEV_BLK		1
#define DEV_BLK_RO	2
#define DEV_RNG		3
#define DEV_CON		4
#define DEV_ONLY99	5
#define DEV_UNIX	6	/* console on a unix socket, guest 1 only */
#define DEV_PORT	7	/* echo console as a generic MULTIPORT port */
/* test_net() adds these, in a network namespace of its own */
#define DEV_NET		8	/* tap vt%d, mtu 1400, every guest */
#define DEV_NET_NOBR	9	/* tap vb%d on a bridge that does not exist */
#define DEV_NET_BR	10	/* tap vm0, a fixed MAC, on bridge tbr0 */
#define DEV_NET_PERS	11	/* persistent tap vp0, made by the test */
#define DEV_NET_JUMBO	12	/* tap vj%d, mtu 9000 */
#define NDOM		20	/* guests of the net test */
#define NDOM_NOBR	21
#define NDOM_BR		22
#define NDOM_PERS	23
#define NDOM_JUMBO	24
/* guests of the CONNECT tests */
#define DOM_NEG		30	/* negotiation: refusals, clamps, subsets */
#define DOM_EARLY	31	/* sends records before its CONNECT */
#define DOM_EARLY2	32
#define DOM_SMALL	33	/* records of at most 1024 bytes */
#define DOM_AGAIN	34	/* CONNECTs again with chains outstanding */
#define DOM_HOT		35	/* never CONNECTs: no EVENT_DEVICE for it */
#define DOM_V1		40	/* protocol 1 drivers */
#define DOM_V1B		41

static struct backend be;


/* ---- the fake transport ---- */

struct captured {
	uint16_t domid;
	uint32_t len;
	uint8_t *buf;
};

/*
 * One record the backend sent; @r.payload points into a captured buffer,
 * @r.type keeps all eight bits as sent.
 */
struct orec {
	uint16_t domid;
	struct va_rec r;
};

/* One message sent with the transport's send_once (protocol 1 refusals). */
struct once {
	uint16_t domid;
	uint32_t port;
	uint32_t type;
	uint32_t len;
	uint8_t buf[VA_MSG_MAX];
};

static struct captured *cap;
static size_t ncap, capsize;
static struct orec *recs;
static size_t nrecs, recsize;
static struct once onces[8];
static unsigned int nonce;		/* send_once calls since clear() */
static int send_result;		/* what fake_send returns: 0, -EAGAIN, ... */
static unsigned int bad_records;	/* records breaking the driver's rules */
static char bad_why[256];

/*
 * What CONNECT settled for each guest, as its driver knows it: the
 * answer's size and features from the answer on (parse_captured()),
 * VA_SIZE_MAX and none before.
 */
static struct va_link links[65536];

static void bad(const char *why)
{
	if (!bad_records++)
		snprintf(bad_why, sizeof(bad_why), "%s", why);
}

static struct va_link *dom_link(uint16_t dom)
{
	if (!links[dom].max_size)
		links[dom].max_size = VA_SIZE_MAX;
	return &links[dom];
}

/*
 * Check one record the way the guest transport will (section 7: the
 * shared va_check_hdr() and va_check_from_device() on the guest's link,
 * and a control record fits VA_CTRL_MAX), plus what section 8 asks of a
 * device: no type bits 2-7, no token in an event, no device number in a
 * bus message, nothing the driver would only ignore.  Chain sequencing
 * is checked by get_used().
 */
static void check_record(uint16_t dom, const uint8_t *rec, uint32_t avail)
{
	const struct va_link *lk = dom_link(dom);
	struct va_hdr h;
	const char *why = NULL;
	uint32_t plen;
	int r;

	memcpy(&h, rec, sizeof(h));
	if (va_check_hdr(&h, avail, lk->max_size, &why)) {
		bad(why);
		return;
	}
	plen = le16toh(h.msg_size) - VA_HDR_SIZE;
	r = va_check_from_device(&h, rec + VA_HDR_SIZE, plen, lk, &why);
	if (r)
		bad(r == VA_IGNORE ? "a record the driver ignores" : why);
	if (h.type & ~VA_TYPE_MASK)
		bad("type bits 2-7 set");
	if (!(h.type & VA_TYPE_RESPONSE) && va_id_is_event(h.msg_id) &&
	    h.token)
		bad("token in an event");
	if ((h.type & VA_TYPE_BUS) && h.dev_num)
		bad("device number in a bus message");
	if (h.type || h.msg_id != VA_USED_CHAIN) {
		if (plen > VA_CTRL_MAX)
			bad("control record over VA_CTRL_MAX");
	} else if (plen >= sizeof(struct va_used_chain) &&
		   plen - sizeof(struct va_used_chain) > va_frag_max(lk)) {
		bad("USED_CHAIN fragment over va_frag_max()");
	}
	/* the driver's link follows an accepted CONNECT answer */
	if (!r && h.type == (VA_TYPE_RESPONSE | VA_TYPE_BUS) &&
	    h.msg_id == VA_BUS_CONNECT) {
		const uint8_t *p = rec + VA_HDR_SIZE;
		uint32_t rev = get_le32(p), size = get_le32(p + 4);
		uint64_t f = get_le64(p + 8);

		if (!rev)
			return;		/* refused: nothing settled */
		if (rev != VA_REVISION || size < VA_SIZE_MIN ||
		    size > VA_SIZE_MAX || (f & ~VA_F_KNOWN))
			bad("CONNECT answer outside what any driver offers");
		links[dom].max_size = size;
		links[dom].features = f;
	}
}

static void parse_captured(const struct captured *c)
{
	size_t off = 0;

	while (off < c->len) {
		struct orec *o;
		uint16_t size;

		if (c->len - off < VA_HDR_SIZE) {
			bad("record shorter than its header");
			return;
		}
		size = get_le16(c->buf + off + 6);
		if (size < VA_HDR_SIZE || size > c->len - off) {
			bad("bad msg_size");
			return;
		}
		if (nrecs == recsize) {
			recsize = recsize ? recsize * 2 : 256;
			recs = realloc(recs, recsize * sizeof(*recs));
			if (!recs)
				abort();
		}
		o = &recs[nrecs++];
		o->domid = c->domid;
		memcpy(&o->r.hdr, c->buf + off, sizeof(o->r.hdr));
		o->r.type = c->buf[off];
		o->r.msg_id = c->buf[off + 1];
		o->r.dev_num = get_le16(c->buf + off + 2);
		o->r.token = get_le16(c->buf + off + 4);
		o->r.payload = c->buf + off + VA_HDR_SIZE;
		o->r.len = size - VA_HDR_SIZE;
		check_record(c->domid, c->buf + off, c->len - off);
		off += size;
	}
}

static int fake_send(struct backend *b, struct guest *g, const void *buf,
		     size_t len)
{
	struct captured *c;

	(void)b;
	if (send_result)
		return send_result;
	if (!len || len > VA_MSG_MAX)
		bad("message size");
	if (ncap == capsize) {
		capsize = capsize ? capsize * 2 : 64;
		cap = realloc(cap, capsize * sizeof(*cap));
		if (!cap)
			abort();
	}
	c = &cap[ncap++];
	c->domid = g->domid;
	c->len = len;
	c->buf = malloc(len);
	if (!c->buf)
		abort();
	memcpy(c->buf, buf, len);
	parse_captured(c);
	return 0;
}

static void fake_send_once(struct backend *b, void *tctx, uint16_t domid,
			   uint32_t port, uint32_t type, const void *buf,
			   size_t len)
{
	struct once *o;

	(void)b;
	(void)tctx;
	if (nonce++ >= ARRAY_SIZE(onces))
		return;
	o = &onces[nonce - 1];
	o->domid = domid;
	o->port = port;
	o->type = type;
	o->len = len;
	if (!len || len > VA_MSG_MAX) {
		bad("send_once message size");
		o->len = 0;
		return;
	}
	memcpy(o->buf, buf, len);
}

static void fake_forget(struct backend *b, struct guest *g)
{
	(void)b;
	(void)g;
}

static const struct transport_ops fake_ops = {
	.send = fake_send,
	.send_once = fake_send_once,
	.forget = fake_forget,
};

/* Forget everything captured so far. */
static void clear(void)
{
	size_t i;

	for (i = 0; i < ncap; i++)
		free(cap[i].buf);
	ncap = 0;
	nrecs = 0;
	nonce = 0;
}

static unsigned int delivered;	/* messages given to the backend */

static void deliver_type(uint16_t dom, uint32_t port, uint32_t type,
			 const void *msg, size_t len)
{
	delivered++;
	guest_receive(&be, NULL, dom, port, type, msg, len);
	backend_flush(&be);
}

static void deliver(uint16_t dom, const void *msg, size_t len)
{
	deliver_type(dom, PORT, VA_MSG_TYPE, msg, len);
}

/* ---- building messages ---- */

struct msgb {
	uint8_t b[VA_MSG_MAX + 64];
	size_t len;
};

static uint8_t *mb_rec(struct msgb *m, uint8_t type, uint8_t id,
		       uint16_t dev, uint16_t token, uint32_t plen)
{
	uint8_t *p = m->b + m->len;

	p[0] = type;
	p[1] = id;
	put_le16(p + 2, dev);
	put_le16(p + 4, token);
	put_le16(p + 6, VA_HDR_SIZE + plen);
	memset(p + VA_HDR_SIZE, 0, plen);
	m->len += VA_HDR_SIZE + plen;
	return p + VA_HDR_SIZE;
}

static void mb_chain(struct msgb *m, uint16_t dev, uint16_t vq, uint16_t id,
		     uint32_t out_len, uint32_t in_len, uint32_t off,
		     uint16_t flags, const void *data, uint32_t dlen)
{
	uint8_t *p = mb_rec(m, 0, VA_AVAIL_CHAIN, dev, 0,
			    sizeof(struct va_avail_chain) + dlen);

	put_le16(p + 0, vq);
	put_le16(p + 2, id);
	put_le32(p + 4, out_len);
	put_le32(p + 8, in_len);
	put_le32(p + 12, off);
	put_le16(p + 16, flags);
	put_le16(p + 18, 0);
	if (dlen && data)
		memcpy(p + 20, data, dlen);
}

/* A CONNECT request's payload. */
static uint8_t *mb_connect(struct msgb *m, uint16_t token, uint32_t rev,
			   uint32_t max_size, uint64_t features)
{
	uint8_t *p = mb_rec(m, VA_TYPE_BUS, VA_BUS_CONNECT, 0, token,
			    sizeof(struct va_connect));

	put_le32(p + offsetof(struct va_connect, revision), rev);
	put_le32(p + offsetof(struct va_connect, max_size), max_size);
	put_le64(p + offsetof(struct va_connect, features), features);
	return p;
}

/* ---- requests and chains ---- */

static uint16_t next_token = 100;

static const struct orec *find_response(uint16_t dom, uint8_t id,
					uint16_t dev, uint16_t token)
{
	size_t i;

	for (i = 0; i < nrecs; i++) {
		const struct orec *o = &recs[i];

		if (o->domid == dom && (o->r.type & VA_TYPE_RESPONSE) &&
		    o->r.msg_id == id && o->r.dev_num == dev &&
		    o->r.token == token)
			return o;
	}
	return NULL;
}

/* The ERROR event naming request (type, id, dev, token), or NULL. */
static const struct orec *find_error(uint16_t dom, uint8_t type, uint8_t id,
				     uint16_t dev, uint16_t token)
{
	size_t i;

	for (i = 0; i < nrecs; i++) {
		const struct orec *o = &recs[i];
		const uint8_t *p = o->r.payload;

		if (o->domid == dom && o->r.type == VA_TYPE_BUS &&
		    o->r.msg_id == VA_BUS_ERROR &&
		    o->r.len == sizeof(struct va_bus_error) &&
		    get_le16(p + offsetof(struct va_bus_error, dev_num)) == dev &&
		    get_le16(p + offsetof(struct va_bus_error, token)) == token &&
		    p[offsetof(struct va_bus_error, msg_id)] == id &&
		    p[offsetof(struct va_bus_error, type)] ==
		    (type & VA_TYPE_BUS))
			return o;
	}
	return NULL;
}

static unsigned int count_from(uint16_t dom)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < nrecs; i++)
		n += recs[i].domid == dom;
	return n;
}

/*
 * Send one request; return its one answer: the response or the ERROR
 * event naming it (NULL: none).
 */
static const struct orec *request(uint16_t dom, uint8_t type, uint8_t id,
				  uint16_t dev, const void *payload,
				  uint32_t plen)
{
	static struct msgb m;
	uint16_t token = next_token++;
	const struct orec *o;
	uint8_t *p;

	if (!next_token)
		next_token = 1;		/* tokens are non-zero */
	clear();
	m.len = 0;
	p = mb_rec(&m, type, id, dev, token, plen);
	if (plen)
		memcpy(p, payload, plen);
	deliver(dom, m.b, m.len);
	o = find_response(dom, id, dev, token);
	return o ? o : find_error(dom, type, id, dev, token);
}

/* Is @o the ERROR event with errno @err? */
static bool is_error(const struct orec *o, uint32_t err)
{
	return o && o->r.type == VA_TYPE_BUS && o->r.msg_id == VA_BUS_ERROR &&
	       o->r.len == sizeof(struct va_bus_error) &&
	       get_le32(o->r.payload + offsetof(struct va_bus_error, error)) ==
	       err;
}

/* Is @o a response with a @len-byte payload? */
static bool is_ok(const struct orec *o, uint32_t len)
{
	return o && (o->r.type & VA_TYPE_RESPONSE) && o->r.len == len;
}

/* A request the backend must discard: nothing at all comes back. */
static bool silent(uint16_t dom, uint8_t type, uint8_t id, uint16_t dev,
		   const void *payload, uint32_t plen)
{
	return !request(dom, type, id, dev, payload, plen) && nrecs == 0;
}

static uint32_t req32(uint16_t dom, uint8_t id, uint16_t dev, uint32_t arg,
		      const struct orec **out)
{
	uint8_t p[4];
	const struct orec *o;

	put_le32(p, arg);
	o = request(dom, 0, id, dev, p, 4);
	if (out)
		*out = o;
	return o && (o->r.type & VA_TYPE_RESPONSE) && o->r.len >= 4 ?
	       get_le32(o->r.payload) : 0xDEADBEEF;
}

static const struct orec *set_status(uint16_t dom, uint16_t dev, uint32_t st)
{
	const struct orec *o;

	req32(dom, VA_SET_DEVICE_STATUS, dev, st, &o);
	return o;
}

static uint32_t get_status(uint16_t dom, uint16_t dev)
{
	const struct orec *o = request(dom, 0, VA_GET_DEVICE_STATUS, dev,
				       NULL, 0);

	return is_ok(o, 4) ? get_le32(o->r.payload) : 0xDEADBEEF;
}

/* CONNECT with these offers; its answer (NULL: none). */
static const struct orec *connect_as(uint16_t dom, uint32_t rev,
				     uint32_t max_size, uint64_t features)
{
	uint8_t p[sizeof(struct va_connect)];

	put_le32(p + offsetof(struct va_connect, revision), rev);
	put_le32(p + offsetof(struct va_connect, max_size), max_size);
	put_le64(p + offsetof(struct va_connect, features), features);
	return request(dom, VA_TYPE_BUS, VA_BUS_CONNECT, 0, p, sizeof(p));
}

/* Does the CONNECT answer @o say (rev, max_size, features)? */
static bool connect_is(const struct orec *o, uint32_t rev, uint32_t max_size,
		       uint64_t features)
{
	return is_ok(o, sizeof(struct va_connect)) &&
	       o->r.type == (VA_TYPE_RESPONSE | VA_TYPE_BUS) &&
	       get_le32(o->r.payload) == rev &&
	       get_le32(o->r.payload + 4) == max_size &&
	       get_le64(o->r.payload + 8) == features;
}

/*
 * A guest's driver starts the way virtio-argo.ko does: CONNECT offering
 * revision 1, records up to 65535 bytes and @features, the answer
 * checked by the driver's own rule (va_check_connect()).  True when the
 * backend agreed.
 */
static bool guest_up_as(uint16_t dom, uint32_t max_size, uint64_t features)
{
	struct va_connect req = {
		.revision = htole32(VA_REVISION),
		.max_size = htole32(max_size),
		.features = htole64(features),
	}, resp;
	const struct orec *o = connect_as(dom, VA_REVISION, max_size, features);
	struct va_link lk;
	const char *why = NULL;

	if (!is_ok(o, sizeof(resp)))
		return false;
	memcpy(&resp, o->r.payload, sizeof(resp));
	if (va_check_connect(&req, &resp, &lk, &why)) {
		printf("# guest %u: CONNECT answer: %s\n", dom, why);
		return false;
	}
	return lk.max_size == dom_link(dom)->max_size &&
	       lk.features == dom_link(dom)->features;
}

static bool guest_up(uint16_t dom, uint64_t features)
{
	return guest_up_as(dom, VA_SIZE_MAX, features);
}

/*
 * Send a chain the way virtio-argo.ko does: fragments of va_frag_max()
 * of the guest's link, packed back to back into messages of up to
 * VA_MSG_MAX bytes.
 */
static void send_chain(uint16_t dom, uint16_t dev, uint16_t vq, uint16_t id,
		       const uint8_t *out, uint32_t out_len, uint32_t in_len)
{
	static struct msgb m;
	uint32_t off = 0, frag = va_frag_max(dom_link(dom));
	bool last;

	m.len = 0;
	do {
		uint32_t n = MIN(out_len - off, frag);

		if (m.len + VA_CHAIN_HDR_SIZE + n > VA_MSG_MAX) {
			deliver(dom, m.b, m.len);
			m.len = 0;
		}
		last = off + n == out_len;
		mb_chain(&m, dev, vq, id, out_len, in_len, off,
			 (off ? 0 : VA_CHAIN_FIRST) | (last ? VA_CHAIN_LAST : 0),
			 out ? out + off : NULL, n);
		off += n;
	} while (!last);
	deliver(dom, m.b, m.len);
}

/* Is captured record @i a USED_CHAIN of (dom, dev, vq, id)? */
static bool is_used_of(size_t i, uint16_t dom, uint16_t dev, uint16_t vq,
		       uint16_t id)
{
	const struct va_rec *r = &recs[i].r;

	return recs[i].domid == dom && !r->type &&
	       r->msg_id == VA_USED_CHAIN && r->dev_num == dev &&
	       get_le16(r->payload) == vq && get_le16(r->payload + 2) == id;
}

/*
 * Reassemble the USED_CHAIN of (dev, vq, id) from what was captured,
 * checking rule 5 of section 7 on the way.  Returns the bytes (malloc'ed,
 * *len set) or NULL when the chain did not complete (or broke a rule).
 */
static uint8_t *get_used(uint16_t dom, uint16_t dev, uint16_t vq,
			 uint16_t id, uint32_t in_len, uint32_t *len)
{
	uint8_t *buf = NULL;
	uint32_t got = 0, total = 0;
	bool started = false;
	size_t i;

	for (i = 0; i < nrecs; i++) {
		const struct va_rec *r = &recs[i].r;
		const uint8_t *p = r->payload;
		uint32_t w, t, off;
		uint16_t flags;

		if (!is_used_of(i, dom, dev, vq, id))
			continue;
		w = get_le32(p + 4);
		t = get_le32(p + 8);
		off = get_le32(p + 12);
		flags = get_le16(p + 16);
		if (!!(flags & VA_CHAIN_FIRST) == started || off != got ||
		    (started && t != total) || t > in_len || w > t - off ||
		    !!(flags & VA_CHAIN_LAST) != (off + w == t)) {
			bad("USED_CHAIN sequence");
			break;
		}
		if (!started) {
			total = t;
			buf = malloc(t ? t : 1);
			if (!buf)
				abort();
			started = true;
		}
		memcpy(buf + off, p + 20, w);
		got += w;
		if (flags & VA_CHAIN_LAST) {
			*len = total;
			return buf;
		}
	}
	free(buf);
	return NULL;
}

/* The flags of the LAST USED_CHAIN record of (dev, vq, id), or 0xFFFF. */
static uint16_t used_last_flags(uint16_t dom, uint16_t dev, uint16_t vq,
				uint16_t id)
{
	size_t i;

	for (i = 0; i < nrecs; i++) {
		uint16_t flags;

		if (!is_used_of(i, dom, dev, vq, id))
			continue;
		flags = get_le16(recs[i].r.payload + 16);
		if (flags & VA_CHAIN_LAST)
			return flags;
	}
	return 0xFFFF;
}

/*
 * The USED_CHAIN records of (dom, dev, vq, id): how many, and the largest
 * record and fragment among them.
 */
static unsigned int used_frags(uint16_t dom, uint16_t dev, uint16_t vq,
			       uint16_t id, uint32_t *max_rec,
			       uint32_t *max_frag)
{
	unsigned int n = 0;
	size_t i;

	*max_rec = 0;
	*max_frag = 0;
	for (i = 0; i < nrecs; i++) {
		if (!is_used_of(i, dom, dev, vq, id))
			continue;
		n++;
		*max_rec = MAX(*max_rec, VA_HDR_SIZE + recs[i].r.len);
		*max_frag = MAX(*max_frag, get_le32(recs[i].r.payload + 4));
	}
	return n;
}

/* A blk request; returns its status byte (0xFF: no completion). */
static uint8_t blk_req(uint16_t dom, uint16_t dev, uint16_t id, uint32_t type,
		       uint64_t sector, const uint8_t *data, uint32_t dlen,
		       uint32_t in_data, uint8_t *read_back)
{
	uint8_t *out = calloc(1, 16 + dlen);
	uint32_t len;
	uint8_t *resp, st = 0xFF;

	put_le32(out, type);
	put_le64(out + 8, sector);
	if (dlen)
		memcpy(out + 16, data, dlen);
	clear();
	send_chain(dom, dev, 0, id, out, 16 + dlen, in_data + 1);
	free(out);
	resp = get_used(dom, dev, 0, id, in_data + 1, &len);
	if (resp && len == in_data + 1) {
		st = resp[in_data];
		if (read_back)
			memcpy(read_back, resp, in_data);
	}
	free(resp);
	return st;
}

/* ---- the tests ---- */

static char img[] = "/tmp/test_backend.XXXXXX";
static char img_ro[] = "/tmp/test_backend_ro.XXXXXX";
static char sock_path[64];

static void fill_pattern(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

static struct device *must(struct device *d, const char *err)
{
	char e[256];

	if (!d) {
		printf("Bail out! device: %s\n", err);
		exit(1);
	}
	if (backend_add_device(&be, d) < 0 || device_start(d, e, sizeof(e))) {
		printf("Bail out! start: %s\n", e);
		exit(1);
	}
	return d;
}

static void setup(void)
{
	char err[256] = "", arg[512];
	uint8_t sector[512];
	int fd, i;

	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, IMG_SECTORS * 512)) {
		printf("Bail out! %s: %s\n", img, strerror(errno));
		exit(1);
	}
	close(fd);
	fd = mkstemp(img_ro);
	fill_pattern(sector, sizeof(sector), 99);
	for (i = 0; fd >= 0 && i < 16; i++)
		if (write(fd, sector, sizeof(sector)) != sizeof(sector))
			break;
	if (fd < 0 || i != 16) {
		printf("Bail out! %s: %s\n", img_ro, strerror(errno));
		exit(1);
	}
	close(fd);

	backend_init(&be, &fake_ops, NULL);
	snprintf(arg, sizeof(arg), "%s,shared,serial=test-serial-0123", img);
	must(blk_parse(arg, err, sizeof(err)), err);
	snprintf(arg, sizeof(arg), "%s,ro", img_ro);
	must(blk_parse(arg, err, sizeof(err)), err);
	must(rng_parse(NULL, err, sizeof(err)), err);
	must(console_parse("echo,hvc", err, sizeof(err)), err);
	snprintf(arg, sizeof(arg), "%s,guest=99", img);
	must(blk_parse(arg, err, sizeof(err)), err);
	snprintf(sock_path, sizeof(sock_path), "/tmp/test_backend.%d.sock",
		 (int)getpid());
	snprintf(arg, sizeof(arg), "unix:%s,guest=%d", sock_path, DOM);
	must(console_parse(arg, err, sizeof(err)), err);
	must(console_parse("echo,port=org.test.0", err, sizeof(err)), err);
}

static void test_options(void)
{
	static const char *const bad_opts[][2] = {
		{ "blk", "" },
		{ "blk", "/x,bogus" },
		{ "blk", "/x,serial=123456789012345678901" },
		{ "blk", "/x,guest=a/b" },
		{ "blk", "/x,guest=40000" },
		{ "console", "tty" },
		{ "console", "unix:" },
		{ "console", "echo,guest" },
		{ "console", "echo,bogus" },
		{ "rng", "guest=1,ro" },
		{ "rng", "" },
		{ "net", "" },
		{ "net", "mac=02:00:00:00:00:01,guest=1" },
		{ "net", "tap" },
		{ "net", "tap=" },
		{ "net", "tap=vnet" },
		{ "net", "tap=vnet,guest=1,guest=2" },
		{ "net", "tap=vn%s" },
		{ "net", "tap=vn%d%d" },
		{ "net", "tap=vn%d%" },
		{ "net", "tap=a/b%d" },
		{ "net", "tap=averyverylong%d" },
		{ "net", "tap=abcdefghijklmnop,guest=1" },
		{ "net", "tap=vn%d,mac=01:00:5e:00:00:01" },
		{ "net", "tap=vn%d,mac=02:00:00:00:00" },
		{ "net", "tap=vn%d,mac=02:00:00:00:00:0g" },
		{ "net", "tap=vn%d,mac=02-00-00-00-00-01" },
		{ "net", "tap=vn%d,mac=00:00:00:00:00:00" },
		{ "net", "tap=vn%d,mtu=67" },
		{ "net", "tap=vn%d,mtu=65536" },
		{ "net", "tap=vn%d,mtu=9k" },
		{ "net", "tap=vn%d,mtu=-18446744073709550616" },
		{ "net", "tap=vn%d,bridge=" },
		{ "net", "tap=vn%d,bridge=abcdefghijklmnop" },
		{ "net", "tap=vn%d,bogus=1" },
	};
	static const char *const good_net[] = {
		"tap=vnet%d",
		"tap=vnet0,guest=5",
		"tap=vnet%d,guest=5",
		"tap=abcdefghij%d,guest=32751",
		"tap=x%d,mac=52:54:00:AB:cd:01,bridge=br0,mtu=9000,guest=1,guest=2",
	};
	char err[256];
	unsigned int i, bad_ok = 0;

	for (i = 0; i < ARRAY_SIZE(bad_opts); i++) {
		const char *k = bad_opts[i][0], *v = bad_opts[i][1];
		struct device *d;

		err[0] = '\0';
		if (!strcmp(k, "blk"))
			d = blk_parse(v, err, sizeof(err));
		else if (!strcmp(k, "console"))
			d = console_parse(v, err, sizeof(err));
		else if (!strcmp(k, "net"))
			d = net_parse(v, err, sizeof(err));
		else
			d = rng_parse(v, err, sizeof(err));
		if (!d && err[0])
			bad_ok++;
		else
			printf("# accepted --%s %s\n", k, v);
		if (d) {
			if (d->ops->destroy)
				d->ops->destroy(d);
			free(d);
		}
	}
	ok(bad_ok == ARRAY_SIZE(bad_opts),
	   "bad device options are refused with a message (%u/%zu)", bad_ok,
	   ARRAY_SIZE(bad_opts));

	for (i = 0, bad_ok = 0; i < ARRAY_SIZE(good_net); i++) {
		struct device *d = net_parse(good_net[i], err, sizeof(err));

		if (d) {
			bad_ok++;
			d->ops->destroy(d);
			free(d);
		} else {
			printf("# refused --net %s: %s\n", good_net[i], err);
		}
	}
	ok(bad_ok == ARRAY_SIZE(good_net), "good --net options are accepted (%u/%zu)",
	   bad_ok, ARRAY_SIZE(good_net));
}

/*
 * CONNECT (section 4.1): the answer's revision, size and features, the
 * refusals, and that nothing but CONNECT is served before it.
 */
static void test_connect(void)
{
	static struct msgb m;
	const struct orec *o;
	uint8_t p[16];

	o = connect_as(DOM_NEG, VA_REVISION, VA_SIZE_MAX, VA_F_KNOWN);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MAX, VB_BUS_FEATURES) &&
	   o->r.dev_num == 0 && nrecs == 1,
	   "CONNECT: revision 1, 65535 bytes, HOLD: all agreed, one answer");
	o = connect_as(DOM_NEG, VA_REVISION, VA_SIZE_MAX, ~0ULL);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MAX, VB_BUS_FEATURES),
	   "CONNECT offering every feature bit: the answer keeps only HOLD (no windows yet)");
	o = connect_as(DOM_NEG, VA_REVISION, VA_SIZE_MAX, 0x6);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MAX, 0),
	   "CONNECT offering bits 1-2 only: no feature agreed");
	o = connect_as(DOM_NEG, VA_REVISION, 100000, 0);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MAX, 0),
	   "CONNECT offering 100000 bytes: clamped to 65535");
	o = connect_as(DOM_NEG, 7, 4096, VA_F_KNOWN);
	ok(connect_is(o, VA_REVISION, 4096, VB_BUS_FEATURES) &&
	   dom_link(DOM_NEG)->max_size == 4096,
	   "CONNECT offering revision 7 and 4096 bytes: revision 1, 4096 bytes");
	o = connect_as(DOM_NEG, VA_REVISION, VA_SIZE_MIN, 0);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MIN, 0),
	   "CONNECT offering exactly 1024 bytes: agreed");
	put_le16(p, 0);
	put_le16(p + 2, 8);
	o = request(DOM_NEG, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, sizeof(struct va_get_devices_resp) + 1),
	   "... and the guest is served");

	/* refusals: revision 0, then served nothing */
	o = connect_as(DOM_NEG, 0, VA_SIZE_MAX, VA_F_KNOWN);
	ok(is_ok(o, sizeof(struct va_connect)) && get_le32(o->r.payload) == 0 &&
	   nrecs == 1, "CONNECT offering revision 0: refused (answer revision 0)");
	ok(silent(DOM_NEG, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4),
	   "... after which its GET_DEVICES is discarded unanswered");
	o = connect_as(DOM_NEG, VA_REVISION, VA_SIZE_MIN - 1, 0);
	ok(is_ok(o, sizeof(struct va_connect)) && get_le32(o->r.payload) == 0,
	   "CONNECT offering 1023 bytes: refused (answer revision 0)");
	o = connect_as(DOM_NEG, VA_REVISION, 0, 0);
	ok(is_ok(o, sizeof(struct va_connect)) && get_le32(o->r.payload) == 0,
	   "CONNECT offering 0 bytes: refused (answer revision 0)");

	/* malformed CONNECTs are discarded, not answered */
	ok(silent(DOM_NEG, VA_TYPE_BUS, VA_BUS_CONNECT, 0, p, 12),
	   "a 12-byte CONNECT: no answer");
	put_le32(p, VA_REVISION);
	put_le32(p + 4, VA_SIZE_MAX);
	put_le64(p + 8, 0);
	ok(silent(DOM_NEG, VA_TYPE_BUS, VA_BUS_CONNECT, 3, p, 16),
	   "a CONNECT with a device number: no answer");
	ok(silent(DOM_NEG, VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_CONNECT, 0,
		  p, 16), "a CONNECT response from the guest: no answer");
	o = request(DOM_NEG, 0xFC | VA_TYPE_BUS, VA_BUS_CONNECT, 0, p, 16);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MAX, 0) &&
	   o->r.type == (VA_TYPE_RESPONSE | VA_TYPE_BUS),
	   "a CONNECT with type bits 2-7 set is answered, without them");

	/*
	 * Before CONNECT: requests, events and chains are discarded, none
	 * answered or acted on; CONNECT in the same message is served.
	 */
	clear();
	m.len = 0;
	put_le16(mb_rec(&m, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 1, 4) + 2, 8);
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 2, 4);
	mb_rec(&m, 0, VA_GET_DEVICE_INFO, DEV_BLK, 3, 0);
	put_le32(mb_rec(&m, 0, VA_SET_DEVICE_STATUS, DEV_BLK, 4, 4), 3);
	mb_rec(&m, 0, VA_GET_CONFIG, 9, 5, 8);
	mb_chain(&m, DEV_RNG, 0, 0, 0, 16, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST,
		 NULL, 0);
	deliver(DOM_EARLY, m.b, m.len);
	ok(nrecs == 0 && guest_find(&be, DOM_EARLY),
	   "before CONNECT: GET_DEVICES, PING, device requests and a chain are discarded unanswered");
	clear();
	m.len = 0;
	mb_connect(&m, 6, VA_REVISION, VA_SIZE_MAX, VA_F_KNOWN);
	mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_BLK, 7, 0);
	deliver(DOM_EARLY, m.b, m.len);
	o = find_response(DOM_EARLY, VA_GET_DEVICE_STATUS, DEV_BLK, 7);
	ok(connect_is(find_response(DOM_EARLY, VA_BUS_CONNECT, 0, 6),
		      VA_REVISION, VA_SIZE_MAX, VB_BUS_FEATURES) &&
	   is_ok(o, 4) && get_le32(o->r.payload) == 0 && nrecs == 2,
	   "CONNECT, then a request in the same message: both answered, the early SET_DEVICE_STATUS had no effect");
	clear();
	send_chain(DOM_EARLY, DEV_RNG, 0, 0, NULL, 0, 16);
	o = nrecs == 1 ? &recs[0] : NULL;
	ok(o && is_used_of(0, DOM_EARLY, DEV_RNG, 0, 0) &&
	   get_status(DOM_EARLY, DEV_RNG) == 0,
	   "... and the early chain was never taken: its id is free");

	/* a malformed chain before CONNECT breaks nothing either */
	clear();
	m.len = 0;
	mb_chain(&m, DEV_BLK, 0, 0, 16, 1, 0, 0x10, p, 16);
	deliver(DOM_EARLY2, m.b, m.len);
	ok(nrecs == 0, "before CONNECT: a malformed AVAIL_CHAIN is not answered");
	ok(guest_up(DOM_EARLY2, VA_F_KNOWN) &&
	   get_status(DOM_EARLY2, DEV_BLK) == 0,
	   "... nor acted on: after CONNECT the device's status is 0, not DEVICE_NEEDS_RESET");

	/* the guests of the tests that follow */
	ok(guest_up(DOM, VA_F_KNOWN) && guest_up(DOM2, VA_F_KNOWN) &&
	   guest_up(99, VA_F_KNOWN),
	   "guests 1, 2 and 99 CONNECT with HOLD: agreed, as their driver checks it");
}

/*
 * A second CONNECT: the driver started over, so every device of that
 * guest is reset as by SET_DEVICE_STATUS 0: status, features, queue
 * sizes, and the chains it had outstanding (section 4.1).
 */
static void test_reconnect(void)
{
	uint8_t p[sizeof(struct va_vqueue)], *r;
	const struct orec *o;
	uint32_t len = 0;

	ok(guest_up(DOM_AGAIN, VA_F_KNOWN), "guest 34 connects");
	set_status(DOM_AGAIN, DEV_BLK, 3);
	memset(p, 0, sizeof(p));
	put_le32(p + offsetof(struct va_vqueue, size), 64);
	request(DOM_AGAIN, 0, VA_SET_VQUEUE, DEV_CON, p, sizeof(p));
	clear();
	send_chain(DOM_AGAIN, DEV_CON, 0, 5, NULL, 0, 64);
	ok(nrecs == 0, "guest 34: a console receive chain is outstanding");
	o = connect_as(DOM_AGAIN, VA_REVISION, VA_SIZE_MAX, VA_F_KNOWN);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MAX, VB_BUS_FEATURES) && nrecs == 1,
	   "a second CONNECT is answered, and nothing else is sent (the chain is not completed)");
	ok(get_status(DOM_AGAIN, DEV_BLK) == 0,
	   "... the other device's status is back to 0");
	req32(DOM_AGAIN, VA_GET_VQUEUE, DEV_CON, 0, &o);
	ok(is_ok(o, sizeof(struct va_vqueue)) &&
	   get_le32(o->r.payload + offsetof(struct va_vqueue, size)) == 0,
	   "... the queue size is forgotten");
	clear();
	send_chain(DOM_AGAIN, DEV_CON, 0, 5, NULL, 0, 64);
	send_chain(DOM_AGAIN, DEV_CON, 1, 0, (const uint8_t *)"again", 5, 0);
	r = get_used(DOM_AGAIN, DEV_CON, 0, 5, 64, &len);
	ok(r && len == 5 && !memcmp(r, "again", 5) &&
	   get_status(DOM_AGAIN, DEV_CON) == 0,
	   "... and the chain id is free again: offered anew, it gets the echo");
	free(r);
}

/*
 * A guest that CONNECTs with 1024 bytes: nothing larger from it is taken,
 * nothing larger goes to it, and chains travel in fragments of 996.
 */
static void test_small_link(void)
{
	static struct msgb m;
	const uint32_t n = 4096;
	uint8_t *data = malloc(n), *back = malloc(n), *r, d[VA_SIZE_MIN];
	const struct orec *o;
	uint32_t len = 0, max_rec, max_frag;
	unsigned int frags;
	uint8_t st;

	o = connect_as(DOM_SMALL, VA_REVISION, VA_SIZE_MIN, VA_F_KNOWN);
	ok(connect_is(o, VA_REVISION, VA_SIZE_MIN, VB_BUS_FEATURES) &&
	   va_frag_max(dom_link(DOM_SMALL)) == VA_SIZE_MIN - VA_CHAIN_HDR_SIZE,
	   "guest 33 connects with records of 1024 bytes (fragments of 996)");

	/* a record of 1025 bytes breaks the framing: it and the rest go */
	memset(d, 0, sizeof(d));
	clear();
	m.len = 0;
	mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_RNG, 1, 0);
	mb_chain(&m, DEV_RNG, 0, 1, 997, 16, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST,
		 d, 997);
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 2, 4);
	deliver(DOM_SMALL, m.b, m.len);
	ok(find_response(DOM_SMALL, VA_GET_DEVICE_STATUS, DEV_RNG, 1) &&
	   nrecs == 1,
	   "a 1025-byte record on the 1024-byte link: the records before it served, it and the rest dropped");
	ok(get_status(DOM_SMALL, DEV_RNG) == 0,
	   "... without breaking the device it named");
	clear();
	m.len = 0;
	mb_chain(&m, DEV_RNG, 0, 1, 996, 16, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST,
		 d, 996);
	deliver(DOM_SMALL, m.b, m.len);
	r = get_used(DOM_SMALL, DEV_RNG, 0, 1, 16, &len);
	ok(r && len == 16, "a chain record of exactly 1024 bytes is taken");
	free(r);

	/* 4 KiB back: USED_CHAIN fragments within the link */
	clear();
	send_chain(DOM_SMALL, DEV_RNG, 0, 2, NULL, 0, n);
	r = get_used(DOM_SMALL, DEV_RNG, 0, 2, n, &len);
	frags = used_frags(DOM_SMALL, DEV_RNG, 0, 2, &max_rec, &max_frag);
	ok(r && len == n && frags == 5 && max_rec <= VA_SIZE_MIN &&
	   max_frag == VA_SIZE_MIN - VA_CHAIN_HDR_SIZE,
	   "rng: 4096 bytes come back in %u USED_CHAIN fragments of at most %u bytes (records of at most %u)",
	   frags, max_frag, max_rec);
	free(r);

	fill_pattern(data, n, 21);
	delivered = 0;
	st = blk_req(DOM_SMALL, DEV_BLK, 3, VIRTIO_BLK_T_OUT, 200, data, n, 0,
		     NULL);
	ok(st == VIRTIO_BLK_S_OK && delivered == 1,
	   "blk: a 4 KiB write in fragments of 996 (one message): OK");
	memset(back, 0, n);
	st = blk_req(DOM_SMALL, DEV_BLK, 4, VIRTIO_BLK_T_IN, 200, NULL, 0, n,
		     back);
	frags = used_frags(DOM_SMALL, DEV_BLK, 0, 4, &max_rec, &max_frag);
	ok(st == VIRTIO_BLK_S_OK && !memcmp(back, data, n) && frags == 5 &&
	   max_rec <= VA_SIZE_MIN && max_frag <= va_frag_max(dom_link(DOM_SMALL)),
	   "blk: the 4 KiB read back the same, in %u fragments of at most %u bytes",
	   frags, max_frag);

	/* the largest control answer fits too */
	put_le16(d, 0);
	put_le16(d + 2, VA_WINDOW_MAX);
	o = request(DOM_SMALL, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, d, 4);
	ok(is_ok(o, sizeof(struct va_get_devices_resp) + VA_WINDOW_MAX / 8) &&
	   bad_records == 0,
	   "GET_DEVICES of 1024 numbers fits the link; no record sent to guest 33 broke it");
	free(data);
	free(back);
}

/*
 * Protocol 1 drivers (Argo type 0x56410001): each request gets protocol
 * 1's error response (type RESPONSE|ERROR plus its bus bit, errno 93)
 * through send_once, nothing is kept for them, and the log says why once
 * per domain (section 11).
 */
static void test_v1(void)
{
	static struct msgb m;
	/* the backend's log, meanwhile; kept if we die (sanitizer report) */
	char log_path[] = "/tmp/test_backend_log.XXXXXX";
	int fd = mkstemp(log_path), saved = dup(STDERR_FILENO);
	FILE *log = fd >= 0 ? fdopen(fd, "r") : NULL;
	unsigned int lines = 0, lines_b = 0;
	bool redirected = log && saved >= 0;
	const uint8_t *q;

	if (redirected) {
		printf("# the backend's log goes to %s meanwhile\n", log_path);
		fflush(stdout);
		fflush(stderr);
		redirected = dup2(fd, STDERR_FILENO) >= 0;
	}

	/* v1's GET_DEVICES: offset 0, max 64 */
	clear();
	m.len = 0;
	put_le16(mb_rec(&m, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 5, 4) + 2, 64);
	deliver_type(DOM_V1, PORT, VA_MSG_TYPE_V1, m.b, m.len);
	q = onces[0].buf;
	ok(nonce == 1 && ncap == 0 && onces[0].domid == DOM_V1 &&
	   onces[0].port == PORT && onces[0].type == VA_MSG_TYPE_V1 &&
	   onces[0].len == VA_HDR_SIZE + 4 && q[0] == 0x07 &&
	   q[1] == VA_BUS_GET_DEVICES && get_le16(q + 2) == 0 &&
	   get_le16(q + 4) == 5 && get_le16(q + 6) == VA_HDR_SIZE + 4 &&
	   get_le32(q + 8) == EPROTONOSUPPORT,
	   "protocol 1 GET_DEVICES: one v1 error response (type 0x07, errno 93) through send_once");
	ok(!guest_find(&be, DOM_V1), "... and no state is kept for that domain");

	/* two requests and an event in one message */
	clear();
	m.len = 0;
	mb_rec(&m, 0, VA_GET_DEVICE_INFO, DEV_BLK, 6, 0);
	put_le64(mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 7, 8), 1);
	mb_rec(&m, 0, VA_EVENT_CONFIG, DEV_BLK, 0, 4);
	deliver_type(DOM_V1, PORT, VA_MSG_TYPE_V1, m.b, m.len);
	q = onces[0].buf;
	ok(nonce == 1 && onces[0].len == 2 * (VA_HDR_SIZE + 4) &&
	   q[0] == 0x05 && q[1] == VA_GET_DEVICE_INFO &&
	   get_le16(q + 2) == DEV_BLK && get_le16(q + 4) == 6 &&
	   get_le32(q + 8) == EPROTONOSUPPORT &&
	   q[12] == 0x07 && q[13] == VA_BUS_PING && get_le16(q + 16) == 7 &&
	   get_le32(q + 20) == EPROTONOSUPPORT,
	   "two v1 requests and an event in one message: one message with an error response for each request");

	/* v1's data plane: AVAIL_CHAIN was 0x80, an event (no response) */
	clear();
	m.len = 0;
	mb_rec(&m, 0, 0x80, DEV_BLK, 0, 20);
	deliver_type(DOM_V1, PORT, VA_MSG_TYPE_V1, m.b, m.len);
	ok(nonce == 0, "a v1 AVAIL_CHAIN (id 0x80, an event in protocol 1) gets no error response");

	clear();
	m.len = 0;
	mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_BLK, 8, 0);
	deliver_type(DOM_V1B, PORT, VA_MSG_TYPE_V1, m.b, m.len);
	ok(nonce == 1 && onces[0].domid == DOM_V1B &&
	   onces[0].len == VA_HDR_SIZE + 4,
	   "another protocol 1 domain is answered too");

	fflush(stderr);
	if (redirected) {
		char line[512];

		dup2(saved, STDERR_FILENO);
		rewind(log);
		while (fgets(line, sizeof(line), log)) {
			fputs(line, stderr);
			if (!strstr(line, "protocol 1"))
				continue;
			lines += !!strstr(line, "guest 40 ");
			lines_b += !!strstr(line, "guest 41 ");
		}
	}
	if (saved >= 0)
		close(saved);
	if (log)
		fclose(log);
	else if (fd >= 0)
		close(fd);
	if (fd >= 0)
		unlink(log_path);
	ok(redirected && lines == 1 && lines_b == 1,
	   "one log line per protocol 1 domain (guest 40: %u, guest 41: %u)",
	   lines, lines_b);
	ok(guest_up(DOM_V1, VA_F_KNOWN),
	   "the same domain is served once it speaks protocol 2");
}

static void test_discovery(void)
{
	static const struct {
		uint16_t dev;
		uint32_t id;
	} ids[] = {
		{ DEV_BLK, VIRTIO_ID_BLOCK }, { DEV_BLK_RO, VIRTIO_ID_BLOCK },
		{ DEV_RNG, VIRTIO_ID_RNG }, { DEV_CON, VIRTIO_ID_CONSOLE },
		{ DEV_UNIX, VIRTIO_ID_CONSOLE }, { DEV_PORT, VIRTIO_ID_CONSOLE },
	};
	const size_t gd = sizeof(struct va_get_devices_resp);
	struct va_get_devices_req req;
	struct va_get_devices_resp resp;
	const struct orec *o;
	const char *why = NULL;
	unsigned int i, good = 0;
	uint8_t p[8];
	bool zero;

	req.offset = htole16(0);
	req.count = htole16(VA_WINDOW_MAX);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &req, 4);
	ok(count_from(DOM) == 1 && o && o->r.type == (VA_TYPE_RESPONSE | VA_TYPE_BUS),
	   "GET_DEVICES is answered once, as a bus response");
	if (o && o->r.len >= gd)
		memcpy(&resp, o->r.payload, gd);
	ok(is_ok(o, gd + VA_WINDOW_MAX / 8) &&
	   !va_check_devices(&req, &resp, &why) &&
	   get_le16(o->r.payload) == 0 &&
	   get_le16(o->r.payload + 2) == VA_WINDOW_MAX &&
	   get_le16(o->r.payload + 4) == 0,
	   "GET_DEVICES 0+1024: the whole window, a 128-byte bitmap, next_offset 0, as the driver checks it");
	for (i = 1, zero = true; o && o->r.len == gd + 128 && i < 128; i++)
		zero &= !o->r.payload[gd + i];
	ok(o && o->r.len == gd + 128 && o->r.payload[gd] == 0xDE && zero,
	   "bitmap: devices 1-4, 6 and 7 (5 is another guest's; 0 is never one)");

	put_le16(p, 0);
	put_le16(p + 2, 8);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, gd + 1) && get_le16(o->r.payload + 2) == 8 &&
	   get_le16(o->r.payload + 4) == 0 && o->r.payload[gd] == 0xDE,
	   "GET_DEVICES 0+8: the same 7 numbers, nothing beyond");
	put_le16(p, 8);
	put_le16(p + 2, 64);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	for (i = 0, zero = true; is_ok(o, gd + 8) && i < 8; i++)
		zero &= !o->r.payload[gd + i];
	ok(is_ok(o, gd + 8) && get_le16(o->r.payload) == 8 &&
	   get_le16(o->r.payload + 2) == 64 && get_le16(o->r.payload + 4) == 0 &&
	   zero, "GET_DEVICES 8+64: an empty window, next_offset 0");
	put_le16(p, 0);
	put_le16(p + 2, 0);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, gd) && get_le16(o->r.payload + 2) == 0 &&
	   get_le16(o->r.payload + 4) == 0,
	   "GET_DEVICES of 0 numbers: an empty answer that does not go on");
	put_le16(p + 2, 4096);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, gd + 128) && get_le16(o->r.payload + 2) == VA_WINDOW_MAX,
	   "GET_DEVICES of 4096 numbers: answered for 1024");
	req.offset = htole16(0xff00);
	req.count = htole16(VA_WINDOW_MAX);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &req, 4);
	why = "no answer";
	if (is_ok(o, gd + 32) || is_ok(o, gd + 128)) {
		memcpy(&resp, o->r.payload, gd);
		if (!va_check_devices(&req, &resp, &why))
			why = NULL;
	}
	ok(!why && is_ok(o, gd + 32) &&
	   get_le16(o->r.payload + 2) == 256,
	   "GET_DEVICES 65280+1024: the window stops at device 65535 (256 numbers)%s%s",
	   why ? ": " : "", why ? why : "");
	put_le16(p, 4);
	put_le16(p + 2, 8);
	ok(silent(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4),
	   "GET_DEVICES at offset 4 (not a multiple of 8): no answer");
	put_le16(p, 0);
	put_le16(p + 2, 12);
	ok(silent(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4),
	   "GET_DEVICES of 12 numbers: no answer");
	put_le16(p + 2, 8);
	ok(silent(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 8),
	   "GET_DEVICES with 8 bytes of payload: no answer");

	put_le16(p, 0);
	put_le16(p + 2, 64);
	o = request(99, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, gd + 8) && o->r.payload[gd] == 0xBE,
	   "guest 99 sees the device restricted to it (5), not guest 1's (6)");

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		o = request(DOM, 0, VA_GET_DEVICE_INFO, ids[i].dev, NULL, 0);
		good += is_ok(o, sizeof(struct va_device_info)) &&
			get_le32(o->r.payload) == ids[i].id &&
			get_le32(o->r.payload + 4) == VB_VENDOR_ID;
	}
	ok(good == ARRAY_SIZE(ids),
	   "GET_DEVICE_INFO of each: blk, blk, rng, console, console, console, vendor ARGO");

	put_le32(p, 0x11223344);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, p, 4);
	ok(is_ok(o, 4) && o->r.type == (VA_TYPE_RESPONSE | VA_TYPE_BUS) &&
	   get_le32(o->r.payload) == 0x11223344, "PING echoes its data");
	ok(silent(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, p, 8),
	   "a PING of 8 bytes (protocol 1's): no answer");
	ok(silent(DOM, VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_PING, 0, p, 4),
	   "a PING response from the guest: nothing sent");
}

static void test_control(void)
{
	const struct orec *o;
	uint8_t p[64], info[sizeof(struct va_device_info)];
	uint32_t w0, w1, gen;

	o = request(DOM, 0, VA_GET_DEVICE_INFO, DEV_BLK, NULL, 0);
	ok(is_ok(o, sizeof(struct va_device_info)) &&
	   o->r.type == VA_TYPE_RESPONSE &&
	   get_le32(o->r.payload) == VIRTIO_ID_BLOCK &&
	   get_le32(o->r.payload + 8) == 64 &&
	   get_le32(o->r.payload + 12) == sizeof(struct virtio_blk_config) &&
	   get_le32(o->r.payload + 16) == 1,
	   "GET_DEVICE_INFO of blk: id 2, 64 feature bits, config size, 1 queue");

	put_le32(p, 0);
	put_le32(p + 4, 2);
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK, p, 8);
	w0 = is_ok(o, 16) ? get_le32(o->r.payload + 8) : 0;
	w1 = is_ok(o, 16) ? get_le32(o->r.payload + 12) : 0;
	ok((w1 & 1) && (w0 & (1U << VIRTIO_BLK_F_FLUSH)) &&
	   (w0 & (1U << VIRTIO_BLK_F_DISCARD)) &&
	   (w0 & (1U << VIRTIO_BLK_F_WRITE_ZEROES)) &&
	   (w0 & (1U << VIRTIO_RING_F_INDIRECT_DESC)) &&
	   !(w0 & (1U << VIRTIO_BLK_F_RO)),
	   "blk features: VERSION_1, FLUSH, DISCARD, WRITE_ZEROES, INDIRECT_DESC, not RO");
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK_RO, p, 8);
	w0 = is_ok(o, 16) ? get_le32(o->r.payload + 8) : 0;
	ok((w0 & (1U << VIRTIO_BLK_F_RO)) &&
	   !(w0 & (1U << VIRTIO_BLK_F_DISCARD)),
	   "read-only blk offers RO and no DISCARD");
	put_le32(p + 4, VA_FEATURE_BLOCKS_MAX);
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK, p, 8);
	ok(is_ok(o, 8 + 16) && get_le32(o->r.payload + 4) == 4 &&
	   get_le32(o->r.payload + 16) == 0 && get_le32(o->r.payload + 20) == 0,
	   "GET_DEVICE_FEATURES of 4 blocks: blocks 2 and 3 read 0");
	put_le32(p + 4, 5);
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL), "GET_DEVICE_FEATURES of 5 blocks: ERROR EINVAL");
	put_le32(p + 4, 17);
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL) && nrecs == 1 &&
	   o->r.dev_num == 0 && o->r.token == 0 &&
	   get_le16(o->r.payload + offsetof(struct va_bus_error, dev_num)) ==
	   DEV_BLK &&
	   o->r.payload[offsetof(struct va_bus_error, msg_id)] ==
	   VA_GET_DEVICE_FEATURES &&
	   o->r.payload[offsetof(struct va_bus_error, type)] == 0 &&
	   get_le16(o->r.payload + offsetof(struct va_bus_error, rsvd)) == 0,
	   "... of 17: ERROR EINVAL, an event (dev_num 0, token 0) naming device, token and id");

	put_le32(p, 0);
	put_le32(p + 4, 8);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_ok(o, 12 + 8) && get_le32(o->r.payload + 4) == 0 &&
	   get_le32(o->r.payload + 8) == 8 &&
	   get_le64(o->r.payload + 12) == IMG_SECTORS,
	   "GET_CONFIG: capacity %u sectors, offset and size echoed", IMG_SECTORS);
	gen = o ? get_le32(o->r.payload) : 0;
	put_le32(p, offsetof(struct virtio_blk_config, blk_size));
	put_le32(p + 4, 4);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_ok(o, 12 + 4) && get_le32(o->r.payload + 12) == 512,
	   "GET_CONFIG: blk_size 512");
	put_le32(p, sizeof(struct virtio_blk_config) - 4);
	put_le32(p + 4, 8);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL), "GET_CONFIG past the config space: ERROR EINVAL");
	put_le32(p, 0xFFFFFFFF);
	put_le32(p + 4, 2);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL), "GET_CONFIG with a wrapping offset: ERROR EINVAL");
	put_le32(p, 0);
	put_le32(p + 4, VA_CONFIG_CHUNK + 4);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL), "GET_CONFIG of 260 bytes: ERROR EINVAL");

	/* SET_CONFIG: answered with the bytes as they are, or size 0 */
	put_le32(p, gen);
	put_le32(p + 4, 0);
	put_le32(p + 8, 4);
	put_le32(p + 12, 0x12345678);
	o = request(DOM, 0, VA_SET_CONFIG, DEV_BLK, p, 12 + 4);
	ok(is_ok(o, 12 + 4) && get_le32(o->r.payload) == gen &&
	   get_le32(o->r.payload + 4) == 0 && get_le32(o->r.payload + 8) == 4 &&
	   get_le32(o->r.payload + 12) == IMG_SECTORS,
	   "SET_CONFIG at the current generation: accepted, answered with the bytes as they are (read-only field)");
	put_le32(p, gen + 1);
	o = request(DOM, 0, VA_SET_CONFIG, DEV_BLK, p, 12 + 4);
	ok(is_ok(o, 12) && get_le32(o->r.payload) == gen &&
	   get_le32(o->r.payload + 8) == 0,
	   "SET_CONFIG at a stale generation: refused, answered size 0 with the current generation");
	put_le32(p, gen);
	put_le32(p + 4, sizeof(struct virtio_blk_config) - 2);
	o = request(DOM, 0, VA_SET_CONFIG, DEV_BLK, p, 12 + 4);
	ok(is_error(o, EINVAL), "SET_CONFIG past the config space: ERROR EINVAL");
	put_le32(p + 4, 0);
	ok(silent(DOM, 0, VA_SET_CONFIG, DEV_BLK, p, 12 + 3),
	   "SET_CONFIG with a byte missing: no answer");
	ok(silent(DOM, 0, VA_SET_CONFIG, DEV_BLK, p, 8),
	   "SET_CONFIG of 8 bytes: no answer");

	/* the virtio status dance, as Linux's virtio core does it */
	ok(get_status(DOM, DEV_BLK) == 0, "status starts at 0");
	o = set_status(DOM, DEV_BLK, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		       VIRTIO_CONFIG_S_DRIVER);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 3, "ACKNOWLEDGE|DRIVER");
	put_le32(p, 0);
	put_le32(p + 4, 2);
	put_le32(p + 8, (1U << VIRTIO_BLK_F_FLUSH) |
		 (1U << VIRTIO_BLK_F_BLK_SIZE));
	put_le32(p + 12, 1);
	ok(silent(DOM, 0, VA_SET_DRIVER_FEATURES, DEV_BLK, p, 12),
	   "SET_DRIVER_FEATURES counting 2 blocks with 1: no answer");
	o = request(DOM, 0, VA_SET_DRIVER_FEATURES, DEV_BLK, p, 16);
	ok(is_ok(o, 0), "SET_DRIVER_FEATURES");
	o = set_status(DOM, DEV_BLK, 0xB);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 0xB,
	   "FEATURES_OK accepted for VERSION_1|FLUSH|BLK_SIZE");
	o = request(DOM, 0, VA_SET_DRIVER_FEATURES, DEV_BLK, p, 16);
	ok(is_error(o, EBUSY), "features cannot change after FEATURES_OK: ERROR EBUSY");
	o = set_status(DOM, DEV_BLK, 0xF);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 0xF && get_status(DOM, DEV_BLK) == 0xF,
	   "DRIVER_OK: status 0xF");
	o = set_status(DOM, DEV_BLK, 0x7);
	ok(is_error(o, EINVAL), "clearing a status bit without reset: ERROR EINVAL");
	o = set_status(DOM, DEV_BLK, 0x10F);
	ok(is_error(o, EINVAL), "a status above 0xFF: ERROR EINVAL");
	ok(silent(DOM, 0, VA_SET_DEVICE_STATUS, DEV_BLK, p, 8),
	   "SET_DEVICE_STATUS of 8 bytes: no answer");

	/* rng: a driver that forgets VERSION_1 is refused FEATURES_OK */
	set_status(DOM, DEV_RNG, 3);
	put_le32(p, 0);
	put_le32(p + 4, 1);
	put_le32(p + 8, 0);
	request(DOM, 0, VA_SET_DRIVER_FEATURES, DEV_RNG, p, 12);
	o = set_status(DOM, DEV_RNG, 0xB);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 3,
	   "FEATURES_OK refused without VERSION_1 (status stays 3)");
	set_status(DOM, DEV_RNG, 0);

	/* queues */
	req32(DOM, VA_GET_VQUEUE, DEV_BLK, 0, &o);
	ok(is_ok(o, sizeof(struct va_vqueue)) && get_le32(o->r.payload) == 0 &&
	   get_le32(o->r.payload + 4) == VB_QUEUE_SIZE &&
	   get_le32(o->r.payload + 8) == 0,
	   "GET_VQUEUE 0: max_size %u, size 0 (not set up)", VB_QUEUE_SIZE);
	req32(DOM, VA_GET_VQUEUE, DEV_BLK, 1, &o);
	ok(is_ok(o, sizeof(struct va_vqueue)) && get_le32(o->r.payload) == 1 &&
	   get_le32(o->r.payload + 4) == 0,
	   "GET_VQUEUE of a queue that does not exist: max_size 0");
	memset(p, 0, sizeof(struct va_vqueue));
	put_le32(p + offsetof(struct va_vqueue, size), 128);
	put_le64(p + offsetof(struct va_vqueue, desc), 0x1000);
	o = request(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, sizeof(struct va_vqueue));
	ok(is_ok(o, 0), "SET_VQUEUE 0 size 128");
	req32(DOM, VA_GET_VQUEUE, DEV_BLK, 0, &o);
	ok(is_ok(o, sizeof(struct va_vqueue)) && get_le32(o->r.payload + 8) == 128,
	   "GET_VQUEUE 0: size 128 now");
	put_le32(p, 1);
	o = request(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, sizeof(struct va_vqueue));
	ok(is_error(o, EINVAL), "SET_VQUEUE of queue 1 (out of range): ERROR EINVAL");
	put_le32(p, 0);
	put_le32(p + offsetof(struct va_vqueue, size), 2048);
	o = request(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, sizeof(struct va_vqueue));
	ok(is_error(o, EINVAL), "SET_VQUEUE above max_size: ERROR EINVAL");
	put_le32(p + offsetof(struct va_vqueue, size), 0);
	o = request(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, sizeof(struct va_vqueue));
	ok(is_error(o, EINVAL), "SET_VQUEUE of size 0: ERROR EINVAL");
	put_le32(p + 4, 128);
	ok(silent(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, 32),
	   "SET_VQUEUE of 32 bytes (protocol 1's): no answer");
	req32(DOM, VA_RESET_VQUEUE, DEV_BLK, 7, &o);
	ok(is_error(o, EINVAL), "RESET_VQUEUE 7: ERROR EINVAL");
	req32(DOM, VA_RESET_VQUEUE, DEV_BLK, 0, &o);
	ok(is_ok(o, 0), "RESET_VQUEUE 0");
	req32(DOM, VA_GET_SHM, DEV_BLK, 3, &o);
	ok(is_ok(o, sizeof(struct va_shm_resp)) && get_le32(o->r.payload) == 3 &&
	   get_le32(o->r.payload + 4) == 0 && get_le32(o->r.payload + 8) == 0,
	   "GET_SHM 3: length 0 (this bus has no shared memory)");

	/* unknown ids, malformed requests, events: discarded unanswered */
	ok(silent(DOM, 0, 0x3E, DEV_BLK, NULL, 0), "unknown request id 0x3E: no answer");
	ok(silent(DOM, 0, 0x8E, DEV_BLK, p, 4),
	   "unknown implementation-defined request 0x8E: no answer");
	ok(silent(DOM, VA_TYPE_BUS, 0x3E, 0, NULL, 0),
	   "unknown bus request 0x3E: no answer");
	ok(silent(DOM, 0, VA_GET_DEVICE_STATUS, DEV_BLK, p, 1),
	   "GET_DEVICE_STATUS with a payload: no answer");
	ok(silent(DOM, 0, VA_GET_SHM, DEV_BLK, p, 8),
	   "GET_SHM of 8 bytes: no answer");
	ok(silent(DOM, 0, VA_EVENT_AVAIL, DEV_BLK, p, 8),
	   "EVENT_AVAIL (an event) is never answered");
	ok(silent(DOM, 0, VA_EVENT_CONFIG, DEV_BLK, p, 16),
	   "EVENT_CONFIG from the guest: no answer");
	ok(silent(DOM, 0, VA_USED_CHAIN, DEV_BLK, p, 20) &&
	   get_status(DOM, DEV_BLK) == 0xF,
	   "USED_CHAIN from the guest: no answer, the device not broken");
	ok(silent(DOM, VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO, DEV_BLK, info,
		  sizeof(info)), "a response from the guest: no answer");

	/* device numbers that are no device of this guest */
	o = request(DOM, 0, VA_GET_DEVICE_INFO, 9, NULL, 0);
	memset(info, 0, sizeof(info));
	ok(is_ok(o, sizeof(info)) && !memcmp(o->r.payload, info, sizeof(info)),
	   "GET_DEVICE_INFO of unknown dev_num 9: all zeros");
	o = request(DOM, 0, VA_GET_DEVICE_INFO, DEV_ONLY99, NULL, 0);
	ok(is_ok(o, sizeof(info)) && !memcmp(o->r.payload, info, sizeof(info)),
	   "GET_DEVICE_INFO of the device offered only to guest 99: all zeros for guest 1");
	o = request(DOM, 0, VA_GET_DEVICE_INFO, 0, NULL, 0);
	ok(is_ok(o, sizeof(info)) && !memcmp(o->r.payload, info, sizeof(info)),
	   "GET_DEVICE_INFO of device 0: all zeros");
	o = request(DOM, 0, VA_GET_DEVICE_STATUS, 9, NULL, 0);
	ok(is_error(o, ENODEV) && nrecs == 1 &&
	   get_le16(o->r.payload + offsetof(struct va_bus_error, dev_num)) == 9,
	   "GET_DEVICE_STATUS of unknown dev_num 9: ERROR ENODEV");
	put_le32(p, 0);
	put_le32(p + 4, 4);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_ONLY99, p, 8);
	ok(is_error(o, ENODEV), "GET_CONFIG of guest 99's device: ERROR ENODEV for guest 1");
	req32(DOM, VA_SET_DEVICE_STATUS, 0xFFFF, 1, &o);
	ok(is_error(o, ENODEV), "SET_DEVICE_STATUS of dev_num 65535: ERROR ENODEV");
	req32(DOM, VA_GET_VQUEUE, 0, 0, &o);
	ok(is_error(o, ENODEV), "GET_VQUEUE of device 0: ERROR ENODEV");
	ok(silent(DOM, 0, VA_EVENT_AVAIL, 9, p, 8),
	   "an event for unknown dev_num 9: no answer");
	ok(silent(DOM, 0, 0x3E, 9, NULL, 0),
	   "an unknown request for unknown dev_num 9: no answer");
	ok(silent(DOM, 0, VA_GET_CONFIG, 9, p, 4),
	   "a malformed GET_CONFIG for unknown dev_num 9: no answer");
}

static void test_blk(void)
{
	const uint32_t n = 200 * 1024;	/* 4 fragments */
	uint8_t *data = malloc(n), *back = malloc(n), id[20], st;
	uint8_t file[512];
	int fd = open(img, O_RDONLY);
	bool same;

	fill_pattern(data, n, 1);
	delivered = 0;
	st = blk_req(DOM, DEV_BLK, 3, VIRTIO_BLK_T_OUT, 100, data, n, 0, NULL);
	ok(st == VIRTIO_BLK_S_OK && delivered == 4,
	   "write of %u bytes in 4 fragments over %u messages: OK", n,
	   delivered);
	ok(pread(fd, file, 512, 100 * 512 + 512) == 512 &&
	   !memcmp(file, data + 512, 512), "the bytes are in the image");

	memset(back, 0xAA, n);
	st = blk_req(DOM, DEV_BLK, 4, VIRTIO_BLK_T_IN, 100, NULL, 0, n, back);
	same = !memcmp(back, data, n);
	ok(st == VIRTIO_BLK_S_OK && same,
	   "read back: OK and the same %u bytes (fragmented USED_CHAIN)", n);

	st = blk_req(DOM, DEV_BLK, 5, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, NULL);
	ok(st == VIRTIO_BLK_S_OK, "flush: OK");

	st = blk_req(DOM, DEV_BLK, 6, VIRTIO_BLK_T_GET_ID, 0, NULL, 0, 20, id);
	ok(st == VIRTIO_BLK_S_OK && !memcmp(id, "test-serial-0123\0\0\0\0", 20),
	   "GET_ID: the serial, zero-padded to 20 bytes");

	st = blk_req(DOM, DEV_BLK, 7, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, NULL,
		     0, 1024, back);
	ok(st == VIRTIO_BLK_S_IOERR, "read across the end of the disk: IOERR");
	st = blk_req(DOM, DEV_BLK, 7, VIRTIO_BLK_T_IN, ~0ULL, NULL, 0, 512,
		     back);
	ok(st == VIRTIO_BLK_S_IOERR, "read at sector 2^64-1: IOERR");
	st = blk_req(DOM, DEV_BLK, 8, VIRTIO_BLK_T_OUT, 0, data, 100, 0, NULL);
	ok(st == VIRTIO_BLK_S_IOERR, "write of 100 bytes (not whole sectors): IOERR");
	st = blk_req(DOM, DEV_BLK, 9, 77, 0, NULL, 0, 0, NULL);
	ok(st == VIRTIO_BLK_S_UNSUPP, "unknown request type: UNSUPP");

	/* write zeroes over the pattern, then discard */
	{
		uint8_t r[16];

		put_le64(r, 101);
		put_le32(r + 8, 2);
		put_le32(r + 12, 0);
		st = blk_req(DOM, DEV_BLK, 10, VIRTIO_BLK_T_WRITE_ZEROES, 0, r,
			     16, 0, NULL);
		memset(back, 0xAA, 1536);
		blk_req(DOM, DEV_BLK, 11, VIRTIO_BLK_T_IN, 100, NULL, 0, 1536,
			back);
		ok(st == VIRTIO_BLK_S_OK && !memcmp(back, data, 512) &&
		   back[512] == 0 && !memcmp(back + 512, back + 513, 1023),
		   "WRITE_ZEROES of sectors 101-102: they read back as zeroes");
		put_le32(r + 12, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
		st = blk_req(DOM, DEV_BLK, 12, VIRTIO_BLK_T_DISCARD, 0, r, 16,
			     0, NULL);
		ok(st == VIRTIO_BLK_S_UNSUPP, "DISCARD with the unmap flag: UNSUPP");
		put_le32(r + 12, 0);
		st = blk_req(DOM, DEV_BLK, 12, VIRTIO_BLK_T_DISCARD, 0, r, 16,
			     0, NULL);
		ok(st == VIRTIO_BLK_S_OK, "DISCARD: OK");
		put_le64(r, IMG_SECTORS - 1);
		st = blk_req(DOM, DEV_BLK, 12, VIRTIO_BLK_T_DISCARD, 0, r, 16,
			     0, NULL);
		ok(st == VIRTIO_BLK_S_IOERR, "DISCARD past the end: IOERR");
	}

	/* read-only disk */
	fill_pattern(data, 512, 5);
	st = blk_req(DOM, DEV_BLK_RO, 1, VIRTIO_BLK_T_OUT, 0, data, 512, 0,
		     NULL);
	st = st == VIRTIO_BLK_S_IOERR ? 0 : 1;
	memset(back, 0, 512);
	blk_req(DOM, DEV_BLK_RO, 2, VIRTIO_BLK_T_IN, 0, NULL, 0, 512, back);
	fill_pattern(data, 512, 99);
	ok(!st && !memcmp(back, data, 512),
	   "read-only disk: write refused with IOERR, data unchanged");

	/* a request with no writable byte is completed empty */
	{
		uint8_t out[16] = { 0 };
		uint32_t len = 99;
		uint8_t *r;

		clear();
		send_chain(DOM, DEV_BLK, 0, 13, out, 16, 0);
		r = get_used(DOM, DEV_BLK, 0, 13, 0, &len);
		ok(r && len == 0, "request without a status byte: completed with 0 bytes");
		free(r);
	}
	close(fd);
	free(data);
	free(back);
}

static void test_rng(void)
{
	uint32_t len = 0, i, nz = 0;
	uint8_t *r;

	clear();
	send_chain(DOM, DEV_RNG, 0, 0, NULL, 0, 4096);
	r = get_used(DOM, DEV_RNG, 0, 0, 4096, &len);
	for (i = 0; r && i < len; i++)
		nz += r[i] != 0;
	ok(r && len == 4096 && nz > 3500, "rng fills a 4096-byte buffer with random bytes");
	free(r);
}

static void test_console(void)
{
	const uint32_t total = 1024 * 1024, chunk = 4096;
	uint8_t *tx = malloc(total), *rx = malloc(total);
	static bool tx_busy[256], rx_busy[256];
	uint32_t len, sent = 0, got = 0, i, rounds;
	uint8_t *r;
	bool held = false, order = true;

	/* out of order: the receive chain waits for the bytes */
	clear();
	send_chain(DOM, DEV_CON, 0, 0, NULL, 0, 64);
	ok(nrecs == 0, "console receive chain waits for input");
	send_chain(DOM, DEV_CON, 1, 0, (const uint8_t *)"hello", 5, 0);
	r = get_used(DOM, DEV_CON, 1, 0, 0, &len);
	ok(r && len == 0, "transmit chain completed (used length 0)");
	free(r);
	r = get_used(DOM, DEV_CON, 0, 0, 64, &len);
	ok(r && len == 5 && !memcmp(r, "hello", 5), "echo: \"hello\" comes back");
	free(r);

	/*
	 * 1 MiB through the echo, the way a guest would: transmit chains of
	 * 4 KiB, receive chains of 4 KiB given back only now and then, never
	 * more than the queue's 256 outstanding on either queue.  The echo
	 * buffer (256 KiB) fills, so transmit chains must be held, not
	 * dropped, until receive buffers come.
	 */
	fill_pattern(tx, total, 3);
	memset(tx_busy, 0, sizeof(tx_busy));
	memset(rx_busy, 0, sizeof(rx_busy));
	for (rounds = 0; got < total && rounds < 1000; rounds++) {
		unsigned int k, id;

		clear();
		for (k = 0, id = 0; k < 96 && sent < total && id < 256; id++) {
			if (tx_busy[id])
				continue;
			tx_busy[id] = true;
			send_chain(DOM, DEV_CON, 1, id, tx + sent, chunk, 0);
			sent += chunk;
			k++;
		}
		for (k = 0, id = 0; k < 40 && id < 256; id++) {
			if (rx_busy[id])
				continue;
			rx_busy[id] = true;
			send_chain(DOM, DEV_CON, 0, id, NULL, 0, chunk);
			k++;
		}
		for (i = 0; i < nrecs; i++) {
			const struct va_rec *q = &recs[i].r;
			uint16_t vq, cid;
			uint32_t w;

			if (q->msg_id != VA_USED_CHAIN || recs[i].domid != DOM)
				continue;
			vq = get_le16(q->payload);
			cid = get_le16(q->payload + 2);
			w = get_le32(q->payload + 4);
			if (vq == 1) {
				tx_busy[cid] = false;
				continue;
			}
			rx_busy[cid] = false;
			if (got + w > total) {
				order = false;
				break;
			}
			memcpy(rx + got, q->payload + 20, w);
			got += w;
		}
		for (id = 0; id < 256; id++)
			held |= tx_busy[id];
	}
	ok(held, "echo buffer full: transmit chains are held, not dropped");
	ok(order && got == total && !memcmp(rx, tx, total),
	   "1 MiB echoed back complete and in order");
	free(tx);
	free(rx);
}

/* ---- the poll loop, driven a few rounds at a time ---- */

static volatile sig_atomic_t loop_stop;
static int loop_rounds;

static int t_timeout(void *ctx)
{
	(void)ctx;
	return 5;
}

static void t_round(void *ctx)
{
	(void)ctx;
	backend_flush(&be);
	if (--loop_rounds <= 0)
		loop_stop = 1;
}

static void run_loop(int rounds)
{
	static const struct loop_hooks hooks = { t_timeout, t_round, NULL };

	loop_rounds = rounds;
	loop_stop = 0;
	if (loop_run(&hooks, &loop_stop))
		printf("# loop_run failed\n");
}

/*
 * A callback that deletes and frees a watch due later in the same round
 * (a device removed, a client dropped): the loop must not call it, nor
 * read it (ASan and valgrind see a read of freed memory).
 */
static int freer_calls, victim_calls;
static struct watch *victim;

static void victim_cb(struct watch *w, short revents)
{
	(void)w;
	(void)revents;
	victim_calls++;
}

static void freer_cb(struct watch *w, short revents)
{
	(void)revents;
	freer_calls++;
	watch_del(w);
	if (victim) {
		watch_del(victim);
		free(victim);
		victim = NULL;
	}
}

static void test_loop_free_in_round(void)
{
	struct watch freer = { .events = POLLIN, .cb = freer_cb };
	int p1[2], p2[2];

	if (pipe(p1) || pipe(p2)) {
		ok(0, "loop: pipes");
		return;
	}
	victim = calloc(1, sizeof(*victim));
	if (!victim) {
		ok(0, "loop: a watch");
		return;
	}
	victim->fd = p2[0];
	victim->events = POLLIN;
	victim->cb = victim_cb;
	freer.fd = p1[0];
	watch_add(&freer);		/* dispatched first: frees the victim */
	watch_add(victim);
	if (write(p1[1], "x", 1) != 1 || write(p2[1], "x", 1) != 1)
		printf("# write failed\n");
	run_loop(1);
	ok(freer_calls == 1 && victim_calls == 0 && !victim,
	   "loop: a watch deleted and freed by an earlier callback of its round is not called (%d, %d)",
	   freer_calls, victim_calls);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
}

static int unix_client(void)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void test_console_unix(void)
{
	const uint32_t total = 2 * 1024 * 1024, chunk = 4096;
	static bool tx_busy[256];
	uint8_t *tx = malloc(total), *rx = malloc(total), buf[64];
	uint32_t len, sent = 0, got = 0, i;
	unsigned int rounds;
	bool held = false;
	int c, c2;
	uint8_t *r;

	c = unix_client();
	run_loop(2);
	ok(c >= 0, "unix console: a client connects");

	clear();
	send_chain(DOM, DEV_UNIX, 0, 0, NULL, 0, sizeof(buf));
	ok(nrecs == 0, "unix console: receive chain waits for input");
	if (write(c, "typed", 5) != 5)
		printf("# write failed\n");
	run_loop(3);
	r = get_used(DOM, DEV_UNIX, 0, 0, sizeof(buf), &len);
	ok(r && len == 5 && !memcmp(r, "typed", 5),
	   "unix console: the client's bytes reach the guest");
	free(r);

	c2 = unix_client();
	run_loop(2);
	ok(c2 >= 0 && read(c2, buf, 1) == 0,
	   "unix console: a second client is refused (EOF)");
	if (c2 >= 0)
		close(c2);

	/*
	 * 2 MiB of output while the client reads slowly: once the socket
	 * and our buffer are full, transmit chains are held, and every byte
	 * arrives in order.
	 */
	fill_pattern(tx, total, 11);
	for (rounds = 0; got < total && rounds < 20000; rounds++) {
		unsigned int id, k;
		ssize_t n;

		clear();
		for (k = 0, id = 0; k < 32 && sent < total && id < 256; id++) {
			if (tx_busy[id])
				continue;
			tx_busy[id] = true;
			send_chain(DOM, DEV_UNIX, 1, id, tx + sent, chunk, 0);
			sent += chunk;
			k++;
		}
		run_loop(1);
		for (i = 0; i < nrecs; i++)
			if (recs[i].r.msg_id == VA_USED_CHAIN &&
			    get_le16(recs[i].r.payload) == 1)
				tx_busy[get_le16(recs[i].r.payload + 2)] = false;
		for (id = 0; id < 256; id++)
			held |= tx_busy[id];
		/* read slowly at first, so that everything fills */
		if (rounds < 50)
			continue;
		n = read(c, rx + got, MIN(total - got, 32768U));
		if (n > 0)
			got += n;
	}
	ok(held, "unix console: a client that does not read holds transmit chains");
	ok(got == total && !memcmp(rx, tx, total),
	   "unix console: 2 MiB of output arrive complete and in order");

	/* client gone: output is discarded, chains complete at once */
	close(c);
	run_loop(2);
	clear();
	send_chain(DOM, DEV_UNIX, 1, 0, (const uint8_t *)"lost", 4, 0);
	r = get_used(DOM, DEV_UNIX, 1, 0, 0, &len);
	ok(r && len == 0, "unix console: without a client, output is discarded");
	free(r);
	free(tx);
	free(rx);
}

/* A generic port: the MULTIPORT control handshake, then data. */
static void test_console_port(void)
{
	static const uint8_t ready[8] = { 0, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t port_ready[8] = { 0, 0, 0, 0, 3, 0, 1, 0 };
	const struct orec *o;
	uint8_t p[8], *r, *r2;
	uint32_t len = 0, len2 = 0, w0;

	o = request(DOM, 0, VA_GET_DEVICE_INFO, DEV_PORT, NULL, 0);
	ok(is_ok(o, sizeof(struct va_device_info)) &&
	   get_le32(o->r.payload + 16) == 4, "generic port: 4 queues");
	put_le32(p, 0);
	put_le32(p + 4, 1);
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_PORT, p, 8);
	w0 = o && o->r.len == 12 ? get_le32(o->r.payload + 8) : 0;
	ok(w0 & (1U << VIRTIO_CONSOLE_F_MULTIPORT), "generic port: MULTIPORT offered");

	clear();
	send_chain(DOM, DEV_PORT, 2, 0, NULL, 0, 4096);
	send_chain(DOM, DEV_PORT, 2, 1, NULL, 0, 4096);
	send_chain(DOM, DEV_PORT, 2, 2, NULL, 0, 4096);
	send_chain(DOM, DEV_PORT, 3, 0, ready, 8, 0);
	r = get_used(DOM, DEV_PORT, 2, 0, 4096, &len);
	ok(r && len == 8 && get_le32(r) == 0 && get_le16(r + 4) == 1,
	   "DEVICE_READY answered with PORT_ADD for port 0");
	free(r);
	clear();
	send_chain(DOM, DEV_PORT, 3, 1, port_ready, 8, 0);
	r = get_used(DOM, DEV_PORT, 2, 1, 4096, &len);
	r2 = get_used(DOM, DEV_PORT, 2, 2, 4096, &len2);
	ok(r && len == 8 + 10 && get_le16(r + 4) == 7 &&
	   !memcmp(r + 8, "org.test.0", 10) && r2 && len2 == 8 &&
	   get_le16(r2 + 4) == 6 && get_le16(r2 + 6) == 1,
	   "PORT_READY answered with PORT_NAME and PORT_OPEN");
	free(r);
	free(r2);
	clear();
	send_chain(DOM, DEV_PORT, 1, 0, (const uint8_t *)"ping", 4, 0);
	send_chain(DOM, DEV_PORT, 0, 0, NULL, 0, 64);
	r = get_used(DOM, DEV_PORT, 0, 0, 64, &len);
	ok(r && len == 4 && !memcmp(r, "ping", 4), "generic port echoes its data");
	free(r);
}

static void test_malformed(void)
{
	static struct msgb m;
	const struct orec *o;
	uint8_t p[16];
	uint8_t junk[5] = { 1, 2, 3, 4, 5 };
	uint32_t gen;

	clear();
	deliver(DOM, junk, sizeof(junk));
	ok(nrecs == 0, "truncated header: dropped, no reply");

	m.len = 0;
	put_le32(mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 7, 4), 42);
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 8, 4);
	put_le16(m.b + VA_HDR_SIZE + 4 + 6, 200);	/* msg_size past the end */
	put_le32(m.b + m.len - 4, 43);
	clear();
	deliver(DOM, m.b, m.len);
	ok(find_response(DOM, VA_BUS_PING, 0, 7) && !find_response(DOM, VA_BUS_PING, 0, 8) &&
	   nrecs == 1, "msg_size past the message: records before it served, the rest dropped");

	m.len = 0;
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 9, 0);
	put_le16(m.b + 6, 4);	/* msg_size below the header */
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 10, 4);
	clear();
	deliver(DOM, m.b, m.len);
	ok(nrecs == 0, "msg_size smaller than the header: it and the rest dropped");

	m.len = 0;
	put_le32(mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 10, 4), 1);
	clear();
	deliver_type(DOM, PORT, 0x12345678, m.b, m.len);
	ok(nrecs == 0 && nonce == 0, "message of another message_type: dropped");

	m.len = 0;
	mb_rec(&m, VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO, DEV_BLK, 11, 0);
	mb_rec(&m, 0, VA_EVENT_CONFIG, DEV_BLK, 13, 16);
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 0, 4);
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_ERROR, 0, 0, 12);
	clear();
	deliver(DOM, m.b, m.len);
	ok(nrecs == 0, "responses and events from a guest: ignored, nothing sent");

	/* a malformed request is dropped alone: the records after it count */
	m.len = 0;
	mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_BLK, 14, 2);
	mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_BLK, 15, 0);
	clear();
	deliver(DOM, m.b, m.len);
	ok(!find_response(DOM, VA_GET_DEVICE_STATUS, DEV_BLK, 14) &&
	   find_response(DOM, VA_GET_DEVICE_STATUS, DEV_BLK, 15) && nrecs == 1,
	   "a malformed request, then a good one: only the good one answered");

	m.len = 0;
	mb_rec(&m, 0x40, VA_GET_DEVICE_INFO, DEV_BLK, 12, 0);
	clear();
	deliver(DOM, m.b, m.len);
	o = find_response(DOM, VA_GET_DEVICE_INFO, DEV_BLK, 12);
	ok(is_ok(o, sizeof(struct va_device_info)) &&
	   o->r.type == VA_TYPE_RESPONSE,
	   "type bits 2-7 of a request are ignored: answered, with none in the answer");

	/* the chain of a device that does not exist */
	clear();
	m.len = 0;
	mb_chain(&m, 9, 0, 0, 0, 1, 0, 3, NULL, 0);
	deliver(DOM, m.b, m.len);
	ok(nrecs == 0, "AVAIL_CHAIN for unknown dev_num 9: ignored");

	/* wrong fragment offset: blk (DRIVER_OK) needs reset, says so */
	put_le32(p, 0);
	put_le32(p + 4, 4);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	gen = is_ok(o, 16) ? get_le32(o->r.payload) : 0xDEADBEEF;
	memset(p, 0, sizeof(p));
	clear();
	m.len = 0;
	mb_chain(&m, DEV_BLK, 0, 20, 16 + 1024, 1, 0, VA_CHAIN_FIRST, p, 16);
	mb_chain(&m, DEV_BLK, 0, 20, 16 + 1024, 1, 100, VA_CHAIN_LAST, p, 16);
	deliver(DOM, m.b, m.len);
	ok(nrecs == 1 && recs[0].r.type == 0 &&
	   recs[0].r.msg_id == VA_EVENT_CONFIG &&
	   recs[0].r.dev_num == DEV_BLK && recs[0].r.token == 0 &&
	   recs[0].r.len == sizeof(struct va_event_config) &&
	   get_le32(recs[0].r.payload) == (0xF | VIRTIO_CONFIG_S_NEEDS_RESET) &&
	   get_le32(recs[0].r.payload + 4) == gen + 1 &&
	   get_le32(recs[0].r.payload + 8) == 0 &&
	   get_le32(recs[0].r.payload + 12) == 0,
	   "wrong fragment offset: EVENT_CONFIG to the running driver (status with NEEDS_RESET, generation + 1, no data)");
	ok(get_status(DOM, DEV_BLK) == (0xF | VIRTIO_CONFIG_S_NEEDS_RESET),
	   "... and the status has DEVICE_NEEDS_RESET");
	ok(blk_req(DOM, DEV_BLK, 21, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, NULL) == 0xFF,
	   "... chains are ignored until the driver resets the device");
	ok(blk_req(DOM, DEV_BLK_RO, 3, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, NULL) ==
	   VIRTIO_BLK_S_OK, "... while the guest's other devices still work");
	o = set_status(DOM, DEV_BLK, 0);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 0 &&
	   blk_req(DOM, DEV_BLK, 21, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, NULL) == 0,
	   "reset (status 0) brings the device back");

	/* queue index out of range on a chain: rng needs reset */
	clear();
	m.len = 0;
	mb_chain(&m, DEV_RNG, 3, 0, 0, 16, 0, 3, NULL, 0);
	deliver(DOM, m.b, m.len);
	ok(nrecs == 0 && (get_status(DOM, DEV_RNG) & VIRTIO_CONFIG_S_NEEDS_RESET),
	   "AVAIL_CHAIN on queue 3 of rng: no reply, rng needs reset");
	set_status(DOM, DEV_RNG, 0);

	/* more chain rules */
	{
		static uint8_t big[VA_FRAG_MAX + 1];
		static const struct {
			const char *what;
			uint16_t id, flags;
			uint32_t out_len, in_len, off, dlen;
		} cases[] = {
			{ "chain id beyond the queue size", 300, 3, 16, 1, 0, 16 },
			{ "out_len over 16 MiB", 1, 3, VB_CHAIN_MAX + 1, 1, 0, 16 },
			{ "in_len over 16 MiB", 1, 3, 16, VB_CHAIN_MAX + 1, 0, 16 },
			{ "FIRST at an offset", 1, 3, 32, 1, 16, 16 },
			{ "continuation of no chain", 1, 2, 32, 1, 16, 16 },
			{ "LAST before out_len bytes", 1, 3, 32, 1, 0, 16 },
			{ "all bytes without LAST", 1, 1, 16, 1, 0, 16 },
			{ "fragment beyond out_len", 1, 3, 8, 1, 0, 16 },
			{ "unknown flags", 1, 0x13, 16, 1, 0, 16 },
			{ "HOLD (USED_CHAIN's only)", 1, 7, 16, 1, 0, 16 },
			{ "a fragment over VA_FRAG_MAX", 1, 3, VA_FRAG_MAX + 1,
			  1, 0, VA_FRAG_MAX + 1 },
			{ "truncated (19 bytes)", 1, 3, 0, 1, 0, 0 },
		};
		unsigned int i, good = 0;

		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			clear();
			m.len = 0;
			mb_chain(&m, DEV_BLK, 0, cases[i].id, cases[i].out_len,
				 cases[i].in_len, cases[i].off, cases[i].flags,
				 big, cases[i].dlen);
			if (!strncmp(cases[i].what, "truncated", 9)) {
				m.len--;
				put_le16(m.b + 6, VA_CHAIN_HDR_SIZE - 1);
			}
			deliver(DOM, m.b, m.len);
			if (nrecs == 0 && get_status(DOM, DEV_BLK) ==
			    VIRTIO_CONFIG_S_NEEDS_RESET)
				good++;
			else
				printf("# not refused: %s\n", cases[i].what);
			set_status(DOM, DEV_BLK, 0);
		}
		ok(good == ARRAY_SIZE(cases),
		   "chain rule violations each put the device in NEEDS_RESET (%u/%zu)",
		   good, ARRAY_SIZE(cases));

		/* the same chain id twice while outstanding */
		clear();
		m.len = 0;
		mb_chain(&m, DEV_BLK, 0, 30, 32, 1, 0, VA_CHAIN_FIRST, big, 16);
		mb_chain(&m, DEV_BLK, 0, 30, 32, 1, 0, VA_CHAIN_FIRST, big, 16);
		deliver(DOM, m.b, m.len);
		ok(get_status(DOM, DEV_BLK) == VIRTIO_CONFIG_S_NEEDS_RESET,
		   "a chain id offered twice: NEEDS_RESET");
		set_status(DOM, DEV_BLK, 0);
	}
}

/*
 * The payload size a well-formed request of (@type, @id) has, with its
 * counts 0, or -1: so that random records reach past the size checks.
 */
static int good_size(uint8_t type, uint8_t id)
{
	static const int8_t transport[] = {
		[VA_GET_DEVICE_INFO] = 0, [VA_GET_DEVICE_FEATURES] = 8,
		[VA_SET_DRIVER_FEATURES] = 8, [VA_GET_CONFIG] = 8,
		[VA_SET_CONFIG] = 12, [VA_GET_DEVICE_STATUS] = 0,
		[VA_SET_DEVICE_STATUS] = 4, [VA_GET_VQUEUE] = 4,
		[VA_SET_VQUEUE] = 40, [VA_RESET_VQUEUE] = 4, [VA_GET_SHM] = 4,
	};

	if (type & VA_TYPE_RESPONSE)
		return -1;
	if (type & VA_TYPE_BUS)
		return id == VA_BUS_CONNECT ? 16 :
		       id == VA_BUS_GET_DEVICES || id == VA_BUS_PING ? 4 : -1;
	if (id == VA_AVAIL_CHAIN)
		return 20;
	return id >= 2 && id < ARRAY_SIZE(transport) ? transport[id] : -1;
}

/* Another guest's garbage never touches guest 1's devices. */
static void test_isolation(void)
{
	static struct msgb m;
	uint32_t seed = 12345;
	unsigned int i, j, answered = 0, connected = 0;
	const struct orec *o;
	uint32_t before;

	set_status(DOM, DEV_CON, 0x3);
	before = get_status(DOM, DEV_CON);
	for (i = 0; i < 3000; i++) {
		m.len = 0;
		for (j = 0; j < 1 + i % 5; j++) {
			uint8_t type, id, *p;
			uint32_t plen;
			unsigned int k;
			int good;

			seed = seed * 1103515245 + 12345;
			type = (seed >> 4) % 3 ? 0 : (seed >> 6) & 7;
			/* ids: defined ones, CONNECT, the chains' */
			id = (seed >> 16) % 3 ? (seed >> 24) % 13 :
			     ((seed >> 22) & 1 ? 0xC0 : 0x80) |
			     ((seed >> 20) & 3);
			plen = (seed >> 8) % (i % 7 ? 40 : 300);
			/* half the time, the size the id needs */
			good = good_size(type, id);
			if (good >= 0 && (seed & 0x100))
				plen = good + (id == VA_AVAIL_CHAIN ? plen : 0);
			p = mb_rec(&m, type, id, (seed >> 12) % 7, i, plen);
			for (k = 0; k < plen; k++) {
				seed = seed * 1103515245 + 12345;
				p[k] = (seed >> 16) % 5 ? (seed >> 24) & 3 :
				       seed >> 24;
			}
			if (plen >= 20 && (seed & 1)) {
				/* a plausible chain header now and then */
				put_le32(p + 4, plen - 20 + (seed & 2));
				put_le32(p + 12, 0);
				put_le16(p + 16, 3);
			}
			if (plen == 16 && (seed & 4)) {
				/* a plausible CONNECT now and then */
				put_le32(p, 1);
				put_le32(p + 4, 1024 + (seed >> 20));
			}
			if (type == 0 && id == VA_SET_DRIVER_FEATURES && plen == 8)
				put_le32(p + 4, 0);
			if (type == 0 && id == VA_SET_CONFIG && plen == 12)
				put_le32(p + 8, 0);
		}
		if (i % 11 == 0)
			m.len -= (seed >> 3) % (m.len + 1);
		clear();
		deliver(DOM2, m.b, m.len);
		answered += nrecs;
		connected += guest_find(&be, DOM2) &&
			     guest_find(&be, DOM2)->connected;
	}
	printf("# guest 2: %u records sent, connected after %u of 3000 messages\n",
	       answered, connected);
	ok(bad_records == 0 && answered > 1000,
	   "3000 random messages from guest 2: %u records sent back, every one well-formed%s%s",
	   answered, bad_records ? ": " : "", bad_why);
	ok(before == 3 && get_status(DOM, DEV_CON) == before,
	   "guest 1's console status untouched by guest 2");
	o = request(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, "1234", 4);
	ok(is_ok(o, 4), "guest 1 still served");
}

static void test_transport(void)
{
	struct guest *g;
	const struct orec *o;
	uint8_t p[8] = { 0 };

	/* a full ring: output waits, in order, until the ring has room */
	send_result = -EAGAIN;
	o = request(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, p, 4);
	g = guest_find(&be, DOM);
	ok(!o && ncap == 0 && g && g->blocked && g->out.bytes,
	   "ring full (EAGAIN): the reply is queued, the guest blocked");
	send_result = 0;
	backend_flush(&be);
	ok(ncap == 0, "nothing is sent until the transport unblocks the guest");
	g->blocked = false;
	backend_flush(&be);
	ok(nrecs == 1 && recs[0].r.msg_id == VA_BUS_PING && !g->out.bytes,
	   "unblocked: the queued reply goes out");

	/* the guest's ring is gone */
	guest_up(DOM2, VA_F_KNOWN);
	send_result = -ECONNREFUSED;
	request(DOM2, VA_TYPE_BUS, VA_BUS_PING, 0, p, 4);
	ok(!guest_find(&be, DOM2), "ECONNREFUSED: guest 2's state is dropped");
	send_result = 0;

	/* guest 1 reappears from another port: fresh state, CONNECT first */
	set_status(DOM, DEV_BLK, 3);
	clear();
	{
		static struct msgb m;

		m.len = 0;
		mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_BLK, 1, 0);
		mb_connect(&m, 2, VA_REVISION, VA_SIZE_MAX, VA_F_KNOWN);
		mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_BLK, 3, 0);
		deliver_type(DOM, PORT + 1, VA_MSG_TYPE, m.b, m.len);
	}
	o = find_response(DOM, VA_GET_DEVICE_STATUS, DEV_BLK, 3);
	ok(!find_response(DOM, VA_GET_DEVICE_STATUS, DEV_BLK, 1) &&
	   connect_is(find_response(DOM, VA_BUS_CONNECT, 0, 2), VA_REVISION,
		      VA_SIZE_MAX, VB_BUS_FEATURES) &&
	   is_ok(o, 4) && get_le32(o->r.payload) == 0 && nrecs == 2,
	   "a guest talking from a new port starts afresh: not served before its CONNECT, then status 0");
}

/*
 * Hot-unplug and plug back (the backend's SIGUSR1/SIGUSR2): EVENT_DEVICE
 * to the guests that completed CONNECT, none to one that did not, and
 * the device out of GET_DEVICES and answered ENODEV meanwhile.
 */
static void test_hotplug(void)
{
	const size_t gd = sizeof(struct va_get_devices_resp);
	const struct orec *o;
	static struct msgb m;
	uint8_t p[8];
	size_t i;
	bool removed = false, ready = false;

	clear();
	m.len = 0;
	mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_PORT, 1, 0);
	deliver(DOM_HOT, m.b, m.len);
	ok(guest_find(&be, DOM_HOT) && nrecs == 0,
	   "guest 35 sent a request but no CONNECT");
	clear();
	backend_hotplug(&be, false);
	backend_flush(&be);
	for (i = 0; i < nrecs; i++)
		if (recs[i].domid == DOM)
			removed = recs[i].r.type == VA_TYPE_BUS &&
				  recs[i].r.msg_id == VA_BUS_EVENT_DEVICE &&
				  !recs[i].r.dev_num && !recs[i].r.token &&
				  recs[i].r.len == 4 &&
				  get_le16(recs[i].r.payload) == DEV_PORT &&
				  get_le16(recs[i].r.payload + 2) ==
				  VA_DEVICE_REMOVED;
	ok(removed && count_from(DOM) == 1 && count_from(99) == 1 &&
	   count_from(DOM_HOT) == 0,
	   "unplug device 7: EVENT_DEVICE REMOVED to each connected guest, none to guest 35");
	put_le16(p, 0);
	put_le16(p + 2, 8);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, gd + 1) && o->r.payload[gd] == 0x5E,
	   "... GET_DEVICES no longer lists it");
	o = request(DOM, 0, VA_GET_DEVICE_INFO, DEV_PORT, NULL, 0);
	ok(is_ok(o, sizeof(struct va_device_info)) && !get_le32(o->r.payload),
	   "... GET_DEVICE_INFO of it: all zeros");
	ok(is_error(request(DOM, 0, VA_GET_DEVICE_STATUS, DEV_PORT, NULL, 0),
		    ENODEV), "... GET_DEVICE_STATUS of it: ERROR ENODEV");
	clear();
	send_chain(DOM, DEV_PORT, 0, 0, NULL, 0, 64);
	ok(nrecs == 0, "... a chain for it: ignored");

	clear();
	backend_hotplug(&be, true);
	backend_flush(&be);
	for (i = 0; i < nrecs; i++)
		if (recs[i].domid == DOM)
			ready = recs[i].r.msg_id == VA_BUS_EVENT_DEVICE &&
				get_le16(recs[i].r.payload) == DEV_PORT &&
				get_le16(recs[i].r.payload + 2) ==
				VA_DEVICE_READY;
	ok(ready && count_from(DOM_HOT) == 0,
	   "plug it back: EVENT_DEVICE READY, again only to connected guests");
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, gd + 1) && o->r.payload[gd] == 0xDE &&
	   get_status(DOM, DEV_PORT) == 0,
	   "... listed again, a fresh instance (status 0)");
}

/* ---- virtio-net, on TAPs in a network namespace of our own ---- */

#define ETH_P_TEST	0x88B5	/* IEEE local experimental EtherType */
#define NET_HDR		12U	/* struct virtio_net_hdr_v1 */
#define F(bit)		(1ULL << (bit))

static void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - virtio-net # SKIP ", ++testno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0)
		printf("# %s: %s\n", path, strerror(errno));
	close(fd);
}

static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -1;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	r = ioctl(s, req, ifr);
	close(s);
	return r;
}

static short if_get_flags(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	return if_ioctl(name, SIOCGIFFLAGS, &ifr) ? -1 : ifr.ifr_flags;
}

static int if_set_up(const char *name, bool up)
{
	struct ifreq ifr;
	short fl = if_get_flags(name);

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = up ? fl | IFF_UP : fl & ~IFF_UP;
	return fl == -1 ? -1 : if_ioctl(name, SIOCSIFFLAGS, &ifr);
}

static int if_mtu(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	return if_ioctl(name, SIOCGIFMTU, &ifr) ? -1 : ifr.ifr_mtu;
}

/* ETHTOOL_GTXCSUM, ETHTOOL_GTSO: is that offload on? (-1: error) */
static int if_offload(const char *name, uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_data = (void *)&ev;
	return if_ioctl(name, SIOCETHTOOL, &ifr) ? -1 : (int)ev.data;
}

/* A packet socket on @name for our EtherType (what enters the interface). */
static int pkt_open(const char *name)
{
	struct sockaddr_ll a;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_TEST));

	memset(&a, 0, sizeof(a));
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(ETH_P_TEST);
	a.sll_ifindex = if_nametoindex(name);
	if (fd >= 0 && (!a.sll_ifindex || bind(fd, (struct sockaddr *)&a,
						sizeof(a)))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Send @frame out of @name: the TAP hands it to the backend. */
static bool pkt_send(int fd, const char *name, const uint8_t *frame,
		     uint32_t len)
{
	struct sockaddr_ll a;

	memset(&a, 0, sizeof(a));
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(ETH_P_TEST);
	a.sll_ifindex = if_nametoindex(name);
	a.sll_halen = ETH_ALEN;
	memcpy(a.sll_addr, frame, ETH_ALEN);
	return sendto(fd, frame, len, 0, (struct sockaddr *)&a, sizeof(a)) ==
	       (ssize_t)len;
}

/* Receive one frame within ~2 s of loop rounds; its length or -1. */
static ssize_t pkt_recv(int fd, uint8_t *buf, size_t len)
{
	int i;

	for (i = 0; i < 400; i++) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n >= 0)
			return n;
		run_loop(1);
	}
	return -1;
}

/* An Ethernet frame of @len bytes: @dst, @src, ETH_P_TEST, a pattern. */
static void make_frame(uint8_t *f, uint32_t len, const uint8_t *dst,
		       const uint8_t *src, unsigned int seed)
{
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	f[12] = ETH_P_TEST >> 8;
	f[13] = ETH_P_TEST & 0xFF;
	fill_pattern(f + 14, len - 14, seed);
}

static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t host_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };

/* Wait for the USED_CHAIN of (dev, vq, id) without clearing captures. */
static uint8_t *wait_used(uint16_t dom, uint16_t dev, uint16_t vq,
			  uint16_t id, uint32_t in_len, uint32_t *len)
{
	int i;

	for (i = 0; i < 400; i++) {
		uint8_t *r = get_used(dom, dev, vq, id, in_len, len);

		if (r)
			return r;
		run_loop(1);
	}
	return NULL;
}

static bool any_used(uint16_t dom, uint16_t dev, uint16_t vq)
{
	size_t i;

	for (i = 0; i < nrecs; i++)
		if (recs[i].domid == dom && !recs[i].r.type &&
		    recs[i].r.msg_id == VA_USED_CHAIN &&
		    recs[i].r.dev_num == dev && get_le16(recs[i].r.payload) == vq)
			return true;
	return false;
}

static unsigned int count_events(uint16_t dom, uint16_t dev)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < nrecs; i++)
		n += recs[i].domid == dom && !recs[i].r.type &&
		     recs[i].r.msg_id == VA_EVENT_CONFIG &&
		     recs[i].r.dev_num == dev;
	return n;
}

/* The whole config space of a net device, and its generation. */
static bool net_config(uint16_t dom, uint16_t dev, uint8_t *cfg,
		       uint32_t *gen)
{
	const uint32_t size = sizeof(struct virtio_net_config);
	const struct orec *o;
	uint8_t p[8];

	put_le32(p, 0);
	put_le32(p + 4, size);
	o = request(dom, 0, VA_GET_CONFIG, dev, p, 8);
	if (!is_ok(o, 12 + size))
		return false;
	if (gen)
		*gen = get_le32(o->r.payload);
	memcpy(cfg, o->r.payload + 12, size);
	return true;
}

/* The driver's start: ACKNOWLEDGE|DRIVER, @features, FEATURES_OK, DRIVER_OK. */
static uint32_t net_driver_start(uint16_t dom, uint16_t dev, uint64_t features)
{
	uint8_t p[16];

	set_status(dom, dev, 0);
	set_status(dom, dev, 3);
	put_le32(p, 0);
	put_le32(p + 4, 2);
	put_le32(p + 8, (uint32_t)features);
	put_le32(p + 12, (uint32_t)(features >> 32));
	request(dom, 0, VA_SET_DRIVER_FEATURES, dev, p, 16);
	set_status(dom, dev, 0xB);
	return req32(dom, VA_SET_DEVICE_STATUS, dev, 0xF, NULL);
}

/* A transmit chain: a header (gso, flags) and @frame. */
static void net_tx(uint16_t dom, uint16_t dev, uint16_t id, uint8_t flags,
		   uint8_t gso, const uint8_t *frame, uint32_t len)
{
	uint8_t *c = calloc(1, NET_HDR + len);

	c[0] = flags;
	c[1] = gso;
	if (gso)
		put_le16(c + 4, 1400);
	memcpy(c + NET_HDR, frame, len);
	send_chain(dom, dev, 1, id, c, NET_HDR + len, 0);
	free(c);
}

static bool hdr_is(const uint8_t *r, uint16_t num_buffers)
{
	static const uint8_t zero[10];

	return !memcmp(r, zero, 10) && get_le16(r + 10) == num_buffers;
}

/*
 * Guest @dom's driver connects, with HOLD (virtio-argo.ko offers it): its
 * first message makes its TAPs.
 */
static void net_connect(uint16_t dom)
{
	if (!guest_up(dom, VA_F_KNOWN))
		printf("# guest %u: CONNECT failed\n", dom);
}

/* A request from guest @dom, for a reply the transport may then refuse. */
static void poke(uint16_t dom)
{
	uint8_t p[4] = { 0 };

	request(dom, VA_TYPE_BUS, VA_BUS_PING, 0, p, 4);
}

static void test_net_device(void)
{
	const uint64_t feats = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) |
			       F(VIRTIO_NET_F_STATUS) |
			       F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) |
			       F(VIRTIO_NET_F_GUEST_CSUM) |
			       F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_MTU);
	const uint32_t w0 = F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
			    F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_MAC) |
			    F(VIRTIO_NET_F_GUEST_TSO4) |
			    F(VIRTIO_NET_F_GUEST_TSO6) |
			    F(VIRTIO_NET_F_HOST_TSO4) |
			    F(VIRTIO_NET_F_HOST_TSO6) |
			    F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_STATUS) |
			    F(VIRTIO_RING_F_INDIRECT_DESC) |
			    F(VIRTIO_RING_F_EVENT_IDX);
	static const uint8_t mac20[ETH_ALEN] = { 0x02, 0x41, 0x52, 0x47, 0x00,
						 NDOM };
	uint8_t cfg[64], p[8], frame[1500], got[2048], *r, *r2;
	const struct orec *o;
	uint32_t len = 0, len2 = 0;
	int fd;
	ssize_t n;

	net_connect(NDOM);
	ok(if_nametoindex("vt20") && (if_get_flags("vt20") & IFF_UP) &&
	   if_mtu("vt20") == 1400,
	   "net: guest 20 connects: tap vt20 is created, up, mtu 1400");

	/* device 8 and on: GET_DEVICES goes on to the next window */
	put_le16(p, 0);
	put_le16(p + 2, 8);
	o = request(NDOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, sizeof(struct va_get_devices_resp) + 1) &&
	   get_le16(o->r.payload + 4) == 8 && o->r.payload[6] == 0x9E,
	   "net: GET_DEVICES 0+8 for guest 20: devices 1-4 and 7, next_offset 8");
	put_le16(p, 8);
	o = request(NDOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(is_ok(o, sizeof(struct va_get_devices_resp) + 1) &&
	   get_le16(o->r.payload) == 8 && get_le16(o->r.payload + 4) == 0 &&
	   o->r.payload[6] == 0x01,
	   "net: ...8+8: device 8 (9-12 are other guests'), next_offset 0");
	o = request(NDOM, 0, VA_GET_DEVICE_INFO, DEV_NET, NULL, 0);
	ok(is_ok(o, sizeof(struct va_device_info)) &&
	   get_le32(o->r.payload) == VIRTIO_ID_NET &&
	   get_le32(o->r.payload + 12) == sizeof(struct virtio_net_config) &&
	   get_le32(o->r.payload + 16) == 2,
	   "net: GET_DEVICE_INFO: id 1, config %zu bytes, 2 queues",
	   sizeof(struct virtio_net_config));
	put_le32(p, 0);
	put_le32(p + 4, 2);
	o = request(NDOM, 0, VA_GET_DEVICE_FEATURES, DEV_NET, p, 8);
	ok(is_ok(o, 16) && get_le32(o->r.payload + 8) == w0 &&
	   get_le32(o->r.payload + 12) == 1,
	   "net: HOLD agreed: features %#x:%#x (CSUM, GUEST_CSUM, MTU, MAC, TSO4/6 both ways, MRG_RXBUF, STATUS)",
	   w0, 1);
	ok(net_config(NDOM, DEV_NET, cfg, NULL) && !memcmp(cfg, mac20, 6) &&
	   get_le16(cfg + 6) == VIRTIO_NET_S_LINK_UP && get_le16(cfg + 8) == 1 &&
	   get_le16(cfg + 10) == 1400,
	   "net: config: mac 02:41:52:47:00:14 (the domid), LINK_UP, 1 pair, mtu 1400");
	ok(if_offload("vt20", ETHTOOL_GTXCSUM) == 0 &&
	   if_offload("vt20", ETHTOOL_GTSO) == 0,
	   "net: no offload on the TAP before DRIVER_OK");
	ok(net_driver_start(NDOM, DEV_NET, feats) == 0xF &&
	   if_offload("vt20", ETHTOOL_GTXCSUM) == 1 &&
	   if_offload("vt20", ETHTOOL_GTSO) == 1,
	   "net: DRIVER_OK with GUEST_CSUM and GUEST_TSO4: the TAP's checksum and TSO offloads on");

	/* transmit */
	fd = pkt_open("vt20");
	make_frame(frame, 60, bcast, mac20, 1);
	clear();
	net_tx(NDOM, DEV_NET, 1, 0, 0, frame, 60);
	r = get_used(NDOM, DEV_NET, 1, 1, 0, &len);
	n = pkt_recv(fd, got, sizeof(got));
	ok(r && len == 0 && n == 60 && !memcmp(got, frame, 60),
	   "net: a transmit chain completes (used 0) and its 60-byte frame leaves the TAP");
	free(r);

	/* malformed transmit chains: completed, nothing sent */
	clear();
	send_chain(NDOM, DEV_NET, 1, 2, frame, 5, 0);
	net_tx(NDOM, DEV_NET, 3, 0, 0, frame, 10);
	net_tx(NDOM, DEV_NET, 4, 0, VIRTIO_NET_HDR_GSO_TCPV6, frame, 60);
	net_tx(NDOM, DEV_NET, 5, VIRTIO_NET_HDR_F_DATA_VALID, 0, frame, 60);
	{
		uint8_t *big = calloc(1, 70000);

		make_frame(big, 70000, bcast, mac20, 2);
		net_tx(NDOM, DEV_NET, 6, 0, 0, big, 70000);
		free(big);
	}
	make_frame(frame, 64, bcast, mac20, 3);
	net_tx(NDOM, DEV_NET, 7, 0, 0, frame, 64);
	{
		unsigned int id, done = 0;

		for (id = 2; id <= 7; id++) {
			r = get_used(NDOM, DEV_NET, 1, id, 0, &len);
			done += r && len == 0;
			free(r);
		}
		n = pkt_recv(fd, got, sizeof(got));
		ok(done == 6 && n == 64 && !memcmp(got, frame, 64) &&
		   !devinst_broken(guest_find(&be, NDOM)->inst[DEV_NET]),
		   "net: 5 malformed transmit chains (5 bytes, short frame, TSO6 not negotiated, DATA_VALID, 70000 bytes) completed and dropped; the next frame is the first out");
	}

	/* receive: a chain held until a frame comes */
	clear();
	send_chain(NDOM, DEV_NET, 0, 0, NULL, 0, 2048);
	run_loop(2);
	ok(!any_used(NDOM, DEV_NET, 0), "net: a receive chain is held while no frame comes");
	make_frame(frame, 100, mac20, host_mac, 4);
	pkt_send(fd, "vt20", frame, 100);
	r = wait_used(NDOM, DEV_NET, 0, 0, 2048, &len);
	ok(r && len == NET_HDR + 100 && hdr_is(r, 1) &&
	   !memcmp(r + NET_HDR, frame, 100) &&
	   !(used_last_flags(NDOM, DEV_NET, 0, 0) & VA_CHAIN_HOLD),
	   "net: a frame sent to the TAP completes it: header (num_buffers 1) and the 100 bytes, no HOLD");
	free(r);

	/* a frame with no receive chain waits in the TAP */
	clear();
	make_frame(frame, 200, mac20, host_mac, 5);
	pkt_send(fd, "vt20", frame, 200);
	run_loop(5);
	send_chain(NDOM, DEV_NET, 0, 1, NULL, 0, 2048);
	r = wait_used(NDOM, DEV_NET, 0, 1, 2048, &len);
	ok(r && len == NET_HDR + 200 && hdr_is(r, 1) &&
	   !memcmp(r + NET_HDR, frame, 200),
	   "net: a frame arriving with no receive chain is delivered when one comes");
	free(r);

	/* mergeable: 1412 bytes over two chains of 1024 */
	clear();
	send_chain(NDOM, DEV_NET, 0, 2, NULL, 0, 1024);
	make_frame(frame, 1400, mac20, host_mac, 6);
	pkt_send(fd, "vt20", frame, 1400);
	run_loop(5);
	ok(!any_used(NDOM, DEV_NET, 0),
	   "net: a 1400-byte frame does not fit one 1024-byte chain: it waits");
	send_chain(NDOM, DEV_NET, 0, 3, NULL, 0, 1024);
	r = wait_used(NDOM, DEV_NET, 0, 2, 1024, &len);
	r2 = get_used(NDOM, DEV_NET, 0, 3, 1024, &len2);
	ok(r && r2 && len == 1024 && len2 == NET_HDR + 1400 - 1024 &&
	   hdr_is(r, 2) && !memcmp(r + NET_HDR, frame, 1024 - NET_HDR) &&
	   !memcmp(r2, frame + 1024 - NET_HDR, len2),
	   "net: ...a second chain comes: the frame spans both, num_buffers 2");
	ok((used_last_flags(NDOM, DEV_NET, 0, 2) & VA_CHAIN_HOLD) &&
	   !(used_last_flags(NDOM, DEV_NET, 0, 3) & VA_CHAIN_HOLD),
	   "net: ...the first chain is held (HOLD), the last ends the group");
	free(r);
	free(r2);

	/* reset with a frame waiting: dropped, the TAP kept, no offload */
	clear();
	send_chain(NDOM, DEV_NET, 0, 4, NULL, 0, 1024);
	pkt_send(fd, "vt20", frame, 1400);
	run_loop(5);
	o = set_status(NDOM, DEV_NET, 0);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 0 &&
	   if_nametoindex("vt20") &&
	   if_offload("vt20", ETHTOOL_GTXCSUM) == 0,
	   "net: reset with a frame waiting: the TAP stays, its offloads off");
	net_driver_start(NDOM, DEV_NET, feats);
	clear();
	send_chain(NDOM, DEV_NET, 0, 4, NULL, 0, 2048);
	make_frame(frame, 80, mac20, host_mac, 7);
	pkt_send(fd, "vt20", frame, 80);
	r = wait_used(NDOM, DEV_NET, 0, 4, 2048, &len);
	ok(r && len == NET_HDR + 80 && !memcmp(r + NET_HDR, frame, 80),
	   "net: after the reset the device works again");
	free(r);

	/* RESET_VQUEUE of the receive queue under a waiting frame */
	clear();
	send_chain(NDOM, DEV_NET, 0, 5, NULL, 0, 1024);
	make_frame(frame, 1400, mac20, host_mac, 12);
	pkt_send(fd, "vt20", frame, 1400);
	run_loop(5);
	req32(NDOM, VA_RESET_VQUEUE, DEV_NET, 0, &o);
	ok(is_ok(o, 0) && !any_used(NDOM, DEV_NET, 0),
	   "net: RESET_VQUEUE 0 drops the held chain under a waiting frame");
	clear();
	send_chain(NDOM, DEV_NET, 0, 6, NULL, 0, 2048);
	r = wait_used(NDOM, DEV_NET, 0, 6, 2048, &len);
	ok(r && len == NET_HDR + 1400 && hdr_is(r, 1) &&
	   !memcmp(r + NET_HDR, frame, 1400),
	   "net: ...the frame goes to the next chain that comes");
	free(r);
	close(fd);

	/* a receive buffer that cannot hold the header */
	clear();
	send_chain(NDOM, DEV_NET, 0, 5, NULL, 0, 8);
	ok(get_status(NDOM, DEV_NET) == (0xF | VIRTIO_CONFIG_S_NEEDS_RESET),
	   "net: a receive buffer of 8 bytes: DEVICE_NEEDS_RESET");
	net_driver_start(NDOM, DEV_NET, feats);
}

/* Without MRG_RXBUF, a frame must fit the first buffer. */
static void test_net_nomerge(void)
{
	static const uint8_t mac21[ETH_ALEN] = { 0x02, 0x41, 0x52, 0x47, 0x00,
						 NDOM_NOBR };
	uint8_t frame[256], *r;
	uint32_t len = 0;
	int fd;

	uint8_t p[8];
	const struct orec *o;
	uint32_t w0;

	put_le32(p, 0);
	put_le32(p + 4, 1);
	o = request(NDOM_NOBR, 0, VA_GET_DEVICE_FEATURES, DEV_NET, p, 8);
	w0 = is_ok(o, 12) ? get_le32(o->r.payload + 8) : 0;
	ok(w0 && !(w0 & F(VIRTIO_NET_F_MRG_RXBUF)) &&
	   (w0 & F(VIRTIO_NET_F_MAC)) && (w0 & F(VIRTIO_NET_F_STATUS)),
	   "net: guest 21 did not agree HOLD: MRG_RXBUF is not offered (features %#x)",
	   w0);
	ok(net_driver_start(NDOM_NOBR, DEV_NET,
			    F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) |
			    F(VIRTIO_NET_F_MRG_RXBUF)) == 0x7,
	   "net: ...and FEATURES_OK is refused to a driver that takes it anyway");
	ok(net_driver_start(NDOM_NOBR, DEV_NET,
			    F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC)) == 0xF,
	   "net: guest 21 starts its device without MRG_RXBUF or offloads");
	fd = pkt_open("vt21");
	clear();
	send_chain(NDOM_NOBR, DEV_NET, 0, 0, NULL, 0, 128);
	make_frame(frame, 200, mac21, host_mac, 8);
	pkt_send(fd, "vt21", frame, 200);
	run_loop(5);
	make_frame(frame, 60, mac21, host_mac, 9);
	pkt_send(fd, "vt21", frame, 60);
	r = wait_used(NDOM_NOBR, DEV_NET, 0, 0, 128, &len);
	ok(r && len == NET_HDR + 60 && hdr_is(r, 1) &&
	   !memcmp(r + NET_HDR, frame, 60),
	   "net: a 200-byte frame is dropped for a 128-byte buffer, which takes the next, 60-byte one");
	free(r);
	close(fd);
}

/* An rtnetlink link request (`ip link ...`): did the kernel accept it? */
struct nl_link_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	uint8_t attrs[64];
};

static void nl_attr(struct nl_link_req *req, uint16_t type, const void *data,
		    uint16_t len)
{
	struct rtattr *rta = (struct rtattr *)((uint8_t *)req +
					       NLMSG_ALIGN(req->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) +
			    RTA_ALIGN(rta->rta_len);
}

static bool nl_link(struct nl_link_req *req, uint16_t type, uint16_t flags)
{
	struct sockaddr_nl sa;
	uint8_t buf[1024] __attribute__((aligned(4)));
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	bool done = false;

	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	req->nh.nlmsg_type = type;
	req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req->ifi.ifi_family = AF_UNSPEC;
	if (fd >= 0 && sendto(fd, req, req->nh.nlmsg_len, 0,
			      (struct sockaddr *)&sa, sizeof(sa)) ==
	    (ssize_t)req->nh.nlmsg_len) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		done = n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
		       nh->nlmsg_type == NLMSG_ERROR &&
		       !((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
	}
	if (fd >= 0)
		close(fd);
	return done;
}

/* `ip link del NAME` */
static bool if_delete(const char *name)
{
	struct nl_link_req req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.ifi.ifi_index = if_nametoindex(name);
	return req.ifi.ifi_index && nl_link(&req, RTM_DELLINK, 0);
}

/*
 * The administrator deletes guest 21's TAP: link down; what it sends is
 * dropped; the driver's reset and restart make a new TAP.
 */
static void test_net_deleted(void)
{
	uint8_t cfg[64], frame[60], *r;
	uint32_t len = 0;
	unsigned int i;
	bool down;

	clear();
	ok(if_delete("vt21"), "net: ip link del vt21 (guest 21's TAP)");
	for (i = 0; i < 400 && !count_events(NDOM_NOBR, DEV_NET); i++)
		run_loop(1);
	down = count_events(NDOM_NOBR, DEV_NET) == 1 &&
	       net_config(NDOM_NOBR, DEV_NET, cfg, NULL) &&
	       get_le16(cfg + 6) == 0;
	make_frame(frame, 60, bcast, cfg, 11);
	clear();
	net_tx(NDOM_NOBR, DEV_NET, 0, 0, 0, frame, 60);
	r = get_used(NDOM_NOBR, DEV_NET, 1, 0, 0, &len);
	ok(down && r && len == 0,
	   "net: ...EVENT_CONFIG, link down, and a transmitted frame is completed (dropped)");
	free(r);
	net_driver_start(NDOM_NOBR, DEV_NET,
			 F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC));
	ok(if_nametoindex("vt21") && net_config(NDOM_NOBR, DEV_NET, cfg, NULL) &&
	   get_le16(cfg + 6) == VIRTIO_NET_S_LINK_UP &&
	   get_status(NDOM_NOBR, DEV_NET) == 0xF,
	   "net: ...the driver's reset and restart open a new vt21, link up");
}

/* guest 21's device on a bridge that does not exist */
static void test_net_nobridge(void)
{
	const struct orec *o;

	ok(get_status(NDOM_NOBR, DEV_NET_NOBR) == VIRTIO_CONFIG_S_NEEDS_RESET &&
	   !if_nametoindex("vb21"),
	   "net: bridge= a bridge that does not exist: the instance needs reset, its TAP is gone");
	set_status(NDOM_NOBR, DEV_NET_NOBR, 0);
	o = set_status(NDOM_NOBR, DEV_NET_NOBR, 1);
	ok(is_ok(o, 4) && get_le32(o->r.payload) ==
	   (1 | VIRTIO_CONFIG_S_NEEDS_RESET),
	   "net: the driver's reset and restart try again, and fail again");
}

static void test_net_link(void)
{
	uint8_t cfg[64];
	uint32_t gen0 = 0, gen1 = 0, gen2 = 0;
	unsigned int i;
	bool down, up;

	net_config(NDOM, DEV_NET, cfg, &gen0);
	clear();
	if_set_up("vt20", false);
	for (i = 0; i < 400 && !count_events(NDOM, DEV_NET); i++)
		run_loop(1);
	down = count_events(NDOM, DEV_NET) == 1 &&
	       net_config(NDOM, DEV_NET, cfg, &gen1) &&
	       get_le16(cfg + 6) == 0 && gen1 > gen0;
	ok(down, "net: ip link set vt20 down: EVENT_CONFIG, status without LINK_UP, generation %u -> %u",
	   gen0, gen1);
	clear();
	if_set_up("vt20", true);
	for (i = 0; i < 400 && !count_events(NDOM, DEV_NET); i++)
		run_loop(1);
	up = count_events(NDOM, DEV_NET) == 1 &&
	     net_config(NDOM, DEV_NET, cfg, &gen2) &&
	     get_le16(cfg + 6) == VIRTIO_NET_S_LINK_UP && gen2 > gen1;
	ok(up, "net: ... and up: EVENT_CONFIG, LINK_UP again (generation %u)",
	   gen2);

	/*
	 * The link changes after the driver read the config but before
	 * DRIVER_OK (no event then): DRIVER_OK brings the event.
	 */
	set_status(NDOM, DEV_NET, 0);
	if_set_up("vt20", false);
	for (i = 0, down = false; i < 400 && !down; i++) {
		down = net_config(NDOM, DEV_NET, cfg, NULL) &&
		       get_le16(cfg + 6) == 0;
		if (!down)
			run_loop(1);
	}
	if_set_up("vt20", true);
	run_loop(20);
	clear();
	net_driver_start(NDOM, DEV_NET,
			 F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_STATUS));
	ok(down && count_events(NDOM, DEV_NET) == 1 &&
	   net_config(NDOM, DEV_NET, cfg, NULL) &&
	   get_le16(cfg + 6) == VIRTIO_NET_S_LINK_UP,
	   "net: link up again between the driver's config read and DRIVER_OK: EVENT_CONFIG at DRIVER_OK");
}

/* guest 22: a fixed MAC, the TAP on bridge tbr0 */
static void test_net_bridge(bool have_bridge)
{
	static const uint8_t mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34,
					       0x56 };
	uint8_t cfg[64], frame[64], got[128], *r;
	uint32_t len = 0;
	ssize_t n;
	int fd;

	net_connect(NDOM_BR);
	if (!have_bridge) {
		printf("ok %d - net: bridge # SKIP no bridge support\n", ++testno);
		return;
	}
	ok(get_status(NDOM_BR, DEV_NET_BR) == 0 &&
	   net_config(NDOM_BR, DEV_NET_BR, cfg, NULL) && !memcmp(cfg, mac, 6),
	   "net: a device for one guest: its mac=52:54:00:12:34:56 as given");
	net_driver_start(NDOM_BR, DEV_NET_BR,
			 F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF));
	fd = pkt_open("tbr0");
	make_frame(frame, 64, bcast, mac, 10);
	clear();
	net_tx(NDOM_BR, DEV_NET_BR, 0, 0, 0, frame, 64);
	r = get_used(NDOM_BR, DEV_NET_BR, 1, 0, 0, &len);
	n = pkt_recv(fd, got, sizeof(got));
	ok(r && n == 64 && !memcmp(got, frame, 64),
	   "net: bridge=tbr0: the guest's frame reaches the bridge");
	free(r);
	close(fd);
}

/* guest 23: the persistent TAP vp0 is attached to, and outlives it */
static void test_net_persistent(bool made)
{
	static const uint8_t mac[ETH_ALEN] = { 0x02, 0x41, 0x52, 0x47, 0, 0 };
	uint8_t cfg[64];
	unsigned int i;
	bool got;

	if (!made) {
		printf("ok %d - net: persistent tap # SKIP could not make vp0\n",
		       ++testno);
		return;
	}
	net_connect(NDOM_PERS);
	/* its carrier comes a moment later (linkwatch), through netlink */
	for (i = 0, got = false; i < 400 && !got; i++) {
		got = net_config(NDOM_PERS, DEV_NET_PERS, cfg, NULL) &&
		      get_le16(cfg + 6) == VIRTIO_NET_S_LINK_UP;
		if (!got)
			run_loop(1);
	}
	ok(get_status(NDOM_PERS, DEV_NET_PERS) == 0 && got &&
	   !memcmp(cfg, mac, 6),
	   "net: guest 23 attaches to the persistent tap vp0 (mac 02:41:52:47:00:00, then link up)");
}

/* The transport says every guest's ring has room again. */
static void unblock_all(void)
{
	struct list_node *n, *t;

	list_for_each_safe(n, t, &be.guests)
		list_entry(n, struct guest, link)->blocked = false;
}

/*
 * The guest does not read its ring: once its output is over
 * VB_OUTQ_HIGH the TAP is not read, frames wait in the kernel; when the
 * output drains, every frame arrives, in order.
 */
static void test_net_backpressure(void)
{
	static const uint8_t mac24[ETH_ALEN] = { 0x02, 0x41, 0x52, 0x47, 0x00,
						 NDOM_JUMBO };
	const unsigned int frames = 200, size = 9000;
	uint8_t *frame = malloc(size);
	unsigned int i, id, seen = 0, sent = 0;
	size_t held1, held2;
	struct guest *g;
	bool order = true;
	int fd;

	net_connect(NDOM_JUMBO);
	net_driver_start(NDOM_JUMBO, DEV_NET_JUMBO,
			 F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF));
	g = guest_find(&be, NDOM_JUMBO);
	fd = pkt_open("vj24");
	clear();
	send_result = -EAGAIN;
	for (id = 0; id < 256; id++)
		send_chain(NDOM_JUMBO, DEV_NET_JUMBO, 0, id, NULL, 0, 9100);
	for (i = 0; i < frames; i++) {
		make_frame(frame, size, mac24, host_mac, 100 + i);
		put_le32(frame + 14, i);
		sent += pkt_send(fd, "vj24", frame, size);
	}
	run_loop(20);
	held1 = g->out.bytes;
	run_loop(20);
	held2 = g->out.bytes;
	ok(sent == frames && held1 >= VB_OUTQ_HIGH &&
	   held1 < VB_OUTQ_HIGH + 2 * (size + 100) && held2 == held1,
	   "net: guest not reading: the TAP is not read past %u KiB of output (%zu bytes queued)",
	   VB_OUTQ_HIGH >> 10, held1);
	send_result = 0;
	unblock_all();
	for (i = 0; i < 400 && seen < frames; i++) {
		size_t k;

		run_loop(1);
		for (k = 0, seen = 0; k < nrecs; k++) {
			const struct va_rec *q = &recs[k].r;
			uint32_t off = get_le32(q->payload + 12);

			if (recs[k].domid != NDOM_JUMBO ||
			    q->msg_id != VA_USED_CHAIN || off ||
			    get_le16(q->payload) != 0)
				continue;
			/* the first fragment of each: header, then the frame */
			if (get_le32(q->payload + 20 + NET_HDR + 14) != seen)
				order = false;
			seen++;
		}
	}
	ok(seen == frames && order,
	   "net: ...its output drained: all %u frames arrive, in order (%u)",
	   frames, seen);
	close(fd);
	free(frame);
}

/* Guests going away close their TAPs; a persistent one stays. */
static void test_net_free(bool pers)
{
	static const uint16_t doms[] = { NDOM, NDOM_NOBR, NDOM_BR, NDOM_PERS,
					 NDOM_JUMBO };
	unsigned int i, gone = 0;

	send_result = -ECONNREFUSED;
	for (i = 0; i < ARRAY_SIZE(doms); i++) {
		poke(doms[i]);
		gone += !guest_find(&be, doms[i]);
	}
	send_result = 0;
	ok(gone == ARRAY_SIZE(doms) && !if_nametoindex("vt20") &&
	   !if_nametoindex("vt21") && !if_nametoindex("vt22") &&
	   !if_nametoindex("vm0") && !if_nametoindex("vj24"),
	   "net: the guests are gone, and so are their TAPs");
	if (pers)
		ok(if_nametoindex("vp0") != 0, "net: ...but for the persistent vp0");
}

/* A persistent TAP (no VNET_HDR), as `ip tuntap add` makes it. */
static bool make_persistent(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	bool ok_ = false;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (fd >= 0 && !ioctl(fd, TUNSETIFF, &ifr) &&
	    !ioctl(fd, TUNSETPERSIST, 1UL))
		ok_ = true;
	if (fd >= 0)
		close(fd);
	return ok_;
}

/* `ip link add NAME type bridge; ip link set NAME up` */
static bool make_bridge(const char *name)
{
	struct nl_link_req req, kind;

	memset(&req, 0, sizeof(req));
	memset(&kind, 0, sizeof(kind));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
	/* IFLA_LINKINFO holds IFLA_INFO_KIND: built apart, then nested */
	kind.nh.nlmsg_len = NLMSG_LENGTH(sizeof(kind.ifi));
	nl_attr(&kind, IFLA_INFO_KIND, "bridge", 7);
	nl_attr(&req, IFLA_LINKINFO, kind.attrs,
		kind.nh.nlmsg_len - NLMSG_LENGTH(sizeof(kind.ifi)));
	return nl_link(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL) &&
	       !if_set_up(name, true);
}

static void test_net(void)
{
	static const char *const opts[] = {
		"tap=vt%d,mtu=1400",
		"tap=vb%d,bridge=tnobr,guest=21",
		"tap=vm0,mac=52:54:00:12:34:56,bridge=tbr0,guest=22",
		"tap=vp0,guest=23",
		"tap=vj%d,mtu=9000,guest=24",
	};
	bool bridge, pers;
	unsigned int i;
	char err[256];
	int fd;

	/* the TAPs live in a network namespace of ours, gone when we exit */
	if (geteuid()) {
		skip("needs root (a network namespace and TAPs)");
		return;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		skip("/dev/net/tun: %s", strerror(errno));
		return;
	}
	close(fd);
	if (unshare(CLONE_NEWNET)) {
		skip("unshare(CLONE_NEWNET): %s", strerror(errno));
		return;
	}
	/* no IPv6 chatter (router solicitations...) on the new interfaces */
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	bridge = make_bridge("tbr0");
	pers = make_persistent("vp0");
	for (i = 0; i < ARRAY_SIZE(opts); i++)
		must(net_parse(opts[i], err, sizeof(err)), err);

	test_net_device();
	if (!guest_up(NDOM_NOBR, 0))
		printf("# guest %d: CONNECT failed\n", NDOM_NOBR);
	test_net_nomerge();
	test_net_nobridge();
	test_net_deleted();
	test_net_link();
	test_net_bridge(bridge);
	test_net_persistent(pers);
	test_net_backpressure();
	test_net_free(pers);
}

int main(void)
{
	unsigned int i;

	printf("TAP version 13\n");
	setup();
	test_options();
	test_connect();
	test_discovery();
	test_control();
	test_blk();
	test_rng();
	test_console();
	test_console_unix();
	test_console_port();
	test_hotplug();
	test_reconnect();
	test_small_link();
	test_v1();
	test_malformed();
	test_isolation();
	test_transport();
	test_loop_free_in_round();
	test_net();
	ok(bad_records == 0, "every record the backend sent was well-formed%s%s",
	   bad_records ? ": " : "", bad_why);

	clear();
	for (i = 0; i < ARRAY_SIZE(onces); i++)
		memset(&onces[i], 0, sizeof(onces[i]));
	free(cap);
	free(recs);
	backend_fini(&be);
	unlink(img);
	unlink(img_ro);
	printf("1..%d\n", testno);
	if (failures)
		printf("# %d of %d failed\n", failures, testno);
	return failures ? 1 : 0;
}
