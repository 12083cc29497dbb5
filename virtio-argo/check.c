// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-msg bus over Argo: framing and validation of records, both
 * directions (pure functions, see include/argo/virtio_argo_check.h).
 * docs/virtio-argo-protocol.md is the specification; each rule below
 * names its section there.
 */
#ifdef __KERNEL__
#include <asm/byteorder.h>
#include <linux/stddef.h>
#include <linux/string.h>
#endif
#include <argo/virtio_argo_check.h>

static int reject(const char **why, const char *rule)
{
	*why = rule;
	return -EPROTO;
}

/**
 * va_check_hdr() - check a record header against its message (spec 3)
 * @h: the header (copied out of the message)
 * @avail: bytes from the start of this record to the end of its message
 * @max_size: the largest record allowed (CONNECT; VA_SIZE_MAX before it)
 * @why: set to the broken rule
 *
 * Bits 2-7 of @h->type are not looked at: the draft reserves them, and a
 * receiver ignores them.
 *
 * Return: 0, or -EPROTO: the rest of the message cannot be trusted, since
 * where its next record starts is unknown.
 */
int va_check_hdr(const struct va_hdr *h, u32 avail, u32 max_size,
		 const char **why)
{
	u32 size = le16_to_cpu(h->msg_size);

	if (avail < VA_HDR_SIZE)
		return reject(why, "record shorter than its header");
	if (size < VA_HDR_SIZE)
		return reject(why, "msg_size smaller than the header");
	if (size > avail)
		return reject(why, "msg_size beyond the end of the message");
	if (size > max_size)
		return reject(why, "record larger than the negotiated maximum");
	return 0;
}

/* Exact payload size of a fixed-size response, or -1 if variable/unknown. */
static int response_size(bool bus, u8 id)
{
	if (bus) {
		switch (id) {
		case VA_BUS_PING:
			return sizeof(struct va_ping);
		case VA_BUS_CONNECT:
			return sizeof(struct va_connect);
		}
		return -1;
	}
	switch (id) {
	case VA_GET_DEVICE_INFO:
		return sizeof(struct va_device_info);
	case VA_SET_DRIVER_FEATURES:
	case VA_SET_VQUEUE:
	case VA_RESET_VQUEUE:
		return 0;
	case VA_GET_DEVICE_STATUS:
	case VA_SET_DEVICE_STATUS:
		return sizeof(struct va_status);
	case VA_GET_VQUEUE:
		return sizeof(struct va_vqueue);
	case VA_GET_SHM:
		return sizeof(struct va_shm_resp);
	}
	return -1;
}

/* GET_CONFIG and SET_CONFIG responses: header, then exactly @size bytes. */
static int check_config(const u8 *p, u32 len, const char **why)
{
	const struct va_config *c = (const void *)p;
	u32 size;

	if (len < sizeof(*c))
		return reject(why, "config response truncated");
	size = le32_to_cpu(c->size);
	if (size > VA_CONFIG_CHUNK)
		return reject(why, "config response too large");
	if (len != sizeof(*c) + size)
		return reject(why, "config response size does not match");
	return 0;
}

static int check_response(const struct va_hdr *h, const u8 *p, u32 len,
			  const char **why)
{
	bool bus = va_type(h) & VA_TYPE_BUS;
	int fixed = response_size(bus, h->msg_id);

	if (fixed >= 0) {
		if (len != (u32)fixed)
			return reject(why, "response of the wrong size");
		return 0;
	}
	if (bus && h->msg_id == VA_BUS_GET_DEVICES) {
		const struct va_get_devices_resp *r = (const void *)p;

		if (len < sizeof(*r))
			return reject(why, "GET_DEVICES response truncated");
		if (len != sizeof(*r) + le16_to_cpu(r->count) / 8)
			return reject(why, "GET_DEVICES bitmap does not match count");
		return 0;	/* the window: va_check_devices() */
	}
	if (!bus && h->msg_id == VA_GET_DEVICE_FEATURES) {
		const struct va_features *f = (const void *)p;
		u32 count;

		if (len < sizeof(*f))
			return reject(why, "features response truncated");
		count = le32_to_cpu(f->count);
		if (count > VA_FEATURE_BLOCKS_MAX)
			return reject(why, "features response too long");
		if (len != sizeof(*f) + count * 4)
			return reject(why, "features size does not match count");
		return 0;
	}
	if (!bus && (h->msg_id == VA_GET_CONFIG || h->msg_id == VA_SET_CONFIG))
		return check_config(p, len, why);
	return reject(why, "response to a request never made");
}

