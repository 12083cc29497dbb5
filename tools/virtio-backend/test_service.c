// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of argo-virtio-backend as a service: the configuration file
 * (good files, each error with its line), the safe defaults (no device
 * without a guest; a writable disk to one guest at a time), guests bound
 * by name, a reload that leaves unchanged devices alone, and the control
 * socket's protocol.  Guests are simulated through guest_receive() with a
 * fake transport, as in test_backend.c; the log (stderr) goes to a file
 * the checks read.  Output is TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/virtio_ids.h>

#include "backend.h"
#include "test_tap.h"

#define PORT	0x1000
/* ctl.c's CTL_CLIENTS_MAX */
#define CTL_TEST_CLIENTS	8

static struct backend be;
static char dir[64];
static char img[128];

/* ---- the fake transport: records out, by guest ---- */

struct orec {
	uint16_t domid;
	uint8_t type;
	uint8_t id;
	uint16_t dev;
	uint16_t token;
	uint8_t payload[64];
	uint32_t len;
};

static struct orec recs[4096];
static unsigned int nrecs;
static uint16_t dead_dom;		/* sends to it fail (it is gone) */

static int fake_send(struct backend *b, struct guest *g, const void *buf,
		     size_t len)
{
	size_t off = 0;
	struct va_rec r;
	const char *why;

	(void)b;
	if (g->domid == dead_dom)
		return -ECONNREFUSED;
	while (rec_next(buf, len, &off, VA_SIZE_MAX, &r, &why) > 0 &&
	       nrecs < ARRAY_SIZE(recs)) {
		struct orec *o = &recs[nrecs++];

		o->domid = g->domid;
		o->type = r.type;
		o->id = r.msg_id;
		o->dev = r.dev_num;
		o->token = r.token;
		o->len = MIN(r.len, sizeof(o->payload));
		memcpy(o->payload, r.payload, o->len);
	}
	return 0;
}

static const struct transport_ops fake_ops = { .send = fake_send };

/* Domain names as xenstore would give them. */
static int fake_name(uint16_t domid, char *name, size_t len)
{
	const char *n = domid == 5 ? "web1" : domid == 6 ? "web2" :
			domid == 8 ? "web1" : NULL;

	if (domid == 7)
		return -EACCES;
	if (!n)
		return -ENOENT;
	snprintf(name, len, "%s", n);
	return 0;
}

static uint16_t token = 1;

/* One record from guest @dom, then the backend's answers go out. */
static void send_rec(uint16_t dom, uint8_t type, uint8_t id, uint16_t dev,
		     const void *payload, uint16_t plen)
{
	uint8_t m[256];

	m[0] = type;
	m[1] = id;
	put_le16(m + 2, dev);
	put_le16(m + 4, ++token);
	put_le16(m + 6, VA_HDR_SIZE + plen);
	if (plen)
		memcpy(m + VA_HDR_SIZE, payload, plen);
	guest_receive(&be, NULL, dom, PORT, VA_MSG_TYPE, m, VA_HDR_SIZE + plen);
	backend_flush(&be);
}

static const struct orec *answer(uint16_t dom)
{
	unsigned int i;

	for (i = 0; i < nrecs; i++)
		if (recs[i].domid == dom && recs[i].token == token &&
		    (recs[i].type & VA_TYPE_RESPONSE))
			return &recs[i];
	return NULL;
}

/* The errno of an ERROR naming the last request, or 0. */
static unsigned int error_of(uint16_t dom)
{
	unsigned int i;

	for (i = 0; i < nrecs; i++)
		if (recs[i].domid == dom && recs[i].id == VA_BUS_ERROR &&
		    get_le16(recs[i].payload + 2) == token)
			return get_le32(recs[i].payload + 8);
	return 0;
}

static void guest_connect(uint16_t dom)
{
	uint8_t p[sizeof(struct va_connect)];

	put_le32(p, VA_REVISION);
	put_le32(p + 4, VA_SIZE_MAX);
	put_le64(p + 8, 0);
	send_rec(dom, VA_TYPE_BUS, VA_BUS_CONNECT, 0, p, sizeof(p));
}

/* Bitmap of devices 0-63 that GET_DEVICES lists to @dom. */
static uint64_t listed(uint16_t dom)
{
	const struct orec *o;
	uint8_t p[4];
	uint64_t map = 0;
	unsigned int i;

	put_le16(p, 0);
	put_le16(p + 2, 64);
	nrecs = 0;
	send_rec(dom, VA_TYPE_BUS, VA_BUS_GET_DEVICES, 0, p, sizeof(p));
	o = answer(dom);
	if (!o || o->len < 6 + 8)
		return ~0ULL;
	for (i = 0; i < 8; i++)
		map |= (uint64_t)o->payload[6 + i] << (8 * i);
	return map;
}

/* GET_DEVICE_INFO's device id, or 1000 + errno for an ERROR. */
static unsigned int dev_id(uint16_t dom, uint16_t dev)
{
	const struct orec *o;

	nrecs = 0;
	send_rec(dom, 0, VA_GET_DEVICE_INFO, dev, NULL, 0);
	o = answer(dom);
	return o ? get_le32(o->payload) : 1000 + error_of(dom);
}

/* SET_DEVICE_STATUS: the status answered, or 1000 + errno. */
static unsigned int set_status(uint16_t dom, uint16_t dev, uint32_t st)
{
	const struct orec *o;
	uint8_t p[4];

	put_le32(p, st);
	nrecs = 0;
	send_rec(dom, 0, VA_SET_DEVICE_STATUS, dev, p, sizeof(p));
	o = answer(dom);
	return o ? get_le32(o->payload) : 1000 + error_of(dom);
}

