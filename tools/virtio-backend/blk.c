// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (device id 2) on a raw image file or a block device.
 *
 * One queue.  A request's device-readable bytes are struct
 * virtio_blk_outhdr, then the data of a write or the ranges of a discard
 * or write-zeroes; its device-writable bytes are the data of a read (or
 * the id string) and, last, one status byte.  Because the guest transport
 * writes our reply from the start of the writable buffers, the status
 * byte can only land last if the reply covers all of them: every reply is
 * in_len bytes long (zeroes where a failed read had no data).
 *
 * I/O is synchronous, on the loop's thread: simple, and the page cache
 * makes most of it quick; FLUSH is fdatasync().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "backend.h"

#define SECTOR			512U
/* Segments per request we announce (VIRTIO_BLK_F_SEG_MAX). */
#define BLK_SEG_MAX		126U
/* Discard and write-zeroes: sectors per range, ranges per request. */
#define BLK_RANGE_SECTORS	(1U << 22)
#define BLK_RANGES		32U
/* Discard granularity: 4 KiB, the usual file system block. */
#define BLK_DISCARD_ALIGN	8U

struct blk {
	char *path;
	int fd;
	bool ro;
	bool bdev;
	uint64_t sectors;
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	bool serial_set;
	/* fallocate() modes the file proved not to support */
	bool no_punch;
	bool no_zero_range;
};

