/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_JOB_H
#define P2PB_JOB_H
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "pci.h"
#include "trigger.h"

/*
 * One revoke case: a device, the dma-bufs exported from it, the importers
 * attached to each, a trigger and how often to pull it. The orchestration
 * sets the fields; the keys of a job file and the command line that fill
 * them, with their defaults, are declared in cli/job_file.c.
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

/* Append the importer @spec (KIND:key=value,...); -EINVAL with a p2pb_fail() message. */
int p2pb_job_add_importer(struct p2pb_job *j, const char *spec);
#endif
