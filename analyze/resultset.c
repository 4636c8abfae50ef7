// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "resultset.h"
#include "doc_read.h"
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

/*
 * host.kernel_build and host.emulator (result-v2.md) in one line: what makes
 * two lab machines different even when their host names are the same.
 */
static void machine_describe(json_object *root, char *buf, size_t len)
{
	json_object *kb = p2pb_jpath(root, "host.kernel_build");
	json_object *patches = p2pb_jpath(root, "host.kernel_build.series.patches");
	const char *qemu = p2pb_jstr(root, "host.emulator.version", "");
	char extra[96] = "";
	int n = 0;

	buf[0] = '\0';
	if (!kb)
		return;
	if (p2pb_jpath(root, "host.kernel_build.series"))
		snprintf(extra, sizeof(extra), "series %s, %zu patches; ",
			 p2pb_jstr(root, "host.kernel_build.series.name", "?"),
			 patches ? json_object_array_length(patches) : 0);
	else if (p2pb_jpath(root, "host.kernel_build.tree_describe"))
		snprintf(extra, sizeof(extra), "tree %s; ", p2pb_jstr(root, "host.kernel_build.tree_describe", "?"));
	n = snprintf(buf, len, "%s %s (%sconfig %.8s)", p2pb_jstr(root, "host.kernel_build.release", "?"),
		     p2pb_jstr(root, "host.kernel_build.origin", "?"), extra,
		     p2pb_jstr(root, "host.kernel_build.config_sha256", "unknown"));
	if (*qemu && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", qemu %s", qemu);
}

static int add_doc(struct p2pb_rset *s, const char *path)
{
	json_object *root = json_object_from_file(path);
	struct p2pb_rdoc *docs, *d;
	char why[160];
	size_t idx;

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
	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->host, sizeof(d->host), "%s", p2pb_jstr(root, "host.name", ""));
	snprintf(d->kernel, sizeof(d->kernel), "%s", p2pb_jstr(root, "host.kernel", p2pb_jstr(root, "kernel", "")));
	machine_describe(root, d->machine, sizeof(d->machine));
	snprintf(d->started, sizeof(d->started), "%s", p2pb_jstr(root, "started", ""));
	d->lab = json_object_get_boolean(p2pb_jpath(root, "host.lab"));
	d->interrupted = json_object_get_boolean(p2pb_jpath(root, "interrupted"));
	p2pb_doc_read(s, idx, root);
	d->legacy_type1 = json_object_get(p2pb_jpath(root, "legacy_type1"));	/* rendered as it is */
	json_object_put(root);	/* everything else the set needs is read out of it */
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
		while (s->n_cases > cases0)
			p2pb_rcase_release(&s->cases[--s->n_cases]);
		while (s->n_topo && s->topo[s->n_topo - 1].doc >= docs0)
			s->n_topo--;
		s->n_docs = docs0;
	}
	return rc;
}

void p2pb_rset_free(struct p2pb_rset *s)
{
	size_t i;

	for (i = 0; i < s->n_cases; i++)
		p2pb_rcase_release(&s->cases[i]);
	for (i = 0; i < s->n_docs; i++)
		json_object_put(s->docs[i].legacy_type1);
	free(s->cases);
	free(s->docs);
	free(s->topo);
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
