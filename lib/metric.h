/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_METRIC_H
#define P2PB_METRIC_H
/*
 * Every metric p2pbench writes into a result document and reads back,
 * declared once (metric.c): its name (what compare, thresholds, limits and
 * the report call it), where it sits in a document, its unit, which way is
 * better, and the line that explains it (--help, the report's legends,
 * docs/methodology.md, checked by unit.metric). The orchestration computes
 * a metric's values by id; the JSON writers put them at the row's paths; the
 * result reader (analyze/resultset.c) finds them there.
 *
 * Adding a metric: compute it in the orchestration (for a revoke case:
 * p2pb_iter_metrics() or p2pb_att_metrics() in stress/case.c), add its id
 * here and its row in metric.c, and say what it means in
 * docs/methodology.md.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum p2pb_better { P2PB_LOWER_BETTER, P2PB_HIGHER_BETTER };

enum p2pb_metric_id {
	/* a revoke case (revoke, trace, timeout-sweep): the case keeps a histogram of each */
	P2PB_M_REVOKE_TO_QUIESCE,
	P2PB_M_TRIGGER,
	P2PB_M_TRIGGER_TO_INVALIDATE,
	P2PB_M_INVALIDATE_TO_UNMAP,
	P2PB_M_UNREVOKE,
	P2PB_M_REMAP,
	P2PB_M_CONFIG_READ,
	P2PB_M_BAR_READ,
	P2PB_M_LOAD_STALL,
	P2PB_M_LOAD_FIRST_IO,
	P2PB_M_DMA_BEFORE,
	P2PB_M_DMA_DURING,
	P2PB_M_DMA_AFTER,
	P2PB_N_CASE_METRICS,
	/* stress: per trigger, and the run */
	P2PB_M_STRESS_REVOKE = P2PB_N_CASE_METRICS,
	P2PB_M_STRESS_OPS,
	/* rdma: per message size (a step) */
	P2PB_M_RDMA_BANDWIDTH,
	P2PB_M_RDMA_LATENCY,
	P2PB_M_RDMA_STALL,
	/* bench/revoke-scale.sh: per point */
	P2PB_M_SCALE_REVOKE_TO_QUIESCE,
	P2PB_M_SCALE_TRIGGER,
	P2PB_N_METRICS
};

/* What a case object of a document is, for the metrics found in it. */
enum p2pb_metric_family {
	P2PB_FAMILY_REVOKE,		/* cases[] of revoke, trace and timeout-sweep documents */
	P2PB_FAMILY_STRESS_TRIGGER,	/* stress.triggers[] */
	P2PB_FAMILY_STRESS_RUN,		/* stress */
	P2PB_FAMILY_RDMA_STEP,		/* rdma.steps[] */
	P2PB_FAMILY_SCALE_POINT,	/* dmabufs.points[], attachments.points[] of a revoke-scale document */
};

/* Where a metric's samples are, relative to its case object. */
enum p2pb_metric_where {
	P2PB_PER_ITERATION,	/* one sample at @path in each measured iteration (iterations[]) */
	P2PB_PER_ATTACHMENT,	/* one sample at @path in each attachment of each measured iteration */
	P2PB_PER_CASE,		/* one sample at @path in the case; "A/B" is the quotient of two paths */
	P2PB_SUMMARY_ONLY,	/* no samples: only the summary at @summary */
};

/**
 * struct p2pb_metric - one metric, declared once
 * @name: the series' name in compare, thresholds ([metric GLOB]), limits and the report
 * @family: the case objects it is found in
 * @where: how its samples are laid out
 * @path: a sample's dotted path (in the iteration, attachment or case); NULL for summary-only
 * @summary: the dotted path of its summary in the case, {count, min, mean, p50, p90, p99,
 *	p99.9, max}, written when anything was measured; NULL when the document keeps none
 * @unit: "ns", "B/s", "ops/s"
 * @better: which way is an improvement
 * @label: the row of the terminal table
 * @help: one line, what it measures
 */
struct p2pb_metric {
	const char *name;
	enum p2pb_metric_family family;
	enum p2pb_metric_where where;
	const char *path;
	const char *summary;
	const char *unit;
	enum p2pb_better better;
	const char *label;
	const char *help;
};

extern const struct p2pb_metric p2pb_metrics[P2PB_N_METRICS];

/* The metric of that name, or NULL. */
const struct p2pb_metric *p2pb_metric_find(const char *name);
/* Every metric, one line each ("  NAME  UNIT  help"), for --help. */
void p2pb_metric_help(FILE *f);

/* Values of the metrics one observation measured (an iteration, an attachment). */
struct p2pb_metric_values {
	uint64_t v[P2PB_N_METRICS];
	uint64_t set;			/* bit per metric id: measured */
};

static inline void p2pb_metric_set(struct p2pb_metric_values *mv, enum p2pb_metric_id id, uint64_t v)
{
	mv->v[id] = v;
	mv->set |= 1ull << id;
}

static inline bool p2pb_metric_has(const struct p2pb_metric_values *mv, enum p2pb_metric_id id)
{
	return mv->set & (1ull << id);
}
#endif
