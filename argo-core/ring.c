// SPDX-License-Identifier: GPL-2.0
/*
 * Ring lifecycle and the receive side.
 *
 * Rings live on one list.  Creation and destruction take argo_rings_lock
 * (a mutex: both issue hypercalls and may sleep); the VIRQ handler walks
 * the list under RCU and only queues work, so a ring is unlinked, an RCU
 * grace period passes and its work is cancelled before its memory goes.
 * The pages are freed only after the hypervisor confirmed unregistration:
 * until then it may still write into them.
 */
#define pr_fmt(fmt) "argo-core: " fmt

#include <linux/kernel.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <xen/page.h>

#include "core.h"
#include "trace.h"

/* Ports handed out for ARGO_PORT_ANY: the upper half of the port space. */
#define ARGO_EPHEMERAL_FIRST	0x80000000U

static DEFINE_MUTEX(argo_rings_lock);
/* some ring was consumed since the last argo_notify() (any ring's) */
atomic_t argo_unnotified = ATOMIC_INIT(0);
static LIST_HEAD(argo_rings);
static u32 argo_next_port = ARGO_EPHEMERAL_FIRST;

/* Must hold argo_rings_lock. */
static struct argo_ring *argo_ring_find(u32 port, u16 partner)
{
	struct argo_ring *r;

	list_for_each_entry(r, &argo_rings, node)
		if (r->port == port && r->partner == partner)
			return r;
	return NULL;
}

/* Must hold argo_rings_lock. */
static u32 argo_alloc_port(u16 partner)
{
	u32 tries;

	for (tries = 0; tries < XEN_ARGO_MAX_RINGS_PER_DOMAIN + 1; tries++) {
		u32 port = argo_next_port++;

		if (argo_next_port == 0)
			argo_next_port = ARGO_EPHEMERAL_FIRST;
		if (!argo_ring_find(port, partner))
			return port;
	}
	return ARGO_PORT_ANY;	/* unreachable: fewer rings than tries */
}

/*
 * Register @r's pages with the hypervisor.  With @again (after resume) the
 * flags are 0, which makes the hypervisor replace its mapping and keep the
 * ring's indexes: unread messages survive.
 */
static int argo_ring_register(struct argo_ring *r, bool again)
{
	struct xen_argo_register_ring reg = {
		.aport = r->port,
		.partner_id = r->partner,
		.len = r->len,
	};
	__u64 *gfns;
	u32 i;
	int err;

	gfns = kvmalloc_array(r->npages, sizeof(*gfns), GFP_KERNEL);
	if (!gfns)
		return -ENOMEM;
	for (i = 0; i < r->npages; i++)
		gfns[i] = xen_page_to_gfn(vmalloc_to_page((u8 *)r->shared +
							  i * PAGE_SIZE));
	err = argo_mech->register_ring(&reg, gfns, r->npages,
				       again ? 0 : XEN_ARGO_REGISTER_FLAG_FAIL_EXIST);
	kvfree(gfns);
	trace_argo_ring_register(r->port, r->partner, r->len, again, err);
	return err;
}

static int argo_ring_unregister(struct argo_ring *r)
{
	struct xen_argo_unregister_ring unreg = {
		.aport = r->port,
		.partner_id = r->partner,
	};

	int err;

	err = argo_mech->unregister_ring(&unreg);
	trace_argo_ring_unregister(r->port, r->partner, err);
	return err;
}

static void argo_ring_rx_work(struct work_struct *work)
{
	struct argo_ring *r = container_of(work, struct argo_ring, rx_work);
	int gone;

	if (atomic_xchg(&r->resume_pending, 0) && r->params.resumed)
		r->params.resumed(r, r->params.priv);
	if (atomic_xchg(&r->lost_pending, 0)) {
		gone = READ_ONCE(r->gone);
		/* a client's argo_ring_reregister() may have won the race */
		if (gone && r->params.lost)
			r->params.lost(r, gone, r->params.priv);
	}
	if (r->params.rx)
		r->params.rx(r, r->params.priv);
	/*
	 * Release senders that waited for the space just freed, unless a
	 * client's own argo_notify() already covered it (argo-char notifies
	 * as its reader consumes, outside this work): a notify is a
	 * hypercall, and one per message was measured in every round trip.
	 */
	if (READ_ONCE(r->consumed)) {
		WRITE_ONCE(r->consumed, false);
		if (atomic_read(&argo_unnotified)) {
			atomic_long_inc(&r->notifies);
			argo_notify();
		}
	}
}

