// SPDX-License-Identifier: GPL-2.0
/*
 * Each document kind read into the set's cases: their metrics (where
 * lib/metric.c says they are), verdicts and parameters, and what the report
 * draws besides them. The only code that knows the documents' shapes.
 */
#define _GNU_SOURCE
#include "doc_read.h"
#include "jsonq.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building a case's series ---- */

/*
 * The job a document ran: the job file's name without directory and .ini
 * ("lab-qualification"), or "-" for a run from the command line alone. Two
 * jobs may name their sections alike; the job keeps their cases apart.
 */
static void doc_job(json_object *root, char *out, size_t len)
{
	json_object *cmd = NULL;
	size_t i;

	snprintf(out, len, "-");
	if (!json_object_object_get_ex(root, "command", &cmd))
		return;
	for (i = 0; i + 1 < p2pb_jlen(cmd); i++) {
		const char *a = p2pb_jstr(json_object_array_get_idx(cmd, i), "", NULL);
		const char *path, *base, *dot;

		if (!a || (strcmp(a, "--job") && strcmp(a, "-j")))
			continue;
		path = p2pb_jstr(json_object_array_get_idx(cmd, i + 1), "", NULL);
		if (!path)
			continue;
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		dot = strrchr(base, '.');
		snprintf(out, len, "%.*s", (int)(dot && dot != base ? dot - base : (long)strlen(base)), base);
	}
}

static struct p2pb_rcase *case_new(struct p2pb_rset *s, size_t doc, const char *kind, const char *name)
{
	struct p2pb_rcase *c, *cases = realloc(s->cases, (s->n_cases + 1) * sizeof(*cases));

	if (!cases)
		return NULL;
	s->cases = cases;
	c = &cases[s->n_cases++];
	memset(c, 0, sizeof(*c));
	c->doc = doc;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->key, sizeof(c->key), "%s|%s|%s", kind, s->docs[doc].job, name);
	return c;
}

static struct p2pb_series *series_get(struct p2pb_rcase *c, const char *metric, const char *unit,
				      enum p2pb_better better)
{
	struct p2pb_series *sr;
	size_t i;

	for (i = 0; i < c->n_series; i++)
		if (!strcmp(c->series[i].metric, metric))
			return &c->series[i];
	sr = realloc(c->series, (c->n_series + 1) * sizeof(*sr));
	if (!sr)
		return NULL;
	c->series = sr;
	sr = &sr[c->n_series++];
	memset(sr, 0, sizeof(*sr));
	snprintf(sr->metric, sizeof(sr->metric), "%s", metric);
	sr->unit = unit;
	sr->better = better;
	return sr;
}

