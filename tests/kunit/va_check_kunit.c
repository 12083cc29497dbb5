// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite argo_va_check: the virtio-msg bus over Argo's framing and
 * checks (virtio-argo/check.c, both directions, CONNECT and GET_DEVICES)
 * as the kernel compiles them, against the vectors of their host unit
 * test (tests/unit/va_check_test.c).
 */
#include "../../virtio-argo/check.c"

int argo_kunit_va_check_main(void);
#define main argo_kunit_va_check_main
#include "../unit/va_check_test.c"
#undef main

ARGO_KUNIT_WRAP(test_headers)
ARGO_KUNIT_WRAP(test_responses)
ARGO_KUNIT_WRAP(test_events)
ARGO_KUNIT_WRAP(test_used)
ARGO_KUNIT_WRAP(test_from_driver)
ARGO_KUNIT_WRAP(test_devices)
ARGO_KUNIT_WRAP(test_connect_choose)
ARGO_KUNIT_WRAP(test_connect_check)
ARGO_KUNIT_WRAP(test_status)
ARGO_KUNIT_WRAP(test_mem)

static struct kunit_case argo_va_check_cases[] = {
	ARGO_KUNIT_CASE(test_headers),
	ARGO_KUNIT_CASE(test_responses),
	ARGO_KUNIT_CASE(test_events),
	ARGO_KUNIT_CASE(test_used),
	ARGO_KUNIT_CASE(test_from_driver),
	ARGO_KUNIT_CASE(test_devices),
	ARGO_KUNIT_CASE(test_connect_choose),
	ARGO_KUNIT_CASE(test_connect_check),
	ARGO_KUNIT_CASE(test_status),
	ARGO_KUNIT_CASE(test_mem),
	{}
};

static struct kunit_suite argo_va_check_suite = {
	.name = "argo_va_check",
	.test_cases = argo_va_check_cases,
};

kunit_test_suite(argo_va_check_suite);
