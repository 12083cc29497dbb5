// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-argo: the connection to one backend domain.
 *
 * One Argo ring (partner: the backend's domain) receives everything the
 * backend sends; its rx callback checks every record before acting on it.
 * Control requests are synchronous, one in flight per backend.  A work
 * item connects (CONNECT: revision, record size and transport features,
 * docs/virtio-argo-protocol.md 4.1), discovers devices (GET_DEVICES),
 * adds and removes them; a tick
 * PINGs a backend that owes us answers and has gone quiet, and retries
 * discovery while the backend is unreachable.
 *
 * Faults: a backend that goes away (its ring is gone: -ECONNREFUSED), is
 * denied by policy (-EPERM/-EACCES), stops answering, or sends a record
 * that cannot be attributed to one device is failed as a whole: every
 * device fails its I/O and is removed, and discovery starts again later.
 * Only a policy denial of our very first message is final (VA_BE_DENIED):
 * no device appears and nothing is retried until the module is reloaded.
 * A record that breaks the rules for one device fails that device only.
 */
#include <linux/argo.h>
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/nospec.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include "va.h"

#define VA_RETRY_MIN	(2 * HZ)
#define VA_RETRY_MAX	(10 * HZ)
/* Silence after which a backend is PINGed: owing us answers, or idle. */
#define VA_QUIET	(2 * HZ)
#define VA_IDLE_QUIET	(5 * HZ)

static u16 va_token(struct va_backend *be)
{
	if (!++be->next_token)
		++be->next_token;
	return be->next_token;
}

/**
 * va_backend_kick() - let the backend's work look at faults and removals
 * @be: the backend
 */
void va_backend_kick(struct va_backend *be)
{
	if (!READ_ONCE(be->dying))
		queue_work(va_ctl_wq, &be->work);
}

/**
 * va_backend_fault() - give up on a backend until it is rediscovered
 * @be: the backend
 * @why: what happened, for the log; NULL if already logged
 *
 * Context: process context, no va locks held.
 */
void va_backend_fault(struct va_backend *be, const char *why)
{
	struct va_device *dev;
	bool online, quiet;

	spin_lock(&be->lock);
	if (be->state == VA_BE_FAILED) {
		spin_unlock(&be->lock);
		return;
	}
	online = be->state == VA_BE_ONLINE;
	be->state = VA_BE_FAILED;
	be->fault = true;
	if (be->req && !be->req->answered) {
		be->req->error = -ENODEV;
		be->req->answered = true;
		complete(&be->req->done);
	}
	list_for_each_entry(dev, &be->devices, node)
		va_device_fail(dev, NULL);
	/*
	 * While retrying, say it again only when the reason changes (a
	 * backend first absent, then refusing CONNECT, gets both lines).
	 */
	quiet = !online && !be->denied && be->retries && why &&
		!strncmp(be->last_why, why, sizeof(be->last_why) - 1);
	if (why)
		strscpy(be->last_why, why, sizeof(be->last_why));
	spin_unlock(&be->lock);
	if (why && !quiet)
		va_err(be, "%s%s", why,
		       online ? ": failing its devices' I/O and removing them" :
		       be->denied ? ": no devices" : "; will keep trying");
	va_backend_kick(be);
}

static void va_send_failed(struct va_backend *be, int err);

/*
 * argo-core: the backend's ring went away, or we may no longer ask.
 * Called from argo-core's space work: the rest is done in va_gone_work().
 */
static void va_backend_gone(struct argo_space_waiter *w, int status)
{
	struct va_backend *be = container_of(w, struct va_backend, gone);

	WRITE_ONCE(be->gone_status, status);
	queue_work(system_unbound_wq, &be->gone_work);
}

static void va_gone_work(struct work_struct *work)
{
	struct va_backend *be = container_of(work, struct va_backend, gone_work);
	int status = READ_ONCE(be->gone_status);
	char why[80];

	if (READ_ONCE(be->state) != VA_BE_ONLINE)
		return;		/* rediscovery arms it again */
	if (status != -ECONNRESET) {
		/* the query needs the send permission: the same denial */
		va_send_failed(be, status);
		return;
	}
	snprintf(why, sizeof(why), "its ring at port 0x%x is gone (%d)",
		 VA_BACKEND_PORT, status);
	va_backend_fault(be, why);
}

static void va_send_failed(struct va_backend *be, int err)
{
	char why[96];

	switch (err) {
	case -EPERM:
	case -EACCES:
		/*
		 * Refused before the backend ever answered: the policy does
		 * not let us reach it, and retrying would only fill Xen's
		 * log with denials.  Reload the module once it does.  A
		 * backend we had reached is retried instead: a policy that
		 * gives the edge back lets its devices return by themselves.
		 */
		spin_lock(&be->lock);
		if (!be->was_online)
			be->denied = true;
		spin_unlock(&be->lock);
		snprintf(why, sizeof(why),
			 "sending to port 0x%x denied by XSM policy (%d)",
			 VA_BACKEND_PORT, err);
		break;
	case -ECONNREFUSED:
		snprintf(why, sizeof(why),
			 "no backend listening at port 0x%x (%d)",
			 VA_BACKEND_PORT, err);
		break;
	case -ESRCH:
		/* Xen's word for a destination domain that does not exist. */
		snprintf(why, sizeof(why),
			 "the backend's domain does not exist (%d)", err);
		break;
	default:
		snprintf(why, sizeof(why), "send failed (%d)", err);
	}
	va_backend_fault(be, why);
}

static int va_sendv(struct va_backend *be, struct kvec *iov, unsigned int n)
{
	ssize_t r;

	for (;;) {
		if (READ_ONCE(be->state) == VA_BE_FAILED)
			return -ENODEV;
		/* Short waits, so that a fault noticed meanwhile stops us. */
		r = argo_sendv_wait(be->ring, be->domid, VA_BACKEND_PORT, iov,
				    n, VA_MSG_TYPE, HZ);
		if (r >= 0)
			return 0;
		if (r == -ERESTARTSYS)
			return -EINTR;
		if (r != -EAGAIN)
			break;
	}
	va_send_failed(be, r);
	return r;
}

/**
 * va_send() - send one Argo message to the backend
 * @be: the backend
 * @buf: the message (records)
 * @len: its length, at most %VA_MSG_MAX
 *
 * Waits while the backend's ring is full.  A failure fails the backend.
 *
 * Context: process context; sleeps.
 * Return: 0 or a negative errno.
 */
int va_send(struct va_backend *be, const void *buf, u32 len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };

	return va_sendv(be, &iov, 1);
}

