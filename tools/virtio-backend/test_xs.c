// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of argo-virtio-backend's xenstore client (xs.c): a fake
 * xenstored on a unix socket (ARGO_XENSTORE_PATH), forked afresh for each
 * case, reads the request, checks that it is a well-formed XS_READ of
 * /local/domain/DOMID/name, and answers as scripted: a name, an error, or
 * something broken or hostile.  Every case must end with the right
 * answer, and within the client's 2 s timeout, never hanging or crashing.
 * Output is TAP.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <argo/kshim_user.h>

#include "xs.h"
#include "test_tap.h"

/* xs_wire.h's numbers, restated as in xs.c */
#define XS_READ		2
#define XS_WRITE	11
#define XS_WATCH_EVENT	15
#define XS_ERROR	16
#define HDR		16

static char dir[] = "/tmp/test_xs.XXXXXX";
static char sock_path[sizeof(dir) + 16];
static uint16_t want_domid;

/* ---- the fake xenstored ---- */

static bool read_all(int fd, unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			return false;
		buf += n;
		len -= n;
	}
	return true;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/* A message with header fields as given: @len need not be @n. */
static void send_msg_tx(int fd, uint32_t type, uint32_t id, uint32_t tx,
			uint32_t len, const void *payload, size_t n)
{
	unsigned char hdr[HDR];

	put_le32(hdr, type);
	put_le32(hdr + 4, id);
	put_le32(hdr + 8, tx);
	put_le32(hdr + 12, len);
	write_all(fd, hdr, sizeof(hdr));
	write_all(fd, payload, n);
}

static void send_msg(int fd, uint32_t type, uint32_t id, uint32_t len,
		     const void *payload, size_t n)
{
	send_msg_tx(fd, type, id, 0, len, payload, n);
}

static void reply(int fd, uint32_t type, uint32_t id, const void *payload,
		  size_t n)
{
	send_msg(fd, type, id, n, payload, n);
}

/* How the fake xenstored answers request @id on @fd. */
typedef void (*serve_fn)(int fd, uint32_t id);

/*
 * The request is read whole and checked; only a good one is answered, and
 * said to be good on @okfd (the server may be killed once the client has
 * its answer, so its exit status would not tell).
 */
static void fake_xenstored(int lfd, int okfd, serve_fn serve)
{
	unsigned char hdr[HDR], body[64];
	char want[64];
	uint32_t len;
	int fd, n;

	alarm(10);	/* never outlive a broken test */
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || !read_all(fd, hdr, sizeof(hdr)))
		return;
	len = get_le32(hdr + 12);
	n = snprintf(want, sizeof(want), "/local/domain/%u/name", want_domid) + 1;
	if (get_le32(hdr) != XS_READ || get_le32(hdr + 8) || len != (uint32_t)n ||
	    !read_all(fd, body, len) || memcmp(body, want, n))
		return;
	write_all(okfd, "y", 1);
	serve(fd, get_le32(hdr + 4));
	close(fd);
}

struct result {
	int ret;
	bool req_ok;		/* the fake xenstored's check of the request */
	double secs;		/* how long xs_domain_name() took */
	char name[64];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Look up @domid's name (at most @len bytes) from a fake xenstored. */
static struct result run(uint16_t domid, size_t len, serve_fn serve)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct result r = { .ret = -1 };
	int lfd, okfd[2];
	double t0;
	char c;
	pid_t pid;

	want_domid = domid;
	memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
	unlink(sock_path);
	/* listening before the fork: the client never races the server */
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 1) || pipe(okfd)) {
		printf("Bail out! fake xenstored: %s\n", strerror(errno));
		exit(1);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	if (!pid) {
		close(okfd[0]);
		fake_xenstored(lfd, okfd[1], serve);
		_exit(0);
	}
	close(lfd);
	close(okfd[1]);
	memset(r.name, 'x', sizeof(r.name));
	t0 = now();
	r.ret = xs_domain_name(domid, r.name, len);
	r.secs = now() - t0;
	/* a server still waiting (the silent one) is done with */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	r.req_ok = read(okfd[0], &c, 1) == 1;
	close(okfd[0]);
	unlink(sock_path);
	return r;
}

/* ---- the scripts ---- */

static void serve_name(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "guest-1", 7);
}

static void serve_name_nul(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "guest-1", 8);
}

static void serve_dom0(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "Domain-0", 8);
}

static void serve_enoent(int fd, uint32_t id)
{
	reply(fd, XS_ERROR, id, "ENOENT", 7);
}

static void serve_eacces(int fd, uint32_t id)
{
	reply(fd, XS_ERROR, id, "EACCES", 7);
}

static void serve_einval(int fd, uint32_t id)
{
	reply(fd, XS_ERROR, id, "EINVAL", 7);
}

