// SPDX-License-Identifier: GPL-2.0
/*
 * vsock_cat: the small AF_VSOCK tool the in-VM tests drive.
 *
 *   vsock_cat cid                       print this domain's CID
 *   vsock_cat send CID PORT [-s]        connect, copy stdin to the socket
 *                                       and shut down writing, while the
 *                                       answer is copied to stdout
 *   vsock_cat recv PORT [-s]            accept one connection, copy it to
 *                                       stdout
 *   vsock_cat echo PORT [-s] [-n N]     accept N connections (default 1,
 *                                       0 for ever) one after the other,
 *                                       echo each
 *   vsock_cat serve PORT                accept one connection, send it
 *                                       stdin, close
 *   vsock_cat hold CID PORT [-w]        connect, then block reading (or
 *                                       writing, -w) until that fails;
 *                                       print how it ended, the socket's
 *                                       SO_ERROR and how long it took
 *
 *   vsock_cat scan FIRST LAST PORT      as user nobody (65534), connect to
 *                                       PORT of every CID from FIRST to
 *                                       LAST (500 ms each at most); print
 *                                       how many ended with each result
 *
 *   vsock_cat gen BYTES SEED            write BYTES of a pseudo-random
 *                                       stream to stdout; print its sum64
 *                                       on stderr
 *   vsock_cat sum                       print the byte count and sum64 of
 *                                       stdin
 *
 * sum64 is a 64-bit hash over the stream's 8-byte words, cheap enough to
 * check hundreds of MiB under emulation (busybox's sha256sum takes minutes
 * there); it depends only on the bytes, not on how reads split them.
 *
 * -s uses SOCK_SEQPACKET instead of SOCK_STREAM.  Failures print the
 * call and the errno's name ("connect: ECONNREFUSED") and exit 1, so the
 * tests can assert the exact error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdint.h>
#include <linux/vm_sockets.h>

static int sock_type = SOCK_STREAM;

static void fail(const char *what)
{
	const char *name = strerrorname_np(errno);

	printf("%s: %s\n", what, name ? name : "?");
	fflush(stdout);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int vsock_connect(unsigned int cid, unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port,
	};
	int fd = socket(AF_VSOCK, sock_type, 0);

	if (fd < 0)
		fail("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail("connect");
	return fd;
}

static int vsock_listen(unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, sock_type, 0);

	if (fd < 0)
		fail("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail("bind");
	if (listen(fd, 8))
		fail("listen");
	return fd;
}

/* Copy until EOF; a short write is finished, an error is fatal. */
static void copy(int from, int to, const char *rd, const char *wr)
{
	static char buf[65536];
	ssize_t n, w, off;

	for (;;) {
		n = read(from, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(rd);
		if (n == 0)
			return;
		for (off = 0; off < n; off += w) {
			w = write(to, buf + off, n - off);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				fail(wr);
		}
	}
}

static int full_write(int fd, const void *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p = (const char *)p + w;
		n -= w;
	}
	return 0;
}

static void hold(unsigned int cid, unsigned int port, int writing)
{
	static char buf[65536];
	int fd = vsock_connect(cid, port);
	double t0 = now();
	socklen_t len = sizeof(int);
	int err, soerr = 0;
	ssize_t n;

	printf("connected\n");
	fflush(stdout);
	for (;;) {
		n = writing ? write(fd, buf, sizeof(buf)) : read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		t0 = now();
	}
	err = n == 0 ? 0 : errno;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		fail("getsockopt");
	printf("%s: %s (SO_ERROR %s) after %.1f s\n", writing ? "write" : "read",
	       err ? strerrorname_np(err) : "EOF",
	       soerr ? strerrorname_np(soerr) : "0", now() - t0);
}

/* The connect() loop any local user can run (argo-vsock issue 20, item 2). */
static void scan(unsigned int first, unsigned int last, unsigned int port)
{
	static const char *const names[] = { "ok", "ECONNREFUSED", "ECONNRESET",
		"EHOSTUNREACH", "ETIMEDOUT", "ENOBUFS", "EACCES", "other" };
	static const int errs[] = { 0, ECONNREFUSED, ECONNRESET, EHOSTUNREACH,
		ETIMEDOUT, ENOBUFS, EACCES };
	unsigned int count[8] = { 0 }, cid, i;
	struct timeval tv = { .tv_usec = 500000 };
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_port = port };

	if (!getuid() && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			  setresuid(65534, 65534, 65534)))
		fail("setresuid");
	for (cid = first; cid <= last; cid++) {
		int fd = socket(AF_VSOCK, SOCK_STREAM, 0), e = 0;

		if (fd < 0)
			fail("socket");
		setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD, &tv,
			   sizeof(tv));
		sa.svm_cid = cid;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			e = errno;
		for (i = 0; i < 7 && errs[i] != e; i++)
			;
		count[i]++;
		close(fd);
	}
	for (i = 0; i < 8; i++)
		if (count[i])
			printf("%s %u\n", names[i], count[i]);
}

