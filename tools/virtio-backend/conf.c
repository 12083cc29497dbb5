// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file: devices, the guests each is for, and a few
 * settings of the backend, in INI-like sections:
 *
 *	[backend]
 *	ring-size = 1M
 *	[blk web1-disk]
 *	path = /var/lib/virtio-argo/web1.img
 *	guest = web1
 *
 * A device section's keys are turned into the option string the command
 * line takes ("/var/lib/virtio-argo/web1.img,guest=web1") and parsed by
 * the device model's own parser, so both ways of giving a device check
 * the same things.  That string, in a canonical order, is also what a
 * reload compares to tell a changed device from an unchanged one.
 *
 * The file is not trusted: lines, files and counts are bounded, and
 * every error names its file and line.  A file given as a directory
 * means every DIR/\*.conf in sorted order (one file per guest, say).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

/* Bounds on what a configuration may be. */
#define CONF_FILE_MAX		(1U << 20)
#define CONF_LINE_MAX		1024U
#define CONF_FILES_MAX		256U
#define CONF_ERRORS_MAX		50U
#define CONF_TEXT_MAX		(64U << 10)

/* ---- bounded text, for error lists and replies ---- */

void text_add(struct vb_text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->full)
		return;
	if (!t->buf) {
		t->buf = malloc(1024);
		if (!t->buf) {
			t->full = true;
			return;
		}
		t->cap = 1024;
		t->len = 0;
		t->buf[0] = '\0';
	}
	for (;;) {
		size_t room = t->cap - t->len;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			t->len += n;
			return;
		}
		if (t->cap * 2 > CONF_TEXT_MAX) {
			t->buf[t->len] = '\0';
			t->full = true;
			return;
		}
		{
			char *nb = realloc(t->buf, t->cap * 2);

			if (!nb) {
				t->buf[t->len] = '\0';
				t->full = true;
				return;
			}
			t->buf = nb;
			t->cap *= 2;
		}
	}
}

void text_free(struct vb_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* ---- values ---- */

/**
 * vb_parse_num() - an unsigned number, as a person writes one
 * @s: the text
 * @base: 10, or 0 to also take 0x hex (and 0 octal)
 * @max: the largest value accepted
 * @out: the value
 * @rest: NULL when the number must be all of @s; else where it ended
 *	(a unit, a separator), which the caller checks
 *
 * strtoul() alone skips blanks and takes a sign, and turns "-N" into
 * 2^64 - N without an error, so garbage would pass as a small number:
 * this wants a digit first.
 *
 * Return: 0, or -1 when @s does not start with such a number.
 */
int vb_parse_num(const char *s, int base, unsigned long max,
		 unsigned long *out, const char **rest)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || end == s || v > max || (!rest && *end))
		return -1;
	if (rest)
		*rest = end;
	*out = v;
	return 0;
}

/* "128K" to "16M" (or bytes): 0, or -1 when it is not one. */
int vb_parse_ring_size(const char *s, uint32_t *out)
{
	unsigned int shift = 0;
	unsigned long v;
	const char *end;

	if (vb_parse_num(s, 0, VB_RING_MAX, &v, &end))
		return -1;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	end += !!shift;
	/* bounded before the shift, which would wrap a huge count */
	if (*end || v > VB_RING_MAX >> shift)
		return -1;
	v <<= shift;
	if (v < VB_RING_MIN)
		return -1;
	*out = v > VB_ARGO_RING_MAX ? VB_ARGO_RING_MAX : (uint32_t)v;
	return 0;
}

/* yes/no and friends: 1, 0, or -1. */
static int parse_bool(const char *s)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") ||
	    !strcmp(s, "1"))
		return 1;
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off") ||
	    !strcmp(s, "0"))
		return 0;
	return -1;
}

static bool name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= VB_DEV_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* ---- what each kind of section takes ---- */

enum key_how {
	KEY_FIRST,		/* the option string's first word */
	KEY_FLAG,		/* yes: the option word alone */
	KEY_VALUE,		/* option=value */
};

struct key_def {
	const char *key;
	const char *opt;
	enum key_how how;
	bool required;
};

