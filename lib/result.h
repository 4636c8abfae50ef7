/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RESULT_H
#define P2PB_RESULT_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "hist.h"
#include "kmsg.h"

/* Versioned result document: results/schema/result-v2.md describes it. */
#define P2PB_RESULT_SCHEMA "p2pbench-result"
#define P2PB_RESULT_VERSION 2
#define P2PB_VERSION "0.1.0"

json_object *p2pb_result_new(const char *subcommand, int argc, char **argv);
/* The machine a document was made on: {kernel, machine, name, lab}, as every result and run index has it. */
json_object *p2pb_result_host_json(void);
/* count/min/mean/p50/p90/p99/p99.9/max of a histogram, in its unit */
json_object *p2pb_json_summary(const struct p2pb_hist *h);
json_object *p2pb_json_u64(uint64_t v);
json_object *p2pb_json_kmsg(const struct p2pb_kmsg_counts *c);
/* Atomic: written to a temporary file and renamed, so readers never see half a document. */
int p2pb_result_write(json_object *doc, const char *path);

/* KTAP (kselftest) output. */
struct p2pb_ktap {
	FILE *f;
	int n;
};
int p2pb_ktap_open(struct p2pb_ktap *k, const char *path, int planned);
/* status: "ok", "not ok", or skip (ok with # SKIP reason) */
enum p2pb_ktap_status { P2PB_KTAP_OK, P2PB_KTAP_FAIL, P2PB_KTAP_SKIP };
void p2pb_ktap_result(struct p2pb_ktap *k, enum p2pb_ktap_status st, const char *desc,
		      const char *reason);
void p2pb_ktap_diag(struct p2pb_ktap *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void p2pb_ktap_close(struct p2pb_ktap *k);
#endif