/**
 * va_request() - send a control request and wait for its response
 * @be: the backend
 * @dev_num: device number, 0 for bus messages
 * @type: 0 or %VA_TYPE_BUS
 * @msg_id: the request
 * @req: its payload
 * @req_len: payload length
 * @resp: where the response payload goes
 * @resp_max: room at @resp; a longer response breaks the protocol
 * @resp_len: set to the response payload length
 *
 * Context: process context; sleeps up to the timeout parameter.
 * Return: 0, the errno of an error response, -ETIMEDOUT (the backend is
 * failed), -ENODEV (the backend failed), or a send error.
 */
int va_request(struct va_backend *be, u16 dev_num, u8 type, u8 msg_id,
	       const void *req, u32 req_len, void *resp, u32 resp_max,
	       u32 *resp_len)
{
	struct va_request rq = {
		.type = type, .msg_id = msg_id, .dev_num = dev_num,
		.resp = resp, .resp_max = resp_max,
	};
	struct va_hdr h;
	struct kvec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)req, .iov_len = req_len },
	};
	int r;

	*resp_len = 0;
	init_completion(&rq.done);
	mutex_lock(&be->req_mutex);
	spin_lock(&be->lock);
	if (be->state == VA_BE_FAILED) {
		spin_unlock(&be->lock);
		mutex_unlock(&be->req_mutex);
		return -ENODEV;
	}
	rq.token = va_token(be);
	be->req = &rq;
	spin_unlock(&be->lock);

	h.type = type;
	h.msg_id = msg_id;
	h.dev_num = cpu_to_le16(dev_num);
	h.token = cpu_to_le16(rq.token);
	h.msg_size = cpu_to_le16(sizeof(h) + req_len);
	r = va_sendv(be, iov, req_len ? 2 : 1);
	if (!r && !wait_for_completion_timeout(&rq.done,
					       msecs_to_jiffies(va_timeout_ms)))
		r = -ETIMEDOUT;

	spin_lock(&be->lock);
	be->req = NULL;
	if (rq.answered)
		r = rq.error;
	spin_unlock(&be->lock);
	mutex_unlock(&be->req_mutex);
	if (r == -ETIMEDOUT) {
		char why[144];

		if (type == VA_TYPE_BUS && msg_id == VA_BUS_CONNECT)
			snprintf(why, sizeof(why),
				 "no answer to CONNECT in %u ms: the backend does not speak virtio-argo protocol 2 (an older argo-virtio-backend?)",
				 va_timeout_ms);
		else
			snprintf(why, sizeof(why),
				 "no answer to request 0x%02x (device %u) in %u ms",
				 msg_id, dev_num, va_timeout_ms);
		va_backend_fault(be, why);
	}
	*resp_len = rq.resp_len;
	return r;
}

static struct va_device *va_find(struct va_backend *be, u16 dev_num)
{
	struct va_device *dev;

	list_for_each_entry(dev, &be->devices, node)
		if (dev->dev_num == dev_num)
			return dev;
	return NULL;
}

/*
 * Is @dev_num a device we removed?  The backend cannot know when we drop
 * a device on our own (one that broke a rule): its records for it, sent
 * before our next GET_DEVICES, are moot rather than a violation that
 * would fail the backend's other devices.  A number the backend never
 * offered stays a violation.  be->lock held.
 */
