// SPDX-License-Identifier: GPL-2.0
/*
 * argo-char: one open file of /dev/argo is one Argo endpoint.
 *
 * Locking: @lock guards binding and the connected peer (both change
 * rarely); @rx_lock serialises receivers, because peek, copy and consume
 * of one ring must not interleave.  Senders take no endpoint lock: each
 * send copies the caller's bytes into a buffer of its own and issues one
 * hypercall, so threads sending on one file do not wait for each other.
 * Nothing here sleeps or copies from userspace under a spinlock.
 */
#define pr_fmt(fmt) "argo-char: " fmt

#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/argo.h>
#include <uapi/linux/argo.h>

#include "endpoint.h"
#include "notice.h"

/*
 * Receivers tell the hypervisor about freed space once the ring is empty
 * or after this many messages, whichever comes first: one hypercall per
 * message would halve the message rate, and a reader only sleeps on an
 * empty ring, after notifying, so no sender waits forever.
 */
#define ARGO_NOTIFY_BATCH	16

struct argo_ep {
	struct mutex lock;		/* binding and the connected peer */
	struct mutex rx_lock;		/* serialises receivers */
	struct argo_ring *ring;
	struct argo_addr peer;
	bool connected;
	wait_queue_head_t rx_wq;
	wait_queue_head_t tx_wq;
	/* POLLOUT for the connected peer: see argo_ep_poll() */
	struct argo_space_waiter tx_waiter;
	bool tx_full;
	atomic_t inflight;
	unsigned int unnotified;
	int err;	/* the ring was lost: every later call fails so */
	struct argo_notices notices;
};

/* Xen's first reserved domid (DOMID_SELF and up): never a valid address. */
#define ARGO_DOMID_FIRST_RESERVED	0x7FF0U

static bool argo_domid_valid(u32 domid)
{
	return domid < ARGO_DOMID_FIRST_RESERVED;
}

/* The ring once bound; bound endpoints never unbind before release. */
static struct argo_ring *argo_ep_ring(struct argo_ep *ep)
{
	/* pairs with the release in argo_ep_bind(): the ring is complete */
	return smp_load_acquire(&ep->ring);
}

