// SPDX-License-Identifier: GPL-2.0
/*
 * va_hostile: a deliberately hostile virtio-argo device backend.
 *
 *   va_hostile MODE [-p PARTNER_DOMID] [-n COUNT] [-s SEED]
 *   va_hostile selftest
 *
 * It binds the backend port VA_BACKEND_PORT on /dev/argo (for any sender
 * unless -p names one domain) and serves, as docs/virtio-argo-protocol.md
 * (protocol 2: the virtio-msg bus over Argo) describes, one virtio-blk
 * device to every guest that talks to it: dev_num 1, 4096 zero-filled
 * sectors (writes are accepted and dropped), VIRTIO_F_VERSION_1 only, one
 * queue of at most 64 entries.  It answers CONNECT honestly (revision 1,
 * records up to the size asked, the VA_F_HOLD feature if asked) unless
 * MODE says otherwise, and PINGs each guest once, after its first
 * GET_DEVICES.  That lasts until the guest's first read
 * (VIRTIO_BLK_T_IN) at sector 1000 or beyond: instead of answering it,
 * va_hostile misbehaves as MODE says, and from then on it reads and
 * drops everything that guest sends, until it is killed (SIGTERM and
 * SIGINT exit 0).  The in-VM tests use it to show that virtio-argo.ko
 * survives a broken or malicious backend.
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
 *   small           CONNECT settles records of at most 1024 bytes (the
 *                   least allowed), which both sides keep to until the
 *                   trigger; then a USED_CHAIN record of 2076 bytes
 *   nohold          CONNECT settles no feature (VA_F_HOLD refused); the
 *                   read is answered whole, but with VA_CHAIN_HOLD
 *   windows         the read is not answered; memory window requests
 *                   instead (VA_F_WINDOWS was agreed), for memory the
 *                   driver never mapped for the device: MEM_READ of 64
 *                   bytes at 0x1000, MEM_WRITE of 16 bytes at 0x2000,
 *                   MEM_READ of 16 bytes wrapping past 2^64, MEM_READ for
 *                   device 7 (none), each answer logged as
 *                   "guest N: MEM_READ|MEM_WRITE dev D ADDR+LEN: error E
 *                   (B bytes)"; then a MEM_READ of 0 bytes, which breaks
 *                   the rules
 *   exit            exit(0) at once: the ring goes away with the process
 *
 * Modes that go on serving after the trigger (or have none):
 *   hold-exit       answer that read whole but with VA_CHAIN_HOLD (a group
 *                   the driver must see at once, never ended), then exit
 *   hold-forever    answer every read at sector 1000 or beyond with
 *                   VA_CHAIN_HOLD, and go on answering PINGs
 *   config-drop     answer that read, then answer every GET_CONFIG with
 *                   another range than asked and send EVENT_CONFIG (now
 *                   and after every later message): the guest drops the
 *                   device, and must ignore the events that still come
 *   many-devices    no trigger: GET_DEVICES answers windows of 64 device
 *                   numbers, with 100 devices in all: the disk and 99 of
 *                   virtio id 0x3fff (no driver claims it; no config, one
 *                   queue), more than a guest may have
 *   config-storm    no trigger: once the driver set DRIVER_OK, an
 *                   EVENT_CONFIG after every message and whenever nothing
 *                   arrives, as fast as the guest's ring takes them
 *   in-order        no trigger: the device also offers VIRTIO_F_IN_ORDER,
 *                   although its USED_CHAIN records may come in any order
 *   reset-used      no trigger: the answer to every reset (SET_DEVICE_STATUS
 *                   0) carries, in the same Argo message, a USED_CHAIN of
 *                   512 bytes for the queue's last completed chain, which
 *                   the driver takes back at the reset: the guest must
 *                   drop it, never copy it
 *   type-bits       no trigger: every record sent has some of the header's
 *                   type bits 2-7 set, which a receiver ignores
 *
 * Modes about CONNECT, which serve no device:
 *   v1              a protocol 1 backend: every message whose Argo type is
 *                   not VA_MSG_TYPE_V1 is dropped (and logged), nothing is
 *                   ever sent
 *   refuse          CONNECT answered with revision 0: no common revision
 *   connect-features  CONNECT answered with a feature never offered (bit 5)
 *   connect-small   CONNECT answered with max_size 512 (< VA_SIZE_MIN)
 *   connect-big     CONNECT answered with a max_size above the one asked
 *
 * Everything a guest sends is checked with the bus's own parser
 * (virtio-argo/check.c) and then against the device's state; a record
 * breaking the protocol is dropped with a line on stderr, and so is one
 * the parser says to ignore.  Requests the device cannot carry out get a
 * bus ERROR event.  Event lines on stderr:
 *   va_hostile: guest N connected
 *   va_hostile: guest N: CONNECT revision R max_size M features 0xF:
 *     answered revision R max_size M features 0xF          (one line)
 *   va_hostile: guest N: answered our PING
 *   va_hostile: guest N: largest record B bytes, largest AVAIL_CHAIN data
 *     D bytes                                              (one line)
 *   va_hostile: guest N: as a protocol 1 backend, dropped message K of
 *     type 0xT (B bytes; first record type 0xTT id 0xII)   (one line)
 *   va_hostile: trigger at sector S: sent MODE
 *   va_hostile: reset N: USED_CHAIN in the answer's message
 *
 * "selftest" needs no Argo: it feeds records straight into the handlers,
 * checks what they would send with a model of the driver's validation
 * (the same parser) and prints TAP.  Bad arguments exit 2 with the usage.
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
#include <argo/virtio_argo_check.h>
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
#define MAX_FEATURE_REQ	VA_FEATURE_BLOCKS_MAX	/* blocks one answer holds */
#define BAD_DEV_NUM	7
#define BAD_VQ		9
#define OVERSIZE_EXTRA	512U
#define GARBAGE_MAX	4096U
#define DEFAULT_COUNT	20UL
#define BAD_FEATURE	5		/* connect-features: a VA_F_ bit unknown */
/* what CONNECT settles but in mode windows */
#define NO_WINDOWS	(VA_F_KNOWN & ~(1ULL << VA_F_WINDOWS))
#define SMALL_BAD_SIZE	512U		/* connect-small: below VA_SIZE_MIN */
#define BIG_RECORD	(2 * VA_SIZE_MIN)	/* small: the trigger's data */
#define PING_DATA	0x56410000U	/* | the guest's domid */
#define OUTHDR_SIZE	((uint32_t)sizeof(struct virtio_blk_outhdr))
#define CONFIG_SIZE	((uint32_t)sizeof(struct virtio_blk_config))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

enum mode {
	MODE_GOOD,
	/* misbehave at the trigger read */
	MODE_TRUNCATED,
	MODE_WRONG_CHAIN,
	MODE_OVERSIZE,
	MODE_BAD_OFFSET,
	MODE_UNKNOWN_DEVICE,
	MODE_BAD_QUEUE,
	MODE_GARBAGE,
	MODE_UNSOLICITED,
	MODE_SILENT,
	MODE_SMALL,
	MODE_NOHOLD,
	MODE_WINDOWS,
	MODE_EXIT,
	MODE_HOLD_EXIT,
	MODE_HOLD_FOREVER,
	MODE_CONFIG_DROP,
	/* serve throughout */
	MODE_MANY_DEVICES,
	MODE_CONFIG_STORM,
	MODE_IN_ORDER,
	MODE_RESET_USED,
	MODE_TYPE_BITS,
	/* CONNECT */
	MODE_V1,
	MODE_REFUSE,
	MODE_CONNECT_FEATURES,
	MODE_CONNECT_SMALL,
	MODE_CONNECT_BIG,
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
	[MODE_SMALL] = "small",
	[MODE_NOHOLD] = "nohold",
	[MODE_WINDOWS] = "windows",
	[MODE_EXIT] = "exit",
	[MODE_HOLD_EXIT] = "hold-exit",
	[MODE_HOLD_FOREVER] = "hold-forever",
	[MODE_CONFIG_DROP] = "config-drop",
	[MODE_MANY_DEVICES] = "many-devices",
	[MODE_CONFIG_STORM] = "config-storm",
	[MODE_IN_ORDER] = "in-order",
	[MODE_RESET_USED] = "reset-used",
	[MODE_TYPE_BITS] = "type-bits",
	[MODE_V1] = "v1",
	[MODE_REFUSE] = "refuse",
	[MODE_CONNECT_FEATURES] = "connect-features",
	[MODE_CONNECT_SMALL] = "connect-small",
	[MODE_CONNECT_BIG] = "connect-big",
};

/* many-devices: the disk and this many more, of EXTRA_DEVICE_ID. */
#define EXTRA_DEVICES	99U
#define EXTRA_DEVICE_ID	0x3fffU
#define LAST_DEV_NUM	(DEV_NUM + EXTRA_DEVICES)
/* many-devices: device numbers per GET_DEVICES window */
#define MANY_WINDOW	64U

