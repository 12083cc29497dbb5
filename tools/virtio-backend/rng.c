// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (device id 4): one queue of device-writable buffers, each
 * filled completely with bytes from the kernel's random source
 * (getrandom(), the same pool as /dev/urandom).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include <linux/virtio_ids.h>

#include "backend.h"

static int fill_random(uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static void rng_chain(struct devinst *di, struct chain *c)
{
	uint8_t *buf;

	if (!c->in_len) {
		chain_complete(c, NULL, 0);
		return;
	}
	buf = malloc(c->in_len);
	if (!buf || fill_random(buf, c->in_len)) {
		/* an empty completion: the driver simply asks again */
		guest_err(di->g, "device %u: no random bytes: %s",
			  di->dev->dev_num, strerror(errno));
		chain_complete(c, NULL, 0);
	} else {
		chain_complete(c, buf, c->in_len);
	}
	free(buf);
}

static const struct dev_ops rng_ops = {
	.kind = "rng",
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.config_size = 0,
	.chain = rng_chain,
};

/* "--rng[,guest=DOMID]": @arg is what follows "--rng," or NULL. */
struct device *rng_parse(const char *arg, char *err, size_t errlen)
{
	struct device *d = calloc(1, sizeof(*d));
	char *copy = arg ? strdup(arg) : NULL, *s = copy, *key, *val;

	if (!d || (arg && !copy)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->ops = &rng_ops;
	list_init(&d->insts);
	while ((key = opt_next(&s, &val)))
		if (device_option(d, key, val, err, errlen))
			goto fail;
	free(copy);
	return d;
fail:
	free(copy);
	free(d);
	return NULL;
}
