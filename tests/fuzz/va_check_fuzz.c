// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for virtio-argo's validation of what a backend sends
 * (virtio-argo/check.c).
 *
 * Why: every byte of a backend's Argo messages is chosen by another,
 * possibly hostile, domain.  The guest module walks a message record by
 * record, checks each header and payload with va_check_hdr() and
 * va_check_from_device(), and for USED_CHAIN records checks the fragment
 * against the chain it completes with va_check_used() before it writes a
 * single byte into the chain's buffers.  This target runs the same walk
 * over the input, with the message in a heap buffer of exactly its length
 * (so ASan sees any read past it), keeps a small table of outstanding
 * chains the way vq.c does, and traps when an accepted record would let
 * the driver read outside the message or write outside a chain's buffers.
 *
 * Input layout: byte 0 picks the in_len of the four outstanding chains
 * (2 bits each, from {0, 1, 4097, 65536}); the rest is one Argo message.
 *
 * Built with -DVA_FUZZ_SEEDS, the same file writes a few seed inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <argo/virtio_argo_check.h>

#ifdef VA_FUZZ_SEEDS
static int seed(const char *dir, const char *name, const u8 *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

static size_t put_used(u8 *p, u16 chain, u32 written, u32 total, u32 offset,
		       u16 flags)
{
	struct va_hdr *h = (void *)p;
	struct va_used_chain *u = (void *)(h + 1);

	h->type = 0;
	h->msg_id = VA_USED_CHAIN;
	h->dev_num = cpu_to_le16(1);
	h->token = 0;
	h->msg_size = cpu_to_le16(VA_CHAIN_HDR_SIZE + written);
	u->vq = 0;
	u->chain = cpu_to_le16(chain);
	u->written = cpu_to_le32(written);
	u->total = cpu_to_le32(total);
	u->offset = cpu_to_le32(offset);
	u->flags = cpu_to_le16(flags);
	u->rsvd = 0;
	memset(u + 1, 0xab, written);
	return VA_CHAIN_HDR_SIZE + written;
}

int main(int argc, char **argv)
{
	static u8 b[8192];
	size_t n;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	b[0] = 0xaa;	/* every chain has in_len 4097 */
	n = 1 + put_used(b + 1, 0, 4097, 4097, 0,
			 VA_CHAIN_FIRST | VA_CHAIN_LAST);
	bad |= seed(argv[1], "used-whole", b, n);
	n = 1 + put_used(b + 1, 1, 1000, 4097, 0, VA_CHAIN_FIRST);
	n += put_used(b + n, 1, 3097, 4097, 1000, VA_CHAIN_LAST);
	bad |= seed(argv[1], "used-two-fragments", b, n);
	n = 1 + put_used(b + 1, 2, 0, 0, 0, VA_CHAIN_FIRST | VA_CHAIN_LAST);
	{
		struct va_hdr *h = (void *)(b + n);

		h->type = VA_TYPE_RESPONSE | VA_TYPE_BUS;
		h->msg_id = VA_BUS_GET_DEVICES;
		h->dev_num = 0;
		h->token = cpu_to_le16(1);
		h->msg_size = cpu_to_le16(8 + 4 + 10);
		memset(h + 1, 0, 14);
		b[n + 8] = 1;
		n += 8 + 4 + 10;
	}
	bad |= seed(argv[1], "used-then-devices", b, n);
	return bad;
}

#else /* !VA_FUZZ_SEEDS */

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "va_check_fuzz: invariant broken: %s\n",	\
			#cond);						\
		__builtin_trap();					\
	}								\
} while (0)

static const u32 in_lens[4] = { 0, 1, 4097, 65536 };

struct chain {
	struct va_used_acct acct;
	bool live;
};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct chain chains[4];
	u8 *msg, scratch[VA_CTRL_MAX];
	u32 len, off = 0;
	int i;

	if (size < 1 || size - 1 > VA_MSG_MAX)
		return 0;
	for (i = 0; i < 4; i++) {
		chains[i].acct = (struct va_used_acct) {
			.in_len = in_lens[(data[0] >> (2 * i)) & 3],
		};
		chains[i].live = true;
	}
	len = size - 1;
	msg = malloc(len ? len : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 1, len);

	while (off < len) {
		struct va_hdr h = { 0 };
		const char *why = NULL;
		u32 avail = len - off, plen, n;
		int r;

		/* The module copies at most what the message holds. */
		memcpy(&h, msg + off, avail < sizeof(h) ? avail : sizeof(h));
		r = va_check_hdr(&h, avail, &why);
		if (r) {
			CHECK(r == -EPROTO && why);
			break;
		}
		CHECK(le16_to_cpu(h.msg_size) >= VA_HDR_SIZE);
		CHECK(le16_to_cpu(h.msg_size) <= avail);
		plen = le16_to_cpu(h.msg_size) - VA_HDR_SIZE;

		if (!(h.type & (VA_TYPE_RESPONSE | VA_TYPE_BUS)) &&
		    h.msg_id == VA_USED_CHAIN) {
			struct va_used_chain u = { 0 };
			struct chain *c;
			u32 idx;

			if (plen >= sizeof(u))
				memcpy(&u, msg + off + VA_HDR_SIZE, sizeof(u));
			r = va_check_from_device(&h, &u, plen, &why);
			if (r) {
				CHECK(r == -EPROTO && why);
				break;
			}
			n = le32_to_cpu(u.written);
			CHECK(VA_CHAIN_HDR_SIZE + n == le16_to_cpu(h.msg_size));
			idx = le16_to_cpu(u.chain);
			if (idx >= 4 || !chains[idx].live)
				break;	/* "not outstanding": vq.c refuses */
			c = &chains[idx];
			r = va_check_used(&u, n, &c->acct, &why);
			if (r) {
				CHECK(r == -EPROTO && why);
				break;
			}
			/* What the module then writes must fit the buffers. */
			CHECK(c->acct.received + n <= c->acct.in_len);
			CHECK(le32_to_cpu(u.total) <= c->acct.in_len);
			c->acct.started = true;
			c->acct.total = le32_to_cpu(u.total);
			c->acct.received += n;
			if (le16_to_cpu(u.flags) & VA_CHAIN_LAST) {
				CHECK(c->acct.received == c->acct.total);
				c->live = false;
			}
		} else {
			if (plen > VA_CTRL_MAX)
				break;
			memcpy(scratch, msg + off + VA_HDR_SIZE, plen);
			r = va_check_from_device(&h, scratch, plen, &why);
			CHECK(r == 0 || r == 1 || (r == -EPROTO && why));
			if (r < 0)
				break;
		}
		off += le16_to_cpu(h.msg_size);
	}
	free(msg);
	return 0;
}
#endif /* VA_FUZZ_SEEDS */
