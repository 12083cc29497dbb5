// SPDX-License-Identifier: GPL-2.0
/*
 * va_conform: check a virtio-argo device backend against protocol 2, the
 * virtio-msg bus over Argo (docs/virtio-argo-protocol.md,
 * include/argo/virtio_argo_proto.h).
 *
 *   va_conform [-d DOMID] [-m SIZE] [--no-hold] [--v1] [-t MS] [-v]
 *
 * It plays a guest driver: it opens /dev/argo (argo-char.ko), binds a ring
 * that only the backend's domain may fill, and talks to port 0x76690001
 * of domain DOMID (default 0).  It may run in any domain the backend
 * serves, the backend's own included, but not beside a virtio-argo.ko
 * using the same backend from the same domain: a backend knows a guest
 * by its domain, and a guest that talks from a new port replaces the old
 * one.  So, in a guest:  rmmod virtio_argo; va_conform -d 0
 *
 * Each rule is one TAP line, "ok N - RULE" or "not ok N - RULE: what was
 * seen", the plan last.  Exit status: 0 when every rule held, 1 when one
 * did not or the backend stopped answering ("Bail out!"), 2 on bad usage
 * or when /dev/argo cannot be used.  A run takes about a second.
 *
 * Connection
 *  - records sent before CONNECT get no answer, nor do those sent after a
 *    refused CONNECT
 *  - CONNECT asking revision 0, or offering max_size 512: refused
 *    (revision 0)
 *  - CONNECT asking revision 2, max_size SIZE (-m, default 65535),
 *    features VA_F_HOLD (none with --no-hold): revision 1, max_size from
 *    1024 to SIZE, features a subset of those offered
 *  - a second CONNECT (the other feature set) resets every device
 *    instance: status 0, queue size 0
 * Bus
 *  - PING echoes its data; type bits 2-7 of a request are ignored;
 *    several requests in one Argo message are all answered
 *  - GET_DEVICES: windows pass va_check_devices(), device 0 is never
 *    present, at most 64 devices, and windows of 8 followed through
 *    next_offset list the same devices as windows of 1024
 *  - discarded with no answer: malformed requests (a wrong payload size,
 *    a GET_DEVICES window not a multiple of 8, a bus request naming a
 *    device), unknown request ids, responses and events sent to the device
 *  - a device number that does not exist: GET_DEVICE_INFO answers all
 *    zero, other requests get ERROR ENODEV
 * Each device
 *  - GET_DEVICE_INFO: feature bits a multiple of 32, config at most 4096
 *    bytes, at most 64 queues; status 0 after CONNECT
 *  - GET_DEVICE_FEATURES: index and count echoed, count blocks, zero beyond
 *    the device's bits, VIRTIO_F_VERSION_1 offered, more than 4 blocks an
 *    ERROR
 *  - SET_DEVICE_STATUS answers the resulting status (va_status_ok()); 0
 *    resets; FEATURES_OK kept with VERSION_1, dropped without it;
 *    SET_DRIVER_FEATURES answers empty, and ERROR EBUSY after FEATURES_OK
 *  - GET_CONFIG of the whole space in chunks: offset and size echoed; out
 *    of range (past config_size, over 256 bytes, offset overflow): ERROR
 *    EINVAL; SET_CONFIG with a stale generation answers size 0, with the
 *    current one the size written (it writes back the byte it read)
 *  - GET_VQUEUE: index echoed, max_size at most 1024 (0 for a queue that
 *    does not exist), size 0 before SET_VQUEUE and the size set after it;
 *    SET_VQUEUE of size 0, above max_size or of a missing queue: ERROR;
 *    RESET_VQUEUE answers empty, of a missing queue ERROR
 *  - GET_SHM: length 0, address 0
 *  - net (virtio id 1): no VIRTIO_NET_F_MRG_RXBUF unless VA_F_HOLD was
 *    negotiated (with HOLD, its absence is a skip)
 * Data plane (the first blk and rng devices; reads only, nothing written)
 *  - blk: a 4096-byte read of sector 0 and a GET_ID in one Argo message,
 *    and a read whose request header comes in two AVAIL_CHAIN fragments,
 *    complete with total = in_len and status OK
 *  - rng: an 8192-byte buffer gets 1 to 8192 bytes
 *  - every USED_CHAIN record fits max_size (with -m 1024, a 4096-byte read
 *    must come in fragments)
 * Every record received (the last lines sum these up)
 *  - Argo message_type 0x56410002, sent from port 0x76690001
 *  - framing (va_check_hdr), at most max_size once connected, type bits
 *    2-7 zero, the payload valid (va_check_from_device)
 *  - responses echo msg_id, dev_num, token and the bus bit of a request
 *    waiting for one; ERROR events name it (dev_num, token, msg_id,
 *    type); events have token 0; nothing answers a discarded request, or
 *    one already answered
 *  - USED_CHAIN fragments: outstanding chains only, offsets in sequence,
 *    total <= in_len, FIRST/LAST consistent (va_check_used), HOLD only
 *    when negotiated
 * Protocol 1 (--v1): a protocol 1 GET_DEVICES (message_type 0x56410001)
 * gets protocol 1's error response: message_type 0x56410001, type 0x07,
 * the same msg_id, dev_num and token, msg_size 12, EPROTONOSUPPORT (93).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "libargo.h"
#include <argo/virtio_argo_check.h>
#include "../lib/tap.h"

#define RING_SIZE	(512U * 1024)
#define DEFAULT_TIMEOUT	2000
#define MAX_TIMEOUTS	4	/* requests in a row unanswered: bail out */
#define STASH		8	/* answers received before they were awaited */
#define MAX_CHAINS	8
#define MAX_PAGES	512	/* GET_DEVICES windows followed at most */
#define FEATURE_BLOCKS	4
#define UNKNOWN_ID	0x30	/* a request id the draft does not define */
#define UNKNOWN_IMPL_ID	0xBF	/* one of the implementation-defined range */
#define V1_ERROR_TYPE	0x05	/* protocol 1: response | error */
#define V1_EPROTONOSUPPORT 93
#define SECTOR		512U
#define BLK_OUTHDR	16U	/* struct virtio_blk_outhdr */
#define BLK_READ	4096U
#define BLK_ID_LEN	21U	/* VIRTIO_BLK_ID_BYTES + status */
#define RNG_LEN		8192U
#define STATUS_ACK	VIRTIO_CONFIG_S_ACKNOWLEDGE
#define STATUS_DRV	(STATUS_ACK | VIRTIO_CONFIG_S_DRIVER)
#define STATUS_FEAT	(STATUS_DRV | VIRTIO_CONFIG_S_FEATURES_OK)
#define STATUS_OK	(STATUS_FEAT | VIRTIO_CONFIG_S_DRIVER_OK)

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum tok_state {
	TOK_FREE,
	TOK_PENDING,	/* a request waiting for its answer */
	TOK_DISCARD,	/* a request the device must not answer */
	TOK_TIMEDOUT,	/* no answer came in time: a late one is noted */
	TOK_DONE,	/* answered */
};

struct token {
	u8 state;
	u8 type;		/* the request's type bits (0-1) */
	u8 msg_id;
	u8 answered;		/* TOK_DISCARD: the ans_kind that answered */
	u16 dev_num;
	u32 how;		/* ... the ERROR's errno, the response's size */
};

enum ans_kind { ANS_NONE, ANS_RESP, ANS_ERROR, ANS_INVALID };

/* The answer to one request: a response or an ERROR event naming it. */
struct answer {
	bool used;
	enum ans_kind kind;
	u16 token;
	u32 len;		/* ANS_RESP: payload bytes */
	u32 err;		/* ANS_ERROR: the errno */
	char why[96];		/* ANS_INVALID: the rule it broke */
	u8 p[VA_SIZE_MAX];
};

/* One record received, checked; @p points into conf.rx. */
struct rec {
	struct va_hdr h;
	u8 type;		/* va_type() */
	u16 dev_num;
	u16 token;
	u32 size;
	const u8 *p;
	u32 len;
};

struct chain {
	bool used;
	bool done;		/* LAST arrived, or the chain broke */
	const char *bad;	/* why it broke */
	u16 dev_num;
	u16 vq;
	u16 id;
	struct va_used_acct acct;
	u32 frags;
	u32 largest;		/* largest USED_CHAIN record */
	u8 last;		/* the last data byte (virtio-blk's status) */
};

struct dev {
	u16 num;
	bool ok;		/* GET_DEVICE_INFO answered */
	struct va_device_info info;
	u32 feat[FEATURE_BLOCKS];
	u32 generation;
	u32 q0max;
	u8 config[VA_CONFIG_MAX];
};

enum gen {
	G_SOURCE,
	G_FRAMING,
	G_SIZE,
	G_TYPEBITS,
	G_VALID,
	G_ECHO,
	G_ERROR,
	G_EVENT,
	G_CHAIN,
	G_UNSOLICITED,
	G_COUNT
};

static const char *const gen_names[G_COUNT] = {
	[G_SOURCE] = "every Argo message has message_type 0x56410002 and comes from port 0x76690001",
	[G_FRAMING] = "every record fits its Argo message (va_check_hdr)",
	[G_SIZE] = "no record after CONNECT exceeds the negotiated max_size, no control record over 1024 bytes",
	[G_TYPEBITS] = "type bits 2-7 are sent as 0",
	[G_VALID] = "every record passes va_check_from_device",
	[G_ECHO] = "responses echo the request's msg_id, dev_num, token and bus bit",
	[G_ERROR] = "ERROR events (type BUS, dev_num 0) name their request's dev_num, token, msg_id and type",
	[G_EVENT] = "events have token 0; EVENT_DEVICE only after CONNECT; EVENT_CONFIG names a present device, with at most 256 bytes",
	[G_CHAIN] = "USED_CHAIN fragments complete outstanding chains in sequence (va_check_used)",
	[G_UNSOLICITED] = "nothing answers a request never sent, answered already, or to be discarded",
};

struct gen_rule {
	unsigned int n;
	char first[256];
};

struct conf {
	int fd;
	u16 be_dom;
	u32 max_ask;
	u64 feat_ask;
	int timeout_ms;
	bool verbose;
	bool v1;
	bool connected;
	struct va_link lk;
	u16 next_token;
	u32 ping_data;
	unsigned int timeouts;
	/* the Argo message being read */
	u32 rx_len;
	u32 rx_off;
	u8 rx[VA_MSG_MAX];
	u8 tx[VA_MSG_MAX];
	struct token tok[65536];
	struct answer stash[STASH];
	struct answer none;
	/* devices */
	u8 present[65536 / 8];
	unsigned int ndevs;
	struct dev devs[VA_MAX_DEVICES];
	struct chain chains[MAX_CHAINS];
	unsigned int events_config;
	unsigned int events_device;
	bool net_skipped;
	struct gen_rule gen[G_COUNT];
	/* the rule being checked */
	bool ck_failed;
	char ck_seen[320];
};

