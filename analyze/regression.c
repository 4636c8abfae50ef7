// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "regression.h"
#include "error.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

const char *p2pb_change_name(enum p2pb_change c)
{
	static const char *const names[] = { "same", "changed", "improvement", "regression" };

	return names[c];
}

const char *p2pb_noise_name(enum p2pb_noise n)
{
	static const char *const names[] = { "unknown", "within", "beyond" };

	return names[n];
}

/* Every case of the set with this key: a set may hold several runs of a job. */
static size_t cases_with_key(const struct p2pb_rset *s, const char *key, const struct p2pb_rcase **out)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_cases; i++)
		if (!strcmp(s->cases[i].key, key))
			out[n++] = &s->cases[i];
	return n;
}

/*
 * One series out of several runs' cases: their samples pooled, or (only
 * summaries) the summary of the most samples. false when none has it.
 */
static bool pool_series(const struct p2pb_rcase *const *cases, size_t n, const char *metric,
			struct p2pb_series *out)
{
	size_t i, total = 0;
	const struct p2pb_series *best = NULL;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		const struct p2pb_series *sr = p2pb_rcase_series(cases[i], metric);

		if (!sr || !sr->count)
			continue;
		if (!best || sr->count > best->count)
			best = sr;
		total += sr->n;
	}
	if (!best)
		return false;
	*out = *best;
	out->v = NULL;
	out->n = 0;
	if (!total)
		return true;
	out->v = malloc(total * sizeof(double));
	if (!out->v)
		return false;
	for (i = 0; i < n; i++) {
		const struct p2pb_series *sr = p2pb_rcase_series(cases[i], metric);

		if (sr && sr->n) {
			memcpy(out->v + out->n, sr->v, sr->n * sizeof(double));
			out->n += sr->n;
		}
	}
	p2pb_series_summarize(out);
	return true;
}

/* The worst verdict among the pooled cases. */
static const struct p2pb_rcase *worst_case(const struct p2pb_rcase *const *cases, size_t n)
{
	const struct p2pb_rcase *w = cases[0];
	size_t i;

	for (i = 1; i < n; i++)
		if (p2pb_outcome_rank(cases[i]->outcome) > p2pb_outcome_rank(w->outcome))
			w = cases[i];
	return w;
}

/*
 * Noise from samples: the rank test (its p is corrected later, over all
 * metrics). From summaries alone: beyond when the medians are further
 * apart than either run's upper spread (p90 - p50).
 */
static void judge_spread(struct p2pb_cmp_metric *m, const struct p2pb_series *b, const struct p2pb_series *n,
			 double alpha)
{
	m->p = m->p_adjusted = NAN;
	if (b->n >= 2 && n->n >= 2) {
		double min_p = p2pb_mann_whitney_min_p(b->n, n->n);

		if (min_p > alpha) {
			m->noise = P2PB_NOISE_UNKNOWN;
			snprintf(m->why, sizeof(m->why), "%zu+%zu samples: the rank test cannot go below p=%.2g",
				 b->n, n->n, min_p);
			return;
		}
		m->p = p2pb_mann_whitney_p(b->v, b->n, n->v, n->n, NULL);
		m->min_p = min_p;
		m->noise = P2PB_NOISE_WITHIN;	/* settled after the correction */
		return;
	}
	if (b->count >= 2 && n->count >= 2) {
		double spread = fmax(b->p90 - b->p50, n->p90 - n->p50);

		m->noise = fabs(n->p50 - b->p50) > spread ? P2PB_NOISE_BEYOND : P2PB_NOISE_WITHIN;
		snprintf(m->why, sizeof(m->why), "summaries only: |change of p50| %s p90-p50 spread",
			 m->noise == P2PB_NOISE_BEYOND ? ">" : "<=");
		return;
	}
	m->noise = P2PB_NOISE_UNKNOWN;
	snprintf(m->why, sizeof(m->why), "a single value on %s side", b->count < 2 ? "the baseline" : "the new");
}

