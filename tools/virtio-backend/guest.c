// SPDX-License-Identifier: GPL-2.0
/*
 * Guests: the table of domains talking to us, the entry point for every
 * message they send, the bus messages (CONNECT, GET_DEVICES, PING), and
 * flushing their output.  docs/virtio-argo-protocol.md is the protocol;
 * every record is framed and checked by its shared rules
 * (virtio-argo/check.c) before anything here looks at it.
 *
 * A guest is known by its domid, which the hypervisor writes into every
 * message, so no guest can act on another's state.  Its state lives from
 * its first virtio-argo message until a send to it fails for good (its
 * ring or its domain is gone), or until it shows up from a new port (its
 * transport was reloaded: everything we held for the old one is stale).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"

struct guest *guest_find(struct backend *be, uint16_t domid)
{
	struct list_node *n, *t;

	list_for_each_safe(n, t, &be->guests) {
		struct guest *g = list_entry(n, struct guest, link);

		if (g->domid == domid)
			return g;
	}
	return NULL;
}

void guest_err(struct guest *g, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!ratelimit_ok(&g->rl))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vb_log("guest %u: %s", g->domid, msg);
}

static void guest_free(struct guest *g)
{
	unsigned int i;

	for (i = 1; i < ARRAY_SIZE(g->inst); i++)
		if (g->inst[i])
			devinst_destroy(g->inst[i]);
	win_guest_free(g);
	outq_clear(&g->out);
	if (g->be->tops && g->be->tops->forget)
		g->be->tops->forget(g->be, g);
	list_del_init(&g->link);
	free(g);
}

static struct guest *guest_new(struct backend *be, void *tctx, uint16_t domid,
			       uint32_t port)
{
	struct guest *g = calloc(1, sizeof(*g));
	unsigned int i;

	if (!g)
		return NULL;
	g->be = be;
	g->domid = domid;
	g->port = port;
	g->tctx = tctx;
	/* until CONNECT: only CONNECT's answer goes out */
	g->bus.max_size = VA_SIZE_MAX;
	outq_init(&g->out);
	list_init(&g->deferred);
	list_add_tail(&g->link, &be->guests);
	for (i = 1; i <= be->ndev; i++) {
		struct device *d = be->devs[i];

		if (!device_offered(d, domid))
			continue;
		g->inst[i] = devinst_create(d, g);
		if (!g->inst[i]) {
			guest_free(g);
			return NULL;
		}
	}
	vb_log("guest %u connected", domid);
	vb_debug("guest %u: its ring is port %#x", domid, port);
	return g;
}

void guest_drop(struct guest *g, const char *why)
{
	vb_log("guest %u disconnected (%s)", g->domid, why);
	guest_free(g);
}

/*
 * Drop @g at the next flush.  Used where freeing it now would pull its
 * state out from under the caller (while its records are being parsed).
 */
void guest_doom(struct guest *g, const char *why)
{
	if (!g->doom)
		g->doom = why;
}

/* GET_DEVICES: one window of the device numbers, as a bitmap (spec 4.3). */
static void get_devices(struct guest *g, const struct va_rec *r)
{
	uint8_t resp[sizeof(struct va_get_devices_resp) + VA_WINDOW_MAX / 8];
	uint8_t *bitmap = resp + sizeof(struct va_get_devices_resp);
	struct backend *be = g->be;
	unsigned int offset, count, i, next = 0;

	offset = get_le16(r->payload + offsetof(struct va_get_devices_req,
						offset));
	count = get_le16(r->payload + offsetof(struct va_get_devices_req,
					       count));
	if (count > VA_WINDOW_MAX)
		count = VA_WINDOW_MAX;
	/* no window reaches past the last device number (65535) */
	if (count > 65536 - offset)
		count = 65536 - offset;
	memset(resp, 0, sizeof(resp));
	for (i = 1; i <= be->ndev; i++) {
		if (!g->inst[i] || be->devs[i]->unplugged || i < offset)
			continue;
		if (i - offset >= count) {
			/* a multiple of 8; none after an empty window */
			next = count ? offset + count : 0;
			break;
		}
		bitmap[(i - offset) / 8] |= 1U << ((i - offset) % 8);
	}
	put_le16(resp + offsetof(struct va_get_devices_resp, offset), offset);
	put_le16(resp + offsetof(struct va_get_devices_resp, count), count);
	put_le16(resp + offsetof(struct va_get_devices_resp, next_offset),
		 next);
	vb_debug("guest %u: GET_DEVICES %u+%u", g->domid, offset, count);
	reply(g, r, resp, sizeof(struct va_get_devices_resp) + count / 8);
}