static struct conf conf;

/* ---- output ---- */

static __printf(1, 2) void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static __printf(1, 2) void __attribute__((noreturn)) bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* The rule being checked fails; the first reason is the one reported. */
static __printf(2, 3) void ck_bad(struct conf *c, const char *fmt, ...)
{
	va_list ap;

	if (c->ck_failed)
		return;
	c->ck_failed = true;
	va_start(ap, fmt);
	vsnprintf(c->ck_seen, sizeof(c->ck_seen), fmt, ap);
	va_end(ap);
}

/* Report the rule being checked as one TAP line; start the next. */
static __printf(2, 3) bool ck_end(struct conf *c, const char *fmt, ...)
{
	bool ok = !c->ck_failed;
	char name[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_ok(ok, "- %s%s%s", name, ok ? "" : ": ", ok ? "" : c->ck_seen);
	c->ck_failed = false;
	c->ck_seen[0] = '\0';
	return ok;
}

/* A rule every record must keep was broken: counted, the first kept. */
static __printf(3, 4) void gen_fail(struct conf *c, enum gen g,
				    const char *fmt, ...)
{
	struct gen_rule *r = &c->gen[g];
	va_list ap;

	if (!r->n++) {
		va_start(ap, fmt);
		vsnprintf(r->first, sizeof(r->first), fmt, ap);
		va_end(ap);
	}
	if (c->verbose) {
		printf("# broken: %s: ", gen_names[g]);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
}

static const char *errname(u32 e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case EMSGSIZE: return "EMSGSIZE";
	case EPROTO: return "EPROTO";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAGAIN: return "EAGAIN";
	}
	return "errno";
}

static const char *msg_name(u8 type, u8 id)
{
	if (type & VA_TYPE_BUS) {
		switch (id) {
		case VA_BUS_GET_DEVICES: return "GET_DEVICES";
		case VA_BUS_PING: return "PING";
		case VA_BUS_EVENT_DEVICE: return "EVENT_DEVICE";
		case VA_BUS_CONNECT: return "CONNECT";
		case VA_BUS_ERROR: return "ERROR";
		}
		return "bus message";
	}
	switch (id) {
	case VA_GET_DEVICE_INFO: return "GET_DEVICE_INFO";
	case VA_GET_DEVICE_FEATURES: return "GET_DEVICE_FEATURES";
	case VA_SET_DRIVER_FEATURES: return "SET_DRIVER_FEATURES";
	case VA_GET_CONFIG: return "GET_CONFIG";
	case VA_SET_CONFIG: return "SET_CONFIG";
	case VA_GET_DEVICE_STATUS: return "GET_DEVICE_STATUS";
	case VA_SET_DEVICE_STATUS: return "SET_DEVICE_STATUS";
	case VA_GET_VQUEUE: return "GET_VQUEUE";
	case VA_SET_VQUEUE: return "SET_VQUEUE";
	case VA_RESET_VQUEUE: return "RESET_VQUEUE";
	case VA_GET_SHM: return "GET_SHM";
	case VA_EVENT_CONFIG: return "EVENT_CONFIG";
	case VA_AVAIL_CHAIN: return "AVAIL_CHAIN";
	case VA_USED_CHAIN: return "USED_CHAIN";
	}
	return "transport message";
}

/* "response GET_CONFIG (0x05) dev 1 token 7", for the reports */
static const char *rec_str(const struct rec *r)
{
	static char s[96];

	snprintf(s, sizeof(s), "%s%s (%#04x) dev %u token %u",
		 r->type & VA_TYPE_RESPONSE ? "response " : "",
		 msg_name(r->type, r->h.msg_id), r->h.msg_id, r->dev_num,
		 r->token);
	return s;
}

/*
 * Little-endian fields at any alignment: get_le16() and the rest, from
 * <argo/kshim_user.h>.
 */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool present(const struct conf *c, u16 dev_num)
{
	return c->present[dev_num / 8] & (1U << (dev_num % 8));
}

/* ---- sending ---- */

static void send_msg(struct conf *c, const void *buf, u32 len, u32 type)
{
	ssize_t r;

	do {
		r = argo_sendto(c->fd, buf, len, type, c->be_dom,
				VA_BACKEND_PORT);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		bail("cannot send to dom%u port %#x: %s", c->be_dom,
		     VA_BACKEND_PORT, strerror(errno));
}

/* Write one record at @buf; returns its size. */
static u32 put_rec(u8 *buf, u8 type, u8 msg_id, u16 dev_num, u16 token,
		   const void *p, u32 len)
{
	struct va_hdr h = {
		.type = type,
		.msg_id = msg_id,
		.dev_num = htole16(dev_num),
		.token = htole16(token),
		.msg_size = htole16((u16)(VA_HDR_SIZE + len)),
	};

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + VA_HDR_SIZE, p, len);
	return VA_HDR_SIZE + len;
}

static u16 new_token(struct conf *c, u8 type, u8 msg_id, u16 dev_num,
		     enum tok_state state)
{
	u16 t = ++c->next_token;

	if (!t)
		t = ++c->next_token;
	memset(&c->tok[t], 0, sizeof(c->tok[t]));
	c->tok[t].state = state;
	c->tok[t].type = type & VA_TYPE_MASK;
	c->tok[t].msg_id = msg_id;
	c->tok[t].dev_num = dev_num;
	return t;
}

/* Send one request in an Argo message of its own; returns its token. */
static u16 send_req(struct conf *c, u8 type, u8 msg_id, u16 dev_num,
		    const void *p, u32 len, enum tok_state state)
{
	u16 t = new_token(c, type, msg_id, dev_num, state);

	if (c->verbose)
		diag("-> %s (%#04x) type %#x dev %u token %u, %u bytes%s",
		     msg_name(type, msg_id), msg_id, type, dev_num, t, len,
		     state == TOK_DISCARD ? " (to be discarded)" : "");
	send_msg(c, c->tx, put_rec(c->tx, type, msg_id, dev_num, t, p, len),
		 VA_MSG_TYPE);
	return t;
}

/* ---- receiving ---- */

/*
 * Wait until @deadline for the next Argo message from the backend; false
 * when none came.  *@type is its message_type.
 */
static bool recv_msg(struct conf *c, long long deadline, u32 *type)
{
	uint16_t dom;
	uint32_t port;
	size_t full;
	ssize_t n;
	long long left;
	int ready;

	for (;;) {
		left = deadline - now_ms();
		ready = argo_wait(c->fd, POLLIN, left > 0 ? (int)left : 0);
		if (ready < 0)
			bail("poll: %s", strerror(errno));
		if (!ready)
			return false;
		n = argo_recvfrom(c->fd, c->rx, sizeof(c->rx), type, &dom,
				  &port, &full);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			bail("receive: %s", strerror(errno));
		}
		if (dom != c->be_dom || port != VA_BACKEND_PORT)
			gen_fail(c, G_SOURCE, "a message from dom%u port %#x",
				 dom, port);
		if (full > (size_t)n) {
			gen_fail(c, G_FRAMING,
				 "an Argo message of %zu bytes (more than %u)",
				 full, VA_MSG_MAX);
			continue;
		}
		if (!n) {
			gen_fail(c, G_FRAMING, "an empty Argo message");
			continue;
		}
		c->rx_len = n;
		c->rx_off = 0;
		return true;
	}
}

static struct chain *chain_find(struct conf *c, u16 dev_num, u16 vq, u16 id)
{
	unsigned int i;

	for (i = 0; i < MAX_CHAINS; i++) {
		struct chain *ch = &c->chains[i];

		if (ch->used && !ch->done && ch->dev_num == dev_num &&
		    ch->vq == vq && ch->id == id)
			return ch;
	}
	return NULL;
}

static void record_answer(struct conf *c, const struct rec *r,
			  enum ans_kind kind, u16 token, u32 err,
			  const char *why);

/* "ERROR EINVAL (22)" or "a 12-byte response" */
static void answer_str(char *s, size_t n, enum ans_kind kind, u32 v)
{
	if (kind == ANS_ERROR)
		snprintf(s, n, "ERROR %s (%u)", errname(v), v);
	else if (kind == ANS_INVALID)
		snprintf(s, n, "an invalid response");
	else
		snprintf(s, n, "a %u-byte response", v);
}

/* What answered discard token @t ("" when nothing did). */
static const char *tok_how(const struct conf *c, u16 t)
{
	static char s[64];

	s[0] = '\0';
	if (c->tok[t].answered)
		answer_str(s, sizeof(s), c->tok[t].answered, c->tok[t].how);
	return s;
}

/*
 * Take the next record of the current message and check what every
 * record must keep.  Returns true when it is to be acted on.
 */
static bool take_record(struct conf *c, struct rec *r)
{
	u32 avail = c->rx_len - c->rx_off;
	const char *why;
	int rc;

	memset(&r->h, 0, sizeof(r->h));
	memcpy(&r->h, c->rx + c->rx_off,
	       avail < VA_HDR_SIZE ? avail : VA_HDR_SIZE);
	if (va_check_hdr(&r->h, avail, VA_SIZE_MAX, &why)) {
		gen_fail(c, G_FRAMING, "%s (at byte %u of a %u-byte message)",
			 why, c->rx_off, c->rx_len);
		c->rx_off = c->rx_len;
		return false;
	}
	r->size = le16toh(r->h.msg_size);
	r->p = c->rx + c->rx_off + VA_HDR_SIZE;
	r->len = r->size - VA_HDR_SIZE;
	r->type = va_type(&r->h);
	r->dev_num = le16toh(r->h.dev_num);
	r->token = le16toh(r->h.token);
	c->rx_off += r->size;
	if (c->verbose)
		diag("<- %s, type %#x, %u bytes", rec_str(r), r->h.type,
		     r->size);
	if (c->connected && r->size > c->lk.max_size)
		gen_fail(c, G_SIZE, "a %u-byte %s, max_size %u", r->size,
			 rec_str(r), c->lk.max_size);
	else if (r->size > VA_CTRL_MAX && (r->type != 0 ||
					   r->h.msg_id != VA_USED_CHAIN))
		gen_fail(c, G_SIZE, "a %u-byte %s, a control record (at most %u)",
			 r->size, rec_str(r), VA_CTRL_MAX);
	if (r->h.type & ~VA_TYPE_MASK)
		gen_fail(c, G_TYPEBITS, "type %#x in %s", r->h.type,
			 rec_str(r));
	if (!(r->type & VA_TYPE_RESPONSE) && va_id_is_event(r->h.msg_id) &&
	    r->token)
		gen_fail(c, G_EVENT, "%s", rec_str(r));
	rc = va_check_from_device(&r->h, r->p, r->len, &c->lk, &why);
	if (rc < 0) {
		gen_fail(c, G_VALID, "%s: %s", rec_str(r), why);
		if (r->type & VA_TYPE_RESPONSE) {
			record_answer(c, r, ANS_INVALID, r->token, 0, why);
		} else if (!(r->type & VA_TYPE_BUS) &&
			   r->h.msg_id == VA_USED_CHAIN &&
			   r->len >= sizeof(struct va_used_chain)) {
			struct chain *ch = chain_find(c, r->dev_num,
						      get_le16(r->p),
						      get_le16(r->p + 2));

			if (ch) {
				ch->bad = why;
				ch->done = true;
			}
		}
		return false;
	}
	if (rc == VA_IGNORE) {
		if (c->verbose)
			diag("   (ignored: not defined for a driver)");
		return false;
	}
	return true;
}

