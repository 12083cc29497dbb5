// SPDX-License-Identifier: GPL-2.0
/*
 * The Argo transport: /dev/argo endpoints bound to the backend's port,
 * receiving guests' messages and sending ours, through libargo.
 *
 * One endpoint with an any-sender ring serves every guest (Xen in
 * mac-permissive mode), or one endpoint per --partner domain, each with a
 * ring only that domain may fill (strict Xen).  Endpoints are
 * non-blocking: the loop must never wait on one guest.
 *
 * A full guest ring.  A send that finds the guest's ring full arms an
 * ARGO_NOTICE_SPACE notice for it on the endpoint (argo-char asks the
 * hypervisor to signal when room for that message appears), and the guest
 * waits, blocked.  When the notice fires, poll() reports POLLPRI and
 * ARGO_IOC_NOTICE names the guest, which may try again.  Should a notice
 * not be armed (out of memory), a 10 ms timer retries instead.
 *
 * A partner that does not exist yet.  Xen refuses a ring for a partner
 * domain that does not exist (ESRCH), and a backend usually starts before
 * its guests: such an endpoint stays unbound and its bind is retried
 * every second until the domain appears.
 *
 * A guest that is gone.  Argo tells nobody when a domain dies or closes
 * its ring, and a guest we have nothing to send to would never find out
 * by a failed send: its devices (a TAP interface, an open image) would
 * live on.  So the first send to a guest arms an ARGO_NOTICE_GONE notice
 * for its ring: argo-core looks at every watched ring of the domain in
 * one hypercall, twice a second, and the notice fires when the guest's
 * ring is missing (its domain destroyed, or its transport unloaded) or the
 * hypervisor no longer lets us reach it; the guest is then dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "libargo.h"
#include "backend.h"
#include "argo_io.h"

/* Retry interval of blocked guests when no SPACE notice could be armed. */
#define RETRY_MS		10
/* Retry interval of a bind to a partner domain that does not exist yet. */
#define BIND_RETRY_MS		1000
/* Messages read per endpoint per loop round, so endpoints take turns. */
#define RX_BURST		64

#define HINT_STRICT \
	" (any-sender rings need Xen's mac-permissive=1; use --partner DOMID)"

struct endpoint {
	struct argo_io *io;
	int fd;
	uint16_t partner;
	uint32_t ring_size;
	bool bound;
	uint64_t bind_at;	/* next bind attempt while unbound */
	uint64_t retry_at;	/* blocked guests retry then (no notice armed) */
	struct watch w;
};

struct argo_io {
	struct backend *be;
	struct endpoint *eps;
	unsigned int neps;
	uint8_t *rxbuf;
	struct ratelimit rl;
};

static void ep_update(struct endpoint *ep)
{
	/* an unbound endpoint polls "ready" at once: leave it out */
	ep->w.events = !ep->bound ? 0 : POLLIN | POLLPRI;
}

/* Every guest blocked on @ep may try again (the retry timer). */
static void ep_unblock(struct endpoint *ep)
{
	struct list_node *n, *t;

	list_for_each_safe(n, t, &ep->io->be->guests) {
		struct guest *g = list_entry(n, struct guest, link);

		if (g->tctx == ep)
			g->blocked = false;
	}
	ep->retry_at = 0;
}

static struct guest *ep_guest(struct endpoint *ep, uint16_t domid,
			      uint32_t port)
{
	struct list_node *n, *t;

	list_for_each_safe(n, t, &ep->io->be->guests) {
		struct guest *g = list_entry(n, struct guest, link);

		if (g->tctx == ep && g->domid == domid && g->port == port)
			return g;
	}
	return NULL;
}

/* The notices that fired: room at a guest's ring, or a guest gone. */
static void ep_notices(struct endpoint *ep)
{
	uint32_t kind, port;
	uint16_t domid;
	int32_t status;
	char why[64];
	int r;

	while ((r = argo_notice(ep->fd, &kind, &domid, &port, NULL,
				&status)) == 1) {
		struct guest *g = ep_guest(ep, domid, port);

		if (!g)
			continue;	/* dropped meanwhile */
		if (kind == ARGO_NOTICE_SPACE) {
			/* room, or a reason the next send reports */
			vb_debug("guest %u: ring has room again", domid);
			g->blocked = false;
		} else if (kind == ARGO_NOTICE_GONE) {
			g->watched = false;
			if (status == -ECONNRESET) {
				guest_drop(g, "its ring is gone: domain destroyed or transport unloaded");
			} else {
				snprintf(why, sizeof(why), "query: %s",
					 strerror(-status));
				guest_drop(g, why);
			}
		}
	}
	if (r < 0 && ratelimit_ok(&ep->io->rl))
		vb_log("notice: %s", strerror(errno));
}

