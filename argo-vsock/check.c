// SPDX-License-Identifier: GPL-2.0
/*
 * argo-vsock: validation of a received packet (a pure function, see
 * include/argo/argo_vsock_check.h; also built into the host tests).
 */
#ifdef __KERNEL__
#include <asm/byteorder.h>
#endif
#include <argo/argo_vsock_check.h>

static int reject(const char **why, const char *rule)
{
	*why = rule;
	return -EPROTO;
}

/* The flags an op may carry; anything else is a protocol error. */
static __u32 avs_flags_allowed(__u16 op, __u16 type)
{
	switch (op) {
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		return VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;
	case VIRTIO_VSOCK_OP_RW:
		if (type == VIRTIO_VSOCK_TYPE_SEQPACKET)
			return VIRTIO_VSOCK_SEQ_EOM | VIRTIO_VSOCK_SEQ_EOR;
		return 0;
	default:
		return 0;
	}
}

/**
 * avs_check_pkt() - may a packet from another domain reach the vsock core?
 * @h: its header, copied out of the ring
 * @msg_len: length of the whole Argo message (header and payload)
 * @src_domid: the sending domain, as the hypervisor wrote it
 * @own_cid: this domain's CID
 * @why: set to the broken rule
 *
 * A domain may only speak as itself (src_cid is its own CID) and only to
 * us (dst_cid is ours); the length in the header must be the payload that
 * really arrived; only stream and seqpacket sockets exist; the op and its
 * flags must be ones the virtio-vsock state machine defines.
 *
 * Return: 0, or -EPROTO with *@why naming the rule.
 */
int avs_check_pkt(const struct virtio_vsock_hdr *h, __u32 msg_len,
		  __u16 src_domid, __u64 own_cid, const char **why)
{
	__u32 payload, len = le32_to_cpu(h->len);
	__u16 op = le16_to_cpu(h->op), type = le16_to_cpu(h->type);

	if (msg_len < AVS_HDR_SIZE)
		return reject(why, "message shorter than a vsock header");
	payload = msg_len - AVS_HDR_SIZE;
	if (len != payload)
		return reject(why, "len does not match the message");
	if (payload > AVS_MAX_PAYLOAD)
		return reject(why, "payload over 64 KiB");
	if (le64_to_cpu(h->src_cid) != AVS_DOMID_TO_CID(src_domid))
		return reject(why, "src_cid is not the sending domain's CID");
	if (le64_to_cpu(h->dst_cid) != own_cid)
		return reject(why, "dst_cid is not this domain's CID");
	if (type != VIRTIO_VSOCK_TYPE_STREAM &&
	    type != VIRTIO_VSOCK_TYPE_SEQPACKET)
		return reject(why, "socket type is not stream or seqpacket");
	if (op < VIRTIO_VSOCK_OP_REQUEST || op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return reject(why, "unknown op");
	if (payload && op != VIRTIO_VSOCK_OP_RW)
		return reject(why, "payload on a control packet");
	if (le32_to_cpu(h->flags) & ~avs_flags_allowed(op, type))
		return reject(why, "flags the op does not define");
	return 0;
}
