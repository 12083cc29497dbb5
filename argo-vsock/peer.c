// SPDX-License-Identifier: GPL-2.0
/*
 * argo-vsock: the remote domains we talk to.
 *
 * Each domain gets one struct avs_peer, created on first use and kept
 * until unload (a few dozen bytes; domids are not reused quickly).  All
 * sockets to a domain share its send queue, so packets leave in the order
 * the vsock core produced them.  A full destination ring never drops a
 * packet and never makes a caller spin: the packet waits in the queue and
 * argo-core's space notification (one notify hypercall for all waiters,
 * then VIRQ_ARGO) sends it.
 *
 * In per-peer mode (the hypervisor refuses wildcard rings) a peer also
 * owns the ring it may fill: created before the first packet to it goes
 * out, so that its answers have somewhere to land, or at load time for the
 * domains named in peers=, so that they can reach our listeners.  Such a
 * ring costs 256 KiB and one of the domain's 128 Argo rings, and any local
 * user can make one by connecting, so its life follows its use: a ring
 * that carries no connected socket and no packet for ring_idle_s seconds
 * is let go, and at most max_peer_rings exist (the least recently used
 * idle one makes room for a new one).  Rings of peers= domains are the
 * administrator's and stay.
 *
 * A once-a-second check finds the domains we have connected sockets with
 * and has argo-core watch their rings (argo_watch_ring(), one hypercall
 * for every watch of the domain); when a domain was destroyed (or
 * unloaded argo-vsock) its sockets are reset, so blocked readers and
 * writers wake with ECONNRESET.
 */
#define pr_fmt(fmt) "argo-vsock: " fmt

#include <linux/bitmap.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <net/af_vsock.h>
#include <xen/interface/xen.h>
#include <argo_compat.h>
#include "avs.h"

#define AVS_CHECK_INTERVAL	HZ
/*
 * How often a lost ring is offered to the hypervisor again: each refusal
 * is an XSM denial in Xen's log, so not every check.
 */
#define AVS_REREGISTER_INTERVAL	(10 * HZ)

static DEFINE_XARRAY(avs_peers);
static DEFINE_MUTEX(avs_peers_lock);
static void avs_check_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(avs_check_work, avs_check_fn);
static bool avs_stopping;
static unsigned long avs_next_reregister;
/* the wildcard ring was lost and avs_ring_lost() handled it */
static bool avs_wild_lost;
/*
 * Held while a per-peer ring is destroyed or flushed outside its peer's
 * lock, so that avs_gone_fn() can flush a ring the check or reap work
 * would otherwise destroy under it.  The rings' callbacks never take it.
 */
static DEFINE_MUTEX(avs_rings_mutex);
/* per-peer rings that exist, against avs_max_peer_rings */
static atomic_t avs_peer_rings = ATOMIC_INIT(0);
/*
 * A ring younger than this in use is never taken for another peer: a
 * connect() in flight (not yet in the vsock core's connected table) waits
 * for its answer on it, for the default connect timeout.
 */
#define AVS_RING_MIN_IDLE	(2 * HZ)

static void avs_tx_work_fn(struct work_struct *work);
static void avs_space_ready(struct argo_space_waiter *w, int status);
static void avs_peer_gone(struct argo_space_waiter *w, int status);
static void avs_gone_fn(struct work_struct *work);

/**
 * avs_peer_get() - the peer for a domain, created on first use
 * @domid: the domain
 *
 * Return: the peer (valid until unload), or ERR_PTR(-ENOMEM).
 */
struct avs_peer *avs_peer_get(u16 domid)
{
	struct avs_peer *peer = xa_load(&avs_peers, domid);
	int err;

	if (peer)
		return peer;
	mutex_lock(&avs_peers_lock);
	peer = xa_load(&avs_peers, domid);
	if (peer)
		goto out;
	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer) {
		peer = ERR_PTR(-ENOMEM);
		goto out;
	}
	peer->domid = domid;
	mutex_init(&peer->lock);
	skb_queue_head_init(&peer->txq);
	INIT_WORK(&peer->tx_work, avs_tx_work_fn);
	peer->waiter.domid = domid;
	peer->waiter.port = AVS_PORT;
	peer->waiter.ready = avs_space_ready;
	peer->gone.domid = domid;
	peer->gone.port = AVS_PORT;
	peer->gone.ready = avs_peer_gone;
	INIT_WORK(&peer->gone_work, avs_gone_fn);
	err = xa_err(xa_store(&avs_peers, domid, peer, GFP_KERNEL));
	if (err) {
		kfree(peer);
		peer = ERR_PTR(err);
	}