/* A bus message (not a response) from the device (spec 4). */
static int check_bus_from_device(const struct va_hdr *h, const u8 *p,
				 u32 len, const char **why)
{
	switch (h->msg_id) {
	case VA_BUS_EVENT_DEVICE:
		if (len != sizeof(struct va_event_device))
			return reject(why, "EVENT_DEVICE of the wrong size");
		switch (le16_to_cpu(((const struct va_event_device *)p)->state)) {
		case VA_DEVICE_READY:
		case VA_DEVICE_REMOVED:
			return 0;
		}
		return VA_IGNORE;	/* reserved or bus-defined state */
	case VA_BUS_ERROR: {
		const struct va_bus_error *e = (const void *)p;
		u32 err;

		if (len != sizeof(*e))
			return reject(why, "ERROR of the wrong size");
		err = le32_to_cpu(e->error);
		if (err == 0 || err > 4095)
			return reject(why, "ERROR with no errno");
		return 0;
	}
	case VA_BUS_PING:
		if (len != sizeof(struct va_ping))
			return reject(why, "PING of the wrong size");
		return 0;
	}
	return VA_IGNORE;
}

/*
 * Checks of a chain record's fixed part common to both directions
 * (AVAIL_CHAIN and USED_CHAIN have the same 20-byte layout).  rsvd is
 * not looked at: reserved fields are sent as 0 and ignored on receipt.
 */
static int check_chain(u32 len, u32 data_len, const char **why)
{
	if (len < sizeof(struct va_used_chain))
		return reject(why, "chain record truncated");
	if (data_len > VA_FRAG_MAX)
		return reject(why, "chain fragment too large");
	return 0;
}

/**
 * va_check_from_device() - check the payload of one record from a device
 * @h: its header, already passed by va_check_hdr()
 * @payload: the payload bytes (for USED_CHAIN only its 20-byte header)
 * @len: the payload length the header gives (msg_size - 8)
 * @lk: what CONNECT settled (before it: max_size VA_SIZE_MAX, no features)
 * @why: set to the broken rule
 *
 * The response's match with its request, a GET_DEVICES window and a
 * USED_CHAIN fragment's place in its chain are checked by the caller,
 * which knows the request and the chain (va_check_devices(),
 * va_check_connect(), va_check_used()).
 *
 * Return: 0 to act on the record, VA_IGNORE, or -EPROTO.
 */
int va_check_from_device(const struct va_hdr *h, const void *payload,
			 u32 len, const struct va_link *lk, const char **why)
{
	const u8 *p = payload;
	u8 type = va_type(h);

	if (type & VA_TYPE_RESPONSE)
		return check_response(h, p, len, why);
	if ((type & VA_TYPE_BUS) && le16_to_cpu(h->dev_num))
		return reject(why, "bus message with a device number");
	if (type & VA_TYPE_BUS)
		return check_bus_from_device(h, p, len, why);
	switch (h->msg_id) {
	case VA_EVENT_CONFIG: {
		const struct va_event_config *e = payload;
		u32 size, offset;

		if (len < sizeof(*e))
			return reject(why, "EVENT_CONFIG truncated");
		size = le32_to_cpu(e->size);
		offset = le32_to_cpu(e->offset);
		if (len != sizeof(*e) + size)
			return reject(why, "EVENT_CONFIG size does not match");
		if (size > VA_CONFIG_CHUNK)
			return reject(why, "EVENT_CONFIG carries more than one config chunk");
		if (offset > VA_CONFIG_MAX || size > VA_CONFIG_MAX - offset)
			return reject(why, "EVENT_CONFIG data outside any config space");
		return 0;
	}
	case VA_USED_CHAIN: {
		const struct va_used_chain *u = payload;
		u16 flags;
		int r = check_chain(len, len - sizeof(*u), why);

		if (r)
			return r;
		if (le32_to_cpu(u->written) != len - sizeof(*u))
			return reject(why, "USED_CHAIN written differs from its size");
		flags = le16_to_cpu(u->flags);
		if (flags & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD))
			return reject(why, "USED_CHAIN with unknown flags");
		if ((flags & VA_CHAIN_HOLD) &&
		    !(lk->features & (1ULL << VA_F_HOLD)))
			return reject(why, "USED_CHAIN with HOLD, which was not negotiated");
		if ((flags & (VA_CHAIN_HOLD | VA_CHAIN_LAST)) == VA_CHAIN_HOLD)
			return reject(why, "USED_CHAIN with HOLD but not LAST");
		return 0;
	}
	case VA_AVAIL_CHAIN:
		return reject(why, "AVAIL_CHAIN sent to the driver");
	}
	return VA_IGNORE;	/* transport requests go to devices, not drivers */
}

/*
 * A request made of a fixed part of @head bytes, whose le32 at @count_at
 * says how many @unit-byte items follow it (SET_DRIVER_FEATURES: 4-byte
 * blocks; SET_CONFIG: bytes).
 */