static void sample_add(struct p2pb_rcase *c, const char *metric, const char *unit, enum p2pb_better better,
		       double v)
{
	struct p2pb_series *sr = series_get(c, metric, unit, better);
	double *nv;

	if (!sr || !isfinite(v))
		return;
	nv = realloc(sr->v, (sr->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	sr->v = nv;
	sr->v[sr->n++] = v;
}

/* A metric the document only summarises: {count, min, p50, p90, p99, max}. */
static void summary_add(struct p2pb_rcase *c, const char *metric, const char *unit, enum p2pb_better better,
			json_object *sum)
{
	struct p2pb_series *sr;
	json_object *o;

	if (!sum || !json_object_object_get_ex(sum, "count", &o) || json_object_get_int64(o) <= 0)
		return;
	sr = series_get(c, metric, unit, better);
	if (!sr)
		return;
	sr->count = (size_t)json_object_get_int64(o);
#define SUMMARY_FIELD(field, key)                                   \
	if (json_object_object_get_ex(sum, key, &o))                \
		sr->field = json_object_get_double(o);
	SUMMARY_FIELD(min, "min")
	SUMMARY_FIELD(p50, "p50")
	SUMMARY_FIELD(p90, "p90")
	SUMMARY_FIELD(p99, "p99")
	SUMMARY_FIELD(max, "max")
#undef SUMMARY_FIELD
}

void p2pb_series_summarize(struct p2pb_series *sr)
{
	if (!sr->v || !sr->n)
		return;
	p2pb_sort_doubles(sr->v, sr->n);
	sr->count = sr->n;
	sr->min = sr->v[0];
	sr->max = sr->v[sr->n - 1];
	sr->p50 = p2pb_quantile(sr->v, sr->n, 0.50);
	sr->p90 = p2pb_quantile(sr->v, sr->n, 0.90);
	sr->p99 = p2pb_quantile(sr->v, sr->n, 0.99);
}

static void series_finish(struct p2pb_rcase *c)
{
	size_t i;

	for (i = 0; i < c->n_series; i++)
		p2pb_series_summarize(&c->series[i]);
}

/* ---- what the report draws besides metrics ---- */

static struct p2pb_timeline *timeline_new(json_object *bytes, double bin_ns, double start_ns)
{
	size_t i, n = p2pb_jlen(bytes);
	struct p2pb_timeline *t;

	if (!n || !(bin_ns > 0) || !(t = calloc(1, sizeof(*t))))
		return NULL;
	t->bytes = calloc(n, sizeof(*t->bytes));
	if (!t->bytes) {
		free(t);
		return NULL;
	}
	for (i = 0; i < n; i++)
		t->bytes[i] = p2pb_jnum(json_object_array_get_idx(bytes, i), "");
	t->n_bins = n;
	t->bin_ns = bin_ns;
	t->start_ns = isnan(start_ns) ? 0 : start_ns;
	t->iteration = -1;
	return t;
}

/* @what: a string literal. An event that did not happen (NAN) is not marked. */
static void timeline_mark(struct p2pb_timeline *t, double t_ns, const char *what)
{
	struct p2pb_tl_mark *m;

	if (isnan(t_ns) || !(m = realloc(t->marks, (t->n_marks + 1) * sizeof(*m))))
		return;
	t->marks = m;
	t->marks[t->n_marks++] = (struct p2pb_tl_mark){ .t_ns = t_ns, .what = what };
}

/* The iteration with the median stall: the most typical timeline of a revoke under load. */
static json_object *median_stall_iteration(const struct p2pb_rcase *c, json_object *its)
{
	const struct p2pb_series *sr = p2pb_rcase_series(c, p2pb_metrics[P2PB_M_LOAD_STALL].name);
	json_object *best = NULL;
	double best_d = INFINITY, median;
	size_t i;

	if (!sr || !sr->n)
		return NULL;
	median = sr->v[sr->n / 2];	/* a sample (the upper one of an even count): an iteration has it */
	for (i = 0; i < p2pb_jlen(its); i++) {
		json_object *it = json_object_array_get_idx(its, i);
		double d = fabs(p2pb_jnum(it, p2pb_metrics[P2PB_M_LOAD_STALL].path) - median);

		if (p2pb_jobj(it, "load.timeline") && !json_object_get_boolean(p2pb_jpath(it, "warmup")) && d < best_d) {
			best = it;
			best_d = d;
		}
	}
	return best;
}

/* A revoke under load: the traffic through the median iteration, its events on the trigger's clock. */
static void revoke_timeline(struct p2pb_rcase *c, json_object *its)
{
	json_object *it = median_stall_iteration(c, its), *tl = p2pb_jobj(it, "load.timeline");
	json_object *atts = p2pb_jarr(it, "attachments");
	double inval = INFINITY;
	size_t i;

	c->timeline = timeline_new(p2pb_jarr(tl, "bytes"), p2pb_jnum(tl, "bin_ns"), p2pb_jnum(tl, "start_ns"));
	if (!c->timeline)
		return;
	c->timeline->iteration = isnan(p2pb_jnum(it, "index")) ? 0 : (int)p2pb_jnum(it, "index");
	for (i = 0; i < p2pb_jlen(atts); i++)
		inval = fmin(inval, p2pb_jnum(json_object_array_get_idx(atts, i),
					      p2pb_metrics[P2PB_M_TRIGGER_TO_INVALIDATE].path));
	timeline_mark(c->timeline, 0, "trigger");
	timeline_mark(c->timeline, isfinite(inval) ? inval : NAN, "invalidate");
	timeline_mark(c->timeline, p2pb_jnum(it, p2pb_metrics[P2PB_M_REVOKE_TO_QUIESCE].path), "unmapped");
	timeline_mark(c->timeline, p2pb_jnum(it, p2pb_metrics[P2PB_M_TRIGGER].path), "trigger returned");
	timeline_mark(c->timeline, p2pb_jnum(it, "load.first_completion_ns"), "first good I/O");
}

/* An RDMA step with disturbances: its bandwidth, each disturbance and the first recovery on the step's clock. */
static void rdma_timeline(struct p2pb_rcase *c, json_object *st)
{
	json_object *tl = p2pb_jobj(st, "timeline"), *faults = p2pb_jarr(st, "disturbance.faults");
	json_object *outs = p2pb_jarr(st, "disturbance.outages");
	double first_good = INFINITY;
	size_t i;

	if (!p2pb_jlen(faults) || !(c->timeline = timeline_new(p2pb_jarr(tl, "bytes"), p2pb_jnum(tl, "bin_ns"), 0)))
		return;
	c->timeline->disturbances = p2pb_jlen(faults);
	for (i = 0; i < p2pb_jlen(faults); i++) {
		json_object *f = json_object_array_get_idx(faults, i);

		timeline_mark(c->timeline, p2pb_jnum(f, "start_ns"), "disturbance");
		if (p2pb_jnum(f, "restored_ns") > p2pb_jnum(f, "start_ns"))
			timeline_mark(c->timeline, p2pb_jnum(f, "restored_ns"), "restored");
	}
	for (i = 0; i < p2pb_jlen(outs); i++)
		if (p2pb_jnum(json_object_array_get_idx(outs, i), "first_good_ns") > 0)
			first_good = fmin(first_good, p2pb_jnum(json_object_array_get_idx(outs, i), "first_good_ns"));
	timeline_mark(c->timeline, isfinite(first_good) ? first_good : NAN, "first good completion");
}

/* A timeout-sweep cell: the importer's delay, the revoke timeout and its policy. */
static void sweep_cell(struct p2pb_rcase *c, json_object *sw)
{
	if (!sw)
		return;
	c->sweep.set = true;
	snprintf(c->sweep.delay, sizeof(c->sweep.delay), "%s", p2pb_jstr(sw, "delay", ""));
	snprintf(c->sweep.policy, sizeof(c->sweep.policy), "%s", p2pb_jstr(sw, "policy", ""));
	c->sweep.timeout_ms = p2pb_jnum(sw, "timeout_ms");
}

/* "0000:00:01.0 [8086:1234 downstream, 8.0 GT/s x4] > ..." */
static void topo_path(json_object *path, char *out, size_t len)
{
	size_t i, at = 0;

	out[0] = 0;
	for (i = 0; i < p2pb_jlen(path) && at < len; i++) {
		json_object *hop = json_object_array_get_idx(path, i);

		at += (size_t)snprintf(out + at, len - at, "%s%s [%s %s, %.1f GT/s x%.0f%s]", i ? " > " : "",
				       p2pb_jstr(hop, "bdf", ""), p2pb_jstr(hop, "id", ""), p2pb_jstr(hop, "port", ""),
				       p2pb_jnum(hop, "link_gts"), p2pb_jnum(hop, "link_width"),
				       json_object_get_boolean(p2pb_jpath(hop, "acs_redirect")) ? ", ACS redirect" : "");
	}
}

/* A device of document @doc, unless the document named it already. */
static void topo_add(struct p2pb_rset *s, size_t doc, json_object *topo)
{
	const char *bdf = p2pb_jstr(topo, "bdf", NULL);
	struct p2pb_rtopo *t;
	size_t i;

	for (i = 0; bdf && i < s->n_topo; i++)
		if (s->topo[i].doc == doc && !strcmp(s->topo[i].bdf, bdf))
			return;
	if (!bdf || !(t = realloc(s->topo, (s->n_topo + 1) * sizeof(*t))))
		return;
	s->topo = t;
	t = &t[s->n_topo++];
	memset(t, 0, sizeof(*t));
	t->doc = doc;
	snprintf(t->bdf, sizeof(t->bdf), "%s", bdf);
	snprintf(t->host_bridge, sizeof(t->host_bridge), "%s", p2pb_jstr(topo, "host_bridge", ""));
	topo_path(p2pb_jarr(topo, "path"), t->path, sizeof(t->path));
	t->numa_node = p2pb_jnum(topo, "numa_node");
	t->narrowest = p2pb_jnum(topo, "narrowest_link_bytes_per_s");
}

/* ---- one document kind each ---- */

static void outcome_from_verdict(struct p2pb_rcase *c, json_object *verdict_holder, const char *reason_key)
{
	snprintf(c->outcome, sizeof(c->outcome), "%s", p2pb_jstr(verdict_holder, "verdict.outcome", ""));
	snprintf(c->reason, sizeof(c->reason), "%s", p2pb_jstr(verdict_holder, reason_key, ""));
}

/* A sample at @path: a number, or "A/B", the quotient of two (NAN where either is missing). */
static double metric_value(json_object *o, const char *path)
{
	const char *slash = strchr(path, '/');
	char num[96];

	if (!slash)
		return p2pb_jnum(o, path);
	snprintf(num, sizeof(num), "%.*s", (int)(slash - path), path);
	return p2pb_jnum(o, num) / p2pb_jnum(o, slash + 1);
}

/*
 * The metrics of @family found in @o: with @iteration, the per-iteration
 * and per-attachment ones of one measured iteration; else the case's own
 * (one sample, or a summary). lib/metric.c says where each is.
 */
static void metrics_add(struct p2pb_rcase *c, enum p2pb_metric_family family, json_object *o, bool iteration)
{
	json_object *atts = p2pb_jarr(o, "attachments");
	unsigned int i;
	size_t a;

	for (i = 0; i < P2PB_N_METRICS; i++) {
		const struct p2pb_metric *m = &p2pb_metrics[i];

		if (m->family != family || iteration != (m->where == P2PB_PER_ITERATION || m->where == P2PB_PER_ATTACHMENT))
			continue;
		if (m->where == P2PB_PER_ITERATION || m->where == P2PB_PER_CASE)
			sample_add(c, m->name, m->unit, m->better, metric_value(o, m->path));
		else if (m->where == P2PB_SUMMARY_ONLY)
			summary_add(c, m->name, m->unit, m->better, p2pb_jpath(o, m->summary));
		for (a = 0; m->where == P2PB_PER_ATTACHMENT && a < p2pb_jlen(atts); a++)
			sample_add(c, m->name, m->unit, m->better,
				   metric_value(json_object_array_get_idx(atts, a), m->path));
	}
}

/* What makes two cases of one name the same experiment, device addresses aside. */
static void revoke_params(struct p2pb_rcase *c, json_object *jc)
{
	json_object *imps = p2pb_jpath(jc, "importers"), *bufs = p2pb_jpath(jc, "dmabufs");
	size_t len = 0, i;

	len += snprintf(c->params + len, sizeof(c->params) - len, "trigger=%s dmabufs=%zu", p2pb_jstr(jc, "trigger", "?"),
			bufs ? p2pb_jlen(bufs) : 0);
	for (i = 0; imps && i < p2pb_jlen(imps) && len < sizeof(c->params); i++) {
		char spec[128], *p, *save = NULL;
		const char *sep = " importer=";

		snprintf(spec, sizeof(spec), "%s", p2pb_jstr(json_object_array_get_idx(imps, i), "spec", "?"));
		for (p = strtok_r(spec, ",", &save); p && len < sizeof(c->params); p = strtok_r(NULL, ",", &save)) {
			if (!strncmp(p, "dev=", 4))
				continue;	/* an address on this machine, not a parameter */
			len += snprintf(c->params + len, sizeof(c->params) - len, "%s%s", sep, p);
			sep = ",";
		}
	}
}

static void doc_revoke(struct p2pb_rset *s, size_t d, json_object *root, const char *kind)
{
	json_object *cases = p2pb_jpath(root, "cases");
	size_t i, j;

	for (i = 0; cases && i < p2pb_jlen(cases); i++) {
		json_object *jc = json_object_array_get_idx(cases, i), *its = p2pb_jpath(jc, "iterations");
		struct p2pb_rcase *c = case_new(s, d, kind, p2pb_jstr(jc, "name", "?"));

		if (!c)
			return;
		outcome_from_verdict(c, jc, "reason");
		revoke_params(c, jc);
		snprintf(c->trigger, sizeof(c->trigger), "%s", p2pb_jstr(jc, "trigger", ""));
		sweep_cell(c, p2pb_jobj(jc, "sweep"));
		topo_add(s, d, p2pb_jobj(jc, "topology"));
		for (j = 0; its && j < p2pb_jlen(its); j++) {
			json_object *it = json_object_array_get_idx(its, j), *w = p2pb_jpath(it, "warmup");

			if (!(w && json_object_get_boolean(w)))
				metrics_add(c, P2PB_FAMILY_REVOKE, it, true);
		}
		series_finish(c);
		revoke_timeline(c, its);
	}
}

static void doc_check(struct p2pb_rset *s, size_t d, json_object *root)
{
	json_object *checks = p2pb_jpath(root, "checks");
	size_t i;

	for (i = 0; checks && i < p2pb_jlen(checks); i++) {
		json_object *jc = json_object_array_get_idx(checks, i);
		struct p2pb_rcase *c = case_new(s, d, "check", p2pb_jstr(jc, "name", "?"));
		const char *st = p2pb_jstr(jc, "status", "");
		size_t k;

		if (!c)
			return;
		for (k = 0; st[k] && k + 1 < sizeof(c->outcome); k++)
			c->outcome[k] = (char)(st[k] >= 'a' && st[k] <= 'z' ? st[k] - 'a' + 'A' : st[k]);
		snprintf(c->reason, sizeof(c->reason), "%s", p2pb_jstr(jc, "reason", ""));
	}
}

static void doc_stress(struct p2pb_rset *s, size_t d, json_object *root)
{
	json_object *st = p2pb_jpath(root, "stress"), *trig = p2pb_jpath(st, "triggers");
	struct p2pb_rcase *c;
	char name[96];
	double elapsed = p2pb_jnum(st, "elapsed_s");
	size_t i;

	if (!st)
		return;
	for (i = 0; trig && i < p2pb_jlen(trig); i++) {
		json_object *t = json_object_array_get_idx(trig, i);

		snprintf(name, sizeof(name), "stress/%s", p2pb_jstr(t, "trigger", "?"));
		c = case_new(s, d, "stress", name);
		if (!c)
			return;
		outcome_from_verdict(c, t, "verdict.violations.0.evidence");
		metrics_add(c, P2PB_FAMILY_STRESS_TRIGGER, t, false);
	}
	c = case_new(s, d, "stress", "stress/run");
	if (!c)
		return;
	snprintf(c->outcome, sizeof(c->outcome), "%s", p2pb_jstr(st, "run_verdict.outcome", ""));
	snprintf(c->reason, sizeof(c->reason), "%s", p2pb_jstr(st, "findings.0", ""));
	snprintf(c->params, sizeof(c->params), "workers=%.0f seed=%.0f", p2pb_jnum(st, "workers"), p2pb_jnum(st, "seed"));
	if (elapsed > 0)
		metrics_add(c, P2PB_FAMILY_STRESS_RUN, st, false);
	series_finish(c);
}

static void doc_rdma(struct p2pb_rset *s, size_t d, json_object *root)
{
	json_object *r = p2pb_jpath(root, "rdma"), *steps = p2pb_jpath(r, "steps");
	size_t i;

	topo_add(s, d, p2pb_jobj(r, "topology.nic"));
	topo_add(s, d, p2pb_jobj(r, "topology.exporter"));
	for (i = 0; steps && i < p2pb_jlen(steps); i++) {
		json_object *st = json_object_array_get_idx(steps, i);
		char name[96];
		struct p2pb_rcase *c;

		snprintf(name, sizeof(name), "rdma/%s-%s/%.0f", p2pb_jstr(r, "op", "?"), p2pb_jstr(r, "mode", "?"),
			 p2pb_jnum(st, "size"));
		c = case_new(s, d, "rdma", name);
		if (!c)
			return;
		snprintf(c->params, sizeof(c->params), "driver=%s memory=%s qps=%.0f", p2pb_jstr(r, "driver", "?"),
			 p2pb_jstr(r, "memory.kind", "?"), p2pb_jnum(r, "qps"));
		metrics_add(c, P2PB_FAMILY_RDMA_STEP, st, false);
		series_finish(c);
		rdma_timeline(c, st);
	}
}

/* bench/ scripts' documents: one case per row, a series per sample list and per ratio. */
static void doc_bench(struct p2pb_rset *s, size_t d, json_object *root, const char *kind)
{
	json_object *rows = p2pb_jpath(root, "rows");
	size_t i;

	for (i = 0; rows && i < p2pb_jlen(rows); i++) {
		json_object *row = p2pb_jobj(json_object_array_get_idx(rows, i), NULL);
		json_object *samples = p2pb_jobj(row, "samples");
		const char *unit = p2pb_jstr(row, "unit", "bytes/s");
		enum p2pb_better better = strstr(unit, "ns") ? P2PB_LOWER_BETTER : P2PB_HIGHER_BETTER;
		char name[128];
		size_t len;
		struct p2pb_rcase *c;

		if (!row)
			continue;
		len = (size_t)snprintf(name, sizeof(name), "%s", kind + strlen("bench:"));
		json_object_object_foreach(row, k, v) {
			if (len >= sizeof(name))
				break;
			if (!strcmp(k, "unit"))
				continue;
			if (json_object_is_type(v, json_type_string))
				len += (size_t)snprintf(name + len, sizeof(name) - len, "/%s", json_object_get_string(v));
			else if (!strcmp(k, "size") && json_object_is_type(v, json_type_int))
				len += (size_t)snprintf(name + len, sizeof(name) - len, "/%s", json_object_get_string(v));
		}
		c = case_new(s, d, kind, name);
		if (!c)
			return;
		json_object_object_foreach(row, rk, rv) {
			if (!strncmp(rk, "ratio_", 6))
				sample_add(c, rk, "ratio", better, p2pb_jnum(rv, ""));
		}
		if (samples) {
			json_object_object_foreach(samples, sk, sv) {
				char metric[64];
				size_t j;

				snprintf(metric, sizeof(metric), "%s", sk);
				for (j = 0; j < p2pb_jlen(sv); j++)
					sample_add(c, metric, strstr(unit, "ns") ? "ns" : "B/s", better,
						   p2pb_jnum(json_object_array_get_idx(sv, j), ""));
			}
		}
		series_finish(c);
	}
}

static void doc_scale(struct p2pb_rset *s, size_t d, json_object *root)
{
	static const char *const axes[] = { "dmabufs", "attachments" };
	size_t a, i;

	snprintf(s->docs[d].scale_trigger, sizeof(s->docs[d].scale_trigger), "%s", p2pb_jstr(root, "trigger", ""));
	snprintf(s->docs[d].scale_delay, sizeof(s->docs[d].scale_delay), "%s", p2pb_jstr(root, "importer_delay", ""));
	for (a = 0; a < 2; a++) {
		json_object *pts = p2pb_jpath(p2pb_jpath(root, axes[a]), "points");

		for (i = 0; pts && i < p2pb_jlen(pts); i++) {
			json_object *p = json_object_array_get_idx(pts, i);
			struct p2pb_rcase *c;
			char name[96];

			snprintf(name, sizeof(name), "scale/%s=%.0f", axes[a], p2pb_jnum(p, "n"));
			c = case_new(s, d, "scale", name);
			if (!c)
				return;
			snprintf(c->params, sizeof(c->params), "trigger=%s importer_delay=%s", p2pb_jstr(root, "trigger", "?"),
				 p2pb_jstr(root, "importer_delay", "?"));
			snprintf(c->outcome, sizeof(c->outcome), "%s", !strcmp(p2pb_jstr(p, "status", ""), "pass") ? "PASS" : "FAIL");
			snprintf(c->scale_axis, sizeof(c->scale_axis), "%s", axes[a]);
			c->scale_n = p2pb_jnum(p, "n");
			metrics_add(c, P2PB_FAMILY_SCALE_POINT, p, false);
			series_finish(c);
		}
	}
}

/* "p2pbench revoke --device ...": the command line the document recorded. */
static void doc_command(json_object *root, char *out, size_t len)
{
	json_object *cmd = p2pb_jarr(root, "command");
	size_t k, at = 0;

	out[0] = 0;
	for (k = 0; k < p2pb_jlen(cmd) && at < len; k++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", k ? " " : "p2pbench ",
				       p2pb_jstr(json_object_array_get_idx(cmd, k), "", "?"));
}

void p2pb_doc_read(struct p2pb_rset *s, size_t idx, json_object *root)
{
	struct p2pb_rdoc *d = &s->docs[idx];

	doc_job(root, d->job, sizeof(d->job));
	doc_command(root, d->command, sizeof(d->command));
	if (!strcmp(d->kind, "revoke") || !strcmp(d->kind, "timeout-sweep") || !strcmp(d->kind, "trace"))
		doc_revoke(s, idx, root, d->kind);
	else if (!strcmp(d->kind, "check"))
		doc_check(s, idx, root);
	else if (!strcmp(d->kind, "stress"))
		doc_stress(s, idx, root);
	else if (!strcmp(d->kind, "rdma"))
		doc_rdma(s, idx, root);
	else if (!strncmp(d->kind, "bench:", 6))
		doc_bench(s, idx, root, d->kind);
	else if (!strcmp(d->kind, "scale"))
		doc_scale(s, idx, root);
}

void p2pb_rcase_release(struct p2pb_rcase *c)
{
	size_t i;

	for (i = 0; i < c->n_series; i++)
		free(c->series[i].v);
	free(c->series);
	if (c->timeline) {
		free(c->timeline->bytes);
		free(c->timeline->marks);
		free(c->timeline);
	}
	c->series = NULL;
	c->n_series = 0;
	c->timeline = NULL;
}