out:
	mutex_unlock(&avs_peers_lock);
	return peer;
}

/*
 * Argo's answers, as the errno a socket caller sees.  A domain that does
 * not exist is a host that cannot be reached; the rest keep Argo's value:
 * -ECONNREFUSED (no argo-vsock ring there for us), -EPERM/-EACCES (XSM
 * policy), -EMSGSIZE (its ring is too small for a packet).
 */
static int avs_errno(int err)
{
	return err == -ESRCH ? -EHOSTUNREACH : err;
}

/* Per-peer mode: make sure the ring this peer may fill exists. */
static int avs_peer_ring(struct avs_peer *peer)
{
	struct argo_ring_params p = {
		.port = AVS_PORT,
		.partner = peer->domid,
		.size = avs_ring_size,
		.rx = avs_rx,
		.resumed = avs_resumed,
		.lost = avs_ring_lost,
		.rx_local = true,
		.priv = peer,
	};
	struct argo_ring *ring;

	lockdep_assert_held(&peer->lock);
	if (!avs_per_peer || peer->ring)
		return 0;
	if (READ_ONCE(avs_stopping))
		return -ENODEV;
	/* rings made on demand count against max_peer_rings, peers= ones not */
	peer->ring_counted = !peer->listen;
	if (peer->ring_counted &&
	    !atomic_add_unless(&avs_peer_rings, 1, avs_max_peer_rings)) {
		/*
		 * Not even for a domain that may not exist: finding out takes
		 * a ring, made and destroyed under peer->lock.
		 */
		ring = ERR_PTR(-ENOBUFS);
	} else {
		ring = argo_ring_create(&p);
		if (IS_ERR(ring) && peer->ring_counted)
			atomic_dec(&avs_peer_rings);
		/* the ring let go a moment ago is not destroyed yet: try later */
		if (ring == ERR_PTR(-EADDRINUSE))
			ring = ERR_PTR(-ENOBUFS);
	}
	if (IS_ERR(ring)) {
		if (peer->ring_err != PTR_ERR(ring))
			pr_info_ratelimited("no ring for domain %u: %ld%s\n",
					    peer->domid, PTR_ERR(ring),
					    PTR_ERR(ring) == -ENOBUFS ?
					    " (max_peer_rings in use)" : "");
		peer->ring_err = PTR_ERR(ring);
		return avs_errno(PTR_ERR(ring));
	}
	peer->ring = ring;
	peer->ring_err = 0;
	avs_peer_used(peer);
	return 0;
}

/**
 * avs_peer_used() - a packet to or from the peer went through its ring
 * @peer: the peer
 */
void avs_peer_used(struct avs_peer *peer)
{
	WRITE_ONCE(peer->last_used, jiffies);
}

/*
 * Take the per-peer ring away from @peer: let go of an idle one, a dead
 * domain's, or at unload.  Returns the ring for the caller to destroy
 * outside peer->lock (see avs_gone_fn()).
 */
static struct argo_ring *avs_peer_detach_ring(struct avs_peer *peer)
{
	struct argo_ring *ring = peer->ring;

	lockdep_assert_held(&peer->lock);
	if (ring) {
		peer->ring = NULL;
		peer->ring_lost = false;
		if (peer->ring_counted)
			atomic_dec(&avs_peer_rings);
	}
	return ring;
}

/* Destroy a per-peer ring detached from its peer, outside peer->lock. */
static void avs_ring_put(struct argo_ring *ring)
{
	mutex_lock(&avs_rings_mutex);
	argo_ring_destroy(ring);
	mutex_unlock(&avs_rings_mutex);
}

/*
 * The iovecs of one packet: its header, then its payload.  A MSG_ZEROCOPY
 * packet carries the payload in page fragments of the sender's buffer;
 * when they fit in one sendv (ARGO_MAX_IOV entries with the header) the
 * hypervisor copies straight from them.  A packet of more fragments (up to
 * 16 pages of 4 KiB) is first gathered into the peer's bounce buffer, one
 * copy by the kernel as for an ordinary send.  Returns the iovec count, or
 * -ENOMEM when no bounce buffer could be had.
 */
