// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-argo: one virtio device offered by a backend, and the
 * virtio_config_ops that Linux's virtio drivers call on it.
 *
 * Features, device info and the config space are fetched once when the
 * device is created and cached, so that config reads (which drivers may do
 * in atomic context) never wait for the backend; EVENT_CONFIG refreshes
 * the cache from a work item and tells the driver.  Status changes, config
 * writes and queue set-up are requests the backend answers.
 */
#include <linux/argo.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/virtio_ids.h>
#include <argo_compat.h>
#include "va.h"

/**
 * va_device_fail() - stop using a device that misbehaved or lost its backend
 * @dev: the device
 * @why: the rule the backend broke, for the log; NULL when the whole
 *	backend failed and said so already
 *
 * Every outstanding and future chain completes locally with an error, so
 * that no request waits for a backend that will not answer.  The device
 * is removed afterwards by the backend's work.  virtio_break_device() is
 * deliberately not used while chains may be in flight: a broken queue
 * never hands completions to its driver, and Linux 6.1's virtio_blk then
 * waits forever for its requests when the device is removed.
 *
 * Context: process context, or any context holding the backend's lock.
 */
void va_device_fail(struct va_device *dev, const char *why)
{
	unsigned int i;

	if (xchg(&dev->failed, true))
		return;
	if (why)
		va_err(dev->be, "device %u (virtio id %u) broken: %s",
		       dev->dev_num, dev->device_id, why);
	spin_lock(&dev->vqs_lock);
	for (i = 0; i < dev->max_vqs; i++)
		if (dev->vqs[i])
			va_vq_fail_all(dev->vqs[i]);
	spin_unlock(&dev->vqs_lock);
	if (why) {
		WRITE_ONCE(dev->removing, true);
		va_backend_kick(dev->be);
	}
}

static int va_dev_request(struct va_device *dev, u8 msg_id, const void *req,
			  u32 req_len, void *resp, u32 resp_max, u32 *resp_len)
{
	if (READ_ONCE(dev->failed))
		return -ENODEV;
	return va_request(dev->be, dev->dev_num, 0, msg_id, req, req_len,
			  resp, resp_max, resp_len);
}

/* Fetch the whole config space into @buf; returns its generation. */
static int va_config_fetch(struct va_device *dev, u8 *buf, u32 *generation)
{
	struct {
		struct va_config c;
		u8 data[VA_CONFIG_CHUNK];
	} __packed resp;
	struct va_get_config_req req;
	u32 off, len, gen = 0;
	int tries, r;

	for (tries = 0; tries < 3; tries++) {
		bool changed = false;

		for (off = 0; off < dev->config_size; off += len) {
			len = min(dev->config_size - off, VA_CONFIG_CHUNK);
			req.offset = cpu_to_le32(off);
			req.size = cpu_to_le32(len);
			r = va_dev_request(dev, VA_GET_CONFIG, &req,
					   sizeof(req), &resp, sizeof(resp),
					   &len);
			if (r)
				return r;
			if (le32_to_cpu(resp.c.offset) != off ||
			    le32_to_cpu(resp.c.size) !=
			    min(dev->config_size - off, VA_CONFIG_CHUNK)) {
				va_device_fail(dev, "GET_CONFIG answered another range");
				return -EPROTO;
			}
			len = le32_to_cpu(resp.c.size);
			memcpy(buf + off, resp.data, len);
			if (off && le32_to_cpu(resp.c.generation) != gen)
				changed = true;
			gen = le32_to_cpu(resp.c.generation);
		}
		if (!changed) {
			*generation = gen;
			return 0;
		}
	}
	va_device_fail(dev, "config generation keeps changing");
	return -EPROTO;
}

/* Read the whole space again, at one generation, into the cache. */
static int va_config_refresh(struct va_device *dev)
{
	u8 *buf = kzalloc(dev->config_size, GFP_KERNEL);
	unsigned long flags;
	u32 gen;
	int r;

	if (!buf)
		return -ENOMEM;
	r = va_config_fetch(dev, buf, &gen);
	if (!r) {
		spin_lock_irqsave(&dev->cfg_lock, flags);
		memcpy(dev->config, buf, dev->config_size);
		dev->generation = gen;
		spin_unlock_irqrestore(&dev->cfg_lock, flags);
	}
	kfree(buf);
	return r;
}

