// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of argo-virtio-backend's VNC server (rfb.c) and virtio-input
 * device (input.c): a viewer written here, byte by byte, on a unix
 * socket, against the real server in the real loop; a fake display in
 * place of gpu.c's (gpu_view() below), and the real input device behind
 * the simulated driver of test_driver.h, whose eventq chains carry what
 * the viewer typed; and a stock viewer, test_vnc_peer on libvncclient.
 * Usage: test_vnc [DIR]: DIR holds test_vnc_peer (default: this
 * program's directory).  Output is TAP; the exit status is non-zero on
 * any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/input-event-codes.h>
#include <linux/virtio_config.h>
#include <linux/virtio_input.h>

#include "backend.h"
#include "rfb.h"
#include "test_tap.h"

#define DOM		1
#define PORT		0x1000
#define DEV_INPUT	1
#define EVENTQ		0
#define W		64	/* the display the viewers see */
#define H		48
#define VW		32	/* what the scanout shows of it */
#define VH		24

static struct backend be;

#include "test_driver.h"

/* ---- the fake display: gpu_view() of the one guest's gpu ---- */

static struct device fake_gpu;
static struct guest fake_guest = { .domid = DOM };
static struct devinst fake_di = { .dev = &fake_gpu, .g = &fake_guest };
static uint32_t shown_px[VW * VH];
static uint64_t shown_updates = 1;

bool gpu_view(const struct devinst *di, struct gpu_view *v)
{
	if (di != &fake_di)
		return false;
	memset(v, 0, sizeof(*v));
	v->resource = 1;
	v->width = VW;
	v->height = VH;
	v->pixels = shown_px;
	v->updates = shown_updates;
	return true;
}

/* The rest of gpu.c, as the configuration and hot-plug code know it. */
struct device *gpu_parse(const char *arg, char *err, size_t errlen)
{
	(void)arg;
	snprintf(err, errlen, "no gpu in this test");
	return NULL;
}

struct device *gpu_input_wanted(struct device *d)
{
	(void)d;
	return NULL;
}

static uint32_t pattern(uint32_t x, uint32_t y, unsigned int seed)
{
	return (uint32_t)(uint8_t)(x * 7 + seed) << 16 |
	       (uint32_t)(uint8_t)(y * 11 + seed) << 8 |
	       (uint8_t)(x ^ y ^ seed);
}

static void draw(unsigned int seed)
{
	uint32_t x, y;

	for (y = 0; y < VH; y++)
		for (x = 0; x < VW; x++)
			shown_px[y * VW + x] = pattern(x, y, seed);
	shown_updates++;
}

/* ---- the loop and the viewer ---- */

static struct rfb *srv;
static char sock_path[64];
static char tmp_dir[] = "/tmp/test_vnc.XXXXXX";
static volatile sig_atomic_t stop_loop;

static int pump_timeout(void *ctx)
{
	(void)ctx;
	return 5;
}

static void pump_round(void *ctx)
{
	(void)ctx;
	rfb_tick(srv);
	backend_flush(&be);
	stop_loop = 1;
}

/* One round of the backend's loop: poll, callbacks, frames to send. */
static void pump(void)
{
	static const struct loop_hooks hooks = {
		.timeout_ms = pump_timeout,
		.round = pump_round,
	};

	stop_loop = 0;
	loop_run(&hooks, &stop_loop);
}

static int viewer_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static void vsend(int fd, const void *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) {
		perror("send");
		exit(1);
	}
	pump();
}

/*
 * Up to @n bytes from the server, running the loop while waiting, for
 * at most @ms: how many came (-1: the server closed the connection).
 */
static long vrecv(int fd, void *buf, size_t n, int ms)
{
	size_t got = 0;
	int rounds = ms / 5 + 1;

	while (got < n && rounds-- > 0) {
		ssize_t r;

		pump();
		r = recv(fd, (uint8_t *)buf + got, n - got, MSG_DONTWAIT);
		if (r == 0)
			return got ? (long)got : -1;
		if (r > 0) {
			got += r;
			rounds++;	/* progress: keep going */
		}
	}
	return got;
}

