/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_JOB_H
#define P2PB_JOB_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "pci.h"
#include "trigger.h"

/*
 * One revoke case: a device, the dma-bufs exported from it, the importers
 * attached to each, a trigger and how often to pull it. Command-line options
 * and fio-style INI job files set the same keys through p2pb_job_set(), so
 * they mean the same thing in both places.
 */
#define P2PB_MAX_IMPORTER_SPECS 8
#define P2PB_MAX_DMABUFS 1024
#define P2PB_NAME_LEN 64

struct p2pb_job {
	char name[P2PB_NAME_LEN];
	char device[32];		/* a BDF (vfio), or "sim[:FAULT]" in unit tests */
	uint32_t bar;
	uint64_t offset, size;		/* size 0: the whole BAR from offset */
	unsigned int dmabufs;
	const struct p2pb_trigger_ops *trigger;
	struct p2pb_engine_spec importers[P2PB_MAX_IMPORTER_SPECS];
	unsigned int n_importers;
	bool importers_from_section;	/* a section's importer= replaces the global ones */
	unsigned int iterations, warmup;
	uint64_t quiesce_timeout_ns;
	uint64_t watchdog_ns;		/* a trigger not back after this, importers gone: stuck (C1 FAIL) */
	uint64_t seed;
	bool config_probe;		/* time a config read issued during each revoke */
	bool verify;			/* check the data in the exported ranges after each iteration (C8) */
	uint64_t dwell_ns;		/* traffic window before and after each revoke;
					 * UINT64_MAX: 400 ms when an importer DMAs, else 0 */
};

void p2pb_job_defaults(struct p2pb_job *j);
/* key=value as in a job file; -EINVAL with a p2pb_fail() message. */
int p2pb_job_set(struct p2pb_job *j, const char *key, const char *value);
/* Complete and consistent? (device, trigger, at least one importer...) */
int p2pb_job_check(const struct p2pb_job *j);
/* Keys p2pb_job_set() knows, with their help, for --help. */
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
