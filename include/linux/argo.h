/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-core: the in-kernel API to Xen's Argo transport.
 *
 * A client creates rings (receive buffers that the hypervisor fills on
 * behalf of other domains), sends messages to (domid, port) addresses and
 * reads what arrives.  Every callback runs in process context, on the
 * core's workqueue; nothing a client supplies is ever called from an
 * interrupt handler.
 *
 * See README.md ("The argo-core API") for an example client.
 */
#ifndef _LINUX_ARGO_H
#define _LINUX_ARGO_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/uio.h>

/* Partner domid meaning "any domain" (a wildcard ring). */
#define ARGO_DOMID_ANY		0x7FF4U
/* Port 0 asks argo_ring_create() to allocate a free port. */
#define ARGO_PORT_ANY		0U
/* Largest number of kvecs one argo_sendv() takes (hypervisor limit). */
#define ARGO_MAX_IOV		8U
/*
 * Smallest and largest ring data area, in bytes.  The hypervisor takes at
 * most 4096 pages per ring, one 64-byte header included: 16 MiB - 64.
 */
#define ARGO_RING_MIN_SIZE	48U
#define ARGO_RING_MAX_SIZE	(0x1000000U - 64U)

struct argo_ring;

/**
 * struct argo_ring_params - what a client asks for when creating a ring
 * @port: local port to bind, or %ARGO_PORT_ANY to have one allocated
 * @partner: the only domain allowed to send to this ring, or
 *	%ARGO_DOMID_ANY (needs the hypervisor's mac-permissive mode)
 * @size: smallest data area wanted, in bytes; rounded up to fill whole
 *	pages, at least %ARGO_RING_MIN_SIZE, at most %ARGO_RING_MAX_SIZE
 * @rx: called in process context when the ring may hold messages; it
 *	should drain with argo_ring_peek()/argo_ring_copy()/argo_ring_consume()
 *	and may sleep.  Calls for one ring never run concurrently.  May be NULL.
 * @resumed: called in process context after the domain was restored or
 *	migrated and the ring registered again (same port, partner, size and
 *	unread messages); senders should retry what failed meanwhile.  May be
 *	NULL.
 * @lost: called in process context, once, when argo-core gave up
 *	registering the ring again after a restore or migration, with the
 *	negative errno that keeps it away (see argo_ring_error()).  Nothing
 *	arrives in the ring any more; what it held stays readable.  The
 *	client fails what waits on the ring, and either destroys it or
 *	tries argo_ring_reregister() later.  May be NULL.
 * @priv: passed back to the callbacks, and returned by argo_ring_priv()
 * @rx_local: run the callbacks on the CPU that took VIRQ_ARGO (vCPU 0),
 *	not on whichever CPU is free: that saves waking another vCPU for
 *	each arrival.  Only for clients none of whose tasks wait for their
 *	own @rx with preemption off (a virtio driver polling for an answer
 *	does), which would then wait forever on that CPU.
 */
struct argo_ring_params {
	u32 port;
	u16 partner;
	size_t size;
	void (*rx)(struct argo_ring *ring, void *priv);
	void (*resumed)(struct argo_ring *ring, void *priv);
	void (*lost)(struct argo_ring *ring, int err, void *priv);
	void *priv;
	bool rx_local;
};

/**
 * struct argo_msg_info - a message waiting at the head of a ring
 * @len: payload length in bytes
 * @src_domid: the sending domain (written by the hypervisor, not the sender)
 * @src_port: the sender's port
 * @type: the sender's message_type
 */
struct argo_msg_info {
	u32 len;
	u16 src_domid;
	u32 src_port;
	u32 type;
};

/**
 * struct argo_dest_info - the state of a destination ring, from the hypervisor
 * @exists: a ring is registered at that address and we may send to it
 * @sufficient: it has room for the space asked about right now
 * @max_message_size: the largest payload it can ever take
 */
struct argo_dest_info {
	bool exists;
	bool sufficient;
	u32 max_message_size;
};

/**
 * struct argo_space_waiter - a sender waiting for room at a destination
 * @domid: destination domain
 * @port: destination port
 * @len: payload bytes the sender wants to send
 * @ready: called in process context, once, when the destination has room
 *	for @len bytes (status 0), has no ring (-ECONNREFUSED), can never
 *	take @len bytes (-EMSGSIZE), or the hypervisor refused the query
 *	(its errno).  Room is not reserved: another sender may take it first,
 *	so the sender retries and may wait again.
 * @node: private to argo-core
 * @queued: private to argo-core
 * @watch: private to argo-core (queued by argo_watch_ring())
 * @status: private to argo-core
 *
 * argo-core batches every waiting sender of the domain into one notify
 * hypercall, so the hypervisor raises VIRQ_ARGO when space appears: no
 * sender polls.
 *
 * The same structure watches a destination ring (argo_watch_ring()):
 * then @len is unused and @ready is called when the ring goes.
 */
struct argo_space_waiter {
	u16 domid;
	u32 port;
	u32 len;
	void (*ready)(struct argo_space_waiter *w, int status);
	struct list_head node;
	bool queued;
	bool watch;
	int status;
};

int argo_own_domid(void);

struct argo_ring *argo_ring_create(const struct argo_ring_params *params);
void argo_ring_destroy(struct argo_ring *ring);
u32 argo_ring_port(const struct argo_ring *ring);
u16 argo_ring_partner(const struct argo_ring *ring);
size_t argo_ring_size(const struct argo_ring *ring);
void *argo_ring_priv(const struct argo_ring *ring);
int argo_ring_error(const struct argo_ring *ring);
int argo_ring_reregister(struct argo_ring *ring);
void argo_ring_flush(struct argo_ring *ring);

ssize_t argo_sendv(struct argo_ring *from, u16 domid, u32 port,
		   const struct kvec *iov, unsigned int niov, u32 type);
ssize_t argo_sendv_wait(struct argo_ring *from, u16 domid, u32 port,
			const struct kvec *iov, unsigned int niov, u32 type,
			long timeout);
bool argo_sendv_reads_user(void);
void argo_space_wait(struct argo_space_waiter *w);
void argo_space_cancel(struct argo_space_waiter *w);
void argo_watch_ring(struct argo_space_waiter *w);

int argo_ring_peek(struct argo_ring *ring, struct argo_msg_info *info);
size_t argo_ring_copy(struct argo_ring *ring, size_t offset, void *buf,
		      size_t count);
size_t argo_ring_copy_to_iter(struct argo_ring *ring, size_t offset,
			      struct iov_iter *to, size_t count);
bool argo_ring_has_data(const struct argo_ring *ring);
void argo_ring_consume(struct argo_ring *ring);
int argo_notify(void);

int argo_query(u16 domid, u32 port, u32 space_required,
	       struct argo_dest_info *info);

#endif /* _LINUX_ARGO_H */
