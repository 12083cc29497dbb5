// SPDX-License-Identifier: GPL-2.0
/*
 * test_argo_peer: a stand-in for the guest transport, over the real
 * /dev/argo, to test argo-virtio-backend end to end in the VM rig:
 *
 *   dom0:  argo-virtio-backend --blk IMG --console echo --rng
 *   domU:  test_argo_peer [-b BACKEND_DOMID] [-s]
 *
 * It discovers the devices, writes and reads back 1 MiB on the disk,
 * sends 1 MiB through the echo console, and fills a buffer from the rng.
 * With -s it reads its ring slowly, so that the backend finds the ring
 * full and has to wait for room (the POLLOUT path).  Prints TAP.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "libargo.h"
#include "backend.h"

#define RING		(256 * 1024)
#define CHUNK		4096U
#define ECHO_BYTES	(1024U * 1024)
#define DISK_BYTES	(1024U * 1024)

static int fd, testno, failures, slow;
static uint16_t backend;
static uint8_t rxbuf[VA_MSG_MAX];

static void ok(bool cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++testno, what);
	fflush(stdout);
	failures += !cond;
}

/* What came back: responses by token, used chains by (dev, vq, id). */
struct used {
	uint8_t *buf;
	uint32_t len;
	uint32_t total;
	bool started;
	bool done;
};

static struct {
	bool got;
	uint8_t type;
	uint32_t len;
	uint8_t payload[1024];
} resp[65536];
static struct used used[8][2][256];

static void handle(const struct va_rec *r)
{
	if (r->type & VA_TYPE_RESPONSE) {
		resp[r->token].got = true;
		resp[r->token].type = r->type;
		resp[r->token].len = MIN(r->len, 1024U);
		memcpy(resp[r->token].payload, r->payload, resp[r->token].len);
		return;
	}
	if (r->msg_id == VA_USED_CHAIN && r->dev_num < 8 && r->len >= 20) {
		uint16_t vq = get_le16(r->payload), id = get_le16(r->payload + 2);
		uint32_t w = get_le32(r->payload + 4), t = get_le32(r->payload + 8);
		uint32_t off = get_le32(r->payload + 12);
		struct used *u;

		if (vq > 1 || id > 255)
			return;
		u = &used[r->dev_num][vq][id];
		if (!u->started) {
			free(u->buf);
			u->buf = malloc(t ? t : 1);
			u->total = t;
			u->len = 0;
			u->started = true;
		}
		if (off != u->len || off + w > u->total) {
			printf("# bad USED_CHAIN fragment\n");
			return;
		}
		memcpy(u->buf + off, r->payload + 20, w);
		u->len += w;
		if (get_le16(r->payload + 16) & VA_CHAIN_LAST) {
			u->done = true;
			u->started = false;
		}
	}
}

/* Read and handle messages for up to @ms (-1: those already there). */
static void pump(int ms)
{
	for (;;) {
		const char *why;
		struct va_rec r;
		uint32_t type;
		size_t off = 0;
		ssize_t n;

		if (ms >= 0 && !(argo_wait(fd, POLLIN, ms) & POLLIN))
			return;
		n = argo_recvfrom(fd, rxbuf, sizeof(rxbuf), &type, NULL, NULL,
				  NULL);
		if (n < 0)
			return;
		if (slow)
			usleep(2000);
		/* framed by the protocol's shared rules (virtio-argo/check.c) */
		while ((size_t)n > off) {
			struct va_hdr h;

			memcpy(&h, rxbuf + off, MIN((size_t)n - off, sizeof(h)));
			if (va_check_hdr(&h, n - off, VA_SIZE_MAX, &why)) {
				printf("# bad record: %s\n", why);
				break;
			}
			r.type = va_type(&h);
			r.msg_id = h.msg_id;
			r.dev_num = le16_to_cpu(h.dev_num);
			r.token = le16_to_cpu(h.token);
			r.payload = rxbuf + off + VA_HDR_SIZE;
			r.len = le16_to_cpu(h.msg_size) - VA_HDR_SIZE;
			handle(&r);
			off += le16_to_cpu(h.msg_size);
		}
		ms = 0;
	}
}

static void send_msg(const void *buf, size_t len)
{
	while (argo_sendto(fd, buf, len, VA_MSG_TYPE, backend,
			   VA_BACKEND_PORT) < 0) {
		if (errno != EAGAIN) {
			printf("Bail out! send: %s\n", strerror(errno));
			exit(1);
		}
		pump(10);
	}
}

static uint8_t msg[VA_MSG_MAX];
static size_t msglen;

static uint8_t *add_rec(uint8_t type, uint8_t id, uint16_t dev,
			uint16_t token, uint32_t plen)
{
	uint8_t *p;

	if (msglen + VA_HDR_SIZE + plen > VA_MSG_MAX) {
		send_msg(msg, msglen);
		msglen = 0;
	}
	p = msg + msglen;
	p[0] = type;
	p[1] = id;
	put_le16(p + 2, dev);
	put_le16(p + 4, token);
	put_le16(p + 6, VA_HDR_SIZE + plen);
	msglen += VA_HDR_SIZE + plen;
	return p + VA_HDR_SIZE;
}

