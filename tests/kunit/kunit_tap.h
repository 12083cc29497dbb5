/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/lib/tap.h for the KUnit build of a host unit test: the same
 * tap_ok()/tap_is() calls, but a failed check fails the KUnit case that is
 * running (argo_kunit_run()) with the check's name, instead of printing a
 * TAP line of its own.  Passing checks are only counted: KUnit keeps a
 * small log per case.
 */
#ifndef _ARGO_KUNIT_TAP_H
#define _ARGO_KUNIT_TAP_H

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/stdarg.h>

static struct kunit *argo_kunit_test;
static int tap_n, tap_failed;

static inline void tap_start(void)
{
}

static inline __printf(2, 3) int tap_ok(int ok, const char *fmt, ...)
{
	char name[160];
	va_list ap;

	tap_n++;
	if (ok)
		return ok;
	tap_failed++;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	KUNIT_FAIL(argo_kunit_test, "check %d failed: %s", tap_n, name);
	return ok;
}

#define tap_is(got, want, ...) do {					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	if (!tap_ok(_g == _w, __VA_ARGS__))				\
		kunit_info(argo_kunit_test, "got %lld, want %lld (%s)",	\
			   _g, _w, #got);				\
} while (0)

static inline int tap_done(void)
{
	return tap_failed ? 1 : 0;
}

/*
 * Run one test function of the host test as a KUnit case: it must make at
 * least one check, and every check must pass.
 */
static inline void argo_kunit_run(struct kunit *test, void (*fn)(void))
{
	int n = tap_n;

	argo_kunit_test = test;
	fn();
	argo_kunit_test = NULL;
	KUNIT_EXPECT_GT_MSG(test, tap_n - n, 0, "the function made no check");
	kunit_info(test, "%d checks", tap_n - n);
}

/*
 * ARGO_KUNIT_WRAP(fn) defines the KUnit case that runs host test function
 * fn; ARGO_KUNIT_CASE(fn) names it in a suite.
 */
#define ARGO_KUNIT_WRAP(fn)						\
static void kunit_##fn(struct kunit *test)				\
{									\
	argo_kunit_run(test, fn);					\
}

#define ARGO_KUNIT_CASE(fn)	KUNIT_CASE(kunit_##fn)

#endif /* _ARGO_KUNIT_TAP_H */
