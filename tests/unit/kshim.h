/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's types for the modules' pure-logic source
 * files to compile in a host test (passed with -include).
 */
#ifndef _ARGO_TESTS_KSHIM_H
#define _ARGO_TESTS_KSHIM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#endif /* _ARGO_TESTS_KSHIM_H */
