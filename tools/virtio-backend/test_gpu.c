// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of argo-virtio-backend's virtio-gpu (gpu.c) and PNG writer
 * (png.c): the real dispatch, chain and device code behind a fake
 * transport (what the backend sends is captured and checked with the
 * shared rules of virtio-argo/check.c), and a fake of the memory windows
 * of window.h in place of window.c: a guest memory made of mapped ranges
 * over one byte array, whose answers come only when the test "runs the
 * loop" (fake_loop()), exactly once each, -EFAULT for any range not
 * wholly inside one mapping.  Output is TAP; the exit status is non-zero
 * on any failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_gpu.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "backend.h"
#include "test_tap.h"
#include "png.h"
#include "window.h"

#define DOM		1	/* a guest with memory windows */
#define DOM_NOWIN	2	/* a guest without */
#define DOM_GONE	3	/* dropped with a transfer in flight */
#define PORT		0x1000

#define DEV_GPU		1	/* defaults */
#define DEV_GPU_PNG	2	/* size=800x600,png=DIR */

#define CTRLQ		0
#define CURSORQ		1
#define HDR_LEN		((uint32_t)sizeof(struct virtio_gpu_ctrl_hdr))

static struct backend be;

#include "test_driver.h"

static uint32_t resp_type(const struct used *u)
{
	return u && u->len >= HDR_LEN ? get_le32(u->data) : 0;
}

/* One controlq command answered at once: its response type (0: none). */
static uint32_t cmd_in(uint16_t dom, uint16_t dev, const void *req,
		       uint32_t len, uint32_t in_len)
{
	uint16_t id;

	forget_answers();
	id = submit(dom, dev, CTRLQ, req, len, in_len);
	return resp_type(answer(dom, dev, CTRLQ, id));
}

static uint32_t cmd(uint16_t dom, uint16_t dev, const void *req, uint32_t len)
{
	return cmd_in(dom, dev, req, len, HDR_LEN);
}

/* ---- the fake guest memory behind window.h ---- */

#define GMEM_SIZE	(1U << 20)

struct fake_map {
	uint64_t addr;		/* DMA address the driver would give */
	uint32_t len;
	uint32_t off;		/* where it lives in gmem */
};

struct fake_io {
	struct devinst *di;
	uint64_t addr;
	uint32_t len;
	win_done_fn done;
	void *ctx;
};

static uint8_t gmem[GMEM_SIZE];
static struct fake_map maps[16];
static unsigned int nmaps;
static struct fake_io *ios;
static size_t nios, iocap;
static bool win_on[8];			/* by domid */
static int fail_read_now;		/* the next win_read() returns it */
static unsigned int fail_read_after;	/* ...after this many more */
/* every accepted win_read() since fake_reset_log(), in order */
static struct { uint64_t addr; uint32_t len; } read_log[256];
static unsigned int nreads;
static unsigned int enodev_calls;	/* callbacks given -ENODEV */

static void fake_map(uint64_t addr, uint32_t len, uint32_t off)
{
	maps[nmaps++] = (struct fake_map){ .addr = addr, .len = len,
					   .off = off };
}

static void fake_reset_log(void)
{
	nreads = 0;
}

/*
 * window.c's other entry points, which device.c and guest.c call: the
 * test answers and cancels through its fake instead (fake_loop(),
 * fake_cancel()), so that it can also try the orders window.c never uses.
 */
void win_answer(struct guest *g, const struct va_rec *r)
{
	(void)g;
	(void)r;
}

void win_cancel(struct devinst *di)
{
	(void)di;
}

void win_guest_free(struct guest *g)
{
	(void)g;
}

bool win_available(const struct devinst *di)
{
	return di->g->domid < ARRAY_SIZE(win_on) && win_on[di->g->domid];
}

static int fake_queue(struct devinst *di, uint64_t addr, uint32_t len,
		      win_done_fn done, void *ctx)
{
	if (!win_available(di))
		return -EOPNOTSUPP;
	if (!len || len > WIN_IO_MAX)
		return -EINVAL;
	if (nios == iocap) {
		iocap = iocap ? iocap * 2 : 64;
		ios = realloc(ios, iocap * sizeof(*ios));
		if (!ios)
			abort();
	}
	ios[nios++] = (struct fake_io){ .di = di, .addr = addr, .len = len,
					.done = done, .ctx = ctx };
	return 0;
}

int win_read(struct devinst *di, uint64_t addr, uint32_t len,
	     win_done_fn done, void *ctx)
{
	int r;

	if (fail_read_now && !fail_read_after--) {
		r = fail_read_now;
		fail_read_now = 0;
		return r;
	}
	r = fake_queue(di, addr, len, done, ctx);
	if (!r && nreads < ARRAY_SIZE(read_log)) {
		read_log[nreads].addr = addr;
		read_log[nreads].len = len;
	}
	if (!r)
		nreads++;
	return r;
}

/* gpu.c never writes; here for the API's sake (nothing mapped for it). */
int win_write(struct devinst *di, uint64_t addr, const void *data,
	      uint32_t len, win_done_fn done, void *ctx)
{
	(void)data;
	return fake_queue(di, addr, len, done, ctx);
}

/* The bytes at [addr, addr + len) if wholly inside one mapping. */
static const uint8_t *fake_lookup(uint64_t addr, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < nmaps; i++)
		if (addr >= maps[i].addr &&
		    addr - maps[i].addr <= maps[i].len &&
		    len <= maps[i].len - (addr - maps[i].addr))
			return gmem + maps[i].off + (addr - maps[i].addr);
	return NULL;
}

/*
 * Run the loop: answer every access queued, in order, including those
 * the answers cause; then send what the backend queued.
 */
static unsigned int fake_loop(void)
{
	unsigned int n = 0;

	while (nios) {
		struct fake_io io = ios[0];
		const uint8_t *p = fake_lookup(io.addr, io.len);

		memmove(ios, ios + 1, (nios - 1) * sizeof(*ios));
		nios--;
		n++;
		io.done(io.di, io.ctx, p ? 0 : -EFAULT, p, io.len);
	}
	backend_flush(&be);
	return n;
}

/*
 * What window.c does before a reset or free of @di: every access of @di
 * still outstanding is answered -ENODEV.
 */
static void fake_cancel(const struct devinst *di)
{
	size_t i = 0;

	while (i < nios) {
		struct fake_io io = ios[i];

		if (io.di != di) {
			i++;
			continue;
		}
		memmove(ios + i, ios + i + 1, (nios - i - 1) * sizeof(*ios));
		nios--;
		enodev_calls++;
		io.done(io.di, io.ctx, -ENODEV, NULL, io.len);
	}
}

/* ---- requests ---- */

static void hdr_init(struct virtio_gpu_ctrl_hdr *h, uint32_t type)
{
	memset(h, 0, sizeof(*h));
	h->type = htole32(type);
}

