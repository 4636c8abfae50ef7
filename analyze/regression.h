/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_REGRESSION_H
#define P2PB_REGRESSION_H
#include <stdbool.h>
#include <stdio.h>

#include "resultset.h"
#include "thresholds.h"

/*
 * Two result sets, case by case and metric by metric: the change of the
 * median, whether it is beyond the noise of the iterations (a rank test over
 * the samples, corrected for the number of metrics compared; the spread of a
 * summary when only that exists), and whether it matters (the thresholds).
 */
enum p2pb_noise {
	P2PB_NOISE_UNKNOWN,		/* too few samples to tell */
	P2PB_NOISE_WITHIN,
	P2PB_NOISE_BEYOND,
};

enum p2pb_change {
	P2PB_SAME,			/* within noise, or too small to matter */
	P2PB_CHANGED,			/* beyond noise or undecidable, but not judged */
	P2PB_IMPROVEMENT,
	P2PB_REGRESSION,
};

struct p2pb_cmp_metric {
	char metric[64];
	const char *unit;
	enum p2pb_better better;
	size_t n_base, n_new;		/* samples (or the summaries' counts) */
	double base_p50, new_p50, base_p99, new_p99;
	double change;			/* (new - base) / base of the medians; NAN when base is 0 */
	double p, p_adjusted;		/* rank test, before and after the correction; NAN without samples */
	double min_p;			/* the smallest p these sample counts allow */
	enum p2pb_noise noise;
	char why[96];			/* how the noise was decided */
	enum p2pb_change verdict;
};

struct p2pb_cmp_case {
	char name[128];
	char kind[32];
	char job[64];				/* the job file's name, "-" for none */
	const struct p2pb_rcase *base, *new;	/* NULL: missing on that side */
	char base_outcome[12], new_outcome[12];
	char new_reason[200];
	bool params_changed;
	char base_params[192], new_params[192];
	enum p2pb_change outcome_verdict;	/* REGRESSION: a worse verdict; IMPROVEMENT; CHANGED; SAME */
	struct p2pb_cmp_metric *metrics;
	size_t n_metrics;
};

struct p2pb_compare {
	struct p2pb_cmp_case *cases;
	size_t n_cases;
	size_t matched, missing, added;
	size_t regressions, improvements, changed, undecided, verdicts_changed;
	bool across_hosts;
	char base_hosts[128], new_hosts[128];
	char base_machines[480], new_machines[480];	/* how they were made ("" unknown) */
};

int p2pb_compare_run(const struct p2pb_rset *base, const struct p2pb_rset *new,
		     const struct p2pb_thresholds *t, struct p2pb_compare *out);
void p2pb_compare_free(struct p2pb_compare *c);
const char *p2pb_change_name(enum p2pb_change c);
const char *p2pb_noise_name(enum p2pb_noise n);
#endif
