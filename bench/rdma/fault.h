/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_FAULT_H
#define P2PB_RDMA_FAULT_H
#include <pthread.h>
#include <stdatomic.h>

#include "xfer.h"

/*
 * Disturbances while a loopback bandwidth step runs: every @every_ns the
 * responder's memory or QPs are taken away, on a thread of their own.
 */
enum p2pb_rdma_fault {
	P2PB_FAULT_NONE,
	P2PB_FAULT_DEREG,	/* the responder deregisters its MR (remote access errors follow) */
	P2PB_FAULT_QP_ERROR,	/* the responder's QPs go to error (the requester's retries run out) */
	P2PB_FAULT_TRIGGER,	/* a revoke trigger on the exporter of the responder's VFIO memory */
};

struct p2pb_rdma_disturb {
	enum p2pb_rdma_fault kind;
	const char *name;		/* "dereg", "qp-error" or the trigger's */
	uint64_t every_ns;		/* the first at every_ns into a step, then every every_ns */
	uint64_t hold_ns;		/* a trigger's revoke lasts this long before its restore */
	/*
	 * TRIGGER: check before the first step (on the run's thread), revoke and
	 * restore on the disturbing thread; restore may be NULL (the trigger
	 * un-revokes by itself). 0 or -errno with p2pb_fail().
	 */
	int (*check)(const void *ctx, struct p2pb_exporter *x);
	int (*revoke)(const void *ctx, struct p2pb_exporter *x);
	int (*restore)(const void *ctx, struct p2pb_exporter *x);
	const void *ctx;
};

/* How a QP that failed is brought back (docs/rdma.md, "Traffic through revokes and faults"). */
enum p2pb_rdma_recovery {
	P2PB_RECOVERY_AUTO,	/* from the memory's driver: mlx5 remap, anything else rereg */
	P2PB_RECOVERY_NONE,	/* a failed QP stays down (perftest's behaviour) */
	P2PB_RECOVERY_REMAP,	/* reset and reconnect the QPs; the MR stays (mlx5 remaps on the next access) */
	P2PB_RECOVERY_REREG,	/* register the memory again, then reset and reconnect (irdma revokes for good) */
};
/* Their names, by value, NULL-terminated. */
extern const char *const p2pb_rdma_recovery_names[];
const char *p2pb_rdma_recovery_name(enum p2pb_rdma_recovery r);
/* What auto means for memory registered on a device of @driver. */
enum p2pb_rdma_recovery p2pb_rdma_recovery_for(const char *driver);

#define P2PB_RDMA_MAX_FAULTS 256

/* One disturbance, ns since the step began. */
struct p2pb_rdma_fault_rec {
	uint64_t start_ns, end_ns;		/* the fault's call (a trigger's revoke) */
	uint64_t restored_ns;			/* a trigger's restore returned; 0: none */
	int err;				/* of the call, 0 or -errno */
};

/*
 * What disturbances and recoveries act on in a loopback run: both endpoints,
 * the responder's MR and QPs guarded by @lock (the disturbing thread takes
 * them away, the traffic thread's recovery brings them back).
 */
struct p2pb_rdma_fault_target {
	struct p2pb_rdma_requester *q;
	struct p2pb_rdma_responder *r;
	const struct p2pb_rdma_disturb *d;
	enum p2pb_rdma_recovery strategy;	/* resolved: never auto */
	bool verify;
	pthread_mutex_t lock;
	uint32_t mr_gen;			/* registrations of the responder's memory */
	uint32_t qp_mr_gen[P2PB_RDMA_MAX_QPS];	/* the registration each QP last connected with */
};

void p2pb_rdma_fault_target_init(struct p2pb_rdma_fault_target *ft, struct p2pb_rdma_requester *q,
				 struct p2pb_rdma_responder *r, const struct p2pb_rdma_disturb *d,
				 enum p2pb_rdma_recovery strategy, bool verify);
void p2pb_rdma_fault_target_destroy(struct p2pb_rdma_fault_target *ft);

/*
 * Before a step: what the last one's disturbances left (a deregistered MR,
 * QPs in error) registered and connected again. 0 or -errno with p2pb_fail().
 */
int p2pb_rdma_fault_rearm(struct p2pb_rdma_fault_target *ft);

/* The recovery of a loopback run (a p2pb_rdma_recover_fn; recover_ctx is the target). */
int p2pb_rdma_recover_loopback(struct p2pb_rdma_requester *q, unsigned int i, enum p2pb_rdma_wc_class why,
			       uint32_t attempt, struct p2pb_rdma_counts *c, uint64_t size);

/* The thread that disturbs one step. */
struct p2pb_rdma_disturber {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	uint64_t t0;				/* the step's start */
	uint64_t end_ns;			/* no disturbance from here on (0: none), since t0 */
	struct p2pb_rdma_fault_target *ft;
	struct p2pb_rdma_fault_rec *recs;	/* P2PB_RDMA_MAX_FAULTS of them */
	unsigned int n;				/* read after stop */
};

/*
 * Start disturbing a step that began at @t0_ns and posts until @end_ns after
 * it (0: a step of iterations), so none fires when only the drain is left;
 * 0 or -errno with p2pb_fail().
 */
int p2pb_rdma_disturb_start(struct p2pb_rdma_disturber *ds, struct p2pb_rdma_fault_target *ft, uint64_t t0_ns,
			    uint64_t end_ns, struct p2pb_rdma_fault_rec *recs);
/* Stop and join (a trigger's restore still runs first); the records are then final. */
void p2pb_rdma_disturb_stop(struct p2pb_rdma_disturber *ds);
#endif
