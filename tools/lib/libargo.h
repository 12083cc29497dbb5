/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libargo: a thin C library over /dev/argo (argo-char.ko).
 *
 * Every function returns -1 and sets errno on failure, like the system
 * calls it wraps, so Argo's own errors reach the caller unchanged: EPERM or
 * EACCES (XSM policy), ECONNREFUSED (no ring there), ESRCH (no such
 * domain), EMSGSIZE, EAGAIN (non-blocking and nothing to do).
 *
 *	int fd = argo_open(0);
 *	uint32_t port = 0x1000;
 *	argo_bind(fd, &port, ARGO_DOMID_ANY, 0);
 *	argo_sendto(fd, "hi", 2, 0, 0, 0x2000);
 */
#ifndef _LIBARGO_H
#define _LIBARGO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/argo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Open /dev/argo; @flags may add O_NONBLOCK.  Returns the descriptor. */
int argo_open(int flags);

/*
 * Bind to *@port (ARGO_PORT_ANY: allocate, and *@port receives it) with a
 * ring of @ring_size bytes (0: default) that only @partner may send to
 * (ARGO_DOMID_ANY: any domain).  Returns 0.
 */
int argo_bind(int fd, uint32_t *port, uint16_t partner, uint32_t ring_size);

/* Set the destination of write() and of argo_send(). */
int argo_connect(int fd, uint16_t domid, uint32_t port);

/* Send one message; returns the bytes sent. */
ssize_t argo_sendto(int fd, const void *buf, size_t len, uint32_t type,
		    uint16_t domid, uint32_t port);
ssize_t argo_send(int fd, const void *buf, size_t len);

/*
 * Receive one message into @buf.  Optional outputs: its type, source
 * domain and port, and *@full_len, the message's length (larger than the
 * return value when it was truncated).  Returns the bytes copied.
 */
ssize_t argo_recvfrom(int fd, void *buf, size_t len, uint32_t *type,
		      uint16_t *domid, uint32_t *port, size_t *full_len);

/* This endpoint's port, partner, ring size, peer and the domain's id. */
int argo_getname(int fd, struct argo_name *name);

/* This domain's id (or -1). */
int argo_domid(int fd);

/*
 * Ask the hypervisor about (@domid, @port): returns 1 when a ring we may
 * send to exists there (with *@room set to whether @space bytes fit now,
 * *@max_msg to its largest message), 0 when none exists.
 */
int argo_query(int fd, uint16_t domid, uint32_t port, uint32_t space,
	       int *room, uint32_t *max_msg);

/*
 * Wait up to @timeout_ms (-1: forever) for @events (POLLIN, POLLOUT,
 * POLLPRI). Returns the events that are ready, 0 on timeout.
 */
int argo_wait(int fd, short events, int timeout_ms);

/*
 * Notices (ARGO_IOC_WATCH): be told, through poll()'s POLLPRI, when
 * (@domid, @port) has room for @len bytes (ARGO_NOTICE_SPACE) or when its
 * ring goes away (ARGO_NOTICE_GONE, @len 0).  argo_unwatch() disarms one
 * or drops it unread.  argo_notice() takes the oldest that fired: returns
 * 1 and fills what is asked (any pointer may be NULL; *@status is 0 or a
 * negative errno, see struct argo_notice), 0 when none waits.
 */
int argo_watch(int fd, uint32_t kind, uint16_t domid, uint32_t port,
	       uint32_t len);
int argo_unwatch(int fd, uint32_t kind, uint16_t domid, uint32_t port);
int argo_notice(int fd, uint32_t *kind, uint16_t *domid, uint32_t *port,
		uint32_t *len, int32_t *status);

#ifdef __cplusplus
}
#endif

#endif /* _LIBARGO_H */
