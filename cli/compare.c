// SPDX-License-Identifier: GPL-2.0
/* p2pbench compare: what got worse between two runs, by how much, and is it noise. */
#define _GNU_SOURCE
#include "commands.h"
#include "regression.h"
#include "error.h"
#include "format.h"
#include "result.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2pbench compare [OPTIONS] BASELINE NEW\n\n"
		"Matches the cases of two runs by job kind and case name and reports, per metric, the\n"
		"change of the median and whether it is beyond the noise of the iterations: a two-sided\n"
		"Mann-Whitney rank test over the per-iteration samples, Holm-corrected over every metric\n"
		"compared (summaries alone: the medians further apart than the p90-p50 spread). A change\n"
		"beyond noise, in the worse direction and at least the thresholds (default 10%%, and\n"
		"100 us for times) is a regression; so is a verdict that got worse (PASS -> BOUNDED,\n"
		"FAIL, ERROR) and a baseline case the new run lacks. Every metric below is compared,\n"
		"and the bench/ documents' ratios and samples.\n\n"
		"BASELINE and NEW are result documents (--json of any command, bench/*.sh output) or\n"
		"directories of them (searched two levels deep: a results directory, a nightly's runs).\n"
		"Several runs of one job on a side are pooled; different hosts on the two sides compare\n"
		"machines (fleets).\n\n"
		"Options:\n"
		"  -t, --thresholds FILE  alpha, min_change, min_abs per metric (docs/thresholds.md)\n"
		"  -a, --all              list every metric compared, not only the changes\n"
		"      --json FILE        the comparison as JSON (p2pbench-compare, version 1; '-' stdout,\n"
		"                         the table then goes to stderr)\n"
		"      --csv FILE         one row per case and metric ('-' stdout, as --json)\n"
		"  -h, --help\n\n"
		"Exit status: 0 no regression, 1 a regression, 2 bad input (missing files, other schema\n"
		"versions, no cases in common).\n\n"
		"Metrics (what [metric GLOB] and [limit] keys of a thresholds file name):\n");
	p2pb_metric_help(f);
}

static const char *case_status(const struct p2pb_cmp_case *cc)
{
	return !cc->new ? "missing" : !cc->base ? "new" : "matched";
}

static void print_metric_row(FILE *f, const struct p2pb_cmp_case *cc, const struct p2pb_cmp_metric *m)
{
	char b[32], n[32], ch[16];
	char noise[40];

	if (!isnan(m->p_adjusted))
		snprintf(noise, sizeof(noise), "%s p=%.1e", p2pb_noise_name(m->noise), m->p_adjusted);
	else
		snprintf(noise, sizeof(noise), "%s", p2pb_noise_name(m->noise));
	fprintf(f, "%-32.32s %-28.28s %12s %12s %9s  %-18s %s\n", cc->name, m->metric,
	       p2pb_fmt_value(m->base_p50, m->unit, b, sizeof(b)), p2pb_fmt_value(m->new_p50, m->unit, n, sizeof(n)),
	       p2pb_fmt_change(m->change, ch, sizeof(ch)), noise, p2pb_change_name(m->verdict));
}

static void print_table(FILE *f, const struct p2pb_compare *c, const char *bpath, const char *npath, bool all)
{
	size_t i, j, rows = 0;

	fprintf(f, "baseline: %s (host %s)\nnew:      %s (host %s)\n", bpath, c->base_hosts, npath, c->new_hosts);
	if (c->base_machines[0] || c->new_machines[0])
		fprintf(f, "machine:  %s\n     and  %s\n", c->base_machines[0] ? c->base_machines : "(not recorded)",
			c->new_machines[0] ? c->new_machines : "(not recorded)");
	fprintf(f, "%s\n", c->across_hosts ? "          across machines: the same jobs on different hosts\n" : "");
	fprintf(f, "%-32s %-28s %12s %12s %9s  %-18s %s\n", "case", "metric", "base p50", "new p50", "change",
	       "noise", "verdict");
	for (i = 0; i < c->n_cases; i++)
		for (j = 0; j < c->cases[i].n_metrics; j++)
			if (all || c->cases[i].metrics[j].verdict != P2PB_SAME) {
				print_metric_row(f, &c->cases[i], &c->cases[i].metrics[j]);
				rows++;
			}
	if (!rows)
		fprintf(f, "(no metric changed beyond noise and thresholds)\n");
	for (i = 0; i < c->n_cases; i++) {
		const struct p2pb_cmp_case *cc = &c->cases[i];

		if (!cc->new)
			fprintf(f, "missing:  %s (%s) is in the baseline only\n", cc->name, cc->kind);
		else if (!cc->base)
			fprintf(f, "new:      %s (%s) is in the new run only\n", cc->name, cc->kind);
		else if (cc->outcome_verdict != P2PB_SAME)
			fprintf(f, "verdict:  %s %s -> %s (%s)%s%s\n", cc->name, cc->base_outcome, cc->new_outcome,
			       p2pb_change_name(cc->outcome_verdict), cc->new_reason[0] ? ": " : "", cc->new_reason);
		if (cc->base && cc->new && cc->params_changed)
			fprintf(f, "params:   %s: %s -> %s\n", cc->name, cc->base_params, cc->new_params);
	}
	fprintf(f, "\ncompare: %zu cases matched, %zu missing, %zu new; %zu regressions, %zu improvements, "
	       "%zu changed (noise unknown), %zu verdicts changed\n",
	       c->matched, c->missing, c->added, c->regressions, c->improvements, c->changed, c->verdicts_changed);
}

