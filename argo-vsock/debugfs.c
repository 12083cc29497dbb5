// SPDX-License-Identifier: GPL-2.0
/*
 * argo-vsock: /sys/kernel/debug/argo-vsock/status, what an administrator
 * (and the tests) read to see the mode, the CID and each peer's queue.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "avs.h"

static struct dentry *avs_debugfs_dir;

static int avs_status_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "cid %llu\n", READ_ONCE(avs_own_cid));
	seq_printf(m, "mode %s\n", avs_per_peer ? "per-peer" : "wildcard");
	seq_printf(m, "port %#x\n", AVS_PORT);
	seq_printf(m, "ring_size %zu\n", avs_ring_size);
	seq_printf(m, "rx_packets %lld\n", atomic64_read(&avs_rx_packets));
	seq_printf(m, "rx_dropped %lld\n", atomic64_read(&avs_rx_dropped));
	avs_peers_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(avs_status);

void avs_debugfs_init(void)
{
	avs_debugfs_dir = debugfs_create_dir("argo-vsock", NULL);
	debugfs_create_file("status", 0444, avs_debugfs_dir, NULL,
			    &avs_status_fops);
}

void avs_debugfs_exit(void)
{
	debugfs_remove_recursive(avs_debugfs_dir);
}
