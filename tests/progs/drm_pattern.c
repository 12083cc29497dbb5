// SPDX-License-Identifier: GPL-2.0
/*
 * drm_pattern CARD PNG: draw through DRM what a user's program would
 * (a dumb buffer on the first connected connector, its preferred mode),
 * and check, pixel for pixel, that the backend's PNG of the display shows
 * it.  Then a rectangle is redrawn with a second pattern and reported
 * damaged (DIRTYFB): the display must show the second pattern inside that
 * rectangle and still the first outside it.  (Linux 6.1's virtio_gpu
 * transfers only the damaged rectangle, later ones may send the whole
 * frame; either way the picture must be exact.)  The PNG is polled until
 * it matches or 30 s pass.  Output is TAP; the exit status is
 * non-zero on any failure.
 *
 * drm_pattern CARD PNG SECONDS also measures, for SECONDS after the
 * checks, full-screen updates as a program drawing frames would make
 * them (the whole buffer redrawn, DIRTYFB of all of it, which returns
 * once the device flushed) and prints "# fps F (N frames in T s, WxH)".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "drm_abi.h"
#include "png.h"

#define MAX_MODES	1024

static int tests, failed;

static void tap(bool ok, const char *what)
{
	tests++;
	failed += !ok;
	printf("%sok %d - %s\n", ok ? "" : "not ", tests, what);
	fflush(stdout);
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint32_t pattern_a(uint32_t x, uint32_t y)
{
	return ((x * 3) & 0xff) << 16 | ((y * 5) & 0xff) << 8 | ((x + y) & 0xff);
}

static uint32_t pattern_b(uint32_t x, uint32_t y)
{
	return (0xff - ((x * 7) & 0xff)) << 16 | ((x ^ y) & 0xff) << 8 | 0x5a;
}

struct screen {
	uint32_t w, h;
	struct drm_clip damage;		/* pattern B inside, A outside */
	bool partial;
};

static uint32_t expected(const struct screen *s, uint32_t x, uint32_t y)
{
	if (s->partial && x >= s->damage.x1 && x < s->damage.x2 &&
	    y >= s->damage.y1 && y < s->damage.y2)
		return pattern_b(x, y);
	return pattern_a(x, y);
}

/* Does the PNG show @s?  @why describes the first difference. */
static bool png_shows(const char *path, const struct screen *s, char *why,
		      size_t len)
{
	struct png_image img;
	uint32_t x, y;
	bool same = true;

	if (png_load(path, &img)) {
		snprintf(why, len, "%s not readable yet", path);
		return false;
	}
	if (img.width != s->w || img.height != s->h || img.channels != PNG_RGB) {
		snprintf(why, len, "%ux%u with %u channels", img.width,
			 img.height, img.channels);
		png_image_free(&img);
		return false;
	}
	for (y = 0; y < s->h && same; y++) {
		for (x = 0; x < s->w && same; x++) {
			const uint8_t *p = img.pixels + (y * s->w + x) * 3;
			uint32_t got = p[0] << 16 | p[1] << 8 | p[2];

			if (got != expected(s, x, y)) {
				snprintf(why, len, "pixel %u,%u is %06x, not %06x",
					 x, y, got, expected(s, x, y));
				same = false;
			}
		}
	}
	png_image_free(&img);
	return same;
}

static bool wait_for(const char *path, const struct screen *s)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char why[160] = "";
	int i;

	for (i = 0; i < 300; i++) {
		if (png_shows(path, s, why, sizeof(why)))
			return true;
		nanosleep(&ts, NULL);
	}
	printf("# after 30 s: %s\n", why);
	return false;
}

static uint32_t all_a(const struct screen *s, uint32_t x, uint32_t y)
{
	(void)s;
	return pattern_a(x, y);
}

static uint32_t all_b(const struct screen *s, uint32_t x, uint32_t y)
{
	(void)s;
	return pattern_b(x, y);
}

