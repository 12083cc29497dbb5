// SPDX-License-Identifier: GPL-2.0
/*
 * argo_stream: many numbered, checksummed messages between two domains.
 *
 *   argo_stream recv PORT COUNT [RING_BYTES]   receive and verify
 *   argo_stream send DOMID PORT COUNT          send
 *
 * Each message carries its sequence number, its length and a checksum of
 * its pseudo-random payload (16 to 255 bytes).  The receiver counts lost,
 * duplicated, reordered and corrupted messages, prints them, and exits 0
 * only when all four are zero and COUNT messages arrived.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libargo.h"

struct hdr {
	uint64_t seq;
	uint32_t len;
	uint32_t sum;
};

static uint32_t fill(unsigned char *p, size_t n, uint64_t seq)
{
	uint32_t x = (uint32_t)seq * 2654435761u + 1, sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = x >> 24;
		sum = sum * 31 + p[i];
	}
	return sum;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_send(uint16_t dom, uint32_t port, uint64_t count)
{
	unsigned char buf[sizeof(struct hdr) + 256];
	struct hdr *h = (struct hdr *)buf;
	int fd = argo_open(0);
	uint64_t seq;
	double t0 = now();

	if (fd < 0 || argo_bind(fd, NULL, dom, 0) || argo_connect(fd, dom, port)) {
		perror("argo_stream: open/bind/connect");
		return 1;
	}
	for (seq = 0; seq < count; seq++) {
		h->seq = seq;
		h->len = 16 + seq % 240;
		h->sum = fill(buf + sizeof(*h), h->len, seq);
		while (write(fd, buf, sizeof(*h) + h->len) < 0) {
			if (errno == ECONNREFUSED) {	/* receiver not up yet */
				if (seq)
					goto fail;
				argo_wait(fd, 0, 100);
				continue;
			}
			goto fail;
		}
	}
	printf("sent %llu messages in %.1f s\n", (unsigned long long)count, now() - t0);
	return 0;
fail:
	printf("send %llu: %s\n", (unsigned long long)seq, strerror(errno));
	return 1;
}

static int do_recv(uint32_t port, uint64_t count, uint32_t ring)
{
	unsigned char buf[sizeof(struct hdr) + 256], chk[256];
	struct hdr *h = (struct hdr *)buf;
	uint64_t expect = 0, got = 0, lost = 0, dup = 0, bad = 0;
	int fd = argo_open(0);
	double t0 = 0;
	ssize_t n;

	if (fd < 0 || argo_bind(fd, &port, ARGO_DOMID_ANY, ring)) {
		perror("argo_stream: open/bind");
		return 1;
	}
	printf("listening on port %#x, ring %u bytes\n", port, ring);
	fflush(stdout);
	while (got < count) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			perror("argo_stream: read");
			return 1;
		}
		if (!got)
			t0 = now();
		got++;
		if (n < (ssize_t)sizeof(*h) || h->len != n - sizeof(*h) ||
		    h->len > 256 || fill(chk, h->len, h->seq) != h->sum ||
		    memcmp(chk, buf + sizeof(*h), h->len)) {
			bad++;
			continue;
		}
		if (h->seq > expect)
			lost += h->seq - expect;
		else if (h->seq < expect)
			dup++;		/* duplicated or reordered */
		expect = h->seq >= expect ? h->seq + 1 : expect;
	}
	printf("received %llu messages in %.1f s (%.0f msg/s): lost %llu duplicated-or-reordered %llu corrupted %llu\n",
	       (unsigned long long)got, now() - t0, got / (now() - t0 + 1e-9),
	       (unsigned long long)lost, (unsigned long long)dup,
	       (unsigned long long)bad);
	return lost || dup || bad;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "recv"))
		return do_recv(strtoul(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
			       argc > 4 ? strtoul(argv[4], NULL, 0) : 4032);
	if (argc == 5 && !strcmp(argv[1], "send"))
		return do_send(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0),
			       strtoull(argv[4], NULL, 0));
	fprintf(stderr, "usage: argo_stream recv PORT COUNT [RING] | send DOMID PORT COUNT\n");
	return 2;
}
