// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: one poll() over every descriptor that wants something
 * (the /dev/argo endpoints, console input and output, a listening
 * socket), then the hooks for timers and flushing.  Single-threaded: a
 * callback runs to completion, so the state needs no locking.
 *
 * SIGINT and SIGTERM are blocked except inside ppoll(), so a signal can
 * only interrupt the wait, never a half-done update, and the stop flag
 * is seen at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "backend.h"

static struct list_node watches = { &watches, &watches };

/*
 * The round being dispatched: the watches poll() reported on.  A callback
 * may delete, and free, a watch due later in the same round (a device
 * removed, a client dropped): watch_del() clears its slot here, so the
 * loop never touches it again.
 */
static struct watch **round_who;
static size_t round_count;

void watch_add(struct watch *w)
{
	list_add_tail(&w->link, &watches);
}

/* @w must be on the list or self-linked (list_init()). */
void watch_del(struct watch *w)
{
	size_t i;

	list_del_init(&w->link);
	for (i = 0; i < round_count; i++)
		if (round_who[i] == w)
			round_who[i] = NULL;
}

int loop_run(const struct loop_hooks *hooks,
	     const volatile sig_atomic_t *stop)
{
	struct pollfd *pfd = NULL;
	struct watch **who = NULL;
	size_t cap = 0;
	sigset_t none;
	int ret = 0;

	sigemptyset(&none);
	while (!*stop) {
		struct list_node *n, *t;
		struct timespec ts, *tsp = NULL;
		size_t count = 0, i;
		int timeout, r;

		list_for_each_safe(n, t, &watches) {
			struct watch *w = list_entry(n, struct watch, link);

			if (w->fd < 0 || !w->events)
				continue;
			if (count == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct pollfd *np;
				struct watch **nw;

				np = realloc(pfd, ncap * sizeof(*np));
				if (!np) {
					vb_log("out of memory");
					ret = -1;
					goto out;
				}
				pfd = np;
				nw = realloc(who, ncap * sizeof(*nw));
				if (!nw) {
					vb_log("out of memory");
					ret = -1;
					goto out;
				}
				who = nw;
				cap = ncap;
			}
			pfd[count].fd = w->fd;
			pfd[count].events = w->events;
			pfd[count].revents = 0;
			who[count++] = w;
		}
		timeout = -1;
		if (hooks->timeout_ms)
			timeout = hooks->timeout_ms(hooks->ctx);
		if (timeout >= 0) {
			ts.tv_sec = timeout / 1000;
			ts.tv_nsec = (long)(timeout % 1000) * 1000000;
			tsp = &ts;
		}
		r = ppoll(pfd, count, tsp, &none);
		if (r < 0 && errno != EINTR) {
			vb_log("poll: %s", strerror(errno));
			ret = -1;
			break;
		}
		round_who = who;
		round_count = r > 0 ? count : 0;
		for (i = 0; i < round_count; i++) {
			struct watch *w = who[i];

			/*
			 * An earlier callback may have deleted it (NULL), or
			 * closed or disabled it.
			 */
			if (w && pfd[i].revents && w->fd == pfd[i].fd &&
			    w->events)
				w->cb(w, pfd[i].revents);
		}
		round_count = 0;
		if (hooks->round)
			hooks->round(hooks->ctx);
	}
out:
	free(pfd);
	free(who);
	return ret;
}
