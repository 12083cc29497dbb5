/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argo-virtio-backend: the types every part of the backend shares.
 *
 *   backend   the program: its devices, its guests, its transport
 *   device    one --blk/--console/--net/--rng option: the host resource
 *   guest     one domain that talks to us, keyed by its domid
 *   devinst   one device as one guest sees it: status, features, queues
 *   chain     one available chain of one queue, from its FIRST fragment
 *             until the device completes it (or a reset drops it)
 *
 * Everything runs on one thread; nothing here is locked.  The wire
 * protocol is docs/virtio-argo-protocol.md; the choices this program makes
 * where the protocol leaves room are listed at the top of main.c.
 */
#ifndef _VB_BACKEND_H
#define _VB_BACKEND_H

#include <endian.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <argo/virtio_argo_check.h>

#include "list.h"

#define VB_NAME			"argo-virtio-backend"

/* GET_DEVICES vendor_id: "ARGO" read as a little-endian word. */
#define VB_VENDOR_ID		0x4F475241U
/* GET_VQUEUE max_size of every queue we offer. */
#define VB_QUEUE_SIZE		256U
/* Feature words a device has (bits 0-63) and most a request may name. */
#define VB_FEATURE_WORDS	2U
/* Largest out_len or in_len of one chain. */
#define VB_CHAIN_MAX		(16U << 20)
/* A chain's first fragment reserves this much of it (see chain_grow()). */
#define VB_CHAIN_RESERVE	(2U << 20)
/* Chain bytes one guest may have us hold (being reassembled or waiting). */
#define VB_GUEST_BUDGET		(256U << 20)
/* Above this much queued output, completed chains wait before they run. */
#define VB_OUTQ_HIGH		(1U << 20)
/* A guest that lets more than this pile up is not reading: drop it. */
#define VB_OUTQ_MAX		(64U << 20)
/*
 * The transport features we agree to (CONNECT).  VA_F_WINDOWS only when a
 * device needs the driver's memory (dev_ops.windows): it gives each of
 * the guest's devices a DMA parent of its own.
 */
#define VB_BUS_FEATURES		(VA_F_KNOWN & ~(1ULL << VA_F_WINDOWS))
/* Most guest= domains one device option may name. */
#define VB_GUEST_FILTER_MAX	16U
/* Longest device name and Xen domain name, NUL included. */
#define VB_DEV_NAME_MAX		64U
#define VB_DOM_NAME_MAX		64U

struct backend;
struct guest;
struct device;
struct devinst;
struct chain;
struct win_table;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))

/* ---- log.c ---- */

extern int vb_verbose;

void vb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define vb_debug(...)				\
	do {					\
		if (vb_verbose)			\
			vb_log(__VA_ARGS__);	\
	} while (0)

/* A burst of lines, then at most one every few seconds (see log.c). */
struct ratelimit {
	uint64_t start_ms;
	unsigned int lines;
	unsigned long missed;
};

bool ratelimit_ok(struct ratelimit *rl);
uint64_t vb_now_ms(void);

/* ---- outq.c: Argo messages waiting to go to one guest ---- */

struct outmsg {
	struct list_node link;
	uint32_t len;
	uint8_t buf[VA_MSG_MAX];
};

struct outq {
	struct list_node msgs;
	size_t bytes;
};

void outq_init(struct outq *q);
void *outq_reserve(struct outq *q, uint32_t n);
int outq_flush(struct backend *be, struct guest *g);
void outq_clear(struct outq *q);

/* ---- proto.c: records in, records out ---- */

/* One record, header decoded; @payload points into the message. */
struct va_rec {
	struct va_hdr hdr;		/* as received, for the shared checks */
	uint8_t type;			/* bits 0-1 only */
	uint8_t msg_id;
	uint16_t dev_num;
	uint16_t token;
	const uint8_t *payload;
	uint32_t len;
};