static int avs_skb_iov(struct avs_peer *peer, struct sk_buff *skb,
		       struct kvec *iov)
{
	const struct skb_shared_info *si = skb_shinfo(skb);
	unsigned int n = 0, i;

	iov[n].iov_base = virtio_vsock_hdr(skb);
	iov[n++].iov_len = AVS_HDR_SIZE;
	if (!skb->len)
		return n;
	if (skb_headlen(skb)) {
		iov[n].iov_base = skb->data;
		iov[n++].iov_len = skb_headlen(skb);
	}
	if (!skb_has_frag_list(skb) && n + si->nr_frags <= ARGO_MAX_IOV) {
		for (i = 0; i < si->nr_frags; i++) {
			iov[n].iov_base = skb_frag_address_safe(&si->frags[i]);
			iov[n++].iov_len = skb_frag_size(&si->frags[i]);
			if (!iov[n - 1].iov_base)
				break;
		}
		if (i == si->nr_frags)
			return n;
	}
	if (skb->len > VIRTIO_VSOCK_MAX_PKT_BUF_SIZE)
		return -EMSGSIZE;
	if (!peer->bounce)
		peer->bounce = kvmalloc(VIRTIO_VSOCK_MAX_PKT_BUF_SIZE, GFP_KERNEL);
	if (!peer->bounce)
		return -ENOMEM;
	if (skb_copy_bits(skb, 0, peer->bounce, skb->len))
		return -EFAULT;
	iov[1].iov_base = peer->bounce;
	iov[1].iov_len = skb->len;
	return 2;
}

/* Send one packet now.  -EAGAIN: the ring is full, the packet is kept. */
static int avs_xmit(struct avs_peer *peer, struct sk_buff *skb)
{
	struct argo_ring *from = avs_per_peer ? peer->ring : avs_wild_ring;
	struct kvec iov[ARGO_MAX_IOV];
	ssize_t n;
	int niov;

	if (!from)
		return -ENODEV;
	/*
	 * Our ring is lost (not registered after a resume): the answer
	 * could not reach us, so fail the packet with the reason now
	 * rather than let a connect() wait for its timeout.
	 */
	n = argo_ring_error(from);
	if (n)
		return avs_errno(n);
	niov = avs_skb_iov(peer, skb, iov);
	if (niov < 0)
		return niov;
	n = argo_sendv(from, peer->domid, AVS_PORT, iov, niov, AVS_MSG_TYPE);
	if (n == -EAGAIN || n == -EBUSY)
		return -EAGAIN;
	if (n < 0)
		return avs_errno(n);
	/* once, when it left: a packet that waited for room was not seen */
	virtio_transport_deliver_tap_pkt(skb);
	peer->tx_packets++;
	avs_peer_used(peer);
	argo_compat_vsock_skb_sent(skb);
	return 0;
}

/* Packets the vsock core handed us (send_pkt said yes) that never left. */
static void avs_drop_queue(struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(q)))
		argo_compat_vsock_skb_dropped(skb);
}

/* Ask argo-core to call us back when the packet at the head fits. */
static void avs_wait_for_room(struct avs_peer *peer)
{
	struct sk_buff *head = skb_peek(&peer->txq);

	lockdep_assert_held(&peer->lock);
	if (peer->waiting || !head || READ_ONCE(avs_stopping))
		return;
	peer->waiting = true;
	peer->tx_waits++;
	peer->waiter.len = AVS_HDR_SIZE + head->len;
	argo_space_wait(&peer->waiter);
}

/**
 * avs_peer_send() - send a packet to a domain, or queue it
 * @peer: the destination domain
 * @skb: the packet; always consumed
 *
 * Return: 0 (sent or queued), or the errno of a refusal.
 */
