// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane of one device instance: device info, features,
 * config space, status and queue setup.  Records arrive here with their
 * sizes checked by the shared rules (va_check_from_driver(),
 * virtio-argo/check.c); a malformed one never does.  Each request gets
 * exactly one response; one that cannot be carried out (offsets outside
 * the config space, a queue that does not exist, ...) gets the bus's
 * ERROR with a Linux errno instead, never silence, so the driver's
 * request fails instead of waiting.
 */
#include <errno.h>

#include <linux/virtio_config.h>

#include "backend.h"

static void get_device_info(struct devinst *di, const struct va_rec *r)
{
	const struct dev_ops *ops = di->dev->ops;
	uint8_t p[sizeof(struct va_device_info)];

	put_le32(p + offsetof(struct va_device_info, device_id),
		 ops->device_id);
	put_le32(p + offsetof(struct va_device_info, vendor_id), VB_VENDOR_ID);
	put_le32(p + offsetof(struct va_device_info, num_feature_bits),
		 32 * VB_FEATURE_WORDS);
	put_le32(p + offsetof(struct va_device_info, config_size),
		 ops->config_size);
	put_le32(p + offsetof(struct va_device_info, max_virtqueues),
		 ops->nqueues);
	put_le16(p + offsetof(struct va_device_info, admin_vq_start), 0);
	put_le16(p + offsetof(struct va_device_info, admin_vq_count), 0);
	reply(di->g, r, p, sizeof(p));
}

/* Feature word @i of a 64-bit set; words above it are zero. */
static uint32_t feature_word(uint64_t features, uint64_t i)
{
	if (i >= VB_FEATURE_WORDS)
		return 0;
	return (uint32_t)(features >> (32 * i));
}

static void get_features(struct devinst *di, const struct va_rec *r)
{
	uint8_t p[sizeof(struct va_features) + VA_FEATURE_BLOCKS_MAX * 4];
	uint64_t features = devinst_features(di);
	uint32_t index, count, i;

	index = get_le32(r->payload + offsetof(struct va_features, index));
	count = get_le32(r->payload + offsetof(struct va_features, count));
	/* more than a driver takes in one answer (spec 5) */
	if (count > VA_FEATURE_BLOCKS_MAX) {
		reply_error(di->g, r, EINVAL);
		return;
	}
	put_le32(p + offsetof(struct va_features, index), index);
	put_le32(p + offsetof(struct va_features, count), count);
	for (i = 0; i < count; i++)
		put_le32(p + sizeof(struct va_features) + 4 * i,
			 feature_word(features, (uint64_t)index + i));
	reply(di->g, r, p, sizeof(struct va_features) + 4 * count);
}

static void set_features(struct devinst *di, const struct va_rec *r)
{
	uint32_t index, count, i;

	index = get_le32(r->payload + offsetof(struct va_features, index));
	count = get_le32(r->payload + offsetof(struct va_features, count));
	/* virtio: features are fixed once FEATURES_OK is set */
	if (di->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		reply_error(di->g, r, EBUSY);
		return;
	}
	for (i = 0; i < count; i++) {
		uint64_t w = (uint64_t)index + i;
		uint32_t v = get_le32(r->payload + sizeof(struct va_features) +
				      4 * i);

		if (w >= VB_FEATURE_WORDS) {
			if (v)
				di->drv_features_high = true;
			continue;
		}
		di->drv_features &= ~(0xFFFFFFFFULL << (32 * w));
		di->drv_features |= (uint64_t)v << (32 * w);
	}
	vb_debug("guest %u: device %u: driver features %#llx", di->g->domid,
		 di->dev->dev_num, (unsigned long long)di->drv_features);
	reply(di->g, r, NULL, 0);
}

/* Is a config access of @size bytes at @offset inside the config space? */
static bool config_range_ok(const struct devinst *di, uint32_t offset,
			    uint32_t size)
{
	uint32_t cs = di->dev->ops->config_size;

	return size <= VA_CONFIG_CHUNK && offset <= cs && size <= cs - offset;
}

