/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-core internals shared between its source files.
 */
#ifndef _ARGO_CORE_CORE_H
#define _ARGO_CORE_CORE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/workqueue.h>
#include <linux/argo.h>
#include <argo/ring_buf.h>

#include "mech.h"

/**
 * struct argo_ring - a registered ring (opaque to clients)
 * @node: on argo_rings, RCU-protected for the interrupt handler
 * @shared: the ring as the hypervisor sees it (header, then data)
 * @len: data area length (the hypervisor does not store it in the ring)
 * @npages: pages backing @shared
 * @port: local port
 * @partner: partner domid or ARGO_DOMID_ANY
 * @params: what the client asked for (callback, private data)
 * @rx_work: runs the client's rx callback in process context
 * @cur: the message found by the last argo_ring_peek()
 * @cur_valid: @cur describes the message at the read index
 * @consumed: a message was consumed since the last notify
 * @resume_pending: the rx work must call the resumed callback first
 * @lost_pending: the rx work must call the lost callback first
 * @lost: registering again after resume failed with this errno (retried)
 * @gone: argo-core gave up registering the ring again: the errno its
 *	client was told (argo_ring_error()); 0 while the ring is registered
 * @broken: the ring's indexes or a header were found corrupt
 * @rx_msgs: messages consumed
 * @rx_bytes: payload bytes consumed
 * @tx_msgs: messages sent from this ring's port
 * @tx_bytes: payload bytes sent
 * @tx_full: sends refused with -EAGAIN or -EBUSY (destination full)
 * @notifies: notify calls made after consuming
 */
struct argo_ring {
	struct list_head node;
	struct xen_argo_ring *shared;
	u32 len;
	u32 npages;
	u32 port;
	u16 partner;
	struct argo_ring_params params;
	struct work_struct rx_work;
	struct argo_rb_msg cur;
	bool cur_valid;
	bool consumed;
	atomic_t resume_pending;
	atomic_t lost_pending;
	int lost;
	int gone;
	bool broken;
	u64 rx_msgs;
	u64 rx_bytes;
	atomic_long_t tx_msgs;
	atomic_long_t tx_bytes;
	atomic_long_t tx_full;
	atomic_long_t notifies;
};

extern const struct argo_mech *argo_mech;
extern struct workqueue_struct *argo_wq;
extern struct workqueue_struct *argo_local_wq;
extern atomic_t argo_unnotified;

struct seq_file;

/* ring.c */
void argo_rings_kick(void);
void argo_rings_assert_empty(void);
unsigned int argo_rings_resume(bool retry, unsigned int *gone);
void argo_rings_give_up(void);
int argo_ring_lose(u32 port, u16 partner, int err);
int argo_rings_show(struct seq_file *m);

/* send.c */
size_t argo_iov_len(const struct kvec *iov, unsigned int niov);

/* space.c */
void argo_space_kick(void);
void argo_space_exit(void);
unsigned int argo_space_waiting(unsigned int *watches);

/* debugfs.c */
void argo_debugfs_init(void);
void argo_debugfs_exit(void);

#endif /* _ARGO_CORE_CORE_H */
