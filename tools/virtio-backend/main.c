// SPDX-License-Identifier: GPL-2.0
/*
 * argo-virtio-backend: the device side of VirtIO over Argo.
 *
 * Guests running virtio-argo.ko send the bytes of their virtqueue chains
 * in Argo messages to port 0x76690001 of this domain; this program
 * implements the devices (virtio-blk on an image, virtio-console,
 * virtio-gpu 2D, virtio-net on a TAP interface, virtio-rng) and sends
 * back what the devices write.  The protocol, and every choice this
 * backend makes where the protocol leaves one open (device numbers, limits, errors, guests,
 * backpressure), is docs/virtio-argo-protocol.md (its appendix A) and
 * nowhere else; its framing and checks are virtio-argo/check.c, shared
 * with the guest.  This file: options, setup, shutdown.  Below: what the
 * device models do, which is device behaviour, not protocol.
 *
 * Devices
 *  - blk: every reply covers all in_len writable bytes with the status
 *    byte last (the transport writes replies from the start of the
 *    buffers); a request with in_len 0 is completed empty; out_len below
 *    16 is IOERR; reads and writes must be whole sectors inside the disk
 *    (else IOERR); unknown types are UNSUPP.  seg_max 126.  Discard and
 *    write zeroes: up to 32 ranges of up to 2^22 sectors, alignment 8
 *    sectors; any flag on a discard, or an unknown flag, is UNSUPP.
 *    Discard, and write zeroes with UNMAP, punch a hole; write zeroes
 *    without UNMAP zeroes the range (FALLOC_FL_ZERO_RANGE); where the
 *    file or device cannot, zeroes are written, so a discarded range
 *    always reads back as zeroes (slow on such storage: mkfs discards
 *    the whole disk).  A read-only disk offers RO and not DISCARD or
 *    WRITE_ZEROES, and fails writes, discards and write zeroes with
 *    IOERR.  The default serial (GET_ID) is "argo-blkN".  A trailing
 *    partial sector of an image is not exposed.  I/O is synchronous.
 *  - console: no feature by default (the port is an hvc console); with
 *    "port[=NAME]" MULTIPORT and one generic port 0, 4 queues, PORT_ADD
 *    on DEVICE_READY, PORT_NAME and PORT_OPEN on PORT_READY, never
 *    CONSOLE_PORT.  Config max_nr_ports 1, cols/rows 0.  Echo mode
 *    buffers 256 KiB per guest; the other modes buffer 64 KiB each way
 *    and are attached to one guest at a time (see console.c).  Output
 *    with nowhere to go is discarded; input is never dropped.
 *  - rng: each buffer is filled completely.
 *  - gpu: 2D only (no feature bit), one scanout, display mode 1024x768
 *    unless size=, num_capsets 0, no display events.  Transfers read the
 *    guest's backing pages through memory windows (window.h); a guest
 *    without them gets ERR_UNSPEC for every transfer and one line.  The
 *    controlq runs one command at a time (a transfer waiting for guest
 *    memory holds the later ones back, so fences stay in order).  Up to
 *    256 MiB and 16384 resources per guest; every error answer is listed
 *    at the top of gpu.c.  png=DIR writes DIR/gpu-DOMID.png (RGB,
 *    uncompressed; written as .tmp and renamed) when the display changes,
 *    at most every 200 ms, the last change always.
 *  - net: one TAP per guest (tap=NAME, "%d" the domid), opened when the
 *    guest connects and closed when it goes; a device offered to more
 *    than one guest needs "%d" in NAME and gets per-guest MACs (the last
 *    two bytes the domid).  A TAP (or bridge=) that fails makes that
 *    guest's instance DEVICE_NEEDS_RESET; it is tried again when the
 *    driver restarts the device after a reset, as is a TAP deleted under
 *    us (until then: link down, transmitted frames dropped).  Features
 *    MAC, STATUS, MRG_RXBUF, CSUM, GUEST_CSUM, HOST_TSO4/6, GUEST_TSO4/6
 *    (and MTU with mtu=); one queue pair, no control queue.  Config
 *    status is LINK_UP while the TAP is up and running, followed through
 *    netlink.  Offloads (TUNSETOFFLOAD) follow the driver's features from
 *    DRIVER_OK on, none before.  Receive buffers are held until a frame
 *    comes; the TAP is read only while we hold some (and the guest's
 *    output is below 1 MiB), so frames wait in the kernel, not here.
 *    Without MRG_RXBUF a frame larger than the first buffer is dropped;
 *    with it, a frame needing more buffers than we hold waits for them
 *    (dropped only if the queue's size could never hold it).  A receive
 *    buffer under 12 bytes is a driver error (DEVICE_NEEDS_RESET).
 *    Transmit chains under 12 + 14 bytes or over 12 bytes + 64 KiB + 18,
 *    or whose header asks an offload not negotiated, are dropped and
 *    completed (counted, rate-limited line); used length is always 0.
 *
 * Other limits: 64 devices; --ring-size from 128 KiB to 16 MiB.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend.h"
#include "argo_io.h"

#define DEFAULT_RING_SIZE	(1U << 20)
#define MAX_PARTNERS		VB_PARTNERS_MAX
/* Where the control socket is with --config, and where ctl looks. */
#define DEFAULT_CONTROL		"/run/virtio-argo/control.sock"

