// SPDX-License-Identifier: GPL-2.0
/*
 * argo_char_test: /dev/argo from userspace, in one domain, as TAP.
 *
 * Every ioctl's success and failure paths with their exact errno, read and
 * write semantics, non-blocking and blocking calls, poll wakeups, signals
 * during blocked calls, several threads and processes, and a run of
 * random ioctl arguments (the rig fails the run if the kernel complains).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libargo.h"
#include "../lib/tap.h"

static int self;

/* A ring that fills exactly one page: 4096 bytes less the ring header. */
#define ONE_PAGE (4096 - 64)

/* Call, then check that it failed with @err (or succeeded for err 0). */
#define EXPECT_ERRNO(call, err, ...) do {				\
	errno = 0;							\
	long _r = (long)(call);						\
	int _e = _r < 0 ? errno : 0;					\
	if (!tap_ok(_e == (err), __VA_ARGS__))				\
		printf("# %s returned %ld errno %d (%s), want %d (%s)\n",	\
		       #call, _r, _e, strerror(_e), err, strerror(err));	\
} while (0)

static int bound(uint32_t port, uint16_t partner, uint32_t size, int flags)
{
	int fd = argo_open(flags);

	if (fd < 0 || argo_bind(fd, &port, partner, size)) {
		printf("# open/bind port %#x: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static uint32_t port_of(int fd)
{
	struct argo_name n;

	argo_getname(fd, &n);
	return n.port;
}

static void test_unbound(void)
{
	struct argo_name name;
	struct argo_msg msg;
	struct argo_addr a;
	struct stat st;
	char b[8];
	int fd;

	tap_ok(!stat(ARGO_DEV_PATH, &st) && (st.st_mode & 0777) == 0600,
	       "/dev/argo exists with mode 0600");
	fd = argo_open(0);
	tap_ok(fd >= 0, "open /dev/argo");
	EXPECT_ERRNO(read(fd, b, sizeof(b)), ENOTCONN, "read before bind: ENOTCONN");
	EXPECT_ERRNO(write(fd, b, 1), ENOTCONN, "write before bind: ENOTCONN");
	memset(&msg, 0, sizeof(msg));
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_RECVFROM, &msg), ENOTCONN, "RECVFROM before bind: ENOTCONN");
	msg.addr.domid = self;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_SENDTO, &msg), ENOTCONN, "SENDTO before bind: ENOTCONN");
	memset(&a, 0, sizeof(a));
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_CONNECT, &a), ENOTCONN, "CONNECT before bind: ENOTCONN");
	memset(&name, 0xff, sizeof(name));
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_GETNAME, &name), 0, "GETNAME before bind");
	tap_ok(name.port == 0 && name.domid == self && name.ring_size == 0 &&
	       name.pad == 0 && name.peer.port == 0 && name.peer.pad == 0,
	       "GETNAME before bind: port 0, our domid, every other byte zero");
	close(fd);
}