/*
 * Queue the ring's rx work: on the CPU that runs this (a per-CPU worker,
 * no other vCPU to wake) for clients that asked for it, else on any CPU.
 */
static void argo_ring_queue_rx(struct argo_ring *r)
{
	queue_work(r->params.rx_local ? argo_local_wq : argo_wq, &r->rx_work);
}

/**
 * argo_ring_has_data() - whether a ring may hold a message, cheaply
 * @ring: the ring
 *
 * Reads the two indexes only, without validating anything: suitable for
 * the VIRQ handler, for poll() and for deciding whether to sleep.
 * argo_ring_peek() is the authority on what is there.
 *
 * Return: true when the indexes differ.
 */
bool argo_ring_has_data(const struct argo_ring *ring)
{
	return READ_ONCE(ring->shared->tx_ptr) != READ_ONCE(ring->shared->rx_ptr);
}
EXPORT_SYMBOL_GPL(argo_ring_has_data);

/*
 * Called from the VIRQ handler (hard IRQ).  The interrupt does not say
 * which ring received data, so check each one cheaply.
 */
void argo_rings_kick(void)
{
	struct argo_ring *r;

	rcu_read_lock();
	list_for_each_entry_rcu(r, &argo_rings, node)
		if (argo_ring_has_data(r))
			argo_ring_queue_rx(r);
	rcu_read_unlock();
}

/*
 * Errors that registering again may outlive: the hypervisor answers
 * -EAGAIN while it tracks dirty pages for a migration, and memory may be
 * short for a moment.  Any other answer (a policy that refuses the ring,
 * a partner that no longer exists, a hypervisor without Argo) stays the
 * same however often it is asked.
 */
static bool argo_register_transient(int err)
{
	return err == -EAGAIN || err == -ENOMEM || err == -EBUSY;
}

/*
 * Give up on a ring that is not registered: tell its client, from the rx
 * work, with the errno that keeps it away.  The ring keeps its memory and
 * unread messages; only argo_ring_reregister() or argo_ring_destroy()
 * change it from here.  Must hold argo_rings_lock.
 */
static void argo_ring_mark_gone(struct argo_ring *r, int err, const char *why)
{
	lockdep_assert_held(&argo_rings_lock);
	r->lost = 0;
	WRITE_ONCE(r->gone, err);
	trace_argo_ring_lost(r->port, r->partner, err);
	pr_warn("ring port %#x partner %u lost (%s, error %d): its client is told\n",
		r->port, r->partner, why, err);
	atomic_set(&r->lost_pending, 1);
	argo_ring_queue_rx(r);
}

/*
 * After the domain was restored (or migrated), the hypervisor has no
 * rings for it: register each again, keeping its memory and indexes, then
 * let the rx work tell the client and drain what arrived meanwhile.  With
 * @retry only the rings whose registration failed with a transient error
 * last time are tried (the hypervisor answers -EAGAIN while it tracks
 * dirty pages); a lasting error marks the ring gone at once.  Rings given
 * up earlier stay gone: their clients decide (argo_ring_reregister()).
 *
 * Return: the number of rings still to retry; *@gone is increased by the
 * number marked gone.
 */
