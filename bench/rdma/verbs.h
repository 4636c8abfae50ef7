/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_VERBS_H
#define P2PB_RDMA_VERBS_H
#include <infiniband/verbs.h>
#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "params.h"

/*
 * One end of RDMA traffic: a device context, one PD, one CQ, N reliable
 * connected QPs and one MR over a buffer of the chosen memory. QP i owns two
 * slots of the buffer: the source it sends from and the destination its peer
 * writes or sends into.
 */

/* What a peer needs to reach one QP (crosses the side channel). */
struct p2pb_rdma_qp_info {
	uint32_t qpn, psn, rkey;
	uint16_t lid;
	uint8_t mtu;			/* enum ibv_mtu */
	uint8_t rd_in;			/* reads it takes in flight as a responder */
	uint8_t gid[16];
	uint64_t src_addr, dst_addr;	/* the QP's slots as the peer addresses them */
};

struct p2pb_rdma_ep_cfg {
	const char *dev;		/* NULL: the first device */
	uint8_t port;
	int gid_index;			/* -1: the first RoCE v2 GID with an IPv4 address, else 0 */
	unsigned int qps, tx_depth, rx_depth;
	uint32_t inline_size;
	uint64_t slot;			/* bytes per slot (the largest message, page aligned) */
	const struct p2pb_rdma_mem_spec *mem;
};

struct p2pb_rdma_ep {
	char dev[64], driver[32];
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;		/* NULL while deregistered (a fault the lab injects) */
	uint32_t lkey, rkey;		/* of the latest registration: posts never dereference mr */
	struct ibv_qp *qp[P2PB_RDMA_MAX_QPS];
	unsigned int nqp;
	struct p2pb_rdma_mem mem;
	uint64_t slot;
	uint8_t port;
	int gid_index;
	union ibv_gid gid;
	uint16_t lid;
	bool roce;
	enum ibv_mtu mtu;
	uint8_t rd_in, rd_out;		/* reads in flight as responder, as requester */
	uint32_t inline_size;
	struct p2pb_rdma_ep_cfg cfg;
	uint32_t psn_seq;		/* a new PSN for every connect */
	uint32_t gen[P2PB_RDMA_MAX_QPS];	/* connects of each QP: receives carry it */
};

/*
 * Open the device, allocate and register the memory, create the QPs (in
 * RESET). 0, -EOPNOTSUPP when the device cannot register this memory (a skip,
 * with the message set), or -errno with p2pb_fail(). Closes what it opened on
 * failure.
 */
int p2pb_rdma_ep_open(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_ep_cfg *cfg);
/* QP @i as a peer must see it, with a fresh PSN (used by the next connect). */
void p2pb_rdma_ep_info(struct p2pb_rdma_ep *ep, unsigned int i, struct p2pb_rdma_qp_info *out);
/* RESET -> INIT -> RTR -> RTS towards @remote; @local is what ep_info gave. 0 or -errno with p2pb_fail(). */
int p2pb_rdma_ep_connect(struct p2pb_rdma_ep *ep, unsigned int i, const struct p2pb_rdma_qp_info *local,
			 const struct p2pb_rdma_qp_info *remote);
/* Register the buffer again (a recovery after a revoke or deregistration): new keys; 0 or -errno with p2pb_fail(). */
int p2pb_rdma_ep_rereg(struct p2pb_rdma_ep *ep);
/* Deregister the MR (a fault the lab injects); the QPs stay. 0 or -errno. */
int p2pb_rdma_ep_dereg(struct p2pb_rdma_ep *ep);
void p2pb_rdma_ep_close(struct p2pb_rdma_ep *ep);

/* Offsets of QP @i's slots in the buffer. */
static inline uint64_t p2pb_rdma_src_off(const struct p2pb_rdma_ep *ep, unsigned int i)
{
	return 2 * i * ep->slot;
}

static inline uint64_t p2pb_rdma_dst_off(const struct p2pb_rdma_ep *ep, unsigned int i)
{
	return (2 * i + 1) * ep->slot;
}
#endif
