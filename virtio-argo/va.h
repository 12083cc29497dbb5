/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-argo internals: one backend connection per configured backend
 * domain, one virtio device per device that backend offers, one va_vq per
 * virtqueue.  The wire protocol is docs/virtio-argo-protocol.md.
 *
 * Contexts:
 *  - driver config ops and device probe/remove: process context, may sleep
 *    and wait for a backend response;
 *  - virtqueue kicks: any context; they only queue the queue's kick work;
 *  - the Argo rx callback (argo-core's workqueue): parses what the backend
 *    sent; it never waits for a response, since it is what delivers them;
 *  - vring_interrupt() runs with interrupts and bottom halves disabled, as
 *    virtio drivers expect of a transport's interrupt.
 *
 * Lock order (outer first):
 *   va_backend.req_mutex
 *     va_backend.lock
 *       va_device.vqs_lock
 *         va_vq.lock, va_device.cb_lock (each innermost, never nested)
 *   va_device.cfg_lock is taken alone.
 * Helpers that expect a lock held say so with lockdep_assert_held().
 */
#ifndef _VIRTIO_ARGO_VA_H
#define _VIRTIO_ARGO_VA_H

#include <linux/argo.h>
#include <linux/build_bug.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <argo/virtio_argo_proto.h>
#include <argo/virtio_argo_check.h>

struct argo_ring;
struct platform_device;
struct vring_desc;
struct vring_avail;
struct vring_used;

/* The wire's sizes (docs/virtio-argo-protocol.md): what the records are. */
static_assert(sizeof(struct va_hdr) == 8);
static_assert(sizeof(struct va_connect) == 16);
static_assert(sizeof(struct va_bus_error) == 12);
static_assert(sizeof(struct va_get_devices_req) == 4);
static_assert(sizeof(struct va_get_devices_resp) == 6);
static_assert(sizeof(struct va_ping) == 4);
static_assert(sizeof(struct va_event_device) == 4);
static_assert(sizeof(struct va_device_info) == 24);
static_assert(sizeof(struct va_features) == 8);
static_assert(sizeof(struct va_get_config_req) == 8);
static_assert(sizeof(struct va_config) == 12);
static_assert(sizeof(struct va_event_config) == 16);
static_assert(sizeof(struct va_status) == 4);
static_assert(sizeof(struct va_vq_index) == 4);
static_assert(sizeof(struct va_vqueue) == 40);
static_assert(sizeof(struct va_shm_resp) == 12);
static_assert(sizeof(struct va_avail_chain) == 20);
static_assert(sizeof(struct va_used_chain) == 20);

extern struct workqueue_struct *va_io_wq;
extern struct workqueue_struct *va_ctl_wq;
extern unsigned int va_timeout_ms;
extern unsigned int va_max_vq_size;

enum va_be_state {
	VA_BE_IDLE,		/* not discovered yet, or waiting to retry */
	VA_BE_ONLINE,		/* answered CONNECT and GET_DEVICES */
	VA_BE_FAILED,		/* gone or misbehaved: devices being removed */
	VA_BE_DENIED,		/* policy refused our very first message: given up */
};

/* The one control request a backend connection has in flight. */
struct va_request {
	u8 type;
	u8 msg_id;
	u16 dev_num;
	u16 token;
	void *resp;
	u32 resp_max;
	u32 resp_len;
	int error;
	bool answered;
	struct completion done;
};

/**
 * struct va_backend - the connection to one backend domain
 * @domid: the backend's domain
 * @ring: our Argo ring; its partner is @domid
 * @pdev: parent of the virtio devices; owns the DMA ops (dma.c)
 * @lock: protects @state, @req, @ping_*, @last_rx
 * @req_mutex: serialises control requests (one in flight)
 * @devices: this backend's devices; under @lock
 * @work: discovery and removal, on the ordered control workqueue
 * @tick: liveness checks (a PING after 2 s of silence while answers are
 *	owed, after 5 s otherwise) and rediscovery retries
 * @gone: argo-core's watch of the backend's ring, armed once connected:
 *	a backend that exits or whose domain dies is noticed within a
 *	second, without waiting for a PING to go unanswered
 * @gone_work: acts on @gone (va_gone_work()), with @gone_status
 * @rxbuf: one control record, copied out of the ring for validation
 * @retired: the device numbers of devices we removed (one bit per u16
 *	number), whose late records are ignored; under @lock
 * @own_domid: our domid at the last CONNECT, the one the backend knows
 *	us by: a resume that changes it ends the session
 * @link: what CONNECT settled (record size, transport features); set by
 *	discovery before any device exists, reset at each CONNECT; the rx
 *	callback reads it once per message (READ_ONCE)
 */
struct va_backend {
	u16 domid;
	struct argo_ring *ring;
	struct platform_device *pdev;
	spinlock_t lock;		/* see above */
	enum va_be_state state;
	struct va_request *req;
	u16 next_token;
	struct mutex req_mutex;		/* one request in flight */
	struct list_head devices;
	struct work_struct work;
	struct delayed_work tick;
	struct argo_space_waiter gone;
	struct work_struct gone_work;
	int gone_status;
	unsigned long last_rx;
	unsigned long ping_sent;
	bool ping_pending;
	u16 ping_token;
	bool rescan;
	bool fault;
	bool dying;			/* module unload: no new work */
	unsigned int retries;
	char last_why[96];		/* the last fault logged; under @lock */
	bool was_online;		/* it answered GET_DEVICES once */
	bool denied;			/* see VA_BE_DENIED */
	atomic_t outstanding;
	atomic_t own_domid;
	u8 *rxbuf;
	u8 *membuf;			/* a MEM answer or MEM_WRITE's bytes */
	unsigned long *retired;
	struct va_link link;
	struct list_head node;
};

/* Device numbers are 16 bits wide. */
#define VA_DEV_NUMS	BIT(16)

/* Per-chain state, indexed by the chain's head descriptor. */
enum va_chain_stage {
	VA_CH_FREE,
	VA_CH_SENDING,		/* kick work is reading the chain's buffers */
	VA_CH_SENT,		/* waiting for USED_CHAIN */
	VA_CH_COPYING,		/* rx is writing the chain's buffers */
};

struct va_chain {
	u32 in_len;
	u32 total;
	u32 received;
	u8 stage;
	bool started;
	bool doomed;		/* fail it when its current owner is done */
};

/**
 * struct va_vq - the transport's view of one virtqueue
 * @vq: the virtqueue virtio_ring created
 * @lock: protects @chains, @used_idx, @used_held, @signalled and the used
 *	ring
 * @used_idx: the used index the driver sees
 * @used_held: used entries written after @used_idx but not yet published:
 *	chains the device completed with VA_CHAIN_HOLD
 * @held_since: jiffies when the oldest of them was written; a backend
 *	that holds them longer than the timeout fails the device
 * @last_avail: next avail index to read (the kick's: see @kicking)
 * @txbuf: records being batched into one Argo message (the kick's)
 * @kicking: bit 0 held by whoever reads the avail ring and builds
 *	@txbuf: the kick work, or va_vq_notify() sending at once
 *	(va_vq_kick_now())
 * @copying: rx copies in progress, waited for (wait_var_event()) before
 *	the buffers go away
 */
struct va_vq {
	struct virtqueue *vq;
	struct va_device *dev;
	u16 index;
	u16 num;
	bool event_idx;
	bool live;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	spinlock_t lock;		/* see above */
	struct va_chain *chains;
	u16 used_idx;
	u16 used_held;
	unsigned long held_since;
	u16 signalled;
	u16 last_avail;
	struct work_struct kick;
	u8 *txbuf;
	u32 txlen;
	unsigned long kicking;
	atomic_t copying;
};

/**
 * struct va_device - one virtio device offered by a backend
 * @vdev: what the virtio core and the driver see
 * @be: the backend connection
 * @dev_num: the backend's number for the device
 * @config: cached config space, refreshed on EVENT_CONFIG
 * @cfg_lock: protects @config and @generation
 * @cb_lock: held around vring_interrupt(); synchronize_cbs takes it
 * @vqs_lock: protects @vqs and each va_vq's @live
 * @failed: the device misbehaved or its backend went away: every chain
 *	completes locally with an error and no message is sent for it
 * @registered: the driver core knows the device and EVENT_CONFIG may
 *	queue @config_work; under the backend's lock, cleared before the
 *	device is unregistered (and @config_work cancelled)
 * @resetting: a reset was sent and the next status not yet answered:
 *	USED_CHAIN records for the device are dropped, since the driver
 *	takes its buffers back once the reset returns; under the backend's
 *	lock
 */
/**
 * struct va_windows - a device's memory windows (window.c)
 * @dev: the virtio device's parent, whose DMA ops record the mappings
 * @dma_parms: @dev's DMA limits: drivers set them on the parent
 *	(virtio_gpu sets its segment size, and the DMA API warns when a
 *	device has none)
 * @lock: guards @tree and @count; held while a request copies
 * @tree: the live streaming mappings (struct va_window)
 * @count: how many
 * @refused: requests answered EFAULT
 */
struct va_windows {
	struct device dev;
	struct device_dma_parameters dma_parms;
	spinlock_t lock;		/* see above; map and unmap may be atomic */
	struct rb_root_cached tree;
	unsigned int count;
	atomic_long_t refused;
};

struct va_device {
	struct virtio_device vdev;
	struct va_windows *win;		/* with VA_F_WINDOWS, else NULL */
	struct va_backend *be;
	u16 dev_num;
	u32 device_id;
	u32 vendor_id;
	u32 config_size;
	u32 max_vqs;
	u64 dev_features;
	u8 status;
	u32 generation;
	u8 *config;
	spinlock_t cfg_lock;		/* see above */
	spinlock_t cb_lock;		/* see above */
	spinlock_t vqs_lock;		/* see above */
	struct va_vq **vqs;
	bool failed;
	bool removing;
	bool unlinking;			/* picked for removal; under be->lock */
	bool registered;
	bool resetting;
	struct work_struct config_work;
	struct list_head node;
};

static inline struct va_device *to_va_device(struct virtio_device *vdev)
{
	return container_of(vdev, struct va_device, vdev);
}

/* backend.c */
int va_request(struct va_backend *be, u16 dev_num, u8 type, u8 msg_id,
	       const void *req, u32 req_len, void *resp, u32 resp_max,
	       u32 *resp_len);
int va_send(struct va_backend *be, const void *buf, u32 len);
void va_backend_fault(struct va_backend *be, const char *why);
void va_backend_kick(struct va_backend *be);
struct va_backend *va_backend_create(u16 domid, size_t ring_size);
void va_backend_destroy(struct va_backend *be);

/* device.c */
struct va_device *va_device_create(struct va_backend *be, u16 dev_num);
void va_device_remove(struct va_device *dev);
void va_device_fail(struct va_device *dev, const char *why);
void va_device_config_event(struct va_device *dev,
			    const struct va_event_config *e);
int va_device_errno(struct va_device *dev);

/* vq.c */
struct va_vq *va_vq_create(struct va_device *dev, unsigned int index,
			   vq_callback_t *cb, const char *name, bool ctx);
void va_vq_destroy(struct va_vq *vvq);
void va_vq_fail_all(struct va_vq *vvq);
void va_vq_forget_all(struct va_vq *vvq);
void va_vq_used(struct va_vq *vvq, const struct va_used_chain *u,
		struct argo_ring *ring, size_t data_off);
bool va_vq_held_too_long(struct va_vq *vvq);

/* dma.c */
int va_dma_setup(struct device *dev);
void *va_dma_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		   gfp_t gfp, unsigned long attrs);
void va_dma_free(struct device *dev, size_t size, void *vaddr,
		 dma_addr_t handle, unsigned long attrs);

/* window.c */
struct va_windows *va_windows_create(struct device *parent, u16 domid,
				     u16 dev_num);
void va_windows_put(struct va_windows *w);
bool va_windows_reclaim(struct device *dev);
int va_windows_access(struct va_windows *w, u64 addr, u32 len, bool write,
		      void *buf);
void va_dma_reclaim(struct device *dev);

#define va_err(be, fmt, ...)						\
	pr_err_ratelimited("virtio-argo: backend dom%u: " fmt "\n",	\
			   (be)->domid, ##__VA_ARGS__)
#define va_info(be, fmt, ...)						\
	pr_info("virtio-argo: backend dom%u: " fmt "\n", (be)->domid,	\
		##__VA_ARGS__)

#endif /* _VIRTIO_ARGO_VA_H */