/* The next acceptable record; false when @deadline passed first. */
static bool next_record(struct conf *c, struct rec *r, long long deadline)
{
	u32 type;

	for (;;) {
		if (c->rx_off >= c->rx_len) {
			if (!recv_msg(c, deadline, &type))
				return false;
			if (type != VA_MSG_TYPE) {
				gen_fail(c, G_SOURCE,
					 "a message of message_type %#x", type);
				c->rx_len = 0;
				continue;
			}
		}
		if (take_record(c, r))
			return true;
	}
}

/* A response or ERROR for @token arrived: keep it for await(). */
static void record_answer(struct conf *c, const struct rec *r,
			  enum ans_kind kind, u16 token, u32 err,
			  const char *why)
{
	struct token *t = &c->tok[token];
	struct answer *a = NULL;
	unsigned int i;
	char how[64];

	answer_str(how, sizeof(how), kind, kind == ANS_ERROR ? err : r->len);
	switch (t->state) {
	case TOK_PENDING:
		break;
	case TOK_DISCARD:
		if (!t->answered) {
			t->answered = kind;
			t->how = kind == ANS_ERROR ? err : r->len;
		}
		gen_fail(c, G_UNSOLICITED, "%s answers %s token %u, which was to be discarded",
			 how, msg_name(t->type, t->msg_id), token);
		return;
	case TOK_TIMEDOUT:
		diag("a late answer to token %u (%s): %s", token,
		     msg_name(t->type, t->msg_id), how);
		t->state = TOK_DONE;
		return;
	case TOK_DONE:
		gen_fail(c, G_UNSOLICITED, "%s answers token %u (%s) a second time",
			 how, token, msg_name(t->type, t->msg_id));
		return;
	default:
		gen_fail(c, G_UNSOLICITED, "%s names token %u, never sent",
			 how, token);
		return;
	}
	t->state = TOK_DONE;
	if (kind == ANS_RESP &&
	    (r->h.msg_id != t->msg_id || r->dev_num != t->dev_num ||
	     (r->type & VA_TYPE_BUS) != (t->type & VA_TYPE_BUS)))
		gen_fail(c, G_ECHO, "token %u: asked %s (%#04x) type %#x dev %u, answered %s",
			 token, msg_name(t->type, t->msg_id), t->msg_id,
			 t->type, t->dev_num, rec_str(r));
	for (i = 0; i < STASH && !a; i++)
		if (!c->stash[i].used)
			a = &c->stash[i];
	if (!a) {
		diag("more than %u answers waiting: token %u dropped", STASH,
		     token);
		return;
	}
	a->used = true;
	a->kind = kind;
	a->token = token;
	a->err = err;
	a->len = kind == ANS_RESP ? r->len : 0;
	snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
	if (a->len)
		memcpy(a->p, r->p, a->len);
}

static void got_error(struct conf *c, const struct rec *r)
{
	const struct va_bus_error *e = (const void *)r->p;
	u16 token = le16toh(e->token);
	const struct token *t = &c->tok[token];

	if (t->state != TOK_FREE &&
	    (le16toh(e->dev_num) != t->dev_num || e->msg_id != t->msg_id ||
	     (e->type & VA_TYPE_MASK) != t->type))
		gen_fail(c, G_ERROR, "token %u: asked %s (%#04x) type %#x dev %u; the ERROR names %#04x type %#x dev %u",
			 token, msg_name(t->type, t->msg_id), t->msg_id,
			 t->type, t->dev_num, e->msg_id, e->type,
			 le16toh(e->dev_num));
	record_answer(c, r, ANS_ERROR, token, le32toh(e->error), NULL);
}

/* The device PINGs us: answer, as a driver does. */
static void answer_ping(struct conf *c, const struct rec *r)
{
	u8 buf[VA_HDR_SIZE + sizeof(struct va_ping)];

	send_msg(c, buf, put_rec(buf, VA_TYPE_RESPONSE | VA_TYPE_BUS,
				 VA_BUS_PING, 0, r->token, r->p, r->len),
		 VA_MSG_TYPE);
}

static void chain_used(struct conf *c, const struct rec *r)
{
	const struct va_used_chain *u = (const void *)r->p;
	u32 n = r->len - sizeof(*u);
	u16 vq = le16toh(u->vq), id = le16toh(u->chain);
	u16 flags = le16toh(u->flags);
	struct chain *ch = chain_find(c, r->dev_num, vq, id);
	const char *why;

	if (!ch) {
		gen_fail(c, G_CHAIN, "USED_CHAIN dev %u vq %u chain %u: not outstanding",
			 r->dev_num, vq, id);
		return;
	}
	if (va_check_used(u, n, &ch->acct, &why)) {
		gen_fail(c, G_CHAIN, "USED_CHAIN dev %u vq %u chain %u: %s",
			 r->dev_num, vq, id, why);
		ch->bad = why;
		ch->done = true;
		return;
	}
	if (flags & VA_CHAIN_FIRST) {
		ch->acct.started = true;
		ch->acct.total = le32toh(u->total);
	}
	ch->acct.received += n;
	ch->frags++;
	if (r->size > ch->largest)
		ch->largest = r->size;
	if (n)
		ch->last = r->p[sizeof(*u) + n - 1];
	if (flags & VA_CHAIN_LAST)
		ch->done = true;
}

/* Act on a record nobody waits for in particular. */
static void handle(struct conf *c, const struct rec *r)
{
	if (r->type & VA_TYPE_RESPONSE) {
		record_answer(c, r, ANS_RESP, r->token, 0, NULL);
		return;
	}
	if (r->type & VA_TYPE_BUS) {
		switch (r->h.msg_id) {
		case VA_BUS_ERROR:
			got_error(c, r);
			return;
		case VA_BUS_EVENT_DEVICE:
			c->events_device++;
			if (!c->connected)
				gen_fail(c, G_EVENT, "EVENT_DEVICE before CONNECT");
			diag("EVENT_DEVICE: device %u state %u", get_le16(r->p),
			     get_le16(r->p + 2));
			return;
		case VA_BUS_PING:
			answer_ping(c, r);
			return;
		}
		return;
	}
	switch (r->h.msg_id) {
	case VA_EVENT_CONFIG:
		c->events_config++;
		if (!present(c, r->dev_num))
			gen_fail(c, G_EVENT, "EVENT_CONFIG for device %u, which is not present",
				 r->dev_num);
		if (get_le32(r->p + 12) > VA_CONFIG_CHUNK)
			gen_fail(c, G_EVENT, "EVENT_CONFIG with %u bytes of data",
				 get_le32(r->p + 12));
		return;
	case VA_USED_CHAIN:
		chain_used(c, r);
		return;
	}
}

/*
 * Wait for the answer to @token.  The answer returned stays valid until
 * the next call.
 */
static struct answer *await(struct conf *c, u16 token)
{
	long long deadline = now_ms() + c->timeout_ms;
	unsigned int i;
	struct rec r;

	for (;;) {
		for (i = 0; i < STASH; i++) {
			if (c->stash[i].used && c->stash[i].token == token) {
				c->stash[i].used = false;
				c->timeouts = 0;
				return &c->stash[i];
			}
		}
		if (!next_record(c, &r, deadline))
			break;
		handle(c, &r);
	}
	c->tok[token].state = TOK_TIMEDOUT;
	if (++c->timeouts >= MAX_TIMEOUTS)
		bail("the backend stopped answering: %u requests in a row got no answer within %d ms",
		     c->timeouts, c->timeout_ms);
	c->none.kind = ANS_NONE;
	c->none.len = 0;
	return &c->none;
}

static struct answer *request(struct conf *c, u8 type, u8 msg_id,
			      u16 dev_num, const void *p, u32 len)
{
	return await(c, send_req(c, type, msg_id, dev_num, p, len,
				 TOK_PENDING));
}

static const char *ans_str(const struct conf *c, const struct answer *a)
{
	static char s[160];

	switch (a->kind) {
	case ANS_NONE:
		snprintf(s, sizeof(s), "no answer within %d ms", c->timeout_ms);
		break;
	case ANS_ERROR:
		snprintf(s, sizeof(s), "ERROR %s (%u)", errname(a->err), a->err);
		break;
	case ANS_INVALID:
		snprintf(s, sizeof(s), "an invalid answer (%s)", a->why);
		break;
	case ANS_RESP:
		snprintf(s, sizeof(s), "a %u-byte response", a->len);
		break;
	}
	return s;
}

/* Is @a a response of @len payload bytes?  If not, the rule fails. */
static bool want_resp(struct conf *c, const struct answer *a, u32 len)
{
	if (a->kind == ANS_RESP && a->len == len)
		return true;
	if (a->kind == ANS_RESP)
		ck_bad(c, "a %u-byte response, want %u bytes", a->len, len);
	else
		ck_bad(c, "%s, want a response", ans_str(c, a));
	return false;
}

/* Is @a an ERROR (with errno @err, unless 0)?  If not, the rule fails. */
static bool want_error(struct conf *c, const struct answer *a, u32 err)
{
	if (a->kind == ANS_ERROR && (!err || a->err == err))
		return true;
	if (err)
		ck_bad(c, "%s, want ERROR %s", ans_str(c, a), errname(err));
	else
		ck_bad(c, "%s, want an ERROR", ans_str(c, a));
	return false;
}

