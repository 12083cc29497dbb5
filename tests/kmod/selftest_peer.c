// SPDX-License-Identifier: GPL-2.0
/*
 * argo_selftest mode=flood: keep sending to (@peer, @port) from a kernel
 * thread until a send fails with something other than "ring full", and
 * publish the outcome in read-only parameters, so that a test can destroy
 * the peer domain mid-stream and check that senders learn it promptly
 * (-ESRCH or -ECONNREFUSED) while our own rings stay usable.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>

#include "selftest.h"

static int flood_result;
module_param(flood_result, int, 0444);
MODULE_PARM_DESC(flood_result, "mode=flood: 0 while sending, then the error that stopped it");
static uint flood_sent;
module_param(flood_sent, uint, 0444);
MODULE_PARM_DESC(flood_sent, "mode=flood: messages sent so far");

static struct task_struct *flood_task;
static struct argo_ring *flood_ring;

/* Echoes coming back are only drained. */
static void flood_rx(struct argo_ring *ring, void *priv)
{
	struct argo_msg_info m;

	while (!argo_ring_peek(ring, &m))
		argo_ring_consume(ring);
}

static int flood_fn(void *unused)
{
	static const char payload[64] = "flood";
	struct kvec iov = { .iov_base = (void *)payload, .iov_len = sizeof(payload) };
	ssize_t ret;

	while (!kthread_should_stop()) {
		ret = argo_sendv_wait(flood_ring, peer, port, &iov, 1, 0, HZ / 10);
		if (ret == sizeof(payload)) {
			WRITE_ONCE(flood_sent, flood_sent + 1);
		} else if (ret == -ECONNREFUSED && !flood_sent) {
			/* the peer's ring is not there yet */
			schedule_timeout_interruptible(HZ / 10);
		} else if (ret != -EAGAIN) {
			WRITE_ONCE(flood_result, ret);
			pr_info("flood to dom%d:%#x stopped after %u messages: %zd\n",
				peer, port, flood_sent, ret);
			break;
		}
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

int start_flood(void)
{
	struct argo_ring_params p = { .partner = peer, .size = 8192,
				      .rx = flood_rx };

	flood_ring = argo_ring_create(&p);
	if (IS_ERR(flood_ring))
		return PTR_ERR(flood_ring);
	flood_task = kthread_run(flood_fn, NULL, "argo-flood");
	if (IS_ERR(flood_task)) {
		argo_ring_destroy(flood_ring);
		return PTR_ERR(flood_task);
	}
	return 0;
}

void stop_flood(void)
{
	if (!IS_ERR_OR_NULL(flood_task))
		kthread_stop(flood_task);
	if (!IS_ERR_OR_NULL(flood_ring))
		argo_ring_destroy(flood_ring);
	flood_task = NULL;
	flood_ring = NULL;
}