static const char usage_text[] =
"usage: " VB_NAME " [OPTIONS] DEVICE...\n"
"       " VB_NAME " --config FILE|DIR [OPTIONS] [DEVICE...]\n"
"       " VB_NAME " ctl [--control PATH] list|add ...|remove NAME|reload\n"
"\n"
"The device side of VirtIO over Argo: guests running virtio-argo.ko find\n"
"the devices below on Argo port 0x76690001 of this domain.  Every device is\n"
"offered to every guest that connects (unless guest= restricts it), and\n"
"each guest gets its own instance of it.  Devices are numbered 1, 2, ...\n"
"in the order given.\n"
"\n"
"devices:\n"
"  --blk PATH[,ro][,shared][,serial=S][,guest=DOMID]\n"
"        virtio-blk on a raw image file or block device; ro: read-only;\n"
"        serial: the id string (up to 20 characters, default argo-blkN).\n"
"        A writable disk is attached to one guest at a time (the first\n"
"        whose driver asks; the others are refused, and the log says so)\n"
"        unless shared: then every guest it is for writes it at once\n"
"  --console MODE[,port[=NAME]|,hvc][,guest=DOMID]\n"
"        virtio-console, one port; MODE is one of\n"
"          stdio       standard input to the guest, its output to stdout\n"
"          pty         a new pseudo-terminal, whose path is printed\n"
"          unix:PATH   a unix socket listening at PATH, one client at a time\n"
"          echo        what the guest writes comes back to it\n"
"        The port is a generic virtio-serial port (MULTIPORT; /dev/vportNp0,\n"
"        /dev/virtio-ports/NAME with port=NAME), which programs can open.\n"
"        hvc makes it the guest's hvc console (/dev/hvcN) instead; the\n"
"        guest's virtio_console then busy-waits with interrupts off for\n"
"        every write, which can hang a guest using virtio-argo.\n"
"  --net tap=NAME[,mac=MAC][,bridge=BR][,mtu=N][,guest=DOMID]\n"
"        virtio-net on a TAP interface per guest, created (or attached to,\n"
"        if it is a persistent TAP) when the guest connects and closed when\n"
"        it goes; %d in NAME is the guest's domid (needed unless one guest=\n"
"        is given).  mac: the guest's address (default 02:41:52:47:00:00;\n"
"        offered to several guests, the last two bytes are the domid);\n"
"        bridge: add the TAP to that existing bridge; mtu: the MTU of the\n"
"        TAP, offered to the guest.  The TAP is brought up; its link state\n"
"        is the guest's carrier.  Needs CAP_NET_ADMIN\n"
"  --rng[,guest=DOMID]\n"
"        virtio-rng, from the kernel's random source\n"
"  --gpu [png=DIR][,vnc=PORT|ADDR:PORT|unix:PATH][,size=WxH][,guest=DOMID]\n"
"        virtio-gpu, 2D, one display (size: its mode, default 1024x768);\n"
"        png: write each guest's display to DIR/gpu-DOMID.png when it\n"
"        changes (at most every 200 ms).  vnc: serve the display to VNC\n"
"        viewers there (PORT is on 127.0.0.1; no authentication: use ssh\n"
"        or the socket's permissions), with a virtio-input keyboard and\n"
"        pointer for the guest as the next device; needs one guest=.\n"
"        Needs guests whose virtio-argo has memory windows: without them\n"
"        the display stays black\n"
"  guest=DOMID (repeatable) offers the device to those domains only;\n"
"  guest=NAME names a domain by its Xen name (read from xenstore when it\n"
"  connects: it follows the domain across reboots); guest=any: every one.\n"
"\n"
"options:\n"
"  --config FILE|DIR  devices and settings from a configuration file (or\n"
"                    every DIR/*.conf, sorted); see docs/virtio-argo.md.\n"
"                    Every device there must name its guests.  SIGHUP or\n"
"                    `ctl reload` reads it again: devices gone are\n"
"                    removed, new ones added, unchanged ones untouched\n"
"  --check-config    check the configuration, print its devices, exit\n"
"                    (0: good, 2: errors, each as FILE:LINE: message)\n"
"  --control PATH    the control socket (default with --config:\n"
"                    " DEFAULT_CONTROL "; without: none)\n"
"  --partner DOMID   serve DOMID through a ring only it may fill (for Xen\n"
"                    without mac-permissive); repeat for more domains.\n"
"                    Default: one ring any domain may fill\n"
"  --ring-size N     receive ring bytes per ring (suffix K or M; default 1M,\n"
"                    128K to 16M)\n"
"  -v, --verbose     log every request\n"
"  -h, --help        this text\n"
"\n"
"control (" VB_NAME " ctl [--control PATH] COMMAND):\n"
"  list              guests (domid, name, state) and devices (name, type,\n"
"                    guests, state, requests, bytes, errors)\n"
"  add TYPE NAME KEY=VALUE...   hot-plug a device, keys as in a [TYPE NAME]\n"
"                    section (add alone reads a section on standard input)\n"
"  remove NAME       hot-unplug a device (guests get EVENT_DEVICE REMOVED)\n"
"  reload            read the configuration again (as SIGHUP)\n"
"\n"
"SIGUSR1 hot-unplugs the highest-numbered device still present (guests\n"
"get EVENT_DEVICE REMOVED; their outstanding requests are dropped), SIGUSR2\n"
"plugs back the lowest-numbered unplugged one (EVENT_DEVICE READY).\n"
"Logs go to stderr.  SIGINT or SIGTERM stops the backend (exit status 0);\n"
"bad usage or configuration exits with 2, other failures with 1.  Needs\n"
"read-write access to /dev/argo and to the images, and CAP_NET_ADMIN for\n"
"--net; nothing else.\n";

