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
 * frees a packet that was sent, argo_compat_vsock_skb_dropped() one that
 * was accepted from the vsock core but will never be sent (its socket's
 * unsent bytes shrink by it too).
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
#define argo_compat_vsock_skb_dropped(skb) do {			\
	struct sk_buff *__skb = (skb);					\
									\
	virtio_transport_consume_skb_sent(__skb, false);		\
	kfree_skb(__skb);						\
} while (0)
#else
#define ARGO_COMPAT_VSOCK_NEWER_OPS
#define argo_compat_vsock_skb_sent(skb) consume_skb(skb)
#define argo_compat_vsock_skb_dropped(skb) kfree_skb(skb)
#endif

/*
 * vsock and network namespaces: Linux 7.0 gave the vsock core per-netns
 * modes (commits eafb64f40ca4 "vsock: add netns to vsock core" and
 * a69686327e42 "vsock: add netns support to virtio transports").  Since then
 * seqpacket_allow() is passed the socket, a virtio transport's send_pkt()
 * the namespace, virtio_transport_recv_pkt() the namespace to look sockets
 * up in (NULL: the global ones), and virtio_transport_common no longer
 * exports virtio_transport_stream_allow(): each transport says itself which
 * sockets it serves.  Argo has no notion of namespaces, so argo-vsock does
 * what virtio's guest transport does: it serves sockets of namespaces in
 * "global" vsock mode (the default) and looks up receivers among those.
 *
 * ARGO_COMPAT_VSOCK_DEFINE_HOOKS(send) defines, around the transport's
 * int send(struct sk_buff *skb), the send_pkt (argo_compat_vsock_send_pkt),
 * stream_allow and seqpacket_allow (argo_compat_vsock_stream_allow,
 * argo_compat_vsock_seqpacket_allow) of the running kernel's shape;
 * argo_compat_vsock_recv_pkt(t, skb) hands a received packet over.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#define ARGO_COMPAT_VSOCK_DEFINE_HOOKS(send)				\
static int argo_compat_vsock_send_pkt(struct sk_buff *skb,		\
				      struct net *net)			\
{									\
	return send(skb);						\
}									\
static bool argo_compat_vsock_stream_allow(struct vsock_sock *vsk,	\
					   u32 cid, u32 port)		\
{									\
	return vsock_net_mode_global(vsk);				\
}									\
static bool argo_compat_vsock_seqpacket_allow(struct vsock_sock *vsk,	\
					      u32 remote_cid)		\
{									\
	return vsock_net_mode_global(vsk);				\
}

#define argo_compat_vsock_recv_pkt(t, skb) \
	virtio_transport_recv_pkt(t, skb, NULL)
#else
#define ARGO_COMPAT_VSOCK_DEFINE_HOOKS(send)				\
static int argo_compat_vsock_send_pkt(struct sk_buff *skb)		\
{									\
	return send(skb);						\
}									\
static bool argo_compat_vsock_stream_allow(u32 cid, u32 port)		\
{									\
	return virtio_transport_stream_allow(cid, port);		\
}									\
static bool argo_compat_vsock_seqpacket_allow(u32 remote_cid)		\
{									\
	return true;							\
}

#define argo_compat_vsock_recv_pkt(t, skb) virtio_transport_recv_pkt(t, skb)
#endif

/*
 * Choosing a transport for a CID above 2: up to Linux 7.1 or so, with no
 * host-to-guest transport loaded (a domU), the vsock core gave every such
 * CID to the guest-to-host one, argo-vsock.  Newer cores (7.2 has it) do
 * that only when the guest-to-host transport says it reaches the CID
 * (vsock_transport.has_remote_cid, with the net.vsock.g2h_fallback sysctl
 * on, its default); otherwise connect() fails with ENODEV, which broke
 * domU-to-domU connections and a domU's connections to its own CID.  Argo
 * reaches every domain (whether Xen lets it is the policy's business, and
 * argo-vsock answers with its own errno), so the answer is always yes.
 * argo-vsock/Kbuild defines ARGO_HAVE_VSOCK_HAS_REMOTE_CID when the
 * kernel's headers have the member.
 */
#ifdef ARGO_HAVE_VSOCK_HAS_REMOTE_CID
static inline bool
argo_compat_vsock_has_remote_cid(struct vsock_sock *vsk, u32 remote_cid)
{
	return true;
}

#define ARGO_COMPAT_VSOCK_REMOTE_CID_OPS				\
	.has_remote_cid		= argo_compat_vsock_has_remote_cid,
