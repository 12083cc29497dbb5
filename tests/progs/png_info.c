// SPDX-License-Identifier: GPL-2.0
/*
 * png_info FILE: "WIDTHxHEIGHT LIT" for a PNG argo-virtio-backend wrote,
 * LIT being the pixels that are not black (the demo waits until a guest's
 * console text shows on its virtio-gpu display).  Exit status 1 when the
 * file cannot be read.
 */
#include <stdio.h>

#include "png.h"

int main(int argc, char **argv)
{
	struct png_image img;
	unsigned long lit = 0, i, n, c;

	if (argc != 2) {
		fprintf(stderr, "usage: png_info FILE\n");
		return 2;
	}
	if (png_load(argv[1], &img))
		return 1;
	n = (unsigned long)img.width * img.height;
	for (i = 0; i < n; i++) {
		const unsigned char *p = img.pixels + i * img.channels;

		for (c = 0; c < 3; c++)
			if (p[c]) {
				lit++;
				break;
			}
	}
	printf("%ux%u %lu\n", img.width, img.height, lit);
	png_image_free(&img);
	return 0;
}