static bool va_retired(struct va_backend *be, u16 dev_num)
{
	lockdep_assert_held(&be->lock);
	return test_bit(dev_num, be->retired);
}

/* A response: hand it to the request waiting for it.  be->lock held. */
static int va_rx_response(struct va_backend *be, const struct va_hdr *h,
			  const void *payload, u32 len, const char **why)
{
	struct va_request *rq = be->req;
	u16 token = le16_to_cpu(h->token);

	lockdep_assert_held(&be->lock);
	if ((va_type(h) & VA_TYPE_BUS) && h->msg_id == VA_BUS_PING &&
	    token && token == be->ping_token) {
		be->ping_token = 0;
		return 0;
	}
	if (!rq || rq->answered || rq->token != token ||
	    rq->msg_id != h->msg_id ||
	    rq->dev_num != le16_to_cpu(h->dev_num) ||
	    rq->type != (va_type(h) & VA_TYPE_BUS)) {
		*why = "response matches no outstanding request";
		return -EPROTO;
	}
	if (len > rq->resp_max) {
		*why = "response larger than the request allows";
		return -EPROTO;
	}
	if (len)
		memcpy(rq->resp, payload, len);
	rq->resp_len = len;
	rq->answered = true;
	complete(&rq->done);
	return 0;
}

/*
 * ERROR: the backend will not answer a request; it fails with the errno.
 * An ERROR for no outstanding request breaks the rules like a stray
 * response would.  be->lock held.
 */
static int va_rx_error(struct va_backend *be, const struct va_bus_error *e,
		       const char **why)
{
	struct va_request *rq = be->req;
	u32 err = le32_to_cpu(e->error);

	lockdep_assert_held(&be->lock);
	if (!rq || rq->answered || rq->token != le16_to_cpu(e->token) ||
	    rq->msg_id != e->msg_id ||
	    rq->dev_num != le16_to_cpu(e->dev_num) ||
	    rq->type != (e->type & VA_TYPE_BUS)) {
		*why = "ERROR matches no outstanding request";
		return -EPROTO;
	}
	/* Only plain errnos; nothing that means "restart" in here. */
	rq->error = err < 512 ? -(int)err : -EIO;
	rq->answered = true;
	complete(&rq->done);
	return 0;
}

/*
 * The backend PINGs us: echo its data.  From the rx callback, so the
 * send must not wait for room; a PING we cannot answer now is a PING
 * the backend's own timeout deals with.
 */
static void va_answer_ping(struct va_backend *be, const struct va_hdr *req,
			   const struct va_ping *ping)
{
	struct va_hdr h = {
		.type = VA_TYPE_RESPONSE | VA_TYPE_BUS, .msg_id = VA_BUS_PING,
		.token = req->token,
		.msg_size = cpu_to_le16(VA_HDR_SIZE + sizeof(*ping)),
	};
	struct kvec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)ping, .iov_len = sizeof(*ping) },
	};

	argo_sendv(be->ring, be->domid, VA_BACKEND_PORT, iov, 2, VA_MSG_TYPE);
}

/* An event.  be->lock held. */
static int va_rx_event(struct va_backend *be, const struct va_hdr *h,
		       const void *payload, const char **why)
{
	struct va_device *dev;

	lockdep_assert_held(&be->lock);
	if (va_type(h) & VA_TYPE_BUS) {
		const struct va_event_device *e = payload;
		u16 num = le16_to_cpu(e->dev_num);

		if (h->msg_id == VA_BUS_ERROR)
			return va_rx_error(be, payload, why);

		if (le16_to_cpu(e->state) == VA_DEVICE_READY) {
			be->rescan = true;
			va_backend_kick(be);
			return 0;
		}
		dev = va_find(be, num);
		if (dev) {
			va_info(be, "device %u: removed by the backend", num);
			va_device_fail(dev, NULL);
			WRITE_ONCE(dev->removing, true);
			va_backend_kick(be);
		}
		return 0;
	}
	dev = va_find(be, le16_to_cpu(h->dev_num));
	if (!dev) {
		if (va_retired(be, le16_to_cpu(h->dev_num)))
			return 0;
		*why = "EVENT_CONFIG for an unknown device";
		return -EPROTO;
	}
	va_device_config_event(dev, payload);
	return 0;
}

