/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VirtIO over Argo: the wire protocol between the guest transport
 * (virtio-argo.ko) and a device backend (tools/virtio-backend).
 *
 * docs/virtio-argo-protocol.md is the specification; this header restates
 * its numbers and layouts for C.  All multi-byte fields are little-endian.
 * The header is shared by the kernel module, the userspace backend and the
 * host tests, so it uses only the <linux/types.h> types both sides have.
 */
#ifndef _ARGO_VIRTIO_ARGO_PROTO_H
#define _ARGO_VIRTIO_ARGO_PROTO_H

#include <linux/types.h>

#ifndef __KERNEL__
/* The kernel's spelling of the attribute, for the userspace users. */
#define __packed __attribute__((packed))
#endif

/* The backend's well-known Argo port and the Argo message_type of version 1. */
#define VA_BACKEND_PORT		0x76690001U
#define VA_MSG_TYPE		0x56410001U

/*
 * Largest Argo message either side sends.  One message holds one or more
 * records back to back; a record never spans two messages.
 */
#define VA_MSG_MAX		65536U
/* Largest data bytes in one AVAIL_CHAIN or USED_CHAIN record. */
#define VA_FRAG_MAX		61440U
/* Largest config space a device may declare, and one GET_CONFIG's reach. */
#define VA_CONFIG_MAX		4096U
#define VA_CONFIG_CHUNK		256U
/* Most devices one backend offers to one guest, most queues per device. */
#define VA_MAX_DEVICES		64U
#define VA_MAX_VQS		64U
/* Largest queue size a backend may offer (GET_VQUEUE max_size). */
#define VA_MAX_VQ_SIZE		1024U

/* struct va_hdr.type bits */
#define VA_TYPE_RESPONSE	0x01
#define VA_TYPE_BUS		0x02
#define VA_TYPE_ERROR		0x04	/* with RESPONSE: payload is struct va_error */

/* Bus message ids (type has VA_TYPE_BUS). */
#define VA_BUS_GET_DEVICES	0x02
#define VA_BUS_PING		0x03
#define VA_BUS_EVENT_DEVICE	0x40

/* Transport message ids: control plane, as in virtio-msg. */
#define VA_GET_DEVICE_INFO	0x02
#define VA_GET_DEVICE_FEATURES	0x03
#define VA_SET_DRIVER_FEATURES	0x04
#define VA_GET_CONFIG		0x05
#define VA_SET_CONFIG		0x06
#define VA_GET_DEVICE_STATUS	0x07
#define VA_SET_DEVICE_STATUS	0x08
#define VA_GET_VQUEUE		0x09
#define VA_SET_VQUEUE		0x0A
#define VA_RESET_VQUEUE		0x0B
#define VA_EVENT_CONFIG		0x40
#define VA_EVENT_AVAIL		0x41	/* reserved: kicks travel as AVAIL_CHAIN */
#define VA_EVENT_USED		0x42	/* reserved: completions are USED_CHAIN */
/* Data plane (implementation-defined range 0x80-0xBF). */
#define VA_AVAIL_CHAIN		0x80
#define VA_USED_CHAIN		0x81

/* EVENT_DEVICE states */
#define VA_DEVICE_READY		1
#define VA_DEVICE_REMOVED	2

/* AVAIL_CHAIN / USED_CHAIN flags */
#define VA_CHAIN_FIRST		0x1
#define VA_CHAIN_LAST		0x2
/*
 * USED_CHAIN only, with LAST: the chain completes together with the ones
 * that follow, up to the next chain of the queue completed without HOLD;
 * the driver sees them used all at once (virtio-net's mergeable receive
 * buffers: every buffer of one frame).
 */
#define VA_CHAIN_HOLD		0x4

/**
 * struct va_hdr - the 8-byte header every record starts with
 * @type: VA_TYPE_* bits
 * @msg_id: which message
 * @dev_num: device number from GET_DEVICES; 0 in bus messages
 * @token: chosen by the requester, echoed in the response
 * @msg_size: header plus payload bytes of this record
 */