#define KEYS_MAX	8

struct kind_def {
	const char *kind;
	struct device *(*parse)(const char *arg, char *err, size_t errlen);
	struct key_def keys[KEYS_MAX];
};

static const struct kind_def kinds[] = {
	{ "blk", blk_parse, {
		{ "path", NULL, KEY_FIRST, true },
		{ "readonly", "ro", KEY_FLAG, false },
		{ "shared", "shared", KEY_FLAG, false },
		{ "serial", "serial", KEY_VALUE, false },
	} },
	{ "console", console_parse, {
		{ "mode", NULL, KEY_FIRST, true },
		{ "port", "port", KEY_VALUE, false },
		{ "hvc", "hvc", KEY_FLAG, false },
	} },
	{ "net", net_parse, {
		{ "tap", "tap", KEY_VALUE, true },
		{ "mac", "mac", KEY_VALUE, false },
		{ "bridge", "bridge", KEY_VALUE, false },
		{ "mtu", "mtu", KEY_VALUE, false },
	} },
	{ "rng", rng_parse, { { NULL } } },
	{ "gpu", gpu_parse, {
		{ "png", "png", KEY_VALUE, false },
		{ "vnc", "vnc", KEY_VALUE, false },
		{ "size", "size", KEY_VALUE, false },
	} },
};

/* The section being read. */
struct section {
	bool open;			/* a section was started */
	bool bad;			/* its header was wrong: skip its keys */
	bool backend;			/* [backend] */
	const struct kind_def *kind;
	char name[VB_DEV_NAME_MAX];
	unsigned int line;
	char *val[KEYS_MAX];
	unsigned int val_line[KEYS_MAX];
	char *guests[VB_GUEST_FILTER_MAX];
	unsigned int nguests;
	unsigned int guest_line;
	bool guest_any;
};

struct parse_ctx {
	struct conf *c;
	struct vb_text *err;
	const char *file;
	unsigned int errors;		/* in the current section */
	unsigned int total;		/* in this text */
	struct section s;
	/* [backend] keys seen in this configuration (once each) */
	unsigned int ring_line, control_line;
};

static void perr(struct parse_ctx *p, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parse_ctx *p, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	p->errors++;
	p->total++;
	p->c->errors++;
	if (p->c->errors > CONF_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->c->errors == CONF_ERRORS_MAX)
		text_add(p->err, "%s:%u: %s\n%s: too many errors, the rest not shown\n",
			 p->file, line, msg, p->file);
	else
		text_add(p->err, "%s:%u: %s\n", p->file, line, msg);
}

