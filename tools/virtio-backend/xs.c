// SPDX-License-Identifier: GPL-2.0
/*
 * A domain's name from xenstore, without libxenstore (see xs.h for why
 * the backend wants names at all).
 *
 * The xenstore wire protocol is a stable ABI (Xen's public header
 * io/xs_wire.h).  Every message, request or reply, is a 16-byte header of
 * four little-endian 32-bit words, then the payload:
 *
 *   type    what the message is: a request's operation (XS_READ is 2), the
 *           same operation in its successful reply, XS_ERROR (16) in a
 *           failed one, and XS_WATCH_EVENT (15) for a watch that fired
 *   req_id  chosen by the client, echoed by the reply
 *   tx_id   the transaction, 0 for none
 *   len     payload bytes that follow, at most XENSTORE_PAYLOAD_MAX (4096)
 *
 * XS_READ's payload is the path, NUL-terminated; its reply is the value
 * (xenstored adds no NUL).  XS_ERROR's payload is the name of an errno,
 * such as "ENOENT", NUL-terminated: names travel instead of numbers since
 * errno values differ between the OSes xenstore runs on.
 *
 * Transports: the kernel's xenbus device, /dev/xen/xenbus, reaches
 * xenstore wherever it runs (dom0, a stub domain, or in a domU through the
 * domain's own xenstore ring); the daemon's unix socket, where xenstored
 * runs in this domain, is the fallback.  The device takes one whole
 * request per write() and queues whole replies, which it hands out to
 * reads of any size; a socket is a byte stream.  Reading exactly the
 * header, then exactly its payload, works for both.
 *
 * The backend calls this from its single-threaded poll loop, so nothing
 * here may wait without bound: the whole exchange, connect included,
 * has XS_TIMEOUT_MS.  Names are wanted once per guest connect, so each
 * call opens its own connection and closes it: no reconnect logic, and no
 * stale replies or watch events from an earlier call to confuse this one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <argo/kshim_user.h>

#include "xs.h"

/* From the xs_wire.h ABI, restated (see above). */
#define XS_READ			2
#define XS_WATCH_EVENT		15
#define XS_ERROR		16
#define XS_HDR_SIZE		16
#define XS_PAYLOAD_MAX		4096

#define XS_TIMEOUT_MS		2000
/* Only this path is tried when set: the host tests' fake xenstored. */
#define XS_PATH_ENV		"ARGO_XENSTORE_PATH"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

static const char *const xs_paths[] = {
	"/dev/xen/xenbus",
	"/run/xenstored/socket",
	"/var/run/xenstored/socket",
};

struct xs_conn {
	int fd;
	bool sock;		/* send() with MSG_NOSIGNAL, not write() */
	long long deadline;	/* CLOCK_MONOTONIC, ms */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for @events on the connection until its deadline. */
static int xs_wait(struct xs_conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };

	for (;;) {
		long long left = c->deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			/* POLLERR and POLLHUP: the read or write says what */
			return (pfd.revents & POLLNVAL) ? -EIO : 0;
		if (!n)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -EIO;
	}
}

/*
 * One path: a unix socket (xenstored) or a character device (xenbus);
 * anything else is not a xenstore.  Missing, refusing or of another kind:
 * -ENODEV; there but not ours to open: -EACCES.  Either way the caller
 * goes on to the next path.
 */
static int xs_open_path(struct xs_conn *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int ret;

	if (stat(path, &st))
		return errno == EACCES ? -EACCES : -ENODEV;
	if (S_ISCHR(st.st_mode)) {
		c->sock = false;
		c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (c->fd < 0)
			return errno == EACCES || errno == EPERM ? -EACCES : -ENODEV;
		return 0;
	}
	if (!S_ISSOCK(st.st_mode) || strlen(path) >= sizeof(addr.sun_path))
		return -ENODEV;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	c->sock = true;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -ENODEV;
	if (!connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)))
		return 0;
	/*
	 * A unix stream connect completes at once or fails; EAGAIN is a
	 * full listen backlog, a daemon that is not answering.
	 */
	if (errno == EAGAIN)
		ret = -ETIMEDOUT;
	else if (errno == EACCES || errno == EPERM)
		ret = -EACCES;
	else
		ret = -ENODEV;
	close(c->fd);
	c->fd = -1;
	return ret;
}

