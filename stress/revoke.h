/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_REVOKE_H
#define P2PB_REVOKE_H
#include <json-c/json.h>
#include <stdbool.h>

#include "job.h"
#include "result.h"
#include "session.h"

int p2pb_cmd_revoke(int argc, char **argv);
int p2pb_cmd_check(int argc, char **argv);
int p2pb_cmd_timeout_sweep(int argc, char **argv);
int p2pb_cmd_trace(int argc, char **argv);

/*
 * Run one revoke case: append its result object to cases, a KTAP line to
 * ktap, and (unless quiet) its rows to the terminal table. 0 pass/skip, 1 fail.
 */
int p2pb_revoke_case(struct p2pb_session *s, const struct p2pb_job *j, json_object *cases,
		     struct p2pb_ktap *ktap, bool quiet);
/* A trigger never came back from the kernel: stop, leave the device alone. */
bool p2pb_revoke_kernel_stuck(void);
#endif