/* "ENOENTX": a prefix of a known name is not that name */
static void serve_enoentx(int fd, uint32_t id)
{
	reply(fd, XS_ERROR, id, "ENOENTX", 8);
}

static void serve_wrong_id(int fd, uint32_t id)
{
	reply(fd, XS_READ, id + 1, "guest-1", 7);
}

/* the request was in no transaction */
static void serve_wrong_tx(int fd, uint32_t id)
{
	send_msg_tx(fd, XS_READ, id, 5, 7, "guest-1", 7);
}

static void serve_wrong_type(int fd, uint32_t id)
{
	reply(fd, XS_WRITE, id, "guest-1", 7);
}

/* a type that would be negative as an int */
static void serve_huge_type(int fd, uint32_t id)
{
	reply(fd, 0xfffffff0, id, "guest-1", 7);
}

static void serve_short_hdr(int fd, uint32_t id)
{
	unsigned char hdr[HDR] = { 0 };

	put_le32(hdr, XS_READ);
	put_le32(hdr + 4, id);
	write_all(fd, hdr, 10);
}

static void serve_short_body(int fd, uint32_t id)
{
	send_msg(fd, XS_READ, id, 10, "gue", 3);
}

static void serve_over_max(int fd, uint32_t id)
{
	static char big[4097];

	memset(big, 'a', sizeof(big));
	send_msg(fd, XS_READ, id, sizeof(big), big, sizeof(big));
}

/* a length no buffer could take, and no bytes behind it */
static void serve_len_max(int fd, uint32_t id)
{
	send_msg(fd, XS_READ, id, 0xffffffff, NULL, 0);
}

static void serve_at_max(int fd, uint32_t id)
{
	static char big[4096];

	memset(big, 'a', sizeof(big));
	reply(fd, XS_READ, id, big, sizeof(big));
}

static void serve_slash(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "../etc", 6);
}

static void serve_ctrl(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "gu\x1b[2Jest", 9);
}

static void serve_high(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "gu\xc3\xa9st", 6);
}

static void serve_embedded_nul(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "guest\0-1", 8);
}

static void serve_empty(int fd, uint32_t id)
{
	reply(fd, XS_READ, id, "", 0);
}

static void serve_silent(int fd, uint32_t id)
{
	(void)fd;
	(void)id;
	sleep(10);
}

/* answers the request, then holds the connection open */
static void serve_then_hold(int fd, uint32_t id)
{
	serve_name(fd, id);
	sleep(10);
}

/* a reply that trickles in: a byte stream in pieces */
static void serve_drip(int fd, uint32_t id)
{
	unsigned char msg[HDR + 7];
	size_t i;

	put_le32(msg, XS_READ);
	put_le32(msg + 4, id);
	put_le32(msg + 8, 0);
	put_le32(msg + 12, 7);
	memcpy(msg + HDR, "guest-1", 7);
	for (i = 0; i < sizeof(msg); i++) {
		write_all(fd, msg + i, 1);
		usleep(2000);
	}
}

static void serve_watch_first(int fd, uint32_t id)
{
	static const char ev[] = "/local/domain/7/name\0tok";

	reply(fd, XS_WATCH_EVENT, 0, ev, sizeof(ev));
	reply(fd, XS_WATCH_EVENT, id, ev, sizeof(ev));
	serve_name(fd, id);
}

static void serve_watch_over_max(int fd, uint32_t id)
{
	send_msg(fd, XS_WATCH_EVENT, 0, 5000, NULL, 0);
	serve_name(fd, id);
}

static void serve_close(int fd, uint32_t id)
{
	(void)fd;
	(void)id;
}

/* ---- the cases ---- */

static void expect(const char *what, struct result r, int want,
		   const char *want_name)
{
	ok(r.ret == want, "%s: %d (want %d)", what, r.ret, want);
	if (want_name)
		ok(!strcmp(r.name, want_name), "%s: the name is \"%.*s\"",
		   what, (int)strnlen(r.name, sizeof(r.name)), r.name);
	else
		ok(!r.name[0], "%s: the name buffer is left empty", what);
	ok(r.req_ok, "%s: the request was an XS_READ of /local/domain/%u/name",
	   what, want_domid);
	ok(r.secs < 1.5, "%s: answered in %.3f s", what, r.secs);
}