static void section_clear(struct section *s)
{
	unsigned int i;

	for (i = 0; i < KEYS_MAX; i++)
		free(s->val[i]);
	for (i = 0; i < s->nguests; i++)
		free(s->guests[i]);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The device of the section just read: checked, parsed, kept in @p->c. */
static void section_end(struct parse_ctx *p)
{
	struct section *s = &p->s;
	const struct kind_def *k = s->kind;
	struct vb_text spec = { 0 };
	char err[256] = "";
	struct device *d;
	bool writable_blk;
	unsigned int i;

	if (!s->open || s->bad || s->backend)
		goto out;
	for (i = 0; i < KEYS_MAX && k->keys[i].key; i++)
		if (k->keys[i].required && !s->val[i])
			perr(p, s->line, "[%s %s]: '%s' is missing", k->kind,
			     s->name, k->keys[i].key);
	if (!s->nguests && !s->guest_any)
		perr(p, s->line, "[%s %s]: no guest: say which guests get it ('guest = NAME' or 'guest = DOMID', repeatable), or 'guest = any' for every guest",
		     k->kind, s->name);
	/* blk's keys 1 and 2: readonly and shared */
	writable_blk = !strcmp(k->kind, "blk") &&
		       !(s->val[1] && parse_bool(s->val[1]) == 1);
	if (writable_blk && !(s->val[2] && parse_bool(s->val[2]) == 1) &&
	    (s->guest_any || s->nguests > 1))
		perr(p, s->guest_line, "[%s %s]: a writable disk for more than one guest needs 'shared = yes' (guests writing one image at once corrupt it unless they share it on purpose, e.g. with a cluster file system)",
		     k->kind, s->name);
	if (!strcmp(k->kind, "console") && s->val[0] &&
	    !strcmp(s->val[0], "stdio"))
		perr(p, s->val_line[0], "[%s %s]: mode = stdio is for the command line only",
		     k->kind, s->name);
	if (p->c->ndevs >= VA_MAX_DEVICES)
		perr(p, s->line, "[%s %s]: too many devices (at most %u)",
		     k->kind, s->name, VA_MAX_DEVICES);
	if (p->errors)
		goto out;
	/* the option string, keys in the table's order, guests sorted */
	for (i = 0; i < KEYS_MAX && k->keys[i].key; i++) {
		const struct key_def *kd = &k->keys[i];
		const char *sep = spec.len ? "," : "";

		if (!s->val[i])
			continue;
		if (kd->how == KEY_FIRST)
			text_add(&spec, "%s", s->val[i]);
		else if (kd->how == KEY_FLAG && parse_bool(s->val[i]) == 1)
			text_add(&spec, "%s%s", sep, kd->opt);
		else if (kd->how == KEY_VALUE)
			text_add(&spec, "%s%s=%s", sep, kd->opt, s->val[i]);
	}
	qsort(s->guests, s->nguests, sizeof(s->guests[0]), cmp_str);
	for (i = 0; i < s->nguests; i++)
		text_add(&spec, "%sguest=%s", spec.len ? "," : "",
			 s->guests[i]);
	if (s->guest_any)
		text_add(&spec, "%sguest=any", spec.len ? "," : "");
	if (spec.full) {
		perr(p, s->line, "[%s %s]: out of memory", k->kind, s->name);
		goto out;
	}
	d = k->parse(spec.buf ? spec.buf : "", err, sizeof(err));
	if (!d) {
		perr(p, s->line, "[%s %s]: %s", k->kind, s->name, err);
		goto out;
	}
	snprintf(d->name, sizeof(d->name), "%s", s->name);
	d->origin = DEV_CONFIG;
	/* what a reload compares: the kind and every setting */
	d->spec = malloc(strlen(k->kind) + 2 + (spec.buf ? spec.len : 0));
	if (!d->spec) {
		device_free(d);
		perr(p, s->line, "[%s %s]: out of memory", k->kind, s->name);
		goto out;
	}
	sprintf(d->spec, "%s %s", k->kind, spec.buf ? spec.buf : "");
	snprintf(p->c->where[p->c->ndevs], sizeof(p->c->where[0]), "%s:%u",
		 p->file, s->line);
	p->c->devs[p->c->ndevs++] = d;
out:
	text_free(&spec);
	section_clear(s);
}

/* "[backend]" or "[KIND NAME]" at line @ln. */
static void section_start(struct parse_ctx *p, char *h, unsigned int ln)
{
	struct section *s = &p->s;
	char *w1, *w2, *w3, *save = NULL;
	unsigned int i;

	section_end(p);
	p->errors = 0;
	s->open = true;
	s->line = ln;
	w1 = strtok_r(h, " \t", &save);
	w2 = w1 ? strtok_r(NULL, " \t", &save) : NULL;
	w3 = w2 ? strtok_r(NULL, " \t", &save) : NULL;
	if (w1 && !strcmp(w1, "backend") && !w2) {
		s->backend = true;
		return;
	}
	s->bad = true;
	if (!w1 || !w2 || w3) {
		perr(p, ln, "a section is [backend] or [TYPE NAME] (TYPE blk, console, gpu, net or rng)");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(w1, kinds[i].kind))
			s->kind = &kinds[i];
	if (!s->kind) {
		perr(p, ln, "unknown device type '%s' (blk, console, gpu, net or rng)",
		     w1);
		return;
	}
	if (!name_ok(w2)) {
		perr(p, ln, "bad device name '%s' (letters, digits, '-', '_' and '.', up to %u)",
		     w2, VB_DEV_NAME_MAX - 1);
		return;
	}
	snprintf(s->name, sizeof(s->name), "%s", w2);
	for (i = 0; i < p->c->nseen; i++)
		if (!strcmp(p->c->seen[i], w2)) {
			perr(p, ln, "device name '%s' is already used at %s",
			     w2, p->c->seen_where[i]);
			return;
		}
	if (p->c->nseen < ARRAY_SIZE(p->c->seen)) {
		snprintf(p->c->seen[p->c->nseen], sizeof(p->c->seen[0]), "%s",
			 w2);
		snprintf(p->c->seen_where[p->c->nseen],
			 sizeof(p->c->seen_where[0]), "%s:%u", p->file, ln);
		p->c->nseen++;
	}
	s->bad = false;
}

static void backend_key(struct parse_ctx *p, const char *key, const char *val,
			unsigned int ln)
{
	struct conf *c = p->c;
	unsigned long v;

	if (!strcmp(key, "ring-size")) {
		if (p->ring_line) {
			perr(p, ln, "ring-size is already set at line %u",
			     p->ring_line);
			return;
		}
		p->ring_line = ln;
		if (vb_parse_ring_size(val, &c->set.ring_size))
			perr(p, ln, "ring-size '%s' is not 128K to 16M", val);
	} else if (!strcmp(key, "control")) {
		if (p->control_line) {
			perr(p, ln, "control is already set at line %u",
			     p->control_line);
			return;
		}
		p->control_line = ln;
		/* room for the ".PID.tmp" it is created as (ctl_listen()) */
		if (val[0] != '/' || strlen(val) > VB_CONTROL_PATH_MAX)
			perr(p, ln, "control needs an absolute path of up to %u bytes",
			     VB_CONTROL_PATH_MAX);
		else
			snprintf(c->set.control, sizeof(c->set.control), "%s", val);
	} else if (!strcmp(key, "partner")) {
		unsigned int i;

		if (vb_parse_num(val, 0, 0x7FEF, &v, NULL)) {
			perr(p, ln, "partner '%s' is not a domain id", val);
			return;
		}
		for (i = 0; i < c->set.npartners; i++)
			if (c->set.partners[i] == v) {
				perr(p, ln, "partner %lu is given twice", v);
				return;
			}
		if (c->set.npartners >= ARRAY_SIZE(c->set.partners)) {
			perr(p, ln, "at most %zu partners",
			     ARRAY_SIZE(c->set.partners));
			return;
		}
		c->set.partners[c->set.npartners++] = v;
	} else {
		perr(p, ln, "[backend]: unknown key '%s' (ring-size, control, partner)",
		     key);
	}
}

static void device_key(struct parse_ctx *p, const char *key, const char *val,
		       unsigned int ln)
{
	struct section *s = &p->s;
	const struct kind_def *k = s->kind;
	unsigned int i;

	if (strchr(val, ',')) {
		perr(p, ln, "a value may not hold ','");
		return;
	}
	if (!strcmp(key, "guest")) {
		if (!strcmp(val, "any")) {
			if (s->guest_any || s->nguests)
				perr(p, ln, "guest = any excludes any other guest");
			s->guest_any = true;
			s->guest_line = ln;
			return;
		}
		if (s->guest_any) {
			perr(p, ln, "guest = any excludes any other guest");
			return;
		}
		for (i = 0; i < s->nguests; i++)
			if (!strcmp(s->guests[i], val)) {
				perr(p, ln, "guest %s is given twice", val);
				return;
			}
		if (s->nguests >= VB_GUEST_FILTER_MAX) {
			perr(p, ln, "at most %u guests per device",
			     VB_GUEST_FILTER_MAX);
			return;
		}
		s->guests[s->nguests] = strdup(val);
		if (!s->guests[s->nguests]) {
			perr(p, ln, "out of memory");
			return;
		}
		s->nguests++;
		s->guest_line = ln;
		return;
	}
	for (i = 0; i < KEYS_MAX && k->keys[i].key; i++)
		if (!strcmp(k->keys[i].key, key))
			break;
	if (i == KEYS_MAX || !k->keys[i].key) {
		char known[256] = "";
		size_t n = 0;
		unsigned int j;

		for (j = 0; j < KEYS_MAX && k->keys[j].key; j++)
			n += snprintf(known + n, sizeof(known) - n, "%s, ",
				      k->keys[j].key);
		perr(p, ln, "[%s %s]: unknown key '%s' (%sguest)", k->kind,
		     s->name, key, known);
		return;
	}
	if (s->val[i]) {
		perr(p, ln, "%s is already set at line %u", key,
		     s->val_line[i]);
		return;
	}
	if (k->keys[i].how == KEY_FLAG && parse_bool(val) < 0) {
		perr(p, ln, "%s takes yes or no, not '%s'", key, val);
		return;
	}
	s->val[i] = strdup(val);
	if (!s->val[i]) {
		perr(p, ln, "out of memory");
		return;
	}
	s->val_line[i] = ln;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *trim(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		*--e = '\0';
	return s;
}

/* One line (NUL-terminated, no newline). */
static void parse_line(struct parse_ctx *p, char *line, unsigned int ln)
{
	char *s, *eq, *key, *val, *hash;

	/* a comment: '#' or ';' first, or '#' after a blank */
	s = line;
	while (is_space(*s))
		s++;
	if (!*s || *s == '#' || *s == ';')
		return;
	for (hash = s; (hash = strchr(hash, '#')); hash++)
		if (hash > s && is_space(hash[-1])) {
			*hash = '\0';
			break;
		}
	s = trim(s);
	if (*s == '[') {
		size_t n = strlen(s);

		if (s[n - 1] != ']') {
			section_end(p);
			p->errors = 0;
			p->s.open = true;
			p->s.bad = true;
			perr(p, ln, "a section header ends with ']'");
			return;
		}
		s[n - 1] = '\0';
		section_start(p, s + 1, ln);
		return;
	}
	eq = strchr(s, '=');
	if (!eq) {
		perr(p, ln, "expected 'key = value' or a [section]");
		return;
	}
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key) {
		perr(p, ln, "a key is missing before '='");
		return;
	}
	if (!*val) {
		perr(p, ln, "'%s' needs a value", key);
		return;
	}
	if (!p->s.open) {
		perr(p, ln, "'%s' is outside any section", key);
		return;
	}
	if (p->s.bad)
		return;
	if (p->s.backend)
		backend_key(p, key, val, ln);
	else
		device_key(p, key, val, ln);
}

int conf_parse(struct conf *c, const char *text, size_t len,
	       const char *file, struct vb_text *err)
{
	struct parse_ctx p = { .c = c, .err = err, .file = file };
	unsigned int ln = 0;
	char line[CONF_LINE_MAX + 1];
	size_t off = 0;

	while (off < len && c->errors < CONF_ERRORS_MAX) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		ln++;
		if (memchr(text + off, '\0', n)) {
			perr(&p, ln, "a NUL byte: this is not a text file");
		} else if (n > CONF_LINE_MAX) {
			perr(&p, ln, "line longer than %u bytes", CONF_LINE_MAX);
		} else {
			memcpy(line, text + off, n);
			line[n] = '\0';
			parse_line(&p, line, ln);
		}
		off += n + 1;
	}
	section_end(&p);
	return p.total ? -1 : 0;
}