/* EVENT_DEVICE records to @dom since nrecs was cleared: "dev:state ...". */
static const char *events(uint16_t dom)
{
	static char buf[256];
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < nrecs; i++)
		if (recs[i].domid == dom &&
		    recs[i].id == VA_BUS_EVENT_DEVICE && n < sizeof(buf))
			n += snprintf(buf + n, sizeof(buf) - n, "%s%u:%u",
				      n ? " " : "", get_le16(recs[i].payload),
				      get_le16(recs[i].payload + 2));
	return buf;
}

/* ---- the log ---- */

static FILE *logf;
static long log_pos;

/* What the backend logged since the last call. */
static const char *log_new(void)
{
	static char buf[16384];
	size_t n;

	fflush(stderr);
	fseek(logf, log_pos, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, logf);
	buf[n] = '\0';
	log_pos += n;
	return buf;
}

/* ---- configuration ---- */

static int parse(const char *text, struct conf **cp, struct vb_text *err)
{
	struct conf *c = calloc(1, sizeof(*c));
	int r;

	r = conf_parse(c, text, strlen(text), "t.conf", err);
	*cp = c;
	return r;
}

/* The first error a text gets, exactly. */
static void bad(const char *text, const char *want)
{
	struct vb_text err = { 0 };
	struct conf *c;
	char first[512] = "";
	int r = parse(text, &c, &err);

	if (err.buf)
		sscanf(err.buf, "%511[^\n]", first);
	ok(r < 0 && !strcmp(first, want),
	   "refused: %s", want);
	if (strcmp(first, want))
		printf("# got: %s\n", err.buf ? err.buf : "(nothing)");
	conf_free(c);
	text_free(&err);
}

