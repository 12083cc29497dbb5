// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-gpu (device id 16), 2D only: no VIRGL, EDID, blob resources or
 * context init; one scanout; two queues (controlq, cursorq).
 *
 * The guest's driver keeps its framebuffers in its own pages and names
 * them by DMA address (RESOURCE_ATTACH_BACKING); TRANSFER_TO_HOST_2D asks
 * the device to copy a rectangle of them into the resource.  Those bytes
 * are not in any chain, and this backend never maps guest memory, so it
 * asks the guest for them through memory windows (window.h): a transfer
 * becomes one win_read() per run of the rectangle that is contiguous in
 * the guest's DMA space, and its chain is completed when the last read
 * answered.  Without windows the device still answers every command, but
 * transfers fail (ERR_UNSPEC): the screen stays black.
 *
 * Each guest has its own resources (their pixels in host memory, laid out
 * as the guest's: stride = width * 4), at most GPU_MEM_MAX bytes of them,
 * and its own display: the scanout's pixels as XRGB8888, updated from the
 * scanout's resource by SET_SCANOUT and RESOURCE_FLUSH (what a monitor
 * would show), written as PNG by gpu_snapshot_png() and by png=DIR.
 *
 * Order: the controlq runs one command at a time.  While a transfer waits
 * for the guest's memory, the chains after it wait in a FIFO, so no
 * response (fenced or not) ever overtakes an earlier command of the queue;
 * the Linux driver relies on that for fences.  The cursorq is answered at
 * once.
 *
 * The driver is not trusted: every id, rectangle, format and length is
 * checked (64-bit arithmetic, so nothing wraps), and a bad command gets
 * its VIRTIO_GPU_RESP_ERR_* answer and a rate-limited line, nothing else:
 *   command shorter than its structure, or not of this queue  ERR_UNSPEC
 *   unknown command (capsets, EDID, blob, 3D, ...)             ERR_UNSPEC
 *   resource id 0, unknown, or (create) already in use    INVALID_RESOURCE_ID
 *   scanout id other than 0                                INVALID_SCANOUT_ID
 *   unknown format, size 0 or over 16384, a rectangle not inside its
 *   resource, backing entries not in the chain, over 65536 of them, of
 *   length 0 or wrapping, or shorter in total than the resource,
 *   a transfer reaching past the backing, a failed guest read
 *                                                     INVALID_PARAMETER
 *   attach to a resource that has backing, detach or transfer without
 *   backing, transfer without windows                      ERR_UNSPEC
 *   over GPU_MEM_MAX or GPU_RES_MAX, or malloc failed    ERR_OUT_OF_MEMORY
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/virtio_gpu.h>
#include <linux/virtio_ids.h>

#include "backend.h"
#include "png.h"
#include "rfb.h"
#include "window.h"

#define GPU_CONTROLQ		0
#define GPU_CURSORQ		1
#define GPU_SCANOUTS		1U
/* Host bytes of one guest's resources, backing tables and display. */
#define GPU_MEM_MAX		(256ULL << 20)
/* Resources of one guest: each costs a little beyond its pixels. */
#define GPU_RES_MAX		16384U
/* Largest resource or display width and height. */
#define GPU_DIM_MAX		16384U
/* Backing entries of one resource (256 MiB of 4 KiB pages). */
#define GPU_ENTRIES_MAX		65536U
#define GPU_DEFAULT_WIDTH	1024U
#define GPU_DEFAULT_HEIGHT	768U
/* png=DIR writes a guest's display at most this often. */
#define GPU_PNG_INTERVAL_MS	200U
#define GPU_BPP			4U


/* The device: its options. */
struct gpu {
	uint32_t width;		/* the display mode offered */
	uint32_t height;
	char *png_dir;		/* png=: where the displays are written */
	char *vnc;		/* vnc=: where viewers connect */
	struct device *input;	/* the guest's keyboard and pointer */
	struct rfb *rfb;
};

struct gpu_entry {
	uint64_t addr;		/* guest DMA address */
	uint64_t start;		/* offset of its first byte in the backing */
	uint32_t len;
};

struct gpu_res {
	struct list_node link;
	uint32_t id;
	uint32_t format;
	uint32_t width;
	uint32_t height;
	uint64_t size;		/* width * height * 4 */
	uint8_t *pixels;	/* @size bytes, rows of width * 4 */
	struct gpu_entry *ents;	/* the backing, NULL when detached */
	uint32_t nents;
	uint64_t backing_len;
};

/* One read of a transfer: @len guest bytes at @addr land at @dst. */
struct gpu_run {
	struct gpu_xfer *x;
	uint64_t addr;
	uint64_t dst;		/* offset in the resource's pixels */
	uint32_t len;
};

/*
 * A transfer waiting for its reads.  Its chain is the one on
 * gpu_inst.active.  @gi is NULL once the instance forgot it (a reset
 * with reads still outstanding, which window.h rules out; we survive it
 * anyway): the remaining callbacks then only count down and free it.
 */
struct gpu_xfer {
	struct gpu_inst *gi;
	struct gpu_res *res;
	struct gpu_run *runs;
	uint32_t nruns;
	uint32_t pending;	/* reads issued and not yet answered */
	bool issuing;		/* still in the loop issuing them */
	int err;		/* the first error */
};

struct gpu_inst {
	struct devinst *di;
	struct list_node res;
	uint32_t nres;
	uint64_t mem;		/* host bytes charged (GPU_MEM_MAX) */
	/* scanout 0 */
	uint32_t so_res;	/* 0: disabled */
	uint32_t so_x, so_y, so_w, so_h;	/* the rectangle of so_res */
	uint32_t *fb;		/* so_w * so_h XRGB8888: what it shows */
	uint64_t updates;	/* times the display changed */
	/* the cursor: kept, not drawn */
	uint32_t cur_res, cur_x, cur_y, cur_hot_x, cur_hot_y;
	/* the controlq, one command at a time */
	struct list_node fifo;		/* chains waiting their turn */
	struct list_node active;	/* the chain being carried out */
	struct gpu_xfer *xfer;
	bool told_nowin;
	/* png=DIR */
	uint64_t png_last_ms;
	bool png_due;		/* a change not written yet */
};