static void va_config_work(struct work_struct *work)
{
	struct va_device *dev = container_of(work, struct va_device,
					     config_work);

	if (!va_config_refresh(dev))
		virtio_config_changed(&dev->vdev);
}

/**
 * va_device_config_event() - the backend says the config space changed
 * @dev: the device
 * @e: the EVENT_CONFIG (checked by va_check_from_device())
 *
 * An event before the device is registered or once its removal began is
 * dropped: the removal cancels the work after clearing @registered under
 * the same lock, so the work is never queued on a device being freed.
 * Events that come while the work is pending coalesce into one refresh.
 *
 * Context: the rx callback, holding the backend's lock; the refresh runs
 * in a work item because it needs answers that the rx callback itself
 * delivers.
 */
void va_device_config_event(struct va_device *dev,
			    const struct va_event_config *e)
{
	lockdep_assert_held(&dev->be->lock);
	if (!dev->registered)
		return;
	/*
	 * Of the status it carries, only DEVICE_NEEDS_RESET is the device's
	 * to set; the other bits are the driver's.  The data it may carry
	 * is not applied: the refresh reads the whole space at one
	 * generation, which a partial update could not give.
	 */
	if (le32_to_cpu(e->status) & VIRTIO_CONFIG_S_NEEDS_RESET)
		WRITE_ONCE(dev->status,
			   READ_ONCE(dev->status) | VIRTIO_CONFIG_S_NEEDS_RESET);
	schedule_work(&dev->config_work);
}

static void va_get(struct virtio_device *vdev, unsigned int offset,
		   void *buf, unsigned int len)
{
	struct va_device *dev = to_va_device(vdev);
	unsigned long flags;

	if (offset > dev->config_size || len > dev->config_size - offset) {
		dev_warn_ratelimited(&vdev->dev,
				     "config read %u+%u beyond %u bytes\n",
				     offset, len, dev->config_size);
		memset(buf, 0, len);
		return;
	}
	spin_lock_irqsave(&dev->cfg_lock, flags);
	memcpy(buf, dev->config + offset, len);
	spin_unlock_irqrestore(&dev->cfg_lock, flags);
}

/*
 * One SET_CONFIG of @n bytes at @offset.  A device refuses a write made
 * with a generation that is no longer current (it answers size 0): then
 * the space is read again, for its generation, and the write tried once
 * more.  Return: 0, -EAGAIN (refused twice) or another negative errno.
 */
static int va_set_chunk(struct va_device *dev, u32 offset, const u8 *buf,
			u32 n)
{
	struct {
		struct va_config c;
		u8 data[VA_CONFIG_CHUNK];
	} __packed req, resp;
	unsigned long flags;
	u8 *scratch;
	int tries, r;
	u32 rlen, gen;

	for (tries = 0; tries < 2; tries++) {
		spin_lock_irqsave(&dev->cfg_lock, flags);
		req.c.generation = cpu_to_le32(dev->generation);
		spin_unlock_irqrestore(&dev->cfg_lock, flags);
		req.c.offset = cpu_to_le32(offset);
		req.c.size = cpu_to_le32(n);
		memcpy(req.data, buf, n);
		r = va_dev_request(dev, VA_SET_CONFIG, &req, sizeof(req.c) + n,
				   &resp, sizeof(resp), &rlen);
		if (r)
			return r;
		if (le32_to_cpu(resp.c.size) == n &&
		    le32_to_cpu(resp.c.offset) == offset) {
			spin_lock_irqsave(&dev->cfg_lock, flags);
			dev->generation = le32_to_cpu(resp.c.generation);
			spin_unlock_irqrestore(&dev->cfg_lock, flags);
			return 0;
		}
		if (resp.c.size) {
			va_device_fail(dev, "SET_CONFIG answered another range");
			return -EPROTO;
		}
		/*
		 * Refused: learn the current generation.  Only the generation:
		 * the device's EVENT_CONFIG for the change that moved it
		 * refreshes the space and tells the driver.
		 */
		scratch = kmalloc(dev->config_size, GFP_KERNEL);
		if (!scratch)
			return -ENOMEM;
		r = va_config_fetch(dev, scratch, &gen);
		kfree(scratch);
		if (r)
			return r;
		spin_lock_irqsave(&dev->cfg_lock, flags);
		dev->generation = gen;
		spin_unlock_irqrestore(&dev->cfg_lock, flags);
	}
	return -EAGAIN;
}

