// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (device id 3), one port: queue 0 (receiveq) holds buffers
 * the guest gives us to fill with input, queue 1 (transmitq) carries what
 * the guest writes.
 *
 * By default the device has no MULTIPORT, so Linux makes its one port an
 * hvc console (/dev/hvcN, for console= and getty).  Linux refuses open()
 * on the /dev/vport* node of a console port, and writes to an hvc console
 * busy-wait with interrupts off until the device completes them.  With the
 * "port[=NAME]" option the device offers VIRTIO_CONSOLE_F_MULTIPORT and
 * presents its port as a generic virtio-serial port instead (/dev/vportNp0,
 * and /dev/virtio-ports/NAME through udev): an ordinary character device
 * whose writes sleep.  That takes two more queues, the control receiveq (2,
 * buffers for our control messages) and transmitq (3, the driver's), and a
 * handshake: the driver's DEVICE_READY is answered with PORT_ADD for port
 * 0, its PORT_READY with PORT_NAME (when named) and PORT_OPEN (our side is
 * always open).  We never send CONSOLE_PORT.
 *
 * Modes:
 *   echo        each guest's output comes back as its own input
 *   stdio       our stdin is the input, our stdout the output
 *   pty         a pseudo-terminal; its path is printed at startup
 *   unix:PATH   a listening unix socket, one client at a time
 *
 * No byte is ever dropped on its way to the guest: input waits in a
 * buffer until the guest gives receive buffers, and when that buffer is
 * full we stop reading the host side.  Output is flow-controlled the same
 * way: while our output buffer (or, in echo mode, the echo buffer) is
 * full, the guest's transmit chains stay uncompleted, which holds its
 * writer back.  Output with nowhere to go (no unix client connected, or
 * stdout closed) is discarded, like characters sent down a serial line
 * with nothing attached.
 *
 * In echo mode every guest has its own echo buffer.  In the other modes
 * the host side is one resource: it is attached to one guest at a time,
 * the first whose instance uses the device; it moves on when that guest
 * resets the device or goes away.  The other guests' output is discarded
 * and they get no input (use guest= to give each console to one guest).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "backend.h"

#define CON_RXQ			0
#define CON_TXQ			1
#define CON_CTRL_RXQ		2	/* MULTIPORT only */
#define CON_CTRL_TXQ		3
/* Control messages waiting for a control receive buffer, and name size. */
#define CON_CTRL_PENDING	8
#define CON_NAME_MAX		255U
/* Host side buffers, each way. */
#define CON_FIFO_SIZE		(64U * 1024)
/* The echo buffer of one guest. */
#define CON_ECHO_SIZE		(256U * 1024)

enum con_mode { CON_ECHO, CON_STDIO, CON_PTY, CON_UNIX };

/* A byte ring buffer. */
struct fifo {
	uint8_t *buf;
	size_t size;
	size_t head;		/* oldest byte */
	size_t len;
};

struct console {
	enum con_mode mode;
	bool multiport;
	char *port_name;	/* MULTIPORT: PORT_NAME, or NULL */
	char *path;		/* unix socket */
	char pty_name[128];
	int in_fd;		/* host side, -1 when none */
	int out_fd;
	int listen_fd;
	int pty_slave;		/* kept open: see con_start_pty() */
	int saved_flags[2];	/* stdio: stdin/stdout flags to restore */
	bool in_eof;
	bool out_broken;	/* stdio: stdout gone, output discarded */
	struct fifo in;		/* host -> guest */
	struct fifo out;	/* guest -> host */
	struct devinst *owner;
	struct watch w_in;
	struct watch w_out;
	struct watch w_listen;
	uint16_t dev_num;
};

/* A control message to the driver: struct virtio_console_control [+ name] */
struct con_ctrl {
	uint32_t len;
	uint8_t buf[sizeof(struct virtio_console_control) + CON_NAME_MAX];
};

struct con_inst {
	struct list_node rxq;	/* receive chains waiting for input */
	struct list_node txq;	/* transmit chains not yet taken in full */
	struct fifo echo;
	bool told;		/* told the log it is not attached */
	/* MULTIPORT */
	struct list_node ctrl_rxq;	/* control receive buffers */
	struct con_ctrl ctrl[CON_CTRL_PENDING];
	unsigned int ctrl_head;
	unsigned int nctrl;
};

static bool stdio_taken;

static int fifo_alloc(struct fifo *f, size_t size)
{
	f->buf = malloc(size);
	f->size = f->buf ? size : 0;
	f->head = 0;
	f->len = 0;
	return f->buf ? 0 : -1;
}

static size_t fifo_put(struct fifo *f, const uint8_t *p, size_t n)
{
	size_t done = 0;

	n = MIN(n, f->size - f->len);
	while (done < n) {
		size_t tail = (f->head + f->len) % f->size;
		size_t chunk = MIN(n - done, f->size - tail);

		memcpy(f->buf + tail, p + done, chunk);
		f->len += chunk;
		done += chunk;
	}
	return done;
}

static size_t fifo_get(struct fifo *f, uint8_t *p, size_t n)
{
	size_t done = 0;

	n = MIN(n, f->len);
	while (done < n) {
		size_t chunk = MIN(n - done, f->size - f->head);

		memcpy(p + done, f->buf + f->head, chunk);
		f->head = (f->head + chunk) % f->size;
		f->len -= chunk;
		done += chunk;
	}
	return done;
}

/* The oldest bytes that are contiguous in memory (for write()). */
static size_t fifo_peek(const struct fifo *f, const uint8_t **p)
{
	*p = f->buf + f->head;
	return MIN(f->len, f->size - f->head);
}

static void fifo_skip(struct fifo *f, size_t n)
{
	f->head = (f->head + n) % f->size;
	f->len -= n;
}

static void fifo_clear(struct fifo *f)
{
	f->head = 0;
	f->len = 0;
}

/* Is there anywhere for the guest's output to go? */
static bool con_has_sink(const struct console *con)
{
	switch (con->mode) {
	case CON_ECHO:
	case CON_PTY:
		return true;
	case CON_STDIO:
		return !con->out_broken;
	case CON_UNIX:
		return con->out_fd >= 0;
	}
	return false;
}

static void con_update_watches(struct console *con)
{
	if (con->mode == CON_ECHO)
		return;
	con->w_in.fd = con->in_fd;
	con->w_in.events = con->in_fd >= 0 && !con->in_eof &&
			   con->in.len < con->in.size ? POLLIN : 0;
	con->w_out.fd = con->out_fd;
	con->w_out.events = con->out_fd >= 0 && con->out.len ? POLLOUT : 0;
}

static void con_drop_client(struct console *con, const char *why)
{
	vb_log("console device %u: client gone (%s)", con->dev_num, why);
	close(con->in_fd);
	con->in_fd = -1;
	con->out_fd = -1;
	con->in_eof = false;
	fifo_clear(&con->out);	/* nowhere to go any more */
}

/* The output sink failed for good. */
static void con_sink_failed(struct console *con, int err)
{
	if (con->mode == CON_UNIX) {
		con_drop_client(con, strerror(err));
		return;
	}
	vb_log("console device %u: output: %s: output discarded from now on",
	       con->dev_num, strerror(err));
	con->out_broken = true;
	con->out_fd = -1;
	fifo_clear(&con->out);
}

/* Write what we can of the output buffer without blocking. */
static void con_write_out(struct console *con)
{
	while (con->out_fd >= 0 && con->out.len) {
		const uint8_t *p;
		size_t n = fifo_peek(&con->out, &p);
		ssize_t w;

		if (con->mode == CON_UNIX)
			w = send(con->out_fd, p, n,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			w = write(con->out_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			con_sink_failed(con, w < 0 ? errno : EPIPE);
			return;
		}
		fifo_skip(&con->out, w);
	}
}

/*
 * Move bytes as far as they can go for instance @di: transmit chains into
 * the output (or echo) buffer, completing each one once all its bytes are
 * taken; buffered input into receive chains.  Repeats while anything
 * moved: in echo mode, filling a receive chain makes room for more output.
 */
static void con_pump(struct devinst *di)
{
	struct console *con = di->dev->priv;
	struct con_inst *ci = di->priv;
	bool echo = con->mode == CON_ECHO;
	struct fifo *to_guest = echo ? &ci->echo : &con->in;
	struct fifo *from_guest = echo ? &ci->echo : &con->out;
	bool attached = echo || con->owner == di;
	bool moved;

	do {
		moved = false;
		while (!list_empty(&ci->txq)) {
			struct chain *c = list_first_entry(&ci->txq,
							   struct chain, link);

			if (attached && con_has_sink(con) &&
			    c->pos < c->out_len) {
				size_t n = fifo_put(from_guest, c->out + c->pos,
						    c->out_len - c->pos);

				c->pos += n;
				moved |= n > 0;
				if (c->pos < c->out_len)
					break;	/* buffer full: hold it */
			}
			/* all taken (or discarded): used length 0 */
			chain_complete(c, NULL, 0);
			moved = true;
		}
		if (!echo && attached)
			con_write_out(con);
		while (attached && !list_empty(&ci->rxq) &&
		       (to_guest->len || !list_first_entry(&ci->rxq,
					struct chain, link)->in_len)) {
			struct chain *c = list_first_entry(&ci->rxq,
							   struct chain, link);
			uint32_t n = MIN(c->in_len, to_guest->len);
			uint8_t *buf = n ? malloc(n) : NULL;

			if (n && !buf)
				break;	/* try again on the next event */
			fifo_get(to_guest, buf, n);
			chain_complete(c, buf, n);
			free(buf);
			moved = true;
		}
	} while (moved);
	con_update_watches(con);
}

/* Attach the host side to @di (not in echo mode). */
static void con_attach(struct console *con, struct devinst *di)
{
	con->owner = di;
	vb_log("console device %u: attached to guest %u", con->dev_num,
	       di->g->domid);
}

/* The owner reset or left: hand the host side to a guest that waits. */
static void con_detach(struct console *con, struct devinst *di)
{
	struct list_node *n, *t;

	if (con->owner != di)
		return;
	con->owner = NULL;
	vb_log("console device %u: detached from guest %u", con->dev_num,
	       di->g->domid);
	list_for_each_safe(n, t, &di->dev->insts) {
		struct devinst *o = list_entry(n, struct devinst, dev_link);
		struct con_inst *oci = o->priv;

		if (o != di && (!list_empty(&oci->rxq) ||
				!list_empty(&oci->txq))) {
			con_attach(con, o);
			con_pump(o);
			return;
		}
	}
}

#define CMSG(field)	offsetof(struct virtio_console_control, field)

/* Queue a control message for port 0; sent as control buffers come. */
static void ctrl_queue(struct devinst *di, uint16_t event, uint16_t value,
		       const char *name)
{
	struct con_inst *ci = di->priv;
	struct con_ctrl *m;
	size_t n = name ? strlen(name) : 0;

	if (ci->nctrl == CON_CTRL_PENDING) {
		/* only a driver repeating itself gets here */
		guest_err(di->g, "console device %u: control messages dropped",
			  di->dev->dev_num);
		return;
	}
	m = &ci->ctrl[(ci->ctrl_head + ci->nctrl++) % CON_CTRL_PENDING];
	put_le32(m->buf + CMSG(id), 0);
	put_le16(m->buf + CMSG(event), event);
	put_le16(m->buf + CMSG(value), value);
	if (n)
		memcpy(m->buf + sizeof(struct virtio_console_control), name, n);
	m->len = sizeof(struct virtio_console_control) + n;
}

static void ctrl_pump(struct con_inst *ci)
{
	while (ci->nctrl && !list_empty(&ci->ctrl_rxq)) {
		struct chain *c = list_first_entry(&ci->ctrl_rxq, struct chain,
						   link);
		const struct con_ctrl *m = &ci->ctrl[ci->ctrl_head];

		chain_complete(c, m->buf, m->len);
		ci->ctrl_head = (ci->ctrl_head + 1) % CON_CTRL_PENDING;
		ci->nctrl--;
	}
}

/* A control message from the driver (control transmitq). */
static void ctrl_message(struct devinst *di, struct chain *c)
{
	struct console *con = di->dev->priv;
	uint32_t id = ~0U;
	uint16_t event = UINT16_MAX, value = 0;

	if (c->out_len >= sizeof(struct virtio_console_control)) {
		id = get_le32(c->out + CMSG(id));
		event = get_le16(c->out + CMSG(event));
		value = get_le16(c->out + CMSG(value));
	}
	chain_complete(c, NULL, 0);
	vb_debug("guest %u: console %u: control event %u port %u value %u",
		 di->g->domid, di->dev->dev_num, event, id, value);
	switch (event) {
	case VIRTIO_CONSOLE_DEVICE_READY:
		if (value)
			ctrl_queue(di, VIRTIO_CONSOLE_PORT_ADD, 0, NULL);
		break;
	case VIRTIO_CONSOLE_PORT_READY:
		if (id || !value)
			break;	/* the driver could not add the port */
		if (con->port_name)
			ctrl_queue(di, VIRTIO_CONSOLE_PORT_NAME, 1,
				   con->port_name);
		ctrl_queue(di, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
		break;
	}
	ctrl_pump(di->priv);
}

static void con_chain(struct devinst *di, struct chain *c)
{
	struct console *con = di->dev->priv;
	struct con_inst *ci = di->priv;

	if (c->vq == CON_CTRL_RXQ) {
		list_add_tail(&c->link, &ci->ctrl_rxq);
		ctrl_pump(ci);
		return;
	}
	if (c->vq == CON_CTRL_TXQ) {
		ctrl_message(di, c);
		return;
	}
	if (con->mode != CON_ECHO && !con->owner)
		con_attach(con, di);
	if (con->mode != CON_ECHO && con->owner != di && !ci->told) {
		ci->told = true;
		guest_err(di->g, "console device %u is attached to guest %u: output discarded, no input",
			  di->dev->dev_num, con->owner->g->domid);
	}
	list_add_tail(&c->link, c->vq == CON_TXQ ? &ci->txq : &ci->rxq);
	con_pump(di);
}

static int con_inst_init(struct devinst *di)
{
	struct console *con = di->dev->priv;
	struct con_inst *ci = calloc(1, sizeof(*ci));

	if (!ci)
		return -1;
	list_init(&ci->rxq);
	list_init(&ci->txq);
	list_init(&ci->ctrl_rxq);
	if (con->mode == CON_ECHO && fifo_alloc(&ci->echo, CON_ECHO_SIZE)) {
		free(ci);
		return -1;
	}
	di->priv = ci;
	return 0;
}

/* Reset: the chains are gone already; forget the echoed bytes. */
static void con_inst_reset(struct devinst *di)
{
	struct con_inst *ci = di->priv;

	fifo_clear(&ci->echo);
	ci->told = false;
	ci->nctrl = 0;
	con_detach(di->dev->priv, di);
}

static void con_inst_free(struct devinst *di)
{
	struct con_inst *ci = di->priv;

	con_detach(di->dev->priv, di);
	free(ci->echo.buf);
	free(ci);
	di->priv = NULL;
}

static void con_input(struct watch *w, short revents)
{
	struct console *con = w->priv;
	uint8_t buf[16384];
	ssize_t n;

	(void)revents;
	if (con->in.len == con->in.size)
		return;		/* polled again once the guest took some */
	n = read(con->in_fd, buf, MIN(sizeof(buf), con->in.size - con->in.len));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (con->mode == CON_UNIX) {
			con_drop_client(con, n ? strerror(errno) : "closed");
		} else {
			if (n)
				vb_log("console device %u: input: %s",
				       con->dev_num, strerror(errno));
			con->in_eof = true;
		}
	} else {
		fifo_put(&con->in, buf, n);
	}
	if (con->owner)
		con_pump(con->owner);
	else
		con_update_watches(con);
}

static void con_output(struct watch *w, short revents)
{
	struct console *con = w->priv;

	(void)revents;
	con_write_out(con);
	if (con->owner)
		con_pump(con->owner);	/* room for held transmit chains */
	else
		con_update_watches(con);
}

static void con_accept(struct watch *w, short revents)
{
	struct console *con = w->priv;
	int fd;

	(void)revents;
	fd = accept4(con->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (con->in_fd >= 0) {
		/* one client at a time: a second one is told by EOF */
		vb_log("console device %u: a second client refused",
		       con->dev_num);
		close(fd);
		return;
	}
	con->in_fd = fd;
	con->out_fd = fd;
	con->in_eof = false;
	vb_log("console device %u: client connected", con->dev_num);
	if (con->owner)
		con_pump(con->owner);
	else
		con_update_watches(con);
}

static int set_nonblock(int fd, int *saved)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	if (saved)
		*saved = fl;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * The pty: we keep its slave side open ourselves, in raw mode, so that
 * the master never sees a hangup when the last user closes it (poll()
 * would report POLLHUP forever), output simply waits in the pty until
 * someone reads it, and the slave never echoes the guest's output back
 * to it.
 */
static int con_start_pty(struct console *con, char *err, size_t errlen)
{
	struct termios t;
	const char *name;
	int m;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	name = m < 0 || grantpt(m) || unlockpt(m) ? NULL : ptsname(m);
	if (!name) {
		snprintf(err, errlen, "pty: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return -1;
	}
	snprintf(con->pty_name, sizeof(con->pty_name), "%s", name);
	con->pty_slave = open(con->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (con->pty_slave < 0 || tcgetattr(con->pty_slave, &t)) {
		snprintf(err, errlen, "pty %s: %s", con->pty_name,
			 strerror(errno));
		close(m);
		return -1;
	}
	cfmakeraw(&t);
	tcsetattr(con->pty_slave, TCSANOW, &t);
	set_nonblock(m, NULL);
	con->in_fd = m;
	con->out_fd = m;
	/* the path alone on stdout, for scripts; the log says it too */
	printf("%s\n", con->pty_name);
	fflush(stdout);
	return 0;
}

static int con_start_unix(struct console *con, char *err, size_t errlen)
{
	struct sockaddr_un a;
	struct stat st;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(con->path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "%s: path too long", con->path);
		return -1;
	}
	strcpy(a.sun_path, con->path);
	/* a socket left behind by an earlier run is replaced, nothing else */
	if (!lstat(con->path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
				 con->path);
			return -1;
		}
		unlink(con->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 4)) {
		snprintf(err, errlen, "%s: %s", con->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	con->listen_fd = fd;
	con->w_listen.fd = fd;
	con->w_listen.events = POLLIN;
	con->w_listen.cb = con_accept;
	con->w_listen.priv = con;
	watch_add(&con->w_listen);
	return 0;
}

static int con_start(struct device *d, char *err, size_t errlen)
{
	struct console *con = d->priv;
	int r = 0;

	con->dev_num = d->dev_num;
	if (con->mode == CON_ECHO)
		return 0;
	if (fifo_alloc(&con->in, CON_FIFO_SIZE) ||
	    fifo_alloc(&con->out, CON_FIFO_SIZE)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	switch (con->mode) {
	case CON_STDIO:
		/* restored at exit: the terminal is shared with the shell */
		set_nonblock(STDIN_FILENO, &con->saved_flags[0]);
		set_nonblock(STDOUT_FILENO, &con->saved_flags[1]);
		con->in_fd = STDIN_FILENO;
		con->out_fd = STDOUT_FILENO;
		break;
	case CON_PTY:
		r = con_start_pty(con, err, errlen);
		break;
	case CON_UNIX:
		r = con_start_unix(con, err, errlen);
		break;
	case CON_ECHO:
		break;
	}
	if (r)
		return r;
	con->w_in.cb = con_input;
	con->w_in.priv = con;
	con->w_out.cb = con_output;
	con->w_out.priv = con;
	watch_add(&con->w_in);
	watch_add(&con->w_out);
	con_update_watches(con);
	return 0;
}

static void con_config(const struct device *d, uint8_t *cfg)
{
	(void)d;
	put_le32(cfg + offsetof(struct virtio_console_config, max_nr_ports),
		 1);
}

static void con_describe(const struct device *d, char *buf, size_t len)
{
	const struct console *con = d->priv;
	int n = 0;

	switch (con->mode) {
	case CON_ECHO:
		n = snprintf(buf, len, "echo");
		break;
	case CON_STDIO:
		n = snprintf(buf, len, "on stdin/stdout");
		break;
	case CON_PTY:
		n = snprintf(buf, len, "on pty %s", con->pty_name);
		break;
	case CON_UNIX:
		n = snprintf(buf, len, "on unix socket %s", con->path);
		break;
	}
	if (con->multiport && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ", generic port%s%s",
			 con->port_name ? " " : "",
			 con->port_name ? con->port_name : "");
}

static uint64_t con_features(const struct device *d)
{
	const struct console *con = d->priv;

	return con->multiport ? 1ULL << VIRTIO_CONSOLE_F_MULTIPORT : 0;
}

static void con_destroy(struct device *d)
{
	struct console *con = d->priv;

	watch_del(&con->w_in);
	watch_del(&con->w_out);
	watch_del(&con->w_listen);
	switch (con->mode) {
	case CON_STDIO:
		if (con->in.buf) {
			fcntl(STDIN_FILENO, F_SETFL, con->saved_flags[0]);
			fcntl(STDOUT_FILENO, F_SETFL, con->saved_flags[1]);
		}
		stdio_taken = false;
		break;
	case CON_PTY:
		if (con->in_fd >= 0)
			close(con->in_fd);
		if (con->pty_slave >= 0)
			close(con->pty_slave);
		break;
	case CON_UNIX:
		if (con->in_fd >= 0)
			close(con->in_fd);
		if (con->listen_fd >= 0) {
			close(con->listen_fd);
			unlink(con->path);
		}
		break;
	case CON_ECHO:
		break;
	}
	free(con->in.buf);
	free(con->out.buf);
	free(con->path);
	free(con->port_name);
	free(con);
}

static const struct dev_ops con_ops = {
	.kind = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.config_size = sizeof(struct virtio_console_config),
	.start = con_start,
	.config = con_config,
	.inst_init = con_inst_init,
	.inst_reset = con_inst_reset,
	.inst_free = con_inst_free,
	.chain = con_chain,
	.describe = con_describe,
	.destroy = con_destroy,
};

/* With MULTIPORT: port 0's two queues, then the two control queues. */
static const struct dev_ops con_mp_ops = {
	.kind = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 4,
	.config_size = sizeof(struct virtio_console_config),
	.start = con_start,
	.features = con_features,
	.config = con_config,
	.inst_init = con_inst_init,
	.inst_reset = con_inst_reset,
	.inst_free = con_inst_free,
	.chain = con_chain,
	.describe = con_describe,
	.destroy = con_destroy,
};

/*
 * "MODE[,port[=NAME]][,guest=DOMID]": MODE is stdio, pty, unix:PATH or
 * echo; port makes it a generic (MULTIPORT) port.
 */
struct device *console_parse(const char *arg, char *err, size_t errlen)
{
	struct device *d = calloc(1, sizeof(*d));
	struct console *con = calloc(1, sizeof(*con));
	char *copy = strdup(arg), *s, *mode, *key, *val, *comma;

	if (!d || !con || !copy) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->ops = &con_ops;
	d->priv = con;
	list_init(&d->insts);
	con->in_fd = -1;
	con->out_fd = -1;
	con->listen_fd = -1;
	con->pty_slave = -1;
	con->w_in.fd = -1;
	con->w_out.fd = -1;
	con->w_listen.fd = -1;
	list_init(&con->w_in.link);
	list_init(&con->w_out.link);
	list_init(&con->w_listen.link);
	/* the mode is taken whole up to the first comma (a path may hold =) */
	mode = copy;
	comma = strchr(copy, ',');
	s = comma ? comma + 1 : NULL;
	if (comma)
		*comma = '\0';
	if (!strcmp(mode, "echo")) {
		con->mode = CON_ECHO;
	} else if (!strcmp(mode, "stdio")) {
		if (stdio_taken) {
			snprintf(err, errlen, "only one console can use stdio");
			goto fail;
		}
		con->mode = CON_STDIO;
	} else if (!strcmp(mode, "pty")) {
		con->mode = CON_PTY;
	} else if (!strncmp(mode, "unix:", 5) && mode[5]) {
		con->mode = CON_UNIX;
		con->path = strdup(mode + 5);
		if (!con->path) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	} else {
		snprintf(err, errlen, "unknown console mode '%s' (stdio, pty, unix:PATH or echo)",
			 mode);
		goto fail;
	}
	/*
	 * A generic port unless `hvc' asks for the console port: for a
	 * console port, virtio_console busy-waits with interrupts off until
	 * the device used each buffer, which a guest whose transport answers
	 * through interrupts (virtio-argo) may never see.
	 */
	con->multiport = true;
	while ((key = opt_next(&s, &val))) {
		if (!strcmp(key, "hvc") && !val) {
			con->multiport = false;
			continue;
		}
		if (strcmp(key, "port")) {
			if (device_option(d, key, val, err, errlen))
				goto fail;
			continue;
		}
		if (!val || !*val)
			continue;
		if (strlen(val) > CON_NAME_MAX) {
			snprintf(err, errlen, "port name longer than %u bytes",
				 CON_NAME_MAX);
			goto fail;
		}
		free(con->port_name);
		con->port_name = strdup(val);
		if (!con->port_name) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (!con->multiport && con->port_name) {
		snprintf(err, errlen, "hvc and port=NAME exclude each other");
		goto fail;
	}
	if (con->multiport)
		d->ops = &con_mp_ops;
	if (con->mode == CON_STDIO)
		stdio_taken = true;
	free(copy);
	return d;
fail:
	free(copy);
	if (con) {
		free(con->path);
		free(con->port_name);
	}
	free(con);
	free(d);
	return NULL;
}
