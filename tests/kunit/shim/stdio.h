/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C library the host unit tests use, for their KUnit build
 * (tests/kunit): printf() goes to the kernel log.
 */
#ifndef _ARGO_KUNIT_SHIM_STDIO_H
#define _ARGO_KUNIT_SHIM_STDIO_H

/* Before the macros: KUnit's own structs have a member named free. */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

#define printf(...)	pr_info(__VA_ARGS__)

#endif