/* Read @path, a regular file of at most CONF_FILE_MAX bytes. */
static int conf_file(struct conf *c, const char *path, struct vb_text *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		text_add(err, "%s: %s\n", path, strerror(errno));
		c->errors++;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONF_FILE_MAX) {
		text_add(err, "%s: %s\n", path, S_ISREG(st.st_mode) ?
			 "larger than 1 MiB" : "not a regular file");
		c->errors++;
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		text_add(err, "%s: out of memory\n", path);
		c->errors++;
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	r = conf_parse(c, buf, got, path, err);
	free(buf);
	return r;
}

static int conf_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 &&
	       !strcmp(e->d_name + n - 5, ".conf");
}

struct conf *conf_load(const char *path, struct vb_text *err)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct dirent **names = NULL;
	struct stat st;
	int n, i;

	if (!c) {
		text_add(err, "%s: out of memory\n", path);
		return NULL;
	}
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		conf_file(c, path, err);
		goto out;
	}
	n = scandir(path, &names, conf_filter, alphasort);
	if (n < 0) {
		text_add(err, "%s: %s\n", path, strerror(errno));
		c->errors++;
		goto out;
	}
	if (n > (int)CONF_FILES_MAX) {
		text_add(err, "%s: more than %u files\n", path,
			 CONF_FILES_MAX);
		c->errors++;
	}
	for (i = 0; i < n; i++) {
		char file[PATH_MAX];

		if (!c->errors &&
		    snprintf(file, sizeof(file), "%s/%s", path,
			     names[i]->d_name) < (int)sizeof(file))
			conf_file(c, file, err);
		free(names[i]);
	}
	free(names);