int avs_peer_send(struct avs_peer *peer, struct sk_buff *skb)
{
	int err;

	if (avs_per_peer && !READ_ONCE(peer->ring))
		avs_make_room(peer->domid);
	mutex_lock(&peer->lock);
	err = avs_peer_ring(peer);
	if (err)
		goto drop;
	if (!skb_queue_empty(&peer->txq)) {
		skb_queue_tail(&peer->txq, skb);
		goto out;
	}
	err = avs_xmit(peer, skb);
	if (err == -EAGAIN) {
		skb_queue_tail(&peer->txq, skb);
		avs_wait_for_room(peer);
		err = 0;
	} else if (err) {
		goto drop;
	}
out:
	mutex_unlock(&peer->lock);
	return err;
drop:
	mutex_unlock(&peer->lock);
	kfree_skb(skb);
	return err;
}

/**
 * avs_peer_cancel() - drop the queued packets of a socket
 * @peer: the socket's peer
 * @vsk: the socket (its connect timed out, or it is being released)
 *
 * Return: the number of packets dropped.
 */
int avs_peer_cancel(struct avs_peer *peer, struct vsock_sock *vsk)
{
	int n;

	mutex_lock(&peer->lock);
	n = virtio_transport_purge_skbs(vsk, &peer->txq);
	mutex_unlock(&peer->lock);
	return n;
}

/* argo-core: the ring we wait for has room, or will never have. */
static void avs_space_ready(struct argo_space_waiter *w, int status)
{
	struct avs_peer *peer = container_of(w, struct avs_peer, waiter);

	WRITE_ONCE(peer->space_status, status);
	queue_work(avs_wq, &peer->tx_work);
}

/*
 * The state avs_reset_one() reads: vsock_for_each_connected_socket() gives
 * its callback no argument of ours, so the target travels here, under
 * avs_reset_lock.
 */
static DEFINE_MUTEX(avs_reset_lock);
static u64 avs_reset_cid;
static int avs_reset_err;
static int avs_reset_count;

/* Called under vsock_table_lock, like the virtio transport's reset. */
static void avs_reset_one(struct sock *sk)
{
	struct vsock_sock *vsk = vsock_sk(sk);

	if (avs_reset_cid != AVS_ALL_CIDS &&
	    vsk->remote_addr.svm_cid != avs_reset_cid)
		return;
	/* reset already: it stays in the table until its owner closes it */
	if (READ_ONCE(sk->sk_state) == TCP_CLOSE)
		return;
	sk->sk_state = TCP_CLOSE;
	sk->sk_err = avs_reset_err;
	sk_error_report(sk);
	avs_reset_count++;
}

/**
 * avs_reset_sockets() - fail every connected socket to one CID
 * @cid: the remote CID, or %AVS_ALL_CIDS
 * @err: the positive errno its readers and writers get
 *
 * Return: how many sockets were reset.
 */
int avs_reset_sockets(u64 cid, int err)
{
	int n;

	mutex_lock(&avs_reset_lock);
	avs_reset_cid = cid;
	avs_reset_err = err;
	avs_reset_count = 0;
	vsock_for_each_connected_socket(&avs_transport.transport,
					avs_reset_one);
	n = avs_reset_count;
	mutex_unlock(&avs_reset_lock);
	return n;
}

/*
 * The domain cannot take packets any more (gone, or refused us): drop what
 * waits for it and reset its sockets, so nothing waits on it forever.
 */
static void avs_peer_fail(struct avs_peer *peer, int err, const char *why)
{
	int n;

	lockdep_assert_held(&peer->lock);
	avs_drop_queue(&peer->txq);
	if (peer->waiting) {
		argo_space_cancel(&peer->waiter);
		peer->waiting = false;
	}
	n = avs_reset_sockets(AVS_DOMID_TO_CID(peer->domid), -err);
	peer->resets += n;
	pr_info("domain %u %s (%d): %d socket(s) reset\n", peer->domid, why,
		err, n);
}

static void avs_tx_work_fn(struct work_struct *work)
{
	struct avs_peer *peer = container_of(work, struct avs_peer, tx_work);
	struct sk_buff *skb;
	int status, err = 0;

	mutex_lock(&peer->lock);
	if (!peer->waiting)
		goto out;
	peer->waiting = false;
	status = READ_ONCE(peer->space_status);
	if (status) {
		avs_peer_fail(peer, avs_errno(status), "cannot take packets");
		goto out;
	}
	while ((skb = skb_dequeue(&peer->txq))) {
		err = avs_xmit(peer, skb);
		if (err == -EAGAIN) {
			skb_queue_head(&peer->txq, skb);
			avs_wait_for_room(peer);
			break;
		}
		if (err) {
			argo_compat_vsock_skb_dropped(skb);
			avs_peer_fail(peer, err, "refused a packet");
			break;
		}
	}
out:
	mutex_unlock(&peer->lock);
}

