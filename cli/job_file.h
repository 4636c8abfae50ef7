/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLI_JOB_FILE_H
#define P2PB_CLI_JOB_FILE_H
#include <stdio.h>

#include "cli.h"
#include "job.h"
#include "opt.h"

/*
 * The keys of a revoke job (struct p2pb_job, stress/job.h), declared once:
 * the command lines of revoke, trace, check, timeout-sweep and load and the
 * fio-style INI job files set the same keys, so they mean the same thing in
 * every place, with one default each.
 */
extern const struct p2pb_opt p2pb_job_keys[];

/* Every key's declared default. */
void p2pb_job_defaults(struct p2pb_job *j);
/* key=value as in a job file; -EINVAL with a p2pb_fail() message. */
int p2pb_job_set(struct p2pb_job *j, const char *key, const char *value);
/* Complete and consistent? (device, trigger, at least one importer, whole pages) */
int p2pb_job_check(const struct p2pb_job *j);
/* Every key with its form, bounds and default, for --help. */
void p2pb_job_help(FILE *f);

/* A job key a command takes as an option, with the command's default and help (NULL: the job's). */
struct p2pb_job_key_use {
	const char *name, *def, *help;
};

/* The command line of a command whose options are job keys (@use) and keys of its own (@own). */
struct p2pb_job_line {
	struct p2pb_cli_line cli;		/* its keys: @keys, once begun */
	const struct p2pb_job_key_use *use;
	size_t job_off;				/* where the options struct holds the job */
	const struct p2pb_opt *own;
	struct p2pb_opt keys[P2PB_CLI_MAX_OPTS + 1];
};

/*
 * Before the first option: the job's defaults, then @l's keys made (the job
 * keys @use names, with their form, bounds and help, their field moved by
 * @job_off; then @own) and p2pb_cli_begin() on them: the command's defaults
 * over the job's; then the whole command line read (p2pb_cli_read(), and no
 * argument left over: p2pb_cli_no_more()). -1: go on; else the exit status
 * (--help 0; an unknown job key, too many options or bad input 2, with the
 * message printed).
 */
int p2pb_job_line_read(struct p2pb_job_line *l, int argc, char **argv, void *opts);

/*
 * Parse an INI job file: [global] sets defaults (on top of *defaults, the
 * command line), every other section is one job. A trigger list such as
 * "trigger=flr,mem-off" expands to one job per trigger.
 */
int p2pb_job_file_parse(const char *path, const struct p2pb_job *defaults, struct p2pb_job **jobs,
			unsigned int *n);
/* The same expansion for a job made from the command line alone. */
int p2pb_job_expand(const struct p2pb_job *j, const char *triggers, struct p2pb_job **jobs,
		    unsigned int *n);
#endif
