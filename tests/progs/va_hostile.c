// SPDX-License-Identifier: GPL-2.0
/*
 * va_hostile: a deliberately hostile virtio-argo device backend.
 *
 *   va_hostile MODE [-p PARTNER_DOMID] [-n COUNT] [-s SEED]
 *   va_hostile selftest
 *
 * It binds the backend port VA_BACKEND_PORT on /dev/argo (for any sender
 * unless -p names one domain) and serves, as docs/virtio-argo-protocol.md
 * describes, one virtio-blk device to every guest that talks to it:
 * dev_num 1, 4096 zero-filled sectors (writes are accepted and dropped),
 * VIRTIO_F_VERSION_1 only, one queue of at most 64 entries.  That lasts
 * until the guest's first read (VIRTIO_BLK_T_IN) at sector 1000 or beyond:
 * instead of answering it, va_hostile misbehaves as MODE says, and from
 * then on it reads and drops everything that guest sends, until it is
 * killed (SIGTERM and SIGINT exit 0).  The in-VM tests use it to show that
 * virtio-argo.ko survives a broken or malicious backend.
 *
 *   good            never misbehave: a correct, zero-filled disk
 *   truncated       a USED_CHAIN whose msg_size runs past its Argo message
 *   wrong-chain     a correct-looking USED_CHAIN for a chain that is not
 *                   outstanding (one the guest never sent, if there is one)
 *   oversize        a USED_CHAIN whose total (and data) exceeds in_len
 *   bad-offset      a correct first fragment, then one whose offset skips
 *                   a byte
 *   unknown-device  the correct USED_CHAIN, but naming dev_num 7
 *   bad-queue       the correct USED_CHAIN, but naming vq 9
 *   garbage         COUNT (default 20) messages of 1 to 4096 random bytes
 *                   (message type VA_MSG_TYPE, seed from -s or the clock)
 *   unsolicited     a GET_CONFIG response nobody asked for, fresh token
 *   silent          no answer to that read, nor to anything after it
 *   exit            exit(0) at once: the ring goes away with the process
 *
 * Modes that go on serving after the trigger (or have none):
 *   hold-exit       answer that read whole but with VA_CHAIN_HOLD (a group
 *                   the driver must see at once, never ended), then exit
 *   hold-forever    answer every read at sector 1000 or beyond with
 *                   VA_CHAIN_HOLD, and go on answering PINGs
 *   many-devices    no trigger: GET_DEVICES pages through 100 devices,
 *                   the disk and 99 of virtio id 0x3fff (no driver claims
 *                   it; no config, one queue), more than a guest may have
 *   config-storm    no trigger: once the driver set DRIVER_OK, an
 *                   EVENT_CONFIG after every message and whenever nothing
 *                   arrives, as fast as the guest's ring takes them
 *   in-order        no trigger: the device also offers VIRTIO_F_IN_ORDER,
 *                   although its USED_CHAIN records may come in any order
 *   config-drop     answer that read, then answer every GET_CONFIG with
 *                   another range than asked and send EVENT_CONFIG (now
 *                   and after every later message): the guest drops the
 *                   device, and must ignore the events that still come
 *   reset-used      no trigger: the answer to every reset (SET_DEVICE_STATUS
 *                   0) carries, in the same Argo message, a USED_CHAIN of
 *                   512 bytes for the queue's last completed chain, which
 *                   the driver takes back at the reset: the guest must
 *                   drop it, never copy it
 *
 * Everything a guest sends is validated; a record breaking the protocol is
 * dropped with a line on stderr.  Event lines on stderr:
 *   va_hostile: guest N connected
 *   va_hostile: trigger at sector S: sent MODE
 *   va_hostile: reset N: USED_CHAIN in the answer's message
 *
 * "selftest" needs no Argo: it feeds records straight into the handlers,
 * checks what they would send with a model of the driver's validation
 * (docs §6) and prints TAP.  Bad arguments exit 2 with the usage.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "libargo.h"
#include "argo/virtio_argo_proto.h"
#include "../lib/tap.h"

#define DEV_NUM		1
#define DEV_VENDOR	0
#define NUM_VQS		1
#define VQ_MAX		64U
#define CAPACITY	4096ULL		/* sectors */
#define SECTOR_SIZE	512U
#define TRIGGER_SECTOR	1000ULL
#define FEATURE_WORDS	2
#define RING_SIZE	(256U * 1024)	/* holds a VA_MSG_MAX message */
#define CHAIN_MAX	(256U << 20)	/* largest out_len/in_len accepted */
#define MAX_GUESTS	64
#define MAX_COMPLAINTS	20
#define MAX_FEATURE_REQ	4		/* words one GET_DEVICE_FEATURES may ask */
#define BAD_DEV_NUM	7
#define BAD_VQ		9
#define OVERSIZE_EXTRA	512U
#define GARBAGE_MAX	4096U
#define DEFAULT_COUNT	20UL
#define OUTHDR_SIZE	((uint32_t)sizeof(struct virtio_blk_outhdr))
#define CONFIG_SIZE	((uint32_t)sizeof(struct virtio_blk_config))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

enum mode {
	MODE_GOOD,
	MODE_TRUNCATED,
	MODE_WRONG_CHAIN,
	MODE_OVERSIZE,
	MODE_BAD_OFFSET,
	MODE_UNKNOWN_DEVICE,
	MODE_BAD_QUEUE,
	MODE_GARBAGE,
	MODE_UNSOLICITED,
	MODE_SILENT,
	MODE_EXIT,
	MODE_HOLD_EXIT,
	MODE_HOLD_FOREVER,
	MODE_MANY_DEVICES,
	MODE_CONFIG_STORM,
	MODE_IN_ORDER,
	MODE_CONFIG_DROP,
	MODE_RESET_USED,
	MODE_COUNT
};

static const char *const mode_names[MODE_COUNT] = {
	[MODE_GOOD] = "good",
	[MODE_TRUNCATED] = "truncated",
	[MODE_WRONG_CHAIN] = "wrong-chain",
	[MODE_OVERSIZE] = "oversize",
	[MODE_BAD_OFFSET] = "bad-offset",
	[MODE_UNKNOWN_DEVICE] = "unknown-device",
	[MODE_BAD_QUEUE] = "bad-queue",
	[MODE_GARBAGE] = "garbage",
	[MODE_UNSOLICITED] = "unsolicited",
	[MODE_SILENT] = "silent",
	[MODE_EXIT] = "exit",
	[MODE_HOLD_EXIT] = "hold-exit",
	[MODE_HOLD_FOREVER] = "hold-forever",
	[MODE_MANY_DEVICES] = "many-devices",
	[MODE_CONFIG_STORM] = "config-storm",
	[MODE_IN_ORDER] = "in-order",
	[MODE_CONFIG_DROP] = "config-drop",
	[MODE_RESET_USED] = "reset-used",
};

/* many-devices: the disk and this many more, of EXTRA_DEVICE_ID. */
#define EXTRA_DEVICES	99U
#define EXTRA_DEVICE_ID	0x3fffU

/* Modes that misbehave at the trigger read. */
static bool mode_triggers(enum mode m)
{
	return m != MODE_GOOD && m != MODE_MANY_DEVICES &&
	       m != MODE_CONFIG_STORM && m != MODE_IN_ORDER &&
	       m != MODE_RESET_USED;
}

/* The features the device offers, by 32-bit word: VIRTIO_F_VERSION_1. */
static const uint32_t dev_features[FEATURE_WORDS] = {
	0, 1U << (VIRTIO_F_VERSION_1 - 32),
};

/* in-order: VIRTIO_F_IN_ORDER (35) too. */
static const uint32_t in_order_features[FEATURE_WORDS] = {
	0, 1U << (VIRTIO_F_VERSION_1 - 32) | 1U << (35 - 32),
};

/* One chain the guest sent (or is sending), by head descriptor. */
struct chain {
	bool active;		/* FIRST fragment arrived, not yet answered */
	uint32_t out_len;
	uint32_t in_len;
	uint32_t received;	/* out bytes so far */
	uint8_t hdr[sizeof(struct virtio_blk_outhdr)];	/* first out bytes */
};

struct queue {
	uint32_t size;		/* from SET_VQUEUE; 0 while not set up */
	uint64_t seen;		/* ids that ever came as chains, a bit each */
	struct chain chains[VQ_MAX];
};

/* A guest is one domain; its port may change when its module reloads. */
struct guest {
	bool used;
	bool done;		/* misbehaved at it: ignore it from now on */
	bool gone;		/* a send to it failed: skip sends until it talks */
	bool warned_type;
	uint16_t domid;
	uint32_t port;
	uint16_t last_token;
	unsigned int complaints;
	uint8_t status;
	uint32_t drv_features[FEATURE_WORDS];
	bool drv_extra;		/* the driver set bits beyond our words */
	bool churn;		/* config-drop: triggered */
	uint16_t last_chain;	/* reset-used: the last chain answered */
	unsigned int resets;	/* reset-used: resets answered */
	uint32_t generation;	/* EVENT_CONFIG's generation */
	struct queue vq[NUM_VQS];
};

struct hostile;
/* Send one Argo message to @g: 0 or a negative errno. */
typedef int (*send_fn)(struct hostile *h, struct guest *g, const void *buf,
		       size_t len);

struct hostile {
	enum mode mode;
	unsigned long count;
	uint64_t rng;
	uint16_t partner;
	int fd;
	send_fn send;
	void *priv;
	bool warned_full;
	unsigned int strangers;
	uint8_t config[CONFIG_SIZE];
	struct guest guests[MAX_GUESTS];
	uint8_t tx[VA_MSG_MAX];
};

static bool quiet;

static __printf(1, 2) void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "va_hostile: %s\n", line);
}

/* A record from @g that breaks the protocol is dropped, and said (a few). */
static int complain(struct guest *g, uint8_t msg_id, const char *why)
{
	if (g->complaints < MAX_COMPLAINTS)
		say("guest %u: dropped record 0x%02x: %s", g->domid, msg_id,
		    why);
	else if (g->complaints == MAX_COMPLAINTS)
		say("guest %u: more bad records, not logged", g->domid);
	if (g->complaints <= MAX_COMPLAINTS)
		g->complaints++;
	return -EPROTO;
}

