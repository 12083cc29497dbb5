// SPDX-License-Identifier: GPL-2.0
/*
 * The control interface: a unix socket where `argo-virtio-backend ctl`
 * (or any client) sends one request and reads one reply.
 *
 * A request is text: one line ("list", "remove NAME", "reload",
 * "add TYPE NAME KEY=VALUE...") ended by a newline or by the end of what
 * the client sends, or "add" followed by a section of the configuration
 * file ("add\n[blk x]\npath = ...\nguest = web1\n"), ended by the end of
 * what the client sends (shutdown(SHUT_WR)).  The reply is lines of text,
 * the last one "OK" or "ERROR <why>"; then the backend closes.
 *
 * The socket is the administrator's (mode 0600, and peers must be root or
 * the backend's own user), but a client is still not trusted to behave:
 * requests are bounded (CTL_REQ_MAX), clients are few (CTL_CLIENTS_MAX),
 * everything is non-blocking, and a client that neither finishes its
 * request nor reads its reply within CTL_TIMEOUT_MS is dropped (told why
 * when it was still sending: an "add" section left open, without the
 * shutdown(SHUT_WR) that ends it, is the usual mistake).  Requests
 * run from the loop's round hook (ctl_tick()), after every callback, so
 * a device they remove is never under a callback of the same round.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"

#define CTL_REQ_MAX		(16U << 10)
#define CTL_CLIENTS_MAX		8U
#define CTL_TIMEOUT_MS		10000U

enum ctl_state {
	CTL_READING,		/* the request is coming */
	CTL_READY,		/* complete: runs at the next ctl_tick() */
	CTL_WRITING,		/* the reply is going */
	CTL_DONE,		/* to be freed at the next ctl_tick() */
};

struct ctl_client {
	struct list_node link;
	struct watch w;
	struct ctl_server *srv;
	enum ctl_state state;
	char req[CTL_REQ_MAX + 1];
	size_t reqlen;
	bool too_long;
	struct vb_text out;
	size_t outoff;
	uint64_t deadline;
};

struct ctl_server {
	struct backend *be;
	const char *config;
	struct watch w;
	char path[VB_CONTROL_MAX];
	dev_t dev;
	ino_t ino;
	struct list_node clients;
	unsigned int nclients;
	unsigned int timeout_ms;
};

/* ---- the requests ---- */

static const char *origin_word(enum dev_origin o)
{
	switch (o) {
	case DEV_CMDLINE:
		return "cmdline";
	case DEV_CTL:
		return "ctl";
	case DEV_CONFIG:
		break;
	}
	return "config";
}

/* "web1,5" or "any": the guests @d is for, as its options said. */
static void bindings(const struct device *d, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	if (d->any_guest || (!d->nguests && !d->nnames)) {
		snprintf(buf, len, "any");
		return;
	}
	for (i = 0; i < d->nguests && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%u", n ? "," : "",
			      d->guests[i]);
	for (i = 0; i < d->nnames && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
			      d->gnames[i]);
}

static void ctl_list(struct backend *be, struct vb_text *out)
{
	struct list_node *n;
	unsigned int i;

	for (n = be->guests.next; n != &be->guests; n = n->next) {
		struct guest *g = list_entry(n, struct guest, link);
		unsigned int ndev = 0;

		/* the devices it is served now */
		for (i = 1; i <= be->ndev; i++) {
			const struct device *d = be->devs[i];

			if (g->inst[i] && d && !d->unplugged &&
			    (!d->exclusive || !d->holder || d->holder == g))
				ndev++;
		}
		text_add(out, "guest %u name=%s state=%s devices=%u\n",
			 g->domid, g->name[0] ? g->name : "-",
			 g->connected ? "connected" : "connecting", ndev);
	}
	for (i = 1; i <= be->ndev; i++) {
		struct device *d = be->devs[i];
		char who[256], users[256] = "", state[32];
		struct list_node *m;
		size_t k = 0;

		if (!d)
			continue;
		bindings(d, who, sizeof(who));
		for (m = d->insts.next; m != &d->insts; m = m->next) {
			struct devinst *di = list_entry(m, struct devinst,
							dev_link);

			if (k < sizeof(users))
				k += snprintf(users + k, sizeof(users) - k,
					      "%s%u", k ? "," : "",
					      di->g->domid);
		}
		if (d->unplugged)
			snprintf(state, sizeof(state), "unplugged");
		else if (d->exclusive && d->holder)
			snprintf(state, sizeof(state), "held-by-%u",
				 d->holder->domid);
		else if (d->exclusive)
			snprintf(state, sizeof(state), "free");
		else
			snprintf(state, sizeof(state), "ready");
		text_add(out, "device %u name=%s type=%s guest=%s state=%s instances=%s requests=%llu bytes=%llu errors=%llu from=%s\n",
			 d->dev_num, d->name, d->ops->kind, who, state,
			 k ? users : "-", (unsigned long long)d->requests,
			 (unsigned long long)d->bytes,
			 (unsigned long long)d->errors, origin_word(d->origin));
	}
}