unsigned int argo_rings_resume(bool retry, unsigned int *gone)
{
	unsigned int lost = 0;
	struct argo_ring *r;
	int err;

	mutex_lock(&argo_rings_lock);
	list_for_each_entry(r, &argo_rings, node) {
		if (r->gone || (retry && !r->lost))
			continue;
		err = argo_ring_register(r, true);
		r->lost = err;
		if (err && !argo_register_transient(err)) {
			argo_ring_mark_gone(r, err,
					    "cannot register it again after resume");
			(*gone)++;
			continue;
		}
		if (err) {
			lost++;
			pr_warn_ratelimited("cannot register ring port %#x partner %u again after resume: error %d, retrying\n",
					    r->port, r->partner, err);
			continue;
		}
		atomic_set(&r->resume_pending, 1);
		argo_ring_queue_rx(r);
	}
	mutex_unlock(&argo_rings_lock);
	return lost;
}

/*
 * The retries after resume ran out: every ring still missing is gone,
 * with -ETIMEDOUT rather than the hypervisor's -EAGAIN, which a reader of
 * argo-char would take for "try again" (out of memory stays -ENOMEM).
 */
void argo_rings_give_up(void)
{
	struct argo_ring *r;

	mutex_lock(&argo_rings_lock);
	list_for_each_entry(r, &argo_rings, node)
		if (r->lost)
			argo_ring_mark_gone(r, r->lost == -ENOMEM ? -ENOMEM : -ETIMEDOUT,
					    "retries after resume ran out");
	mutex_unlock(&argo_rings_lock);
}

/*
 * debugfs "lose_ring": unregister a ring behind its client's back and
 * report it gone with @err, exactly as a resume that could not register
 * it again would, so that clients' handling of a lost ring can be tested
 * without a restore.
 */
int argo_ring_lose(u32 port, u16 partner, int err)
{
	struct argo_ring *r;
	int ret;

	mutex_lock(&argo_rings_lock);
	r = argo_ring_find(port, partner);
	ret = r ? (r->gone ? -EALREADY : argo_ring_unregister(r)) : -ENOENT;
	if (!ret)
		argo_ring_mark_gone(r, err, "lose_ring in debugfs");
	mutex_unlock(&argo_rings_lock);
	return ret;
}

/* The debugfs "rings" file: one line per ring. */
int argo_rings_show(struct seq_file *m)
{
	struct argo_ring *r;

	seq_puts(m, "port       partner len      rx_ptr   tx_ptr   rx_msgs  rx_bytes     tx_msgs  tx_bytes     full     notify   state\n");
	mutex_lock(&argo_rings_lock);
	list_for_each_entry(r, &argo_rings, node)
		seq_printf(m, "%#-10x %-7u %-8u %-8u %-8u %-8llu %-12llu %-8lu %-12lu %-8lu %-8lu %s\n",
			   r->port, r->partner, r->len,
			   READ_ONCE(r->shared->rx_ptr),
			   READ_ONCE(r->shared->tx_ptr),
			   READ_ONCE(r->rx_msgs), READ_ONCE(r->rx_bytes),
			   atomic_long_read(&r->tx_msgs),
			   atomic_long_read(&r->tx_bytes),
			   atomic_long_read(&r->tx_full),
			   atomic_long_read(&r->notifies),
			   r->broken ? "corrupt" : r->gone ? "lost" : "ok");
	mutex_unlock(&argo_rings_lock);
	return 0;
}

void argo_rings_assert_empty(void)
{
	mutex_lock(&argo_rings_lock);
	WARN_ON(!list_empty(&argo_rings));
	mutex_unlock(&argo_rings_lock);
}

static const char *argo_register_error(int err)
{
	switch (err) {
	case -EPERM:
		return "wildcard rings need Xen's argo=1,mac-permissive=1";
	case -ENOSPC:
		return "the hypervisor's limit of 128 rings per domain is reached";
	case -ESRCH:
		return "the partner domain does not exist";
	case -ECONNREFUSED:
		return "the partner domain has no Argo";
	case -EACCES:
		return "denied by XSM policy";
	default:
		return NULL;
	}
}

