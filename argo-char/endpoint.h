/* SPDX-License-Identifier: GPL-2.0 */
/* argo-char: the file operations of /dev/argo (endpoint.c). */
#ifndef _ARGO_CHAR_ENDPOINT_H
#define _ARGO_CHAR_ENDPOINT_H

#include <linux/fs.h>

extern const struct file_operations argo_ep_fops;

#endif /* _ARGO_CHAR_ENDPOINT_H */