/* "add TYPE NAME KEY=VALUE..." or "add\n[TYPE NAME]\nKEY = VALUE\n...". */
static int ctl_add(struct backend *be, const char *arg, struct vb_text *out)
{
	struct vb_text sect = { 0 }, err = { 0 };
	struct conf *c = calloc(1, sizeof(*c));
	char msg[256] = "", name[VB_DEV_NAME_MAX];
	int ret = -1;

	if (!c) {
		text_add(out, "ERROR out of memory\n");
		return -1;
	}
	while (*arg == ' ' || *arg == '\t' || *arg == '\n')
		arg++;
	if (*arg == '[') {
		text_add(&sect, "%s", arg);
	} else {
		/* one line: the words become a section */
		char *copy = strdup(arg), *save = NULL, *w;
		unsigned int i = 0;

		for (w = copy ? strtok_r(copy, " \t\r\n", &save) : NULL; w;
		     w = strtok_r(NULL, " \t\r\n", &save), i++) {
			char *eq = strchr(w, '=');

			if (i == 0)
				text_add(&sect, "[%s", w);
			else if (i == 1)
				text_add(&sect, " %s]\n", w);
			else if (eq && eq != w)
				text_add(&sect, "%.*s = %s\n", (int)(eq - w),
					 w, eq + 1);
			else
				text_add(&sect, "%s\n", w);
		}
		if (i == 1)
			text_add(&sect, "]\n");
		free(copy);
		if (!i) {
			text_add(out, "ERROR add needs a device: add TYPE NAME KEY=VALUE... or a [TYPE NAME] section\n");
			goto out;
		}
	}
	if (sect.full) {
		text_add(out, "ERROR out of memory\n");
		goto out;
	}
	if (conf_parse(c, sect.buf, sect.len, "add", &err) < 0) {
		text_add(out, "%s", err.buf ? err.buf : "");
		text_add(out, "ERROR the device is not valid\n");
		goto out;
	}
	if (c->ndevs != 1 || c->set.ring_size || c->set.control[0] || c->set.npartners) {
		text_add(out, "ERROR add takes exactly one device section\n");
		goto out;
	}
	c->devs[0]->origin = DEV_CTL;
	snprintf(name, sizeof(name), "%s", c->devs[0]->name);
	if (backend_plug_device(be, c->devs[0], msg, sizeof(msg))) {
		c->devs[0] = NULL;
		c->ndevs = 0;
		text_add(out, "ERROR %s: %s\n", name, msg);
		goto out;
	}
	c->devs[0] = NULL;
	c->ndevs = 0;
	text_add(out, "added %s (device %u)\nOK\n", name,
		 backend_find_device(be, name)->dev_num);
	ret = 0;
out:
	text_free(&sect);
	text_free(&err);
	conf_free(c);
	return ret;
}

static int ctl_remove(struct backend *be, const char *name,
		      struct vb_text *out)
{
	struct device *d = backend_find_device(be, name);
	unsigned int i;

