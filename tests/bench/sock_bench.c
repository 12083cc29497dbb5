// SPDX-License-Identifier: GPL-2.0
/*
 * sock_bench: stream throughput and round-trip latency of two paths
 * between the same two domains, in the same run: AF_VSOCK (argo-vsock)
 * beside TCP over Xen's netfront/netback, or TCP over virtio-argo's
 * virtio-net beside TCP over netfront.
 *
 *   sock_bench server PORT
 *	serve both: AF_VSOCK and TCP, on PORT each, for ever
 *   sock_bench client A B PORT SECONDS ROUNDS [NAME-A NAME-B]
 *	measure both paths to a server, A and B each a vsock CID (a number)
 *	or an IPv4 address (TCP), ROUNDS times each, alternating, and print
 *	the best of each with the ratio of A to B.  The names head the
 *	columns (default "argo-vsock" and "TCP netfront").
 *
 * A connection starts with one byte: 'T' (throughput: the client writes
 * 64 KiB buffers for SECONDS, shuts down writing, and the server answers
 * with the 8-byte count it read) or 'L' (latency: 64-byte messages echoed
 * one at a time for SECONDS).  The figures are what the client saw:
 * bytes the server confirmed over the wall time, and the mean round trip.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define BUF	65536
#define MSG	64

static char buf[BUF];

static void die(const char *what)
{
	fprintf(stderr, "sock_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int full(int fd, void *p, size_t n, int writing)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = writing ? write(fd, (char *)p + off, n - off)
			    : read(fd, (char *)p + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += r;
	}
	return 0;
}

static void serve_one(int fd)
{
	char mode;
	uint64_t count = 0;
	ssize_t n;

	if (full(fd, &mode, 1, 0))
		return;
	if (mode == 'T') {
		while ((n = read(fd, buf, BUF)) > 0)
			count += n;
		full(fd, &count, sizeof(count), 1);
	} else {
		while (!full(fd, buf, MSG, 0))
			if (full(fd, buf, MSG, 1))
				break;
	}
}

static void serve(int family, unsigned int port)
{
	struct sockaddr_vm vm = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port,
	};
	struct sockaddr_in in = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1, l, fd;

	l = socket(family, SOCK_STREAM, 0);
	if (l < 0)
		die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_VSOCK ? bind(l, (struct sockaddr *)&vm, sizeof(vm))
			       : bind(l, (struct sockaddr *)&in, sizeof(in)))
		die("bind");
	if (listen(l, 4))
		die("listen");
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		fd = accept(l, NULL, NULL);
		if (fd < 0)
			continue;
		if (family == AF_INET)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!fork()) {
			serve_one(fd);
			_exit(0);
		}
		close(fd);
	}
}

static int dial(int family, unsigned int cid, const char *ip, unsigned int port)
{
	struct sockaddr_vm vm = {
		.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port,
	};
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (family == AF_INET) {
		inet_pton(AF_INET, ip, &in.sin_addr);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (family == AF_VSOCK ? connect(fd, (struct sockaddr *)&vm, sizeof(vm))
			       : connect(fd, (struct sockaddr *)&in, sizeof(in)))
		die(family == AF_VSOCK ? "connect (vsock)" : "connect (tcp)");
	return fd;
}

/* MiB/s the server confirmed receiving. */
static double throughput(int fd, double secs)
{
	uint64_t count = 0;
	double t0 = now(), t;

	if (full(fd, "T", 1, 1))
		die("write");
	do {
		if (full(fd, buf, BUF, 1))
			die("write");
	} while (now() - t0 < secs);
	shutdown(fd, SHUT_WR);
	if (full(fd, &count, sizeof(count), 0))
		die("read count");
	t = now() - t0;
	return count / t / (1024.0 * 1024.0);
}

/* Mean round trip of a 64-byte message, in microseconds. */
static double latency(int fd, double secs)
{
	double t0 = now();
	long n = 0;

	if (full(fd, "L", 1, 1))
		die("write");
	do {
		if (full(fd, buf, MSG, 1) || full(fd, buf, MSG, 0))
			die("round trip");
		n++;
	} while (now() - t0 < secs);
	return (now() - t0) / n * 1e6;
}

int main(int argc, char **argv)
{
	double best[2][2] = { { 0, 1e12 }, { 0, 1e12 } }, secs, v;
	const char *name[2] = { "argo-vsock", "TCP netfront" };
	unsigned int cid[2] = { 0, 0 }, port;
	int fam[2], r, i, rounds, fd;

	if (argc == 3 && !strcmp(argv[1], "server")) {
		port = strtoul(argv[2], NULL, 0);
		if (!fork())
			serve(AF_VSOCK, port);
		serve(AF_INET, port);
	}
	if ((argc != 7 && argc != 9) || strcmp(argv[1], "client")) {
		fprintf(stderr, "usage: sock_bench server PORT | client A B PORT SECONDS ROUNDS [NAME-A NAME-B]\n"
			"       (A, B: a vsock CID or an IPv4 address)\n");
		return 2;
	}
	for (i = 0; i < 2; i++) {
		/* an address with a dot is TCP's, a plain number a CID */
		fam[i] = strchr(argv[2 + i], '.') ? AF_INET : AF_VSOCK;
		if (fam[i] == AF_VSOCK)
			cid[i] = strtoul(argv[2 + i], NULL, 0);
		if (argc == 9)
			name[i] = argv[7 + i];
	}
	port = strtoul(argv[4], NULL, 0);
	secs = atof(argv[5]);
	rounds = atoi(argv[6]);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 2; i++) {
			fd = dial(fam[i], cid[i], argv[2 + i], port);
			v = throughput(fd, secs);
			close(fd);
			if (v > best[i][0])
				best[i][0] = v;
			fd = dial(fam[i], cid[i], argv[2 + i], port);
			v = latency(fd, secs);
			close(fd);
			if (v < best[i][1])
				best[i][1] = v;
		}
	}
	printf("| best of %d x %.0f s | %s | %s | ratio |\n", rounds, secs,
	       name[0], name[1]);
	printf("|---|---:|---:|---:|\n");
	printf("| stream throughput, 64 KiB writes (MiB/s) | %.1f | %.1f | %.2f |\n",
	       best[0][0], best[1][0], best[0][0] / best[1][0]);
	printf("| round trip, 64-byte messages (us) | %.0f | %.0f | %.2f |\n",
	       best[0][1], best[1][1], best[1][1] / best[0][1]);
	printf("(ratio > 1: %s is better; for round trips the ratio is %s's time / %s's)\n",
	       name[0], name[1], name[0]);
	return 0;
}