/**
 * argo_ring_create() - allocate and register a ring
 * @params: port, partner, size and receive callback; copied, so it may
 *	live on the caller's stack
 *
 * Context: process context; sleeps.
 * Return: the ring, or an ERR_PTR: -EINVAL for a bad size, -EADDRINUSE when
 * this domain already has a ring on (port, partner), -ENOMEM, or the
 * hypervisor's error (-EPERM wildcard ring without mac-permissive, -ENOSPC
 * ring limit, -ESRCH no such partner, an XSM denial).
 */
struct argo_ring *argo_ring_create(const struct argo_ring_params *params)
{
	struct argo_ring *r;
	const char *why;
	int err;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	err = argo_rb_geometry(params->size, &r->len, &r->npages);
	if (err)
		goto free_ring;
	r->partner = params->partner;
	r->params = *params;
	INIT_WORK(&r->rx_work, argo_ring_rx_work);
	/* charged to the caller's memory cgroup: any user can ask for one */
	r->shared = __vmalloc(r->npages * PAGE_SIZE,
			      GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!r->shared) {
		err = -ENOMEM;
		goto free_ring;
	}

	mutex_lock(&argo_rings_lock);
	r->port = params->port;
	if (r->port == ARGO_PORT_ANY)
		r->port = argo_alloc_port(r->partner);
	if (argo_ring_find(r->port, r->partner)) {
		err = -EADDRINUSE;
		goto unlock;
	}
	err = argo_ring_register(r, false);
	if (err == -EEXIST)
		err = -EADDRINUSE;	/* registered outside argo-core */
	if (err) {
		why = argo_register_error(err);
		pr_warn_ratelimited("cannot register ring port %#x partner %u: error %d%s%s\n",
				    r->port, r->partner, err,
				    why ? ": " : "", why ? why : "");
		goto unlock;
	}
	list_add_tail_rcu(&r->node, &argo_rings);
	mutex_unlock(&argo_rings_lock);
	/* a VIRQ between registration and the list add found no ring */
	if (argo_ring_has_data(r))
		argo_ring_queue_rx(r);
	return r;

unlock:
	mutex_unlock(&argo_rings_lock);
	vfree(r->shared);
free_ring:
	kfree(r);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(argo_ring_create);

/**
 * argo_ring_destroy() - unregister a ring and free it
 * @ring: a ring from argo_ring_create(); NULL or an ERR_PTR is ignored
 *
 * After return the rx callback is not running and will not run again.
 * Must not be called from the ring's own rx callback.
 *
 * Context: process context; sleeps.
 */
void argo_ring_destroy(struct argo_ring *ring)
{
	int err;

	if (IS_ERR_OR_NULL(ring))
		return;
	/*
	 * Unregister under the lock: the port becomes free for a new ring at
	 * once, and resume cannot register this ring again in between.
	 * -ENOENT means the hypervisor already forgot it (a resume that
	 * could not register it again).
	 */
	mutex_lock(&argo_rings_lock);
	list_del_rcu(&ring->node);
	err = argo_ring_unregister(ring);
	if (err == -ENOENT)
		err = 0;
	mutex_unlock(&argo_rings_lock);
	synchronize_rcu();		/* the VIRQ handler no longer sees it */
	cancel_work_sync(&ring->rx_work);

	if (err) {
		/*
		 * The hypervisor may still write to these pages: leaking them
		 * is the only safe choice.
		 */
		pr_err("unregister of ring port %#x failed (error %d): leaking its %u pages\n",
		       ring->port, err, ring->npages);
	} else {
		vfree(ring->shared);
	}
	kfree(ring);
}
EXPORT_SYMBOL_GPL(argo_ring_destroy);

/**
 * argo_ring_port() - the local port a ring is bound to
 * @ring: the ring
 *
 * Return: the port (the allocated one for %ARGO_PORT_ANY).
 */
u32 argo_ring_port(const struct argo_ring *ring)
{
	return ring->port;
}
EXPORT_SYMBOL_GPL(argo_ring_port);

/**
 * argo_ring_partner() - the domain allowed to send to a ring
 * @ring: the ring
 *
 * Return: a domid, or %ARGO_DOMID_ANY.
 */
u16 argo_ring_partner(const struct argo_ring *ring)
{
	return ring->partner;
}
EXPORT_SYMBOL_GPL(argo_ring_partner);

/**
 * argo_ring_size() - the ring's data area after rounding to whole pages
 * @ring: the ring
 *
 * Return: the data area length in bytes; the largest message it can hold
 * is this minus 32 bytes.
 */
size_t argo_ring_size(const struct argo_ring *ring)
{
	return ring->len;
}
EXPORT_SYMBOL_GPL(argo_ring_size);

/**
 * argo_ring_priv() - the private pointer given at creation
 * @ring: the ring
 *
 * Return: &argo_ring_params.priv.
 */
void *argo_ring_priv(const struct argo_ring *ring)
{
	return ring->params.priv;
}
EXPORT_SYMBOL_GPL(argo_ring_priv);

/**
 * argo_ring_flush() - wait until the rx callback handled what the ring holds
 * @ring: the ring
 *
 * For a client that learned a peer is gone (argo_watch_ring()) and must
 * first take what that peer sent before it died: every message the peer
 * put in the ring before its ring went is in it already.
 *
 * Context: process context; sleeps.  Not from the ring's own callbacks,
 * nor holding a lock they take.
 */
void argo_ring_flush(struct argo_ring *ring)
{
	if (argo_ring_has_data(ring))
		argo_ring_queue_rx(ring);
	flush_work(&ring->rx_work);
}
EXPORT_SYMBOL_GPL(argo_ring_flush);

/**
 * argo_ring_error() - why a ring is not registered with the hypervisor
 * @ring: the ring
 *
 * A ring is lost when argo-core could not register it again after the
 * domain was restored or migrated (its &argo_ring_params.lost callback
 * said so).  A lost ring receives nothing; the messages it held stay
 * readable, and sends from its port still work.
 *
 * Return: 0 while the ring is registered, else the negative errno that
 * keeps it away (-EACCES: XSM policy refuses it, -ESRCH: its partner does
 * not exist, -ETIMEDOUT: the hypervisor kept refusing for a while, ...).
 */
int argo_ring_error(const struct argo_ring *ring)
{
	return READ_ONCE(ring->gone);
}
EXPORT_SYMBOL_GPL(argo_ring_error);

/**
 * argo_ring_reregister() - try to register a lost ring again
 * @ring: the ring
 *
 * For a client that wants its ring back once the cause went away (a
 * policy that allows it again, say): the ring keeps its port, partner,
 * memory and unread messages.  A ring that is registered is left alone.
 * The hypervisor logs each refusal, so a client retrying should do so
 * rarely.
 *
 * Context: process context; sleeps.  Not from the ring's own callbacks.
 * Return: 0 when the ring is registered, else the hypervisor's error (the
 * ring stays lost, and argo_ring_error() keeps its first errno).
 */
int argo_ring_reregister(struct argo_ring *ring)
{
	int err = 0;

	mutex_lock(&argo_rings_lock);
	if (ring->gone) {
		err = argo_ring_register(ring, true);
		if (!err) {
			WRITE_ONCE(ring->gone, 0);
			pr_info("ring port %#x partner %u registered again\n",
				ring->port, ring->partner);
			argo_ring_queue_rx(ring);
		}
	}
	mutex_unlock(&argo_rings_lock);
	return err;
}
EXPORT_SYMBOL_GPL(argo_ring_reregister);

/**
 * argo_ring_peek() - look at the message at the head of a ring
 * @ring: the ring
 * @info: filled with the message's length, source and type
 *
 * Callers must serialise peek, copy and consume on one ring; the rx
 * callback is serialised with itself already.
 *
 * Return: 0, -EAGAIN when the ring is empty, or -EIO when the ring's
 * contents are inconsistent (the ring is then unusable and stays so).
 */
int argo_ring_peek(struct argo_ring *ring, struct argo_msg_info *info)
{
	u32 rx, tx;
	int err;

	if (ring->broken)
		return -EIO;
	rx = READ_ONCE(ring->shared->rx_ptr);
	/* pairs with the hypervisor's write barrier before it moves tx_ptr */
	tx = smp_load_acquire(&ring->shared->tx_ptr);
	err = argo_rb_peek(ring->shared->ring, ring->len, rx, tx, &ring->cur);
	if (err == -EIO) {
		ring->broken = true;
		pr_err_ratelimited("ring port %#x is corrupt (rx %u tx %u len %u): ignoring it\n",
				   ring->port, rx, tx, ring->len);
	}
	ring->cur_valid = !err;
	if (err)
		return err;
	info->len = ring->cur.payload_len;
	info->src_domid = ring->cur.src_domid;
	info->src_port = ring->cur.src_port;
	info->type = ring->cur.type;
	return 0;
}
EXPORT_SYMBOL_GPL(argo_ring_peek);

/**
 * argo_ring_copy() - copy payload bytes of the message last peeked
 * @ring: the ring
 * @offset: first payload byte to copy
 * @buf: destination (kernel memory)
 * @count: at most this many bytes
 *
 * Several calls with growing @offset scatter one message into several
 * buffers.
 *
 * Return: bytes copied; 0 past the end or when no message was peeked.
 */
size_t argo_ring_copy(struct argo_ring *ring, size_t offset, void *buf,
		      size_t count)
{
	if (!ring->cur_valid)
		return 0;
	return argo_rb_copy(ring->shared->ring, ring->len, &ring->cur, offset,
			    buf, count);
}
EXPORT_SYMBOL_GPL(argo_ring_copy);

/**
 * argo_ring_copy_to_iter() - copy payload bytes of the message last peeked
 * @ring: the ring
 * @offset: first payload byte to copy
 * @to: destination (user or kernel memory); advanced by what was copied
 * @count: at most this many bytes
 *
 * The same as argo_ring_copy() for an iov_iter, so that argo-char copies
 * straight from the ring to userspace.  May fault in user pages.
 *
 * Context: process context; may sleep.
 * Return: bytes copied; fewer than asked when a user page faulted.
 */
size_t argo_ring_copy_to_iter(struct argo_ring *ring, size_t offset,
			      struct iov_iter *to, size_t count)
{
	size_t n, first, done;
	u32 pos;