/* Does the server close @fd within a second (nothing else coming)? */
static bool closed_by_server(int fd)
{
	uint8_t b[256];
	long r;

	do {
		r = vrecv(fd, b, sizeof(b), 1000);
	} while (r > 0);
	return r < 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static const char server_name[] = "VirtIO-Argo guest 1";

/* The handshake at RFB 3.@minor, checked byte for byte; the socket. */
static int viewer_open(unsigned int minor, const char *label)
{
	static const uint8_t pf[16] = { 32, 24, 0, 1, 0, 255, 0, 255, 0, 255,
					16, 8, 0 };
	char ver[13];
	uint8_t b[64];
	int fd = viewer_connect();
	bool good;

	good = vrecv(fd, b, 12, 2000) == 12 && !memcmp(b, "RFB 003.008\n", 12);
	snprintf(ver, sizeof(ver), "RFB 003.00%u\n", minor);
	vsend(fd, ver, 12);
	if (minor == 3) {
		good = good && vrecv(fd, b, 4, 2000) == 4 && be32(b) == 1;
	} else {
		good = good && vrecv(fd, b, 2, 2000) == 2 && b[0] == 1 &&
		       b[1] == 1;
		vsend(fd, "\1", 1);
		if (minor == 8)
			good = good && vrecv(fd, b, 4, 2000) == 4 && !be32(b);
	}
	vsend(fd, "\1", 1);			/* ClientInit: shared */
	good = good && vrecv(fd, b, 24, 2000) == 24 && be16(b) == W &&
	       be16(b + 2) == H && !memcmp(b + 4, pf, sizeof(pf)) &&
	       be32(b + 20) == strlen(server_name) &&
	       vrecv(fd, b, strlen(server_name), 2000) ==
	       (long)strlen(server_name) &&
	       !memcmp(b, server_name, strlen(server_name));
	ok(good, "%s: RFB 3.%u handshake: security None, %ux%u, 32 bpp depth 24 little-endian, named '%s'",
	   label, minor, W, H, server_name);
	return fd;
}

static void update_request(int fd, bool incremental)
{
	uint8_t m[10] = { 3, incremental };

	put16(m + 6, W);
	put16(m + 8, H);
	vsend(fd, m, sizeof(m));
}

static uint8_t frame[W * H * 4];

/* One whole FramebufferUpdate (Raw, all of the display) into frame[]. */
static bool read_frame(int fd, int ms)
{
	uint8_t h[16];

	return vrecv(fd, h, 16, ms) == 16 && h[0] == 0 && be16(h + 2) == 1 &&
	       !be16(h + 4) && !be16(h + 6) && be16(h + 8) == W &&
	       be16(h + 10) == H && be32(h + 12) == 0 &&
	       vrecv(fd, frame, sizeof(frame), 2000) == (long)sizeof(frame);
}

/* What the viewer should see at (x, y), as 0x00RRGGBB. */
static uint32_t want_px(uint32_t x, uint32_t y, unsigned int seed)
{
	return x < VW && y < VH ? pattern(x, y, seed) : 0;
}

/* Pixels of frame[] in the server's default format that are wrong. */
static unsigned int wrong_default(unsigned int seed)
{
	unsigned int x, y, wrong = 0;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			const uint8_t *p = frame + (y * W + x) * 4;
			uint32_t v = p[0] | p[1] << 8 | p[2] << 16 |
				     (uint32_t)p[3] << 24;

			wrong += v != want_px(x, y, seed);
		}
	return wrong;
}

/* ---- the guest's input device ---- */

struct ev {
	uint16_t type, code;
	int32_t value;
};

static uint16_t next_ev_chain;

/* Give the device @n empty 8-byte buffers on its eventq. */
static void post_buffers(unsigned int n)
{
	while (n--) {
		next_chain[EVENTQ] = next_ev_chain++ % VB_QUEUE_SIZE;
		submit(DOM, DEV_INPUT, EVENTQ, NULL, 0,
		       sizeof(struct virtio_input_event));
	}
}