	if (!*name) {
		text_add(out, "ERROR remove needs a device name\n");
		return -1;
	}
	if (!d) {
		text_add(out, "ERROR no device named '%s'\n", name);
		return -1;
	}
	for (i = 1; i <= be->ndev; i++)
		if (be->devs[i] && be->devs[i]->companion == d) {
			text_add(out, "ERROR '%s' goes with '%s': remove that\n",
				 name, be->devs[i]->name);
			return -1;
		}
	text_add(out, "removed %s (device %u)\n", d->name, d->dev_num);
	if (d->origin == DEV_CONFIG)
		text_add(out, "(it is in the configuration: a reload adds it back)\n");
	backend_remove_device(be, d);
	text_add(out, "OK\n");
	return 0;
}

static bool partners_equal(const struct vb_settings *a,
			   const struct vb_settings *b)
{
	unsigned int i, j;

	if (a->npartners != b->npartners)
		return false;
	for (i = 0; i < a->npartners; i++) {
		for (j = 0; j < b->npartners; j++)
			if (a->partners[i] == b->partners[j])
				break;
		if (j == b->npartners)
			return false;
	}
	return true;
}

/*
 * [backend] settings are taken once, at start (where the command line's
 * options come first): the ring is registered and the control socket
 * bound by then.  A reload that changes them says so (on every reload,
 * until the backend is restarted) rather than leave the user believing
 * they took effect.
 */
static void settings_note(const struct backend *be,
			  const struct vb_settings *now, struct vb_text *out)
{
	const struct vb_settings *was = &be->started;
	char keys[sizeof(", ring-size, control, partner")] = "";
	bool many;

	if (now->ring_size != was->ring_size)
		strcat(keys, ", ring-size");
	if (strcmp(now->control, was->control))
		strcat(keys, ", control");
	if (!partners_equal(now, was))
		strcat(keys, ", partner");
	if (!keys[0])
		return;
	many = strchr(keys + 2, ',') != NULL;
	text_add(out, "[backend] %s changed: a reload cannot apply %s; %s effect at the next start, unless the command line sets %s\n",
		 keys + 2, many ? "them" : "it", many ? "they take" : "it takes",
		 many ? "them" : "it");
}

/**
 * ctl_settings_started() - remember the configuration's [backend] settings
 * @be: the backend
 * @set: the settings it starts with
 *
 * A later reload compares its [backend] section with these.
 */
void ctl_settings_started(struct backend *be, const struct vb_settings *set)
{
	be->started = *set;
}

/*
 * Reload the configuration at @config into @be (ctl reload and SIGHUP):
 * nothing changes if it has an error.  The report goes to @out and to
 * the log, the status line last.
 */
