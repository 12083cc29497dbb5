// SPDX-License-Identifier: GPL-2.0
/*
 * blk_bench DEV SECONDS [MIB [TEST...]]: I/O on a block device for SECONDS
 * per test, with O_DIRECT so that the page cache does not answer for the
 * device.  The I/O stays within the first MIB MiB (default 64).  The tests:
 *	seq-write          sequential 1 MiB writes        MiB/s
 *	seq-read           sequential 1 MiB reads         MiB/s
 *	rand-read-4k       random 4 KiB reads, one at a time     IOPS
 *	rand-write-4k      random 4 KiB writes, one at a time    IOPS
 *	rand-read-4k-qd32  random 4 KiB reads, 32 in flight      IOPS
 * Without TEST names it runs the first three, in that order (what
 * BENCHMARKS.md's blk-bench.sh table shows).  Prints one line per test:
 *	seq-write MiB/s N
 * BENCHMARKS.md compares virtio-argo's disk with Xen's PV disk (blkfront)
 * on the same image file, measured in the same run with this program.
 *
 * Queue depth 32 goes through Linux's native AIO (io_submit), called as
 * raw system calls: the guests have no libaio, and one process keeping 32
 * requests queued loads the device the way a database or a filesystem's
 * writeback does, which one synchronous request at a time never shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>

#define QD	32
#define SMALL	4096L

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

/* io_submit() may take fewer than asked: hand it the rest until done. */
static void submit_all(aio_context_t ctx, long nr, struct iocb **cbp)
{
	long off = 0, r;

	while (off < nr) {
		r = syscall(SYS_io_submit, ctx, nr - off, cbp + off);
		if (r <= 0) {
			perror("io_submit");
			exit(1);
		}
		off += r;
	}
}

/*
 * Random 4 KiB reads with QD requests always in flight for @secs (each
 * completion is replaced by a new read until then), then the ones still
 * in flight are waited for and counted; returns reads done.
 */
static long run_qd(int fd, long span, double secs, double *took)
{
	static struct iocb cbs[QD];
	struct iocb *cbp[QD];
	struct io_event ev[QD];
	aio_context_t ctx = 0;
	long blocks = span / SMALL, done = 0, inflight, k, n, i;
	unsigned int seed = 1;
	double t0;
	char *bufs;
	int more;

	if (posix_memalign((void **)&bufs, SMALL, QD * SMALL)) {
		perror("posix_memalign");
		exit(1);
	}
	if (syscall(SYS_io_setup, QD, &ctx)) {
		perror("io_setup");
		exit(1);
	}
	memset(cbs, 0, sizeof(cbs));
	for (i = 0; i < QD; i++) {
		cbs[i].aio_fildes = fd;
		cbs[i].aio_lio_opcode = IOCB_CMD_PREAD;
		cbs[i].aio_buf = (uintptr_t)(bufs + i * SMALL);
		cbs[i].aio_nbytes = SMALL;
		cbs[i].aio_offset = (rand_r(&seed) % blocks) * SMALL;
		cbp[i] = &cbs[i];
	}
	t0 = now();
	submit_all(ctx, QD, cbp);
	inflight = QD;
	while (inflight) {
		n = syscall(SYS_io_getevents, ctx, 1L, (long)QD, ev, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("io_getevents");
			exit(1);
		}
		more = now() - t0 < secs;
		for (i = 0, k = 0; i < n; i++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].obj;

			if (ev[i].res != SMALL) {
				fprintf(stderr, "aio read: %s\n", ev[i].res < 0 ?
					strerror((int)-ev[i].res) : "short read");
				exit(1);
			}
			done++;
			if (more) {
				cb->aio_offset = (rand_r(&seed) % blocks) * SMALL;
				cbp[k++] = cb;
			}
		}
		inflight -= n;
		if (k) {
			submit_all(ctx, k, cbp);
			inflight += k;
		}
	}
	*took = now() - t0;
	syscall(SYS_io_destroy, ctx);
	free(bufs);
	return done;
}

static const char *const all_tests[] = {
	"seq-write", "seq-read", "rand-read-4k", "rand-write-4k",
	"rand-read-4k-qd32",
};

int main(int argc, char **argv)
{
	static const char *const defaults[] = { "seq-write", "seq-read", "rand-read-4k" };
	const char *const *tests = defaults;
	int ntests = 3, fd, i;
	double secs, took;
	long span, n;
	void *buf;

	if (argc < 3) {
		fprintf(stderr, "usage: blk_bench DEV SECONDS [MIB [TEST...]]\n"
			"TEST: seq-write seq-read rand-read-4k rand-write-4k rand-read-4k-qd32\n");
		return 2;
	}
	secs = atof(argv[2]);
	span = (argc > 3 ? atol(argv[3]) : 64) << 20;
	if (argc > 4) {
		tests = (const char *const *)argv + 4;
		ntests = argc - 4;
	}
	for (i = 0; i < ntests; i++) {
		size_t t;

		for (t = 0; t < sizeof(all_tests) / sizeof(all_tests[0]); t++)
			if (!strcmp(tests[i], all_tests[t]))
				break;
		if (t == sizeof(all_tests) / sizeof(all_tests[0])) {
			fprintf(stderr, "blk_bench: no test %s\n", tests[i]);
			return 2;
		}
	}
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, 4096, 1 << 20)) {
		perror(argv[1]);
		return 1;
	}
	memset(buf, 0x5a, 1 << 20);
	for (i = 0; i < ntests; i++) {
		const char *t = tests[i];

		if (!strcmp(t, "seq-write")) {
			n = run(fd, 1, 1 << 20, span, 0, secs, buf, &took);
			printf("%s MiB/s %.1f\n", t, n / took);
		} else if (!strcmp(t, "seq-read")) {
			n = run(fd, 0, 1 << 20, span, 0, secs, buf, &took);
			printf("%s MiB/s %.1f\n", t, n / took);
		} else if (!strcmp(t, "rand-read-4k")) {
			n = run(fd, 0, SMALL, span, 1, secs, buf, &took);
			printf("%s IOPS %.0f\n", t, n / took);
		} else if (!strcmp(t, "rand-write-4k")) {
			n = run(fd, 1, SMALL, span, 1, secs, buf, &took);
			printf("%s IOPS %.0f\n", t, n / took);
		} else {
			n = run_qd(fd, span, secs, &took);
			printf("%s IOPS %.0f\n", t, n / took);
		}
		fflush(stdout);
	}
	close(fd);
	return 0;
}
