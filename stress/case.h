/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CASE_H
#define P2PB_CASE_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "exporter.h"
#include "hist.h"
#include "job.h"
#include "kmsg.h"
#include "metric.h"
#include "result.h"
#include "session.h"
#include "verdict.h"
#include "vfio.h"

/*
 * One revoke case as plain data: what p2pb_case_run() measured, from which
 * case_format.c builds the JSON, the terminal table and the KTAP lines. Each
 * iteration runs the phases before -> trigger -> quiesce -> revoked ->
 * restore -> remap -> after (docs/methodology.md).
 */
struct p2pb_window {
	uint64_t bytes, ns;		/* device DMA moved in a window of ns */
};

/*
 * Data moved by an engine that keeps throughput bins (the NVMe load) over one
 * iteration, on CLOCK_MONOTONIC (docs/methodology.md, "Revoke under load").
 */
struct p2pb_load_obs {
	uint64_t last_before_ns;	/* last completion of I/O submitted before the invalidate; 0 none */
	uint64_t first_after_ns;	/* first good completion after the remap (the last importer's); 0 none */
	uint64_t revoked_bytes;		/* good I/O submitted after an invalidate */
	uint64_t io_errors, io_timeouts;
	uint32_t last_error;		/* device status of the last failure */
	uint64_t bin_ns, bins_start_ns;	/* width; start of bin 0 */
	unsigned int n_bins;
	uint64_t *bin_bytes;		/* [n_bins], owned */
	uint32_t *bin_errors;		/* [n_bins], owned */
	bool bins_dropped;		/* the engine's ring overflowed: the timeline has holes */
};

uint64_t p2pb_load_stall_ns(const struct p2pb_load_obs *lo);

struct p2pb_iter_result {
	struct p2pb_iter_obs obs;	/* what the verdict judges; obs.atts = atts */
	struct p2pb_att_obs *atts;
	bool warmup;
	uint64_t t0_ns;			/* trigger start, CLOCK_MONOTONIC */
	uint64_t revoke_to_quiesce_ns;	/* 0: no unmap seen */
	bool forced_unmap;
	bool probed;			/* config and BAR read during the revoke */
	uint64_t cfg_start_ns, cfg_ns, bar_start_ns, bar_ns;
	int cfg_errno, bar_errno;
	bool unrevoke_timed;
	uint64_t unrevoke_ns, remap_ns;
	bool dma;
	struct p2pb_window before, during, after;
	uint64_t unrevoke_end_ns;	/* trigger undone, or returned when it un-revokes by itself */
	uint64_t remap_start_ns;	/* the importers were asked to map again (0: close, at the restore) */
	bool load;			/* load_obs is filled */
	struct p2pb_load_obs load_obs;
	json_object *kernel_events;	/* with --trace: lib/trace's events, owned */
	char stuck_stack[1024];		/* a hung trigger's kernel stack, a function a line */
	/*
	 * What a return with live mappings let through (a bounded revoke):
	 * the longest an importer kept its mapping into the exporter's memory
	 * after that memory went away, how many did, and what a load moved
	 * through the mapping in that time (docs/methodology.md, "Harm").
	 */
	uint64_t harm_dead_mapped_ns;
	unsigned int harm_atts;
	uint64_t harm_bytes;
};

/* The importers a case's table shows one by one when it has several. */
#define P2PB_TABLE_IMPORTERS 8

struct p2pb_importer_info {
	const struct p2pb_engine_spec *spec;	/* in the result's job */
	json_object *describe;			/* the engine's view of the instance, owned */
};

/* Un-revoke (or remap request, whichever is later) to the first good I/O; 0: not seen. */
uint64_t p2pb_load_recovery_ns(const struct p2pb_iter_result *it);

/*
 * The metrics an iteration and an attachment measured, by id
 * (lib/metric.h): what the case's histograms, the JSON and the table read.
 * Adding a metric of a revoke case starts here.
 */
/* A window's bytes per second, 0 for an empty one. */
uint64_t p2pb_window_rate(const struct p2pb_window *w);
void p2pb_iter_metrics(const struct p2pb_iter_result *it, struct p2pb_metric_values *mv);
void p2pb_att_metrics(const struct p2pb_att_obs *a, struct p2pb_metric_values *mv);

struct p2pb_case_result {
	struct p2pb_job job;
	struct p2pb_range range[P2PB_MAX_DMABUFS];
	unsigned int n_dmabufs;
	struct p2pb_importer_info *importers;
	unsigned int n_importers;
	struct p2pb_iter_result *iters;
	unsigned int n_iters, measured, forced_iters;
	struct p2pb_hist h[P2PB_N_CASE_METRICS];	/* by metric id, measured iterations only */
	/* invalidate->unmap of each of the first importers: which one a revoke waited for */
	struct p2pb_hist unmap_by_importer[P2PB_TABLE_IMPORTERS];
	bool dma;
	struct p2pb_window dma_before, dma_during, dma_after;
	uint64_t dma_stale;
	bool load;			/* some iteration had a load timeline */
	uint64_t load_revoked_bytes, load_io_errors, load_io_timeouts;
	uint64_t data_blocks, data_device, data_filled, data_bad, data_missing;	/* --verify, every iteration */
	uint64_t readback_blocks, readback_bad;	/* --verify, a write load's device at the end */
	struct p2pb_kmsg_counts klog;	/* the whole case */
	uint64_t iommu_fault_irqs;
	uint64_t harm_dead_mapped_max_ns;	/* the worst iteration's harm_dead_mapped_ns */
	struct p2pb_verdict_ctx ctx;
	struct p2pb_verdict verdict;
	bool kernel_stuck;		/* a trigger never came back: the device was left alone */
	bool memory_watched;		/* C9's kernel side was recorded (lib/exporter_watch) */
	char memory_watch_off[160];	/* otherwise why not */
};

/*
 * The job's BAR range [offset, +size or to the end), checked against the
 * BAR, cut into j->dmabufs page-aligned ranges (*n of them).
 */
int p2pb_plan_ranges(struct p2pb_exporter *x, const struct p2pb_job *j, struct p2pb_range *range, unsigned int *n);
/* Run one case; the result is complete whatever happened (see verdict). */
void p2pb_case_run(struct p2pb_session *s, const struct p2pb_job *j, struct p2pb_case_result *r);
void p2pb_case_result_free(struct p2pb_case_result *r);
/* A trigger never came back from the kernel: stop, leave the device alone. */
bool p2pb_case_kernel_stuck(void);

/* case_format.c: formats, never measures. */
json_object *p2pb_case_json(const struct p2pb_case_result *r);
/* {outcome, clauses, violations, ...} of one verdict (results/schema/result-v2.md). */
json_object *p2pb_verdict_json(const struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx);
void p2pb_case_ktap(struct p2pb_ktap *k, const struct p2pb_case_result *r);
void p2pb_case_table_header(void);
void p2pb_case_table(const struct p2pb_case_result *r);
void p2pb_case_timeline(const struct p2pb_case_result *r, bool kernel_tracepoints, bool traced);

/* One row of the closing table of a run. */
struct p2pb_case_summary {
	char name[P2PB_NAME_LEN];
	enum p2pb_outcome outcome;
	char clauses[32];		/* violated: "C1,C3" */
	unsigned int iterations;
	uint64_t r2q_p50, r2q_max, trigger_p50;
};
void p2pb_case_summarize(const struct p2pb_case_result *r, struct p2pb_case_summary *s);
void p2pb_case_summary_table(const struct p2pb_case_summary *s, unsigned int n);
#endif
