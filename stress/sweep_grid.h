/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_SWEEP_GRID_H
#define P2PB_SWEEP_GRID_H
/*
 * The timeout sweep: one revoke case per cell of importer unmap delay x
 * revoke timeout x policy x trigger, on vfio-pci with kernel/vfio/patches.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "job.h"
#include "result.h"
#include "session.h"
#include "verdict.h"

#define P2PB_SWEEP_MAX_AXIS 16

struct p2pb_sweep_axis {
	char *v[P2PB_SWEEP_MAX_AXIS];
	unsigned int n;
	char buf[512];
};

/* One table row: a cell's parameters and the figures a maintainer reads first. */
struct p2pb_sweep_row {
	const struct p2pb_trigger_ops *trigger;
	const char *delay, *policy;
	unsigned int timeout_ms;
	uint64_t r2q_p50, r2q_max, trig_p50, trig_max, cfg_max, bar_max;
	unsigned int timeouts, warnings, mapped;
	bool dma;
	uint64_t dma_revoked_bytes, fault_irqs;
	uint64_t harm_ns;	/* longest a mapping outlived the exporter's memory */
	enum p2pb_outcome outcome;
	char clauses[32];	/* the violated ones */
};

/* The axes as given, the importer, and (once planned and run) the cells and what the run changed. */
struct p2pb_sweep {
	const char *triggers, *delays, *timeouts, *policies;	/* comma lists, "all" triggers */
	const char *json_path, *imp_dev, *dma;	/* json_path: rewritten after every cell */
	const char *beside;		/* another importer on the dma-buf in every cell, or NULL */
	bool misbehave, bind;
	struct p2pb_job base;		/* device, iterations, quiesce timeout */
	const struct p2pb_trigger_ops *trig[P2PB_SWEEP_MAX_AXIS];
	unsigned int n_trig;
	struct p2pb_sweep_axis ax_delay, ax_to, ax_pol;
	uint64_t to_ns[P2PB_SWEEP_MAX_AXIS];
	struct p2pb_sweep_row *cells;	/* every cell, in run order (free it) */
	unsigned int n_cells, done;
	char old_to[32], old_pol[32];	/* the module parameters to put back; "" when absent */
};

/* Check every axis value and lay out the cells (needs a device and imp_dev); 0 or -errno with a message. */
int p2pb_sweep_plan(struct p2pb_sweep *w);
/* Claim the device, read the module parameters (needed by any bounded cell), open KTAP at @ktap_path (if any). */
int p2pb_sweep_prepare(struct p2pb_session *s, struct p2pb_sweep *w, struct p2pb_ktap *ktap, const char *ktap_path);
/* Run the cells until done, interrupted or a trigger is stuck; the worst outcome. */
enum p2pb_outcome p2pb_sweep_run(struct p2pb_session *s, struct p2pb_sweep *w, struct p2pb_ktap *ktap,
				 json_object *doc);
/* Put the module parameters back (not while a trigger is stuck). */
void p2pb_sweep_restore(struct p2pb_sweep *w);
/* One row per cell run, and the legend. */
void p2pb_sweep_table(const struct p2pb_sweep *w);
#endif