/* No xenstore at @path, or one that refuses connections. */
static void no_xenstore(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char name[16];
	int fd, ret;

	setenv("ARGO_XENSTORE_PATH", "/nonexistent/xenstored/socket", 1);
	ret = xs_domain_name(7, name, sizeof(name));
	ok(ret == -ENODEV, "no such path: -ENODEV (%d)", ret);

	setenv("ARGO_XENSTORE_PATH", dir, 1);
	ret = xs_domain_name(7, name, sizeof(name));
	ok(ret == -ENODEV, "a directory, neither socket nor device: -ENODEV (%d)",
	   ret);

	/* a socket file nobody listens on any more */
	memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
		printf("# bind: %s\n", strerror(errno));
	close(fd);
	setenv("ARGO_XENSTORE_PATH", sock_path, 1);
	ret = xs_domain_name(7, name, sizeof(name));
	ok(ret == -ENODEV, "a dead socket (connection refused): -ENODEV (%d)", ret);

	/*
	 * A socket we may not connect to: root may connect anyway, so a
	 * child that is nobody (65534) tries it then.
	 */
	chmod(sock_path, 0);
	chmod(dir, 0755);
	if (geteuid()) {
		ret = xs_domain_name(7, name, sizeof(name));
	} else {
		int status = 0;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (!pid) {
			if (setgid(65534) || setuid(65534))
				_exit(255);
			_exit(-xs_domain_name(7, name, sizeof(name)));
		}
		waitpid(pid, &status, 0);
		ret = WIFEXITED(status) ? -WEXITSTATUS(status) : -255;
	}
	ok(ret == -EACCES, "a socket without permission: -EACCES (%d)", ret);
	chmod(dir, 0700);
	unlink(sock_path);
}

int main(void)
{
	struct result r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
	setenv("ARGO_XENSTORE_PATH", sock_path, 1);

	expect("a name", run(7, 16, serve_name), 0, "guest-1");
	expect("domain 0", run(0, 16, serve_dom0), 0, "Domain-0");
	expect("domid 65535 (the longest path)", run(65535, 16, serve_name), 0,
	       "guest-1");
	expect("a name with a NUL at its end", run(7, 16, serve_name_nul), 0,
	       "guest-1");
	expect("a name that just fits (7 + NUL in 8)", run(7, 8, serve_name), 0,
	       "guest-1");
	expect("a name one byte too long (7 + NUL in 7)",
	       run(7, 7, serve_name), -ENAMETOOLONG, NULL);
	expect("a watch event before the reply", run(7, 16, serve_watch_first),
	       0, "guest-1");
	expect("a reply in 1-byte pieces", run(7, 16, serve_drip), 0, "guest-1");
	expect("a server that keeps the connection open",
	       run(7, 16, serve_then_hold), 0, "guest-1");

	expect("XS_ERROR ENOENT", run(7, 16, serve_enoent), -ENOENT, NULL);
	expect("XS_ERROR EACCES", run(7, 16, serve_eacces), -EACCES, NULL);
	expect("XS_ERROR EINVAL", run(7, 16, serve_einval), -EIO, NULL);
	expect("XS_ERROR ENOENTX", run(7, 16, serve_enoentx), -EIO, NULL);
	expect("an empty name", run(7, 16, serve_empty), -ENOENT, NULL);

	expect("a reply with the wrong req_id", run(7, 16, serve_wrong_id),
	       -EIO, NULL);
	expect("a reply in a transaction (tx_id 5)", run(7, 16, serve_wrong_tx),
	       -EIO, NULL);
	expect("a reply of the wrong type (XS_WRITE)",
	       run(7, 16, serve_wrong_type), -EIO, NULL);
	expect("a reply of type 0xfffffff0", run(7, 16, serve_huge_type), -EIO,
	       NULL);
	expect("a truncated header", run(7, 16, serve_short_hdr), -EIO, NULL);
	expect("a truncated payload", run(7, 16, serve_short_body), -EIO, NULL);
	expect("no reply, connection closed", run(7, 16, serve_close), -EIO,
	       NULL);
	expect("a payload of 4097 bytes", run(7, 16, serve_over_max), -EIO,
	       NULL);
	expect("a payload length of 0xffffffff", run(7, 16, serve_len_max), -EIO,
	       NULL);
	expect("a watch event of 5000 bytes", run(7, 16, serve_watch_over_max),
	       -EIO, NULL);
	expect("a 4096-byte name (too long for 16)", run(7, 16, serve_at_max),
	       -ENAMETOOLONG, NULL);
	expect("a name with '/'", run(7, 16, serve_slash), -EIO, NULL);
	expect("a name with an escape sequence", run(7, 16, serve_ctrl), -EIO,
	       NULL);
	expect("a name with non-ASCII bytes", run(7, 16, serve_high), -EIO,
	       NULL);
	expect("a name with an embedded NUL", run(7, 16, serve_embedded_nul),
	       -EIO, NULL);

	r = run(7, 16, serve_silent);
	ok(r.ret == -ETIMEDOUT, "a silent xenstore: -ETIMEDOUT (%d)", r.ret);
	ok(r.secs >= 1.9 && r.secs < 3.0,
	   "a silent xenstore: given up after %.3f s (the timeout is 2 s)",
	   r.secs);
	ok(r.req_ok, "a silent xenstore: the request was well-formed");

	no_xenstore();
	rmdir(dir);
	printf("1..%d\n", testno);
	return failures ? 1 : 0;
}
