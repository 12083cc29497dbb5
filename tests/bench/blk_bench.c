// SPDX-License-Identifier: GPL-2.0
/*
 * blk_bench DEV SECONDS [MIB]: sequential 1 MiB writes, sequential 1 MiB
 * reads and random 4 KiB reads on a block device, each for SECONDS, with
 * O_DIRECT so that the page cache does not answer for the device.  The
 * writes and reads stay within the first MIB MiB (default 64).  Prints one
 * line per figure:
 *	seq-write MiB/s N
 *	seq-read MiB/s N
 *	rand-read-4k IOPS N
 * BENCHMARKS.md compares virtio-argo's disk with Xen's PV disk (blkfront)
 * on the same image file, measured in the same run with this program.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One pass of @bs-sized I/O for @secs; returns operations done. */
static long run(int fd, int write, size_t bs, long span, int random,
		double secs, void *buf, double *took)
{
	double t0 = now(), t;
	long n = 0, blocks = span / (long)bs;
	unsigned int seed = 1;

	do {
		long blk = random ? rand_r(&seed) % blocks : n % blocks;
		ssize_t r = write ? pwrite(fd, buf, bs, blk * (long)bs)
				  : pread(fd, buf, bs, blk * (long)bs);

		if (r != (ssize_t)bs) {
			perror(write ? "pwrite" : "pread");
			exit(1);
		}
		n++;
		t = now() - t0;
	} while (t < secs);
	if (write && fdatasync(fd)) {
		perror("fdatasync");
		exit(1);
	}
	*took = now() - t0;
	return n;
}

int main(int argc, char **argv)
{
	double secs, took;
	long span, n;
	void *buf;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: blk_bench DEV SECONDS [MIB]\n");
		return 2;
	}
	secs = atof(argv[2]);
	span = (argc > 3 ? atol(argv[3]) : 64) << 20;
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, 4096, 1 << 20)) {
		perror(argv[1]);
		return 1;
	}
	memset(buf, 0x5a, 1 << 20);
	n = run(fd, 1, 1 << 20, span, 0, secs, buf, &took);
	printf("seq-write MiB/s %.1f\n", n / took);
	n = run(fd, 0, 1 << 20, span, 0, secs, buf, &took);
	printf("seq-read MiB/s %.1f\n", n / took);
	n = run(fd, 0, 4096, span, 1, secs, buf, &took);
	printf("rand-read-4k IOPS %.0f\n", n / took);
	close(fd);
	return 0;
}
