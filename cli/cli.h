/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLI_CLI_H
#define P2PB_CLI_CLI_H
/* What every command's front-end does the same way: declared keys as options, exits it cannot undo. */
#include <getopt.h>
#include <stdio.h>

#include "opt.h"
#include "result.h"

/* A declared key that has a short option too: -d for device. */
struct p2pb_cli_short {
	int letter;
	const char *key;
};

#define P2PB_CLI_MAX_OPTS 64
#define P2PB_CLI_KEY 0x100	/* getopt_long's val of a key without a short option: this + its index */
#define P2PB_CLI_SHORTOPTS_LEN 128

/*
 * The getopt_long options of a command: every key of @keys (a FLAG without
 * an argument, any other with one; a key of @shorts, which ends with a 0
 * letter, returns its letter, any other P2PB_CLI_KEY + its index), then
 * @extra up to its NULL name. Into @out, NULL-terminated; -E2BIG with a
 * message past P2PB_CLI_MAX_OPTS.
 */
int p2pb_cli_options(const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts, const struct option *extra,
		     struct option out[P2PB_CLI_MAX_OPTS + 1]);
/*
 * getopt's short options of @keys' letters in @shorts (a FLAG's alone, any
 * other's with ':'), then @more ("h", or an extra option's "j:") as it is.
 */
void p2pb_cli_shortopts(const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts, const char *more,
			char out[P2PB_CLI_SHORTOPTS_LEN]);
/* The key behind getopt_long's @val, or NULL: an option of the extra ones. */
const struct p2pb_opt *p2pb_cli_key(const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts, int val);
/* @opt's value from the command line into @opts; 0, or -EINVAL with "--KEY VALUE: KEY=VALUE: why". */
int p2pb_cli_set(const struct p2pb_opt *keys, const struct p2pb_opt *opt, void *opts, const char *val);
/* A key as an option, for --help: "-D, --duration D", what it does, its bounds and default. */
void p2pb_cli_key_help(FILE *f, const struct p2pb_opt *key, const struct p2pb_cli_short *shorts);
/* Every key of @keys so. */
void p2pb_cli_keys_help(FILE *f, const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts);

/* A command line read by declared keys: p2pb_cli_begin(), then p2pb_cli_read(). */
struct p2pb_cli_line {
	const char *prog;			/* "load": its messages start "p2pbench load: " */
	const struct p2pb_opt *keys;
	const struct p2pb_cli_short *shorts;
	void (*usage)(FILE *f, const struct p2pb_cli_line *l);
	struct option longopts[P2PB_CLI_MAX_OPTS + 2];	/* made by p2pb_cli_begin(), --help last */
	char shortopts[P2PB_CLI_SHORTOPTS_LEN];	/* made by p2pb_cli_begin() from @shorts, -h last */
};

/*
 * Before the first option: every key's default into @opts, the getopt_long
 * options (the keys, @extra, then --help, val 'h'), the short ones (@shorts,
 * then -h) and optind reset. 0, or
 * -EINVAL with the message printed.
 */
int p2pb_cli_begin(struct p2pb_cli_line *l, const struct option *extra, void *opts);
/*
 * The options in order, every key's value into @opts as it comes, until the
 * end (-1; optind: the first argument) or one that is not a key: --help
 * prints the usage and returns 0, getopt's complaint ('?') the usage on
 * stderr and 2, a bad value its message and 2; an option of @extra returns
 * its val (a letter) for the caller.
 */
int p2pb_cli_read(struct p2pb_cli_line *l, int argc, char **argv, void *opts);
/* After the options, and a command's own arguments: 0 if none is left, else 2 with the first one named. */
int p2pb_cli_no_more(const struct p2pb_cli_line *l, int argc, char **argv);
/* The options part of a usage: every key of @l, then --help. */
void p2pb_cli_line_help(FILE *f, const struct p2pb_cli_line *l);

/*
 * A trigger is stuck in the kernel, and the results are written: the KTAP
 * bail-out (@ktap may be NULL), one line on stderr naming @prog, and the
 * exit (1) that does not wait for the stuck thread (lib/child.h). Device
 * bindings are left as they are: nothing can be undone.
 */
void p2pb_cli_exit_stuck(const char *prog, struct p2pb_ktap *ktap) __attribute__((noreturn));
#endif
