/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VirtIO over Argo, protocol 2: the virtio-msg bus over Argo between the guest transport
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

/*
 * The backend's well-known Argo port, and the Argo message_type of the
 * virtio-msg bus over Argo.  Protocol 1 used 0x56410001 and had no
 * negotiation; protocol 2 (this header) uses 0x56410002 for every
 * message and negotiates everything else with VA_BUS_CONNECT, so later
 * additions are feature bits, not new message types.
 */
#define VA_BACKEND_PORT		0x76690001U
#define VA_MSG_TYPE		0x56410002U
#define VA_MSG_TYPE_V1		0x56410001U

/*
 * Largest Argo message either side sends.  One message holds one or more
 * records (virtio-msg messages) back to back; a record never spans two
 * Argo messages, and none is larger than the negotiated maximum size.
 */
#define VA_MSG_MAX		65536U
/* Largest record size either side offers in CONNECT (msg_size is 16 bits). */
#define VA_SIZE_MAX		65535U
/* Smallest maximum record size this bus accepts in CONNECT. */
#define VA_SIZE_MIN		1024U
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
/* Device numbers one GET_DEVICES window covers at most (bitmap: 128 bytes). */
#define VA_WINDOW_MAX		1024U

/* The virtio-msg transport revision this bus carries (the draft's only one). */
#define VA_REVISION		1U

/*
 * Transport feature bits of the bus (CONNECT).  Each side offers what it
 * implements; the device answers with a subset; both use only that.
 */
#define VA_F_HOLD		0	/* USED_CHAIN may carry VA_CHAIN_HOLD */
#define VA_F_WINDOWS		1	/* MEM_READ/MEM_WRITE: memory windows */
#define VA_F_KNOWN		((1ULL << VA_F_HOLD) | (1ULL << VA_F_WINDOWS))

/* struct va_hdr.type bits; bits 2-7 are sent as 0 and ignored on receipt */
#define VA_TYPE_RESPONSE	0x01
#define VA_TYPE_BUS		0x02
#define VA_TYPE_MASK		(VA_TYPE_RESPONSE | VA_TYPE_BUS)

/* msg_id ranges (bus and transport alike): bit 6 marks an event */
#define VA_ID_EVENT		0x40
#define VA_ID_IMPL		0x80	/* 0x80-0xBF requests, 0xC0-0xFF events */
#define va_id_is_event(id)	(((id) & VA_ID_EVENT) != 0)

/* Bus message ids (type has VA_TYPE_BUS), virtio-msg's own */
#define VA_BUS_GET_DEVICES	0x02
#define VA_BUS_PING		0x03
#define VA_BUS_EVENT_DEVICE	0x40
/* Bus message ids of the bus over Argo (implementation-defined range) */
#define VA_BUS_CONNECT		0x80	/* request: negotiation, first message */
#define VA_BUS_ERROR		0xC0	/* event: a request the device refused */

/* Transport message ids, as in virtio-msg */
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
#define VA_GET_SHM		0x0C
#define VA_EVENT_CONFIG		0x40
#define VA_EVENT_AVAIL		0x41	/* not sent: kicks travel as AVAIL_CHAIN */
#define VA_EVENT_USED		0x42	/* not sent: completions are USED_CHAIN */
/*
 * Memory windows (VA_F_WINDOWS): implementation-defined transport
 * requests the device sends to the driver (spec 13)
 */
#define VA_MEM_READ		0x80
#define VA_MEM_WRITE		0x81
/* Data plane: implementation-defined transport events */
#define VA_AVAIL_CHAIN		0xC0
#define VA_USED_CHAIN		0xC1

/* EVENT_DEVICE states; 3-0xFFFF are ignored */
#define VA_DEVICE_READY		1
#define VA_DEVICE_REMOVED	2

/* AVAIL_CHAIN / USED_CHAIN flags */
#define VA_CHAIN_FIRST		0x1
#define VA_CHAIN_LAST		0x2
/*
 * USED_CHAIN only, with LAST, and only when VA_F_HOLD was negotiated: the
 * chain completes together with the ones that follow, up to the next
 * chain of the queue completed without HOLD; the driver sees them used
 * all at once (virtio-net's mergeable receive buffers: every buffer of
 * one frame).
 */
#define VA_CHAIN_HOLD		0x4

