/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RESULTSET_H
#define P2PB_RESULTSET_H
#include <limits.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "metric.h"

/*
 * Result documents read back: every document p2pbench and its benchmarks
 * write (result-v2, the bench/ ratio documents, revoke-scale fits) flattened
 * into cases, each a set of named series of numbers (the metrics of
 * lib/metric.h), with what the report draws besides them (a timeline, a
 * sweep cell's parameters, a scale point, the devices' topology), so that
 * compare and report need not know any document's shape. resultset.c holds
 * the set; doc_read.c reads each document kind.
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

/* An event on a timeline: "trigger", "invalidate", "unmapped", "disturbance", "restored", ... */
struct p2pb_tl_mark {
	double t_ns;			/* on the timeline's clock */
	const char *what;
};

/* Throughput binned through a revoke or through an RDMA step's disturbances. */
struct p2pb_timeline {
	double start_ns, bin_ns;	/* bin i: [start_ns + i * bin_ns, +bin_ns) */
	double *bytes;			/* per bin */
	size_t n_bins;
	struct p2pb_tl_mark *marks;
	size_t n_marks;
	int iteration;			/* a revoke: the iteration shown (the median stall; clock: its trigger's
					 * start); -1 an RDMA step (clock: the step's start) */
	size_t disturbances;		/* an RDMA step: how many */
};

/* One device's place in the PCIe tree, as a document recorded it (lib/topo.c). */
struct p2pb_rtopo {
	size_t doc;
	char bdf[16], host_bridge[32];
	char path[512];			/* hops from the root: "BDF [ID PORT, GT/s xW]" */
	double numa_node, narrowest;	/* narrowest link in B/s; NAN unknown */
};

struct p2pb_rdoc {
	char path[PATH_MAX];
	char kind[32];			/* "revoke", "timeout-sweep", "stress", "rdma", "bench:p2p-vs-fio", "scale" */
	char job[64];			/* the job file's name ("lab-qualification"), "-" without one */
	char host[64];			/* host.name, "" in documents older than it */
	/* how the machine was made: "7.3.4-p2pb-build built (series fix-x, 2 patches; config 1a2b3c4d),
	 * qemu 11.1.3"; "" when the document does not say (outside the lab, older documents) */
	char machine[224];
	char kernel[96];
	char started[32];
	char command[512];		/* "p2pbench revoke --device ..." */
	char scale_trigger[32], scale_delay[48];	/* a revoke-scale document's trigger and importer delay */
	bool lab, interrupted;
	json_object *legacy_type1;	/* a type1 document's finding (a reference), else NULL */
};

struct p2pb_rcase {
	char key[320];			/* what matches across runs: "kind|job|name" */
	char name[128];			/* for people: "delay0/flr", "stress/mem-off" */
	char params[192];		/* the parameters in the key, for "parameters changed" notes */
	char outcome[12];		/* PASS, BOUNDED, FAIL, ERROR, SKIP; "" when the document judges nothing */
	char reason[200];
	size_t doc;			/* index in the set's docs */
	char trigger[32];		/* a revoke case's trigger, "" otherwise */
	struct {
		bool set;		/* a timeout-sweep cell */
		char delay[48], policy[16];	/* policy "none": unbounded */
		double timeout_ms;
	} sweep;
	char scale_axis[16];		/* a revoke-scale point: "dmabufs" or "attachments" ... */
	double scale_n;			/* ... and how many */
	struct p2pb_timeline *timeline;	/* NULL: none */
	struct p2pb_series *series;
	size_t n_series;
};

struct p2pb_rset {
	struct p2pb_rdoc *docs;
	size_t n_docs;
	struct p2pb_rcase *cases;
	size_t n_cases;
	struct p2pb_rtopo *topo;	/* each document's devices, once each */
	size_t n_topo;
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