int ctl_reload(struct backend *be, const char *config, struct vb_text *out)
{
	struct vb_text err = { 0 }, rep = { 0 };
	struct conf *c;
	char *line, *save = NULL;
	int ret = -1;

	if (!config) {
		text_add(out, "ERROR no configuration file to reload (the backend was not started with --config)\n");
		vb_log("reload: no configuration file (no --config)");
		return -1;
	}
	vb_log("reloading %s", config);
	c = conf_load(config, &err);
	if (!c) {
		text_add(out, "%s", err.buf ? err.buf : "");
		text_add(out, "ERROR %s has errors: nothing changed\n", config);
		for (line = err.buf ? strtok_r(err.buf, "\n", &save) : NULL;
		     line; line = strtok_r(NULL, "\n", &save))
			vb_log("%s", line);
		vb_log("reload: %s has errors: nothing changed", config);
		goto out;
	}
	ret = conf_apply(be, c, &rep);
	if (ret != -2)
		settings_note(be, &c->set, &rep);
	conf_free(c);
	text_add(out, "%s", rep.buf ? rep.buf : "");
	text_add(out, ret == -2 ? "ERROR nothing changed\n" : ret ?
		 "ERROR not every device could be added\n" : "OK\n");
	for (line = rep.buf ? strtok_r(rep.buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		vb_log("reload: %s", line);
out:
	text_free(&err);
	text_free(&rep);
	return ret;
}

/* Run one request (NUL-terminated); the reply goes to @out. */
int ctl_request(struct backend *be, const char *config, const char *req,
		struct vb_text *out)
{
	char cmd[16], arg[VB_DEV_NAME_MAX + 1];
	size_t n = strcspn(req, " \t\r\n");

	if (n >= sizeof(cmd)) {
		text_add(out, "ERROR unknown command (list, add, remove, reload)\n");
		return -1;
	}
	memcpy(cmd, req, n);
	cmd[n] = '\0';
	if (!strcmp(cmd, "add")) {
		vb_log("control: add");
		return ctl_add(be, req + n, out);
	}
	/* the other commands: one line, at most one word after them */
	{
		const char *a = req + n, *e;

		while (*a == ' ' || *a == '\t')
			a++;
		e = a + strcspn(a, " \t\r\n");
		if ((size_t)(e - a) >= sizeof(arg)) {
			text_add(out, "ERROR argument too long\n");
			return -1;
		}
		memcpy(arg, a, e - a);
		arg[e - a] = '\0';
		while (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n')
			e++;
		if (*e) {
			text_add(out, "ERROR %s takes %s\n", cmd,
				 strcmp(cmd, "remove") ? "no argument" :
				 "one device name");
			return -1;
		}
	}
	if (!strcmp(cmd, "list") && !arg[0]) {
		ctl_list(be, out);
		text_add(out, "OK\n");
		return 0;
	}
	if (!strcmp(cmd, "remove")) {
		vb_log("control: remove %s", arg);
		return ctl_remove(be, arg, out);
	}
	if (!strcmp(cmd, "reload") && !arg[0])
		return ctl_reload(be, config, out);
	if (!strcmp(cmd, "list") || !strcmp(cmd, "reload")) {
		text_add(out, "ERROR %s takes no argument\n", cmd);
		return -1;
	}
	text_add(out, "ERROR unknown command '%s' (list, add, remove, reload)\n",
		 cmd);
	return -1;
}

/* ---- the socket ---- */

/* Is the request in @c complete (a line, or everything for a section)? */
static bool request_complete(const struct ctl_client *c, bool eof)
{
	const char *nl;

	if (eof)
		return true;
	nl = memchr(c->req, '\n', c->reqlen);
	if (!nl)
		return false;
	/* "add" alone or "add [..." takes a section: it ends at EOF */
	if (c->reqlen >= 3 && !memcmp(c->req, "add", 3)) {
		const char *p = c->req + 3;

		while (p < nl && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == nl || *p == '[')
			return false;
	}
	return true;
}

static void client_write(struct ctl_client *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = send(c->w.fd, c->out.buf + c->outoff,
				 c->out.len - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->w.events = POLLOUT;
			return;
		}
		if (n <= 0)
			break;
		c->outoff += n;
	}
	c->state = CTL_DONE;
	c->w.events = 0;
}

/*
 * A reply over the bound (text_add() stopped adding): cut it back to its
 * last whole line and end it with an ERROR line, so that the client sees
 * why it is short.
 */
static void reply_too_long(struct vb_text *t)
{
	static const char msg[] = "ERROR reply too long\n";
	char *nl;

	if (!t->buf || t->cap < sizeof(msg))
		return;
	if (t->len > t->cap - sizeof(msg))
		t->len = t->cap - sizeof(msg);
	t->buf[t->len] = '\0';
	nl = strrchr(t->buf, '\n');
	t->len = nl ? (size_t)(nl - t->buf) + 1 : 0;
	memcpy(t->buf + t->len, msg, sizeof(msg));
	t->len += sizeof(msg) - 1;
}

static void client_cb(struct watch *w, short revents)
{
	struct ctl_client *c = w->priv;

	if (c->state == CTL_WRITING) {
		client_write(c);
		return;
	}
	if (c->state != CTL_READING)
		return;
	for (;;) {
		size_t room = CTL_REQ_MAX - c->reqlen;
		ssize_t n;

		/*
		 * The bound reached and no end of request in it: answer now
		 * and read no more (a client that keeps sending would else
		 * hold the loop here for as long as it likes).
		 */
		if (!room) {
			c->too_long = true;
			c->state = CTL_READY;
			w->events = 0;
			return;
		}
		n = recv(w->fd, c->req + c->reqlen, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			c->state = CTL_DONE;
			w->events = 0;
			return;
		}
		c->reqlen += n;
		c->req[c->reqlen] = '\0';
		if (!n || request_complete(c, false)) {
			c->state = CTL_READY;
			w->events = 0;
			return;
		}
	}
	if (revents & (POLLHUP | POLLERR)) {
		c->state = CTL_READY;
		w->events = 0;
	}
}

static void client_free(struct ctl_client *c)
{
	watch_del(&c->w);
	close(c->w.fd);
	text_free(&c->out);
	list_del_init(&c->link);
	c->srv->nclients--;
	free(c);
}

/*
 * A last word to a client about to be closed: one non-blocking try, since
 * a client that does not read must not hold the loop.
 */
static void say_once(int fd, const char *msg)
{
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		vb_debug("control: %s", strerror(errno));
}

/* Serve one connected client on @fd (taken). */
int ctl_attach(struct ctl_server *srv, int fd)
{
	struct ctl_client *c;

	if (srv->nclients >= CTL_CLIENTS_MAX) {
		say_once(fd, "ERROR busy: too many control clients\n");
		close(fd);
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->srv = srv;
	c->w.fd = fd;
	c->w.events = POLLIN;
	c->w.cb = client_cb;
	c->w.priv = c;
	c->deadline = vb_now_ms() + srv->timeout_ms;
	list_add_tail(&c->link, &srv->clients);
	srv->nclients++;
	watch_add(&c->w);
	return 0;
}

static void accept_cb(struct watch *w, short revents)
{
	struct ctl_server *srv = w->priv;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	(void)revents;
	fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* the socket's mode says who; the peer's uid says it again */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		if (ratelimit_ok(&srv->be->rl))
			vb_log("control: a client of uid %d refused",
			       (int)cred.uid);
		close(fd);
		return;
	}
	ctl_attach(srv, fd);
}

/* A client still sending at its deadline: one try to say why it goes. */
static void client_unfinished(struct ctl_client *c)
{
	char msg[192];

	snprintf(msg, sizeof(msg),
		 "ERROR request not finished within %g s: a request ends with a newline, an 'add' section when the client closes its side\n",
		 c->srv->timeout_ms / 1000.0);
	say_once(c->w.fd, msg);
}

/* Run the complete requests, drop the clients done or too slow. */
void ctl_tick(struct ctl_server *srv)
{
	struct list_node *n, *t;
	uint64_t now = vb_now_ms();

	list_for_each_safe(n, t, &srv->clients) {
		struct ctl_client *c = list_entry(n, struct ctl_client, link);

		if (c->state == CTL_READY) {
			if (c->too_long)
				text_add(&c->out, "ERROR request longer than %u bytes\n",
					 CTL_REQ_MAX);
			else if (!c->reqlen || memchr(c->req, '\0', c->reqlen))
				text_add(&c->out, "ERROR empty or binary request\n");
			else
				ctl_request(srv->be, srv->config, c->req,
					    &c->out);
			if (c->out.full)
				reply_too_long(&c->out);
			c->state = CTL_WRITING;
			c->deadline = now + srv->timeout_ms;
			client_write(c);
		}
		if (c->state == CTL_READING && now >= c->deadline)
			client_unfinished(c);
		if (c->state == CTL_DONE || now >= c->deadline)
			client_free(c);
	}
}

/* Milliseconds until a client's deadline, -1 without clients. */
int ctl_timeout_ms(const struct ctl_server *srv)
{
	const struct list_node *n;
	uint64_t now = vb_now_ms(), first = UINT64_MAX;

	if (!srv)
		return -1;
	for (n = srv->clients.next; n != &srv->clients; n = n->next) {
		const struct ctl_client *c = list_entry(n, struct ctl_client,
							link);

		if (c->state == CTL_READY || c->state == CTL_DONE)
			return 0;
		if (c->deadline < first)
			first = c->deadline;
	}
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)MIN(first - now, 60000U);
}

struct ctl_server *ctl_new(struct backend *be, const char *config)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->be = be;
	srv->config = config;
	srv->w.fd = -1;
	srv->w.cb = accept_cb;
	srv->w.priv = srv;
	list_init(&srv->w.link);
	list_init(&srv->clients);
	srv->timeout_ms = CTL_TIMEOUT_MS;
	return srv;
}