static void argo_ep_rx(struct argo_ring *ring, void *priv)
{
	struct argo_ep *ep = priv;

	wake_up_interruptible_poll(&ep->rx_wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * argo-core could not register the ring again after a restore or
 * migration: nothing more will arrive.  Readers get what the ring still
 * holds, then the errno; poll() reports EPOLLERR.  The endpoint stays
 * failed until it is closed (a new open and bind gets a new ring).
 */
static void argo_ep_lost(struct argo_ring *ring, int err, void *priv)
{
	struct argo_ep *ep = priv;

	WRITE_ONCE(ep->err, err);
	pr_info_ratelimited("ring port %#x lost (error %d): its endpoint fails\n",
			    argo_ring_port(ring), err);
	wake_up_interruptible_poll(&ep->rx_wq, EPOLLERR);
	wake_up_interruptible_poll(&ep->tx_wq, EPOLLERR);
}

static void argo_ep_tx_ready(struct argo_space_waiter *w, int status)
{
	struct argo_ep *ep = container_of(w, struct argo_ep, tx_waiter);

	WRITE_ONCE(ep->tx_full, false);
	wake_up_interruptible_poll(&ep->tx_wq, EPOLLOUT | EPOLLWRNORM);
}

static int argo_ep_open(struct inode *inode, struct file *file)
{
	struct argo_ep *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return -ENOMEM;
	mutex_init(&ep->lock);
	mutex_init(&ep->rx_lock);
	init_waitqueue_head(&ep->rx_wq);
	init_waitqueue_head(&ep->tx_wq);
	ep->tx_waiter.ready = argo_ep_tx_ready;
	atomic_set(&ep->inflight, 0);
	argo_notices_init(&ep->notices, &ep->rx_wq);
	file->private_data = ep;
	return stream_open(inode, file);
}

static int argo_ep_release(struct inode *inode, struct file *file)
{
	struct argo_ep *ep = file->private_data;

	argo_space_cancel(&ep->tx_waiter);
	argo_notices_release(&ep->notices);
	argo_ring_destroy(ep->ring);
	kfree(ep);
	return 0;
}

static long argo_ep_bind(struct argo_ep *ep, struct argo_bind __user *ubind)
{
	struct argo_ring_params p = {
		.rx = argo_ep_rx, .lost = argo_ep_lost, .priv = ep,
		/* the callbacks only wake; readers sleep, never spin */
		.rx_local = true,
	};
	struct argo_bind b;
	struct argo_ring *ring;
	long err = 0;

	if (copy_from_user(&b, ubind, sizeof(b)))
		return -EFAULT;
	if (b.pad || b.flags || b.ring_size > ARGO_RING_MAX_SIZE ||
	    (!argo_domid_valid(b.partner) && b.partner != ARGO_DOMID_ANY))
		return -EINVAL;
	p.port = b.port;
	p.partner = b.partner;
	p.size = b.ring_size ? b.ring_size : ARGO_DEFAULT_RING_SIZE;

	mutex_lock(&ep->lock);
	if (ep->ring) {
		err = -EINVAL;		/* already bound */
		goto out;
	}
	ring = argo_ring_create(&p);
	if (IS_ERR(ring)) {
		err = PTR_ERR(ring);
		goto out;
	}
	b.port = argo_ring_port(ring);
	b.ring_size = argo_ring_size(ring);
	if (copy_to_user(ubind, &b, sizeof(b))) {
		argo_ring_destroy(ring);
		err = -EFAULT;
		goto out;
	}
	/* publish a fully created ring to lockless readers (argo_ep_ring) */
	smp_store_release(&ep->ring, ring);
	/* a message may have arrived before the ring was published */
	wake_up_interruptible_poll(&ep->rx_wq, EPOLLIN | EPOLLRDNORM);
out:
	mutex_unlock(&ep->lock);
	return err;
}

static long argo_ep_connect(struct argo_ep *ep, struct argo_addr __user *uaddr)
{
	struct argo_addr a;

	if (copy_from_user(&a, uaddr, sizeof(a)))
		return -EFAULT;
	if (a.pad || !argo_domid_valid(a.domid))
		return -EINVAL;
	mutex_lock(&ep->lock);
	if (!ep->ring) {
		mutex_unlock(&ep->lock);
		return -ENOTCONN;
	}
	argo_space_cancel(&ep->tx_waiter);
	ep->peer = a;
	WRITE_ONCE(ep->tx_full, false);
	WRITE_ONCE(ep->connected, true);
	mutex_unlock(&ep->lock);
	return 0;
}

/*
 * A send to the connected peer found its ring full: poll() stops reporting
 * POLLOUT until the hypervisor reports room for @len bytes again.  The
 * waiter is re-armed under ep->lock so that concurrent senders do not
 * change it while argo-core holds it.
 */
static void argo_ep_tx_full(struct argo_ep *ep, const struct argo_addr *dst,
			    size_t len)
{
	mutex_lock(&ep->lock);
	if (ep->connected && dst->domid == ep->peer.domid &&
	    dst->port == ep->peer.port) {
		argo_space_cancel(&ep->tx_waiter);
		WRITE_ONCE(ep->tx_full, true);
		ep->tx_waiter.domid = dst->domid;
		ep->tx_waiter.port = dst->port;
		ep->tx_waiter.len = len;
		argo_space_wait(&ep->tx_waiter);
	}
	mutex_unlock(&ep->lock);
}

/* Send @kv (one piece) and account for a full destination. */
static ssize_t argo_ep_sendv(struct argo_ep *ep, struct file *file,
			     struct argo_ring *ring, const struct kvec *kv,
			     const struct argo_addr *dst, u32 type)
{
	ssize_t ret;

	atomic_inc(&ep->inflight);
	ret = argo_sendv_wait(ring, dst->domid, dst->port, kv, 1, type,
			      (file->f_flags & O_NONBLOCK) ? 0 : MAX_SCHEDULE_TIMEOUT);
	if (ret == -EAGAIN || ret == -EBUSY)
		argo_ep_tx_full(ep, dst, kv->iov_len);
	if (ret == -EBUSY)
		ret = -EAGAIN;
	if (atomic_dec_and_test(&ep->inflight))
		wake_up_all(&ep->tx_wq);
	return ret;
}

/* Checks every send passes first.  Return: 0 or the errno to return. */
static int argo_ep_send_ok(struct argo_ep *ep, struct argo_ring *ring,
			   size_t len)
{
	if (!ring)
		return -ENOTCONN;
	if (READ_ONCE(ep->err))
		return READ_ONCE(ep->err);
	if (len > ARGO_RING_MAX_SIZE)
		return -EMSGSIZE;
	return 0;
}

/*
 * Send one message of @len bytes from @from (user memory) to @dst,
 * copied into a kernel buffer first.
 */
static ssize_t argo_ep_send(struct argo_ep *ep, struct file *file,
			    struct iov_iter *from, const struct argo_addr *dst,
			    u32 type)
{
	struct argo_ring *ring = argo_ep_ring(ep);
	size_t len = iov_iter_count(from);
	struct kvec kv;
	ssize_t ret;
	void *buf;

	ret = argo_ep_send_ok(ep, ring, len);
	if (ret)
		return ret;
	buf = kvmalloc(len ? len : 1, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (copy_from_iter(buf, len, from) != len) {
		ret = -EFAULT;
		goto out;
	}
	kv.iov_base = buf;
	kv.iov_len = len;
	ret = argo_ep_sendv(ep, file, ring, &kv, dst, type);
out:
	kvfree(buf);
	return ret;
}

/*
 * Messages of a page or more from one user buffer skip the kernel copy:
 * where argo-core allows it (argo_sendv_reads_user(): Xen PV domains),
 * the hypervisor copies straight from the sender's pages, pinned for the
 * call so that they are present.  Below a page, pinning costs about what
 * the copy does.  Larger buffers than ARGO_DIRECT_PAGES pages take the
 * copy too (the page array lives on the stack; the protocols of this
 * suite send at most 64 KiB a message).
 */
#define ARGO_DIRECT_MIN		PAGE_SIZE
#define ARGO_DIRECT_PAGES	32

/*
 * Send @len bytes at @ubuf to @dst, straight from the caller's pages when
 * possible (see ARGO_DIRECT_MIN), else through argo_ep_send().
 */
static ssize_t argo_ep_send_user(struct argo_ep *ep, struct file *file,
				 const void __user *ubuf, size_t len,
				 const struct argo_addr *dst, u32 type)
{
	unsigned long start = (unsigned long)ubuf & PAGE_MASK;
	struct page *pages[ARGO_DIRECT_PAGES];
	struct argo_ring *ring;
	struct iov_iter from;
	unsigned long npages;
	struct kvec kv;
	ssize_t ret;
	int pinned;

	if (len < ARGO_DIRECT_MIN || !argo_sendv_reads_user() ||
	    !access_ok(ubuf, len))
		goto copy;
	npages = DIV_ROUND_UP((unsigned long)ubuf + len, PAGE_SIZE) -
		 start / PAGE_SIZE;
	if (npages > ARGO_DIRECT_PAGES)
		goto copy;
	ring = argo_ep_ring(ep);
	ret = argo_ep_send_ok(ep, ring, len);
	if (ret)
		return ret;
	pinned = pin_user_pages_fast(start, npages, 0, pages);
	if (pinned != npages) {
		if (pinned > 0)
			unpin_user_pages(pages, pinned);
		goto copy;	/* the copy reports the fault, if it is one */
	}
	kv.iov_base = (void __force *)ubuf;
	kv.iov_len = len;
	ret = argo_ep_sendv(ep, file, ring, &kv, dst, type);
	unpin_user_pages(pages, npages);
	/* -EFAULT: the hypervisor could not read a page; nothing was sent */
	if (ret != -EFAULT)
		return ret;
copy:
	iov_iter_ubuf(&from, ITER_SOURCE, (void __user *)ubuf, len);
	return argo_ep_send(ep, file, &from, dst, type);
}

/* After consuming: release blocked senders (see ARGO_NOTIFY_BATCH). */
static void argo_ep_consumed(struct argo_ep *ep, struct argo_ring *ring)
{
	if (++ep->unnotified >= ARGO_NOTIFY_BATCH || !argo_ring_has_data(ring)) {
		ep->unnotified = 0;
		argo_notify();
	}
}

/*
 * Wait for a message and lock the receive side.  Return: 0 with rx_lock
 * held and @m describing the message, or an errno without the lock.
 */
static int argo_ep_wait_msg(struct argo_ep *ep, struct argo_ring *ring,
			    bool nonblock, struct argo_msg_info *m)
{
	int err;

	for (;;) {
		if (nonblock) {
			if (!mutex_trylock(&ep->rx_lock))
				return -EAGAIN;
		} else if (mutex_lock_interruptible(&ep->rx_lock)) {
			return -ERESTARTSYS;
		}
		err = argo_ring_peek(ring, m);
		if (err != -EAGAIN)
			break;
		if (ep->unnotified) {
			ep->unnotified = 0;
			argo_notify();
		}
		mutex_unlock(&ep->rx_lock);
		/* a lost ring: what it held was read, nothing more comes */
		if (READ_ONCE(ep->err))
			return READ_ONCE(ep->err);
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(ep->rx_wq, argo_ring_has_data(ring) ||
					     READ_ONCE(ep->err)))
			return -ERESTARTSYS;
	}
	if (err)
		mutex_unlock(&ep->rx_lock);
	return err;
}

static ssize_t argo_ep_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct argo_ep *ep = iocb->ki_filp->private_data;
	struct argo_ring *ring = argo_ep_ring(ep);
	struct argo_msg_info m;
	ssize_t ret;

	if (!ring)
		return -ENOTCONN;
	/*
	 * read() returning 0 means end of file to every program, so it
	 * skips zero-length messages: they carry nothing but their sender,
	 * which ARGO_IOC_RECVFROM reports.
	 */
	for (;;) {
		ret = argo_ep_wait_msg(ep, ring, (iocb->ki_filp->f_flags & O_NONBLOCK) ||
				       (iocb->ki_flags & IOCB_NOWAIT), &m);
		if (ret)
			return ret;
		if (m.len)
			break;
		argo_ring_consume(ring);
		argo_ep_consumed(ep, ring);
		mutex_unlock(&ep->rx_lock);
		/* a sender may keep the ring full of them */
		if (signal_pending(current))
			return -ERESTARTSYS;
		cond_resched();
	}
	if (m.len > iov_iter_count(to)) {
		ret = -EMSGSIZE;	/* the message stays for a bigger read */
	} else if (argo_ring_copy_to_iter(ring, 0, to, m.len) != m.len) {
		ret = -EFAULT;		/* likewise */
	} else {
		argo_ring_consume(ring);
		argo_ep_consumed(ep, ring);
		ret = m.len;
	}
	mutex_unlock(&ep->rx_lock);
	return ret;
}

/* The connected peer.  Return: 0, or the errno of a send without one. */
static int argo_ep_dest(struct argo_ep *ep, struct argo_addr *dst)
{
	if (!READ_ONCE(ep->connected))
		return argo_ep_ring(ep) ? -EDESTADDRREQ : -ENOTCONN;
	mutex_lock(&ep->lock);
	*dst = ep->peer;
	mutex_unlock(&ep->lock);
	return 0;
}

/* writev() and kernel writers: always through a kernel copy. */
static ssize_t argo_ep_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct argo_ep *ep = iocb->ki_filp->private_data;
	struct argo_addr dst;
	int err = argo_ep_dest(ep, &dst);

	if (err)
		return err;
	return argo_ep_send(ep, iocb->ki_filp, from, &dst, 0);
}