/* ---- bus ---- */

/* PING with fresh data; the rule fails unless the data comes back. */
static bool ping_type(struct conf *c, u8 type)
{
	u32 data = 0x5a000000U | (++c->ping_data & 0xffffff);
	struct va_ping p = { .data = htole32(data) };
	struct answer *a = request(c, type, VA_BUS_PING, 0, &p, sizeof(p));

	if (!want_resp(c, a, sizeof(p)))
		return false;
	if (get_le32(a->p) != data) {
		ck_bad(c, "PING %#x answered with %#x", data, get_le32(a->p));
		return false;
	}
	return true;
}

static bool ping(struct conf *c)
{
	return ping_type(c, VA_TYPE_BUS);
}

/*
 * Did the device stay silent on discard token @t?  A PING is sent after
 * it: its answer must come, and nothing may have answered @t before.
 * (An answer after the PING's shows in the G_UNSOLICITED summary.)
 */
static void after_discard(struct conf *c, u16 t)
{
	char seen[sizeof(c->ck_seen)];
	bool pinged = ping(c);

	snprintf(seen, sizeof(seen), "%s", c->ck_seen);
	c->ck_failed = false;
	if (c->tok[t].answered)
		ck_bad(c, "answered with %s", tok_how(c, t));
	else if (!pinged)
		ck_bad(c, "the PING sent after it: %s", seen);
}

/* Send a record that the device must discard; check that it did. */
static __printf(7, 8) void check_discard(struct conf *c, u8 type, u8 msg_id,
					 u16 dev_num, const void *p, u32 len,
					 const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	after_discard(c, send_req(c, type, msg_id, dev_num, p, len,
				  TOK_DISCARD));
	ck_end(c, "%s: discarded, no answer", what);
}

static struct answer *send_connect(struct conf *c, u32 rev, u32 max,
				   u64 feat, struct va_connect *rq)
{
	rq->revision = htole32(rev);
	rq->max_size = htole32(max);
	rq->features = htole64(feat);
	return request(c, VA_TYPE_BUS, VA_BUS_CONNECT, 0, rq, sizeof(*rq));
}

/* A CONNECT that must be refused: revision 0 in a well-formed answer. */
static void check_refused(struct conf *c, u32 rev, u32 max, const char *what)
{
	struct va_connect rq;
	struct answer *a = send_connect(c, rev, max, c->feat_ask, &rq);

	if (want_resp(c, a, sizeof(rq)) && get_le32(a->p))
		ck_bad(c, "answered revision %u", get_le32(a->p));
	ck_end(c, "CONNECT %s: refused (revision 0)", what);
}

/* CONNECT for real; false when no link came of it. */
static bool connect_link(struct conf *c, u64 feat, const char *what)
{
	struct va_connect rq;
	struct answer *a = send_connect(c, VA_REVISION + 1, c->max_ask, feat,
					&rq);
	struct va_link lk = { 0 };
	const char *why;
	int rc;

	if (want_resp(c, a, sizeof(rq))) {
		rc = va_check_connect(&rq, (const void *)a->p, &lk, &why);
		if (rc)
			ck_bad(c, "%s (revision %u, max_size %u, features %#llx)",
			       why, get_le32(a->p), get_le32(a->p + 4),
			       (unsigned long long)get_le64(a->p + 8));
		else if (get_le32(a->p) != VA_REVISION)
			ck_bad(c, "revision %u", get_le32(a->p));
	}
	if (!ck_end(c, "%s CONNECT asking revision 2, max_size %u, features %#llx: revision 1, max_size 1024 to %u, features a subset",
		    what, c->max_ask, (unsigned long long)feat, c->max_ask))
		return false;
	c->lk = lk;
	c->connected = true;
	diag("connected: max_size %u, features %#llx", lk.max_size,
	     (unsigned long long)lk.features);
	return true;
}

static void check_connect(struct conf *c)
{
	struct va_get_devices_req gd = { .offset = 0, .count = htole16(8) };
	struct va_ping p = { .data = htole32(1) };
	struct va_connect rq;
	u16 t[3];
	unsigned int i;
	struct answer *a;

	t[0] = send_req(c, VA_TYPE_BUS, VA_BUS_PING, 0, &p, sizeof(p),
			TOK_DISCARD);
	t[1] = send_req(c, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &gd,
			sizeof(gd), TOK_DISCARD);
	t[2] = send_req(c, 0, VA_GET_DEVICE_INFO, 1, NULL, 0, TOK_DISCARD);
	/* the first CONNECT asks revision 0: its answer shows the others' */
	a = send_connect(c, 0, c->max_ask, c->feat_ask, &rq);
	for (i = 0; i < 3; i++)
		if (c->tok[t[i]].answered)
			ck_bad(c, "%s answered with %s",
			       msg_name(c->tok[t[i]].type, c->tok[t[i]].msg_id),
			       tok_how(c, t[i]));
	if (a->kind == ANS_NONE)
		ck_bad(c, "cannot tell: the CONNECT after them got no answer");
	ck_end(c, "records before CONNECT (PING, GET_DEVICES, GET_DEVICE_INFO) get no answer");
	if (want_resp(c, a, sizeof(rq)) && get_le32(a->p))
		ck_bad(c, "answered revision %u", get_le32(a->p));
	ck_end(c, "CONNECT asking revision 0: refused (revision 0)");
	check_refused(c, VA_REVISION, VA_SIZE_MIN / 2,
		      "offering max_size 512");

	t[0] = send_req(c, VA_TYPE_BUS, VA_BUS_PING, 0, &p, sizeof(p),
			TOK_DISCARD);
	a = send_connect(c, 0, c->max_ask, c->feat_ask, &rq);
	if (c->tok[t[0]].answered)
		ck_bad(c, "answered with %s", tok_how(c, t[0]));
	if (a->kind == ANS_NONE)
		ck_bad(c, "cannot tell: the CONNECT after it got no answer");
	ck_end(c, "a PING after a refused CONNECT gets no answer");

	if (!connect_link(c, c->feat_ask, "the"))
		bail("no connection to the backend");
}

/* One GET_DEVICES window: checked; false (rule failed) if unusable. */
static bool get_devices(struct conf *c, u16 offset, u16 count,
			struct answer **out)
{
	struct va_get_devices_req rq = {
		.offset = htole16(offset), .count = htole16(count),
	};
	struct answer *a = request(c, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &rq,
				   sizeof(rq));
	const char *why;

	if (a->kind != ANS_RESP) {
		ck_bad(c, "window {%u, %u}: %s", offset, count, ans_str(c, a));
		return false;
	}
	if (va_check_devices(&rq, (const void *)a->p, &why)) {
		ck_bad(c, "window {%u, %u}: %s (offset %u, count %u, next_offset %u)",
		       offset, count, why, get_le16(a->p), get_le16(a->p + 2),
		       get_le16(a->p + 4));
		return false;
	}
	*out = a;
	return true;
}

/*
 * Walk the device numbers in windows of @count from 0, following
 * next_offset; set the present ones in @map.  Returns the windows asked,
 * 0 when the walk failed.
 */
static unsigned int walk_devices(struct conf *c, u16 count, u8 *map)
{
	unsigned int pages = 0, n, i;
	u32 offset = 0, next;
	struct answer *a;

	do {
		if (++pages > MAX_PAGES) {
			ck_bad(c, "next_offset still not 0 after %u windows",
			       MAX_PAGES);
			return 0;
		}
		if (!get_devices(c, offset, count, &a))
			return 0;
		n = get_le16(a->p + 2);
		next = get_le16(a->p + 4);
		for (i = 0; i < n && offset + i < 65536; i++)
			if (a->p[sizeof(struct va_get_devices_resp) + i / 8] &
			    (1U << (i % 8)))
				map[(offset + i) / 8] |= 1U << ((offset + i) % 8);
		offset = next;
	} while (next);
	return pages;
}

static void check_bus(struct conf *c)
{
	struct va_get_devices_req gd = { .offset = 0, .count = htole16(8) };
	static u8 map8[65536 / 8];
	unsigned int i, n = 0;
	struct answer *a;
	u16 t[3];
	u32 len;
	u8 bad[8];

	ping(c);
	ck_end(c, "PING: its data is echoed");
	ping_type(c, VA_TYPE_BUS | 0xfc);
	ck_end(c, "a PING with type bits 2-7 set is answered as one without");

	/* three requests in one Argo message */
	len = 0;
	for (i = 0; i < 3; i++) {
		u8 id = i == 1 ? VA_BUS_GET_DEVICES : VA_BUS_PING;
		struct va_ping p = { .data = htole32(i) };

		t[i] = new_token(c, VA_TYPE_BUS, id, 0, TOK_PENDING);
		len += put_rec(c->tx + len, VA_TYPE_BUS, id, 0, t[i],
			       i == 1 ? (const void *)&gd : (const void *)&p,
			       4);
	}
	send_msg(c, c->tx, len, VA_MSG_TYPE);
	for (i = 0; i < 3; i++) {
		a = await(c, t[i]);
		if (a->kind != ANS_RESP)
			ck_bad(c, "record %u (%s): %s", i + 1,
			       i == 1 ? "GET_DEVICES" : "PING", ans_str(c, a));
		else if (i != 1 && get_le32(a->p) != i)
			ck_bad(c, "record %u (PING %u): answered with %#x",
			       i + 1, i, get_le32(a->p));
	}
	ck_end(c, "PING, GET_DEVICES and PING in one Argo message: three answers");

	memset(c->present, 0, sizeof(c->present));
	if (walk_devices(c, VA_WINDOW_MAX, c->present)) {
		if (present(c, 0))
			ck_bad(c, "device 0 is listed");
		for (i = 1; i < 65536; i++) {
			if (!present(c, i))
				continue;
			if (n < VA_MAX_DEVICES)
				c->devs[n].num = i;
			n++;
		}
		if (n > VA_MAX_DEVICES)
			ck_bad(c, "%u devices", n);
		c->ndevs = n < VA_MAX_DEVICES ? n : VA_MAX_DEVICES;
	}
	ck_end(c, "GET_DEVICES in windows of 1024: valid windows, device 0 absent, at most 64 devices");
	for (i = 0; i < c->ndevs; i++)
		diag("device %u", c->devs[i].num);
	if (!c->ndevs)
		diag("the backend offers no device");

	memset(map8, 0, sizeof(map8));
	if (walk_devices(c, 8, map8) &&
	    memcmp(map8, c->present, sizeof(map8)))
		ck_bad(c, "another set of devices");
	ck_end(c, "GET_DEVICES in windows of 8, following next_offset: the same devices");

	gd.offset = htole16(4);
	check_discard(c, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &gd, sizeof(gd),
		      "GET_DEVICES with offset 4 (not a multiple of 8)");
	gd.offset = 0;
	gd.count = htole16(12);
	check_discard(c, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &gd, sizeof(gd),
		      "GET_DEVICES with count 12 (not a multiple of 8)");
	memset(bad, 0, sizeof(bad));
	check_discard(c, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, bad, 2,
		      "GET_DEVICES with a 2-byte payload");
	check_discard(c, VA_TYPE_BUS, VA_BUS_PING, 0, bad, 3,
		      "PING with a 3-byte payload");
	check_discard(c, VA_TYPE_BUS, VA_BUS_PING, 1, bad, 4,
		      "PING naming device 1 (a bus message with a dev_num)");
	check_discard(c, VA_TYPE_BUS, VA_BUS_CONNECT, 0, bad, 8,
		      "CONNECT with an 8-byte payload");
	check_discard(c, VA_TYPE_BUS, UNKNOWN_ID, 0, NULL, 0,
		      "unknown bus request 0x30");
	check_discard(c, VA_TYPE_BUS, UNKNOWN_IMPL_ID, 0, NULL, 0,
		      "unknown bus request 0xbf");
	check_discard(c, VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, bad, 4,
		      "an EVENT_DEVICE sent to the device");
	check_discard(c, VA_TYPE_BUS | VA_TYPE_RESPONSE, VA_BUS_GET_DEVICES, 0,
		      bad, 6, "a GET_DEVICES response sent to the device");
}

