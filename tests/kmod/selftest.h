/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared pieces of the argo_selftest module (see selftest_main.c).
 */
#ifndef _ARGO_SELFTEST_H
#define _ARGO_SELFTEST_H

#include <linux/completion.h>
#include <linux/wait.h>
#include <linux/argo.h>

#define MSG_MAX 256

/* module parameters (selftest_main.c) */
extern int peer;
extern uint port;
extern uint count;
extern uint wait_s;
extern uint echoed;
extern int expect;
extern uint retries;
extern uint interval_ms;

__printf(2, 3) void tap(bool ok, const char *fmt, ...);

/* A receiver that keeps the last message for the test to check. */
struct rx_slot {
	struct completion done;
	wait_queue_head_t wq;
	struct argo_msg_info info;
	char data[MSG_MAX];
	size_t copied;
	unsigned int msgs;
};

struct argo_ring *slot_ring_create(struct argo_ring_params *p,
				   struct rx_slot **slotp);

int run_self(void);
int start_echo(void);
void stop_echo(void);
int run_ping(void);
int start_pinger(void);
void stop_pinger(void);
int run_limits(void);
int run_space(void);
int run_stress(void);
int run_wildcard(void);
int start_flood(void);
void stop_flood(void);

#endif /* _ARGO_SELFTEST_H */
