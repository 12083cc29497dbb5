// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting for room at a destination ring without polling.
 *
 * A sender whose sendv came back -EAGAIN (ring full) or -EBUSY (too many
 * senders already waiting there) queues an argo_space_waiter.  One work
 * item puts every queued waiter into a single notify hypercall with its
 * space_required: the hypervisor answers for each whether there is room
 * now, and for those without room remembers to raise VIRQ_ARGO here when
 * the receiver frees some.  Each VIRQ reruns the work, which hands the
 * waiters that have room (or whose destination vanished) to their ready
 * callbacks, outside the lock.
 *
 * Two cases get no VIRQ, so the work also reruns on a timer while waiters
 * remain: the hypervisor queues no wakeup for an -EBUSY destination, and
 * a destination domain that dies takes its pending-sender list with it.
 *
 * Watches of a destination ring (argo_watch_ring()) ride on the same
 * queries: Argo tells nobody when a ring or its domain goes, so one
 * notify call every ARGO_SPACE_RECHECK asks about every watched ring of
 * every client at once, and a ring found missing fires its watch.  A
 * watch asks for more room than any ring holds: the hypervisor then only
 * says whether the ring exists, and leaves the domain's pending
 * notification for that ring alone (any achievable size would cancel or
 * replace it, and a sender waiting there would miss its VIRQ).  For the
 * same reason each pass asks about its senders smallest first, across all
 * its notify calls (one call takes 256): the hypervisor keeps one pending
 * size per ring and domain, raises it to the largest query that found no
 * room, and drops it when a query finds room.  A small query that fits,
 * asked after a large one that did not, would leave the large sender
 * without a VIRQ until the next recheck.
 */
#define pr_fmt(fmt) "argo-core: " fmt

#include <linux/kernel.h>
#include <linux/export.h>
#include <linux/completion.h>
#include <linux/list_sort.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "core.h"
#include "trace.h"

/* Recheck interval while waiters remain (see above). */
#define ARGO_SPACE_RECHECK	(HZ / 2)

/*
 * argo_space_lock guards the list; argo_space_cb_lock is held while ready
 * callbacks run, so that argo_space_cancel() can wait for them.
 */
static DEFINE_MUTEX(argo_space_lock);
static DEFINE_MUTEX(argo_space_cb_lock);
static LIST_HEAD(argo_space_waiters);
static unsigned int argo_space_count;
/* of which senders (not watches): only they want a recheck on each VIRQ */
static unsigned int argo_space_senders;

static void argo_space_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(argo_space_work, argo_space_work_fn);

/*
 * Called from the VIRQ handler, after resume, and after a query that
 * found room (argo_query(): it dropped the senders' pending notification).
 */
void argo_space_kick(void)
{
	if (READ_ONCE(argo_space_senders))
		mod_delayed_work(argo_wq, &argo_space_work, 0);
}

/* Module exit: clients are gone, and must have cancelled their waiters. */
void argo_space_exit(void)
{
	WARN_ON(READ_ONCE(argo_space_count));
	cancel_delayed_work_sync(&argo_space_work);
}

/* debugfs: senders waiting for room (@watches: rings watched). */
unsigned int argo_space_waiting(unsigned int *watches)
{
	unsigned int senders = READ_ONCE(argo_space_senders);

	*watches = READ_ONCE(argo_space_count) - senders;
	return senders;
}

/* @w left the list.  Must hold argo_space_lock. */
static void argo_space_dequeued(const struct argo_space_waiter *w)
{
	argo_space_count--;
	if (!w->watch)
		argo_space_senders--;
}

static int argo_space_status(const struct argo_space_waiter *w,
			     const struct xen_argo_ring_data_ent *ent)
{
	if (w->watch)
		return ent->flags & XEN_ARGO_RING_EXISTS ? 1 : -ECONNRESET;
	if (!(ent->flags & XEN_ARGO_RING_EXISTS))
		return -ECONNREFUSED;
	if (ent->flags & XEN_ARGO_RING_EMSGSIZE)
		return -EMSGSIZE;
	if (ent->flags & XEN_ARGO_RING_SUFFICIENT)
		return 0;
	return 1;	/* keep waiting */
}

/* The room a waiter asks the hypervisor about. */
static u32 argo_space_asks(const struct argo_space_waiter *w)
{
	return w->watch ? U32_MAX : w->len;
}

static void argo_space_fill(struct xen_argo_ring_data_ent *ent,
			    const struct argo_space_waiter *w)
{
	memset(ent, 0, sizeof(*ent));
	ent->ring.aport = w->port;
	ent->ring.domain_id = w->domid;
	ent->space_required = argo_space_asks(w);
}