static void va_set(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len)
{
	struct va_device *dev = to_va_device(vdev);
	unsigned long flags;
	u32 done, n;

	if (offset > dev->config_size || len > dev->config_size - offset) {
		dev_warn_ratelimited(&vdev->dev,
				     "config write %u+%u beyond %u bytes: dropped\n",
				     offset, len, dev->config_size);
		return;
	}
	spin_lock_irqsave(&dev->cfg_lock, flags);
	memcpy(dev->config + offset, buf, len);
	spin_unlock_irqrestore(&dev->cfg_lock, flags);
	/* SET_CONFIG carries at most VA_CONFIG_CHUNK bytes: one per chunk. */
	for (done = 0; done < len; done += n) {
		n = min_t(u32, len - done, VA_CONFIG_CHUNK);
		if (va_set_chunk(dev, offset + done, (const u8 *)buf + done,
				 n)) {
			dev_warn_ratelimited(&vdev->dev,
					     "config write %u+%u: the backend did not take it\n",
					     offset + done, n);
			return;
		}
	}
	/*
	 * A write may change other bytes of the space: virtio-input's
	 * select and subsel choose what its union holds, which its driver
	 * reads right after.  The cache must then show the device's bytes,
	 * so read the space again (config writes are rare: a few at probe).
	 */
	if (va_config_refresh(dev))
		dev_warn_ratelimited(&vdev->dev,
				     "config write %u+%u: reading the space back failed\n",
				     offset, len);
}

static u32 va_generation(struct virtio_device *vdev)
{
	struct va_device *dev = to_va_device(vdev);

	return READ_ONCE(dev->generation);
}

static u8 va_get_status(struct virtio_device *vdev)
{
	return READ_ONCE(to_va_device(vdev)->status);
}

static int va_write_status(struct va_device *dev, u8 status)
{
	struct va_status req = { .status = cpu_to_le32(status) }, resp;
	u32 len, got;
	int r;

	r = va_dev_request(dev, VA_SET_DEVICE_STATUS, &req, sizeof(req),
			   &resp, sizeof(resp), &len);
	if (r) {
		/* No answer: the driver must not believe its features took. */
		WRITE_ONCE(dev->status, status ?
			   (status & ~VIRTIO_CONFIG_S_FEATURES_OK) |
			   VIRTIO_CONFIG_S_NEEDS_RESET : 0);
		return r;
	}
	got = le32_to_cpu(resp.status);
	if (!va_status_ok(status, got)) {
		va_device_fail(dev, "device status changed in a way virtio forbids");
		WRITE_ONCE(dev->status, status ? VIRTIO_CONFIG_S_NEEDS_RESET |
			   (status & ~VIRTIO_CONFIG_S_FEATURES_OK) : 0);
		return -EPROTO;
	}
	WRITE_ONCE(dev->status, got);
	return 0;
}

static void va_set_status(struct virtio_device *vdev, u8 status)
{
	struct va_device *dev = to_va_device(vdev);

	/* A reset goes through va_reset(). */
	if (!status)
		return;
	/*
	 * The virtio core's memory-access check runs just before it sets
	 * FEATURES_OK, and may have replaced the parent's DMA ops (dma.c).
	 */
	if (status & VIRTIO_CONFIG_S_FEATURES_OK)
		va_dma_reclaim(vdev->dev.parent);
	va_write_status(dev, status);
	/*
	 * The driver starts again: the device's completions count again.
	 * Only now: records that followed the reset's answer in its Argo
	 * message are handled before this status's answer (one ring's rx
	 * calls never overlap, and run in order), so they still find
	 * @resetting set, however soon the driver came back.
	 */
	spin_lock(&dev->be->lock);
	dev->resetting = false;
	spin_unlock(&dev->be->lock);
}

