// SPDX-License-Identifier: GPL-2.0
/*
 * PNG without a library (see png.h for why).
 *
 * A PNG file is an 8-byte signature and chunks (big-endian length, type,
 * data, CRC-32 of type and data): IHDR, IDAT, IEND.  IDAT holds a zlib
 * stream (RFC 1950) of the filtered rows: each row is a filter byte (0:
 * none) and the pixels.  The zlib stream is a 2-byte header, deflate data
 * (RFC 1951) and the Adler-32 of the uncompressed bytes.  Deflate's stored
 * block is a 3-bit header (BFINAL, BTYPE 00) padded to a byte, LEN and its
 * complement NLEN (little-endian), then LEN bytes: the 3 bits and their
 * padding make one byte, so a stored block is 5 bytes of header and at
 * most 65535 of data, and everything stays byte-aligned.
 *
 * The writer streams: every length is known in advance (stored blocks
 * cost exactly 5 bytes each), so a screenshot never needs a second copy
 * of the image in memory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "png.h"

#define PNG_STORED_MAX	65535U
/* A chunk's length field is at most 2^31 - 1. */
#define PNG_CHUNK_MAX	0x7FFFFFFFU
/* Files png_load() reads at most. */
#define PNG_FILE_MAX	(1U << 30)

static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A,
				    '\n' };

/* ---- checksums ---- */

/*
 * CRC-32 as PNG (and zip, and Ethernet) define it: reflected polynomial
 * 0xEDB88320, register preset to all ones and inverted at the end.  @crc
 * is the value so far (0 to start), so a chunk can be summed in pieces.
 * A 256-entry table, built on first use, handles a byte at a time.
 */
uint32_t png_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	static bool ready;
	size_t i;

	if (!ready) {
		uint32_t k;
		int b;

		for (k = 0; k < 256; k++) {
			uint32_t c = k;

			for (b = 0; b < 8; b++)
				c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
			table[k] = c;
		}
		ready = true;
	}
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

/*
 * Adler-32 (RFC 1950): two sums modulo 65521, @adler 1 to start.  The
 * modulo is taken every 5552 bytes, the most that cannot overflow 32 bits.
 */