/* GET_CONFIG's answer, and SET_CONFIG's: @size bytes at @offset, as now. */
static void reply_config(struct devinst *di, const struct va_rec *r,
			 uint32_t offset, uint32_t size)
{
	uint8_t cfg[VA_CONFIG_MAX];
	uint8_t p[sizeof(struct va_config) + VA_CONFIG_CHUNK];

	memset(cfg, 0, sizeof(cfg));
	if (di->dev->ops->inst_config)
		di->dev->ops->inst_config(di, cfg);
	else if (di->dev->ops->config)
		di->dev->ops->config(di->dev, cfg);
	put_le32(p + offsetof(struct va_config, generation), di->generation);
	put_le32(p + offsetof(struct va_config, offset), offset);
	put_le32(p + offsetof(struct va_config, size), size);
	memcpy(p + sizeof(struct va_config), cfg + offset, size);
	reply(di->g, r, p, sizeof(struct va_config) + size);
}

static void get_config(struct devinst *di, const struct va_rec *r)
{
	uint32_t offset, size;

	offset = get_le32(r->payload + offsetof(struct va_get_config_req,
						offset));
	size = get_le32(r->payload + offsetof(struct va_get_config_req, size));
	if (!config_range_ok(di, offset, size)) {
		reply_error(di->g, r, EINVAL);
		return;
	}
	reply_config(di, r, offset, size);
}

/*
 * Every config field our devices have is read-only for the driver (we
 * offer no feature that makes one writable), so an in-range write made
 * at the current generation is accepted and has no effect, as on other
 * virtio transports: the answer carries the bytes as they are.  A write
 * made at another generation is refused (size 0), as the draft requires.
 */
static void set_config(struct devinst *di, const struct va_rec *r)
{
	uint32_t generation, offset, size;

	generation = get_le32(r->payload + offsetof(struct va_config,
						    generation));
	offset = get_le32(r->payload + offsetof(struct va_config, offset));
	size = get_le32(r->payload + offsetof(struct va_config, size));
	if (!config_range_ok(di, offset, size)) {
		reply_error(di->g, r, EINVAL);
		return;
	}
	if (generation != di->generation) {
		uint8_t p[sizeof(struct va_config)];

		put_le32(p + offsetof(struct va_config, generation),
			 di->generation);
		put_le32(p + offsetof(struct va_config, offset), offset);
		put_le32(p + offsetof(struct va_config, size), 0);
		reply(di->g, r, p, sizeof(p));
		return;
	}
	if (di->dev->ops->config_write)
		di->dev->ops->config_write(di, offset,
					   r->payload + sizeof(struct va_config),
					   size);
	reply_config(di, r, offset, size);
}

/* May the driver's features be accepted (virtio: FEATURES_OK)? */
static bool features_acceptable(const struct devinst *di)
{
	return !di->drv_features_high &&
	       !(di->drv_features & ~devinst_features(di)) &&
	       (di->drv_features & (1ULL << VIRTIO_F_VERSION_1));
}

static void reply_status(struct devinst *di, const struct va_rec *r)
{
	uint8_t p[sizeof(struct va_status)];

	put_le32(p, di->status);
	reply(di->g, r, p, sizeof(p));
}

/*
 * The virtio status protocol: 0 resets; otherwise the driver only adds
 * bits.  FEATURES_OK is kept only when the features are acceptable (the
 * driver reads the status back to learn that); DEVICE_NEEDS_RESET is ours
 * and stays until a reset.
 */
