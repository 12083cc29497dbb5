// SPDX-License-Identifier: GPL-2.0
/*
 * argo_selftest: several senders hammer one small ring of our own with
 * numbered messages through argo_sendv_wait(); the receiver checks that
 * each sender's messages arrive exactly once and in order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "selftest.h"

#define SENDERS 4

struct stress_msg {
	u32 sender;
	u32 seq;
	u8 fill[40];
};

struct stress;

struct stress_sender {
	struct work_struct work;
	struct stress *st;
	u32 id;
};

struct stress {
	struct argo_ring *ring;
	u16 self;
	u32 port;
	struct stress_sender sender[SENDERS];
	atomic_t send_errors;
	/* receiver state: only the rx callback writes it */
	u32 next[SENDERS];
	unsigned int received, bad;
	wait_queue_head_t wq;
};

static void stress_rx(struct argo_ring *ring, void *priv)
{
	struct stress *st = priv;
	struct argo_msg_info m;
	struct stress_msg msg;

	while (!argo_ring_peek(ring, &m)) {
		if (m.len != sizeof(msg) ||
		    argo_ring_copy(ring, 0, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.sender >= SENDERS || msg.seq != st->next[msg.sender])
			st->bad++;
		else
			st->next[msg.sender]++;
		argo_ring_consume(ring);
		WRITE_ONCE(st->received, st->received + 1);
	}
	wake_up(&st->wq);
}

static void stress_send(struct work_struct *work)
{
	struct stress_sender *s = container_of(work, struct stress_sender, work);
	struct stress *st = s->st;
	struct stress_msg msg = { .sender = s->id };
	struct kvec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	unsigned int i;
	ssize_t ret;

	for (i = 0; i < count; i++) {
		msg.seq = i;
		ret = argo_sendv_wait(st->ring, st->self, st->port, &iov, 1, 0,
				      10 * HZ);
		if (ret != sizeof(msg)) {
			atomic_inc(&st->send_errors);
			pr_info("sender %u message %u: %zd\n", s->id, i, ret);
			break;
		}
	}
}

int run_stress(void)
{
	struct argo_ring_params p = { .partner = argo_own_domid(), .size = 0,
				      .rx = stress_rx };
	struct workqueue_struct *wq;
	unsigned int i, total = SENDERS * count;
	struct stress *st;
	bool all;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	wq = alloc_workqueue("argo_stress", WQ_UNBOUND, SENDERS);
	if (!st || !wq) {
		kfree(st);
		if (wq)
			destroy_workqueue(wq);
		return -ENOMEM;
	}
	init_waitqueue_head(&st->wq);
	st->self = argo_own_domid();
	p.priv = st;
	st->ring = argo_ring_create(&p);
	tap(!IS_ERR(st->ring), "one-page ring for %u senders: %d", SENDERS,
	    PTR_ERR_OR_ZERO(st->ring));
	if (IS_ERR(st->ring))
		goto out;
	st->port = argo_ring_port(st->ring);

	for (i = 0; i < SENDERS; i++) {
		st->sender[i].st = st;
		st->sender[i].id = i;
		INIT_WORK(&st->sender[i].work, stress_send);
		queue_work(wq, &st->sender[i].work);
	}
	flush_workqueue(wq);
	all = wait_event_timeout(st->wq, READ_ONCE(st->received) >= total,
				 30 * HZ);
	tap(!atomic_read(&st->send_errors), "%u senders x %u messages sent",
	    SENDERS, count);
	tap(all && st->received == total,
	    "all %u messages received (got %u): none lost", total, st->received);
	tap(!st->bad, "no message duplicated, reordered or damaged (%u bad)",
	    st->bad);
	argo_ring_destroy(st->ring);
out:
	destroy_workqueue(wq);
	kfree(st);
	return 0;
}