/*
 * write() of one buffer, which the VFS hands here rather than to
 * write_iter: the buffer's address is what the direct send needs.
 */
static ssize_t argo_ep_write(struct file *file, const char __user *buf,
			     size_t len, loff_t *ppos)
{
	struct argo_ep *ep = file->private_data;
	struct argo_addr dst;
	int err = argo_ep_dest(ep, &dst);

	if (err)
		return err;
	return argo_ep_send_user(ep, file, buf, len, &dst, 0);
}

static long argo_ep_sendto(struct argo_ep *ep, struct file *file,
			   struct argo_msg __user *umsg)
{
	struct argo_msg msg;

	if (copy_from_user(&msg, umsg, sizeof(msg)))
		return -EFAULT;
	if (msg.flags || msg.pad || msg.addr.pad || !argo_domid_valid(msg.addr.domid))
		return -EINVAL;
	return argo_ep_send_user(ep, file, u64_to_user_ptr(msg.buf), msg.len,
				 &msg.addr, msg.type);
}

static long argo_ep_recvfrom(struct argo_ep *ep, struct file *file,
			     struct argo_msg __user *umsg)
{
	struct argo_ring *ring = argo_ep_ring(ep);
	struct argo_msg_info m;
	struct iov_iter to;
	struct argo_msg msg;
	size_t n;
	long ret;

