/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_EXPORTER_BACKEND_H
#define P2PB_EXPORTER_BACKEND_H
#include <stddef.h>

#include "exporter.h"

/*
 * For the back-end files (lib/exporter_*.c) and the registry only: a caller
 * asks the ops what a back-end can do and never names one.
 */

/* A back-end's own state from the struct p2pb_exporter it embeds. */
#define p2pb_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* A device node the back-end needs, opened with @flags: an fd, or -errno saying what the machine @lacks. */
int p2pb_exporter_open_node(const char *path, int flags, const char *lacks);
/* The same question without opening it (a back-end's supported): 0 or -errno, the same message. */
int p2pb_exporter_has_node(const char *path, const char *lacks);

extern const struct p2pb_exporter_ops p2pb_exporter_vfio;	/* exporter_vfio.c */
extern const struct p2pb_exporter_ops p2pb_exporter_sim;	/* exporter_sim.c */
extern const struct p2pb_exporter_ops p2pb_exporter_host;	/* exporter_host.c, as the two below */
extern const struct p2pb_exporter_ops p2pb_exporter_udmabuf;
extern const struct p2pb_exporter_ops p2pb_exporter_heap;
#endif