uint32_t png_adler32(uint32_t adler, const uint8_t *p, size_t n)
{
	uint32_t a = adler & 0xFFFF, b = adler >> 16;

	while (n) {
		size_t chunk = n < 5552 ? n : 5552;

		n -= chunk;
		while (chunk--) {
			a += *p++;
			b += a;
		}
		a %= 65521;
		b %= 65521;
	}
	return (b << 16) | a;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ---- writing ---- */

struct png_writer {
	FILE *f;
	uint32_t crc;		/* of the chunk being written */
	uint32_t adler;		/* of the uncompressed bytes so far */
	uint32_t fill;		/* bytes waiting in @blk */
	bool err;
	uint8_t blk[PNG_STORED_MAX];
};

/* Bytes of the current chunk's type or data. */
static void pw_out(struct png_writer *w, const void *p, size_t n)
{
	if (w->err || !n)
		return;
	w->crc = png_crc32(w->crc, p, n);
	if (fwrite(p, 1, n, w->f) != n)
		w->err = true;
}

static void pw_chunk_start(struct png_writer *w, const char *type,
			   uint32_t len)
{
	uint8_t b[4];

	put_be32(b, len);
	if (!w->err && fwrite(b, 1, 4, w->f) != 4)
		w->err = true;
	w->crc = 0;
	pw_out(w, type, 4);
}

static void pw_chunk_end(struct png_writer *w)
{
	uint8_t b[4];

	put_be32(b, w->crc);
	if (!w->err && fwrite(b, 1, 4, w->f) != 4)
		w->err = true;
}

/* One stored block of the @fill bytes waiting. */
static void pw_block(struct png_writer *w, bool final)
{
	uint8_t h[5];

	h[0] = final ? 1 : 0;		/* BFINAL, BTYPE 00, padding */
	h[1] = w->fill & 0xFF;
	h[2] = w->fill >> 8;
	h[3] = ~w->fill & 0xFF;
	h[4] = (~w->fill >> 8) & 0xFF;
	pw_out(w, h, sizeof(h));
	pw_out(w, w->blk, w->fill);
	w->fill = 0;
}

/*
 * Uncompressed bytes into the deflate stream.  A full block goes out only
 * when more bytes follow it, so the last block (BFINAL) is never empty
 * and the block count is exactly ceil(total / 65535): png_write() counts
 * on it for the IDAT length.
 */
static void pw_feed(struct png_writer *w, const uint8_t *p, size_t n)
{
	w->adler = png_adler32(w->adler, p, n);
	while (n) {
		size_t room;

		if (w->fill == PNG_STORED_MAX)
			pw_block(w, false);
		room = PNG_STORED_MAX - w->fill;
		if (room > n)
			room = n;
		memcpy(w->blk + w->fill, p, room);
		w->fill += room;
		p += room;
		n -= room;
	}
}

/**
 * png_write() - write a PNG image to @f
 * @f: where, from its current position
 * @width: 1 to PNG_DIM_MAX pixels
 * @height: 1 to PNG_DIM_MAX rows
 * @channels: PNG_RGB or PNG_RGBA
 * @row: called once per row, top to bottom, for its pixels
 * @ctx: passed to @row
 *
 * Return: 0, -EINVAL for bad arguments, -EFBIG for an image whose IDAT
 * chunk would exceed 2^31 - 1 bytes, -ENOMEM, or -EIO when a write failed.
 */
int png_write(FILE *f, uint32_t width, uint32_t height, unsigned int channels,
	      png_row_fn row, void *ctx)
{
	uint64_t rowlen, raw, blocks, zlen;
	struct png_writer *w;
	uint8_t ihdr[13], z[4], *line;
	uint32_t y;
	int ret = 0;

	if (!width || !height || width > PNG_DIM_MAX || height > PNG_DIM_MAX ||
	    (channels != PNG_RGB && channels != PNG_RGBA) || !row)
		return -EINVAL;
	rowlen = 1 + (uint64_t)width * channels;
	raw = rowlen * height;
	blocks = (raw + PNG_STORED_MAX - 1) / PNG_STORED_MAX;
	zlen = 2 + 5 * blocks + raw + 4;
	if (zlen > PNG_CHUNK_MAX)
		return -EFBIG;
	w = malloc(sizeof(*w));
	line = malloc(rowlen);
	if (!w || !line) {
		free(w);
		free(line);
		return -ENOMEM;
	}
	w->f = f;
	w->err = false;
	w->fill = 0;
	w->adler = 1;

	if (fwrite(png_sig, 1, sizeof(png_sig), f) != sizeof(png_sig))
		w->err = true;
	put_be32(ihdr, width);
	put_be32(ihdr + 4, height);
	ihdr[8] = 8;				/* bits per channel */
	ihdr[9] = channels == PNG_RGBA ? 6 : 2;	/* colour type */
	ihdr[10] = 0;				/* deflate */
	ihdr[11] = 0;				/* adaptive filtering */
	ihdr[12] = 0;				/* no interlace */
	pw_chunk_start(w, "IHDR", sizeof(ihdr));
	pw_out(w, ihdr, sizeof(ihdr));
	pw_chunk_end(w);

	pw_chunk_start(w, "IDAT", (uint32_t)zlen);
	/* CM 8 (deflate), 32 KiB window; FLEVEL 0; FCHECK: 0x7801 % 31 == 0 */
	z[0] = 0x78;
	z[1] = 0x01;
	pw_out(w, z, 2);
	for (y = 0; y < height && !w->err; y++) {
		line[0] = 0;			/* filter: none */
		row(ctx, y, line + 1);
		pw_feed(w, line, rowlen);
	}
	pw_block(w, true);
	put_be32(z, w->adler);
	pw_out(w, z, 4);
	pw_chunk_end(w);

	pw_chunk_start(w, "IEND", 0);
	pw_chunk_end(w);
	if (w->err || fflush(f))
		ret = -EIO;
	free(line);
	free(w);
	return ret;
}

/**
 * png_save() - write a PNG file that readers never see half-written
 * @path: the file; written as "@path.tmp", then renamed over @path
 *
 * The other arguments and the return value are png_write()'s, and
 * -errno when the file cannot be created or renamed.
 */
int png_save(const char *path, uint32_t width, uint32_t height,
	     unsigned int channels, png_row_fn row, void *ctx)
{
	size_t n = strlen(path) + sizeof(".tmp");
	char *tmp = malloc(n);
	FILE *f;
	int ret;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n, "%s.tmp", path);
	f = fopen(tmp, "wbe");
	if (!f) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = png_write(f, width, height, channels, row, ctx);
	if (fclose(f) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

/* ---- reading back ---- */

/*
 * Inflate a zlib stream made of stored blocks only (what png_write()
 * makes) into exactly @want bytes at @out.  Other block types are
 * -ENOTSUP: this is a reader for our own files, not a general one.
 */
static int inflate_stored(const uint8_t *z, size_t zlen, uint8_t *out,
			  size_t want)
{
	size_t pos = 2, got = 0;
	bool final = false;

	if (zlen < 2 + 4 || (z[0] & 0x0F) != 8 || (z[0] >> 4) > 7 ||
	    ((unsigned int)z[0] << 8 | z[1]) % 31 || (z[1] & 0x20))
		return -EINVAL;
	while (!final) {
		uint32_t len, nlen;

		if (zlen - pos < 5)
			return -EINVAL;
		final = z[pos] & 1;
		if ((z[pos] >> 1) & 3)
			return -ENOTSUP;
		len = z[pos + 1] | (uint32_t)z[pos + 2] << 8;
		nlen = z[pos + 3] | (uint32_t)z[pos + 4] << 8;
		pos += 5;
		if ((len ^ 0xFFFF) != nlen || len > zlen - pos ||
		    len > want - got)
			return -EINVAL;
		memcpy(out + got, z + pos, len);
		got += len;
		pos += len;
	}
	if (got != want || zlen - pos < 4 ||
	    get_be32(z + pos) != png_adler32(1, out, want))
		return -EINVAL;
	return 0;
}

/* Unfilter rows of filter type 0 (the only one we write) in place. */
static int png_rows(struct png_image *img, const uint8_t *raw)
{
	size_t rowlen = (size_t)img->width * img->channels;
	uint32_t y;

	for (y = 0; y < img->height; y++) {
		const uint8_t *r = raw + y * (rowlen + 1);

		if (r[0] != 0)
			return -ENOTSUP;
		memcpy(img->pixels + y * rowlen, r + 1, rowlen);
	}
	return 0;
}

/**
 * png_read() - decode a PNG as png_write() makes them
 * @buf: the file's bytes
 * @len: how many
 * @img: filled on success; png_image_free() it
 *
 * Every chunk's CRC, the zlib header and Adler-32, and the IHDR fields
 * are checked.  Return: 0, -EINVAL for a malformed file, -ENOTSUP for a
 * valid PNG using what we never write (compressed blocks, filters,
 * palettes, 16 bits, interlace), -ENOMEM.
 */
int png_read(const uint8_t *buf, size_t len, struct png_image *img)
{
	uint8_t *idat = NULL, *raw = NULL;
	size_t pos = sizeof(png_sig), idat_len = 0;
	bool have_ihdr = false, have_iend = false;
	int ret = -EINVAL;

	memset(img, 0, sizeof(*img));
	if (len < sizeof(png_sig) || memcmp(buf, png_sig, sizeof(png_sig)))
		return -EINVAL;
	while (!have_iend) {
		const uint8_t *type, *data;
		uint32_t clen;

		if (len - pos < 12)
			goto out;
		clen = get_be32(buf + pos);
		if (clen > PNG_CHUNK_MAX || clen > len - pos - 12)
			goto out;
		type = buf + pos + 4;
		data = type + 4;
		if (get_be32(data + clen) != png_crc32(0, type, 4 + clen))
			goto out;
		pos += 12 + clen;
		if (!memcmp(type, "IHDR", 4)) {
			if (have_ihdr || clen != 13)
				goto out;
			img->width = get_be32(data);
			img->height = get_be32(data + 4);
			if (!img->width || !img->height ||
			    img->width > PNG_DIM_MAX ||
			    img->height > PNG_DIM_MAX)
				goto out;
			if (data[8] != 8 || (data[9] != 2 && data[9] != 6) ||
			    data[10] || data[11] || data[12]) {
				ret = -ENOTSUP;
				goto out;
			}
			img->channels = data[9] == 6 ? PNG_RGBA : PNG_RGB;
			have_ihdr = true;
		} else if (!have_ihdr) {
			goto out;		/* IHDR must come first */
		} else if (!memcmp(type, "IDAT", 4)) {
			uint8_t *n = realloc(idat, idat_len + clen + 1);

			if (!n) {
				ret = -ENOMEM;
				goto out;
			}
			idat = n;
			memcpy(idat + idat_len, data, clen);
			idat_len += clen;
		} else if (!memcmp(type, "IEND", 4)) {
			have_iend = true;
		} else if (!(type[0] & 0x20)) {
			ret = -ENOTSUP;		/* an unknown critical chunk */
			goto out;
		}
	}
	{
		size_t rowlen = (size_t)img->width * img->channels;
		size_t want = (rowlen + 1) * img->height;

		raw = malloc(want);
		img->pixels = malloc(rowlen * img->height);
		if (!raw || !img->pixels) {
			ret = -ENOMEM;
			goto out;
		}
		ret = inflate_stored(idat, idat_len, raw, want);
		if (!ret)
			ret = png_rows(img, raw);
	}
out:
	free(idat);
	free(raw);
	if (ret)
		png_image_free(img);
	return ret;
}

/* png_read() of the file at @path. */
int png_load(const char *path, struct png_image *img)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	memset(img, 0, sizeof(*img));
	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= PNG_FILE_MAX) {
				ret = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	ret = ferror(f) ? -EIO : png_read(buf, len, img);
out:
	fclose(f);
	free(buf);
	return ret;
}

void png_image_free(struct png_image *img)
{
	free(img->pixels);
	memset(img, 0, sizeof(*img));
}
