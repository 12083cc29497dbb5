// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI facts as Xen's public header states them (see abi_facts.h), and
 * the test that compares both lists.  Built with -I pointing at
 * xen/include/public in the Xen source the rig unpacked.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen.h>
#include <argo.h>
#include "abi_facts.h"
#include "../lib/tap.h"

#define XEN(name, ours, theirs) { #name, (unsigned long long)(theirs) },
const struct abi_fact abi_xen[] = { ABI_FACTS(XEN) };

int main(void)
{
	unsigned int i;

	tap_start();
	for (i = 0; i < abi_nfacts; i++) {
		if (!tap_ok(abi_ours[i].value == abi_xen[i].value,
			    "ABI %s matches Xen's header", abi_xen[i].name))
			printf("# ours %llu, Xen's %llu\n", abi_ours[i].value,
			       abi_xen[i].value);
	}
	return tap_done();
}