static int va_rx_used(struct va_backend *be, const struct va_hdr *h,
		      const struct va_used_chain *u, struct argo_ring *ring,
		      size_t data_off, const char **why)
{
	struct va_device *dev;
	struct va_vq *vvq = NULL;
	u16 qi = le16_to_cpu(u->vq);

	spin_lock(&be->lock);
	dev = va_find(be, le16_to_cpu(h->dev_num));
	if (!dev) {
		bool retired = va_retired(be, le16_to_cpu(h->dev_num));

		spin_unlock(&be->lock);
		if (retired)
			return 0;
		*why = "USED_CHAIN for an unknown device";
		return -EPROTO;
	}
	if (READ_ONCE(dev->failed) || dev->resetting) {
		/*
		 * Its chains were failed already, or the driver takes its
		 * buffers back after a reset (va_reset()): what still comes
		 * is moot, and must not be copied.
		 */
		spin_unlock(&be->lock);
		return 0;
	}
	spin_lock(&dev->vqs_lock);
	if (qi < dev->max_vqs)
		vvq = dev->vqs[array_index_nospec(qi, dev->max_vqs)];
	if (vvq)
		atomic_inc(&vvq->copying);
	spin_unlock(&dev->vqs_lock);
	if (!vvq)
		va_device_fail(dev, "USED_CHAIN for a queue that is not set up");
	spin_unlock(&be->lock);
	if (vvq)
		va_vq_used(vvq, u, ring, data_off);
	return 0;
}

/*
 * A transport event (USED_CHAIN, EVENT_CONFIG) that broke a rule of its
 * own: its framing held, so the rest of the message can still be read,
 * and the fault is its device's alone (spec 7).  Only a record naming no
 * device of ours fails the whole backend.
 */
static int va_rx_bad_event(struct va_backend *be, const struct va_hdr *h,
			   const char **why)
{
	u16 num = le16_to_cpu(h->dev_num);
	struct va_device *dev;
	int r = 0;

	spin_lock(&be->lock);
	dev = va_find(be, num);
	if (dev)
		va_device_fail(dev, *why);
	else if (!va_retired(be, num))
		r = -EPROTO;
	spin_unlock(&be->lock);
	return r;
}

/*
 * MEM_READ or MEM_WRITE (spec 13): serve it from the device's windows and
 * answer.  A malformed one fails its device like any bad record.  The
 * answer waits for room in the backend's ring (va_sendv()): a backend that
 * asks and never reads is failed by the liveness check meanwhile.
 */
static int va_rx_mem(struct va_backend *be, struct argo_ring *ring,
		     const struct va_link *lk, const struct va_hdr *h,
		     u32 off, const char **why)
{
	u32 plen = le16_to_cpu(h->msg_size) - VA_HDR_SIZE;
	bool write = h->msg_id == VA_MEM_WRITE;
	struct va_mem_req rq = { };
	struct va_mem_resp *resp;
	struct va_hdr *rh;
	struct va_windows *w = NULL;
	struct va_device *dev;
	struct kvec iov;
	u32 len, n = 0;
	int err;

	if (plen >= sizeof(rq))
		argo_ring_copy(ring, off + VA_HDR_SIZE, &rq, sizeof(rq));
	if (va_check_mem_req(h, &rq, plen, lk, why))
		return va_rx_bad_event(be, h, why);
	len = le32_to_cpu(rq.len);

	spin_lock(&be->lock);
	dev = va_find(be, le16_to_cpu(h->dev_num));
	if (dev && dev->win && !READ_ONCE(dev->failed)) {
		w = dev->win;
		get_device(&w->dev);
	}
	spin_unlock(&be->lock);

	/* the answer: header, fixed part, then the bytes read */
	rh = (struct va_hdr *)be->membuf;
	resp = (struct va_mem_resp *)(rh + 1);
	if (!w) {
		err = -ENODEV;
	} else if (write) {
		argo_ring_copy(ring, off + VA_HDR_SIZE + sizeof(rq), resp + 1,
			       len);
		err = va_windows_access(w, le64_to_cpu(rq.addr), len, true,
					resp + 1);
	} else {
		err = va_windows_access(w, le64_to_cpu(rq.addr), len, false,
					resp + 1);
		if (!err)
			n = len;
	}
	if (w)
		put_device(&w->dev);

	*rh = (struct va_hdr){
		.type = VA_TYPE_RESPONSE, .msg_id = h->msg_id,
		.dev_num = h->dev_num, .token = h->token,
		.msg_size = cpu_to_le16(VA_HDR_SIZE + sizeof(*resp) + n),
	};
	resp->addr = rq.addr;
	resp->len = rq.len;
	resp->error = cpu_to_le32(-err);
	iov.iov_base = rh;
	iov.iov_len = VA_HDR_SIZE + sizeof(*resp) + n;
	va_sendv(be, &iov, 1);
	return 0;
}

