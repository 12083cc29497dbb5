// SPDX-License-Identifier: GPL-2.0
/*
 * argo: send, receive and ping over Xen's Argo from the command line,
 * through /dev/argo (argo-char.ko) and libargo.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/libargo.h"

#define MAX_MSG (16 * 1024 * 1024)

static const char usage_text[] =
"usage: argo COMMAND [OPTIONS] ARGS\n"
"\n"
"Messages between Xen domains over Argo, through /dev/argo.\n"
"Ports are numbers (0x1000 or 4096); DOMID 0 is dom0.\n"
"\n"
"commands:\n"
"  argo info                      this domain's id\n"
"  argo listen [-e] [-n N] [-p DOMID] [-s BYTES] [-r] PORT\n"
"                                 print each message that arrives on PORT;\n"
"                                 -e echo it back to its sender (type + 1),\n"
"                                 -n stop after N messages, -p accept only\n"
"                                 DOMID (default: any domain), -s ring size,\n"
"                                 -r raw payload only\n"
"  argo send [-A] [-t TYPE] DOMID PORT [WORDS...]\n"
"                                 send WORDS as one message, or else each\n"
"                                 line of standard input as a message;\n"
"                                 -A from a ring any domain may fill\n"
"                                 instead of one bound to DOMID\n"
"  argo ping [-c N] [-s BYTES] [-i MS] [-w SECONDS] DOMID PORT\n"
"                                 round trips to an `argo listen -e` there\n"
"  argo query [-s BYTES] DOMID PORT\n"
"                                 does a ring exist there, is there room\n"
"  argo watch [-s BYTES] DOMID PORT\n"
"                                 wait until the ring there goes, or with\n"
"                                 -s until it has room for BYTES; print why\n"
"\n"
"Exit status: 0 success, 1 an Argo error (printed), 2 bad usage.\n"
"Errors keep Argo's meaning: 'Connection refused' = no ring there,\n"
"'No such process' = no such domain, 'Operation not permitted' or\n"
"'Permission denied' = refused by the XSM policy.\n";

static void usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

static unsigned long num(const char *s, const char *what, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v > max) {
		fprintf(stderr, "argo: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* DOMID PORT at optind, and nothing after them unless @more is set. */
static void dest_args(int argc, char **argv, int more, uint16_t *dom,
		      uint32_t *port)
{
	if (optind + 2 > argc || (!more && optind + 2 != argc))
		usage(2);
	*dom = num(argv[optind], "domid", 0x7fef);
	*port = num(argv[optind + 1], "port", UINT32_MAX);
}

