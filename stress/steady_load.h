/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_STEADY_LOAD_H
#define P2PB_STEADY_LOAD_H
/* Steady-state throughput of one importer through one dma-buf, no revoke. */
#include <json-c/json.h>
#include <stdint.h>

#include "job.h"
#include "session.h"

struct p2pb_steady_load_params {
	struct p2pb_job job;		/* device, bar, offset, size and the one importer */
	uint64_t duration_ns, warmup_ns;
};

struct p2pb_steady_load_result {
	struct p2pb_range range;
	uint64_t ns, bytes, ops, io_errors, io_timeouts;
	uint32_t last_error;
};

/*
 * Export the range, attach and start the importer, warm up, then measure for
 * the duration (a progress line on the session). 0, or -errno with a message;
 * @describe gets the engine's description when it has one (put it).
 */
int p2pb_steady_load_run(struct p2pb_session *s, const struct p2pb_steady_load_params *a,
			 struct p2pb_steady_load_result *res, json_object **describe);
/* The result object of the document's "load" member. */
json_object *p2pb_steady_load_json(const struct p2pb_steady_load_params *a, const struct p2pb_steady_load_result *r,
				   json_object *describe);
#endif