static int xs_open(struct xs_conn *c)
{
	const char *env = getenv(XS_PATH_ENV);
	bool denied = false;
	size_t i;

	if (env && *env)
		return xs_open_path(c, env);
	for (i = 0; i < ARRAY_SIZE(xs_paths); i++) {
		int ret = xs_open_path(c, xs_paths[i]);

		if (ret != -ENODEV && ret != -EACCES)
			return ret;
		denied |= ret == -EACCES;
	}
	/* a xenstore we may not use is not the same as none at all */
	return denied ? -EACCES : -ENODEV;
}

static int xs_send(struct xs_conn *c, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n;
		int ret;

		/* a socket whose daemon died must not SIGPIPE the backend */
		n = c->sock ? send(c->fd, buf, len, MSG_NOSIGNAL) :
			write(c->fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			return -EIO;
		ret = xs_wait(c, POLLOUT);
		if (ret)
			return ret;
	}
	return 0;
}

/* Exactly @len bytes: a reply that ends early is -EIO. */
static int xs_recv(struct xs_conn *c, unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(c->fd, buf, len);
		int ret;

		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			return -EIO;
		ret = xs_wait(c, POLLIN);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The reply to request @req_id: its type in @type, its payload in @buf (at
 * least XS_PAYLOAD_MAX bytes) and its length in @len.  A connection that
 * set no watch should see no watch event, but xenstore may send them
 * unasked on any connection: they are skipped, and the deadline bounds
 * how many.  A reply, error or not, echoes the request's req_id and tx_id
 * (docs/misc/xenstore.txt): this request's are ours and 0.
 */
static int xs_reply(struct xs_conn *c, uint32_t req_id, uint32_t *type,
		    unsigned char *buf, uint32_t *len)
{
	for (;;) {
		unsigned char hdr[XS_HDR_SIZE];
		int ret = xs_recv(c, hdr, sizeof(hdr));

		if (ret)
			return ret;
		*type = get_le32(hdr);
		*len = get_le32(hdr + 12);
		if (*len > XS_PAYLOAD_MAX)
			return -EIO;
		ret = xs_recv(c, buf, *len);
		if (ret)
			return ret;
		if (*type == XS_WATCH_EVENT)
			continue;
		return get_le32(hdr + 4) == req_id && !get_le32(hdr + 8) ? 0 : -EIO;
	}
}

/* XS_ERROR's errno name: the two that mean something to our callers. */
static int xs_error(const unsigned char *buf, uint32_t len)
{
	const unsigned char *nul = memchr(buf, '\0', len);
	size_t n = nul ? (size_t)(nul - buf) : len;

	if (n == 6 && !memcmp(buf, "ENOENT", 6))
		return -ENOENT;
	if (n == 6 && !memcmp(buf, "EACCES", 6))
		return -EACCES;
	return -EIO;
}

int xs_domain_name(uint16_t domid, char *name, size_t len)
{
	static uint32_t next_id;
	unsigned char req[XS_HDR_SIZE + sizeof("/local/domain/65535/name")];
	unsigned char buf[XS_PAYLOAD_MAX];
	struct xs_conn c = { .fd = -1 };
	uint32_t id, type, plen, i;
	int ret, n;

	if (name && len)
		name[0] = '\0';
	n = snprintf((char *)req + XS_HDR_SIZE, sizeof(req) - XS_HDR_SIZE,
		     "/local/domain/%u/name", domid) + 1;
	id = ++next_id;
	put_le32(req, XS_READ);
	put_le32(req + 4, id);
	put_le32(req + 8, 0);
	put_le32(req + 12, n);

	c.deadline = now_ms() + XS_TIMEOUT_MS;
	ret = xs_open(&c);
	if (ret)
		return ret;
	ret = xs_send(&c, req, XS_HDR_SIZE + n);
	if (!ret)
		ret = xs_reply(&c, id, &type, buf, &plen);
	close(c.fd);
	if (ret)
		return ret;
	if (type == XS_ERROR)
		return xs_error(buf, plen);
	if (type != XS_READ)
		return -EIO;

	/*
	 * xenstored sends the value without a NUL; tolerate one at the end
	 * all the same.  A name is matched against the backend's options
	 * and printed in its log: printable ASCII, no '/' (it could pose as
	 * a path), nothing embedded after a NUL.
	 */
	if (plen && !buf[plen - 1])
		plen--;
	if (!plen)
		return -ENOENT;
	for (i = 0; i < plen; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e || buf[i] == '/')
			return -EIO;
	if (!name || plen >= len)
		return -ENAMETOOLONG;
	memcpy(name, buf, plen);
	name[plen] = '\0';
	return 0;
}