/* list_sort() order: smallest query first, watches (U32_MAX) last. */
static int argo_space_cmp(void *priv, const struct list_head *a,
			  const struct list_head *b)
{
	u32 la = argo_space_asks(list_entry(a, struct argo_space_waiter, node));
	u32 lb = argo_space_asks(list_entry(b, struct argo_space_waiter, node));

	return la > lb;
}

/*
 * Ask the hypervisor about @n waiters (at most XEN_ARGO_MAX_NOTIFY_COUNT,
 * in argo_space_cmp() order) in one notify call; @status receives, per
 * waiter, the status for ready() or 1 to keep waiting.  Must hold
 * argo_space_lock.
 */
static void argo_space_query(struct xen_argo_ring_data *rd,
			     struct argo_space_waiter **batch, unsigned int n,
			     int *status)
{
	unsigned int i;
	int err;

	rd->nent = n;
	for (i = 0; i < n; i++)
		argo_space_fill(&rd->data[i], batch[i]);
	err = argo_mech->notify(rd);
	trace_argo_notify(n, err);
	if (!err) {
		for (i = 0; i < n; i++)
			status[i] = argo_space_status(batch[i], &rd->data[i]);
	} else if (n == 1) {
		status[0] = err;
	} else {
		/*
		 * One entry the policy denies fails the whole call: ask about
		 * each alone so that only the denied waiters see the error.
		 */
		for (i = 0; i < n; i++)
			argo_space_query(rd, &batch[i], 1, &status[i]);
	}
}

static void argo_space_work_fn(struct work_struct *work)
{
	struct argo_space_waiter **batch, *w, *tmp;
	struct xen_argo_ring_data *rd;
	unsigned int n, i;
	LIST_HEAD(done);
	int *status;

	rd = kvzalloc(struct_size(rd, data, XEN_ARGO_MAX_NOTIFY_COUNT), GFP_KERNEL);
	batch = kcalloc(XEN_ARGO_MAX_NOTIFY_COUNT, sizeof(*batch), GFP_KERNEL);
	status = kcalloc(XEN_ARGO_MAX_NOTIFY_COUNT, sizeof(*status), GFP_KERNEL);
	if (!rd || !batch || !status) {
		queue_delayed_work(argo_wq, &argo_space_work, ARGO_SPACE_RECHECK);
		goto out;
	}

	mutex_lock(&argo_space_lock);
	/* stable: senders of one size keep their order of arrival */
	list_sort(NULL, &argo_space_waiters, argo_space_cmp);
	w = list_first_entry_or_null(&argo_space_waiters,
				     struct argo_space_waiter, node);
	while (w) {
		/* the next batch, in list order */
		n = 0;
		list_for_each_entry_from(w, &argo_space_waiters, node) {
			if (n == XEN_ARGO_MAX_NOTIFY_COUNT)
				break;
			batch[n++] = w;
		}
		argo_space_query(rd, batch, n, status);
		/* w is the first waiter of the next batch, or the list head */
		for (i = 0; i < n; i++) {
			if (status[i] > 0)
				continue;
			batch[i]->status = status[i];
			list_move_tail(&batch[i]->node, &done);
			batch[i]->queued = false;
			argo_space_dequeued(batch[i]);
		}
		if (list_entry_is_head(w, &argo_space_waiters, node))
			break;
	}
	/* queue_delayed_work: a kick that came meanwhile stays immediate */
	if (argo_space_count)
		queue_delayed_work(argo_wq, &argo_space_work, ARGO_SPACE_RECHECK);
	/*
	 * Take the callback lock before dropping the list lock: a waiter
	 * moved to @done is no longer "queued", so argo_space_cancel() relies
	 * on the callback lock alone to wait for its ready() call.
	 */
	mutex_lock(&argo_space_cb_lock);
	mutex_unlock(&argo_space_lock);

	list_for_each_entry_safe(w, tmp, &done, node) {
		list_del_init(&w->node);
		w->ready(w, w->status);
	}
	mutex_unlock(&argo_space_cb_lock);
out:
	kvfree(rd);
	kfree(batch);
	kfree(status);
}

/* Queue @w as a wait for room, or as a watch of its ring. */
static void argo_space_queue(struct argo_space_waiter *w, bool watch)
{
	mutex_lock(&argo_space_lock);
	if (!w->queued) {
		w->watch = watch;
		w->queued = true;
		list_add_tail(&w->node, &argo_space_waiters);
		argo_space_count++;
		if (!watch)
			argo_space_senders++;
	}
	mutex_unlock(&argo_space_lock);
	/*
	 * A sender is asked about at once.  A new watch waits for the next
	 * pass if one is due (within ARGO_SPACE_RECHECK): arming and
	 * disarming watches in a loop must not make the work run back to back.
	 */
	if (watch)
		queue_delayed_work(argo_wq, &argo_space_work, 0);
	else
		mod_delayed_work(argo_wq, &argo_space_work, 0);
}

