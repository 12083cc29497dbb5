/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where differences between the kernel versions this suite
 * supports (Debian 12's 6.1, bookworm-backports' 6.12 and newer) are
 * hidden.  Code elsewhere includes this header instead of testing
 * LINUX_VERSION_CODE itself.
 */
#ifndef _ARGO_COMPAT_H
#define _ARGO_COMPAT_H

#include <linux/version.h>

/*
 * virtio_config_ops.find_vqs: Linux 6.11 replaced the parallel arrays of
 * callbacks, names and ctx flags with one array of struct virtqueue_info.
 * ARGO_COMPAT_DEFINE_FIND_VQS(fn, setup, del) defines a find_vqs @fn of
 * the running kernel's shape that calls
 *	int setup(vdev, index, &vqs[i], callback, name, ctx)
 * for every queue the driver names (a NULL name skips the slot without
 * using up a queue index), and del(vdev) when one fails.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define ARGO_COMPAT_DEFINE_FIND_VQS(fn, setup, del)			\
static int fn(struct virtio_device *vdev, unsigned int nvqs,		\
	      struct virtqueue *vqs[], struct virtqueue_info info[],	\
	      struct irq_affinity *desc)				\
{									\
	unsigned int i, index = 0;					\
	int r;								\
									\
	for (i = 0; i < nvqs; i++) {					\
		vqs[i] = NULL;						\
		if (!info[i].name)					\
			continue;					\
		r = setup(vdev, index++, &vqs[i], info[i].callback,	\
			  info[i].name, info[i].ctx);			\
		if (r) {						\
			del(vdev);					\
			return r;					\
		}							\
	}								\
	return 0;							\
}
#else
#define ARGO_COMPAT_DEFINE_FIND_VQS(fn, setup, del)			\
static int fn(struct virtio_device *vdev, unsigned int nvqs,		\
	      struct virtqueue *vqs[], vq_callback_t *callbacks[],	\
	      const char * const names[], const bool *ctx,		\
	      struct irq_affinity *desc)				\
{									\
	unsigned int i, index = 0;					\
	int r;								\
									\
	for (i = 0; i < nvqs; i++) {					\
		vqs[i] = NULL;						\
		if (!names[i])						\
			continue;					\
		r = setup(vdev, index++, &vqs[i], callbacks[i],		\
			  names[i], ctx ? ctx[i] : false);		\
		if (r) {						\
			del(vdev);					\
			return r;					\
		}							\
	}								\
	return 0;							\
}
#endif

/* Feature bit 38 got its name in Linux 6.2; virtio-argo masks it off. */
#include <uapi/linux/virtio_config.h>
#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA	38
#endif

/*
 * vsock transports: by 6.12 virtio_transport_common gained SO_RCVLOWAT
 * notification, SIOCOUTQ (unsent bytes, which a transport settles with
 * virtio_transport_consume_skb_sent() once a packet left) and read_skb
 * for sockmap, and the vsock core MSG_ZEROCOPY, which a transport opts into
 * (argo-vsock sends such packets from the sender's pages, see
 * avs_skb_iov()).  ARGO_COMPAT_VSOCK_NEWER_OPS fills those members of
 * struct vsock_transport where they exist; argo_compat_vsock_skb_sent()
 * frees a packet that was sent.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline bool argo_compat_vsock_zerocopy_allow(void)
{
	return true;
}

#define ARGO_COMPAT_VSOCK_NEWER_OPS					\
	.notify_set_rcvlowat	= virtio_transport_notify_set_rcvlowat,	\
	.unsent_bytes		= virtio_transport_unsent_bytes,	\
	.read_skb		= virtio_transport_read_skb,		\
	.msgzerocopy_allow	= argo_compat_vsock_zerocopy_allow,
#define argo_compat_vsock_skb_sent(skb) \
	virtio_transport_consume_skb_sent(skb, true)
#else
#define ARGO_COMPAT_VSOCK_NEWER_OPS
#define argo_compat_vsock_skb_sent(skb) consume_skb(skb)
#endif

#endif /* _ARGO_COMPAT_H */