static int va_rx_record(struct va_backend *be, struct argo_ring *ring,
			const struct va_link *lk, const struct va_hdr *h,
			u32 off, const char **why)
{
	u32 plen = le16_to_cpu(h->msg_size) - VA_HDR_SIZE;
	int r;

	if (!va_type(h) &&
	    (h->msg_id == VA_MEM_READ || h->msg_id == VA_MEM_WRITE))
		return va_rx_mem(be, ring, lk, h, off, why);

	if (!va_type(h) && h->msg_id == VA_USED_CHAIN) {
		struct va_used_chain u = { };

		if (plen >= sizeof(u))
			argo_ring_copy(ring, off + VA_HDR_SIZE, &u, sizeof(u));
		r = va_check_from_device(h, &u, plen, lk, why);
		if (r)
			return va_rx_bad_event(be, h, why);
		return va_rx_used(be, h, &u, ring, off + VA_CHAIN_HDR_SIZE, why);
	}
	if (plen > VA_CTRL_MAX) {
		*why = "control record too large";
		return -EPROTO;
	}
	if (argo_ring_copy(ring, off + VA_HDR_SIZE, be->rxbuf, plen) != plen) {
		*why = "record beyond the end of the message";
		return -EPROTO;
	}
	r = va_check_from_device(h, be->rxbuf, plen, lk, why);
	if (r < 0 && !va_type(h))
		return va_rx_bad_event(be, h, why);
	if (r == VA_IGNORE) {
		va_err(be, "ignoring message id 0x%02x (type 0x%02x)",
		       h->msg_id, h->type);
		return 0;
	}
	if (r)
		return r;
	if (va_type(h) == VA_TYPE_BUS && h->msg_id == VA_BUS_PING) {
		va_answer_ping(be, h, (const struct va_ping *)be->rxbuf);
		return 0;
	}
	spin_lock(&be->lock);
	if (va_type(h) & VA_TYPE_RESPONSE)
		r = va_rx_response(be, h, be->rxbuf, plen, why);
	else
		r = va_rx_event(be, h, be->rxbuf, why);
	spin_unlock(&be->lock);
	return r;
}

static void va_rx_message(struct va_backend *be, struct argo_ring *ring,
			  u32 len)
{
	/* discovery may settle a new link meanwhile: one view per message */
	const struct va_link lk = {
		.max_size = READ_ONCE(be->link.max_size),
		.features = READ_ONCE(be->link.features),
	};
	const char *why = NULL;
	u32 off = 0;
	int r = 0;

	while (off < len && !r) {
		struct va_hdr h = { };

		argo_ring_copy(ring, off, &h, sizeof(h));
		r = va_check_hdr(&h, len - off, lk.max_size, &why);
		if (!r)
			r = va_rx_record(be, ring, &lk, &h, off, &why);
		off += le16_to_cpu(h.msg_size);
	}
	if (r) {
		char msg[96];

		snprintf(msg, sizeof(msg), "protocol violation: %s", why);
		va_backend_fault(be, msg);
	}
}

static void va_rx(struct argo_ring *ring, void *priv)
{
	struct va_backend *be = priv;
	struct argo_msg_info info;

	while (!argo_ring_peek(ring, &info)) {
		if (info.src_domid == be->domid &&
		    info.src_port == VA_BACKEND_PORT &&
		    info.type == VA_MSG_TYPE_V1) {
			va_err(be, "the backend speaks virtio-argo protocol 1; this guest speaks protocol 2 only: upgrade the backend");
		} else if (info.src_domid != be->domid ||
			   info.src_port != VA_BACKEND_PORT ||
			   info.type != VA_MSG_TYPE) {
			va_err(be, "dropped a message from dom%u port 0x%x of type 0x%x",
			       info.src_domid, info.src_port, info.type);
		} else {
			spin_lock(&be->lock);
			be->last_rx = jiffies;
			spin_unlock(&be->lock);
			va_rx_message(be, ring, info.len);
		}
		argo_ring_consume(ring);
	}
}

/* How many devices the backend has with us.  be->lock held. */
static unsigned int va_count_devices(struct va_backend *be)
{
	struct va_device *dev;
	unsigned int n = 0;

	lockdep_assert_held(&be->lock);
	list_for_each_entry(dev, &be->devices, node)
		n++;
	return n;
}

struct va_devices_answer {
	struct va_get_devices_resp r;
	u8 bitmap[VA_WINDOW_MAX / 8];
} __packed;

/*
 * CONNECT (docs/virtio-argo-protocol.md 4.1): the first request after
 * every (re)connection.  A backend that refuses, or does not answer
 * (protocol 1 backends drop our message type), gets one log line and no
 * device.  Return: 0 with be->link set, or a negative errno.
 */
static int va_connect(struct va_backend *be)
{
	struct va_connect req = {
		.revision = cpu_to_le32(VA_REVISION),
		.max_size = cpu_to_le32(VA_SIZE_MAX),
		.features = cpu_to_le64(VA_F_KNOWN),
	}, resp;
	struct va_link lk;
	const char *why;
	char msg[128];
	u32 len;
	int r;

	/* The domid this session is under: a resume that changes it ends it. */
	atomic_set(&be->own_domid, argo_own_domid());
	/* Until the answer: nothing bigger than a record can be, no feature. */
	WRITE_ONCE(be->link.max_size, VA_SIZE_MAX);
	WRITE_ONCE(be->link.features, 0);
	r = va_request(be, 0, VA_TYPE_BUS, VA_BUS_CONNECT, &req, sizeof(req),
		       &resp, sizeof(resp), &len);
	if (r) {
		/* a timeout failed the backend, and said so (va_request()) */
		if (r != -ENODEV && r != -ETIMEDOUT)
			va_err(be, "CONNECT failed (%d)", r);
		return r;
	}
	r = va_check_connect(&req, &resp, &lk, &why);
	if (r == -EPROTONOSUPPORT) {
		snprintf(msg, sizeof(msg),
			 "refuses our CONNECT (revision %u, records up to %u bytes): %s",
			 VA_REVISION, VA_SIZE_MAX, why);
		va_backend_fault(be, msg);
		return r;
	}
	if (r) {
		snprintf(msg, sizeof(msg), "protocol violation: %s", why);
		va_backend_fault(be, msg);
		return r;
	}
	WRITE_ONCE(be->link.max_size, lk.max_size);
	WRITE_ONCE(be->link.features, lk.features);
	return 0;
}

