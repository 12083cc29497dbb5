// SPDX-License-Identifier: GPL-2.0
/*
 * argo-char: notices, what a file asks to be told about destinations.
 *
 * A backend serving many guests from one file needs two things Argo only
 * answers when asked: "does guest G's ring have room for N bytes now" and
 * "is guest G's ring still there".  Each armed notice is one argo-core
 * space waiter (argo_space_wait() or argo_watch_ring()), so argo-core puts
 * the questions of every file and every kernel client into one hypercall.
 * When one fires, its ready() callback moves it to the file's queue of
 * fired notices, and poll() reports POLLPRI until ARGO_IOC_NOTICE took
 * them all.
 *
 * Locking: @lock guards both lists and each notice's state; ready() runs
 * with argo-core's callback lock held and takes it, so argo-core is never
 * called with @lock held, and no user memory is touched under it (a page
 * fault must not stall argo-core's notices for everyone).  @op_lock
 * serialises the file's arming and disarming, which call argo-core: a
 * notice leaving while armed is marked @dropping and unlinked under
 * @lock, then cancelled (cancel waits for a ready() in progress, which
 * sees @dropping and leaves it alone) and freed.  Order: @op_lock, then
 * argo-core's locks, then @lock.
 */
#include <linux/kernel.h>
#include <linux/argo.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/argo.h>

#include "notice.h"

/* Armed and unread notices one file may hold, and all files together. */
#define ARGO_NOTICES_MAX	1024
#define ARGO_NOTICES_TOTAL	16384

static atomic_t argo_notices_total = ATOMIC_INIT(0);

/* Xen's first reserved domid (DOMID_SELF and up): never a valid address. */
#define ARGO_NOTICE_DOMID_LIMIT	0x7FF0U

struct argo_notice_item {
	struct argo_space_waiter w;
	struct argo_notices *owner;
	struct list_head node;		/* on owner->armed or owner->fired */
	u32 kind;
	int status;
	bool dropping;
};

void argo_notices_init(struct argo_notices *n, wait_queue_head_t *wq)
{
	mutex_init(&n->op_lock);
	mutex_init(&n->lock);
	INIT_LIST_HEAD(&n->armed);
	INIT_LIST_HEAD(&n->fired);
	n->count = 0;
	n->wq = wq;
}

static void argo_notice_ready(struct argo_space_waiter *w, int status)
{
	struct argo_notice_item *it = container_of(w, struct argo_notice_item, w);
	struct argo_notices *n = it->owner;

	mutex_lock(&n->lock);
	if (!it->dropping) {
		it->status = status;
		list_move_tail(&it->node, &n->fired);
		/* under n->lock: the file may be released once we drop it */
		wake_up_interruptible_poll(n->wq, EPOLLPRI);
	}
	mutex_unlock(&n->lock);
}

static struct argo_notice_item *argo_notice_find(struct list_head *list,
						 const struct argo_notice *a)
{
	struct argo_notice_item *it;

	list_for_each_entry(it, list, node)
		if (it->kind == a->kind && it->w.domid == a->addr.domid &&
		    it->w.port == a->addr.port)
			return it;
	return NULL;
}

/* Copy and check the user's notice; @arming: ARGO_IOC_WATCH's rules. */
static int argo_notice_from_user(struct argo_notice *a,
				 const struct argo_notice __user *ua, bool arming)
{
	if (copy_from_user(a, ua, sizeof(*a)))
		return -EFAULT;
	if (a->pad || a->addr.pad || a->addr.domid >= ARGO_NOTICE_DOMID_LIMIT)
		return -EINVAL;
	if (a->kind != ARGO_NOTICE_SPACE && a->kind != ARGO_NOTICE_GONE)
		return -EINVAL;
	if (!arming)
		return 0;
	if (a->status)
		return -EINVAL;
	/*
	 * Room for nothing is always there, and asking about it would cancel
	 * the hypervisor's pending notification for the domain's other
	 * senders to that ring.
	 */
	if (a->kind == ARGO_NOTICE_SPACE)
		return !a->len || a->len > ARGO_RING_MAX_SIZE ? -EINVAL : 0;
	return a->len ? -EINVAL : 0;
}

/* Take @it off the lists for good: its ready() will not touch it. */
static void argo_notice_unlink(struct argo_notices *n,
			       struct argo_notice_item *it)
{
	lockdep_assert_held(&n->lock);
	it->dropping = true;
	list_del_init(&it->node);
	n->count--;
	atomic_dec(&argo_notices_total);
}

/* After argo_notice_unlink() of an armed notice, without n->lock. */
static void argo_notice_free_armed(struct argo_notice_item *it)
{
	argo_space_cancel(&it->w);
	kfree(it);
}

/**
 * argo_notice_watch() - ARGO_IOC_WATCH: arm a notice
 * @n: the file's notices
 * @ua: the user's struct argo_notice
 *
 * Return: 0, -EINVAL, -EFAULT, -ENOSPC or -ENOMEM.
 */
