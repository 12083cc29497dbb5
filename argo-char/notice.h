/* SPDX-License-Identifier: GPL-2.0 */
/* argo-char: notices of a file about destination rings (notice.c). */
#ifndef _ARGO_CHAR_NOTICE_H
#define _ARGO_CHAR_NOTICE_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>

struct argo_notice;

/**
 * struct argo_notices - the notices one file armed, and those that fired
 * @op_lock: serialises arming and disarming (see notice.c)
 * @lock: guards the lists and @count
 * @armed: notices argo-core may fire
 * @fired: notices waiting for ARGO_IOC_NOTICE, oldest first
 * @count: notices on both lists
 * @wq: woken with EPOLLPRI when one fires
 */
struct argo_notices {
	struct mutex op_lock;	/* see above */
	struct mutex lock;	/* see above */
	struct list_head armed;
	struct list_head fired;
	unsigned int count;
	wait_queue_head_t *wq;
};

void argo_notices_init(struct argo_notices *n, wait_queue_head_t *wq);
long argo_notice_watch(struct argo_notices *n,
		       const struct argo_notice __user *ua);
long argo_notice_unwatch(struct argo_notices *n,
			 const struct argo_notice __user *ua);
long argo_notice_take(struct argo_notices *n, struct argo_notice __user *ua);
bool argo_notices_pending(struct argo_notices *n);
void argo_notices_release(struct argo_notices *n);

#endif /* _ARGO_CHAR_NOTICE_H */
