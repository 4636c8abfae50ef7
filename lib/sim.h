/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_SIM_H
#define P2PB_SIM_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct p2pb_export;

/*
 * An in-process exporter with vfio-pci's revoke rules, for unit tests of
 * the orchestration and the verdicts: buffers importers attach to and map,
 * a revoke that invalidates every attachment and waits until each has
 * unmapped, an un-revoke, and faults that break the rules the way a broken
 * kernel would. Importers are called back with the device lock held.
 */
enum p2pb_sim_fault {
	P2PB_SIM_OK,
	P2PB_SIM_NO_WAIT,		/* revoke returns without waiting for unmaps (C1) */
	P2PB_SIM_MAP_WHILE_REVOKED,	/* map succeeds while revoked (C2) */
};

struct p2pb_sim_importer {
	/* invalidate: the buffer moved (revoke or un-revoke); live: a mapping exists */
	void (*invalidate)(void *priv, bool live);
	/* time passes: the importer unmaps if it is due (p2pb_sim_unmap_locked) */
	void (*poll)(void *priv, uint64_t now_ns);
};

#define P2PB_SIM_MAX_ATTS 64

struct p2pb_sim_att {
	struct p2pb_sim_buf *buf;
	const struct p2pb_sim_importer *imp;
	void *priv;
	bool mapped;
};

struct p2pb_sim_buf {
	struct p2pb_sim_dev *dev;
	bool revoked;
	struct p2pb_sim_att *atts[P2PB_SIM_MAX_ATTS];
	unsigned int n_atts;
};

struct p2pb_sim_dev {
	pthread_mutex_t lock;
	enum p2pb_sim_fault fault;
	bool revoked;
	struct p2pb_sim_buf *bufs[16];
	unsigned int n_bufs;
};

/* "sim", "sim:no-wait", "sim:map-while-revoked" */
int p2pb_sim_open(struct p2pb_sim_dev **d, const char *name);
void p2pb_sim_close(struct p2pb_sim_dev *d);
struct p2pb_sim_buf *p2pb_sim_export(struct p2pb_sim_dev *d);
void p2pb_sim_unexport(struct p2pb_sim_buf *b);

/* The buffer behind an export of the sim back-end (lib/exporter.h); NULL for another back-end's. */
struct p2pb_sim_buf *p2pb_sim_export_buf(const struct p2pb_export *e);

int p2pb_sim_attach(struct p2pb_sim_buf *b, const struct p2pb_sim_importer *imp, void *priv,
		    struct p2pb_sim_att **out);
void p2pb_sim_detach(struct p2pb_sim_att *a);
int p2pb_sim_map(struct p2pb_sim_att *a);		/* -ENODEV while revoked */
void p2pb_sim_unmap(struct p2pb_sim_att *a);
void p2pb_sim_unmap_locked(struct p2pb_sim_att *a);	/* from an importer callback */
/* Let time pass for every importer (they may unmap); returns mappings still live. */
unsigned int p2pb_sim_poll(struct p2pb_sim_dev *d);
int p2pb_sim_revoke(struct p2pb_sim_dev *d);
int p2pb_sim_unrevoke(struct p2pb_sim_dev *d);
void p2pb_sim_lock(struct p2pb_sim_dev *d);
void p2pb_sim_unlock(struct p2pb_sim_dev *d);
#endif