/* Modes that misbehave at the trigger read. */
static bool mode_triggers(enum mode m)
{
	return m >= MODE_TRUNCATED && m <= MODE_CONFIG_DROP;
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
	bool connected;		/* CONNECT answered with a revision */
	bool pinged;		/* our PING went out on this connection */
	bool ping_answered;
	uint16_t domid;
	uint32_t port;
	uint16_t last_token;
	uint16_t ping_token;
	unsigned int complaints;
	unsigned int v1_drops;	/* v1: messages dropped */
	struct va_link link;	/* what CONNECT settled */
	uint32_t max_record;	/* largest record received, bytes */
	uint32_t max_frag;	/* largest AVAIL_CHAIN data received */
	uint8_t status;
	uint32_t drv_features[FEATURE_WORDS];
	bool drv_extra;		/* the driver set bits beyond our words */
	bool churn;		/* config-drop: triggered */
	uint16_t last_chain;	/* reset-used: the last chain answered */
	unsigned int resets;	/* reset-used: resets answered */
	uint32_t generation;	/* config generation */
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

/* Log a line about @g, but only the first MAX_COMPLAINTS of its kind. */
static bool say_limited(struct guest *g)
{
	if (g->complaints == MAX_COMPLAINTS)
		say("guest %u: more dropped records, not logged", g->domid);
	if (g->complaints <= MAX_COMPLAINTS)
		g->complaints++;
	return g->complaints <= MAX_COMPLAINTS;
}

/* A record from @g that breaks the protocol is dropped, and said (a few). */
static int complain(struct guest *g, uint8_t msg_id, const char *why)
{
	if (say_limited(g))
		say("guest %u: dropped record 0x%02x: %s", g->domid, msg_id,
		    why);
	return -EPROTO;
}

/* A well-formed record the device does not act on (parser: VA_IGNORE). */
static int ignore(struct guest *g, const struct va_hdr *hd)
{
	if (say_limited(g))
		say("guest %u: ignored record 0x%02x (type 0x%02x)", g->domid,
		    hd->msg_id, hd->type);
	return 0;
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

/* A new ring of the guest's, or a new CONNECT: nothing settled yet. */
static void reset_link(struct guest *g)
{
	g->connected = false;
	g->pinged = false;
	g->link.max_size = VA_SIZE_MAX;
	g->link.features = 0;
	reset_device(g);
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
			reset_link(g);
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
	reset_link(free_slot);
	say("guest %u connected", domid);
	return free_slot;
}

/* type-bits: set some of bits 2-7 in the type of every record of @buf. */
static void odd_type_bits(struct hostile *h, uint8_t *buf, size_t len)
{
	size_t off = 0;
	uint16_t size;

	while (off < len && len - off >= VA_HDR_SIZE) {
		buf[off] |= (uint8_t)((rnd(h) & ~(uint64_t)VA_TYPE_MASK) |
				      0x80);
		memcpy(&size, buf + off + 6, 2);
		size = le16toh(size);
		if (size < VA_HDR_SIZE)
			break;
		off += size;
	}
}

/*
 * Send one message (built in @buf, h->tx but for the selftest's
 * callers); a failure means the guest went away (or will soon).
 */
static int send_msg(struct hostile *h, struct guest *g, uint8_t *buf,
		    size_t len)
{
	int r;

	if (g->gone)
		return -1;
	if (h->mode == MODE_TYPE_BITS)
		odd_type_bits(h, buf, len);
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
 * Send a reply of @total bytes (zeros, then @status) as USED_CHAIN(s) of
 * at most the settled record size; the last one also carries
 * @last_flags (VA_CHAIN_HOLD).
 */
static int send_used_flags(struct hostile *h, struct guest *g,
			   uint16_t dev_num, uint16_t vq, uint16_t chain,
			   uint32_t total, uint8_t status, uint16_t last_flags)
{
	uint32_t off = 0, w, frag = va_frag_max(&g->link);
	uint16_t flags;
	size_t n;

	do {
		w = min_u32(total - off, frag);
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

/* One EVENT_CONFIG for the disk: its status and all of its config. */
static int send_config_event(struct hostile *h, struct guest *g)
{
	struct va_event_config e = {
		.status = htole32(g->status),
		.generation = htole32(g->generation),
		.offset = 0,
		.size = htole32(CONFIG_SIZE),
	};
	size_t n = VA_HDR_SIZE + sizeof(e) + CONFIG_SIZE;

	put_hdr(h->tx, 0, VA_EVENT_CONFIG, DEV_NUM, 0, n);
	memcpy(h->tx + VA_HDR_SIZE, &e, sizeof(e));
	memcpy(h->tx + VA_HDR_SIZE + sizeof(e), h->config, CONFIG_SIZE);
	return send_msg(h, g, h->tx, n);
}

static int reply(struct hostile *h, struct guest *g, const struct va_hdr *rq,
		 const void *payload, uint32_t len)
{
	put_hdr(h->tx, VA_TYPE_RESPONSE | (va_type(rq) & VA_TYPE_BUS),
		rq->msg_id, le16toh(rq->dev_num), le16toh(rq->token),
		VA_HDR_SIZE + len);
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

/* The bus ERROR event: request @rq will not be carried out (@err). */
static int send_error(struct hostile *h, struct guest *g,
		      const struct va_hdr *rq, uint32_t err)
{
	struct va_bus_error e = {
		.dev_num = rq->dev_num,
		.token = rq->token,
		.msg_id = rq->msg_id,
		.type = va_type(rq),
		.error = htole32(err),
	};

	put_hdr(h->tx, VA_TYPE_BUS, VA_BUS_ERROR, 0, 0,
		VA_HDR_SIZE + sizeof(e));
	memcpy(h->tx + VA_HDR_SIZE, &e, sizeof(e));
	return send_msg(h, g, h->tx, VA_HDR_SIZE + sizeof(e));
}

/* Our own PING, once a connection: the guest must answer it. */
static int send_ping(struct hostile *h, struct guest *g)
{
	struct va_ping p = { .data = htole32(PING_DATA | g->domid) };

	g->pinged = true;
	if (!++g->ping_token)
		g->ping_token = 1;
	put_hdr(h->tx, VA_TYPE_BUS, VA_BUS_PING, 0, g->ping_token,
		VA_HDR_SIZE + sizeof(p));
	memcpy(h->tx + VA_HDR_SIZE, &p, sizeof(p));
	return send_msg(h, g, h->tx, VA_HDR_SIZE + sizeof(p));
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
	uint32_t w = min_u32(total, va_frag_max(&g->link));

	/* @total >= 1, so half the data is always less than msg_size says. */
	build_used(h->tx, DEV_NUM, vq, id, total, 0, w,
		   VA_CHAIN_FIRST | (w == total ? VA_CHAIN_LAST : 0),
		   VIRTIO_BLK_S_OK);
	send_msg(h, g, h->tx, VA_CHAIN_HDR_SIZE + w / 2);
}

static void send_bad_offset(struct hostile *h, struct guest *g, uint16_t vq,
			    uint16_t id, uint32_t total)
{
	uint32_t frag = va_frag_max(&g->link);
	uint32_t first = min_u32(total / 2, frag), off, second;
	size_t n;

	n = build_used(h->tx, DEV_NUM, vq, id, total, 0, first,
		       VA_CHAIN_FIRST, VIRTIO_BLK_S_OK);
	if (send_msg(h, g, h->tx, n))
		return;
	off = first + 1;		/* one byte never sent */
	second = min_u32(total - off, frag);
	n = build_used(h->tx, DEV_NUM, vq, id, total, off, second,
		       off + second == total ? VA_CHAIN_LAST : 0,
		       VIRTIO_BLK_S_OK);
	send_msg(h, g, h->tx, n);
}

/*
 * small: the chain's first BIG_RECORD bytes in one record, larger than
 * the 1024 bytes CONNECT settled.  The trigger reads 4 KiB or more, so
 * the record is right in every other respect.
 */
static void send_big_record(struct hostile *h, struct guest *g, uint16_t vq,
			    uint16_t id, uint32_t total)
{
	uint32_t w = BIG_RECORD;

	send_msg(h, g, h->tx,
		 build_used(h->tx, DEV_NUM, vq, id, total, 0, w,
			    VA_CHAIN_FIRST | (w == total ? VA_CHAIN_LAST : 0),
			    VIRTIO_BLK_S_OK));
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
		.generation = htole32(g->generation),
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

/* windows: one MEM_READ or MEM_WRITE request, with a token of ours. */
static void send_mem(struct hostile *h, struct guest *g, uint8_t id,
		     uint16_t dev_num, uint64_t addr, uint32_t len,
		     uint16_t token)
{
	struct va_mem_req rq = {
		.addr = htole64(addr), .len = htole32(len),
	};
	uint32_t data = id == VA_MEM_WRITE ? len : 0;

	put_hdr(h->tx, 0, id, dev_num, token,
		VA_HDR_SIZE + sizeof(rq) + data);
	memcpy(h->tx + VA_HDR_SIZE, &rq, sizeof(rq));
	memset(h->tx + VA_HDR_SIZE + sizeof(rq), 0xEE, data);
	send_msg(h, g, h->tx, VA_HDR_SIZE + sizeof(rq) + data);
}

static void send_windows(struct hostile *h, struct guest *g)
{
	send_mem(h, g, VA_MEM_READ, DEV_NUM, 0x1000, 64, 0x7001);
	send_mem(h, g, VA_MEM_WRITE, DEV_NUM, 0x2000, 16, 0x7002);
	send_mem(h, g, VA_MEM_READ, DEV_NUM, ~0ULL - 7, 16, 0x7003);
	send_mem(h, g, VA_MEM_READ, BAD_DEV_NUM, 0x1000, 16, 0x7004);
	send_mem(h, g, VA_MEM_READ, DEV_NUM, 0x1000, 0, 0x7005);
}

/* The trigger: do what MODE says instead of answering chain @id. */
static void misbehave(struct hostile *h, struct guest *g, uint16_t vq,
		      uint16_t id, uint64_t sector)
{
	struct queue *q = &g->vq[vq];
	uint32_t in_len = q->chains[id].in_len;

	/* The modes that go on serving answer the chain: it is done. */
	g->done = h->mode != MODE_HOLD_FOREVER && h->mode != MODE_CONFIG_DROP &&
		  h->mode != MODE_WINDOWS;	/* windows reads the answers */
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
	case MODE_SMALL:
		send_big_record(h, g, vq, id, in_len);
		break;
	case MODE_WINDOWS:
		send_windows(h, g);
		break;
	case MODE_NOHOLD:
		/* HOLD although CONNECT settled no VA_F_HOLD */
		send_used_flags(h, g, DEV_NUM, vq, id, in_len, VIRTIO_BLK_S_OK,
				VA_CHAIN_HOLD);
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
	default:	/* silent, and the modes that never trigger */
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

/*
 * One AVAIL_CHAIN record, its fixed part and flags already checked by
 * va_check_from_driver(): the fragment's place in its chain is ours to
 * check.
 */
static int handle_avail(struct hostile *h, struct guest *g,
			const struct va_hdr *hd, const uint8_t *p,
			uint32_t len)
{
	struct va_avail_chain a;
	uint32_t out_len, in_len, offset, dlen;
	uint16_t vq, id, flags;
	struct chain *c;
	struct queue *q;

	memcpy(&a, p, sizeof(a));
	p += sizeof(a);
	dlen = len - sizeof(a);
	vq = le16toh(a.vq);
	id = le16toh(a.chain);
	out_len = le32toh(a.out_len);
	in_len = le32toh(a.in_len);
	offset = le32toh(a.offset);
	flags = le16toh(a.flags);
	if (dlen > g->max_frag) {
		g->max_frag = dlen;
		say("guest %u: largest record %u bytes, largest AVAIL_CHAIN data %u bytes",
		    g->domid, g->max_record, g->max_frag);
	}

	if (le16toh(hd->dev_num) != DEV_NUM)
		return complain(g, hd->msg_id, "chain for an unknown device");
	if (vq >= NUM_VQS || !g->vq[vq].size)
		return complain(g, hd->msg_id, "chain for a queue not set up");
	q = &g->vq[vq];
	if (id >= q->size)
		return complain(g, hd->msg_id, "chain id beyond the queue");
	if (out_len > CHAIN_MAX || in_len > CHAIN_MAX)
		return complain(g, hd->msg_id, "chain too large");

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

/* Is @num one of our devices (for @h's mode)? */
static bool present(const struct hostile *h, uint32_t num)
{
	if (h->mode == MODE_MANY_DEVICES)
		return num >= DEV_NUM && num <= LAST_DEV_NUM;
	return num == DEV_NUM;
}

/*
 * GET_DEVICES: the window asked (a multiple of 8, checked by the parser),
 * at most VA_WINDOW_MAX device numbers or, in many-devices, MANY_WINDOW
 * of them; next_offset goes on while devices remain beyond it.
 */
static int get_devices(struct hostile *h, struct guest *g,
		       const struct va_hdr *hd, const uint8_t *p)
{
	uint8_t out[sizeof(struct va_get_devices_resp) + VA_WINDOW_MAX / 8];
	struct va_get_devices_resp rs;
	struct va_get_devices_req rq;
	uint32_t offset, count, i, next = 0;
	int r;

	memcpy(&rq, p, sizeof(rq));
	offset = le16toh(rq.offset);
	count = min_u32(le16toh(rq.count), h->mode == MODE_MANY_DEVICES ?
			MANY_WINDOW : VA_WINDOW_MAX);
	memset(out, 0, sizeof(out));
	for (i = 0; i < count; i++)
		if (present(h, offset + i))
			out[sizeof(rs) + i / 8] |= 1U << (i % 8);
	if (count && h->mode == MODE_MANY_DEVICES &&
	    offset + count <= LAST_DEV_NUM)
		next = offset + count;
	rs.offset = rq.offset;
	rs.count = htole16(count);
	rs.next_offset = htole16(next);
	memcpy(out, &rs, sizeof(rs));
	r = reply(h, g, hd, out, sizeof(rs) + count / 8);
	if (!r && !g->pinged)
		r = send_ping(h, g);
	return r;
}

/*
 * CONNECT: settle the link, or not, as the mode says.  A CONNECT starts
 * the guest's connection over: its device is reset.
 */
static int handle_connect(struct hostile *h, struct guest *g,
			  const struct va_hdr *hd, const uint8_t *p)
{
	struct va_connect rq, rs;
	uint32_t max_size = VA_SIZE_MAX;
	/* windows give each device its own DMA parent: only when tested */
	uint64_t features = h->mode == MODE_WINDOWS ? VA_F_KNOWN : NO_WINDOWS;

	memcpy(&rq, p, sizeof(rq));
	reset_link(g);
	if (h->mode == MODE_SMALL)
		max_size = VA_SIZE_MIN;
	if (h->mode == MODE_NOHOLD)
		features = 0;
	g->connected = !va_connect_choose(&rq, max_size, features, &rs);
	switch (h->mode) {
	case MODE_REFUSE:
		rs.revision = 0;
		g->connected = false;
		break;
	case MODE_CONNECT_FEATURES:
		rs.features = htole64(le64toh(rq.features) |
				      1ULL << BAD_FEATURE);
		g->connected = false;
		break;
	case MODE_CONNECT_SMALL:
		rs.max_size = htole32(SMALL_BAD_SIZE);
		g->connected = false;
		break;
	case MODE_CONNECT_BIG:
		rs.max_size = htole32(le32toh(rq.max_size) + 1);
		g->connected = false;
		break;
	default:
		break;
	}
	if (g->connected) {
		g->link.max_size = le32toh(rs.max_size);
		g->link.features = le64toh(rs.features);
	}
	say("guest %u: CONNECT revision %u max_size %u features 0x%llx: answered revision %u max_size %u features 0x%llx",
	    g->domid, le32toh(rq.revision), le32toh(rq.max_size),
	    (unsigned long long)le64toh(rq.features), le32toh(rs.revision),
	    le32toh(rs.max_size), (unsigned long long)le64toh(rs.features));
	return reply(h, g, hd, &rs, sizeof(rs));
}

/* The answer to our PING, the only request we make. */
static int handle_answer(struct guest *g, const struct va_hdr *hd,
			 const uint8_t *p, uint32_t len)
{
	struct va_ping pg;

	if (!(va_type(hd) & VA_TYPE_BUS)) {	/* the parser passed MEM only */
		struct va_mem_resp m;

		memcpy(&m, p, sizeof(m));
		say("guest %u: %s dev %u %#llx+%u: error %u (%u bytes)",
		    g->domid, hd->msg_id == VA_MEM_READ ? "MEM_READ" : "MEM_WRITE",
		    le16toh(hd->dev_num), (unsigned long long)le64toh(m.addr),
		    le32toh(m.len), le32toh(m.error),
		    (unsigned int)(len - sizeof(m)));
		return 0;
	}

	memcpy(&pg, p, sizeof(pg));
	if (!g->pinged || le16toh(hd->token) != g->ping_token ||
	    le32toh(pg.data) != (PING_DATA | g->domid))
		return complain(g, hd->msg_id, "answers no PING of ours");
	if (!g->ping_answered)
		say("guest %u: answered our PING", g->domid);
	g->ping_answered = true;
	return 0;
}

/* A bus request but CONNECT (the parser let through only known ones). */
static int handle_bus(struct hostile *h, struct guest *g,
		      const struct va_hdr *hd, const uint8_t *p, uint32_t len)
{
	switch (hd->msg_id) {
	case VA_BUS_GET_DEVICES:
		return get_devices(h, g, hd, p);
	case VA_BUS_PING:
		return reply(h, g, hd, p, len);
	}
	return ignore(g, hd);
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

/* GET_DEVICE_FEATURES of @words: the blocks asked, zero beyond ours. */
static int get_features(struct hostile *h, struct guest *g,
			const struct va_hdr *hd, const uint8_t *p,
			const uint32_t *words)
{
	uint8_t out[sizeof(struct va_features) + 4 * MAX_FEATURE_REQ];
	struct va_features f;
	uint32_t index, count, i, w;
	uint64_t at;

	memcpy(&f, p, sizeof(f));
	index = le32toh(f.index);
	count = le32toh(f.count);
	if (count > MAX_FEATURE_REQ)
		return send_error(h, g, hd, EINVAL);
	memcpy(out, &f, sizeof(f));
	for (i = 0; i < count; i++) {
		at = (uint64_t)index + i;
		w = htole32(at < FEATURE_WORDS ? words[at] : 0);
		memcpy(out + sizeof(f) + 4 * i, &w, 4);
	}
	return reply(h, g, hd, out, sizeof(f) + 4 * count);
}

/* GET_DEVICE_INFO: device_id 0 says there is no such device. */
static int get_info(struct hostile *h, struct guest *g,
		    const struct va_hdr *hd)
{
	uint16_t num = le16toh(hd->dev_num);
	struct va_device_info info;

	memset(&info, 0, sizeof(info));
	if (present(h, num)) {
		info.device_id = htole32(num == DEV_NUM ? VIRTIO_ID_BLOCK :
					 EXTRA_DEVICE_ID);
		info.vendor_id = htole32(DEV_VENDOR);
		info.num_feature_bits = htole32(32 * FEATURE_WORDS);
		info.config_size = htole32(num == DEV_NUM ? CONFIG_SIZE : 0);
		info.max_virtqueues = htole32(NUM_VQS);
	}
	return reply(h, g, hd, &info, sizeof(info));
}

/*
 * many-devices: a request for one of the extra devices, which have no
 * config and no driver: the guest only learns about them and resets them.
 */
static int handle_extra(struct hostile *h, struct guest *g,
			const struct va_hdr *hd, const uint8_t *p,
			uint32_t len)
{
	switch (hd->msg_id) {
	case VA_GET_DEVICE_FEATURES:
		return get_features(h, g, hd, p, dev_features);
	case VA_SET_DRIVER_FEATURES:
		return reply(h, g, hd, NULL, 0);
	case VA_SET_DEVICE_STATUS:
		return reply(h, g, hd, p, len);	/* any status sticks */
	}
	return send_error(h, g, hd, EINVAL);
}

/* Features the driver sets, sizes checked by the parser. */
static int set_features(struct hostile *h, struct guest *g,
			const struct va_hdr *hd, const uint8_t *p)
{
	struct va_features f;
	uint32_t index, count, i, w;
	uint64_t at;

	memcpy(&f, p, sizeof(f));
	index = le32toh(f.index);
	count = le32toh(f.count);
	for (i = 0; i < count; i++) {
		memcpy(&w, p + sizeof(f) + 4 * i, 4);
		at = (uint64_t)index + i;
		if (at < FEATURE_WORDS)
			g->drv_features[at] = le32toh(w);
		else if (w)
			g->drv_extra = true;
	}
	return reply(h, g, hd, NULL, 0);
}

/* Is [@offset, + @size) a range one config request may cover? */
static bool config_range(uint32_t offset, uint32_t size)
{
	return size <= VA_CONFIG_CHUNK && offset <= CONFIG_SIZE &&
	       size <= CONFIG_SIZE - offset;
}

/*
 * GET_CONFIG, and SET_CONFIG (@set): the answer is the range's bytes.
 * Every field we offer is read-only, so a write changes nothing; one
 * made against another generation is refused (an answer of size 0).
 */
static int config_request(struct hostile *h, struct guest *g,
			  const struct va_hdr *hd, const uint8_t *p, bool set)
{
	uint8_t out[sizeof(struct va_config) + VA_CONFIG_CHUNK];
	uint32_t offset, size, generation = g->generation;
	struct va_config cf;

	if (set) {
		memcpy(&cf, p, sizeof(cf));
		generation = le32toh(cf.generation);
	} else {
		memcpy(&cf.offset, p, 4);
		memcpy(&cf.size, p + 4, 4);
	}
	offset = le32toh(cf.offset);
	size = le32toh(cf.size);
	if (!config_range(offset, size))
		return send_error(h, g, hd, EINVAL);
	if (generation != g->generation)
		size = 0;
	cf.generation = htole32(g->generation);
	cf.size = htole32(size);
	/* config-drop: an answer for another range than asked */
	if (g->churn)
		cf.offset = htole32(offset + 1);
	memcpy(out, &cf, sizeof(cf));
	memcpy(out + sizeof(cf), h->config + offset, size);
	return reply(h, g, hd, out, sizeof(cf) + size);
}

static int set_status(struct hostile *h, struct guest *g,
		      const struct va_hdr *hd, const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	w = le32toh(w);
	if (w > 0xff)
		return send_error(h, g, hd, EINVAL);
	if (!w)
		reset_device(g);
	else if ((w & VIRTIO_CONFIG_S_FEATURES_OK) && !features_ok(h, g))
		w &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	g->status = w;
	w = htole32(w);
	if (!g->status && h->mode == MODE_RESET_USED)
		return reply_reset_used(h, g, hd, w);
	return reply(h, g, hd, &w, sizeof(w));
}

/* GET_VQUEUE (max_size 0: no such queue) and SET_VQUEUE (@set). */
static int vqueue_request(struct hostile *h, struct guest *g,
			  const struct va_hdr *hd, const uint8_t *p, bool set)
{
	struct va_vqueue vr;
	uint32_t index, size;

	memset(&vr, 0, sizeof(vr));
	if (!set) {
		memcpy(&vr.index, p, 4);
		index = le32toh(vr.index);
		if (index < NUM_VQS) {
			vr.max_size = htole32(VQ_MAX);
			vr.size = htole32(g->vq[index].size);
		}
		return reply(h, g, hd, &vr, sizeof(vr));
	}
	memcpy(&vr, p, sizeof(vr));
	index = le32toh(vr.index);
	size = le32toh(vr.size);
	if (index >= NUM_VQS || !size || size > VQ_MAX)
		return send_error(h, g, hd, EINVAL);
	reset_queue(&g->vq[index]);
	g->vq[index].size = size;
	return reply(h, g, hd, NULL, 0);
}

/* A transport request, its size checked by the parser. */
static int handle_control(struct hostile *h, struct guest *g,
			  const struct va_hdr *hd, const uint8_t *p,
			  uint32_t len)
{
	uint16_t num = le16toh(hd->dev_num);
	struct va_shm_resp shm;
	uint32_t w;

	if (hd->msg_id == VA_GET_DEVICE_INFO)
		return get_info(h, g, hd);
	if (present(h, num) && num != DEV_NUM)
		return handle_extra(h, g, hd, p, len);
	if (num != DEV_NUM)
		return send_error(h, g, hd, ENODEV);
	switch (hd->msg_id) {
	case VA_GET_DEVICE_FEATURES:
		return get_features(h, g, hd, p, features_of(h));
	case VA_SET_DRIVER_FEATURES:
		return set_features(h, g, hd, p);
	case VA_GET_CONFIG:
		return config_request(h, g, hd, p, false);
	case VA_SET_CONFIG:
		return config_request(h, g, hd, p, true);
	case VA_GET_DEVICE_STATUS:
		w = htole32(g->status);
		return reply(h, g, hd, &w, sizeof(w));
	case VA_SET_DEVICE_STATUS:
		return set_status(h, g, hd, p);
	case VA_GET_VQUEUE:
		return vqueue_request(h, g, hd, p, false);
	case VA_SET_VQUEUE:
		return vqueue_request(h, g, hd, p, true);
	case VA_RESET_VQUEUE:
		memcpy(&w, p, 4);
		w = le32toh(w);
		if (w >= NUM_VQS)
			return send_error(h, g, hd, EINVAL);
		reset_queue(&g->vq[w]);
		return reply(h, g, hd, NULL, 0);
	case VA_GET_SHM:
		/* no shared memory on this bus: length 0 */
		memset(&shm, 0, sizeof(shm));
		memcpy(&shm.index, p, 4);
		return reply(h, g, hd, &shm, sizeof(shm));
	}
	return ignore(g, hd);
}

/* One record that passed va_check_hdr(): @len payload bytes at @p. */
static int handle_record(struct hostile *h, struct guest *g,
			 const struct va_hdr *hd, const uint8_t *p,
			 uint32_t len)
{
	const char *why = NULL;
	uint8_t type = va_type(hd);
	int r = va_check_from_driver(hd, p, len, &why);

	if (r < 0)
		return complain(g, hd->msg_id, why);
	if (r == VA_IGNORE)
		return ignore(g, hd);
	if (type & VA_TYPE_RESPONSE)
		return handle_answer(g, hd, p, len);
	if ((type & VA_TYPE_BUS) && hd->msg_id == VA_BUS_CONNECT)
		return handle_connect(h, g, hd, p);
	if (!g->connected)
		return complain(g, hd->msg_id, "request before CONNECT");
	if (!va_id_is_event(hd->msg_id))
		g->last_token = le16toh(hd->token);
	if (type & VA_TYPE_BUS)
		return handle_bus(h, g, hd, p, len);
	if (hd->msg_id == VA_AVAIL_CHAIN)
		return handle_avail(h, g, hd, p, len);
	if (va_id_is_event(hd->msg_id))
		return ignore(g, hd);	/* EVENT_AVAIL: kicks are chains here */
	return handle_control(h, g, hd, p, len);
}

/* config-storm: does @g get events now (its driver is running)? */
static bool storming(const struct hostile *h, const struct guest *g)
{
	return h->mode == MODE_CONFIG_STORM && !g->gone &&
	       (g->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

/* v1: what a protocol 1 backend does with a protocol 2 message. */
static int drop_v1(struct guest *g, uint32_t type, const uint8_t *buf,
		   size_t n)
{
	g->v1_drops++;
	if (say_limited(g))
		say("guest %u: as a protocol 1 backend, dropped message %u of type 0x%x (%zu bytes; first record type 0x%02x id 0x%02x)",
		    g->domid, g->v1_drops, type, n, n > 0 ? buf[0] : 0,
		    n > 1 ? buf[1] : 0);
	return -EPROTO;
}

/*
 * One Argo message of @n bytes (@full before truncation) from @domid:@port.
 * It holds records back to back; stop at the first that does not fit.
 */
static int handle_message(struct hostile *h, uint16_t domid, uint32_t port,
			  uint32_t type, const uint8_t *buf, size_t n,
			  size_t full)
{
	const char *why = NULL;
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
	if (h->mode == MODE_V1)
		return drop_v1(g, type, buf, n);
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
		memset(&hd, 0, sizeof(hd));
		memcpy(&hd, buf + off, min_u32(n - off, sizeof(hd)));
		if (va_check_hdr(&hd, n - off, g->link.max_size, &why))
			return complain(g, hd.msg_id, why);
		size = le16toh(hd.msg_size);
		if (size > g->max_record) {
			g->max_record = size;
			say("guest %u: largest record %u bytes, largest AVAIL_CHAIN data %u bytes",
			    domid, g->max_record, g->max_frag);
		}
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

/*
 * The driver side as the selftest sees it: the shared parser
 * (va_check_hdr(), va_check_from_device(), va_check_used()), and the
 * state only a driver has (its requests, devices, queues and chains).
 */
struct drv_chain {
	bool out;		/* sent, not completed */
	struct va_used_acct acct;
	uint8_t last;
};

struct drv {
	struct va_link link;
	uint16_t dev_num;
	uint16_t nvq;
	uint16_t qsize;
	struct drv_chain ch[VQ_MAX];
	bool pending;
	uint8_t req_type;
	uint8_t req_id;
	uint16_t req_dev;
	uint16_t req_token;
	uint16_t token;
	unsigned int completed;
	unsigned int held;	/* completions with HOLD */
	unsigned int events;	/* EVENT_CONFIG records */
	unsigned int pings;	/* PINGs from the device */
	unsigned int ignored;	/* records the parser says to ignore */
	unsigned int records;
	unsigned int odd_types;	/* records with type bits 2-7 set */
	uint32_t last_total;
	uint8_t last_status;
	unsigned int answers;	/* responses and ERROR events */
	uint32_t error;		/* the last answer's errno, 0: a response */
	uint32_t resp_len;
	uint8_t resp[1024];
	uint16_t ping_token;
	uint32_t ping_data;
};

static const char *drv_used(struct drv *d, const struct va_hdr *hd,
			    const uint8_t *p, uint32_t len)
{
	uint32_t data = len - sizeof(struct va_used_chain);
	struct va_used_chain u;
	struct drv_chain *c;
	const char *why;
	uint16_t vq, id, flags;

	memcpy(&u, p, sizeof(u));
	vq = le16toh(u.vq);
	id = le16toh(u.chain);
	flags = le16toh(u.flags);
	if (le16toh(hd->dev_num) != d->dev_num)
		return "unknown device";
	if (vq >= d->nvq)
		return "queue out of range";
	if (id >= d->qsize || !d->ch[id].out)
		return "chain not outstanding";
	c = &d->ch[id];
	if (va_check_used(&u, data, &c->acct, &why))
		return why;
	c->acct.started = true;
	c->acct.total = le32toh(u.total);
	c->acct.received += data;
	if (data)
		c->last = p[sizeof(u) + data - 1];
	if (flags & VA_CHAIN_LAST) {
		d->completed++;
		if (flags & VA_CHAIN_HOLD)
			d->held++;
		d->last_total = c->acct.total;
		d->last_status = c->acct.total ? c->last : 0xff;
		memset(c, 0, sizeof(*c));
	}
	return NULL;
}

/* An answer (response or ERROR) to the request in flight? */
static bool drv_answers(const struct drv *d, uint8_t type, uint8_t msg_id,
			uint16_t dev_num, uint16_t token)
{
	return d->pending && token == d->req_token && msg_id == d->req_id &&
	       dev_num == d->req_dev &&
	       (type & VA_TYPE_BUS) == (d->req_type & VA_TYPE_BUS);
}

static const char *drv_bus(struct drv *d, const struct va_hdr *hd,
			   const uint8_t *p)
{
	struct va_bus_error e;
	struct va_ping pg;

	switch (hd->msg_id) {
	case VA_BUS_ERROR:
		memcpy(&e, p, sizeof(e));
		if (!drv_answers(d, e.type, e.msg_id, le16toh(e.dev_num),
				 le16toh(e.token)))
			return "ERROR for a request never made";
		d->pending = false;
		d->answers++;
		d->error = le32toh(e.error);
		d->resp_len = 0;
		return NULL;
	case VA_BUS_PING:
		memcpy(&pg, p, sizeof(pg));
		d->pings++;
		d->ping_token = le16toh(hd->token);
		d->ping_data = le32toh(pg.data);
		return NULL;
	}
	return "unexpected bus message";
}

static const char *drv_record(struct drv *d, const uint8_t *r, uint32_t size)
{
	const uint8_t *p = r + VA_HDR_SIZE;
	uint32_t len = size - VA_HDR_SIZE;
	struct va_hdr hd;
	const char *why;
	uint8_t type;
	int rc;

	memcpy(&hd, r, sizeof(hd));
	d->records++;
	if (hd.type & ~VA_TYPE_MASK)
		d->odd_types++;
	rc = va_check_from_device(&hd, p, len, &d->link, &why);
	if (rc < 0)
		return why;
	if (rc == VA_IGNORE) {
		d->ignored++;
		return NULL;
	}
	type = va_type(&hd);
	if (type & VA_TYPE_RESPONSE) {
		if (!drv_answers(d, type, hd.msg_id, le16toh(hd.dev_num),
				 le16toh(hd.token)))
			return "response to a request never made";
		if (len > sizeof(d->resp))
			return "response too long";
		d->pending = false;
		d->answers++;
		d->error = 0;
		d->resp_len = len;
		memcpy(d->resp, p, len);
		return NULL;
	}
	if (type & VA_TYPE_BUS)
		return drv_bus(d, &hd, p);
	if (hd.msg_id == VA_EVENT_CONFIG) {
		d->events++;
		return NULL;
	}
	return drv_used(d, &hd, p, len);	/* all the parser lets through */
}

static const char *drv_message(struct drv *d, const uint8_t *m, size_t n)
{
	struct va_hdr hd;
	const char *why;
	size_t off = 0;

	if (!n)
		return "empty message";
	while (off < n) {
		memset(&hd, 0, sizeof(hd));
		memcpy(&hd, m + off, min_u32(n - off, sizeof(hd)));
		if (va_check_hdr(&hd, n - off, d->link.max_size, &why))
			return why;
		why = drv_record(d, m + off, le16toh(hd.msg_size));
		if (why)
			return why;
		off += le16toh(hd.msg_size);
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
	unsigned int largest;	/* the largest record of the last exchange */
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
	s->d.link.max_size = VA_SIZE_MAX;
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

/* The largest record of message @m, as its headers say. */
static unsigned int largest_record(const uint8_t *m, size_t n)
{
	unsigned int most = 0;
	size_t off = 0;
	uint16_t size;

	while (off < n && n - off >= VA_HDR_SIZE) {
		memcpy(&size, m + off + 6, 2);
		size = le16toh(size);
		if (size < VA_HDR_SIZE)
			break;
		if (size > most)
			most = size;
		off += size;
	}
	return most;
}

/* Deliver one message of Argo type @type, and check what came back. */
static void sim_deliver_type(struct sim *s, uint32_t type, const void *buf,
			     size_t len)
{
	unsigned int i;

	s->d.answers = 0;
	s->d.completed = 0;
	s->d.held = 0;
	s->d.events = 0;
	s->d.pings = 0;
	handle_message(s->h, s->domid, s->port, type, buf, len, len);
	s->why = NULL;
	s->msgs = s->cap.n + s->cap.dropped;
	s->largest = 0;
	for (i = 0; i < s->cap.n && !s->why; i++) {
		s->why = drv_message(&s->d, s->cap.buf[i], s->cap.len[i]);
		if (largest_record(s->cap.buf[i], s->cap.len[i]) > s->largest)
			s->largest = largest_record(s->cap.buf[i],
						    s->cap.len[i]);
	}
	capture_clear(&s->cap);
}

static void sim_deliver(struct sim *s, const void *buf, size_t len)
{
	sim_deliver_type(s, VA_MSG_TYPE, buf, len);
}

/*
 * One request; true when exactly one valid answer (a response or an
 * ERROR event) came back, and nothing else but the device's PINGs.
 */
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
	s->d.req_dev = dev_num;
	s->d.req_token = s->d.token;
	sim_deliver(s, buf, VA_HDR_SIZE + len);
	return !s->why && s->msgs == 1 + s->d.pings && s->d.answers == 1;
}

/* The last answer's errno (0 when it was a response). */
static uint32_t sim_errno(const struct sim *s)
{
	return s->d.error;
}

static uint32_t resp32(const struct sim *s, uint32_t off)
{
	uint32_t v = 0;

	if (off + 4 <= s->d.resp_len)
		memcpy(&v, s->d.resp + off, 4);
	return le32toh(v);
}

static uint16_t resp16(const struct sim *s, uint32_t off)
{
	uint16_t v = 0;

	if (off + 2 <= s->d.resp_len)
		memcpy(&v, s->d.resp + off, 2);
	return le16toh(v);
}

/*
 * CONNECT offering @max_size and @features: va_check_connect()'s verdict
 * on the answer (the link is settled on 0), or -EIO without one.
 */
static int sim_connect(struct sim *s, uint32_t max_size, uint64_t features,
		       const char **why)
{
	struct va_connect rq = {
		.revision = htole32(VA_REVISION),
		.max_size = htole32(max_size),
		.features = htole64(features),
	}, rs;

	*why = NULL;
	s->d.link.max_size = VA_SIZE_MAX;
	s->d.link.features = 0;
	if (!sim_request(s, VA_TYPE_BUS, VA_BUS_CONNECT, 0, &rq, sizeof(rq)) ||
	    s->d.error)
		return -EIO;
	memcpy(&rs, s->d.resp, sizeof(rs));
	return va_check_connect(&rq, &rs, &s->d.link, why);
}

/*
 * GET_DEVICES of the window at @offset of @count numbers: true when it
 * is answered, and the answer passes va_check_devices().
 */
static bool sim_get_devices(struct sim *s, uint16_t offset, uint16_t count)
{
	struct va_get_devices_req rq = {
		.offset = htole16(offset), .count = htole16(count),
	};
	struct va_get_devices_resp rs;
	const char *why;

	if (!sim_request(s, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, &rq,
			 sizeof(rq)) || s->d.error)
		return false;
	memcpy(&rs, s->d.resp, sizeof(rs));
	return !va_check_devices(&rq, &rs, &why);
}

/* Is device @num present in the last GET_DEVICES answer? */
static bool sim_present(const struct sim *s, uint32_t num)
{
	uint32_t offset = resp16(s, 0), count = resp16(s, 2), i;

	if (num < offset || num >= offset + count)
		return false;
	i = num - offset;
	return s->d.resp[sizeof(struct va_get_devices_resp) + i / 8] &
	       (1U << (i % 8));
}

/* How many devices the last GET_DEVICES answer has. */
static unsigned int sim_count(const struct sim *s)
{
	uint32_t offset = resp16(s, 0), count = resp16(s, 2), i, n = 0;

	for (i = 0; i < count; i++)
		n += sim_present(s, offset + i);
	return n;
}

static bool sim_u32_request(struct sim *s, uint8_t msg_id, uint32_t a)
{
	a = htole32(a);
	return sim_request(s, 0, msg_id, DEV_NUM, &a, sizeof(a));
}

static bool sim_set_vqueue(struct sim *s, uint32_t index, uint32_t size)
{
	struct va_vqueue sv;

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
	s->d.ch[id].acct.in_len = in_len;
}

/*
 * Send chain @id (its out bytes: @out) fragment by fragment, one a
 * message, each as large as the settled record size allows.
 */
static void sim_chain(struct sim *s, uint16_t id, const uint8_t *out,
		      uint32_t out_len, uint32_t in_len)
{
	uint8_t *msg = malloc(VA_MSG_MAX);
	unsigned int msgs = 0, completed = 0, largest = 0;
	uint32_t off = 0, w, frag = va_frag_max(&s->d.link);
	const char *why = NULL;

	if (!msg) {
		perror("va_hostile: malloc");
		exit(1);
	}
	sim_expect_chain(s, id, in_len);
	do {
		w = min_u32(out_len - off, frag);
		sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, id, out_len,
					      in_len, off,
					      (off ? 0 : VA_CHAIN_FIRST) |
					      (off + w == out_len ?
					       VA_CHAIN_LAST : 0),
					      out + off, w));
		msgs += s->msgs;
		completed += s->d.completed;
		if (s->largest > largest)
			largest = s->largest;
		if (!why)
			why = s->why;
		off += w;
	} while (off < out_len);
	s->msgs = msgs;
	s->d.completed = completed;
	s->largest = largest;
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

/* CONNECT (offering @max_size and HOLD), GET_DEVICES, SET_VQUEUE. */
static bool sim_setup_size(struct sim *s, uint32_t max_size)
{
	const char *why;

	return !sim_connect(s, max_size, VA_F_KNOWN, &why) &&
	       sim_get_devices(s, 0, VA_WINDOW_MAX) &&
	       sim_set_vqueue(s, 0, VQ_MAX);
}

static bool sim_setup(struct sim *s)
{
	return sim_setup_size(s, VA_SIZE_MAX);
}

static bool sim_ping(struct sim *s)
{
	struct va_ping pg = { .data = htole32(0x11223344) };

	return sim_request(s, VA_TYPE_BUS, VA_BUS_PING, 0, &pg, sizeof(pg)) &&
	       s->d.resp_len == 4 && !memcmp(s->d.resp, &pg, 4);
}

/* Answer the device's last PING as a driver does (with @data). */
static void sim_answer_ping(struct sim *s, uint32_t data)
{
	uint8_t buf[VA_HDR_SIZE + sizeof(struct va_ping)];
	struct va_ping pg = { .data = htole32(data) };

	put_hdr(buf, VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_PING, 0,
		s->d.ping_token, sizeof(buf));
	memcpy(buf + VA_HDR_SIZE, &pg, sizeof(pg));
	sim_deliver(s, buf, sizeof(buf));
}

static struct guest *sim_guest(struct sim *s)
{
	return guest_get(s->h, s->domid, s->port);
}

static void test_build(void)
{
	struct sim *s = sim_new(MODE_GOOD);
	struct guest *g = sim_guest(s);
	uint32_t total = 2 * VA_FRAG_MAX + 513;
	unsigned int i, most = 0;
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
	tap_ok(!!drv_message(&s->d, s->h->tx, n - 1),
	       "a record cut by one byte is refused by the model");

	/* records of at most 1024 bytes: 996 data bytes a fragment */
	g->link.max_size = VA_SIZE_MIN;
	s->d.link.max_size = VA_SIZE_MIN;
	s->d.completed = 0;
	sim_expect_chain(s, 11, 4097);
	send_used(s->h, g, DEV_NUM, 0, 11, 4097, VIRTIO_BLK_S_OK);
	for (i = 0; i < s->cap.n; i++)
		if (s->cap.len[i] > most)
			most = s->cap.len[i];
	for (i = 0; i < s->cap.n; i++)
		if (drv_message(&s->d, s->cap.buf[i], s->cap.len[i]))
			most = 0;
	tap_ok(s->cap.n == 5 && most == VA_SIZE_MIN && s->d.completed == 1,
	       "with records of 1024 bytes, 4097 bytes take 5 fragments of at most 996");
	capture_clear(&s->cap);
	sim_free(s);
}

/* CONNECT, as each mode answers it. */
static void test_connect(void)
{
	static const struct {
		enum mode mode;
		int rc;
		uint32_t max_size;	/* the link's, if settled */
		uint64_t features;
		const char *why;
	} tc[] = {
		{ MODE_GOOD, 0, VA_SIZE_MAX, NO_WINDOWS, NULL },
		{ MODE_SMALL, 0, VA_SIZE_MIN, NO_WINDOWS, NULL },
		{ MODE_NOHOLD, 0, VA_SIZE_MAX, 0, NULL },
		{ MODE_TYPE_BITS, 0, VA_SIZE_MAX, NO_WINDOWS, NULL },
		{ MODE_WINDOWS, 0, VA_SIZE_MAX, VA_F_KNOWN, NULL },
		{ MODE_REFUSE, -EPROTONOSUPPORT, 0, 0,
		  "the device speaks no revision we do" },
		{ MODE_CONNECT_FEATURES, -EPROTO, 0, 0,
		  "CONNECT answers features we did not offer" },
		{ MODE_CONNECT_SMALL, -EPROTO, 0, 0,
		  "CONNECT answers a size outside what we offered" },
		{ MODE_CONNECT_BIG, -EPROTO, 0, 0,
		  "CONNECT answers a size outside what we offered" },
	};
	const char *why;
	unsigned int i;
	struct sim *s;
	int rc;

	for (i = 0; i < ARRAY_SIZE(tc); i++) {
		s = sim_new(tc[i].mode);
		rc = sim_connect(s, VA_SIZE_MAX, VA_F_KNOWN, &why);
		tap_ok(rc == tc[i].rc &&
		       (rc || (s->d.link.max_size == tc[i].max_size &&
			       s->d.link.features == tc[i].features)) &&
		       (!tc[i].why || (why && !strcmp(why, tc[i].why))),
		       "%s: CONNECT %s", mode_names[tc[i].mode],
		       tc[i].why ? tc[i].why : "settles the link");
		if (rc != tc[i].rc)
			printf("# got %d (%s)\n", rc, why ? why : "");
		if (rc)
			tap_ok(!sim_get_devices(s, 0, VA_WINDOW_MAX) &&
			       !s->msgs,
			       "%s: no GET_DEVICES answer without a link",
			       mode_names[tc[i].mode]);
		sim_free(s);
	}

	s = sim_new(MODE_GOOD);
	rc = sim_connect(s, 2000, 0, &why);
	tap_ok(!rc && s->d.link.max_size == 2000 && !s->d.link.features,
	       "good: CONNECT settles the size and features offered (2000, none)");
	tap_ok(sim_connect(s, VA_SIZE_MIN - 1, 0, &why) == -EPROTONOSUPPORT,
	       "good: CONNECT offering 1023 bytes is refused");
	sim_free(s);

	s = sim_new(MODE_GOOD);
	tap_ok(!sim_get_devices(s, 0, VA_WINDOW_MAX) && !s->msgs,
	       "a GET_DEVICES before CONNECT is dropped");
	sim_free(s);

	s = sim_new(MODE_V1);
	rc = sim_connect(s, VA_SIZE_MAX, VA_F_KNOWN, &why);
	tap_ok(rc == -EIO && !s->msgs && sim_guest(s)->v1_drops == 1,
	       "v1: CONNECT is dropped unanswered");
	sim_deliver_type(s, VA_MSG_TYPE_V1, "\x02\x02\0\0\1\0\x0c\0\0\0\x40\0",
			 12);
	tap_ok(!s->msgs && sim_guest(s)->v1_drops == 2,
	       "v1: so is a protocol 1 message");
	sim_free(s);
}

static void test_control(void)
{
	struct va_features f = { .index = 0, .count = htole32(2) };
	uint8_t buf[64] = { 0 };
	struct guest *g;
	const char *why;
	struct sim *s;
	uint64_t cap;
	uint32_t v[4];

	s = sim_new(MODE_GOOD);
	tap_ok(!sim_connect(s, VA_SIZE_MAX, VA_F_KNOWN, &why),
	       "CONNECT");
	tap_ok(sim_get_devices(s, 0, VA_WINDOW_MAX) && s->d.pings == 1 &&
	       s->d.resp_len == 6 + VA_WINDOW_MAX / 8 &&
	       resp16(s, 2) == VA_WINDOW_MAX && !resp16(s, 4),
	       "GET_DEVICES answers the window asked, done, and a PING follows");
	tap_ok(sim_present(s, DEV_NUM) && sim_count(s) == 1,
	       "the window holds device 1 only");
	g = sim_guest(s);
	sim_answer_ping(s, 0x5641);
	tap_ok(!s->msgs && !g->ping_answered,
	       "a PING answer with other data is not taken");
	sim_answer_ping(s, PING_DATA | s->domid);
	tap_ok(!s->msgs && g->ping_answered, "the PING answer is taken");
	tap_ok(sim_get_devices(s, 8, 16) && !s->d.pings && resp16(s, 0) == 8 &&
	       resp16(s, 2) == 16 && !sim_count(s),
	       "GET_DEVICES from offset 8 lists nothing, and no second PING");
	tap_ok(sim_ping(s), "PING echoes its data");
	sim_request(s, VA_TYPE_BUS, 0x10, 0, NULL, 0);
	tap_ok(!s->msgs, "an unknown bus request is discarded unanswered");
	sim_request(s, VA_TYPE_BUS, VA_BUS_PING, 1, buf, 4);
	tap_ok(!s->msgs, "a bus request with a device number is discarded");
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_INFO, DEV_NUM, NULL, 0) &&
	       s->d.resp_len == sizeof(struct va_device_info) &&
	       resp32(s, 0) == VIRTIO_ID_BLOCK && resp32(s, 4) == 0 &&
	       resp32(s, 8) == 64 && resp32(s, 12) == CONFIG_SIZE &&
	       resp32(s, 16) == 1,
	       "GET_DEVICE_INFO (64 feature bits, config size %u)",
	       CONFIG_SIZE);
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_INFO, 2, NULL, 0) &&
	       !sim_errno(s) && resp32(s, 0) == 0,
	       "GET_DEVICE_INFO for device 2: device_id 0, no such device");
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_STATUS, 2, NULL, 0) &&
	       sim_errno(s) == ENODEV,
	       "another request for device 2: an ERROR event, ENODEV");
	sim_request(s, 0, VA_GET_DEVICE_INFO, DEV_NUM, buf, 4);
	tap_ok(!s->msgs, "a payload of the wrong size: discarded unanswered");
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_FEATURES, DEV_NUM, &f,
			   sizeof(f)) && s->d.resp_len == 16 &&
	       resp32(s, 8) == 0 && resp32(s, 12) == 1,
	       "GET_DEVICE_FEATURES: VERSION_1 only");
	f.count = htole32(5);
	tap_ok(sim_request(s, 0, VA_GET_DEVICE_FEATURES, DEV_NUM, &f,
			   sizeof(f)) && sim_errno(s) == EINVAL,
	       "GET_DEVICE_FEATURES of 5 blocks: ERROR EINVAL");

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
	       sim_errno(s) == EINVAL, "a status above 0xff: ERROR EINVAL");

	v[0] = 0;
	v[1] = htole32(CONFIG_SIZE);
	tap_ok(sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, v, 8) &&
	       s->d.resp_len == 12 + CONFIG_SIZE && resp32(s, 8) == CONFIG_SIZE,
	       "GET_CONFIG of the whole space");
	memcpy(&cap, s->d.resp + 12, 8);
	tap_is(le64toh(cap), CAPACITY, "capacity");
	v[0] = htole32(8);
	tap_ok(sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, v, 8) &&
	       sim_errno(s) == EINVAL, "GET_CONFIG past the end: ERROR EINVAL");
	v[0] = htole32(0xffffffff);
	v[1] = htole32(2);
	tap_ok(sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, v, 8) &&
	       sim_errno(s) == EINVAL,
	       "GET_CONFIG at offset 2^32-1: ERROR EINVAL");
	v[0] = 0;
	v[1] = 0;
	v[2] = htole32(1);
	tap_ok(sim_request(s, 0, VA_SET_CONFIG, DEV_NUM, v, 13) &&
	       s->d.resp_len == 13 && resp32(s, 8) == 1,
	       "SET_CONFIG of one byte: answered with the byte");
	v[0] = htole32(1);
	tap_ok(sim_request(s, 0, VA_SET_CONFIG, DEV_NUM, v, 13) &&
	       s->d.resp_len == 12 && resp32(s, 8) == 0,
	       "SET_CONFIG against another generation: refused, size 0");
	sim_request(s, 0, VA_SET_CONFIG, DEV_NUM, v, 14);
	tap_ok(!s->msgs, "SET_CONFIG whose size lies: discarded unanswered");

	tap_ok(sim_u32_request(s, VA_GET_VQUEUE, 0) && resp32(s, 4) == VQ_MAX &&
	       s->d.resp_len == sizeof(struct va_vqueue),
	       "GET_VQUEUE 0: max size %u", VQ_MAX);
	tap_ok(sim_u32_request(s, VA_GET_VQUEUE, 1) && !sim_errno(s) &&
	       resp32(s, 0) == 1 && resp32(s, 4) == 0,
	       "GET_VQUEUE 1: max size 0, no such queue");
	tap_ok(sim_set_vqueue(s, 0, VQ_MAX) && !s->d.resp_len &&
	       !sim_errno(s), "SET_VQUEUE 0");
	tap_ok(sim_u32_request(s, VA_GET_VQUEUE, 0) && resp32(s, 8) == VQ_MAX,
	       "GET_VQUEUE 0 then says its size");
	tap_ok(sim_set_vqueue(s, 0, VQ_MAX + 1) && sim_errno(s) == EINVAL,
	       "SET_VQUEUE larger than the maximum: ERROR EINVAL");
	tap_ok(sim_u32_request(s, VA_RESET_VQUEUE, 0) && !sim_errno(s),
	       "RESET_VQUEUE 0");
	tap_ok(sim_u32_request(s, VA_GET_SHM, 0) && !sim_errno(s) &&
	       s->d.resp_len == sizeof(struct va_shm_resp) && !resp32(s, 4),
	       "GET_SHM 0: length 0, no such region");
	sim_request(s, 0, 0x30, DEV_NUM, NULL, 0);
	tap_ok(!s->msgs, "an unknown request is discarded unanswered");

	put_hdr(buf, VA_TYPE_RESPONSE, VA_GET_CONFIG, DEV_NUM, 1, VA_HDR_SIZE);
	sim_deliver(s, buf, VA_HDR_SIZE);
	tap_ok(!s->msgs, "a response from the guest is dropped");
	put_hdr(buf, 0, VA_GET_DEVICE_STATUS, DEV_NUM, 1, VA_HDR_SIZE + 1);
	sim_deliver(s, buf, VA_HDR_SIZE);
	tap_ok(!s->msgs, "a record longer than its message is dropped");
	tap_ok(sim_request(s, 0xfc, VA_GET_DEVICE_STATUS, DEV_NUM, NULL, 0) &&
	       !sim_errno(s) && s->d.resp_len == 4,
	       "a request with type bits 2-7 set is a request all the same");
	s->h->partner = 5;
	tap_ok(!sim_ping(s) && !s->msgs, "with -p 5, dom3 gets no answer");
	s->domid = 5;
	s->d.link.max_size = VA_SIZE_MAX;
	tap_ok(!sim_connect(s, VA_SIZE_MAX, VA_F_KNOWN, &why) &&
	       sim_ping(s), "with -p 5, dom5 does");
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
	tap_ok(sim_setup(s), "setup: CONNECT, GET_DEVICES, SET_VQUEUE");

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
	sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, 1, OUTHDR_SIZE, 1, 0,
				      VA_CHAIN_FIRST | VA_CHAIN_LAST | 4, hdr,
				      OUTHDR_SIZE));
	tap_ok(!s->msgs, "a chain with an unknown flag is dropped");
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
	tap_ok(sim_ping(s) && sim_set_vqueue(s, 0, VQ_MAX),
	       "a guest that went away is answered when it talks again");

	s->port++;
	sim_read(s, 2, 0, 513);
	tap_ok(!s->msgs, "a new port starts over: nothing before CONNECT");
	free(wr);
	free(msg);
	sim_free(s);
}