int rec_next(const uint8_t *msg, size_t len, size_t *off, uint32_t max_size,
	     struct va_rec *r, const char **why);
void *rec_append(struct guest *g, uint8_t type, uint8_t msg_id,
		 uint16_t dev_num, uint16_t token, uint32_t payload_len);
void reply(struct guest *g, const struct va_rec *req, const void *payload,
	   uint32_t len);
void reply_error(struct guest *g, const struct va_rec *req, uint32_t err);
void send_event_config(struct devinst *di);
void send_event_device(struct guest *g, uint16_t dev_num, uint16_t state);
void send_used(struct guest *g, uint16_t dev_num, uint16_t vq,
	       uint16_t chain, const uint8_t *data, uint32_t total, bool hold);
typedef void (*used_fill_fn)(void *ctx, uint8_t *dst, uint32_t off,
			     uint32_t n);
void send_used_fill(struct guest *g, uint16_t dev_num, uint16_t vq,
		    uint16_t chain, uint32_t total, bool hold,
		    used_fill_fn fill, void *ctx);

/* ---- guest.c ---- */

/**
 * struct guest - one domain talking to us
 * @domid: its domain (the hypervisor reports it: trustworthy)
 * @port: the port of its ring, where our replies go
 * @tctx: the transport's handle for it (the /dev/argo endpoint)
 * @out: messages not yet sent
 * @blocked: its ring was full; the transport says when to try again
 * @doom: set when the guest must be dropped at the next flush (why)
 * @inst: its instance of each device offered to it, by dev_num
 * @deferred: complete chains waiting for @out to drain (FIFO)
 * @held: chain bytes we hold for it (see VB_GUEST_BUDGET)
 * @watched: the transport watches its ring (argo_io.c, "A guest that
 *	is gone")
 * @rl: rate limit of its error lines
 * @name: its Xen domain name, read once when it connects ("" when it
 *	could not be read: then it gets only devices bound to its domid
 *	or to any guest)
 * @refused: devices (bit dev_num - 1) it was refused because another
 *	guest holds them (a writable disk not shared): told READY when
 *	they are free again
 */
struct guest {
	struct list_node link;
	struct backend *be;
	uint16_t domid;
	uint32_t port;
	void *tctx;
	struct outq out;
	bool blocked;
	const char *doom;
	struct devinst *inst[VA_MAX_DEVICES + 1];
	struct list_node deferred;
	size_t held;
	bool watched;
	bool connected;			/* it sent CONNECT and we agreed */
	struct va_link bus;		/* what CONNECT settled */
	struct ratelimit rl;
	struct win_table *win;		/* memory window requests (window.c) */
	char name[VB_DOM_NAME_MAX];
	uint64_t refused;
};

void guest_receive(struct backend *be, void *tctx, uint16_t domid,
		   uint32_t port, uint32_t type, const uint8_t *msg,
		   size_t len);
void guest_drop(struct guest *g, const char *why);

/* ---- window.c: memory windows, besides window.h's API ---- */