static void va_reset(struct virtio_device *vdev)
{
	struct va_device *dev = to_va_device(vdev);
	unsigned int i;

	/* No kick work may be reading a chain while the queues go back. */
	for (i = 0; i < dev->max_vqs; i++)
		if (dev->vqs[i])
			flush_work(&dev->vqs[i]->kick);
	/*
	 * From here on no USED_CHAIN starts a copy: the driver frees its
	 * buffers once we return, and a record that follows the reset's
	 * answer in the same Argo message (or a backend that ignores the
	 * reset) must not write into them.  The rx path checks the flag
	 * under the backend's lock before it counts a copy, so after the
	 * waits below nothing writes into the old chains.
	 */
	spin_lock(&dev->be->lock);
	dev->resetting = true;
	spin_unlock(&dev->be->lock);
	va_write_status(dev, 0);
	WRITE_ONCE(dev->status, 0);
	for (i = 0; i < dev->max_vqs; i++) {
		struct va_vq *vvq;

		spin_lock(&dev->vqs_lock);
		vvq = dev->vqs[i];
		spin_unlock(&dev->vqs_lock);
		if (!vvq)
			continue;
		wait_var_event(&vvq->copying, !atomic_read(&vvq->copying));
		va_vq_forget_all(vvq);
	}
}

/*
 * The features of the ring and of its negotiation (bits 24 to 40) are
 * this transport's to offer, not the backend's: the guest plays the
 * device side of every vring, which the backend never sees.  We offer
 * what vq.c implements, whatever the backend says: VERSION_1 (required),
 * INDIRECT_DESC and EVENT_IDX when the backend's device wants them (it
 * offers them for devices whose drivers gain from them), and never, for
 * example, IN_ORDER (USED_CHAIN records complete in any order) or
 * RING_PACKED.  The device's own bits (0 to 23, 41 and up) pass as they
 * are.
 *
 * ACCESS_PLATFORM we always add, and never pass on to the backend: it
 * says that the device reaches the driver's memory only through the
 * platform's DMA API, which is exactly how this transport works (dma.c).
 * Kernels built with Xen's grant DMA (CONFIG_XEN_VIRTIO) refuse, in a PV
 * domain, every device that lacks it.
 */
#define VA_RING_FEATURES	GENMASK_ULL(40, 24)
#define VA_RING_OURS		(BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |	\
				 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |	\
				 BIT_ULL(VIRTIO_F_VERSION_1))
#define VA_TRANSPORT_ONLY	BIT_ULL(VIRTIO_F_ACCESS_PLATFORM)

static u64 va_ring_features(u64 offered)
{
	return (offered & ~(VA_RING_FEATURES & ~VA_RING_OURS)) |
	       VA_TRANSPORT_ONLY;
}

static u64 va_get_features(struct virtio_device *vdev)
{
	return to_va_device(vdev)->dev_features;
}

static int va_finalize_features(struct virtio_device *vdev)
{
	struct va_device *dev = to_va_device(vdev);
	struct {
		struct va_features f;
		__le32 words[2];
	} __packed req;
	u64 features;
	u32 len;

	/* Only the ring features va_ring_features() let through remain. */
	vring_transport_features(vdev);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "backend device is not VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	features = vdev->features & ~VA_TRANSPORT_ONLY;
	req.f.index = 0;
	req.f.count = cpu_to_le32(2);
	req.words[0] = cpu_to_le32(lower_32_bits(features));
	req.words[1] = cpu_to_le32(upper_32_bits(features));
	return va_dev_request(dev, VA_SET_DRIVER_FEATURES, &req, sizeof(req),
			      NULL, 0, &len);
}

