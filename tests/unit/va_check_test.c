// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the virtio-msg bus over Argo's framing and checks
 * (virtio-argo/check.c, protocol 2), both directions: every rule that
 * check.c owns, each with a record that passes and one that breaks it,
 * asserting the exact verdict (0, VA_IGNORE or -EPROTO) and the rule
 * named; the CONNECT negotiation and the GET_DEVICES window with their
 * exact answers.  tests/kunit/va_check_kunit.c runs the same functions
 * in the kernel.
 */
#include <stdarg.h>
#include <stdio.h>
#include <argo/virtio_argo_check.h>
#include "../lib/tap.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static u8 buf[VA_MSG_MAX];

/* The links a driver may have settled: before CONNECT, with HOLD, small. */
static const struct va_link lk_none = { .max_size = VA_SIZE_MAX };
static const struct va_link lk_hold = {
	.max_size = VA_SIZE_MAX, .features = 1ULL << VA_F_HOLD,
};

static const struct va_link lk_small = { .max_size = VA_SIZE_MIN };

/* The link the record at buf is checked on (va_check_from_device()) */
static const struct va_link *lk = &lk_none;

static struct va_hdr *hdr(u8 type, u8 id, u16 dev, u16 size)
{
	struct va_hdr *h = (struct va_hdr *)buf;

	memset(buf, 0, sizeof(buf));
	h->type = type;
	h->msg_id = id;
	h->dev_num = cpu_to_le16(dev);
	h->token = cpu_to_le16(7);
	h->msg_size = cpu_to_le16(size);
	return h;
}

/* The record at buf, framed then checked as the device's; the verdict. */
static int verdict(u32 avail, const char **why)
{
	struct va_hdr *h = (struct va_hdr *)buf;
	int r;

	*why = "";
	r = va_check_hdr(h, avail, lk->max_size, why);
	if (r)
		return r;
	return va_check_from_device(h, buf + VA_HDR_SIZE,
				    le16_to_cpu(h->msg_size) - VA_HDR_SIZE,
				    lk, why);
}

/* The same, checked as the driver's record (the device's side). */
static int verdict_drv(u32 avail, const char **why)
{
	struct va_hdr *h = (struct va_hdr *)buf;
	int r;

	*why = "";
	r = va_check_hdr(h, avail, VA_SIZE_MAX, why);
	if (r)
		return r;
	return va_check_from_driver(h, buf + VA_HDR_SIZE,
				    le16_to_cpu(h->msg_size) - VA_HDR_SIZE,
				    why);
}

/* One TAP line: the verdict @got must be @want, naming @rule if given. */
static void report(int got, const char *why, int want, const char *rule,
		   const char *name)
{
	bool ok = got == want && (!rule || !strcmp(why, rule));

	tap_ok(ok, "%s", name);
	if (!ok)
		printf("# got %d (%s), want %d (%s)\n", got, why, want,
		       rule ? rule : "-");
}

static void expect(int want, const char *rule, u32 avail, const char *name)
{
	const char *why;
	int got = verdict(avail, &why);

	report(got, why, want, rule, name);
}

static void expect_drv(int want, const char *rule, u32 avail,
		       const char *name)
{
	const char *why;
	int got = verdict_drv(avail, &why);

	report(got, why, want, rule, name);
}

/* The payload of the record at buf. */
static void *pl(void)
{
	return buf + VA_HDR_SIZE;
}

/* va_check_hdr() alone, with the maximum @max. */
static void expect_hdr(u32 avail, u32 max, int want, const char *rule,
		       const char *name)
{
	const char *why = "";
	int got = va_check_hdr((struct va_hdr *)buf, avail, max, &why);

	report(got, why, want, rule, name);
}

static void test_headers(void)
{
	lk = &lk_none;
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 12);
	expect(0, NULL, 12, "a well-formed status response passes");
	expect(0, NULL, 100, "a record followed by more bytes passes");
	expect(-EPROTO, "msg_size beyond the end of the message", 11,
	       "msg_size past the message is refused");
	expect(-EPROTO, "record shorter than its header", 7,
	       "a record shorter than the header is refused");
	expect(-EPROTO, "record shorter than its header", 0,
	       "no byte left for a record is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 7);
	expect(-EPROTO, "msg_size smaller than the header", 12,
	       "msg_size below 8 is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 0);
	expect(-EPROTO, "msg_size smaller than the header", 12,
	       "msg_size 0 is refused");

	/* the negotiated maximum */
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, VA_SIZE_MAX);
	expect_hdr(VA_MSG_MAX, VA_SIZE_MAX, 0, NULL,
		   "a 65535-byte record passes before CONNECT (VA_SIZE_MAX)");
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, VA_SIZE_MIN);
	expect_hdr(VA_MSG_MAX, VA_SIZE_MIN, 0, NULL,
		   "a record of exactly the negotiated 1024 bytes passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, VA_SIZE_MIN + 1);
	expect_hdr(VA_MSG_MAX, VA_SIZE_MIN, -EPROTO,
		   "record larger than the negotiated maximum",
		   "a record one byte over the negotiated 1024 is refused");
	expect_hdr(1000, VA_SIZE_MIN, -EPROTO,
		   "msg_size beyond the end of the message",
		   "beyond the message is named before beyond the maximum");
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 4000);
	expect_hdr(VA_MSG_MAX, 3999, -EPROTO,
		   "record larger than the negotiated maximum",
		   "a 4000-byte record on a 3999-byte link is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 7);
	expect_hdr(VA_MSG_MAX, 0, -EPROTO, "msg_size smaller than the header",
		   "msg_size below 8 is named before the maximum");

	/* type bits 2-7 are not looked at: no error bit any more */
	tap_ok(va_type(hdr(0xFC | VA_TYPE_RESPONSE, 0, 0, 8)) ==
	       VA_TYPE_RESPONSE, "va_type() keeps bits 0-1 only");
	tap_ok(va_type(hdr(0xFF, 0, 0, 8)) == (VA_TYPE_RESPONSE | VA_TYPE_BUS),
	       "va_type() of 0xff is RESPONSE|BUS");
	hdr(0xFC | VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 12);
	expect(0, NULL, 12, "a status response with type bits 2-7 set passes");
	hdr(0x04 | VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 12);
	((struct va_bus_error *)pl())->error = cpu_to_le32(22);
	expect(-EPROTO, "config response truncated", 12,
	       "protocol 1's error bit is no error: a 4-byte GET_CONFIG answer is truncated");
	hdr(0x80 | VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 12);
	((struct va_event_device *)pl())->state = cpu_to_le16(VA_DEVICE_READY);
	expect(0, NULL, 12, "EVENT_DEVICE with type bit 7 set passes");
	hdr(0x04, VA_EVENT_CONFIG, 1, 24);
	expect(0, NULL, 24, "EVENT_CONFIG with type bit 2 set passes");

	/* va_frag_max(): what one chain record carries on a link */
	tap_ok(va_frag_max(&lk_none) == VA_FRAG_MAX,
	       "va_frag_max() of a 65535-byte link: 61440");
	tap_ok(va_frag_max(&lk_small) == VA_SIZE_MIN - VA_CHAIN_HDR_SIZE,
	       "va_frag_max() of a 1024-byte link: 996");
	{
		struct va_link a = { .max_size = VA_FRAG_MAX + VA_CHAIN_HDR_SIZE };
		struct va_link b = { .max_size = VA_FRAG_MAX + VA_CHAIN_HDR_SIZE - 1 };

		tap_ok(va_frag_max(&a) == VA_FRAG_MAX && va_frag_max(&b) == VA_FRAG_MAX - 1,
		       "va_frag_max() of 61468 and 61467-byte links: 61440 and 61439");
	}
}