void win_answer(struct guest *g, const struct va_rec *r);
void win_cancel(struct devinst *di);
void win_guest_free(struct guest *g);
void guest_doom(struct guest *g, const char *why);
void guest_err(struct guest *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct guest *guest_find(struct backend *be, uint16_t domid);

/* ---- control.c: the control plane of one device instance ---- */

void control_dispatch(struct devinst *di, const struct va_rec *r);

/* ---- device.c ---- */

/**
 * struct dev_ops - what a device model provides
 * @kind: "blk", "console", "gpu", "net", "rng"
 * @device_id: virtio device id
 * @nqueues: its virtqueues
 * @config_size: bytes of its config space (<= VA_CONFIG_MAX)
 * @start: open the host resource (file, pty, socket) after the options
 *	were parsed; 0, or -1 with @err set
 * @features: its device-specific feature bits (the transport bits are
 *	added by device.c)
 * @hold_features: those of @features whose use needs USED_CHAIN's HOLD
 *	(net: MRG_RXBUF), offered only to guests that negotiated VA_F_HOLD
 * @config: fill @cfg with the config space (little-endian)
 * @inst_config: instead of @config, for a config space that differs from
 *	guest to guest (net: the MAC and the link status of its own TAP)
 * @config_write: the driver wrote @len bytes at @offset of its config
 *	space (SET_CONFIG at the current generation); without it every
 *	write is taken and ignored.  What the space then holds, as
 *	@inst_config shows it, is the answer (virtio-input's select)
 * @inst_init: allocate the per-guest state (devinst.priv)
 * @inst_status: the driver changed the status of @di to a value other
 *	than 0 (a reset goes to @inst_reset); @old is what it was.  Called
 *	before the reply, so a devinst_fail() here shows in it.  For devices
 *	whose host side follows the driver (net: offloads at DRIVER_OK)
 * @inst_reset: forget the per-guest state after a reset; the instance's
 *	chains are already gone
 * @inst_free: free the per-guest state (chains already gone)
 * @chain: a chain whose LAST fragment arrived; the device completes it
 *	now (chain_complete) or keeps it on its own list for later
 * @describe: a few words for the startup log ("/img 2048 sectors ro")
 * @destroy: free the device at exit
 * @windows: it reads the driver's memory (window.h): guests are asked to
 *	agree VA_F_WINDOWS at CONNECT
 */
struct dev_ops {
	const char *kind;
	uint32_t device_id;
	unsigned int nqueues;
	uint32_t config_size;
	int (*start)(struct device *d, char *err, size_t errlen);
	uint64_t (*features)(const struct device *d);
	uint64_t hold_features;
	void (*config)(const struct device *d, uint8_t *cfg);
	void (*inst_config)(const struct devinst *di, uint8_t *cfg);
	void (*config_write)(struct devinst *di, uint32_t offset,
			     const uint8_t *data, uint32_t len);
	int (*inst_init)(struct devinst *di);
	void (*inst_status)(struct devinst *di, uint32_t old);
	void (*inst_reset)(struct devinst *di);
	void (*inst_free)(struct devinst *di);
	void (*chain)(struct devinst *di, struct chain *c);
	void (*describe)(const struct device *d, char *buf, size_t len);
	void (*destroy)(struct device *d);
	bool windows;
};

/* Where a device came from: what a reload of the configuration manages. */
enum dev_origin {
	DEV_CMDLINE,			/* a command-line option */
	DEV_CONFIG,			/* a section of the configuration */
	DEV_CTL,			/* `ctl add` */
};

/**
 * struct device - one device given on the command line or configured
 * @name: unique; "blkN" (kind and number) for command-line devices
 * @dev_num: its number on the wire (slot in backend.devs)
 * @guests: the domains it is offered to by domid (guest=DOMID)
 * @gnames: ... and by Xen domain name (guest=NAME)
 * @any_guest: guest=any: every guest, said explicitly
 * @exclusive: served to one guest at a time (a writable disk not shared):
 *	the first guest whose driver sends a request naming it holds it
 *	(@holder) until that guest goes or the device is removed
 * @shared: the configuration said shared (blk)
 * @insts: its instances, one per guest (devinst.dev_link)
 * @origin: what added it; @spec: its settings as the configuration gave
 *	them (canonical: a reload compares these), NULL for the command line
 * @companion: a device added and removed with this one (a gpu's input)
 * @requests: chains completed; @bytes: their bytes, both ways;
 *	@errors: requests answered ERROR and instances failed
 * @priv: the model's state
 */
struct device {
	const struct dev_ops *ops;
	struct backend *be;
	char name[VB_DEV_NAME_MAX];
	uint16_t dev_num;
	bool unplugged;			/* hot-unplugged: not listed, ENODEV */
	uint16_t guests[VB_GUEST_FILTER_MAX];
	unsigned int nguests;
	char gnames[VB_GUEST_FILTER_MAX][VB_DOM_NAME_MAX];
	unsigned int nnames;
	bool any_guest;
	bool exclusive;
	bool shared;
	struct guest *holder;
	struct list_node insts;
	enum dev_origin origin;
	char *spec;
	struct device *companion;
	uint64_t requests;
	uint64_t bytes;
	uint64_t errors;
	void *priv;
};

/* One queue of one instance: its size and its outstanding chains. */
struct vqstate {
	uint32_t size;			/* from SET_VQUEUE; 0: not set up */
	unsigned int outstanding;
	struct chain *slots[VB_QUEUE_SIZE];	/* by chain id */
};

/**
 * struct devinst - one device as one guest sees it
 * @status: the virtio device status (DEVICE_NEEDS_RESET is ours)
 * @drv_features: what the driver accepted, bits 0-63
 * @drv_features_high: the driver set a bit above 63 (never offered)
 * @generation: config generation; bumped when we set DEVICE_NEEDS_RESET
 */
struct devinst {
	struct device *dev;
	struct guest *g;
	struct list_node dev_link;
	uint32_t status;
	uint64_t drv_features;
	bool drv_features_high;
	uint32_t generation;
	struct vqstate *vq;
	void *priv;
};

int device_option(struct device *d, const char *key, const char *val,
		  char *err, size_t errlen);
bool device_offered(const struct device *d, const struct guest *g);
bool device_one_guest(const struct device *d);
void device_release(struct device *d);
void device_free(struct device *d);
uint64_t device_features(const struct device *d);
uint64_t devinst_features(const struct devinst *di);
struct devinst *devinst_create(struct device *d, struct guest *g);
void devinst_destroy(struct devinst *di);
void devinst_reset(struct devinst *di);
void devinst_fail(struct devinst *di, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool devinst_broken(const struct devinst *di);

/* Split "a,b=c,..." option strings; see device.c. */
char *opt_next(char **s, char **val);

/* ---- chain.c ---- */

/**
 * struct chain - one available chain
 * @link: on the guest's deferred list or on a device's own list
 * @id: the chain's head descriptor index
 * @out: the device-readable bytes received so far (@received of @out_len)
 * @cap: bytes allocated at @out
 * @pos: the device's progress through @out (console transmit)
 */
struct chain {
	struct list_node link;
	struct devinst *di;
	uint16_t vq;
	uint16_t id;
	uint32_t out_len;
	uint32_t in_len;
	uint32_t received;
	uint8_t *out;
	uint32_t cap;
	uint32_t pos;
	bool complete;
};

void chain_record(struct devinst *di, const struct va_rec *r);
void chain_complete(struct chain *c, const void *data, uint32_t len);
void chain_complete_held(struct chain *c, const void *data, uint32_t len);
void chain_complete_fill(struct chain *c, uint32_t len, used_fill_fn fill,
			 void *ctx);
void chain_drop_queue(struct devinst *di, unsigned int vq);
void chain_drop_all(struct devinst *di);
void chain_run_deferred(struct guest *g);

/* ---- device models ---- */

struct device *blk_parse(const char *arg, char *err, size_t errlen);
struct device *console_parse(const char *arg, char *err, size_t errlen);
struct device *net_parse(const char *arg, char *err, size_t errlen);
struct device *rng_parse(const char *arg, char *err, size_t errlen);
struct device *input_new(uint32_t width, uint32_t height);
void input_send(struct devinst *di, uint16_t type, uint16_t code,
		int32_t value);
uint16_t input_keysym_code(uint32_t keysym);
struct device *gpu_parse(const char *arg, char *err, size_t errlen);
void device_describe(const struct device *d, char *buf, size_t len);
int device_start(struct device *d, char *err, size_t errlen);

/* ---- gpu.c: virtio-gpu 2D ---- */

extern const struct dev_ops gpu_ops;

/**
 * struct gpu_view - what one guest's virtio-gpu display shows
 * @resource: the scanout's resource, 0 when the display is off
 * @width: the scanout's size (0 when off)
 * @height: the scanout's size
 * @pixels: @width * @height XRGB8888 pixels (0x00RRGGBB), row by row;
 *	valid until the instance runs its next command
 * @updates: how many times SET_SCANOUT or RESOURCE_FLUSH changed it
 * @cursor_res: the cursor's resource (0: hidden); kept, not drawn
 * @mem: host bytes its resources, backing tables and display take
 * @nres: its resources
 * @busy: a transfer waits for guest memory
 */
struct gpu_view {
	uint32_t resource;
	uint32_t width;
	uint32_t height;
	const uint32_t *pixels;
	uint64_t updates;
	uint32_t cursor_res;
	uint32_t cursor_x;
	uint32_t cursor_y;
	uint32_t hot_x;
	uint32_t hot_y;
	uint64_t mem;
	uint32_t nres;
	bool busy;
};

bool gpu_view(const struct devinst *di, struct gpu_view *v);
int gpu_snapshot_png(struct devinst *di, const char *path);
int gpu_timeout_ms(struct backend *be);
void gpu_tick(struct backend *be);
struct device *gpu_input_wanted(struct device *d);
void gpu_rfb_tick(struct backend *be);

/* ---- the backend and its transport ---- */

/**
 * struct transport_ops - how messages reach a guest
 * @send: send one Argo message to @g: 0 when sent, -EAGAIN when its ring
 *	is full (the transport clears @g->blocked when it is worth trying
 *	again), another -errno when the guest is unreachable
 * @send_once: send one message of Argo type @type to a peer that is not
 *	a guest (a protocol 1 driver we refuse), without waiting or
 *	queueing: it is best effort
 * @forget: @g is being freed
 */
struct transport_ops {
	int (*send)(struct backend *be, struct guest *g, const void *buf,
		    size_t len);
	void (*send_once)(struct backend *be, void *tctx, uint16_t domid,
			  uint32_t port, uint32_t type, const void *buf,
			  size_t len);
	void (*forget)(struct backend *be, struct guest *g);
};

/* Ring sizes --ring-size and ring-size take; argo-char's largest ring. */
#define VB_RING_MIN		(128U << 10)
#define VB_RING_MAX		(16U << 20)
#define VB_ARGO_RING_MAX	((16U << 20) - 64)
#define VB_PARTNERS_MAX		256U
/* sun_path's size; the longest control socket path (".PID.tmp" added) */
#define VB_CONTROL_MAX		108U
#define VB_CONTROL_PATH_MAX	(VB_CONTROL_MAX - 17U)

/* A configuration's [backend] section (zero: not set). */
struct vb_settings {
	uint32_t ring_size;
	char control[VB_CONTROL_MAX];
	uint16_t partners[VB_PARTNERS_MAX];
	unsigned int npartners;
};

/**
 * struct backend - the program
 * @devs: the devices by dev_num; slots up to @ndev, some may be NULL
 *	(a device removed at run time)
 * @domain_name: how a guest's name is read (xs_domain_name(); the tests
 *	bring their own)
 * @started: the configuration's [backend] settings at start: a reload
 *	cannot change them, only say they changed (ctl_settings_started())
 */
struct backend {
	const struct transport_ops *tops;
	void *tpriv;
	struct device *devs[VA_MAX_DEVICES + 1];	/* by dev_num */
	unsigned int ndev;
	int (*domain_name)(uint16_t domid, char *name, size_t len);
	bool stopping;
	struct list_node guests;
	struct ratelimit rl;		/* lines about no particular guest */
	uint8_t v1_told[65536 / 8];	/* domains told we are protocol 2 */
	struct vb_settings started;
};

void backend_init(struct backend *be, const struct transport_ops *tops,
		  void *tpriv);
int backend_add_device(struct backend *be, struct device *d);
struct device *backend_find_device(struct backend *be, const char *name);
int backend_plug_device(struct backend *be, struct device *d, char *err,
			size_t errlen);
void backend_remove_device(struct backend *be, struct device *d);
bool backend_names_wanted(const struct backend *be);
void backend_flush(struct backend *be);
void backend_hotplug(struct backend *be, bool plug);
void backend_fini(struct backend *be);

/* ---- conf.c: the configuration file ---- */

/* Text that grows up to a bound (64 KiB), then stops (@full). */
struct vb_text {
	char *buf;
	size_t len;
	size_t cap;
	bool full;
};

void text_add(struct vb_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void text_free(struct vb_text *t);

/**
 * struct conf - a configuration, read and checked
 * @ring_size: [backend] ring-size, 0 when not given
 * @control: [backend] control, "" when not given
 * @devs: its devices, parsed (not started), in the order read
 * @where: "FILE:LINE" of each device's section
 * @errors: errors found (conf_load() returns NULL if any)
 */
struct conf {
	struct vb_settings set;		/* [backend] */
	struct device *devs[VA_MAX_DEVICES];
	char where[VA_MAX_DEVICES][300];
	unsigned int ndevs;
	unsigned int errors;
	/* every section's name, good or not, for duplicates */
	char seen[2 * VA_MAX_DEVICES][VB_DEV_NAME_MAX];
	char seen_where[2 * VA_MAX_DEVICES][300];
	unsigned int nseen;
};

int vb_parse_num(const char *s, int base, unsigned long max,
		 unsigned long *out, const char **rest);
int vb_parse_ring_size(const char *s, uint32_t *out);
struct conf *conf_load(const char *path, struct vb_text *err);
int conf_parse(struct conf *c, const char *text, size_t len,
	       const char *file, struct vb_text *err);
void conf_free(struct conf *c);
int conf_apply(struct backend *be, struct conf *c, struct vb_text *out);

/* ---- ctl.c: the control socket and its client ---- */

struct ctl_server;

struct ctl_server *ctl_new(struct backend *be, const char *config);
int ctl_listen(struct ctl_server *srv, const char *path, char *err,
	       size_t errlen);
int ctl_attach(struct ctl_server *srv, int fd);
void ctl_tick(struct ctl_server *srv);
int ctl_timeout_ms(const struct ctl_server *srv);
void ctl_set_timeout(struct ctl_server *srv, unsigned int ms);
void ctl_free(struct ctl_server *srv);
int ctl_request(struct backend *be, const char *config, const char *req,
		struct vb_text *out);
int ctl_reload(struct backend *be, const char *config, struct vb_text *out);
void ctl_settings_started(struct backend *be, const struct vb_settings *set);
int ctl_client(const char *path, const char *req);

/* ---- loop.c: the poll() loop ---- */

/**
 * struct watch - a descriptor the loop polls
 * @fd: the descriptor, or -1 while there is none
 * @events: what to poll it for now (0: not polled)
 * @cb: called with what poll() reported
 *
 * Watches live as long as the loop runs (they are embedded in devices and
 * endpoints), so a callback may change or disable any watch safely.
 */
struct watch {
	int fd;
	short events;
	void (*cb)(struct watch *w, short revents);
	void *priv;
	struct list_node link;
};

void watch_add(struct watch *w);
void watch_del(struct watch *w);

/**
 * struct loop_hooks - what the loop asks and tells the rest each round
 * @timeout_ms: how long poll() may sleep (-1: until an event)
 * @round: after the callbacks of one poll() round (timers, flushing)
 */
struct loop_hooks {
	int (*timeout_ms)(void *ctx);
	void (*round)(void *ctx);
	void *ctx;
};

int loop_run(const struct loop_hooks *hooks,
	     const volatile sig_atomic_t *stop);

#endif /* _VB_BACKEND_H */
