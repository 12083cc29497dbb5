// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of virtio-argo's record validation (virtio-argo/check.c):
 * every rule of docs/virtio-argo-protocol.md section 6 that check.c owns,
 * each with a record that passes and one that breaks it, asserting the
 * exact verdict and the rule named.
 */
#include <stdarg.h>
#include <stdio.h>
#include <argo/virtio_argo_check.h>
#include "../lib/tap.h"

static u8 buf[VA_MSG_MAX];

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

/* Run both checks on the record at buf; returns the verdict. */
static int verdict(u32 avail, const char **why)
{
	struct va_hdr *h = (struct va_hdr *)buf;
	int r;

	*why = "";
	r = va_check_hdr(h, avail, why);
	if (r)
		return r;
	return va_check_from_device(h, buf + VA_HDR_SIZE,
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

static void test_headers(void)
{
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 12);
	expect(0, NULL, 12, "a well-formed status response passes");
	expect(-EPROTO, "msg_size beyond the end of the message", 11,
	       "msg_size past the message is refused");
	expect(-EPROTO, "record shorter than its header", 7,
	       "a record shorter than the header is refused");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 7);
	expect(-EPROTO, "msg_size smaller than the header", 12,
	       "msg_size below 8 is refused");
	hdr(0x80 | VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 12);
	expect(-EPROTO, "unknown type bits", 12, "unknown type bits are refused");
	hdr(VA_TYPE_ERROR, VA_EVENT_CONFIG, 1, 12);
	expect(-EPROTO, "error flag on a non-response", 12,
	       "an error flag without the response flag is refused");
}

static void test_responses(void)
{
	struct va_get_devices_resp *gd;
	struct va_features *f;
	struct va_config *c;

	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_STATUS, 1, 13);
	expect(-EPROTO, "response of the wrong size", 13,
	       "a status response one byte long is refused");
	hdr(VA_TYPE_RESPONSE, VA_SET_VQUEUE, 1, 8);
	expect(0, NULL, 8, "an empty SET_VQUEUE response passes");
	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_INFO, 1, 8 + 24);
	expect(0, NULL, 32, "a 24-byte device info passes");

	hdr(VA_TYPE_RESPONSE | VA_TYPE_ERROR, VA_GET_CONFIG, 1, 12);
	*(__le32 *)(buf + 8) = cpu_to_le32(22);
	expect(0, NULL, 12, "an error response with EINVAL passes");
	*(__le32 *)(buf + 8) = 0;
	expect(-EPROTO, "error response with no errno", 12,
	       "an error response with errno 0 is refused");
	hdr(VA_TYPE_RESPONSE | VA_TYPE_ERROR, VA_GET_CONFIG, 1, 10);
	expect(-EPROTO, "error response of the wrong size", 10,
	       "a short error response is refused");

	hdr(VA_TYPE_RESPONSE | VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, 8 + 4 + 20);
	gd = (void *)(buf + 8);
	gd->count = cpu_to_le16(2);
	expect(0, NULL, 32, "GET_DEVICES with two entries passes");
	gd->count = cpu_to_le16(3);
	expect(-EPROTO, "GET_DEVICES size does not match count", 32,
	       "GET_DEVICES count beyond its size is refused");
	gd->count = cpu_to_le16(VA_MAX_DEVICES + 1);
	expect(-EPROTO, "GET_DEVICES lists too many devices", 32,
	       "GET_DEVICES with 65 devices is refused");

	hdr(VA_TYPE_RESPONSE, VA_GET_DEVICE_FEATURES, 1, 8 + 8 + 8);
	f = (void *)(buf + 8);
	f->count = cpu_to_le32(2);
	expect(0, NULL, 24, "a two-word features response passes");
	f->count = cpu_to_le32(0x40000002);
	expect(-EPROTO, "features response too long", 24,
	       "a features count that would overflow is refused");

	hdr(VA_TYPE_RESPONSE, VA_GET_CONFIG, 1, 8 + 12 + 16);
	c = (void *)(buf + 8);
	c->size = cpu_to_le32(16);
	expect(0, NULL, 36, "a 16-byte config chunk passes");
	c->size = cpu_to_le32(17);
	expect(-EPROTO, "GET_CONFIG size does not match", 36,
	       "a config size beyond the record is refused");
	c->size = cpu_to_le32(0xffffffff);
	expect(-EPROTO, "GET_CONFIG response too large", 36,
	       "a 4 GiB config chunk is refused");

	hdr(VA_TYPE_RESPONSE, 0x77, 1, 8);
	expect(-EPROTO, "response to a request never made", 8,
	       "a response with an unknown id is refused");
}

