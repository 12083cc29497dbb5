// SPDX-License-Identifier: GPL-2.0
/*
 * argo_selftest: the basic API against our own domain, and the echo/ping
 * pair for the cross-domain round trip.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/freezer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "selftest.h"

static void rx_keep_last(struct argo_ring *ring, void *priv)
{
	struct rx_slot *slot = priv;
	struct argo_msg_info info;

	while (!argo_ring_peek(ring, &info)) {
		slot->info = info;
		/* two copies with an offset: exercises scatter reads */
		slot->copied = argo_ring_copy(ring, 0, slot->data, 5);
		slot->copied += argo_ring_copy(ring, slot->copied,
					       slot->data + slot->copied,
					       sizeof(slot->data) - slot->copied);
		argo_ring_consume(ring);
		WRITE_ONCE(slot->msgs, slot->msgs + 1);
		complete(&slot->done);
		wake_up(&slot->wq);
	}
}

/* A ring whose callback keeps the last message in a new rx_slot. */
struct argo_ring *slot_ring_create(struct argo_ring_params *p,
				   struct rx_slot **slotp)
{
	struct argo_ring *ring = ERR_PTR(-ENOMEM);
	struct rx_slot *slot;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL);
	*slotp = slot;
	if (slot) {
		init_completion(&slot->done);
		init_waitqueue_head(&slot->wq);
		p->rx = rx_keep_last;
		p->priv = slot;
		ring = argo_ring_create(p);
	}
	tap(!IS_ERR(ring), "create ring (port %#x, partner %u): %d", p->port,
	    p->partner, PTR_ERR_OR_ZERO(ring));
	return ring;
}