static volatile sig_atomic_t stop, hotplug, reload;

static void on_signal(int sig)
{
	stop = sig;
}

static void on_hotplug(int sig)
{
	hotplug = sig;
}

static void on_reload(int sig)
{
	reload = sig;
}

static void __attribute__((noreturn)) usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", VB_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", VB_NAME);
	exit(2);
}

/*
 * Does argv[*i] name option @name?  Its value is what follows "=" or the
 * next argument.
 */
static bool opt_value(int argc, char **argv, int *i, const char *name,
		      const char **val)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return false;
	if (a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	if (a[n])
		return false;
	if (*i + 1 >= argc)
		usage_error("%s needs a value", name);
	*val = argv[++*i];
	return true;
}

static unsigned long parse_num(const char *s, const char *what,
			       unsigned long max)
{
	unsigned long v;

	if (vb_parse_num(s, 0, max, &v, NULL))
		usage_error("bad %s '%s'", what, s);
	return v;
}

static uint32_t parse_size(const char *s)
{
	uint32_t v;

	if (vb_parse_ring_size(s, &v))
		usage_error("ring size '%s' is not 128K to 16M", s);
	return v;
}

struct options {
	uint16_t partners[MAX_PARTNERS];
	unsigned int npartners;
	uint32_t ring_size;
	const char *config;
	const char *control;
	bool check_config;
};