static void test_responses(void)
{
	struct va_get_devices_resp *gd;
	struct va_features *f;
	struct va_config *c;

	lk = &lk_none;
	/* fixed sizes */
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 13);
	expect(-EPROTO, "response of the wrong size", 13,
	       "a status response one byte long is refused");
	hdr(VA_TYPE_RESPONSE, VA_SET_DEVICE_STATUS, 1, 12);
	expect(0, NULL, 12, "a 4-byte SET_DEVICE_STATUS response passes");
	hdr(VA_TYPE_RESPONSE, VA_SET_VQUEUE, 1, 8);
	expect(0, NULL, 8, "an empty SET_VQUEUE response passes");
	hdr(VA_TYPE_RESPONSE, VA_SET_VQUEUE, 1, 12);
	expect(-EPROTO, "response of the wrong size", 12,
	       "a SET_VQUEUE response with a payload is refused");
	hdr(VA_TYPE_RESPONSE, VA_RESET_VQUEUE, 1, 8);
	expect(0, NULL, 8, "an empty RESET_VQUEUE response passes");
	hdr(VA_TYPE_RESPONSE, VA_SET_DRIVER_FEATURES, 1, 8);
	expect(0, NULL, 8, "an empty SET_DRIVER_FEATURES response passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO, 1, 8 + 24);
	expect(0, NULL, 32, "a 24-byte device info passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO, 1, 8 + 20);
	expect(-EPROTO, "response of the wrong size", 28,
	       "a 20-byte device info is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_VQUEUE, 1, 8 + 40);
	expect(0, NULL, 48, "a 40-byte GET_VQUEUE response passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_VQUEUE, 1, 8 + 8);
	expect(-EPROTO, "response of the wrong size", 16,
	       "protocol 1's 8-byte GET_VQUEUE response is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_SHM, 1, 8 + 12);
	expect(0, NULL, 20, "a 12-byte GET_SHM response passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_SHM, 1, 8 + 8);
	expect(-EPROTO, "response of the wrong size", 16,
	       "an 8-byte GET_SHM response is refused");

	/* bus responses */
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_PING, 0, 12);
	expect(0, NULL, 12, "a 4-byte PING response passes");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_PING, 0, 16);
	expect(-EPROTO, "response of the wrong size", 16,
	       "protocol 1's 8-byte PING response is refused");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_CONNECT, 0, 8 + 16);
	expect(0, NULL, 24, "a 16-byte CONNECT response passes");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_CONNECT, 0, 8 + 12);
	expect(-EPROTO, "response of the wrong size", 20,
	       "a 12-byte CONNECT response is refused");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_ERROR, 0, 8 + 12);
	expect(-EPROTO, "response to a request never made", 20,
	       "a response to ERROR (an event) is refused");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 8 + 4);
	expect(-EPROTO, "response to a request never made", 12,
	       "a response to EVENT_DEVICE (an event) is refused");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_GET_CONFIG, 0, 8 + 12);
	expect(-EPROTO, "response to a request never made", 20,
	       "a bus response with a transport id is refused");

	/* GET_DEVICES: the fixed part, then count / 8 bytes of bitmap */
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 8 + 6 + 2);
	gd = pl();
	gd->count = cpu_to_le16(16);
	expect(0, NULL, 16, "GET_DEVICES of 16 numbers with a 2-byte bitmap passes");
	gd->count = cpu_to_le16(24);
	expect(-EPROTO, "GET_DEVICES bitmap does not match count", 16,
	       "GET_DEVICES count 24 with a 2-byte bitmap is refused");
	gd->count = cpu_to_le16(8);
	expect(-EPROTO, "GET_DEVICES bitmap does not match count", 16,
	       "GET_DEVICES count 8 with a 2-byte bitmap is refused");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 8 + 6);
	expect(0, NULL, 14, "GET_DEVICES of an empty window passes");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 8 + 5);
	expect(-EPROTO, "GET_DEVICES response truncated", 13,
	       "a 5-byte GET_DEVICES response is refused");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0,
	    8 + 6 + VA_WINDOW_MAX / 8);
	gd = pl();
	gd->count = cpu_to_le16(VA_WINDOW_MAX);
	expect(0, NULL, 8 + 6 + 128, "GET_DEVICES of a 1024-number window passes");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0,
	    8 + 6 + 8192);
	gd = pl();
	gd->count = cpu_to_le16(0xffff);
	expect(-EPROTO, "GET_DEVICES bitmap does not match count", 8 + 6 + 8192,
	       "GET_DEVICES count 65535 with an 8192-byte bitmap is refused");

	/* GET_DEVICE_FEATURES */
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_FEATURES, 1, 8 + 8 + 8);
	f = pl();
	f->count = cpu_to_le32(2);
	expect(0, NULL, 24, "a two-block features response passes");
	f->count = cpu_to_le32(1);
	expect(-EPROTO, "features size does not match count", 24,
	       "a features count below its size is refused");
	f->count = cpu_to_le32(0x40000002);
	expect(-EPROTO, "features response too long", 24,
	       "a features count that would overflow is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_FEATURES, 1, 8 + 8 + 16);
	((struct va_features *)pl())->count = cpu_to_le32(VA_FEATURE_BLOCKS_MAX);
	expect(0, NULL, 32, "a four-block features response passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_FEATURES, 1, 8 + 8 + 20);
	((struct va_features *)pl())->count = cpu_to_le32(5);
	expect(-EPROTO, "features response too long", 36,
	       "a five-block features response is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_FEATURES, 1, 8 + 7);
	expect(-EPROTO, "features response truncated", 15,
	       "a 7-byte features response is refused");

	/* GET_CONFIG and SET_CONFIG answers: struct va_config + size bytes */
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 8 + 12 + 16);
	c = pl();
	c->size = cpu_to_le32(16);
	expect(0, NULL, 36, "a 16-byte config chunk passes");
	c->size = cpu_to_le32(17);
	expect(-EPROTO, "config response size does not match", 36,
	       "a config size beyond the record is refused");
	c->size = cpu_to_le32(0xffffffff);
	expect(-EPROTO, "config response too large", 36,
	       "a 4 GiB config chunk is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 8 + 12 + VA_CONFIG_CHUNK);
	((struct va_config *)pl())->size = cpu_to_le32(VA_CONFIG_CHUNK);
	expect(0, NULL, 8 + 12 + 256, "a 256-byte config chunk passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 8 + 12 + VA_CONFIG_CHUNK + 1);
	((struct va_config *)pl())->size = cpu_to_le32(VA_CONFIG_CHUNK + 1);
	expect(-EPROTO, "config response too large", 8 + 12 + 257,
	       "a 257-byte config chunk is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 8 + 11);
	expect(-EPROTO, "config response truncated", 19,
	       "an 11-byte GET_CONFIG response is refused");
	hdr(VA_TYPE_RESPONSE, VA_SET_CONFIG, 1, 8 + 12);
	expect(0, NULL, 20, "a SET_CONFIG answer of size 0 (a stale generation) passes");
	hdr(VA_TYPE_RESPONSE, VA_SET_CONFIG, 1, 8 + 12 + 4);
	((struct va_config *)pl())->size = cpu_to_le32(4);
	expect(0, NULL, 24, "a SET_CONFIG answer with its 4 bytes passes");
	((struct va_config *)pl())->size = cpu_to_le32(3);
	expect(-EPROTO, "config response size does not match", 24,
	       "a SET_CONFIG answer with a byte too many is refused");
	hdr(VA_TYPE_RESPONSE, VA_SET_CONFIG, 1, 8 + 4);
	expect(-EPROTO, "config response truncated", 12,
	       "protocol 1's 4-byte SET_CONFIG answer is refused");

	/* responses to what a driver never asks */
	hdr(VA_TYPE_RESPONSE, 0x77, 1, 8);
	expect(-EPROTO, "response to a request never made", 8,
	       "a response with an unknown id is refused");
	hdr(VA_TYPE_RESPONSE, VA_EVENT_CONFIG, 1, 8 + 16);
	expect(-EPROTO, "response to a request never made", 24,
	       "a response to EVENT_CONFIG is refused");
	hdr(VA_TYPE_RESPONSE, VA_AVAIL_CHAIN, 1, 8 + 20);
	expect(-EPROTO, "response to a request never made", 28,
	       "a response to AVAIL_CHAIN is refused");
}

static void test_events(void)
{
	struct va_event_device *e;
	struct va_bus_error *err;
	struct va_event_config *ec;

	lk = &lk_none;
	/* EVENT_DEVICE */
	hdr(VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 12);
	e = pl();
	e->state = cpu_to_le16(VA_DEVICE_READY);
	expect(0, NULL, 12, "EVENT_DEVICE READY passes");
	e->state = cpu_to_le16(VA_DEVICE_REMOVED);
	expect(0, NULL, 12, "EVENT_DEVICE REMOVED passes");
	e->state = cpu_to_le16(3);
	expect(VA_IGNORE, NULL, 12, "EVENT_DEVICE with state 3 is ignored");
	e->state = cpu_to_le16(0);
	expect(VA_IGNORE, NULL, 12, "EVENT_DEVICE with state 0 is ignored");
	e->state = cpu_to_le16(0xffff);
	expect(VA_IGNORE, NULL, 12, "EVENT_DEVICE with state 0xffff is ignored");
	hdr(VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 16);
	expect(-EPROTO, "EVENT_DEVICE of the wrong size", 16,
	       "an 8-byte EVENT_DEVICE is refused");
	hdr(VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 4, 12);
	((struct va_event_device *)pl())->state = cpu_to_le16(VA_DEVICE_REMOVED);
	expect(-EPROTO, "bus message with a device number", 12,
	       "a bus event naming a device is refused");

	/* ERROR */
	hdr(VA_TYPE_BUS, VA_BUS_ERROR, 0, 8 + 12);
	err = pl();
	err->dev_num = cpu_to_le16(3);
	err->token = cpu_to_le16(9);
	err->msg_id = VA_GET_CONFIG;
	err->error = cpu_to_le32(22);
	expect(0, NULL, 20, "ERROR with EINVAL passes");
	err->error = cpu_to_le32(4095);
	expect(0, NULL, 20, "ERROR with errno 4095 passes");
	err->error = cpu_to_le32(1);
	err->rsvd = cpu_to_le16(0xffff);
	err->type = 0xff;
	expect(0, NULL, 20, "ERROR with errno 1 and junk in rsvd and type passes");
	err->error = 0;
	expect(-EPROTO, "ERROR with no errno", 20,
	       "ERROR with errno 0 is refused");
	err->error = cpu_to_le32(4096);
	expect(-EPROTO, "ERROR with no errno", 20,
	       "ERROR with errno 4096 is refused");
	err->error = cpu_to_le32(0xffffffea);
	expect(-EPROTO, "ERROR with no errno", 20,
	       "ERROR with a negative errno is refused");
	hdr(VA_TYPE_BUS, VA_BUS_ERROR, 0, 8 + 4);
	((struct va_bus_error *)pl())->dev_num = cpu_to_le16(22);
	expect(-EPROTO, "ERROR of the wrong size", 12,
	       "protocol 1's 4-byte error payload is refused as ERROR");
	hdr(VA_TYPE_BUS, VA_BUS_ERROR, 1, 8 + 12);
	((struct va_bus_error *)pl())->error = cpu_to_le32(22);
	expect(-EPROTO, "bus message with a device number", 20,
	       "ERROR with a device number in its header is refused");

	/* PING from the device: the driver answers it */
	hdr(VA_TYPE_BUS, VA_BUS_PING, 0, 12);
	expect(0, NULL, 12, "a PING request from the device passes");
	hdr(VA_TYPE_BUS, VA_BUS_PING, 0, 16);
	expect(-EPROTO, "PING of the wrong size", 16,
	       "an 8-byte PING from the device is refused");
	hdr(VA_TYPE_BUS, VA_BUS_PING, 0, 8);
	expect(-EPROTO, "PING of the wrong size", 8,
	       "an empty PING from the device is refused");

	/* other bus ids are discarded */
	hdr(VA_TYPE_BUS, 0x55, 0, 8);
	expect(VA_IGNORE, NULL, 8, "an unknown bus event is ignored, not fatal");
	hdr(VA_TYPE_BUS, 0xC5, 0, 8);
	expect(VA_IGNORE, NULL, 8, "an unknown implementation event is ignored");
	hdr(VA_TYPE_BUS, VA_BUS_CONNECT, 0, 8 + 16);
	expect(VA_IGNORE, NULL, 24, "a CONNECT request from the device is ignored");
	hdr(VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 8 + 4);
	expect(VA_IGNORE, NULL, 12, "a GET_DEVICES request from the device is ignored");

	/* transport messages */
	hdr(0, 0x9f, 1, 8);
	expect(VA_IGNORE, NULL, 8, "an unknown transport id is ignored, not fatal");
	hdr(0, VA_GET_CONFIG, 1, 16);
	expect(VA_IGNORE, NULL, 16, "a request from the device is ignored");
	hdr(0, VA_EVENT_AVAIL, 1, 16);
	expect(VA_IGNORE, NULL, 16, "EVENT_AVAIL from the device is ignored");
	hdr(0, VA_EVENT_USED, 1, 16);
	expect(VA_IGNORE, NULL, 16, "EVENT_USED (not sent on this bus) is ignored");
	hdr(0, VA_AVAIL_CHAIN, 1, 28);
	expect(-EPROTO, "AVAIL_CHAIN sent to the driver", 28,
	       "AVAIL_CHAIN from the device is refused");
	hdr(VA_TYPE_BUS, VA_USED_CHAIN, 0, 28);
	expect(VA_IGNORE, NULL, 28, "a bus message with USED_CHAIN's id is ignored");

	/* EVENT_CONFIG: struct va_event_config + size bytes at offset */
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16);
	expect(0, NULL, 24, "EVENT_CONFIG with no data passes");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16 + 6);
	ec = pl();
	ec->status = cpu_to_le32(0x4f);
	ec->generation = cpu_to_le32(3);
	ec->offset = cpu_to_le32(8);
	ec->size = cpu_to_le32(6);
	expect(0, NULL, 30, "EVENT_CONFIG with 6 bytes at offset 8 passes");
	ec->size = cpu_to_le32(5);
	expect(-EPROTO, "EVENT_CONFIG size does not match", 30,
	       "EVENT_CONFIG with a size below its data is refused");
	ec->size = cpu_to_le32(0xfffffffa);
	expect(-EPROTO, "EVENT_CONFIG size does not match", 30,
	       "EVENT_CONFIG with a 4 GiB size is refused");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 12);
	expect(-EPROTO, "EVENT_CONFIG truncated", 20,
	       "a 12-byte EVENT_CONFIG is refused");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 4);
	expect(-EPROTO, "EVENT_CONFIG truncated", 12,
	       "protocol 1's 4-byte EVENT_CONFIG is refused");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16);
	((struct va_event_config *)pl())->offset = cpu_to_le32(VA_CONFIG_MAX);
	expect(0, NULL, 24, "EVENT_CONFIG of 0 bytes at offset 4096 passes");
	((struct va_event_config *)pl())->offset = cpu_to_le32(VA_CONFIG_MAX + 1);
	expect(-EPROTO, "EVENT_CONFIG data outside any config space", 24,
	       "EVENT_CONFIG at offset 4097 is refused");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16 + 8);
	ec = pl();
	ec->offset = cpu_to_le32(VA_CONFIG_MAX - 8);
	ec->size = cpu_to_le32(8);
	expect(0, NULL, 32, "EVENT_CONFIG of the last 8 bytes of 4096 passes");
	ec->offset = cpu_to_le32(VA_CONFIG_MAX - 6);
	expect(-EPROTO, "EVENT_CONFIG data outside any config space", 32,
	       "EVENT_CONFIG of 8 bytes at 4090 is refused");
	ec->offset = cpu_to_le32(0xfffffffc);
	expect(-EPROTO, "EVENT_CONFIG data outside any config space", 32,
	       "EVENT_CONFIG at a wrapping offset is refused");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16 + VA_CONFIG_CHUNK);
	ec = pl();
	ec->size = cpu_to_le32(VA_CONFIG_CHUNK);
	expect(0, NULL, 8 + 16 + 256, "EVENT_CONFIG with 256 bytes of data passes");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16 + VA_CONFIG_CHUNK + 1);
	ec = pl();
	ec->size = cpu_to_le32(VA_CONFIG_CHUNK + 1);
	expect(-EPROTO, "EVENT_CONFIG carries more than one config chunk",
	       8 + 16 + 257, "EVENT_CONFIG with 257 bytes of data is refused");
	ec->offset = cpu_to_le32(VA_CONFIG_MAX);
	expect(-EPROTO, "EVENT_CONFIG carries more than one config chunk",
	       8 + 16 + 257, "... also where it would leave the config space");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16);
	((struct va_event_config *)pl())->offset = cpu_to_le32(VA_CONFIG_MAX + 1);
	lk = &lk_small;
	expect(-EPROTO, "EVENT_CONFIG data outside any config space", 24,
	       "the link does not change EVENT_CONFIG's rules");
	lk = &lk_none;
}

