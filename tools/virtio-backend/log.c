// SPDX-License-Identifier: GPL-2.0
/*
 * Logging: one line per event on stderr, prefixed with the program name,
 * so that the lines of the backend can be told apart in a shared console.
 * Lines a guest can provoke go through a rate limit: a guest sending
 * garbage must not flood the log, nor slow the loop down with writes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "backend.h"

int vb_verbose;

/* A burst of RL_BURST lines per RL_WINDOW_MS, the rest counted. */
#define RL_BURST	10
#define RL_WINDOW_MS	5000

uint64_t vb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void vb_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fprintf per line: lines from one process never interleave */
	fprintf(stderr, "%s: %s\n", VB_NAME, line);
}

bool ratelimit_ok(struct ratelimit *rl)
{
	uint64_t now = vb_now_ms();

	if (!rl->start_ms || now - rl->start_ms >= RL_WINDOW_MS) {
		if (rl->missed)
			vb_log("(%lu similar lines suppressed)", rl->missed);
		rl->start_ms = now ? now : 1;
		rl->lines = 0;
		rl->missed = 0;
	}
	if (rl->lines < RL_BURST) {
		rl->lines++;
		return true;
	}
	rl->missed++;
	return false;
}