static void test_bad_args(void)
{
	struct argo_bind b;
	struct argo_msg m;
	struct argo_query q;
	struct argo_addr a;
	int fd = argo_open(0);

	EXPECT_ERRNO(ioctl(fd, _IO(ARGO_IOC_MAGIC, 99)), ENOTTY, "unknown ioctl: ENOTTY");
	EXPECT_ERRNO(ioctl(fd, _IOW('x', 1, int), 0), ENOTTY, "foreign ioctl: ENOTTY");
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_BIND, (void *)8), EFAULT, "BIND with a bad pointer: EFAULT");
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_QUERY, (void *)8), EFAULT, "QUERY with a bad pointer: EFAULT");
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_GETNAME, (void *)8), EFAULT, "GETNAME with a bad pointer: EFAULT");
	memset(&b, 0, sizeof(b));
	b.pad = 1;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_BIND, &b), EINVAL, "BIND with pad set: EINVAL");
	b.pad = 0;
	b.flags = 4;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_BIND, &b), EINVAL, "BIND with unknown flags: EINVAL");
	b.flags = 0;
	b.partner = 0x7FF0;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_BIND, &b), EINVAL, "BIND with a reserved partner domid: EINVAL");
	b.partner = self;
	b.ring_size = 0x1000000;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_BIND, &b), EINVAL, "BIND with a 16 MiB ring: EINVAL");
	memset(&q, 0, sizeof(q));
	q.addr.domid = 0x7FF2;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_QUERY, &q), EINVAL, "QUERY of a reserved domid: EINVAL");

	/* bind for real, then the bound-only checks */
	memset(&b, 0, sizeof(b));
	b.partner = self;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_BIND, &b), 0, "BIND (auto port, default size)");
	tap_ok(b.port >= 0x80000000u, "auto port %#x is ephemeral", b.port);
	tap_is(b.ring_size, 17 * 4096 - 64, "default 64 KiB ring rounded to fill 17 pages");
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_BIND, &b), EINVAL, "second BIND on one file: EINVAL");
	memset(&m, 0, sizeof(m));
	m.addr.domid = self;
	m.addr.port = b.port;
	m.pad = 1;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_SENDTO, &m), EINVAL, "SENDTO with pad set: EINVAL");
	m.pad = 0;
	m.buf = 8;
	m.len = 16;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_SENDTO, &m), EFAULT, "SENDTO from a bad buffer: EFAULT");
	m.buf = 0;
	m.len = 0;
	m.flags = ARGO_MSG_TRUNC;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_RECVFROM, &m), EINVAL, "RECVFROM with flags set: EINVAL");
	memset(&a, 0, sizeof(a));
	a.domid = 0x7FF0;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_CONNECT, &a), EINVAL, "CONNECT to a reserved domid: EINVAL");
	a.domid = self;
	a.pad = 3;
	EXPECT_ERRNO(ioctl(fd, ARGO_IOC_CONNECT, &a), EINVAL, "CONNECT with pad set: EINVAL");
	EXPECT_ERRNO(write(fd, "x", 1), EDESTADDRREQ, "write before CONNECT: EDESTADDRREQ");
	close(fd);
}