static void test_events(void)
{
	struct va_event_device *e;

	hdr(VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 0, 12);
	e = (void *)(buf + 8);
	e->state = cpu_to_le16(VA_DEVICE_READY);
	expect(0, NULL, 12, "EVENT_DEVICE READY passes");
	e->state = cpu_to_le16(3);
	expect(-EPROTO, "EVENT_DEVICE with an unknown state", 12,
	       "EVENT_DEVICE with state 3 is refused");
	hdr(VA_TYPE_BUS, VA_BUS_EVENT_DEVICE, 4, 12);
	e->state = cpu_to_le16(VA_DEVICE_REMOVED);
	expect(-EPROTO, "bus message with a device number", 12,
	       "a bus event naming a device is refused");
	hdr(VA_TYPE_BUS, 0x55, 0, 8);
	expect(1, NULL, 8, "an unknown bus event is ignored, not fatal");
	hdr(0, 0x9f, 1, 8);
	expect(1, NULL, 8, "an unknown data-plane id is ignored, not fatal");
	hdr(0, VA_GET_CONFIG, 1, 16);
	expect(-EPROTO, "request sent to the driver", 16,
	       "a request from the device is refused");
	hdr(0, VA_AVAIL_CHAIN, 1, 28);
	expect(-EPROTO, "AVAIL_CHAIN sent to the driver", 28,
	       "AVAIL_CHAIN from the device is refused");
	hdr(0, VA_EVENT_CONFIG, 1, 12);
	expect(0, NULL, 12, "EVENT_CONFIG passes");
}

static struct va_used_chain *used(u32 written, u32 total, u32 offset,
				  u16 flags)
{
	struct va_used_chain *u;

	hdr(0, VA_USED_CHAIN, 1, VA_CHAIN_HDR_SIZE + written);
	u = (void *)(buf + 8);
	u->written = cpu_to_le32(written);
	u->total = cpu_to_le32(total);
	u->offset = cpu_to_le32(offset);
	u->flags = cpu_to_le16(flags);
	return u;
}

static void expect_used(const struct va_used_acct *a, int want,
			const char *rule, const char *name)
{
	const struct va_used_chain *u = (const void *)(buf + 8);
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
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST | VA_CHAIN_HOLD);
	expect_used(&fresh, 0, NULL, "HOLD on a LAST fragment passes");
	used(10, 4097, 0, VA_CHAIN_FIRST | VA_CHAIN_HOLD);
	expect_used(&fresh, -EPROTO, "USED_CHAIN with HOLD but not LAST",
		    "HOLD on a fragment that is not the LAST is refused");
	used(VA_FRAG_MAX + 1, VA_FRAG_MAX + 1, 0,
	     VA_CHAIN_FIRST | VA_CHAIN_LAST);
	expect_used(&fresh, -EPROTO, "USED_CHAIN fragment too large",
		    "a fragment over VA_FRAG_MAX is refused");
	used(10, 10, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	((struct va_used_chain *)(buf + 8))->written = cpu_to_le32(9);
	expect_used(&fresh, -EPROTO, "USED_CHAIN written differs from its size",
		    "written disagreeing with msg_size is refused");
	hdr(0, VA_USED_CHAIN, 1, VA_HDR_SIZE + 19);
	expect_used(&fresh, -EPROTO, "USED_CHAIN truncated",
		    "a USED_CHAIN shorter than its header is refused");
}

static void test_status(void)
{
	tap_ok(va_status_ok(0xf, 0xf), "status read back as written passes");
	tap_ok(va_status_ok(0xb, 0x3), "dropping FEATURES_OK (refusal) passes");
	tap_ok(va_status_ok(0xf, 0x4f), "adding NEEDS_RESET passes");
	tap_ok(!va_status_ok(0x3, 0x7), "setting DRIVER_OK on its own is refused");
	tap_ok(!va_status_ok(0, 1), "a reset that does not read 0 is refused");
	tap_ok(!va_status_ok(0x3, 0x103), "a status above 8 bits is refused");
}

int main(void)
{
	tap_start();
	test_headers();
	test_responses();
	test_events();
	test_used();
	test_status();
	return tap_done();
}
