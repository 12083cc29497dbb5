/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where differences between the kernel versions this suite
 * supports (Debian 12's 6.1, bookworm-backports' 6.12 and newer) are
 * hidden.  Code elsewhere includes this header instead of testing
 * LINUX_VERSION_CODE itself.
 */
#ifndef _ARGO_COMPAT_H
#define _ARGO_COMPAT_H

#include <linux/version.h>

#endif /* _ARGO_COMPAT_H */