/* splitmix64: good enough random bytes for the garbage mode and the fuzz. */
static uint64_t rnd(struct hostile *h)
{
	uint64_t z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- records ---- */

static void put_hdr(uint8_t *buf, uint8_t type, uint8_t msg_id,
		    uint16_t dev_num, uint16_t token, uint32_t size)
{
	struct va_hdr hd = {
		.type = type,
		.msg_id = msg_id,
		.dev_num = htole16(dev_num),
		.token = htole16(token),
		.msg_size = htole16((uint16_t)size),
	};

	memcpy(buf, &hd, sizeof(hd));
}

/*
 * Build in @buf one USED_CHAIN record carrying bytes [@offset, @offset +
 * @written) of a reply of @total bytes, all zero but the last one, which
 * is @status (virtio-blk's status byte ends the writable bytes).
 * @written is at most VA_FRAG_MAX.  Returns the record's size.
 */
static size_t build_used(uint8_t *buf, uint16_t dev_num, uint16_t vq,
			 uint16_t chain, uint32_t total, uint32_t offset,
			 uint32_t written, uint16_t flags, uint8_t status)
{
	struct va_used_chain u = {
		.vq = htole16(vq),
		.chain = htole16(chain),
		.written = htole32(written),
		.total = htole32(total),
		.offset = htole32(offset),
		.flags = htole16(flags),
	};
	uint64_t last = (uint64_t)total - 1;

	put_hdr(buf, 0, VA_USED_CHAIN, dev_num, 0,
		VA_CHAIN_HDR_SIZE + written);
	memcpy(buf + VA_HDR_SIZE, &u, sizeof(u));
	memset(buf + VA_CHAIN_HDR_SIZE, 0, written);
	if (total && last >= offset && last < (uint64_t)offset + written)
		buf[VA_CHAIN_HDR_SIZE + (last - offset)] = status;
	return VA_CHAIN_HDR_SIZE + written;
}

/* ---- guests ---- */

static void reset_queue(struct queue *q)
{
	q->size = 0;
	memset(q->chains, 0, sizeof(q->chains));
}

static void reset_device(struct guest *g)
{
	int i;

	g->status = 0;
	memset(g->drv_features, 0, sizeof(g->drv_features));
	g->drv_extra = false;
	for (i = 0; i < NUM_VQS; i++)
		reset_queue(&g->vq[i]);
}

static struct guest *guest_get(struct hostile *h, uint16_t domid,
			       uint32_t port)
{
	struct guest *g, *free_slot = NULL;
	int i;

	for (i = 0; i < MAX_GUESTS; i++) {
		g = &h->guests[i];
		if (!g->used) {
			if (!free_slot)
				free_slot = g;
			continue;
		}
		if (g->domid != domid)
			continue;
		if (g->port != port) {
			/* Its module came back with a new ring: start over. */
			say("guest %u connected", domid);
			g->port = port;
			g->complaints = 0;
			reset_device(g);
		}
		return g;
	}
	if (!free_slot) {
		if (!h->warned_full)
			say("more than %d guests: ignoring dom%u", MAX_GUESTS,
			    domid);
		h->warned_full = true;
		return NULL;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->domid = domid;
	free_slot->port = port;
	say("guest %u connected", domid);
	return free_slot;
}

/* Send one message; a failure means the guest went away (or will soon). */
static int send_msg(struct hostile *h, struct guest *g, const void *buf,
		    size_t len)
{
	int r;

	if (g->gone)
		return -1;
	r = h->send(h, g, buf, len);
	if (!r)
		return 0;
	if (r == -ECONNREFUSED || r == -ESRCH)
		say("guest %u: gone (%s)", g->domid, strerror(-r));
	else
		say("guest %u: send failed: %s", g->domid, strerror(-r));
	g->gone = true;
	reset_device(g);
	return -1;
}

/*
 * Send a reply of @total bytes (zeros, then @status) as USED_CHAIN(s);
 * the last one also carries @last_flags (VA_CHAIN_HOLD).
 */
static int send_used_flags(struct hostile *h, struct guest *g,
			   uint16_t dev_num, uint16_t vq, uint16_t chain,
			   uint32_t total, uint8_t status, uint16_t last_flags)
{
	uint32_t off = 0, w;
	uint16_t flags;
	size_t n;

	do {
		w = min_u32(total - off, VA_FRAG_MAX);
		flags = (off ? 0 : VA_CHAIN_FIRST) |
			(off + w == total ? VA_CHAIN_LAST | last_flags : 0);
		n = build_used(h->tx, dev_num, vq, chain, total, off, w, flags,
			       status);
		if (send_msg(h, g, h->tx, n))
			return -1;
		off += w;
	} while (off < total);
	return 0;
}

static int send_used(struct hostile *h, struct guest *g, uint16_t dev_num,
		     uint16_t vq, uint16_t chain, uint32_t total,
		     uint8_t status)
{
	return send_used_flags(h, g, dev_num, vq, chain, total, status, 0);
}

/* One EVENT_CONFIG for the disk. */
static int send_config_event(struct hostile *h, struct guest *g)
{
	struct va_generation gen = { .generation = htole32(g->generation) };

	put_hdr(h->tx, 0, VA_EVENT_CONFIG, DEV_NUM, 0,
		VA_HDR_SIZE + sizeof(gen));
	memcpy(h->tx + VA_HDR_SIZE, &gen, sizeof(gen));
	return send_msg(h, g, h->tx, VA_HDR_SIZE + sizeof(gen));
}

static int reply(struct hostile *h, struct guest *g, const struct va_hdr *rq,
		  const void *payload, uint32_t len)
{
	put_hdr(h->tx, VA_TYPE_RESPONSE | (rq->type & VA_TYPE_BUS), rq->msg_id,
		le16toh(rq->dev_num), le16toh(rq->token), VA_HDR_SIZE + len);
	if (len)
		memcpy(h->tx + VA_HDR_SIZE, payload, len);
	return send_msg(h, g, h->tx, VA_HDR_SIZE + len);
}

/*
 * reset-used: the reset's answer and, after it in the same Argo message,
 * a completion of the queue's last answered chain (FIRST and LAST, 512
 * bytes, status OK).
 */
static int reply_reset_used(struct hostile *h, struct guest *g,
			    const struct va_hdr *rq, uint32_t status)
{
	size_t n = VA_HDR_SIZE + sizeof(status);

	put_hdr(h->tx, VA_TYPE_RESPONSE, rq->msg_id, le16toh(rq->dev_num),
		le16toh(rq->token), n);
	memcpy(h->tx + VA_HDR_SIZE, &status, sizeof(status));
	n += build_used(h->tx + n, DEV_NUM, 0, g->last_chain, SECTOR_SIZE, 0,
			SECTOR_SIZE, VA_CHAIN_FIRST | VA_CHAIN_LAST,
			VIRTIO_BLK_S_OK);
	say("reset %u: USED_CHAIN in the answer's message", ++g->resets);
	return send_msg(h, g, h->tx, n);
}

static int reply_error(struct hostile *h, struct guest *g,
		       const struct va_hdr *rq, uint32_t err)
{
	struct va_error e = { .error = htole32(err) };

	put_hdr(h->tx, VA_TYPE_RESPONSE | VA_TYPE_ERROR |
		(rq->type & VA_TYPE_BUS), rq->msg_id, le16toh(rq->dev_num),
		le16toh(rq->token), VA_HDR_SIZE + sizeof(e));
	memcpy(h->tx + VA_HDR_SIZE, &e, sizeof(e));
	return send_msg(h, g, h->tx, VA_HDR_SIZE + sizeof(e));
}

/* ---- the misbehaviours ---- */

/* A chain id of @q that is not outstanding: never sent if possible. */
static uint16_t unused_chain(const struct queue *q, uint16_t id)
{
	uint32_t i, c;

	for (i = 1; i < q->size; i++) {
		c = (id + i) % q->size;
		if (!(q->seen & (1ULL << c)))
			return c;
	}
	for (i = 1; i < q->size; i++) {
		c = (id + i) % q->size;
		if (!q->chains[c].active)
			return c;
	}
	return (id + 1) % VQ_MAX;
}

static void send_truncated(struct hostile *h, struct guest *g, uint16_t vq,
			   uint16_t id, uint32_t total)
{
	uint32_t w = min_u32(total, VA_FRAG_MAX);

	/* @total >= 1, so half the data is always less than msg_size says. */
	build_used(h->tx, DEV_NUM, vq, id, total, 0, w,
		   VA_CHAIN_FIRST | (w == total ? VA_CHAIN_LAST : 0),
		   VIRTIO_BLK_S_OK);
	send_msg(h, g, h->tx, VA_CHAIN_HDR_SIZE + w / 2);
}

static void send_bad_offset(struct hostile *h, struct guest *g, uint16_t vq,
			    uint16_t id, uint32_t total)
{
	uint32_t first = min_u32(total / 2, VA_FRAG_MAX), off, second;
	size_t n;

	n = build_used(h->tx, DEV_NUM, vq, id, total, 0, first,
		       VA_CHAIN_FIRST, VIRTIO_BLK_S_OK);
	if (send_msg(h, g, h->tx, n))
		return;
	off = first + 1;		/* one byte never sent */
	second = min_u32(total - off, VA_FRAG_MAX);
	n = build_used(h->tx, DEV_NUM, vq, id, total, off, second,
		       off + second == total ? VA_CHAIN_LAST : 0,
		       VIRTIO_BLK_S_OK);
	send_msg(h, g, h->tx, n);
}

static void send_garbage(struct hostile *h, struct guest *g)
{
	unsigned long i;
	size_t len, j;
	uint64_t x;

	for (i = 0; i < h->count; i++) {
		len = 1 + rnd(h) % GARBAGE_MAX;
		for (j = 0; j < len; j += sizeof(x)) {
			x = rnd(h);
			memcpy(h->tx + j, &x, sizeof(x));
		}
		if (send_msg(h, g, h->tx, len))
			return;
	}
}

static void send_unsolicited(struct hostile *h, struct guest *g)
{
	struct va_config c = {
		.generation = 0,
		.offset = 0,
		.size = htole32(sizeof(uint64_t)),
	};
	uint16_t token = g->last_token + 0x4000;

	if (!token)
		token = 1;
	put_hdr(h->tx, VA_TYPE_RESPONSE, VA_GET_CONFIG, DEV_NUM, token,
		VA_HDR_SIZE + sizeof(c) + sizeof(uint64_t));
	memcpy(h->tx + VA_HDR_SIZE, &c, sizeof(c));
	memcpy(h->tx + VA_HDR_SIZE + sizeof(c), h->config, sizeof(uint64_t));
	send_msg(h, g, h->tx, VA_HDR_SIZE + sizeof(c) + sizeof(uint64_t));
}

/* The trigger: do what MODE says instead of answering chain @id. */
static void misbehave(struct hostile *h, struct guest *g, uint16_t vq,
		      uint16_t id, uint64_t sector)
{
	struct queue *q = &g->vq[vq];
	uint32_t in_len = q->chains[id].in_len;

	/* The modes that go on serving answer the chain: it is done. */
	g->done = h->mode != MODE_HOLD_FOREVER && h->mode != MODE_CONFIG_DROP;
	q->chains[id].active = false;
	switch (h->mode) {
	case MODE_TRUNCATED:
		send_truncated(h, g, vq, id, in_len);
		break;
	case MODE_WRONG_CHAIN:
		send_used(h, g, DEV_NUM, vq, unused_chain(q, id), in_len,
			  VIRTIO_BLK_S_OK);
		break;
	case MODE_OVERSIZE:
		send_used(h, g, DEV_NUM, vq, id, in_len + OVERSIZE_EXTRA,
			  VIRTIO_BLK_S_OK);
		break;
	case MODE_BAD_OFFSET:
		send_bad_offset(h, g, vq, id, in_len);
		break;
	case MODE_UNKNOWN_DEVICE:
		send_used(h, g, BAD_DEV_NUM, vq, id, in_len, VIRTIO_BLK_S_OK);
		break;
	case MODE_BAD_QUEUE:
		send_used(h, g, DEV_NUM, BAD_VQ, id, in_len, VIRTIO_BLK_S_OK);
		break;
	case MODE_GARBAGE:
		send_garbage(h, g);
		break;
	case MODE_UNSOLICITED:
		send_unsolicited(h, g);
		break;
	case MODE_HOLD_EXIT:
	case MODE_EXIT:
		if (h->mode == MODE_HOLD_EXIT)
			send_used_flags(h, g, DEV_NUM, vq, id, in_len,
					VIRTIO_BLK_S_OK, VA_CHAIN_HOLD);
		say("trigger at sector %llu: sent %s",
		    (unsigned long long)sector, mode_names[h->mode]);
		exit(0);
	case MODE_HOLD_FOREVER:
		send_used_flags(h, g, DEV_NUM, vq, id, in_len, VIRTIO_BLK_S_OK,
				VA_CHAIN_HOLD);
		break;
	case MODE_CONFIG_DROP:
		send_used(h, g, DEV_NUM, vq, id, in_len, VIRTIO_BLK_S_OK);
		g->churn = true;
		g->generation++;
		send_config_event(h, g);
		break;
	case MODE_SILENT:
	case MODE_GOOD:
	case MODE_MANY_DEVICES:
	case MODE_CONFIG_STORM:
	case MODE_IN_ORDER:
	case MODE_RESET_USED:
	case MODE_COUNT:
		break;
	}
	say("trigger at sector %llu: sent %s", (unsigned long long)sector,
	    mode_names[h->mode]);
}

/* ---- the device ---- */

/* Is [@sector, + @bytes) whole sectors inside the disk? */
static bool in_range(uint64_t sector, uint64_t bytes)
{
	if (bytes % SECTOR_SIZE)
		return false;
	return sector <= CAPACITY && bytes / SECTOR_SIZE <= CAPACITY - sector;
}

/* All of chain @id's out bytes arrived: carry it out and answer it. */
static void chain_done(struct hostile *h, struct guest *g, uint16_t vq,
		       uint16_t id)
{
	struct chain *c = &g->vq[vq].chains[id];
	struct virtio_blk_outhdr oh;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint64_t sector;
	uint32_t type;

	if (c->out_len < OUTHDR_SIZE) {
		status = VIRTIO_BLK_S_IOERR;	/* no request header */
		goto answer;
	}
	memcpy(&oh, c->hdr, sizeof(oh));
	type = le32toh(oh.type);
	sector = le64toh(oh.sector);
	if (mode_triggers(h->mode) && type == VIRTIO_BLK_T_IN &&
	    sector >= TRIGGER_SECTOR && c->in_len) {
		misbehave(h, g, vq, id, sector);
		return;
	}
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!c->in_len || !in_range(sector, c->in_len - 1))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_OUT:
		if (!in_range(sector, c->out_len - OUTHDR_SIZE))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:	/* an empty serial number */
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
answer:
	/*
	 * Bytes reach the chain's writable buffers in order, so the status
	 * byte, the last of them, comes after in_len - 1 (zero) bytes.
	 */
	c->active = false;
	g->last_chain = id;
	send_used(h, g, DEV_NUM, vq, id, c->in_len, status);
}

static int handle_avail(struct hostile *h, struct guest *g,
			const struct va_hdr *hd, const uint8_t *p,
			uint32_t len)
{
	struct va_avail_chain a;
	uint32_t out_len, in_len, offset, dlen;
	uint16_t vq, id, flags;
	struct chain *c;
	struct queue *q;

	if (len < sizeof(a))
		return complain(g, hd->msg_id, "AVAIL_CHAIN truncated");
	memcpy(&a, p, sizeof(a));
	p += sizeof(a);
	dlen = len - sizeof(a);
	vq = le16toh(a.vq);
	id = le16toh(a.chain);
	out_len = le32toh(a.out_len);
	in_len = le32toh(a.in_len);
	offset = le32toh(a.offset);
	flags = le16toh(a.flags);

	if (le16toh(hd->dev_num) != DEV_NUM)
		return complain(g, hd->msg_id, "chain for an unknown device");
	if (vq >= NUM_VQS || !g->vq[vq].size)
		return complain(g, hd->msg_id, "chain for a queue not set up");
	q = &g->vq[vq];
	if (id >= q->size)
		return complain(g, hd->msg_id, "chain id beyond the queue");
	if ((flags & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST)) || a.rsvd)
		return complain(g, hd->msg_id, "unknown flags or rsvd");
	if (out_len > CHAIN_MAX || in_len > CHAIN_MAX)
		return complain(g, hd->msg_id, "chain too large");
	if (dlen > VA_FRAG_MAX)
		return complain(g, hd->msg_id, "fragment too large");

	c = &q->chains[id];
	if (flags & VA_CHAIN_FIRST) {
		if (c->active) {
			c->active = false;
			return complain(g, hd->msg_id,
					"chain id already outstanding");
		}
		if (offset)
			return complain(g, hd->msg_id,
					"FIRST fragment not at offset 0");
		memset(c, 0, sizeof(*c));
		c->active = true;
		c->out_len = out_len;
		c->in_len = in_len;
		q->seen |= 1ULL << id;
	} else if (!c->active) {
		return complain(g, hd->msg_id, "fragment of no chain");
	} else if (out_len != c->out_len || in_len != c->in_len) {
		c->active = false;
		return complain(g, hd->msg_id, "lengths changed in a chain");
	} else if (offset != c->received) {
		c->active = false;
		return complain(g, hd->msg_id, "fragment offset out of order");
	}
	if (dlen > c->out_len - c->received) {
		c->active = false;
		return complain(g, hd->msg_id, "fragment beyond out_len");
	}
	if (c->received < OUTHDR_SIZE)
		memcpy(c->hdr + c->received, p,
		       min_u32(dlen, OUTHDR_SIZE - c->received));
	c->received += dlen;
	if (!!(flags & VA_CHAIN_LAST) != (c->received == c->out_len)) {
		c->active = false;
		return complain(g, hd->msg_id, "LAST flag inconsistent");
	}
	if (flags & VA_CHAIN_LAST)
		chain_done(h, g, vq, id);
	return 0;
}

