// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-argo: validation of records from a backend (pure functions, see
 * include/argo/virtio_argo_check.h; also built into the host tests).
 */
#ifdef __KERNEL__
#include <asm/byteorder.h>
#endif
#include <argo/virtio_argo_check.h>

static int reject(const char **why, const char *rule)
{
	*why = rule;
	return -EPROTO;
}

/**
 * va_check_hdr() - check a record header against its message
 * @h: the header (copied out of the ring)
 * @avail: bytes from the start of this record to the end of its message
 * @why: set to the broken rule
 *
 * Return: 0, or -EPROTO.
 */
int va_check_hdr(const struct va_hdr *h, u32 avail, const char **why)
{
	u32 size = le16_to_cpu(h->msg_size);

	if (avail < VA_HDR_SIZE)
		return reject(why, "record shorter than its header");
	if (size < VA_HDR_SIZE)
		return reject(why, "msg_size smaller than the header");
	if (size > avail)
		return reject(why, "msg_size beyond the end of the message");
	if (h->type & ~(VA_TYPE_RESPONSE | VA_TYPE_BUS | VA_TYPE_ERROR))
		return reject(why, "unknown type bits");
	if ((h->type & VA_TYPE_ERROR) && !(h->type & VA_TYPE_RESPONSE))
		return reject(why, "error flag on a non-response");
	return 0;
}

/* Exact payload size of a fixed-size response, or -1 if variable/unknown. */
static int response_size(bool bus, u8 id)
{
	if (bus)
		return id == VA_BUS_PING ? (int)sizeof(struct va_ping) : -1;
	switch (id) {
	case VA_GET_DEVICE_INFO:
		return sizeof(struct va_device_info);
	case VA_SET_DRIVER_FEATURES:
	case VA_SET_VQUEUE:
	case VA_RESET_VQUEUE:
		return 0;
	case VA_SET_CONFIG:
		return sizeof(struct va_generation);
	case VA_GET_DEVICE_STATUS:
	case VA_SET_DEVICE_STATUS:
		return sizeof(struct va_status);
	case VA_GET_VQUEUE:
		return sizeof(struct va_get_vqueue_resp);
	}
	return -1;
}

static int check_response(const struct va_hdr *h, const u8 *p, u32 len,
			  const char **why)
{
	bool bus = h->type & VA_TYPE_BUS;
	int fixed = response_size(bus, h->msg_id);

	if (h->type & VA_TYPE_ERROR) {
		u32 err;

		if (len != sizeof(struct va_error))
			return reject(why, "error response of the wrong size");
		err = le32_to_cpu(((const struct va_error *)p)->error);
		if (err == 0 || err > 4095)
			return reject(why, "error response with no errno");
		return 0;
	}
	if (fixed >= 0) {
		if (len != (u32)fixed)
			return reject(why, "response of the wrong size");
		return 0;
	}
	if (bus && h->msg_id == VA_BUS_GET_DEVICES) {
		const struct va_get_devices_resp *r = (const void *)p;
		u32 count;

		if (len < sizeof(*r))
			return reject(why, "GET_DEVICES response truncated");
		count = le16_to_cpu(r->count);
		if (count > VA_MAX_DEVICES)
			return reject(why, "GET_DEVICES lists too many devices");
		if (len != sizeof(*r) + count * sizeof(struct va_device_entry))
			return reject(why, "GET_DEVICES size does not match count");
		return 0;
	}
	if (!bus && h->msg_id == VA_GET_DEVICE_FEATURES) {
		const struct va_features *f = (const void *)p;
		u32 count;

		if (len < sizeof(*f))
			return reject(why, "features response truncated");
		count = le32_to_cpu(f->count);
		if (count > 4)
			return reject(why, "features response too long");
		if (len != sizeof(*f) + count * 4)
			return reject(why, "features size does not match count");
		return 0;
	}
	if (!bus && h->msg_id == VA_GET_CONFIG) {
		const struct va_config *c = (const void *)p;
		u32 size;

		if (len < sizeof(*c))
			return reject(why, "GET_CONFIG response truncated");
		size = le32_to_cpu(c->size);
		if (size > VA_CONFIG_CHUNK)
			return reject(why, "GET_CONFIG response too large");
		if (len != sizeof(*c) + size)
			return reject(why, "GET_CONFIG size does not match");
		return 0;
	}
	return reject(why, "response to a request never made");
}

