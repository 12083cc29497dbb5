// SPDX-License-Identifier: GPL-2.0
/*
 * xs_name DOMID: domain DOMID's name, as argo-virtio-backend reads it
 * from xenstore (tools/virtio-backend/xs.c, built in), for the rig's
 * check against the real xenstore (tests/vm/77-xs-name*.sh).  The backend
 * itself has no such command: its names are only looked up when a guest
 * connects.
 *
 * Prints the name and exits 0, or says why not on stderr and exits with
 * the errno (2 ENOENT, 13 EACCES, 19 ENODEV, 110 ETIMEDOUT, ...).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"

int main(int argc, char **argv)
{
	char name[256], *end;
	unsigned long domid;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: xs_name DOMID\n");
		return 255;
	}
	errno = 0;
	domid = strtoul(argv[1], &end, 0);
	if (errno || end == argv[1] || *end || domid > 0xffff) {
		fprintf(stderr, "xs_name: %s: not a domid\n", argv[1]);
		return 255;
	}
	ret = xs_domain_name(domid, name, sizeof(name));
	if (ret) {
		fprintf(stderr, "xs_name: domain %lu: %s (%d)\n", domid,
			strerror(-ret), ret);
		return -ret < 255 ? -ret : 254;
	}
	printf("%s\n", name);
	return 0;
}