/*
 * GET_DEVICES of many-devices: entry 0 is the disk, entry i the extra
 * device numbered DEV_NUM + i; a page holds at most @max of them.
 */
static int many_devices_page(struct hostile *h, struct guest *g,
			     const struct va_hdr *hd, uint16_t offset,
			     uint16_t max)
{
	uint8_t out[sizeof(struct va_get_devices_resp) +
		    VA_MAX_DEVICES * sizeof(struct va_device_entry)];
	uint32_t total = 1 + EXTRA_DEVICES, i, n;
	struct va_get_devices_resp rs;
	struct va_device_entry e;

	n = offset < total ? total - offset : 0;
	if (n > max)
		n = max;
	if (n > VA_MAX_DEVICES)
		n = VA_MAX_DEVICES;
	rs.count = htole16(n);
	rs.next = htole16(offset + n < total ? offset + n : 0);
	memcpy(out, &rs, sizeof(rs));
	for (i = 0; i < n; i++) {
		e.dev_num = htole16(DEV_NUM + offset + i);
		e.device_id = htole32(offset + i ? EXTRA_DEVICE_ID :
				      VIRTIO_ID_BLOCK);
		e.vendor_id = htole32(DEV_VENDOR);
		memcpy(out + sizeof(rs) + i * sizeof(e), &e, sizeof(e));
	}
	return reply(h, g, hd, out, sizeof(rs) + n * sizeof(e));
}

static int handle_bus(struct hostile *h, struct guest *g,
		      const struct va_hdr *hd, const uint8_t *p, uint32_t len)
{
	uint8_t out[sizeof(struct va_get_devices_resp) +
		    sizeof(struct va_device_entry)];
	struct va_get_devices_resp rs;
	struct va_get_devices_req rq;
	struct va_device_entry e;
	uint16_t n;

	if (hd->msg_id >= VA_BUS_EVENT_DEVICE)
		return complain(g, hd->msg_id, "not a bus request");
	if (le16toh(hd->dev_num))
		return reply_error(h, g, hd, EINVAL);
	switch (hd->msg_id) {
	case VA_BUS_GET_DEVICES:
		if (len != sizeof(rq))
			return reply_error(h, g, hd, EINVAL);
		memcpy(&rq, p, sizeof(rq));
		if (h->mode == MODE_MANY_DEVICES)
			return many_devices_page(h, g, hd, le16toh(rq.offset),
						 le16toh(rq.max));
		n = !le16toh(rq.offset) && le16toh(rq.max);
		rs.count = htole16(n);
		rs.next = 0;
		memcpy(out, &rs, sizeof(rs));
		e.dev_num = htole16(DEV_NUM);
		e.device_id = htole32(VIRTIO_ID_BLOCK);
		e.vendor_id = htole32(DEV_VENDOR);
		memcpy(out + sizeof(rs), &e, sizeof(e));
		return reply(h, g, hd, out, sizeof(rs) + n * sizeof(e));
	case VA_BUS_PING:
		if (len != sizeof(struct va_ping))
			return reply_error(h, g, hd, EINVAL);
		return reply(h, g, hd, p, len);
	}
	return reply_error(h, g, hd, EOPNOTSUPP);
}