static void ep_receive(struct endpoint *ep)
{
	struct argo_io *io = ep->io;
	int i;

	for (i = 0; i < RX_BURST; i++) {
		uint32_t type, port;
		uint16_t domid;
		size_t full;
		ssize_t n;

		n = argo_recvfrom(ep->fd, io->rxbuf, VA_MSG_MAX, &type, &domid,
				  &port, &full);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    ratelimit_ok(&io->rl))
				vb_log("receive: %s", strerror(errno));
			return;
		}
		if (full > (size_t)n) {
			/* a record never spans messages: it cannot be parsed */
			if (ratelimit_ok(&io->rl))
				vb_log("guest %u: message of %zu bytes (limit %u) dropped",
				       domid, full, VA_MSG_MAX);
			continue;
		}
		guest_receive(io->be, ep, domid, port, type, io->rxbuf, n);
	}
}

static void ep_event(struct watch *w, short revents)
{
	struct endpoint *ep = w->priv;

	if (revents & POLLPRI)
		ep_notices(ep);
	if (revents & (POLLIN | POLLERR | POLLHUP))
		ep_receive(ep);
}

static int aio_send(struct backend *be, struct guest *g, const void *buf,
		    size_t len)
{
	struct endpoint *ep = g->tctx;
	int err;

	(void)be;
	/* the first time: be told when the guest's ring goes */
	if (!g->watched &&
	    !argo_watch(ep->fd, ARGO_NOTICE_GONE, g->domid, g->port, 0))
		g->watched = true;
	for (;;) {
		if (argo_sendto(ep->fd, buf, len, VA_MSG_TYPE, g->domid,
				g->port) >= 0)
			return 0;
		err = errno;
		if (err != EINTR)
			break;
	}
	if (err != EAGAIN && err != EBUSY)
		return -err;
	/* full: be told when this message fits */
	if (!argo_watch(ep->fd, ARGO_NOTICE_SPACE, g->domid, g->port, len)) {
		vb_debug("guest %u: ring full, waiting for room", g->domid);
		return -EAGAIN;
	}
	if (!ep->retry_at)
		ep->retry_at = vb_now_ms() + RETRY_MS;
	vb_debug("guest %u: ring full, retrying in %d ms (notice: %s)",
		 g->domid, RETRY_MS, strerror(errno));
	return -EAGAIN;
}

static void aio_forget(struct backend *be, struct guest *g)
{
	struct endpoint *ep = g->tctx;

	(void)be;
	if (!ep)
		return;
	/* ENOENT when they fired or were never armed: nothing to undo */
	argo_unwatch(ep->fd, ARGO_NOTICE_SPACE, g->domid, g->port);
	if (g->watched)
		argo_unwatch(ep->fd, ARGO_NOTICE_GONE, g->domid, g->port);
}

/* One message to a peer that is no guest of ours; lost if it does not fit. */
static void aio_send_once(struct backend *be, void *tctx, uint16_t domid,
			  uint32_t port, uint32_t type, const void *buf,
			  size_t len)
{
	struct endpoint *ep = tctx;

	(void)be;
	if (argo_sendto(ep->fd, buf, len, type, domid, port) < 0)
		vb_debug("guest %u: send of type %#x failed: %s", domid, type,
			 strerror(errno));
}

static const struct transport_ops aio_ops = {
	.send = aio_send,
	.send_once = aio_send_once,
	.forget = aio_forget,
};

const struct transport_ops *argo_io_ops(void)
{
	return &aio_ops;
}

static void ep_listening(struct endpoint *ep)
{
	if (ep->partner == ARGO_DOMID_ANY)
		vb_log("listening on port %#x for any domain", VA_BACKEND_PORT);
	else
		vb_log("listening on port %#x for domain %u", VA_BACKEND_PORT,
		       ep->partner);
}

/* Bind the endpoint's ring.  Returns 0 or an errno. */
static int ep_bind(struct endpoint *ep)
{
	uint32_t port = VA_BACKEND_PORT;

	if (argo_bind(ep->fd, &port, ep->partner, ep->ring_size))
		return errno;
	ep->bound = true;
	ep->bind_at = 0;
	ep_update(ep);
	return 0;
}