/* small: records of at most 1024 bytes both ways, until the trigger. */
static void test_small(void)
{
	struct sim *s = sim_new(MODE_SMALL);
	uint32_t wlen = OUTHDR_SIZE + 16 * SECTOR_SIZE;
	uint8_t *msg = malloc(VA_MSG_MAX), *wr = calloc(1, wlen);
	struct guest *g;

	if (!msg || !wr) {
		perror("va_hostile: malloc");
		exit(1);
	}
	tap_ok(sim_setup(s) && s->d.link.max_size == VA_SIZE_MIN,
	       "small: setup settles records of 1024 bytes");
	g = sim_guest(s);
	blk_hdr(wr, VIRTIO_BLK_T_OUT, 16);
	sim_chain(s, 4, wr, wlen, 1);
	tap_ok(!s->why && s->d.completed == 1 && !s->d.last_status &&
	       g->max_record == VA_SIZE_MIN &&
	       g->max_frag == VA_SIZE_MIN - VA_CHAIN_HDR_SIZE,
	       "small: an 8 KiB write in fragments of 996 bytes: status OK");
	sim_read(s, 5, 0, 64 * 1024 + 1);
	tap_ok(!s->why && s->d.completed == 1 && !s->d.last_status &&
	       s->msgs == 66 && s->largest == VA_SIZE_MIN,
	       "small: a 64 KiB read comes in 66 records of at most 1024 bytes");
	sim_deliver(s, msg, put_avail(msg, DEV_NUM, 0, 6, wlen, 1, 0,
				      VA_CHAIN_FIRST, wr, 1000));
	tap_ok(!s->msgs && !g->vq[0].chains[6].active,
	       "small: a record of 1028 bytes from the guest is dropped");
	free(wr);
	free(msg);
	sim_free(s);
}

