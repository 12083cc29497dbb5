// SPDX-License-Identifier: GPL-2.0
/*
 * argo_selftest: in-kernel tests of argo-core's API, run by the VM suite.
 *
 * mode=self      a ring of our own: send, receive, queries, error cases
 * mode=echo      serve a ring on @port (any sender) that sends every message
 *                back to its source with message_type + 1; stays loaded,
 *                counting in the read-only parameter @echoed
 * mode=ping      send @count messages to (@peer, @port) and check each echo
 *                byte for byte, retrying while the echo ring does not exist
 *                yet, for up to @wait_s seconds
 * mode=limits    ring sizes and the hypervisor's ring count limit
 * mode=space     full rings, waiting for space, wrap-around
 * mode=stress    concurrent senders on one ring: none lost, none duplicated
 * mode=wildcard  an any-sender ring; @expect is the errno wanted (0 when
 *                Xen runs with mac-permissive=1, -EPERM otherwise)
 * mode=pinger    mode=ping from a freezable thread (the domain may be saved
 *                and restored meanwhile); stays loaded
 * mode=flood     send to (@peer, @port) from a thread until the peer goes
 *                away; stays loaded (see selftest_peer.c)
 *
 * Results are logged as TAP lines prefixed "argo_selftest: " (the test
 * script turns them into its own TAP), and module init fails with -EIO if
 * any check failed, so `insmod` alone tells pass from fail.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "selftest.h"

static char *mode = "self";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "self, echo, ping, pinger, limits, space, stress, wildcard or flood");
int peer = -1;
module_param(peer, int, 0444);
MODULE_PARM_DESC(peer, "domain to ping (mode=ping)");
uint port = 0x1000;
module_param(port, uint, 0444);
MODULE_PARM_DESC(port, "echo ring port (echo, ping)");
uint count = 4;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "messages to send (ping, stress)");
uint wait_s = 30;
module_param(wait_s, uint, 0444);
MODULE_PARM_DESC(wait_s, "seconds to wait for the peer (ping)");
uint echoed;
module_param(echoed, uint, 0444);
MODULE_PARM_DESC(echoed, "messages echoed so far (echo)");
int expect;
module_param(expect, int, 0444);
MODULE_PARM_DESC(expect, "errno the test expects (wildcard)");
uint retries;
module_param(retries, uint, 0444);
MODULE_PARM_DESC(retries, "times a ping is sent again when its echo does not come (ping)");
uint interval_ms;
module_param(interval_ms, uint, 0444);
MODULE_PARM_DESC(interval_ms, "pause between pings (ping)");

static unsigned int tap_n;
static unsigned int tap_failed;

void tap(bool ok, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	tap_n++;
	if (!ok)
		tap_failed++;
	pr_info("%sok %u - %pV\n", ok ? "" : "not ", tap_n, &vaf);
	va_end(args);
}

static const struct {
	const char *name;
	int (*run)(void);
} argo_selftest_modes[] = {
	{ "self", run_self },
	{ "ping", run_ping },
	{ "limits", run_limits },
	{ "space", run_space },
	{ "stress", run_stress },
	{ "wildcard", run_wildcard },
};

static int __init argo_selftest_init(void)
{
	unsigned int i;
	int err;

	if (!strcmp(mode, "echo"))
		return start_echo();
	if (!strcmp(mode, "flood"))
		return start_flood();
	if (!strcmp(mode, "pinger"))
		return start_pinger();
	for (i = 0; i < ARRAY_SIZE(argo_selftest_modes); i++)
		if (!strcmp(mode, argo_selftest_modes[i].name))
			break;
	if (i == ARRAY_SIZE(argo_selftest_modes)) {
		pr_err("unknown mode %s\n", mode);
		return -EINVAL;
	}
	err = argo_selftest_modes[i].run();
	if (err)
		return err;
	pr_info("1..%u\n", tap_n);
	return tap_failed ? -EIO : 0;
}

static void __exit argo_selftest_exit(void)
{
	stop_echo();
	stop_flood();
	stop_pinger();
}

module_init(argo_selftest_init);
module_exit(argo_selftest_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-VM tests of argo-core");
