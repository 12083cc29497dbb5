/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-virtio-backend: a domain's name from xenstore.
 *
 * Devices are bound to guests by domain name, since a guest's domid
 * changes each time it reboots; the name is looked up once per guest
 * connect, so each call is one short xenstore exchange of its own.
 */
#ifndef _VB_XS_H
#define _VB_XS_H

#include <stddef.h>
#include <stdint.h>

/* The name of domain @domid from xenstore (/local/domain/DOMID/name):
 * 0 and a NUL-terminated name, or -errno (-ENOENT: no such domain or
 * no name, -EACCES: not readable here, -ENODEV: no xenstore, -ENAMETOOLONG,
 * -ETIMEDOUT: xenstore did not answer within 2 s, -EIO: a malformed
 * answer).
 */
int xs_domain_name(uint16_t domid, char *name, size_t len);

#endif /* _VB_XS_H */
