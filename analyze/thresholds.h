/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_THRESHOLDS_H
#define P2PB_THRESHOLDS_H
#include <stdbool.h>
#include <stddef.h>

#include "resultset.h"

/*
 * What counts as a regression (compare) and what a device must meet
 * (qualification), from an INI file; docs/thresholds.md describes it:
 *
 *   [compare]                 alpha, min_change, min_abs, missing
 *   [metric GLOB]             min_change, min_abs, ignore: for metrics matching GLOB
 *   [limit CASE-GLOB]         METRIC.STAT = <= VALUE | >= VALUE: qualification limits
 *
 * Values take units: 10%, 2ms, 1.5s, 300us, 64M (bytes, binary), 0.95.
 */
#define P2PB_MAX_METRIC_RULES 32
#define P2PB_MAX_LIMITS 64

struct p2pb_metric_rule {
	char glob[64];
	double min_change;		/* relative, 0.1 = 10%; <0: not set here */
	double min_abs;			/* in the metric's unit; <0: not set here */
	int ignore;			/* -1 not set, 0, 1 */
};

struct p2pb_limit {
	char case_glob[128];
	char metric[64];
	char stat[8];			/* p50, p90, p99, max, min, or "value" for a single number */
	bool at_most;			/* <= (else >=) */
	double value;
	char text[64];			/* the value as written, for the report */
};

struct p2pb_thresholds {
	double alpha;			/* family-wise false-alarm rate over all metrics compared */
	double min_change;		/* a change smaller than this is not a regression, however sure */
	double min_abs;			/* <0: not given; then times take 100 us, other units 0 */
	bool missing_is_regression;	/* a baseline case the new run lacks */
	struct p2pb_metric_rule rules[P2PB_MAX_METRIC_RULES];
	size_t n_rules;
	struct p2pb_limit limits[P2PB_MAX_LIMITS];
	size_t n_limits;
};

void p2pb_thresholds_defaults(struct p2pb_thresholds *t);
/* -EINVAL with one p2pb_fail() message naming the file and line. */
int p2pb_thresholds_load(struct p2pb_thresholds *t, const char *path);
/*
 * The effective min_change/min_abs/ignore for a metric of a unit ("ns", "B/s"):
 * the last matching rule wins over [compare]; without any min_abs given, a
 * time must move by 100 us at least (boot-to-boot jitter of µs metrics).
 */
#define P2PB_DEFAULT_MIN_ABS_NS 100e3
void p2pb_thresholds_for(const struct p2pb_thresholds *t, const char *metric, const char *unit,
			 double *min_change, double *min_abs, bool *ignore);
/* "10%" -> 0.1 (*pct set), "2ms" -> 2e6, "64M" -> 67108864, "0.95" -> 0.95. */
int p2pb_parse_quantity(const char *s, double *out, bool *pct);
#endif