/*
 * Which domains our connected sockets talk to, gathered under
 * vsock_table_lock into a bitmap of domids: avs_live_domids (4 KiB,
 * static: only the check work uses it) or the one avs_make_room()
 * allocates.  vsock_for_each_connected_socket() passes its callback no
 * argument of ours, so the target travels in avs_scan_target, under
 * avs_scan_lock, which is held for the scan only.
 */
static DECLARE_BITMAP(avs_live_domids, DOMID_FIRST_RESERVED);
static DEFINE_MUTEX(avs_scan_lock);
static unsigned long *avs_scan_target;

static void avs_note_remote(struct sock *sk)
{
	u64 cid = vsock_sk(sk)->remote_addr.svm_cid;

	/*
	 * A socket reset already (peer gone, policy changed) needs no more
	 * checks: asking Xen about that domain every second would only log
	 * another denial each time.
	 */
	if (READ_ONCE(sk->sk_state) == TCP_CLOSE)
		return;
	if (cid >= 2 && cid - 2 < DOMID_FIRST_RESERVED)
		__set_bit(cid - 2, avs_scan_target);
}

static void avs_scan_connected(unsigned long *domids)
{
	mutex_lock(&avs_scan_lock);
	avs_scan_target = domids;
	bitmap_zero(domids, DOMID_FIRST_RESERVED);
	vsock_for_each_connected_socket(&avs_transport.transport,
					avs_note_remote);
	mutex_unlock(&avs_scan_lock);
}

/*
 * A per-peer ring that may go: not a peers= domain's, nothing queued for
 * the domain, no packet through it for @age.  The caller also checks
 * that no connected socket uses it.
 */
static bool avs_ring_idle(struct avs_peer *peer, unsigned long age)
{
	return READ_ONCE(peer->ring) && !READ_ONCE(peer->listen) &&
	       skb_queue_empty_lockless(&peer->txq) &&
	       time_after(jiffies, READ_ONCE(peer->last_used) + age);
}

/*
 * Rings let go from the send path are destroyed here: argo_ring_destroy()
 * waits for the ring's receive callback, which a sender must never do.
 */
static LLIST_HEAD(avs_reap_list);

struct avs_reap {
	struct llist_node node;
	struct argo_ring *ring;
};

static void avs_reap_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&avs_reap_list);
	struct avs_reap *r, *tmp;

	llist_for_each_entry_safe(r, tmp, list, node) {
		avs_ring_put(r->ring);
		kfree(r);
	}
}

static DECLARE_WORK(avs_reap_work, avs_reap_fn);

/**
 * avs_make_room() - let go of the least recently used idle per-peer ring
 * @except: the domain that needs a ring
 *
 * Called before a new per-peer ring is made when max_peer_rings exist,
 * with no peer lock held.  A ring in use during the last
 * AVS_RING_MIN_IDLE, or carrying a connected socket, is never taken.
 */
void avs_make_room(u16 except)
{
	struct avs_peer *peer, *victim = NULL;
	unsigned long domid, *busy;
	struct argo_ring *ring = NULL;
	struct avs_reap *r;

	if (!avs_per_peer || READ_ONCE(avs_stopping) ||
	    atomic_read(&avs_peer_rings) < avs_max_peer_rings)
		return;
	busy = bitmap_zalloc(DOMID_FIRST_RESERVED, GFP_KERNEL);
	r = kmalloc(sizeof(*r), GFP_KERNEL);
	if (!busy || !r)
		goto out;
	avs_scan_connected(busy);
	xa_for_each(&avs_peers, domid, peer) {
		if (domid == except || test_bit(domid, busy) ||
		    !avs_ring_idle(peer, AVS_RING_MIN_IDLE))
			continue;
		if (!victim || time_before(READ_ONCE(peer->last_used),
					   READ_ONCE(victim->last_used)))
			victim = peer;
	}
	if (!victim)
		goto out;
	mutex_lock(&victim->lock);
	if (avs_ring_idle(victim, AVS_RING_MIN_IDLE))
		ring = avs_peer_detach_ring(victim);
	mutex_unlock(&victim->lock);
	if (ring) {
		pr_info_ratelimited("ring for domain %u let go to make room for domain %u (max_peer_rings=%u)\n",
				    victim->domid, except, avs_max_peer_rings);
		r->ring = ring;
		llist_add(&r->node, &avs_reap_list);
		queue_work(avs_wq, &avs_reap_work);
		r = NULL;
	}
out:
	kfree(r);
	bitmap_free(busy);
}

