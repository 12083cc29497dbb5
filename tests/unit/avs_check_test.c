// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of argo-vsock's packet check (argo-vsock/check.c): a
 * packet of every op and type that passes, and for each rule a packet
 * that breaks only that rule, asserting the verdict and the rule named.
 */
#include <stdio.h>
#include <argo/argo_vsock_check.h>
#include "../lib/tap.h"

#define SRC_DOMID	5
#define OWN_CID		3

static struct virtio_vsock_hdr pkt(u16 op, u16 type, u32 len, u32 flags)
{
	struct virtio_vsock_hdr h = {
		.src_cid = cpu_to_le64(SRC_DOMID + 2),
		.dst_cid = cpu_to_le64(OWN_CID),
		.src_port = cpu_to_le32(1234),
		.dst_port = cpu_to_le32(80),
		.len = cpu_to_le32(len),
		.type = cpu_to_le16(type),
		.op = cpu_to_le16(op),
		.flags = cpu_to_le32(flags),
		.buf_alloc = cpu_to_le32(262144),
	};
	return h;
}

static void passes(const struct virtio_vsock_hdr *h, u32 msg_len,
		   const char *name)
{
	const char *why = "none";
	int r = avs_check_pkt(h, msg_len, SRC_DOMID, OWN_CID, &why);

	tap_ok(r == 0, "accepted: %s (%d, %s)", name, r, r ? why : "-");
}

static void breaks(const struct virtio_vsock_hdr *h, u32 msg_len,
		   u16 src_domid, const char *rule)
{
	const char *why = "none";
	int r = avs_check_pkt(h, msg_len, src_domid, OWN_CID, &why);

	tap_ok(r == -EPROTO && !strcmp(why, rule), "refused with '%s' (got %d, '%s')",
	       rule, r, r ? why : "-");
}

/* A packet of every op and type, and the limits, pass. */
static void test_accepts(void)
{
	struct virtio_vsock_hdr h;
	u16 op, t;

	for (t = VIRTIO_VSOCK_TYPE_STREAM; t <= VIRTIO_VSOCK_TYPE_SEQPACKET; t++)
		for (op = VIRTIO_VSOCK_OP_REQUEST; op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST; op++) {
			char name[48];

			h = pkt(op, t, 0, 0);
			snprintf(name, sizeof(name), "type %u op %u, no payload", t, op);
			passes(&h, AVS_HDR_SIZE, name);
		}
	h = pkt(VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 65536, 0);
	passes(&h, AVS_HDR_SIZE + 65536, "stream RW of 64 KiB");
	h = pkt(VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 1,
		VIRTIO_VSOCK_SEQ_EOM | VIRTIO_VSOCK_SEQ_EOR);
	passes(&h, AVS_HDR_SIZE + 1, "seqpacket RW with EOM|EOR");
	h = pkt(VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_TYPE_STREAM, 0,
		VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND);
	passes(&h, AVS_HDR_SIZE, "shutdown both ways");
	h = pkt(VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 0, 0);
	h.src_cid = cpu_to_le64(2);
	{
		const char *why = "none";

		tap_ok(!avs_check_pkt(&h, AVS_HDR_SIZE, 0, OWN_CID, &why),
		       "dom0 speaks as CID 2");
	}
}

/* Each rule, broken on its own, is named. */
static void test_rejects(void)
{
	struct virtio_vsock_hdr h;

	h = pkt(VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 0, 0);
	breaks(&h, 43, SRC_DOMID, "message shorter than a vsock header");
	breaks(&h, 0, SRC_DOMID, "message shorter than a vsock header");
	h = pkt(VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 100, 0);
	breaks(&h, AVS_HDR_SIZE + 99, SRC_DOMID, "len does not match the message");
	breaks(&h, AVS_HDR_SIZE + 101, SRC_DOMID, "len does not match the message");
	h = pkt(VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 0xffffffff, 0);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "len does not match the message");
	h = pkt(VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 65537, 0);
	breaks(&h, AVS_HDR_SIZE + 65537, SRC_DOMID, "payload over 64 KiB");
	h = pkt(VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 0, 0);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID + 1, "src_cid is not the sending domain's CID");
	h.src_cid = cpu_to_le64(2);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "src_cid is not the sending domain's CID");
	h.src_cid = cpu_to_le64(((u64)1 << 32) + SRC_DOMID + 2);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "src_cid is not the sending domain's CID");
	h = pkt(VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 0, 0);
	h.dst_cid = cpu_to_le64(OWN_CID + 1);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "dst_cid is not this domain's CID");
	h.dst_cid = cpu_to_le64(1);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "dst_cid is not this domain's CID");
	h = pkt(VIRTIO_VSOCK_OP_REQUEST, 3, 0, 0);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "socket type is not stream or seqpacket");
	h = pkt(VIRTIO_VSOCK_OP_REQUEST, 0, 0, 0);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "socket type is not stream or seqpacket");
	h = pkt(0, VIRTIO_VSOCK_TYPE_STREAM, 0, 0);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "unknown op");
	h = pkt(8, VIRTIO_VSOCK_TYPE_STREAM, 0, 0);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "unknown op");
	h = pkt(VIRTIO_VSOCK_OP_CREDIT_UPDATE, VIRTIO_VSOCK_TYPE_STREAM, 4, 0);
	breaks(&h, AVS_HDR_SIZE + 4, SRC_DOMID, "payload on a control packet");
	h = pkt(VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_TYPE_STREAM, 0, 4);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "flags the op does not define");
	h = pkt(VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 1, VIRTIO_VSOCK_SEQ_EOM);
	breaks(&h, AVS_HDR_SIZE + 1, SRC_DOMID, "flags the op does not define");
	h = pkt(VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 1, 4);
	breaks(&h, AVS_HDR_SIZE + 1, SRC_DOMID, "flags the op does not define");
	h = pkt(VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 0, 1);
	breaks(&h, AVS_HDR_SIZE, SRC_DOMID, "flags the op does not define");
}

int main(void)
{
	tap_start();
	test_accepts();
	test_rejects();
	return tap_done();
}
