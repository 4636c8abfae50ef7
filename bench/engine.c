// SPDX-License-Identifier: GPL-2.0
/* The engine registry and the generic part of an engine spec. */
#define _GNU_SOURCE
#include "engine.h"
#include "error.h"
#include "units.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* Every engine of this build; one built only with its library adds itself here under #ifdef. */
const struct p2pb_engine_ops *const p2pb_engines[] = {
	&p2pb_engine_kmod,
	&p2pb_engine_null,
	NULL,
};

const struct p2pb_engine_ops *p2pb_engine_find(const char *name)
{
	unsigned int i;

	for (i = 0; p2pb_engines[i]; i++)
		if (!strcmp(p2pb_engines[i]->name, name))
			return p2pb_engines[i];
	return NULL;
}

const char *p2pb_unmap_cause_name(enum p2pb_unmap_reason c)
{
	static const char *const names[] = {
		[P2PB_UNMAP_POLICY] = "policy", [P2PB_UNMAP_FORCED] = "forced", [P2PB_UNMAP_DETACHED] = "detach",
		[P2PB_UNMAP_OWNER_EXIT] = "owner-exit", [P2PB_UNMAP_RELEASED] = "released",
		[P2PB_UNMAP_REMOVED] = "removed", [P2PB_UNMAP_OTHER] = "other",
	};

	return c <= P2PB_UNMAP_OTHER ? names[c] : "other";
}

/* ---- declared options ---- */

