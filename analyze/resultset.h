/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RESULTSET_H
#define P2PB_RESULTSET_H
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "metric.h"

/*
 * Result documents read back: every document p2pbench and its benchmarks
 * write (result-v2, the bench/ ratio documents, revoke-scale fits) flattened
 * into cases, each a set of named series of numbers, so that compare and
 * report need not know each document's shape.
 */

/* One metric of one case: its samples, or only a summary of them. */
struct p2pb_series {
	char metric[64];		/* "revoke_to_quiesce_ns", "dma.after.bytes_per_s", ... */
	const char *unit;		/* "ns", "B/s", "ratio", "ops/s" */
	enum p2pb_better better;
	double *v;			/* ascending samples; NULL when only a summary exists */
	size_t n;
	size_t count;			/* samples summarised (n when v is set) */
	double min, p50, p90, p99, max;
};

struct p2pb_rdoc {
	char path[PATH_MAX];
	json_object *root;
	char kind[32];			/* "revoke", "timeout-sweep", "stress", "rdma", "bench:p2p-vs-fio", "scale" */
	char job[64];			/* the job file's name ("lab-qualification"), "-" without one */
	char host[64];			/* host.name, "" in documents older than it */
	char kernel[96];
	char started[32];
	bool lab, interrupted;
};

struct p2pb_rcase {
	char key[320];			/* what matches across runs: "kind|job|name" */
	char name[128];			/* for people: "delay0/flr", "stress/mem-off" */
	char params[192];		/* the parameters in the key, for "parameters changed" notes */
	char outcome[12];		/* PASS, BOUNDED, FAIL, ERROR, SKIP; "" when the document judges nothing */
	char reason[200];
	size_t doc;			/* index in the set's docs */
	json_object *raw;		/* the case in its document (borrowed) */
	struct p2pb_series *series;
	size_t n_series;
};

struct p2pb_rset {
	struct p2pb_rdoc *docs;
	size_t n_docs;
	struct p2pb_rcase *cases;
	size_t n_cases;
};

/*
 * Add PATH to the set: a result document, or a directory searched (two levels
 * deep) for them. An unreadable file, a document of another schema or version,
 * or a directory without any is one p2pb_fail() error; nothing is added then.
 */
int p2pb_rset_add(struct p2pb_rset *s, const char *path);
void p2pb_rset_free(struct p2pb_rset *s);
/* Sorts a series' samples and sets count, min, p50, p90, p99, max from them. */
void p2pb_series_summarize(struct p2pb_series *sr);
const struct p2pb_series *p2pb_rcase_series(const struct p2pb_rcase *c, const char *metric);
/* Is a worse than b? PASS < BOUNDED < SKIP < FAIL < ERROR */
int p2pb_outcome_rank(const char *outcome);
#endif
