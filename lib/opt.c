// SPDX-License-Identifier: GPL-2.0
/* Declared options: one parser, the defaults, the errors and the help of a table of keys. */
#define _GNU_SOURCE
#include "opt.h"
#include "error.h"
#include "pci.h"
#include "units.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

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

static bool is_number(const struct p2pb_opt *opt)
{
	return opt->type == P2PB_OPT_DURATION || opt->type == P2PB_OPT_SIZE || opt->type == P2PB_OPT_UINT;
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

/* A DURATION, SIZE or UINT within its bounds, as the field stores it. */
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
	if (*n < opt->min || (opt->max && *n > opt->max) || (opt->multiple && *n % opt->multiple))
		return -EINVAL;
	if (opt->type == P2PB_OPT_DURATION && opt->stored_ns)
		*n /= opt->stored_ns;
	/* all ones is the field's "not given" when the default is decided later */
	return *n > field_max(opt->size) || (opt->unset && *n == field_max(opt->size)) ? -EINVAL : 0;
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

/* The values that are not numbers; 1: @opt is a number or a choice, for the caller. */
static int set_other(const struct p2pb_opt *opt, void *opts, const char *val)
{
	char *field = (char *)opts + opt->off;
	struct p2pb_pci_addr a;

	if (!val && opt->type != P2PB_OPT_FLAG)
		return -EINVAL;
	switch (opt->type) {
	case P2PB_OPT_CUSTOM:
		return opt->parse(opt, opts, val) ? -EINVAL : 0;
	case P2PB_OPT_BDF:
		return p2pb_pci_parse(val, &a, field) ? -EINVAL : 0;
	case P2PB_OPT_TEXT:
		if (strlen(val) >= opt->size)
			return -EINVAL;
		memcpy(field, val, strlen(val) + 1);
		return 0;
	case P2PB_OPT_STRING:
		memcpy(field, &val, sizeof(val));
		return 0;
	case P2PB_OPT_FLAG:
		if (val && strcmp(val, "1") && strcmp(val, "true"))
			return -EINVAL;
		*(bool *)field = true;
		return 0;
	case P2PB_OPT_BOOL:
		if (strcmp(val, "0") && strcmp(val, "1"))
			return -EINVAL;
		*(bool *)field = val[0] == '1';
		return 0;
	default:
		return 1;
	}
}

int p2pb_opt_set(const struct p2pb_opt *opt, void *opts, const char *val)
{
	int rc = set_other(opt, opts, val);
	uint64_t n;

	if (rc <= 0)
		return rc;
	if (opt->type == P2PB_OPT_CHOICE ? read_choice(opt, val, &n) : read_number(opt, val, &n))
		return -EINVAL;
	store_uint((char *)opts + opt->off, opt->size, n);
	return 0;
}

int p2pb_opts_defaults(const struct p2pb_opt *table, void *opts)
{
	for (; table && table->name; table++) {
		if (table->def && p2pb_opt_set(table, opts, table->def))
			return p2pb_fail(-EINVAL, "option %s: its declared default '%s' does not parse", table->name,
					 table->def);
		if (!table->def && table->unset && is_number(table))
			store_uint((char *)opts + table->off, table->size, field_max(table->size));
	}
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

int p2pb_opt_parse(const struct p2pb_opt *table, void *opts, const char *key, const char *val)
{
	const struct p2pb_opt *opt = p2pb_opt_find(table, key);
	char keys[512] = "", form[128], desc[1024];

	if (!opt) {
		p2pb_opts_names(table, keys, sizeof(keys));
		return p2pb_fail(-EINVAL, "unknown key '%s' (keys: %s)", key, keys);
	}
	p2pb_clear_error();
	if (!p2pb_opt_set(opt, opts, val))
		return 0;
	/* a parser that said why (a BDF, a CUSTOM value) is more precise than the form */
	if (p2pb_has_error())
		return p2pb_fail(-EINVAL, "%s=%s: %s", key, val ? val : "", p2pb_error());
	return p2pb_fail(-EINVAL, "%s=%s: expected %s=%s: %s", key, val ? val : "", key,
			 p2pb_opt_metavar(opt, form, sizeof(form)), p2pb_opt_describe(opt, desc, sizeof(desc)));
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
		[P2PB_OPT_BOOL] = "0|1", [P2PB_OPT_BDF] = "BDF", [P2PB_OPT_TEXT] = "TEXT", [P2PB_OPT_STRING] = "TEXT",
		[P2PB_OPT_FLAG] = "1|true", [P2PB_OPT_CUSTOM] = "VALUE",
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
	if (opt->type == P2PB_OPT_TEXT)
		append(buf, len, "at most %zu characters", opt->size - 1);
	if (!is_number(opt) || form_has_bounds(opt))
		return;
	bound_text(opt, opt->min, lo, sizeof(lo));
	bound_text(opt, opt->max, hi, sizeof(hi));
	if (opt->min && opt->max)
		append(buf, len, "%s..%s", lo, hi);
	else if (opt->max)
		append(buf, len, "at most %s", hi);
	else if (opt->min == 1 && opt->type == P2PB_OPT_DURATION)
		append(buf, len, "above 0");	/* clearer than "at least 1ns" */
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
	else if (opt->unset)
		append(buf, len, " (default: %s)", opt->unset);
	return buf;
}

void p2pb_opts_names(const struct p2pb_opt *table, char *buf, size_t len)
{
	for (; table && table->name; table++)
		append(buf, len, "%s%s", buf[0] ? ", " : "", table->name);
}

static bool number_field(const struct p2pb_opt *o)
{
	return (o->size == 1 || o->size == 2 || o->size == 4 || o->size == 8) && (!o->max || o->min <= o->max);
}

bool p2pb_opt_servable(const struct p2pb_opt *o, size_t opts_size)
{
	if (!o->help || (o->type != P2PB_OPT_CUSTOM && o->off + o->size > opts_size))
		return false;
	switch (o->type) {
	case P2PB_OPT_DURATION:
		return p2pb_duration_unit(o->unit_ns) && number_field(o);
	case P2PB_OPT_SIZE:
	case P2PB_OPT_UINT:
		return number_field(o);
	case P2PB_OPT_CHOICE:
		return o->choices && o->size == sizeof(unsigned int);
	case P2PB_OPT_BOOL:
	case P2PB_OPT_FLAG:
		return o->size == sizeof(bool);
	case P2PB_OPT_BDF:
		return o->size >= P2PB_BDF_LEN;
	case P2PB_OPT_TEXT:
		return o->size > 1;
	case P2PB_OPT_STRING:
		return o->size == sizeof(const char *);
	default:
		return o->parse && o->metavar;
	}
}

#define HELP_COLUMN 24
#define HELP_WIDTH 100

void p2pb_help_entry(FILE *f, const char *lead, const char *text)
{
	const char *word = text, *end;
	int col = HELP_COLUMN;

	/* the text starts beside a short lead, under a long one */
	if (!*text || strlen(lead) > HELP_COLUMN - 3)
		fprintf(f, "  %s%s%*s", lead, *text ? "\n" : "", *text ? HELP_COLUMN : 0, "");
	else
		fprintf(f, "  %-*s ", HELP_COLUMN - 3, lead);
	/* word by word; a line holds at least one word, however long */
	for (; *word; word = end + strspn(end, " ")) {
		end = word + strcspn(word, " ");
		if (col > HELP_COLUMN && col + 1 + (end - word) > HELP_WIDTH) {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		}
		col += fprintf(f, "%s%.*s", col > HELP_COLUMN ? " " : "", (int)(end - word), word);
	}
	fputc('\n', f);
}

void p2pb_opts_help(FILE *f, const struct p2pb_opt *table)
{
	char lead[160], form[128], desc[1024];

	for (; table && table->name; table++) {
		snprintf(lead, sizeof(lead), "%s=%s", table->name, p2pb_opt_metavar(table, form, sizeof(form)));
		p2pb_help_entry(f, lead, p2pb_opt_describe(table, desc, sizeof(desc)));
	}
}