/* ---- devices ---- */

static u16 first_absent(const struct conf *c)
{
	unsigned int i;

	for (i = 1; i < 65535; i++)
		if (!present(c, i))
			return i;
	return 65535;
}

static bool all_zero(const u8 *p, u32 len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

static void check_absent(struct conf *c)
{
	u16 nums[3] = { 0, first_absent(c), 65535 };
	struct va_vq_index q = { .index = 0 };
	struct va_features f = { .index = 0, .count = htole32(1) };
	struct va_status s = { .status = 0 };
	struct answer *a;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (i && nums[i] == nums[i - 1])
			continue;
		a = request(c, 0, VA_GET_DEVICE_INFO, nums[i], NULL, 0);
		if (want_resp(c, a, sizeof(struct va_device_info)) &&
		    !all_zero(a->p, a->len))
			ck_bad(c, "device_id %u", get_le32(a->p));
		ck_end(c, "GET_DEVICE_INFO of device %u, which does not exist: all zero",
		       nums[i]);
	}
	a = request(c, 0, VA_GET_DEVICE_STATUS, nums[1], NULL, 0);
	want_error(c, a, ENODEV);
	ck_end(c, "GET_DEVICE_STATUS of device %u (absent): ERROR ENODEV",
	       nums[1]);
	a = request(c, 0, VA_SET_DEVICE_STATUS, nums[1], &s, sizeof(s));
	want_error(c, a, ENODEV);
	ck_end(c, "SET_DEVICE_STATUS of device %u (absent): ERROR ENODEV",
	       nums[1]);
	a = request(c, 0, VA_GET_DEVICE_FEATURES, nums[1], &f, sizeof(f));
	want_error(c, a, ENODEV);
	ck_end(c, "GET_DEVICE_FEATURES of device %u (absent): ERROR ENODEV",
	       nums[1]);
	a = request(c, 0, VA_GET_VQUEUE, 65535, &q, sizeof(q));
	want_error(c, a, ENODEV);
	ck_end(c, "GET_VQUEUE of device 65535 (absent): ERROR ENODEV");
	a = request(c, 0, VA_GET_DEVICE_STATUS, 0, NULL, 0);
	want_error(c, a, ENODEV);
	ck_end(c, "GET_DEVICE_STATUS of device 0: ERROR ENODEV");
}

/* SET_DEVICE_STATUS; returns the status answered, or -1 (rule failed). */
static long set_status(struct conf *c, const struct dev *d, u32 status)
{
	struct va_status s = { .status = htole32(status) };
	struct answer *a = request(c, 0, VA_SET_DEVICE_STATUS, d->num, &s,
				   sizeof(s));

	if (!want_resp(c, a, sizeof(s)))
		return -1;
	if (!va_status_ok(status, get_le32(a->p)))
		ck_bad(c, "status %#x answered %#x", status, get_le32(a->p));
	return get_le32(a->p);
}

static long get_status(struct conf *c, const struct dev *d)
{
	struct answer *a = request(c, 0, VA_GET_DEVICE_STATUS, d->num, NULL, 0);

	if (!want_resp(c, a, sizeof(struct va_status)))
		return -1;
	return get_le32(a->p);
}

/* SET_DRIVER_FEATURES of blocks 0 and 1; returns the answer. */
static struct answer *set_features(struct conf *c, const struct dev *d,
				   u32 block0, u32 block1)
{
	u8 buf[sizeof(struct va_features) + 8];

	put_le32(buf, 0);
	put_le32(buf + 4, 2);
	put_le32(buf + 8, block0);
	put_le32(buf + 12, block1);
	return request(c, 0, VA_SET_DRIVER_FEATURES, d->num, buf, sizeof(buf));
}

/* Reset, ACKNOWLEDGE, DRIVER, VERSION_1, FEATURES_OK; false: it failed. */
static bool dev_init(struct conf *c, const struct dev *d)
{
	long st;

	if (set_status(c, d, 0) != 0 || set_status(c, d, STATUS_ACK) < 0 ||
	    set_status(c, d, STATUS_DRV) < 0)
		return false;
	if (!want_resp(c, set_features(c, d, 0, 1U << (VIRTIO_F_VERSION_1 - 32)), 0))
		return false;
	st = set_status(c, d, STATUS_FEAT);
	if (st < 0)
		return false;
	if (!(st & VIRTIO_CONFIG_S_FEATURES_OK)) {
		ck_bad(c, "FEATURES_OK refused for VERSION_1 alone");
		return false;
	}
	return true;
}

static void set_vqueue(struct va_vqueue *v, u32 index, u32 size)
{
	memset(v, 0, sizeof(*v));
	v->index = htole32(index);
	v->size = htole32(size);
}

static struct answer *get_vqueue(struct conf *c, const struct dev *d,
				 u32 index)
{
	struct va_vq_index q = { .index = htole32(index) };

	return request(c, 0, VA_GET_VQUEUE, d->num, &q, sizeof(q));
}

static struct answer *get_features(struct conf *c, const struct dev *d,
				   u32 index, u32 count)
{
	struct va_features f = {
		.index = htole32(index), .count = htole32(count),
	};

	return request(c, 0, VA_GET_DEVICE_FEATURES, d->num, &f, sizeof(f));
}

static bool check_info(struct conf *c, struct dev *d)
{
	struct answer *a = request(c, 0, VA_GET_DEVICE_INFO, d->num, NULL, 0);
	const struct va_device_info *i = &d->info;

	if (want_resp(c, a, sizeof(*i))) {
		memcpy(&d->info, a->p, sizeof(d->info));
		d->ok = true;
		if (!le32toh(i->device_id))
			ck_bad(c, "device_id 0 for a device GET_DEVICES lists");
		else if (le32toh(i->num_feature_bits) % 32)
			ck_bad(c, "num_feature_bits %u",
			       le32toh(i->num_feature_bits));
		else if (le32toh(i->config_size) > VA_CONFIG_MAX)
			ck_bad(c, "config_size %u", le32toh(i->config_size));
		else if (le32toh(i->max_virtqueues) > VA_MAX_VQS)
			ck_bad(c, "max_virtqueues %u",
			       le32toh(i->max_virtqueues));
	}
	return ck_end(c, "dev %u: GET_DEVICE_INFO: virtio id %u, %u feature bits (a multiple of 32), config %u bytes (<= 4096), %u queues (<= 64)",
		      d->num, le32toh(i->device_id),
		      le32toh(i->num_feature_bits), le32toh(i->config_size),
		      le32toh(i->max_virtqueues));
}

static void check_features(struct conf *c, struct dev *d)
{
	u32 nb = le32toh(d->info.num_feature_bits) / 32, i;
	struct answer *a;
	u8 bad[4] = { 0 };

	a = get_features(c, d, 0, FEATURE_BLOCKS);
	if (want_resp(c, a, sizeof(struct va_features) + 4 * FEATURE_BLOCKS)) {
		if (get_le32(a->p) != 0 || get_le32(a->p + 4) != FEATURE_BLOCKS)
			ck_bad(c, "index %u count %u", get_le32(a->p),
			       get_le32(a->p + 4));
		for (i = 0; i < FEATURE_BLOCKS; i++) {
			d->feat[i] = get_le32(a->p + 8 + 4 * i);
			if (i >= nb && d->feat[i])
				ck_bad(c, "block %u is %#x", i, d->feat[i]);
		}
	}
	ck_end(c, "dev %u: GET_DEVICE_FEATURES {0, 4}: index and count echoed, 4 blocks, zero beyond bit %u",
	       d->num, nb * 32);
	if (!(d->feat[1] & (1U << (VIRTIO_F_VERSION_1 - 32))))
		ck_bad(c, "blocks %#x %#x", d->feat[0], d->feat[1]);
	ck_end(c, "dev %u: VIRTIO_F_VERSION_1 (bit 32) offered", d->num);

	a = get_features(c, d, nb + 8, 2);
	if (want_resp(c, a, sizeof(struct va_features) + 8) &&
	    (get_le32(a->p) != nb + 8 || get_le32(a->p + 4) != 2 ||
	     get_le32(a->p + 8) || get_le32(a->p + 12)))
		ck_bad(c, "index %u count %u blocks %#x %#x", get_le32(a->p),
		       get_le32(a->p + 4), get_le32(a->p + 8), get_le32(a->p + 12));
	ck_end(c, "dev %u: GET_DEVICE_FEATURES {%u, 2}, beyond the device's bits: echoed, zero",
	       d->num, nb + 8);
	want_error(c, get_features(c, d, 0, FEATURE_BLOCKS + 1), EINVAL);
	ck_end(c, "dev %u: GET_DEVICE_FEATURES of 5 blocks: ERROR EINVAL",
	       d->num);
	check_discard(c, 0, VA_GET_DEVICE_FEATURES, d->num, bad, sizeof(bad),
		      "dev %u: GET_DEVICE_FEATURES with a 4-byte payload", d->num);
}

