/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's types for the modules' pure-logic source
 * files to compile in a host test (passed with -include).
 */
#ifndef _ARGO_TESTS_KSHIM_H
#define _ARGO_TESTS_KSHIM_H

#include <argo/kshim_user.h>

#endif /* _ARGO_TESTS_KSHIM_H */