/* The events the device put in its buffers since the last call. */
static unsigned int take_events(struct ev *evs, unsigned int max)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < nused && n < max; i++) {
		const struct used *u = &useds[i];

		if (u->dom != DOM || u->dev != DEV_INPUT || u->vq != EVENTQ ||
		    u->len != sizeof(struct virtio_input_event))
			continue;
		evs[n].type = get_le16(u->data);
		evs[n].code = get_le16(u->data + 2);
		evs[n].value = (int32_t)get_le32(u->data + 4);
		n++;
	}
	forget_answers();
	return n;
}

/* Are @got's @n events exactly @want's? Prints the first difference. */
static bool events_are(const struct ev *got, unsigned int n,
		       const struct ev *want, unsigned int nwant)
{
	unsigned int i;

	for (i = 0; i < n && i < nwant; i++)
		if (got[i].type != want[i].type ||
		    got[i].code != want[i].code ||
		    got[i].value != want[i].value) {
			printf("# event %u: %u %u %d, not %u %u %d\n", i,
			       got[i].type, got[i].code, got[i].value,
			       want[i].type, want[i].code, want[i].value);
			return false;
		}
	if (n != nwant)
		printf("# %u events, not %u\n", n, nwant);
	return n == nwant;
}

static void key(int fd, bool down, uint32_t keysym)
{
	uint8_t m[8] = { 4, down };

	put32(m + 4, keysym);
	vsend(fd, m, sizeof(m));
}

static void pointer(int fd, uint8_t mask, uint16_t x, uint16_t y)
{
	uint8_t m[6] = { 5, mask };

	put16(m + 2, x);
	put16(m + 4, y);
	vsend(fd, m, sizeof(m));
}

static void set_status(uint32_t st)
{
	uint8_t p[4];

	put_le32(p, st);
	send_rec(DOM, 0, VA_SET_DEVICE_STATUS, DEV_INPUT, p, sizeof(p));
}

/* select and subsel written, then the union read back: its size. */
static int input_select(uint8_t select, uint8_t subsel, uint8_t *u)
{
	uint8_t p[12 + 2], req[8];

	put_le32(p, 0);			/* generation */
	put_le32(p + 4, offsetof(struct virtio_input_config, select));
	put_le32(p + 8, 2);
	p[12] = select;
	p[13] = subsel;
	send_rec(DOM, 0, VA_SET_CONFIG, DEV_INPUT, p, sizeof(p));
	put_le32(req, 0);
	put_le32(req + 4, sizeof(struct virtio_input_config));
	resp_id = 0;
	send_rec(DOM, 0, VA_GET_CONFIG, DEV_INPUT, req, sizeof(req));
	if (resp_id != VA_GET_CONFIG ||
	    resp_len != 12 + sizeof(struct virtio_input_config) ||
	    resp[12] != select || resp[13] != subsel)
		return -1;
	memcpy(u, resp + 12 + 8, 128);
	return resp[12 + 2];
}

static bool bit(const uint8_t *map, unsigned int n)
{
	return map[n / 8] & (1U << (n % 8));
}

/* ---- the tests ---- */

static void test_keysyms(void)
{
	static const struct {
		uint32_t keysym;
		uint16_t code;
	} cases[] = {
		{ 'a', KEY_A }, { 'Z', KEY_Z }, { '1', KEY_1 }, { '!', KEY_1 },
		{ '0', KEY_0 }, { ')', KEY_0 }, { ' ', KEY_SPACE },
		{ '~', KEY_GRAVE }, { '"', KEY_APOSTROPHE }, { '?', KEY_SLASH },
		{ '|', KEY_BACKSLASH }, { 0xff0d, KEY_ENTER },
		{ 0xff08, KEY_BACKSPACE }, { 0xffe1, KEY_LEFTSHIFT },
		{ 0xff51, KEY_LEFT }, { 0xffc9, KEY_F12 },
		/* none: DEL as a character, a Latin-1 letter, a keysym of 0 */
		{ 0x7f, 0 }, { 0xe9, 0 }, { 0, 0 }, { 0x1000041, 0 },
	};
	unsigned int i, wrong = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (input_keysym_code(cases[i].keysym) != cases[i].code) {
			printf("# keysym %#x: %u, not %u\n", cases[i].keysym,
			       input_keysym_code(cases[i].keysym),
			       cases[i].code);
			wrong++;
		}
	ok(!wrong, "keysyms: %zu X keysyms map to their US-keyboard keys or to none",
	   ARRAY_SIZE(cases));
}

