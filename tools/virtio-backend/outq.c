// SPDX-License-Identifier: GPL-2.0
/*
 * The output queue of one guest: Argo messages built but not yet sent.
 *
 * Records are appended to the last message while it has room (one Argo
 * message holds up to VA_MSG_MAX bytes of back-to-back records), so the
 * replies to a batch of requests usually travel in one message.  Nothing
 * is sent while the records are built: the loop flushes every guest after
 * each poll() round, and a guest whose ring is full keeps its queue, in
 * order, until the transport says its ring has room again.
 */
#include <errno.h>
#include <stdlib.h>

#include "backend.h"

void outq_init(struct outq *q)
{
	list_init(&q->msgs);
	q->bytes = 0;
}

/*
 * Room for @n more bytes of records (n <= VA_MSG_MAX).  Returns NULL when
 * memory runs out or the queue is over VB_OUTQ_MAX; the caller then drops
 * the guest, whose replies can no longer be delivered in order.
 */
void *outq_reserve(struct outq *q, uint32_t n)
{
	struct outmsg *m = NULL;
	void *p;

	if (n > VA_MSG_MAX || q->bytes + n > VB_OUTQ_MAX)
		return NULL;
	if (!list_empty(&q->msgs)) {
		m = list_last_entry(&q->msgs, struct outmsg, link);
		if (m->len + n > VA_MSG_MAX)
			m = NULL;
	}
	if (!m) {
		m = malloc(sizeof(*m));
		if (!m)
			return NULL;
		m->len = 0;
		list_add_tail(&m->link, &q->msgs);
	}
	p = m->buf + m->len;
	m->len += n;
	q->bytes += n;
	return p;
}

/*
 * Send queued messages in order.  Returns 0 once the queue is empty,
 * -EAGAIN when the guest's ring is full (g->blocked is then set), or the
 * transport's error for an unreachable guest.
 */
int outq_flush(struct backend *be, struct guest *g)
{
	struct outq *q = &g->out;

	while (!list_empty(&q->msgs)) {
		struct outmsg *m = list_first_entry(&q->msgs, struct outmsg,
						    link);
		int r = be->tops->send(be, g, m->buf, m->len);

		if (r == -EAGAIN) {
			g->blocked = true;
			return r;
		}
		if (r)
			return r;
		q->bytes -= m->len;
		list_del_init(&m->link);
		free(m);
	}
	return 0;
}

void outq_clear(struct outq *q)
{
	while (!list_empty(&q->msgs)) {
		struct outmsg *m = list_first_entry(&q->msgs, struct outmsg,
						    link);

		list_del_init(&m->link);
		free(m);
	}
	q->bytes = 0;
}