/*
 * CONNECT (spec 4.1): settle revision, record size and features.  A
 * second CONNECT means the driver started over (it reloaded or gave up on
 * us): whatever its devices had outstanding is dropped, as after a reset.
 */
/* What we agree to at CONNECT: windows only if a device reads memory. */
static uint64_t bus_features(const struct backend *be)
{
	unsigned int i;

	for (i = 1; i <= be->ndev; i++)
		if (be->devs[i] && be->devs[i]->ops->windows)
			return VA_F_KNOWN;
	return VB_BUS_FEATURES;
}

static void bus_connect(struct guest *g, const struct va_rec *r)
{
	struct va_connect req, resp;

	memcpy(&req, r->payload, sizeof(req));
	if (g->connected) {
		unsigned int i;

		for (i = 1; i < ARRAY_SIZE(g->inst); i++)
			if (g->inst[i])
				devinst_reset(g->inst[i]);
	}
	g->connected = false;
	if (va_connect_choose(&req, VA_SIZE_MAX, bus_features(g->be), &resp)) {
		guest_err(g, "CONNECT refused: it offers revision %u and records up to %u bytes; we need revision %u and at least %u",
			  le32toh(req.revision), le32toh(req.max_size),
			  VA_REVISION, VA_SIZE_MIN);
		reply(g, r, &resp, sizeof(resp));
		return;
	}
	reply(g, r, &resp, sizeof(resp));
	/* the answer itself may be as large as before; what follows may not */
	g->bus.max_size = le32toh(resp.max_size);
	g->bus.features = le64toh(resp.features);
	g->connected = true;
	vb_debug("guest %u: CONNECT: records up to %u bytes, features %#llx",
		 g->domid, g->bus.max_size,
		 (unsigned long long)g->bus.features);
}

static void bus_dispatch(struct guest *g, const struct va_rec *r)
{
	if (r->type & VA_TYPE_RESPONSE)
		return;		/* we send no PING: nothing to match */
	switch (r->msg_id) {
	case VA_BUS_CONNECT:
		bus_connect(g, r);
		return;
	case VA_BUS_GET_DEVICES:
		get_devices(g, r);
		return;
	case VA_BUS_PING:
		vb_debug("guest %u: PING", g->domid);
		reply(g, r, r->payload, r->len);
		return;
	}
}

/* GET_DEVICE_INFO of a number that is no device: all zero (spec 5). */
static void no_device(struct guest *g, const struct va_rec *r)
{
	uint8_t p[sizeof(struct va_device_info)];

	memset(p, 0, sizeof(p));
	reply(g, r, p, sizeof(p));
}

