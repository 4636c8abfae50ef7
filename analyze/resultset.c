// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "resultset.h"
#include "error.h"
#include "jsonq.h"
#include "result.h"
#include "stats.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static struct p2pb_rcase *case_new(struct p2pb_rset *s, size_t doc, json_object *raw, const char *kind,
				   const char *name)
{
	struct p2pb_rcase *c, *cases = realloc(s->cases, (s->n_cases + 1) * sizeof(*cases));

	if (!cases)
		return NULL;
	s->cases = cases;
	c = &cases[s->n_cases++];
	memset(c, 0, sizeof(*c));
	c->doc = doc;
	c->raw = raw;
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
		struct p2pb_rcase *c = case_new(s, d, jc, kind, p2pb_jstr(jc, "name", "?"));

		if (!c)
			return;
		outcome_from_verdict(c, jc, "reason");
		revoke_params(c, jc);
		for (j = 0; its && j < p2pb_jlen(its); j++) {
			json_object *it = json_object_array_get_idx(its, j), *w = p2pb_jpath(it, "warmup");

			if (!(w && json_object_get_boolean(w)))
				metrics_add(c, P2PB_FAMILY_REVOKE, it, true);
		}
		series_finish(c);
	}
}

static void doc_check(struct p2pb_rset *s, size_t d, json_object *root)
{
	json_object *checks = p2pb_jpath(root, "checks");
	size_t i;

	for (i = 0; checks && i < p2pb_jlen(checks); i++) {
		json_object *jc = json_object_array_get_idx(checks, i);
		struct p2pb_rcase *c = case_new(s, d, jc, "check", p2pb_jstr(jc, "name", "?"));
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
		c = case_new(s, d, t, "stress", name);
		if (!c)
			return;
		outcome_from_verdict(c, t, "verdict.violations.0.evidence");
		metrics_add(c, P2PB_FAMILY_STRESS_TRIGGER, t, false);
	}
	c = case_new(s, d, st, "stress", "stress/run");
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

	for (i = 0; steps && i < p2pb_jlen(steps); i++) {
		json_object *st = json_object_array_get_idx(steps, i);
		char name[96];
		struct p2pb_rcase *c;

		snprintf(name, sizeof(name), "rdma/%s-%s/%.0f", p2pb_jstr(r, "op", "?"), p2pb_jstr(r, "mode", "?"),
			 p2pb_jnum(st, "size"));
		c = case_new(s, d, st, "rdma", name);
		if (!c)
			return;
		snprintf(c->params, sizeof(c->params), "driver=%s memory=%s qps=%.0f", p2pb_jstr(r, "driver", "?"),
			 p2pb_jstr(r, "memory.kind", "?"), p2pb_jnum(r, "qps"));
		metrics_add(c, P2PB_FAMILY_RDMA_STEP, st, false);
		series_finish(c);
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
		c = case_new(s, d, row, kind, name);
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

	for (a = 0; a < 2; a++) {
		json_object *pts = p2pb_jpath(p2pb_jpath(root, axes[a]), "points");

		for (i = 0; pts && i < p2pb_jlen(pts); i++) {
			json_object *p = json_object_array_get_idx(pts, i);
			struct p2pb_rcase *c;
			char name[96];

			snprintf(name, sizeof(name), "scale/%s=%.0f", axes[a], p2pb_jnum(p, "n"));
			c = case_new(s, d, p, "scale", name);
			if (!c)
				return;
			snprintf(c->params, sizeof(c->params), "trigger=%s importer_delay=%s", p2pb_jstr(root, "trigger", "?"),
				 p2pb_jstr(root, "importer_delay", "?"));
			snprintf(c->outcome, sizeof(c->outcome), "%s", !strcmp(p2pb_jstr(p, "status", ""), "pass") ? "PASS" : "FAIL");
			metrics_add(c, P2PB_FAMILY_SCALE_POINT, p, false);
			series_finish(c);
		}
	}
}

/* ---- documents ---- */

/* The document's kind, or NULL with the reason when it is none of ours. */
static const char *doc_kind(json_object *root, char *kind, size_t len, char *why, size_t why_len)
{
	const char *schema = p2pb_jstr(root, "schema", NULL);

	if (!schema) {
		snprintf(why, why_len, "not a p2pbench result (no \"schema\" key)");
		return NULL;
	}
	if (!strcmp(schema, P2PB_RESULT_SCHEMA)) {
		double v = p2pb_jnum(root, "schema_version");

		if (isnan(v)) {
			snprintf(why, why_len, "%s without a schema_version; this p2pbench reads version %d", schema,
				 P2PB_RESULT_VERSION);
			return NULL;
		}
		if (v != P2PB_RESULT_VERSION) {
			snprintf(why, why_len, "%s version %.0f; this p2pbench reads version %d", schema, v,
				 P2PB_RESULT_VERSION);
			return NULL;
		}
		snprintf(kind, len, "%s", p2pb_jstr(root, "tool.subcommand", "?"));
		return kind;
	}
	if (!strcmp(schema, "p2pbench-bench/1")) {
		snprintf(kind, len, "bench:%s", p2pb_jstr(root, "benchmark", "?"));
		return kind;
	}
	if (!strcmp(schema, "p2pbench-revoke-scale") && p2pb_jnum(root, "version") == 1) {
		snprintf(kind, len, "scale");
		return kind;
	}
	snprintf(why, why_len, "schema \"%s\" is not one this p2pbench reads", schema);
	return NULL;
}

static int add_doc(struct p2pb_rset *s, const char *path)
{
	json_object *root = json_object_from_file(path);
	struct p2pb_rdoc *docs, *d;
	char why[160];
	size_t idx, first_case = s->n_cases;

	if (!root) {
		char why[200];

		snprintf(why, sizeof(why), "%s", json_util_get_last_err() ?: "unknown");
		why[strcspn(why, "\n")] = 0;	/* json-c ends it with a newline: one error, one line */
		return p2pb_fail(-EINVAL, "%s: cannot read a JSON document (%s)", path, why);
	}
	docs = realloc(s->docs, (s->n_docs + 1) * sizeof(*docs));
	if (!docs) {
		json_object_put(root);
		return p2pb_fail(-ENOMEM, "out of memory");
	}
	s->docs = docs;
	idx = s->n_docs;
	d = &docs[idx];
	memset(d, 0, sizeof(*d));
	if (!doc_kind(root, d->kind, sizeof(d->kind), why, sizeof(why))) {
		json_object_put(root);
		return p2pb_fail(-EINVAL, "%s: %s", path, why);
	}
	s->n_docs++;
	d->root = root;
	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->host, sizeof(d->host), "%s", p2pb_jstr(root, "host.name", ""));
	snprintf(d->kernel, sizeof(d->kernel), "%s", p2pb_jstr(root, "host.kernel", p2pb_jstr(root, "kernel", "")));
	snprintf(d->started, sizeof(d->started), "%s", p2pb_jstr(root, "started", ""));
	d->lab = json_object_get_boolean(p2pb_jpath(root, "host.lab"));
	d->interrupted = json_object_get_boolean(p2pb_jpath(root, "interrupted"));
	doc_job(root, d->job, sizeof(d->job));
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
	(void)first_case;
	return 0;
}