/*
 * argo-core's watch of the domain's ring fired: it is gone (destroyed, or
 * it unloaded argo-vsock), or a policy loaded since denies it to us.
 * Called from argo-core's space work, so only hand over to avs_gone_fn().
 */
static void avs_peer_gone(struct argo_space_waiter *w, int status)
{
	struct avs_peer *peer = container_of(w, struct avs_peer, gone);

	WRITE_ONCE(peer->gone_status, status);
	queue_work(avs_wq, &peer->gone_work);
}

static void avs_gone_fn(struct work_struct *work)
{
	struct avs_peer *peer = container_of(work, struct avs_peer, gone_work);
	struct argo_ring *dead = NULL, *ring;
	int err = READ_ONCE(peer->gone_status);

	/*
	 * What the domain sent before it went (its last data, its close) is
	 * in our ring already: deliver it before the reset.
	 */
	mutex_lock(&avs_rings_mutex);
	mutex_lock(&peer->lock);
	ring = avs_per_peer ? peer->ring : avs_wild_ring;
	mutex_unlock(&peer->lock);
	if (ring)
		argo_ring_flush(ring);
	mutex_unlock(&avs_rings_mutex);

	mutex_lock(&peer->lock);
	peer->watching = false;
	/*
	 * A policy that no longer allows this domain makes the query itself
	 * fail: the sockets carry that errno, so their owners learn why.
	 */
	if (err == -EACCES || err == -EPERM)
		avs_peer_fail(peer, err, "is now denied to us by XSM policy");
	else
		avs_peer_fail(peer, -ECONNRESET,
			      "is gone or has no argo-vsock ring for us");
	/*
	 * A per-peer ring for a domain that is dead or denied to us: let it
	 * go, the next connect() makes it again.
	 */
	if (!peer->listen)
		dead = avs_peer_detach_ring(peer);
	mutex_unlock(&peer->lock);
	/*
	 * Destroyed outside peer->lock: argo_ring_destroy() waits for a
	 * running receive, which may hold a socket lock and be waiting for
	 * peer->lock to send a reply.  A connect() in between makes a new
	 * ring or fails as it would have against the dead domain anyway.
	 */
	if (dead)
		avs_ring_put(dead);
}

/*
 * Watch the ring of each domain our connected sockets talk to (argo-core
 * asks about all of them, and every other client's, in one hypercall),
 * and stop watching the others.
 */
static void avs_watch_peers(u16 self)
{
	struct avs_peer *peer;
	unsigned long domid;

	for_each_set_bit(domid, avs_live_domids, DOMID_FIRST_RESERVED) {
		if (domid == self)
			continue;
		peer = avs_peer_get(domid);
		if (IS_ERR(peer))
			continue;
		mutex_lock(&peer->lock);
		if (!peer->watching) {
			peer->watching = true;
			argo_watch_ring(&peer->gone);
		}
		mutex_unlock(&peer->lock);
	}
	xa_for_each(&avs_peers, domid, peer) {
		if (test_bit(domid, avs_live_domids) || !READ_ONCE(peer->watching))
			continue;
		/* no ready() waits for peer->lock: cancelling under it is safe */
		mutex_lock(&peer->lock);
		argo_space_cancel(&peer->gone);
		peer->watching = false;
		mutex_unlock(&peer->lock);
	}
}

/**
 * avs_ring_lost() - argo-core could not register one of our rings again
 * @ring: the wildcard ring, or a per-peer ring
 * @err: why (negative errno)
 * @priv: unused
 *
 * Nothing can reach us through @ring any more: the sockets whose packets
 * it carried are reset with @err (all of them for the wildcard ring), and
 * new packets from it fail with @err until the check work gets the ring
 * registered again (avs_reregister_lost()).
 */