	if (copy_from_user(&msg, umsg, sizeof(msg)))
		return -EFAULT;
	if (msg.flags || msg.pad || msg.addr.pad)
		return -EINVAL;
	if (!ring)
		return -ENOTCONN;
	ret = argo_ep_wait_msg(ep, ring, file->f_flags & O_NONBLOCK, &m);
	if (ret)
		return ret;
	n = min_t(size_t, m.len, msg.len);
	iov_iter_ubuf(&to, ITER_DEST, u64_to_user_ptr(msg.buf), n);
	if (argo_ring_copy_to_iter(ring, 0, &to, n) != n) {
		ret = -EFAULT;		/* the message stays */
		goto unlock;
	}
	msg.len = m.len;
	msg.type = m.type;
	msg.addr.port = m.src_port;
	msg.addr.domid = m.src_domid;
	msg.flags = m.len > n ? ARGO_MSG_TRUNC : 0;
	if (copy_to_user(umsg, &msg, sizeof(msg))) {
		ret = -EFAULT;
		goto unlock;
	}
	argo_ring_consume(ring);
	argo_ep_consumed(ep, ring);
	ret = n;
unlock:
	mutex_unlock(&ep->rx_lock);
	return ret;
}

static long argo_ep_getname(struct argo_ep *ep, struct argo_name __user *uname)
{
	struct argo_name name = { .domid = argo_own_domid() };

	mutex_lock(&ep->lock);
	if (ep->ring) {
		name.port = argo_ring_port(ep->ring);
		name.partner = argo_ring_partner(ep->ring);
		name.ring_size = argo_ring_size(ep->ring);
	}
	if (ep->connected)
		name.peer = ep->peer;
	mutex_unlock(&ep->lock);
	return copy_to_user(uname, &name, sizeof(name)) ? -EFAULT : 0;
}