static int check_counted(const u8 *p, u32 len, u32 head, u32 count_at,
			 u32 unit, const char **why)
{
	__le32 count;
	u32 n;

	if (len < head)
		return reject(why, "request truncated");
	memcpy(&count, p + count_at, sizeof(count));
	n = le32_to_cpu(count);
	if (n > (len - head) / unit || len != head + n * unit)
		return reject(why, "request size does not match its count");
	return 0;
}

/* Exact payload size of a fixed-size request a device gets, or -1. */
static int request_size(bool bus, u8 id)
{
	if (bus) {
		switch (id) {
		case VA_BUS_CONNECT:
			return sizeof(struct va_connect);
		case VA_BUS_GET_DEVICES:
			return sizeof(struct va_get_devices_req);
		case VA_BUS_PING:
			return sizeof(struct va_ping);
		}
		return -1;
	}
	switch (id) {
	case VA_GET_DEVICE_INFO:
	case VA_GET_DEVICE_STATUS:
		return 0;
	case VA_GET_DEVICE_FEATURES:
		return sizeof(struct va_features);
	case VA_GET_CONFIG:
		return sizeof(struct va_get_config_req);
	case VA_SET_DEVICE_STATUS:
		return sizeof(struct va_status);
	case VA_GET_VQUEUE:
	case VA_RESET_VQUEUE:
		return sizeof(struct va_vq_index);
	case VA_SET_VQUEUE:
		return sizeof(struct va_vqueue);
	case VA_GET_SHM:
		return sizeof(struct va_shm_req);
	case VA_EVENT_AVAIL:
		return 8;
	}
	return -1;
}

/**
 * va_check_from_driver() - check the payload of one record from a driver
 * @h: its header, already passed by va_check_hdr()
 * @payload: the payload bytes (for AVAIL_CHAIN at least its 20-byte header)
 * @len: the payload length the header gives (msg_size - 8)
 * @why: set to the broken rule
 *
 * The device side's mirror of va_check_from_device(): sizes and layouts
 * only.  Whether a request can be carried out (a queue that exists, a
 * config range inside the space, a current generation) is the device's
 * to decide and answer.  A malformed request is discarded unanswered
 * (draft: no traffic in reply to a malformed message); a malformed
 * AVAIL_CHAIN breaks the device it names.
 *
 * Return: 0 to act on the record, VA_IGNORE, or -EPROTO.
 */
