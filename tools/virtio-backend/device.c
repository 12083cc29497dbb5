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

/*
 * A Xen domain name as a binding may give it: letters, digits and
 * "-_.", not all digits (that is a domid), at most VB_DOM_NAME_MAX - 1.
 */
static bool domain_name_ok(const char *s)
{
	size_t i, n = strlen(s);
	bool digits = true;

	if (!n || n >= VB_DOM_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			continue;
		digits = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return !digits;
}

/*
 * An option every device takes: guest=DOMID, guest=NAME (a Xen domain
 * name) or guest=any (repeatable, any alone).
 */
int device_option(struct device *d, const char *key, const char *val,
		  char *err, size_t errlen)
{
	if (strcmp(key, "guest")) {
		snprintf(err, errlen, "unknown option '%s'", key);
		return -1;
	}
	if (!val || !*val) {
		snprintf(err, errlen, "guest= needs a domain id, a domain name or any");
		return -1;
	}
	if (d->any_guest || (!strcmp(val, "any") && (d->nguests || d->nnames))) {
		snprintf(err, errlen, "guest=any and other guest= exclude each other");
		return -1;
	}
	if (d->nguests + d->nnames >= VB_GUEST_FILTER_MAX) {
		snprintf(err, errlen, "at most %u guest= per device",
			 VB_GUEST_FILTER_MAX);
		return -1;
	}
	if (!strcmp(val, "any")) {
		d->any_guest = true;
		return 0;
	}
	if (val[0] >= '0' && val[0] <= '9') {
		unsigned long domid;

		if (vb_parse_num(val, 0, 0x7FEF, &domid, NULL)) {
			snprintf(err, errlen, "bad domain id '%s'", val);
			return -1;
		}
		d->guests[d->nguests++] = domid;
		return 0;
	}
	if (!domain_name_ok(val)) {
		snprintf(err, errlen, "bad domain name '%s' (letters, digits, '-', '_' and '.', up to %u)",
			 val, VB_DOM_NAME_MAX - 1);
		return -1;
	}
	strcpy(d->gnames[d->nnames++], val);
	return 0;
}

/* Is @d offered to @g: bound to any guest, to its domid or to its name? */
bool device_offered(const struct device *d, const struct guest *g)
{
	unsigned int i;

	if (d->any_guest || (!d->nguests && !d->nnames))
		return true;
	for (i = 0; i < d->nguests; i++)
		if (d->guests[i] == g->domid)
			return true;
	for (i = 0; g->name[0] && i < d->nnames; i++)
		if (!strcmp(d->gnames[i], g->name))
			return true;
	return false;
}

/* Is @d bound to exactly one guest (one domid or one name)? */
bool device_one_guest(const struct device *d)
{
	return !d->any_guest && d->nguests + d->nnames == 1;
}

/* Free a device that is no longer (or never was) in the backend's table. */
void device_free(struct device *d)
{
	if (!d)
		return;
	if (d->ops && d->ops->destroy)
		d->ops->destroy(d);
	free(d->spec);
	free(d);
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
	char what[256] = "", who[256] = "every guest";

	if (d->ops->describe)
		d->ops->describe(d, what, sizeof(what));
	if (d->nguests || d->nnames) {
		size_t n = snprintf(who, sizeof(who), "guest");
		unsigned int i;

		for (i = 0; i < d->nguests && n < sizeof(who); i++)
			n += snprintf(who + n, sizeof(who) - n, "%s%u",
				      i ? "," : " ", d->guests[i]);
		for (i = 0; i < d->nnames && n < sizeof(who); i++)
			n += snprintf(who + n, sizeof(who) - n, "%s%s",
				      i || d->nguests ? "," : " ",
				      d->gnames[i]);
	}
	snprintf(buf, len, "device %u%s%s%s: %s%s%s (for %s%s)", d->dev_num,
		 d->name[0] ? " (" : "", d->name, d->name[0] ? ")" : "",
		 d->ops->kind, *what ? " " : "", what, who,
		 d->exclusive ? ", one at a time" : "");
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
	if (di->dev->holder == g)
		device_release(di->dev);
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
	di->dev->errors++;
	devinst_clear(di);
	di->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	di->generation++;
	send_event_config(di);
}

int device_start(struct device *d, char *err, size_t errlen)
{
	return d->ops->start ? d->ops->start(d, err, errlen) : 0;
}