static void judge_metric(struct p2pb_cmp_metric *m, const struct p2pb_thresholds *t)
{
	double min_change, min_abs, abs_change = fabs(m->new_p50 - m->base_p50);
	bool ignore, worse, matters;

	p2pb_thresholds_for(t, m->metric, m->unit, &min_change, &min_abs, &ignore);
	worse = m->better == P2PB_LOWER_BETTER ? m->new_p50 > m->base_p50 : m->new_p50 < m->base_p50;
	matters = abs_change >= min_abs && (isnan(m->change) ? abs_change > 0 : fabs(m->change) >= min_change);
	if (ignore || abs_change == 0 || m->noise == P2PB_NOISE_WITHIN)
		m->verdict = P2PB_SAME;
	else if (m->noise == P2PB_NOISE_UNKNOWN)
		m->verdict = matters ? P2PB_CHANGED : P2PB_SAME;
	else if (!matters)
		m->verdict = P2PB_SAME;
	else
		m->verdict = worse ? P2PB_REGRESSION : P2PB_IMPROVEMENT;
}

static int compare_metrics(struct p2pb_cmp_case *cc, const struct p2pb_rcase *const *bc, size_t nb,
			   const struct p2pb_rcase *const *nc, size_t nn, double alpha)
{
	const struct p2pb_rcase *first = bc[0];
	size_t i;

	cc->metrics = calloc(first->n_series ? first->n_series : 1, sizeof(*cc->metrics));
	if (!cc->metrics)
		return -ENOMEM;
	for (i = 0; i < first->n_series; i++) {
		const struct p2pb_series *proto = &first->series[i];
		struct p2pb_series b, n;
		struct p2pb_cmp_metric *m = &cc->metrics[cc->n_metrics];

		if (!pool_series(bc, nb, proto->metric, &b))
			continue;
		if (!pool_series(nc, nn, proto->metric, &n)) {
			free(b.v);
			continue;
		}
		snprintf(m->metric, sizeof(m->metric), "%s", proto->metric);
		m->unit = proto->unit;
		m->better = proto->better;
		m->n_base = b.count;
		m->n_new = n.count;
		m->base_p50 = b.p50;
		m->new_p50 = n.p50;
		m->base_p99 = b.p99;
		m->new_p99 = n.p99;
		m->change = b.p50 != 0 ? (n.p50 - b.p50) / fabs(b.p50) : NAN;
		judge_spread(m, &b, &n, alpha);
		free(b.v);
		free(n.v);
		cc->n_metrics++;
	}
	return 0;
}

/*
 * A verdict that got worse (to BOUNDED, FAIL or ERROR) is a regression; one
 * that became a pass (PASS, XFAIL) from those is an improvement; any other
 * change (to or from SKIP, an unknown outcome) is only a change.
 */
