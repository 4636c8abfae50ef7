/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_XFER_H
#define P2PB_RDMA_XFER_H
#include "hist.h"
#include "verbs.h"

/*
 * The traffic: a requester posts writes, reads or sends on every QP and a
 * responder keeps receives posted (and, for latency, answers each message).
 * The two run in two processes (client and server, one poll loop each) or in
 * one (loopback: the requester's loop polls the responder too). Completions
 * in error are classified and counted, never fatal: the QP's part of the
 * step ends, and the caller sees what failed and when.
 */

struct p2pb_rdma_traffic {
	enum p2pb_rdma_op op;
	enum p2pb_rdma_mode mode;
	unsigned int cq_mod;		/* the depths are the endpoint's (struct p2pb_rdma_ep_cfg) */
	uint64_t seed;
};

/* One message size of a run. */
struct p2pb_rdma_step {
	uint64_t size;
	uint64_t iters;			/* per QP; 0 with duration_ns */
	uint64_t duration_ns;
};

#define P2PB_RDMA_BIN_NS 10000000ull	/* the throughput timeline's bins: 10 ms */
#define P2PB_RDMA_MAX_OUTAGES 256

/*
 * One QP's outage: from its first failed completion to its first good one
 * after a recovery. Times are ns since the step began.
 */
struct p2pb_rdma_outage {
	unsigned int qp;
	int first_status;		/* enum ibv_wc_status */
	uint64_t last_good_ns;		/* the QP's last good completion before (0: none yet) */
	uint64_t first_error_ns;
	uint64_t recovered_ns;		/* the QP carried traffic again (reset, re-registered); 0: never */
	uint64_t first_good_ns;		/* its first good completion after; 0: never */
	uint32_t attempts;		/* recoveries tried */
	uint64_t errors[P2PB_WC_N_CLASSES];
	char given_up[128];		/* why the QP was given up, "" when it was not */
};

struct p2pb_rdma_counts {
	uint64_t ns;			/* first post to last completion */
	uint64_t ops, bytes;		/* completed without error */
	uint64_t errors[P2PB_WC_N_CLASSES];
	int first_error_status;		/* enum ibv_wc_status of the first failure */
	uint64_t first_error_ns;	/* since the step began; 0 if none */
	struct p2pb_hist latency;	/* lat: ns per operation (send/write: half the round trip) */
	uint64_t *bins;			/* bw: bytes completed per P2PB_RDMA_BIN_NS since the step began */
	uint32_t n_bins;
	struct p2pb_rdma_outage outages[P2PB_RDMA_MAX_OUTAGES];
	unsigned int n_outages;
	uint64_t outages_lost;		/* beyond the array */
	uint64_t fault_bad, fault_checked;	/* data checked when a QP failed (the data before the fault) */
};

/* Free what a step's counts allocated (the bins). */
void p2pb_rdma_counts_release(struct p2pb_rdma_counts *c);

struct p2pb_rdma_responder {
	struct p2pb_rdma_ep *ep;
	struct p2pb_rdma_traffic t;
	struct p2pb_rdma_qp_info peer[P2PB_RDMA_MAX_QPS];	/* the requester's QPs */
	uint64_t received, answered;
	uint64_t errors[P2PB_WC_N_CLASSES];
	int err;			/* a post failed: -errno with p2pb_fail() */
};

struct p2pb_rdma_requester;

/*
 * A recovery of QP @i after it drained in error (@why: the class of its first
 * failure; @attempt: 1 for the first of this outage), on the traffic thread:
 * 0 when the QP may carry traffic again
 * (reset and reconnected, the memory registered again if the strategy says
 * so), -EAGAIN to be called again later (backing off), another -errno to
 * give the QP up.
 */
typedef int (*p2pb_rdma_recover_fn)(struct p2pb_rdma_requester *q, unsigned int i, enum p2pb_rdma_wc_class why,
				     uint32_t attempt, struct p2pb_rdma_counts *c, uint64_t size);

/* A QP's epoch once it was given up: its data is not checked at the end of the step. */
#define P2PB_RDMA_NO_DATA UINT32_MAX

struct p2pb_rdma_requester {
	struct p2pb_rdma_ep *ep;
	struct p2pb_rdma_traffic t;
	struct p2pb_rdma_qp_info peer[P2PB_RDMA_MAX_QPS];	/* the responder's QPs */
	struct p2pb_rdma_responder *loopback;			/* polled from this loop, or NULL */
	p2pb_rdma_recover_fn recover;				/* NULL: a failed QP stays down */
	void *recover_ctx;
	uint64_t recovery_timeout_ns;	/* a QP not back this long after its first failure is given up */
	uint32_t epoch[P2PB_RDMA_MAX_QPS];	/* data generation per QP: a recovery may move it on */
	bool had_good[P2PB_RDMA_MAX_QPS];	/* a good completion in the current generation */
};

/* Receives on every QP of @ep (after each connect): rx_depth of them, into the QPs' destination slots. */
int p2pb_rdma_post_recvs(struct p2pb_rdma_ep *ep);
int p2pb_rdma_post_recvs_qp(struct p2pb_rdma_ep *ep, unsigned int i);
/* The responder's CPU has work (receives to post, answers to send); else the NIC does it all. */
bool p2pb_rdma_responder_busy(const struct p2pb_rdma_traffic *t);
/* One pass over the responder's completions; never blocks. -errno when a post failed. */
int p2pb_rdma_responder_poll(struct p2pb_rdma_responder *r);
/*
 * Run one step that begins now (@t0_ns: its start, what the times in @c
 * count from); 0, or -errno when the traffic could not be driven (a post
 * failed, interrupted).
 */
int p2pb_rdma_run_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c,
		       uint64_t t0_ns);

/*
 * Data checks. @side is 0 for the requester, 1 for the responder; a QP's
 * pattern also depends on its generation (@epoch). prepare: QP @i's source
 * holds this side's pattern, its destination zeros. check: bytes of QP @i's
 * destination that differ from the other side's pattern (added to *@bad) out
 * of those read (added to *@checked; none when no data reaches this side in
 * this traffic). The whole-endpoint forms take every QP at generation 0, or
 * at @epochs[i].
 */
int p2pb_rdma_prepare_qp(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side,
			 unsigned int i, uint64_t size, uint32_t epoch, bool source_only);
int p2pb_rdma_check_qp(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side,
		       unsigned int i, uint64_t size, uint32_t epoch, uint64_t *bad, uint64_t *checked);
int p2pb_rdma_prepare(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size);
bool p2pb_rdma_side_receives(const struct p2pb_rdma_traffic *t, unsigned int side);
int p2pb_rdma_check(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size,
		    const uint32_t *epochs, uint64_t *bad, uint64_t *checked);
#endif
