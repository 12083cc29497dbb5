// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-input (device id 18): a keyboard and an absolute pointer in one
 * device, fed by whatever the backend hears from the display's viewers
 * (a VNC client types and moves the pointer on a guest's --gpu display).
 *
 * Config: the driver writes select and subsel, then reads what they
 * choose (virtio 1.2, 5.8.4): the name, the ids, the event types and, for
 * each type, the codes, and the range of each axis.  The ranges follow
 * the display: a pointer at (x, y) of a WxH display is ABS_X x, ABS_Y y,
 * 0 to W - 1 and 0 to H - 1.
 *
 * Queues: eventq (0) holds the driver's 8-byte buffers, each filled with
 * one struct virtio_input_event; events with no buffer to go to wait, up
 * to INPUT_PENDING_MAX, then the oldest are dropped with a line (a guest
 * that does not read its input loses keystrokes, nothing else).  statusq
 * (1) carries the driver's LED and repeat events: taken and ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/input-event-codes.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_input.h>

#include "backend.h"

#define INPUT_EVENTQ		0
#define INPUT_STATUSQ		1
#define INPUT_PENDING_MAX	1024U
#define INPUT_NAME		"VirtIO-Argo input"
#define INPUT_SERIAL		"argo-input"
/* BUS_VIRTUAL, and ids that say "this backend" */
#define INPUT_BUSTYPE		0x06
#define INPUT_VENDOR		0x4152		/* "AR" */
#define INPUT_PRODUCT		0x0001
#define INPUT_VERSION		0x0001

struct input_dev {
	uint32_t width, height;		/* the pointer's range */
};

struct input_inst {
	uint8_t select, subsel;
	struct list_node bufs;		/* eventq chains, in order */
	struct virtio_input_event *pending;
	unsigned int head, count;	/* a ring of INPUT_PENDING_MAX */
	unsigned long dropped;
};

/* The codes the keyboard and the pointer have. */
static void input_key_bits(uint8_t *bitmap)
{
	unsigned int code;

	for (code = KEY_ESC; code <= KEY_MICMUTE; code++)
		bitmap[code / 8] |= 1U << (code % 8);
	for (code = BTN_LEFT; code <= BTN_MIDDLE; code++)
		bitmap[code / 8] |= 1U << (code % 8);
}

/* The union @ii's select and subsel choose; its size. */
static uint8_t input_union(const struct input_dev *id,
			   const struct input_inst *ii, uint8_t *u)
{
	struct virtio_input_absinfo abs = { 0 };
	struct virtio_input_devids ids;

	switch (ii->select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
		memcpy(u, INPUT_NAME, sizeof(INPUT_NAME) - 1);
		return sizeof(INPUT_NAME) - 1;
	case VIRTIO_INPUT_CFG_ID_SERIAL:
		memcpy(u, INPUT_SERIAL, sizeof(INPUT_SERIAL) - 1);
		return sizeof(INPUT_SERIAL) - 1;
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		put_le16(&ids.bustype, INPUT_BUSTYPE);
		put_le16(&ids.vendor, INPUT_VENDOR);
		put_le16(&ids.product, INPUT_PRODUCT);
		put_le16(&ids.version, INPUT_VERSION);
		memcpy(u, &ids, sizeof(ids));
		return sizeof(ids);
	case VIRTIO_INPUT_CFG_EV_BITS:
		if (ii->subsel == EV_KEY) {
			input_key_bits(u);
			return 128;	/* up to code 1023 */
		}
		if (ii->subsel == EV_ABS) {
			u[0] = 1U << ABS_X | 1U << ABS_Y;
			return 1;
		}
		return 0;
	case VIRTIO_INPUT_CFG_ABS_INFO:
		if (ii->subsel != ABS_X && ii->subsel != ABS_Y)
			return 0;
		put_le32(&abs.max, (ii->subsel == ABS_X ? id->width :
				    id->height) - 1);
		memcpy(u, &abs, sizeof(abs));
		return sizeof(abs);
	}
	return 0;	/* UNSET, PROP_BITS (none), anything else */
}

static void input_inst_config(const struct devinst *di, uint8_t *cfg)
{
	const struct input_inst *ii = di->priv;

	memset(cfg, 0, sizeof(struct virtio_input_config));
	cfg[offsetof(struct virtio_input_config, select)] = ii->select;
	cfg[offsetof(struct virtio_input_config, subsel)] = ii->subsel;
	cfg[offsetof(struct virtio_input_config, size)] =
		input_union(di->dev->priv, ii,
			    cfg + offsetof(struct virtio_input_config, u));
}

/* Only select and subsel are writable (virtio 1.2, 5.8.4). */
static void input_config_write(struct devinst *di, uint32_t offset,
			       const uint8_t *data, uint32_t len)
{
	struct input_inst *ii = di->priv;
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (offset + i == offsetof(struct virtio_input_config, select))
			ii->select = data[i];
		else if (offset + i == offsetof(struct virtio_input_config,
						subsel))
			ii->subsel = data[i];
	}
}

