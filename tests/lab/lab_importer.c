// SPDX-License-Identifier: GPL-2.0
/* The set-up the lab helpers share (lab_importer.h). */
#include "lab_importer.h"
#include "error.h"

#include <stdio.h>

int lab_importer_setup(struct lab_importer *li, const char *prog, const char *exporter, const char *spec)
{
	struct p2pb_range r = { 0, 4096 };

	li->e.spec = &li->sp;
	if (p2pb_vfio_open(&li->d, exporter) || p2pb_engine_spec_parse(spec, &li->sp)) {
		fprintf(stderr, "%s: %s\n", prog, p2pb_error());
		return -1;
	}
	li->dmabuf_fd = p2pb_vfio_export(&li->d, 2, &r, 1);
	if (li->dmabuf_fd < 0 || li->sp.ops->open(&li->e, &li->restore) ||
	    li->sp.ops->attach(&li->e, &(struct p2pb_export){ .fd = li->dmabuf_fd }, &li->att) || li->att.map_err) {
		fprintf(stderr, "%s: cannot set up the importer: %s\n", prog, p2pb_error());
		return -1;
	}
	return 0;
}