static int is_json_name(const char *n)
{
	size_t l = strlen(n);

	return l > 5 && !strcmp(n + l - 5, ".json") && n[0] != '.';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The JSON documents of a directory and its subdirectories (two levels:
 * nightly/DATE/HOST), sorted so that a set reads the same way every time.
 * A run directory contributes the results its index lists; a report
 * directory nothing; documents of other schemas (a replay file) are passed
 * over.
 */
/*
 * A p2pbench run directory: the results its index lists (a job not yet run
 * has none). Returns 1 when DIR is one, 0 when not, <0 on error.
 */
static int add_run_dir(struct p2pb_rset *s, const char *dir, size_t *added)
{
	char path[PATH_MAX + 32];
	json_object *idx, *jobs;
	size_t i;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/index.json", dir);
	idx = access(path, R_OK) ? NULL : json_object_from_file(path);
	if (!idx || strcmp(p2pb_jstr(idx, "schema", ""), "p2pbench-run-index")) {
		json_object_put(idx);
		return 0;
	}
	jobs = p2pb_jpath(idx, "jobs");
	for (i = 0; jobs && i < p2pb_jlen(jobs) && !rc; i++) {
		json_object *j = json_object_array_get_idx(jobs, i);

		const char *st = p2pb_jstr(j, "status", "");
		const char *jd = p2pb_jstr(j, "dir", "");

		/* only what its job wrote this time: an error or a pending job may have an old result beside it */
		if ((strcmp(st, "done") && strcmp(st, "failed") && strcmp(st, "interrupted")) || !*jd || strstr(jd, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, jd, p2pb_jstr(j, "result", "result.json"));
		if (access(path, R_OK))
			continue;
		rc = add_doc(s, path);
		*added += !rc;
	}
	json_object_put(idx);
	return rc ? rc : 1;
}

static int add_dir(struct p2pb_rset *s, const char *dir, int depth, size_t *added)
{
	char probe[PATH_MAX + 16];
	DIR *dh;
	int run = add_run_dir(s, dir, added);

	if (run)
		return run < 0 ? run : 0;
	/* a report directory: its data/ holds copies of results reported already */
	snprintf(probe, sizeof(probe), "%s/index.html", dir);
	if (!access(probe, F_OK))
		return 0;
	dh = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (!dh)
		return p2pb_fail(-errno, "%s: %s", dir, strerror(errno));
	while ((e = readdir(dh))) {
		char **nn;

		if (e->d_name[0] == '.')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn)
			break;
		names = nn;
		names[n++] = strdup(e->d_name);
	}
	closedir(dh);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && !rc; i++) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			rc = add_dir(s, path, depth - 1, added);
		} else if (S_ISREG(st.st_mode) && is_json_name(names[i])) {
			json_object *root = json_object_from_file(path);
			char kind[32], why[160];
			int ours = root && doc_kind(root, kind, sizeof(kind), why, sizeof(why));
			int old_schema = root && !ours && strstr(why, "version");

			json_object_put(root);
			if (old_schema)
				rc = p2pb_fail(-EINVAL, "%s: %s", path, why);
			else if (ours && !(rc = add_doc(s, path)))
				(*added)++;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int p2pb_rset_add(struct p2pb_rset *s, const char *path)
{
	struct stat st;
	size_t added = 0, docs0 = s->n_docs, cases0 = s->n_cases;
	int rc;

	if (stat(path, &st))
		return p2pb_fail(-errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		const char *slash = strrchr(path, '/');
		char dir[PATH_MAX];

		if (strcmp(slash ? slash + 1 : path, "index.json"))
			return add_doc(s, path);
		/* a run's index.json stands for its run directory */
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
		rc = add_run_dir(s, dir, &added);
		if (!rc)
			return add_doc(s, path);
		rc = rc < 0 ? rc : 0;
	} else {
		rc = add_dir(s, path, 2, &added);
	}
	if (!rc && !added)
		rc = p2pb_fail(-ENOENT, "%s: no p2pbench result documents in it", path);
	if (rc) {
		/* nothing half-added: drop what this directory contributed */
		while (s->n_cases > cases0) {
			struct p2pb_rcase *c = &s->cases[--s->n_cases];

			for (size_t i = 0; i < c->n_series; i++)
				free(c->series[i].v);
			free(c->series);
		}
		while (s->n_docs > docs0)
			json_object_put(s->docs[--s->n_docs].root);
	}
	return rc;
}

void p2pb_rset_free(struct p2pb_rset *s)
{
	size_t i, j;

	for (i = 0; i < s->n_cases; i++) {
		for (j = 0; j < s->cases[i].n_series; j++)
			free(s->cases[i].series[j].v);
		free(s->cases[i].series);
	}
	for (i = 0; i < s->n_docs; i++)
		json_object_put(s->docs[i].root);
	free(s->cases);
	free(s->docs);
	memset(s, 0, sizeof(*s));
}

const struct p2pb_series *p2pb_rcase_series(const struct p2pb_rcase *c, const char *metric)
{
	size_t i;

	for (i = 0; i < c->n_series; i++)
		if (!strcmp(c->series[i].metric, metric))
			return &c->series[i];
	return NULL;
}

int p2pb_outcome_rank(const char *outcome)
{
	static const char *const order[] = { "PASS", "XFAIL", "SKIP", "XPASS", "BOUNDED", "FAIL", "ERROR" };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(outcome, order[i]))
			return (int)i;
	return -1;
}