static void test_modes(void)
{
	static const struct {
		enum mode mode;
		const char *why;	/* what the driver sees, if anything */
	} tc[] = {
		{ MODE_GOOD, NULL },
		{ MODE_TRUNCATED, "msg_size beyond the end of the message" },
		{ MODE_WRONG_CHAIN, "chain not outstanding" },
		{ MODE_OVERSIZE, "total larger than the chain's buffers" },
		{ MODE_BAD_OFFSET, "fragment offset out of sequence" },
		{ MODE_UNKNOWN_DEVICE, "unknown device" },
		{ MODE_BAD_QUEUE, "queue out of range" },
		{ MODE_GARBAGE, NULL },
		{ MODE_UNSOLICITED, "response to a request never made" },
		{ MODE_SILENT, NULL },
		{ MODE_SMALL, "record larger than the negotiated maximum" },
		{ MODE_NOHOLD, "USED_CHAIN with HOLD, which was not negotiated" },
	};
	static const uint32_t in_lens[] = { 4097, 2, 1, VA_FRAG_MAX + 2 };
	unsigned int i, k;
	enum mode m;
	struct sim *s;
	bool ok;

	for (k = 0; k < ARRAY_SIZE(tc); k++) {
		m = tc[k].mode;
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
				ok = s->why && !strcmp(s->why, tc[k].why);
				tap_ok(ok, "%s (in_len %u): the driver sees \"%s\"",
				       mode_names[m], in_lens[i],
				       tc[k].why);
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

/* The modes that go on serving: what they put on the wire. */
static void test_serving_modes(void)
{
	struct va_features f = { .index = 0, .count = htole32(2) };
	struct va_get_config_req cr = { .offset = 0, .size = htole32(8) };
	const char *why;
	struct sim *s;
	bool ok;

	s = sim_new(MODE_MANY_DEVICES);
	ok = !sim_connect(s, VA_SIZE_MAX, VA_F_KNOWN, &why) &&
	     sim_get_devices(s, 0, VA_WINDOW_MAX);
	tap_ok(ok && resp16(s, 2) == MANY_WINDOW && resp16(s, 4) == 64 &&
	       sim_count(s) == 63 && !sim_present(s, 0) &&
	       sim_present(s, 1) && sim_present(s, 63),
	       "many-devices: window 1 has devices 1 to 63, the next at 64");
	ok = sim_get_devices(s, 64, VA_WINDOW_MAX);
	tap_ok(ok && resp16(s, 0) == 64 && resp16(s, 2) == MANY_WINDOW &&
	       resp16(s, 4) == 0 && sim_count(s) == 37 &&
	       sim_present(s, 100) && !sim_present(s, 101),
	       "many-devices: window 2 has devices 64 to 100, the last");
	ok = sim_request(s, 0, VA_GET_DEVICE_INFO, 100, NULL, 0);
	tap_ok(ok && resp32(s, 0) == EXTRA_DEVICE_ID && resp32(s, 12) == 0 &&
	       resp32(s, 16) == 1,
	       "many-devices: device 100 is virtio id 0x3fff, no config, one queue");
	ok = sim_request(s, 0, VA_GET_DEVICE_INFO, 101, NULL, 0);
	tap_ok(ok && resp32(s, 0) == 0, "many-devices: there is no device 101");
	sim_free(s);

	s = sim_new(MODE_IN_ORDER);
	ok = !sim_connect(s, VA_SIZE_MAX, VA_F_KNOWN, &why) &&
	     sim_request(s, 0, VA_GET_DEVICE_FEATURES, DEV_NUM, &f, sizeof(f));
	tap_ok(ok && resp32(s, 12) == (1U << (VIRTIO_F_VERSION_1 - 32) | 1U << 3),
	       "in-order: offers VERSION_1 and IN_ORDER (bit 35)");
	sim_free(s);

	s = sim_new(MODE_CONFIG_DROP);
	ok = sim_setup(s);
	sim_read(s, 3, 1000, 4097);
	tap_ok(ok && !s->why && s->d.completed == 1 && s->d.events == 2,
	       "config-drop: the trigger read is answered, then EVENT_CONFIG twice");
	sim_request(s, 0, VA_GET_CONFIG, DEV_NUM, &cr, sizeof(cr));
	tap_ok(!s->why && s->d.answers == 1 && resp32(s, 4) == 1 &&
	       s->d.events == 1,
	       "config-drop: GET_CONFIG at 0 is answered for offset 1, and an EVENT_CONFIG follows");
	sim_free(s);

	/* the driver model knows no reset: it sees a chain not outstanding */
	s = sim_new(MODE_RESET_USED);
	ok = sim_setup(s);
	sim_read(s, 5, 1000, 4097);
	ok = ok && !s->why && s->d.completed == 1;
	sim_u32_request(s, VA_SET_DEVICE_STATUS, 0);
	tap_ok(ok && s->msgs == 1 && s->d.answers == 1 && resp32(s, 0) == 0 &&
	       s->why && !strcmp(s->why, "chain not outstanding"),
	       "reset-used: the reset's answer and a USED_CHAIN in one message");
	if (s->why && strcmp(s->why, "chain not outstanding"))
		printf("# got: %s\n", s->why);
	sim_free(s);

	s = sim_new(MODE_TYPE_BITS);
	ok = sim_setup(s);
	sim_read(s, 2, 1000, 2 * VA_FRAG_MAX + 1);
	tap_ok(ok && !s->why && s->d.completed == 1 && !s->d.last_status &&
	       s->d.records > 6 && s->d.odd_types == s->d.records,
	       "type-bits: every record has bits 2-7 set, and they mean nothing (%u records)",
	       s->d.records);
	sim_free(s);

	s = sim_new(MODE_HOLD_FOREVER);
	ok = sim_setup(s);
	sim_read(s, 2, 1000, 4097);
	tap_ok(ok && !s->why && s->d.completed == 1 && s->d.held == 1,
	       "hold-forever: with HOLD settled, the read is held");
	sim_free(s);
}

/* Random and mutated messages: the handlers must neither crash nor hang. */
static void test_fuzz(void)
{
	static const enum mode modes[] = {
		MODE_GOOD, MODE_TRUNCATED, MODE_WRONG_CHAIN, MODE_OVERSIZE,
		MODE_BAD_OFFSET, MODE_UNKNOWN_DEVICE, MODE_BAD_QUEUE,
		MODE_GARBAGE, MODE_UNSOLICITED, MODE_SILENT, MODE_SMALL,
		MODE_NOHOLD, MODE_HOLD_FOREVER, MODE_CONFIG_DROP,
		MODE_MANY_DEVICES, MODE_RESET_USED, MODE_TYPE_BITS, MODE_V1,
		MODE_REFUSE, MODE_CONNECT_BIG,
	};
	static const uint8_t ids[] = {
		VA_BUS_CONNECT, VA_BUS_GET_DEVICES, VA_BUS_PING,
		VA_GET_DEVICE_INFO, VA_GET_DEVICE_FEATURES,
		VA_SET_DRIVER_FEATURES, VA_GET_CONFIG, VA_SET_CONFIG,
		VA_GET_DEVICE_STATUS, VA_SET_DEVICE_STATUS, VA_GET_VQUEUE,
		VA_SET_VQUEUE, VA_RESET_VQUEUE, VA_GET_SHM, VA_EVENT_AVAIL,
		0x30,
	};
	/* payload sizes of the requests, and a few more */
	static const uint8_t sizes[] = { 0, 4, 8, 12, 13, 16, 20, 40, 47 };
	uint8_t *msg = malloc(VA_MSG_MAX);
	struct hostile *r = hostile_new(MODE_GOOD, 1, 7, ARGO_DOMID_ANY);
	unsigned int i, j, k, flips, rounds = 0, len;
	uint8_t hdr[OUTHDR_SIZE];
	struct sim *s;
	size_t n, off;
	enum mode m;

	if (!msg) {
		perror("va_hostile: malloc");
		exit(1);
	}
	for (k = 0; k < ARRAY_SIZE(modes); k++) {
		m = modes[k];
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
				for (j = rnd(r) % 4 + 1; j; j--) {
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
					len = sizes[rnd(r) % ARRAY_SIZE(sizes)];
					put_hdr(msg + n, rnd(r) % 2 ?
						VA_TYPE_BUS : 0,
						ids[rnd(r) % ARRAY_SIZE(ids)],
						rnd(r) % 3, rnd(r),
						VA_HDR_SIZE + len);
					for (off = 0; off < len; off++)
						msg[n + VA_HDR_SIZE + off] =
							rnd(r) % 3 ? 0 : rnd(r);
					n += VA_HDR_SIZE + len;
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
		tap_ok(m != MODE_GOOD || (sim_setup(s) && sim_ping(s)),
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
	test_connect();
	test_control();
	test_data();
	test_small();
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