static struct va_used_chain *used(u32 written, u32 total, u32 offset,
				  u16 flags)
{
	struct va_used_chain *u;

	hdr(0, VA_USED_CHAIN, 1, VA_CHAIN_HDR_SIZE + written);
	u = pl();
	u->written = cpu_to_le32(written);
	u->total = cpu_to_le32(total);
	u->offset = cpu_to_le32(offset);
	u->flags = cpu_to_le16(flags);
	return u;
}

static void expect_used(const struct va_used_acct *a, int want,
			const char *rule, const char *name)
{
	const struct va_used_chain *u = pl();
	const char *why = "";
	int got = verdict(VA_MSG_MAX, &why);

	if (!got)
		got = va_check_used(u, le32_to_cpu(u->written), a, &why);
	report(got, why, want, rule, name);
}

static void test_used(void)
{
	struct va_used_acct fresh = { .in_len = 4097 };
	struct va_used_acct mid = { .in_len = 4097, .total = 4097,
				    .received = 4000, .started = true };
	struct va_used_acct big = { .in_len = 1U << 20 };

	lk = &lk_none;
	used(4097, 4097, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_used(&fresh, 0, NULL, "a whole 4097-byte completion passes");
	used(0, 0, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_used(&fresh, 0, NULL, "an empty completion passes");
	used(4098, 4098, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_used(&fresh, -EPROTO, "total larger than the chain's buffers",
		    "a total beyond in_len is refused");
	used(10, 4097, 0, VA_CHAIN_LAST);
	expect_used(&fresh, -EPROTO, "FIRST flag out of sequence",
		    "a first fragment without FIRST is refused");
	used(97, 4097, 4000, VA_CHAIN_LAST);
	expect_used(&mid, 0, NULL, "the closing fragment passes");
	used(97, 4097, 4000, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_used(&mid, -EPROTO, "FIRST flag out of sequence",
		    "a second FIRST is refused");
	used(97, 4096, 4000, VA_CHAIN_LAST);
	expect_used(&mid, -EPROTO, "total changed between fragments",
		    "a total that changes is refused");
	used(90, 4097, 4007, VA_CHAIN_LAST);
	expect_used(&mid, -EPROTO, "fragment offset out of sequence",
		    "a fragment that skips bytes is refused");
	used(98, 4097, 4000, VA_CHAIN_LAST);
	expect_used(&mid, -EPROTO, "fragment beyond the total",
		    "a fragment past the total is refused");
	used(50, 4097, 4000, VA_CHAIN_LAST);
	expect_used(&mid, -EPROTO, "LAST fragment before the total arrived",
		    "LAST before the total is refused");
	used(97, 4097, 4000, 0);
	expect_used(&mid, -EPROTO, "fragments complete without LAST",
		    "a complete chain without LAST is refused");
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST | 0x8);
	expect_used(&fresh, -EPROTO, "USED_CHAIN with unknown flags",
		    "unknown chain flags are refused");
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST | 0x8000);
	expect_used(&fresh, -EPROTO, "USED_CHAIN with unknown flags",
		    "chain flag bit 15 is refused");

	/* HOLD: only with LAST, only when CONNECT settled VA_F_HOLD */
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD);
	expect_used(&fresh, -EPROTO,
		    "USED_CHAIN with HOLD, which was not negotiated",
		    "HOLD without VA_F_HOLD negotiated is refused");
	lk = &lk_small;
	expect_used(&fresh, -EPROTO,
		    "USED_CHAIN with HOLD, which was not negotiated",
		    "HOLD on a small link without VA_F_HOLD is refused");
	lk = &lk_hold;
	expect_used(&fresh, 0, NULL,
		    "HOLD on a LAST fragment passes when VA_F_HOLD was negotiated");
	used(10, 4097, 0, VA_CHAIN_FIRST | VA_CHAIN_HOLD);
	expect_used(&fresh, -EPROTO, "USED_CHAIN with HOLD but not LAST",
		    "HOLD on a fragment that is not the LAST is refused");
	used(97, 4097, 4000, VA_CHAIN_LAST | VA_CHAIN_HOLD);
	expect_used(&mid, 0, NULL, "HOLD on a closing fragment passes");
	lk = &lk_none;
	used(10, 4097, 0, VA_CHAIN_FIRST | VA_CHAIN_HOLD);
	expect_used(&fresh, -EPROTO,
		    "USED_CHAIN with HOLD, which was not negotiated",
		    "HOLD without LAST or VA_F_HOLD: the negotiation is named");

	/* sizes */
	used(VA_FRAG_MAX, VA_FRAG_MAX, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_used(&big, 0, NULL, "a fragment of VA_FRAG_MAX bytes passes");
	used(VA_FRAG_MAX + 1, VA_FRAG_MAX + 1, 0,
	     VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_used(&big, -EPROTO, "chain fragment too large",
		    "a fragment over VA_FRAG_MAX is refused");
	lk = &lk_small;
	used(VA_SIZE_MIN - VA_CHAIN_HDR_SIZE, 2000, 0, VA_CHAIN_FIRST);
	expect_used(&big, 0, NULL, "a 996-byte fragment passes on a 1024-byte link");
	used(VA_SIZE_MIN - VA_CHAIN_HDR_SIZE + 1, 2000, 0, VA_CHAIN_FIRST);
	expect_used(&big, -EPROTO, "record larger than the negotiated maximum",
		    "a 997-byte fragment on a 1024-byte link is refused");
	lk = &lk_none;
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	((struct va_used_chain *)pl())->written = cpu_to_le32(9);
	expect_used(&fresh, -EPROTO, "USED_CHAIN written differs from its size",
		    "written disagreeing with msg_size is refused");
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	((struct va_used_chain *)pl())->written = cpu_to_le32(11);
	expect_used(&fresh, -EPROTO, "USED_CHAIN written differs from its size",
		    "written above the record's data is refused");
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	((struct va_used_chain *)pl())->rsvd = cpu_to_le16(0xffff);
	expect_used(&fresh, 0, NULL, "a non-zero rsvd is ignored");
	hdr(0, VA_USED_CHAIN, 1, VA_HDR_SIZE + 19);
	expect_used(&fresh, -EPROTO, "chain record truncated",
		    "a USED_CHAIN shorter than its header is refused");
	hdr(0, VA_USED_CHAIN, 1, VA_HDR_SIZE);
	expect_used(&fresh, -EPROTO, "chain record truncated",
		    "an empty USED_CHAIN is refused");
}

/* va_check_from_driver(): the device's side of every request. */
static void test_from_driver(void)
{
	static const struct {
		u8 type, id;
		u16 len;
	} fixed[] = {
		{ VA_TYPE_BUS, VA_BUS_CONNECT, 16 },
		{ VA_TYPE_BUS, VA_BUS_GET_DEVICES, 4 },
		{ VA_TYPE_BUS, VA_BUS_PING, 4 },
		{ 0, VA_GET_DEVICE_INFO, 0 },
		{ 0, VA_GET_DEVICE_FEATURES, 8 },
		{ 0, VA_GET_CONFIG, 8 },
		{ 0, VA_GET_DEVICE_STATUS, 0 },
		{ 0, VA_SET_DEVICE_STATUS, 4 },
		{ 0, VA_GET_VQUEUE, 4 },
		{ 0, VA_SET_VQUEUE, 40 },
		{ 0, VA_RESET_VQUEUE, 4 },
		{ 0, VA_GET_SHM, 4 },
		{ 0, VA_EVENT_AVAIL, 8 },
	};
	unsigned int i, good = 0, short_ok = 0, long_ok = 0;
	struct va_avail_chain *a;
	struct va_features *f;
	struct va_config *c;
	const char *why;
	int r;

	/* every fixed-size request: its size passes, one byte less or more not */
	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		u16 n = fixed[i].len;

		hdr(fixed[i].type, fixed[i].id, fixed[i].type ? 0 : 1, 8 + n);
		r = verdict_drv(8 + n, &why);
		good += r == 0;
		if (r)
			printf("# request %#x (type %#x) of %u bytes: %d (%s)\n",
			       (unsigned int)fixed[i].id,
			       (unsigned int)fixed[i].type, (unsigned int)n,
			       r, why);
		hdr(fixed[i].type, fixed[i].id, fixed[i].type ? 0 : 1, 8 + n + 1);
		r = verdict_drv(8 + n + 1, &why);
		long_ok += r == -EPROTO && !strcmp(why, "request of the wrong size");
		if (!n) {
			short_ok++;
			continue;
		}
		hdr(fixed[i].type, fixed[i].id, fixed[i].type ? 0 : 1, 8 + n - 1);
		r = verdict_drv(8 + n - 1, &why);
		short_ok += r == -EPROTO && !strcmp(why, "request of the wrong size");
	}
	tap_ok(good == ARRAY_SIZE(fixed),
	       "each of the 13 fixed-size requests passes at its size (%u)", good);
	tap_ok(long_ok == ARRAY_SIZE(fixed),
	       "each is refused one byte longer (%u)", long_ok);
	tap_ok(short_ok == ARRAY_SIZE(fixed),
	       "each is refused one byte shorter (%u)", short_ok);

	hdr(VA_TYPE_BUS, VA_BUS_PING, 0, 8 + 8);
	expect_drv(-EPROTO, "request of the wrong size", 16,
		   "protocol 1's 8-byte PING is refused");
	hdr(0, VA_SET_VQUEUE, 1, 8 + 32);
	expect_drv(-EPROTO, "request of the wrong size", 40,
		   "protocol 1's 32-byte SET_VQUEUE is refused");
	hdr(0xFC | VA_TYPE_BUS, VA_BUS_CONNECT, 0, 8 + 16);
	expect_drv(0, NULL, 24, "CONNECT with type bits 2-7 set passes");
	hdr(0x04, VA_GET_DEVICE_STATUS, 1, 8);
	expect_drv(0, NULL, 8, "GET_DEVICE_STATUS with type bit 2 set passes");

	/* bus requests carry no device number */
	hdr(VA_TYPE_BUS, VA_BUS_CONNECT, 1, 8 + 16);
	expect_drv(-EPROTO, "bus message with a device number", 24,
		   "CONNECT with a device number is refused");
	hdr(VA_TYPE_BUS, 0x55, 3, 8);
	expect_drv(-EPROTO, "bus message with a device number", 8,
		   "an unknown bus id with a device number is refused");

	/* GET_DEVICES windows are multiples of 8 */
	hdr(VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 8 + 4);
	((struct va_get_devices_req *)pl())->offset = cpu_to_le16(1016);
	((struct va_get_devices_req *)pl())->count = cpu_to_le16(VA_WINDOW_MAX);
	expect_drv(0, NULL, 12, "GET_DEVICES 1016+1024 passes");
	((struct va_get_devices_req *)pl())->offset = cpu_to_le16(1);
	expect_drv(-EPROTO, "GET_DEVICES window not a multiple of 8", 12,
		   "GET_DEVICES at offset 1 is refused");
	((struct va_get_devices_req *)pl())->offset = 0;
	((struct va_get_devices_req *)pl())->count = cpu_to_le16(12);
	expect_drv(-EPROTO, "GET_DEVICES window not a multiple of 8", 12,
		   "GET_DEVICES of 12 numbers is refused");
	((struct va_get_devices_req *)pl())->count = cpu_to_le16(0xfff8);
	expect_drv(0, NULL, 12,
		   "GET_DEVICES of 65528 numbers passes (the device clamps it)");

	/* responses: only PING's is expected, the rest is discarded */
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_PING, 0, 12);
	expect_drv(0, NULL, 12, "a PING response from the driver passes");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_PING, 0, 16);
	expect_drv(VA_IGNORE, NULL, 16, "an 8-byte PING response is ignored");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_PING, 5, 12);
	expect_drv(0, NULL, 12,
		   "a PING response's device number is not looked at");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO, 1, 8 + 24);
	expect_drv(VA_IGNORE, NULL, 32, "a transport response from the driver is ignored");
	hdr(VA_TYPE_RESPONSE, VA_BUS_PING, 1, 12);
	expect_drv(VA_IGNORE, NULL, 12,
		   "a transport response with PING's id is ignored");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_CONNECT, 0, 8 + 16);
	expect_drv(VA_IGNORE, NULL, 24, "a CONNECT response from the driver is ignored");

	/* the answers to the device's memory window requests (spec 13) */
	{
		struct va_mem_resp *m;

		hdr(VA_TYPE_RESPONSE, VA_MEM_READ, 1, 8 + 16 + 64);
		m = pl();
		m->len = cpu_to_le32(64);
		expect_drv(0, NULL, 88, "a MEM_READ answer with its 64 bytes passes");
		m->error = cpu_to_le32(14);
		expect_drv(-EPROTO, "memory window answer size does not match", 88,
			   "a MEM_READ answer with an error and bytes is refused");
		hdr(VA_TYPE_RESPONSE, VA_MEM_READ, 1, 8 + 16);
		m = pl();
		m->len = cpu_to_le32(64);
		m->error = cpu_to_le32(14);
		expect_drv(0, NULL, 24, "a MEM_READ answer with EFAULT and no bytes passes");
		m->error = 0;
		expect_drv(-EPROTO, "memory window answer size does not match", 24,
			   "a MEM_READ answer without error lacking its bytes is refused");
		hdr(VA_TYPE_RESPONSE, VA_MEM_WRITE, 1, 8 + 16);
		m = pl();
		m->len = cpu_to_le32(64);
		expect_drv(0, NULL, 24, "a MEM_WRITE answer of 16 bytes passes");
		hdr(VA_TYPE_RESPONSE, VA_MEM_WRITE, 1, 8 + 16 + 64);
		m = pl();
		m->len = cpu_to_le32(64);
		expect_drv(-EPROTO, "memory window answer size does not match", 88,
			   "a MEM_WRITE answer carrying bytes is refused");
		hdr(VA_TYPE_RESPONSE, VA_MEM_WRITE, 1, 8 + 15);
		expect_drv(-EPROTO, "memory window answer truncated", 23,
			   "a MEM_WRITE answer shorter than its fixed part is refused");
	}

	/* unknown and device-only ids are discarded */
	hdr(0, 0x3E, 1, 8);
	expect_drv(VA_IGNORE, NULL, 8, "an unknown transport request is ignored");
	hdr(0, 0x3E, 0, 8 + 100);
	expect_drv(VA_IGNORE, NULL, 108, "an unknown request of any size is ignored");
	hdr(VA_TYPE_BUS, 0x55, 0, 8);
	expect_drv(VA_IGNORE, NULL, 8, "an unknown bus request is ignored");
	hdr(VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 12);
	expect_drv(VA_IGNORE, NULL, 12, "EVENT_DEVICE from the driver is ignored");
	hdr(VA_TYPE_BUS, VA_BUS_ERROR, 0, 20);
	expect_drv(VA_IGNORE, NULL, 20, "ERROR from the driver is ignored");
	hdr(0, VA_EVENT_CONFIG, 1, 8 + 16);
	expect_drv(VA_IGNORE, NULL, 24, "EVENT_CONFIG from the driver is ignored");
	hdr(0, VA_EVENT_USED, 1, 8 + 8);
	expect_drv(VA_IGNORE, NULL, 16, "EVENT_USED from the driver is ignored");
	hdr(0, 0x80, 1, 8 + 20);
	expect_drv(VA_IGNORE, NULL, 28,
		   "protocol 1's AVAIL_CHAIN id (0x80) is an unknown request");
	hdr(0, VA_USED_CHAIN, 1, 8 + 20);
	expect_drv(-EPROTO, "USED_CHAIN sent to the device", 28,
		   "USED_CHAIN from the driver is refused");

	/* AVAIL_CHAIN */
	hdr(0, VA_AVAIL_CHAIN, 1, VA_CHAIN_HDR_SIZE + 16);
	a = pl();
	a->out_len = cpu_to_le32(16);
	a->flags = cpu_to_le16(VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_drv(0, NULL, 44, "AVAIL_CHAIN with 16 bytes passes");
	a->rsvd = cpu_to_le16(0xffff);
	a->offset = cpu_to_le32(0xffffffff);
	expect_drv(0, NULL, 44,
		   "AVAIL_CHAIN's rsvd and offset are not check.c's to judge");
	a->flags = cpu_to_le16(VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD);
	expect_drv(-EPROTO, "AVAIL_CHAIN with unknown flags", 44,
		   "AVAIL_CHAIN with HOLD is refused");
	a->flags = cpu_to_le16(0x10);
	expect_drv(-EPROTO, "AVAIL_CHAIN with unknown flags", 44,
		   "AVAIL_CHAIN with flag 0x10 is refused");
	hdr(0, VA_AVAIL_CHAIN, 1, VA_CHAIN_HDR_SIZE);
	expect_drv(0, NULL, 28, "AVAIL_CHAIN without data passes");
	hdr(0, VA_AVAIL_CHAIN, 1, VA_CHAIN_HDR_SIZE - 1);
	expect_drv(-EPROTO, "chain record truncated", 27,
		   "AVAIL_CHAIN of 19 bytes is refused");
	hdr(0, VA_AVAIL_CHAIN, 1, VA_CHAIN_HDR_SIZE + VA_FRAG_MAX);
	expect_drv(0, NULL, VA_CHAIN_HDR_SIZE + VA_FRAG_MAX,
		   "AVAIL_CHAIN of VA_FRAG_MAX bytes passes");
	hdr(0, VA_AVAIL_CHAIN, 1, VA_CHAIN_HDR_SIZE + VA_FRAG_MAX + 1);
	expect_drv(-EPROTO, "chain fragment too large",
		   VA_CHAIN_HDR_SIZE + VA_FRAG_MAX + 1,
		   "AVAIL_CHAIN of VA_FRAG_MAX + 1 bytes is refused");
	hdr(VA_TYPE_BUS, VA_AVAIL_CHAIN, 0, VA_CHAIN_HDR_SIZE - 1);
	expect_drv(VA_IGNORE, NULL, 27,
		   "a bus message with AVAIL_CHAIN's id is an unknown bus request");

	/* SET_DRIVER_FEATURES: struct va_features + count blocks */
	hdr(0, VA_SET_DRIVER_FEATURES, 1, 8 + 8 + 8);
	f = pl();
	f->count = cpu_to_le32(2);
	expect_drv(0, NULL, 24, "SET_DRIVER_FEATURES of two blocks passes");
	f->count = cpu_to_le32(3);
	expect_drv(-EPROTO, "request size does not match its count", 24,
		   "SET_DRIVER_FEATURES counting a block too many is refused");
	f->count = cpu_to_le32(1);
	expect_drv(-EPROTO, "request size does not match its count", 24,
		   "SET_DRIVER_FEATURES counting a block too few is refused");
	f->count = cpu_to_le32(0x40000002);
	expect_drv(-EPROTO, "request size does not match its count", 24,
		   "SET_DRIVER_FEATURES with a count that wraps is refused");
	hdr(0, VA_SET_DRIVER_FEATURES, 1, 8 + 8 + 7);
	((struct va_features *)pl())->count = cpu_to_le32(2);
	expect_drv(-EPROTO, "request size does not match its count", 23,
		   "SET_DRIVER_FEATURES with a ragged block is refused");
	hdr(0, VA_SET_DRIVER_FEATURES, 1, 8 + 8);
	expect_drv(0, NULL, 16, "SET_DRIVER_FEATURES of no block passes");
	hdr(0, VA_SET_DRIVER_FEATURES, 1, 8 + 7);
	expect_drv(-EPROTO, "request truncated", 15,
		   "a 7-byte SET_DRIVER_FEATURES is refused");

	/* SET_CONFIG: struct va_config + size bytes */
	hdr(0, VA_SET_CONFIG, 1, 8 + 12 + 4);
	c = pl();
	c->size = cpu_to_le32(4);
	expect_drv(0, NULL, 24, "SET_CONFIG of 4 bytes passes");
	c->size = cpu_to_le32(5);
	expect_drv(-EPROTO, "request size does not match its count", 24,
		   "SET_CONFIG with a byte missing is refused");
	c->size = cpu_to_le32(3);
	expect_drv(-EPROTO, "request size does not match its count", 24,
		   "SET_CONFIG with a byte too many is refused");
	c->size = cpu_to_le32(0xffffffff);
	expect_drv(-EPROTO, "request size does not match its count", 24,
		   "SET_CONFIG of 4 GiB is refused");
	hdr(0, VA_SET_CONFIG, 1, 8 + 12);
	expect_drv(0, NULL, 20, "SET_CONFIG of 0 bytes passes");
	hdr(0, VA_SET_CONFIG, 1, 8 + 11);
	expect_drv(-EPROTO, "request truncated", 19,
		   "an 11-byte SET_CONFIG is refused");
	hdr(0, VA_SET_CONFIG, 1, 8 + 12 + 1000);
	((struct va_config *)pl())->size = cpu_to_le32(1000);
	expect_drv(0, NULL, 1020,
		   "SET_CONFIG of 1000 bytes passes (the device judges the range)");
}