/**
 * argo_space_wait() - ask to be told when a destination has room
 * @w: the waiter: @w->domid, @w->port, @w->len and @w->ready set by the
 *	caller; it must stay valid until ready() ran or argo_space_cancel()
 *	returned
 *
 * Queuing a waiter that is already queued does nothing.  @w->ready is
 * called exactly once per queuing, in process context.
 *
 * Context: process context.
 */
void argo_space_wait(struct argo_space_waiter *w)
{
	argo_space_queue(w, false);
}
EXPORT_SYMBOL_GPL(argo_space_wait);

/**
 * argo_watch_ring() - ask to be told when a destination ring goes away
 * @w: the watch: @w->domid, @w->port and @w->ready set by the caller; it
 *	must stay valid until ready() ran or argo_space_cancel() returned
 *
 * Argo has no event for a ring that goes (its domain destroyed, its owner
 * unregistered it): argo-core asks the hypervisor about every watched ring
 * twice a second, all of them in one hypercall.  @w->ready is called once,
 * in process context, with -ECONNRESET when no ring is there for us any
 * more (also when there never was one), or the hypervisor's errno when it
 * refuses the query (an XSM denial: -EACCES, -EPERM).  Cancel it with
 * argo_space_cancel(); queuing it again watches again.
 *
 * Context: process context.
 */
void argo_watch_ring(struct argo_space_waiter *w)
{
	argo_space_queue(w, true);
}
EXPORT_SYMBOL_GPL(argo_watch_ring);

/**
 * argo_space_cancel() - stop waiting
 * @w: a waiter given to argo_space_wait()
 *
 * On return ready() is not running and will not be called for this
 * queuing.  Must not be called from a ready() callback.
 *
 * Context: process context; may sleep.
 */
void argo_space_cancel(struct argo_space_waiter *w)
{
	bool was_queued;

	mutex_lock(&argo_space_lock);
	was_queued = w->queued;
	if (was_queued) {
		list_del_init(&w->node);
		w->queued = false;
		argo_space_dequeued(w);
	}
	mutex_unlock(&argo_space_lock);
	/* ready() may be running for it right now: wait until it returned */
	if (!was_queued) {
		mutex_lock(&argo_space_cb_lock);
		mutex_unlock(&argo_space_cb_lock);
	}
}
EXPORT_SYMBOL_GPL(argo_space_cancel);

struct argo_sync_waiter {
	struct argo_space_waiter w;
	struct completion done;
	int status;
};

static void argo_sync_ready(struct argo_space_waiter *w, int status)
{
	struct argo_sync_waiter *s = container_of(w, struct argo_sync_waiter, w);

	s->status = status;
	complete(&s->done);
}

/**
 * argo_sendv_wait() - send one message, waiting while the destination is full
 * @from: the ring whose port is the source address
 * @domid: destination domain
 * @port: destination port
 * @iov: the payload, in kernel memory
 * @niov: number of entries in @iov
 * @type: message_type
 * @timeout: longest wait in jiffies; MAX_SCHEDULE_TIMEOUT for no limit, 0
 *	to behave as argo_sendv()
 *
 * Like argo_sendv(), but when the destination ring is full (-EAGAIN,
 * -EBUSY) sleeps, interruptibly, until the hypervisor reports room, then
 * tries again.
 *
 * Context: process context; sleeps.
 * Return: as argo_sendv(); -EAGAIN after @timeout; -ERESTARTSYS when a
 * signal interrupted the wait.
 */
ssize_t argo_sendv_wait(struct argo_ring *from, u16 domid, u32 port,
			const struct kvec *iov, unsigned int niov, u32 type,
			long timeout)
{
	struct argo_sync_waiter s = { };
	size_t len = argo_iov_len(iov, niov);
	ssize_t ret;
	long left;

	for (;;) {
		ret = argo_sendv(from, domid, port, iov, niov, type);
		if ((ret != -EAGAIN && ret != -EBUSY) || !timeout)
			return ret;

		init_completion(&s.done);
		s.w.domid = domid;
		s.w.port = port;
		s.w.len = len;
		s.w.ready = argo_sync_ready;
		argo_space_wait(&s.w);
		left = wait_for_completion_interruptible_timeout(&s.done, timeout);
		argo_space_cancel(&s.w);
		if (left < 0)
			return left;		/* -ERESTARTSYS */
		if (!left && !completion_done(&s.done))
			return -EAGAIN;
		if (timeout != MAX_SCHEDULE_TIMEOUT)
			timeout = max(left, 1L);
		/* status < 0: the next sendv reports the definitive error */
	}
}
EXPORT_SYMBOL_GPL(argo_sendv_wait);