long argo_notice_watch(struct argo_notices *n, const struct argo_notice __user *ua)
{
	struct argo_notice_item *it, *old;
	struct argo_notice a;
	long err;

	err = argo_notice_from_user(&a, ua, true);
	if (err)
		return err;
	it = kzalloc(sizeof(*it), GFP_KERNEL_ACCOUNT);
	if (!it)
		return -ENOMEM;
	it->owner = n;
	it->kind = a.kind;
	it->w.domid = a.addr.domid;
	it->w.port = a.addr.port;
	it->w.len = a.len;
	it->w.ready = argo_notice_ready;

	mutex_lock(&n->op_lock);
	mutex_lock(&n->lock);
	old = argo_notice_find(&n->armed, &a);
	if (old && (old->kind == ARGO_NOTICE_GONE || old->w.len == a.len)) {
		mutex_unlock(&n->lock);
		kfree(it);		/* armed already, as asked */
		goto out;
	}
	if (old)			/* another length: arm it anew */
		argo_notice_unlink(n, old);
	if (n->count >= ARGO_NOTICES_MAX ||
	    !atomic_add_unless(&argo_notices_total, 1, ARGO_NOTICES_TOTAL)) {
		mutex_unlock(&n->lock);
		kfree(it);
		err = -ENOSPC;
		goto free_old;
	}
	list_add_tail(&it->node, &n->armed);
	n->count++;
	mutex_unlock(&n->lock);
	if (a.kind == ARGO_NOTICE_SPACE)
		argo_space_wait(&it->w);
	else
		argo_watch_ring(&it->w);
free_old:
	if (old)
		argo_notice_free_armed(old);
out:
	mutex_unlock(&n->op_lock);
	return err;
}

/**
 * argo_notice_unwatch() - ARGO_IOC_UNWATCH: disarm a notice, or drop it unread
 * @n: the file's notices
 * @ua: the user's struct argo_notice (@len and @status are ignored)
 *
 * Return: 0, -EINVAL, -EFAULT, or -ENOENT when there is no such notice.
 */
long argo_notice_unwatch(struct argo_notices *n,
			 const struct argo_notice __user *ua)
{
	struct argo_notice_item *it;
	struct argo_notice a;
	bool armed = true;
	long err;

	err = argo_notice_from_user(&a, ua, false);
	if (err)
		return err;
	mutex_lock(&n->op_lock);
	mutex_lock(&n->lock);
	it = argo_notice_find(&n->armed, &a);
	if (!it) {
		armed = false;
		it = argo_notice_find(&n->fired, &a);
	}
	if (it)
		argo_notice_unlink(n, it);
	mutex_unlock(&n->lock);
	if (!it)
		err = -ENOENT;
	else if (armed)
		argo_notice_free_armed(it);
	else
		kfree(it);		/* fired: its ready() is done with it */
	mutex_unlock(&n->op_lock);
	return err;
}

/**
 * argo_notice_take() - ARGO_IOC_NOTICE: the oldest fired notice
 * @n: the file's notices
 * @ua: where to copy it
 *
 * Return: 0, -EAGAIN when none waits, or -EFAULT (the notice stays).
 */
long argo_notice_take(struct argo_notices *n, struct argo_notice __user *ua)
{
	struct argo_notice_item *it;
	struct argo_notice a = { };

	mutex_lock(&n->lock);
	it = list_first_entry_or_null(&n->fired, struct argo_notice_item, node);
	if (it)
		list_del_init(&it->node);
	mutex_unlock(&n->lock);
	if (!it)
		return -EAGAIN;
	a.addr.domid = it->w.domid;
	a.addr.port = it->w.port;
	a.kind = it->kind;
	a.len = it->kind == ARGO_NOTICE_SPACE ? it->w.len : 0;
	a.status = it->status;
	/* outside n->lock: a fault here must not hold up ready() */
	if (copy_to_user(ua, &a, sizeof(a))) {
		mutex_lock(&n->lock);
		list_add(&it->node, &n->fired);		/* it stays, first */
		mutex_unlock(&n->lock);
		return -EFAULT;
	}
	mutex_lock(&n->lock);
	n->count--;
	mutex_unlock(&n->lock);
	atomic_dec(&argo_notices_total);
	kfree(it);
	return 0;
}

/* poll(): whether a fired notice waits. */
bool argo_notices_pending(struct argo_notices *n)
{
	return !list_empty_careful(&n->fired);
}

/*
 * The file is released: every notice goes.  Each is cancelled, the fired
 * ones too: argo_space_cancel() of a notice argo-core no longer holds
 * waits for the ready() calls in progress, one of which may have just
 * moved it and not yet let go of n->lock, which lives in the file.
 */
void argo_notices_release(struct argo_notices *n)
{
	struct argo_notice_item *it, *tmp;
	LIST_HEAD(all);

	mutex_lock(&n->op_lock);
	mutex_lock(&n->lock);
	list_for_each_entry(it, &n->armed, node)
		it->dropping = true;		/* ready() leaves it alone */
	list_splice_init(&n->armed, &all);
	list_splice_init(&n->fired, &all);
	atomic_sub(n->count, &argo_notices_total);
	n->count = 0;
	mutex_unlock(&n->lock);
	list_for_each_entry_safe(it, tmp, &all, node) {
		list_del(&it->node);
		argo_notice_free_armed(it);
	}
	mutex_unlock(&n->op_lock);
}
