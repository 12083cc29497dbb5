/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Userspace interface of argo-char: /dev/argo.
 *
 * Each open file of /dev/argo is one Argo endpoint: after ARGO_IOC_BIND it
 * owns a ring (a receive buffer the hypervisor fills) on a local port, and
 * it sends and receives whole messages (datagrams) carrying a 32-bit
 * message type.
 *
 *   read()    returns exactly one message; when the buffer is too small it
 *             fails with EMSGSIZE and leaves the message in place (use
 *             ARGO_IOC_RECVFROM, which truncates and says so, or a bigger
 *             buffer)
 *   write()   sends exactly one message to the address given with
 *             ARGO_IOC_CONNECT
 *   poll()    POLLIN when a message waits; POLLOUT unless the last send to
 *             the connected peer found its ring full and the hypervisor
 *             has not yet reported room again; POLLPRI when a notice
 *             waits (ARGO_IOC_NOTICE); POLLERR once the ring is lost
 *   fsync()   returns once every send in progress on the file finished
 *
 * With O_NONBLOCK, calls that would wait fail with EAGAIN.  Errors from the
 * hypervisor come back unchanged: EPERM/EACCES (XSM policy), ECONNREFUSED
 * (no ring at the destination), ESRCH (no such domain), EMSGSIZE (can never
 * fit).  A file not yet bound gives ENOTCONN.
 *
 * All structures have the same layout for 32- and 64-bit userspace; every
 * pad and flags field must be zero (EINVAL otherwise).
 */
#ifndef _UAPI_LINUX_ARGO_H
#define _UAPI_LINUX_ARGO_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ARGO_DEV_PATH		"/dev/argo"

/* Partner domid meaning "any domain". */
#define ARGO_DOMID_ANY		0x7FF4U
/* Port 0 in ARGO_IOC_BIND: allocate a free port. */
#define ARGO_PORT_ANY		0U
/* Ring size used when ARGO_IOC_BIND asks for 0 bytes. */
#define ARGO_DEFAULT_RING_SIZE	(64 * 1024)

/* An Argo address: a port in a domain. */
struct argo_addr {
	__u32 port;
	__u16 domid;
	__u16 pad;
};

/**
 * struct argo_bind - ARGO_IOC_BIND
 * @port: in: local port, or ARGO_PORT_ANY; out: the bound port
 * @partner: the only domain allowed to send here, or ARGO_DOMID_ANY (needs
 *	Xen's argo=1,mac-permissive=1)
 * @pad: zero
 * @ring_size: receive ring bytes (0: ARGO_DEFAULT_RING_SIZE); out: the size
 *	after rounding to whole pages
 * @flags: zero
 */
struct argo_bind {
	__u32 port;
	__u16 partner;
	__u16 pad;
	__u32 ring_size;
	__u32 flags;
};

/* struct argo_msg.flags, set by ARGO_IOC_RECVFROM */
#define ARGO_MSG_TRUNC		0x1	/* the message was longer than @len */

/**
 * struct argo_msg - ARGO_IOC_SENDTO and ARGO_IOC_RECVFROM
 * @buf: user address of the payload buffer
 * @len: SENDTO: payload bytes; RECVFROM: in: buffer size, out: the
 *	message's full length
 * @type: the message_type (SENDTO: sent; RECVFROM: received)
 * @addr: SENDTO: destination; RECVFROM: the source, as the hypervisor
 *	reported it (it cannot be forged by the sender)
 * @flags: SENDTO: zero; RECVFROM: out, ARGO_MSG_TRUNC
 * @pad: zero
 *
 * The ioctl returns the number of payload bytes sent or copied.
 */
struct argo_msg {
	__u64 buf;
	__u32 len;
	__u32 type;
	struct argo_addr addr;
	__u32 flags;
	__u32 pad;
};

/**
 * struct argo_name - ARGO_IOC_GETNAME
 * @port: the bound port (0 when not bound)
 * @domid: this domain's id
 * @partner: the partner given to ARGO_IOC_BIND
 * @ring_size: the ring's size in bytes (0 when not bound)
 * @peer: the address given to ARGO_IOC_CONNECT (zero when not connected)
 */
