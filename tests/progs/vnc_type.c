// SPDX-License-Identifier: GPL-2.0
/*
 * vnc_type ADDR:PORT|unix:PATH TEXT X Y: a VNC viewer that does what a
 * person would: connects (RFB 3.8, no authentication), checks the
 * display's size and takes one whole frame, types TEXT (Shift around the
 * characters that need it, US layout), moves the pointer to X,Y and
 * clicks the left button there.  It prints "# display WxH, NAME" and
 * "# frame: N bytes, K pixels lit", and exits 0 when the server took
 * everything, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fd;

static void die(const char *what)
{
	fprintf(stderr, "vnc_type: %s: %s\n", what, errno ? strerror(errno) :
		"protocol");
	exit(1);
}

static void get(void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			die("read");
		b += r;
		n -= r;
	}
}

static void put(const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		die("write");
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void key(uint32_t keysym, int down)
{
	uint8_t m[8] = { 4, (uint8_t)down, 0, 0, keysym >> 24, keysym >> 16,
			 keysym >> 8, keysym };

	put(m, sizeof(m));
}

static void pointer(uint8_t mask, uint16_t x, uint16_t y)
{
	uint8_t m[6] = { 5, mask, x >> 8, x, y >> 8, y };

	put(m, sizeof(m));
}

/* Ask for the whole @w x @h display and read the one Raw rectangle. */
static void frame(uint32_t w, uint32_t h, uint8_t *px)
{
	uint8_t req[10] = { 3, 0, 0, 0, 0, 0, w >> 8, w, h >> 8, h };
	uint8_t hdr[12];

	put(req, sizeof(req));
	get(hdr, 4);
	if (hdr[0] != 0 || (hdr[2] << 8 | hdr[3]) != 1)
		die("frame header");
	get(hdr, 12);
	if ((uint32_t)(hdr[4] << 8 | hdr[5]) != w ||
	    (uint32_t)(hdr[6] << 8 | hdr[7]) != h || be32(hdr + 8) != 0)
		die("frame rectangle");
	get(px, w * h * 4);
}

/* Characters typed with Shift on a US keyboard. */
static int shifted(char c)
{
	return (c >= 'A' && c <= 'Z') || strchr("~!@#$%^&*()_+{}|:\"<>?", c);
}

static void connect_to(const char *spec)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_un un;
	} a = { 0 };
	socklen_t len;
	char host[64];
	const char *colon;

	if (!strncmp(spec, "unix:", 5)) {
		a.un.sun_family = AF_UNIX;
		snprintf(a.un.sun_path, sizeof(a.un.sun_path), "%s", spec + 5);
		len = sizeof(a.un);
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			die("address is ADDR:PORT or unix:PATH");
		memcpy(host, spec, colon - spec);
		host[colon - spec] = 0;
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &a.in.sin_addr) != 1)
			die("address");
		len = sizeof(a.in);
	}
	fd = socket(a.sa.sa_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, &a.sa, len))
		die("connect");
}

int main(int argc, char **argv)
{
	uint8_t ver[12], n, types[16], res[4], si[24];
	uint32_t w, h, namelen, i, lit = 0, bytes;
	const char *t;
	char name[256];
	uint8_t *px;

	if (argc != 5) {
		fprintf(stderr, "usage: vnc_type ADDR:PORT|unix:PATH TEXT X Y\n");
		return 2;
	}
	connect_to(argv[1]);
	get(ver, 12);
	if (memcmp(ver, "RFB 003.", 8))
		die("not an RFB server");
	put("RFB 003.008\n", 12);
	get(&n, 1);
	if (!n || n > sizeof(types))
		die("security types");
	get(types, n);
	if (!memchr(types, 1, n))
		die("no security type None");
	put("\1", 1);
	get(res, 4);
	if (be32(res))
		die("security refused");
	put("\1", 1);			/* shared */
	get(si, sizeof(si));
	w = si[0] << 8 | si[1];
	h = si[2] << 8 | si[3];
	namelen = be32(si + 20);
	if (namelen >= sizeof(name) || si[4] != 32)
		die("server init");
	get(name, namelen);
	name[namelen] = 0;
	printf("# display %ux%u, %s\n", w, h, name);

	bytes = w * h * 4;
	px = malloc(bytes);
	if (!px)
		die("malloc");
	frame(w, h, px);
	for (i = 0; i < w * h; i++)
		lit += px[4 * i] || px[4 * i + 1] || px[4 * i + 2];
	printf("# frame: %u bytes, %u pixels lit\n", bytes, lit);

	for (t = argv[2]; *t; t++) {
		uint32_t ks = *t == '\n' ? 0xff0d : (uint8_t)*t;

		if (shifted(*t))
			key(0xffe1, 1);
		key(ks, 1);
		key(ks, 0);
		if (shifted(*t))
			key(0xffe1, 0);
	}
	pointer(0, (uint16_t)atoi(argv[3]), (uint16_t)atoi(argv[4]));
	pointer(1, (uint16_t)atoi(argv[3]), (uint16_t)atoi(argv[4]));
	pointer(0, (uint16_t)atoi(argv[3]), (uint16_t)atoi(argv[4]));
	/* a last round trip: everything before it was taken */
	frame(w, h, px);
	free(px);
	close(fd);
	return 0;
}