/* va_check_devices(): a GET_DEVICES answer against its request. */
static void devices(u16 req_off, u16 req_count, u16 off, u16 count,
		    u16 next, int want, const char *rule, const char *name)
{
	struct va_get_devices_req q = {
		.offset = cpu_to_le16(req_off), .count = cpu_to_le16(req_count),
	};
	struct va_get_devices_resp a = {
		.offset = cpu_to_le16(off), .count = cpu_to_le16(count),
		.next_offset = cpu_to_le16(next),
	};
	const char *why = "";
	int r = va_check_devices(&q, &a, &why);

	report(r, why, want, rule, name);
}

static void test_devices(void)
{
	devices(0, 1024, 0, 1024, 0, 0, NULL, "the whole window asked, complete");
	devices(0, 1024, 0, 64, 0, 0, NULL, "a smaller window, complete");
	devices(0, 1024, 0, 64, 64, 0, NULL, "a smaller window, go on at its end");
	devices(0, 1024, 0, 64, 2048, 0, NULL, "a smaller window, go on further");
	devices(64, 8, 64, 8, 0, 0, NULL, "a window of 8 at 64");
	devices(0, 1024, 0, 0, 0, 0, NULL, "an empty window that ends");
	devices(8, 8, 0, 8, 0, -EPROTO, "GET_DEVICES answers another window",
		"an answer at another offset is refused");
	devices(0, 64, 0, 72, 0, -EPROTO,
		"GET_DEVICES window larger than asked or unaligned",
		"an answer larger than asked is refused");
	devices(0, 64, 0, 12, 0, -EPROTO,
		"GET_DEVICES window larger than asked or unaligned",
		"an answer of 12 numbers is refused");
	devices(64, 64, 64, 64, 100, -EPROTO,
		"GET_DEVICES next_offset goes backwards or is unaligned",
		"an unaligned next_offset is refused");
	devices(64, 64, 64, 64, 120, -EPROTO,
		"GET_DEVICES next_offset goes backwards or is unaligned",
		"a next_offset inside the window is refused");
	devices(64, 64, 64, 64, 8, -EPROTO,
		"GET_DEVICES next_offset goes backwards or is unaligned",
		"a next_offset behind the window is refused");
	devices(64, 64, 64, 0, 64, -EPROTO,
		"GET_DEVICES returns an empty window and goes on",
		"an empty window that goes on is refused");
	devices(0xfc00, 1024, 0xfc00, 1024, 0, 0, NULL,
		"the last window of the 16-bit space, complete");
	devices(0xff00, 1024, 0xff00, 256, 0, 0, NULL,
		"a window ending at device 65535 passes");
	devices(0xff00, 1024, 0xff00, 264, 0, -EPROTO,
		"GET_DEVICES window beyond device number 65535",
		"a window past device 65535 is refused");
	devices(0xfff8, 0xfff8, 0xfff8, 0xfff8, 0, -EPROTO,
		"GET_DEVICES window beyond device number 65535",
		"a window of 65528 numbers at 65528 is refused");
}

