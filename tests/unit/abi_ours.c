// SPDX-License-Identifier: GPL-2.0
/* The ABI facts as the project's header states them (see abi_facts.h). */
#include <stddef.h>
#include <argo/xen_argo_abi.h>
#include "abi_facts.h"

#define OURS(name, ours, theirs) { #name, (unsigned long long)(ours) },
const struct abi_fact abi_ours[] = { ABI_FACTS(OURS) };
const unsigned int abi_nfacts = sizeof(abi_ours) / sizeof(abi_ours[0]);
