// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-argo: the data plane of one virtqueue.
 *
 * The virtqueue lives only in this guest's memory and the backend never
 * sees it.  On a kick, the queue's kick work plays the device's part: it
 * reads the new available chains, copies their device-readable bytes into
 * AVAIL_CHAIN records (batched into Argo messages of up to 64 KiB) and
 * sends them.  When the backend's USED_CHAIN records arrive, the Argo rx
 * callback copies their bytes straight from the Argo ring into the chain's
 * device-writable buffers, fills the used ring and raises the queue's
 * "interrupt" (vring_interrupt) as the event-idx rules ask.
 *
 * Buffer addresses in the descriptors are guest-physical (dma.c).  The
 * descriptors are written by this guest's own drivers, but they are still
 * checked (indexes, loops, nesting, address validity) before use.
 *
 * Each chain has a stage so that the buffers of a chain are never touched
 * after it went back to the driver: a chain being read (SENDING) or
 * written (COPYING) when its device fails is marked doomed and completed
 * with an error by whoever holds it, when it is done.
 *
 * Why not Linux's own device side of a split ring, vringh (its kernel-
 * memory variant, as vdpa_sim uses it)?  It is built only with
 * CONFIG_VHOST_RING, which none of the kernels we support sets (Debian's
 * 6.1, 6.12 and sid's 7.x export no vringh symbol), so a module using it
 * would not load there.  It would also not fit the way our chains end:
 * vringh publishes a used entry as it writes it, where VA_CHAIN_HOLD needs
 * entries written but held back until the group's last one, and a chain
 * here is completed from the Argo ring in fragments, long after the kick
 * that walked it.  The walker below checks what vringh checks (indexes,
 * loops, indirect tables and their nesting, readable after writable,
 * addresses), in some 50 lines; the descriptors it reads are written by
 * this guest's own virtio_ring, and every virtio test drives it.
 */
#include <linux/argo.h>
#include <linux/bottom_half.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/virtio_blk.h>
#include <uapi/linux/virtio_ids.h>
#include "va.h"

/* Largest chain, either direction: far beyond any driver's requests. */
#define VA_CHAIN_MAX	(256U << 20)

struct va_seg {
	u8 *ptr;
	u32 len;
	bool write;
};

/* A walk over one chain's descriptors, following one indirect table. */
struct va_walk {
	struct va_vq *vvq;
	struct vring_desc *table;
	u32 table_len;
	u32 hops;
	u16 idx;
	bool more;
	bool indirect;
	bool seen_write;
	const char *why;
};

static void *va_ptr(u64 addr, u32 len)
{
	if (!len)
		return ZERO_SIZE_PTR;
	if (addr + len < addr ||
	    !pfn_valid(PHYS_PFN(addr)) || !pfn_valid(PHYS_PFN(addr + len - 1)))
		return NULL;
	return phys_to_virt(addr);
}

static void va_walk_init(struct va_walk *w, struct va_vq *vvq, u16 head)
{
	w->vvq = vvq;
	w->table = vvq->desc;
	w->table_len = vvq->num;
	w->hops = 0;
	w->idx = head;
	w->more = true;
	w->indirect = false;
	w->seen_write = false;
	w->why = NULL;
}

static int va_walk_fail(struct va_walk *w, const char *why)
{
	w->why = why;
	return -EINVAL;
}

/* Next segment of the chain: 1 and *@seg, 0 at the end, -EINVAL. */
static int va_walk_next(struct va_walk *w, struct va_seg *seg)
{
	struct virtio_device *vdev = &w->vvq->dev->vdev;

	while (w->more) {
		struct vring_desc *d;
		u16 flags;
		u64 addr;
		u32 len;

		if (w->idx >= w->table_len)
			return va_walk_fail(w, "descriptor index out of range");
		if (w->hops++ >= w->table_len)
			return va_walk_fail(w, "descriptor chain loops");
		d = &w->table[w->idx];
		flags = virtio16_to_cpu(vdev, READ_ONCE(d->flags));
		addr = virtio64_to_cpu(vdev, READ_ONCE(d->addr));
		len = virtio32_to_cpu(vdev, READ_ONCE(d->len));
		if (flags & VRING_DESC_F_INDIRECT) {
			if (w->indirect || (flags & VRING_DESC_F_NEXT))
				return va_walk_fail(w, "misplaced indirect descriptor");
			if (!len || len % sizeof(*d) || len / sizeof(*d) > 0xffff)
				return va_walk_fail(w, "bad indirect table size");
			w->table = va_ptr(addr, len);
			if (!w->table)
				return va_walk_fail(w, "bad indirect table address");
			w->table_len = len / sizeof(*d);
			w->indirect = true;
			w->hops = 0;
			w->idx = 0;
			continue;
		}
		w->more = flags & VRING_DESC_F_NEXT;
		if (w->more)
			w->idx = virtio16_to_cpu(vdev, READ_ONCE(d->next));
		seg->write = flags & VRING_DESC_F_WRITE;
		if (!seg->write && w->seen_write)
			return va_walk_fail(w, "readable buffer after a writable one");
		w->seen_write |= seg->write;
		seg->len = len;
		seg->ptr = va_ptr(addr, len);
		if (!seg->ptr)
			return va_walk_fail(w, "buffer address not in guest memory");
		return 1;
	}
	return 0;
}

/* Skip the readable part and the first @skip writable bytes of a chain. */
static int va_walk_to_in(struct va_walk *w, struct va_seg *seg, u32 skip,
			 u32 *seg_off)
{
	int r;

	while ((r = va_walk_next(w, seg)) > 0) {
		if (!seg->write)
			continue;
		if (skip < seg->len) {
			*seg_off = skip;
			return 1;
		}
		skip -= seg->len;
	}
	return r;
}

/* Publish the used entries written but not yet announced.  vvq->lock held. */
static void va_release_held_locked(struct va_vq *vvq)
{
	struct virtio_device *vdev = &vvq->dev->vdev;

	lockdep_assert_held(&vvq->lock);
	if (!vvq->used_held)
		return;
	/* The elements must be visible before the index that announces them. */
	virt_wmb();
	vvq->used_idx += vvq->used_held;
	vvq->used_held = 0;
	WRITE_ONCE(vvq->used->idx, cpu_to_virtio16(vdev, vvq->used_idx));
}

/*
 * Write one used element and, unless @hold, publish it with the held ones
 * before it (VA_CHAIN_HOLD: a group the driver must see used at once).
 * Called with vvq->lock held.
 */
static void va_put_used(struct va_vq *vvq, u16 head, u32 len, bool hold)
{
	struct virtio_device *vdev = &vvq->dev->vdev;
	u16 slot = (u16)(vvq->used_idx + vvq->used_held) % vvq->num;
	struct vring_used_elem *e = &vvq->used->ring[slot];

	lockdep_assert_held(&vvq->lock);
	e->id = cpu_to_virtio32(vdev, head);
	e->len = cpu_to_virtio32(vdev, len);
	if (hold) {
		/*
		 * Held and unread entries are all chains the driver still
		 * owns, at most num of them: no slot it has yet to read is
		 * overwritten.
		 */
		if (!vvq->used_held++)
			vvq->held_since = jiffies;
		return;
	}
	vvq->used_held++;
	va_release_held_locked(vvq);
}

/*
 * Complete a chain without the backend: hand it back with a used length
 * of 0, which tells its driver that no byte of its writable buffers is
 * the device's (the virtio spec forbids drivers to assume more than the
 * used length).  virtio_blk alone looks at a byte instead, the status
 * byte that ends the writable bytes: it gets VIRTIO_BLK_S_IOERR, so the
 * request fails rather than returning what its buffers held before.  The
 * work is a walk over the chain's descriptors, nothing proportional to
 * the bytes, since it runs with interrupts off.  vvq->lock held.
 */
static void va_chain_fail_locked(struct va_vq *vvq, u16 head)
{
	struct va_chain *ch = &vvq->chains[head];
	struct va_walk w;
	struct va_seg seg, last = { };

	lockdep_assert_held(&vvq->lock);
	if (vvq->dev->device_id == VIRTIO_ID_BLOCK) {
		va_walk_init(&w, vvq, head);
		while (va_walk_next(&w, &seg) > 0)
			if (seg.write && seg.len)
				last = seg;
		if (last.len)
			last.ptr[last.len - 1] = VIRTIO_BLK_S_IOERR;
	}
	if (ch->stage != VA_CH_FREE)
		atomic_dec(&vvq->dev->be->outstanding);
	ch->stage = VA_CH_FREE;
	ch->doomed = false;
	va_put_used(vvq, head, 0, false);
}

/* Raise the queue's interrupt if the driver asked for one. */
static void va_vq_irq(struct va_vq *vvq)
{
	struct virtio_device *vdev = &vvq->dev->vdev;
	unsigned long flags;
	bool fire;
	u16 old;

	spin_lock_irqsave(&vvq->lock, flags);
	/* The used index must be visible before we read the driver's wish. */
	virt_mb();
	old = vvq->signalled;
	vvq->signalled = vvq->used_idx;
	if (old == vvq->used_idx) {
		fire = false;
	} else if (vvq->event_idx) {
		u16 event = virtio16_to_cpu(vdev,
					    READ_ONCE(vvq->avail->ring[vvq->num]));

		fire = vring_need_event(event, vvq->used_idx, old);
	} else {
		fire = !(virtio16_to_cpu(vdev, READ_ONCE(vvq->avail->flags)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	}
	spin_unlock_irqrestore(&vvq->lock, flags);
	if (!fire)
		return;
	/*
	 * Virtio drivers expect their callbacks in interrupt context: run
	 * them with interrupts off, and let softirqs they raise (NAPI) run
	 * when bottom halves are enabled again.
	 */
	local_bh_disable();
	spin_lock_irqsave(&vvq->dev->cb_lock, flags);
	if (vvq->live)
		vring_interrupt(0, vvq->vq);
	spin_unlock_irqrestore(&vvq->dev->cb_lock, flags);
	local_bh_enable();
}

static int va_tx_flush(struct va_vq *vvq)
{
	int ret;

	if (!vvq->txlen)
		return 0;
	ret = va_send(vvq->dev->be, vvq->txbuf, vvq->txlen);
	vvq->txlen = 0;
	return ret;
}

/* Copy @n readable bytes of the chain, continuing the walk @w. */
static int va_copy_out(struct va_walk *w, struct va_seg *seg, u32 *seg_off,
		       u8 *dst, u32 n)
{
	while (n) {
		u32 chunk;

		if (*seg_off == seg->len) {
			if (va_walk_next(w, seg) <= 0 || seg->write)
				return -EINVAL;
			*seg_off = 0;
			continue;
		}
		chunk = min(n, seg->len - *seg_off);
		memcpy(dst, seg->ptr + *seg_off, chunk);
		*seg_off += chunk;
		dst += chunk;
		n -= chunk;
	}
	return 0;
}

/*
 * Send one new chain as AVAIL_CHAIN records.  The kick's only (see
 * @kicking).  With @whole_only, a chain whose records do not fit in
 * what is left of @txbuf is not started: -EAGAIN, nothing changed.
 */
static int va_emit_chain(struct va_vq *vvq, u16 head, bool whole_only)
{
	struct va_device *dev = vvq->dev;
	struct va_chain *ch;
	struct va_walk w;
	struct va_seg seg = { };
	u64 out_len = 0, in_len = 0;
	u32 offset = 0, seg_off = 0;
	unsigned long flags;
	bool last;
	int r;

	if (head >= vvq->num) {
		va_device_fail(dev, "driver offered a chain head out of range");
		return -EINVAL;
	}
	va_walk_init(&w, vvq, head);
	while ((r = va_walk_next(&w, &seg)) > 0) {
		if (seg.write)
			in_len += seg.len;
		else
			out_len += seg.len;
	}
	if (r < 0 || out_len > VA_CHAIN_MAX || in_len > VA_CHAIN_MAX) {
		va_device_fail(dev, r < 0 ? w.why : "chain too large");
		return -EINVAL;
	}
	if (whole_only && (out_len > va_frag_max(&dev->be->link) ||
			   vvq->txlen + VA_CHAIN_HDR_SIZE + out_len > VA_MSG_MAX))
		return -EAGAIN;

	spin_lock_irqsave(&vvq->lock, flags);
	ch = &vvq->chains[head];
	if (ch->stage != VA_CH_FREE) {
		spin_unlock_irqrestore(&vvq->lock, flags);
		va_device_fail(dev, "driver reused an outstanding chain");
		return -EINVAL;
	}
	ch->in_len = in_len;
	ch->total = 0;
	ch->received = 0;
	ch->started = false;
	ch->doomed = false;
	ch->stage = VA_CH_SENDING;
	atomic_inc(&dev->be->outstanding);
	if (READ_ONCE(dev->failed)) {
		va_chain_fail_locked(vvq, head);
		spin_unlock_irqrestore(&vvq->lock, flags);
		return 0;
	}
	spin_unlock_irqrestore(&vvq->lock, flags);

	va_walk_init(&w, vvq, head);
	seg.len = 0;
	do {
		u32 frag = min_t(u64, out_len - offset,
				 va_frag_max(&dev->be->link));
		struct va_hdr *h;
		struct va_avail_chain *a;

		if (vvq->txlen + VA_CHAIN_HDR_SIZE + frag > VA_MSG_MAX) {
			r = va_tx_flush(vvq);
			if (r)
				goto fail;
		}
		h = (struct va_hdr *)(vvq->txbuf + vvq->txlen);
		a = (struct va_avail_chain *)(h + 1);
		h->type = 0;
		h->msg_id = VA_AVAIL_CHAIN;
		h->dev_num = cpu_to_le16(dev->dev_num);
		h->token = 0;
		h->msg_size = cpu_to_le16(VA_CHAIN_HDR_SIZE + frag);
		last = offset + frag == out_len;
		a->vq = cpu_to_le16(vvq->index);
		a->chain = cpu_to_le16(head);
		a->out_len = cpu_to_le32(out_len);
		a->in_len = cpu_to_le32(in_len);
		a->offset = cpu_to_le32(offset);
		a->flags = cpu_to_le16((offset ? 0 : VA_CHAIN_FIRST) |
				       (last ? VA_CHAIN_LAST : 0));
		a->rsvd = 0;
		r = va_copy_out(&w, &seg, &seg_off, (u8 *)(a + 1), frag);
		if (r) {
			va_device_fail(dev, "chain changed while it was sent");
			goto fail;
		}
		vvq->txlen += VA_CHAIN_HDR_SIZE + frag;
		offset += frag;
	} while (!last);

	/* Every readable byte is copied: the reply may now arrive any time. */
	spin_lock_irqsave(&vvq->lock, flags);
	if (ch->doomed)
		va_chain_fail_locked(vvq, head);
	else
		ch->stage = VA_CH_SENT;
	spin_unlock_irqrestore(&vvq->lock, flags);
	return 0;

fail:
	spin_lock_irqsave(&vvq->lock, flags);
	if (ch->stage == VA_CH_SENDING)
		va_chain_fail_locked(vvq, head);
	spin_unlock_irqrestore(&vvq->lock, flags);
	return r;
}

/*
 * The head of the next available chain, for whoever holds @kicking; the
 * caller advances @last_avail once it took the chain.  Return: 1 with
 * @head set; 0 when there is none (with event-idx, after asking the
 * driver for a kick at the next one); -EPROTO when the driver's index
 * ran ahead of the ring.
 */
static int va_vq_next_avail(struct va_vq *vvq, u16 *head)
{
	struct virtio_device *vdev = &vvq->dev->vdev;
	u16 avail_idx;

	for (;;) {
		avail_idx = virtio16_to_cpu(vdev, READ_ONCE(vvq->avail->idx));
		if (avail_idx != vvq->last_avail)
			break;
		if (!vvq->event_idx)
			return 0;
		/* Ask for a kick at the next chain, then look again. */
		*(__virtio16 *)&vvq->used->ring[vvq->num] =
			cpu_to_virtio16(vdev, vvq->last_avail);
		/*
		 * The request must be visible before we look again, or a
		 * chain added meanwhile gets neither a kick nor us.
		 */
		virt_mb();
		if (virtio16_to_cpu(vdev, READ_ONCE(vvq->avail->idx)) ==
		    vvq->last_avail)
			return 0;
	}
	if ((u16)(avail_idx - vvq->last_avail) > vvq->num)
		return -EPROTO;
	/* Read the ring entry only after the index that covers it. */
	virt_rmb();
	*head = virtio16_to_cpu(vdev, READ_ONCE(vvq->avail->ring[vvq->last_avail % vvq->num]));
	return 1;
}

static void va_vq_kick_work(struct work_struct *work)
{
	struct va_vq *vvq = container_of(work, struct va_vq, kick);
	u16 head;
	int r;

	/* va_vq_kick_now() holds it briefly, never sleeping */
	while (test_and_set_bit_lock(0, &vvq->kicking))
		cpu_relax();
	while ((r = va_vq_next_avail(vvq, &head)) > 0) {
		vvq->last_avail++;
		if (va_emit_chain(vvq, head, false) &&
		    !READ_ONCE(vvq->dev->failed))
			break;
	}
	if (r < 0)
		va_device_fail(vvq->dev, "available index ran ahead");
	if (va_tx_flush(vvq))
		va_vq_fail_all(vvq);
	clear_bit_unlock(0, &vvq->kicking);
	va_vq_irq(vvq);
}

/*
 * The kick in the driver's own context, without the kick work's hop (a
 * worker's wake-up, measured at a fifth of a 4 KiB disk read's round
 * trip): when the caller is a task (virtio drivers kick from tasks, or
 * with bottom halves off, and may spin waiting for the answer), no kick
 * work holds the queue, the new chains fit in one message whole, and the
 * backend's ring takes that message at once.  It never sleeps.
 *
 * Return: true when every new chain went out; false leaves the rest to
 * the kick work, which continues in order from where this stopped (a
 * message built but refused stays in @txbuf for it to send first; an
 * index that ran ahead it reports).
 */
static bool va_vq_kick_now(struct va_vq *vvq)
{
	struct va_backend *be = vvq->dev->be;
	struct kvec iov;
	bool done;
	u16 head;
	int r;

	if (!in_task() || READ_ONCE(vvq->dev->failed))
		return false;
	preempt_disable();
	if (test_and_set_bit_lock(0, &vvq->kicking)) {
		preempt_enable();
		return false;
	}
	while ((r = va_vq_next_avail(vvq, &head)) > 0) {
		if (va_emit_chain(vvq, head, true) == -EAGAIN)
			break;
		vvq->last_avail++;
		if (READ_ONCE(vvq->dev->failed))
			break;
	}
	done = !r;
	if (done && vvq->txlen) {
		iov.iov_base = vvq->txbuf;
		iov.iov_len = vvq->txlen;
		if (argo_sendv(be->ring, be->domid, VA_BACKEND_PORT, &iov, 1,
			       VA_MSG_TYPE) == vvq->txlen)
			vvq->txlen = 0;
		else
			done = false;	/* full, or an error the work reports */
	}
	clear_bit_unlock(0, &vvq->kicking);
	preempt_enable();
	return done;
}

static bool va_vq_notify(struct virtqueue *vq)
{
	struct va_vq *vvq = vq->priv;

	if (!va_vq_kick_now(vvq))
		queue_work(va_io_wq, &vvq->kick);
	return true;
}

/* Write @n bytes of the message at @data_off into the chain's buffers. */
static int va_copy_in(struct va_vq *vvq, u16 head, u32 skip,
		      struct argo_ring *ring, size_t data_off, u32 n)
{
	struct va_walk w;
	struct va_seg seg;
	u32 seg_off = 0;
	int r;

	if (!n)
		return 0;
	va_walk_init(&w, vvq, head);
	r = va_walk_to_in(&w, &seg, skip, &seg_off);
	while (r > 0 && n) {
		u32 chunk = min(n, seg.len - seg_off);

		if (argo_ring_copy(ring, data_off, seg.ptr + seg_off, chunk) !=
		    chunk)
			return -EINVAL;
		data_off += chunk;
		n -= chunk;
		seg_off = 0;
		if (n)
			r = va_walk_next(&w, &seg);
	}
	return n ? -EINVAL : 0;
}

/**
 * va_vq_used() - act on one USED_CHAIN record
 * @vvq: the queue it names (its @copying was raised by the caller)
 * @u: the record's chain header, checked by va_check_from_device()
 * @ring: the Argo ring holding the message
 * @data_off: offset of the record's data in the message
 *
 * A record that breaks the protocol fails the device.  Drops
 * @vvq->copying before returning, after which @vvq may be gone.
 */
void va_vq_used(struct va_vq *vvq, const struct va_used_chain *u,
		struct argo_ring *ring, size_t data_off)
{
	const char *why = NULL;
	u16 head = le16_to_cpu(u->chain);
	u32 n = le32_to_cpu(u->written);
	struct va_used_acct acct;
	struct va_chain *ch;
	unsigned long flags;
	bool done = false;
	int r = 0;

	spin_lock_irqsave(&vvq->lock, flags);
	if (head >= vvq->num) {
		why = "USED_CHAIN for a chain that is not outstanding";
		r = -EPROTO;
		goto out;
	}
	/* An index from the wire: no speculation past the bound. */
	head = array_index_nospec(head, vvq->num);
	ch = &vvq->chains[head];
	if (ch->stage != VA_CH_SENT) {
		why = "USED_CHAIN for a chain that is not outstanding";
		r = -EPROTO;
		goto out;
	}
	acct.in_len = ch->in_len;
	acct.total = ch->total;
	acct.received = ch->received;
	acct.started = ch->started;
	r = va_check_used(u, n, &acct, &why);
	if (r)
		goto out;
	ch->stage = VA_CH_COPYING;
	spin_unlock_irqrestore(&vvq->lock, flags);

	r = va_copy_in(vvq, head, ch->received, ring, data_off, n);

	spin_lock_irqsave(&vvq->lock, flags);
	if (r || ch->doomed) {
		va_chain_fail_locked(vvq, head);
		done = true;
		if (r) {
			why = "USED_CHAIN data did not fit the chain";
			r = -EPROTO;
		}
		goto out;
	}
	ch->started = true;
	ch->total = le32_to_cpu(u->total);
	ch->received += n;
	ch->stage = VA_CH_SENT;
	if (le16_to_cpu(u->flags) & VA_CHAIN_LAST) {
		ch->stage = VA_CH_FREE;
		atomic_dec(&vvq->dev->be->outstanding);
		va_put_used(vvq, head, ch->total,
			    le16_to_cpu(u->flags) & VA_CHAIN_HOLD);
		done = true;
	}
out:
	spin_unlock_irqrestore(&vvq->lock, flags);
	if (done)
		va_vq_irq(vvq);
	if (r)
		va_device_fail(vvq->dev, why);
	/*
	 * The waiter may free @vvq as soon as the count reaches 0:
	 * wake_up_var() only hashes the address, it reads nothing there.
	 */
	if (atomic_dec_and_test(&vvq->copying))
		wake_up_var(&vvq->copying);
}

/**
 * va_vq_held_too_long() - has the backend held completions back too long?
 * @vvq: the queue
 *
 * VA_CHAIN_HOLD lets a backend complete a group of chains that the driver
 * must see together (virtio-net's merged receive buffers).  A backend
 * that never ends the group would keep the driver waiting for chains it
 * already completed while PINGs still find it alive.
 *
 * Return: true when an entry has been held for more than the timeout.
 */
bool va_vq_held_too_long(struct va_vq *vvq)
{
	unsigned long flags;
	bool late;

	spin_lock_irqsave(&vvq->lock, flags);
	late = vvq->used_held &&
	       time_after(jiffies, vvq->held_since +
			  msecs_to_jiffies(va_timeout_ms));
	spin_unlock_irqrestore(&vvq->lock, flags);
	return late;
}

/**
 * va_vq_fail_all() - complete every outstanding chain with an error
 * @vvq: the queue, whose device has failed
 *
 * Chains another context is reading or writing are completed by it.
 * New chains are failed by the kick work, which this schedules.  Chains
 * the backend completed but held back (VA_CHAIN_HOLD) are published as
 * they are: their bytes arrived whole, and the group they were waiting
 * for will not come.  The driver sees an incomplete group for what it is
 * (virtio_net counts a length error and drops the frame).
 */
void va_vq_fail_all(struct va_vq *vvq)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&vvq->lock, flags);
	for (i = 0; i < vvq->num; i++) {
		struct va_chain *ch = &vvq->chains[i];

		if (ch->stage == VA_CH_SENT)
			va_chain_fail_locked(vvq, i);
		else if (ch->stage != VA_CH_FREE)
			ch->doomed = true;
	}
	va_release_held_locked(vvq);
	spin_unlock_irqrestore(&vvq->lock, flags);
	va_vq_irq(vvq);
	queue_work(va_io_wq, &vvq->kick);
}

/**
 * va_vq_forget_all() - drop every chain after a reset
 * @vvq: the queue
 *
 * The device was reset: the backend dropped the chains and the driver
 * takes its buffers back with virtqueue_detach_unused_buf().
 */
void va_vq_forget_all(struct va_vq *vvq)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&vvq->lock, flags);
	for (i = 0; i < vvq->num; i++) {
		if (vvq->chains[i].stage != VA_CH_FREE)
			atomic_dec(&vvq->dev->be->outstanding);
		vvq->chains[i].stage = VA_CH_FREE;
	}
	/* held chains are dropped too: the driver detaches their buffers */
	vvq->used_held = 0;
	spin_unlock_irqrestore(&vvq->lock, flags);
}