/* A client's deadline other than CTL_TIMEOUT_MS: the tests' way to wait less. */
void ctl_set_timeout(struct ctl_server *srv, unsigned int ms)
{
	srv->timeout_ms = ms;
}

/*
 * Listen at @path: created as PATH.PID.tmp with mode 0600 and renamed
 * over @path, so a client never finds a socket of another mode there.  A
 * path where a backend answers is refused; a stale socket is replaced;
 * anything else at @path is left alone (refused).
 */
int ctl_listen(struct ctl_server *srv, const char *path, char *err,
	       size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char tmp[VB_CONTROL_MAX], dir[VB_CONTROL_MAX], *slash;
	struct stat st;
	mode_t old;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >=
	    (int)sizeof(tmp) || strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "control socket path '%s' is too long",
			 path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket: not replaced",
				 path);
			return -1;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		strcpy(a.sun_path, path);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			close(fd);
			snprintf(err, errlen, "%s: another backend listens there",
				 path);
			return -1;
		}
		if (fd >= 0)
			close(fd);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	strcpy(a.sun_path, tmp);
	unlink(tmp);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		umask(old);
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(tmp, 0600) || listen(fd, 8) || stat(tmp, &st) ||
	    rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	srv->w.fd = fd;
	srv->w.events = POLLIN;
	watch_add(&srv->w);
	vb_log("control socket %s", path);
	return 0;
}

