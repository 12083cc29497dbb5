// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite argo_vsock_check: argo-vsock's packet check
 * (argo-vsock/check.c) as the kernel compiles it, against the vectors of
 * its host unit test (tests/unit/avs_check_test.c).
 */
#include "../../argo-vsock/check.c"

int argo_kunit_avs_check_main(void);
#define main argo_kunit_avs_check_main
#include "../unit/avs_check_test.c"
#undef main

ARGO_KUNIT_WRAP(test_accepts)
ARGO_KUNIT_WRAP(test_rejects)

static struct kunit_case argo_vsock_check_cases[] = {
	ARGO_KUNIT_CASE(test_accepts),
	ARGO_KUNIT_CASE(test_rejects),
	{}
};

static struct kunit_suite argo_vsock_check_suite = {
	.name = "argo_vsock_check",
	.test_cases = argo_vsock_check_cases,
};

kunit_test_suite(argo_vsock_check_suite);

MODULE_DESCRIPTION("KUnit suites of the VirtIO-Argo modules' pure logic");
MODULE_LICENSE("GPL");