static void outcome_change(struct p2pb_cmp_case *cc)
{
	int rb = p2pb_outcome_rank(cc->base_outcome), rn = p2pb_outcome_rank(cc->new_outcome);
	int bounded = p2pb_outcome_rank("BOUNDED");
	bool new_passes = !strcmp(cc->new_outcome, "PASS") || !strcmp(cc->new_outcome, "XFAIL");

	if (!strcmp(cc->base_outcome, cc->new_outcome))
		cc->outcome_verdict = P2PB_SAME;
	else if (rn >= bounded && rn > rb)
		cc->outcome_verdict = P2PB_REGRESSION;
	else if (rb >= bounded && new_passes)
		cc->outcome_verdict = P2PB_IMPROVEMENT;
	else
		cc->outcome_verdict = P2PB_CHANGED;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The distinct non-empty values of one of a set's document fields (the host
 * name, or the machine's description), sorted, joined by SEP.
 */
static void doc_values(const struct p2pb_rset *s, size_t field_offset, const char *sep, char *buf, size_t len)
{
	const char **v = calloc(s->n_docs ? s->n_docs : 1, sizeof(*v));
	size_t i, n = 0, used = 0;

	buf[0] = 0;
	if (!v)
		return;
	for (i = 0; i < s->n_docs; i++) {
		const char *f = (const char *)&s->docs[i] + field_offset;

		if (*f)
			v[n++] = f;
	}
	qsort(v, n, sizeof(*v), cmp_cstr);
	for (i = 0; i < n && used < len; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? sep : "", v[i]);
	free(v);
}

/* Both sides say, and they differ. */
static bool known_and_differ(const char *a, const char *b)
{
	return a[0] && b[0] && strcmp(a, b) != 0;
}

/*
 * Different machines: other host names, or another kernel build or emulator
 * (result-v2.md, host.kernel_build and host.emulator), wherever both sides
 * say. A document that does not say (older ones, benchmark documents before
 * they carried a host) is taken to be the same machine.
 */
static void hosts_settle(struct p2pb_compare *out, const struct p2pb_rset *base, const struct p2pb_rset *new)
{
	doc_values(base, offsetof(struct p2pb_rdoc, host), " ", out->base_hosts, sizeof(out->base_hosts));
	doc_values(new, offsetof(struct p2pb_rdoc, host), " ", out->new_hosts, sizeof(out->new_hosts));
	doc_values(base, offsetof(struct p2pb_rdoc, machine), "; ", out->base_machines, sizeof(out->base_machines));
	doc_values(new, offsetof(struct p2pb_rdoc, machine), "; ", out->new_machines, sizeof(out->new_machines));
	out->across_hosts = known_and_differ(out->base_hosts, out->new_hosts) ||
			    known_and_differ(out->base_machines, out->new_machines);
	if (!out->base_hosts[0])
		snprintf(out->base_hosts, sizeof(out->base_hosts), "(unnamed)");
	if (!out->new_hosts[0])
		snprintf(out->new_hosts, sizeof(out->new_hosts), "(unnamed)");
}

/* Holm over every rank test made, then noise and verdicts. */
static void settle(struct p2pb_compare *out, const struct p2pb_thresholds *t)
{
	size_t i, j, n = 0, k = 0;
	double *p;

	for (i = 0; i < out->n_cases; i++)
		for (j = 0; j < out->cases[i].n_metrics; j++)
			n += !isnan(out->cases[i].metrics[j].p);
	p = calloc(n ? n : 1, sizeof(*p));
	for (i = 0; p && i < out->n_cases; i++)
		for (j = 0; j < out->cases[i].n_metrics; j++)
			if (!isnan(out->cases[i].metrics[j].p))
				p[k++] = out->cases[i].metrics[j].p;
	if (p)
		p2pb_holm_adjust(p, n);
	for (i = 0, k = 0; i < out->n_cases; i++) {
		struct p2pb_cmp_case *cc = &out->cases[i];

		for (j = 0; j < cc->n_metrics; j++) {
			struct p2pb_cmp_metric *m = &cc->metrics[j];

			if (!isnan(m->p) && p) {
				m->p_adjusted = p[k++];
				m->noise = m->p_adjusted < t->alpha ? P2PB_NOISE_BEYOND : P2PB_NOISE_WITHIN;
				snprintf(m->why, sizeof(m->why), "rank test %zu+%zu samples, p=%.2g (Holm over %zu: %.2g)",
					 m->n_base, m->n_new, m->p, n, m->p_adjusted);
				/* not beyond, and not even complete separation could have passed the correction */
				if (m->noise == P2PB_NOISE_WITHIN && m->min_p * (double)n >= t->alpha) {
					m->noise = P2PB_NOISE_UNKNOWN;
					snprintf(m->why, sizeof(m->why),
						 "%zu+%zu samples cannot reach alpha over %zu metrics (best p=%.2g)",
						 m->n_base, m->n_new, n, m->min_p);
				}
			}
			judge_metric(m, t);
			out->regressions += m->verdict == P2PB_REGRESSION;
			out->improvements += m->verdict == P2PB_IMPROVEMENT;
			out->changed += m->verdict == P2PB_CHANGED;
			out->undecided += m->noise == P2PB_NOISE_UNKNOWN;
		}
		if (cc->base && cc->new) {
			out->verdicts_changed += cc->outcome_verdict != P2PB_SAME;
			out->regressions += cc->outcome_verdict == P2PB_REGRESSION;
		} else if (cc->base && t->missing_is_regression) {
			out->regressions++;
		}
	}
	free(p);
}

static struct p2pb_cmp_case *case_add(struct p2pb_compare *out, const struct p2pb_rcase *any)
{
	struct p2pb_cmp_case *cc = &out->cases[out->n_cases++];
	const char *bar = strchr(any->key, '|'), *bar2 = bar ? strchr(bar + 1, '|') : NULL;

	memset(cc, 0, sizeof(*cc));
	snprintf(cc->name, sizeof(cc->name), "%s", any->name);
	snprintf(cc->kind, sizeof(cc->kind), "%.*s", (int)(bar ? bar - any->key : 0), any->key);
	if (bar && bar2)
		snprintf(cc->job, sizeof(cc->job), "%.*s", (int)(bar2 - bar - 1), bar + 1);
	return cc;
}

static bool seen_before(const struct p2pb_rset *s, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!strcmp(s->cases[j].key, s->cases[i].key))
			return true;
	return false;
}