static void test_input_config(void)
{
	uint8_t u[128];
	struct virtio_input_absinfo abs;
	int n;

	n = input_select(VIRTIO_INPUT_CFG_ID_NAME, 0, u);
	ok(n == 17 && !memcmp(u, "VirtIO-Argo input", 17),
	   "input config: select ID_NAME: 'VirtIO-Argo input' (size %d)", n);
	n = input_select(VIRTIO_INPUT_CFG_ID_DEVIDS, 0, u);
	ok(n == 8 && get_le16(u) == 0x06 && get_le16(u + 2) == 0x4152 &&
	   get_le16(u + 4) == 1 && get_le16(u + 6) == 1,
	   "input config: ID_DEVIDS: BUS_VIRTUAL, vendor 0x4152, product 1, version 1");
	n = input_select(VIRTIO_INPUT_CFG_EV_BITS, EV_KEY, u);
	ok(n == 128 && bit(u, KEY_A) && bit(u, KEY_ENTER) && bit(u, KEY_F12) &&
	   bit(u, BTN_LEFT) && bit(u, BTN_RIGHT) && bit(u, BTN_MIDDLE) &&
	   !bit(u, KEY_RESERVED) && !bit(u, BTN_SIDE),
	   "input config: EV_BITS EV_KEY: the keys and three buttons, nothing else");
	n = input_select(VIRTIO_INPUT_CFG_EV_BITS, EV_ABS, u);
	ok(n == 1 && u[0] == 0x3, "input config: EV_BITS EV_ABS: ABS_X and ABS_Y");
	n = input_select(VIRTIO_INPUT_CFG_EV_BITS, EV_REL, u);
	ok(n == 0, "input config: EV_BITS EV_REL: none (size 0)");
	n = input_select(VIRTIO_INPUT_CFG_ABS_INFO, ABS_Y, u);
	memcpy(&abs, u, sizeof(abs));
	ok(n == sizeof(abs) && !abs.min && le32toh(abs.max) == H - 1,
	   "input config: ABS_INFO ABS_Y: 0 to %u, the display's rows", H - 1);
	n = input_select(VIRTIO_INPUT_CFG_ABS_INFO, ABS_Z, u);
	ok(n == 0, "input config: ABS_INFO of an axis it lacks: size 0");
	n = input_select(VIRTIO_INPUT_CFG_UNSET, 0, u);
	ok(n == 0, "input config: UNSET: size 0");
}

static void test_handshakes(void)
{
	uint8_t b[16];
	int fd;

	fd = viewer_open(3, "3.3");
	close(fd);
	fd = viewer_open(7, "3.7");
	close(fd);

	fd = viewer_connect();
	vrecv(fd, b, 12, 2000);
	vsend(fd, "HTTP/1.1 200", 12);
	ok(closed_by_server(fd), "a peer that is not an RFB viewer is disconnected");
	close(fd);

	fd = viewer_connect();
	vrecv(fd, b, 12, 2000);
	vsend(fd, "RFB 003.008\n", 12);
	vrecv(fd, b, 2, 2000);
	vsend(fd, "\2", 1);		/* VNC authentication */
	ok(closed_by_server(fd), "a viewer asking for a security type not offered is disconnected");
	close(fd);
}