static const uint32_t *features_of(const struct hostile *h)
{
	return h->mode == MODE_IN_ORDER ? in_order_features : dev_features;
}

static bool features_ok(const struct hostile *h, const struct guest *g)
{
	const uint32_t *offer = features_of(h);
	int i;

	for (i = 0; i < FEATURE_WORDS; i++)
		if (g->drv_features[i] & ~offer[i])
			return false;
	return !g->drv_extra;
}

/*
 * many-devices: a request for one of the extra devices, which have no
 * config and no driver: the guest only learns about them and resets them.
 */
static int handle_extra(struct hostile *h, struct guest *g,
			const struct va_hdr *hd, const uint8_t *p,
			uint32_t len)
{
	uint8_t out[sizeof(struct va_features) + 4 * FEATURE_WORDS];
	struct va_device_info info;
	struct va_features f;
	uint32_t w, i;

	switch (hd->msg_id) {
	case VA_GET_DEVICE_INFO:
		memset(&info, 0, sizeof(info));
		info.device_id = htole32(EXTRA_DEVICE_ID);
		info.vendor_id = htole32(DEV_VENDOR);
		info.num_feature_words = htole32(FEATURE_WORDS);
		info.max_virtqueues = htole32(1);
		return reply(h, g, hd, &info, sizeof(info));
	case VA_GET_DEVICE_FEATURES:
		if (len != sizeof(f))
			break;
		memcpy(&f, p, sizeof(f));
		if (le32toh(f.index) || le32toh(f.count) > FEATURE_WORDS)
			break;
		memcpy(out, &f, sizeof(f));
		for (i = 0; i < le32toh(f.count); i++) {
			w = htole32(dev_features[i]);
			memcpy(out + sizeof(f) + 4 * i, &w, 4);
		}
		return reply(h, g, hd, out, sizeof(f) + 4 * le32toh(f.count));
	case VA_SET_DRIVER_FEATURES:
		return reply(h, g, hd, NULL, 0);
	case VA_SET_DEVICE_STATUS:
		if (len != sizeof(struct va_status))
			break;
		return reply(h, g, hd, p, len);	/* any status sticks */
	}
	return reply_error(h, g, hd, EINVAL);
}

/* A control request (ids below 0x40) for device DEV_NUM. */
static int handle_control(struct hostile *h, struct guest *g,
			  const struct va_hdr *hd, const uint8_t *p,
			  uint32_t len)
{
	uint8_t out[sizeof(struct va_config) + VA_CONFIG_CHUNK];
	uint32_t i, index, count, offset, size, w;
	struct va_get_vqueue_resp vr;
	struct va_device_info info;
	struct va_set_vqueue sv;
	struct va_features f;
	struct va_config cf;
	uint64_t at;

	if (h->mode == MODE_MANY_DEVICES && le16toh(hd->dev_num) > DEV_NUM &&
	    le16toh(hd->dev_num) <= DEV_NUM + EXTRA_DEVICES)
		return handle_extra(h, g, hd, p, len);
	if (le16toh(hd->dev_num) != DEV_NUM)
		return reply_error(h, g, hd, ENODEV);
	switch (hd->msg_id) {
	case VA_GET_DEVICE_INFO:
		if (len)
			break;
		memset(&info, 0, sizeof(info));
		info.device_id = htole32(VIRTIO_ID_BLOCK);
		info.vendor_id = htole32(DEV_VENDOR);
		info.num_feature_words = htole32(FEATURE_WORDS);
		info.config_size = htole32(CONFIG_SIZE);
		info.max_virtqueues = htole32(NUM_VQS);
		return reply(h, g, hd, &info, sizeof(info));
	case VA_GET_DEVICE_FEATURES:
		if (len != sizeof(f))
			break;
		memcpy(&f, p, sizeof(f));
		index = le32toh(f.index);
		count = le32toh(f.count);
		if (count > MAX_FEATURE_REQ)
			break;
		memcpy(out, &f, sizeof(f));
		for (i = 0; i < count; i++) {
			at = (uint64_t)index + i;
			w = htole32(at < FEATURE_WORDS ? features_of(h)[at] : 0);
			memcpy(out + sizeof(f) + 4 * i, &w, 4);
		}
		return reply(h, g, hd, out, sizeof(f) + 4 * count);
	case VA_SET_DRIVER_FEATURES:
		if (len < sizeof(f))
			break;
		memcpy(&f, p, sizeof(f));
		index = le32toh(f.index);
		count = le32toh(f.count);
		if (count > (len - sizeof(f)) / 4 ||
		    len != sizeof(f) + 4 * count)
			break;
		for (i = 0; i < count; i++) {
			memcpy(&w, p + sizeof(f) + 4 * i, 4);
			at = (uint64_t)index + i;
			if (at < FEATURE_WORDS)
				g->drv_features[at] = le32toh(w);
			else if (w)
				g->drv_extra = true;
		}
		return reply(h, g, hd, NULL, 0);
	case VA_GET_CONFIG:
		if (len != sizeof(struct va_get_config_req))
			break;
		memcpy(&cf.offset, p, 4);
		memcpy(&cf.size, p + 4, 4);
		offset = le32toh(cf.offset);
		size = le32toh(cf.size);
		if (size > VA_CONFIG_CHUNK || offset > CONFIG_SIZE ||
		    size > CONFIG_SIZE - offset)
			break;
		cf.generation = 0;
		/* config-drop: an answer for another range than asked */
		if (g->churn)
			cf.offset = htole32(offset + 1);
		memcpy(out, &cf, sizeof(cf));
		memcpy(out + sizeof(cf), h->config + offset, size);
		return reply(h, g, hd, out, sizeof(cf) + size);
	case VA_SET_CONFIG:
		if (len < sizeof(cf))
			break;
		memcpy(&cf, p, sizeof(cf));
		offset = le32toh(cf.offset);
		size = le32toh(cf.size);
		if (size != len - sizeof(cf) || size > VA_CONFIG_CHUNK ||
		    offset > CONFIG_SIZE || size > CONFIG_SIZE - offset)
			break;
		/* Every field we offer is read-only: the write is ignored. */
		cf.generation = 0;
		return reply(h, g, hd, &cf.generation, sizeof(cf.generation));
	case VA_GET_DEVICE_STATUS:
		if (len)
			break;
		w = htole32(g->status);
		return reply(h, g, hd, &w, sizeof(w));
	case VA_SET_DEVICE_STATUS:
		if (len != sizeof(struct va_status))
			break;
		memcpy(&w, p, 4);
		w = le32toh(w);
		if (w > 0xff)
			break;
		if (!w)
			reset_device(g);
		else if ((w & VIRTIO_CONFIG_S_FEATURES_OK) && !features_ok(h, g))
			w &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		g->status = w;
		w = htole32(w);
		if (!g->status && h->mode == MODE_RESET_USED)
			return reply_reset_used(h, g, hd, w);
		return reply(h, g, hd, &w, sizeof(w));
	case VA_GET_VQUEUE:
		if (len != sizeof(struct va_vq_index))
			break;
		memcpy(&vr.index, p, 4);
		if (le32toh(vr.index) >= NUM_VQS)
			break;
		vr.max_size = htole32(VQ_MAX);
		return reply(h, g, hd, &vr, sizeof(vr));
	case VA_SET_VQUEUE:
		if (len != sizeof(sv))
			break;
		memcpy(&sv, p, sizeof(sv));
		index = le32toh(sv.index);
		size = le32toh(sv.size);
		if (index >= NUM_VQS || !size || size > VQ_MAX)
			break;
		reset_queue(&g->vq[index]);
		g->vq[index].size = size;
		return reply(h, g, hd, NULL, 0);
	case VA_RESET_VQUEUE:
		if (len != sizeof(struct va_vq_index))
			break;
		memcpy(&index, p, 4);
		index = le32toh(index);
		if (index >= NUM_VQS)
			break;
		reset_queue(&g->vq[index]);
		return reply(h, g, hd, NULL, 0);
	default:
		return reply_error(h, g, hd, EOPNOTSUPP);
	}
	return reply_error(h, g, hd, EINVAL);
}

static int handle_record(struct hostile *h, struct guest *g,
			 const struct va_hdr *hd, const uint8_t *p,
			 uint32_t len)
{
	if (hd->type & ~(VA_TYPE_RESPONSE | VA_TYPE_BUS | VA_TYPE_ERROR))
		return complain(g, hd->msg_id, "unknown type bits");
	if (hd->type & (VA_TYPE_RESPONSE | VA_TYPE_ERROR))
		return complain(g, hd->msg_id, "response to no request");
	if (hd->msg_id < VA_EVENT_CONFIG)
		g->last_token = le16toh(hd->token);
	if (hd->type & VA_TYPE_BUS)
		return handle_bus(h, g, hd, p, len);
	if (hd->msg_id == VA_AVAIL_CHAIN)
		return handle_avail(h, g, hd, p, len);
	if (hd->msg_id >= VA_EVENT_CONFIG)
		return complain(g, hd->msg_id, "not a request for the device");
	return handle_control(h, g, hd, p, len);
}

