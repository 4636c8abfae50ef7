/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_LAB_IMPORTER_H
#define P2PB_LAB_IMPORTER_H
#include "engine.h"
#include "vfio.h"

/* Lab helpers' set-up: the exporter open, a page of BAR2 exported, an importer attached and mapped. */
struct lab_importer {
	struct p2pb_restore restore;
	struct p2pb_engine_spec sp;
	struct p2pb_engine e;
	struct p2pb_attachment att;
	struct p2pb_vfio_dev d;
	int dmabuf_fd;
};

/* 0, or prints "PROG: why" and returns -1. spec: a kmod engine spec (dev= included). */
int lab_importer_setup(struct lab_importer *li, const char *prog, const char *exporter, const char *spec);
#endif
