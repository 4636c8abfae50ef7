// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "qualify.h"
#include "error.h"
#include "format.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double p2pb_series_stat(const struct p2pb_series *sr, const char *stat)
{
	if (!sr || !sr->count)
		return NAN;
	if (!strcmp(stat, "p50") || !strcmp(stat, "value"))
		return sr->p50;
	if (!strcmp(stat, "p90"))
		return sr->p90;
	if (!strcmp(stat, "p99"))
		return sr->p99;
	if (!strcmp(stat, "max"))
		return sr->max;
	if (!strcmp(stat, "min"))
		return sr->min;
	return NAN;
}

static struct p2pb_qual_row *row_add(struct p2pb_qual *q)
{
	struct p2pb_qual_row *rows = realloc(q->rows, (q->n_rows + 1) * sizeof(*rows));

	if (!rows)
		return NULL;
	q->rows = rows;
	memset(&rows[q->n_rows], 0, sizeof(*rows));
	rows[q->n_rows].measured = rows[q->n_rows].margin = NAN;
	return &rows[q->n_rows++];
}

static void judge_limit(struct p2pb_qual_row *r, const struct p2pb_limit *l, const struct p2pb_series *sr)
{
	char m[32], lim[32];

	r->measured = p2pb_series_stat(sr, l->stat);
	r->margin = l->at_most ? (l->value - r->measured) / l->value : (r->measured - l->value) / l->value;
	if (l->value == 0)
		r->margin = l->at_most ? -r->measured : r->measured;
	r->pass = r->margin >= 0;
	snprintf(r->evidence, sizeof(r->evidence), "%s %s of %zu samples = %s, limit %s %s; verdict %s",
		 l->metric, l->stat, sr->count, p2pb_fmt_value(r->measured, sr->unit, m, sizeof(m)),
		 l->at_most ? "<=" : ">=", p2pb_fmt_value(l->value, sr->unit, lim, sizeof(lim)),
		 r->c->outcome[0] ? r->c->outcome : "none");
}

int p2pb_qualify(const struct p2pb_rset *s, const struct p2pb_thresholds *t, struct p2pb_qual *q)
{
	size_t i, j;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < t->n_limits; i++) {
		const struct p2pb_limit *l = &t->limits[i];
		size_t measured = 0;

		for (j = 0; j < s->n_cases; j++) {
			const struct p2pb_rcase *c = &s->cases[j];
			const struct p2pb_series *sr = p2pb_rcase_series(c, l->metric);
			struct p2pb_qual_row *r;

			if (fnmatch(l->case_glob, c->name, 0) || !sr || !sr->count)
				continue;
			r = row_add(q);
			if (!r)
				return p2pb_fail(-ENOMEM, "out of memory");
			r->c = c;
			r->limit = l;
			judge_limit(r, l, sr);
			measured++;
		}
		if (!measured) {
			struct p2pb_qual_row *r = row_add(q);

			if (!r)
				return p2pb_fail(-ENOMEM, "out of memory");
			r->limit = l;
			snprintf(r->evidence, sizeof(r->evidence), "no case matching '%s' measured %s: a limit "
				 "nothing measured is not met", l->case_glob, l->metric);
		}
	}
	for (j = 0; j < s->n_cases; j++) {
		const struct p2pb_rcase *c = &s->cases[j];
		int rank = p2pb_outcome_rank(c->outcome);
		struct p2pb_qual_row *r;

		if (!c->outcome[0])
			continue;
		r = row_add(q);
		if (!r)
			return p2pb_fail(-ENOMEM, "out of memory");
		r->c = c;
		r->pass = rank >= 0 && rank < p2pb_outcome_rank("BOUNDED");
		snprintf(r->evidence, sizeof(r->evidence), "%s%s%s", c->outcome, c->reason[0] ? ": " : "", c->reason);
	}
	for (j = 0; j < q->n_rows; j++)
		q->failed += !q->rows[j].pass;
	q->pass = q->n_rows && !q->failed;
	return 0;
}

void p2pb_qual_free(struct p2pb_qual *q)
{
	free(q->rows);
	memset(q, 0, sizeof(*q));
}