int run_self(void)
{
	static const char a[] = "hello ", b[] = "argo";
	struct argo_ring_params p = { .partner = argo_own_domid(),
				      .size = 4096 };
	struct kvec iov[2] = { { (void *)a, strlen(a) }, { (void *)b, strlen(b) } };
	struct kvec many[ARGO_MAX_IOV + 1];
	struct argo_dest_info dest;
	struct argo_ring *ring, *dup;
	struct rx_slot *slot;
	u16 self = argo_own_domid();
	ssize_t ret;
	int i;

	ring = slot_ring_create(&p, &slot);
	if (IS_ERR(ring))
		goto out;
	tap(argo_ring_port(ring) >= 0x80000000U, "auto port %#x is ephemeral",
	    argo_ring_port(ring));
	tap(argo_ring_size(ring) == 4096 * 2 - 64,
	    "size 4096 rounds up to fill 2 pages: %zu", argo_ring_size(ring));

	p.port = argo_ring_port(ring);
	dup = argo_ring_create(&p);
	tap(PTR_ERR(dup) == -EADDRINUSE, "same port and partner again: %d (want %d)",
	    PTR_ERR_OR_ZERO(dup), -EADDRINUSE);
	if (!IS_ERR(dup))
		argo_ring_destroy(dup);

	ret = argo_query(self, argo_ring_port(ring), 64, &dest);
	tap(ret == 0 && dest.exists && dest.sufficient &&
	    dest.max_message_size == argo_ring_size(ring) - 32,
	    "query own ring: rc %zd exists %d sufficient %d max %u", ret,
	    dest.exists, dest.sufficient, dest.max_message_size);

	ret = argo_sendv(ring, self, argo_ring_port(ring), iov, 2, 0x1234);
	tap(ret == strlen(a) + strlen(b), "sendv 2 iovecs to self: %zd", ret);
	tap(wait_for_completion_timeout(&slot->done, 5 * HZ) > 0,
	    "rx callback ran");
	tap(slot->info.len == strlen(a) + strlen(b) &&
	    slot->copied == slot->info.len &&
	    !memcmp(slot->data, "hello argo", 10),
	    "payload arrived intact (%u bytes)", slot->info.len);
	tap(slot->info.src_domid == self &&
	    slot->info.src_port == argo_ring_port(ring) &&
	    slot->info.type == 0x1234,
	    "source dom%u:%#x type %#x", slot->info.src_domid,
	    slot->info.src_port, slot->info.type);

	ret = argo_sendv(ring, self, argo_ring_port(ring) + 1, iov, 1, 0);
	tap(ret == -ECONNREFUSED, "send to a port without ring: %zd (want %d)",
	    ret, -ECONNREFUSED);
	ret = argo_sendv(ring, 0x7000, 1, iov, 1, 0);
	tap(ret == -ESRCH, "send to a missing domain: %zd (want %d)", ret,
	    -ESRCH);
	for (i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = iov[0];
	ret = argo_sendv(ring, self, argo_ring_port(ring), many,
			 ARRAY_SIZE(many), 0);
	tap(ret == -EINVAL, "send with 9 iovecs: %zd (want %d)", ret, -EINVAL);

	argo_ring_destroy(ring);
	ret = argo_query(self, p.port, 0, &dest);
	tap(ret == 0 && !dest.exists, "ring gone after destroy: rc %zd exists %d",
	    ret, dest.exists);
out:
	kfree(slot);
	return 0;
}

/* ---- echo server ------------------------------------------------------- */

static struct argo_ring *echo_ring;

static void rx_echo(struct argo_ring *ring, void *priv)
{
	struct argo_msg_info info;
	char *buf = priv;
	struct kvec iov;
	ssize_t ret;

	while (!argo_ring_peek(ring, &info)) {
		iov.iov_base = buf;
		iov.iov_len = argo_ring_copy(ring, 0, buf, MSG_MAX);
		argo_ring_consume(ring);
		ret = argo_sendv(ring, info.src_domid, info.src_port, &iov, 1,
				 info.type + 1);
		if (ret < 0)
			pr_warn_ratelimited("echo to dom%u:%#x failed: %zd\n",
					    info.src_domid, info.src_port, ret);
		else
			echoed++;
	}
}

int start_echo(void)
{
	struct argo_ring_params p = { .port = port, .partner = ARGO_DOMID_ANY,
				      .size = 16384, .rx = rx_echo };

	p.priv = kzalloc(MSG_MAX, GFP_KERNEL);
	if (!p.priv)
		return -ENOMEM;
	echo_ring = argo_ring_create(&p);
	if (IS_ERR(echo_ring)) {
		pr_err("cannot create the echo ring on port %#x: %ld\n", port,
		       PTR_ERR(echo_ring));
		kfree(p.priv);
		return PTR_ERR(echo_ring);
	}
	pr_info("echoing on dom%d port %#x\n", argo_own_domid(), port);
	return 0;
}

/* ---- ping -------------------------------------------------------------- */

/*
 * One round trip: send @msg as ping @i and wait for its echo, sending it
 * again up to @retries times when no echo comes (a domain being saved and
 * restored may lose an echo that arrived after its memory was copied).
 * The waits are freezable, so that the domain can be suspended meanwhile.
 */
static int ping_one(struct argo_ring *ring, struct rx_slot *slot,
		    const char *msg, size_t len, unsigned int i,
		    unsigned long deadline)
{
	struct kvec iov = { .iov_base = (void *)msg, .iov_len = len };
	unsigned int attempt, seen;
	ssize_t ret;

	for (attempt = 0; attempt <= retries; attempt++) {
		seen = READ_ONCE(slot->msgs);
		do {
			ret = argo_sendv(ring, peer, port, &iov, 1, 0x100 + i);
			if (ret != -ECONNREFUSED)
				break;
			/* the echo ring may not exist yet */
			wait_event_freezable_timeout(slot->wq, false, HZ / 10);
		} while (time_before(jiffies, deadline));
		if (ret != len) {
			pr_info("send ping %u to dom%d:%#x: %zd\n", i, peer, port, ret);
			return ret < 0 ? ret : -EIO;
		}
		while (wait_event_freezable_timeout(slot->wq,
						    READ_ONCE(slot->msgs) != seen,
						    retries ? 2 * HZ : 10 * HZ) > 0) {
			seen = READ_ONCE(slot->msgs);
			if (slot->info.type < 0x101 + i)
				continue;	/* a late echo of an earlier try */
			if (slot->info.src_domid == peer &&
			    slot->info.src_port == port &&
			    slot->info.type == 0x101 + i &&
			    slot->copied == len && !memcmp(slot->data, msg, len))
				return 0;
			pr_info("echo %u mismatch: dom%u:%#x type %#x len %zu\n",
				i, slot->info.src_domid, slot->info.src_port,
				slot->info.type, slot->copied);
			return -EIO;
		}
		pr_info("no echo for ping %u (try %u)\n", i, attempt);
	}
	return -ETIMEDOUT;
}

/* @count pings to (@peer, @port); returns how many came back intact. */
static unsigned int ping_loop(void)
{
	struct argo_ring_params p = { .partner = peer, .size = 8192 };
	unsigned long deadline = jiffies + wait_s * HZ;
	char msg[MSG_MAX];
	struct argo_ring *ring;
	struct rx_slot *slot;
	unsigned int i, good = 0;
	size_t len;

	ring = slot_ring_create(&p, &slot);
	if (IS_ERR(ring))
		goto out;
	for (i = 0; i < count; i++) {
		len = scnprintf(msg, sizeof(msg), "ping %u from dom%d to dom%d",
				i, argo_own_domid(), peer);
		if (ping_one(ring, slot, msg, len, i, deadline))
			break;
		good++;
		if (interval_ms)
			wait_event_freezable_timeout(slot->wq, false,
						     msecs_to_jiffies(interval_ms));
	}
	argo_ring_destroy(ring);
out:
	kfree(slot);
	return good;
}

int run_ping(void)
{
	unsigned int good;

	if (peer < 0 || peer >= ARGO_DOMID_ANY) {
		pr_err("mode=ping needs peer=<domid>\n");
		return -EINVAL;
	}
	good = ping_loop();
	tap(good == count, "%u of %u round trips dom%d -> dom%d -> dom%d intact",
	    good, count, argo_own_domid(), peer, argo_own_domid());
	return 0;
}

/*
 * mode=pinger: the same pings from a freezable kernel thread, so that the
 * domain can be saved and restored in the middle of the conversation.
 * pinger_good counts intact round trips; pinger_done turns 1 at the end.
 */
static uint pinger_good;
module_param(pinger_good, uint, 0444);
MODULE_PARM_DESC(pinger_good, "mode=pinger: intact round trips");
static uint pinger_done;
module_param(pinger_done, uint, 0444);
MODULE_PARM_DESC(pinger_done, "mode=pinger: 1 once all pings were tried");
static struct task_struct *pinger_task;

static int pinger_fn(void *unused)
{
	set_freezable();
	WRITE_ONCE(pinger_good, ping_loop());
	pr_info("pinger: %u of %u round trips intact\n", pinger_good, count);
	WRITE_ONCE(pinger_done, 1);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

int start_pinger(void)
{
	if (peer < 0 || peer >= ARGO_DOMID_ANY)
		return -EINVAL;
	pinger_task = kthread_run(pinger_fn, NULL, "argo-pinger");
	return PTR_ERR_OR_ZERO(pinger_task);
}

void stop_pinger(void)
{
	if (!IS_ERR_OR_NULL(pinger_task))
		kthread_stop(pinger_task);
	pinger_task = NULL;
}

void stop_echo(void)
{
	if (!IS_ERR_OR_NULL(echo_ring)) {
		void *buf = argo_ring_priv(echo_ring);

		argo_ring_destroy(echo_ring);
		kfree(buf);
		echo_ring = NULL;
	}
}
