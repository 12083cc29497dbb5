// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite argo_ring_buf: argo-core's ring arithmetic
 * (argo-core/ring_buf.c) as the kernel compiles it, against the vectors of
 * its host unit test (tests/unit/ring_buf_test.c), one case per test
 * function there.
 */
#include "../../argo-core/ring_buf.c"

int argo_kunit_ring_buf_main(void);
#define main argo_kunit_ring_buf_main
#include "../unit/ring_buf_test.c"
#undef main

ARGO_KUNIT_WRAP(test_geometry)
ARGO_KUNIT_WRAP(test_empty_and_bad_ptrs)
ARGO_KUNIT_WRAP(test_one_message)
ARGO_KUNIT_WRAP(test_zero_length)
ARGO_KUNIT_WRAP(test_wrap)
ARGO_KUNIT_WRAP(test_full_ring)
ARGO_KUNIT_WRAP(test_corrupt_headers)
ARGO_KUNIT_WRAP(test_stream)

static struct kunit_case argo_ring_buf_cases[] = {
	ARGO_KUNIT_CASE(test_geometry),
	ARGO_KUNIT_CASE(test_empty_and_bad_ptrs),
	ARGO_KUNIT_CASE(test_one_message),
	ARGO_KUNIT_CASE(test_zero_length),
	ARGO_KUNIT_CASE(test_wrap),
	ARGO_KUNIT_CASE(test_full_ring),
	ARGO_KUNIT_CASE(test_corrupt_headers),
	ARGO_KUNIT_CASE(test_stream),
	{}
};

static struct kunit_suite argo_ring_buf_suite = {
	.name = "argo_ring_buf",
	.test_cases = argo_ring_buf_cases,
};

kunit_test_suite(argo_ring_buf_suite);