/* Close everything; remove the socket if it is still ours. */
void ctl_free(struct ctl_server *srv)
{
	struct stat st;

	if (!srv)
		return;
	while (!list_empty(&srv->clients))
		client_free(list_first_entry(&srv->clients,
					     struct ctl_client, link));
	if (srv->w.fd >= 0) {
		if (!lstat(srv->path, &st) && st.st_dev == srv->dev &&
		    st.st_ino == srv->ino)
			unlink(srv->path);
		watch_del(&srv->w);
		close(srv->w.fd);
	}
	free(srv);
}

/* ---- the client: argo-virtio-backend ctl ---- */

/*
 * Send @req to the backend at @path, print its reply: the lines on
 * stdout, an ERROR's reason on stderr.  Returns the exit status: 0 (OK),
 * 1 (ERROR, or no answer).
 */
int ctl_client(const char *path, const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[4096], last[1024] = "";
	size_t lastlen = 0, sent = 0, len = strlen(req);
	int fd, status = 1;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "%s ctl: %s: path too long\n", VB_NAME, path);
		return 1;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "%s ctl: %s: %s (is the backend running, with --config or --control?)\n",
			VB_NAME, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	while (sent < len) {
		ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s ctl: send: %s\n", VB_NAME,
				strerror(errno));
			close(fd);
			return 1;
		}
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n, i;

		/* a reload may start devices: give it time */
		if (poll(&p, 1, 120000) <= 0) {
			fprintf(stderr, "%s ctl: no answer\n", VB_NAME);
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (lastlen < sizeof(last) - 1)
					last[lastlen++] = buf[i];
				continue;
			}
			last[lastlen] = '\0';
			lastlen = 0;
			if (!strcmp(last, "OK")) {
				status = 0;
			} else if (!strncmp(last, "ERROR", 5)) {
				fprintf(stderr, "%s ctl: %s\n", VB_NAME,
					last[5] ? last + 6 : "error");
				status = 1;
			} else {
				printf("%s\n", last);
			}
		}
	}
	close(fd);
	fflush(stdout);
	return status;
}