static void dispatch(struct guest *g, const struct va_rec *r)
{
	struct devinst *di = NULL;
	const char *why = NULL;
	int rc;

	if (r->dev_num >= 1 && r->dev_num <= VA_MAX_DEVICES &&
	    !(r->type & VA_TYPE_BUS))
		di = g->inst[r->dev_num];
	if (di && di->dev->unplugged)
		di = NULL;
	rc = va_check_from_driver(&r->hdr, r->payload, r->len, &why);
	/* a driver not connected is served nothing, not even a reset */
	if (!g->connected && !(r->type == VA_TYPE_BUS &&
			       r->msg_id == VA_BUS_CONNECT)) {
		guest_err(g, "record %#x before CONNECT dropped", r->msg_id);
		return;
	}
	if (rc < 0 && di && r->msg_id == VA_AVAIL_CHAIN) {
		devinst_fail(di, "%s", why);
		return;
	}
	if (rc < 0) {
		/* the draft: a malformed message is dropped, not answered */
		guest_err(g, "malformed record %#x (type %#x) dropped: %s",
			  r->msg_id, r->type, why);
		return;
	}
	if (rc == VA_IGNORE) {
		vb_debug("guest %u: record %#x (type %#x) ignored", g->domid,
			 r->msg_id, r->type);
		return;
	}
	if (r->type & VA_TYPE_BUS) {
		bus_dispatch(g, r);
		return;
	}
	if (r->type & VA_TYPE_RESPONSE) {
		/* the parser passes only MEM answers (spec 13) */
		win_answer(g, r);
		return;
	}
	if (!di) {
		if (r->msg_id == VA_GET_DEVICE_INFO)
			no_device(g, r);
		else if (!va_id_is_event(r->msg_id))
			reply_error(g, r, ENODEV);
		else
			guest_err(g, "record %#x for unknown device %u ignored",
				  r->msg_id, r->dev_num);
		return;
	}
	if (r->msg_id == VA_AVAIL_CHAIN)
		chain_record(di, r);
	else
		control_dispatch(di, r);
}

/*
 * A protocol 1 driver (Argo type VA_MSG_TYPE_V1): it cannot negotiate, so
 * each of its requests gets protocol 1's error response (type bit 2,
 * errno EPROTONOSUPPORT), which such a driver reports and gives up on,
 * and the administrator gets one line per domain.
 */
#define V1_TYPE_ERROR	0x04

static void refuse_v1(struct backend *be, void *tctx, uint16_t domid,
		      uint32_t port, const uint8_t *msg, size_t len)
{
	uint8_t out[16 * (VA_HDR_SIZE + 4)];
	size_t off = 0, n = 0;
	const char *why;
	struct va_rec r;

	if (!(be->v1_told[domid / 8] & (1U << (domid % 8)))) {
		be->v1_told[domid / 8] |= 1U << (domid % 8);
		vb_log("guest %u speaks virtio-argo protocol 1; this backend speaks protocol 2 only: update virtio-argo.ko in that guest",
		       domid);
	}
	while (rec_next(msg, len, &off, VA_SIZE_MAX, &r, &why) > 0 &&
	       n + VA_HDR_SIZE + 4 <= sizeof(out)) {
		uint8_t *p = out + n;

		/* protocol 1's requests were ids 0x00-0x3F; the rest events */
		if ((r.type & VA_TYPE_RESPONSE) || r.msg_id >= VA_ID_EVENT)
			continue;
		p[0] = VA_TYPE_RESPONSE | V1_TYPE_ERROR | (r.type & VA_TYPE_BUS);
		p[1] = r.msg_id;
		put_le16(p + 2, r.dev_num);
		put_le16(p + 4, r.token);
		put_le16(p + 6, VA_HDR_SIZE + 4);
		put_le32(p + VA_HDR_SIZE, EPROTONOSUPPORT);
		n += VA_HDR_SIZE + 4;
	}
	if (n && be->tops && be->tops->send_once)
		be->tops->send_once(be, tctx, domid, port, VA_MSG_TYPE_V1, out,
				    n);
}

/*
 * One Argo message from (@domid, @port), received on transport handle
 * @tctx.  Its records are acted on in order; replies are queued and go
 * out at the next backend_flush().
 */
