/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Argo transport of the backend (argo_io.c): the only part that
 * touches /dev/argo.  The host test replaces it with a fake transport.
 */
#ifndef _VB_ARGO_IO_H
#define _VB_ARGO_IO_H

#include <stdint.h>

struct backend;
struct argo_io;
struct transport_ops;

const struct transport_ops *argo_io_ops(void);
struct argo_io *argo_io_open(struct backend *be, const uint16_t *partners,
			     unsigned int npartners, uint32_t ring_size);
void argo_io_close(struct argo_io *io);
int argo_io_timeout(struct argo_io *io);
void argo_io_tick(struct argo_io *io);

#endif /* _VB_ARGO_IO_H */
