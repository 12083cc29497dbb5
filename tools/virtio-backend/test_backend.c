// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of argo-virtio-backend: the real dispatch, chain and device
 * code, with a fake transport in place of /dev/argo.  Messages go in
 * through guest_receive(), exactly as argo_io.c delivers them; what the
 * backend sends is captured, checked against the rules the guest
 * transport applies (docs/virtio-argo-protocol.md section 6), and
 * inspected.  Output is TAP; the exit status is non-zero on any failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
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

static struct backend be;
static int testno, failures;

static void ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++testno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failures++;
}

/* ---- the fake transport ---- */

struct captured {
	uint16_t domid;
	uint32_t len;
	uint8_t *buf;
};

/* One record the backend sent; @r.payload points into a captured buffer. */
struct orec {
	uint16_t domid;
	struct va_rec r;
};

static struct captured *cap;
static size_t ncap, capsize;
static struct orec *recs;
static size_t nrecs, recsize;
static int send_result;		/* what fake_send returns: 0, -EAGAIN, ... */
static unsigned int bad_records;	/* records breaking the driver's rules */
static char bad_why[256];

static void bad(const char *why)
{
	if (!bad_records++)
		snprintf(bad_why, sizeof(bad_why), "%s", why);
}

/*
 * Check one record the way the guest transport will (section 6, rules 2
 * and the USED_CHAIN sizes); chain sequencing is checked by get_used().
 */
static void check_record(const struct va_rec *r)
{
	if (r->type & ~(VA_TYPE_RESPONSE | VA_TYPE_BUS | VA_TYPE_ERROR))
		bad("unknown type bits");
	if ((r->type & VA_TYPE_ERROR) && !(r->type & VA_TYPE_RESPONSE))
		bad("error flag on a non-response");
	if (r->type & VA_TYPE_ERROR) {
		uint32_t e = r->len == 4 ? get_le32(r->payload) : 0;

		if (r->len != 4 || !e || e > 4095)
			bad("error response malformed");
		return;
	}
	if (r->msg_id == VA_USED_CHAIN && !(r->type & VA_TYPE_BUS)) {
		uint16_t flags;
		uint32_t w;

		if (r->len < sizeof(struct va_used_chain)) {
			bad("USED_CHAIN truncated");
			return;
		}
		w = get_le32(r->payload + offsetof(struct va_used_chain,
						   written));
		if (w != r->len - sizeof(struct va_used_chain))
			bad("USED_CHAIN written differs from its size");
		if (w > VA_FRAG_MAX)
			bad("USED_CHAIN fragment too large");
		flags = get_le16(r->payload + offsetof(struct va_used_chain,
						       flags));
		if (flags & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD))
			bad("USED_CHAIN unknown flags");
		if ((flags & (VA_CHAIN_HOLD | VA_CHAIN_LAST)) == VA_CHAIN_HOLD)
			bad("USED_CHAIN with HOLD but not LAST");
		return;
	}
	if (r->len + VA_HDR_SIZE > 1024)
		bad("control record over VA_CTRL_MAX");
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
		o->r.type = c->buf[off];
		o->r.msg_id = c->buf[off + 1];
		o->r.dev_num = get_le16(c->buf + off + 2);
		o->r.token = get_le16(c->buf + off + 4);
		o->r.payload = c->buf + off + VA_HDR_SIZE;
		o->r.len = size - VA_HDR_SIZE;
		check_record(&o->r);
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

static void fake_forget(struct backend *b, struct guest *g)
{
	(void)b;
	(void)g;
}

static const struct transport_ops fake_ops = {
	.send = fake_send,
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
	if (dlen)
		memcpy(p + 20, data, dlen);
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

static unsigned int count_from(uint16_t dom)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < nrecs; i++)
		n += recs[i].domid == dom;
	return n;
}

/* Send one request; return its one response (NULL: none). */
static const struct orec *request(uint16_t dom, uint8_t type, uint8_t id,
				  uint16_t dev, const void *payload,
				  uint32_t plen)
{
	static struct msgb m;
	uint16_t token = next_token++;
	uint8_t *p;

	clear();
	m.len = 0;
	p = mb_rec(&m, type, id, dev, token, plen);
	if (plen)
		memcpy(p, payload, plen);
	deliver(dom, m.b, m.len);
	return find_response(dom, id, dev, token);
}

