/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-virtio-backend: a PNG writer with no library behind it, and a
 * reader for what it writes.
 *
 * The images are screenshots of a guest's display, written a few times a
 * second at most: size matters less than having no dependency, so the
 * zlib stream is made of stored (uncompressed) deflate blocks.  The files
 * are ordinary PNGs (8 bits per channel, RGB or RGBA, no interlace) that
 * any reader opens.
 */
#ifndef _VB_PNG_H
#define _VB_PNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Largest width or height written or read (PNG allows 2^31 - 1). */
#define PNG_DIM_MAX	65535U

/* Colour types we use: 2 (RGB) and 6 (RGBA), 3 or 4 bytes per pixel. */
#define PNG_RGB		3U
#define PNG_RGBA	4U

/**
 * png_row_fn - produce one row of the image
 * @ctx: what the caller of png_write() passed
 * @y: the row, 0 at the top, called in order
 * @row: width * channels bytes to fill (R, G, B[, A] per pixel)
 */
typedef void (*png_row_fn)(void *ctx, uint32_t y, uint8_t *row);

uint32_t png_crc32(uint32_t crc, const uint8_t *p, size_t n);
uint32_t png_adler32(uint32_t adler, const uint8_t *p, size_t n);

int png_write(FILE *f, uint32_t width, uint32_t height, unsigned int channels,
	      png_row_fn row, void *ctx);
int png_save(const char *path, uint32_t width, uint32_t height,
	     unsigned int channels, png_row_fn row, void *ctx);

/**
 * struct png_image - an image read back by png_read()
 * @pixels: height rows of width * channels bytes, no padding (malloc'd)
 */
struct png_image {
	uint32_t width;
	uint32_t height;
	unsigned int channels;
	uint8_t *pixels;
};

int png_read(const uint8_t *buf, size_t len, struct png_image *img);
int png_load(const char *path, struct png_image *img);
void png_image_free(struct png_image *img);

#endif /* _VB_PNG_H */
