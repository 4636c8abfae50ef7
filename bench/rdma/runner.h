/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_RUNNER_H
#define P2PB_RDMA_RUNNER_H
#include "fault.h"
#include "xfer.h"

/*
 * A whole RDMA run, step by step (one message size each), in one of three
 * roles: loopback (requester and responder in this process, on one device),
 * client (this process requests, a server answers over a TCP side channel)
 * or server (answers one client, then returns). Returns structs; the
 * command formats them.
 */

enum p2pb_rdma_role { P2PB_RDMA_LOOPBACK, P2PB_RDMA_CLIENT, P2PB_RDMA_SERVER };


struct p2pb_rdma_run_cfg {
	enum p2pb_rdma_role role;
	struct p2pb_rdma_traffic t;
	struct p2pb_rdma_ep_cfg ep;		/* this side; ep.mem is this side's memory */
	struct p2pb_rdma_mem_spec mem;		/* this side's (loopback: the responder's) */
	struct p2pb_rdma_step steps[P2PB_RDMA_MAX_SIZES];
	unsigned int n_steps;
	bool verify;
	const char *server;			/* client: the server's host */
	uint16_t tcp_port;
	struct p2pb_rdma_disturb disturb;	/* loopback bw only */
	enum p2pb_rdma_recovery recovery;
	uint64_t recovery_timeout_ns;
};

/* What the responder saw of one step. */
struct p2pb_rdma_served {
	uint64_t verify_bad, verify_checked;	/* bytes of its destinations wrong, and read */
	uint64_t received, answered;
	uint64_t errors[P2PB_WC_N_CLASSES];
};

struct p2pb_rdma_step_result {
	struct p2pb_rdma_step step;
	struct p2pb_rdma_counts c;		/* the requester's */
	struct p2pb_rdma_fault_rec faults[P2PB_RDMA_MAX_FAULTS];
	unsigned int n_faults;
	bool verified;				/* the data was checked (both sides that receive) */
	uint64_t verify_bad, verify_checked;	/* wrong bytes, and bytes read, both sides */
	struct p2pb_rdma_served served;
};

struct p2pb_rdma_run_result {
	char dev[64], driver[32];
	uint8_t port;
	int gid_index;
	bool roce;
	unsigned int mtu;			/* bytes */
	uint32_t inline_size;			/* what the QPs got */
	char peer[128];				/* the other side (loopback: this device) */
	struct p2pb_rdma_step_result steps[P2PB_RDMA_MAX_SIZES];
	unsigned int n_steps;			/* done, possibly fewer than asked (Ctrl-C) */
	bool any_error;				/* a completion failed or data was wrong */
	bool unrecovered;			/* a QP that failed never carried traffic again */
	enum p2pb_rdma_recovery recovery;	/* the strategy used (auto resolved) */
};

/* Free what the steps allocated (their timelines). */
void p2pb_rdma_run_result_release(struct p2pb_rdma_run_result *res);

/*
 * 0; -EOPNOTSUPP when a device cannot register the memory (a skip, message
 * set); -EINTR on Ctrl-C (the steps done are in @res); -errno with p2pb_fail().
 */
int p2pb_rdma_run(const struct p2pb_rdma_run_cfg *cfg, struct p2pb_rdma_run_result *res);
#endif
