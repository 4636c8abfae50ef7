/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_REVOKE_H
#define P2PB_REVOKE_H
#include <json-c/json.h>
#include <stdbool.h>

#include "case.h"
#include "job.h"
#include "result.h"
#include "session.h"

int p2pb_cmd_revoke(int argc, char **argv);
int p2pb_cmd_check(int argc, char **argv);
int p2pb_cmd_timeout_sweep(int argc, char **argv);
int p2pb_cmd_trace(int argc, char **argv);
int p2pb_cmd_load(int argc, char **argv);
/* stress/run.c: job files into one results directory with an index */
int p2pb_cmd_run(int argc, char **argv);

/*
 * Run one revoke case: append its result object to cases, its KTAP lines to
 * ktap, and (unless quiet) its rows to the terminal table; with keep, the
 * measured result is handed over (free it with p2pb_case_result_free()).
 */
enum p2pb_outcome p2pb_revoke_case(struct p2pb_session *s, const struct p2pb_job *j, json_object *cases,
				   struct p2pb_ktap *ktap, bool quiet, struct p2pb_case_result *keep,
				   struct p2pb_case_summary *summary);
/* A trigger never came back from the kernel: stop, leave the device alone. */
bool p2pb_revoke_kernel_stuck(void);
/*
 * Then, once the results are written: the KTAP bail-out, one line on
 * stderr naming @prog, and the exit (1) that does not wait for the stuck
 * thread (lib/child.h). Nothing can be undone.
 */
void p2pb_revoke_bail_out_stuck(const char *prog, struct p2pb_ktap *ktap) __attribute__((noreturn));
#endif