/* va_connect_choose(): the device's answer, field by field. */
static void choose(u32 rev, u32 size, u64 feat, u32 dev_max, u64 dev_feat,
		   int want, u32 want_rev, u32 want_size, u64 want_feat,
		   const char *name)
{
	struct va_connect q = {
		.revision = cpu_to_le32(rev), .max_size = cpu_to_le32(size),
		.features = cpu_to_le64(feat),
	}, a;
	int r;

	memset(&a, 0xa5, sizeof(a));
	r = va_connect_choose(&q, dev_max, dev_feat, &a);
	tap_ok(r == want && le32_to_cpu(a.revision) == want_rev &&
	       le32_to_cpu(a.max_size) == want_size &&
	       le64_to_cpu(a.features) == want_feat, "%s", name);
	if (r != want || le32_to_cpu(a.revision) != want_rev ||
	    le32_to_cpu(a.max_size) != want_size ||
	    le64_to_cpu(a.features) != want_feat)
		printf("# got %d: revision %u, max_size %u, features %#llx\n",
		       r, le32_to_cpu(a.revision), le32_to_cpu(a.max_size),
		       (unsigned long long)le64_to_cpu(a.features));
}

static void test_connect_choose(void)
{
	choose(1, VA_SIZE_MAX, VA_F_KNOWN, VA_SIZE_MAX, VA_F_KNOWN,
	       0, 1, VA_SIZE_MAX, VA_F_KNOWN, "CONNECT: all agreed, HOLD kept");
	choose(1, VA_SIZE_MAX, VA_F_KNOWN, VA_SIZE_MAX, 0,
	       0, 1, VA_SIZE_MAX, 0, "CONNECT: a device without HOLD drops it");
	choose(1, VA_SIZE_MAX, 0, VA_SIZE_MAX, VA_F_KNOWN,
	       0, 1, VA_SIZE_MAX, 0, "CONNECT: a driver without HOLD does not get it");
	choose(1, 4096, ~0ULL, VA_SIZE_MAX, VA_F_KNOWN,
	       0, 1, 4096, VA_F_KNOWN,
	       "CONNECT: unknown feature bits are dropped; the driver's smaller size kept");
	choose(1, VA_SIZE_MAX, 0xC, VA_SIZE_MAX, VA_F_KNOWN,
	       0, 1, VA_SIZE_MAX, 0,
	       "CONNECT: features only the driver knows are dropped");
	choose(1, 0xffffffff, 0, 8192, 0, 0, 1, 8192, 0,
	       "CONNECT: a size above the device's is clamped to it");
	choose(7, VA_SIZE_MAX, 0, VA_SIZE_MAX, 0, 0, 1, VA_SIZE_MAX, 0,
	       "CONNECT: a driver speaking revisions up to 7 gets 1");
	choose(1, VA_SIZE_MIN, 0, VA_SIZE_MAX, 0, 0, 1, VA_SIZE_MIN, 0,
	       "CONNECT: exactly 1024 bytes is enough");
	choose(0, VA_SIZE_MAX, VA_F_KNOWN, VA_SIZE_MAX, VA_F_KNOWN,
	       -EPROTONOSUPPORT, 0, VA_SIZE_MAX, VA_F_KNOWN,
	       "CONNECT of revision 0: refused, answered revision 0");
	choose(1, VA_SIZE_MIN - 1, 0, VA_SIZE_MAX, 0,
	       -EPROTONOSUPPORT, 0, VA_SIZE_MIN - 1, 0,
	       "CONNECT of 1023 bytes: refused, answered revision 0");
	choose(1, 0, 0, VA_SIZE_MAX, 0, -EPROTONOSUPPORT, 0, 0, 0,
	       "CONNECT of 0 bytes: refused, answered revision 0");
	choose(1, VA_SIZE_MAX, 0, VA_SIZE_MIN - 1, 0,
	       -EPROTONOSUPPORT, 0, VA_SIZE_MIN - 1, 0,
	       "CONNECT to a device of 1023 bytes: refused");
}

