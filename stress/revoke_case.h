/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_REVOKE_CASE_H
#define P2PB_REVOKE_CASE_H
#include <json-c/json.h>
#include <stdbool.h>

#include "case.h"
#include "job.h"
#include "result.h"
#include "session.h"

/*
 * Run one revoke case: append its result object to cases, its KTAP lines to
 * ktap, and (unless quiet) its rows to the terminal table; with keep, the
 * measured result is handed over (free it with p2pb_case_result_free()).
 * Once a trigger is stuck in the kernel (p2pb_case_kernel_stuck()), run no
 * other case: the device is in the kernel for good.
 */
enum p2pb_outcome p2pb_revoke_case(struct p2pb_session *s, const struct p2pb_job *j, json_object *cases,
				   struct p2pb_ktap *ktap, bool quiet, struct p2pb_case_result *keep,
				   struct p2pb_case_summary *summary);
#endif