static void va_del_vqs(struct virtio_device *vdev)
{
	struct va_device *dev = to_va_device(vdev);
	unsigned int i;
	u32 len;

	for (i = 0; i < dev->max_vqs; i++) {
		struct va_vq_index qi = { .index = cpu_to_le32(i) };

		if (!dev->vqs[i])
			continue;
		va_dev_request(dev, VA_RESET_VQUEUE, &qi, sizeof(qi), NULL, 0,
			       &len);
		va_vq_destroy(dev->vqs[i]);
	}
}

static int va_setup_vq(struct virtio_device *vdev, unsigned int index,
		       struct virtqueue **vqp, vq_callback_t *cb,
		       const char *name, bool ctx)
{
	struct va_vq *vvq = va_vq_create(to_va_device(vdev), index, cb, name,
					 ctx);

	if (IS_ERR(vvq))
		return PTR_ERR(vvq);
	*vqp = vvq->vq;
	return 0;
}

ARGO_COMPAT_DEFINE_FIND_VQS(va_find_vqs, va_setup_vq, va_del_vqs)

static const char *va_bus_name(struct virtio_device *vdev)
{
	return dev_name(vdev->dev.parent);
}

static void va_synchronize_cbs(struct virtio_device *vdev)
{
	struct va_device *dev = to_va_device(vdev);

	spin_lock_irq(&dev->cb_lock);
	spin_unlock_irq(&dev->cb_lock);
}

static const struct virtio_config_ops va_config_ops = {
	.get = va_get,
	.set = va_set,
	.generation = va_generation,
	.get_status = va_get_status,
	.set_status = va_set_status,
	.reset = va_reset,
	.find_vqs = va_find_vqs,
	.del_vqs = va_del_vqs,
	.synchronize_cbs = va_synchronize_cbs,
	.get_features = va_get_features,
	.finalize_features = va_finalize_features,
	.bus_name = va_bus_name,
};

static void va_device_release(struct device *d)
{
	struct va_device *dev = to_va_device(dev_to_virtio(d));

	if (dev->win)
		va_windows_put(dev->win);
	kfree(dev->vqs);
	kfree(dev->config);
	kfree(dev);
}

static int va_device_probe_info(struct va_device *dev)
{
	struct va_device_info info;
	struct va_features freq = { .index = 0, .count = cpu_to_le32(2) };
	struct {
		struct va_features f;
		__le32 words[4];
	} __packed fresp;
	u32 len, count, i;
	int r;

	r = va_dev_request(dev, VA_GET_DEVICE_INFO, NULL, 0, &info,
			   sizeof(info), &len);
	if (r)
		return r;
	dev->device_id = le32_to_cpu(info.device_id);
	dev->vendor_id = le32_to_cpu(info.vendor_id);
	dev->config_size = le32_to_cpu(info.config_size);
	dev->max_vqs = le32_to_cpu(info.max_virtqueues);
	if (!dev->device_id)
		return -ENODEV;	/* gone since GET_DEVICES: not an error */
	if (dev->config_size > VA_CONFIG_MAX ||
	    le32_to_cpu(info.num_feature_bits) % 32 ||
	    !dev->max_vqs || dev->max_vqs > VA_MAX_VQS) {
		va_err(dev->be, "device %u: device info out of range",
		       dev->dev_num);
		return -EPROTO;
	}
	r = va_dev_request(dev, VA_GET_DEVICE_FEATURES, &freq, sizeof(freq),
			   &fresp, sizeof(fresp), &len);
	if (r)
		return r;
	count = le32_to_cpu(fresp.f.count);
	if (fresp.f.index || count > 2) {
		va_err(dev->be, "device %u: features answer out of range",
		       dev->dev_num);
		return -EPROTO;
	}
	for (i = 0; i < count; i++)
		dev->dev_features |= (u64)le32_to_cpu(fresp.words[i]) << (32 * i);
	dev->dev_features = va_ring_features(dev->dev_features);
	return 0;
}

/**
 * va_device_create() - learn about one device and register it
 * @be: its backend
 * @dev_num: the backend's number for it
 *
 * Context: the backend's work; sleeps.  The driver probes from here.
 * Return: the device, or an ERR_PTR().
 */
