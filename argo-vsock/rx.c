// SPDX-License-Identifier: GPL-2.0
/*
 * argo-vsock: packets that arrive.
 *
 * argo-core calls avs_rx() in process context whenever one of our rings
 * may hold messages.  Each message is one packet from another domain and
 * is hostile until avs_check_pkt() accepted it: a bad one is dropped with
 * a rate-limited line naming the rule, and nothing else happens.
 *
 * An accepted packet is copied out of the ring into skbs of one page each
 * (a 64 KiB packet becomes several; only the last keeps the seqpacket
 * end-of-message flags), the way the virtio device fills its receive
 * queue: no allocation above order 0 on the receive path, and the
 * vsock core's credit accounting counts the same bytes either way.
 */
#define pr_fmt(fmt) "argo-vsock: " fmt

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/virtio_vsock.h>
#include <argo_compat.h>
#include "avs.h"

#define AVS_RX_CHUNK	(VIRTIO_VSOCK_DEFAULT_RX_BUF_SIZE - VIRTIO_VSOCK_SKB_HEADROOM)

atomic64_t avs_rx_packets = ATOMIC64_INIT(0);
atomic64_t avs_rx_dropped = ATOMIC64_INIT(0);

/*
 * One page-sized skb.  Under memory pressure the ring simply waits (the
 * sender sees a full ring and waits too) instead of losing a packet.
 */
static struct sk_buff *avs_rx_alloc(u32 len)
{
	struct sk_buff *skb;

	while (!(skb = virtio_vsock_alloc_skb(VIRTIO_VSOCK_SKB_HEADROOM + len,
					      GFP_KERNEL))) {
		pr_warn_ratelimited("out of memory for a received packet: waiting\n");
		msleep(20);
	}
	return skb;
}

/* Deliver one checked packet of @len payload bytes, in page-sized parts. */
static void avs_rx_deliver(struct argo_ring *ring,
			   const struct virtio_vsock_hdr *hdr, u32 len)
{
	u32 off = 0, n, flags = le32_to_cpu(hdr->flags);

	do {
		struct virtio_vsock_hdr *h;
		struct sk_buff *skb;

		n = min_t(u32, len - off, AVS_RX_CHUNK);
		skb = avs_rx_alloc(n);
		h = virtio_vsock_hdr(skb);
		*h = *hdr;
		h->len = cpu_to_le32(n);
		if (off + n < len)
			h->flags = cpu_to_le32(flags & ~(VIRTIO_VSOCK_SEQ_EOM |
							 VIRTIO_VSOCK_SEQ_EOR));
		if (n)
			argo_ring_copy(ring, AVS_HDR_SIZE + off, skb_put(skb, n), n);
		off += n;
		virtio_transport_deliver_tap_pkt(skb);
		argo_compat_vsock_recv_pkt(&avs_transport, skb);
	} while (off < len);
}

static void avs_rx_one(struct argo_ring *ring, const struct argo_msg_info *mi)
{
	struct virtio_vsock_hdr hdr = { };
	const char *why;

	if (mi->type != AVS_MSG_TYPE) {
		why = "not a vsock packet (message type)";
		goto bad;
	}
	if (mi->len >= AVS_HDR_SIZE)
		argo_ring_copy(ring, 0, &hdr, AVS_HDR_SIZE);
	if (avs_check_pkt(&hdr, mi->len, mi->src_domid, avs_own_cid, &why))
		goto bad;
	atomic64_inc(&avs_rx_packets);
	avs_rx_deliver(ring, &hdr, mi->len - AVS_HDR_SIZE);
	return;
bad:
	atomic64_inc(&avs_rx_dropped);
	pr_warn_ratelimited("dropped a packet from domain %u port %#x (%u bytes): %s\n",
			    mi->src_domid, mi->src_port, mi->len, why);
}

/**
 * avs_rx() - argo-core's receive callback for our rings
 * @ring: the ring with messages
 * @priv: the peer of a per-peer ring, NULL for the wildcard ring
 */
void avs_rx(struct argo_ring *ring, void *priv)
{
	struct argo_msg_info mi;

	while (!argo_ring_peek(ring, &mi)) {
		if (priv)
			avs_peer_used(priv);
		avs_rx_one(ring, &mi);
		argo_ring_consume(ring);
	}
}

/**
 * avs_resumed() - argo-core registered a ring of ours again after resume
 * @ring: the ring
 * @priv: unused
 *
 * Packets that found a ring missing meanwhile are sent again.  A domain
 * restored under a new domid (migration) has a new CID: its connected
 * sockets are reset, as the virtio transport does on its reset event, and
 * listeners carry on under the new CID.
 */
void avs_resumed(struct argo_ring *ring, void *priv)
{
	u64 cid = AVS_DOMID_TO_CID(argo_own_domid());

	if (cid != READ_ONCE(avs_own_cid)) {
		pr_info("CID changed from %llu to %llu: connections reset\n",
			avs_own_cid, cid);
		WRITE_ONCE(avs_own_cid, cid);
		avs_reset_sockets(AVS_ALL_CIDS, ECONNRESET);
	}
	avs_peers_resumed();
}
