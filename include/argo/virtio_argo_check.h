/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-msg bus over Argo (protocol 2): framing and validation of
 * records in both directions, as pure functions.
 *
 * One source, virtio-argo/check.c, is built into the guest module, the
 * userspace backend (tools/virtio-backend), the hostile test backend and
 * the conformance checker (tests/progs), the host unit tests and the
 * fuzzer, so a rule of docs/virtio-argo-protocol.md cannot diverge
 * between them.  The functions touch no state but what they are given.
 *
 * Every check returns 0 when the record may be acted on, -EPROTO with
 * *@why naming the broken rule when it breaks one, and the "from" checks
 * return VA_IGNORE for a well-formed record the receiver does not act on
 * (an id or state this revision does not define, so that the protocol
 * can grow: the draft says such records are discarded, not answered).
 */
#ifndef _ARGO_VIRTIO_ARGO_CHECK_H
#define _ARGO_VIRTIO_ARGO_CHECK_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <argo/kshim_user.h>
#endif
#include "virtio_argo_proto.h"

/* Largest control record (anything but USED_CHAIN) a driver accepts. */
#define VA_CTRL_MAX	1024U
/* Largest GET_DEVICE_FEATURES answer a driver accepts, in blocks. */
#define VA_FEATURE_BLOCKS_MAX	4U

/* va_check_from_device() / va_check_from_driver(): discard, no error */
#define VA_IGNORE	1

/**
 * struct va_link - what CONNECT settled for one driver/device pair
 * @max_size: largest record either side sends
 * @features: VA_F_* bits both use
 */
struct va_link {
	u32 max_size;
	u64 features;
};

/* Data bytes one chain record may carry on @lk. */
static inline u32 va_frag_max(const struct va_link *lk)
{
	u32 n = lk->max_size - VA_CHAIN_HDR_SIZE;

	return n < VA_FRAG_MAX ? n : VA_FRAG_MAX;
}

/* The type bits this revision defines; the rest are ignored (draft 2.3.7). */
static inline u8 va_type(const struct va_hdr *h)
{
	return h->type & VA_TYPE_MASK;
}

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

int va_check_hdr(const struct va_hdr *h, u32 avail, u32 max_size,
		 const char **why);
int va_check_from_device(const struct va_hdr *h, const void *payload,
			 u32 len, const struct va_link *lk, const char **why);
int va_check_from_driver(const struct va_hdr *h, const void *payload,
			 u32 len, const char **why);
int va_check_used(const struct va_used_chain *u, u32 data_len,
		  const struct va_used_acct *acct, const char **why);
int va_check_devices(const struct va_get_devices_req *req,
		     const struct va_get_devices_resp *resp, const char **why);
int va_connect_choose(const struct va_connect *req, u32 max_size,
		      u64 features, struct va_connect *resp);
int va_check_connect(const struct va_connect *req,
		     const struct va_connect *resp, struct va_link *lk,
		     const char **why);
bool va_status_ok(u32 requested, u32 reported);
int va_check_mem_req(const struct va_hdr *h, const struct va_mem_req *rq,
		     u32 len, const struct va_link *lk, const char **why);

/* The longest MEM_READ or MEM_WRITE on @lk: its record fits whole. */
static inline u32 va_mem_max(const struct va_link *lk)
{
	return lk->max_size - VA_HDR_SIZE - (u32)sizeof(struct va_mem_req);
}

#endif /* _ARGO_VIRTIO_ARGO_CHECK_H */
