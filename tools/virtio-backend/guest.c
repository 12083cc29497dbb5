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
#include "xs.h"

/* "5 (web1)", or "5" for a guest whose name we do not know. */
static const char *guest_label(const struct guest *g, char *buf, size_t len)
{
	if (g->name[0])
		snprintf(buf, len, "%u (%s)", g->domid, g->name);
	else
		snprintf(buf, len, "%u", g->domid);
	return buf;
}

static const char *name_error(int err)
{
	switch (err) {
	case -ENODEV:
		return "no xenstore in this domain";
	case -EACCES:
		return "xenstore does not let this domain read it";
	case -ENOENT:
		return "xenstore has no such domain or no name for it";
	case -ENAMETOOLONG:
		return "its name is too long";
	}
	return strerror(-err);
}

/* Learn @g's domain name, once, when it connects. */
static void guest_name(struct guest *g)
{
	struct backend *be = g->be;
	int r = -ENODEV;

	if (be->domain_name)
		r = be->domain_name(g->domid, g->name, sizeof(g->name));
	if (!r && g->name[0])
		return;
	g->name[0] = '\0';
	if (!r)
		r = -ENOENT;
	if (backend_names_wanted(be))
		vb_log("guest %u: domain name unavailable (%s): it gets only the devices for any guest or for guest=%u",
		       g->domid, name_error(r), g->domid);
	else
		vb_debug("guest %u: domain name unavailable (%s)", g->domid,
			 name_error(r));
}

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
	guest_name(g);
	for (i = 1; i <= be->ndev; i++) {
		struct device *d = be->devs[i];

		if (!d || !device_offered(d, g))
			continue;
		g->inst[i] = devinst_create(d, g);
		if (!g->inst[i]) {
			guest_free(g);
			return NULL;
		}
	}
	if (g->name[0])
		vb_log("guest %u (%s) connected", domid, g->name);
	else
		vb_log("guest %u connected", domid);
	vb_debug("guest %u: its ring is port %#x", domid, port);
	return g;
}

void guest_drop(struct guest *g, const char *why)
{
	char who[96];

	vb_log("guest %s disconnected (%s)", guest_label(g, who, sizeof(who)),
	       why);
	guest_free(g);
}

/*
 * A device served to one guest at a time (struct device.exclusive): may
 * @g use it now?  The first guest whose driver sends a request naming it
 * takes it; any other is refused, once in the log, and told READY when
 * the holder lets go (device_release()).
 */
static bool guest_may_use(struct guest *g, struct device *d, bool claim)
{
	uint64_t bit = 1ULL << (d->dev_num - 1);
	char who[96];

	if (!d->exclusive || d->holder == g || (!d->holder && !claim))
		return true;
	if (!d->holder) {
		d->holder = g;
		vb_log("device %u (%s): attached to guest %s (a writable disk goes to one guest at a time)",
		       d->dev_num, d->name, guest_label(g, who, sizeof(who)));
		return true;
	}
	if (!(g->refused & bit)) {
		char holder[96], what[256] = "";

		g->refused |= bit;
		if (d->ops->describe)
			d->ops->describe(d, what, sizeof(what));
		vb_log("device %u (%s): refused to guest %s: guest %s holds it (%s %s, not shared)",
		       d->dev_num, d->name, guest_label(g, who, sizeof(who)),
		       guest_label(d->holder, holder, sizeof(holder)),
		       d->ops->kind, what);
	}
	return false;
}