static void set_status(struct devinst *di, const struct va_rec *r)
{
	uint32_t st, cur, want;

	st = get_le32(r->payload);
	if (!st) {
		vb_debug("guest %u: device %u: reset", di->g->domid,
			 di->dev->dev_num);
		devinst_reset(di);
		reply_status(di, r);
		return;
	}
	cur = di->status & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	want = st & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if (st > 0xFF || (cur & ~want)) {
		reply_error(di->g, r, EINVAL);
		return;
	}
	if ((want & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(cur & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(di)) {
		guest_err(di->g, "device %u: features %#llx refused",
			  di->dev->dev_num,
			  (unsigned long long)di->drv_features);
		want &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	di->status = want | (di->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	vb_debug("guest %u: device %u: status %#x", di->g->domid,
		 di->dev->dev_num, di->status);
	/* the model may act on it (and fail the device) before we answer */
	if (di->dev->ops->inst_status && want != cur)
		di->dev->ops->inst_status(di, cur);
	reply_status(di, r);
}

static void get_vqueue(struct devinst *di, const struct va_rec *r)
{
	uint8_t p[sizeof(struct va_vqueue)];
	uint32_t index = get_le32(r->payload);
	bool exists = index < di->dev->ops->nqueues;

	memset(p, 0, sizeof(p));
	put_le32(p + offsetof(struct va_vqueue, index), index);
	/* like virtio-mmio's QueueNumMax: 0 says "no such queue" */
	if (exists) {
		put_le32(p + offsetof(struct va_vqueue, max_size),
			 VB_QUEUE_SIZE);
		put_le32(p + offsetof(struct va_vqueue, size),
			 di->vq[index].size);
	}
	reply(di->g, r, p, sizeof(p));
}

/* The three addresses are not kept: the rings are not ours to reach. */
static void set_vqueue(struct devinst *di, const struct va_rec *r)
{
	uint32_t index, size;

	index = get_le32(r->payload + offsetof(struct va_vqueue, index));
	size = get_le32(r->payload + offsetof(struct va_vqueue, size));
	if (index >= di->dev->ops->nqueues || !size || size > VB_QUEUE_SIZE) {
		reply_error(di->g, r, EINVAL);
		return;
	}
	/* resizing a queue under its outstanding chains would orphan them */
	if (di->vq[index].outstanding && di->vq[index].size != size) {
		reply_error(di->g, r, EBUSY);
		return;
	}
	di->vq[index].size = size;
	vb_debug("guest %u: device %u: queue %u size %u", di->g->domid,
		 di->dev->dev_num, index, size);
	reply(di->g, r, NULL, 0);
}

static void reset_vqueue(struct devinst *di, const struct va_rec *r)
{
	uint32_t index = get_le32(r->payload);

	if (index >= di->dev->ops->nqueues) {
		reply_error(di->g, r, EINVAL);
		return;
	}
	chain_drop_queue(di, index);
	di->vq[index].size = 0;
	reply(di->g, r, NULL, 0);
}

/* This bus has no shared memory: every region is "not there" (length 0). */
static void get_shm(struct devinst *di, const struct va_rec *r)
{
	uint8_t p[sizeof(struct va_shm_resp)];

	memset(p, 0, sizeof(p));
	put_le32(p + offsetof(struct va_shm_resp, index), get_le32(r->payload));
	reply(di->g, r, p, sizeof(p));
}

/* A transport record for @di, its size already checked. */
void control_dispatch(struct devinst *di, const struct va_rec *r)
{
	switch (r->msg_id) {
	case VA_GET_DEVICE_INFO:
		get_device_info(di, r);
		return;
	case VA_GET_DEVICE_FEATURES:
		get_features(di, r);
		return;
	case VA_SET_DRIVER_FEATURES:
		set_features(di, r);
		return;
	case VA_GET_CONFIG:
		get_config(di, r);
		return;
	case VA_SET_CONFIG:
		set_config(di, r);
		return;
	case VA_GET_DEVICE_STATUS:
		reply_status(di, r);
		return;
	case VA_SET_DEVICE_STATUS:
		set_status(di, r);
		return;
	case VA_GET_VQUEUE:
		get_vqueue(di, r);
		return;
	case VA_SET_VQUEUE:
		set_vqueue(di, r);
		return;
	case VA_RESET_VQUEUE:
		reset_vqueue(di, r);
		return;
	case VA_GET_SHM:
		get_shm(di, r);
		return;
	}
	/* EVENT_AVAIL: the chains themselves tell us what is available */
	vb_debug("guest %u: device %u: record %#x ignored", di->g->domid,
		 di->dev->dev_num, r->msg_id);
}