/**
 * va_vq_create() - set up one virtqueue with the backend
 * @dev: the device
 * @index: queue index
 * @cb: the driver's callback
 * @name: the driver's name for it
 * @ctx: the driver keeps a context per buffer
 *
 * Return: the queue, or an ERR_PTR().
 */
struct va_vq *va_vq_create(struct va_device *dev, unsigned int index,
			   vq_callback_t *cb, const char *name, bool ctx)
{
	struct va_vq_index qi = { .index = cpu_to_le32(index) };
	struct va_vqueue resp, set;
	struct va_vq *vvq;
	struct virtqueue *vq;
	unsigned long flags;
	u32 len, num;
	int r;

	if (index >= dev->max_vqs)
		return ERR_PTR(-ENOENT);
	r = va_request(dev->be, dev->dev_num, 0, VA_GET_VQUEUE, &qi,
		       sizeof(qi), &resp, sizeof(resp), &len);
	if (r)
		return ERR_PTR(r);
	num = le32_to_cpu(resp.max_size);
	if (le32_to_cpu(resp.index) != index || num > VA_MAX_VQ_SIZE) {
		va_device_fail(dev, "GET_VQUEUE answer out of range");
		return ERR_PTR(-EPROTO);
	}
	if (!num)
		return ERR_PTR(-ENOENT);
	num = rounddown_pow_of_two(min(num, va_max_vq_size));

	vvq = kzalloc(sizeof(*vvq), GFP_KERNEL);
	if (!vvq)
		return ERR_PTR(-ENOMEM);
	vvq->txbuf = kvmalloc(VA_MSG_MAX, GFP_KERNEL);
	vq = vring_create_virtqueue(index, num, PAGE_SIZE, &dev->vdev, true,
				    true, ctx, va_vq_notify, cb, name);
	if (!vvq->txbuf || !vq) {
		r = -ENOMEM;
		goto err;
	}
	num = virtqueue_get_vring_size(vq);
	vvq->chains = kcalloc(num, sizeof(*vvq->chains), GFP_KERNEL);
	if (!vvq->chains) {
		r = -ENOMEM;
		goto err;
	}
	vq->priv = vvq;
	vvq->vq = vq;
	vvq->dev = dev;
	vvq->index = index;
	vvq->num = num;
	vvq->event_idx = virtio_has_feature(&dev->vdev,
					    VIRTIO_RING_F_EVENT_IDX);
	vvq->desc = phys_to_virt(virtqueue_get_desc_addr(vq));
	vvq->avail = phys_to_virt(virtqueue_get_avail_addr(vq));
	vvq->used = phys_to_virt(virtqueue_get_used_addr(vq));
	spin_lock_init(&vvq->lock);
	INIT_WORK(&vvq->kick, va_vq_kick_work);
	atomic_set(&vvq->copying, 0);

	/*
	 * The ring stays in this guest: the backend learns its size only,
	 * and nothing about where our memory is (the address fields are 0).
	 */
	memset(&set, 0, sizeof(set));
	set.index = cpu_to_le32(index);
	set.size = cpu_to_le32(num);
	r = va_request(dev->be, dev->dev_num, 0, VA_SET_VQUEUE, &set,
		       sizeof(set), NULL, 0, &len);
	if (r)
		goto err;

	spin_lock(&dev->vqs_lock);
	dev->vqs[index] = vvq;
	spin_unlock(&dev->vqs_lock);
	spin_lock_irqsave(&dev->cb_lock, flags);
	vvq->live = true;
	spin_unlock_irqrestore(&dev->cb_lock, flags);
	return vvq;

err:
	if (vq)
		vring_del_virtqueue(vq);
	kfree(vvq->chains);
	kvfree(vvq->txbuf);
	kfree(vvq);
	return ERR_PTR(r);
}

/**
 * va_vq_destroy() - tear down one virtqueue
 * @vvq: the queue; the driver no longer kicks it
 */
void va_vq_destroy(struct va_vq *vvq)
{
	struct va_device *dev = vvq->dev;
	unsigned long flags;

	spin_lock(&dev->vqs_lock);
	dev->vqs[vvq->index] = NULL;
	spin_unlock(&dev->vqs_lock);
	spin_lock_irqsave(&dev->cb_lock, flags);
	vvq->live = false;
	spin_unlock_irqrestore(&dev->cb_lock, flags);
	cancel_work_sync(&vvq->kick);
	wait_var_event(&vvq->copying, !atomic_read(&vvq->copying));
	va_vq_forget_all(vvq);
	vring_del_virtqueue(vvq->vq);
	kfree(vvq->chains);
	kvfree(vvq->txbuf);
	kfree(vvq);
}