static bool is_error(const struct orec *o, uint32_t err)
{
	return o && (o->r.type & VA_TYPE_ERROR) && o->r.len == 4 &&
	       get_le32(o->r.payload) == err;
}

static bool is_ok(const struct orec *o, uint32_t len)
{
	return o && !(o->r.type & VA_TYPE_ERROR) && o->r.len == len;
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
	return o && o->r.len >= 4 ? get_le32(o->r.payload) : 0xDEADBEEF;
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

/*
 * Send a chain the way virtio-argo.ko does: fragments of VA_FRAG_MAX
 * packed back to back into messages of up to VA_MSG_MAX bytes.
 */
static void send_chain(uint16_t dom, uint16_t dev, uint16_t vq, uint16_t id,
		       const uint8_t *out, uint32_t out_len, uint32_t in_len)
{
	static struct msgb m;
	uint32_t off = 0;
	bool last;

	m.len = 0;
	do {
		uint32_t n = MIN(out_len - off, VA_FRAG_MAX);

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
 * checking rule 5 of section 6 on the way.  Returns the bytes (malloc'ed,
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
	snprintf(arg, sizeof(arg), "%s,serial=test-serial-0123", img);
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
		{ "blk", "/x,guest=abc" },
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

static void test_discovery(void)
{
	uint8_t p[8];
	const struct orec *o;
	const uint8_t *e;
	bool ids;

	put_le16(p, 0);
	put_le16(p + 2, 0);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(count_from(DOM) == 1 && o && o->r.type == (VA_TYPE_RESPONSE | VA_TYPE_BUS),
	   "GET_DEVICES is answered once, as a bus response");
	ok(o && o->r.len == 4 + 6 * 10 && get_le16(o->r.payload) == 6 &&
	   get_le16(o->r.payload + 2) == 0,
	   "GET_DEVICES lists the 6 devices offered to guest 1, next 0");
	e = o ? o->r.payload + 4 : NULL;
	ids = e && get_le16(e) == 1 && get_le32(e + 2) == VIRTIO_ID_BLOCK &&
	      get_le16(e + 10) == 2 && get_le32(e + 12) == VIRTIO_ID_BLOCK &&
	      get_le16(e + 20) == 3 && get_le32(e + 22) == VIRTIO_ID_RNG &&
	      get_le16(e + 30) == 4 && get_le32(e + 32) == VIRTIO_ID_CONSOLE &&
	      get_le16(e + 40) == 6 && get_le32(e + 42) == VIRTIO_ID_CONSOLE &&
	      get_le32(e + 6) == VB_VENDOR_ID;
	ok(ids, "entries: dev_num 1-4 and 6 (5 is another guest's) with their ids");

	put_le16(p, 1);
	put_le16(p + 2, 2);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(o && o->r.len == 4 + 2 * 10 && get_le16(o->r.payload) == 2 &&
	   get_le16(o->r.payload + 2) == 3 && get_le16(o->r.payload + 4) == 2,
	   "GET_DEVICES offset 1 max 2: devices 2-3, next 3");

	put_le16(p, 0);
	put_le16(p + 2, 0);
	o = request(99, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(o && get_le16(o->r.payload) == 6,
	   "guest 99 also sees the device restricted to it");

	put_le64(p, 0x1122334455667788ULL);
	o = request(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, p, 8);
	ok(is_ok(o, 8) && get_le64(o->r.payload) == 0x1122334455667788ULL,
	   "PING echoes its cookie");
}

static void test_control(void)
{
	const struct orec *o;
	uint8_t p[64];
	uint32_t w0, w1;

	o = request(DOM, 0, VA_GET_DEVICE_INFO, DEV_BLK, NULL, 0);
	ok(is_ok(o, sizeof(struct va_device_info)) &&
	   get_le32(o->r.payload) == VIRTIO_ID_BLOCK &&
	   get_le32(o->r.payload + 8) == 2 &&
	   get_le32(o->r.payload + 12) == sizeof(struct virtio_blk_config) &&
	   get_le32(o->r.payload + 16) == 1,
	   "GET_DEVICE_INFO of blk: id 2, 2 feature words, config size, 1 queue");

	put_le32(p, 0);
	put_le32(p + 4, 2);
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK, p, 8);
	w0 = o && o->r.len == 16 ? get_le32(o->r.payload + 8) : 0;
	w1 = o && o->r.len == 16 ? get_le32(o->r.payload + 12) : 0;
	ok((w1 & 1) && (w0 & (1U << VIRTIO_BLK_F_FLUSH)) &&
	   (w0 & (1U << VIRTIO_BLK_F_DISCARD)) &&
	   (w0 & (1U << VIRTIO_BLK_F_WRITE_ZEROES)) &&
	   (w0 & (1U << VIRTIO_RING_F_INDIRECT_DESC)) &&
	   !(w0 & (1U << VIRTIO_BLK_F_RO)),
	   "blk features: VERSION_1, FLUSH, DISCARD, WRITE_ZEROES, INDIRECT_DESC, not RO");
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK_RO, p, 8);
	w0 = o && o->r.len == 16 ? get_le32(o->r.payload + 8) : 0;
	ok((w0 & (1U << VIRTIO_BLK_F_RO)) &&
	   !(w0 & (1U << VIRTIO_BLK_F_DISCARD)),
	   "read-only blk offers RO and no DISCARD");
	put_le32(p + 4, 17);
	o = request(DOM, 0, VA_GET_DEVICE_FEATURES, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL), "GET_DEVICE_FEATURES of 17 words: EINVAL");

	put_le32(p, 0);
	put_le32(p + 4, 8);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_ok(o, 12 + 8) && get_le64(o->r.payload + 12) == IMG_SECTORS,
	   "GET_CONFIG: capacity %u sectors", IMG_SECTORS);
	put_le32(p, offsetof(struct virtio_blk_config, blk_size));
	put_le32(p + 4, 4);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_ok(o, 12 + 4) && get_le32(o->r.payload + 12) == 512,
	   "GET_CONFIG: blk_size 512");
	put_le32(p, sizeof(struct virtio_blk_config) - 4);
	put_le32(p + 4, 8);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL), "GET_CONFIG past the config space: EINVAL");
	put_le32(p, 0xFFFFFFFF);
	put_le32(p + 4, 2);
	o = request(DOM, 0, VA_GET_CONFIG, DEV_BLK, p, 8);
	ok(is_error(o, EINVAL), "GET_CONFIG with a wrapping offset: EINVAL");
	put_le32(p, 0);
	put_le32(p + 4, 0);
	put_le32(p + 8, 4);
	o = request(DOM, 0, VA_SET_CONFIG, DEV_BLK, p, 12 + 4);
	ok(is_ok(o, 4), "SET_CONFIG in range: accepted");
	o = request(DOM, 0, VA_SET_CONFIG, DEV_BLK, p, 12 + 3);
	ok(is_error(o, EINVAL), "SET_CONFIG with a short payload: EINVAL");

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
	o = request(DOM, 0, VA_SET_DRIVER_FEATURES, DEV_BLK, p, 16);
	ok(is_ok(o, 0), "SET_DRIVER_FEATURES");
	o = set_status(DOM, DEV_BLK, 0xB);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 0xB,
	   "FEATURES_OK accepted for VERSION_1|FLUSH|BLK_SIZE");
	o = request(DOM, 0, VA_SET_DRIVER_FEATURES, DEV_BLK, p, 16);
	ok(is_error(o, EBUSY), "features cannot change after FEATURES_OK");
	o = set_status(DOM, DEV_BLK, 0xF);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 0xF && get_status(DOM, DEV_BLK) == 0xF,
	   "DRIVER_OK: status 0xF");
	o = set_status(DOM, DEV_BLK, 0x7);
	ok(is_error(o, EINVAL), "clearing a status bit without reset: EINVAL");

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

	ok(req32(DOM, VA_GET_VQUEUE, DEV_BLK, 0, &o) == 0 && is_ok(o, 8) &&
	   get_le32(o->r.payload + 4) == VB_QUEUE_SIZE,
	   "GET_VQUEUE 0: max_size %u", VB_QUEUE_SIZE);
	req32(DOM, VA_GET_VQUEUE, DEV_BLK, 1, &o);
	ok(is_ok(o, 8) && get_le32(o->r.payload + 4) == 0,
	   "GET_VQUEUE of a queue that does not exist: max_size 0");
	memset(p, 0, 32);
	put_le32(p + 4, 128);
	o = request(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, 32);
	ok(is_ok(o, 0), "SET_VQUEUE 0 size 128");
	put_le32(p, 1);
	o = request(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, 32);
	ok(is_error(o, EINVAL), "SET_VQUEUE of queue 1 (out of range): EINVAL");
	put_le32(p, 0);
	put_le32(p + 4, 2048);
	o = request(DOM, 0, VA_SET_VQUEUE, DEV_BLK, p, 32);
	ok(is_error(o, EINVAL), "SET_VQUEUE above max_size: EINVAL");
	req32(DOM, VA_RESET_VQUEUE, DEV_BLK, 7, &o);
	ok(is_error(o, EINVAL), "RESET_VQUEUE 7: EINVAL");

	o = request(DOM, 0, 0x3E, DEV_BLK, NULL, 0);
	ok(is_error(o, EOPNOTSUPP), "unknown request id: EOPNOTSUPP");
	o = request(DOM, 0, VA_GET_DEVICE_INFO, 9, NULL, 0);
	ok(is_error(o, ENODEV), "unknown dev_num 9: ENODEV");
	o = request(DOM, 0, VA_GET_DEVICE_INFO, DEV_ONLY99, NULL, 0);
	ok(is_error(o, ENODEV), "device offered only to guest 99: ENODEV for guest 1");
	o = request(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, p, 4);
	ok(is_error(o, EINVAL), "PING with a 4-byte payload: EINVAL");
	o = request(DOM, 0, VA_GET_DEVICE_STATUS, DEV_BLK, p, 1);
	ok(is_error(o, EINVAL), "GET_DEVICE_STATUS with a payload: EINVAL");
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

	clear();
	deliver(DOM, junk, sizeof(junk));
	ok(nrecs == 0, "truncated header: dropped, no reply");

	m.len = 0;
	put_le64(mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 7, 8), 42);
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 8, 8);
	put_le16(m.b + VA_HDR_SIZE + 8 + 6, 200);	/* msg_size past the end */
	put_le64(m.b + m.len - 8, 43);
	clear();
	deliver(DOM, m.b, m.len);
	ok(find_response(DOM, VA_BUS_PING, 0, 7) && !find_response(DOM, VA_BUS_PING, 0, 8) &&
	   nrecs == 1, "msg_size past the message: records before it served, the rest dropped");

	m.len = 0;
	mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 9, 0);
	put_le16(m.b + 6, 4);	/* msg_size below the header */
	clear();
	deliver(DOM, m.b, m.len);
	ok(nrecs == 0, "msg_size smaller than the header: dropped");

	m.len = 0;
	put_le64(mb_rec(&m, VA_TYPE_BUS, VA_BUS_PING, 0, 10, 8), 1);
	clear();
	deliver_type(DOM, PORT, 0x12345678, m.b, m.len);
	ok(nrecs == 0, "message of another message_type: dropped");

	m.len = 0;
	mb_rec(&m, VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO, DEV_BLK, 11, 0);
	mb_rec(&m, 0x40, VA_GET_DEVICE_INFO, DEV_BLK, 12, 0);
	mb_rec(&m, 0, VA_EVENT_CONFIG, DEV_BLK, 13, 4);
	clear();
	deliver(DOM, m.b, m.len);
	ok(nrecs == 0, "responses, unknown type bits, events from a guest: ignored");

	/* the chain of a device that does not exist */
	clear();
	m.len = 0;
	mb_chain(&m, 9, 0, 0, 0, 1, 0, 3, NULL, 0);
	deliver(DOM, m.b, m.len);
	ok(nrecs == 0, "AVAIL_CHAIN for unknown dev_num 9: ignored");

	/* wrong fragment offset: blk (DRIVER_OK) needs reset, says so */
	memset(p, 0, sizeof(p));
	clear();
	m.len = 0;
	mb_chain(&m, DEV_BLK, 0, 20, 16 + 1024, 1, 0, VA_CHAIN_FIRST, p, 16);
	mb_chain(&m, DEV_BLK, 0, 20, 16 + 1024, 1, 100, VA_CHAIN_LAST, p, 16);
	deliver(DOM, m.b, m.len);
	ok(nrecs == 1 && recs[0].r.msg_id == VA_EVENT_CONFIG &&
	   recs[0].r.dev_num == DEV_BLK && recs[0].r.len == 4,
	   "wrong fragment offset: EVENT_CONFIG sent to the running driver");
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
		};
		unsigned int i, good = 0;
		uint8_t d[16] = { 0 };

		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			clear();
			m.len = 0;
			mb_chain(&m, DEV_BLK, 0, cases[i].id, cases[i].out_len,
				 cases[i].in_len, cases[i].off, cases[i].flags,
				 d, cases[i].dlen);
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
		mb_chain(&m, DEV_BLK, 0, 30, 32, 1, 0, VA_CHAIN_FIRST, d, 16);
		mb_chain(&m, DEV_BLK, 0, 30, 32, 1, 0, VA_CHAIN_FIRST, d, 16);
		deliver(DOM, m.b, m.len);
		ok(get_status(DOM, DEV_BLK) == VIRTIO_CONFIG_S_NEEDS_RESET,
		   "a chain id offered twice: NEEDS_RESET");
		set_status(DOM, DEV_BLK, 0);
	}
}

