// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: /sys/kernel/debug/argo/
 *   rings   one line per ring: port, partner, size, indexes, traffic
 *           counters, how often sends found the destination full and how
 *           often consuming released waiting senders
 *   status  this domain's id, the mechanism and the senders waiting for space
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "core.h"

static struct dentry *argo_debugfs_dir;

static int argo_rings_debugfs_show(struct seq_file *m, void *unused)
{
	return argo_rings_show(m);
}
DEFINE_SHOW_ATTRIBUTE(argo_rings_debugfs);

static int argo_status_debugfs_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "domid %d\nmechanism %s\nspace_waiters %u\n",
		   argo_own_domid(), argo_mech->name, argo_space_waiting());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(argo_status_debugfs);

void argo_debugfs_init(void)
{
	/* debugfs is optional: errors only mean the files are missing */
	argo_debugfs_dir = debugfs_create_dir("argo", NULL);
	debugfs_create_file("rings", 0400, argo_debugfs_dir, NULL,
			    &argo_rings_debugfs_fops);
	debugfs_create_file("status", 0400, argo_debugfs_dir, NULL,
			    &argo_status_debugfs_fops);
}

void argo_debugfs_exit(void)
{
	debugfs_remove_recursive(argo_debugfs_dir);
}
