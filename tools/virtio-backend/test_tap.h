/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TAP lines of argo-virtio-backend's host test programs (test_*.c,
 * one program each, so the state lives here): ok() prints one check,
 * numbered; main() ends with tap_end().
 */
#ifndef _VB_TEST_TAP_H
#define _VB_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int testno, failures;

static void ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++testno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failures++;
}

#endif /* _VB_TEST_TAP_H */
