/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-virtio-backend: the driver's memory windows, as a device model
 * uses them.
 *
 * A device that negotiated memory windows (transport feature VA_F_WINDOWS,
 * docs/virtio-argo-protocol.md) may ask the guest for bytes the driver
 * mapped for it through the DMA API (virtio-gpu's resource backing pages,
 * named by DMA address in RESOURCE_ATTACH_BACKING), and may write into
 * mappings made for the device to write.  The guest answers from its own
 * memory, and only inside a live mapping of that device: anything else is
 * an error, never a byte of other memory.  The answer travels by Argo like
 * everything else, so every call here completes later, from the event loop.
 */
#ifndef _VB_WINDOW_H
#define _VB_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct devinst;

/* The longest single win_read() or win_write(); longer is -EINVAL. */
#define WIN_IO_MAX	(64U << 20)

/**
 * win_done_fn - a window access finished
 * @di: the device instance that asked
 * @ctx: what the caller passed
 * @err: 0, or a negative errno: -EFAULT (not wholly inside a live mapping
 *	of @di in that direction), -ENODEV (the instance was reset or its
 *	guest went before the answer came), -EIO (the guest broke the rules)
 * @data: for a read with @err 0, the @len bytes; else NULL.  Valid only
 *	during the call
 * @len: the length asked for
 *
 * Called exactly once per access that win_read() or win_write() accepted,
 * never from inside those calls.  After inst_reset or inst_free of @di the
 * callbacks of its accesses still outstanding are called with -ENODEV
 * before those hooks run, so @ctx may be freed there.
 */
typedef void (*win_done_fn)(struct devinst *di, void *ctx, int err,
			    const uint8_t *data, uint32_t len);

/**
 * win_available() - whether @di's guest negotiated memory windows
 * @di: the device instance
 */
bool win_available(const struct devinst *di);

/**
 * win_read() - read @len bytes of the driver's memory at DMA address @addr
 * @di: the device instance whose mappings count
 * @addr: the DMA address the driver gave the device
 * @len: 1 to WIN_IO_MAX bytes; split into as many requests as it takes
 * @done: called once with the bytes or an errno
 * @ctx: passed to @done
 *
 * Return: 0 (@done will be called), or a negative errno now and @done is
 * not called: -EOPNOTSUPP without windows, -EINVAL for a bad length,
 * -ENOMEM.
 */
int win_read(struct devinst *di, uint64_t addr, uint32_t len,
	     win_done_fn done, void *ctx);

/**
 * win_write() - write @len bytes into the driver's memory at DMA address @addr
 * @di: the device instance whose mappings count
 * @addr: the DMA address the driver gave the device (mapped for the device
 *	to write: DMA_FROM_DEVICE or DMA_BIDIRECTIONAL)
 * @data: the bytes, copied before the call returns
 * @len: 1 to WIN_IO_MAX bytes
 * @done: called once, with @data NULL
 * @ctx: passed to @done
 *
 * Return: as win_read().
 */
int win_write(struct devinst *di, uint64_t addr, const void *data,
	      uint32_t len, win_done_fn done, void *ctx);

#endif /* _VB_WINDOW_H */