static long argo_ep_query(struct argo_query __user *uq)
{
	struct argo_dest_info info;
	struct argo_query q;
	long err;

	if (copy_from_user(&q, uq, sizeof(q)))
		return -EFAULT;
	if (q.pad || q.flags || q.addr.pad || !argo_domid_valid(q.addr.domid))
		return -EINVAL;
	err = argo_query(q.addr.domid, q.addr.port, q.space, &info);
	if (err)
		return err;
	q.flags = (info.exists ? ARGO_QUERY_EXISTS : 0) |
		  (info.sufficient ? ARGO_QUERY_SUFFICIENT : 0);
	q.max_message_size = info.exists ? info.max_message_size : 0;
	return copy_to_user(uq, &q, sizeof(q)) ? -EFAULT : 0;
}

static long argo_ep_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct argo_ep *ep = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ARGO_IOC_BIND:
		return argo_ep_bind(ep, uarg);
	case ARGO_IOC_CONNECT:
		return argo_ep_connect(ep, uarg);
	case ARGO_IOC_SENDTO:
		return argo_ep_sendto(ep, file, uarg);
	case ARGO_IOC_RECVFROM:
		return argo_ep_recvfrom(ep, file, uarg);
	case ARGO_IOC_GETNAME:
		return argo_ep_getname(ep, uarg);
	case ARGO_IOC_QUERY:
		return argo_ep_query(uarg);
	case ARGO_IOC_WATCH:
		return argo_notice_watch(&ep->notices, uarg);
	case ARGO_IOC_UNWATCH:
		return argo_notice_unwatch(&ep->notices, uarg);
	case ARGO_IOC_NOTICE:
		return argo_notice_take(&ep->notices, uarg);
	default:
		return -ENOTTY;
	}
}

static __poll_t argo_ep_poll(struct file *file, poll_table *wait)
{
	struct argo_ep *ep = file->private_data;
	struct argo_ring *ring = argo_ep_ring(ep);
	__poll_t mask = 0;

	poll_wait(file, &ep->rx_wq, wait);
	poll_wait(file, &ep->tx_wq, wait);
	if (argo_notices_pending(&ep->notices))
		mask |= EPOLLPRI;
	if (!ring)	/* sends and receives fail at once: ENOTCONN */
		return mask | EPOLLOUT | EPOLLWRNORM;
	if (argo_ring_has_data(ring))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(ep->err))
		return mask | EPOLLERR;
	/*
	 * Sends to other destinations cannot be predicted: POLLOUT unless
	 * the connected peer's ring was found full and no room was reported
	 * since (argo_ep_tx_ready() then wakes us).
	 */
	if (!READ_ONCE(ep->tx_full))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* Sends are synchronous: wait until none is in progress on this file. */
static int argo_ep_fsync(struct file *file, loff_t start, loff_t end,
			 int datasync)
{
	struct argo_ep *ep = file->private_data;

	return wait_event_interruptible(ep->tx_wq, !atomic_read(&ep->inflight));
}

const struct file_operations argo_ep_fops = {
	.owner = THIS_MODULE,
	.open = argo_ep_open,
	.release = argo_ep_release,
	.read_iter = argo_ep_read_iter,
	.write = argo_ep_write,
	.write_iter = argo_ep_write_iter,
	.unlocked_ioctl = argo_ep_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = argo_ep_poll,
	.fsync = argo_ep_fsync,
};