static void add_device(struct backend *be, struct device *d, const char *opt,
		       const char *err)
{
	int r;

	if (!d)
		usage_error("%s: %s", opt, err);
	r = backend_add_device(be, d);
	if (r == -EEXIST)
		usage_error("%s: a device named '%s' exists", opt, d->name);
	if (r < 0)
		usage_error("too many devices (at most %u)", VA_MAX_DEVICES);
}

/* A display, and with vnc= its keyboard and pointer, the next device. */
static void add_gpu(struct backend *be, struct device *d, const char *err)
{
	struct device *in;

	add_device(be, d, "--gpu", err);
	in = gpu_input_wanted(d);
	if (in) {
		d->companion = in;
		add_device(be, in, "--gpu", "");
	}
}

static void parse_args(int argc, char **argv, struct backend *be,
		       struct options *o)
{
	char err[256];
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		unsigned int j;

		err[0] = '\0';
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			backend_fini(be);
			exit(0);
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			vb_verbose++;
		} else if (opt_value(argc, argv, &i, "--blk", &val)) {
			add_device(be, blk_parse(val, err, sizeof(err)), "--blk",
				   err);
		} else if (opt_value(argc, argv, &i, "--console", &val)) {
			add_device(be, console_parse(val, err, sizeof(err)),
				   "--console", err);
		} else if (opt_value(argc, argv, &i, "--net", &val)) {
			add_device(be, net_parse(val, err, sizeof(err)), "--net",
				   err);
		} else if (!strcmp(a, "--rng")) {
			add_device(be, rng_parse(NULL, err, sizeof(err)),
				   "--rng", err);
		} else if (!strncmp(a, "--rng,", 6) || !strncmp(a, "--rng=", 6)) {
			add_device(be, rng_parse(a + 6, err, sizeof(err)),
				   "--rng", err);
		} else if (!strcmp(a, "--gpu")) {
			/* its options are optional: the next word, if not one */
			val = NULL;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				val = argv[++i];
			add_gpu(be, gpu_parse(val, err, sizeof(err)), err);
		} else if (!strncmp(a, "--gpu,", 6) || !strncmp(a, "--gpu=", 6)) {
			add_gpu(be, gpu_parse(a + 6, err, sizeof(err)), err);
		} else if (opt_value(argc, argv, &i, "--partner", &val)) {
			uint16_t d = parse_num(val, "domain id", 0x7FEF);

			for (j = 0; j < o->npartners; j++)
				if (o->partners[j] == d)
					usage_error("--partner %u given twice", d);
			if (o->npartners == MAX_PARTNERS)
				usage_error("at most %u --partner", MAX_PARTNERS);
			o->partners[o->npartners++] = d;
		} else if (opt_value(argc, argv, &i, "--ring-size", &val)) {
			o->ring_size = parse_size(val);
		} else if (opt_value(argc, argv, &i, "--config", &val)) {
			o->config = val;
		} else if (opt_value(argc, argv, &i, "--control", &val)) {
			if (val[0] != '/' || strlen(val) > VB_CONTROL_PATH_MAX)
				usage_error("--control needs an absolute path of up to %u bytes",
					    VB_CONTROL_PATH_MAX);
			o->control = val;
		} else if (!strcmp(a, "--check-config")) {
			o->check_config = true;
		} else {
			usage_error("unknown argument '%s'", a);
		}
	}
	if (!be->ndev && !o->config)
		usage_error("no device: give at least one --blk, --console, --gpu, --net or --rng, or --config");
	if (o->check_config && !o->config)
		usage_error("--check-config needs --config");
}

/*
 * The configuration's devices join the command line's (after them) and
 * its [backend] settings apply where the command line gave none.  Bad
 * configuration: every error, then exit 2.
 */
