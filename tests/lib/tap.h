/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP 13 producer for C tests (host unit tests and guest
 * programs), in the style of the kernel's kselftests: "TAP version 13",
 * "ok N name", "not ok N name # reason", the plan "1..N" last, and the exit
 * status 0 (pass), 1 (fail) or 4 (all skipped) from tap_done().
 */
#ifndef _ARGO_TESTS_TAP_H
#define _ARGO_TESTS_TAP_H

#ifdef __KERNEL__
/* A host unit test built as a KUnit suite (tests/kunit). */
#include "../kunit/kunit_tap.h"
#else

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed, tap_skipped;

static inline void tap_start(void)
{
	printf("TAP version 13\n");
}

static inline __attribute__((format(printf, 2, 3)))
int tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d ", ok ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return ok;
}

/* Compare two integers and say both values when they differ. */
#define tap_is(got, want, ...) do {					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	if (!tap_ok(_g == _w, __VA_ARGS__))				\
		printf("# got %lld, want %lld (%s)\n", _g, _w, #got);	\
} while (0)

static inline void tap_skip(const char *name, const char *reason)
{
	tap_n++;
	tap_skipped++;
	printf("ok %d %s # SKIP %s\n", tap_n, name, reason);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		return 1;
	return tap_n && tap_skipped == tap_n ? 4 : 0;
}

#endif /* __KERNEL__ */
#endif /* _ARGO_TESTS_TAP_H */
