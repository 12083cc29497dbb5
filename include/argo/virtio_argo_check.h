/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Validation of what a virtio-argo backend sends, as pure functions.
 *
 * The guest transport copies each record's header and fixed payload out of
 * its Argo ring and asks these functions whether the record may be acted
 * on.  They touch no kernel state, so the same source (virtio-argo/check.c)
 * is unit-tested and fuzzed on the host.  Every function returns 0 when
 * the record is acceptable, -EPROTO with *@why naming the broken rule when
 * it is not, and va_check_from_device() returns 1 for a record to ignore
 * (an id this version does not know, so that the protocol can grow).
 */
#ifndef _ARGO_VIRTIO_ARGO_CHECK_H
#define _ARGO_VIRTIO_ARGO_CHECK_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#endif
#include "virtio_argo_proto.h"

/* Largest control record (anything but USED_CHAIN) a driver accepts. */
#define VA_CTRL_MAX	1024U

/**
 * struct va_used_acct - what the driver knows of one outstanding chain
 * @in_len: room the chain's device-writable buffers have
 * @total: the total announced by the first fragment (valid if @started)
 * @received: data bytes received so far
 * @started: a FIRST fragment arrived
 */
struct va_used_acct {
	u32 in_len;
	u32 total;
	u32 received;
	bool started;
};

int va_check_hdr(const struct va_hdr *h, u32 avail, const char **why);
int va_check_from_device(const struct va_hdr *h, const void *payload,
			 u32 len, const char **why);
int va_check_used(const struct va_used_chain *u, u32 data_len,
		  const struct va_used_acct *acct, const char **why);
bool va_status_ok(u32 requested, u32 reported);

#endif /* _ARGO_VIRTIO_ARGO_CHECK_H */
