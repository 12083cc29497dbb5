// SPDX-License-Identifier: GPL-2.0
/*
 * argo_selftest: ring sizes, the hypervisor's limit of 128 rings per
 * domain, and any-sender (wildcard) rings.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/slab.h>

#include "selftest.h"

#define LIMIT_TRIES 140

static void size_case(size_t want, long want_err, size_t want_len)
{
	struct argo_ring_params p = { .partner = argo_own_domid(), .size = want };
	struct argo_ring *r = argo_ring_create(&p);
	long err = PTR_ERR_OR_ZERO(r);

	if (want_err) {
		tap(err == want_err, "ring of %zu bytes refused: %ld (want %ld)",
		    want, err, want_err);
	} else {
		tap(!err && argo_ring_size(r) == want_len,
		    "ring of %zu bytes: error %ld, size %zu (want %zu)", want,
		    err, err ? 0 : argo_ring_size(r), want_len);
	}
	if (!err) {
		struct argo_dest_info d = { };

		tap(!argo_query(argo_own_domid(), argo_ring_port(r), 0, &d) &&
		    d.exists && d.max_message_size == argo_ring_size(r) - 32,
		    "  hypervisor sees it, max message %u", d.max_message_size);
		argo_ring_destroy(r);
	}
}

int run_limits(void)
{
	struct argo_ring_params p = { .partner = argo_own_domid() };
	struct argo_ring **rings, *r;
	unsigned int n, i;
	long err = 0;

	size_case(0, 0, 4096 - 64);
	size_case(ARGO_RING_MIN_SIZE, 0, 4096 - 64);
	size_case(4096 - 64 + 1, 0, 2 * 4096 - 64);
	size_case(ARGO_RING_MAX_SIZE, 0, ARGO_RING_MAX_SIZE);
	size_case(ARGO_RING_MAX_SIZE + 1, -EINVAL, 0);

	rings = kcalloc(LIMIT_TRIES, sizeof(*rings), GFP_KERNEL);
	if (!rings)
		return -ENOMEM;
	for (n = 0; n < LIMIT_TRIES; n++) {
		r = argo_ring_create(&p);
		if (IS_ERR(r)) {
			err = PTR_ERR(r);
			break;
		}
		rings[n] = r;
	}
	tap(err == -ENOSPC, "ring %u refused with -ENOSPC: %ld", n + count, err);
	tap(n + count == 128, "%u rings created next to %u existing: 128 in all",
	    n, count);
	for (i = 0; i < n; i++)
		argo_ring_destroy(rings[i]);
	kfree(rings);
	r = argo_ring_create(&p);
	tap(!IS_ERR(r), "rings can be created again after freeing: %d",
	    PTR_ERR_OR_ZERO(r));
	argo_ring_destroy(r);
	return 0;
}

int run_wildcard(void)
{
	struct argo_ring_params p = { .port = 0x5000, .partner = ARGO_DOMID_ANY,
				      .size = 4096 };
	struct kvec iov = { .iov_base = "any", .iov_len = 3 };
	struct argo_ring *r = argo_ring_create(&p);
	int err = PTR_ERR_OR_ZERO(r);
	ssize_t ret;

	tap(err == expect, "wildcard ring: %d (want %d)", err, expect);
	if (!err) {
		ret = argo_sendv(r, argo_own_domid(), p.port, &iov, 1, 0);
		tap(ret == 3, "send to the wildcard ring: %zd", ret);
		argo_ring_destroy(r);
	}
	p.partner = argo_own_domid();
	r = argo_ring_create(&p);
	tap(!IS_ERR(r), "single-partner ring on the same port: %d",
	    PTR_ERR_OR_ZERO(r));
	argo_ring_destroy(r);
	return 0;
}
