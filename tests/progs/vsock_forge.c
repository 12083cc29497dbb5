// SPDX-License-Identifier: GPL-2.0
/*
 * vsock_forge: sends argo-vsock packets that break one rule each, through
 * /dev/argo, to a domain's argo-vsock port; the test then checks that the
 * receiver dropped every one and named the rule.
 *
 *   vsock_forge DOMID          send the whole list, one line per packet
 *
 * Each packet is otherwise well-formed: addressed to DOMID's CID, from our
 * own CID, to a port nobody listens on, so that a packet wrongly accepted
 * would be answered with a reset rather than disturb a real socket.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_vsock.h>
#include "libargo.h"
#include "argo/argo_vsock_check.h"

struct forged {
	const char *rule;	/* what the receiver must say */
	uint32_t msg_type;
	uint32_t send_len;	/* bytes actually sent (header + payload) */
	struct virtio_vsock_hdr h;
};

static unsigned char buf[AVS_HDR_SIZE + AVS_MAX_PAYLOAD + 16];

int main(int argc, char **argv)
{
	uint16_t to;
	uint64_t own, dst;
	unsigned int i, n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: vsock_forge DOMID\n");
		return 2;
	}
	to = strtoul(argv[1], NULL, 0);
	fd = argo_open(0);
	if (fd < 0 || argo_bind(fd, NULL, to, 0)) {
		perror("/dev/argo");
		return 1;
	}
	own = argo_domid(fd) + 2;
	dst = to + 2;
	{
		/* a valid REQUEST to build the broken ones from */
		struct virtio_vsock_hdr ok = {
			.src_cid = htole64(own), .dst_cid = htole64(dst),
			.src_port = htole32(40000), .dst_port = htole32(39999),
			.type = htole16(VIRTIO_VSOCK_TYPE_STREAM),
			.op = htole16(VIRTIO_VSOCK_OP_REQUEST),
			.buf_alloc = htole32(262144),
		};
		struct forged f[] = {
			{ "not a vsock packet (message type)", 0x1234, AVS_HDR_SIZE, ok },
			{ "message shorter than a vsock header", AVS_MSG_TYPE, 20, ok },
			{ "len does not match the message", AVS_MSG_TYPE, AVS_HDR_SIZE + 10, ok },
			{ "payload over 64 KiB", AVS_MSG_TYPE, AVS_HDR_SIZE + AVS_MAX_PAYLOAD + 1, ok },
			{ "src_cid is not the sending domain's CID", AVS_MSG_TYPE, AVS_HDR_SIZE, ok },
			{ "dst_cid is not this domain's CID", AVS_MSG_TYPE, AVS_HDR_SIZE, ok },
			{ "socket type is not stream or seqpacket", AVS_MSG_TYPE, AVS_HDR_SIZE, ok },
			{ "unknown op", AVS_MSG_TYPE, AVS_HDR_SIZE, ok },
			{ "payload on a control packet", AVS_MSG_TYPE, AVS_HDR_SIZE + 8, ok },
			{ "flags the op does not define", AVS_MSG_TYPE, AVS_HDR_SIZE, ok },
		};

		f[3].h.len = htole32(AVS_MAX_PAYLOAD + 1);
		f[4].h.src_cid = htole64(2 == own ? 3 : 2);	/* someone else */
		f[5].h.dst_cid = htole64(dst + 1);
		f[6].h.type = htole16(3);			/* datagram */
		f[7].h.op = htole16(8);
		f[8].h.len = htole32(8);
		f[9].h.flags = htole32(1);
		n = sizeof(f) / sizeof(f[0]);
		for (i = 0; i < n; i++) {
			memset(buf, 0, sizeof(buf));
			memcpy(buf, &f[i].h, sizeof(f[i].h));
			if (argo_sendto(fd, buf, f[i].send_len, f[i].msg_type, to,
					AVS_PORT) < 0) {
				perror("send");
				return 1;
			}
			printf("%s\n", f[i].rule);
		}
	}
	return 0;
}