static void test_config(void)
{
	static const char good[] =
		"# the example's shape\n"
		"[backend]\n"
		"ring-size = 2M\n"
		"control = /run/x/control.sock\n"
		"partner = 3\n"
		"\n"
		"[blk web1-disk]            # type and name\n"
		"path = %s\n"
		"guest = web1               # by name\n"
		"readonly = no\n"
		"shared = no\n"
		"serial = disk-1\n"
		"; another comment\n"
		"[blk common]\n"
		"path = %s\n"
		"readonly = yes\n"
		"guest = any\n"
		"[blk cluster]\n"
		"path = %s\n"
		"shared = yes\n"
		"guest = 6\n"
		"guest = web1\n"
		"[net web1-net]\n"
		"\ttap = vif-web1\n"
		"bridge = br0\n"
		"guest = web1\n"
		"[console con]\n"
		"mode = echo\n"
		"port = org.test.0\n"
		"guest = 5\n"
		"[rng r]\n"
		"guest=any\n";
	char text[2048];
	struct vb_text err = { 0 };
	struct conf *c;
	int r;

	snprintf(text, sizeof(text), good, img, img, img);
	r = parse(text, &c, &err);
	ok(r == 0 && c->errors == 0 && !err.buf, "a good file: no error");
	ok(c->ndevs == 6 && c->set.ring_size == (2U << 20) &&
	   !strcmp(c->set.control, "/run/x/control.sock") && c->set.npartners == 1 &&
	   c->set.partners[0] == 3,
	   "[backend]: ring-size 2M, control, partner 3; 6 devices");
	if (c->ndevs == 6) {
		char want[512];

		snprintf(want, sizeof(want), "blk %s,serial=disk-1,guest=web1",
			 img);
		ok(!strcmp(c->devs[0]->spec, want) &&
		   !strcmp(c->devs[0]->name, "web1-disk") &&
		   c->devs[0]->exclusive && c->devs[0]->nnames == 1 &&
		   !strcmp(c->devs[0]->gnames[0], "web1") &&
		   !strcmp(c->where[0], "t.conf:7"),
		   "[blk web1-disk]: '%s', writable, one at a time, for web1, at t.conf:7",
		   c->devs[0]->spec);
		ok(!c->devs[1]->exclusive && c->devs[1]->any_guest,
		   "[blk common]: read-only for any guest: served to all");
		snprintf(want, sizeof(want), "blk %s,shared,guest=6,guest=web1",
			 img);
		ok(!strcmp(c->devs[2]->spec, want) && !c->devs[2]->exclusive &&
		   c->devs[2]->shared && c->devs[2]->nguests == 1 &&
		   c->devs[2]->nnames == 1,
		   "[blk cluster]: shared = yes, two guests: '%s'",
		   c->devs[2]->spec);
		ok(!strcmp(c->devs[3]->spec, "net tap=vif-web1,bridge=br0,guest=web1") &&
		   !strcmp(c->devs[4]->spec, "console echo,port=org.test.0,guest=5") &&
		   !strcmp(c->devs[5]->spec, "rng guest=any") &&
		   c->devs[5]->origin == DEV_CONFIG,
		   "net, console and rng: their option strings");
	} else {
		printf("# %s", err.buf ? err.buf : "");
	}
	conf_free(c);
	text_free(&err);

	bad("[blk a]\npath = /x\n",
	    "t.conf:1: [blk a]: no guest: say which guests get it ('guest = NAME' or 'guest = DOMID', repeatable), or 'guest = any' for every guest");
	bad("[rng a]\nguest = 1\ncolour = red\n",
	    "t.conf:3: [rng a]: unknown key 'colour' (guest)");
	bad("[blk a]\npath = /x\nguest = 1\nsize = 3\n",
	    "t.conf:4: [blk a]: unknown key 'size' (path, readonly, shared, serial, guest)");
	bad("[rng a]\nguest = 1\n\n[rng a]\nguest = 2\n",
	    "t.conf:4: device name 'a' is already used at t.conf:1");
	bad("[blk a]\npath = /x\nguest = 1\nreadonly = maybe\n",
	    "t.conf:4: readonly takes yes or no, not 'maybe'");
	bad("[blk a]\npath = /x\npath = /y\nguest = 1\n",
	    "t.conf:3: path is already set at line 2");
	bad("[blk a]\nguest = 1\n",
	    "t.conf:1: [blk a]: 'path' is missing");
	bad("[blk a]\npath = /x\nguest = 1\nguest = 2\n",
	    "t.conf:4: [blk a]: a writable disk for more than one guest needs 'shared = yes' (guests writing one image at once corrupt it unless they share it on purpose, e.g. with a cluster file system)");
	bad("[blk a]\npath = /x\nguest = any\n",
	    "t.conf:3: [blk a]: a writable disk for more than one guest needs 'shared = yes' (guests writing one image at once corrupt it unless they share it on purpose, e.g. with a cluster file system)");
	bad("[rng a]\nguest = any\nguest = 3\n",
	    "t.conf:3: guest = any excludes any other guest");
	bad("[rng a]\nguest = 3\nguest = 3\n",
	    "t.conf:3: guest 3 is given twice");
	bad("[rng a]\nguest = a/b\n",
	    "t.conf:1: [rng a]: bad domain name 'a/b' (letters, digits, '-', '_' and '.', up to 63)");
	bad("[rng a]\nguest = 40000\n",
	    "t.conf:1: [rng a]: bad domain id '40000'");
	bad("[rng a]\nguest = 18446744073709551621\n",
	    "t.conf:1: [rng a]: bad domain id '18446744073709551621'");
	bad("[tape a]\nguest = 3\n",
	    "t.conf:1: unknown device type 'tape' (blk, console, gpu, net or rng)");
	bad("[rng a b]\n",
	    "t.conf:1: a section is [backend] or [TYPE NAME] (TYPE blk, console, gpu, net or rng)");
	bad("[rng a/b]\nguest = 1\n",
	    "t.conf:1: bad device name 'a/b' (letters, digits, '-', '_' and '.', up to 63)");
	bad("[rng a\n", "t.conf:1: a section header ends with ']'");
	bad("# top\nguest = 3\n", "t.conf:2: 'guest' is outside any section");
	bad("[rng a]\nguest\n",
	    "t.conf:2: expected 'key = value' or a [section]");
	bad("[rng a]\nguest =\n", "t.conf:2: 'guest' needs a value");
	bad("[rng a]\n= 3\n", "t.conf:2: a key is missing before '='");
	bad("[blk a]\npath = /x,ro\nguest = 1\n",
	    "t.conf:2: a value may not hold ','");
	bad("[net n]\ntap = vn%d\nmtu = 5\nguest = 1\n",
	    "t.conf:1: [net n]: mtu= takes 68 to 65535");
	/* -N is 2^64 - N to strtoul(): these were taken as 1000 and 616x768 */
	bad("[net n]\ntap = vn%d\nmtu = -18446744073709550616\nguest = 1\n",
	    "t.conf:1: [net n]: mtu= takes 68 to 65535");
	bad("[gpu g]\nsize = -18446744073709551000x+768\nguest = 1\n",
	    "t.conf:1: [gpu g]: size= is WIDTHxHEIGHT, 16 to 16384 each");
	bad("[gpu g]\nsize = 1024x 768\nguest = 1\n",
	    "t.conf:1: [gpu g]: size= is WIDTHxHEIGHT, 16 to 16384 each");
	bad("[console c]\nmode = stdio\nguest = 1\n",
	    "t.conf:2: [console c]: mode = stdio is for the command line only");
	bad("[backend]\nring-size = 3G\n",
	    "t.conf:2: ring-size '3G' is not 128K to 16M");
	/* 2^54 + 128 K: 2^64 + 128 Ki bytes, which wrapped to 128K */
	bad("[backend]\nring-size = 18014398509482112K\n",
	    "t.conf:2: ring-size '18014398509482112K' is not 128K to 16M");
	bad("[backend]\nring-size = 17592186044417M\n",
	    "t.conf:2: ring-size '17592186044417M' is not 128K to 16M");
	bad("[backend]\ncolour = red\n",
	    "t.conf:2: [backend]: unknown key 'colour' (ring-size, control, partner)");
	bad("[backend]\ncontrol = relative.sock\n",
	    "t.conf:2: control needs an absolute path of up to 91 bytes");
	bad("[backend]\npartner = 3\npartner = 3\n",
	    "t.conf:3: partner 3 is given twice");
	bad("[backend]\npartner = -18446744073709551615\n",
	    "t.conf:2: partner '-18446744073709551615' is not a domain id");
	{
		char nul[] = "[rng a]\nguest = 1\n\0\n";
		struct vb_text err2 = { 0 };
		struct conf *c2 = calloc(1, sizeof(*c2));

		r = conf_parse(c2, nul, sizeof(nul) - 1, "t.conf", &err2);
		ok(r < 0 && err2.buf &&
		   !strcmp(err2.buf, "t.conf:3: a NUL byte: this is not a text file\n"),
		   "a NUL byte: refused at its line");
		conf_free(c2);
		text_free(&err2);
	}
	{
		static char big[4096];
		struct vb_text err2 = { 0 };
		struct conf *c2 = calloc(1, sizeof(*c2));

		memset(big, 'x', sizeof(big) - 1);
		memcpy(big, "[rng a]\nguest = 1\n#", 19);
		r = conf_parse(c2, big, strlen(big), "t.conf", &err2);
		ok(r < 0 && err2.buf &&
		   !strcmp(err2.buf, "t.conf:3: line longer than 1024 bytes\n"),
		   "a line of 4 KiB: refused");
		if (err2.buf && strcmp(err2.buf, "t.conf:3: line longer than 1024 bytes\n"))
			printf("# got: %s", err2.buf);
		conf_free(c2);
		text_free(&err2);
	}
	{
		/* 200 errors: reported up to a bound, parsing stops */
		struct vb_text t = { 0 }, err2 = { 0 };
		struct conf *c2 = calloc(1, sizeof(*c2));
		unsigned int i, lines = 0;
		const char *p;

		for (i = 0; i < 200; i++)
			text_add(&t, "junk\n");
		r = conf_parse(c2, t.buf, t.len, "t.conf", &err2);
		for (p = err2.buf; p && *p; p++)
			lines += *p == '\n';
		ok(r < 0 && lines == 51 && strstr(err2.buf, "too many errors"),
		   "200 bad lines: 50 errors and 'too many errors' (%u lines)",
		   lines);
		conf_free(c2);
		text_free(&err2);
		text_free(&t);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void test_config_dir(void)
{
	char d[128], p[512];
	struct vb_text err = { 0 };
	struct conf *c;

	snprintf(d, sizeof(d), "%s/conf.d", dir);
	mkdir(d, 0700);
	snprintf(p, sizeof(p), "%s/20-web2.conf", d);
	write_file(p, "[rng web2-rng]\nguest = web2\n");
	snprintf(p, sizeof(p), "%s/10-web1.conf", d);
	write_file(p, "[backend]\nring-size = 512K\n[rng web1-rng]\nguest = web1\n");
	snprintf(p, sizeof(p), "%s/notes.txt", d);
	write_file(p, "not a configuration\n");
	snprintf(p, sizeof(p), "%s/.hidden.conf", d);
	write_file(p, "junk\n");
	c = conf_load(d, &err);
	ok(c && c->ndevs == 2 && !strcmp(c->devs[0]->name, "web1-rng") &&
	   !strcmp(c->devs[1]->name, "web2-rng") && c->set.ring_size == 512 << 10,
	   "a directory: its *.conf in sorted order, other files ignored");
	conf_free(c);
	snprintf(p, sizeof(p), "%s/30-again.conf", d);
	write_file(p, "\n[rng web1-rng]\nguest = 9\n");
	c = conf_load(d, &err);
	snprintf(p, sizeof(p),
		 "%s/30-again.conf:2: device name 'web1-rng' is already used at %s/10-web1.conf:3\n",
		 d, d);
	ok(!c && err.buf && !strcmp(err.buf, p),
	   "a name used in two files: refused, both places named");
	if (!c && err.buf && strcmp(err.buf, p))
		printf("# got: %s", err.buf);
	text_free(&err);
	c = conf_load("/nonexistent/backend.conf", &err);
	ok(!c && err.buf &&
	   !strcmp(err.buf, "/nonexistent/backend.conf: No such file or directory\n"),
	   "a file that is not there: refused, the path named");
	text_free(&err);
}

/* ---- the safe defaults at run time ---- */

static struct device *add(const char *kind, const char *arg)
{
	char err[256];
	struct device *d;

	if (!strcmp(kind, "blk"))
		d = blk_parse(arg, err, sizeof(err));
	else
		d = rng_parse(arg, err, sizeof(err));
	if (!d || backend_plug_device(&be, d, err, sizeof(err))) {
		printf("Bail out! %s %s: %s\n", kind, arg, err);
		exit(1);
	}
	return be.devs[be.ndev];
}

static void test_exclusive(void)
{
	char arg[200], want[512];
	const char *log;
	struct device *disk, *shared, *ro;

	backend_init(&be, &fake_ops, NULL);
	be.domain_name = fake_name;
	snprintf(arg, sizeof(arg), "%s", img);
	disk = add("blk", arg);
	snprintf(arg, sizeof(arg), "%s,shared", img);
	shared = add("blk", arg);
	snprintf(arg, sizeof(arg), "%s,ro", img);
	ro = add("blk", arg);
	log_new();
	ok(disk->exclusive && !shared->exclusive && !ro->exclusive,
	   "a writable disk is served one guest at a time; shared and read-only ones are not");

	guest_connect(5);
	ok(listed(5) == 0xE, "guest 5: GET_DEVICES lists the three disks");
	ok(dev_id(5, 1) == VIRTIO_ID_BLOCK, "guest 5: GET_DEVICE_INFO of the writable disk");
	ok(disk->holder && disk->holder->domid == 5,
	   "... which attaches it to guest 5");
	log = log_new();
	ok(strstr(log, "device 1 (blk1): attached to guest 5 (web1) (a writable disk goes to one guest at a time)\n") != NULL,
	   "the log says it is attached to guest 5 (web1)");
	ok(set_status(5, 1, 1) == 1, "guest 5: ACKNOWLEDGE");

	guest_connect(6);
	log_new();
	ok(listed(6) == 0xC, "guest 6: GET_DEVICES lists the shared and the read-only disk, not the held one");
	log = log_new();
	snprintf(want, sizeof(want),
		 "device 1 (blk1): refused to guest 6 (web2): guest 5 (web1) holds it (blk %s, 16 sectors, read-write, not shared)\n",
		 img);
	ok(strstr(log, want) != NULL, "the log says why: which disk, which guest holds it");
	ok(dev_id(6, 1) == 0,
	   "guest 6: GET_DEVICE_INFO of the held disk: all zero (no device)");
	ok(set_status(6, 1, 1) == 1000 + EBUSY,
	   "guest 6: SET_DEVICE_STATUS of it: ERROR EBUSY");
	ok(!strstr(log_new(), "refused"), "... the refusal is logged once");
	ok(dev_id(6, 2) == VIRTIO_ID_BLOCK && set_status(6, 2, 1) == 1 &&
	   dev_id(5, 2) == VIRTIO_ID_BLOCK,
	   "the shared disk serves both guests");

	/* guest 5 goes: guest 6 is told the disk is there */
	nrecs = 0;
	dead_dom = 5;
	set_status(5, 1, 3);
	dead_dom = 0;
	ok(!guest_find(&be, 5) && !disk->holder,
	   "guest 5 gone: the disk is free");
	ok(!strcmp(events(6), "1:1"), "guest 6 gets EVENT_DEVICE READY for it (%s)",
	   events(6));
	log = log_new();
	ok(strstr(log, "device 1 (blk1): released by guest 5 (web1)\n") != NULL,
	   "the log says guest 5 released it");
	ok(listed(6) == 0xE && dev_id(6, 1) == VIRTIO_ID_BLOCK &&
	   disk->holder == guest_find(&be, 6),
	   "guest 6 now lists it and holds it");
	guest_connect(7);
	log = log_new();
	ok(strstr(log, "guest 7 connected\n") != NULL && listed(7) == 0xC,
	   "guest 7 is refused it in turn");
	/* removing the held disk tells the others nothing more */
	nrecs = 0;
	backend_remove_device(&be, disk);
	backend_flush(&be);
	ok(!strcmp(events(6), "1:2") && !strcmp(events(7), ""),
	   "removing it: REMOVED to its holder, nothing to the guest refused it (%s / %s)",
	   events(6), events(7));
	/* a device unplugged by SIGUSR1, then removed: one REMOVED only */
	nrecs = 0;
	backend_hotplug(&be, false);
	backend_flush(&be);
	ok(!strcmp(events(6), "3:2"), "SIGUSR1 unplugs device 3: REMOVED (%s)",
	   events(6));
	nrecs = 0;
	backend_remove_device(&be, ro);
	backend_flush(&be);
	ok(!strcmp(events(6), "") && !backend_find_device(&be, "blk3"),
	   "removing it then: gone, no second REMOVED (%s)", events(6));
	backend_fini(&be);
	log_new();
}

static void test_names(void)
{
	const char *log;

	backend_init(&be, &fake_ops, NULL);
	be.domain_name = fake_name;
	add("rng", "guest=web1");		/* 1 */
	add("rng", "guest=7");			/* 2 */
	add("rng", "guest=any");		/* 3 */
	add("rng", "guest=web2,guest=7");	/* 4 */
	log_new();
	guest_connect(5);
	log = log_new();
	ok(strstr(log, "guest 5 (web1) connected\n") != NULL,
	   "the log names the guest: 'guest 5 (web1) connected'");
	ok(listed(5) == 0xA, "guest 5 (web1): its named device and any's");
	guest_connect(6);
	ok(listed(6) == 0x18, "guest 6 (web2): any's and the one for web2 or 7");
	guest_connect(7);
	log = log_new();
	ok(strstr(log, "guest 7: domain name unavailable (xenstore does not let this domain read it): it gets only the devices for any guest or for guest=7\n") != NULL &&
	   strstr(log, "guest 7 connected\n") != NULL,
	   "guest 7 (name unreadable): one line says why");
	ok(listed(7) == 0x1C, "guest 7: only the devices for its domid and any guest");
	/* web1 rebooted: a new domid, the same name */
	nrecs = 0;
	dead_dom = 5;
	set_status(5, 1, 0);
	dead_dom = 0;
	guest_connect(8);
	ok(!guest_find(&be, 5) && listed(8) == 0xA,
	   "web1 back as guest 8: its named device comes back");
	backend_fini(&be);
	log_new();
}

/* ---- reload ---- */

/* A display with vnc= brings an input device, which is no section's. */
static void test_reload_display(void)
{
	char path[128], text[256];
	struct vb_text out = { 0 };
	struct device *in;
	int r;

	backend_init(&be, &fake_ops, NULL);
	snprintf(path, sizeof(path), "%s/display.conf", dir);
	snprintf(text, sizeof(text),
		 "[gpu screen]\nvnc = unix:%s/vnc.sock\nguest = 5\n", dir);
	write_file(path, text);
	r = ctl_reload(&be, path, &out);
	text_free(&out);
	in = backend_find_device(&be, "screen-input");
	if (!r)
		r = ctl_reload(&be, path, &out);
	ok(!r && in && out.buf &&
	   !strcmp(out.buf, "0 added, 0 removed, 1 unchanged\nOK\n") &&
	   backend_find_device(&be, "screen-input") == in,
	   "a display with vnc=: a reload leaves it and its input device alone");
	text_free(&out);
	snprintf(text, sizeof(text),
		 "[gpu screen]\nvnc = unix:%s/vnc.sock\nguest = 5\n"
		 "[rng screen-input]\nguest = 5\n", dir);
	write_file(path, text);
	r = ctl_reload(&be, path, &out);
	ok(r < 0 && out.buf &&
	   strstr(out.buf, ": device 'screen-input' is the input device of a display: choose another name\nERROR nothing changed\n") &&
	   backend_find_device(&be, "screen-input") == in,
	   "a section named as a display's input device: refused, nothing changed");
	text_free(&out);
	backend_fini(&be);
	log_new();
}

/* Write @text to @path, reload it: the reply must be exactly @want. */
static void reload_says(const char *path, const char *text, const char *want,
			const char *what)
{
	struct vb_text out = { 0 };
	int r;

	write_file(path, text);
	r = ctl_reload(&be, path, &out);
	ok(!r && out.buf && !strcmp(out.buf, want), "%s", what);
	if (!out.buf || strcmp(out.buf, want))
		printf("# got: %s", out.buf ? out.buf : "");
	text_free(&out);
}

/* [backend] is taken at start: a reload that changes it says so. */
static void test_reload_settings(void)
{
	struct vb_settings started = { .ring_size = 1U << 20, .npartners = 2,
				       .partners = { 3, 4 } };
	char path[128];

	backend_init(&be, &fake_ops, NULL);
	ctl_settings_started(&be, &started);
	snprintf(path, sizeof(path), "%s/settings.conf", dir);
	reload_says(path,
		    "[backend]\nring-size = 1M\npartner = 4\npartner = 3\n"
		    "[rng r]\nguest = any\n",
		    "added r\n1 added, 0 removed, 0 unchanged\nOK\n",
		    "a reload with the [backend] it started with (partners reordered): no word of it");
	reload_says(path,
		    "[backend]\nring-size = 2M\npartner = 3\n"
		    "control = /run/x.sock\n[rng r]\nguest = any\n",
		    "0 added, 0 removed, 1 unchanged\n"
		    "[backend] ring-size, control, partner changed: a reload cannot apply them; they take effect at the next start, unless the command line sets them\nOK\n",
		    "a reload that changes [backend]: it says which settings wait for a restart");
	reload_says(path,
		    "[backend]\nring-size = 1M\npartner = 3\npartner = 4\n"
		    "control = /run/x.sock\n[rng r]\nguest = any\n",
		    "0 added, 0 removed, 1 unchanged\n"
		    "[backend] control changed: a reload cannot apply it; it takes effect at the next start, unless the command line sets it\nOK\n",
		    "one [backend] setting changed: named alone");
	backend_fini(&be);
	log_new();
}

static void test_reload(void)
{
	char path[128], text[1024], want[1024];
	struct vb_text out = { 0 };
	struct device *keep, *keep_ro;
	int r;

	backend_init(&be, &fake_ops, NULL);
	be.domain_name = fake_name;
	add("rng", "guest=any");		/* a command-line device, 1 */
	snprintf(path, sizeof(path), "%s/backend.conf", dir);
	snprintf(text, sizeof(text),
		 "[rng keep]\nguest = web1\n"
		 "[blk disk]\npath = %s\nreadonly = yes\nguest = web1\n"
		 "[rng gone]\nguest = web1\n", img);
	write_file(path, text);
	r = ctl_reload(&be, path, &out);
	ok(r == 0 && out.buf &&
	   !strcmp(out.buf, "added keep\nadded disk\nadded gone\n3 added, 0 removed, 0 unchanged\nOK\n"),
	   "the first load adds the three devices");
	text_free(&out);
	keep = backend_find_device(&be, "keep");
	keep_ro = backend_find_device(&be, "disk");
	guest_connect(5);
	ok(listed(5) == 0x1E, "guest 5 (web1) lists them (2-4) and the command line's (1)");
	ok(dev_id(5, 2) == VIRTIO_ID_RNG && set_status(5, 2, 3) == 3,
	   "guest 5 drives 'keep' (status 3)");

	/* keep: the same; disk: changed; gone: gone; new: new */
	snprintf(text, sizeof(text),
		 "# reordered and reformatted, the same settings\n"
		 "[rng new]\nguest = web1\n"
		 "[blk disk]\npath = %s\nreadonly = yes\nserial = s2\nguest = web1\n"
		 "[rng keep]\n  guest   =   web1   # same\n", img);
	write_file(path, text);
	nrecs = 0;
	r = ctl_reload(&be, path, &out);
	backend_flush(&be);
	ok(r == 0 && out.buf &&
	   !strcmp(out.buf, "removed disk (changed)\nremoved gone\nadded new\nadded disk\n2 added, 2 removed, 1 unchanged\nOK\n"),
	   "the reload: a changed device removed and added, one gone, one new, one unchanged");
	text_free(&out);
	ok(backend_find_device(&be, "keep") == keep && keep->dev_num == 2,
	   "the unchanged device is the same device, the same number");
	ok(!strcmp(events(5), "3:2 4:2 5:1 6:1"),
	   "guest 5's events: REMOVED 3 and 4, READY 5 and 6, none for the unchanged 2 (%s)",
	   events(5));
	ok(keep->insts.next != &keep->insts && set_status(5, 2, 7) == 7,
	   "the unchanged device's instance kept its state (status 3, then 7)");
	ok(backend_find_device(&be, "disk") != keep_ro &&
	   backend_find_device(&be, "disk")->dev_num == 6 &&
	   !backend_find_device(&be, "gone"),
	   "the changed device has a new number (6); the one gone is gone");

	/* a file with an error changes nothing */
	write_file(path, "[rng keep]\nguest = web1\n[rng x]\n");
	nrecs = 0;
	r = ctl_reload(&be, path, &out);
	backend_flush(&be);
	snprintf(want, sizeof(want),
		 "%s:3: [rng x]: no guest: say which guests get it ('guest = NAME' or 'guest = DOMID', repeatable), or 'guest = any' for every guest\nERROR %s has errors: nothing changed\n",
		 path, path);
	ok(r < 0 && out.buf && !strcmp(out.buf, want) && nrecs == 0 &&
	   backend_find_device(&be, "new"),
	   "a reload of a bad file: its errors, nothing changed, no event");
	text_free(&out);
	/* a configured name taken by the command line's device */
	write_file(path, "[rng rng1]\nguest = 5\n");
	r = ctl_reload(&be, path, &out);
	snprintf(want, sizeof(want),
		 "%s:1: device 'rng1' is a device of the command line: remove it first\nERROR nothing changed\n",
		 path);
	ok(r < 0 && out.buf && !strcmp(out.buf, want) &&
	   backend_find_device(&be, "keep"),
	   "a configured name that the command line uses: refused, nothing changed");
	if (!out.buf || strcmp(out.buf, want))
		printf("# got: %s", out.buf ? out.buf : "");
	text_free(&out);
	r = ctl_reload(&be, NULL, &out);
	ok(r < 0 && out.buf &&
	   !strcmp(out.buf, "ERROR no configuration file to reload (the backend was not started with --config)\n"),
	   "reload without --config: an error");
	text_free(&out);
	backend_fini(&be);
	log_new();
}

/* ---- the control socket ---- */

static struct ctl_server *srv;
static volatile sig_atomic_t pump_stop;
static unsigned int pump_rounds;
static pid_t pump_child = -1;
static int pump_status;

static int pump_timeout(void *ctx)
{
	(void)ctx;
	return 50;
}

static void pump_round(void *ctx)
{
	(void)ctx;
	ctl_tick(srv);
	backend_flush(&be);
	if (pump_child > 0 &&
	    waitpid(pump_child, &pump_status, WNOHANG) == pump_child)
		pump_child = -1;
	if (++pump_rounds >= 40 && pump_child < 0)
		pump_stop = 1;
}

/* Run the loop for about 2 s, or until a child client exits. */
static void pump(void)
{
	struct loop_hooks h = { pump_timeout, pump_round, NULL };

	pump_stop = 0;
	pump_rounds = 0;
	loop_run(&h, &pump_stop);
}

/* Send @req from a new socketpair client; the buf (until EOF). */
static const char *ask_full(const char *req, size_t len, bool eof)
{
	static char buf[65536];
	size_t n = 0;
	int sv[2];

	buf[0] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return "socketpair failed";
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	ctl_attach(srv, sv[0]);
	/* a refused client finds the socket closed: read what it said */
	if (len && write(sv[1], req, len) < 0 && errno != EPIPE)
		printf("# write: %s\n", strerror(errno));
	if (eof)
		shutdown(sv[1], SHUT_WR);
	pump();
	for (;;) {
		ssize_t r = read(sv[1], buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	close(sv[1]);
	return buf;
}

static const char *ask(const char *req)
{
	return ask_full(req, strlen(req), false);
}

static void test_control(void)
{
	char want[2048], sock[128];
	const char *r;
	struct stat st;
	int sv[CTL_TEST_CLIENTS][2], i;

	backend_init(&be, &fake_ops, NULL);
	be.domain_name = fake_name;
	add("rng", "guest=any");
	srv = ctl_new(&be, NULL);
	guest_connect(5);
	guest_connect(7);
	dev_id(5, 1);
	r = ask("list\n");
	ok(!strcmp(r, "guest 5 name=web1 state=connected devices=1\n"
		      "guest 7 name=- state=connected devices=1\n"
		      "device 1 name=rng1 type=rng guest=any state=ready instances=5,7 requests=0 bytes=0 errors=0 from=cmdline\n"
		      "OK\n"),
	   "list: guests and devices, then OK");
	if (strncmp(r, "guest 5", 7))
		printf("# %s", r);
	nrecs = 0;
	r = ask("add rng extra guest=web1\n");
	ok(!strcmp(r, "added extra (device 2)\nOK\n") &&
	   !strcmp(events(5), "2:1") && !strcmp(events(7), ""),
	   "add TYPE NAME KEY=VALUE: added, READY to web1 only");
	r = "add\n[blk d2]\npath = /nonexistent/x.img\nguest = 5\n";
	r = ask_full(r, strlen(r), true);
	ok(!strcmp(r, "ERROR d2: /nonexistent/x.img: No such file or directory\n"),
	   "add of a section whose image is missing: ERROR, why");
	r = ask("add rng extra guest=5\n");
	ok(!strcmp(r, "ERROR extra: a device named 'extra' exists\n"),
	   "add of a name in use: ERROR");
	r = ask("add blk d3 path=/x guest=any\n");
	snprintf(want, sizeof(want),
		 "add:3: [blk d3]: a writable disk for more than one guest needs 'shared = yes' (guests writing one image at once corrupt it unless they share it on purpose, e.g. with a cluster file system)\nERROR the device is not valid\n");
	ok(!strcmp(r, want), "add of a writable disk for any guest: the configuration's rule, ERROR");
	if (strcmp(r, want))
		printf("# got: %s", r);
	r = ask("add rng nobody\n");
	ok(!strncmp(r, "add:1: [rng nobody]: no guest", 29) &&
	   strstr(r, "\nERROR the device is not valid\n"),
	   "add without a guest: refused");
	nrecs = 0;
	r = ask("remove extra\n");
	ok(!strcmp(r, "removed extra (device 2)\nOK\n") &&
	   !strcmp(events(5), "2:2") && !backend_find_device(&be, "extra"),
	   "remove NAME: REMOVED to its guest, gone");
	r = ask("remove extra\n");
	ok(!strcmp(r, "ERROR no device named 'extra'\n"), "remove of a name not there: ERROR");
	r = ask("remove\n");
	ok(!strcmp(r, "ERROR remove needs a device name\n"), "remove without a name: ERROR");
	r = ask("remove a b\n");
	ok(!strcmp(r, "ERROR remove takes one device name\n"), "remove with two names: ERROR");
	r = ask("list all\n");
	ok(!strcmp(r, "ERROR list takes no argument\n"), "list with an argument: ERROR");
	r = ask("frobnicate\n");
	ok(!strcmp(r, "ERROR unknown command 'frobnicate' (list, add, remove, reload)\n"),
	   "an unknown command: ERROR");
	r = ask("reload\n");
	ok(!strcmp(r, "ERROR no configuration file to reload (the backend was not started with --config)\n"),
	   "reload without a configuration: ERROR");
	r = ask_full("list", 4, true);
	ok(!strncmp(r, "guest 5", 7) && strstr(r, "\nOK\n"),
	   "a request ended by EOF rather than a newline is served");
	r = ask_full("li\0st\n", 6, true);
	ok(!strcmp(r, "ERROR empty or binary request\n"), "a NUL in a request: ERROR");
	r = ask_full("", 0, true);
	ok(!strcmp(r, "ERROR empty or binary request\n"), "an empty request: ERROR");
	{
		static char big[40000];

		memset(big, 'a', sizeof(big));
		r = ask_full(big, sizeof(big), true);
		ok(!strcmp(r, "ERROR request longer than 16384 bytes\n"),
		   "a 40000-byte request: ERROR, the backend reads on and stays up");
	}
	/* a section left open (no shutdown(SHUT_WR)): told why at the deadline */
	ctl_set_timeout(srv, 300);
	r = ask("add\n[rng late]\nguest = 5\n");
	ok(!strcmp(r, "ERROR request not finished within 0.3 s: a request ends with a newline, an 'add' section when the client closes its side\n") &&
	   !backend_find_device(&be, "late"),
	   "an 'add' section never ended: ERROR at the deadline, nothing added");
	if (strncmp(r, "ERROR request not finished", 26))
		printf("# got: %s", r);
	ctl_set_timeout(srv, 10000);
	/* clients that never finish do not hold the others up */
	for (i = 0; i < CTL_TEST_CLIENTS; i++) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]);
		ctl_attach(srv, sv[i][0]);
		if (write(sv[i][1], "li", 2) < 0)
			break;
	}
	r = ask("list\n");
	ok(!strcmp(r, "ERROR busy: too many control clients\n"),
	   "a ninth client while eight are half-way: 'busy'");
	if (strcmp(r, "ERROR busy: too many control clients\n"))
		printf("# got: %s", r);
	close(sv[0][1]);
	pump();
	r = ask("list\n");
	ok(strstr(r, "\nOK\n") != NULL,
	   "one of them hangs up: the next client is served");
	for (i = 1; i < CTL_TEST_CLIENTS; i++)
		close(sv[i][1]);
	pump();
	ctl_free(srv);

	/* the socket itself, and the ctl client against it */
	snprintf(sock, sizeof(sock), "%s/run/control.sock", dir);
	srv = ctl_new(&be, NULL);
	{
		char err[256] = "";

		ok(!ctl_listen(srv, sock, err, sizeof(err)) && !stat(sock, &st) &&
		   S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
		   "ctl_listen: a socket of mode 0600 (%s)", err);
	}
	{
		struct ctl_server *two = ctl_new(&be, NULL);
		char err[256] = "";

		ok(ctl_listen(two, sock, err, sizeof(err)) &&
		   strstr(err, "another backend listens there"),
		   "a second backend on the same path is refused: %s", err);
		ctl_free(two);
		ok(!stat(sock, &st), "... and the first one's socket stays");
	}
	{
		char out[128];
		FILE *f;

		snprintf(out, sizeof(out), "%s/ctl.out", dir);
		pump_child = fork();
		if (!pump_child) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			dup2(fd, 1);
			_exit(ctl_client(sock, "list\n"));
		}
		pump();
		f = fopen(out, "r");
		want[0] = '\0';
		if (f) {
			size_t n = fread(want, 1, sizeof(want) - 1, f);

			want[n] = '\0';
			fclose(f);
		}
		ok(WIFEXITED(pump_status) && WEXITSTATUS(pump_status) == 0 &&
		   !strncmp(want, "guest 5 name=web1", 17) && !strstr(want, "OK"),
		   "ctl list against the socket: exit 0, the lines without the status line");
	}
	ctl_free(srv);
	ok(stat(sock, &st) && errno == ENOENT, "the socket is removed at exit");
	backend_fini(&be);
	log_new();
}

int main(void)
{
	char logpath[128];
	int fd;

	/* a client hanging up is an error on that write, as in main.c */
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test_service.%d", (int)getpid());
	if (mkdir(dir, 0700)) {
		printf("Bail out! %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	fd = open(img, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 16 * 512)) {
		printf("Bail out! %s: %s\n", img, strerror(errno));
		return 1;
	}
	close(fd);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	if (!freopen(logpath, "w+", stderr)) {
		printf("Bail out! %s: %s\n", logpath, strerror(errno));
		return 1;
	}
	setvbuf(stderr, NULL, _IONBF, 0);
	logf = fopen(logpath, "r");
	if (!logf)
		return 1;

	printf("TAP version 13\n");
	test_config();
	test_config_dir();
	test_exclusive();
	test_names();
	test_reload();
	test_reload_display();
	test_reload_settings();
	test_control();

	fclose(logf);
	if (!failures) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			printf("# %s not removed\n", dir);
	}
	printf("1..%d\n", testno);
	return failures ? 1 : 0;
}
