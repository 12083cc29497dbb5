// SPDX-License-Identifier: GPL-2.0
/*
 * argo-vsock: the transport the vsock core sees.
 *
 * Everything a socket does is the kernel's own virtio_transport_common:
 * its packet header, its connection state machine and its credit-based
 * flow control.  What this transport adds is where packets go: send_pkt()
 * hands each one to the destination domain's struct avs_peer, which moves
 * it with one Argo message; rx.c feeds what arrives back into
 * virtio_transport_recv_pkt().
 */
#define pr_fmt(fmt) "argo-vsock: " fmt

#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/virtio_vsock.h>
#include <net/af_vsock.h>
#include <xen/interface/xen.h>
#include <argo_compat.h>
#include "avs.h"

static u32 avs_get_local_cid(void)
{
	return avs_own_cid;
}

/*
 * The peer of a destination CID: CID D + 2 is domain D.  CIDs 0 and 1 (the
 * hypervisor and VMADDR_CID_LOCAL) and CIDs past the last domid name no
 * domain; vsock_loopback serves CID 1 when it is loaded.
 */
static struct avs_peer *avs_peer_of_cid(u64 cid)
{
	if (cid < 2 || cid - 2 >= DOMID_FIRST_RESERVED)
		return ERR_PTR(-EHOSTUNREACH);
	return avs_peer_get(cid - 2);
}

/*
 * Called by virtio_transport_common for every packet, in process context
 * (under the socket lock, or from our own receive and send work).  Sends
 * at once when nothing waits before it; otherwise, or when the peer's
 * ring is full, the packet is queued and goes out when argo-core reports
 * room.  Returns the payload length, or the errno of a refusal so that
 * connect() fails with what Argo said.
 */
static int avs_send_pkt(struct sk_buff *skb)
{
	struct virtio_vsock_hdr *hdr = virtio_vsock_hdr(skb);
	struct avs_peer *peer;
	int len = skb->len;
	int err;

	might_sleep();
	peer = avs_peer_of_cid(le64_to_cpu(hdr->dst_cid));
	if (IS_ERR(peer)) {
		kfree_skb(skb);
		return PTR_ERR(peer);
	}
	err = avs_peer_send(peer, skb);
	return err ? err : len;
}

static int avs_cancel_pkt(struct vsock_sock *vsk)
{
	struct avs_peer *peer = avs_peer_of_cid(vsk->remote_addr.svm_cid);

	if (IS_ERR(peer))
		return 0;
	return avs_peer_cancel(peer, vsk);
}

ARGO_COMPAT_VSOCK_DEFINE_HOOKS(avs_send_pkt)

/*
 * buffer_kb=: the receive buffer a socket offers its peer as credit when
 * its program did not choose one (SO_VM_SOCKETS_BUFFER_SIZE).  The vsock
 * core's 256 KiB lets a sender have four 64 KiB packets in flight; the
 * receiver then grants more only once it has consumed all but 64 KiB of
 * it, so a stream stops for a credit round trip every 192 KiB, and on
 * Argo that round trip (two VIRQs and their receive work) costs more than
 * moving the bytes.  A larger default keeps the stream flowing; it is also
 * the most a socket's receive queue holds, so it is memory per connection.
 */
static unsigned int avs_buffer_kb = 2048;

/* af_vsock.c's defaults for a new socket; it does not export them */
#define AVS_CORE_BUFFER_SIZE		SZ_256K
#define AVS_CORE_BUFFER_MAX_SIZE	SZ_256K

static int avs_buffer_kb_set(const char *val, const struct kernel_param *kp)
{
	unsigned int kb;
	int err = kstrtouint(val, 0, &kb);

	if (err || kb < 4 || kb > 65536) {
		pr_err("buffer_kb=: '%s' is not a size from 4 to 65536 KiB\n", val);
		return -EINVAL;
	}
	WRITE_ONCE(avs_buffer_kb, kb);
	return 0;
}