/* config-storm: does @g get events now (its driver is running)? */
static bool storming(const struct hostile *h, const struct guest *g)
{
	return h->mode == MODE_CONFIG_STORM && !g->gone &&
	       (g->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * One Argo message of @n bytes (@full before truncation) from @domid:@port.
 * It holds records back to back; stop at the first that does not fit.
 */
static int handle_message(struct hostile *h, uint16_t domid, uint32_t port,
			  uint32_t type, const uint8_t *buf, size_t n,
			  size_t full)
{
	struct guest *g;
	struct va_hdr hd;
	size_t off = 0;
	uint32_t size;

	if (h->partner != ARGO_DOMID_ANY && domid != h->partner) {
		if (!h->strangers++)
			say("message from dom%u, not partner %u: dropped",
			    domid, h->partner);
		return -EPERM;
	}
	g = guest_get(h, domid, port);
	if (!g)
		return -ENOSPC;
	g->gone = false;
	if (type != VA_MSG_TYPE) {
		if (!g->warned_type)
			say("guest %u: message type 0x%x dropped", domid, type);
		g->warned_type = true;
		return -EPROTO;
	}
	if (g->done)
		return 0;
	if (full > n || !n)
		return complain(g, 0, full > n ? "message too long" :
				"empty message");
	while (off < n && !g->done) {
		if (n - off < VA_HDR_SIZE)
			return complain(g, 0, "bytes after the last record");
		memcpy(&hd, buf + off, sizeof(hd));
		size = le16toh(hd.msg_size);
		if (size < VA_HDR_SIZE)
			return complain(g, hd.msg_id, "msg_size below 8");
		if (size > n - off)
			return complain(g, hd.msg_id,
					"msg_size beyond the message");
		handle_record(h, g, &hd, buf + off + VA_HDR_SIZE,
			      size - VA_HDR_SIZE);
		off += size;
	}
	if (g->churn || storming(h, g))
		send_config_event(h, g);
	return 0;
}

static struct hostile *hostile_new(enum mode mode, unsigned long count,
				   uint64_t seed, uint16_t partner)
{
	struct hostile *h = calloc(1, sizeof(*h));
	struct virtio_blk_config cfg;

	if (!h) {
		perror("va_hostile: calloc");
		exit(1);
	}
	h->mode = mode;
	h->count = count;
	h->rng = seed;
	h->partner = partner;
	h->fd = -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.capacity = htole64(CAPACITY);
	memcpy(h->config, &cfg, sizeof(cfg));
	return h;
}

/* ---- running on /dev/argo ---- */

static int argo_out(struct hostile *h, struct guest *g, const void *buf,
		    size_t len)
{
	ssize_t r;

	do {
		r = argo_sendto(h->fd, buf, len, VA_MSG_TYPE, g->domid,
				g->port);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

/*
 * config-storm: wait up to 1 ms for a message; if none came, send each
 * running guest one EVENT_CONFIG.  Returns true when a message waits.
 */
static bool storm_wait(struct hostile *h)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	int i;

	if (poll(&pfd, 1, 1) > 0)
		return true;
	for (i = 0; i < MAX_GUESTS; i++)
		if (h->guests[i].used && storming(h, &h->guests[i]))
			send_config_event(h, &h->guests[i]);
	return false;
}

static int run(struct hostile *h)
{
	struct sigaction sa;
	uint32_t port = VA_BACKEND_PORT, type;
	uint16_t domid;
	size_t full;
	uint8_t *rx;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	rx = malloc(VA_MSG_MAX);
	h->fd = argo_open(0);
	if (!rx || h->fd < 0) {
		say("cannot open %s: %s", ARGO_DEV_PATH, strerror(errno));
		free(rx);
		return 1;
	}
	if (argo_bind(h->fd, &port, h->partner, RING_SIZE)) {
		say("cannot bind port 0x%x: %s", VA_BACKEND_PORT,
		    strerror(errno));
		free(rx);
		return 1;
	}
	h->send = argo_out;
	say("mode %s: listening on port 0x%x, partner %u", mode_names[h->mode],
	    port, h->partner);
	if (h->mode == MODE_GARBAGE)
		say("random seed %llu", (unsigned long long)h->rng);
	for (;;) {
		if (h->mode == MODE_CONFIG_STORM && !storm_wait(h))
			continue;
		n = argo_recvfrom(h->fd, rx, VA_MSG_MAX, &type, &domid, &port,
				  &full);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			say("receive failed: %s", strerror(errno));
			free(rx);
			return 1;
		}
		handle_message(h, domid, port, type, rx, n, full);
	}
}

/* ---- selftest ---- */

#define CAP_MAX		256

/* What the handlers sent, message by message. */
struct capture {
	unsigned int n;
	unsigned int dropped;
	int fail;		/* make sends fail with this errno */
	size_t len[CAP_MAX];
	uint8_t *buf[CAP_MAX];
};

static int capture_send(struct hostile *h, struct guest *g, const void *buf,
			size_t len)
{
	struct capture *c = h->priv;

	(void)g;
	if (c->fail)
		return -c->fail;
	if (len > VA_MSG_MAX || !len)
		return -EMSGSIZE;
	if (c->n == CAP_MAX) {
		c->dropped++;
		return 0;
	}
	c->buf[c->n] = malloc(len);
	if (!c->buf[c->n]) {
		perror("va_hostile: malloc");
		exit(1);
	}
	memcpy(c->buf[c->n], buf, len);
	c->len[c->n++] = len;
	return 0;
}

static void capture_clear(struct capture *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		free(c->buf[i]);
	c->n = 0;
	c->dropped = 0;
}

/* The driver side as the selftest sees it: the rules of docs §6. */
struct drv_chain {
	bool out;		/* sent, not completed */
	bool started;
	uint32_t in_len;
	uint32_t total;
	uint32_t received;
	uint8_t last;
};

struct drv {
	uint16_t dev_num;
	uint16_t nvq;
	uint16_t qsize;
	struct drv_chain ch[VQ_MAX];
	bool pending;
	uint8_t req_type;
	uint8_t req_id;
	uint16_t req_token;
	uint16_t token;
	unsigned int completed;
	unsigned int events;	/* EVENT_CONFIG records */
	uint32_t last_total;
	uint8_t last_status;
	unsigned int responses;
	uint8_t resp_type;
	uint32_t resp_len;
	uint8_t resp[1024];
};

static const char *drv_used(struct drv *d, const struct va_hdr *hd,
			    const uint8_t *p, uint32_t len)
{
	uint32_t written, total, offset;
	struct va_used_chain u;
	struct drv_chain *c;
	uint16_t vq, id, flags;
	bool last;

	if (len < sizeof(u))
		return "USED_CHAIN truncated";
	memcpy(&u, p, sizeof(u));
	written = le32toh(u.written);
	total = le32toh(u.total);
	offset = le32toh(u.offset);
	flags = le16toh(u.flags);
	vq = le16toh(u.vq);
	id = le16toh(u.chain);
	if (written != len - sizeof(u))
		return "written differs from the record size";
	if (written > VA_FRAG_MAX)
		return "fragment too large";
	if (flags & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST))
		return "unknown flags";
	if (le16toh(hd->dev_num) != d->dev_num)
		return "unknown device";
	if (vq >= d->nvq)
		return "queue out of range";
	if (id >= d->qsize || !d->ch[id].out)
		return "chain not outstanding";
	c = &d->ch[id];
	if (!!(flags & VA_CHAIN_FIRST) == c->started)
		return "FIRST out of sequence";
	if (c->started && total != c->total)
		return "total changed";
	if (total > c->in_len)
		return "total beyond in_len";
	if (offset != c->received)
		return "offset out of sequence";
	if (written > total - offset)
		return "fragment beyond total";
	last = flags & VA_CHAIN_LAST;
	if (last != (offset + written == total))
		return "LAST inconsistent";
	c->started = true;
	c->total = total;
	c->received += written;
	if (written)
		c->last = p[sizeof(u) + written - 1];
	if (last) {
		d->completed++;
		d->last_total = total;
		d->last_status = total ? c->last : 0xff;
		memset(c, 0, sizeof(*c));
	}
	return NULL;
}

static const char *drv_record(struct drv *d, const uint8_t *r, uint32_t size)
{
	const uint8_t *p = r + VA_HDR_SIZE;
	uint32_t len = size - VA_HDR_SIZE;
	struct va_hdr hd;

	memcpy(&hd, r, sizeof(hd));
	if (hd.type & ~(VA_TYPE_RESPONSE | VA_TYPE_BUS | VA_TYPE_ERROR))
		return "unknown type bits";
	if (hd.type & VA_TYPE_RESPONSE) {
		if (!d->pending || le16toh(hd.token) != d->req_token ||
		    hd.msg_id != d->req_id ||
		    (hd.type & VA_TYPE_BUS) != (d->req_type & VA_TYPE_BUS))
			return "response to a request never made";
		if (len > sizeof(d->resp))
			return "response too long";
		d->pending = false;
		d->responses++;
		d->resp_type = hd.type;
		d->resp_len = len;
		memcpy(d->resp, p, len);
		return NULL;
	}
	if (hd.type & VA_TYPE_ERROR)
		return "error flag on a non-response";
	if (!(hd.type & VA_TYPE_BUS) && hd.msg_id == VA_EVENT_CONFIG) {
		d->events++;
		return len == sizeof(struct va_generation) ? NULL :
		       "EVENT_CONFIG of the wrong size";
	}
	if (hd.type & VA_TYPE_BUS || hd.msg_id != VA_USED_CHAIN)
		return "unexpected message";
	return drv_used(d, &hd, p, len);
}

static const char *drv_message(struct drv *d, const uint8_t *m, size_t n)
{
	const char *why;
	size_t off = 0;
	uint16_t size;

	if (!n)
		return "empty message";
	while (off < n) {
		if (n - off < VA_HDR_SIZE)
			return "record shorter than its header";
		memcpy(&size, m + off + 6, 2);
		size = le16toh(size);
		if (size < VA_HDR_SIZE)
			return "msg_size below the header";
		if (size > n - off)
			return "msg_size beyond the message";
		why = drv_record(d, m + off, size);
		if (why)
			return why;
		off += size;
	}
	return NULL;
}

/* A guest talking to a hostile through the handlers, without Argo. */
struct sim {
	struct hostile *h;
	struct capture cap;
	struct drv d;
	uint16_t domid;
	uint32_t port;
	unsigned int msgs;	/* messages the last exchange produced */
	const char *why;	/* the first rule they broke, or NULL */
};

static struct sim *sim_new(enum mode mode)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (!s) {
		perror("va_hostile: calloc");
		exit(1);
	}
	s->h = hostile_new(mode, DEFAULT_COUNT, 42, ARGO_DOMID_ANY);
	s->h->send = capture_send;
	s->h->priv = &s->cap;
	s->d.dev_num = DEV_NUM;
	s->d.nvq = NUM_VQS;
	s->d.qsize = VQ_MAX;
	s->domid = 3;
	s->port = 0x1234;
	return s;
}

static void sim_free(struct sim *s)
{
	capture_clear(&s->cap);
	free(s->h);
	free(s);
}

/* Deliver one message and check everything that came back. */
static void sim_deliver(struct sim *s, const void *buf, size_t len)
{
	unsigned int i;

	s->d.responses = 0;
	s->d.completed = 0;
	s->d.events = 0;
	handle_message(s->h, s->domid, s->port, VA_MSG_TYPE, buf, len, len);
	s->why = NULL;
	s->msgs = s->cap.n + s->cap.dropped;
	for (i = 0; i < s->cap.n && !s->why; i++)
		s->why = drv_message(&s->d, s->cap.buf[i], s->cap.len[i]);
	capture_clear(&s->cap);
}