static void check_status(struct conf *c, struct dev *d)
{
	u32 v1 = 1U << (VIRTIO_F_VERSION_1 - 32);
	u8 bad[12] = { 0 };
	long st;

	st = get_status(c, d);
	if (st > 0)
		ck_bad(c, "status %#lx", st);
	ck_end(c, "dev %u: status 0 after CONNECT", d->num);
	st = set_status(c, d, 0);
	if (st > 0)
		ck_bad(c, "answered %#lx", st);
	ck_end(c, "dev %u: SET_DEVICE_STATUS 0 (reset) answers 0", d->num);
	st = set_status(c, d, STATUS_ACK);
	if (st >= 0 && st != STATUS_ACK)
		ck_bad(c, "answered %#lx", st);
	ck_end(c, "dev %u: SET_DEVICE_STATUS ACKNOWLEDGE answers 0x1", d->num);
	st = set_status(c, d, STATUS_DRV);
	if (st >= 0 && st != STATUS_DRV)
		ck_bad(c, "answered %#lx", st);
	ck_end(c, "dev %u: SET_DEVICE_STATUS DRIVER answers 0x3", d->num);
	want_resp(c, set_features(c, d, 0, v1), 0);
	ck_end(c, "dev %u: SET_DRIVER_FEATURES (VERSION_1): an empty answer",
	       d->num);
	st = set_status(c, d, STATUS_FEAT);
	if (st >= 0 && !(st & VIRTIO_CONFIG_S_FEATURES_OK))
		ck_bad(c, "answered %#lx", st);
	ck_end(c, "dev %u: SET_DEVICE_STATUS FEATURES_OK, with VERSION_1: kept (0xb)",
	       d->num);
	st = get_status(c, d);
	if (st >= 0 && st != STATUS_FEAT)
		ck_bad(c, "status %#lx", st);
	ck_end(c, "dev %u: GET_DEVICE_STATUS: 0xb", d->num);
	want_error(c, set_features(c, d, 0, v1), EBUSY);
	ck_end(c, "dev %u: SET_DRIVER_FEATURES after FEATURES_OK: ERROR EBUSY",
	       d->num);

	st = set_status(c, d, 0);
	if (st >= 0 && (set_status(c, d, STATUS_ACK) < 0 ||
			set_status(c, d, STATUS_DRV) < 0 ||
			!want_resp(c, set_features(c, d, 0, 0), 0)))
		st = -1;
	if (st >= 0) {
		st = set_status(c, d, STATUS_FEAT);
		if (st >= 0 && (st & VIRTIO_CONFIG_S_FEATURES_OK))
			ck_bad(c, "answered %#lx", st);
	}
	ck_end(c, "dev %u: SET_DEVICE_STATUS FEATURES_OK, without VERSION_1: refused (FEATURES_OK dropped)",
	       d->num);
	st = set_status(c, d, 0);
	if (st > 0)
		ck_bad(c, "answered %#lx", st);
	st = get_status(c, d);
	if (st > 0)
		ck_bad(c, "GET_DEVICE_STATUS then says %#lx", st);
	ck_end(c, "dev %u: SET_DEVICE_STATUS 0 resets: 0, and GET_DEVICE_STATUS 0",
	       d->num);

	check_discard(c, 0, VA_SET_DEVICE_STATUS, d->num, NULL, 0,
		      "dev %u: SET_DEVICE_STATUS without a payload", d->num);
	check_discard(c, 0, VA_GET_DEVICE_STATUS, d->num, bad, 4,
		      "dev %u: GET_DEVICE_STATUS with a 4-byte payload", d->num);
	put_le32(bad + 4, 2);	/* count 2, one block */
	check_discard(c, 0, VA_SET_DRIVER_FEATURES, d->num, bad, sizeof(bad),
		      "dev %u: SET_DRIVER_FEATURES whose count says 2 blocks, with 1", d->num);
}

static struct answer *get_config(struct conf *c, const struct dev *d,
				 u32 offset, u32 size)
{
	struct va_get_config_req g = {
		.offset = htole32(offset), .size = htole32(size),
	};

	return request(c, 0, VA_GET_CONFIG, d->num, &g, sizeof(g));
}

static struct answer *set_config(struct conf *c, const struct dev *d,
				 u32 gen, u32 offset, const u8 *data, u32 size)
{
	u8 buf[sizeof(struct va_config) + VA_CONFIG_CHUNK];

	put_le32(buf, gen);
	put_le32(buf + 4, offset);
	put_le32(buf + 8, size);
	memcpy(buf + 12, data, size);
	return request(c, 0, VA_SET_CONFIG, d->num, buf, 12 + size);
}

static void check_config(struct conf *c, struct dev *d)
{
	u32 cs = le32toh(d->info.config_size), off, n;
	static const u32 bad_ranges[][2] = {
		{ 0, VA_CONFIG_CHUNK + 1 }, { 0xffffffffU, 2 },
	};
	struct answer *a;
	unsigned int i;
	u8 buf[16];

	for (off = 0; off < cs; off += n) {
		n = cs - off < VA_CONFIG_CHUNK ? cs - off : VA_CONFIG_CHUNK;
		a = get_config(c, d, off, n);
		if (!want_resp(c, a, sizeof(struct va_config) + n))
			break;
		if (get_le32(a->p + 4) != off || get_le32(a->p + 8) != n) {
			ck_bad(c, "asked {%u, %u}, answered offset %u size %u",
			       off, n, get_le32(a->p + 4), get_le32(a->p + 8));
			break;
		}
		if (off && get_le32(a->p) != d->generation)
			diag("dev %u: the config generation went from %u to %u",
			     d->num, d->generation, get_le32(a->p));
		d->generation = get_le32(a->p);
		memcpy(d->config + off, a->p + 12, n);
	}
	ck_end(c, "dev %u: GET_CONFIG of all %u bytes in chunks of <= 256: offset and size echoed",
	       d->num, cs);
	want_error(c, get_config(c, d, cs, 1), EINVAL);
	ck_end(c, "dev %u: GET_CONFIG {%u, 1}, past config_size: ERROR EINVAL",
	       d->num, cs);
	for (i = 0; i < ARRAY_SIZE(bad_ranges); i++) {
		want_error(c, get_config(c, d, bad_ranges[i][0],
					 bad_ranges[i][1]), EINVAL);
		ck_end(c, "dev %u: GET_CONFIG {%#x, %u}: ERROR EINVAL", d->num,
		       bad_ranges[i][0], bad_ranges[i][1]);
	}
	memset(buf, 0, sizeof(buf));
	check_discard(c, 0, VA_GET_CONFIG, d->num, buf, 4,
		      "dev %u: GET_CONFIG with a 4-byte payload", d->num);
	put_le32(buf + 8, 4);	/* size 4, one byte given */
	check_discard(c, 0, VA_SET_CONFIG, d->num, buf, 13,
		      "dev %u: SET_CONFIG whose size says 4 bytes, with 1", d->num);
	if (!cs)
		return;

	a = set_config(c, d, d->generation + 1, 0, d->config, 1);
	if (want_resp(c, a, sizeof(struct va_config)) &&
	    (get_le32(a->p) != d->generation || get_le32(a->p + 4) != 0 ||
	     get_le32(a->p + 8) != 0))
		ck_bad(c, "generation %u offset %u size %u", get_le32(a->p),
		       get_le32(a->p + 4), get_le32(a->p + 8));
	ck_end(c, "dev %u: SET_CONFIG of 1 byte with a stale generation (%u): answered with size 0 and the current generation (%u)",
	       d->num, d->generation + 1, d->generation);
	a = set_config(c, d, d->generation, 0, d->config, 1);
	if (want_resp(c, a, sizeof(struct va_config) + 1) &&
	    (get_le32(a->p + 4) != 0 || get_le32(a->p + 8) != 1))
		ck_bad(c, "offset %u size %u", get_le32(a->p + 4),
		       get_le32(a->p + 8));
	ck_end(c, "dev %u: SET_CONFIG of 1 byte with the current generation (%u): answered with size 1",
	       d->num, d->generation);
}

static void check_queues(struct conf *c, struct dev *d)
{
	u32 nq = le32toh(d->info.max_virtqueues), i, max;
	u32 missing = nq < VA_MAX_VQS ? nq : VA_MAX_VQS;
	struct va_vqueue v;
	struct answer *a;
	u8 bad[36] = { 0 };

	dev_init(c, d);
	ck_end(c, "dev %u: reset, ACKNOWLEDGE, DRIVER, VERSION_1, FEATURES_OK for the queue checks",
	       d->num);
	for (i = 0; i < nq && i < VA_MAX_VQS; i++) {
		a = get_vqueue(c, d, i);
		if (!want_resp(c, a, sizeof(v)))
			break;
		max = get_le32(a->p + 4);
		if (!i)
			d->q0max = max;
		if (get_le32(a->p) != i || max > VA_MAX_VQ_SIZE ||
		    get_le32(a->p + 8) || (!i && !max)) {
			ck_bad(c, "queue %u: index %u max_size %u size %u", i,
			       get_le32(a->p), max, get_le32(a->p + 8));
			break;
		}
	}
	ck_end(c, "dev %u: GET_VQUEUE 0 to %u: index echoed, max_size 1 to 1024 (queue 0) or 0 to 1024, size 0",
	       d->num, nq ? nq - 1 : 0);
	a = get_vqueue(c, d, missing);
	if (want_resp(c, a, sizeof(v)) &&
	    (get_le32(a->p) != missing || get_le32(a->p + 4)))
		ck_bad(c, "index %u max_size %u", get_le32(a->p),
		       get_le32(a->p + 4));
	ck_end(c, "dev %u: GET_VQUEUE %u, a queue that does not exist: max_size 0",
	       d->num, missing);
	if (d->q0max) {
		set_vqueue(&v, 0, d->q0max);
		a = request(c, 0, VA_SET_VQUEUE, d->num, &v, sizeof(v));
		want_resp(c, a, 0);
		ck_end(c, "dev %u: SET_VQUEUE 0, size %u: an empty answer",
		       d->num, d->q0max);
		a = get_vqueue(c, d, 0);
		if (want_resp(c, a, sizeof(v)) && get_le32(a->p + 8) != d->q0max)
			ck_bad(c, "size %u", get_le32(a->p + 8));
		ck_end(c, "dev %u: GET_VQUEUE 0 after it: size %u", d->num,
		       d->q0max);
		set_vqueue(&v, 0, 0);
		want_error(c, request(c, 0, VA_SET_VQUEUE, d->num, &v,
				      sizeof(v)), 0);
		ck_end(c, "dev %u: SET_VQUEUE 0, size 0: ERROR", d->num);
		set_vqueue(&v, 0, d->q0max + 1);
		want_error(c, request(c, 0, VA_SET_VQUEUE, d->num, &v,
				      sizeof(v)), 0);
		ck_end(c, "dev %u: SET_VQUEUE 0, size %u (above max_size): ERROR",
		       d->num, d->q0max + 1);
	}
	set_vqueue(&v, missing, 1);
	want_error(c, request(c, 0, VA_SET_VQUEUE, d->num, &v, sizeof(v)), 0);
	ck_end(c, "dev %u: SET_VQUEUE %u (no such queue), size 1: ERROR",
	       d->num, missing);
	put_le32(bad, 0);
	want_resp(c, request(c, 0, VA_RESET_VQUEUE, d->num, bad, 4), 0);
	ck_end(c, "dev %u: RESET_VQUEUE 0: an empty answer", d->num);
	put_le32(bad, missing);
	want_error(c, request(c, 0, VA_RESET_VQUEUE, d->num, bad, 4), 0);
	ck_end(c, "dev %u: RESET_VQUEUE %u (no such queue): ERROR", d->num,
	       missing);
	put_le32(bad, 0);
	check_discard(c, 0, VA_GET_VQUEUE, d->num, NULL, 0,
		      "dev %u: GET_VQUEUE without a payload", d->num);
	check_discard(c, 0, VA_SET_VQUEUE, d->num, bad, sizeof(bad),
		      "dev %u: SET_VQUEUE with a 36-byte payload", d->num);

	a = request(c, 0, VA_GET_SHM, d->num, bad, 4);
	if (want_resp(c, a, sizeof(struct va_shm_resp)) &&
	    (get_le32(a->p) || get_le32(a->p + 4) || get_le32(a->p + 8)))
		ck_bad(c, "index %u length %u address %#x", get_le32(a->p),
		       get_le32(a->p + 4), get_le32(a->p + 8));
	ck_end(c, "dev %u: GET_SHM 0: index echoed, length 0, address 0",
	       d->num);
	check_discard(c, 0, UNKNOWN_ID, d->num, NULL, 0,
		      "dev %u: unknown transport request 0x30", d->num);
	check_discard(c, 0, UNKNOWN_IMPL_ID, d->num, NULL, 0,
		      "dev %u: unknown transport request 0xbf", d->num);
	if (set_status(c, d, 0))
		ck_bad(c, "the reset did not answer 0");
	ck_end(c, "dev %u: SET_DEVICE_STATUS 0 after the queue checks: 0",
	       d->num);
}