out:
	if (c->errors) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void conf_free(struct conf *c)
{
	unsigned int i;

	if (!c)
		return;
	for (i = 0; i < c->ndevs; i++)
		device_free(c->devs[i]);
	free(c);
}

static const char *origin_name(enum dev_origin o)
{
	switch (o) {
	case DEV_CMDLINE:
		return "the command line";
	case DEV_CTL:
		return "ctl add";
	case DEV_CONFIG:
		break;
	}
	return "the configuration";
}

static struct device *conf_find(const struct conf *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->ndevs; i++)
		if (c->devs[i] && !strcmp(c->devs[i]->name, name))
			return c->devs[i];
	return NULL;
}

/* Is @d another device's companion (a vnc display's input device)? */
static bool conf_companion(const struct backend *be, const struct device *d)
{
	unsigned int i;

	for (i = 1; i <= be->ndev; i++)
		if (be->devs[i] && be->devs[i]->companion == d)
			return true;
	return false;
}

/*
 * Make the configured devices what @c says: remove those gone or changed,
 * add those new or changed, leave the others alone (their guests see
 * nothing).  Devices of the command line and of `ctl add` are not the
 * configuration's; a name of theirs in @c refuses the whole reload.
 * Takes the devices of @c.  Reports each step in @out; 0 when all went,
 * -1 when a device could not be added, -2 when nothing was changed.
 */