static void test_messages(void)
{
	int rx = bound(0x4000, self, ONE_PAGE, 0), tx = bound(ARGO_PORT_ANY, self, 0, 0);
	uint32_t type = 0, sport = 0;
	uint16_t sdom = 0;
	char buf[64];
	size_t full;
	ssize_t n;
	int fd2;
	pid_t pid;
	int st;

	fd2 = argo_open(0);
	EXPECT_ERRNO(argo_bind(fd2, &(uint32_t){ 0x4000 }, self, 0), EADDRINUSE,
		     "second file on the same port and partner: EADDRINUSE");
	close(fd2);
	pid = fork();
	if (!pid) {
		fd2 = argo_open(0);
		_exit(argo_bind(fd2, &(uint32_t){ 0x4000 }, self, 0) == -1 &&
		      errno == EADDRINUSE ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "another process on the same port: EADDRINUSE");

	n = argo_sendto(tx, "hello argo", 10, 77, self, 0x4000);
	tap_is(n, 10, "SENDTO returns the byte count");
	n = argo_recvfrom(rx, buf, sizeof(buf), &type, &sdom, &sport, &full);
	tap_ok(n == 10 && !memcmp(buf, "hello argo", 10) && type == 77 &&
	       sdom == self && sport == port_of(tx) && full == 10,
	       "RECVFROM: payload, type, source domain and port");

	argo_sendto(tx, "0123456789", 10, 1, self, 0x4000);
	EXPECT_ERRNO(read(rx, buf, 4), EMSGSIZE, "read() with a short buffer: EMSGSIZE");
	n = read(rx, buf, sizeof(buf));
	tap_ok(n == 10 && !memcmp(buf, "0123456789", 10),
	       "the message stayed for the next read()");
	argo_sendto(tx, "abcdefghij", 10, 2, self, 0x4000);
	n = argo_recvfrom(rx, buf, 4, &type, NULL, NULL, &full);
	tap_ok(n == 4 && full == 10 && !memcmp(buf, "abcd", 4),
	       "RECVFROM with a short buffer truncates and reports the full length");
	EXPECT_ERRNO(argo_sendto(tx, "", 0, 3, self, 0x4000), 0, "zero-length message sent");
	n = argo_recvfrom(rx, buf, sizeof(buf), &type, NULL, NULL, NULL);
	tap_ok(n == 0 && type == 3, "zero-length message received");
	argo_sendto(tx, "", 0, 4, self, 0x4000);
	argo_sendto(tx, "after", 5, 5, self, 0x4000);
	n = read(rx, buf, sizeof(buf));
	tap_ok(n == 5 && !memcmp(buf, "after", 5),
	       "read() skips a zero-length message (never 0, which is end of file): %zd", n);

	EXPECT_ERRNO(argo_sendto(tx, "x", 1, 0, self, 0x4001), ECONNREFUSED,
		     "send to a port without ring: ECONNREFUSED");
	EXPECT_ERRNO(argo_sendto(tx, "x", 1, 0, 0x7000, 1), ESRCH,
		     "send to a missing domain: ESRCH");
	{
		size_t big = 8192;
		char *p = calloc(1, big);

		EXPECT_ERRNO(argo_sendto(tx, p, big, 0, self, 0x4000), EMSGSIZE,
			     "message larger than the ring: EMSGSIZE");
		free(p);
	}
	{
		int room = -1;
		uint32_t max = 0;

		tap_is(argo_query(tx, self, 0x4000, 100, &room, &max), 1, "QUERY: ring exists");
		tap_ok(room == 1 && max == ONE_PAGE - 32, "QUERY: room for 100 bytes, max %u", max);
		tap_is(argo_query(tx, self, 0x4001, 1, &room, &max), 0, "QUERY: no ring on another port");
	}
	EXPECT_ERRNO(argo_connect(tx, self, 0x4000), 0, "CONNECT");
	tap_is(write(tx, "via write", 9), 9, "write() sends to the connected peer");
	n = read(rx, buf, sizeof(buf));
	tap_ok(n == 9 && !memcmp(buf, "via write", 9), "read() gets it");
	tap_is(fsync(tx), 0, "fsync with no send in progress");
	close(rx);
	close(tx);
}

static void test_nonblock_and_poll(void)
{
	int rx = bound(0x4100, self, ONE_PAGE, O_NONBLOCK);
	int tx = bound(ARGO_PORT_ANY, self, 0, O_NONBLOCK);
	char buf[1000], in[1000];
	int i, ev;

	EXPECT_ERRNO(read(rx, buf, sizeof(buf)), EAGAIN, "non-blocking read of an empty ring: EAGAIN");
	tap_is(argo_wait(rx, POLLIN, 0), 0, "poll: no POLLIN on an empty ring");
	argo_connect(tx, self, 0x4100);
	tap_ok(argo_wait(tx, POLLOUT, 0) & POLLOUT, "poll: POLLOUT before the peer is full");
	memset(buf, 'q', sizeof(buf));
	for (i = 0; i < 10 && write(tx, buf, sizeof(buf)) == sizeof(buf); i++)
		;
	tap_ok(i < 10 && errno == EAGAIN, "non-blocking write to a full ring: EAGAIN after %d messages", i);
	tap_ok(argo_wait(rx, POLLIN, 1000) & POLLIN, "poll: POLLIN when messages wait");
	tap_is(argo_wait(tx, POLLOUT, 0), 0, "poll: no POLLOUT while the peer's ring is full");
	tap_is(read(rx, in, sizeof(in)), 1000, "reader takes one message");
	while (read(rx, in, sizeof(in)) > 0)
		;
	ev = argo_wait(tx, POLLOUT, 5000);
	tap_ok(ev & POLLOUT, "poll: POLLOUT again once the reader freed space");
	tap_is(write(tx, buf, sizeof(buf)), sizeof(buf), "write succeeds again");
	close(rx);
	close(tx);
}

struct delayed {
	int fd;
	int ms;
	int what;	/* 0: send one message, 1: drain, 2: one blocking write */
	uint32_t port;
};

static void *delayed_fn(void *arg)
{
	struct delayed *d = arg;
	char buf[4096];

	usleep(d->ms * 1000);
	if (d->what == 0) {
		argo_sendto(d->fd, "wake", 4, 9, self, d->port);
	} else if (d->what == 1) {
		while (read(d->fd, buf, sizeof(buf)) > 0)
			;
	} else {
		/* one blocking write of a full-size message; ms = 1 on success */
		memset(buf, 'b', 1000);
		d->ms = write(d->fd, buf, 1000) == 1000;
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_blocking_and_signals(void)
{
	int rx = bound(0x4200, self, ONE_PAGE, 0), tx = bound(ARGO_PORT_ANY, self, 0, 0);
	struct delayed d = { .fd = tx, .ms = 300, .what = 0, .port = 0x4200 };
	struct sigaction sa;
	pthread_t th;
	char buf[1000];
	double t0;
	ssize_t n;
	int i;

	pthread_create(&th, NULL, delayed_fn, &d);
	t0 = now();
	n = read(rx, buf, sizeof(buf));
	tap_ok(n == 4 && now() - t0 >= 0.25, "blocking read waits for a message (%.2f s)", now() - t0);
	pthread_join(th, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);		/* no SA_RESTART */
	alarm(1);
	EXPECT_ERRNO(read(rx, buf, sizeof(buf)), EINTR, "signal during a blocked read: EINTR");

	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	d.ms = 1500;
	pthread_create(&th, NULL, delayed_fn, &d);
	alarm(1);
	n = read(rx, buf, sizeof(buf));
	tap_ok(n == 4, "with SA_RESTART the read restarts and gets the later message");
	pthread_join(th, NULL);

	/* blocking write to a full ring, released by a reader */
	argo_connect(tx, self, 0x4200);
	memset(buf, 'w', sizeof(buf));
	for (i = 0; i < 3; i++)	/* 3 x 1024 bytes fill the 4032-byte ring */
		write(tx, buf, sizeof(buf));
	fcntl(rx, F_SETFL, O_NONBLOCK);
	d.fd = rx;
	d.ms = 300;
	d.what = 1;
	pthread_create(&th, NULL, delayed_fn, &d);
	t0 = now();
	n = write(tx, buf, sizeof(buf));
	tap_ok(n == sizeof(buf) && now() - t0 >= 0.25,
	       "blocking write to a full ring waits for space (%.2f s)", now() - t0);
	pthread_join(th, NULL);

	/* close() of a copy of the file must not wait for a blocked writer */
	{
		struct delayed w = { .fd = tx, .ms = 0, .what = 2 };
		int dupfd;

		while (read(rx, buf, sizeof(buf)) > 0)
			;
		for (i = 0; i < 3; i++)
			write(tx, buf, sizeof(buf));
		pthread_create(&th, NULL, delayed_fn, &w);
		usleep(200 * 1000);	/* the writer is blocked by now */
		dupfd = dup(tx);
		t0 = now();
		close(dupfd);
		tap_ok(now() - t0 < 0.1, "close() of a dup does not wait for a blocked writer (%.3f s)",
		       now() - t0);
		while (read(rx, buf, sizeof(buf)) > 0)	/* release the writer */
			;
		pthread_join(th, NULL);
		tap_ok(w.ms == 1, "the blocked writer completed once space was freed");
		while (read(rx, buf, sizeof(buf)) > 0)
			;
	}

	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	while (read(rx, buf, sizeof(buf)) > 0)	/* rx is non-blocking now */
		;
	for (i = 0; i < 3; i++)
		write(tx, buf, sizeof(buf));	/* fill it again */
	alarm(1);
	n = write(tx, buf, sizeof(buf));
	tap_ok(n < 0 && errno == EINTR, "signal during a blocked write: EINTR");
	alarm(0);
	close(rx);
	close(tx);
}

#define THREADS 4
#define PER_THREAD 500

struct sender {
	int fd;
	int id;
	int errors;
};

/* Make argo-core report the ring of @fd lost with -@err (debugfs). */
static int lose_ring(int fd, int err)
{
	char cmd[64];
	int d = open("/sys/kernel/debug/argo/lose_ring", O_WRONLY);
	int n, ok;

	if (d < 0)
		return -1;
	n = snprintf(cmd, sizeof(cmd), "%x %d %d", port_of(fd), self, err);
	ok = write(d, cmd, n) == n;
	close(d);
	return ok ? 0 : -1;
}

struct blocked_read {
	int fd;
	ssize_t ret;
	int err;
	double when;
};

static void *blocked_read_fn(void *arg)
{
	struct blocked_read *b = arg;
	char buf[64];

	b->ret = read(b->fd, buf, sizeof(buf));
	b->err = errno;
	b->when = now();
	return NULL;
}

/*
 * A ring lost after a restore (here: argo-core's lose_ring in debugfs,
 * which does what a resume that cannot register the ring again does):
 * what the ring held is still read, then every call fails with the
 * reason, blocked readers at once, and poll() reports POLLERR.
 */
static void test_lost_ring(void)
{
	int rx = bound(0x4300, self, ONE_PAGE, 0), tx = bound(ARGO_PORT_ANY, self, 0, 0);
	int idle = bound(0x4301, self, ONE_PAGE, 0), fd;
	struct blocked_read b = { .fd = idle };
	pthread_t th;
	char buf[64];
	double t0;
	ssize_t n;

	argo_sendto(tx, "held", 4, 0, self, 0x4300);
	pthread_create(&th, NULL, blocked_read_fn, &b);
	usleep(300 * 1000);
	t0 = now();
	tap_ok(!lose_ring(rx, EACCES) && !lose_ring(idle, ESRCH),
	       "debugfs lose_ring takes both rings away");
	pthread_join(th, NULL);
	tap_ok(b.ret == -1 && b.err == ESRCH,
	       "a reader blocked on the lost ring wakes with its errno (ESRCH): %zd %s",
	       b.ret, strerror(b.err));
	tap_ok(b.when - t0 < 2.0, "within 2 s (%.2f s)", b.when - t0);
	tap_ok(argo_wait(rx, POLLIN, 0) & POLLERR, "poll reports POLLERR");
	n = read(rx, buf, sizeof(buf));
	tap_ok(n == 4 && !memcmp(buf, "held", 4), "what the ring held is still read");
	EXPECT_ERRNO(read(rx, buf, sizeof(buf)), EACCES, "then read() fails with the ring's errno (EACCES)");
	EXPECT_ERRNO(argo_recvfrom(rx, buf, sizeof(buf), NULL, NULL, NULL, NULL), EACCES,
		     "RECVFROM too");
	EXPECT_ERRNO(argo_sendto(rx, "x", 1, 0, self, 0x4301), EACCES, "and sends");
	EXPECT_ERRNO(argo_sendto(tx, "x", 1, 0, self, 0x4300), ECONNREFUSED,
		     "the hypervisor has no ring there any more: ECONNREFUSED");
	fd = argo_open(0);
	EXPECT_ERRNO(argo_bind(fd, &(uint32_t){ 0x4300 }, self, 0), EADDRINUSE,
		     "the lost ring keeps its port while its file is open");
	close(rx);
	EXPECT_ERRNO(argo_bind(fd, &(uint32_t){ 0x4300 }, self, 0), 0,
		     "closing the file frees the port for a new ring");
	tap_is(argo_sendto(tx, "new", 3, 0, self, 0x4300), 3, "which receives");
	close(fd);
	close(idle);
	close(tx);
}

/* Fill the ring at (self, @port) from @tx until a send would block. */
static int fill(int tx, uint32_t port)
{
	char buf[1000] = { 0 };
	int n = 0;

	while (argo_sendto(tx, buf, sizeof(buf), 0, self, port) == sizeof(buf))
		n++;
	return errno == EAGAIN ? n : -1;
}

static void drain(int fd)
{
	char buf[1000];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* The next notice on @fd as "kind port status", or "none". */
static const char *next_notice(int fd, int timeout_ms)
{
	static char out[64];
	uint32_t kind, port;
	int32_t status;

	if (!(argo_wait(fd, POLLPRI, timeout_ms) & POLLPRI))
		return "none";
	if (argo_notice(fd, &kind, NULL, &port, NULL, &status) != 1)
		return "poll said POLLPRI, but no notice";
	snprintf(out, sizeof(out), "%s %#x %s",
		 kind == ARGO_NOTICE_SPACE ? "space" : kind == ARGO_NOTICE_GONE ? "gone" : "?",
		 port, status ? strerrorname_np(-status) : "0");
	return out;
}

/*
 * Notices: one file, no ring of its own, waits for room at several
 * destinations and for a ring to go; poll() says POLLPRI, ARGO_IOC_NOTICE
 * says which.
 */
static void test_notices(void)
{
	int nf = argo_open(O_NONBLOCK), tx = bound(ARGO_PORT_ANY, self, 0, O_NONBLOCK);
	int a = bound(0x4400, self, ONE_PAGE, O_NONBLOCK), b = bound(0x4401, self, ONE_PAGE, O_NONBLOCK);
	int g = bound(0x4402, self, ONE_PAGE, 0);
	struct argo_notice bad = { .addr = { .domid = self, .port = 1 }, .kind = 3 };
	unsigned int i;

	tap_ok(fill(tx, 0x4400) > 0 && fill(tx, 0x4401) > 0, "two destinations filled");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_SPACE, self, 0x4400, 1000), 0,
		     "WATCH space at the first, from a file without a ring");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_SPACE, self, 0x4401, 1000), 0,
		     "WATCH space at the second");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_GONE, self, 0x4402, 0), 0,
		     "WATCH a third ring going");
	tap_is(strcmp(next_notice(nf, 700), "none"), 0, "no notice while both are full and the third is there");
	drain(b);
	tap_is(strcmp(next_notice(nf, 3000), "space 0x4401 0"), 0,
	       "draining the second: POLLPRI, and the notice names it");
	tap_is(strcmp(next_notice(nf, 300), "none"), 0, "only that one");
	drain(a);
	tap_is(strcmp(next_notice(nf, 3000), "space 0x4400 0"), 0, "then the first");
	close(g);
	tap_is(strcmp(next_notice(nf, 3000), "gone 0x4402 ECONNRESET"), 0,
	       "closing the third's file: a gone notice within 3 s");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_SPACE, self, 0x4403, 10), 0, "WATCH space where no ring is");
	tap_is(strcmp(next_notice(nf, 3000), "space 0x4403 ECONNREFUSED"), 0, "fires with ECONNREFUSED");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_SPACE, self, 0x4400, 8192), 0, "WATCH for more than the ring holds");
	tap_is(strcmp(next_notice(nf, 3000), "space 0x4400 EMSGSIZE"), 0, "fires with EMSGSIZE");
	tap_is(argo_notice(nf, NULL, NULL, NULL, NULL, NULL), 0, "NOTICE with none waiting: 0 (EAGAIN)");

	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_GONE, self, 0x4400, 0), 0, "WATCH gone of a live ring");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_GONE, self, 0x4400, 0), 0, "arming it twice is one notice");
	EXPECT_ERRNO(argo_unwatch(nf, ARGO_NOTICE_GONE, self, 0x4400), 0, "UNWATCH disarms it");
	EXPECT_ERRNO(argo_unwatch(nf, ARGO_NOTICE_GONE, self, 0x4400), ENOENT, "UNWATCH again: ENOENT");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_GONE, self, 0x4400, 5), EINVAL, "gone with a length: EINVAL");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_SPACE, 0x7FF0, 1, 5), EINVAL, "a reserved domid: EINVAL");
	EXPECT_ERRNO(ioctl(nf, ARGO_IOC_WATCH, &bad), EINVAL, "an unknown kind: EINVAL");
	for (i = 0; i < 1024; i++)
		if (argo_watch(nf, ARGO_NOTICE_SPACE, self, 0x5000 + i, 1))
			break;
	tap_is(i, 1024, "1024 notices on one file");
	EXPECT_ERRNO(argo_watch(nf, ARGO_NOTICE_SPACE, self, 0x5000 + i, 1), ENOSPC, "the 1025th: ENOSPC");
	close(nf);	/* with 1024 notices, armed and fired: all go */
	close(a);
	close(b);
	close(tx);
}

