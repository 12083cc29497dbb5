// SPDX-License-Identifier: GPL-2.0
/*
 * Guests: the table of domains talking to us, the entry point for every
 * message they send, the bus messages (GET_DEVICES, PING), and flushing
 * their output.
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

static void get_devices(struct guest *g, const struct va_rec *r)
{
	uint8_t resp[sizeof(struct va_get_devices_resp) +
		     VA_MAX_DEVICES * sizeof(struct va_device_entry)];
	struct backend *be = g->be;
	uint16_t list[VA_MAX_DEVICES];
	unsigned int n = 0, i, offset, max, count;
	uint8_t *e;

	if (r->len != sizeof(struct va_get_devices_req)) {
		reply_error(g, r, EINVAL);
		return;
	}
	offset = get_le16(r->payload + offsetof(struct va_get_devices_req,
						offset));
	max = get_le16(r->payload + offsetof(struct va_get_devices_req, max));
	for (i = 1; i <= be->ndev; i++)
		if (g->inst[i] && !be->devs[i]->unplugged)
			list[n++] = i;
	if (offset > n) {
		reply_error(g, r, EINVAL);
		return;
	}
	/* max 0 would make a guest that loops on @next ask forever */
	if (!max || max > VA_MAX_DEVICES)
		max = VA_MAX_DEVICES;
	count = MIN(max, n - offset);
	put_le16(resp + offsetof(struct va_get_devices_resp, count), count);
	put_le16(resp + offsetof(struct va_get_devices_resp, next),
		 offset + count < n ? offset + count : 0);
	e = resp + sizeof(struct va_get_devices_resp);
	for (i = 0; i < count; i++) {
		const struct device *d = be->devs[list[offset + i]];

		put_le16(e + offsetof(struct va_device_entry, dev_num),
			 d->dev_num);
		put_le32(e + offsetof(struct va_device_entry, device_id),
			 d->ops->device_id);
		put_le32(e + offsetof(struct va_device_entry, vendor_id),
			 VB_VENDOR_ID);
		e += sizeof(struct va_device_entry);
	}
	vb_debug("guest %u: GET_DEVICES offset %u: %u of %u", g->domid,
		 offset, count, n);
	reply(g, r, resp, e - resp);
}

static void bus_dispatch(struct guest *g, const struct va_rec *r)
{
	if (r->msg_id >= VA_BUS_EVENT_DEVICE) {
		/* events and ids we do not know get no response */
		vb_debug("guest %u: bus message %#x ignored", g->domid,
			 r->msg_id);
		return;
	}
	if (r->dev_num) {
		reply_error(g, r, EINVAL);
		return;
	}
	switch (r->msg_id) {
	case VA_BUS_GET_DEVICES:
		get_devices(g, r);
		return;
	case VA_BUS_PING:
		if (r->len != sizeof(struct va_ping)) {
			reply_error(g, r, EINVAL);
			return;
		}
		vb_debug("guest %u: PING", g->domid);
		reply(g, r, r->payload, r->len);
		return;
	}
	reply_error(g, r, EOPNOTSUPP);
}

static void dispatch(struct guest *g, const struct va_rec *r)
{
	const uint8_t known = VA_TYPE_RESPONSE | VA_TYPE_BUS | VA_TYPE_ERROR;
	struct devinst *di = NULL;

	if (r->type & ~known) {
		guest_err(g, "record with unknown type bits %#x ignored",
			  r->type);
		return;
	}
	if (r->type & (VA_TYPE_RESPONSE | VA_TYPE_ERROR)) {
		/* we send no requests, so nothing can answer one */
		guest_err(g, "unexpected response (id %#x) ignored", r->msg_id);
		return;
	}
	if (r->type & VA_TYPE_BUS) {
		bus_dispatch(g, r);
		return;
	}
	if (r->dev_num >= 1 && r->dev_num <= VA_MAX_DEVICES)
		di = g->inst[r->dev_num];
	if (di && di->dev->unplugged)
		di = NULL;
	if (!di) {
		if (r->msg_id < VA_EVENT_CONFIG)
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
	int rc;

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
	while ((rc = rec_next(msg, len, &off, &r, &why)) > 0)
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
