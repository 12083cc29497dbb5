/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-virtio-backend: a VNC server for one guest's virtio-gpu display,
 * its keys and pointer going to the guest's virtio-input device (rfb.c).
 */
#ifndef _VB_RFB_H
#define _VB_RFB_H

#include <stdint.h>

struct device;
struct rfb;

struct rfb *rfb_listen(const char *spec, struct device *gpu,
		       struct device *input, const char *who, uint32_t width,
		       uint32_t height, char *err, size_t errlen);
void rfb_tick(struct rfb *s);
void rfb_close(struct rfb *s);

#endif /* _VB_RFB_H */