int conf_apply(struct backend *be, struct conf *c, struct vb_text *out)
{
	unsigned int i, added = 0, removed = 0, kept = 0;
	int ret = 0;

	for (i = 0; i < c->ndevs; i++) {
		struct device *d = backend_find_device(be, c->devs[i]->name);

		if (d && d->origin != DEV_CONFIG) {
			text_add(out, "%s: device '%s' is a device of %s: remove it first\n",
				 c->where[i], d->name, origin_name(d->origin));
			ret = -2;
		} else if (d && conf_companion(be, d)) {
			text_add(out, "%s: device '%s' is the input device of a display: choose another name\n",
				 c->where[i], d->name);
			ret = -2;
		}
	}
	if (ret)
		return ret;
	for (i = 1; i <= be->ndev; i++) {
		struct device *d = be->devs[i], *nd;

		/* a display's input device comes and goes with the display */
		if (!d || d->origin != DEV_CONFIG || conf_companion(be, d))
			continue;
		nd = conf_find(c, d->name);
		if (nd && d->spec && nd->spec && !strcmp(d->spec, nd->spec))
			continue;
		text_add(out, "removed %s%s\n", d->name,
			 nd ? " (changed)" : "");
		backend_remove_device(be, d);
		removed++;
	}
	for (i = 0; i < c->ndevs; i++) {
		struct device *nd = c->devs[i], *d;
		char err[256] = "", name[VB_DEV_NAME_MAX];

		c->devs[i] = NULL;
		d = backend_find_device(be, nd->name);
		if (d) {
			device_free(nd);
			kept++;
			continue;
		}
		snprintf(name, sizeof(name), "%s", nd->name);
		if (backend_plug_device(be, nd, err, sizeof(err))) {
			text_add(out, "%s: not added: %s\n", c->where[i], err);
			vb_log("%s: not added: %s", c->where[i], err);
			ret = -1;
			continue;
		}
		text_add(out, "added %s\n", name);
		added++;
	}
	c->ndevs = 0;
	text_add(out, "%u added, %u removed, %u unchanged\n", added, removed,
		 kept);
	return ret;
}