static void test_frames(int fd)
{
	uint8_t pf[20] = { 0, 0, 0, 0, 32, 24, 1, 1 };
	unsigned int wrong;

	draw(1);
	update_request(fd, false);
	wrong = read_frame(fd, 2000) ? wrong_default(1) : W * H;
	ok(!wrong, "frame: all %ux%u pixels, the scanout's %ux%u and black beyond (%u wrong)",
	   W, H, VW, VH, wrong);
	wrong = 0;
	update_request(fd, true);
	ok(vrecv(fd, frame, 1, 100) == 0,
	   "frame: an incremental request with nothing new gets nothing");
	draw(2);
	ok(read_frame(fd, 2000) && !wrong_default(2),
	   "frame: ... until the display changes: then the new pixels");

	/* big-endian, blue in the low bits, 5-6-5 maxima */
	put16(pf + 8, 31);
	put16(pf + 10, 63);
	put16(pf + 12, 31);
	pf[14] = 0;
	pf[15] = 5;
	pf[16] = 11;
	vsend(fd, pf, sizeof(pf));
	update_request(fd, false);
	if (read_frame(fd, 2000)) {
		unsigned int x, y;

		for (y = 0; y < H; y++)
			for (x = 0; x < W; x++) {
				uint32_t p = want_px(x, y, 2);
				uint32_t r = (p >> 16) * 31 / 255,
					 g = ((p >> 8) & 0xff) * 63 / 255,
					 b = (p & 0xff) * 31 / 255;

				wrong += be32(frame + (y * W + x) * 4) !=
					 (r | g << 5 | b << 11);
			}
	} else {
		wrong = W * H;
	}
	ok(!wrong, "SetPixelFormat: big-endian, 5-6-5 maxima, red in the low bits: every pixel converted (%u wrong)",
	   wrong);
}

/* "Hi" typed as viewers type it: Shift its own key, then h, then i. */
static const struct ev hi[] = {
	{ EV_KEY, KEY_LEFTSHIFT, 1 }, { EV_SYN, SYN_REPORT, 0 },
	{ EV_KEY, KEY_H, 1 }, { EV_SYN, SYN_REPORT, 0 },
	{ EV_KEY, KEY_H, 0 }, { EV_SYN, SYN_REPORT, 0 },
	{ EV_KEY, KEY_LEFTSHIFT, 0 }, { EV_SYN, SYN_REPORT, 0 },
	{ EV_KEY, KEY_I, 1 }, { EV_SYN, SYN_REPORT, 0 },
	{ EV_KEY, KEY_I, 0 }, { EV_SYN, SYN_REPORT, 0 },
};

static void test_typing(int fd)
{
	static const struct ev click[] = {
		{ EV_ABS, ABS_X, 10 }, { EV_ABS, ABS_Y, 20 },
		{ EV_KEY, BTN_LEFT, 1 }, { EV_SYN, SYN_REPORT, 0 },
		{ EV_ABS, ABS_X, W - 1 }, { EV_ABS, ABS_Y, H - 1 },
		{ EV_KEY, BTN_LEFT, 0 }, { EV_KEY, BTN_RIGHT, 1 },
		{ EV_SYN, SYN_REPORT, 0 },
	};
	static const uint8_t key_i[8] = { 4, 1, 0, 0, 0, 0, 0, 'i' };
	struct ev evs[64];
	unsigned int n, i;

	take_events(evs, 0);
	key(fd, true, 0xffe1);
	key(fd, true, 'H');
	key(fd, false, 'H');
	key(fd, false, 0xffe1);
	key(fd, true, 'i');
	key(fd, false, 'i');
	key(fd, true, 0xe9);		/* a key this keyboard lacks */
	n = take_events(evs, ARRAY_SIZE(evs));
	ok(events_are(evs, n, hi, ARRAY_SIZE(hi)),
	   "typing 'Hi' and a key it lacks: exactly the keys and SYN_REPORTs of 'Hi'");

	pointer(fd, 1, 10, 20);
	pointer(fd, 4, 60000, 60000);	/* beyond the display */
	n = take_events(evs, ARRAY_SIZE(evs));
	ok(events_are(evs, n, click, ARRAY_SIZE(click)),
	   "pointer: a left click at 10,20, then right pressed beyond the display, clamped to %u,%u",
	   W - 1, H - 1);
	pointer(fd, 0, 0, 0);
	take_events(evs, ARRAY_SIZE(evs));

	/* a key event a byte at a time */
	for (i = 0; i < sizeof(key_i); i++)
		vsend(fd, key_i + i, 1);
	n = take_events(evs, ARRAY_SIZE(evs));
	ok(events_are(evs, n, hi + 8, 2),
	   "a KeyEvent sent one byte at a time: one key, one SYN_REPORT");
	key(fd, false, 'i');
	take_events(evs, ARRAY_SIZE(evs));
}