static void load_config(struct backend *be, struct options *o)
{
	struct vb_text err = { 0 };
	struct conf *c = conf_load(o->config, &err);
	unsigned int i;

	if (!c) {
		fputs(err.buf ? err.buf : "", stderr);
		fprintf(stderr, "%s: %s: bad configuration\n", VB_NAME,
			o->config);
		text_free(&err);
		backend_fini(be);
		exit(2);
	}
	text_free(&err);
	ctl_settings_started(be, &c->set);
	if (!o->ring_size)
		o->ring_size = c->set.ring_size;
	if (!o->npartners) {
		memcpy(o->partners, c->set.partners, sizeof(c->set.partners));
		o->npartners = c->set.npartners;
	}
	if (!o->control && c->set.control[0]) {
		static char control[VB_CONTROL_MAX];

		snprintf(control, sizeof(control), "%s", c->set.control);
		o->control = control;
	}
	for (i = 0; i < c->ndevs; i++) {
		struct device *d = c->devs[i], *in;
		int r;

		c->devs[i] = NULL;
		r = backend_add_device(be, d);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", c->where[i],
				r == -EEXIST ? "a command-line device has that name" :
				"too many devices");
			device_free(d);
			conf_free(c);
			backend_fini(be);
			exit(2);
		}
		in = gpu_input_wanted(d);
		if (in) {
			d->companion = in;
			in->origin = d->origin;
			snprintf(in->name, sizeof(in->name), "%.*s-input",
				 (int)sizeof(in->name) - 7, d->name);
			if (backend_add_device(be, in) < 0) {
				fprintf(stderr, "%s: too many devices\n",
					c->where[i]);
				device_free(in);
				d->companion = NULL;
				conf_free(c);
				backend_fini(be);
				exit(2);
			}
		}
	}
	conf_free(c);
}

/* --check-config: what the backend would serve, one line a device. */
static void print_devices(struct backend *be)
{
	unsigned int i;

	for (i = 1; i <= be->ndev; i++) {
		const struct device *d = be->devs[i];

		if (d->spec)
			printf("device %u %s: %s\n", d->dev_num, d->name,
			       d->spec);
		else
			printf("device %u %s: %s (command line)\n",
			       d->dev_num, d->name, d->ops->kind);
	}
	printf("%u device%s, configuration OK\n", be->ndev,
	       be->ndev == 1 ? "" : "s");
}

/* argo-virtio-backend ctl [--control PATH] COMMAND [ARG...] */
static int ctl_main(int argc, char **argv)
{
	const char *path = DEFAULT_CONTROL;
	struct vb_text req = { 0 };
	int i = 2, r;

	if (i < argc && !strncmp(argv[i], "--control", 9)) {
		if (argv[i][9] == '=') {
			path = argv[i] + 10;
		} else if (!argv[i][9] && i + 1 < argc) {
			path = argv[++i];
		} else {
			fprintf(stderr, "%s ctl: --control needs a path\n",
				VB_NAME);
			return 2;
		}
		i++;
	}
	if (i >= argc || !strcmp(argv[i], "-h") ||
	    !strcmp(argv[i], "--help")) {
		fprintf(i >= argc ? stderr : stdout,
			"usage: %s ctl [--control PATH] list|add TYPE NAME KEY=VALUE...|add (a section on stdin)|remove NAME|reload\n",
			VB_NAME);
		return i >= argc ? 2 : 0;
	}
	for (; i < argc; i++)
		text_add(&req, "%s%s", req.len ? " " : "", argv[i]);
	if (!strcmp(req.buf, "add")) {
		char buf[4096];
		size_t n;

		/* the section comes on standard input */
		text_add(&req, "\n");
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			text_add(&req, "%.*s", (int)n, buf);
	}
	text_add(&req, "\n");
	if (req.full) {
		fprintf(stderr, "%s ctl: request too long\n", VB_NAME);
		text_free(&req);
		return 2;
	}
	r = ctl_client(path, req.buf);
	text_free(&req);
	return r;
}