static void flush_msg(void)
{
	if (msglen)
		send_msg(msg, msglen);
	msglen = 0;
}

static uint16_t token = 1;

/* One request; returns its response's index (token) or -1 on timeout. */
static int request(uint8_t type, uint8_t id, uint16_t dev, const void *p,
		   uint32_t plen)
{
	uint16_t t = token++;
	uint8_t *to;
	int i;

	resp[t].got = false;
	to = add_rec(type, id, dev, t, plen);
	if (plen)
		memcpy(to, p, plen);
	flush_msg();
	for (i = 0; i < 500 && !resp[t].got; i++)
		pump(10);
	return resp[t].got ? t : -1;
}

static uint32_t req32(uint8_t id, uint16_t dev, uint32_t v)
{
	uint8_t p[4];
	int t;

	put_le32(p, v);
	t = request(0, id, dev, p, 4);
	return t >= 0 && resp[t].len >= 4 ? get_le32(resp[t].payload) : ~0U;
}

static void add_chain(uint16_t dev, uint16_t vq, uint16_t id,
		      const uint8_t *out, uint32_t out_len, uint32_t in_len)
{
	uint32_t off = 0;
	bool last;

	used[dev][vq][id].done = false;
	do {
		uint32_t n = MIN(out_len - off, VA_FRAG_MAX);
		uint8_t *p;

		last = off + n == out_len;
		p = add_rec(0, VA_AVAIL_CHAIN, dev, 0, 20 + n);
		put_le16(p, vq);
		put_le16(p + 2, id);
		put_le32(p + 4, out_len);
		put_le32(p + 8, in_len);
		put_le32(p + 12, off);
		put_le16(p + 16, (off ? 0 : VA_CHAIN_FIRST) |
			 (last ? VA_CHAIN_LAST : 0));
		put_le16(p + 18, 0);
		if (out)
			memcpy(p + 20, out + off, n);
		off += n;
	} while (!last);
}

static bool wait_used(uint16_t dev, uint16_t vq, uint16_t id)
{
	int i;

	for (i = 0; i < 1000 && !used[dev][vq][id].done; i++)
		pump(10);
	return used[dev][vq][id].done;
}

static void setup_device(uint16_t dev)
{
	uint8_t p[sizeof(struct va_vqueue)] = { 0 };

	req32(VA_SET_DEVICE_STATUS, dev, 0);
	req32(VA_SET_DEVICE_STATUS, dev, 3);
	put_le32(p, 0);
	put_le32(p + 4, 2);
	put_le32(p + 8, 0);
	put_le32(p + 12, 1);		/* VERSION_1 */
	request(0, VA_SET_DRIVER_FEATURES, dev, p, 16);
	req32(VA_SET_DEVICE_STATUS, dev, 0xB);
	memset(p, 0, sizeof(p));
	put_le32(p + offsetof(struct va_vqueue, size), 256);
	request(0, VA_SET_VQUEUE, dev, p, sizeof(p));
	put_le32(p + offsetof(struct va_vqueue, index), 1);
	request(0, VA_SET_VQUEUE, dev, p, sizeof(p));
	req32(VA_SET_DEVICE_STATUS, dev, 0xF);
}

static void test_blk(uint16_t dev)
{
	const uint32_t per = 128 * 1024, n = DISK_BYTES / per;
	uint8_t *data = malloc(DISK_BYTES), *out = malloc(16 + per);
	bool good = true;
	uint32_t i, j;

	setup_device(dev);
	for (i = 0; i < DISK_BYTES; i++)
		data[i] = (uint8_t)(i * 13 + (i >> 12));
	for (i = 0; i < n; i++) {
		put_le32(out, VIRTIO_BLK_T_OUT);
		put_le32(out + 4, 0);
		put_le64(out + 8, (uint64_t)i * per / 512);
		memcpy(out + 16, data + i * per, per);
		add_chain(dev, 0, i, out, 16 + per, 1);
	}
	flush_msg();
	for (i = 0; i < n; i++)
		good &= wait_used(dev, 0, i) && used[dev][0][i].total == 1 &&
			used[dev][0][i].buf[0] == VIRTIO_BLK_S_OK;
	ok(good, "blk: 1 MiB written in 8 chains");
	for (i = 0; i < n; i++) {
		put_le32(out, VIRTIO_BLK_T_IN);
		put_le64(out + 8, (uint64_t)i * per / 512);
		add_chain(dev, 0, i, out, 16, per + 1);
	}
	flush_msg();
	for (i = 0; i < n && good; i++) {
		struct used *u = &used[dev][0][i];

		good = wait_used(dev, 0, i) && u->total == per + 1 &&
		       u->buf[per] == VIRTIO_BLK_S_OK;
		for (j = 0; good && j < per; j++)
			good = u->buf[j] == data[i * per + j];
	}
	ok(good, "blk: 1 MiB read back, same bytes");
	free(data);
	free(out);
}

