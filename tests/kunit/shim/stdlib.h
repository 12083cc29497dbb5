/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C library the host unit tests use, for their KUnit build
 * (tests/kunit): calloc() and free() from the kernel's allocator.
 */
#ifndef _ARGO_KUNIT_SHIM_STDLIB_H
#define _ARGO_KUNIT_SHIM_STDLIB_H

/* Before the macros: KUnit's own structs have a member named free. */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#define calloc(n, size)	kcalloc(n, size, GFP_KERNEL)
#define free(p)		kfree(p)

#endif