/* va_check_connect(): the driver's check of the answer. */
static void connect_case(u32 rev, u32 size, u64 feat, int want,
			 const char *rule, const char *name)
{
	struct va_connect q = {
		.revision = cpu_to_le32(VA_REVISION),
		.max_size = cpu_to_le32(8192),
		.features = cpu_to_le64(VA_F_KNOWN),
	}, a = {
		.revision = cpu_to_le32(rev), .max_size = cpu_to_le32(size),
		.features = cpu_to_le64(feat),
	};
	struct va_link l = { .max_size = 12345, .features = 0x5a };
	const char *why = "";
	int r = va_check_connect(&q, &a, &l, &why);
	bool set = r == 0 ? l.max_size == size && l.features == feat :
		   l.max_size == 12345 && l.features == 0x5a;

	report(r, why, want, rule, name);
	tap_ok(set, "... and the link is %s", r ? "untouched" : "what was answered");
}

static void test_connect_check(void)
{
	connect_case(1, 8192, VA_F_KNOWN, 0, NULL,
		     "a CONNECT answer of all that was offered passes");
	connect_case(1, VA_SIZE_MIN, 0, 0, NULL,
		     "a CONNECT answer of 1024 bytes without HOLD passes");
	connect_case(0, 8192, 0, -EPROTONOSUPPORT,
		     "the device speaks no revision we do",
		     "a CONNECT answer of revision 0 is a refusal");
	connect_case(0, 0, ~0ULL, -EPROTONOSUPPORT,
		     "the device speaks no revision we do",
		     "revision 0 is a refusal whatever else the answer says");
	connect_case(2, 8192, 0, -EPROTO,
		     "CONNECT answers a revision we did not offer",
		     "a CONNECT answer of revision 2 is refused");
	connect_case(1, VA_SIZE_MIN - 1, 0, -EPROTO,
		     "CONNECT answers a size outside what we offered",
		     "a CONNECT answer of 1023 bytes is refused");
	connect_case(1, 8193, 0, -EPROTO,
		     "CONNECT answers a size outside what we offered",
		     "a CONNECT answer above the size offered is refused");
	connect_case(1, 8192, 0x4, -EPROTO,
		     "CONNECT answers features we did not offer",
		     "a CONNECT answer with a feature not offered is refused");
}