static void check_device(struct conf *c, struct dev *d)
{
	if (!check_info(c, d))
		return;
	check_features(c, d);
	check_status(c, d);
	check_config(c, d);
	check_queues(c, d);
}

/* VIRTIO_NET_F_MRG_RXBUF against VA_F_HOLD, for every net device. */
static void check_net(struct conf *c)
{
	bool hold = c->lk.features & (1ULL << VA_F_HOLD), any = false;
	unsigned int i;
	struct answer *a;

	for (i = 0; i < c->ndevs; i++) {
		struct dev *d = &c->devs[i];
		bool mrg = false;

		if (!d->ok || le32toh(d->info.device_id) != VIRTIO_ID_NET)
			continue;
		any = true;
		a = get_features(c, d, 0, 1);
		if (want_resp(c, a, sizeof(struct va_features) + 4))
			mrg = get_le32(a->p + 8) & (1U << VIRTIO_NET_F_MRG_RXBUF);
		if (!hold) {
			if (mrg)
				ck_bad(c, "offered");
			ck_end(c, "dev %u (net): VA_F_HOLD not negotiated: VIRTIO_NET_F_MRG_RXBUF (bit 15) not offered",
			       d->num);
		} else if (mrg || c->ck_failed) {
			ck_end(c, "dev %u (net): VA_F_HOLD negotiated: VIRTIO_NET_F_MRG_RXBUF offered",
			       d->num);
		} else {
			char name[96];

			snprintf(name, sizeof(name), "- dev %u (net): VA_F_HOLD negotiated: VIRTIO_NET_F_MRG_RXBUF offered",
				 d->num);
			tap_skip(name, "the device does not offer it (allowed)");
		}
	}
	if (!any && !c->net_skipped) {
		tap_skip("- a net device offers VIRTIO_NET_F_MRG_RXBUF only with VA_F_HOLD",
			 "no net device (virtio id 1)");
		c->net_skipped = true;
	}
}

/* ---- data plane ---- */

static struct chain *chain_new(struct conf *c, const struct dev *d, u16 vq,
			       u16 id, u32 in_len)
{
	unsigned int i;

	for (i = 0; i < MAX_CHAINS; i++) {
		struct chain *ch = &c->chains[i];

		if (ch->used)
			continue;
		memset(ch, 0, sizeof(*ch));
		ch->used = true;
		ch->dev_num = d->num;
		ch->vq = vq;
		ch->id = id;
		ch->acct.in_len = in_len;
		return ch;
	}
	bail("more than %u chains", MAX_CHAINS);
}

static void chains_clear(struct conf *c)
{
	memset(c->chains, 0, sizeof(c->chains));
}

/* Write one AVAIL_CHAIN record at @buf; returns its size. */
static u32 put_avail(u8 *buf, const struct dev *d, u16 vq, u16 id,
		     u32 out_len, u32 in_len, u32 offset, u16 flags,
		     const u8 *data, u32 n)
{
	struct va_avail_chain a = {
		.vq = htole16(vq),
		.chain = htole16(id),
		.out_len = htole32(out_len),
		.in_len = htole32(in_len),
		.offset = htole32(offset),
		.flags = htole16(flags),
	};
	u8 rec[sizeof(a) + 64];

	memcpy(rec, &a, sizeof(a));
	if (n)
		memcpy(rec + sizeof(a), data, n);
	return put_rec(buf, 0, VA_AVAIL_CHAIN, d->num, 0, rec, sizeof(a) + n);
}

/* Wait until every chain is done, the clock restarting with each record. */
static void await_chains(struct conf *c)
{
	long long deadline = now_ms() + c->timeout_ms;
	unsigned int i, open;
	struct rec r;

	for (;;) {
		for (i = open = 0; i < MAX_CHAINS; i++)
			open += c->chains[i].used && !c->chains[i].done;
		if (!open || !next_record(c, &r, deadline))
			return;
		handle(c, &r);
		deadline = now_ms() + c->timeout_ms;
	}
}

/* Is @ch complete, with @total bytes (0: any from 1 to in_len)? */
static bool chain_ok(struct conf *c, const struct chain *ch, u32 total)
{
	if (!ch->done) {
		ck_bad(c, "chain %u: %u of its bytes within %d ms", ch->id,
		       ch->acct.received, c->timeout_ms);
		return false;
	}
	if (ch->bad) {
		ck_bad(c, "chain %u: %s", ch->id, ch->bad);
		return false;
	}
	if ((total && ch->acct.total != total) || !ch->acct.total) {
		ck_bad(c, "chain %u: total %u", ch->id, ch->acct.total);
		return false;
	}
	return true;
}

static void check_frag_size(struct conf *c, const struct dev *d,
			    const struct chain *ch, const char *what)
{
	if (ch->largest > c->lk.max_size)
		ck_bad(c, "a %u-byte record", ch->largest);
	ck_end(c, "dev %u %s came in %u USED_CHAIN record(s), the largest %u bytes (max_size %u)",
	       d->num, what, ch->frags, ch->largest, c->lk.max_size);
}

static bool start_queue0(struct conf *c, struct dev *d)
{
	struct va_vqueue v;

	if (!dev_init(c, d))
		return false;
	set_vqueue(&v, 0, d->q0max);
	if (!want_resp(c, request(c, 0, VA_SET_VQUEUE, d->num, &v, sizeof(v)),
		       0))
		return false;
	return set_status(c, d, STATUS_OK) == STATUS_OK;
}

static void blk_hdr(u8 *p, u32 type, u64 sector)
{
	put_le32(p, type);
	put_le32(p + 4, 0);
	put_le64(p + 8, sector);
}

static void check_blk(struct conf *c, struct dev *d)
{
	u64 cap = le32toh(d->info.config_size) >= 8 ? get_le64(d->config) : 0;
	u32 rd = cap >= BLK_READ / SECTOR ? BLK_READ : SECTOR, len;
	struct chain *ch[3];
	u8 hdr[BLK_OUTHDR];
	bool started;

	if (!cap || d->q0max < 3) {
		tap_skip("- blk: reads through AVAIL_CHAIN and USED_CHAIN",
			 !cap ? "an empty disk" : "queue 0 holds fewer than 3 chains");
		return;
	}
	started = start_queue0(c, d);
	ck_end(c, "dev %u (blk): started (FEATURES_OK, queue 0 of %u, DRIVER_OK)",
	       d->num, d->q0max);
	if (!started)
		return;

	/* a read and a GET_ID in one Argo message */
	blk_hdr(hdr, VIRTIO_BLK_T_IN, 0);
	len = put_avail(c->tx, d, 0, 0, BLK_OUTHDR, rd + 1, 0,
			VA_CHAIN_FIRST | VA_CHAIN_LAST, hdr, BLK_OUTHDR);
	ch[0] = chain_new(c, d, 0, 0, rd + 1);
	blk_hdr(hdr, VIRTIO_BLK_T_GET_ID, 0);
	len += put_avail(c->tx + len, d, 0, 1, BLK_OUTHDR, BLK_ID_LEN, 0,
			 VA_CHAIN_FIRST | VA_CHAIN_LAST, hdr, BLK_OUTHDR);
	ch[1] = chain_new(c, d, 0, 1, BLK_ID_LEN);
	send_msg(c, c->tx, len, VA_MSG_TYPE);
	/* a read whose header comes in two fragments */
	blk_hdr(hdr, VIRTIO_BLK_T_IN, 0);
	ch[2] = chain_new(c, d, 0, 2, SECTOR + 1);
	send_msg(c, c->tx, put_avail(c->tx, d, 0, 2, BLK_OUTHDR, SECTOR + 1, 0,
				     VA_CHAIN_FIRST, hdr, 8), VA_MSG_TYPE);
	send_msg(c, c->tx, put_avail(c->tx, d, 0, 2, BLK_OUTHDR, SECTOR + 1, 8,
				     VA_CHAIN_LAST, hdr + 8, 8), VA_MSG_TYPE);
	await_chains(c);

	if (chain_ok(c, ch[0], rd + 1) && ch[0]->last != VIRTIO_BLK_S_OK)
		ck_bad(c, "status %u", ch[0]->last);
	ck_end(c, "dev %u (blk): a %u-byte read of sector 0: total %u, status OK",
	       d->num, rd, rd + 1);
	chain_ok(c, ch[1], 0);
	ck_end(c, "dev %u (blk): a GET_ID in the same Argo message: completed, total 1 to %u",
	       d->num, BLK_ID_LEN);
	if (chain_ok(c, ch[2], SECTOR + 1) && ch[2]->last != VIRTIO_BLK_S_OK)
		ck_bad(c, "status %u", ch[2]->last);
	ck_end(c, "dev %u (blk): a read whose request header came in two AVAIL_CHAIN fragments: total %u, status OK",
	       d->num, SECTOR + 1);
	check_frag_size(c, d, ch[0], "(blk): the read");
	chains_clear(c);
	if (set_status(c, d, 0))
		ck_bad(c, "the reset did not answer 0");
	ck_end(c, "dev %u (blk): reset after the reads: 0", d->num);
}