static json_object *jdouble(double v)
{
	return isnan(v) ? NULL : json_object_new_double(v);
}

static json_object *metric_json(const struct p2pb_cmp_metric *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "metric", json_object_new_string(m->metric));
	json_object_object_add(o, "unit", json_object_new_string(m->unit));
	json_object_object_add(o, "better", json_object_new_string(m->better == P2PB_LOWER_BETTER ? "lower" : "higher"));
	json_object_object_add(o, "n_base", json_object_new_int64((int64_t)m->n_base));
	json_object_object_add(o, "n_new", json_object_new_int64((int64_t)m->n_new));
	json_object_object_add(o, "base_p50", jdouble(m->base_p50));
	json_object_object_add(o, "new_p50", jdouble(m->new_p50));
	json_object_object_add(o, "base_p99", jdouble(m->base_p99));
	json_object_object_add(o, "new_p99", jdouble(m->new_p99));
	json_object_object_add(o, "change", jdouble(m->change));
	json_object_object_add(o, "p", jdouble(m->p));
	json_object_object_add(o, "p_adjusted", jdouble(m->p_adjusted));
	json_object_object_add(o, "noise", json_object_new_string(p2pb_noise_name(m->noise)));
	json_object_object_add(o, "why", json_object_new_string(m->why));
	json_object_object_add(o, "verdict", json_object_new_string(p2pb_change_name(m->verdict)));
	return o;
}

static json_object *compare_json(const struct p2pb_compare *c, const struct p2pb_thresholds *t,
				 const char *bpath, const char *npath)
{
	json_object *doc = json_object_new_object(), *cases = json_object_new_array(), *o;
	size_t i, j;

	json_object_object_add(doc, "schema", json_object_new_string("p2pbench-compare"));
	json_object_object_add(doc, "version", json_object_new_int(1));
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(bpath));
	json_object_object_add(o, "hosts", json_object_new_string(c->base_hosts));
	json_object_object_add(o, "machines", json_object_new_string(c->base_machines));
	json_object_object_add(doc, "baseline", o);
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(npath));
	json_object_object_add(o, "hosts", json_object_new_string(c->new_hosts));
	json_object_object_add(o, "machines", json_object_new_string(c->new_machines));
	json_object_object_add(doc, "new", o);
	json_object_object_add(doc, "across_hosts", json_object_new_boolean(c->across_hosts));
	o = json_object_new_object();
	json_object_object_add(o, "alpha", json_object_new_double(t->alpha));
	json_object_object_add(o, "min_change", json_object_new_double(t->min_change));
	json_object_object_add(o, "min_abs", t->min_abs >= 0 ? json_object_new_double(t->min_abs) : NULL);
	json_object_object_add(o, "missing", json_object_new_string(t->missing_is_regression ? "regression" : "ignore"));
	json_object_object_add(doc, "thresholds", o);
	o = json_object_new_object();
#define COUNT(k) json_object_object_add(o, #k, json_object_new_int64((int64_t)c->k))
	COUNT(matched);
	COUNT(missing);
	COUNT(added);
	COUNT(regressions);
	COUNT(improvements);
	COUNT(changed);
	COUNT(undecided);
	COUNT(verdicts_changed);
