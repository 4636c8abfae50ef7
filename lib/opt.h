/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_OPT_H
#define P2PB_OPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Options declared once (fio's struct fio_option is the model): the parser,
 * the bounds, the default, --help and the error message all come from the
 * declaration. It names a field by its offset in an options struct, so one
 * table type serves any struct of key=value options, whichever layer owns it.
 */

#define P2PB_NEVER UINT64_MAX

enum p2pb_opt_type {
	P2PB_OPT_DURATION,	/* ns: "200ms"; a bare number is in @unit_ns; P2PB_OPT_NEVER: "never" */
	P2PB_OPT_SIZE,		/* bytes: "64k"; a multiple of @multiple if set */
	P2PB_OPT_UINT,		/* a decimal number */
	P2PB_OPT_CHOICE,	/* one of @choices, stored as its index */
	P2PB_OPT_BOOL,		/* 0|1 into a bool */
	P2PB_OPT_BDF,		/* a PCI function, stored as DDDD:BB:DD.F into char[P2PB_BDF_LEN] or larger */
	P2PB_OPT_TEXT,		/* a string copied into char[@size], which it must fit */
	P2PB_OPT_STRING,	/* the value itself into a const char *: it must outlive the options */
	P2PB_OPT_FLAG,		/* a switch: no value (a command-line flag), 1 or true; stored as true into a bool */
	P2PB_OPT_CUSTOM,	/* a structured value: @parse */
};

#define P2PB_OPT_NEVER	(1u << 0)	/* DURATION: "never" is accepted, stored as P2PB_NEVER */

/**
 * struct p2pb_opt - one key=value option
 * @name: the key
 * @type: how its value is read and stored
 * @off, @size: the field it fills (P2PB_OPT_FIELD); a number is stored in
 *	@size bytes and must fit them. CUSTOM may fill more fields, or none.
 * @def: the default as a user would write it, parsed as one before the
 *	given keys and printed in help; NULL: the field stays as it was
 * @unset: instead of @def, a default decided once every key was read,
 *	because it depends on others: help prints this text as the default,
 *	and a DURATION, SIZE or UINT field holds all ones (P2PB_OPT_UNSET for
 *	64 bits) until the key is given, a value no user can give
 * @min, @max: bounds of a DURATION, SIZE or UINT (@max 0: none but the field's)
 * @multiple: SIZE: the value is a multiple of it
 * @unit_ns: DURATION (and a CUSTOM made of durations): a bare number's unit
 * @stored_ns: DURATION: the field counts units of this many ns, rounded
 *	down (0: ns); @min and @max stay in ns
 * @zero: what 0 means; 0 is then accepted whatever @min
 * @choices: CHOICE: the names, NULL-terminated
 * @flags: P2PB_OPT_*
 * @metavar: the value's form in help and errors; NULL: made from the type
 * @help: what the key does; bounds, unit and default are added to it
 * @parse: CUSTOM: fill the struct at @opts from @val; 0 or -EINVAL, with a
 *	p2pb_fail() message saying why or without one (the declaration makes it)
 */
struct p2pb_opt {
	const char *name;
	enum p2pb_opt_type type;
	size_t off, size;
	const char *def, *unset;
	uint64_t min, max, multiple, unit_ns, stored_ns;
	const char *zero;
	const char *const *choices;
	unsigned int flags;
	const char *metavar, *help;
	int (*parse)(const struct p2pb_opt *opt, void *opts, const char *val);
};

#define P2PB_OPT_FIELD(type, member) .off = offsetof(type, member), .size = sizeof(((type *)0)->member)
#define P2PB_OPT_UNSET UINT64_MAX

/* The declaration of @name in a table ending with a NULL name, or NULL. */
const struct p2pb_opt *p2pb_opt_find(const struct p2pb_opt *table, const char *name);
/* Set @opt's field(s) in @opts from @val; 0 or -EINVAL, no message (p2pb_opt_describe makes it). */
int p2pb_opt_set(const struct p2pb_opt *opt, void *opts, const char *val);
/*
 * @key=@val into @opts by @table; 0, or -EINVAL with the message: the keys
 * there are, or "KEY=VAL: " and why (a CUSTOM parser's reason, or the
 * form, bounds and default the value missed).
 */
int p2pb_opt_parse(const struct p2pb_opt *table, void *opts, const char *key, const char *val);
/* Every declared default of @table into @opts; -EINVAL with p2pb_fail() for a default that does not parse. */
int p2pb_opts_defaults(const struct p2pb_opt *table, void *opts);
/* The value's form: "1..63", "SIZE", "dynamic|static". */
const char *p2pb_opt_metavar(const struct p2pb_opt *opt, char *buf, size_t len);
/* @help with the bounds, the unit and the default: "...; 4 KiB..1 MiB (default 64k)". */
const char *p2pb_opt_describe(const struct p2pb_opt *opt, char *buf, size_t len);
/* The keys of @table appended to @buf, ", "-separated. */
void p2pb_opts_names(const struct p2pb_opt *table, char *buf, size_t len);
/* A declaration the parser can serve in an options struct of @opts_size bytes (for the tests). */
bool p2pb_opt_servable(const struct p2pb_opt *opt, size_t opts_size);

/* One entry of a help list: "  LEAD  TEXT", TEXT wrapped at 100 columns and aligned under itself. */
void p2pb_help_entry(FILE *f, const char *lead, const char *text);
/* Every key of @table as a help entry: "key=FORM", and what it does with its bounds and default. */
void p2pb_opts_help(FILE *f, const struct p2pb_opt *table);
#endif