struct va_hdr {
	__u8 type;
	__u8 msg_id;
	__le16 dev_num;
	__le16 token;
	__le16 msg_size;
} __packed;

/* Error response payload: a Linux errno value (positive). */
struct va_error {
	__le32 error;
} __packed;

/* GET_DEVICES request and response (one entry per device). */
struct va_get_devices_req {
	__le16 offset;
	__le16 max;
} __packed;

struct va_get_devices_resp {
	__le16 count;
	__le16 next;		/* offset to ask next, 0 when complete */
} __packed;

struct va_device_entry {
	__le16 dev_num;
	__le32 device_id;
	__le32 vendor_id;
} __packed;

struct va_ping {
	__le64 cookie;
} __packed;

struct va_event_device {
	__le16 dev_num;
	__le16 state;
} __packed;

struct va_device_info {
	__le32 device_id;
	__le32 vendor_id;
	__le32 num_feature_words;
	__le32 config_size;
	__le32 max_virtqueues;
	__le16 admin_vq_start;
	__le16 admin_vq_count;
} __packed;

/* GET_DEVICE_FEATURES request; the response repeats it and adds words. */
struct va_features {
	__le32 index;
	__le32 count;
	/* followed by __le32 words[count] in the response / SET request */
} __packed;

struct va_get_config_req {
	__le32 offset;
	__le32 size;
} __packed;

/* GET_CONFIG response and SET_CONFIG request: followed by @size bytes. */
struct va_config {
	__le32 generation;
	__le32 offset;
	__le32 size;
} __packed;

struct va_generation {
	__le32 generation;
} __packed;

struct va_status {
	__le32 status;
} __packed;

struct va_vq_index {
	__le32 index;
} __packed;

struct va_get_vqueue_resp {
	__le32 index;
	__le32 max_size;
} __packed;

struct va_set_vqueue {
	__le32 index;
	__le32 size;
	__le64 desc;		/* informational: the device never reads them */
	__le64 driver;
	__le64 device;
} __packed;

/**
 * struct va_avail_chain - driver -> device: a chain's readable bytes
 * @vq: queue index
 * @chain: head descriptor index, unique among the queue's outstanding chains
 * @out_len: all device-readable bytes of the chain
 * @in_len: room in the chain's device-writable buffers
 * @offset: where this record's data starts within the @out_len bytes
 * @flags: VA_CHAIN_FIRST, VA_CHAIN_LAST
 * @rsvd: zero
 *
 * Followed by the fragment's data: msg_size - sizeof(hdr) - sizeof(this).
 */
struct va_avail_chain {
	__le16 vq;
	__le16 chain;
	__le32 out_len;
	__le32 in_len;
	__le32 offset;
	__le16 flags;
	__le16 rsvd;
} __packed;

/**
 * struct va_used_chain - device -> driver: a chain's written bytes
 * @vq: queue index
 * @chain: the chain's id from AVAIL_CHAIN
 * @written: bytes this fragment carries (its data length)
 * @total: all bytes the device wrote to the chain, <= in_len
 * @offset: where this fragment's data starts within @total
 * @flags: VA_CHAIN_FIRST, VA_CHAIN_LAST, VA_CHAIN_HOLD (only with LAST)
 * @rsvd: zero
 */
struct va_used_chain {
	__le16 vq;
	__le16 chain;
	__le32 written;
	__le32 total;
	__le32 offset;
	__le16 flags;
	__le16 rsvd;
} __packed;

#define VA_HDR_SIZE		((unsigned int)sizeof(struct va_hdr))
#define VA_CHAIN_HDR_SIZE	(VA_HDR_SIZE + (unsigned int)sizeof(struct va_avail_chain))

#endif /* _ARGO_VIRTIO_ARGO_PROTO_H */