/* One request; true when exactly one valid response came back. */
static bool sim_request(struct sim *s, uint8_t type, uint8_t msg_id,
			uint16_t dev_num, const void *payload, uint32_t len)
{
	uint8_t buf[VA_HDR_SIZE + 512];

	if (!++s->d.token)
		s->d.token = 1;
	put_hdr(buf, type, msg_id, dev_num, s->d.token, VA_HDR_SIZE + len);
	if (len)
		memcpy(buf + VA_HDR_SIZE, payload, len);
	s->d.pending = true;
	s->d.req_type = type;
	s->d.req_id = msg_id;
	s->d.req_token = s->d.token;
	sim_deliver(s, buf, VA_HDR_SIZE + len);
	return !s->why && s->msgs == 1 && s->d.responses == 1;
}

/* The last response's errno (0 when it was not an error response). */
static uint32_t sim_errno(const struct sim *s)
{
	uint32_t e;

	if (!(s->d.resp_type & VA_TYPE_ERROR) || s->d.resp_len != 4)
		return 0;
	memcpy(&e, s->d.resp, 4);
	return le32toh(e);
}

static uint32_t resp32(const struct sim *s, uint32_t off)
{
	uint32_t v = 0;

	if (off + 4 <= s->d.resp_len)
		memcpy(&v, s->d.resp + off, 4);
	return le32toh(v);
}

static bool sim_u32_request(struct sim *s, uint8_t msg_id, uint32_t a)
{
	a = htole32(a);
	return sim_request(s, 0, msg_id, DEV_NUM, &a, sizeof(a));
}

static bool sim_set_vqueue(struct sim *s, uint32_t index, uint32_t size)
{
	struct va_set_vqueue sv;

	memset(&sv, 0, sizeof(sv));
	sv.index = htole32(index);
	sv.size = htole32(size);
	return sim_request(s, 0, VA_SET_VQUEUE, DEV_NUM, &sv, sizeof(sv));
}

/* Append one AVAIL_CHAIN record at @buf; returns its size. */
static size_t put_avail(uint8_t *buf, uint16_t dev_num, uint16_t vq,
			uint16_t id, uint32_t out_len, uint32_t in_len,
			uint32_t offset, uint16_t flags, const void *data,
			uint32_t dlen)
{
	struct va_avail_chain a = {
		.vq = htole16(vq),
		.chain = htole16(id),
		.out_len = htole32(out_len),
		.in_len = htole32(in_len),
		.offset = htole32(offset),
		.flags = htole16(flags),
	};

	put_hdr(buf, 0, VA_AVAIL_CHAIN, dev_num, 0, VA_CHAIN_HDR_SIZE + dlen);
	memcpy(buf + VA_HDR_SIZE, &a, sizeof(a));
	memcpy(buf + VA_CHAIN_HDR_SIZE, data, dlen);
	return VA_CHAIN_HDR_SIZE + dlen;
}

static void blk_hdr(uint8_t *out, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr oh = {
		.type = htole32(type),
		.sector = htole64(sector),
	};

	memcpy(out, &oh, sizeof(oh));
}

static void sim_expect_chain(struct sim *s, uint16_t id, uint32_t in_len)
{
	memset(&s->d.ch[id], 0, sizeof(s->d.ch[id]));
	s->d.ch[id].out = true;
	s->d.ch[id].in_len = in_len;
}

/* Send chain @id (its out bytes: @out) fragment by fragment, one a message. */
static void sim_chain(struct sim *s, uint16_t id, const uint8_t *out,
		      uint32_t out_len, uint32_t in_len)
{
	uint8_t *msg = malloc(VA_MSG_MAX);
	unsigned int msgs = 0, completed = 0;
	const char *why = NULL;
	uint32_t off = 0, w;

	if (!msg) {
		perror("va_hostile: malloc");
		exit(1);
	}
	sim_expect_chain(s, id, in_len);
	do {
		w = min_u32(out_len - off, VA_FRAG_MAX);
		sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, id, out_len,
					      in_len, off,
					      (off ? 0 : VA_CHAIN_FIRST) |
					      (off + w == out_len ?
					       VA_CHAIN_LAST : 0),
					      out + off, w));
		msgs += s->msgs;
		completed += s->d.completed;
		if (!why)
			why = s->why;
		off += w;
	} while (off < out_len);
	s->msgs = msgs;
	s->d.completed = completed;
	s->why = why;
	free(msg);
}

/* A read of @in_len - 1 bytes at @sector as chain @id. */
static void sim_read(struct sim *s, uint16_t id, uint64_t sector,
		     uint32_t in_len)
{
	uint8_t hdr[OUTHDR_SIZE];

	blk_hdr(hdr, VIRTIO_BLK_T_IN, sector);
	sim_chain(s, id, hdr, sizeof(hdr), in_len);
}

static bool sim_setup(struct sim *s)
{
	struct va_get_devices_req rq = { .offset = 0, .max = htole16(64) };

	return sim_request(s, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &rq,
			   sizeof(rq)) &&
	       sim_set_vqueue(s, 0, VQ_MAX);
}

static bool sim_ping(struct sim *s)
{
	uint64_t cookie = htole64(0x1122334455667788ULL);

	return sim_request(s, VA_TYPE_BUS, VA_BUS_PING, 0, &cookie,
			   sizeof(cookie)) &&
	       s->d.resp_len == 8 && !memcmp(s->d.resp, &cookie, 8);
}

static void test_build(void)
{
	struct sim *s = sim_new(MODE_GOOD);
	struct guest *g = guest_get(s->h, s->domid, s->port);
	uint32_t total = 2 * VA_FRAG_MAX + 513;
	unsigned int i;
	size_t n;

	sim_expect_chain(s, 5, total);
	send_used(s->h, g, DEV_NUM, 0, 5, total, VIRTIO_BLK_S_IOERR);
	tap_is(s->cap.n, 3, "a %u-byte reply is built as 3 fragments", total);
	for (i = 0; i < s->cap.n; i++)
		tap_ok(!drv_message(&s->d, s->cap.buf[i], s->cap.len[i]),
		       "fragment %u re-parses (%zu bytes)", i, s->cap.len[i]);
	tap_ok(s->d.completed == 1 && s->d.last_total == total &&
	       s->d.last_status == VIRTIO_BLK_S_IOERR,
	       "the fragments complete the chain with the status byte last");
	capture_clear(&s->cap);

	s->d.completed = 0;
	sim_expect_chain(s, 7, 0);
	send_used(s->h, g, DEV_NUM, 0, 7, 0, 0);
	tap_ok(s->cap.n == 1 && s->cap.len[0] == VA_CHAIN_HDR_SIZE &&
	       !drv_message(&s->d, s->cap.buf[0], s->cap.len[0]) &&
	       s->d.completed == 1,
	       "an empty reply is one FIRST|LAST record of 28 bytes");
	capture_clear(&s->cap);

	n = build_used(s->h->tx, DEV_NUM, 0, 9, 100, 0, 100,
		       VA_CHAIN_FIRST | VA_CHAIN_LAST, 0);
	sim_expect_chain(s, 9, 100);
	tap_ok(drv_message(&s->d, s->h->tx, n - 1) != NULL,
	       "a record cut by one byte is refused by the model");
	sim_free(s);
}