static struct gpu_inst *gpu_inst(const struct devinst *di)
{
	return di->priv;
}

#define gpu_err(gi, fmt, ...)						\
	guest_err((gi)->di->g, "device %u: gpu: " fmt,			\
		  (gi)->di->dev->dev_num, ##__VA_ARGS__)

/* ---- formats ---- */

/* Byte offsets of red, green and blue in a pixel of @format, or false. */
static bool gpu_format(uint32_t format, unsigned int *r, unsigned int *g,
		       unsigned int *b)
{
	switch (format) {
	case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
	case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM:
		*r = 2, *g = 1, *b = 0;
		return true;
	case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
	case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM:
		*r = 1, *g = 2, *b = 3;
		return true;
	case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
	case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM:
		*r = 0, *g = 1, *b = 2;
		return true;
	case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM:
	case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
		*r = 3, *g = 2, *b = 1;
		return true;
	}
	return false;
}

/* ---- memory accounting ---- */

static bool gpu_charge(struct gpu_inst *gi, uint64_t bytes)
{
	if (bytes > GPU_MEM_MAX - gi->mem)
		return false;
	gi->mem += bytes;
	return true;
}

static void gpu_uncharge(struct gpu_inst *gi, uint64_t bytes)
{
	gi->mem -= bytes;
}

/* ---- responses ---- */

#define HDR(field)	offsetof(struct virtio_gpu_ctrl_hdr, field)

/*
 * A response header for the command at @c->out: @type, and for a fenced
 * command the fence, echoed (virtio: the device signals the fence by
 * answering with FLAG_FENCE and the same fence_id and ctx_id).
 */
static void gpu_resp_hdr(const struct chain *c, uint8_t *resp, uint32_t type)
{
	memset(resp, 0, sizeof(struct virtio_gpu_ctrl_hdr));
	put_le32(resp + HDR(type), type);
	if (c->out_len < sizeof(struct virtio_gpu_ctrl_hdr) ||
	    !(get_le32(c->out + HDR(flags)) & VIRTIO_GPU_FLAG_FENCE))
		return;
	put_le32(resp + HDR(flags), VIRTIO_GPU_FLAG_FENCE);
	put_le64(resp + HDR(fence_id), get_le64(c->out + HDR(fence_id)));
	put_le32(resp + HDR(ctx_id), get_le32(c->out + HDR(ctx_id)));
}

/* Complete @c with a bare header of @type (OK_NODATA or an error). */
static void gpu_respond(struct chain *c, uint32_t type)
{
	uint8_t resp[sizeof(struct virtio_gpu_ctrl_hdr)];

	gpu_resp_hdr(c, resp, type);
	chain_complete(c, resp, sizeof(resp));
}

/* ---- resources ---- */

static struct gpu_res *gpu_res_find(struct gpu_inst *gi, uint32_t id)
{
	struct list_node *n, *t;

	if (!id)
		return NULL;
	list_for_each_safe(n, t, &gi->res) {
		struct gpu_res *r = list_entry(n, struct gpu_res, link);

		if (r->id == id)
			return r;
	}
	return NULL;
}

static void gpu_detach(struct gpu_inst *gi, struct gpu_res *r)
{
	if (!r->ents)
		return;
	gpu_uncharge(gi, (uint64_t)r->nents * sizeof(*r->ents));
	free(r->ents);
	r->ents = NULL;
	r->nents = 0;
	r->backing_len = 0;
}

static void gpu_scanout_off(struct gpu_inst *gi)
{
	if (gi->fb)
		gpu_uncharge(gi, (uint64_t)gi->so_w * gi->so_h * 4);
	free(gi->fb);
	gi->fb = NULL;
	gi->so_res = 0;
	gi->so_x = gi->so_y = gi->so_w = gi->so_h = 0;
}

static void gpu_res_free(struct gpu_inst *gi, struct gpu_res *r)
{
	if (gi->so_res == r->id)
		gpu_scanout_off(gi);
	if (gi->cur_res == r->id)
		gi->cur_res = 0;
	gpu_detach(gi, r);
	gpu_uncharge(gi, r->size + sizeof(*r));
	list_del_init(&r->link);
	gi->nres--;
	free(r->pixels);
	free(r);
}

/* Is the rectangle (@x, @y, @w, @h) inside @r?  64-bit: nothing wraps. */
static bool gpu_rect_in(const struct gpu_res *r, uint32_t x, uint32_t y,
			uint32_t w, uint32_t h)
{
	return (uint64_t)x + w <= r->width && (uint64_t)y + h <= r->height;
}

/* ---- the display ---- */

/*
 * Copy the part of the resource rectangle (@x, @y, @w, @h) that the
 * scanout shows into its XRGB8888 pixels.  @r is the scanout's resource.
 */
static void gpu_show(struct gpu_inst *gi, const struct gpu_res *r, uint32_t x,
		     uint32_t y, uint32_t w, uint32_t h)
{
	uint64_t x0, y0, x1, y1, row, col;
	unsigned int ri, gn, bi;

	/* the intersection with the scanout's rectangle */
	x0 = x > gi->so_x ? x : gi->so_x;
	y0 = y > gi->so_y ? y : gi->so_y;
	x1 = MIN((uint64_t)x + w, (uint64_t)gi->so_x + gi->so_w);
	y1 = MIN((uint64_t)y + h, (uint64_t)gi->so_y + gi->so_h);
	if (x0 >= x1 || y0 >= y1 || !gpu_format(r->format, &ri, &gn, &bi))
		return;
	for (row = y0; row < y1; row++) {
		const uint8_t *src = r->pixels + row * r->width * GPU_BPP;
		uint32_t *dst = gi->fb + (row - gi->so_y) * gi->so_w;

		for (col = x0; col < x1; col++) {
			const uint8_t *p = src + col * GPU_BPP;

			dst[col - gi->so_x] = (uint32_t)p[ri] << 16 |
					      (uint32_t)p[gn] << 8 | p[bi];
		}
	}
	gi->updates++;
}

/* ---- PNG ---- */

struct gpu_png_ctx {
	const struct gpu_inst *gi;
};

static void gpu_png_row(void *ctx, uint32_t y, uint8_t *row)
{
	const struct gpu_inst *gi = ((struct gpu_png_ctx *)ctx)->gi;
	const uint32_t *src = gi->fb + (uint64_t)y * gi->so_w;
	uint32_t x;

	for (x = 0; x < gi->so_w; x++) {
		row[3 * x] = src[x] >> 16;
		row[3 * x + 1] = src[x] >> 8;
		row[3 * x + 2] = src[x];
	}
}

/**
 * gpu_snapshot_png() - write what @di's scanout shows as a PNG file (RGB)
 * @di: an instance of a gpu device
 * @path: the file, replaced atomically (written as @path.tmp, renamed)
 *
 * Return: 0, -ENODATA when the scanout is disabled, -EINVAL when @di is
 * not a gpu, or png_save()'s error.
 */
int gpu_snapshot_png(struct devinst *di, const char *path)
{
	struct gpu_png_ctx ctx;

	if (di->dev->ops != &gpu_ops || !di->priv)
		return -EINVAL;
	ctx.gi = gpu_inst(di);
	if (!ctx.gi->fb)
		return -ENODATA;
	return png_save(path, ctx.gi->so_w, ctx.gi->so_h, PNG_RGB, gpu_png_row,
			&ctx);
}

/* png=DIR: write DIR/gpu-DOMID.png now. */
static void gpu_png_write(struct gpu_inst *gi)
{
	const struct gpu *gpu = gi->di->dev->priv;
	char path[4096];
	int r;

	gi->png_due = false;
	gi->png_last_ms = vb_now_ms();
	snprintf(path, sizeof(path), "%s/gpu-%u.png", gpu->png_dir,
		 gi->di->g->domid);
	r = gpu_snapshot_png(gi->di, path);
	if (r && r != -ENODATA)
		gpu_err(gi, "%s: %s", path, strerror(-r));
}

/*
 * The display changed: with png=, write it now if the last write is
 * GPU_PNG_INTERVAL_MS old, else when gpu_tick() finds it due.  The last
 * change is therefore always written, at most that much later.
 */
static void gpu_png_changed(struct gpu_inst *gi)
{
	const struct gpu *gpu = gi->di->dev->priv;

	if (!gpu->png_dir)
		return;
	if (vb_now_ms() - gi->png_last_ms >= GPU_PNG_INTERVAL_MS)
		gpu_png_write(gi);
	else
		gi->png_due = true;
}

/* Calls @fn for every instance of every gpu device of @be. */
static void gpu_each(struct backend *be, void (*fn)(struct gpu_inst *, void *),
		     void *arg)
{
	unsigned int i;

	for (i = 1; i <= be->ndev; i++) {
		struct device *d = be->devs[i];
		struct list_node *n, *t;

		if (!d || d->ops != &gpu_ops)
			continue;
		list_for_each_safe(n, t, &d->insts) {
			struct devinst *di = list_entry(n, struct devinst,
							dev_link);

			if (di->priv)
				fn(gpu_inst(di), arg);
		}
	}
}

static void gpu_timeout_one(struct gpu_inst *gi, void *arg)
{
	int *best = arg;
	uint64_t now = vb_now_ms(), due = gi->png_last_ms + GPU_PNG_INTERVAL_MS;
	int ms;

	if (!gi->png_due)
		return;
	ms = due > now ? (int)(due - now) : 0;
	if (*best < 0 || ms < *best)
		*best = ms;
}

/**
 * gpu_timeout_ms() - how long the loop may sleep before gpu_tick() has work
 * @be: the backend
 *
 * Return: milliseconds, or -1 when no PNG is due.
 */
int gpu_timeout_ms(struct backend *be)
{
	int best = -1;

	gpu_each(be, gpu_timeout_one, &best);
	return best;
}

static void gpu_tick_one(struct gpu_inst *gi, void *arg)
{
	(void)arg;
	if (gi->png_due &&
	    vb_now_ms() - gi->png_last_ms >= GPU_PNG_INTERVAL_MS)
		gpu_png_write(gi);
}

/* gpu_tick() - from the loop: write the PNGs that are due. */
void gpu_tick(struct backend *be)
{
	gpu_each(be, gpu_tick_one, NULL);
}

/* ---- controlq commands ---- */

/* The command's structure fits in the chain, or the chain is answered. */
static bool gpu_len_ok(struct gpu_inst *gi, struct chain *c, uint32_t need,
		       const char *what)
{
	if (c->out_len >= need)
		return true;
	gpu_err(gi, "%s of %u bytes (needs %u)", what, c->out_len, need);
	gpu_respond(c, VIRTIO_GPU_RESP_ERR_UNSPEC);
	return false;
}

static void gpu_get_display_info(struct gpu_inst *gi, struct chain *c)
{
	const struct gpu *gpu = gi->di->dev->priv;
	uint8_t resp[sizeof(struct virtio_gpu_resp_display_info)];
	uint8_t *m = resp + offsetof(struct virtio_gpu_resp_display_info,
				     pmodes);

	memset(resp, 0, sizeof(resp));
	gpu_resp_hdr(c, resp, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	/* pmodes[0]: the one scanout, enabled, at (0, 0) */
	put_le32(m + offsetof(struct virtio_gpu_display_one, r.width),
		 gpu->width);
	put_le32(m + offsetof(struct virtio_gpu_display_one, r.height),
		 gpu->height);
	put_le32(m + offsetof(struct virtio_gpu_display_one, enabled), 1);
	chain_complete(c, resp, sizeof(resp));
}

#define CREATE(f)	offsetof(struct virtio_gpu_resource_create_2d, f)

static uint32_t gpu_create_2d(struct gpu_inst *gi, struct chain *c)
{
	uint32_t id, format, w, h;
	unsigned int ri, gn, bi;
	struct gpu_res *r;
	uint64_t size;

	id = get_le32(c->out + CREATE(resource_id));
	format = get_le32(c->out + CREATE(format));
	w = get_le32(c->out + CREATE(width));
	h = get_le32(c->out + CREATE(height));
	if (!id || gpu_res_find(gi, id)) {
		gpu_err(gi, "create: resource id %u %s", id,
			id ? "in use" : "invalid");
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	}
	if (!gpu_format(format, &ri, &gn, &bi) || !w || !h ||
	    w > GPU_DIM_MAX || h > GPU_DIM_MAX) {
		gpu_err(gi, "create: resource %u: format %u, %ux%u refused",
			id, format, w, h);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	size = (uint64_t)w * h * GPU_BPP;
	if (gi->nres >= GPU_RES_MAX || !gpu_charge(gi, size + sizeof(*r))) {
		gpu_err(gi, "create: resource %u (%ux%u): over the limit of %u resources or %llu MiB",
			id, w, h, GPU_RES_MAX, GPU_MEM_MAX >> 20);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	r = calloc(1, sizeof(*r));
	if (r)
		r->pixels = calloc(1, size);
	if (!r || !r->pixels) {
		free(r);
		gpu_uncharge(gi, size + sizeof(*r));
		gpu_err(gi, "create: resource %u: out of memory", id);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	r->id = id;
	r->format = format;
	r->width = w;
	r->height = h;
	r->size = size;
	list_add_tail(&r->link, &gi->res);
	gi->nres++;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* The resource a command names, or NULL with a line. */
static struct gpu_res *gpu_res_arg(struct gpu_inst *gi, uint32_t id,
				   const char *what)
{
	struct gpu_res *r = gpu_res_find(gi, id);

	if (!r)
		gpu_err(gi, "%s: no resource %u", what, id);
	return r;
}

static uint32_t gpu_unref(struct gpu_inst *gi, struct chain *c)
{
	struct gpu_res *r = gpu_res_arg(gi, get_le32(c->out +
		offsetof(struct virtio_gpu_resource_unref, resource_id)),
		"unref");

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	gpu_res_free(gi, r);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

#define RECT(base, f)	((base) + offsetof(struct virtio_gpu_rect, f))

static void gpu_get_rect(const uint8_t *p, uint32_t *x, uint32_t *y,
			 uint32_t *w, uint32_t *h)
{
	*x = get_le32(RECT(p, x));
	*y = get_le32(RECT(p, y));
	*w = get_le32(RECT(p, width));
	*h = get_le32(RECT(p, height));
}

#define SCANOUT(f)	offsetof(struct virtio_gpu_set_scanout, f)

static uint32_t gpu_set_scanout(struct gpu_inst *gi, struct chain *c)
{
	uint32_t sid, id, x, y, w, h;
	struct gpu_res *r;
	uint64_t bytes, old;
	uint32_t *fb;

	sid = get_le32(c->out + SCANOUT(scanout_id));
	id = get_le32(c->out + SCANOUT(resource_id));
	gpu_get_rect(c->out + SCANOUT(r), &x, &y, &w, &h);
	if (sid >= GPU_SCANOUTS) {
		gpu_err(gi, "set_scanout: no scanout %u", sid);
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	}
	if (!id) {
		/* the driver turns the display off */
		gpu_scanout_off(gi);
		return VIRTIO_GPU_RESP_OK_NODATA;
	}
	r = gpu_res_arg(gi, id, "set_scanout");
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!w || !h || !gpu_rect_in(r, x, y, w, h)) {
		gpu_err(gi, "set_scanout: %ux%u+%u+%u outside resource %u (%ux%u)",
			w, h, x, y, id, r->width, r->height);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	/* the new display first: on failure the old one stays */
	old = gi->fb ? (uint64_t)gi->so_w * gi->so_h * 4 : 0;
	bytes = (uint64_t)w * h * 4;
	if (bytes > GPU_MEM_MAX - (gi->mem - old)) {
		gpu_err(gi, "set_scanout: %ux%u over the %llu MiB limit", w, h,
			GPU_MEM_MAX >> 20);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	fb = calloc(1, bytes);
	if (!fb) {
		gpu_err(gi, "set_scanout: out of memory");
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	gi->mem = gi->mem - old + bytes;
	free(gi->fb);
	gi->fb = fb;
	gi->so_res = id;
	gi->so_x = x;
	gi->so_y = y;
	gi->so_w = w;
	gi->so_h = h;
	/* it shows the resource as it is now, as a monitor would */
	gpu_show(gi, r, x, y, w, h);
	gpu_png_changed(gi);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

#define FLUSH(f)	offsetof(struct virtio_gpu_resource_flush, f)

static uint32_t gpu_flush(struct gpu_inst *gi, struct chain *c)
{
	uint32_t x, y, w, h;
	struct gpu_res *r;

	r = gpu_res_arg(gi, get_le32(c->out + FLUSH(resource_id)), "flush");
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	gpu_get_rect(c->out + FLUSH(r), &x, &y, &w, &h);
	if (!gpu_rect_in(r, x, y, w, h)) {
		gpu_err(gi, "flush: %ux%u+%u+%u outside resource %u (%ux%u)",
			w, h, x, y, r->id, r->width, r->height);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (gi->so_res == r->id && w && h) {
		gpu_show(gi, r, x, y, w, h);
		gpu_png_changed(gi);
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

#define ATTACH(f)	offsetof(struct virtio_gpu_resource_attach_backing, f)
#define ENTRY(f)	offsetof(struct virtio_gpu_mem_entry, f)

static uint32_t gpu_attach(struct gpu_inst *gi, struct chain *c)
{
	const uint32_t hlen = sizeof(struct virtio_gpu_resource_attach_backing);
	const uint32_t esize = sizeof(struct virtio_gpu_mem_entry);
	uint32_t id, n, i;
	struct gpu_entry *ents;
	struct gpu_res *r;
	uint64_t total = 0;

	id = get_le32(c->out + ATTACH(resource_id));
	n = get_le32(c->out + ATTACH(nr_entries));
	r = gpu_res_arg(gi, id, "attach_backing");
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (r->ents) {
		gpu_err(gi, "attach_backing: resource %u has backing", id);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	/* the entries follow the command in the chain: all of them */
	if (!n || n > GPU_ENTRIES_MAX || n > (c->out_len - hlen) / esize) {
		gpu_err(gi, "attach_backing: resource %u: %u entries (chain holds %u, limit %u)",
			id, n, (c->out_len - hlen) / esize, GPU_ENTRIES_MAX);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (!gpu_charge(gi, (uint64_t)n * sizeof(*ents))) {
		gpu_err(gi, "attach_backing: over the %llu MiB limit",
			GPU_MEM_MAX >> 20);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	ents = malloc((size_t)n * sizeof(*ents));
	if (!ents) {
		gpu_uncharge(gi, (uint64_t)n * sizeof(*ents));
		gpu_err(gi, "attach_backing: out of memory");
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *e = c->out + hlen + (size_t)i * esize;

		ents[i].addr = get_le64(e + ENTRY(addr));
		ents[i].len = get_le32(e + ENTRY(length));
		ents[i].start = total;
		if (!ents[i].len || ents[i].addr + ents[i].len - 1 <
		    ents[i].addr) {
			gpu_err(gi, "attach_backing: resource %u: entry %u (%#llx, %u bytes) invalid",
				id, i, (unsigned long long)ents[i].addr,
				ents[i].len);
			goto bad;
		}
		total += ents[i].len;
	}
	if (total < r->size) {
		gpu_err(gi, "attach_backing: resource %u: %llu bytes of backing for %llu",
			id, (unsigned long long)total,
			(unsigned long long)r->size);
		goto bad;
	}
	r->ents = ents;
	r->nents = n;
	r->backing_len = total;
	return VIRTIO_GPU_RESP_OK_NODATA;
bad:
	free(ents);
	gpu_uncharge(gi, (uint64_t)n * sizeof(*ents));
	return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
}

static uint32_t gpu_detach_cmd(struct gpu_inst *gi, struct chain *c)
{
	struct gpu_res *r = gpu_res_arg(gi, get_le32(c->out +
		offsetof(struct virtio_gpu_resource_detach_backing,
			 resource_id)), "detach_backing");

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!r->ents) {
		gpu_err(gi, "detach_backing: resource %u has none", r->id);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	gpu_detach(gi, r);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* ---- TRANSFER_TO_HOST_2D ---- */

/* The entry holding backing offset @off (< backing_len): binary search. */
static uint32_t gpu_entry_at(const struct gpu_res *r, uint64_t off)
{
	uint32_t lo = 0, hi = r->nents - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (r->ents[mid].start <= off)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Add @len bytes at guest address @addr, landing at @dst, to the runs:
 * onto the last run when they continue it both in the guest's DMA space
 * and in the resource (one read then fetches both), else as a new run.
 */
static int gpu_run_add(struct gpu_xfer *x, uint32_t *cap, uint64_t addr,
		       uint64_t dst, uint32_t len)
{
	struct gpu_run *last = x->nruns ? &x->runs[x->nruns - 1] : NULL;

	if (last && last->addr + last->len == addr &&
	    last->dst + last->len == dst && len <= WIN_IO_MAX - last->len) {
		last->len += len;
		return 0;
	}
	if (x->nruns == *cap) {
		uint32_t ncap = *cap ? *cap * 2 : 64;
		struct gpu_run *n = realloc(x->runs, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		x->runs = n;
		*cap = ncap;
	}
	x->runs[x->nruns++] = (struct gpu_run){ .x = x, .addr = addr,
						 .dst = dst, .len = len };
	return 0;
}

/*
 * The reads of a transfer: row @i of the rectangle is w * 4 bytes at
 * backing offset @offset + @i * stride (the virtio definition), and lands
 * at row y + @i, column x of the resource.  Each row is cut where the
 * backing entries end.  The caller checked that it all fits.
 */
static int gpu_runs(struct gpu_xfer *x, uint64_t offset, uint32_t rx,
		    uint32_t ry, uint32_t w, uint32_t h)
{
	const struct gpu_res *r = x->res;
	uint64_t stride = (uint64_t)r->width * GPU_BPP;
	uint32_t cap = 0, row;

	for (row = 0; row < h; row++) {
		uint64_t src = offset + row * stride;
		uint64_t dst = (ry + row) * stride + (uint64_t)rx * GPU_BPP;
		uint64_t left = (uint64_t)w * GPU_BPP;
		uint32_t e = gpu_entry_at(r, src);

		while (left) {
			const struct gpu_entry *ent = &r->ents[e];
			uint64_t in = src - ent->start;
			uint32_t n = (uint32_t)MIN(left, ent->len - in);

			if (gpu_run_add(x, &cap, ent->addr + in, dst, n))
				return -ENOMEM;
			src += n;
			dst += n;
			left -= n;
			e++;
		}
	}
	return 0;
}

static void gpu_xfer_free(struct gpu_xfer *x)
{
	free(x->runs);
	free(x);
}

static void gpu_run_ctrl(struct gpu_inst *gi);

/* Every read of @x answered: complete its chain, go on with the queue. */
static void gpu_xfer_end(struct gpu_xfer *x)
{
	struct gpu_inst *gi = x->gi;

	gi->xfer = NULL;
	if (x->err == -ENODEV) {
		/*
		 * The instance is being reset or freed: its chains are gone
		 * or about to go, and must not be completed now.
		 */
		gpu_xfer_free(x);
		return;
	}
	if (!list_empty(&gi->active)) {
		struct chain *c = list_first_entry(&gi->active, struct chain,
						   link);

		if (x->err)
			gpu_err(gi, "transfer to resource %u: guest read failed: %s",
				x->res->id, strerror(-x->err));
		gpu_respond(c, x->err ? VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER :
			    VIRTIO_GPU_RESP_OK_NODATA);
	}
	/* else its queue was reset meanwhile: nothing to answer */
	gpu_xfer_free(x);
	gpu_run_ctrl(gi);
}

static void gpu_read_done(struct devinst *di, void *ctx, int err,
			  const uint8_t *data, uint32_t len)
{
	struct gpu_run *run = ctx;
	struct gpu_xfer *x = run->x;

	(void)di;
	x->pending--;
	if (!x->gi) {
		/* orphaned by a reset: do not look at the instance */
		if (!x->pending)
			gpu_xfer_free(x);
		return;
	}
	if (!err && (!data || len != run->len))
		err = -EIO;
	if (err) {
		if (!x->err || err == -ENODEV)
			x->err = err;
	} else {
		memcpy(x->res->pixels + run->dst, data, run->len);
	}
	if (!x->pending && !x->issuing)
		gpu_xfer_end(x);
}

#define XFER(f)	offsetof(struct virtio_gpu_transfer_to_host_2d, f)

/* Returns 0 when the chain waits for the reads, else the answer. */
static uint32_t gpu_transfer(struct gpu_inst *gi, struct chain *c)
{
	uint32_t x0, y0, w, h, i;
	uint64_t offset, stride, end;
	struct gpu_xfer *x;
	struct gpu_res *r;

	r = gpu_res_arg(gi, get_le32(c->out + XFER(resource_id)), "transfer");
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	gpu_get_rect(c->out + XFER(r), &x0, &y0, &w, &h);
	offset = get_le64(c->out + XFER(offset));
	if (!gpu_rect_in(r, x0, y0, w, h)) {
		gpu_err(gi, "transfer: %ux%u+%u+%u outside resource %u (%ux%u)",
			w, h, x0, y0, r->id, r->width, r->height);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (!r->ents) {
		gpu_err(gi, "transfer: resource %u has no backing", r->id);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	if (!w || !h)
		return VIRTIO_GPU_RESP_OK_NODATA;
	/* the last byte read: h, w <= 16384, so only @offset can be large */
	stride = (uint64_t)r->width * GPU_BPP;
	end = (h - 1) * stride + (uint64_t)w * GPU_BPP;
	if (offset > r->backing_len || end > r->backing_len - offset) {
		gpu_err(gi, "transfer: %ux%u at offset %llu past the %llu bytes of resource %u's backing",
			w, h, (unsigned long long)offset,
			(unsigned long long)r->backing_len, r->id);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (!win_available(gi->di)) {
		if (!gi->told_nowin) {
			gi->told_nowin = true;
			vb_log("guest %u: device %u: gpu: its transport has no memory windows: the display stays black (update virtio-argo.ko)",
			       gi->di->g->domid, gi->di->dev->dev_num);
		}
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	x = calloc(1, sizeof(*x));
	if (x) {
		x->res = r;
		if (gpu_runs(x, offset, x0, y0, w, h)) {
			gpu_xfer_free(x);
			x = NULL;
		}
	}
	if (!x) {
		gpu_err(gi, "transfer: out of memory");
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	x->gi = gi;
	x->issuing = true;
	gi->xfer = x;
	for (i = 0; i < x->nruns; i++) {
		struct gpu_run *run = &x->runs[i];
		int e;

		x->pending++;
		e = win_read(gi->di, run->addr, run->len, gpu_read_done,
				 run);
		if (e) {
			/* none after it: those issued still answer */
			x->pending--;
			x->err = e;
			break;
		}
	}
	x->issuing = false;
	if (!x->pending) {
		/* nothing in flight: answer now, as gpu_xfer_end() would */
		uint32_t ret = x->err ? VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER :
					VIRTIO_GPU_RESP_OK_NODATA;

		if (x->err)
			gpu_err(gi, "transfer to resource %u: guest read failed: %s",
				r->id, strerror(-x->err));
		gi->xfer = NULL;
		gpu_xfer_free(x);
		return ret;
	}
	return 0;
}

/* Carry out the controlq command @c, now on gi->active. */
static void gpu_ctrl_cmd(struct gpu_inst *gi, struct chain *c)
{
	const uint32_t hlen = sizeof(struct virtio_gpu_ctrl_hdr);
	uint32_t type, ret;

	if (c->out_len < hlen) {
		gpu_err(gi, "controlq command of %u bytes", c->out_len);
		gpu_respond(c, VIRTIO_GPU_RESP_ERR_UNSPEC);
		return;
	}
	type = get_le32(c->out + HDR(type));
	vb_debug("guest %u: gpu %u: command %#x out %u in %u", gi->di->g->domid,
		 gi->di->dev->dev_num, type, c->out_len, c->in_len);
	switch (type) {
	case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
		gpu_get_display_info(gi, c);
		return;
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
		if (!gpu_len_ok(gi, c, sizeof(struct virtio_gpu_resource_create_2d),
				"create_2d"))
			return;
		ret = gpu_create_2d(gi, c);
		break;
	case VIRTIO_GPU_CMD_RESOURCE_UNREF:
		if (!gpu_len_ok(gi, c, sizeof(struct virtio_gpu_resource_unref),
				"unref"))
			return;
		ret = gpu_unref(gi, c);
		break;
	case VIRTIO_GPU_CMD_SET_SCANOUT:
		if (!gpu_len_ok(gi, c, sizeof(struct virtio_gpu_set_scanout),
				"set_scanout"))
			return;
		ret = gpu_set_scanout(gi, c);
		break;
	case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
		if (!gpu_len_ok(gi, c, sizeof(struct virtio_gpu_resource_flush),
				"flush"))
			return;
		ret = gpu_flush(gi, c);
		break;
	case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
		if (!gpu_len_ok(gi, c,
				sizeof(struct virtio_gpu_transfer_to_host_2d),
				"transfer"))
			return;
		ret = gpu_transfer(gi, c);
		if (!ret)
			return;		/* gpu_xfer_end() answers */
		break;
	case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
		if (!gpu_len_ok(gi, c,
				sizeof(struct virtio_gpu_resource_attach_backing),
				"attach_backing"))
			return;
		ret = gpu_attach(gi, c);
		break;
	case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
		if (!gpu_len_ok(gi, c,
				sizeof(struct virtio_gpu_resource_detach_backing),
				"detach_backing"))
			return;
		ret = gpu_detach_cmd(gi, c);
		break;
	default:
		gpu_err(gi, "controlq command %#x not supported", type);
		ret = VIRTIO_GPU_RESP_ERR_UNSPEC;
		break;
	}
	gpu_respond(c, ret);
}

/* Run the controlq's waiting chains, one at a time, while none waits. */
static void gpu_run_ctrl(struct gpu_inst *gi)
{
	while (!gi->xfer && list_empty(&gi->active) && !list_empty(&gi->fifo)) {
		struct chain *c = list_first_entry(&gi->fifo, struct chain,
						   link);

		list_del_init(&c->link);
		/* a chain dropped by a reset leaves this list by itself */
		list_add_tail(&c->link, &gi->active);
		gpu_ctrl_cmd(gi, c);
	}
}

/* ---- cursorq ---- */

#define CURSOR(f)	offsetof(struct virtio_gpu_update_cursor, f)
#define POS(f)		(CURSOR(pos) + offsetof(struct virtio_gpu_cursor_pos, f))

/*
 * UPDATE_CURSOR and MOVE_CURSOR: the state is kept (nothing draws it).
 * The Linux driver gives cursor commands no room for an answer; one is
 * sent anyway, cut to the chain's in_len like every answer.
 */
static void gpu_cursor_cmd(struct gpu_inst *gi, struct chain *c)
{
	uint32_t type, ret = VIRTIO_GPU_RESP_OK_NODATA, sid, id;

	if (c->out_len < sizeof(struct virtio_gpu_update_cursor)) {
		gpu_err(gi, "cursorq command of %u bytes", c->out_len);
		gpu_respond(c, VIRTIO_GPU_RESP_ERR_UNSPEC);
		return;
	}
	type = get_le32(c->out + HDR(type));
	sid = get_le32(c->out + POS(scanout_id));
	id = get_le32(c->out + CURSOR(resource_id));
	if (type != VIRTIO_GPU_CMD_UPDATE_CURSOR &&
	    type != VIRTIO_GPU_CMD_MOVE_CURSOR) {
		gpu_err(gi, "cursorq command %#x not supported", type);
		ret = VIRTIO_GPU_RESP_ERR_UNSPEC;
	} else if (sid >= GPU_SCANOUTS) {
		gpu_err(gi, "cursor on scanout %u", sid);
		ret = VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	} else if (type == VIRTIO_GPU_CMD_UPDATE_CURSOR && id &&
		   !gpu_res_arg(gi, id, "update_cursor")) {
		ret = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	} else {
		if (type == VIRTIO_GPU_CMD_UPDATE_CURSOR) {
			gi->cur_res = id;	/* 0 hides it */
			gi->cur_hot_x = get_le32(c->out + CURSOR(hot_x));
			gi->cur_hot_y = get_le32(c->out + CURSOR(hot_y));
		}
		gi->cur_x = get_le32(c->out + POS(x));
		gi->cur_y = get_le32(c->out + POS(y));
	}
	gpu_respond(c, ret);
}

/* ---- the device model ---- */

static void gpu_chain(struct devinst *di, struct chain *c)
{
	struct gpu_inst *gi = gpu_inst(di);

	if (c->vq == GPU_CURSORQ) {
		gpu_cursor_cmd(gi, c);
		return;
	}
	list_add_tail(&c->link, &gi->fifo);
	gpu_run_ctrl(gi);
}

#define CFG(f)	offsetof(struct virtio_gpu_config, f)

/* No display events (one fixed mode), no capsets: 2D only. */
static void gpu_config(const struct device *d, uint8_t *cfg)
{
	(void)d;
	put_le32(cfg + CFG(events_read), 0);
	put_le32(cfg + CFG(events_clear), 0);
	put_le32(cfg + CFG(num_scanouts), GPU_SCANOUTS);
	put_le32(cfg + CFG(num_capsets), 0);
}

static int gpu_inst_init(struct devinst *di)
{
	struct gpu_inst *gi = calloc(1, sizeof(*gi));

	if (!gi)
		return -1;
	gi->di = di;
	list_init(&gi->res);
	list_init(&gi->fifo);
	list_init(&gi->active);
	di->priv = gi;
	return 0;
}

/* Forget everything the driver made; the chains are already gone. */
static void gpu_inst_clear(struct gpu_inst *gi)
{
	if (gi->png_due)
		gpu_png_write(gi);	/* the last frame before it goes */
	if (gi->xfer) {
		/* window.h says this cannot happen; never free under a read */
		gpu_err(gi, "reset with guest reads outstanding");
		gi->xfer->gi = NULL;
		gi->xfer = NULL;
	}
	gpu_scanout_off(gi);
	while (!list_empty(&gi->res))
		gpu_res_free(gi, list_first_entry(&gi->res, struct gpu_res,
						  link));
	gi->cur_res = gi->cur_x = gi->cur_y = 0;
	gi->cur_hot_x = gi->cur_hot_y = 0;
	gi->updates = 0;
	/* empty already (chain_free() unlinks); made sure of */
	list_init(&gi->fifo);
	list_init(&gi->active);
}

static void gpu_inst_reset(struct devinst *di)
{
	gpu_inst_clear(gpu_inst(di));
}

static void gpu_inst_free(struct devinst *di)
{
	struct gpu_inst *gi = gpu_inst(di);

	gpu_inst_clear(gi);
	free(gi);
	di->priv = NULL;
}

static void gpu_describe(const struct device *d, char *buf, size_t len)
{
	const struct gpu *gpu = d->priv;

	snprintf(buf, len, "2D, display %ux%u%s%s", gpu->width, gpu->height,
		 gpu->png_dir ? ", PNG to " : "",
		 gpu->png_dir ? gpu->png_dir : "");
}

static void gpu_destroy(struct device *d)
{
	struct gpu *gpu = d->priv;

	if (gpu) {
		rfb_close(gpu->rfb);
		free(gpu->png_dir);
		free(gpu->vnc);
	}
	free(gpu);
}

/* vnc=: listen once the options are all known (one guest, its input). */
static int gpu_start(struct device *d, char *err, size_t errlen)
{
	struct gpu *gpu = d->priv;
	char who[VB_DOM_NAME_MAX];

	if (!gpu->vnc)
		return 0;
	if (d->nnames)
		snprintf(who, sizeof(who), "%s", d->gnames[0]);
	else
		snprintf(who, sizeof(who), "%u", d->guests[0]);
	gpu->rfb = rfb_listen(gpu->vnc, d, gpu->input, who, gpu->width,
			      gpu->height, err, errlen);
	return gpu->rfb ? 0 : -1;
}

/**
 * gpu_input_wanted() - the keyboard and pointer device a gpu's viewers need
 * @d: a device from gpu_parse()
 *
 * Return: with vnc=, a new virtio-input device for the same guest, which
 * the caller adds after @d; NULL without vnc= (or without memory, which
 * @d's start then reports as a view-only display).
 */
struct device *gpu_input_wanted(struct device *d)
{
	struct gpu *gpu = d->priv;
	struct device *in;

	if (d->ops != &gpu_ops || !gpu->vnc)
		return NULL;
	in = input_new(gpu->width, gpu->height);
	if (!in)
		return NULL;
	/* the same one guest, by domid or by name */
	memcpy(in->guests, d->guests, sizeof(d->guests));
	in->nguests = d->nguests;
	memcpy(in->gnames, d->gnames, sizeof(d->gnames));
	in->nnames = d->nnames;
	gpu->input = in;
	return in;
}

/* gpu_rfb_tick() - send new frames to the VNC viewers that asked */
void gpu_rfb_tick(struct backend *be)
{
	unsigned int i;

	for (i = 1; i <= be->ndev; i++) {
		struct device *d = be->devs[i];

		if (d && d->ops == &gpu_ops && ((struct gpu *)d->priv)->rfb)
			rfb_tick(((struct gpu *)d->priv)->rfb);
	}
}

const struct dev_ops gpu_ops = {
	.kind = "gpu",
	.device_id = VIRTIO_ID_GPU,
	.nqueues = 2,
	.config_size = sizeof(struct virtio_gpu_config),
	.config = gpu_config,
	.inst_init = gpu_inst_init,
	.inst_reset = gpu_inst_reset,
	.inst_free = gpu_inst_free,
	.chain = gpu_chain,
	.describe = gpu_describe,
	.destroy = gpu_destroy,
	.start = gpu_start,
	.windows = true,
};

/**
 * gpu_view() - what @di's display shows, for tests and tools
 * @di: an instance of a gpu device
 * @v: filled; @v->pixels stays valid until the next command of @di
 *
 * Return: false when @di is not a gpu.
 */
bool gpu_view(const struct devinst *di, struct gpu_view *v)
{
	const struct gpu_inst *gi;

	if (di->dev->ops != &gpu_ops || !di->priv)
		return false;
	gi = gpu_inst(di);
	memset(v, 0, sizeof(*v));
	v->resource = gi->so_res;
	v->width = gi->so_w;
	v->height = gi->so_h;
	v->pixels = gi->fb;
	v->updates = gi->updates;
	v->cursor_res = gi->cur_res;
	v->cursor_x = gi->cur_x;
	v->cursor_y = gi->cur_y;
	v->hot_x = gi->cur_hot_x;
	v->hot_y = gi->cur_hot_y;
	v->mem = gi->mem;
	v->nres = gi->nres;
	v->busy = gi->xfer != NULL;
	return true;
}

static int gpu_size(const char *s, uint32_t *w, uint32_t *h)
{
	unsigned long a, b;
	const char *end;

	if (vb_parse_num(s, 10, GPU_DIM_MAX, &a, &end) ||
	    (*end != 'x' && *end != 'X') ||
	    vb_parse_num(end + 1, 10, GPU_DIM_MAX, &b, NULL) ||
	    a < 16 || b < 16)
		return -1;
	*w = a;
	*h = b;
	return 0;
}

/* "--gpu[,png=DIR][,size=WxH][,guest=DOMID]": @arg is the options or NULL */
struct device *gpu_parse(const char *arg, char *err, size_t errlen)
{
	struct device *d = calloc(1, sizeof(*d));
	struct gpu *gpu = calloc(1, sizeof(*gpu));
	char *copy = arg ? strdup(arg) : NULL, *s = copy, *key, *val;

	if (!d || !gpu || (arg && !copy)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->ops = &gpu_ops;
	d->priv = gpu;
	list_init(&d->insts);
	gpu->width = GPU_DEFAULT_WIDTH;
	gpu->height = GPU_DEFAULT_HEIGHT;
	while ((key = opt_next(&s, &val))) {
		if (!strcmp(key, "png")) {
			if (!val || !*val || gpu->png_dir) {
				snprintf(err, errlen, "png= needs one directory");
				goto fail;
			}
			gpu->png_dir = strdup(val);
			if (!gpu->png_dir) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		} else if (!strcmp(key, "vnc")) {
			if (!val || !*val || gpu->vnc) {
				snprintf(err, errlen, "vnc= needs one PORT, ADDRESS:PORT or unix:PATH");
				goto fail;
			}
			gpu->vnc = strdup(val);
			if (!gpu->vnc) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		} else if (!strcmp(key, "size")) {
			if (!val || gpu_size(val, &gpu->width, &gpu->height)) {
				snprintf(err, errlen, "size= is WIDTHxHEIGHT, 16 to %u each",
					 GPU_DIM_MAX);
				goto fail;
			}
		} else if (device_option(d, key, val, err, errlen)) {
			goto fail;
		}
	}
	if (gpu->vnc && (d->nguests + d->nnames != 1 || d->any_guest)) {
		/* a port shows one display: whose must be said */
		snprintf(err, errlen, "vnc= needs exactly one guest= (a domid or a name)");
		goto fail;
	}
	free(copy);
	return d;
fail:
	free(copy);
	if (gpu) {
		free(gpu->png_dir);
		free(gpu->vnc);
	}
	free(gpu);
	free(d);
	return NULL;
}
