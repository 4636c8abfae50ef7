// SPDX-License-Identifier: GPL-2.0
/* One revoke case run, judged, formatted and checked for what it kept. */
#define _GNU_SOURCE
#include "revoke_case.h"

#include "leak.h"

#include <stdio.h>
#include <stdlib.h>

enum p2pb_outcome p2pb_revoke_case(struct p2pb_session *s, const struct p2pb_job *j, json_object *cases,
				   struct p2pb_ktap *ktap, bool quiet, struct p2pb_case_result *keep,
				   struct p2pb_case_summary *summary)
{
	struct p2pb_case_result *r = calloc(1, sizeof(*r));
	struct p2pb_leak before, after;
	json_object *cj;
	char why[256];
	enum p2pb_outcome o;

	if (!r) {
		fprintf(stderr, "p2pbench: out of memory\n");
		return P2PB_ERROR;
	}
	/* what the case holds when it is over, against before: fds, dma-bufs, module references */
	p2pb_leak_take(&before);
	p2pb_case_run(s, j, r);
	p2pb_leak_take(&after);
	cj = p2pb_case_json(r);
	json_object_object_add(cj, "leaks", p2pb_leak_json(&before, &after));
	json_object_array_add(cases, cj);
	/* a hung trigger keeps what it holds: nothing to report but the hang */
	if (!r->kernel_stuck && p2pb_leak_compare(&before, &after, why, sizeof(why)) && !quiet)
		printf("%-28s not given back after the case: %s\n", j->name, why);
	p2pb_case_ktap(ktap, r);
	if (!quiet)
		p2pb_case_table(r);
	if (s->timeline)
		p2pb_case_timeline(r, s->trace.tracepoints, s->trace.on);
	o = r->verdict.outcome;
	if (summary)
		p2pb_case_summarize(r, summary);
	if (keep)
		*keep = *r;
	else
		p2pb_case_result_free(r);
	free(r);
	return o;
}