const struct p2pb_opt *p2pb_opt_find(const struct p2pb_opt *table, const char *name)
{
	for (; table && table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}

/* The largest number a field of @size bytes holds. */
static uint64_t field_max(size_t size)
{
	return size >= sizeof(uint64_t) ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

static uint64_t opt_max(const struct p2pb_opt *opt)
{
	return opt->max && opt->max < field_max(opt->size) ? opt->max : field_max(opt->size);
}

static void store_uint(void *field, size_t size, uint64_t v)
{
	union { uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64; } u;

	switch (size) {
	case 1: u.u8 = (uint8_t)v; break;
	case 2: u.u16 = (uint16_t)v; break;
	case 4: u.u32 = (uint32_t)v; break;
	default: u.u64 = v; size = sizeof(u.u64);
	}
	memcpy(field, &u, size);
}

/* A DURATION, SIZE or UINT within its bounds. */
static int read_number(const struct p2pb_opt *opt, const char *val, uint64_t *n)
{
	int err;

	if (opt->type == P2PB_OPT_DURATION && (opt->flags & P2PB_OPT_NEVER) && !strcmp(val, "never")) {
		*n = P2PB_NEVER;
		return 0;
	}
	if (opt->type == P2PB_OPT_DURATION)
		err = p2pb_parse_duration_ns(val, opt->unit_ns, n);
	else if (opt->type == P2PB_OPT_SIZE)
		err = p2pb_parse_size(val, n);
	else
		err = p2pb_parse_u64(val, n);
	if (err)
		return -EINVAL;
	if (!*n && opt->zero)
		return 0;
	return *n < opt->min || *n > opt_max(opt) || (opt->multiple && *n % opt->multiple) ? -EINVAL : 0;
}

static int read_choice(const struct p2pb_opt *opt, const char *val, uint64_t *n)
{
	uint64_t i;

	for (i = 0; opt->choices[i]; i++)
		if (!strcmp(opt->choices[i], val)) {
			*n = i;
			return 0;
		}
	return -EINVAL;
}

int p2pb_opt_set(const struct p2pb_opt *opt, void *opts, const char *val)
{
	char *field = (char *)opts + opt->off;
	struct p2pb_pci_addr a;
	uint64_t n;

	switch (opt->type) {
	case P2PB_OPT_CUSTOM:
		return opt->parse(opt, opts, val) ? -EINVAL : 0;
	case P2PB_OPT_BDF:
		return p2pb_pci_parse(val, &a, field) ? -EINVAL : 0;
	case P2PB_OPT_BOOL:
		if (strcmp(val, "0") && strcmp(val, "1"))
			return -EINVAL;
		*(bool *)field = val[0] == '1';
		return 0;
	case P2PB_OPT_CHOICE:
		if (read_choice(opt, val, &n))
			return -EINVAL;
		break;
	default:
		if (read_number(opt, val, &n))
			return -EINVAL;
	}
	store_uint(field, opt->size, n);
	return 0;
}

int p2pb_opts_defaults(const struct p2pb_opt *table, void *opts)
{
	for (; table && table->name; table++)
		if (table->def && p2pb_opt_set(table, opts, table->def))
			return p2pb_fail(-EINVAL, "option %s: its declared default '%s' does not parse", table->name,
					 table->def);
	return 0;
}

/* Appends printf-style to the string in @buf. */
__attribute__((format(printf, 3, 4)))
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* A UINT's generated form is its bounds ("1..63"), which the help then leaves out. */
static bool form_has_bounds(const struct p2pb_opt *opt)
{
	return opt->type == P2PB_OPT_UINT && !opt->metavar && opt->max;
}

const char *p2pb_opt_metavar(const struct p2pb_opt *opt, char *buf, size_t len)
{
	static const char *const forms[] = {
		[P2PB_OPT_DURATION] = "D", [P2PB_OPT_SIZE] = "SIZE", [P2PB_OPT_UINT] = "N",
		[P2PB_OPT_BOOL] = "0|1", [P2PB_OPT_BDF] = "BDF", [P2PB_OPT_CUSTOM] = "VALUE",
	};
	unsigned int i;

	if (opt->metavar)
		return opt->metavar;
	buf[0] = 0;
	if (form_has_bounds(opt))
		append(buf, len, "%llu..%llu", (unsigned long long)opt->min, (unsigned long long)opt->max);
	else if (opt->type == P2PB_OPT_CHOICE)
		for (i = 0; opt->choices[i]; i++)
			append(buf, len, "%s%s", i ? "|" : "", opt->choices[i]);
	else
		append(buf, len, "%s%s", forms[opt->type], opt->flags & P2PB_OPT_NEVER ? "|never" : "");
	return buf;
}

/* A bound of @opt as it would be written: "100us", "1 MiB", "63". */
static const char *bound_text(const struct p2pb_opt *opt, uint64_t v, char *buf, size_t len)
{
	if (opt->type == P2PB_OPT_DURATION)
		return p2pb_fmt_duration(v, buf, len);
	if (opt->type == P2PB_OPT_SIZE)
		return p2pb_fmt_size(v, buf, len);
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* "100us..1s", "at most 1 TiB", "4 KiB..1 MiB, a multiple of 4 KiB": the declared bounds, if any. */
static void bounds_text(const struct p2pb_opt *opt, char *buf, size_t len)
{
	char lo[32], hi[32], m[32];

	buf[0] = 0;
	if (form_has_bounds(opt))
		return;
	bound_text(opt, opt->min, lo, sizeof(lo));
	bound_text(opt, opt->max, hi, sizeof(hi));
	if (opt->min && opt->max)
		append(buf, len, "%s..%s", lo, hi);
	else if (opt->max)
		append(buf, len, "at most %s", hi);
	else if (opt->min)
		append(buf, len, "at least %s", lo);
	if (opt->multiple)
		append(buf, len, "%sa multiple of %s", buf[0] ? ", " : "",
		       bound_text(opt, opt->multiple, m, sizeof(m)));
}

const char *p2pb_opt_describe(const struct p2pb_opt *opt, char *buf, size_t len)
{
	bool zero_is_default = opt->zero && opt->def && !strcmp(opt->def, "0");
	const char *unit = opt->unit_ns ? p2pb_duration_unit(opt->unit_ns) : NULL;
	char bounds[128];

	/* what 0 means is said once: with the default when that is 0, else beside the bounds */
	bounds_text(opt, bounds, sizeof(bounds));
	if (opt->zero && !zero_is_default)
		append(bounds, sizeof(bounds), "%s0: %s", bounds[0] ? " or " : "", opt->zero);
	snprintf(buf, len, "%s", opt->help);
	if (bounds[0])
		append(buf, len, "; %s", bounds);
	if (unit)
		append(buf, len, "; bare numbers are %s", unit);
	if (opt->def)
		append(buf, len, " (default %s%s%s)", opt->def, zero_is_default ? ": " : "",
		       zero_is_default ? opt->zero : "");
	return buf;
}

void p2pb_opts_names(const struct p2pb_opt *table, char *buf, size_t len)
{
	for (; table && table->name; table++)
		append(buf, len, "%s%s", buf[0] ? ", " : "", table->name);
}

/* ---- engine specs ---- */

/* The keys every kind takes, into the spec itself. */
static const struct p2pb_opt spec_keys[] = {
	{ .name = "count", .type = P2PB_OPT_UINT, P2PB_OPT_FIELD(struct p2pb_engine_spec, count), .def = "1",
	  .min = 1, .max = 64, .help = "identical importers" },
	{ 0 },
};

static void known_kinds(char *buf, size_t len)
{
	unsigned int i;

	buf[0] = 0;
	for (i = 0; p2pb_engines[i]; i++)
		append(buf, len, "%s%s", i ? ", " : "", p2pb_engines[i]->name);
}

static int parse_kv(struct p2pb_engine_spec *sp, char *kv)
{
	char *eq = strchr(kv, '='), keys[256] = "", form[128], desc[512];
	const struct p2pb_opt *opt;
	void *opts = sp;

	if (!eq)
		return p2pb_fail(-EINVAL, "bad importer '%s': '%s' is not key=value (see --help)", sp->text, kv);
	*eq = 0;
	opt = p2pb_opt_find(spec_keys, kv);
	if (!opt) {
		opt = p2pb_opt_find(sp->ops->keys, kv);
		opts = sp->opts;
	}
	if (!opt) {
		p2pb_opts_names(spec_keys, keys, sizeof(keys));
		p2pb_opts_names(sp->ops->keys, keys, sizeof(keys));
		return p2pb_fail(-EINVAL, "bad importer '%s': %s has no key '%s' (keys: %s)", sp->text, sp->ops->name,
				 kv, keys);
	}
	if (p2pb_opt_set(opt, opts, eq + 1))
		return p2pb_fail(-EINVAL, "bad importer '%s': %s=%s: expected %s=%s (%s)", sp->text, kv, eq + 1, kv,
				 p2pb_opt_metavar(opt, form, sizeof(form)), p2pb_opt_describe(opt, desc, sizeof(desc)));
	return 0;
}

int p2pb_engine_spec_parse(const char *text, struct p2pb_engine_spec *sp)
{
	char buf[P2PB_SPEC_LEN], kinds[128], *colon, *kv, *save = NULL;

	memset(sp, 0, sizeof(*sp));
	if (strlen(text) >= sizeof(buf))
		return p2pb_fail(-EINVAL, "importer spec too long: '%s'", text);
	snprintf(sp->text, sizeof(sp->text), "%s", text);
	snprintf(buf, sizeof(buf), "%s", text);
	colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	sp->ops = p2pb_engine_find(buf);
	if (!sp->ops) {
		known_kinds(kinds, sizeof(kinds));
		return p2pb_fail(-EINVAL, "unknown importer kind '%s' in '%s' (known: %s)", buf, text, kinds);
	}
	if (p2pb_opts_defaults(spec_keys, sp) || p2pb_opts_defaults(sp->ops->keys, sp->opts))
		return -EINVAL;
	for (kv = colon ? strtok_r(colon + 1, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save))
		if (parse_kv(sp, kv))
			return -EINVAL;
	return 0;
}

int p2pb_engine_spec_check(const struct p2pb_engine_spec *sp)
{
	return sp->ops->check ? sp->ops->check(sp->opts, sp->text) : 0;
}

/* One key for --help: "key=FORM", @between, what it does with its bounds and default, @after. */
static void key_help(FILE *f, const struct p2pb_opt *opt, const char *between, const char *after)
{
	char form[128], desc[512];

	fprintf(f, "%s=%s%s%s%s", opt->name, p2pb_opt_metavar(opt, form, sizeof(form)), between,
		p2pb_opt_describe(opt, desc, sizeof(desc)), after);
}

void p2pb_engine_help(FILE *f)
{
	const struct p2pb_opt *opt;
	unsigned int i;

	fprintf(f, "Importers: KIND[:key=value,...]; every kind takes");
	for (opt = spec_keys; opt->name; opt++) {
		fputc(' ', f);
		key_help(f, opt, ": ", opt[1].name ? ";" : "\n");
	}
	for (i = 0; p2pb_engines[i]; i++) {
		fprintf(f, "  %-9s %s\n", p2pb_engines[i]->name, p2pb_engines[i]->help);
		for (opt = p2pb_engines[i]->keys; opt && opt->name; opt++) {
			fputs("    ", f);
			key_help(f, opt, "\n        ", "\n");
		}
	}
}
