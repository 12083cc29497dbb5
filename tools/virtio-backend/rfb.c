// SPDX-License-Identifier: GPL-2.0
/*
 * A VNC server (the RFB protocol, RFC 6143) for one guest's virtio-gpu
 * display: what the display shows goes to the viewers, and their keys and
 * pointer go to the guest's virtio-input device.
 *
 * Written for this backend, small on purpose: no authentication (listen
 * on 127.0.0.1 or a unix socket, and let ssh or the socket's permissions
 * decide who connects), the Raw encoding only, 32-bit true-colour pixel
 * formats only (every viewer offers one), at most RFB_CLIENTS viewers.
 * Protocol versions 3.3, 3.7 and 3.8.  Non-blocking: a viewer that does
 * not read gets no new frame until it has taken the last one (updates are
 * sent only when asked for, as RFB intends), and one that breaks the
 * protocol is disconnected with a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <linux/input-event-codes.h>

#include "backend.h"
#include "rfb.h"

/* RFB is big-endian on the wire. */
static uint16_t get_be16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static void put_be16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = v >> 8;
	b[1] = v;
}

static void put_be32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

#define RFB_CLIENTS	4
#define RFB_IN_MAX	4096U
#define RFB_CUT_MAX	(1U << 20)

enum rfb_state { RFB_VERSION, RFB_SECURITY, RFB_INIT, RFB_NORMAL };

/* A viewer's pixel format: 32 bits per pixel, true colour. */
struct rfb_pf {
	bool big_endian;
	uint16_t rmax, gmax, bmax;
	uint8_t rshift, gshift, bshift;
};

struct rfb_client {
	struct rfb *srv;
	struct watch w;
	struct list_node link;
	enum rfb_state state;
	unsigned int minor;		/* 3, 7 or 8 */
	uint8_t in[RFB_IN_MAX];
	size_t in_len;
	uint32_t skip;			/* bytes to discard: cut text, encodings */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	struct rfb_pf pf;
	bool want;			/* an update request is waiting */
	uint64_t sent;			/* the display's updates at the last frame */
	bool sent_any;
	uint8_t buttons;
};

struct rfb {
	struct device *gpu, *input;
	char *who;			/* the guest, as its binding names it */
	uint32_t width, height;
	struct watch w_listen;
	struct list_node clients;
	unsigned int nclients;
	char *desc;
	char *path;			/* the unix socket's, removed at close */
};

static void rfb_drop(struct rfb_client *c, const char *why)
{
	if (why)
		vb_log("vnc (guest %s): viewer disconnected: %s", c->srv->who,
		       why);
	watch_del(&c->w);
	close(c->w.fd);
	list_del_init(&c->link);
	c->srv->nclients--;
	free(c->out);
	free(c);
}

static int rfb_put(struct rfb_client *c, const void *p, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *o;

		while (cap < c->out_len + n)
			cap *= 2;
		o = realloc(c->out, cap);
		if (!o)
			return -1;
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return 0;
}

/* Send what is queued; false when the viewer went. */
static bool rfb_flush(struct rfb_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->w.fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			rfb_drop(c, n < 0 ? strerror(errno) : "closed");
			return false;
		}
		c->out_off += n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	c->w.events = POLLIN | (c->out_len ? POLLOUT : 0);
	return true;
}

/*
 * The guest's instance of @d, if it has one: the newest, since the
 * device is offered to one guest only and a guest named by its Xen name
 * may come back under a new domid before its old instance is gone.
 */
static struct devinst *rfb_inst(struct device *d)
{
	if (!d || list_empty(&d->insts))
		return NULL;
	return list_entry(d->insts.prev, struct devinst, dev_link);
}

static uint32_t rfb_pixel(const struct rfb_pf *pf, uint32_t xrgb)
{
	uint32_t r = (xrgb >> 16) & 0xff, g = (xrgb >> 8) & 0xff,
		 b = xrgb & 0xff;

	return (r * pf->rmax / 255) << pf->rshift |
	       (g * pf->gmax / 255) << pf->gshift |
	       (b * pf->bmax / 255) << pf->bshift;
}