/* @d's holder let go: the guests refused it may ask again. */
void device_release(struct device *d)
{
	struct backend *be = d->be;
	uint64_t bit = 1ULL << (d->dev_num - 1);
	struct list_node *n, *t;
	char who[96];

	vb_log("device %u (%s): released by guest %s", d->dev_num, d->name,
	       guest_label(d->holder, who, sizeof(who)));
	d->holder = NULL;
	if (!be)
		return;
	list_for_each_safe(n, t, &be->guests) {
		struct guest *g = list_entry(n, struct guest, link);

		if (!(g->refused & bit))
			continue;
		g->refused &= ~bit;
		if (!be->stopping && !d->unplugged && g->connected &&
		    g->inst[d->dev_num])
			send_event_device(g, d->dev_num, VA_DEVICE_READY);
	}
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
		if (!g->inst[i] || be->devs[i]->unplugged || i < offset ||
		    !guest_may_use(g, be->devs[i], false))
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
	if (di && !guest_may_use(g, di->dev, !va_id_is_event(r->msg_id))) {
		/* held by another guest: absent for GET_DEVICE_INFO, busy else */
		if (r->msg_id == VA_GET_DEVICE_INFO)
			no_device(g, r);
		else if (r->msg_id != VA_AVAIL_CHAIN &&
			 !va_id_is_event(r->msg_id))
			reply_error(g, r, EBUSY);
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
	be->domain_name = xs_domain_name;
	list_init(&be->guests);
}

/*
 * Give @d a dev_num: the next never used, or once all were, the lowest
 * free one (so a guest that just saw a number REMOVED does not see it
 * come back at once for another device).  Command-line devices are named
 * after their kind and number.  Returns the number, -ENOSPC when there
 * are too many devices, -EEXIST when the name is taken.
 */
int backend_add_device(struct backend *be, struct device *d)
{
	unsigned int n = 0;

	if (be->ndev < VA_MAX_DEVICES) {
		n = be->ndev + 1;
	} else {
		unsigned int i;

		for (i = 1; i <= VA_MAX_DEVICES && !n; i++)
			if (!be->devs[i])
				n = i;
	}
	if (!n)
		return -ENOSPC;
	if (!d->name[0])
		snprintf(d->name, sizeof(d->name), "%s%u", d->ops->kind, n);
	if (backend_find_device(be, d->name))
		return -EEXIST;
	d->be = be;
	d->dev_num = n;
	be->devs[n] = d;
	if (n > be->ndev)
		be->ndev = n;
	return n;
}

struct device *backend_find_device(struct backend *be, const char *name)
{
	unsigned int i;

	for (i = 1; i <= be->ndev; i++)
		if (be->devs[i] && !strcmp(be->devs[i]->name, name))
			return be->devs[i];
	return NULL;
}

/* Does a device name its guests by domain name (so guests need theirs)? */
bool backend_names_wanted(const struct backend *be)
{
	unsigned int i;

	for (i = 1; i <= be->ndev; i++)
		if (be->devs[i] && be->devs[i]->nnames)
			return true;
	return false;
}

/* Give @d's instances to the guests it is offered to, READY to the live. */
static void device_announce(struct backend *be, struct device *d)
{
	struct list_node *n, *t;
	char desc[512];

	device_describe(d, desc, sizeof(desc));
	vb_log("%s: added", desc);
	list_for_each_safe(n, t, &be->guests) {
		struct guest *g = list_entry(n, struct guest, link);

		if (!device_offered(d, g))
			continue;
		g->inst[d->dev_num] = devinst_create(d, g);
		if (!g->inst[d->dev_num]) {
			guest_err(g, "device %u: out of memory: not offered",
				  d->dev_num);
			continue;
		}
		if (g->connected)
			send_event_device(g, d->dev_num, VA_DEVICE_READY);
	}
}

/*
 * Hot-plug @d (parsed, not started): start it (and the keyboard and
 * pointer of a gpu with vnc=, its companion), number it and tell the
 * guests it is offered to.  Takes @d: on failure it is freed and @err
 * says why.
 */
int backend_plug_device(struct backend *be, struct device *d, char *err,
			size_t errlen)
{
	struct device *in = gpu_input_wanted(d);
	unsigned int i, free_slots = VA_MAX_DEVICES - be->ndev;
	int r = -1;

	for (i = 1; i <= be->ndev; i++)
		free_slots += !be->devs[i];
	if (in) {
		d->companion = in;
		in->origin = d->origin;
		snprintf(in->name, sizeof(in->name), "%.*s-input",
			 (int)sizeof(in->name) - 7, d->name);
	}
	if (backend_find_device(be, d->name) ||
	    (in && backend_find_device(be, in->name))) {
		snprintf(err, errlen, "a device named '%s' exists",
			 d->name);
		goto out;
	}
	if (free_slots < (in ? 2U : 1U)) {
		snprintf(err, errlen, "too many devices (at most %u)",
			 VA_MAX_DEVICES);
		goto out;
	}
	if (device_start(d, err, errlen) ||
	    (in && device_start(in, err, errlen)))
		goto out;
	backend_add_device(be, d);
	device_announce(be, d);
	if (in) {
		backend_add_device(be, in);
		device_announce(be, in);
	}
	return 0;
out:
	d->companion = NULL;
	device_free(d);
	device_free(in);
	return r;
}

static void device_unplug_one(struct backend *be, struct device *d)
{
	struct guest *holder = d->holder;
	bool gone = d->unplugged;	/* SIGUSR1 told them already */
	struct list_node *n, *t;
	char desc[512];

	device_describe(d, desc, sizeof(desc));
	/* no READY to the guests it was refused to: it is going */
	d->unplugged = true;
	list_for_each_safe(n, t, &be->guests) {
		struct guest *g = list_entry(n, struct guest, link);
		struct devinst *di = g->inst[d->dev_num];

		g->refused &= ~(1ULL << (d->dev_num - 1));
		if (!di)
			continue;
		/* those it is held from never had it: nothing to remove */
		if (g->connected && !gone && (!holder || holder == g))
			send_event_device(g, d->dev_num, VA_DEVICE_REMOVED);
		devinst_destroy(di);
	}
	be->devs[d->dev_num] = NULL;
	vb_log("%s: removed", desc);
	device_free(d);
}

/*
 * Hot-unplug @d for good: its guests get EVENT_DEVICE REMOVED, their
 * instances and outstanding requests are dropped, the host resource is
 * closed.  A gpu's companion goes with it.
 */
void backend_remove_device(struct backend *be, struct device *d)
{
	struct device *in = d->companion;

	d->companion = NULL;
	device_unplug_one(be, d);
	if (in)
		device_unplug_one(be, in);
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
		if (!be->devs[i] || be->devs[i]->unplugged != plug)
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
	if (!plug && d->holder)
		device_release(d);
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

	be->stopping = true;
	while (!list_empty(&be->guests))
		guest_free(list_first_entry(&be->guests, struct guest, link));
	for (i = 1; i <= be->ndev; i++) {
		device_free(be->devs[i]);
		be->devs[i] = NULL;
	}
	be->ndev = 0;
}