static void check_rng(struct conf *c, struct dev *d)
{
	struct chain *ch;
	bool started;

	if (!d->q0max) {
		tap_skip("- rng: a buffer through AVAIL_CHAIN and USED_CHAIN",
			 "queue 0 has no entries");
		return;
	}
	started = start_queue0(c, d);
	ck_end(c, "dev %u (rng): started (FEATURES_OK, queue 0 of %u, DRIVER_OK)",
	       d->num, d->q0max);
	if (!started)
		return;
	ch = chain_new(c, d, 0, 0, RNG_LEN);
	send_msg(c, c->tx, put_avail(c->tx, d, 0, 0, 0, RNG_LEN, 0,
				     VA_CHAIN_FIRST | VA_CHAIN_LAST, NULL, 0),
		 VA_MSG_TYPE);
	await_chains(c);
	chain_ok(c, ch, 0);
	ck_end(c, "dev %u (rng): an %u-byte buffer: total 1 to %u", d->num,
	       RNG_LEN, RNG_LEN);
	check_frag_size(c, d, ch, "(rng): the buffer");
	chains_clear(c);
	if (set_status(c, d, 0))
		ck_bad(c, "the reset did not answer 0");
	ck_end(c, "dev %u (rng): reset after the buffer: 0", d->num);
}

static void check_data(struct conf *c)
{
	bool blk = false, rng = false;
	unsigned int i;

	for (i = 0; i < c->ndevs; i++) {
		struct dev *d = &c->devs[i];
		u32 id = le32toh(d->info.device_id);

		if (!d->ok)
			continue;
		if (id == VIRTIO_ID_BLOCK && !blk) {
			blk = true;
			check_blk(c, d);
		} else if (id == VIRTIO_ID_RNG && !rng) {
			rng = true;
			check_rng(c, d);
		}
	}
	if (!blk)
		tap_skip("- blk: reads through AVAIL_CHAIN and USED_CHAIN",
			 "no blk device (virtio id 2)");
	if (!rng)
		tap_skip("- rng: a buffer through AVAIL_CHAIN and USED_CHAIN",
			 "no rng device (virtio id 4)");
}

/* A second CONNECT, with the other feature set, resets the devices. */
static void check_reconnect(struct conf *c)
{
	struct dev *d = NULL;
	struct answer *a;
	unsigned int i;
	long st;

	for (i = 0; i < c->ndevs && !d; i++)
		if (c->devs[i].ok && c->devs[i].q0max)
			d = &c->devs[i];
	if (d) {
		start_queue0(c, d);
		ck_end(c, "dev %u: started before the second CONNECT", d->num);
	}
	if (!connect_link(c, c->feat_ask ^ (1ULL << VA_F_HOLD), "a second"))
		bail("no connection after the second CONNECT");
	if (d) {
		st = get_status(c, d);
		if (st > 0)
			ck_bad(c, "status %#lx", st);
		a = get_vqueue(c, d, 0);
		if (want_resp(c, a, sizeof(struct va_vqueue)) && get_le32(a->p + 8))
			ck_bad(c, "queue 0 size %u", get_le32(a->p + 8));
		ck_end(c, "dev %u: the second CONNECT reset it: status 0, queue 0 size 0",
		       d->num);
	}
	check_net(c);
}

/* ---- protocol 1 ---- */

static void check_v1(struct conf *c)
{
	u16 t = new_token(c, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, TOK_DISCARD);
	long long deadline = now_ms() + c->timeout_ms;
	u8 rec[12], *m = c->rx;
	struct rec r;
	u32 type;
	bool got = false;

	put_rec(rec, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, t, "\0\0\x40\0", 4);
	send_msg(c, rec, sizeof(rec), VA_MSG_TYPE_V1);
	while (!got && recv_msg(c, deadline, &type)) {
		if (type != VA_MSG_TYPE_V1) {
			gen_fail(c, G_SOURCE, "a message of message_type %#x answers a protocol 1 request",
				 type);
			while (c->rx_off < c->rx_len)
				if (take_record(c, &r))
					handle(c, &r);
			continue;
		}
		got = true;
		if (c->rx_len != 12)
			ck_bad(c, "a %u-byte message", c->rx_len);
		else if (m[0] != (V1_ERROR_TYPE | VA_TYPE_BUS) ||
			 m[1] != VA_BUS_GET_DEVICES || get_le16(m + 2) ||
			 get_le16(m + 4) != t || get_le16(m + 6) != 12 ||
			 get_le32(m + 8) != V1_EPROTONOSUPPORT)
			ck_bad(c, "type %#x msg_id %#x dev_num %u token %u (sent %u) msg_size %u error %u",
			       m[0], m[1], get_le16(m + 2), get_le16(m + 4), t,
			       get_le16(m + 6), get_le32(m + 8));
		c->rx_len = 0;
	}
	if (!got)
		ck_bad(c, "no protocol 1 answer within %d ms", c->timeout_ms);
	ck_end(c, "protocol 1: a GET_DEVICES of message_type 0x56410001 gets the protocol 1 refusal (type 0x07, msg_id, dev_num and token echoed, msg_size 12, EPROTONOSUPPORT)");
}

/* ---- main ---- */

static const char usage_text[] =
"usage: va_conform [-d DOMID] [-m SIZE] [--no-hold] [--v1] [-t MS] [-v]\n"
"\n"
"Checks a virtio-argo device backend (protocol 2: the virtio-msg bus over\n"
"Argo) by playing a guest driver over /dev/argo: CONNECT, the bus messages,\n"
"every transport message on every device the backend lists, what it must\n"
"discard or refuse, reads through the data plane on its first blk and rng\n"
"devices (nothing is written), and the framing of every record it sends.\n"
"Prints one TAP line per rule; exit status 0 when all held, 1 when one did\n"
"not, 2 on bad usage or when /dev/argo cannot be used.  Run it in a domain\n"
"the backend serves (its own domain too) where no virtio-argo.ko uses the\n"
"same backend, as root or with access to /dev/argo; in a guest of dom0:\n"
"  rmmod virtio_argo; va_conform --v1 && va_conform -m 1024 --no-hold\n"
"\n"
"  -d, --backend DOMID  the backend's domain (default 0)\n"
"  -m, --max-size SIZE  the max_size offered in CONNECT, 1024 to 65535\n"
"                       (default 65535): every record received must fit it\n"
"      --no-hold        offer no transport feature (default: VA_F_HOLD);\n"
"                       a second CONNECT offers the other set either way\n"
"      --v1             also check the answer to a protocol 1 request\n"
"  -t, --timeout MS     how long to wait for an answer (default %d)\n"
"  -v, --verbose        show every record sent and received\n";

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout, usage_text, DEFAULT_TIMEOUT);
	exit(status);
}

static unsigned long number(const char *s, unsigned long min,
			    unsigned long max)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		usage(2);
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v < min || v > max)
		usage(2);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'd' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "no-hold", no_argument, NULL, 'H' },
		{ "v1", no_argument, NULL, '1' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf *c = &conf;
	uint32_t port = ARGO_PORT_ANY, max_msg;
	unsigned int i, g;
	int opt, room;

	c->max_ask = VA_SIZE_MAX;
	c->feat_ask = 1ULL << VA_F_HOLD;
	c->timeout_ms = DEFAULT_TIMEOUT;
	while ((opt = getopt_long(argc, argv, "d:m:t:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			c->be_dom = number(optarg, 0, 0x7FEF);
			break;
		case 'm':
			c->max_ask = number(optarg, VA_SIZE_MIN, VA_SIZE_MAX);
			break;
		case 'H':
			c->feat_ask = 0;
			break;
		case '1':
			c->v1 = true;
			break;
		case 't':
			c->timeout_ms = number(optarg, 1, 600000);
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	c->lk.max_size = VA_SIZE_MAX;
	c->tok[0].state = TOK_DISCARD;	/* events carry token 0 */
	c->fd = argo_open(0);
	if (c->fd < 0) {
		printf("Bail out! cannot open %s: %s\n", ARGO_DEV_PATH,
		       strerror(errno));
		return 2;
	}
	if (argo_bind(c->fd, &port, c->be_dom, RING_SIZE)) {
		printf("Bail out! cannot bind a ring for dom%u: %s\n",
		       c->be_dom, strerror(errno));
		return 2;
	}
	tap_start();
	diag("va_conform: dom%d port %#x, backend dom%u port %#x; offering max_size %u, features %#llx",
	     argo_domid(c->fd), port, c->be_dom, VA_BACKEND_PORT, c->max_ask,
	     (unsigned long long)c->feat_ask);
	if (argo_query(c->fd, c->be_dom, VA_BACKEND_PORT, 0, &room,
		       &max_msg) == 0)
		bail("no ring at dom%u port %#x: is the backend running?",
		     c->be_dom, VA_BACKEND_PORT);

	if (c->v1)
		check_v1(c);
	check_connect(c);
	check_bus(c);
	check_absent(c);
	for (i = 0; i < c->ndevs; i++)
		check_device(c, &c->devs[i]);
	check_data(c);
	check_net(c);
	check_reconnect(c);
	ping(c);
	ck_end(c, "a last PING: answered");

	diag("%u EVENT_CONFIG and %u EVENT_DEVICE received",
	     c->events_config, c->events_device);
	for (g = 0; g < G_COUNT; g++) {
		if (c->gen[g].n)
			tap_ok(0, "- %s: %u times, first: %s", gen_names[g],
			       c->gen[g].n, c->gen[g].first);
		else
			tap_ok(1, "- %s", gen_names[g]);
	}
	return tap_done();
}