/* One FramebufferUpdate: the whole display, Raw. */
static int rfb_frame(struct rfb_client *c)
{
	struct rfb *s = c->srv;
	struct devinst *di = rfb_inst(s->gpu);
	struct gpu_view v = { 0 };
	uint8_t hdr[16] = { 0, 0, 0, 1 };
	uint32_t x, y, *row;
	int r = 0;

	if (di)
		gpu_view(di, &v);
	put_be16(hdr + 4, 0);
	put_be16(hdr + 6, 0);
	put_be16(hdr + 8, s->width);
	put_be16(hdr + 10, s->height);
	put_be32(hdr + 12, 0);			/* Raw */
	row = malloc(s->width * 4);
	if (!row || rfb_put(c, hdr, sizeof(hdr))) {
		free(row);
		return -1;
	}
	for (y = 0; y < s->height && !r; y++) {
		for (x = 0; x < s->width; x++) {
			uint32_t px = v.pixels && x < v.width && y < v.height ?
				      v.pixels[y * v.width + x] : 0;

			px = rfb_pixel(&c->pf, px);
			if (c->pf.big_endian)
				put_be32(row + x, px);
			else
				put_le32(row + x, px);
		}
		r = rfb_put(c, row, s->width * 4);
	}
	free(row);
	c->sent = v.updates;
	c->sent_any = true;
	c->want = false;
	return r;
}

static void rfb_input(struct rfb_client *c, uint16_t type, uint16_t code,
		      int32_t value)
{
	struct devinst *di = rfb_inst(c->srv->input);

	if (di)
		input_send(di, type, code, value);
}

static void rfb_pointer(struct rfb_client *c, uint8_t mask, uint16_t x,
			uint16_t y)
{
	static const uint16_t buttons[3] = { BTN_LEFT, BTN_MIDDLE, BTN_RIGHT };
	unsigned int i;

	rfb_input(c, EV_ABS, ABS_X, x < c->srv->width ? x : c->srv->width - 1);
	rfb_input(c, EV_ABS, ABS_Y, y < c->srv->height ? y : c->srv->height - 1);
	for (i = 0; i < 3; i++)
		if ((mask ^ c->buttons) & (1U << i))
			rfb_input(c, EV_KEY, buttons[i], !!(mask & (1U << i)));
	c->buttons = mask;
	rfb_input(c, EV_SYN, SYN_REPORT, 0);
}

static bool rfb_set_pf(struct rfb_client *c, const uint8_t *p)
{
	/* bpp, depth, big-endian, true-colour, maxima, shifts */
	if (p[0] != 32 || !p[3])
		return false;
	c->pf.big_endian = p[2];
	c->pf.rmax = get_be16(p + 4);
	c->pf.gmax = get_be16(p + 6);
	c->pf.bmax = get_be16(p + 8);
	c->pf.rshift = p[10];
	c->pf.gshift = p[11];
	c->pf.bshift = p[12];
	return c->pf.rshift < 32 && c->pf.gshift < 32 && c->pf.bshift < 32 &&
	       c->pf.rmax && c->pf.gmax && c->pf.bmax;
}

/*
 * One message from the viewer if it is whole: its length, 0 when more is
 * needed, -1 when it breaks the protocol (@why says how).
 */
static long rfb_message(struct rfb_client *c, const uint8_t *p, size_t n,
			const char **why)
{
	struct rfb *s = c->srv;
	uint16_t code;

	switch (p[0]) {
	case 0:	/* SetPixelFormat */
		if (n < 20)
			return 0;
		if (!rfb_set_pf(c, p + 4)) {
			*why = "a pixel format other than 32-bit true colour";
			return -1;
		}
		return 20;
	case 2:	/* SetEncodings: Raw is all we send, whatever it says */
		if (n < 4)
			return 0;
		/* up to 65535 of them: more than c->in holds, so skip them */
		c->skip = 4U * get_be16(p + 2);
		return 4;
	case 3:	/* FramebufferUpdateRequest */
		if (n < 10)
			return 0;
		c->want = true;
		if (!p[1])		/* not incremental: now */
			c->sent_any = false;
		return 10;
	case 4:	/* KeyEvent */
		if (n < 8)
			return 0;
		code = input_keysym_code(get_be32(p + 4));
		if (code) {
			rfb_input(c, EV_KEY, code, !!p[1]);
			rfb_input(c, EV_SYN, SYN_REPORT, 0);
		}
		return 8;
	case 5:	/* PointerEvent */
		if (n < 6)
			return 0;
		rfb_pointer(c, p[1], get_be16(p + 2), get_be16(p + 4));
		return 6;
	case 6:	/* ClientCutText: not ours to paste; skipped */
		if (n < 8)
			return 0;
		if (get_be32(p + 4) > RFB_CUT_MAX) {
			*why = "cut text over 1 MiB";
			return -1;
		}
		c->skip = get_be32(p + 4);
		return 8;
	}
	(void)s;
	*why = "an unknown message type";
	return -1;
}