static uint64_t blk_features(const struct device *d)
{
	const struct blk *b = d->priv;
	uint64_t f = (1ULL << VIRTIO_BLK_F_FLUSH) |
		     (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		     (1ULL << VIRTIO_BLK_F_BLK_SIZE);

	/* a read-only disk offers no way to change it */
	if (b->ro)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	else
		f |= (1ULL << VIRTIO_BLK_F_DISCARD) |
		     (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

#define CFG(field)	offsetof(struct virtio_blk_config, field)

static void blk_config(const struct device *d, uint8_t *cfg)
{
	const struct blk *b = d->priv;

	put_le64(cfg + CFG(capacity), b->sectors);
	put_le32(cfg + CFG(seg_max), BLK_SEG_MAX);
	put_le32(cfg + CFG(blk_size), SECTOR);
	put_le16(cfg + CFG(num_queues), 1);
	put_le32(cfg + CFG(max_discard_sectors), BLK_RANGE_SECTORS);
	put_le32(cfg + CFG(max_discard_seg), BLK_RANGES);
	put_le32(cfg + CFG(discard_sector_alignment), BLK_DISCARD_ALIGN);
	put_le32(cfg + CFG(max_write_zeroes_sectors), BLK_RANGE_SECTORS);
	put_le32(cfg + CFG(max_write_zeroes_seg), BLK_RANGES);
	cfg[CFG(write_zeroes_may_unmap)] = 1;
}

/* Is [sector, sector + bytes/512) inside the disk, in whole sectors? */
static bool blk_range_ok(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / SECTOR;

	return !(bytes % SECTOR) && sector <= b->sectors &&
	       n <= b->sectors - sector;
}

static uint8_t blk_read(struct blk *b, uint64_t sector, uint8_t *buf,
			uint32_t len)
{
	off_t off = (off_t)(sector * SECTOR);

	if (!blk_range_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	while (len) {
		ssize_t n = pread(b->fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return VIRTIO_BLK_S_IOERR;
		if (!n)
			break;	/* the file shrank: the rest reads as zeroes */
		buf += n;
		len -= n;
		off += n;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_write(struct blk *b, uint64_t sector, const uint8_t *buf,
			 uint32_t len)
{
	off_t off = (off_t)(sector * SECTOR);

	if (b->ro || !blk_range_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	while (len) {
		ssize_t n = pwrite(b->fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return VIRTIO_BLK_S_IOERR;
		buf += n;
		len -= n;
		off += n;
	}
	return VIRTIO_BLK_S_OK;
}

#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define ZERO_RANGE	(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE)

static bool unsupported(int err)
{
	return err == EOPNOTSUPP;
}

static uint8_t blk_write_zero_bytes(struct blk *b, uint64_t off, uint64_t len)
{
	static const uint8_t zeroes[64 * 1024];

	while (len) {
		size_t chunk = len < sizeof(zeroes) ? len : sizeof(zeroes);
		ssize_t n = pwrite(b->fd, zeroes, chunk, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return VIRTIO_BLK_S_IOERR;
		off += n;
		len -= n;
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * Zero a range: punch a hole when unmapping is allowed, else zero the
 * range in place (FALLOC_FL_ZERO_RANGE), else write zeroes.  Write zeroes
 * needs this; discard uses it too (with unmapping allowed), so that a
 * discarded range reads back as zeroes wherever the image lives, which
 * guests and tests may rely on, though virtio does not promise it.
 */
static uint8_t blk_zero(struct blk *b, uint64_t off, uint64_t len, bool unmap)
{
	if (unmap && !b->no_punch) {
		if (!fallocate(b->fd, PUNCH, (off_t)off, (off_t)len))
			return VIRTIO_BLK_S_OK;
		if (!unsupported(errno))
			return VIRTIO_BLK_S_IOERR;
		b->no_punch = true;
	}
	if (!b->no_zero_range) {
		if (!fallocate(b->fd, ZERO_RANGE, (off_t)off, (off_t)len))
			return VIRTIO_BLK_S_OK;
		if (!unsupported(errno))
			return VIRTIO_BLK_S_IOERR;
		b->no_zero_range = true;
	}
	return blk_write_zero_bytes(b, off, len);
}

#define RANGE(field)	offsetof(struct virtio_blk_discard_write_zeroes, field)

/* DISCARD and WRITE_ZEROES: a list of ranges. */
static uint8_t blk_ranges(struct blk *b, uint32_t type, const uint8_t *p,
			  uint32_t len)
{
	const uint32_t rsize = sizeof(struct virtio_blk_discard_write_zeroes);
	uint32_t i;

	if (b->ro || !len || len % rsize || len / rsize > BLK_RANGES)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < len / rsize; i++, p += rsize) {
		uint64_t sector = get_le64(p + RANGE(sector));
		uint32_t num = get_le32(p + RANGE(num_sectors));
		uint32_t flags = get_le32(p + RANGE(flags));
		uint64_t bytes = (uint64_t)num * SECTOR;
		uint8_t st;

		/* virtio: only write zeroes may carry the unmap flag */
		if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
		    (type == VIRTIO_BLK_T_DISCARD && flags))
			return VIRTIO_BLK_S_UNSUPP;
		if (num > BLK_RANGE_SECTORS || !blk_range_ok(b, sector, bytes))
			return VIRTIO_BLK_S_IOERR;
		st = blk_zero(b, sector * SECTOR, bytes,
			      type == VIRTIO_BLK_T_DISCARD ||
			      (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP));
		if (st != VIRTIO_BLK_S_OK)
			return st;
	}
	return VIRTIO_BLK_S_OK;
}

/* Carry out one request; @data is the writable part before the status. */
static uint8_t blk_request(struct devinst *di, struct chain *c, uint8_t *data,
			   uint32_t dlen)
{
	struct blk *b = di->dev->priv;
	const uint32_t hlen = sizeof(struct virtio_blk_outhdr);
	const uint8_t *payload;
	uint32_t type, plen;
	uint64_t sector;

	if (c->out_len < hlen)
		return VIRTIO_BLK_S_IOERR;
	payload = c->out + hlen;
	type = get_le32(c->out + offsetof(struct virtio_blk_outhdr, type));
	sector = get_le64(c->out + offsetof(struct virtio_blk_outhdr, sector));
	plen = c->out_len - hlen;
	vb_debug("guest %u: blk %u: type %u sector %llu out %u in %u",
		 di->g->domid, di->dev->dev_num, type,
		 (unsigned long long)sector, plen, dlen);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		return blk_read(b, sector, data, dlen);
	case VIRTIO_BLK_T_OUT:
		return blk_write(b, sector, payload, plen);
	case VIRTIO_BLK_T_FLUSH:
		return fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		if (!b->serial_set)
			snprintf(b->serial, sizeof(b->serial), "argo-blk%u",
				 di->dev->dev_num);
		/* no NUL when it is 20 bytes long, as virtio says */
		memcpy(data, b->serial, MIN(dlen, VIRTIO_BLK_ID_BYTES));
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_ranges(b, type, payload, plen);
	}
	return VIRTIO_BLK_S_UNSUPP;
}

/*
 * A read, produced straight into the USED_CHAIN records (see
 * send_used_fill()): the data bytes, then the status byte, which is
 * final by then because the records are filled in order.
 */
struct blk_read_ctx {
	struct blk *b;
	uint64_t off;		/* image offset of data byte 0 */
	uint32_t dlen;		/* data bytes before the status */
	uint8_t status;
};

static void blk_read_fill(void *ctx, uint8_t *dst, uint32_t off, uint32_t n)
{
	struct blk_read_ctx *rd = ctx;

	while (n && off < rd->dlen) {
		uint32_t want = MIN(n, rd->dlen - off);
		ssize_t got = 0;

		if (rd->status == VIRTIO_BLK_S_OK)
			got = pread(rd->b->fd, dst, want, (off_t)(rd->off + off));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			rd->status = VIRTIO_BLK_S_IOERR;
		if (got <= 0) {
			/* an error, or the file shrank: zeroes, never old bytes */
			memset(dst, 0, want);
			got = want;
		}
		dst += got;
		off += got;
		n -= got;
	}
	if (n)	/* the status byte, the chain's last */
		*dst = rd->status;
}

/* VIRTIO_BLK_T_IN with a status byte: true when it was completed here. */
static bool blk_chain_read(struct devinst *di, struct chain *c)
{
	const uint32_t hlen = sizeof(struct virtio_blk_outhdr);
	struct blk_read_ctx rd = { .b = di->dev->priv };
	uint64_t sector;

	if (c->out_len != hlen ||
	    get_le32(c->out + offsetof(struct virtio_blk_outhdr, type)) !=
	    VIRTIO_BLK_T_IN)
		return false;
	sector = get_le64(c->out + offsetof(struct virtio_blk_outhdr, sector));
	rd.dlen = c->in_len - 1;
	rd.off = sector * SECTOR;
	rd.status = blk_range_ok(rd.b, sector, rd.dlen) ? VIRTIO_BLK_S_OK :
							  VIRTIO_BLK_S_IOERR;
	vb_debug("guest %u: blk %u: read sector %llu in %u", di->g->domid,
		 di->dev->dev_num, (unsigned long long)sector, rd.dlen);
	chain_complete_fill(c, c->in_len, blk_read_fill, &rd);
	return true;
}

static void blk_chain(struct devinst *di, struct chain *c)
{
	uint8_t *resp;

	if (!c->in_len) {
		/* nowhere to put a status: complete it empty */
		guest_err(di->g, "device %u: request without a status byte",
			  di->dev->dev_num);
		chain_complete(c, NULL, 0);
		return;
	}
	if (blk_chain_read(di, c))
		return;
	resp = calloc(1, c->in_len);
	if (!resp) {
		uint8_t st = VIRTIO_BLK_S_IOERR;

		/* too short to reach the status byte: the driver sees junk */
		guest_err(di->g, "device %u: out of memory", di->dev->dev_num);
		chain_complete(c, &st, c->in_len == 1 ? 1 : 0);
		return;
	}
	resp[c->in_len - 1] = blk_request(di, c, resp, c->in_len - 1);
	chain_complete(c, resp, c->in_len);
	free(resp);
}

static int blk_start(struct device *d, char *err, size_t errlen)
{
	struct blk *b = d->priv;
	struct stat st;
	uint64_t bytes;

	b->fd = open(b->path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		snprintf(err, errlen, "%s: %s", b->path, strerror(errno));
		return -1;
	}
	if (fstat(b->fd, &st)) {
		snprintf(err, errlen, "%s: %s", b->path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		b->bdev = true;
		if (ioctl(b->fd, BLKGETSIZE64, &bytes)) {
			snprintf(err, errlen, "%s: size: %s", b->path,
				 strerror(errno));
			return -1;
		}
	} else if (S_ISREG(st.st_mode)) {
		bytes = st.st_size;
	} else {
		snprintf(err, errlen, "%s: not a regular file or block device",
			 b->path);
		return -1;
	}
	b->sectors = bytes / SECTOR;
	if (bytes % SECTOR)
		vb_log("%s: the last %llu bytes are not a whole sector: not exposed",
		       b->path, (unsigned long long)(bytes % SECTOR));
	return 0;
}

static void blk_describe(const struct device *d, char *buf, size_t len)
{
	const struct blk *b = d->priv;

	snprintf(buf, len, "%s, %llu sectors, %s%s%s%s", b->path,
		 (unsigned long long)b->sectors, b->ro ? "read-only" :
		 "read-write", d->shared ? ", shared" : "",
		 b->serial_set ? ", serial " : "",
		 b->serial_set ? b->serial : "");
}

static void blk_destroy(struct device *d)
{
	struct blk *b = d->priv;

	if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b);
}

static const struct dev_ops blk_ops = {
	.kind = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.config_size = sizeof(struct virtio_blk_config),
	.start = blk_start,
	.features = blk_features,
	.config = blk_config,
	.chain = blk_chain,
	.describe = blk_describe,
	.destroy = blk_destroy,
};

/* "PATH[,ro][,shared][,serial=S][,guest=DOMID|NAME|any]..." */
struct device *blk_parse(const char *arg, char *err, size_t errlen)
{
	struct device *d = calloc(1, sizeof(*d));
	struct blk *b = calloc(1, sizeof(*b));
	char *copy = strdup(arg), *s, *key, *val, *comma;

	if (!d || !b || !copy) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->ops = &blk_ops;
	d->priv = b;
	list_init(&d->insts);
	b->fd = -1;
	/* the path is taken whole up to the first comma ('=' is allowed) */
	comma = strchr(copy, ',');
	s = comma ? comma + 1 : NULL;
	if (comma)
		*comma = '\0';
	if (!*copy) {
		snprintf(err, errlen, "--blk needs a path");
		goto fail;
	}
	b->path = strdup(copy);
	if (!b->path) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while ((key = opt_next(&s, &val))) {
		if (!strcmp(key, "ro") && !val) {
			b->ro = true;
		} else if (!strcmp(key, "shared") && !val) {
			d->shared = true;
		} else if (!strcmp(key, "serial")) {
			if (!val || strlen(val) > VIRTIO_BLK_ID_BYTES) {
				snprintf(err, errlen, "serial= takes up to %u characters",
					 VIRTIO_BLK_ID_BYTES);
				goto fail;
			}
			strcpy(b->serial, val);
			b->serial_set = true;
		} else if (device_option(d, key, val, err, errlen)) {
			goto fail;
		}
	}
	/* a writable disk goes to one guest at a time unless shared */
	d->exclusive = !b->ro && !d->shared;
	free(copy);
	return d;
fail:
	free(copy);
	if (b)
		free(b->path);
	free(b);
	free(d);
	return NULL;
}