/* Put waiting events into the driver's buffers, in order. */
static void input_flush(struct devinst *di)
{
	struct input_inst *ii = di->priv;

	while (ii->count && !list_empty(&ii->bufs)) {
		struct chain *c = list_first_entry(&ii->bufs, struct chain,
						   link);
		struct virtio_input_event *ev = &ii->pending[ii->head];

		list_del_init(&c->link);
		if (c->in_len < sizeof(*ev)) {
			/* too small for an event: give it back empty */
			chain_complete(c, NULL, 0);
			continue;
		}
		chain_complete(c, ev, sizeof(*ev));
		ii->head = (ii->head + 1) % INPUT_PENDING_MAX;
		ii->count--;
	}
}

/**
 * input_send() - queue an event for @di's driver
 * @di: an instance of an input device
 * @type: EV_KEY, EV_ABS or EV_SYN
 * @code: its code
 * @value: its value
 */
void input_send(struct devinst *di, uint16_t type, uint16_t code,
		int32_t value)
{
	struct input_inst *ii = di->priv;
	struct virtio_input_event *ev;

	if (!ii || !(di->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (ii->count == INPUT_PENDING_MAX) {
		/* the oldest goes: a driver that does not read loses input */
		ii->head = (ii->head + 1) % INPUT_PENDING_MAX;
		ii->count--;
		if (!ii->dropped++)
			guest_err(di->g, "device %u: input: the driver takes no events: dropping the oldest",
				  di->dev->dev_num);
	}
	ev = &ii->pending[(ii->head + ii->count) % INPUT_PENDING_MAX];
	put_le16(&ev->type, type);
	put_le16(&ev->code, code);
	put_le32(&ev->value, (uint32_t)value);
	ii->count++;
	input_flush(di);
}

static void input_chain(struct devinst *di, struct chain *c)
{
	struct input_inst *ii = di->priv;

	if (c->vq == INPUT_STATUSQ) {
		chain_complete(c, NULL, 0);	/* LEDs: nothing to light */
		return;
	}
	list_add_tail(&c->link, &ii->bufs);
	input_flush(di);
}

static int input_inst_init(struct devinst *di)
{
	struct input_inst *ii = calloc(1, sizeof(*ii));

	if (!ii)
		return -1;
	ii->pending = calloc(INPUT_PENDING_MAX, sizeof(*ii->pending));
	if (!ii->pending) {
		free(ii);
		return -1;
	}
	list_init(&ii->bufs);
	di->priv = ii;
	return 0;
}

/* Reset: the chains are gone already; so are the events for them. */
static void input_inst_reset(struct devinst *di)
{
	struct input_inst *ii = di->priv;

	ii->select = 0;
	ii->subsel = 0;
	ii->head = 0;
	ii->count = 0;
	ii->dropped = 0;
	list_init(&ii->bufs);
}

static void input_inst_free(struct devinst *di)
{
	struct input_inst *ii = di->priv;

	free(ii->pending);
	free(ii);
	di->priv = NULL;
}

static void input_describe(const struct device *d, char *buf, size_t len)
{
	const struct input_dev *id = d->priv;

	snprintf(buf, len, "keyboard and pointer, %ux%u", id->width,
		 id->height);
}

static void input_destroy(struct device *d)
{
	free(d->priv);
}

static const struct dev_ops input_ops = {
	.kind = "input",
	.device_id = VIRTIO_ID_INPUT,
	.nqueues = 2,
	.config_size = sizeof(struct virtio_input_config),
	.inst_config = input_inst_config,
	.config_write = input_config_write,
	.inst_init = input_inst_init,
	.inst_reset = input_inst_reset,
	.inst_free = input_inst_free,
	.chain = input_chain,
	.describe = input_describe,
	.destroy = input_destroy,
};

/**
 * input_new() - the input device of a display
 * @width: the display's width: the pointer's x goes from 0 to @width - 1
 * @height: its height
 *
 * Return: the device, or NULL without memory.
 */
struct device *input_new(uint32_t width, uint32_t height)
{
	struct device *d = calloc(1, sizeof(*d));
	struct input_dev *id = calloc(1, sizeof(*id));

	if (!d || !id) {
		free(d);
		free(id);
		return NULL;
	}
	id->width = width;
	id->height = height;
	d->ops = &input_ops;
	d->priv = id;
	list_init(&d->insts);
	return d;
}

/* X keysyms (what VNC sends) of the keys that are not printable ASCII. */
static const struct {
	uint32_t keysym;
	uint16_t code;
} input_special[] = {
	{ 0xff08, KEY_BACKSPACE }, { 0xff09, KEY_TAB }, { 0xff0d, KEY_ENTER },
	{ 0xff1b, KEY_ESC }, { 0xffff, KEY_DELETE }, { 0xff50, KEY_HOME },
	{ 0xff51, KEY_LEFT }, { 0xff52, KEY_UP }, { 0xff53, KEY_RIGHT },
	{ 0xff54, KEY_DOWN }, { 0xff55, KEY_PAGEUP }, { 0xff56, KEY_PAGEDOWN },
	{ 0xff57, KEY_END }, { 0xff63, KEY_INSERT },
	{ 0xffe1, KEY_LEFTSHIFT }, { 0xffe2, KEY_RIGHTSHIFT },
	{ 0xffe3, KEY_LEFTCTRL }, { 0xffe4, KEY_RIGHTCTRL },
	{ 0xffe5, KEY_CAPSLOCK }, { 0xffe9, KEY_LEFTALT },
	{ 0xffea, KEY_RIGHTALT }, { 0xffeb, KEY_LEFTMETA },
	{ 0xffbe, KEY_F1 }, { 0xffbf, KEY_F2 }, { 0xffc0, KEY_F3 },
	{ 0xffc1, KEY_F4 }, { 0xffc2, KEY_F5 }, { 0xffc3, KEY_F6 },
	{ 0xffc4, KEY_F7 }, { 0xffc5, KEY_F8 }, { 0xffc6, KEY_F9 },
	{ 0xffc7, KEY_F10 }, { 0xffc8, KEY_F11 }, { 0xffc9, KEY_F12 },
};

/*
 * Printable ASCII, by the key that types it on a US keyboard (shifted or
 * not: a VNC client sends Shift as a key of its own).
 */
static const char *const input_rows[] = {
	"`~", "1!", "2@", "3#", "4$", "5%", "6^", "7&", "8*", "9(", "0)",
	"-_", "=+", "[{", "]}", "\\|", ";:", "'\"", ",<", ".>", "/?", " ",
};

static const uint16_t input_row_codes[] = {
	KEY_GRAVE, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8,
	KEY_9, KEY_0, KEY_MINUS, KEY_EQUAL, KEY_LEFTBRACE, KEY_RIGHTBRACE,
	KEY_BACKSLASH, KEY_SEMICOLON, KEY_APOSTROPHE, KEY_COMMA, KEY_DOT,
	KEY_SLASH, KEY_SPACE,
};

static const uint16_t input_letters[26] = {
	KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J,
	KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T,
	KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
};

/**
 * input_keysym_code() - the Linux key code of an X keysym
 * @keysym: as a VNC client sends it
 *
 * Return: the code, or 0 for a key this keyboard does not have.
 */
uint16_t input_keysym_code(uint32_t keysym)
{
	unsigned int i;

	if (keysym >= 'a' && keysym <= 'z')
		return input_letters[keysym - 'a'];
	if (keysym >= 'A' && keysym <= 'Z')
		return input_letters[keysym - 'A'];
	if (keysym >= 0x20 && keysym < 0x7f)
		for (i = 0; i < ARRAY_SIZE(input_rows); i++)
			if (strchr(input_rows[i], (int)keysym))
				return input_row_codes[i];
	for (i = 0; i < ARRAY_SIZE(input_special); i++)
		if (input_special[i].keysym == keysym)
			return input_special[i].code;
	return 0;
}