static void test_status(void)
{
	tap_ok(va_status_ok(0xf, 0xf), "status read back as written passes");
	tap_ok(va_status_ok(0xb, 0x3), "dropping FEATURES_OK (refusal) passes");
	tap_ok(va_status_ok(0xf, 0x4f), "adding NEEDS_RESET passes");
	tap_ok(va_status_ok(0, 0), "a reset read back as 0 passes");
	tap_ok(!va_status_ok(0x3, 0x7), "setting DRIVER_OK on its own is refused");
	tap_ok(!va_status_ok(0, 1), "a reset that does not read 0 is refused");
	tap_ok(!va_status_ok(0x3, 0x103), "a status above 8 bits is refused");
}

/* va_check_mem_req(): MEM_READ and MEM_WRITE from the device (spec 13). */
static void mem_case(u8 id, u16 token, u32 len, u32 plen, u32 max_size,
		     bool windows, int want, const char *rule, const char *name)
{
	const struct va_link l = {
		.max_size = max_size,
		.features = windows ? 1ULL << VA_F_WINDOWS : 0,
	};
	struct va_hdr *h = hdr(0, id, 1, VA_HDR_SIZE + plen);
	struct va_mem_req *rq = pl();
	const char *why = "";
	int got;

	h->token = cpu_to_le16(token);
	rq->addr = cpu_to_le64(0x123000);
	rq->len = cpu_to_le32(len);
	got = va_check_mem_req(h, rq, plen, &l, &why);
	report(got, why, want, rule, name);
}