static int ep_open(struct endpoint *ep, uint16_t partner, uint32_t ring_size)
{
	int err;

	ep->partner = partner;
	ep->ring_size = ring_size;
	ep->fd = argo_open(O_NONBLOCK);
	if (ep->fd < 0) {
		err = errno;
		vb_log("%s: %s%s", ARGO_DEV_PATH, strerror(err),
		       err == ENOENT ? " (is argo-char loaded?)" : "");
		return -1;
	}
	if (argo_notice(ep->fd, NULL, NULL, NULL, NULL, NULL) < 0) {
		vb_log("%s: no notices (%s): load the argo-char of this suite's version",
		       ARGO_DEV_PATH, strerror(errno));
		close(ep->fd);
		ep->fd = -1;
		return -1;
	}
	ep->w.fd = ep->fd;
	ep->w.cb = ep_event;
	ep->w.priv = ep;
	watch_add(&ep->w);
	err = ep_bind(ep);
	if (!err) {
		ep_listening(ep);
		return 0;
	}
	if (partner == ARGO_DOMID_ANY) {
		vb_log("bind port %#x for any domain: %s%s", VA_BACKEND_PORT,
		       strerror(err),
		       err == EPERM || err == EACCES ? HINT_STRICT : "");
		return -1;
	}
	if (err == ESRCH) {
		vb_log("domain %u does not exist (yet): binding its ring when it does",
		       partner);
		ep->bind_at = vb_now_ms() + BIND_RETRY_MS;
		ep_update(ep);
		return 0;
	}
	vb_log("bind port %#x for domain %u: %s", VA_BACKEND_PORT, partner,
	       strerror(err));
	return -1;
}

/*
 * Open one endpoint per partner (@npartners of them), or one any-sender
 * endpoint when there are none.  Returns NULL after logging why.
 */
struct argo_io *argo_io_open(struct backend *be, const uint16_t *partners,
			     unsigned int npartners, uint32_t ring_size)
{
	struct argo_io *io = calloc(1, sizeof(*io));
	unsigned int i;

	if (!io)
		return NULL;
	io->be = be;
	io->neps = npartners ? npartners : 1;
	io->eps = calloc(io->neps, sizeof(*io->eps));
	io->rxbuf = malloc(VA_MSG_MAX);
	if (!io->eps || !io->rxbuf) {
		vb_log("out of memory");
		argo_io_close(io);
		return NULL;
	}
	for (i = 0; i < io->neps; i++) {
		io->eps[i].io = io;
		io->eps[i].fd = -1;
		list_init(&io->eps[i].w.link);
	}
	for (i = 0; i < io->neps; i++) {
		if (ep_open(&io->eps[i], npartners ? partners[i] :
			    ARGO_DOMID_ANY, ring_size)) {
			argo_io_close(io);
			return NULL;
		}
	}
	return io;
}

void argo_io_close(struct argo_io *io)
{
	unsigned int i;

	if (!io)
		return;
	for (i = 0; io->eps && i < io->neps; i++) {
		watch_del(&io->eps[i].w);
		if (io->eps[i].fd >= 0)
			close(io->eps[i].fd);
	}
	free(io->eps);
	free(io->rxbuf);
	free(io);
}

/* How long the loop may sleep before a retry timer is due (-1: none). */
int argo_io_timeout(struct argo_io *io)
{
	uint64_t now = vb_now_ms(), next = 0;
	unsigned int i;

	for (i = 0; i < io->neps; i++) {
		const struct endpoint *ep = &io->eps[i];

		if (ep->retry_at && (!next || ep->retry_at < next))
			next = ep->retry_at;
		if (ep->bind_at && (!next || ep->bind_at < next))
			next = ep->bind_at;
	}
	if (!next)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

/* Due timers: guests to retry, rings to bind. */
void argo_io_tick(struct argo_io *io)
{
	uint64_t now = vb_now_ms();
	unsigned int i;

	for (i = 0; i < io->neps; i++) {
		struct endpoint *ep = &io->eps[i];
		int err;

		if (ep->retry_at && ep->retry_at <= now)
			ep_unblock(ep);
		if (!ep->bind_at || ep->bind_at > now)
			continue;
		err = ep_bind(ep);
		if (!err) {
			ep_listening(ep);
			continue;
		}
		if (err != ESRCH && ratelimit_ok(&io->rl))
			vb_log("bind port %#x for domain %u: %s (retrying)",
			       VA_BACKEND_PORT, ep->partner, strerror(err));
		ep->bind_at = now + BIND_RETRY_MS;
	}
}