static void va_online(struct va_backend *be)
{
	spin_lock(&be->lock);
	if (be->state != VA_BE_IDLE) {
		spin_unlock(&be->lock);
		return;
	}
	be->state = VA_BE_ONLINE;
	be->retries = 0;
	be->was_online = true;
	spin_unlock(&be->lock);
	va_info(be, "connected (records up to %u bytes, features 0x%llx)",
		be->link.max_size, be->link.features);
	argo_watch_ring(&be->gone);	/* armed already: no-op */
}

/* Add the devices of one GET_DEVICES window; false once the limit is hit. */
static bool va_add_window(struct va_backend *be,
			  const struct va_devices_answer *resp)
{
	u32 offset = le16_to_cpu(resp->r.offset);
	u32 count = le16_to_cpu(resp->r.count);
	unsigned int have;
	u32 i;

	/* Only this work adds devices: counted once a window. */
	spin_lock(&be->lock);
	have = va_count_devices(be);
	spin_unlock(&be->lock);
	for (i = 0; i < count; i++) {
		u16 num = offset + i;
		bool known;

		if (!(resp->bitmap[i / 8] & BIT(i % 8)) || !num)
			continue;	/* device 0 is never a device */
		spin_lock(&be->lock);
		known = va_find(be, num);
		spin_unlock(&be->lock);
		if (known)
			continue;
		/* The limit is per guest, over all windows. */
		if (have >= VA_MAX_DEVICES) {
			va_err(be, "offers more than %u devices: device %u and later not added",
			       VA_MAX_DEVICES, num);
			return false;
		}
		if (!IS_ERR(va_device_create(be, num)))
			have++;
	}
	return true;
}

static void va_discover(struct va_backend *be)
{
	struct va_get_devices_req req;
	struct va_devices_answer *resp;
	const char *why;
	u32 offset = 0, len;
	char msg[96];
	int r;

	if (READ_ONCE(be->state) == VA_BE_IDLE && va_connect(be))
		return;
	resp = kmalloc(sizeof(*resp), GFP_KERNEL);
	if (!resp)
		return;
	do {
		req.offset = cpu_to_le16(offset);
		/* no window reaches past the last device number */
		req.count = cpu_to_le16(min(VA_WINDOW_MAX, 65536 - offset));
		r = va_request(be, 0, VA_TYPE_BUS, VA_BUS_GET_DEVICES, &req,
			       sizeof(req), resp, sizeof(*resp), &len);
		if (r) {
			if (r != -ENODEV && r != -ETIMEDOUT)
				va_err(be, "GET_DEVICES failed (%d)", r);
			break;
		}
		if (va_check_devices(&req, &resp->r, &why)) {
			snprintf(msg, sizeof(msg), "protocol violation: %s", why);
			va_backend_fault(be, msg);
			break;
		}
		va_online(be);
		if (!va_add_window(be, resp))
			break;
		offset = le16_to_cpu(resp->r.next_offset);
	} while (offset);
	kfree(resp);
}

/*
 * Remove one device the way an unbind would.  It stays on the list while
 * its driver lets go, so that the completions the driver waits for (a
 * live backend still sends them) find it; the extra reference keeps it
 * alive until it is off the list.
 */
static void va_backend_remove(struct va_backend *be, struct va_device *dev)
{
	get_device(&dev->vdev.dev);
	va_device_remove(dev);
	spin_lock(&be->lock);
	list_del_init(&dev->node);
	__set_bit(dev->dev_num, be->retired);
	spin_unlock(&be->lock);
	put_device(&dev->vdev.dev);
}

static struct va_device *va_next_victim(struct va_backend *be, bool all)
{
	struct va_device *dev;

	spin_lock(&be->lock);
	list_for_each_entry(dev, &be->devices, node) {
		if (!dev->unlinking && (all || READ_ONCE(dev->removing))) {
			dev->unlinking = true;
			spin_unlock(&be->lock);
			return dev;
		}
	}
	spin_unlock(&be->lock);
	return NULL;
}

/*
 * argo-core could not register our ring again after a restore or
 * migration: no answer can reach us, so fail the devices now instead of
 * waiting for the PING timeout.  Rediscovery offers the ring to the
 * hypervisor again first (va_ring_back()).
 */
