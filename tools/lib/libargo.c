// SPDX-License-Identifier: GPL-2.0
/*
 * libargo: see libargo.h.  Each call is one system call on /dev/argo; the
 * library only fills the ioctl structures (zeroing every pad field, which
 * the driver checks) and returns errors the way libc does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libargo.h"

int argo_open(int flags)
{
	return open(ARGO_DEV_PATH, O_RDWR | O_CLOEXEC | flags);
}

int argo_bind(int fd, uint32_t *port, uint16_t partner, uint32_t ring_size)
{
	struct argo_bind b;

	memset(&b, 0, sizeof(b));
	b.port = port ? *port : ARGO_PORT_ANY;
	b.partner = partner;
	b.ring_size = ring_size;
	if (ioctl(fd, ARGO_IOC_BIND, &b))
		return -1;
	if (port)
		*port = b.port;
	return 0;
}

int argo_connect(int fd, uint16_t domid, uint32_t port)
{
	struct argo_addr a;

	memset(&a, 0, sizeof(a));
	a.domid = domid;
	a.port = port;
	return ioctl(fd, ARGO_IOC_CONNECT, &a);
}

ssize_t argo_sendto(int fd, const void *buf, size_t len, uint32_t type,
		    uint16_t domid, uint32_t port)
{
	struct argo_msg m;

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.buf = (uintptr_t)buf;
	m.len = (uint32_t)len;
	m.type = type;
	m.addr.domid = domid;
	m.addr.port = port;
	return ioctl(fd, ARGO_IOC_SENDTO, &m);
}

ssize_t argo_send(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

ssize_t argo_recvfrom(int fd, void *buf, size_t len, uint32_t *type,
		      uint16_t *domid, uint32_t *port, size_t *full_len)
{
	struct argo_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	m.buf = (uintptr_t)buf;
	m.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	n = ioctl(fd, ARGO_IOC_RECVFROM, &m);
	if (n < 0)
		return -1;
	if (type)
		*type = m.type;
	if (domid)
		*domid = m.addr.domid;
	if (port)
		*port = m.addr.port;
	if (full_len)
		*full_len = m.len;
	return n;
}

int argo_getname(int fd, struct argo_name *name)
{
	memset(name, 0, sizeof(*name));
	return ioctl(fd, ARGO_IOC_GETNAME, name);
}

int argo_domid(int fd)
{
	struct argo_name n;

	return argo_getname(fd, &n) ? -1 : n.domid;
}

int argo_query(int fd, uint16_t domid, uint32_t port, uint32_t space,
	       int *room, uint32_t *max_msg)
{
	struct argo_query q;

	memset(&q, 0, sizeof(q));
	q.addr.domid = domid;
	q.addr.port = port;
	q.space = space;
	if (ioctl(fd, ARGO_IOC_QUERY, &q))
		return -1;
	if (room)
		*room = !!(q.flags & ARGO_QUERY_SUFFICIENT);
	if (max_msg)
		*max_msg = q.max_message_size;
	return !!(q.flags & ARGO_QUERY_EXISTS);
}

static int argo_notice_ioctl(int fd, unsigned long cmd, uint32_t kind,
			     uint16_t domid, uint32_t port, uint32_t len)
{
	struct argo_notice n;

	memset(&n, 0, sizeof(n));
	n.addr.domid = domid;
	n.addr.port = port;
	n.kind = kind;
	n.len = len;
	return ioctl(fd, cmd, &n);
}

int argo_watch(int fd, uint32_t kind, uint16_t domid, uint32_t port,
	       uint32_t len)
{
	return argo_notice_ioctl(fd, ARGO_IOC_WATCH, kind, domid, port, len);
}

int argo_unwatch(int fd, uint32_t kind, uint16_t domid, uint32_t port)
{
	return argo_notice_ioctl(fd, ARGO_IOC_UNWATCH, kind, domid, port, 0);
}

int argo_notice(int fd, uint32_t *kind, uint16_t *domid, uint32_t *port,
		uint32_t *len, int32_t *status)
{
	struct argo_notice n;

	memset(&n, 0, sizeof(n));
	if (ioctl(fd, ARGO_IOC_NOTICE, &n))
		return errno == EAGAIN ? 0 : -1;
	if (kind)
		*kind = n.kind;
	if (domid)
		*domid = n.addr.domid;
	if (port)
		*port = n.addr.port;
	if (len)
		*len = n.len;
	if (status)
		*status = n.status;
	return 1;
}

int argo_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	return p.revents;
}
