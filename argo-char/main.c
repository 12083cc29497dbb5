// SPDX-License-Identifier: GPL-2.0
/*
 * argo-char: character device giving userspace access to Argo
 *
 * Skeleton: loads on top of argo-core and unloads cleanly;
 * the device itself arrives with its own issue.
 */
#define pr_fmt(fmt) "argo-char: " fmt

#include <linux/module.h>
#include <linux/argo.h>

static int __init argo_client_init(void)
{
	pr_info("loaded in domain %d\n", argo_own_domid());
	return 0;
}

static void __exit argo_client_exit(void)
{
	pr_info("unloaded\n");
}

module_init(argo_client_init);
module_exit(argo_client_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("character device giving userspace access to Argo");
