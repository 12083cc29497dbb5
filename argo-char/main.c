// SPDX-License-Identifier: GPL-2.0
/*
 * argo-char: /dev/argo, Argo for userspace.
 *
 * A misc device; each open file is one endpoint (endpoint.c).  The
 * userspace interface is include/uapi/linux/argo.h.  The node is created
 * with mode 0600: tools/udev/60-argo.rules shows how to give a group
 * access.
 */
#define pr_fmt(fmt) "argo-char: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/argo.h>

#include <argo/version.h>
#include "endpoint.h"

static struct miscdevice argo_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "argo",
	.fops = &argo_ep_fops,
	.mode = 0600,
};

static int __init argo_char_init(void)
{
	int err = misc_register(&argo_miscdev);

	if (err) {
		pr_err("cannot register /dev/argo: error %d\n", err);
		return err;
	}
	pr_info("/dev/argo ready in domain %d\n", argo_own_domid());
	return 0;
}

static void __exit argo_char_exit(void)
{
	misc_deregister(&argo_miscdev);
}

module_init(argo_char_init);
module_exit(argo_char_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Character device giving userspace access to Argo");
MODULE_VERSION(ARGO_SUITE_VERSION);