static void test_echo(uint16_t dev)
{
	static bool tx_busy[256], rx_busy[256];
	static uint16_t rx_fifo[256];
	uint8_t *tx = malloc(ECHO_BYTES), *rx = malloc(ECHO_BYTES);
	uint32_t sent = 0, got = 0, i, rounds, head = 0, count = 0;
	bool order = true;

	setup_device(dev);
	for (i = 0; i < ECHO_BYTES; i++)
		tx[i] = (uint8_t)(i * 7 + (i >> 10));
	for (rounds = 0; got < ECHO_BYTES && rounds < 5000; rounds++) {
		uint16_t id;

		/* the backend fills receive chains in the order they came */
		while (count && used[dev][0][rx_fifo[head]].done) {
			struct used *u = &used[dev][0][rx_fifo[head]];

			if (got + u->total > ECHO_BYTES) {
				order = false;
				break;
			}
			memcpy(rx + got, u->buf, u->total);
			got += u->total;
			rx_busy[rx_fifo[head]] = false;
			head = (head + 1) % 256;
			count--;
		}
		for (id = 0; id < 256; id++)
			if (tx_busy[id] && used[dev][1][id].done)
				tx_busy[id] = false;
		for (id = 0; id < 256; id++) {
			if (!rx_busy[id]) {
				rx_busy[id] = true;
				rx_fifo[(head + count++) % 256] = id;
				add_chain(dev, 0, id, NULL, 0, CHUNK);
			}
			if (!tx_busy[id] && sent < ECHO_BYTES) {
				tx_busy[id] = true;
				add_chain(dev, 1, id, tx + sent, CHUNK, 0);
				sent += CHUNK;
			}
		}
		flush_msg();
		pump(20);
	}
	ok(order && got == ECHO_BYTES && !memcmp(tx, rx, ECHO_BYTES),
	   "console echo: 1 MiB back, complete and in order");
	free(tx);
	free(rx);
}

int main(int argc, char **argv)
{
	uint16_t blk = 0, con = 0, rng = 0;
	uint8_t p[8], conn[sizeof(struct va_connect)];
	uint32_t port = 0, i;
	int c, t;

	while ((c = getopt(argc, argv, "b:s")) != -1) {
		if (c == 'b')
			backend = atoi(optarg);
		else if (c == 's')
			slow = 1;
		else
			return 2;
	}
	printf("TAP version 13\n");
	fd = argo_open(0);
	if (fd < 0 || argo_bind(fd, &port, backend, RING)) {
		printf("Bail out! /dev/argo: %s\n", strerror(errno));
		return 1;
	}
	/* CONNECT first: revision 1, the largest records, no HOLD */
	memset(conn, 0, sizeof(conn));
	put_le32(conn + offsetof(struct va_connect, revision), VA_REVISION);
	put_le32(conn + offsetof(struct va_connect, max_size), VA_SIZE_MAX);
	t = request(VA_TYPE_BUS, VA_BUS_CONNECT, 0, conn, sizeof(conn));
	ok(t >= 0 && resp[t].len == sizeof(struct va_connect) &&
	   get_le32(resp[t].payload) == VA_REVISION,
	   "CONNECT answered with revision 1");
	put_le16(p, 0);
	put_le16(p + 2, 64);
	t = request(VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, 4);
	ok(t >= 0 && resp[t].len == 6 + 8, "GET_DEVICES answered over Argo");
	for (i = 1; t >= 0 && i < 8; i++) {
		uint32_t id;
		int ti;

		if (!(resp[t].payload[6] & (1U << i)))
			continue;
		ti = request(0, VA_GET_DEVICE_INFO, i, NULL, 0);
		id = ti >= 0 && resp[ti].len >= 4 ?
		     get_le32(resp[ti].payload) : 0;
		printf("# device %u: id %u\n", i, id);
		if (id == VIRTIO_ID_BLOCK && !blk)
			blk = i;
		if (id == VIRTIO_ID_CONSOLE && !con)
			con = i;
		if (id == VIRTIO_ID_RNG && !rng)
			rng = i;
	}
	ok(blk && con && rng, "blk, console and rng offered");
	if (blk)
		test_blk(blk);
	if (con)
		test_echo(con);
	if (rng) {
		setup_device(rng);
		add_chain(rng, 0, 0, NULL, 0, 1000);
		flush_msg();
		ok(wait_used(rng, 0, 0) && used[rng][0][0].total == 1000,
		   "rng: 1000 bytes");
	}
	printf("1..%d\n", testno);
	return failures ? 1 : 0;
}