#else
#define ARGO_COMPAT_VSOCK_REMOTE_CID_OPS
#endif

/*
 * Being told that the domain resumed (after a save, a migration or a failed
 * save) in a way a module can undo when it unloads.  Linux 6.17 removed
 * xen_resume_notifier_unregister() (commit 0df119500998 "xen: Remove some
 * deadcode (x)": it had no in-tree user left), so a module that joins Xen's
 * resume notifier chain there can never leave it, and the chain would call
 * into freed module text after an unload.  From 6.17 the hook is a syscore
 * resume callback instead: xen_suspend() calls syscore_resume() on the same
 * occasions (resumed or cancelled), just before that chain, from
 * stop_machine() on CPU 0 with interrupts off, so @fn must only queue work.
 * (syscore_resume() also runs after a native suspend or hibernation, which
 * a PV guest does not do.)  Linux 6.19 passes syscore callbacks a context
 * and registers a struct syscore (commit a97fbc3ee3e2 "syscore: Pass context
 * data to callbacks").
 *
 * ARGO_COMPAT_DEFINE_RESUME_HOOK(name, fn) defines hook @name calling
 * void fn(void); argo_compat_resume_hook_register(&name) and
 * argo_compat_resume_hook_unregister(&name) add and remove it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#include <linux/syscore_ops.h>
#define ARGO_COMPAT_DEFINE_RESUME_HOOK(name, fn)			\
static void name##_resume(void *data)					\
{									\
	fn();								\
}									\
static const struct syscore_ops name##_ops = {				\
	.resume = name##_resume,					\
};									\
static struct syscore name = {						\
	.ops = &name##_ops,						\
}

#define argo_compat_resume_hook_register(h)	register_syscore(h)
#define argo_compat_resume_hook_unregister(h)	unregister_syscore(h)
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#include <linux/syscore_ops.h>
#define ARGO_COMPAT_DEFINE_RESUME_HOOK(name, fn)			\
static void name##_resume(void)						\
{									\
	fn();								\
}									\
static struct syscore_ops name = {					\
	.resume = name##_resume,					\
}

#define argo_compat_resume_hook_register(h)	register_syscore_ops(h)
#define argo_compat_resume_hook_unregister(h)	unregister_syscore_ops(h)
#else
#include <linux/notifier.h>
#include <xen/xen-ops.h>
#define ARGO_COMPAT_DEFINE_RESUME_HOOK(name, fn)			\
static int name##_notify(struct notifier_block *nb,			\
			 unsigned long action, void *data)		\
{									\
	fn();								\
	return NOTIFY_OK;						\
}									\
static struct notifier_block name = {					\
	.notifier_call = name##_notify,					\
}

#define argo_compat_resume_hook_register(h)	xen_resume_notifier_register(h)
#define argo_compat_resume_hook_unregister(h)	xen_resume_notifier_unregister(h)
#endif

/*
 * dma_map_ops: Linux 6.19 replaced .map_page/.unmap_page with
 * .map_phys/.unmap_phys, which take a physical address (Leon Romanovsky's
 * series converting the DMA ops to physical addresses, ending in
 * "dma-mapping: remove unused map_page callback").  A driver writes
 * dma_addr_t map(dev, phys_addr_t phys, size, dir, attrs) and
 * void unmap(dev, dma_addr_t, size, dir, attrs) (the same shape as the old
 * unmap_page), puts ARGO_COMPAT_DMA_DEFINE_MAP_OPS(map) after them and
 * ARGO_COMPAT_DMA_MAP_OPS(map, unmap) in its struct dma_map_ops.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#define ARGO_COMPAT_DMA_DEFINE_MAP_OPS(map)
#define ARGO_COMPAT_DMA_MAP_OPS(map, unmap)				\
	.map_phys = map,						\
	.unmap_phys = unmap,
#else
#define ARGO_COMPAT_DMA_DEFINE_MAP_OPS(map)				\
static dma_addr_t map##_page(struct device *dev, struct page *page,	\
			     unsigned long offset, size_t size,		\
			     enum dma_data_direction dir,		\
			     unsigned long attrs)			\
{									\
	return map(dev, page_to_phys(page) + offset, size, dir, attrs);	\
}

#define ARGO_COMPAT_DMA_MAP_OPS(map, unmap)				\
	.map_page = map##_page,						\
	.unmap_page = unmap,
#endif

#endif /* _ARGO_COMPAT_H */