int p2pb_compare_run(const struct p2pb_rset *base, const struct p2pb_rset *new,
		     const struct p2pb_thresholds *t, struct p2pb_compare *out)
{
	const struct p2pb_rcase **bc, **nc;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!base->n_cases || !new->n_cases)
		return p2pb_fail(-EINVAL, "the %s results hold no cases to compare",
				 !base->n_cases ? "baseline" : "new");
	out->cases = calloc(base->n_cases + new->n_cases, sizeof(*out->cases));
	bc = calloc(base->n_cases, sizeof(*bc));
	nc = calloc(new->n_cases, sizeof(*nc));
	if (!out->cases || !bc || !nc) {
		rc = p2pb_fail(-ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < base->n_cases && !rc; i++) {
		struct p2pb_cmp_case *cc;
		size_t nb, nn;

		if (seen_before(base, i))
			continue;
		nb = cases_with_key(base, base->cases[i].key, bc);
		nn = cases_with_key(new, base->cases[i].key, nc);
		cc = case_add(out, &base->cases[i]);
		cc->base = worst_case(bc, nb);
		snprintf(cc->base_outcome, sizeof(cc->base_outcome), "%s", cc->base->outcome);
		snprintf(cc->base_params, sizeof(cc->base_params), "%s", cc->base->params);
		if (!nn) {
			out->missing++;
			continue;
		}
		out->matched++;
		cc->new = worst_case(nc, nn);
		snprintf(cc->new_outcome, sizeof(cc->new_outcome), "%s", cc->new->outcome);
		snprintf(cc->new_reason, sizeof(cc->new_reason), "%s", cc->new->reason);
		snprintf(cc->new_params, sizeof(cc->new_params), "%s", cc->new->params);
		cc->params_changed = strcmp(cc->base_params, cc->new_params) != 0;
		outcome_change(cc);
		rc = compare_metrics(cc, bc, nb, nc, nn, t->alpha);
	}
	for (i = 0; i < new->n_cases && !rc; i++) {
		struct p2pb_cmp_case *cc;

		if (seen_before(new, i) || cases_with_key(base, new->cases[i].key, bc))
			continue;
		cc = case_add(out, &new->cases[i]);
		cc->new = &new->cases[i];
		snprintf(cc->new_outcome, sizeof(cc->new_outcome), "%s", cc->new->outcome);
		out->added++;
	}
	if (!rc && !out->matched)
		rc = p2pb_fail(-EINVAL, "no case of the new results matches one of the baseline "
					"(different jobs? compare matches by job kind and case name)");
	if (!rc) {
		settle(out, t);
		hosts_settle(out, base, new);
	}
out:
	free(bc);
	free(nc);
	if (rc)
		p2pb_compare_free(out);
	return rc;
}

void p2pb_compare_free(struct p2pb_compare *c)
{
	size_t i;

	for (i = 0; i < c->n_cases; i++)
		free(c->cases[i].metrics);
	free(c->cases);
	memset(c, 0, sizeof(*c));
}
