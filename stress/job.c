// SPDX-License-Identifier: GPL-2.0
#include "job.h"
#include "error.h"

#include <errno.h>

int p2pb_job_add_importer(struct p2pb_job *j, const char *spec)
{
	if (j->n_importers == P2PB_MAX_IMPORTER_SPECS)
		return p2pb_fail(-EINVAL, "at most %d importer specs per job", P2PB_MAX_IMPORTER_SPECS);
	if (p2pb_engine_spec_parse(spec, &j->importers[j->n_importers]))
		return -EINVAL;	/* the engine said why */
	j->n_importers++;
	return 0;
}