static void die(const char *what)
{
	fprintf(stderr, "argo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_bound(uint32_t port, uint16_t partner, uint32_t ring)
{
	int fd = argo_open(0);

	if (fd < 0)
		die("open " ARGO_DEV_PATH " (is argo-char loaded?)");
	if (argo_bind(fd, &port, partner, ring))
		die("bind");
	return fd;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmd_info(int argc, char **argv __attribute__((unused)))
{
	int fd = argo_open(0);

	if (argc != 1)
		usage(2);
	if (fd < 0)
		die("open " ARGO_DEV_PATH);
	printf("domid %d\n", argo_domid(fd));
	return 0;
}

static int cmd_listen(int argc, char **argv)
{
	unsigned long count = 0, got = 0;
	uint16_t partner = ARGO_DOMID_ANY, dom;
	uint32_t ring = 0, type, sport;
	int echo = 0, raw = 0, opt, fd;
	size_t full;
	ssize_t n;
	char *buf;

	while ((opt = getopt(argc, argv, "en:p:s:rh")) != -1) {
		switch (opt) {
		case 'e': echo = 1; break;
		case 'n': count = num(optarg, "count", ~0UL); break;
		case 'p': partner = num(optarg, "domid", 0x7fef); break;
		case 's': ring = num(optarg, "ring size", MAX_MSG); break;
		case 'r': raw = 1; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind + 1 != argc)
		usage(2);
	fd = open_bound(num(argv[optind], "port", UINT32_MAX), partner, ring);
	buf = malloc(MAX_MSG);
	if (!buf)
		die("malloc");
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!count || got < count) {
		n = argo_recvfrom(fd, buf, MAX_MSG, &type, &dom, &sport, &full);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("receive");
		}
		got++;
		if (raw)
			fwrite(buf, 1, n, stdout);
		else
			printf("dom%u:%#x type %" PRIu32 " len %zd: %.*s\n", dom,
			       sport, type, n, (int)n, buf);
		if (echo && argo_sendto(fd, buf, n, type + 1, dom, sport) < 0)
			fprintf(stderr, "argo: echo to dom%u:%#x: %s\n", dom, sport,
				strerror(errno));
	}
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	uint32_t type = 0, port;
	uint16_t dom;
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t n;
	int opt, fd, i, any = 0;

	while ((opt = getopt(argc, argv, "At:h")) != -1) {
		switch (opt) {
		case 'A': any = 1; break;
		case 't': type = num(optarg, "type", UINT32_MAX); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	dest_args(argc, argv, 1, &dom, &port);
	fd = open_bound(ARGO_PORT_ANY, any ? ARGO_DOMID_ANY : dom, 0);
	if (optind + 2 < argc) {
		for (i = optind + 2, len = 0; i < argc; i++)
			len += strlen(argv[i]) + 1;
		line = malloc(len);
		if (!line)
			die("malloc");
		line[0] = 0;
		for (i = optind + 2; i < argc; i++) {
			strcat(line, argv[i]);
			if (i + 1 < argc)
				strcat(line, " ");
		}
		if (argo_sendto(fd, line, strlen(line), type, dom, port) < 0)
			die("send");
		return 0;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (argo_sendto(fd, line, n, type, dom, port) < 0)
			die("send");
	}
	return 0;
}

static int cmd_ping(int argc, char **argv)
{
	unsigned long count = 4, size = 56, interval = 1000, wait_s = 5;
	double t0, dt, min = 1e9, max = 0, sum = 0;
	unsigned long i, ok = 0;
	uint32_t port, rtype, rport;
	uint16_t dom, rdom;
	char *out, *in;
	int opt, fd, ev;
	ssize_t n;

	while ((opt = getopt(argc, argv, "c:s:i:w:h")) != -1) {
		switch (opt) {
		case 'c': count = num(optarg, "count", ~0UL); break;
		case 's': size = num(optarg, "size", MAX_MSG); break;
		case 'i': interval = num(optarg, "interval", 3600000); break;
		case 'w': wait_s = num(optarg, "wait", 3600); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	dest_args(argc, argv, 0, &dom, &port);
	fd = open_bound(ARGO_PORT_ANY, dom, size + 4096);
	out = malloc(size + 1);
	in = malloc(size + 1);
	if (!out || !in)
		die("malloc");
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ARGO PING dom%u:%#x, %lu bytes\n", dom, port, size);
	for (i = 0; i < count; i++) {
		memset(out, 'a' + i % 26, size);
		t0 = now_ms();
		if (argo_sendto(fd, out, size, (uint32_t)i, dom, port) < 0)
			die("send");
		for (;;) {
			ev = argo_wait(fd, POLLIN, wait_s * 1000);
			if (ev <= 0)
				break;
			n = argo_recvfrom(fd, in, size + 1, &rtype, &rdom, &rport, NULL);
			if (n < 0)
				die("receive");
			if (rtype == i + 1 && rdom == dom && rport == port)
				break;	/* older echoes are skipped */
		}
		if (ev <= 0) {
			printf("no echo for ping %lu within %lu s\n", i, wait_s);
			continue;
		}
		dt = now_ms() - t0;
		if (n != (ssize_t)size || memcmp(in, out, size)) {
			printf("ping %lu: echo damaged (%zd bytes)\n", i, n);
			continue;
		}
		ok++;
		sum += dt;
		min = dt < min ? dt : min;
		max = dt > max ? dt : max;
		printf("%zd bytes from dom%u:%#x: seq=%lu time=%.3f ms\n", n, dom,
		       port, i, dt);
		if (interval && i + 1 < count)
			usleep(interval * 1000);
	}
	printf("--- dom%u:%#x ping statistics ---\n", dom, port);
	printf("%lu sent, %lu received intact", count, ok);
	if (ok)
		printf(", rtt min/avg/max = %.3f/%.3f/%.3f ms", min, sum / ok, max);
	printf("\n");
	return ok == count ? 0 : 1;
}

/*
 * The arguments of query and watch: [-s BYTES] DOMID PORT.  Opens
 * /dev/argo; *@sized tells whether -s was given.
 */
static int open_sized_dest(int argc, char **argv, uint32_t max,
			   uint32_t *space, bool *sized, uint16_t *dom,
			   uint32_t *port)
{
	int opt, fd;

	*space = 0;
	*sized = false;
	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		switch (opt) {
		case 's':
			*space = num(optarg, "size", max);
			*sized = true;
			break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	dest_args(argc, argv, 0, dom, port);
	fd = argo_open(0);
	if (fd < 0)
		die("open " ARGO_DEV_PATH);
	return fd;
}

static int cmd_query(int argc, char **argv)
{
	uint32_t space, max_msg = 0, port;
	int fd, room = 0, r;
	uint16_t dom;
	bool sized;

	fd = open_sized_dest(argc, argv, UINT32_MAX, &space, &sized, &dom, &port);
	r = argo_query(fd, dom, port, space, &room, &max_msg);
	if (r < 0)
		die("query");
	if (!r)
		printf("dom%u:%#x: no ring\n", dom, port);
	else
		printf("dom%u:%#x: ring exists, max message %u bytes, room for %u bytes: %s\n",
		       dom, port, max_msg, space, room ? "yes" : "no");
	return r ? 0 : 1;
}

static int cmd_watch(int argc, char **argv)
{
	uint32_t space, kind, port;
	int32_t status;
	uint16_t dom;
	bool sized;
	int fd, r;

	fd = open_sized_dest(argc, argv, MAX_MSG, &space, &sized, &dom, &port);
	kind = sized ? ARGO_NOTICE_SPACE : ARGO_NOTICE_GONE;
	if (argo_watch(fd, kind, dom, port, space))
		die("watch");
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!(r = argo_notice(fd, NULL, NULL, NULL, NULL, &status)))
		if (argo_wait(fd, POLLPRI, -1) < 0)
			die("poll");
	if (r < 0)
		die("notice");
	if (!sized)
		printf("dom%u:%#x: ring gone (%s)\n", dom, port,
		       strerror(-status));
	else if (!status)
		printf("dom%u:%#x: room for %u bytes\n", dom, port, space);
	else
		printf("dom%u:%#x: no room for %u bytes ever (%s)\n", dom,
		       port, space, strerror(-status));
	return status && sized ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "info", cmd_info }, { "listen", cmd_listen },
		{ "send", cmd_send }, { "ping", cmd_ping },
		{ "query", cmd_query }, { "watch", cmd_watch },
	};
	unsigned int i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage(argc < 2 ? 2 : 0);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "argo: unknown command '%s'\n\n", argv[1]);
	usage(2);
	return 2;
}