/**
 * struct va_hdr - the 8-byte virtio-msg header every record starts with
 * @type: VA_TYPE_* bits
 * @msg_id: which message
 * @dev_num: device number (transport messages); 0 in bus messages
 * @token: non-zero in requests, echoed in the response; 0 in events
 * @msg_size: header plus payload bytes of this record
 */
struct va_hdr {
	__u8 type;
	__u8 msg_id;
	__le16 dev_num;
	__le16 token;
	__le16 msg_size;
} __packed;

/**
 * struct va_connect - CONNECT request and response
 * @revision: request: the highest virtio-msg revision the driver speaks;
 *	response: the one both use, 0 when the device speaks none of them
 * @max_size: request: the largest record the driver sends and accepts;
 *	response: the largest either side sends (at most the request's)
 * @features: request: VA_F_* bits the driver implements; response: the
 *	subset both use
 */
struct va_connect {
	__le32 revision;
	__le32 max_size;
	__le64 features;
} __packed;

/**
 * struct va_bus_error - ERROR event: the device will not answer a request
 * @dev_num: the request's device number
 * @token: the request's token
 * @msg_id: the request's id
 * @type: the request's type bits (VA_TYPE_BUS for a bus request)
 * @rsvd: zero
 * @error: a Linux errno (positive), 1 to 4095
 */
struct va_bus_error {
	__le16 dev_num;
	__le16 token;
	__u8 msg_id;
	__u8 type;
	__le16 rsvd;
	__le32 error;
} __packed;

/* GET_DEVICES request, and the response that a bitmap follows */
struct va_get_devices_req {
	__le16 offset;		/* first device number, multiple of 8 */
	__le16 count;		/* window length, multiple of 8 */
} __packed;

struct va_get_devices_resp {
	__le16 offset;		/* echoed */
	__le16 count;		/* window returned, multiple of 8, <= asked */
	__le16 next_offset;	/* 0, or >= offset + count: where to go on */
	/* followed by count / 8 bytes: bit n = device offset + n present */
} __packed;

struct va_ping {
	__le32 data;
} __packed;

/* MEM_READ request; MEM_WRITE's, followed by len bytes */
struct va_mem_req {
	__le64 addr;
	__le32 len;
	__le32 rsvd;
} __packed;

/* MEM_READ response (followed by len bytes when error is 0); MEM_WRITE's */
struct va_mem_resp {
	__le64 addr;
	__le32 len;
	__le32 error;
} __packed;

struct va_event_device {
	__le16 dev_num;
	__le16 state;
} __packed;

struct va_device_info {
	__le32 device_id;	/* 0: no such device */
	__le32 vendor_id;
	__le32 num_feature_bits;	/* multiple of 32 */
	__le32 config_size;
	__le32 max_virtqueues;
	__le16 admin_vq_start;
	__le16 admin_vq_count;
} __packed;

/* GET_DEVICE_FEATURES request; the response repeats it and adds blocks. */
struct va_features {
	__le32 index;		/* first 32-bit block */
	__le32 count;		/* number of blocks */
	/* followed by __le32 blocks[count] in the response / SET request */
} __packed;

struct va_get_config_req {
	__le32 offset;
	__le32 size;
} __packed;

/*
 * GET_CONFIG and SET_CONFIG responses, SET_CONFIG request: followed by
 * @size bytes.  A SET_CONFIG response with size 0 (for a non-empty
 * write) says the write was refused: the generation was not current.
 */
struct va_config {
	__le32 generation;
	__le32 offset;
	__le32 size;
} __packed;

/* EVENT_CONFIG: followed by @size bytes of config data at @offset */
struct va_event_config {
	__le32 status;
	__le32 generation;
	__le32 offset;
	__le32 size;
} __packed;

struct va_status {
	__le32 status;
} __packed;

struct va_vq_index {
	__le32 index;
} __packed;

/* GET_VQUEUE response and SET_VQUEUE request have the same layout. */
struct va_vqueue {
	__le32 index;
	__le32 max_size;	/* GET: 0 = no such queue; SET: 0 (reserved) */
	__le32 size;		/* current size, 0 = not set up */
	__le32 rsvd;
	__le64 desc;		/* the driver sends 0: the device never */
	__le64 driver;		/* reads the rings, which stay in the */
	__le64 device;		/* driver's memory */
} __packed;

struct va_shm_req {
	__le32 index;
} __packed;

struct va_shm_resp {
	__le32 index;
	__le32 length;		/* 0: no such region (this bus has none) */
	__le32 address;
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