static void test_control(void)
{
	struct sim *s = sim_new(MODE_GOOD);
	struct va_get_devices_req rq = { .offset = 0, .max = htole16(64) };
	struct va_features f = { .index = 0, .count = htole32(2) };
	struct va_device_entry e;
	uint8_t buf[64] = { 0 };
	uint64_t cap;
	uint32_t v[4];

	tap_ok(sim_request(s, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &rq,
			   sizeof(rq)) && s->d.resp_len == 14,
	       "GET_DEVICES answers one entry");
	memcpy(&e, s->d.resp + 4, sizeof(e));
	tap_ok(le16toh(e.dev_num) == DEV_NUM &&
	       le32toh(e.device_id) == VIRTIO_ID_BLOCK && !e.vendor_id &&
	       !s->d.resp[2] && !s->d.resp[3],
	       "the entry is dev 1, virtio-blk, and the list is complete");
	rq.offset = htole16(1);
	tap_ok(sim_request(s, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &rq,
			   sizeof(rq)) && s->d.resp_len == 4 &&
	       !s->d.resp[0], "GET_DEVICES from offset 1 lists nothing");
	tap_ok(sim_ping(s), "PING echoes its cookie");
	tap_ok(sim_request(s, VA_TYPE_BUS, 0x10, 0, NULL, 0) &&
	       sim_errno(s) == EOPNOTSUPP, "an unknown bus request: EOPNOTSUPP");
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_INFO, DEV_NUM, NULL, 0) &&
	       s->d.resp_len == sizeof(struct va_device_info) &&
	       resp32(s, 0) == VIRTIO_ID_BLOCK && resp32(s, 4) == 0 &&
	       resp32(s, 8) == 2 && resp32(s, 12) == CONFIG_SIZE &&
	       resp32(s, 16) == 1, "GET_DEVICE_INFO (config size %u)",
	       CONFIG_SIZE);
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_INFO, 2, NULL, 0) &&
	       sim_errno(s) == ENODEV, "a request for device 2: ENODEV");
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_INFO, DEV_NUM, buf, 4) &&
	       sim_errno(s) == EINVAL, "a payload of the wrong size: EINVAL");
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_FEATURES, DEV_NUM, &f,
			   sizeof(f)) && s->d.resp_len == 16 &&
	       resp32(s, 8) == 0 && resp32(s, 12) == 1,
	       "GET_DEVICE_FEATURES: VERSION_1 only");
	f.count = htole32(5);
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_FEATURES, DEV_NUM, &f,
			   sizeof(f)) && sim_errno(s) == EINVAL,
	       "GET_DEVICE_FEATURES of 5 words: EINVAL");

	v[0] = 0;
	v[1] = htole32(2);
	v[2] = 0;
	v[3] = htole32(1);
	tap_ok(sim_request(s, 0, VA_SET_DRIVER_FEATURES, DEV_NUM, v, 16) &&
	       !s->d.resp_len && !sim_errno(s), "SET_DRIVER_FEATURES");
	tap_ok(sim_u32_request(s, VA_SET_DEVICE_STATUS, 1) &&
	       resp32(s, 0) == 1 && sim_u32_request(s, VA_SET_DEVICE_STATUS, 3) &&
	       sim_u32_request(s, VA_SET_DEVICE_STATUS, 0xb) &&
	       resp32(s, 0) == 0xb, "SET_DEVICE_STATUS echoes");
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_STATUS, DEV_NUM, NULL, 0) &&
	       resp32(s, 0) == 0xb, "GET_DEVICE_STATUS");
	tap_ok(sim_u32_request(s, VA_SET_DEVICE_STATUS, 0) &&
	       resp32(s, 0) == 0 &&
	       sim_request(s, 0, VA_GET_DEVICE_STATUS, DEV_NUM, NULL, 0) &&
	       resp32(s, 0) == 0, "status 0 resets");
	v[2] = htole32(1);
	tap_ok(sim_request(s, 0, VA_SET_DRIVER_FEATURES, DEV_NUM, v, 16) &&
	       sim_u32_request(s, VA_SET_DEVICE_STATUS, 0xb) &&
	       resp32(s, 0) == 3,
	       "FEATURES_OK refused for a feature never offered");
	tap_ok(sim_u32_request(s, VA_SET_DEVICE_STATUS, 0x100) &&
	       sim_errno(s) == EINVAL, "a status above 0xff: EINVAL");

	v[0] = 0;
	v[1] = htole32(CONFIG_SIZE);
	tap_ok(sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, v, 8) &&
	       s->d.resp_len == 12 + CONFIG_SIZE && resp32(s, 8) == CONFIG_SIZE,
	       "GET_CONFIG of the whole space");
	memcpy(&cap, s->d.resp + 12, 8);
	tap_is(le64toh(cap), CAPACITY, "capacity");
	v[0] = htole32(8);
	tap_ok(sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, v, 8) &&
	       sim_errno(s) == EINVAL, "GET_CONFIG past the end: EINVAL");
	v[0] = htole32(0xffffffff);
	v[1] = htole32(2);
	tap_ok(sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, v, 8) &&
	       sim_errno(s) == EINVAL, "GET_CONFIG at offset 2^32-1: EINVAL");
	v[0] = 0;
	v[1] = 0;
	v[2] = htole32(1);
	tap_ok(sim_request(s, 0, VA_SET_CONFIG, DEV_NUM, v, 13) &&
	       s->d.resp_len == 4, "SET_CONFIG of one byte");
	tap_ok(sim_request(s, 0, VA_SET_CONFIG, DEV_NUM, v, 14) &&
	       sim_errno(s) == EINVAL, "SET_CONFIG whose size lies: EINVAL");

	tap_ok(sim_u32_request(s, VA_GET_VQUEUE, 0) && resp32(s, 4) == VQ_MAX,
	       "GET_VQUEUE 0: max size %u", VQ_MAX);
	tap_ok(sim_u32_request(s, VA_GET_VQUEUE, 1) && sim_errno(s) == EINVAL,
	       "GET_VQUEUE 1: EINVAL");
	tap_ok(sim_set_vqueue(s, 0, VQ_MAX) && !s->d.resp_len &&
	       !sim_errno(s), "SET_VQUEUE 0");
	tap_ok(sim_set_vqueue(s, 0, VQ_MAX + 1) && sim_errno(s) == EINVAL,
	       "SET_VQUEUE larger than the maximum: EINVAL");
	tap_ok(sim_u32_request(s, VA_RESET_VQUEUE, 0) && !sim_errno(s),
	       "RESET_VQUEUE 0");
	tap_ok(sim_request(s, 0, 0x30, DEV_NUM, NULL, 0) &&
	       sim_errno(s) == EOPNOTSUPP, "an unknown request: EOPNOTSUPP");

	put_hdr(buf, VA_TYPE_RESPONSE, VA_GET_CONFIG, DEV_NUM, 1, VA_HDR_SIZE);
	sim_deliver(s, buf, VA_HDR_SIZE);
	tap_ok(!s->msgs, "a response from the guest is dropped");
	put_hdr(buf, 0, VA_GET_DEVICE_STATUS, DEV_NUM, 1, VA_HDR_SIZE + 1);
	sim_deliver(s, buf, VA_HDR_SIZE);
	tap_ok(!s->msgs, "a record longer than its message is dropped");
	s->h->partner = 5;
	tap_ok(!sim_ping(s) && !s->msgs, "with -p 5, dom3 gets no answer");
	s->domid = 5;
	tap_ok(sim_ping(s), "with -p 5, dom5 does");
	sim_free(s);
}

static void test_data(void)
{
	struct sim *s = sim_new(MODE_GOOD);
	uint32_t wlen = OUTHDR_SIZE + 70144;	/* 137 sectors: two fragments */
	uint8_t *msg = malloc(VA_MSG_MAX), *wr = calloc(1, wlen);
	uint8_t hdr[OUTHDR_SIZE];
	size_t n = 0;

	if (!msg || !wr) {
		perror("va_hostile: malloc");
		exit(1);
	}
	tap_ok(sim_setup(s), "setup: GET_DEVICES, SET_VQUEUE");

	/* Three chains batched in one message. */
	blk_hdr(hdr, VIRTIO_BLK_T_IN, 0);
	n += put_avail(msg + n, DEV_NUM, 0, 0, OUTHDR_SIZE, 4097, 0,
		       VA_CHAIN_FIRST | VA_CHAIN_LAST, hdr, OUTHDR_SIZE);
	blk_hdr(hdr, VIRTIO_BLK_T_FLUSH, 0);
	n += put_avail(msg + n, DEV_NUM, 0, 3, OUTHDR_SIZE, 1, 0,
		       VA_CHAIN_FIRST | VA_CHAIN_LAST, hdr, OUTHDR_SIZE);
	blk_hdr(hdr, VIRTIO_BLK_T_GET_ID, 0);
	n += put_avail(msg + n, DEV_NUM, 0, 6, OUTHDR_SIZE, 21, 0,
		       VA_CHAIN_FIRST | VA_CHAIN_LAST, hdr, OUTHDR_SIZE);
	sim_expect_chain(s, 0, 4097);
	sim_expect_chain(s, 3, 1);
	sim_expect_chain(s, 6, 21);
	sim_deliver(s, msg, n);
	tap_ok(!s->why && s->msgs == 3 && s->d.completed == 3 &&
	       !s->d.last_status, "three batched chains: three completions");

	blk_hdr(wr, VIRTIO_BLK_T_OUT, 16);
	sim_chain(s, 9, wr, wlen, 1);
	tap_ok(!s->why && s->msgs == 1 && s->d.completed == 1 &&
	       s->d.last_total == 1 && !s->d.last_status,
	       "a write in two fragments: status OK");

	sim_read(s, 12, 8, 256 * SECTOR_SIZE + 1);
	tap_ok(!s->why && s->msgs == 3 && s->d.completed == 1 &&
	       s->d.last_total == 256 * SECTOR_SIZE + 1 && !s->d.last_status,
	       "a 128 KiB read: three fragments, status OK");
	sim_read(s, 12, 4095, 2 * SECTOR_SIZE + 1);
	tap_ok(!s->why && s->d.completed == 1 &&
	       s->d.last_status == VIRTIO_BLK_S_IOERR,
	       "a read past the end: IOERR");
	blk_hdr(hdr, 99, 0);
	sim_chain(s, 12, hdr, OUTHDR_SIZE, 1);
	tap_ok(!s->why && s->d.completed == 1 &&
	       s->d.last_status == VIRTIO_BLK_S_UNSUPP,
	       "an unknown request type: UNSUPP");
	sim_chain(s, 12, hdr, 4, 1);
	tap_ok(!s->why && s->d.completed == 1 &&
	       s->d.last_status == VIRTIO_BLK_S_IOERR,
	       "a chain without a request header: IOERR");

	blk_hdr(hdr, VIRTIO_BLK_T_IN, 0);
	sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, VQ_MAX, OUTHDR_SIZE, 1,
				      0, VA_CHAIN_FIRST | VA_CHAIN_LAST, hdr,
				      OUTHDR_SIZE));
	tap_ok(!s->msgs, "a chain id beyond the queue is dropped");
	sim_deliver(s, msg, put_avail(msg, 2, 0, 1, OUTHDR_SIZE, 1, 0,
				      VA_CHAIN_FIRST | VA_CHAIN_LAST, hdr,
				      OUTHDR_SIZE));
	tap_ok(!s->msgs, "a chain for device 2 is dropped");
	sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, 1, 2 * OUTHDR_SIZE, 1,
				      0, VA_CHAIN_FIRST, hdr, OUTHDR_SIZE));
	sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, 1, 2 * OUTHDR_SIZE, 1,
				      OUTHDR_SIZE + 1, VA_CHAIN_LAST, hdr,
				      OUTHDR_SIZE - 1));
	tap_ok(!s->msgs, "a fragment that skips a byte is dropped");
	sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, 1, OUTHDR_SIZE, 1, 0,
				      VA_CHAIN_FIRST, hdr, OUTHDR_SIZE));
	tap_ok(!s->msgs, "a complete chain without LAST is dropped");
	sim_read(s, 1, 0, 513);
	tap_ok(!s->why && s->d.completed == 1 && !s->d.last_status,
	       "the same chain id works afterwards");

	s->cap.fail = ECONNREFUSED;
	sim_read(s, 2, 0, 513);
	s->cap.fail = 0;
	tap_ok(sim_ping(s) && sim_setup(s),
	       "a guest that went away is answered when it talks again");

	s->port++;
	sim_read(s, 2, 0, 513);
	tap_ok(!s->msgs, "a new port starts over: no queue set up");
	free(wr);
	free(msg);
	sim_free(s);
}