static void va_ring_lost(struct argo_ring *ring, int err, void *priv)
{
	struct va_backend *be = priv;
	char why[80];

	snprintf(why, sizeof(why),
		 "our ring was lost after a restore or migration (%d)", err);
	va_backend_fault(be, why);
}

/*
 * The domain was restored or migrated and argo-core registered our ring
 * again.  Under a domid other than our session's (xl restore, most
 * migrations) the backend knows us no more: it drops what we send until
 * we CONNECT again, and we would wait for the PING timeout to notice.
 * Fail the devices now, so that rediscovery brings them back at once.
 * Under the same domid (a checkpoint that resumed in place) the session
 * normally holds; a migration that kept the domid on another host is
 * left to the PING timeout.  Without a session (not connected yet, or
 * retrying) there is nothing to end: the next CONNECT is under the new
 * domid anyway.
 */
static void va_ring_resumed(struct argo_ring *ring, void *priv)
{
	struct va_backend *be = priv;
	int now = argo_own_domid();
	int was = atomic_read(&be->own_domid);
	char why[96];

	if (now == was || READ_ONCE(be->state) != VA_BE_ONLINE)
		return;
	snprintf(why, sizeof(why),
		 "we were restored as domain %d (was %d): the backend must see us connect again",
		 now, was);
	va_backend_fault(be, why);
}

/* Before a rescan: a lost ring must be registered again, or no answer comes. */
static bool va_ring_back(struct va_backend *be)
{
	char why[64];
	int r;

	if (!argo_ring_error(be->ring))
		return true;
	r = argo_ring_reregister(be->ring);
	if (!r) {
		va_info(be, "our ring is registered again");
		return true;
	}
	snprintf(why, sizeof(why), "registering our ring again failed (%d)", r);
	va_backend_fault(be, why);
	return false;
}

static void va_backend_work(struct work_struct *work)
{
	struct va_backend *be = container_of(work, struct va_backend, work);
	struct va_device *dev;
	bool fault, rescan;

	spin_lock(&be->lock);
	fault = be->fault;
	be->fault = false;
	rescan = be->rescan;
	be->rescan = false;
	spin_unlock(&be->lock);

	while ((dev = va_next_victim(be, fault)))
		va_backend_remove(be, dev);
	if (fault) {
		spin_lock(&be->lock);
		be->state = be->denied ? VA_BE_DENIED : VA_BE_IDLE;
		be->retries++;
		spin_unlock(&be->lock);
		return;
	}
	if (rescan && va_ring_back(be))
		va_discover(be);
}

/*
 * Fail the devices whose backend holds completed chains back for longer
 * than the timeout (va_vq_held_too_long()): a backend that answers PINGs
 * but never ends a VA_CHAIN_HOLD group would keep their I/O waiting
 * forever.  be->lock held.
 */
#define VA_HELD_TOO_LONG \
	"completed chains held back (VA_CHAIN_HOLD) beyond the timeout"

static void va_check_held(struct va_backend *be)
{
	struct va_device *dev;
	unsigned int i;

	lockdep_assert_held(&be->lock);
	list_for_each_entry(dev, &be->devices, node) {
		bool late = false;

		if (READ_ONCE(dev->failed))
			continue;
		spin_lock(&dev->vqs_lock);
		for (i = 0; i < dev->max_vqs && !late; i++)
			late = dev->vqs[i] && va_vq_held_too_long(dev->vqs[i]);
		spin_unlock(&dev->vqs_lock);
		if (late)
			va_device_fail(dev, VA_HELD_TOO_LONG);
	}
}

static void va_backend_tick(struct work_struct *work)
{
	struct va_backend *be = container_of(to_delayed_work(work),
					     struct va_backend, tick);
	struct va_hdr h = {
		.type = VA_TYPE_BUS, .msg_id = VA_BUS_PING,
		.msg_size = cpu_to_le16(VA_HDR_SIZE + sizeof(struct va_ping)),
	};
	struct va_ping ping = { .data = cpu_to_le32((u32)get_jiffies_64()) };
	struct kvec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = &ping, .iov_len = sizeof(ping) },
	};
	unsigned long delay = HZ;
	bool send_ping = false, dead = false;
	ssize_t r;

	spin_lock(&be->lock);
	va_check_held(be);
	if (be->state == VA_BE_IDLE) {
		be->rescan = true;
		va_backend_kick(be);
		delay = clamp_t(unsigned long, VA_RETRY_MIN * be->retries,
				VA_RETRY_MIN, VA_RETRY_MAX);
	} else if (be->state == VA_BE_ONLINE &&
		   time_after(jiffies, be->last_rx +
			      (atomic_read(&be->outstanding) > 0 || be->req ?
			       VA_QUIET : VA_IDLE_QUIET))) {
		if (!be->ping_token) {
			be->ping_token = va_token(be);
			be->ping_sent = jiffies;
			h.token = cpu_to_le16(be->ping_token);
			send_ping = true;
		} else if (time_after(jiffies, be->ping_sent +
				      msecs_to_jiffies(va_timeout_ms))) {
			dead = true;
		}
	} else {
		be->ping_token = 0;
	}
	spin_unlock(&be->lock);

	if (dead)
		va_backend_fault(be, "backend stopped answering");
	if (READ_ONCE(be->dying) && be->state != VA_BE_ONLINE)
		return;
	if (send_ping) {
		r = argo_sendv(be->ring, be->domid, VA_BACKEND_PORT, iov, 2,
			       VA_MSG_TYPE);
		/* A full ring is no answer either: the timeout decides. */
		if (r < 0 && r != -EAGAIN && r != -EBUSY)
			va_send_failed(be, r);
	}
	schedule_delayed_work(&be->tick, delay);
}