void avs_ring_lost(struct argo_ring *ring, int err, void *priv)
{
	u16 partner = argo_ring_partner(ring);
	struct avs_peer *peer;
	int n;

	/* the first offer to the hypervisor again comes a full interval later */
	WRITE_ONCE(avs_next_reregister, jiffies + AVS_REREGISTER_INTERVAL);
	if (partner == ARGO_DOMID_ANY) {
		WRITE_ONCE(avs_wild_lost, true);
		n = avs_reset_sockets(AVS_ALL_CIDS, -avs_errno(err));
		pr_warn("wildcard ring lost (%d): %d socket(s) reset; retried every %u s\n",
			err, n, AVS_REREGISTER_INTERVAL / HZ);
		return;
	}
	peer = avs_peer_get(partner);
	if (IS_ERR(peer))
		return;
	mutex_lock(&peer->lock);
	peer->ring_lost = true;
	avs_peer_fail(peer, avs_errno(err), "lost our ring for it");
	mutex_unlock(&peer->lock);
}

/*
 * Offer our lost rings to the hypervisor again, every
 * AVS_REREGISTER_INTERVAL: a policy that allows them again brings them
 * back without a reload.
 */
static void avs_reregister_lost(void)
{
	struct avs_peer *peer;
	unsigned long domid;

	if (time_before(jiffies, READ_ONCE(avs_next_reregister)))
		return;
	WRITE_ONCE(avs_next_reregister, jiffies + AVS_REREGISTER_INTERVAL);
	/* only rings whose loss avs_ring_lost() has handled (sockets reset) */
	if (READ_ONCE(avs_wild_lost) && !argo_ring_reregister(avs_wild_ring)) {
		WRITE_ONCE(avs_wild_lost, false);
		pr_info("wildcard ring registered again\n");
	}
	xa_for_each(&avs_peers, domid, peer) {
		mutex_lock(&peer->lock);
		if (peer->ring && peer->ring_lost &&
		    !argo_ring_reregister(peer->ring)) {
			peer->ring_lost = false;
			pr_info("ring for domain %u registered again\n",
				peer->domid);
		}
		mutex_unlock(&peer->lock);
	}
}

/*
 * Per-peer rings that carried no connected socket and no packet for
 * ring_idle_s: a connect() that was refused or never answered, or
 * connections long closed.  The next packet to the domain makes a new one.
 */
static void avs_reclaim_idle(void)
{
	unsigned long age = (unsigned long)avs_ring_idle_s * HZ;
	struct argo_ring *ring;
	struct avs_peer *peer;
	unsigned long domid;

	if (!avs_per_peer)
		return;
	xa_for_each(&avs_peers, domid, peer) {
		if (test_bit(domid, avs_live_domids) || !avs_ring_idle(peer, age))
			continue;
		mutex_lock(&peer->lock);
		ring = avs_ring_idle(peer, age) ? avs_peer_detach_ring(peer) : NULL;
		mutex_unlock(&peer->lock);
		/* outside peer->lock, as in avs_gone_fn() */
		if (ring)
			avs_ring_put(ring);
	}
}

static void avs_check_fn(struct work_struct *work)
{
	struct avs_peer *peer;
	unsigned long domid;
	u16 self = avs_own_cid - 2;

	avs_scan_connected(avs_live_domids);
	avs_watch_peers(self);
	avs_reclaim_idle();

	avs_reregister_lost();

	/* per-peer mode: rings for the listed domains that appeared since */
	xa_for_each(&avs_peers, domid, peer) {
		if (!READ_ONCE(peer->listen) || READ_ONCE(peer->ring))
			continue;
		mutex_lock(&peer->lock);
		avs_peer_ring(peer);
		mutex_unlock(&peer->lock);
	}
	if (!READ_ONCE(avs_stopping))
		queue_delayed_work(avs_wq, &avs_check_work, AVS_CHECK_INTERVAL);
}

/**
 * avs_peer_set_listen() - accept connections from a domain (per-peer mode)
 * @domid: the domain
 * @listen: keep a ring for it from now on, or stop keeping one
 */
