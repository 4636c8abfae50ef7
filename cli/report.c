// SPDX-License-Identifier: GPL-2.0
/* p2pbench report: result documents into one HTML page with figures, CSV, and a qualification verdict. */
#define _GNU_SOURCE
#include "commands.h"
#include "error.h"
#include "html_report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2pbench report [OPTIONS] -o DIR RESULT...\n\n"
		"Writes DIR/index.html: one self-contained page (inline SVG figures made by gnuplot, no\n"
		"script, nothing fetched) with the contract verdicts and their evidence, revoke-to-quiesce\n"
		"CDFs per job section, throughput timelines through a revoke with the trigger, invalidate,\n"
		"unmap and first-good-I/O marks, timeout-sweep heatmaps (delay x timeout, colour = trigger\n"
		"time, letter = verdict), scale curves, percentile tables, and the runs' hosts, kernels and\n"
		"commands. Every table is also DIR/csv/ID.csv; the figures' gnuplot scripts and data are in\n"
		"DIR/plots/; the inputs (and their KTAP) are copied to DIR/data/ and linked.\n\n"
		"RESULT: result documents or directories of them, as for p2pbench compare.\n\n"
		"Options:\n"
		"  -o, --output DIR         the report directory: new, empty, or an earlier report, which\n"
		"                           is replaced only when the new one is complete\n"
		"      --title TEXT         the page title (default: p2pbench report)\n"
		"  -q, --qualify FILE       lead with a qualification: every [limit] of the threshold\n"
		"                           file against the cases it names, and every case's verdict\n"
		"                           (docs/thresholds.md); exit 1 when it fails\n"
		"  -b, --baseline PATH      add a comparison against these results (as p2pbench compare,\n"
		"                           with the [compare]/[metric] sections of --thresholds and\n"
		"                           --qualify's file); exit 1 on a regression\n"
		"  -t, --thresholds FILE    compare thresholds: the [compare] and [metric] sections (its\n"
		"                           limits are not used; --qualify's file is read after it)\n"
		"  -h, --help\n\n"
		"Exit status: 0 written (qualification PASS, no regression), 1 written but the qualification\n"
		"failed or the baseline comparison found a regression, 2 bad input (nothing written).\n\n"
		"Metrics (what [limit] keys name as METRIC.STAT, STAT one of p50, p90, p99, max, min, value):\n");
	p2pb_metric_help(f);
}

struct report_args {
	struct p2pb_report_opts o;
	const char *qual_path, *thr_path;
	char **results;			/* the RESULT arguments */
	int n_results;
};

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct report_args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },   { "title", required_argument, NULL, 'T' },
		{ "qualify", required_argument, NULL, 'q' },  { "baseline", required_argument, NULL, 'b' },
		{ "thresholds", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:q:b:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': a->o.dir = optarg; break;
		case 'T': a->o.title = optarg; break;
		case 'q': a->qual_path = optarg; break;
		case 'b': a->o.baseline_path = optarg; break;
		case 't': a->thr_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!a->o.dir || optind == argc) {
		fprintf(stderr, "p2pbench report: give -o DIR and at least one RESULT (see --help)\n");
		return 2;
	}
	a->results = argv + optind;
	a->n_results = argc - optind;
	a->o.thresholds_path = a->qual_path ? a->qual_path : a->thr_path;
	return -1;
}

/* --thresholds gives compare rules only; limits come from --qualify's file (which may refine rules). */
static int thresholds_read(const struct report_args *a, struct p2pb_thresholds *t)
{
	p2pb_thresholds_defaults(t);
	if (a->thr_path && p2pb_thresholds_load(t, a->thr_path))
		return -1;
	t->n_limits = 0;
	if (a->qual_path && p2pb_thresholds_load(t, a->qual_path))
		return -1;
	if (a->qual_path && !t->n_limits)
		return p2pb_fail(-1, "%s has no [limit] section: nothing to qualify against", a->qual_path);
	return 0;
}

static int results_read(const struct report_args *a, struct p2pb_rset *set)
{
	size_t d;
	int i;

	for (i = 0; i < a->n_results; i++)
		if (p2pb_rset_add(set, a->results[i]))
			return -1;
	for (d = 0; d < set->n_docs; d++)
		if (set->docs[d].legacy_type1)
			return 0;	/* a finding without cases */
	return set->n_cases ? 0 : p2pb_fail(-1, "the results hold no cases to report");
}

/* The lines after the report is written; the exit status. */
static int summary(const struct report_args *a, const struct p2pb_report_stats *st, const struct p2pb_qual *q,
		   const struct p2pb_compare *cmp)
{
	int rc = 0;

	printf("report: %s/index.html (%u documents, %u figures, %u tables)\n", a->o.dir, st->documents,
	       st->figures, st->tables);
	if (a->o.qual) {
		printf("qualification: %s (%zu of %zu checks met)\n", q->pass ? "PASS" : "FAIL", q->n_rows - q->failed,
		       q->n_rows);
		rc |= !q->pass;
	}
	if (a->o.cmp) {
		printf("against %s: %zu regressions, %zu improvements\n", a->o.baseline_path, cmp->regressions,
		       cmp->improvements);
		rc |= cmp->regressions > 0;
	}
	return rc;
}

int p2pb_cmd_report(int argc, char **argv)
{
	struct report_args a = { .o = { .title = "p2pbench report" } };
	struct p2pb_rset set = { 0 }, base = { 0 };
	struct p2pb_thresholds t;
	struct p2pb_qual q = { 0 };
	struct p2pb_compare cmp = { 0 };
	struct p2pb_report_stats st;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = 2;
	if (thresholds_read(&a, &t) || results_read(&a, &set) || (a.qual_path && p2pb_qualify(&set, &t, &q)) ||
	    (a.o.baseline_path && (p2pb_rset_add(&base, a.o.baseline_path) || p2pb_compare_run(&base, &set, &t, &cmp))))
		goto fail;
	a.o.qual = a.qual_path ? &q : NULL;
	a.o.cmp = a.o.baseline_path ? &cmp : NULL;
	if (p2pb_report_write(&set, &a.o, &st))
		goto fail;
	rc = summary(&a, &st, &q, &cmp);
	goto out;
fail:
	fprintf(stderr, "p2pbench report: %s\n", p2pb_error());
out:
	p2pb_qual_free(&q);
	p2pb_compare_free(&cmp);
	p2pb_rset_free(&set);
	p2pb_rset_free(&base);
	return rc;
}