struct run_ctx {
	struct backend *be;
	struct argo_io *io;
	struct ctl_server *ctl;
	const char *config;
};

/* The nearest of the transport's timers and the gpu's PNG writes. */
static int loop_timeout(void *ctx)
{
	struct run_ctx *rc = ctx;
	int a = argo_io_timeout(rc->io), b = gpu_timeout_ms(rc->be);
	int c = ctl_timeout_ms(rc->ctl);

	if (a < 0 || (b >= 0 && b < a))
		a = b;
	if (a < 0 || (c >= 0 && c < a))
		a = c;
	return a;
}

/* After each poll() round: retry timers, then send what was queued. */
static void loop_round(void *ctx)
{
	struct run_ctx *rc = ctx;

	argo_io_tick(rc->io);
	gpu_tick(rc->be);
	gpu_rfb_tick(rc->be);
	if (hotplug) {
		backend_hotplug(rc->be, hotplug == SIGUSR2);
		hotplug = 0;
	}
	if (reload) {
		struct vb_text out = { 0 };

		reload = 0;
		ctl_reload(rc->be, rc->config, &out);
		text_free(&out);
	}
	if (rc->ctl)
		ctl_tick(rc->ctl);
	backend_flush(rc->be);
}

int main(int argc, char **argv)
{
	struct options o = { .ring_size = DEFAULT_RING_SIZE };
	struct loop_hooks hooks;
	struct sigaction sa;
	struct run_ctx rc;
	struct backend be;
	sigset_t block;
	unsigned int i;
	int ret = 1;

	/*
	 * Keep freed memory mapped for reuse: chains and replies of up to a
	 * few MiB come and go with every request, and a fresh page costs a
	 * page fault, which in a Xen PV domain is a trip through the
	 * hypervisor.  Measured: 1 MiB reads went 3.5 times faster (the
	 * time to a reply fell from 20 to 1 ms).  What stays mapped is
	 * bounded by what the guests may make us hold (VB_GUEST_BUDGET,
	 * VB_OUTQ_MAX).
	 */
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc, argv);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	backend_init(&be, argo_io_ops(), NULL);
	parse_args(argc, argv, &be, &o);
	if (o.config)
		load_config(&be, &o);
	if (o.check_config) {
		print_devices(&be);
		backend_fini(&be);
		return 0;
	}
	if (!o.ring_size)
		o.ring_size = DEFAULT_RING_SIZE;
	if (!o.control && o.config)
		o.control = DEFAULT_CONTROL;
	memset(&rc, 0, sizeof(rc));
	rc.config = o.config;

	/* a reader going away is an error on that write, not our death */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hotplug;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
	/* delivered only inside ppoll(): see loop.c */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);

	for (i = 1; i <= be.ndev; i++) {
		char err[256], desc[512];

		if (device_start(be.devs[i], err, sizeof(err))) {
			vb_log("device %u (%s): %s", i, be.devs[i]->name, err);
			goto out;
		}
		device_describe(be.devs[i], desc, sizeof(desc));
		vb_log("%s", desc);
	}
	if (o.control) {
		char err[256];

		rc.ctl = ctl_new(&be, o.config);
		if (!rc.ctl || ctl_listen(rc.ctl, o.control, err,
					  sizeof(err))) {
			vb_log("control socket: %s",
			       rc.ctl ? err : "out of memory");
			goto out;
		}
	}
	rc.be = &be;
	rc.io = argo_io_open(&be, o.partners, o.npartners, o.ring_size);
	if (!rc.io)
		goto out;
	be.tpriv = rc.io;
	hooks.timeout_ms = loop_timeout;
	hooks.round = loop_round;
	hooks.ctx = &rc;
	if (!loop_run(&hooks, &stop)) {
		vb_log("stopping on signal %d", (int)stop);
		ret = 0;
	}
	/* guests first: their state refers to the endpoints */
	ctl_free(rc.ctl);
	backend_fini(&be);
	argo_io_close(rc.io);
	return ret;
out:
	ctl_free(rc.ctl);
	backend_fini(&be);
	return ret;
}