/**
 * va_backend_create() - connect to the backend in domain @domid
 * @domid: the backend's domain
 * @ring_size: bytes of our receive ring
 *
 * Discovery runs in the background; devices appear as they are found.
 *
 * Return: the backend, or an ERR_PTR(): -EPERM/-EACCES when XSM policy
 * refuses our ring.
 */
struct va_backend *va_backend_create(u16 domid, size_t ring_size)
{
	struct argo_ring_params params = {
		.port = ARGO_PORT_ANY, .partner = domid, .size = ring_size,
		.rx = va_rx, .resumed = va_ring_resumed, .lost = va_ring_lost,
	};
	struct va_backend *be = kzalloc(sizeof(*be), GFP_KERNEL);
	int r = -ENOMEM;

	if (!be)
		return ERR_PTR(-ENOMEM);
	be->domid = domid;
	spin_lock_init(&be->lock);
	mutex_init(&be->req_mutex);
	INIT_LIST_HEAD(&be->devices);
	INIT_WORK(&be->work, va_backend_work);
	INIT_DELAYED_WORK(&be->tick, va_backend_tick);
	be->state = VA_BE_IDLE;
	be->link.max_size = VA_SIZE_MAX;	/* until CONNECT settles it */
	be->last_rx = jiffies;
	be->gone.domid = domid;
	be->gone.port = VA_BACKEND_PORT;
	be->gone.ready = va_backend_gone;
	INIT_WORK(&be->gone_work, va_gone_work);
	be->rxbuf = kmalloc(VA_CTRL_MAX, GFP_KERNEL);
	be->membuf = kvmalloc(VA_SIZE_MAX, GFP_KERNEL);
	be->retired = bitmap_zalloc(VA_DEV_NUMS, GFP_KERNEL);
	if (!be->rxbuf || !be->membuf || !be->retired)
		goto err;
	be->pdev = platform_device_register_simple("virtio-argo", domid,
						   NULL, 0);
	if (IS_ERR(be->pdev)) {
		r = PTR_ERR(be->pdev);
		be->pdev = NULL;
		goto err;
	}
	r = va_dma_setup(&be->pdev->dev);
	if (r)
		goto err;
	params.priv = be;
	be->ring = argo_ring_create(&params);
	if (IS_ERR(be->ring)) {
		r = PTR_ERR(be->ring);
		if (r == -EPERM || r == -EACCES)
			va_err(be, "registering our ring denied by XSM policy (%d): no devices",
			       r);
		else
			va_err(be, "registering our ring failed (%d)", r);
		goto err;
	}
	be->rescan = true;
	va_backend_kick(be);
	schedule_delayed_work(&be->tick, HZ);
	return be;

err:
	if (be->pdev)
		platform_device_unregister(be->pdev);
	bitmap_free(be->retired);
	kfree(be->rxbuf);
	kvfree(be->membuf);
	kfree(be);
	return ERR_PTR(r);
}

/**
 * va_backend_destroy() - remove a backend's devices and disconnect
 * @be: the backend
 *
 * Devices are unregistered the way unbinding their drivers would: a live
 * backend completes the I/O the drivers flush.
 */
void va_backend_destroy(struct va_backend *be)
{
	struct va_device *dev;

	/*
	 * The tick keeps running while the devices go: a backend that dies
	 * meanwhile is noticed and the drivers' last I/O fails instead of
	 * waiting forever.
	 */
	WRITE_ONCE(be->dying, true);
	cancel_work_sync(&be->work);
	while ((dev = va_next_victim(be, true)))
		va_backend_remove(be, dev);
	cancel_delayed_work_sync(&be->tick);
	/* Removal may have failed the backend and queued its work again. */
	cancel_work_sync(&be->work);
	/* no work is left to arm it again (va_discover) */
	argo_space_cancel(&be->gone);
	cancel_work_sync(&be->gone_work);
	argo_ring_destroy(be->ring);
	platform_device_unregister(be->pdev);
	bitmap_free(be->retired);
	kfree(be->rxbuf);
	kvfree(be->membuf);
	kfree(be);
}
