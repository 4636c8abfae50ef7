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

struct p2pb_rdma_counts {
	uint64_t ns;			/* first post to last completion */
	uint64_t ops, bytes;		/* completed without error */
	uint64_t errors[P2PB_WC_N_CLASSES];
	int first_error_status;		/* enum ibv_wc_status of the first failure */
	uint64_t first_error_ns;	/* since the step began; 0 if none */
	struct p2pb_hist latency;	/* lat: ns per operation (send/write: half the round trip) */
};

struct p2pb_rdma_responder {
	struct p2pb_rdma_ep *ep;
	struct p2pb_rdma_traffic t;
	struct p2pb_rdma_qp_info peer[P2PB_RDMA_MAX_QPS];	/* the requester's QPs */
	uint64_t received, answered;
	uint64_t errors[P2PB_WC_N_CLASSES];
	int err;			/* a post failed: -errno with p2pb_fail() */
};

struct p2pb_rdma_requester {
	struct p2pb_rdma_ep *ep;
	struct p2pb_rdma_traffic t;
	struct p2pb_rdma_qp_info peer[P2PB_RDMA_MAX_QPS];	/* the responder's QPs */
	struct p2pb_rdma_responder *loopback;			/* polled from this loop, or NULL */
};

/* Receives on every QP of @ep (after each connect): rx_depth of them, into the QPs' destination slots. */
int p2pb_rdma_post_recvs(struct p2pb_rdma_ep *ep);
/* The responder's CPU has work (receives to post, answers to send); else the NIC does it all. */
bool p2pb_rdma_responder_busy(const struct p2pb_rdma_traffic *t);
/* One pass over the responder's completions; never blocks. -errno when a post failed. */
int p2pb_rdma_responder_poll(struct p2pb_rdma_responder *r);
/* Run one step; 0, or -errno when the traffic could not be driven (a post failed, interrupted). */
int p2pb_rdma_run_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c);

/*
 * Data checks around a step. @side is 0 for the requester, 1 for the
 * responder. prepare: the sources hold this side's pattern, the
 * destinations zeros. check: bytes of the destinations that differ from the
 * other side's pattern (*@bad) out of those read (*@checked, 0 when no data
 * reaches this side in this traffic).
 */
int p2pb_rdma_prepare(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size);
bool p2pb_rdma_side_receives(const struct p2pb_rdma_traffic *t, unsigned int side);
int p2pb_rdma_check(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size,
		    uint64_t *bad, uint64_t *checked);
#endif