struct argo_name {
	__u32 port;
	__u16 domid;
	__u16 partner;
	__u32 ring_size;
	__u32 pad;
	struct argo_addr peer;
};

/* struct argo_query.flags, set by ARGO_IOC_QUERY */
#define ARGO_QUERY_EXISTS	0x1	/* a ring we may send to is there */
#define ARGO_QUERY_SUFFICIENT	0x2	/* it has room for @space bytes now */

/**
 * struct argo_query - ARGO_IOC_QUERY: ask the hypervisor about a destination
 * @addr: the destination
 * @space: payload bytes the caller wants to send
 * @flags: out: ARGO_QUERY_*
 * @max_message_size: out: the largest payload the destination can ever take
 * @pad: zero
 *
 * Like the kernel's waiting senders, a query sets this domain's pending
 * space notification for that ring (dropped when there is room, raised to
 * @space when there is not); the kernel asks again for its own senders
 * after a query that found room, so a query never costs them their wake-up.
 */
struct argo_query {
	struct argo_addr addr;
	__u32 space;
	__u32 flags;
	__u32 max_message_size;
	__u32 pad;
};

/* struct argo_notice.kind */
#define ARGO_NOTICE_SPACE	1	/* room for @len bytes at @addr */
#define ARGO_NOTICE_GONE	2	/* the ring at @addr went away */

/**
 * struct argo_notice - ARGO_IOC_WATCH, ARGO_IOC_UNWATCH, ARGO_IOC_NOTICE
 * @addr: a destination ring (a port in another domain, or this one)
 * @kind: ARGO_NOTICE_SPACE or ARGO_NOTICE_GONE
 * @len: SPACE: the payload bytes to wait room for (1 to 16 MiB - 64);
 *	GONE: zero
 * @status: out, from ARGO_IOC_NOTICE (zero in): SPACE: 0 (room now),
 *	-ECONNREFUSED (no ring there), -EMSGSIZE (@len can never fit), or the
 *	policy's -EACCES/-EPERM; GONE: -ECONNRESET (the ring or its domain is
 *	gone, or there was none), or the policy's -EACCES/-EPERM
 * @pad: zero
 *
 * ARGO_IOC_WATCH arms one notice on the file: the hypervisor is asked (no
 * polling for SPACE, twice a second for GONE, for every watcher of the
 * domain at once) and, when it fires, the notice waits on the file, poll()
 * reports POLLPRI, and ARGO_IOC_NOTICE takes it (oldest first; EAGAIN
 * when none waits).  Each notice fires once; arm it again for more.
 * Arming a (addr, kind) that is armed already changes its @len.
 * ARGO_IOC_UNWATCH disarms it, or drops it unread (ENOENT when there is
 * neither).  A file holds at most 1024 notices, armed or unread, all
 * files together 16384 (ENOSPC).
 * No ring of the file's own is needed.
 */
struct argo_notice {
	struct argo_addr addr;
	__u32 kind;
	__u32 len;
	__s32 status;
	__u32 pad;
};

#define ARGO_IOC_MAGIC		0xA8
#define ARGO_IOC_BIND		_IOWR(ARGO_IOC_MAGIC, 1, struct argo_bind)
#define ARGO_IOC_CONNECT	_IOW(ARGO_IOC_MAGIC, 2, struct argo_addr)
#define ARGO_IOC_SENDTO		_IOW(ARGO_IOC_MAGIC, 3, struct argo_msg)
#define ARGO_IOC_RECVFROM	_IOWR(ARGO_IOC_MAGIC, 4, struct argo_msg)
#define ARGO_IOC_GETNAME	_IOR(ARGO_IOC_MAGIC, 5, struct argo_name)
#define ARGO_IOC_QUERY		_IOWR(ARGO_IOC_MAGIC, 6, struct argo_query)
#define ARGO_IOC_WATCH		_IOW(ARGO_IOC_MAGIC, 7, struct argo_notice)
#define ARGO_IOC_UNWATCH	_IOW(ARGO_IOC_MAGIC, 8, struct argo_notice)
#define ARGO_IOC_NOTICE		_IOR(ARGO_IOC_MAGIC, 9, struct argo_notice)

#endif /* _UAPI_LINUX_ARGO_H */