/* Another guest's garbage never touches guest 1's devices. */
static void test_isolation(void)
{
	static struct msgb m;
	uint32_t seed = 12345;
	unsigned int i, j;
	const struct orec *o;
	uint32_t before;

	set_status(DOM, DEV_CON, 0x3);
	before = get_status(DOM, DEV_CON);
	for (i = 0; i < 3000; i++) {
		m.len = 0;
		for (j = 0; j < 1 + i % 5; j++) {
			uint32_t plen;
			uint8_t *p;
			unsigned int k;

			seed = seed * 1103515245 + 12345;
			plen = (seed >> 8) % (i % 7 ? 40 : 300);
			p = mb_rec(&m, (seed >> 4) % 3 ? 0 : (seed >> 6) & 7,
				   (seed >> 16) % 3 ? (seed >> 24) % 12 :
				   0x80 | ((seed >> 20) & 3),
				   (seed >> 12) % 7, i, plen);
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
		}
		if (i % 11 == 0)
			m.len -= (seed >> 3) % (m.len + 1);
		clear();
		deliver(DOM2, m.b, m.len);
	}
	ok(bad_records == 0, "3000 random messages from guest 2: every reply well-formed%s%s",
	   bad_records ? ": " : "", bad_why);
	ok(before == 3 && get_status(DOM, DEV_CON) == before,
	   "guest 1's console status untouched by guest 2");
	o = request(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, "12345678", 8);
	ok(is_ok(o, 8), "guest 1 still served");
}