static void test_mem(void)
{
	const u32 q = sizeof(struct va_mem_req);
	const u32 max = VA_SIZE_MAX - VA_HDR_SIZE - q;

	tap_ok(max == 65511, "MEM: at most 65511 bytes per request on a 65535-byte link");
	mem_case(VA_MEM_READ, 7, 4096, q, VA_SIZE_MAX, true, 0, NULL,
		 "MEM_READ of 4096 bytes passes");
	mem_case(VA_MEM_READ, 7, max, q, VA_SIZE_MAX, true, 0, NULL,
		 "MEM_READ of the most one record answers passes");
	mem_case(VA_MEM_READ, 7, max + 1, q, VA_SIZE_MAX, true, -EPROTO,
		 "memory window request of a bad length",
		 "MEM_READ one byte longer than an answer holds is refused");
	mem_case(VA_MEM_READ, 7, VA_SIZE_MIN - 23, q, VA_SIZE_MIN, true,
		 -EPROTO, "memory window request of a bad length",
		 "MEM_READ past a small link's answer is refused");
	mem_case(VA_MEM_READ, 7, 0, q, VA_SIZE_MAX, true, -EPROTO,
		 "memory window request of a bad length",
		 "MEM_READ of 0 bytes is refused");
	mem_case(VA_MEM_READ, 7, 16, q, VA_SIZE_MAX, false, -EPROTO,
		 "memory window request, which was not negotiated",
		 "MEM_READ without VA_F_WINDOWS is refused");
	mem_case(VA_MEM_READ, 0, 16, q, VA_SIZE_MAX, true, -EPROTO,
		 "memory window request without a token",
		 "MEM_READ without a token is refused");
	mem_case(VA_MEM_READ, 7, 16, q - 1, VA_SIZE_MAX, true, -EPROTO,
		 "memory window request truncated",
		 "MEM_READ shorter than its fixed part is refused");
	mem_case(VA_MEM_READ, 7, 16, q + 16, VA_SIZE_MAX, true, -EPROTO,
		 "memory window request size does not match",
		 "MEM_READ carrying bytes is refused");
	mem_case(VA_MEM_WRITE, 7, 16, q + 16, VA_SIZE_MAX, true, 0, NULL,
		 "MEM_WRITE of 16 bytes carrying them passes");
	mem_case(VA_MEM_WRITE, 7, 16, q + 15, VA_SIZE_MAX, true, -EPROTO,
		 "memory window request size does not match",
		 "MEM_WRITE one byte short is refused");
	mem_case(VA_MEM_WRITE, 7, 16, q, VA_SIZE_MAX, true, -EPROTO,
		 "memory window request size does not match",
		 "MEM_WRITE without its bytes is refused");
	mem_case(VA_MEM_WRITE, 7, max, q + max, VA_SIZE_MAX, true, 0, NULL,
		 "MEM_WRITE of the most one record carries passes");
}

int main(void)
{
	tap_start();
	test_headers();
	test_responses();
	test_events();
	test_used();
	test_from_driver();
	test_devices();
	test_connect_choose();
	test_connect_check();
	test_status();
	test_mem();
	return tap_done();
}