static void test_skipped(int fd)
{
	static const struct ev a[] = {
		{ EV_KEY, KEY_A, 1 }, { EV_SYN, SYN_REPORT, 0 },
	};
	uint8_t m[8 + 100] = { 6 };
	uint8_t *enc = calloc(4 + 4 * 2000, 1);
	struct ev evs[8];
	unsigned int n;

	if (!enc)
		abort();
	put32(m + 4, 100);
	memset(m + 8, 'x', 100);
	vsend(fd, m, sizeof(m));
	key(fd, true, 'a');
	n = take_events(evs, ARRAY_SIZE(evs));
	ok(events_are(evs, n, a, 2),
	   "ClientCutText of 100 bytes is skipped; the key after it arrives");
	key(fd, false, 'a');

	enc[0] = 2;
	put16(enc + 2, 2000);
	vsend(fd, enc, 4 + 4 * 2000);	/* more than the input buffer */
	free(enc);
	take_events(evs, ARRAY_SIZE(evs));
	key(fd, true, 'a');
	n = take_events(evs, ARRAY_SIZE(evs));
	ok(events_are(evs, n, a, 2),
	   "SetEncodings listing 2000 encodings (8 KiB) is taken; the key after it arrives");
	key(fd, false, 'a');
	take_events(evs, ARRAY_SIZE(evs));
}

/* A fresh viewer sends @m; is it disconnected? */
static bool refused(const void *m, size_t n)
{
	int fd = viewer_open(8, "hostile viewer");
	bool gone;

	vsend(fd, m, n);
	gone = closed_by_server(fd);
	close(fd);
	return gone;
}

static void test_hostile(void)
{
	uint8_t pf16[20] = { 0, 0, 0, 0, 16, 16, 0, 1 };
	uint8_t pf_shift[20] = { 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255,
				 0, 255, 32, 8, 0 };
	uint8_t cut[8] = { 6 };
	uint8_t bad_type[4] = { 99 };

	ok(refused(pf16, sizeof(pf16)),
	   "hostile: SetPixelFormat of 16 bits per pixel: disconnected");
	ok(refused(pf_shift, sizeof(pf_shift)),
	   "hostile: SetPixelFormat with a shift of 32: disconnected");
	put32(cut + 4, (1U << 20) + 1);
	ok(refused(cut, sizeof(cut)),
	   "hostile: ClientCutText over 1 MiB: disconnected");
	ok(refused(bad_type, sizeof(bad_type)),
	   "hostile: message type 99: disconnected");
}

static void test_viewers(void)
{
	int fds[5], i, spare;
	uint8_t b[12];

	for (i = 0; i < 4; i++)
		fds[i] = viewer_open(8, "viewer");
	fds[4] = viewer_connect();
	ok(closed_by_server(fds[4]), "a fifth viewer is refused; four are served at once");
	close(fds[4]);

	/* one goes half-way through a frame; the others carry on */
	draw(3);
	update_request(fds[0], false);
	vrecv(fds[0], frame, 100, 200);
	close(fds[0]);
	update_request(fds[1], false);
	ok(read_frame(fds[1], 2000) && !wrong_default(3),
	   "a viewer gone in the middle of a frame: another still gets whole frames");
	for (i = 1; i < 4; i++)
		close(fds[i]);
	spare = viewer_connect();
	ok(vrecv(spare, b, 12, 2000) == 12 && !memcmp(b, "RFB 003.008\n", 12),
	   "viewers that left free their places");
	close(spare);
}