int va_check_from_driver(const struct va_hdr *h, const void *payload,
			 u32 len, const char **why)
{
	u8 type = va_type(h);
	bool bus = type & VA_TYPE_BUS;
	int fixed;

	if (!bus && (type & VA_TYPE_RESPONSE) &&
	    (h->msg_id == VA_MEM_READ || h->msg_id == VA_MEM_WRITE)) {
		const struct va_mem_resp *m = payload;
		u32 data;

		/* spec 13: the bytes follow a read's answer without error */
		if (len < sizeof(*m))
			return reject(why, "memory window answer truncated");
		data = h->msg_id == VA_MEM_READ && !m->error ?
		       le32_to_cpu(m->len) : 0;
		if (len - sizeof(*m) != data)
			return reject(why, "memory window answer size does not match");
		return 0;
	}
	if (type & VA_TYPE_RESPONSE)
		/* we send no other request but PING, and its answer is all */
		return bus && h->msg_id == VA_BUS_PING &&
		       len == sizeof(struct va_ping) ? 0 : VA_IGNORE;
	if (bus && le16_to_cpu(h->dev_num))
		return reject(why, "bus message with a device number");
	if (!bus && h->msg_id == VA_AVAIL_CHAIN) {
		const struct va_avail_chain *a = payload;
		u16 flags;
		int r = check_chain(len, len - sizeof(*a), why);

		if (r)
			return r;
		flags = le16_to_cpu(a->flags);
		if (flags & ~(VA_CHAIN_FIRST | VA_CHAIN_LAST))
			return reject(why, "AVAIL_CHAIN with unknown flags");
		return 0;
	}
	if (!bus && h->msg_id == VA_USED_CHAIN)
		return reject(why, "USED_CHAIN sent to the device");
	if (!bus && h->msg_id == VA_SET_DRIVER_FEATURES)
		return check_counted(payload, len, sizeof(struct va_features),
				     offsetof(struct va_features, count), 4, why);
	if (!bus && h->msg_id == VA_SET_CONFIG)
		return check_counted(payload, len, sizeof(struct va_config),
				     offsetof(struct va_config, size), 1, why);
	fixed = request_size(bus, h->msg_id);
	if (fixed < 0)
		return VA_IGNORE;
	if (len != (u32)fixed)
		return reject(why, "request of the wrong size");
	if (bus && h->msg_id == VA_BUS_GET_DEVICES) {
		const struct va_get_devices_req *g = payload;

		if (le16_to_cpu(g->offset) % 8 || le16_to_cpu(g->count) % 8)
			return reject(why, "GET_DEVICES window not a multiple of 8");
	}
	return 0;
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
 * va_check_devices() - check a GET_DEVICES answer against its request
 * @req: what the driver asked
 * @resp: the answer's fixed part (its size checked by va_check_from_device())
 * @why: set to the broken rule
 *
 * Return: 0, or -EPROTO.
 */
int va_check_devices(const struct va_get_devices_req *req,
		     const struct va_get_devices_resp *resp, const char **why)
{
	u32 offset = le16_to_cpu(resp->offset);
	u32 count = le16_to_cpu(resp->count);
	u32 next = le16_to_cpu(resp->next_offset);

	if (offset != le16_to_cpu(req->offset))
		return reject(why, "GET_DEVICES answers another window");
	if (count % 8 || count > le16_to_cpu(req->count))
		return reject(why, "GET_DEVICES window larger than asked or unaligned");
	if (offset + count > 65536)
		return reject(why, "GET_DEVICES window beyond device number 65535");
	if (next && (next % 8 || next < offset + count))
		return reject(why, "GET_DEVICES next_offset goes backwards or is unaligned");
	if (next && !count)
		return reject(why, "GET_DEVICES returns an empty window and goes on");
	return 0;
}

/**
 * va_connect_choose() - the device's answer to a CONNECT (spec 4.1)
 * @req: the driver's request (its size already checked)
 * @max_size: the largest record this device sends and accepts
 * @features: the VA_F_* bits this device implements
 * @resp: the answer to send
 *
 * Return: 0, or -EPROTONOSUPPORT when no revision or size is common
 * (@resp then says revision 0, and the device serves this driver nothing).
 */
int va_connect_choose(const struct va_connect *req, u32 max_size,
		      u64 features, struct va_connect *resp)
{
	u32 rev = le32_to_cpu(req->revision);
	u32 size = le32_to_cpu(req->max_size);

	if (size > max_size)
		size = max_size;
	resp->revision = cpu_to_le32(rev >= VA_REVISION && size >= VA_SIZE_MIN ?
				     VA_REVISION : 0);
	resp->max_size = cpu_to_le32(size);
	resp->features = cpu_to_le64(le64_to_cpu(req->features) & features);
	return resp->revision ? 0 : -EPROTONOSUPPORT;
}

/**
 * va_check_connect() - check a device's CONNECT answer; settle the link
 * @req: what the driver offered
 * @resp: the device's answer
 * @lk: set to what both use
 * @why: set to the broken rule
 *
 * Return: 0; -EPROTONOSUPPORT when the device speaks no common revision
 * (a refusal, not a fault); -EPROTO when the answer breaks the rules.
 */
int va_check_connect(const struct va_connect *req,
		     const struct va_connect *resp, struct va_link *lk,
		     const char **why)
{
	u32 rev = le32_to_cpu(resp->revision);
	u32 size = le32_to_cpu(resp->max_size);
	u64 f = le64_to_cpu(resp->features);

	if (!rev) {
		*why = "the device speaks no revision we do";
		return -EPROTONOSUPPORT;
	}
	if (rev > le32_to_cpu(req->revision))
		return reject(why, "CONNECT answers a revision we did not offer");
	if (size < VA_SIZE_MIN || size > le32_to_cpu(req->max_size))
		return reject(why, "CONNECT answers a size outside what we offered");
	if (f & ~le64_to_cpu(req->features))
		return reject(why, "CONNECT answers features we did not offer");
	lk->max_size = size;
	lk->features = f;
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

/**
 * va_check_mem_req() - check a MEM_READ or MEM_WRITE from the device (spec 13)
 * @h: the header; a transport request with msg_id VA_MEM_READ or
 *	VA_MEM_WRITE
 * @rq: the request's fixed part (zeroed by the caller if @len is shorter)
 * @len: the payload length the header gives (msg_size - 8)
 * @lk: what CONNECT settled
 * @why: set to the broken rule
 *
 * Whether the range lies in the device's windows is the driver's to
 * decide, and answered with EFAULT, not a fault of the record.
 *
 * Return: 0 to serve it, or -EPROTO.
 */
int va_check_mem_req(const struct va_hdr *h, const struct va_mem_req *rq,
		     u32 len, const struct va_link *lk, const char **why)
{
	u32 n = le32_to_cpu(rq->len);

	if (!(lk->features & (1ULL << VA_F_WINDOWS)))
		return reject(why, "memory window request, which was not negotiated");
	if (!le16_to_cpu(h->token))
		return reject(why, "memory window request without a token");
	if (len < sizeof(*rq))
		return reject(why, "memory window request truncated");
	if (!n || n > va_mem_max(lk))
		return reject(why, "memory window request of a bad length");
	if (len != sizeof(*rq) + (h->msg_id == VA_MEM_WRITE ? n : 0))
		return reject(why, "memory window request size does not match");
	return 0;
}
