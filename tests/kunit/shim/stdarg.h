/* SPDX-License-Identifier: GPL-2.0 */
/* <stdarg.h> for the KUnit build of the host unit tests (tests/kunit). */
#include <linux/stdarg.h>