/**
 * va_check_from_device() - check the payload of one record from a backend
 * @h: its header, already passed by va_check_hdr()
 * @payload: the payload bytes (for USED_CHAIN only its 20-byte header)
 * @len: the payload length the header gives (msg_size - 8)
 * @why: set to the broken rule
 *
 * Return: 0 to act on the record, 1 to ignore it, -EPROTO.
 */
int va_check_from_device(const struct va_hdr *h, const void *payload,
			 u32 len, const char **why)
{
	const u8 *p = payload;

	if (h->type & VA_TYPE_RESPONSE)
		return check_response(h, p, len, why);
	if (h->type & VA_TYPE_BUS) {
		if (h->msg_id != VA_BUS_EVENT_DEVICE)
			return 1;
		if (len != sizeof(struct va_event_device))
			return reject(why, "EVENT_DEVICE of the wrong size");
		if (le16_to_cpu(h->dev_num) != 0)
			return reject(why, "bus message with a device number");
		switch (le16_to_cpu(((const struct va_event_device *)p)->state)) {
		case VA_DEVICE_READY:
		case VA_DEVICE_REMOVED:
			return 0;
		}
		return reject(why, "EVENT_DEVICE with an unknown state");
	}
	switch (h->msg_id) {
	case VA_EVENT_CONFIG:
		if (len != sizeof(struct va_generation))
			return reject(why, "EVENT_CONFIG of the wrong size");
		return 0;
	case VA_USED_CHAIN: {
		const struct va_used_chain *u = payload;
		u32 written;
		u16 flags;

		if (len < sizeof(*u))
			return reject(why, "USED_CHAIN truncated");
		written = le32_to_cpu(u->written);
		if (written != len - sizeof(*u))
			return reject(why, "USED_CHAIN written differs from its size");
		if (written > VA_FRAG_MAX)
			return reject(why, "USED_CHAIN fragment too large");
		flags = le16_to_cpu(u->flags);
		if (flags & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD))
			return reject(why, "USED_CHAIN with unknown flags");
		if ((flags & (VA_CHAIN_HOLD | VA_CHAIN_LAST)) == VA_CHAIN_HOLD)
			return reject(why, "USED_CHAIN with HOLD but not LAST");
		return 0;
	}
	case VA_AVAIL_CHAIN:
		return reject(why, "AVAIL_CHAIN sent to the driver");
	}
	if (h->msg_id < VA_EVENT_CONFIG)
		return reject(why, "request sent to the driver");
	return 1;
}

/**
 * va_check_used() - check one USED_CHAIN fragment against its chain
 * @u: the record's header (already passed by va_check_from_device())
 * @data_len: its data bytes
 * @acct: the chain's state
 * @why: set to the broken rule
 *
 * Return: 0, or -EPROTO.
 */
int va_check_used(const struct va_used_chain *u, u32 data_len,
		  const struct va_used_acct *acct, const char **why)
{
	u16 flags = le16_to_cpu(u->flags);
	u32 total = le32_to_cpu(u->total);
	u32 offset = le32_to_cpu(u->offset);

	if (!!(flags & VA_CHAIN_FIRST) == acct->started)
		return reject(why, "FIRST flag out of sequence");
	if (acct->started && total != acct->total)
		return reject(why, "total changed between fragments");
	if (total > acct->in_len)
		return reject(why, "total larger than the chain's buffers");
	if (offset != acct->received)
		return reject(why, "fragment offset out of sequence");
	if (data_len > total - offset)
		return reject(why, "fragment beyond the total");
	if ((flags & VA_CHAIN_LAST) && offset + data_len != total)
		return reject(why, "LAST fragment before the total arrived");
	if (!(flags & VA_CHAIN_LAST) && offset + data_len == total)
		return reject(why, "fragments complete without LAST");
	return 0;
}

/**
 * va_status_ok() - may a device report @reported after being set @requested?
 * @requested: the status the driver wrote
 * @reported: the status the device answered
 *
 * The device may drop FEATURES_OK (it refuses the features) and add
 * DEVICE_NEEDS_RESET; anything else must be exactly what was written,
 * and a reset (0) must read back 0.
 */
bool va_status_ok(u32 requested, u32 reported)
{
	const u32 features_ok = 8, needs_reset = 0x40;

	if (reported > 0xff)
		return false;
	if (requested == 0)
		return reported == 0;
	return (reported & ~needs_reset) == requested ||
	       (reported & ~needs_reset) == (requested & ~features_ok);
}
