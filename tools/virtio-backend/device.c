// SPDX-License-Identifier: GPL-2.0
/*
 * Devices and their per-guest instances: what every device model shares.
 *
 * A device (one command-line option) owns the host resource; each guest it
 * is offered to gets its own instance with its own status, features,
 * queues and outstanding chains, so one guest's reset or misbehaviour
 * never touches another guest's view of the same device.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "backend.h"

/*
 * Split the next comma-separated item off *@s: returns it (NUL-ended) and
 * sets *@val to what follows its first '=', or NULL.  Returns NULL at the
 * end.  Modifies the string.
 */
char *opt_next(char **s, char **val)
{
	char *item = *s, *comma, *eq;

	if (!item)
		return NULL;
	comma = strchr(item, ',');
	if (comma) {
		*comma = '\0';
		*s = comma + 1;
	} else {
		*s = NULL;
	}
	eq = strchr(item, '=');
	if (eq)
		*eq++ = '\0';
	*val = eq;
	return item;
}

/* An option every device takes: guest=DOMID (repeatable). */
int device_option(struct device *d, const char *key, const char *val,
		  char *err, size_t errlen)
{
	unsigned long domid;
	char *end;

	if (strcmp(key, "guest")) {
		snprintf(err, errlen, "unknown option '%s'", key);
		return -1;
	}
	if (!val || !*val) {
		snprintf(err, errlen, "guest= needs a domain id");
		return -1;
	}
	errno = 0;
	domid = strtoul(val, &end, 0);
	if (errno || *end || domid >= 0x7FF0) {
		snprintf(err, errlen, "bad domain id '%s'", val);
		return -1;
	}
	if (d->nguests >= VB_GUEST_FILTER_MAX) {
		snprintf(err, errlen, "at most %u guest= per device",
			 VB_GUEST_FILTER_MAX);
		return -1;
	}
	d->guests[d->nguests++] = domid;
	return 0;
}

bool device_offered(const struct device *d, uint16_t domid)
{
	unsigned int i;

	if (!d->nguests)
		return true;
	for (i = 0; i < d->nguests; i++)
		if (d->guests[i] == domid)
			return true;
	return false;
}

/*
 * Every device is modern-only (VERSION_1).  Indirect descriptors and
 * event indices concern only the rings, which the guest transport walks
 * on our behalf; we offer both so that the drivers can use them.
 */
uint64_t device_features(const struct device *d)
{
	return (1ULL << VIRTIO_F_VERSION_1) |
	       (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
	       (1ULL << VIRTIO_RING_F_EVENT_IDX) |
	       (d->ops->features ? d->ops->features(d) : 0);
}

/* What @di offers its guest: without VA_F_HOLD, nothing that needs HOLD. */
uint64_t devinst_features(const struct devinst *di)
{
	uint64_t f = device_features(di->dev);

	if (!(di->g->bus.features & (1ULL << VA_F_HOLD)))
		f &= ~di->dev->ops->hold_features;
	return f;
}

void device_describe(const struct device *d, char *buf, size_t len)
{
	char what[256] = "", who[128] = "every guest";

	if (d->ops->describe)
		d->ops->describe(d, what, sizeof(what));
	if (d->nguests) {
		size_t n = snprintf(who, sizeof(who), "guest");
		unsigned int i;

		for (i = 0; i < d->nguests && n < sizeof(who); i++)
			n += snprintf(who + n, sizeof(who) - n, "%s%u",
				      i ? "," : " ", d->guests[i]);
	}
	snprintf(buf, len, "device %u: %s%s%s (for %s)", d->dev_num,
		 d->ops->kind, *what ? " " : "", what, who);
}

struct devinst *devinst_create(struct device *d, struct guest *g)
{
	struct devinst *di = calloc(1, sizeof(*di));

	if (!di)
		return NULL;
	di->vq = calloc(d->ops->nqueues, sizeof(*di->vq));
	if (!di->vq) {
		free(di);
		return NULL;
	}
	di->dev = d;
	di->g = g;
	list_add_tail(&di->dev_link, &d->insts);
	if (d->ops->inst_init && d->ops->inst_init(di)) {
		list_del_init(&di->dev_link);
		free(di->vq);
		free(di);
		return NULL;
	}
	return di;
}

void devinst_destroy(struct devinst *di)
{
	struct guest *g = di->g;

	win_cancel(di);
	chain_drop_all(di);
	if (di->dev->ops->inst_free)
		di->dev->ops->inst_free(di);
	list_del_init(&di->dev_link);
	g->inst[di->dev->dev_num] = NULL;
	free(di->vq);
	free(di);
}

/* Forget the queues and their chains, and the device model's state. */
static void devinst_clear(struct devinst *di)
{
	unsigned int i;

	win_cancel(di);
	chain_drop_all(di);
	if (di->dev->ops->inst_reset)
		di->dev->ops->inst_reset(di);
	for (i = 0; i < di->dev->ops->nqueues; i++)
		di->vq[i].size = 0;
}

/* SET_DEVICE_STATUS 0: back to the state of a fresh instance. */
void devinst_reset(struct devinst *di)
{
	devinst_clear(di);
	di->status = 0;
	di->drv_features = 0;
	di->drv_features_high = false;
	/* @generation keeps counting: the driver may cache by it */
}

bool devinst_broken(const struct devinst *di)
{
	return di->status & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/*
 * The guest broke the protocol on this device: log why, drop its chains
 * and set DEVICE_NEEDS_RESET, telling a running driver through a config
 * event as virtio requires.  Records for the device are ignored until the
 * driver resets it.  Other devices and other guests are not touched.
 */
void devinst_fail(struct devinst *di, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	guest_err(di->g, "device %u: %s: device needs reset",
		  di->dev->dev_num, why);
	if (devinst_broken(di))
		return;
	devinst_clear(di);
	di->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	di->generation++;
	send_event_config(di);
}

int device_start(struct device *d, char *err, size_t errlen)
{
	return d->ops->start ? d->ops->start(d, err, errlen) : 0;
}
