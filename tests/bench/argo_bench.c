// SPDX-License-Identifier: GPL-2.0
/*
 * argo_bench: message rate, throughput and ping-pong latency between two
 * domains through /dev/argo, printed beside the memcpy bandwidth of the
 * same buffer sizes measured in the same run.
 *
 *   argo_bench server PORT                       in one domain (e.g. dom0)
 *   argo_bench client DOMID PORT [SECS [SIZE]]   in the other
 *
 * The client measures messages of 64 bytes, 1 KiB and 64 KiB, or of SIZE
 * bytes only (at most 64 KiB; scripts/bench measures 64 KiB alone).
 *
 * Why memcpy: Argo moves a message with two copies, the hypervisor's
 * (sender to ring) and the receiver's (ring to its buffer), so a
 * single-stream transfer cannot beat the copy bandwidth of the machine;
 * the ratio says how close it comes.  It is a benchmark, not a test: it
 * prints figures and fails only when a transfer fails.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libargo.h"

#define T_DATA	0	/* sink it (what write() sends) */
#define T_DONE	2	/* reply T_ACK with the count of T_DATA bytes seen */
#define T_ACK	3
#define T_ECHO	4	/* send it back */

#define SERVER_RING	(1024 * 1024)
#define MAX_SIZE	65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int server(uint32_t port)
{
	static char buf[MAX_SIZE];
	unsigned long long bytes = 0;
	uint32_t type, sport;
	uint16_t dom;
	ssize_t n;
	int fd = argo_open(0);

	if (fd < 0 || argo_bind(fd, &port, ARGO_DOMID_ANY, SERVER_RING)) {
		perror("argo_bench: open/bind");
		return 1;
	}
	for (;;) {
		n = argo_recvfrom(fd, buf, sizeof(buf), &type, &dom, &sport, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("argo_bench: receive");
			return 1;
		}
		if (type == T_DATA) {
			bytes += n;
		} else if (type == T_DONE) {
			argo_sendto(fd, &bytes, sizeof(bytes), T_ACK, dom, sport);
			bytes = 0;
		} else if (type == T_ECHO) {
			argo_sendto(fd, buf, n, T_ECHO, dom, sport);
		}
	}
}

static int argo_send_type(int fd, uint32_t type)
{
	struct argo_name name;

	if (argo_getname(fd, &name) ||
	    argo_sendto(fd, "", 0, type, name.peer.domid, name.peer.port) < 0) {
		perror("argo_bench: send");
		return -1;
	}
	return 0;
}

static void wait_type(int fd, char *buf, uint32_t want)
{
	uint32_t type;

	do {
		if (argo_recvfrom(fd, buf, MAX_SIZE, &type, NULL, NULL, NULL) < 0) {
			perror("argo_bench: receive");
			exit(1);
		}
	} while (type != want);
}

/*
 * Messages of @size bytes for about @secs seconds, then T_DONE; the rate
 * counts until the server's T_ACK, so every byte was received.
 */
static double throughput(int fd, char *buf, size_t size, double secs,
			 double *msgs_per_s)
{
	unsigned long long sent = 0, acked = 0;
	double t0 = now(), dt;
	unsigned long n = 0;
	int i;

	do {
		for (i = 0; i < 16; i++, n++) {
			if (write(fd, buf, size) != (ssize_t)size) {
				perror("argo_bench: send");
				exit(1);
			}
			sent += size;
		}
	} while (now() - t0 < secs);
	if (argo_send_type(fd, T_DONE) < 0)
		exit(1);
	wait_type(fd, buf, T_ACK);
	dt = now() - t0;
	memcpy(&acked, buf, sizeof(acked));
	if (acked != sent) {
		fprintf(stderr, "argo_bench: sent %llu bytes, server saw %llu\n",
			sent, acked);
		exit(1);
	}
	*msgs_per_s = n / dt;
	return sent / dt;
}

/* Round trips of @size bytes for about @secs seconds; returns seconds. */
static double latency(int fd, char *buf, size_t size, double secs)
{
	struct argo_name name;
	double t0 = now();
	unsigned long n = 0;

	argo_getname(fd, &name);
	do {
		if (argo_sendto(fd, buf, size, T_ECHO, name.peer.domid,
				name.peer.port) < 0) {
			perror("argo_bench: send");
			exit(1);
		}
		wait_type(fd, buf, T_ECHO);
		n++;
	} while (now() - t0 < secs);
	return (now() - t0) / n;
}

static double memcpy_bw(size_t size, double secs)
{
	char *a = malloc(size), *b = malloc(size);
	unsigned long long bytes = 0;
	double t0 = now();
	volatile char sink;

	memset(a, 1, size);
	do {
		for (int i = 0; i < 256; i++) {
			memcpy(b, a, size);
			a[i % size] ^= b[(i * 7) % size];
			bytes += size;
		}
	} while (now() - t0 < secs);
	sink = b[size / 2];
	(void)sink;
	free(a);
	free(b);
	return bytes / (now() - t0);
}

static int client(uint16_t dom, uint32_t port, double secs, size_t only)
{
	static const size_t all[] = { 64, 1024, 65536 };
	const size_t *sizes = only ? &only : all;
	unsigned int i, n = only ? 1 : sizeof(all) / sizeof(all[0]);
	double rate, msgs, rtt, copy;
	char *buf;
	int fd;

	if (only > MAX_SIZE) {
		fprintf(stderr, "argo_bench: SIZE is at most %d\n", MAX_SIZE);
		return 2;
	}
	buf = calloc(1, MAX_SIZE);
	fd = argo_open(0);
	if (!buf || fd < 0 || argo_bind(fd, NULL, dom, 256 * 1024) ||
	    argo_connect(fd, dom, port)) {
		perror("argo_bench: open/bind/connect");
		return 1;
	}
	printf("argo_bench: dom%d -> dom%u:%#x, %.1f s per figure\n",
	       argo_domid(fd), dom, port, secs);
	printf("%8s %12s %12s %14s %8s %12s\n", "size", "msgs/s", "MB/s",
	       "memcpy MB/s", "ratio", "rtt us");
	for (i = 0; i < n; i++) {
		rate = throughput(fd, buf, sizes[i], secs, &msgs);
		rtt = latency(fd, buf, sizes[i], secs / 2);
		copy = memcpy_bw(sizes[i], secs / 2);
		printf("%8zu %12.0f %12.1f %14.1f %8.4f %12.1f\n", sizes[i], msgs,
		       rate / 1e6, copy / 1e6, rate / copy, rtt * 1e6);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(strtoul(argv[2], NULL, 0));
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "client"))
		return client(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0),
			      argc > 4 ? atof(argv[4]) : 2.0,
			      argc > 5 ? strtoul(argv[5], NULL, 0) : 0);
	fprintf(stderr, "usage: argo_bench server PORT | client DOMID PORT [SECS [SIZE]]\n");
	return 2;
}