static void test_transport(void)
{
	struct guest *g;
	const struct orec *o;
	uint8_t p[8] = { 0 };

	/* a full ring: output waits, in order, until the ring has room */
	send_result = -EAGAIN;
	o = request(DOM, VA_TYPE_BUS, VA_BUS_PING, 0, p, 8);
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
	send_result = -ECONNREFUSED;
	request(DOM2, VA_TYPE_BUS, VA_BUS_PING, 0, p, 8);
	ok(!guest_find(&be, DOM2), "ECONNREFUSED: guest 2's state is dropped");
	send_result = 0;

	/* guest 1 reappears from another port: fresh state */
	set_status(DOM, DEV_BLK, 3);
	clear();
	{
		static struct msgb m;

		m.len = 0;
		mb_rec(&m, 0, VA_GET_DEVICE_STATUS, DEV_BLK, 1, 0);
		deliver_type(DOM, PORT + 1, VA_MSG_TYPE, m.b, m.len);
	}
	o = find_response(DOM, VA_GET_DEVICE_STATUS, DEV_BLK, 1);
	ok(is_ok(o, 4) && get_le32(o->r.payload) == 0,
	   "a guest talking from a new port starts afresh");
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
	return get_le32(set_status(dom, dev, 0xF)->r.payload);
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

/* Guest @dom's link on device @dev, through a connect (PING). */
static void net_connect(uint16_t dom)
{
	uint8_t p[8] = { 0 };

	request(dom, VA_TYPE_BUS, VA_BUS_PING, 0, p, 8);
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
	ok(o && o->r.len == 16 && get_le32(o->r.payload + 8) == w0 &&
	   get_le32(o->r.payload + 12) == 1,
	   "net: features %#x:%#x (CSUM, GUEST_CSUM, MTU, MAC, TSO4/6 both ways, MRG_RXBUF, STATUS)",
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
		net_connect(doms[i]);
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
	net_connect(NDOM_NOBR);
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
	printf("TAP version 13\n");
	setup();
	test_options();
	test_discovery();
	test_control();
	test_blk();
	test_rng();
	test_console();
	test_console_unix();
	test_console_port();
	test_malformed();
	test_isolation();
	test_transport();
	test_net();
	ok(bad_records == 0, "every record the backend sent was well-formed%s%s",
	   bad_records ? ": " : "", bad_why);

	clear();
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
