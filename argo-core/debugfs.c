// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: /sys/kernel/debug/argo/
 *   rings   one line per ring: port, partner, size, indexes, traffic
 *           counters, how often sends found the destination full and how
 *           often consuming released waiting senders
 *   status  this domain's id, the mechanism, the senders waiting for space
 *           and the rings watched (argo_watch_ring())
 *   lose_ring  write "PORT PARTNER ERRNO" (PORT in hex): unregister that
 *           ring and report it lost with -ERRNO, as a resume that could
 *           not register it again would; for testing how clients cope
 */
#include <linux/debugfs.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "core.h"

static struct dentry *argo_debugfs_dir;

static int argo_rings_debugfs_show(struct seq_file *m, void *unused)
{
	return argo_rings_show(m);
}
DEFINE_SHOW_ATTRIBUTE(argo_rings_debugfs);

static int argo_status_debugfs_show(struct seq_file *m, void *unused)
{
	unsigned int watches, senders = argo_space_waiting(&watches);

	seq_printf(m, "domid %d\nmechanism %s\nspace_waiters %u\nring_watches %u\n",
		   argo_own_domid(), argo_mech->name, senders, watches);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(argo_status_debugfs);

static ssize_t argo_lose_ring_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	unsigned int port, partner, err;
	char buf[48];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%x %u %u", &port, &partner, &err) != 3 ||
	    partner > ARGO_DOMID_ANY || !err || err >= MAX_ERRNO)
		return -EINVAL;
	ret = argo_ring_lose(port, partner, -(int)err);
	return ret ? ret : count;
}

static const struct file_operations argo_lose_ring_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = argo_lose_ring_write,
	.llseek = noop_llseek,
};

void argo_debugfs_init(void)
{
	/* debugfs is optional: errors only mean the files are missing */
	argo_debugfs_dir = debugfs_create_dir("argo", NULL);
	debugfs_create_file("rings", 0400, argo_debugfs_dir, NULL,
			    &argo_rings_debugfs_fops);
	debugfs_create_file("status", 0400, argo_debugfs_dir, NULL,
			    &argo_status_debugfs_fops);
	debugfs_create_file("lose_ring", 0200, argo_debugfs_dir, NULL,
			    &argo_lose_ring_fops);
}

void argo_debugfs_exit(void)
{
	debugfs_remove_recursive(argo_debugfs_dir);
}