static void fill(uint32_t *fb, uint32_t pitch, const struct screen *s,
		 uint32_t (*pat)(const struct screen *, uint32_t, uint32_t))
{
	uint32_t x, y;

	for (y = 0; y < s->h; y++)
		for (x = 0; x < s->w; x++)
			fb[y * (pitch / 4) + x] = pat(s, x, y);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Full-screen frames for @secs: redraw everything, report it all dirty. */
static void measure_fps(int fd, uint32_t *fb, uint32_t pitch, uint32_t fb_id,
			const struct screen *s, double secs)
{
	struct drm_clip all = { 0, 0, (uint16_t)s->w, (uint16_t)s->h };
	struct drm_fb_dirty dirty = {
		.fb_id = fb_id, .num_clips = 1, .clips_ptr = (uintptr_t)&all,
	};
	double t0 = now(), t;
	unsigned int n = 0;

	do {
		fill(fb, pitch, s, n & 1 ? all_a : all_b);
		if (ioctl(fd, DRM_IOCTL_DIRTYFB, &dirty))
			die("DIRTYFB");
		n++;
		t = now() - t0;
	} while (t < secs);
	printf("# fps %.1f (%u frames in %.1f s, %ux%u)\n", n / t, n, t,
	       s->w, s->h);
}

int main(int argc, char **argv)
{
	uint32_t conn_ids[8], crtc_ids[8], enc_ids[8];
	struct drm_card_res res = { 0 };
	struct drm_get_connector c = { 0 };
	struct drm_get_encoder enc = { 0 };
	static struct drm_modeinfo modes[MAX_MODES];
	struct drm_create_dumb dumb = { 0 };
	struct drm_map_dumb map = { 0 };
	struct drm_fb_cmd fbc = { 0 };
	struct drm_crtc crtc = { 0 };
	struct drm_fb_dirty dirty = { 0 };
	struct screen s = { 0 };
	uint32_t *fb, i, conn = 0;
	char line[128];
	int fd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: drm_pattern CARD PNG [SECONDS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(argv[1]);
	if (ioctl(fd, DRM_IOCTL_GETRESOURCES, &res))
		die("GETRESOURCES");
	if (!res.count_connectors || !res.count_crtcs ||
	    res.count_connectors > 8 || res.count_crtcs > 8 ||
	    res.count_encoders > 8) {
		printf("Bail out! %u connectors, %u crtcs, %u encoders\n",
		       res.count_connectors, res.count_crtcs,
		       res.count_encoders);
		return 1;
	}
	res.connector_id_ptr = (uintptr_t)conn_ids;
	res.crtc_id_ptr = (uintptr_t)crtc_ids;
	res.encoder_id_ptr = (uintptr_t)enc_ids;
	res.count_fbs = 0;
	if (ioctl(fd, DRM_IOCTL_GETRESOURCES, &res))
		die("GETRESOURCES");
	for (i = 0; i < res.count_connectors && !conn; i++) {
		/* asking with no room for modes is what makes DRM probe them */
		memset(&c, 0, sizeof(c));
		c.connector_id = conn_ids[i];
		if (ioctl(fd, DRM_IOCTL_GETCONNECTOR, &c))
			die("GETCONNECTOR");
		/* DRM copies the modes only into room for all of them */
		if (c.count_modes > MAX_MODES)
			continue;
		c.modes_ptr = (uintptr_t)modes;
		c.count_props = 0;
		c.count_encoders = 0;
		if (ioctl(fd, DRM_IOCTL_GETCONNECTOR, &c))
			die("GETCONNECTOR");
		if (c.connection == DRM_CONNECTED && c.count_modes)
			conn = conn_ids[i];
	}
	if (!conn) {
		printf("Bail out! no connected connector with a mode\n");
		return 1;
	}
	s.w = modes[0].hdisplay;
	s.h = modes[0].vdisplay;
	printf("# connector %u, mode %s (%ux%u), encoder %u\n", conn,
	       modes[0].name, s.w, s.h, c.encoder_id);
	crtc.crtc_id = crtc_ids[0];
	if (c.encoder_id) {
		enc.encoder_id = c.encoder_id;
		if (!ioctl(fd, DRM_IOCTL_GETENCODER, &enc) && enc.crtc_id)
			crtc.crtc_id = enc.crtc_id;
	}

	dumb.width = s.w;
	dumb.height = s.h;
	dumb.bpp = 32;
	if (ioctl(fd, DRM_IOCTL_CREATE_DUMB, &dumb))
		die("CREATE_DUMB");
	map.handle = dumb.handle;
	if (ioctl(fd, DRM_IOCTL_MAP_DUMB, &map))
		die("MAP_DUMB");
	fb = mmap(NULL, dumb.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		  map.offset);
	if (fb == MAP_FAILED)
		die("mmap");
	fill(fb, dumb.pitch, &s, all_a);
	fbc.width = s.w;
	fbc.height = s.h;
	fbc.pitch = dumb.pitch;
	fbc.bpp = 32;
	fbc.depth = 24;
	fbc.handle = dumb.handle;
	if (ioctl(fd, DRM_IOCTL_ADDFB, &fbc))
		die("ADDFB");
	crtc.fb_id = fbc.fb_id;
	crtc.set_connectors_ptr = (uintptr_t)&conn;
	crtc.count_connectors = 1;
	crtc.mode = modes[0];
	crtc.mode_valid = 1;
	if (ioctl(fd, DRM_IOCTL_SETCRTC, &crtc))
		die("SETCRTC");
	snprintf(line, sizeof(line),
		 "the display shows the first pattern (%ux%u) pixel for pixel",
		 s.w, s.h);
	tap(wait_for(argv[2], &s), line);

	/* a rectangle redrawn, and reported damaged */
	s.damage.x1 = s.w / 4;
	s.damage.y1 = s.h / 4;
	s.damage.x2 = s.w / 4 + s.w / 3;
	s.damage.y2 = s.h / 4 + s.h / 5;
	s.partial = true;
	fill(fb, dumb.pitch, &s, expected);
	dirty.fb_id = fbc.fb_id;
	dirty.num_clips = 1;
	dirty.clips_ptr = (uintptr_t)&s.damage;
	if (ioctl(fd, DRM_IOCTL_DIRTYFB, &dirty))
		die("DIRTYFB");
	snprintf(line, sizeof(line),
		 "after redrawing %u,%u-%u,%u and DIRTYFB, only that rectangle changed",
		 s.damage.x1, s.damage.y1, s.damage.x2, s.damage.y2);
	tap(wait_for(argv[2], &s), line);
	if (argc == 4)
		measure_fps(fd, fb, dumb.pitch, fbc.fb_id, &s, atof(argv[3]));
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
