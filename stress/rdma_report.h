/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_STRESS_RDMA_REPORT_H
#define P2PB_STRESS_RDMA_REPORT_H
/* An RDMA run's parameters, its placement, and its table and result object. */
#include <json-c/json.h>
#include <stdbool.h>

#include "pci.h"
#include "rdma/runner.h"

/* What p2pbench rdma runs: the run itself, the device it runs on, the output. */
struct p2pb_rdma_args {
	struct p2pb_rdma_run_cfg run;
	char dev[64];
	const char *json_path;
	bool quiet, bind, no_pin;
};

/* Where the run is: its NIC, NUMA node, whether it is pinned, the narrowest link. */
struct p2pb_rdma_placement {
	char nic[P2PB_BDF_LEN];		/* "" for a software device */
	int numa;
	bool pinned;
	double narrowest;		/* bytes/s, 0 unknown */
};

/* Take the first device when none is named; pin near the NIC unless no_pin (a note on stderr if not). */
void p2pb_rdma_place(struct p2pb_rdma_args *a, struct p2pb_rdma_placement *pl);
/* The perftest-style table (a server: the sizes it served). */
void p2pb_rdma_report(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl,
		      const struct p2pb_rdma_run_result *r);
/* The document's "rdma" object. */
json_object *p2pb_rdma_json(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl,
			    const struct p2pb_rdma_run_result *r);
#endif
