/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-vsock: what travels in each Argo message, and the checks a received
 * message must pass before the vsock core sees it.
 *
 * One Argo message carries one vsock packet: the 44-byte little-endian
 * struct virtio_vsock_hdr of the virtio-vsock device (the kernel's
 * virtio_transport_common state machine reads and writes it unchanged),
 * followed by hdr.len payload bytes.  The Argo header around it says which
 * domain sent it; the hypervisor writes that, so it cannot be forged.
 *
 * avs_check_pkt() is a pure function, built into the module and into the
 * host unit test (tests/unit/avs_check_test.c).
 */
#ifndef _ARGO_ARGO_VSOCK_CHECK_H
#define _ARGO_ARGO_VSOCK_CHECK_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <uapi/linux/virtio_vsock.h>
#else
#include <linux/virtio_vsock.h>
#endif

/* The Argo port argo-vsock's ring listens on in every domain. */
#define AVS_PORT		0x76730001U
/* The Argo message_type of a vsock packet. */
#define AVS_MSG_TYPE		0x56534b01U
/* Largest payload of one packet: what virtio_transport_common sends. */
#define AVS_MAX_PAYLOAD		65536U
/* Size of the packet header on the wire. */
#define AVS_HDR_SIZE		44U
/* CID of domain D. */
#define AVS_DOMID_TO_CID(d)	((__u64)(d) + 2)

int avs_check_pkt(const struct virtio_vsock_hdr *h, __u32 msg_len,
		  __u16 src_domid, __u64 own_cid, const char **why);

#endif /* _ARGO_ARGO_VSOCK_CHECK_H */