static void *sender_fn(void *arg)
{
	struct sender *s = arg;
	uint32_t msg[2] = { (uint32_t)s->id, 0 };

	for (msg[1] = 0; msg[1] < PER_THREAD; msg[1]++)
		if (write(s->fd, msg, sizeof(msg)) != sizeof(msg))
			s->errors++;
	return NULL;
}

static void test_threads(void)
{
	int rx = bound(0x4300, self, 8192, 0), tx = bound(ARGO_PORT_ANY, self, 0, 0);
	uint32_t next[THREADS] = { 0 }, msg[2];
	struct sender s[THREADS];
	pthread_t th[THREADS];
	int i, bad = 0, errors = 0, got = 0;

	argo_connect(tx, self, 0x4300);
	for (i = 0; i < THREADS; i++) {
		s[i] = (struct sender){ .fd = tx, .id = i };
		pthread_create(&th[i], NULL, sender_fn, &s[i]);
	}
	while (got < THREADS * PER_THREAD && argo_wait(rx, POLLIN, 10000) > 0) {
		if (read(rx, msg, sizeof(msg)) != sizeof(msg) || msg[0] >= THREADS ||
		    msg[1] != next[msg[0]])
			bad++;
		else
			next[msg[0]]++;
		got++;
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		errors += s[i].errors;
	}
	tap_ok(!errors && got == THREADS * PER_THREAD && !bad,
	       "%d threads on one file: %d messages, %d send errors, %d out of order",
	       THREADS, got, errors, bad);
	close(rx);
	close(tx);
}