static void test_modes(void)
{
	static const char *const expect[MODE_COUNT] = {
		[MODE_TRUNCATED] = "msg_size beyond the message",
		[MODE_WRONG_CHAIN] = "chain not outstanding",
		[MODE_OVERSIZE] = "total beyond in_len",
		[MODE_BAD_OFFSET] = "offset out of sequence",
		[MODE_UNKNOWN_DEVICE] = "unknown device",
		[MODE_BAD_QUEUE] = "queue out of range",
		[MODE_UNSOLICITED] = "response to a request never made",
	};
	static const uint32_t in_lens[] = { 4097, 2, 1, VA_FRAG_MAX + 2 };
	enum mode m;
	unsigned int i;
	struct sim *s;
	bool ok;

	for (m = MODE_GOOD; m < MODE_EXIT; m++) {
		for (i = 0; i < ARRAY_SIZE(in_lens); i++) {
			s = sim_new(m);
			ok = sim_setup(s);
			sim_read(s, 0, 999, 4097);
			ok = ok && !s->why && s->d.completed == 1;
			tap_ok(ok, "%s: a read before the trigger is answered",
			       mode_names[m]);
			sim_read(s, 3, 1000, in_lens[i]);
			switch (m) {
			case MODE_GOOD:
				tap_ok(!s->why && s->d.completed == 1,
				       "%s: the trigger read is answered",
				       mode_names[m]);
				break;
			case MODE_GARBAGE:
				tap_is(s->msgs, DEFAULT_COUNT,
				       "%s: %lu messages", mode_names[m],
				       DEFAULT_COUNT);
				break;
			case MODE_SILENT:
				tap_is(s->msgs, 0, "%s: nothing sent",
				       mode_names[m]);
				break;
			default:
				ok = s->why && !strcmp(s->why, expect[m]);
				tap_ok(ok, "%s (in_len %u): the driver sees \"%s\"",
				       mode_names[m], in_lens[i], expect[m]);
				if (!ok)
					printf("# got: %s\n",
					       s->why ? s->why : "(nothing)");
				break;
			}
			ok = sim_ping(s);
			if (m == MODE_GOOD)
				tap_ok(ok, "%s: PING still answered",
				       mode_names[m]);
			else
				tap_ok(!s->msgs,
				       "%s: nothing more for that guest",
				       mode_names[m]);
			sim_free(s);
			if (m != MODE_TRUNCATED && m != MODE_OVERSIZE &&
			    m != MODE_BAD_OFFSET)
				break;
		}
	}
}

/* GET_DEVICES of many-devices, page @offset of at most @max entries. */
static bool sim_get_devices(struct sim *s, uint16_t offset, uint16_t max)
{
	struct va_get_devices_req rq = {
		.offset = htole16(offset), .max = htole16(max),
	};

	return sim_request(s, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &rq,
			   sizeof(rq));
}

static uint16_t resp16(const struct sim *s, uint32_t off)
{
	uint16_t v = 0;

	if (off + 2 <= s->d.resp_len)
		memcpy(&v, s->d.resp + off, 2);
	return le16toh(v);
}

/* The modes that go on serving: what they put on the wire. */
static void test_serving_modes(void)
{
	struct va_features f = { .index = 0, .count = htole32(2) };
	struct va_get_config_req cr = { .offset = 0, .size = htole32(8) };
	struct sim *s;
	bool ok;

	s = sim_new(MODE_MANY_DEVICES);
	ok = sim_get_devices(s, 0, VA_MAX_DEVICES);
	tap_ok(ok && resp16(s, 0) == VA_MAX_DEVICES && resp16(s, 2) == 64 &&
	       resp16(s, 4) == DEV_NUM && resp16(s, 4 + 63 * 10) == 64,
	       "many-devices: page 1 lists devices 1 to 64, next page at 64");
	ok = sim_get_devices(s, 64, VA_MAX_DEVICES);
	tap_ok(ok && resp16(s, 0) == 36 && resp16(s, 2) == 0 &&
	       resp16(s, 4) == 65 && resp32(s, 6) == EXTRA_DEVICE_ID,
	       "many-devices: page 2 lists devices 65 to 100, the last page");
	ok = sim_request(s, 0, VA_GET_DEVICE_INFO, 100, NULL, 0);
	tap_ok(ok && resp32(s, 0) == EXTRA_DEVICE_ID && resp32(s, 12) == 0 &&
	       resp32(s, 16) == 1,
	       "many-devices: device 100 is virtio id 0x3fff, no config, one queue");
	sim_free(s);

	s = sim_new(MODE_IN_ORDER);
	ok = sim_request(s, 0, VA_GET_DEVICE_FEATURES, DEV_NUM, &f, sizeof(f));
	tap_ok(ok && resp32(s, 12) == (1U << (VIRTIO_F_VERSION_1 - 32) | 1U << 3),
	       "in-order: offers VERSION_1 and IN_ORDER (bit 35)");
	sim_free(s);

	s = sim_new(MODE_CONFIG_DROP);
	ok = sim_setup(s);
	sim_read(s, 3, 1000, 4097);
	tap_ok(ok && !s->why && s->d.completed == 1 && s->d.events == 2,
	       "config-drop: the trigger read is answered, then EVENT_CONFIG twice");
	sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, &cr, sizeof(cr));
	tap_ok(!s->why && s->d.responses == 1 && resp32(s, 4) == 1 &&
	       s->d.events == 1,
	       "config-drop: GET_CONFIG at 0 is answered for offset 1, and an EVENT_CONFIG follows");
	sim_free(s);

	/* the driver model knows no reset: it sees a chain not outstanding */
	s = sim_new(MODE_RESET_USED);
	ok = sim_setup(s);
	sim_read(s, 5, 1000, 4097);
	ok = ok && !s->why && s->d.completed == 1;
	sim_u32_request(s, VA_SET_DEVICE_STATUS, 0);
	tap_ok(ok && s->msgs == 1 && s->d.responses == 1 && resp32(s, 0) == 0 &&
	       s->why && !strcmp(s->why, "chain not outstanding"),
	       "reset-used: the reset's answer and a USED_CHAIN in one message");
	if (s->why && strcmp(s->why, "chain not outstanding"))
		printf("# got: %s\n", s->why);
	sim_free(s);
}

/* Random and mutated messages: the handlers must neither crash nor hang. */
static void test_fuzz(void)
{
	uint8_t *msg = malloc(VA_MSG_MAX);
	struct hostile *r = hostile_new(MODE_GOOD, 1, 7, ARGO_DOMID_ANY);
	unsigned int i, k, flips, rounds = 0;
	struct sim *s;
	size_t n, off;
	enum mode m;
	uint8_t hdr[OUTHDR_SIZE];

	if (!msg) {
		perror("va_hostile: malloc");
		exit(1);
	}
	for (m = MODE_GOOD; m < MODE_EXIT; m++) {
		s = sim_new(m);
		sim_setup(s);
		for (i = 0; i < 4000; i++) {
			n = 0;
			switch (rnd(r) % 4) {
			case 0:		/* random bytes */
				n = rnd(r) % 300;
				for (off = 0; off < n; off++)
					msg[off] = rnd(r);
				break;
			default:	/* valid-looking records, mutated */
				for (k = rnd(r) % 4 + 1; k; k--) {
					blk_hdr(hdr, rnd(r) % 10,
						rnd(r) % 2 ? rnd(r) % 5000 :
						rnd(r));
					if (rnd(r) % 2) {
						n += put_avail(msg + n, DEV_NUM,
							       0, rnd(r) % 64,
							       OUTHDR_SIZE,
							       rnd(r) % 9000,
							       0, 3, hdr,
							       OUTHDR_SIZE);
						continue;
					}
					put_hdr(msg + n, rnd(r) % 2 ?
						VA_TYPE_BUS : 0,
						rnd(r) % 0x0c, rnd(r) % 3,
						rnd(r), VA_HDR_SIZE + 32);
					for (off = 0; off < 32; off++)
						msg[n + VA_HDR_SIZE + off] =
							rnd(r) % 3 ? 0 : rnd(r);
					n += VA_HDR_SIZE + 32;
				}
				for (flips = rnd(r) % 4; flips && n; flips--)
					msg[rnd(r) % n] = rnd(r);
				break;
			}
			s->domid = 1 + rnd(r) % 3;
			s->port = rnd(r) % 50 ? 0x1234 : rnd(r);
			handle_message(s->h, s->domid, s->port,
				       rnd(r) % 50 ? VA_MSG_TYPE : 1, msg, n,
				       n);
			capture_clear(&s->cap);
			rounds++;
		}
		s->domid = 9;
		s->d.pending = false;
		tap_ok(m != MODE_GOOD || (sim_ping(s) && sim_setup(s)),
		       "%s: survives 4000 random messages%s", mode_names[m],
		       m == MODE_GOOD ? " and still answers" : "");
		sim_free(s);
	}
	printf("# %u fuzz messages\n", rounds);
	free(r);
	free(msg);
}

static int selftest(void)
{
	quiet = true;
	tap_start();
	test_build();
	test_control();
	test_data();
	test_modes();
	test_serving_modes();
	test_fuzz();
	return tap_done();
}

/* ---- arguments ---- */

/* Print the usage and exit 2. */
static void usage_exit(void)
{
	int m;

	fprintf(stderr,
		"usage: va_hostile MODE [-p PARTNER_DOMID] [-n COUNT] [-s SEED]\n"
		"       va_hostile selftest\n"
		"MODE: ");
	for (m = 0; m < MODE_COUNT; m++)
		fprintf(stderr, "%s%s", m ? " " : "", mode_names[m]);
	fprintf(stderr,
		"\n"
		"  -p DOMID  the only domain that may talk to us (default: any)\n"
		"  -n COUNT  garbage messages to send (default %lu)\n"
		"  -s SEED   random seed for garbage (default: the clock)\n",
		DEFAULT_COUNT);
	exit(2);
}

static unsigned long long number(const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		usage_exit();
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		usage_exit();
	return v;
}

int main(int argc, char **argv)
{
	unsigned long count = DEFAULT_COUNT;
	uint16_t partner = ARGO_DOMID_ANY;
	struct timespec ts;
	const char *mode_arg = NULL;
	uint64_t seed;
	int opt, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec + getpid();
	while (optind < argc) {
		opt = getopt(argc, argv, "+p:n:s:h");
		switch (opt) {
		case -1:
			if (mode_arg)
				usage_exit();
			mode_arg = argv[optind++];
			break;
		case 'p':
			partner = number(optarg, ARGO_DOMID_ANY);
			if (partner >= 0x7FF0 && partner != ARGO_DOMID_ANY)
				usage_exit();
			break;
		case 'n':
			count = number(optarg, 1000000);
			if (!count)
				usage_exit();
			break;
		case 's':
			seed = number(optarg, UINT64_MAX);
			break;
		default:
			usage_exit();
		}
	}
	if (!mode_arg)
		usage_exit();
	if (!strcmp(mode_arg, "selftest"))
		return selftest();
	for (m = 0; m < MODE_COUNT; m++)
		if (!strcmp(mode_arg, mode_names[m]))
			return run(hostile_new(m, count, seed, partner));
	usage_exit();
}