static uint32_t create(uint16_t dom, uint32_t id, uint32_t format, uint32_t w,
		       uint32_t h)
{
	struct virtio_gpu_resource_create_2d c;

	hdr_init(&c.hdr, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	c.resource_id = htole32(id);
	c.format = htole32(format);
	c.width = htole32(w);
	c.height = htole32(h);
	return cmd(dom, DEV_GPU, &c, sizeof(c));
}

static uint32_t simple(uint16_t dom, uint32_t type, uint32_t id)
{
	struct virtio_gpu_resource_unref c;	/* unref and detach alike */

	hdr_init(&c.hdr, type);
	c.resource_id = htole32(id);
	c.padding = 0;
	return cmd(dom, DEV_GPU, &c, sizeof(c));
}

static uint32_t unref(uint16_t dom, uint32_t id)
{
	return simple(dom, VIRTIO_GPU_CMD_RESOURCE_UNREF, id);
}

struct ent {
	uint64_t addr;
	uint32_t len;
};

/* ATTACH_BACKING announcing @nr entries, of which @n are in the chain. */
static uint32_t attach_n(uint16_t dom, uint32_t id, const struct ent *e,
			 uint32_t nr, uint32_t n)
{
	const uint32_t hl = sizeof(struct virtio_gpu_resource_attach_backing);
	uint8_t *buf = calloc(1, hl + (size_t)n * 16);
	struct virtio_gpu_resource_attach_backing a;
	uint32_t i, r;

	if (!buf)
		abort();
	hdr_init(&a.hdr, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
	a.resource_id = htole32(id);
	a.nr_entries = htole32(nr);
	memcpy(buf, &a, hl);
	for (i = 0; i < n; i++) {
		put_le64(buf + hl + 16 * i, e ? e[i].addr : 0x100000 + i * 4096ULL);
		put_le32(buf + hl + 16 * i + 8, e ? e[i].len : 4096);
	}
	r = cmd(dom, DEV_GPU, buf, hl + n * 16);
	free(buf);
	return r;
}

static uint32_t attach(uint16_t dom, uint32_t id, const struct ent *e,
		       uint32_t n)
{
	return attach_n(dom, id, e, n, n);
}

static void rect_set(struct virtio_gpu_rect *r, uint32_t x, uint32_t y,
		     uint32_t w, uint32_t h)
{
	r->x = htole32(x);
	r->y = htole32(y);
	r->width = htole32(w);
	r->height = htole32(h);
}

/* TRANSFER_TO_HOST_2D offered; returns the chain id (answered or not). */
static uint16_t transfer_async(uint16_t dom, uint32_t id, uint32_t x,
			       uint32_t y, uint32_t w, uint32_t h,
			       uint64_t offset)
{
	struct virtio_gpu_transfer_to_host_2d t;

	hdr_init(&t.hdr, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
	rect_set(&t.r, x, y, w, h);
	t.offset = htole64(offset);
	t.resource_id = htole32(id);
	t.padding = 0;
	return submit(dom, DEV_GPU, CTRLQ, &t, sizeof(t), HDR_LEN);
}

/* A transfer, the loop run until its reads are answered: the answer. */
static uint32_t transfer(uint16_t dom, uint32_t id, uint32_t x, uint32_t y,
			 uint32_t w, uint32_t h, uint64_t offset)
{
	uint16_t c;

	forget_answers();
	c = transfer_async(dom, id, x, y, w, h, offset);
	fake_loop();
	return resp_type(answer(dom, DEV_GPU, CTRLQ, c));
}

static uint32_t set_scanout(uint16_t dom, uint32_t sid, uint32_t id,
			    uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct virtio_gpu_set_scanout s;

	hdr_init(&s.hdr, VIRTIO_GPU_CMD_SET_SCANOUT);
	rect_set(&s.r, x, y, w, h);
	s.scanout_id = htole32(sid);
	s.resource_id = htole32(id);
	return cmd(dom, DEV_GPU, &s, sizeof(s));
}

static void flush_req(struct virtio_gpu_resource_flush *f, uint32_t id,
		      uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	hdr_init(&f->hdr, VIRTIO_GPU_CMD_RESOURCE_FLUSH);
	rect_set(&f->r, x, y, w, h);
	f->resource_id = htole32(id);
	f->padding = 0;
}

static uint32_t flush_dev(uint16_t dom, uint16_t dev, uint32_t id, uint32_t x,
			  uint32_t y, uint32_t w, uint32_t h)
{
	struct virtio_gpu_resource_flush f;

	flush_req(&f, id, x, y, w, h);
	return cmd(dom, dev, &f, sizeof(f));
}

static uint32_t flush(uint16_t dom, uint32_t id, uint32_t x, uint32_t y,
		      uint32_t w, uint32_t h)
{
	return flush_dev(dom, DEV_GPU, id, x, y, w, h);
}

static uint16_t cursor(uint16_t dom, uint32_t type, uint32_t sid, uint32_t id,
		       uint32_t x, uint32_t y, uint32_t in_len)
{
	struct virtio_gpu_update_cursor c;

	memset(&c, 0, sizeof(c));
	hdr_init(&c.hdr, type);
	c.pos.scanout_id = htole32(sid);
	c.pos.x = htole32(x);
	c.pos.y = htole32(y);
	c.resource_id = htole32(id);
	c.hot_x = htole32(3);
	c.hot_y = htole32(4);
	forget_answers();
	return submit(dom, DEV_GPU, CURSORQ, &c, sizeof(c), in_len);
}

static bool view(uint16_t dom, uint16_t dev, struct gpu_view *v)
{
	struct devinst *di = inst(dom, dev);

	return di && gpu_view(di, v);
}

#define OK	VIRTIO_GPU_RESP_OK_NODATA
#define E_UNSPEC	VIRTIO_GPU_RESP_ERR_UNSPEC
#define E_MEM	VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY
#define E_SCANOUT	VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID
#define E_RES	VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID
#define E_PARAM	VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER

/* ---- the tests ---- */

static char png_dir[] = "/tmp/test_gpu.XXXXXX";

static void test_options(void)
{
	static const char *const bad_opts[] = {
		"size=10x10", "size=800", "size=800x", "size=x600",
		"size=16385x16", "png=", "png", "png=/a,png=/b", "colour=red",
		"guest=",
	};
	char err[256], desc[512] = "";
	struct device *d;
	unsigned int i, rejected = 0;

	d = gpu_parse(NULL, err, sizeof(err));
	if (d) {
		device_describe(d, desc, sizeof(desc));
		d->ops->destroy(d);
		free(d);
	}
	ok(d && !strcmp(desc, "device 0: gpu 2D, display 1024x768 (for every guest)"),
	   "options: --gpu alone: '%s'", d ? desc : err);
	d = gpu_parse("png=/tmp/x,size=800x600,guest=3", err, sizeof(err));
	if (d) {
		device_describe(d, desc, sizeof(desc));
		d->ops->destroy(d);
		free(d);
	}
	ok(d && !strcmp(desc, "device 0: gpu 2D, display 800x600, PNG to /tmp/x (for guest 3)"),
	   "options: png=, size=, guest=: '%s'", d ? desc : err);
	for (i = 0; i < ARRAY_SIZE(bad_opts); i++) {
		err[0] = '\0';
		d = gpu_parse(bad_opts[i], err, sizeof(err));
		if (!d && err[0])
			rejected++;
		else if (d)
			printf("# '%s' accepted\n", bad_opts[i]);
		if (d) {
			d->ops->destroy(d);
			free(d);
		}
	}
	ok(rejected == ARRAY_SIZE(bad_opts),
	   "options: %u bad option strings refused with a reason", rejected);
}

/* GET_DEVICE_INFO and GET_CONFIG, over the wire. */
static void test_discovery(void)
{
	uint8_t req[8];

	resp_id = 0;
	send_rec(DOM, 0, VA_GET_DEVICE_INFO, DEV_GPU, NULL, 0);
	ok(resp_id == VA_GET_DEVICE_INFO &&
	   resp_len == sizeof(struct va_device_info) &&
	   get_le32(resp + offsetof(struct va_device_info, device_id)) ==
	   VIRTIO_ID_GPU &&
	   get_le32(resp + offsetof(struct va_device_info, config_size)) ==
	   sizeof(struct virtio_gpu_config) &&
	   get_le32(resp + offsetof(struct va_device_info, max_virtqueues)) == 2,
	   "gpu: GET_DEVICE_INFO: device id 16, 16 bytes of config, 2 queues");
	resp_id = 0;
	put_le32(req, 0);
	put_le32(req + 4, sizeof(struct virtio_gpu_config));
	send_rec(DOM, 0, VA_GET_CONFIG, DEV_GPU, req, 8);
	ok(resp_id == VA_GET_CONFIG && resp_len == 12 + 16 &&
	   get_le32(resp + 12) == 0 && get_le32(resp + 16) == 0 &&
	   get_le32(resp + 20) == 1 && get_le32(resp + 24) == 0,
	   "gpu: GET_CONFIG: events_read 0, events_clear 0, num_scanouts 1, num_capsets 0");
}

/* The answers of test_discovery(), checked through the backend's state. */
static void test_discovery_state(void)
{
	struct devinst *di = inst(DOM, DEV_GPU);
	uint64_t f;

	if (!di) {
		ok(false, "gpu: an instance for the guest");
		return;
	}
	f = devinst_features(di);
	ok(f == ((1ULL << VIRTIO_F_VERSION_1) |
		 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
		 (1ULL << VIRTIO_RING_F_EVENT_IDX)),
	   "gpu: features %#llx: no VIRGL, EDID, UUID, BLOB or CONTEXT_INIT",
	   (unsigned long long)f);
}

static bool display_info_is(const struct used *u, uint32_t w, uint32_t h,
			    bool fenced)
{
	const size_t n = sizeof(struct virtio_gpu_resp_display_info);
	uint8_t want[sizeof(struct virtio_gpu_resp_display_info)];
	struct virtio_gpu_resp_display_info *d = (void *)want;

	memset(want, 0, sizeof(want));
	d->hdr.type = htole32(VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	if (fenced) {
		d->hdr.flags = htole32(VIRTIO_GPU_FLAG_FENCE);
		d->hdr.fence_id = htole64(0x1122334455667788ULL);
		d->hdr.ctx_id = htole32(7);
	}
	d->pmodes[0].r.width = htole32(w);
	d->pmodes[0].r.height = htole32(h);
	d->pmodes[0].enabled = htole32(1);
	return u && u->len == n && !memcmp(u->data, want, n);
}

static void test_display_info(void)
{
	struct virtio_gpu_ctrl_hdr h;
	uint16_t id;

	hdr_init(&h, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	forget_answers();
	id = submit(DOM, DEV_GPU, CTRLQ, &h, sizeof(h),
		    sizeof(struct virtio_gpu_resp_display_info));
	ok(display_info_is(answer(DOM, DEV_GPU, CTRLQ, id), 1024, 768, false),
	   "display info: 408 bytes, scanout 0 enabled at 0,0 1024x768, the rest zero");

	h.flags = htole32(VIRTIO_GPU_FLAG_FENCE);
	h.fence_id = htole64(0x1122334455667788ULL);
	h.ctx_id = htole32(7);
	forget_answers();
	id = submit(DOM, DEV_GPU_PNG, CTRLQ, &h, sizeof(h),
		    sizeof(struct virtio_gpu_resp_display_info));
	ok(display_info_is(answer(DOM, DEV_GPU_PNG, CTRLQ, id), 800, 600, true),
	   "display info: size=800x600; FLAG_FENCE, fence_id and ctx_id echoed");

	forget_answers();
	id = submit(DOM, DEV_GPU, CTRLQ, &h, sizeof(h), 16);
	ok(answer(DOM, DEV_GPU, CTRLQ, id) &&
	   answer(DOM, DEV_GPU, CTRLQ, id)->len == 16,
	   "display info: cut to the chain's 16 writable bytes");
}

/*
 * The guest's framebuffer: a 64x48 resource, stride 256, 12288 bytes in
 * three 4 KiB pages at DMA addresses 0x10000, 0x11000 (contiguous with
 * the first, in the same mapping) and 0x30000, living at gmem offsets 0,
 * 4096 and 8192.
 */
#define FB_W		64
#define FB_H		48
#define FB_STRIDE	(FB_W * 4)
static const struct ent fb_ents[] = {
	{ 0x10000, 4096 }, { 0x11000, 4096 }, { 0x30000, 4096 },
};

/* Where backing offset @off of the framebuffer lives in gmem. */
static uint8_t *fb_byte(uint32_t off)
{
	return gmem + off;
}

/* Pixel (x, y) in the guest's memory, B8G8R8X8: bytes B, G, R, X. */
static void guest_px(uint32_t x, uint32_t y, uint8_t r, uint8_t g, uint8_t b)
{
	uint8_t *p = fb_byte(y * FB_STRIDE + x * 4);

	p[0] = b;
	p[1] = g;
	p[2] = r;
	p[3] = 0xAA;
}

static uint32_t pattern(uint32_t x, uint32_t y, unsigned int seed)
{
	uint8_t r = x * 3 + seed, g = y * 5 + seed * 7, b = (x ^ y) + seed;

	return (uint32_t)r << 16 | (uint32_t)g << 8 | b;
}

static void guest_pattern(uint32_t x0, uint32_t y0, uint32_t w, uint32_t h,
			  unsigned int seed)
{
	uint32_t x, y;

	for (y = y0; y < y0 + h; y++)
		for (x = x0; x < x0 + w; x++) {
			uint32_t p = pattern(x, y, seed);

			guest_px(x, y, p >> 16, p >> 8, p);
		}
}

static uint32_t *expect;	/* what the display should show */

/* Does the display show exactly @expect (FB_W x FB_H)? */
static bool shows_expected(unsigned int *wrong)
{
	struct gpu_view v;
	uint32_t i;

	*wrong = 0;
	if (!view(DOM, DEV_GPU, &v) || v.width != FB_W || v.height != FB_H ||
	    !v.pixels)
		return false;
	for (i = 0; i < FB_W * FB_H; i++)
		*wrong += v.pixels[i] != expect[i];
	return !*wrong;
}

/* ok() that the display shows @expect, after @pre held. */
static void shown(bool pre, const char *what)
{
	unsigned int wrong = 0;
	bool good = pre && shows_expected(&wrong);

	ok(good, "pixels: %s (%u pixels wrong)", what, wrong);
}

static void test_pixels(void)
{
	struct gpu_view v;
	uint64_t updates;
	uint32_t x, y;
	bool seen;
	uint16_t c;

	fake_map(0x10000, 8192, 0);	/* one mapping for two pages */
	fake_map(0x30000, 4096, 8192);
	guest_pattern(0, 0, FB_W, FB_H, 1);
	expect = calloc(FB_W * FB_H, sizeof(*expect));
	if (!expect)
		abort();
	for (y = 0; y < FB_H; y++)
		for (x = 0; x < FB_W; x++)
			expect[y * FB_W + x] = pattern(x, y, 1);

	ok(create(DOM, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, FB_W, FB_H) == OK,
	   "pixels: RESOURCE_CREATE_2D 64x48 B8G8R8X8: OK_NODATA");
	ok(attach(DOM, 1, fb_ents, 3) == OK,
	   "pixels: ATTACH_BACKING of three pages: OK_NODATA");
	seen = view(DOM, DEV_GPU, &v);
	ok(seen && v.nres == 1 && v.mem >= FB_W * FB_H * 4 + 3 * 16,
	   "pixels: the resource and its backing table are charged (%llu bytes)",
	   (unsigned long long)v.mem);

	/* the whole resource: contiguous rows, two runs of guest memory */
	fake_reset_log();
	forget_answers();
	c = transfer_async(DOM, 1, 0, 0, FB_W, FB_H, 0);
	seen = answer(DOM, DEV_GPU, CTRLQ, c) != NULL;
	ok(!seen && nreads == 2 && read_log[0].addr == 0x10000 &&
	   read_log[0].len == 8192 && read_log[1].addr == 0x30000 &&
	   read_log[1].len == 4096,
	   "transfer: no answer before the reads; one read per contiguous run (%u reads)",
	   nreads);
	ok(fake_loop() == 2 &&
	   resp_type(answer(DOM, DEV_GPU, CTRLQ, c)) == OK,
	   "transfer: OK_NODATA once both reads answered");
	ok(view(DOM, DEV_GPU, &v) && !v.pixels && v.resource == 0,
	   "pixels: no scanout yet, nothing shown");

	shown(set_scanout(DOM, 0, 1, 0, 0, FB_W, FB_H) == OK,
	      "SET_SCANOUT shows the resource, every pixel as the guest drew it");
	shown(flush(DOM, 1, 0, 0, FB_W, FB_H) == OK,
	      "RESOURCE_FLUSH of all of it: the same");

	/* a rectangle: 7x4 at (10, 5); rows 256 bytes apart: 4 reads */
	guest_pattern(10, 5, 7, 4, 2);
	guest_px(9, 5, 1, 2, 3);	/* just outside: never read */
	guest_px(17, 8, 1, 2, 3);
	fake_reset_log();
	ok(transfer(DOM, 1, 10, 5, 7, 4, 5 * FB_STRIDE + 10 * 4) == OK &&
	   nreads == 4 && read_log[0].addr == 0x10000 + 5 * 256 + 40 &&
	   read_log[0].len == 28 && read_log[3].addr == 0x10000 + 8 * 256 + 40,
	   "transfer 7x4+10+5: four reads of 28 bytes, at the rows' addresses");
	shown(view(DOM, DEV_GPU, &v), "a transfer alone changes nothing shown");
	updates = v.updates;
	for (y = 5; y < 9; y++)
		for (x = 10; x < 17; x++)
			expect[y * FB_W + x] = pattern(x, y, 2);
	shown(flush(DOM, 1, 10, 5, 7, 4) == OK && view(DOM, DEV_GPU, &v) &&
	      v.updates == updates + 1,
	      "flushing the rectangle changes exactly its 28 pixels");

	/* rows of the third page, then rows on both sides of its start */
	guest_pattern(0, 32, FB_W, 1, 3);
	fake_reset_log();
	ok(transfer(DOM, 1, 0, 32, FB_W, 1, 32 * FB_STRIDE) == OK &&
	   nreads == 1 && read_log[0].addr == 0x30000 && read_log[0].len == 256,
	   "transfer: row 32 lies in the third page: one read at 0x30000");
	guest_pattern(0, 31, FB_W, 2, 4);
	fake_reset_log();
	ok(transfer(DOM, 1, 0, 31, FB_W, 2, 31 * FB_STRIDE) == OK &&
	   nreads == 2 && read_log[0].addr == 0x11000 + 31 * 256 - 4096 &&
	   read_log[0].len == 256 && read_log[1].addr == 0x30000,
	   "transfer: rows 31-32 span two entries not contiguous: two reads");
	ok(flush(DOM, 1, 0, 0, FB_W, FB_H) == OK, "pixels: flush all");
	for (y = 31; y < 33; y++)
		for (x = 0; x < FB_W; x++)
			expect[y * FB_W + x] = pattern(x, y, 4);
	shown(true, "rows 31 and 32 updated");

	/*
	 * The offset is where the rows are read, the rectangle where they
	 * land (virtio): row 40's bytes into the 2x1 rectangle at (0, 0).
	 */
	ok(transfer(DOM, 1, 0, 0, 2, 1, 40 * FB_STRIDE) == OK &&
	   flush(DOM, 1, 0, 0, 2, 1) == OK, "transfer: offset apart from the rectangle");
	expect[0] = pattern(0, 40, 1);
	expect[1] = pattern(1, 40, 1);
	shown(true, "row 40's first pixels now at (0, 0)");

	/* a rectangle inside the resource, shown from (8, 4) */
	ok(set_scanout(DOM, 0, 1, 8, 4, 16, 8) == OK && view(DOM, DEV_GPU, &v) &&
	   v.width == 16 && v.height == 8 && v.pixels &&
	   v.pixels[0] == expect[4 * FB_W + 8] &&
	   v.pixels[16 * 8 - 1] == expect[11 * FB_W + 23],
	   "pixels: SET_SCANOUT of a 16x8 part shows that part");
	shown(set_scanout(DOM, 0, 1, 0, 0, FB_W, FB_H) == OK,
	      "back to all of it");
}

/* Every format: one pixel of R 0x11, G 0x22, B 0x33, in its byte order. */
static void test_formats(void)
{
	static const struct {
		uint32_t format;
		uint8_t bytes[4];
	} f[] = {
		{ VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, { 0x33, 0x22, 0x11, 0xFF } },
		{ VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, { 0x33, 0x22, 0x11, 0x00 } },
		{ VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM, { 0xFF, 0x11, 0x22, 0x33 } },
		{ VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM, { 0x00, 0x11, 0x22, 0x33 } },
		{ VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, { 0x11, 0x22, 0x33, 0xFF } },
		{ VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM, { 0x00, 0x33, 0x22, 0x11 } },
		{ VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM, { 0xFF, 0x33, 0x22, 0x11 } },
		{ VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM, { 0x11, 0x22, 0x33, 0x00 } },
	};
	const struct ent e = { 0x50000, 4096 };
	unsigned int i, good = 0;
	struct gpu_view v;

	fake_map(0x50000, 4096, 0x40000);
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		memcpy(gmem + 0x40000, f[i].bytes, 4);
		if (create(DOM, 100 + i, f[i].format, 1, 1) == OK &&
		    attach(DOM, 100 + i, &e, 1) == OK &&
		    transfer(DOM, 100 + i, 0, 0, 1, 1, 0) == OK &&
		    set_scanout(DOM, 0, 100 + i, 0, 0, 1, 1) == OK &&
		    view(DOM, DEV_GPU, &v) && v.pixels &&
		    v.pixels[0] == 0x112233)
			good++;
		else
			printf("# format %u wrong\n", f[i].format);
	}
	ok(good == ARRAY_SIZE(f),
	   "formats: all 8 formats show R 0x11 G 0x22 B 0x33 (%u good)", good);
	ok(create(DOM, 99, 5, 1, 1) == E_PARAM &&
	   create(DOM, 99, 0, 1, 1) == E_PARAM &&
	   create(DOM, 99, 134 + 1, 1, 1) == E_PARAM,
	   "formats: others (0, 5, 135) are INVALID_PARAMETER");
	ok(set_scanout(DOM, 0, 1, 0, 0, FB_W, FB_H) == OK, "formats: back to resource 1");
	for (i = 0; i < ARRAY_SIZE(f); i++)
		unref(DOM, 100 + i);
	ok(view(DOM, DEV_GPU, &v) && v.nres == 1, "formats: unref'd");
}

static void test_png(void)
{
	char path[256], other[300];
	struct png_image img;
	struct gpu_view v;
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "%s/snap.png", png_dir);
	r = gpu_snapshot_png(inst(DOM, DEV_GPU), path);
	ok(!r, "png: gpu_snapshot_png() of the display: %s", strerror(-r));
	ok(stat(path, &st) == 0 &&
	   (snprintf(other, sizeof(other), "%s.tmp", path), stat(other, &st)) &&
	   errno == ENOENT, "png: the file is there, its .tmp is not");
	r = png_load(path, &img);
	ok(!r && img.width == FB_W && img.height == FB_H &&
	   img.channels == PNG_RGB, "png: read back: %s, %ux%u, %u channels",
	   strerror(-r), img.width, img.height, img.channels);
	if (!r && view(DOM, DEV_GPU, &v) && img.width == FB_W &&
	    img.height == FB_H) {
		unsigned int wrong = 0;
		uint32_t i;

		for (i = 0; i < FB_W * FB_H; i++) {
			const uint8_t *p = img.pixels + 3 * i;

			wrong += ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 |
				  p[2]) != v.pixels[i];
		}
		ok(!wrong, "png: every pixel as the display shows it (%u wrong)",
		   wrong);
	} else {
		ok(false, "png: every pixel as the display shows it");
	}
	png_image_free(&img);
	unlink(path);

	ok(gpu_snapshot_png(inst(DOM, DEV_GPU_PNG), path) == -ENODATA,
	   "png: a display that is off: -ENODATA");
}

/* A small resource on the png= device, its display: 8x4 of one colour. */
static void png_device_frame(uint32_t id, uint8_t shade, bool create_it)
{
	const struct ent e = { 0x60000, 4096 };
	struct virtio_gpu_resource_create_2d c;
	struct virtio_gpu_resource_attach_backing a;
	struct virtio_gpu_transfer_to_host_2d t;
	struct virtio_gpu_set_scanout s;
	unsigned int i;

	for (i = 0; i < 8 * 4; i++)
		memset(gmem + 0x48000 + 4 * i, shade, 4);
	if (create_it) {
		uint8_t buf[sizeof(a) + 16];

		hdr_init(&c.hdr, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
		c.resource_id = htole32(id);
		c.format = htole32(VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM);
		c.width = htole32(8);
		c.height = htole32(4);
		cmd(DOM, DEV_GPU_PNG, &c, sizeof(c));
		hdr_init(&a.hdr, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
		a.resource_id = htole32(id);
		a.nr_entries = htole32(1);
		memcpy(buf, &a, sizeof(a));
		put_le64(buf + sizeof(a), e.addr);
		put_le32(buf + sizeof(a) + 8, e.len);
		put_le32(buf + sizeof(a) + 12, 0);
		cmd(DOM, DEV_GPU_PNG, buf, sizeof(buf));
	}
	hdr_init(&t.hdr, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
	rect_set(&t.r, 0, 0, 8, 4);
	t.offset = 0;
	t.resource_id = htole32(id);
	t.padding = 0;
	submit(DOM, DEV_GPU_PNG, CTRLQ, &t, sizeof(t), HDR_LEN);
	fake_loop();
	if (create_it) {
		hdr_init(&s.hdr, VIRTIO_GPU_CMD_SET_SCANOUT);
		rect_set(&s.r, 0, 0, 8, 4);
		s.scanout_id = 0;
		s.resource_id = htole32(id);
		cmd(DOM, DEV_GPU_PNG, &s, sizeof(s));
	} else {
		flush_dev(DOM, DEV_GPU_PNG, id, 0, 0, 8, 4);
	}
}

/* The shade of the 8x4 PNG at @path, or -1. */
static int png_shade(const char *path)
{
	struct png_image img;
	int shade = -1;

	if (png_load(path, &img))
		return -1;
	if (img.width == 8 && img.height == 4 && img.channels == PNG_RGB) {
		uint32_t i;

		shade = img.pixels[0];
		for (i = 0; i < 8 * 4 * 3; i++)
			if (img.pixels[i] != shade)
				shade = -1;
	}
	png_image_free(&img);
	return shade;
}

static void test_png_option(void)
{
	struct timespec ts = { 0, 50 * 1000000L };
	char path[256];
	int t, waited = 0;

	fake_map(0x60000, 4096, 0x48000);
	snprintf(path, sizeof(path), "%s/gpu-%d.png", png_dir, DOM);
	ok(gpu_timeout_ms(&be) == -1, "png=: nothing due, no timeout");
	png_device_frame(7, 0x40, true);
	ok(png_shade(path) == 0x40,
	   "png=: SET_SCANOUT wrote DIR/gpu-%u.png at once", DOM);
	png_device_frame(7, 0x80, false);
	t = gpu_timeout_ms(&be);
	ok(png_shade(path) == 0x40 && t > 0 && t <= 200,
	   "png=: a flush within 200 ms: not written yet, due in %d ms", t);
	gpu_tick(&be);
	ok(png_shade(path) == 0x40, "png=: gpu_tick() before it is due: nothing");
	while (gpu_timeout_ms(&be) > 0 && waited++ < 40)
		nanosleep(&ts, NULL);
	gpu_tick(&be);
	ok(png_shade(path) == 0x80 && gpu_timeout_ms(&be) == -1,
	   "png=: gpu_tick() when due writes the last frame; nothing due after");
	unlink(path);
}

static void test_validation(void)
{
	struct virtio_gpu_transfer_to_host_2d t;
	struct virtio_gpu_ctrl_hdr h;
	struct ent e[2];
	struct gpu_view v;
	uint8_t junk[64];
	uint16_t c;
	uint64_t mem;

	/* create */
	ok(create(DOM, 0, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 4) == E_RES,
	   "create: resource id 0: INVALID_RESOURCE_ID");
	ok(create(DOM, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 4) == E_RES,
	   "create: an id in use: INVALID_RESOURCE_ID");
	ok(create(DOM, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 0, 4) == E_PARAM &&
	   create(DOM, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 0) == E_PARAM &&
	   create(DOM, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 16385, 1) == E_PARAM &&
	   create(DOM, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 0xFFFFFFFF,
		  0xFFFFFFFF) == E_PARAM,
	   "create: width or height 0, over 16384 or 2^32-1: INVALID_PARAMETER");
	view(DOM, DEV_GPU, &v);
	mem = v.mem;
	ok(create(DOM, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 16384, 16384) == E_MEM,
	   "create: 16384x16384 (1 GiB): OUT_OF_MEMORY");
	ok(create(DOM, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8192, 4096) == OK &&
	   create(DOM, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8192, 4096) == E_MEM,
	   "create: 128 MiB fits, a second one does not (256 MiB per guest)");
	ok(unref(DOM, 2) == OK && view(DOM, DEV_GPU, &v) && v.mem == mem,
	   "create: unref gives the memory back");
	hdr_init(&h, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	ok(cmd(DOM, DEV_GPU, &h, sizeof(h)) == E_UNSPEC,
	   "create: a command cut after its header: ERR_UNSPEC");
	memset(junk, 0, sizeof(junk));
	ok(cmd(DOM, DEV_GPU, junk, 10) == E_UNSPEC &&
	   cmd(DOM, DEV_GPU, junk, 0) == E_UNSPEC,
	   "controlq: commands of 10 and 0 bytes: ERR_UNSPEC");
	hdr_init(&h, VIRTIO_GPU_CMD_GET_CAPSET_INFO);
	ok(cmd(DOM, DEV_GPU, junk, sizeof(junk)) == E_UNSPEC, "controlq: type 0: ERR_UNSPEC");
	memcpy(junk, &h, sizeof(h));
	ok(cmd(DOM, DEV_GPU, junk, sizeof(junk)) == E_UNSPEC,
	   "controlq: GET_CAPSET_INFO: ERR_UNSPEC");
	put_le32(junk, VIRTIO_GPU_CMD_GET_EDID);
	ok(cmd(DOM, DEV_GPU, junk, sizeof(junk)) == E_UNSPEC,
	   "controlq: GET_EDID (not offered): ERR_UNSPEC");
	put_le32(junk, VIRTIO_GPU_CMD_CTX_CREATE);
	ok(cmd(DOM, DEV_GPU, junk, sizeof(junk)) == E_UNSPEC,
	   "controlq: CTX_CREATE (3D): ERR_UNSPEC");
	put_le32(junk, VIRTIO_GPU_CMD_MOVE_CURSOR);
	ok(cmd(DOM, DEV_GPU, junk, sizeof(junk)) == E_UNSPEC,
	   "controlq: MOVE_CURSOR on the wrong queue: ERR_UNSPEC");

	/* unref, detach */
	ok(unref(DOM, 55) == E_RES && unref(DOM, 0) == E_RES,
	   "unref: unknown resource, or 0: INVALID_RESOURCE_ID");
	ok(simple(DOM, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 55) == E_RES,
	   "detach: unknown resource: INVALID_RESOURCE_ID");

	/* set_scanout */
	ok(set_scanout(DOM, 1, 1, 0, 0, 4, 4) == E_SCANOUT &&
	   set_scanout(DOM, 0xFFFFFFFF, 1, 0, 0, 4, 4) == E_SCANOUT,
	   "set_scanout: scanout 1 or 2^32-1: INVALID_SCANOUT_ID");
	ok(set_scanout(DOM, 0, 55, 0, 0, 4, 4) == E_RES,
	   "set_scanout: unknown resource: INVALID_RESOURCE_ID");
	ok(set_scanout(DOM, 0, 1, 1, 0, FB_W, FB_H) == E_PARAM &&
	   set_scanout(DOM, 0, 1, 0, 0, FB_W, FB_H + 1) == E_PARAM &&
	   set_scanout(DOM, 0, 1, 0xFFFFFFF0, 0, 0x20, 4) == E_PARAM &&
	   set_scanout(DOM, 0, 1, 0, 0, 0, 4) == E_PARAM,
	   "set_scanout: rectangle outside, wrapping or empty: INVALID_PARAMETER");
	ok(view(DOM, DEV_GPU, &v) && v.resource == 1 && v.width == FB_W,
	   "set_scanout: a refused one leaves the display as it was");

	/* flush */
	ok(flush(DOM, 55, 0, 0, 1, 1) == E_RES,
	   "flush: unknown resource: INVALID_RESOURCE_ID");
	ok(flush(DOM, 1, 60, 0, 5, 1) == E_PARAM &&
	   flush(DOM, 1, 1, 0xFFFFFFFF, 1, 2) == E_PARAM,
	   "flush: rectangle outside or wrapping: INVALID_PARAMETER");

	/* transfer */
	ok(transfer(DOM, 55, 0, 0, 1, 1, 0) == E_RES,
	   "transfer: unknown resource: INVALID_RESOURCE_ID");
	ok(transfer(DOM, 1, 0, 0, FB_W + 1, 1, 0) == E_PARAM &&
	   transfer(DOM, 1, 0, FB_H, 1, 1, 0) == E_PARAM,
	   "transfer: rectangle out of bounds: INVALID_PARAMETER");
	ok(transfer(DOM, 1, 0xFFFFFFFF, 0, 2, 1, 0) == E_PARAM &&
	   transfer(DOM, 1, 0, 0xFFFFFFFE, 1, 3, 0) == E_PARAM,
	   "transfer: x + width and y + height overflowing 32 bits: INVALID_PARAMETER");
	ok(transfer(DOM, 1, 0, 0, FB_W, 1, 12288 - 255) == E_PARAM &&
	   transfer(DOM, 1, 0, 0, 1, 1, 0xFFFFFFFFFFFFFFFFULL) == E_PARAM &&
	   transfer(DOM, 1, 0, 0, 1, 1, 0xFFFFFFFFFFFFFFFCULL) == E_PARAM,
	   "transfer: offset past the backing, or wrapping 64 bits: INVALID_PARAMETER");
	fake_reset_log();
	ok(transfer(DOM, 1, 0, 0, FB_W, 1, 12288 - 256) == OK && nreads == 1,
	   "transfer: the backing's last 256 bytes: OK");
	ok(transfer(DOM, 1, 3, 3, 0, 5, 0) == OK && nreads == 1,
	   "transfer: an empty rectangle: OK_NODATA, nothing read");
	ok(create(DOM, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 4) == OK &&
	   transfer(DOM, 2, 0, 0, 4, 4, 0) == E_UNSPEC,
	   "transfer: a resource without backing: ERR_UNSPEC");
	hdr_init(&t.hdr, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
	ok(cmd(DOM, DEV_GPU, &t, sizeof(t) - 1) == E_UNSPEC,
	   "transfer: one byte short: ERR_UNSPEC");

	/* attach: resource 2 is 4x4, 64 bytes */
	e[0] = (struct ent){ 0x10000, 64 };
	e[1] = (struct ent){ 0x11000, 64 };
	ok(attach(DOM, 55, e, 1) == E_RES,
	   "attach: unknown resource: INVALID_RESOURCE_ID");
	ok(attach_n(DOM, 2, e, 2, 1) == E_PARAM &&
	   attach_n(DOM, 2, e, 0xFFFFFFFF, 1) == E_PARAM,
	   "attach: more entries than the chain holds: INVALID_PARAMETER");
	ok(attach_n(DOM, 2, e, 0, 0) == E_PARAM,
	   "attach: no entry: INVALID_PARAMETER");
	ok(attach_n(DOM, 2, NULL, 65537, 65537) == E_PARAM,
	   "attach: 65537 entries (all in a 1 MiB chain): INVALID_PARAMETER");
	e[0] = (struct ent){ 0x10000, 63 };
	ok(attach(DOM, 2, e, 1) == E_PARAM,
	   "attach: 63 bytes of backing for 64: INVALID_PARAMETER");
	e[0] = (struct ent){ 0x10000, 0 };
	e[1] = (struct ent){ 0x11000, 64 };
	ok(attach(DOM, 2, e, 2) == E_PARAM, "attach: an entry of 0 bytes: INVALID_PARAMETER");
	e[0] = (struct ent){ 0xFFFFFFFFFFFFFFC0ULL, 64 };
	ok(attach(DOM, 2, e, 1) == OK && simple(DOM,
	   VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 2) == OK,
	   "attach: an entry ending at 2^64 exactly is fine (detached again)");
	e[0] = (struct ent){ 0xFFFFFFFFFFFFFFC1ULL, 64 };
	ok(attach(DOM, 2, e, 1) == E_PARAM,
	   "attach: an entry wrapping past 2^64: INVALID_PARAMETER");
	view(DOM, DEV_GPU, &v);
	mem = v.mem;
	ok(attach_n(DOM, 2, NULL, 65536, 65536) == OK && view(DOM, DEV_GPU, &v) &&
	   v.mem == mem + 65536 * 24 && simple(DOM,
	   VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 2) == OK &&
	   view(DOM, DEV_GPU, &v) && v.mem == mem,
	   "attach: 65536 entries are fine, charged while attached");
	e[0] = (struct ent){ 0x10000, 64 };
	ok(attach(DOM, 2, e, 1) == OK && attach(DOM, 2, e, 1) == E_UNSPEC,
	   "attach: to a resource that has backing: ERR_UNSPEC");
	ok(simple(DOM, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 2) == OK &&
	   simple(DOM, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 2) == E_UNSPEC,
	   "detach: twice: OK_NODATA, then ERR_UNSPEC");

	/* reads the guest refuses */
	e[0] = (struct ent){ 0x20000, 64 };	/* mapped nowhere */
	ok(attach(DOM, 2, e, 1) == OK && transfer(DOM, 2, 0, 0, 4, 4, 0) == E_PARAM,
	   "transfer: the guest answers -EFAULT: INVALID_PARAMETER");
	simple(DOM, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 2);
	e[0] = (struct ent){ 0x30000 + 4096 - 32, 64 };	/* past a mapping */
	ok(attach(DOM, 2, e, 1) == OK && transfer(DOM, 2, 0, 0, 4, 4, 0) == E_PARAM,
	   "transfer: a range running past the mapping's end: INVALID_PARAMETER");
	simple(DOM, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 2);
	/* four rows in two entries that are not contiguous: two reads */
	e[0] = (struct ent){ 0x10000, 32 };
	e[1] = (struct ent){ 0x20000, 32 };
	ok(attach(DOM, 2, e, 2) == OK, "attach: two entries of 32 bytes");
	fake_reset_log();
	ok(transfer(DOM, 2, 0, 0, 4, 4, 0) == E_PARAM && nreads == 2,
	   "transfer: one of two reads fails: INVALID_PARAMETER after both answered");
	fail_read_now = -ENOMEM;
	fail_read_after = 0;
	forget_answers();
	c = transfer_async(DOM, 2, 0, 0, 4, 4, 0);
	ok(resp_type(answer(DOM, DEV_GPU, CTRLQ, c)) == E_PARAM,
	   "transfer: the first win_read() refused at once: INVALID_PARAMETER at once");
	fail_read_now = -ENOMEM;
	fail_read_after = 1;
	forget_answers();
	c = transfer_async(DOM, 2, 0, 0, 4, 4, 0);
	ok(!answer(DOM, DEV_GPU, CTRLQ, c) && fake_loop() == 1 &&
	   resp_type(answer(DOM, DEV_GPU, CTRLQ, c)) == E_PARAM,
	   "transfer: the second refused: answered when the first is");
	ok(unref(DOM, 2) == OK, "unref: a resource with backing");

	/* cursorq */
	c = cursor(DOM, VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 1, 100, 200, 0);
	ok(answer(DOM, DEV_GPU, CURSORQ, c) &&
	   answer(DOM, DEV_GPU, CURSORQ, c)->len == 0 && view(DOM, DEV_GPU, &v) &&
	   v.cursor_res == 1 && v.cursor_x == 100 && v.cursor_y == 200 &&
	   v.hot_x == 3 && v.hot_y == 4,
	   "cursor: UPDATE_CURSOR kept; no room for an answer: used empty");
	c = cursor(DOM, VIRTIO_GPU_CMD_MOVE_CURSOR, 0, 0, 5, 6, HDR_LEN);
	ok(resp_type(answer(DOM, DEV_GPU, CURSORQ, c)) == OK &&
	   view(DOM, DEV_GPU, &v) && v.cursor_res == 1 && v.cursor_x == 5 &&
	   v.cursor_y == 6, "cursor: MOVE_CURSOR moves it only");
	c = cursor(DOM, VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 55, 1, 1, HDR_LEN);
	ok(resp_type(answer(DOM, DEV_GPU, CURSORQ, c)) == E_RES &&
	   view(DOM, DEV_GPU, &v) && v.cursor_res == 1 && v.cursor_x == 5,
	   "cursor: unknown resource: INVALID_RESOURCE_ID, cursor unchanged");
	c = cursor(DOM, VIRTIO_GPU_CMD_MOVE_CURSOR, 3, 0, 1, 1, HDR_LEN);
	ok(resp_type(answer(DOM, DEV_GPU, CURSORQ, c)) == E_SCANOUT,
	   "cursor: scanout 3: INVALID_SCANOUT_ID");
	c = cursor(DOM, VIRTIO_GPU_CMD_RESOURCE_FLUSH, 0, 0, 1, 1, HDR_LEN);
	ok(resp_type(answer(DOM, DEV_GPU, CURSORQ, c)) == E_UNSPEC,
	   "cursor: a controlq command on the cursorq: ERR_UNSPEC");
	forget_answers();
	c = submit(DOM, DEV_GPU, CURSORQ, junk, 8, HDR_LEN);
	ok(resp_type(answer(DOM, DEV_GPU, CURSORQ, c)) == E_UNSPEC,
	   "cursor: 8 bytes: ERR_UNSPEC");
	c = cursor(DOM, VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 0, 0, 0, HDR_LEN);
	ok(resp_type(answer(DOM, DEV_GPU, CURSORQ, c)) == OK &&
	   view(DOM, DEV_GPU, &v) && v.cursor_res == 0,
	   "cursor: resource 0 hides it");
}

/*
 * One command at a time on the controlq: while a transfer waits for the
 * guest, a fenced flush and GET_DISPLAY_INFO wait behind it; the cursorq
 * is not held up.
 */
static void test_order(void)
{
	struct virtio_gpu_resource_flush f;
	struct virtio_gpu_ctrl_hdr h;
	uint16_t ct, cf, cd, cc;
	size_t it = 0, iflush = 0, id = 0, i;
	const struct used *u;
	struct gpu_view v;

	forget_answers();
	ct = transfer_async(DOM, 1, 0, 0, FB_W, FB_H, 0);
	flush_req(&f, 1, 0, 0, FB_W, FB_H);
	f.hdr.flags = htole32(VIRTIO_GPU_FLAG_FENCE);
	f.hdr.fence_id = htole64(42);
	cf = submit(DOM, DEV_GPU, CTRLQ, &f, sizeof(f), HDR_LEN);
	hdr_init(&h, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	cd = submit(DOM, DEV_GPU, CTRLQ, &h, sizeof(h),
		    sizeof(struct virtio_gpu_resp_display_info));
	{
		struct virtio_gpu_update_cursor m;

		memset(&m, 0, sizeof(m));
		hdr_init(&m.hdr, VIRTIO_GPU_CMD_MOVE_CURSOR);
		cc = submit(DOM, DEV_GPU, CURSORQ, &m, sizeof(m), HDR_LEN);
	}
	ok(nused == 1 && answer(DOM, DEV_GPU, CURSORQ, cc) &&
	   view(DOM, DEV_GPU, &v) && v.busy,
	   "order: while a transfer waits, only the cursorq is answered");
	fake_loop();
	for (i = 0; i < nused; i++) {
		if (useds[i].vq != CTRLQ)
			continue;
		if (useds[i].chain == ct)
			it = i + 1;
		else if (useds[i].chain == cf)
			iflush = i + 1;
		else if (useds[i].chain == cd)
			id = i + 1;
	}
	ok(it && iflush && id && it < iflush && iflush < id,
	   "order: then transfer, flush, display info, in the queue's order");
	u = answer(DOM, DEV_GPU, CTRLQ, cf);
	ok(u && u->len == HDR_LEN && get_le32(u->data) == OK &&
	   get_le32(u->data + 4) == VIRTIO_GPU_FLAG_FENCE &&
	   get_le64(u->data + 8) == 42,
	   "order: the flush's answer carries its fence 42");
}

static void test_nowin(void)
{
	const struct ent e = { 0x10000, 4096 };
	struct gpu_view v;

	guest_up(DOM_NOWIN);
	ok(create(DOM_NOWIN, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8, 8) == OK &&
	   attach(DOM_NOWIN, 1, &e, 1) == OK &&
	   set_scanout(DOM_NOWIN, 0, 1, 0, 0, 8, 8) == OK &&
	   flush(DOM_NOWIN, 1, 0, 0, 8, 8) == OK,
	   "no windows: create, attach, set_scanout, flush: OK_NODATA");
	fake_reset_log();
	ok(transfer(DOM_NOWIN, 1, 0, 0, 8, 8, 0) == E_UNSPEC && nreads == 0 &&
	   transfer(DOM_NOWIN, 1, 0, 0, 8, 8, 0) == E_UNSPEC,
	   "no windows: transfers are ERR_UNSPEC, nothing read");
	ok(view(DOM_NOWIN, DEV_GPU, &v) && v.pixels && v.pixels[0] == 0 &&
	   view(DOM, DEV_GPU, &v) && v.resource == 1 && v.width == FB_W,
	   "no windows: its display is black; the other guest's is its own");
}

/* SET_DEVICE_STATUS 0 for the gpu of @dom. */
static void reset_dev(uint16_t dom)
{
	uint8_t st[4] = { 0 };

	send_rec(dom, 0, VA_SET_DEVICE_STATUS, DEV_GPU, st, sizeof(st));
}

/* A transfer whose two reads are outstanding, with a flush behind it. */
static uint16_t pending_transfer(uint16_t dom, uint16_t *behind)
{
	uint16_t c;

	if (create(dom, 9, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, FB_W, FB_H) != OK ||
	    attach(dom, 9, fb_ents, 3) != OK)
		printf("# setup of resource 9 failed\n");
	forget_answers();
	c = transfer_async(dom, 9, 0, 0, FB_W, FB_H, 0);
	*behind = submit(dom, DEV_GPU, CTRLQ, NULL, 0, HDR_LEN);
	return c;
}

static void test_reset(void)
{
	struct devinst *di = inst(DOM, DEV_GPU);
	struct gpu_view v;
	uint16_t c, b;
	unsigned int before;

	/* window.c's order: outstanding accesses get -ENODEV, then reset */
	c = pending_transfer(DOM, &b);
	before = enodev_calls;
	ok(nios == 2 && !answer(DOM, DEV_GPU, CTRLQ, c),
	   "reset: a transfer waits for two reads");
	fake_cancel(di);
	reset_dev(DOM);
	ok(enodev_calls == before + 2 && !answer(DOM, DEV_GPU, CTRLQ, c) &&
	   !answer(DOM, DEV_GPU, CTRLQ, b) && view(DOM, DEV_GPU, &v) &&
	   !v.busy && v.nres == 0 && v.mem == 0 && !v.pixels,
	   "reset: -ENODEV to both reads; neither chain answered; everything forgotten");
	ok(create(DOM, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, FB_W, FB_H) == OK &&
	   attach(DOM, 1, fb_ents, 3) == OK &&
	   transfer(DOM, 1, 0, 0, FB_W, FB_H, 0) == OK,
	   "reset: the device works again after it");

	/* the chains dropped first, then the reads cancelled */
	c = pending_transfer(DOM, &b);
	chain_drop_all(di);
	fake_cancel(di);
	reset_dev(DOM);
	ok(!answer(DOM, DEV_GPU, CTRLQ, c) && view(DOM, DEV_GPU, &v) &&
	   !v.busy && v.nres == 0 && v.mem == 0,
	   "reset: chains dropped before the -ENODEV answers: the same");

	/* RESET_VQUEUE of the controlq: the chain goes, the reads stay */
	c = pending_transfer(DOM, &b);
	{
		uint8_t q[4] = { 0 };

		send_rec(DOM, 0, VA_RESET_VQUEUE, DEV_GPU, q, sizeof(q));
	}
	ok(fake_loop() == 2 && !answer(DOM, DEV_GPU, CTRLQ, c) &&
	   view(DOM, DEV_GPU, &v) && !v.busy,
	   "reset: controlq reset while reads wait: they finish, nothing answered");
	ok(cmd(DOM, DEV_GPU, NULL, 0) == E_UNSPEC,
	   "reset: the controlq runs commands again");

	/* the contract broken (no -ENODEV first): survive it */
	reset_dev(DOM);
	c = pending_transfer(DOM, &b);
	reset_dev(DOM);
	ok(view(DOM, DEV_GPU, &v) && !v.busy && v.nres == 0 && nios == 2,
	   "reset: without -ENODEV first, the transfer is orphaned");
	ok(fake_loop() == 2 && !answer(DOM, DEV_GPU, CTRLQ, c),
	   "reset: its late answers are swallowed (no use after free)");

	/* a guest that goes away with a transfer in flight */
	win_on[DOM_GONE] = true;
	guest_up(DOM_GONE);
	pending_transfer(DOM_GONE, &b);
	before = enodev_calls;
	fake_cancel(inst(DOM_GONE, DEV_GPU));
	guest_drop(guest_find(&be, DOM_GONE), "test");
	ok(enodev_calls == before + 2 && !guest_find(&be, DOM_GONE) && !nios,
	   "reset: a guest dropped with a transfer in flight: -ENODEV, freed");

	/* and without the -ENODEV first: the answers come for a freed di */
	guest_up(DOM_GONE);
	pending_transfer(DOM_GONE, &b);
	guest_drop(guest_find(&be, DOM_GONE), "test");
	ok(fake_loop() == 2, "reset: late answers for a freed instance are swallowed");
}

static const uint8_t small_rgba[2 * 2 * 4] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

static void small_row(void *ctx, uint32_t y, uint8_t *row)
{
	(void)ctx;
	memcpy(row, small_rgba + 8 * y, 8);
}

static void test_png_codec(void)
{
	struct png_image img;
	char path[256];
	int r;

	ok(png_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926 &&
	   png_adler32(1, (const uint8_t *)"Wikipedia", 9) == 0x11E60398,
	   "png codec: CRC-32 and Adler-32 check values");
	snprintf(path, sizeof(path), "%s/rgba.png", png_dir);
	r = png_save(path, 2, 2, PNG_RGBA, small_row, NULL);
	ok(!r, "png codec: a 2x2 RGBA file written: %s", strerror(-r));
	r = png_load(path, &img);
	ok(!r && img.width == 2 && img.height == 2 && img.channels == PNG_RGBA &&
	   !memcmp(img.pixels, small_rgba, sizeof(small_rgba)),
	   "png codec: read back exactly: %s", strerror(-r));
	png_image_free(&img);
	unlink(path);
	ok(png_save(path, 2, 2, PNG_RGBA, NULL, NULL) == -EINVAL &&
	   png_save(path, 0, 1, PNG_RGB, small_row, NULL) == -EINVAL &&
	   png_save(path, 65536, 1, PNG_RGB, small_row, NULL) == -EINVAL &&
	   png_save(path, 1, 1, 2, small_row, NULL) == -EINVAL,
	   "png codec: no row function, width 0 or 65536, 2 channels: -EINVAL");
	ok(png_load("/nonexistent/x.png", &img) == -ENOENT,
	   "png codec: a missing file: -ENOENT");
}

/* RGBA rows of a 300x300 image: more than one stored block (270901 bytes). */
static void big_row(void *ctx, uint32_t y, uint8_t *row)
{
	uint32_t x;

	(void)ctx;
	for (x = 0; x < 300; x++) {
		row[4 * x] = x;
		row[4 * x + 1] = y;
		row[4 * x + 2] = x ^ y;
		row[4 * x + 3] = 255 - x;
	}
}

/* @buf: a 300x300 RGBA image from png_write(); read back, then broken. */
static void check_big(char *buf, size_t len)
{
	struct png_image img;
	size_t nbad = 0, i;
	int r = png_read((uint8_t *)buf, len, &img);
	uint32_t x, y;

	for (y = 0; !r && y < 300; y++) {
		uint8_t row[1200];

		big_row(NULL, y, row);
		for (x = 0; x < 300; x++)
			nbad += memcmp(img.pixels + y * 1200 + 4 * x,
				       row + 4 * x, 4) != 0;
	}
	ok(!r && img.width == 300 && img.height == 300 &&
	   img.channels == PNG_RGBA && !nbad,
	   "png codec: read back pixel for pixel (%zu wrong)", nbad);
	png_image_free(&img);
	/* one flipped bit anywhere after the signature is caught */
	for (i = 8; i < len; i += 997) {
		buf[i] ^= 0x10;
		if (png_read((uint8_t *)buf, len, &img) == 0) {
			png_image_free(&img);
			break;
		}
		buf[i] ^= 0x10;
	}
	ok(i >= len, "png codec: a flipped bit (every 997th byte) is refused");
	ok(png_read((uint8_t *)buf, len - 1, &img) < 0,
	   "png codec: a truncated file is refused");
}

static void test_png_big(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	f = open_memstream(&buf, &len);
	r = f ? png_write(f, 300, 300, PNG_RGBA, big_row, NULL) : -1;
	if (f)
		fclose(f);
	/* 360300 bytes of rows: 6 stored blocks */
	ok(!r && len == 8 + 25 + 12 + (2 + 5 * 6 + 300 * 1201 + 4) + 12,
	   "png codec: 300x300 RGBA: %zu bytes, 6 stored blocks", len);
	if (!r)
		check_big(buf, len);
	free(buf);
}

static void setup(void)
{
	char err[256], opt[128];
	struct device *d;

	if (!mkdtemp(png_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	backend_init(&be, &fake_ops, NULL);
	d = gpu_parse(NULL, err, sizeof(err));
	if (!d || backend_add_device(&be, d) != DEV_GPU) {
		fprintf(stderr, "gpu_parse: %s\n", err);
		exit(1);
	}
	snprintf(opt, sizeof(opt), "size=800x600,png=%s", png_dir);
	d = gpu_parse(opt, err, sizeof(err));
	if (!d || backend_add_device(&be, d) != DEV_GPU_PNG) {
		fprintf(stderr, "gpu_parse: %s\n", err);
		exit(1);
	}
	win_on[DOM] = true;
	guest_up(DOM);
}

int main(void)
{
	printf("TAP version 13\n");
	setup();
	test_options();
	test_discovery();
	test_discovery_state();
	test_display_info();
	test_pixels();
	test_formats();
	test_png();
	test_png_option();
	test_validation();
	test_order();
	test_nowin();
	test_reset();
	test_png_codec();
	test_png_big();
	ok(bad_records == 0, "every record the backend sent was well-formed%s%s",
	   bad_records ? ": " : "", bad_why);

	backend_fini(&be);
	free(ios);
	free(useds);
	free(expect);
	rmdir(png_dir);
	printf("1..%d\n", testno);
	if (failures)
		printf("# %d of %d failed\n", failures, testno);
	return failures ? 1 : 0;
}