struct va_device *va_device_create(struct va_backend *be, u16 dev_num)
{
	struct va_device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	int r;

	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->be = be;
	dev->dev_num = dev_num;
	spin_lock_init(&dev->cfg_lock);
	spin_lock_init(&dev->cb_lock);
	spin_lock_init(&dev->vqs_lock);
	INIT_WORK(&dev->config_work, va_config_work);
	INIT_LIST_HEAD(&dev->node);

	r = va_device_probe_info(dev);
	if (r)
		goto err;
	/*
	 * virtio_console waits for its control messages by spinning with
	 * preemption off until the device used them.  This transport plays
	 * the device from a work item, which needs another CPU to run on:
	 * with one vCPU the guest would hang, so say so and skip the device.
	 */
	if (dev->device_id == VIRTIO_ID_CONSOLE && num_online_cpus() < 2) {
		va_err(be, "device %u: virtio-console needs 2 or more vCPUs with this transport; not added",
		       dev_num);
		r = -EOPNOTSUPP;
		goto err;
	}
	dev->vqs = kcalloc(dev->max_vqs, sizeof(*dev->vqs), GFP_KERNEL);
	dev->config = kzalloc(dev->config_size ?: 1, GFP_KERNEL);
	r = -ENOMEM;
	if (!dev->vqs || !dev->config)
		goto err;
	r = va_config_fetch(dev, dev->config, &dev->generation);
	if (r)
		goto err;

	dev->vdev.dev.parent = &be->pdev->dev;
	if (READ_ONCE(be->link.features) & BIT_ULL(VA_F_WINDOWS)) {
		/* its own parent: its mappings are its windows (window.c) */
		dev->win = va_windows_create(&be->pdev->dev, be->domid,
					     dev_num);
		if (IS_ERR(dev->win)) {
			r = PTR_ERR(dev->win);
			dev->win = NULL;
			goto err;
		}
		dev->vdev.dev.parent = &dev->win->dev;
	}
	dev->vdev.dev.release = va_device_release;
	dev->vdev.config = &va_config_ops;
	dev->vdev.id.device = dev->device_id;
	dev->vdev.id.vendor = dev->vendor_id;
	/* Listed first: the driver's probe already does I/O. */
	spin_lock(&be->lock);
	list_add_tail(&dev->node, &be->devices);
	__clear_bit(dev_num, be->retired);
	spin_unlock(&be->lock);
	r = register_virtio_device(&dev->vdev);
	if (r) {
		va_err(be, "device %u: registering it failed (%d)", dev_num, r);
		spin_lock(&be->lock);
		list_del_init(&dev->node);
		spin_unlock(&be->lock);
		put_device(&dev->vdev.dev);
		return ERR_PTR(r);
	}
	spin_lock(&be->lock);
	dev->registered = true;
	spin_unlock(&be->lock);
	va_info(be, "device %u: virtio id %u as %s", dev_num, dev->device_id,
		dev_name(&dev->vdev.dev));
	return dev;

err:
	if (r != -ENODEV && r != -EOPNOTSUPP)
		va_err(be, "device %u: not added (%d)", dev_num, r);
	if (dev->win)
		va_windows_put(dev->win);
	kfree(dev->vqs);
	kfree(dev->config);
	kfree(dev);
	return ERR_PTR(r);
}

/**
 * va_device_remove() - unregister a device, as unbinding its driver would
 * @dev: the device, still on its backend's list (so that the completions
 *	its driver waits for while it lets go find it), picked for removal
 *
 * Context: the backend's work; sleeps until the driver let go.
 */
void va_device_remove(struct va_device *dev)
{
	/* No EVENT_CONFIG queues the refresh again after this. */
	spin_lock(&dev->be->lock);
	dev->registered = false;
	spin_unlock(&dev->be->lock);
	cancel_work_sync(&dev->config_work);
	va_info(dev->be, "device %u: removing %s", dev->dev_num,
		dev_name(&dev->vdev.dev));
	unregister_virtio_device(&dev->vdev);
}