/*
 * A viewer we did not write: test_vnc_peer, on Debian's libvncclient,
 * in a child process while this one runs the server's loop.
 */
static void test_libvncclient(const char *peer)
{
	static const struct ev click[] = {
		{ EV_ABS, ABS_X, 10 }, { EV_ABS, ABS_Y, 20 },
		{ EV_KEY, BTN_LEFT, 1 }, { EV_SYN, SYN_REPORT, 0 },
		{ EV_ABS, ABS_X, 10 }, { EV_ABS, ABS_Y, 20 },
		{ EV_KEY, BTN_LEFT, 0 }, { EV_SYN, SYN_REPORT, 0 },
	};
	unsigned int wrong = 0, nev, i, rounds = 3000;
	struct ev evs[64];
	int p[2], status = -1;
	size_t n = 0;
	pid_t pid;

	draw(4);
	post_buffers(ARRAY_SIZE(hi) + ARRAY_SIZE(click));
	take_events(evs, ARRAY_SIZE(evs));
	if (pipe2(p, O_CLOEXEC)) {
		perror("pipe2");
		exit(1);
	}
	pid = fork();
	if (!pid) {
		dup2(p[1], 1);
		execl(peer, peer, sock_path, (char *)NULL);
		perror(peer);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	/* the server's loop runs here until the viewer is done */
	while (pid > 0 && rounds--) {
		ssize_t r;

		pump();
		r = read(p[0], frame + n, sizeof(frame) - n);
		if (r > 0)
			n += r;
		else if (!r || (errno != EAGAIN && errno != EINTR))
			break;
	}
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	for (i = 0; i < 20; i++)	/* what it sent before it went */
		pump();
	ok(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status) &&
	   n == sizeof(frame),
	   "libvncclient: a stock viewer connects and takes a whole frame (exit status %#x, %zu bytes)",
	   status, n);
	for (i = 0; n == sizeof(frame) && i < W * H; i++) {
		uint32_t v = want_px(i % W, i / W, 4);
		const uint8_t *px = frame + 4 * i;

		/* its format: 32 bits, red in the low byte, host order */
		wrong += px[0] != (uint8_t)(v >> 16) ||
			 px[1] != (uint8_t)(v >> 8) || px[2] != (uint8_t)v;
	}
	ok(n == sizeof(frame) && !wrong,
	   "libvncclient: every pixel as the display shows it, in the viewer's format (%u wrong)",
	   wrong);
	nev = take_events(evs, ARRAY_SIZE(evs));
	ok(nev >= ARRAY_SIZE(hi) &&
	   events_are(evs, ARRAY_SIZE(hi), hi, ARRAY_SIZE(hi)) &&
	   events_are(evs + ARRAY_SIZE(hi), nev - ARRAY_SIZE(hi), click,
		      ARRAY_SIZE(click)),
	   "libvncclient: its 'Hi' and its click reach the guest as exactly these evdev events");
}

