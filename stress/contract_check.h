/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CONTRACT_CHECK_H
#define P2PB_CONTRACT_CHECK_H
/* The exporter's contract in one short run, one KTAP line per rule (p2pbench check). */
#include <json-c/json.h>
#include <stdbool.h>

#include "job.h"
#include "result.h"
#include "session.h"

enum p2pb_check_status { P2PB_CHECK_PASS, P2PB_CHECK_FAIL, P2PB_CHECK_SKIP, P2PB_CHECK_XFAIL, P2PB_CHECK_XPASS,
			 P2PB_CHECK_N };

struct p2pb_check_params {
	struct p2pb_job job;		/* the exporter: device and BAR */
	const char *importer_dev;	/* the PCI function the test importer attaches as */
	bool bind;			/* rebind the device to vfio-pci for the run */
	const char *ktap_path;		/* "-": stdout */
};

struct p2pb_check_result {
	unsigned int count[P2PB_CHECK_N];	/* rules by status */
	int errors;			/* cases that could not be measured; < 0: a setup error */
	json_object *checks;		/* one entry per rule, for the document (the caller owns it) */
};

/*
 * Claim and open the device and the importers, open @ktap, judge every rule
 * (KTAP lines as they are judged, then the totals), let go of the devices
 * (unless a trigger is stuck in the kernel: p2pb_case_kernel_stuck()).
 * 0, or -errno on a setup error (message set); the rules judged before it
 * are in @r either way.
 */
int p2pb_check_run(struct p2pb_session *s, const struct p2pb_check_params *p, struct p2pb_ktap *ktap,
		   struct p2pb_check_result *r);
#endif