static const struct kernel_param_ops avs_buffer_kb_ops = {
	.set = avs_buffer_kb_set,
	.get = param_get_uint,
};
module_param_cb(buffer_kb, &avs_buffer_kb_ops, &avs_buffer_kb, 0644);
MODULE_PARM_DESC(buffer_kb,
		 "Receive buffer (credit) of a socket whose program did not set SO_VM_SOCKETS_BUFFER_SIZE, in KiB (4-65536, default 2048; the vsock core's own default is 256)");

/*
 * Sockets get their transport here, on connect or, for a listener's
 * child, when the request arrives.  The sizes are still the vsock core's
 * defaults unless the program set them; only then is buffer_kb= applied,
 * and the maximum follows so that a later SO_VM_SOCKETS_BUFFER_SIZE still
 * works within the same bounds.
 */
static int avs_socket_init(struct vsock_sock *vsk, struct vsock_sock *psk)
{
	u64 size = (u64)READ_ONCE(avs_buffer_kb) * 1024;

	if (vsk->buffer_size == AVS_CORE_BUFFER_SIZE &&
	    vsk->buffer_max_size == AVS_CORE_BUFFER_MAX_SIZE &&
	    vsk->buffer_min_size <= size) {
		vsk->buffer_size = size;
		vsk->buffer_max_size = max_t(u64, size, vsk->buffer_max_size);
	}
	return virtio_transport_do_socket_init(vsk, psk);
}

/* Datagrams: not carried (virtio_transport_common refuses them). */
struct virtio_transport avs_transport = {
	.transport = {
		.module			  = THIS_MODULE,
		.get_local_cid		  = avs_get_local_cid,

		.init			  = avs_socket_init,
		.destruct		  = virtio_transport_destruct,
		.release		  = virtio_transport_release,
		.connect		  = virtio_transport_connect,
		.shutdown		  = virtio_transport_shutdown,
		.cancel_pkt		  = avs_cancel_pkt,

		.dgram_bind		  = virtio_transport_dgram_bind,
		.dgram_dequeue		  = virtio_transport_dgram_dequeue,
		.dgram_enqueue		  = virtio_transport_dgram_enqueue,
		.dgram_allow		  = virtio_transport_dgram_allow,

		.stream_dequeue		  = virtio_transport_stream_dequeue,
		.stream_enqueue		  = virtio_transport_stream_enqueue,
		.stream_has_data	  = virtio_transport_stream_has_data,
		.stream_has_space	  = virtio_transport_stream_has_space,
		.stream_rcvhiwat	  = virtio_transport_stream_rcvhiwat,
		.stream_is_active	  = virtio_transport_stream_is_active,
		.stream_allow		  = argo_compat_vsock_stream_allow,

		.seqpacket_dequeue	  = virtio_transport_seqpacket_dequeue,
		.seqpacket_enqueue	  = virtio_transport_seqpacket_enqueue,
		.seqpacket_allow	  = argo_compat_vsock_seqpacket_allow,
		.seqpacket_has_data	  = virtio_transport_seqpacket_has_data,

		.notify_poll_in		  = virtio_transport_notify_poll_in,
		.notify_poll_out	  = virtio_transport_notify_poll_out,
		.notify_recv_init	  = virtio_transport_notify_recv_init,
		.notify_recv_pre_block	  = virtio_transport_notify_recv_pre_block,
		.notify_recv_pre_dequeue  = virtio_transport_notify_recv_pre_dequeue,
		.notify_recv_post_dequeue = virtio_transport_notify_recv_post_dequeue,
		.notify_send_init	  = virtio_transport_notify_send_init,
		.notify_send_pre_block	  = virtio_transport_notify_send_pre_block,
		.notify_send_pre_enqueue  = virtio_transport_notify_send_pre_enqueue,
		.notify_send_post_enqueue = virtio_transport_notify_send_post_enqueue,
		.notify_buffer_size	  = virtio_transport_notify_buffer_size,
		ARGO_COMPAT_VSOCK_NEWER_OPS
		ARGO_COMPAT_VSOCK_REMOTE_CID_OPS
	},
	.send_pkt = argo_compat_vsock_send_pkt,
};