#undef COUNT
	json_object_object_add(doc, "summary", o);
	for (i = 0; i < c->n_cases; i++) {
		const struct p2pb_cmp_case *cc = &c->cases[i];
		json_object *jc = json_object_new_object(), *ms = json_object_new_array();

		json_object_object_add(jc, "name", json_object_new_string(cc->name));
		json_object_object_add(jc, "kind", json_object_new_string(cc->kind));
		json_object_object_add(jc, "job", json_object_new_string(cc->job));
		json_object_object_add(jc, "status", json_object_new_string(case_status(cc)));
		json_object_object_add(jc, "base_outcome", json_object_new_string(cc->base_outcome));
		json_object_object_add(jc, "new_outcome", json_object_new_string(cc->new_outcome));
		json_object_object_add(jc, "outcome_change", json_object_new_string(p2pb_change_name(cc->outcome_verdict)));
		json_object_object_add(jc, "params_changed", json_object_new_boolean(cc->params_changed));
		json_object_object_add(jc, "base_params", json_object_new_string(cc->base_params));
		json_object_object_add(jc, "new_params", json_object_new_string(cc->new_params));
		for (j = 0; j < cc->n_metrics; j++)
			json_object_array_add(ms, metric_json(&cc->metrics[j]));
		json_object_object_add(jc, "metrics", ms);
		json_object_array_add(cases, jc);
	}
	json_object_object_add(doc, "cases", cases);
	return doc;
}

static int write_csv(const struct p2pb_compare *c, const char *path)
{
	FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
	size_t i, j;

	if (!f)
		return p2pb_fail(-1, "cannot write %s", path);
	fputs("case,job,kind,status,base_outcome,new_outcome,metric,unit,n_base,n_new,base_p50,new_p50,change,"
	      "p_adjusted,noise,verdict\n", f);
	for (i = 0; i < c->n_cases; i++) {
		const struct p2pb_cmp_case *cc = &c->cases[i];

		for (j = 0; j < (cc->n_metrics ? cc->n_metrics : 1); j++) {
			const struct p2pb_cmp_metric *m = cc->n_metrics ? &cc->metrics[j] : NULL;

			p2pb_csv_field(f, cc->name, ',');
			p2pb_csv_field(f, cc->job, ',');
			p2pb_csv_field(f, cc->kind, ',');
			p2pb_csv_field(f, case_status(cc), ',');
			p2pb_csv_field(f, cc->base_outcome, ',');
			p2pb_csv_field(f, cc->new_outcome, ',');
			if (!m) {
				fputs(",,,,,,,,,\n", f);
				continue;
			}
			p2pb_csv_field(f, m->metric, ',');
			fprintf(f, "%s,%zu,%zu,%.17g,%.17g,", m->unit, m->n_base, m->n_new, m->base_p50, m->new_p50);
			if (isnan(m->change))
				fputs(",", f);
			else
				fprintf(f, "%.6g,", m->change);
			if (isnan(m->p_adjusted))
				fputs(",", f);
			else
				fprintf(f, "%.3g,", m->p_adjusted);
			fprintf(f, "%s,%s\n", p2pb_noise_name(m->noise), p2pb_change_name(m->verdict));
		}
	}
	if (f != stdout && fclose(f))
		return p2pb_fail(-1, "cannot write %s", path);
	return 0;
}

int p2pb_cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "thresholds", required_argument, NULL, 't' }, { "all", no_argument, NULL, 'a' },
		{ "json", required_argument, NULL, 'J' },	{ "csv", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },		{ NULL, 0, NULL, 0 },
	};
	struct p2pb_thresholds t;
	struct p2pb_rset base = { 0 }, new = { 0 };
	struct p2pb_compare c;
	const char *thr = NULL, *json = NULL, *csv = NULL;
	bool all = false;
	int opt, rc = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "t:ah", opts, NULL)) != -1) {
		switch (opt) {
		case 't': thr = optarg; break;
		case 'a': all = true; break;
		case 'J': json = optarg; break;
		case 'C': csv = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "p2pbench compare: give a BASELINE and a NEW result (see --help)\n");
		return 2;
	}
	p2pb_thresholds_defaults(&t);
	if ((thr && p2pb_thresholds_load(&t, thr)) || p2pb_rset_add(&base, argv[optind]) ||
	    p2pb_rset_add(&new, argv[optind + 1]) || p2pb_compare_run(&base, &new, &t, &c)) {
		fprintf(stderr, "p2pbench compare: %s\n", p2pb_error());
		goto out;
	}
	/* the documents on stdout stay parseable: the table goes to stderr then */
	print_table((json && !strcmp(json, "-")) || (csv && !strcmp(csv, "-")) ? stderr : stdout, &c, argv[optind],
		    argv[optind + 1], all);
	rc = c.regressions ? 1 : 0;
	if (json) {
		json_object *doc = compare_json(&c, &t, argv[optind], argv[optind + 1]);

		if (p2pb_result_write(doc, json)) {
			fprintf(stderr, "p2pbench compare: %s\n", p2pb_error());
			rc = 2;
		}
		json_object_put(doc);
	}
	if (csv && write_csv(&c, csv)) {
		fprintf(stderr, "p2pbench compare: %s\n", p2pb_error());
		rc = 2;
	}
	p2pb_compare_free(&c);
out:
	p2pb_rset_free(&base);
	p2pb_rset_free(&new);
	return rc;
}
