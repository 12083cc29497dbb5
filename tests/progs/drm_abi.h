/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few DRM ioctls drm_pattern uses, restated from the kernel's uapi
 * (include/uapi/drm/drm.h and drm_mode.h): numbers and layouts are ABI,
 * and the build machine need not have libdrm's or the kernel's DRM
 * headers.
 */
#ifndef _DRM_ABI_H
#define _DRM_ABI_H

#include <stdint.h>
#include <sys/ioctl.h>

#define DRM_IOWR_NR(nr, type)	_IOWR('d', nr, type)

struct drm_card_res {
	uint64_t fb_id_ptr, crtc_id_ptr, connector_id_ptr, encoder_id_ptr;
	uint32_t count_fbs, count_crtcs, count_connectors, count_encoders;
	uint32_t min_width, max_width, min_height, max_height;
};

struct drm_modeinfo {
	uint32_t clock;
	uint16_t hdisplay, hsync_start, hsync_end, htotal, hskew;
	uint16_t vdisplay, vsync_start, vsync_end, vtotal, vscan;
	uint32_t vrefresh;
	uint32_t flags;
	uint32_t type;
	char name[32];
};

struct drm_get_connector {
	uint64_t encoders_ptr, modes_ptr, props_ptr, prop_values_ptr;
	uint32_t count_modes, count_props, count_encoders;
	uint32_t encoder_id, connector_id, connector_type, connector_type_id;
	uint32_t connection, mm_width, mm_height, subpixel, pad;
};

struct drm_get_encoder {
	uint32_t encoder_id, encoder_type, crtc_id, possible_crtcs,
		 possible_clones;
};

struct drm_crtc {
	uint64_t set_connectors_ptr;
	uint32_t count_connectors;
	uint32_t crtc_id, fb_id, x, y, gamma_size, mode_valid;
	struct drm_modeinfo mode;
};

struct drm_create_dumb {
	uint32_t height, width, bpp, flags, handle, pitch;
	uint64_t size;
};

struct drm_map_dumb {
	uint32_t handle, pad;
	uint64_t offset;
};

struct drm_fb_cmd {
	uint32_t fb_id, width, height, pitch, bpp, depth, handle;
};

struct drm_clip {
	uint16_t x1, y1, x2, y2;
};

struct drm_fb_dirty {
	uint32_t fb_id, flags, color, num_clips;
	uint64_t clips_ptr;
};

#define DRM_CONNECTED			1
#define DRM_IOCTL_GETRESOURCES		DRM_IOWR_NR(0xA0, struct drm_card_res)
#define DRM_IOCTL_SETCRTC		DRM_IOWR_NR(0xA2, struct drm_crtc)
#define DRM_IOCTL_GETENCODER		DRM_IOWR_NR(0xA6, struct drm_get_encoder)
#define DRM_IOCTL_GETCONNECTOR		DRM_IOWR_NR(0xA7, struct drm_get_connector)
#define DRM_IOCTL_ADDFB			DRM_IOWR_NR(0xAE, struct drm_fb_cmd)
#define DRM_IOCTL_DIRTYFB		DRM_IOWR_NR(0xB1, struct drm_fb_dirty)
#define DRM_IOCTL_CREATE_DUMB		DRM_IOWR_NR(0xB2, struct drm_create_dumb)
#define DRM_IOCTL_MAP_DUMB		DRM_IOWR_NR(0xB3, struct drm_map_dumb)

#endif /* _DRM_ABI_H */