/* The handshake's steps, then the messages; false when it was dropped. */
static bool rfb_process(struct rfb_client *c)
{
	struct rfb *s = c->srv;
	const char *why = NULL;
	size_t off = 0;

	for (;;) {
		const uint8_t *p = c->in + off;
		size_t n = c->in_len - off;
		long used = 0;

		if (c->skip) {
			used = n < c->skip ? n : c->skip;
			c->skip -= used;
		} else if (c->state == RFB_VERSION) {
			if (n < 12)
				break;
			if (memcmp(p, "RFB 003.", 8) || p[11] != '\n') {
				rfb_drop(c, "not an RFB viewer");
				return false;
			}
			c->minor = p[10] - '0' >= 8 && p[9] == '0' ? 8 :
				   p[10] == '7' ? 7 : 3;
			if (c->minor == 3) {
				uint8_t sec[4] = { 0, 0, 0, 1 };	/* None */

				rfb_put(c, sec, 4);
				c->state = RFB_INIT;
			} else {
				uint8_t sec[2] = { 1, 1 };

				rfb_put(c, sec, 2);
				c->state = RFB_SECURITY;
			}
			used = 12;
		} else if (c->state == RFB_SECURITY) {
			if (n < 1)
				break;
			if (p[0] != 1) {
				rfb_drop(c, "asked for a security type we do not offer");
				return false;
			}
			if (c->minor == 8) {
				uint8_t ok[4] = { 0 };

				rfb_put(c, ok, 4);
			}
			c->state = RFB_INIT;
			used = 1;
		} else if (c->state == RFB_INIT) {
			uint8_t si[24] = { 0 };

			if (n < 1)
				break;
			put_be16(si, s->width);
			put_be16(si + 2, s->height);
			si[4] = 32;		/* bits per pixel */
			si[5] = 24;		/* depth */
			si[6] = 0;		/* little-endian */
			si[7] = 1;		/* true colour */
			put_be16(si + 8, 255);
			put_be16(si + 10, 255);
			put_be16(si + 12, 255);
			si[14] = 16;
			si[15] = 8;
			si[16] = 0;
			put_be32(si + 20, strlen(s->desc));
			rfb_put(c, si, sizeof(si));
			rfb_put(c, s->desc, strlen(s->desc));
			c->pf = (struct rfb_pf){ false, 255, 255, 255, 16, 8, 0 };
			c->state = RFB_NORMAL;
			used = 1;
		} else {
			if (!n)
				break;
			used = rfb_message(c, p, n, &why);
			if (used < 0) {
				rfb_drop(c, why);
				return false;
			}
			if (!used)
				break;
		}
		off += used;
		if (!used)
			break;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (c->in_len == sizeof(c->in)) {
		rfb_drop(c, "a message longer than we take");
		return false;
	}
	return true;
}

static void rfb_client_cb(struct watch *w, short revents)
{
	struct rfb_client *c = w->priv;

	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = recv(w->fd, c->in + c->in_len,
				 sizeof(c->in) - c->in_len, 0);

		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			rfb_drop(c, n < 0 ? strerror(errno) : NULL);
			return;
		}
		c->in_len += n;
		if (!rfb_process(c))
			return;
	}
	rfb_flush(c);
}

static void rfb_accept_cb(struct watch *w, short revents)
{
	struct rfb *s = w->priv;
	struct rfb_client *c;
	int fd;

	(void)revents;
	fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (s->nclients >= RFB_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
		vb_log("vnc (guest %s): a viewer refused (%u at most)",
		       s->who, RFB_CLIENTS);
		close(fd);
		return;
	}
	c->srv = s;
	c->w.fd = fd;
	c->w.priv = c;
	c->w.cb = rfb_client_cb;
	list_add_tail(&c->link, &s->clients);
	s->nclients++;
	watch_add(&c->w);
	rfb_put(c, "RFB 003.008\n", 12);
	rfb_flush(c);
}

/**
 * rfb_tick() - send frames to the viewers that asked and have something new
 * @s: the server
 *
 * From the loop, each round.
 */
void rfb_tick(struct rfb *s)
{
	struct devinst *di = rfb_inst(s->gpu);
	struct list_node *n, *t;
	struct gpu_view v = { 0 };

	if (di)
		gpu_view(di, &v);
	list_for_each_safe(n, t, &s->clients) {
		struct rfb_client *c = list_entry(n, struct rfb_client, link);

		if (c->state != RFB_NORMAL || !c->want || c->out_len)
			continue;
		if (c->sent_any && c->sent == v.updates)
			continue;
		if (rfb_frame(c)) {
			rfb_drop(c, "out of memory");
			continue;
		}
		rfb_flush(c);
	}
}

