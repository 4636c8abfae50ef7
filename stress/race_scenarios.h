/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RACE_SCENARIOS_H
#define P2PB_RACE_SCENARIOS_H
/*
 * Named race scenarios: a second thread acts at a fixed point inside a
 * revoke's wait for a slow importer (p2pbench race; docs/stress.md).
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "kmsg.h"
#include "session.h"

struct p2pb_race_params {
	const char *device;		/* on vfio-pci, claimed by the caller */
	const char *importer_dev;	/* the PCI function the test importer attaches as */
	const char *scenario;		/* a name, or "all" */
};

struct p2pb_race_result {
	unsigned int passed, failed;	/* expectations */
	bool hung;			/* a call never returned: the device was left as it is */
	json_object *scenarios;		/* each scenario's checks */
	struct p2pb_kmsg_counts klog;	/* the kernel log over the whole run */
	char *ktap_body;		/* the KTAP result lines, without header and plan */
	size_t ktap_len;
	int ktap_n;			/* how many: the plan */
};

/* The scenarios, one line each, for --help. */
void p2pb_race_help(FILE *f);
/* How many scenarios @which names ("all": every one); 0: none such. */
unsigned int p2pb_race_count(const char *which);
/*
 * Open the exporter and two importers (500 ms and prompt), run the
 * scenarios, close what was opened unless a call hung. 0, or -errno on a
 * setup error (message set). Release @r with p2pb_race_result_release().
 */
int p2pb_race_run(struct p2pb_session *s, const struct p2pb_race_params *p, struct p2pb_race_result *r);
void p2pb_race_result_release(struct p2pb_race_result *r);
#endif