	if (!ring->cur_valid)
		return 0;
	n = argo_rb_span(ring->len, &ring->cur, offset, count, &pos, &first);
	if (!n)
		return 0;
	done = copy_to_iter(ring->shared->ring + pos, first, to);
	if (done == first && n > first)
		done += copy_to_iter(ring->shared->ring, n - first, to);
	return done;
}
EXPORT_SYMBOL_GPL(argo_ring_copy_to_iter);

/**
 * argo_ring_consume() - drop the message last peeked
 * @ring: the ring
 *
 * Senders waiting for space are released after the rx callback returns;
 * a client that consumes outside its callback calls argo_notify() itself
 * once it has consumed a batch.
 */
void argo_ring_consume(struct argo_ring *ring)
{
	if (!ring->cur_valid)
		return;
	trace_argo_receive(ring->port, ring->cur.src_domid, ring->cur.src_port,
			   ring->cur.payload_len, ring->cur.type);
	WRITE_ONCE(ring->rx_msgs, ring->rx_msgs + 1);
	WRITE_ONCE(ring->rx_bytes, ring->rx_bytes + ring->cur.payload_len);
	/* the payload reads above must complete before the space is reused */
	smp_store_release(&ring->shared->rx_ptr, ring->cur.next_rx);
	ring->cur_valid = false;
	WRITE_ONCE(ring->consumed, true);
	/* ordered after the index: see argo_notify() */
	atomic_set_release(&argo_unnotified, 1);
}
EXPORT_SYMBOL_GPL(argo_ring_consume);