void guest_receive(struct backend *be, void *tctx, uint16_t domid,
		   uint32_t port, uint32_t type, const uint8_t *msg,
		   size_t len)
{
	struct guest *g = guest_find(be, domid);
	struct va_rec r;
	const char *why;
	size_t off = 0;
	int rc = 0;

	if (type == VA_MSG_TYPE_V1) {
		refuse_v1(be, tctx, domid, port, msg, len);
		return;
	}
	if (type != VA_MSG_TYPE) {
		if (ratelimit_ok(g ? &g->rl : &be->rl))
			vb_log("guest %u: message of type %#x dropped (not virtio-argo)",
			       domid, type);
		return;
	}
	if (g && g->port != port) {
		guest_drop(g, "it now talks from another port");
		g = NULL;
	}
	if (!g) {
		g = guest_new(be, tctx, domid, port);
		if (!g) {
			if (ratelimit_ok(&be->rl))
				vb_log("guest %u: out of memory: message dropped",
				       domid);
			return;
		}
	}
	g->tctx = tctx;
	if (g->doom)
		return;
	if (!len) {
		guest_err(g, "empty message dropped");
		return;
	}
	while (!g->doom &&
	       (rc = rec_next(msg, len, &off, g->bus.max_size, &r,
			      &why)) > 0)
		dispatch(g, &r);
	if (rc < 0)
		guest_err(g, "malformed message (%s at byte %zu): rest dropped",
			  why, off);
}

/* Send what @g has queued, then run the chains that waited for room. */
static void guest_flush(struct guest *g)
{
	for (;;) {
		int r;

		if (g->doom) {
			guest_drop(g, g->doom);
			return;
		}
		if (g->blocked)
			return;
		r = outq_flush(g->be, g);
		if (r == -EAGAIN)
			return;
		if (r) {
			char why[128];

			snprintf(why, sizeof(why), "send: %s", strerror(-r));
			guest_drop(g, why);
			return;
		}
		if (list_empty(&g->deferred))
			return;
		chain_run_deferred(g);
	}
}

void backend_flush(struct backend *be)
{
	struct list_node *n, *t;

	list_for_each_safe(n, t, &be->guests)
		guest_flush(list_entry(n, struct guest, link));
}

void backend_init(struct backend *be, const struct transport_ops *tops,
		  void *tpriv)
{
	memset(be, 0, sizeof(*be));
	be->tops = tops;
	be->tpriv = tpriv;
	list_init(&be->guests);
}

/* Give @d the next dev_num.  Returns it, or -1 when there are too many. */
int backend_add_device(struct backend *be, struct device *d)
{
	if (be->ndev >= VA_MAX_DEVICES)
		return -1;
	d->be = be;
	d->dev_num = ++be->ndev;
	be->devs[d->dev_num] = d;
	return d->dev_num;
}

/* Exit: free every guest (no lines: we are leaving, not they) and device. */
/*
 * Hot-unplug the highest-numbered device still present (@plug false), or
 * plug back the lowest-numbered one unplugged (@plug true), and tell every
 * connected guest with EVENT_DEVICE.  An unplugged device's instances are
 * reset: their outstanding chains are dropped, as a removed device's are.
 */
void backend_hotplug(struct backend *be, bool plug)
{
	struct device *d = NULL;
	struct list_node *n, *t;
	unsigned int i;

	for (i = 1; i <= be->ndev; i++) {
		if (be->devs[i]->unplugged != plug)
			continue;
		d = be->devs[i];
		if (plug)
			break;
	}
	if (!d) {
		vb_log("no device to %s", plug ? "plug back" : "unplug");
		return;
	}
	d->unplugged = !plug;
	vb_log("device %u: %s", d->dev_num, plug ? "plugged back" : "unplugged");
	list_for_each_safe(n, t, &be->guests) {
		struct guest *g = list_entry(n, struct guest, link);

		if (!g->inst[d->dev_num])
			continue;
		if (!plug)
			devinst_reset(g->inst[d->dev_num]);
		send_event_device(g, d->dev_num,
				  plug ? VA_DEVICE_READY : VA_DEVICE_REMOVED);
	}
}

void backend_fini(struct backend *be)
{
	unsigned int i;

	while (!list_empty(&be->guests))
		guest_free(list_first_entry(&be->guests, struct guest, link));
	for (i = 1; i <= be->ndev; i++) {
		struct device *d = be->devs[i];

		if (d->ops->destroy)
			d->ops->destroy(d);
		free(d);
		be->devs[i] = NULL;
	}
	be->ndev = 0;
}
