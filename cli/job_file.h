/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLI_JOB_FILE_H
#define P2PB_CLI_JOB_FILE_H
#include <stdio.h>

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