/* Random ioctl commands and structure contents: only errors, no crash. */
static void test_fuzz(unsigned int iterations)
{
	static const unsigned int cmds[] = {
		ARGO_IOC_BIND, ARGO_IOC_CONNECT, ARGO_IOC_SENDTO,
		ARGO_IOC_RECVFROM, ARGO_IOC_GETNAME, ARGO_IOC_QUERY,
		ARGO_IOC_WATCH, ARGO_IOC_UNWATCH, ARGO_IOC_NOTICE,
	};
	unsigned char arg[64];
	unsigned int i, j, odd = 0;
	int fd = -1, r;

	srand(1234);
	for (i = 0; i < iterations; i++) {
		if (fd < 0 || i % 64 == 0) {
			if (fd >= 0)
				close(fd);
			fd = argo_open(O_NONBLOCK);
		}
		for (j = 0; j < sizeof(arg); j++)
			arg[j] = rand();
		if (rand() % 4 == 0)
			((struct argo_msg *)arg)->buf = (uintptr_t)arg;
		if (rand() % 2)
			memset(arg + 4, 0, 12);	/* often valid-looking */
		r = ioctl(fd, rand() % 8 ? cmds[rand() % 9] : (unsigned int)rand(),
			  rand() % 16 ? (void *)arg : (void *)(uintptr_t)rand());
		if (r < 0 && errno != EINVAL && errno != EFAULT && errno != ENOTTY &&
		    errno != ENOTCONN && errno != EAGAIN && errno != ECONNREFUSED &&
		    errno != ESRCH && errno != EMSGSIZE && errno != EADDRINUSE &&
		    errno != EPERM && errno != ENOSPC && errno != EACCES &&
		    errno != EDESTADDRREQ && errno != ENOMEM && errno != ENOENT)
			odd++;
	}
	close(fd);
	tap_ok(!odd, "%u random ioctls: only documented errors (%u others)", iterations, odd);
}

int main(int argc, char **argv)
{
	int fd;

	tap_start();
	fd = argo_open(0);
	self = fd < 0 ? -1 : argo_domid(fd);
	if (fd < 0) {
		tap_ok(0, "open /dev/argo: %s", strerror(errno));
		return tap_done();
	}
	close(fd);
	printf("# domain %d\n", self);
	test_unbound();
	test_bad_args();
	test_messages();
	test_nonblock_and_poll();
	test_blocking_and_signals();
	test_threads();
	test_lost_ring();
	test_notices();
	test_fuzz(argc > 1 ? atoi(argv[1]) : 20000);
	return tap_done();
}