struct sum64 {
	uint64_t h, bytes;
	unsigned char part[8];
	unsigned int npart;
};

static void sum64_word(struct sum64 *s, uint64_t w)
{
	s->h ^= w;
	s->h *= 0x9e3779b97f4a7c15ULL;
	s->h ^= s->h >> 29;
}

static void sum64_add(struct sum64 *s, const unsigned char *p, size_t n)
{
	uint64_t w;

	s->bytes += n;
	while (n && s->npart) {
		s->part[s->npart++] = *p++;
		n--;
		if (s->npart == 8) {
			memcpy(&w, s->part, 8);
			sum64_word(s, w);
			s->npart = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		sum64_word(s, w);
	}
	while (n--)
		s->part[s->npart++] = *p++;
}

static uint64_t sum64_end(struct sum64 *s)
{
	uint64_t w = 0;

	if (s->npart) {
		memcpy(&w, s->part, s->npart);
		sum64_word(s, w ^ ((uint64_t)s->npart << 56));
	}
	return s->h ^ s->bytes;
}

static void gen(unsigned long long bytes, uint64_t seed)
{
	static uint64_t words[8192];
	struct sum64 s = { 0 };
	uint64_t x = seed * 2 + 1;
	size_t n, i;

	while (bytes) {
		for (i = 0; i < 8192; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			words[i] = x;
		}
		n = bytes < sizeof(words) ? bytes : sizeof(words);
		sum64_add(&s, (unsigned char *)words, n);
		if (full_write(1, words, n))
			fail("write stdout");
		bytes -= n;
	}
	fprintf(stderr, "sum64 %llu %016llx\n", (unsigned long long)s.bytes,
		(unsigned long long)sum64_end(&s));
}

static void sum(void)
{
	static unsigned char b[65536];
	struct sum64 s = { 0 };
	ssize_t n;

	while ((n = read(0, b, sizeof(b))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("read stdin");
		sum64_add(&s, b, n);
	}
	printf("%llu %016llx\n", (unsigned long long)s.bytes,
	       (unsigned long long)sum64_end(&s));
}

int main(int argc, char **argv)
{
	int i, count = 1, writing = 0, fd, c, nargs = 0;
	char *args[4] = { NULL };

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s"))
			sock_type = SOCK_SEQPACKET;
		else if (!strcmp(argv[i], "-w"))
			writing = 1;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			count = atoi(argv[++i]);
		else if (nargs < 4)
			args[nargs++] = argv[i];
	}
	if (nargs == 1 && !strcmp(args[0], "cid")) {
		unsigned int cid;

		fd = open("/dev/vsock", O_RDONLY);
		if (fd < 0)
			fail("open /dev/vsock");
		if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid))
			fail("IOCTL_VM_SOCKETS_GET_LOCAL_CID");
		printf("%u\n", cid);
		return 0;
	}
	if (nargs == 3 && !strcmp(args[0], "send")) {
		pid_t pid;
		int st;

		fd = vsock_connect(strtoul(args[1], NULL, 0), strtoul(args[2], NULL, 0));
		/* the answer is read while sending: an echo peer could not
		 * otherwise get rid of what it sends back
		 */
		pid = fork();
		if (pid < 0)
			fail("fork");
		if (!pid) {
			copy(0, fd, "read stdin", "write");
			if (shutdown(fd, SHUT_WR))
				fail("shutdown");
			_exit(0);
		}
		copy(fd, 1, "read", "write stdout");
		if (waitpid(pid, &st, 0) < 0)
			fail("waitpid");
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	if (nargs == 2 && (!strcmp(args[0], "recv") || !strcmp(args[0], "echo") ||
			   !strcmp(args[0], "serve"))) {
		int l = vsock_listen(strtoul(args[1], NULL, 0));

		for (c = 0; !count || c < count; c++) {
			fd = accept(l, NULL, NULL);
			if (fd < 0)
				fail("accept");
			if (args[0][0] == 'e')
				copy(fd, fd, "read", "write");
			else if (args[0][0] == 'r')
				copy(fd, 1, "read", "write stdout");
			else
				copy(0, fd, "read stdin", "write");
			close(fd);
		}
		return 0;
	}
	if (nargs == 3 && !strcmp(args[0], "gen")) {
		gen(strtoull(args[1], NULL, 0), strtoull(args[2], NULL, 0));
		return 0;
	}
	if (nargs == 1 && !strcmp(args[0], "sum")) {
		sum();
		return 0;
	}
	if (nargs == 4 && !strcmp(args[0], "scan")) {
		scan(strtoul(args[1], NULL, 0), strtoul(args[2], NULL, 0),
		     strtoul(args[3], NULL, 0));
		return 0;
	}
	if (nargs == 3 && !strcmp(args[0], "hold")) {
		hold(strtoul(args[1], NULL, 0), strtoul(args[2], NULL, 0), writing);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of vsock_cat.c\n");
	return 2;
}
