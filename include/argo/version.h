/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The suite's version, in one place: every module reports it
 * (MODULE_VERSION, so `modinfo` and /sys/module/NAME/version show it),
 * the Makefiles read it from here for the tools, the DKMS source folder
 * and the Debian packages, and the host tests check that dkms.conf
 * names the same one.
 */
#ifndef _ARGO_VERSION_H
#define _ARGO_VERSION_H

#define ARGO_SUITE_VERSION "0.1"

#endif /* _ARGO_VERSION_H */