void avs_peer_set_listen(u16 domid, bool listen)
{
	struct avs_peer *peer = avs_peer_get(domid);

	if (IS_ERR(peer))
		return;
	mutex_lock(&peer->lock);
	peer->listen = listen;
	/* rings of peers= domains do not count against max_peer_rings */
	if (peer->ring && peer->ring_counted == listen) {
		peer->ring_counted = !listen;
		if (listen)
			atomic_dec(&avs_peer_rings);
		else
			atomic_inc(&avs_peer_rings);
	}
	if (listen && avs_per_peer)
		avs_peer_ring(peer);
	mutex_unlock(&peer->lock);
}

/*
 * After a restore or migration: sends that failed while the rings were
 * away are retried.
 */
void avs_peers_resumed(void)
{
	struct avs_peer *peer;
	unsigned long domid;

	xa_for_each(&avs_peers, domid, peer) {
		mutex_lock(&peer->lock);
		if (!skb_queue_empty(&peer->txq) && !peer->waiting) {
			peer->waiting = true;
			WRITE_ONCE(peer->space_status, 0);
			queue_work(avs_wq, &peer->tx_work);
		}
		mutex_unlock(&peer->lock);
	}
}

void avs_peers_start(void)
{
	WRITE_ONCE(avs_stopping, false);
	queue_delayed_work(avs_wq, &avs_check_work, AVS_CHECK_INTERVAL);
}

/*
 * Unload, step one: no socket is left (each holds a module reference), but
 * the rings still deliver.  Stop the check and every wait for room; from
 * now on nothing arms a waiter or creates a ring.
 */
void avs_peers_quiesce(void)
{
	struct avs_peer *peer;
	unsigned long domid;

	WRITE_ONCE(avs_stopping, true);
	cancel_delayed_work_sync(&avs_check_work);
	xa_for_each(&avs_peers, domid, peer) {
		argo_space_cancel(&peer->waiter);
		cancel_work_sync(&peer->tx_work);
		argo_space_cancel(&peer->gone);
		cancel_work_sync(&peer->gone_work);
	}
}

/*
 * Unload, step two, after the wildcard ring is gone: destroy the per-peer
 * rings (argo_ring_destroy() waits for a running receive callback), then
 * nothing can reach a peer any more and they are freed.
 */
void avs_peers_stop(void)
{
	struct argo_ring *ring;
	struct avs_peer *peer;
	unsigned long domid;

	flush_work(&avs_reap_work);
	/* each ring destroyed outside peer->lock, as in avs_gone_fn() */
	xa_for_each(&avs_peers, domid, peer) {
		mutex_lock(&peer->lock);
		ring = avs_peer_detach_ring(peer);
		mutex_unlock(&peer->lock);
		if (ring)
			avs_ring_put(ring);
	}
	/* a send racing with the stop may have handed one more to the reaper */
	flush_work(&avs_reap_work);
	xa_for_each(&avs_peers, domid, peer) {
		argo_space_cancel(&peer->waiter);
		cancel_work_sync(&peer->tx_work);
		avs_drop_queue(&peer->txq);
		xa_erase(&avs_peers, domid);
		kvfree(peer->bounce);
		kfree(peer);
	}
	xa_destroy(&avs_peers);
}

/* debugfs: one line per peer. */
void avs_peers_show(struct seq_file *m)
{
	struct avs_peer *peer;
	unsigned long domid;

	if (avs_per_peer)
		seq_printf(m, "peer_rings %d max %u idle_s %u\n",
			   atomic_read(&avs_peer_rings), avs_max_peer_rings,
			   avs_ring_idle_s);
	seq_puts(m, "domid  ring listen queued  waiting tx_packets tx_waits resets ring_err\n");
	xa_for_each(&avs_peers, domid, peer) {
		mutex_lock(&peer->lock);
		seq_printf(m, "%-6u %-4s %-6s %-7u %-7s %-10llu %-8llu %-6llu %d\n",
			   peer->domid,
			   avs_per_peer ? (peer->ring ? "own" : "none") : "any",
			   peer->listen ? "yes" : "no",
			   skb_queue_len(&peer->txq),
			   peer->waiting ? "yes" : "no",
			   peer->tx_packets, peer->tx_waits, peer->resets,
			   peer->ring_err);
		mutex_unlock(&peer->lock);
	}
}