static void test_listen_errors(void)
{
	static const char *const bad_spec[] = {
		"0", "65536", "12x", "", "256.1.1.1:5900", "unix:",
		"+5900", " 5900", "-18446744073709545716",
		"unix:/tmp/a-path-that-is-far-too-long-for-a-unix-socket-address/because-it-has-more-than-108-bytes-which-is-what-sun_path-holds",
	};
	char err[256], spec[160], path[128];
	unsigned int i, refusals = 0;
	struct rfb *s;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(bad_spec); i++) {
		err[0] = 0;
		s = rfb_listen(bad_spec[i], &fake_gpu, NULL, "1", W, H, err,
			       sizeof(err));
		if (!s && err[0])
			refusals++;
		else
			printf("# vnc=%s: %s\n", bad_spec[i],
			       s ? "accepted" : "no reason");
		rfb_close(s);
	}
	ok(refusals == ARRAY_SIZE(bad_spec), "vnc=: %u bad addresses refused with a reason",
	   refusals);
	snprintf(path, sizeof(path), "%s/a-file", tmp_dir);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	snprintf(spec, sizeof(spec), "unix:%s", path);
	s = rfb_listen(spec, &fake_gpu, NULL, "1", W, H, err, sizeof(err));
	ok(!s && strstr(err, "not a socket") && !access(path, F_OK),
	   "vnc=unix:PATH where a file is: refused, and the file stays");
	rfb_close(s);
	unlink(path);
}

static void test_overflow(void)
{
	struct ev evs[8];
	unsigned int n, i;

	/* a reset takes the buffers; then 1030 events wait: 6 too many */
	set_status(0);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_DRIVER_OK);
	take_events(evs, ARRAY_SIZE(evs));
	for (i = 0; i < 1030; i++)
		input_send(inst(DOM, DEV_INPUT), EV_ABS, ABS_X, i);
	n = take_events(evs, ARRAY_SIZE(evs));
	ok(n == 0, "without buffers, no event goes to the driver");
	post_buffers(2);
	n = take_events(evs, ARRAY_SIZE(evs));
	ok(n == 2 && evs[0].value == 6 && evs[1].value == 7,
	   "a driver that takes no events: 1024 wait, the oldest go first (got %u, first %d)",
	   n, n ? evs[0].value : -1);
	set_status(0);
	input_send(inst(DOM, DEV_INPUT), EV_KEY, KEY_A, 1);
	ok(inst(DOM, DEV_INPUT) && !inst(DOM, DEV_INPUT)->status &&
	   take_events(evs, ARRAY_SIZE(evs)) == 0,
	   "after a reset, events for a driver that is not ready are dropped");
}

static void setup(void)
{
	char err[256], spec[96];
	struct device *in;

	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(sock_path, sizeof(sock_path), "%s/vnc", tmp_dir);
	list_init(&fake_gpu.insts);
	list_add_tail(&fake_di.dev_link, &fake_gpu.insts);
	backend_init(&be, &fake_ops, NULL);
	in = input_new(W, H);
	if (!in || backend_add_device(&be, in) != DEV_INPUT) {
		fprintf(stderr, "input_new failed\n");
		exit(1);
	}
	in->guests[in->nguests++] = DOM;
	snprintf(spec, sizeof(spec), "unix:%s", sock_path);
	srv = rfb_listen(spec, &fake_gpu, in, "1", W, H, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "rfb_listen: %s\n", err);
		exit(1);
	}
	guest_up(DOM);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_DRIVER_OK);
	post_buffers(64);
}

int main(int argc, char **argv)
{
	char peer[4096], self[4096];
	struct stat st;
	int fd;

	/* test_vnc_peer is built next to this program */
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(peer, sizeof(peer), "%s/test_vnc_peer",
		 argc > 1 ? argv[1] : dirname(self));

	printf("TAP version 13\n");
	setup();
	test_keysyms();
	test_input_config();
	test_handshakes();
	fd = viewer_open(8, "3.8");
	test_frames(fd);
	test_typing(fd);
	test_skipped(fd);
	close(fd);
	test_hostile();
	test_viewers();
	test_libvncclient(peer);
	test_listen_errors();
	test_overflow();
	ok(bad_records == 0, "every record the backend sent was well-formed%s%s",
	   bad_records ? ": " : "", bad_why);

	rfb_close(srv);
	ok(stat(sock_path, &st) && errno == ENOENT,
	   "rfb_close() removes its socket file");
	rmdir(tmp_dir);
	backend_fini(&be);
	free(useds);
	printf("1..%d\n", testno);
	if (failures)
		printf("# %d of %d failed\n", failures, testno);
	return failures ? 1 : 0;
}