/* "unix:PATH": its address in @a; false (and @err) when it cannot be. */
static bool rfb_unix_addr(const char *spec, struct sockaddr_un *a, char *err,
			  size_t errlen)
{
	const char *path = spec + 5;
	struct stat st;

	if (strlen(path) >= sizeof(a->sun_path) || !*path) {
		snprintf(err, errlen, "vnc=unix:PATH: a path shorter than %zu bytes",
			 sizeof(a->sun_path));
		return false;
	}
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	/* a socket left by an earlier run goes; anything else stays */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "vnc=%s: exists and is not a socket",
				 spec);
			return false;
		}
		unlink(path);
	}
	return true;
}

/* "PORT" or "ADDR:PORT" (127.0.0.1 by default) in @a, or false. */
static bool rfb_inet_addr(const char *spec, struct sockaddr_in *a, char *err,
			  size_t errlen)
{
	const char *colon = strrchr(spec, ':'), *p = spec;
	char host[64] = "127.0.0.1";
	unsigned long port;

	if (colon) {
		if ((size_t)(colon - spec) >= sizeof(host))
			goto bad;
		memcpy(host, spec, colon - spec);
		host[colon - spec] = 0;
		p = colon + 1;
	}
	if (vb_parse_num(p, 10, 65535, &port, NULL) || port < 1 ||
	    inet_pton(AF_INET, host, &a->sin_addr) != 1)
		goto bad;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return true;
bad:
	snprintf(err, errlen, "vnc=%s: not PORT, ADDRESS:PORT or unix:PATH",
		 spec);
	return false;
}

/* "PORT", "ADDR:PORT" or "unix:PATH": a listening socket, or -1. */
static int rfb_socket(const char *spec, char *err, size_t errlen)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_un un;
	} a = { 0 };
	socklen_t len;
	int fd, one = 1;

	if (!strncmp(spec, "unix:", 5)) {
		if (!rfb_unix_addr(spec, &a.un, err, errlen))
			return -1;
		len = sizeof(a.un);
	} else {
		if (!rfb_inet_addr(spec, &a.in, err, errlen))
			return -1;
		len = sizeof(a.in);
	}
	fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd >= 0 && a.sa.sa_family == AF_INET)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, &a.sa, len) || listen(fd, RFB_CLIENTS)) {
		snprintf(err, errlen, "vnc=%s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/**
 * rfb_listen() - serve a guest's display to VNC viewers
 * @spec: where to listen: "PORT" (on 127.0.0.1), "ADDR:PORT", "unix:PATH"
 * @gpu: the display's device
 * @input: the guest's virtio-input device, or NULL (view only)
 * @who: the guest, as the device's guest= names it (a domid or a name)
 * @width: the display's size, as the viewers see it
 * @height: the display's size
 * @err: set on failure
 * @errlen: its size
 *
 * Return: the server, or NULL.
 */
struct rfb *rfb_listen(const char *spec, struct device *gpu,
		       struct device *input, const char *who, uint32_t width,
		       uint32_t height, char *err, size_t errlen)
{
	struct rfb *s = calloc(1, sizeof(*s));
	int fd;

	if (!s || width > 65535 || height > 65535) {
		snprintf(err, errlen, s ? "a display over 65535 pixels" :
			 "out of memory");
		free(s);
		return NULL;
	}
	fd = rfb_socket(spec, err, errlen);
	if (fd < 0 || asprintf(&s->desc, "VirtIO-Argo guest %s", who) < 0 ||
	    !(s->who = strdup(who)) ||
	    (!strncmp(spec, "unix:", 5) && !(s->path = strdup(spec + 5)))) {
		if (fd >= 0) {
			snprintf(err, errlen, "out of memory");
			close(fd);
		}
		free(s->who);
		free(s->desc);
		free(s);
		return NULL;
	}
	s->gpu = gpu;
	s->input = input;
	s->width = width;
	s->height = height;
	list_init(&s->clients);
	s->w_listen.fd = fd;
	s->w_listen.events = POLLIN;
	s->w_listen.cb = rfb_accept_cb;
	s->w_listen.priv = s;
	watch_add(&s->w_listen);
	return s;
}

/** rfb_close() - disconnect the viewers and stop listening */
void rfb_close(struct rfb *s)
{
	struct list_node *n, *t;

	if (!s)
		return;
	list_for_each_safe(n, t, &s->clients)
		rfb_drop(list_entry(n, struct rfb_client, link), NULL);
	watch_del(&s->w_listen);
	close(s->w_listen.fd);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s->who);
	free(s->desc);
	free(s);
}
