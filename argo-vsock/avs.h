/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-vsock internals, shared by the module's files.
 *
 * main.c	parameters, load and unload, the ring mode
 * transport.c	the vsock transport: the virtio_transport_common operations
 *		and send_pkt, the one entry point for outgoing packets
 * peer.c	one struct avs_peer per remote domain: its send queue, the
 *		wait for room at its ring, its ring in per-peer mode, the
 *		liveness check that resets sockets of a domain that is gone,
 *		and what happens when argo-core loses one of our rings
 * rx.c		received packets: checked, cut into page-sized skbs, handed
 *		to virtio_transport_recv_pkt()
 * debugfs.c	/sys/kernel/debug/argo-vsock/status
 * check.c	the pure packet check (include/argo/argo_vsock_check.h)
 */
#ifndef _ARGO_VSOCK_AVS_H
#define _ARGO_VSOCK_AVS_H

#include <linux/argo.h>
#include <linux/mutex.h>
#include <linux/skbuff.h>
#include <linux/virtio_vsock.h>
#include <linux/workqueue.h>
#include <argo/argo_vsock_check.h>

/**
 * struct avs_peer - what argo-vsock keeps for one remote domain
 * @domid: the domain
 * @lock: orders sends to the domain and guards the fields below
 * @txq: packets waiting for room at the domain's ring, oldest first
 * @ring: per-peer mode: our ring that only @domid may fill
 * @waiter: asks argo-core to tell us when the domain's ring has room
 * @tx_work: sends what waits in @txq (process context)
 * @gone: argo-core's watch of the domain's ring, while we have connected
 *	sockets with it (@watching)
 * @gone_work: resets the domain's sockets once @gone fired
 * @gone_status: what @gone reported
 * @space_status: what @waiter reported last
 * @waiting: @waiter is armed
 * @listen: per-peer mode: keep a ring for @domid even with no socket
 *	(the peers= parameter), so its connections reach our listeners
 * @ring_err: per-peer mode: why creating @ring failed last, or 0
 * @ring_counted: @ring counts against max_peer_rings (made on demand)
 * @ring_lost: @ring was lost and avs_ring_lost() reset its sockets
 * @last_used: jiffies of the last packet to or from the domain through
 *	@ring (per-peer mode: idle rings are let go)
 * @tx_packets: packets sent to the domain
 * @tx_waits: times a packet had to wait for room
 * @resets: sockets reset because the domain went away or refused us
 */
struct avs_peer {
	u16 domid;
	struct mutex lock;	/* see @lock above */
	struct sk_buff_head txq;
	struct argo_ring *ring;
	struct argo_space_waiter waiter;
	struct work_struct tx_work;
	struct argo_space_waiter gone;
	struct work_struct gone_work;
	int gone_status;
	bool watching;
	void *bounce;		/* gathers a packet of many fragments */
	int space_status;
	bool waiting;
	bool listen;
	int ring_err;
	bool ring_counted;
	bool ring_lost;
	unsigned long last_used;
	u64 tx_packets;
	u64 tx_waits;
	u64 resets;
};

/* main.c */
extern u64 avs_own_cid;
extern bool avs_per_peer;
extern size_t avs_ring_size;
extern unsigned int avs_max_peer_rings;
extern unsigned int avs_ring_idle_s;
extern struct argo_ring *avs_wild_ring;
extern struct workqueue_struct *avs_wq;
extern struct virtio_transport avs_transport;

/* peer.c */
#define AVS_ALL_CIDS	U64_MAX
struct avs_peer *avs_peer_get(u16 domid);
int avs_peer_send(struct avs_peer *peer, struct sk_buff *skb);
int avs_peer_cancel(struct avs_peer *peer, struct vsock_sock *vsk);
void avs_peer_set_listen(u16 domid, bool listen);
void avs_peers_resumed(void);
void avs_peers_start(void);
void avs_peers_quiesce(void);
void avs_peers_stop(void);
void avs_peers_show(struct seq_file *m);
int avs_reset_sockets(u64 cid, int err);
void avs_ring_lost(struct argo_ring *ring, int err, void *priv);
void avs_peer_used(struct avs_peer *peer);
void avs_make_room(u16 except);

/* rx.c */
void avs_rx(struct argo_ring *ring, void *priv);
void avs_resumed(struct argo_ring *ring, void *priv);
extern atomic64_t avs_rx_packets, avs_rx_dropped;

/* debugfs.c */
void avs_debugfs_init(void);
void avs_debugfs_exit(void);

#endif /* _ARGO_VSOCK_AVS_H */
