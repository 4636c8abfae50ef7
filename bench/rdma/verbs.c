// SPDX-License-Identifier: GPL-2.0
/* One end of RDMA traffic: device, PD, CQ, RC QPs and the MR over its memory. */
#define _GNU_SOURCE
#include "verbs.h"

#include "error.h"
#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MR_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

static int open_device(struct p2pb_rdma_ep *ep, const char *name)
{
	struct ibv_device **list;
	int n, i, err = 0;

	list = ibv_get_device_list(&n);
	if (!list)
		return p2pb_fail(-errno, "no RDMA devices: %s (is rdma-core installed, a driver loaded?)",
				 strerror(errno));
	for (i = 0; i < n; i++)
		if (!name || !strcmp(ibv_get_device_name(list[i]), name))
			break;
	if (i == n) {
		err = name ? p2pb_fail(-ENODEV, "no RDMA device '%s' (see 'p2pbench doctor' or ibv_devices)", name)
			   : p2pb_fail(-ENODEV, "no RDMA device on this machine (see 'p2pbench doctor')");
	} else {
		snprintf(ep->dev, sizeof(ep->dev), "%s", ibv_get_device_name(list[i]));
		ep->ctx = ibv_open_device(list[i]);
		if (!ep->ctx)
			err = p2pb_fail(-errno, "opening RDMA device %s: %s", ep->dev, strerror(errno));
	}
	ibv_free_device_list(list);
	if (!err)
		p2pb_rdma_dev_driver(ep->dev, ep->driver, sizeof(ep->driver));
	return err;
}

/* RoCE: the first RoCE v2 GID holding an IPv4 address, as routable as it gets; else index 0. */
static int pick_gid(struct p2pb_rdma_ep *ep, const struct ibv_port_attr *pa)
{
	struct ibv_gid_entry e;
	int i, v2 = -1;
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	for (i = 0; i < pa->gid_tbl_len; i++) {
		if (ibv_query_gid_ex(ep->ctx, ep->port, (uint32_t)i, &e, 0) || e.gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		if (!memcmp(e.gid.raw, v4mapped, sizeof(v4mapped)))
			return i;
		if (v2 < 0)
			v2 = i;
	}
	return v2 >= 0 ? v2 : 0;
}

static int query_port(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_ep_cfg *cfg)
{
	struct ibv_port_attr pa;
	struct ibv_device_attr da;

	if (ibv_query_port(ep->ctx, ep->port, &pa))
		return p2pb_fail(-errno, "%s has no port %u: %s", ep->dev, ep->port, strerror(errno));
	if (pa.state != IBV_PORT_ACTIVE)
		return p2pb_fail(-ENETDOWN, "port %u of %s is %s, not active (is its link up?)", ep->port, ep->dev,
				 ibv_port_state_str(pa.state));
	if (ibv_query_device(ep->ctx, &da))
		return p2pb_fail(-errno, "querying %s: %s", ep->dev, strerror(errno));
	ep->roce = pa.link_layer == IBV_LINK_LAYER_ETHERNET;
	ep->lid = pa.lid;
	ep->mtu = pa.active_mtu;
	/* reads in flight: as many as the device takes (the field is 8 bits) */
	ep->rd_in = (uint8_t)(da.max_qp_rd_atom < 255 ? da.max_qp_rd_atom : 255);
	ep->rd_out = (uint8_t)(da.max_qp_init_rd_atom < 255 ? da.max_qp_init_rd_atom : 255);
	if (cfg->tx_depth > (unsigned int)da.max_qp_wr || cfg->rx_depth > (unsigned int)da.max_qp_wr)
		return p2pb_fail(-EINVAL, "%s takes at most %d work requests per queue", ep->dev, da.max_qp_wr);
	if (cfg->qps > (unsigned int)da.max_qp)
		return p2pb_fail(-EINVAL, "%s has at most %d QPs", ep->dev, da.max_qp);
	ep->gid_index = cfg->gid_index >= 0 ? cfg->gid_index : ep->roce ? pick_gid(ep, &pa) : 0;
	if (ep->gid_index >= pa.gid_tbl_len || ibv_query_gid(ep->ctx, ep->port, ep->gid_index, &ep->gid))
		return p2pb_fail(-EINVAL, "%s port %u has no GID %d", ep->dev, ep->port, ep->gid_index);
	return 0;
}

static int create_qps(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_ep_cfg *cfg)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = ep->cq, .recv_cq = ep->cq, .qp_type = IBV_QPT_RC,
		/* one more than the depth: a latency answer may still be in flight when the next message lands */
		.cap = { .max_send_wr = cfg->tx_depth + 1, .max_recv_wr = cfg->rx_depth, .max_send_sge = 1,
			 .max_recv_sge = 1, .max_inline_data = cfg->inline_size },
	};

	for (ep->nqp = 0; ep->nqp < cfg->qps; ep->nqp++) {
		ep->qp[ep->nqp] = ibv_create_qp(ep->pd, &ia);
		if (!ep->qp[ep->nqp])
			return p2pb_fail(-errno, "creating RC QP %u on %s (depth %u/%u, inline %u): %s", ep->nqp,
					 ep->dev, cfg->tx_depth, cfg->rx_depth, cfg->inline_size, strerror(errno));
	}
	ep->inline_size = ia.cap.max_inline_data;
	return 0;
}

int p2pb_rdma_ep_open(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_ep_cfg *cfg)
{
	int err, cqe = (int)(cfg->qps * (cfg->tx_depth + cfg->rx_depth) + 16);

	memset(ep, 0, sizeof(*ep));
	ep->cfg = *cfg;
	ep->port = cfg->port;
	ep->slot = cfg->slot;
	ep->psn_seq = (uint32_t)getpid() * 2654435761u;
	if ((err = open_device(ep, cfg->dev)) || (err = query_port(ep, cfg)))
		goto fail;
	ep->pd = ibv_alloc_pd(ep->ctx);
	ep->cq = ep->pd ? ibv_create_cq(ep->ctx, cqe, NULL, NULL, 0) : NULL;
	if (!ep->cq) {
		err = p2pb_fail(-errno, "a PD and a CQ of %d entries on %s: %s", cqe, ep->dev, strerror(errno));
		goto fail;
	}
	if ((err = p2pb_rdma_mem_open(&ep->mem, cfg->mem, 2 * cfg->qps * cfg->slot)))
		goto fail;
	ep->mr = p2pb_rdma_mem_reg(&ep->mem, ep->pd, ep->dev, MR_ACCESS, &err);
	if (!ep->mr || (err = create_qps(ep, cfg)))
		goto fail;
	ep->lkey = ep->mr->lkey;
	ep->rkey = ep->mr->rkey;
	return 0;
fail:
	p2pb_rdma_ep_close(ep);
	return err;
}

void p2pb_rdma_ep_info(struct p2pb_rdma_ep *ep, unsigned int i, struct p2pb_rdma_qp_info *out)
{
	uint64_t base = p2pb_rdma_mem_addr(&ep->mem);

	memset(out, 0, sizeof(*out));
	out->qpn = ep->qp[i]->qp_num;
	ep->psn_seq = ep->psn_seq * 1103515245u + 12345u;
	out->psn = ep->psn_seq & 0xffffff;
	out->rkey = ep->rkey;
	out->lid = ep->lid;
	out->mtu = (uint8_t)ep->mtu;
	out->rd_in = ep->rd_in;
	memcpy(out->gid, ep->gid.raw, sizeof(out->gid));
	out->src_addr = base + p2pb_rdma_src_off(ep, i);
	out->dst_addr = base + p2pb_rdma_dst_off(ep, i);
}

static int modify(struct p2pb_rdma_ep *ep, unsigned int i, struct ibv_qp_attr *a, int mask, const char *state)
{
	if (ibv_modify_qp(ep->qp[i], a, mask))
		return p2pb_fail(-errno, "moving QP %u of %s to %s: %s", i, ep->dev, state, strerror(errno));
	return 0;
}

int p2pb_rdma_ep_connect(struct p2pb_rdma_ep *ep, unsigned int i, const struct p2pb_rdma_qp_info *local,
			 const struct p2pb_rdma_qp_info *remote)
{
	struct ibv_qp_attr reset = { .qp_state = IBV_QPS_RESET };
	struct ibv_qp_attr init = {
		.qp_state = IBV_QPS_INIT, .port_num = ep->port,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_LOCAL_WRITE,
	};
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR, .dest_qp_num = remote->qpn, .rq_psn = remote->psn,
		.path_mtu = ep->mtu < remote->mtu ? ep->mtu : (enum ibv_mtu)remote->mtu,
		.max_dest_rd_atomic = ep->rd_in, .min_rnr_timer = 12,
		.ah_attr = { .dlid = remote->lid, .port_num = ep->port },
	};
	/*
	 * ~67 ms per try, 6 retries: a peer that stopped answering fails the QP
	 * in about half a second (rxe takes 7 for "retry for ever").
	 */
	struct ibv_qp_attr rts = {
		.qp_state = IBV_QPS_RTS, .sq_psn = local->psn, .timeout = 14, .retry_cnt = 6, .rnr_retry = 7,
		/* no more reads in flight than the peer takes (perftest does the same) */
		.max_rd_atomic = remote->rd_in && remote->rd_in < ep->rd_out ? remote->rd_in : ep->rd_out,
	};
	int err;

	if (ep->roce) {
		rtr.ah_attr.is_global = 1;
		rtr.ah_attr.grh.hop_limit = 64;
		rtr.ah_attr.grh.sgid_index = (uint8_t)ep->gid_index;
		memcpy(rtr.ah_attr.grh.dgid.raw, remote->gid, sizeof(remote->gid));
	}
	ep->gen[i]++;
	if ((err = modify(ep, i, &reset, IBV_QP_STATE, "RESET")) ||
	    (err = modify(ep, i, &init, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS,
			  "INIT")) ||
	    (err = modify(ep, i, &rtr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			  IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER, "RTR")))
		return err;
	return modify(ep, i, &rts, IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
		      IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC, "RTS");
}

int p2pb_rdma_ep_dereg(struct p2pb_rdma_ep *ep)
{
	int err = ep->mr ? ibv_dereg_mr(ep->mr) : 0;

	ep->mr = NULL;
	return -err;
}

int p2pb_rdma_ep_rereg(struct p2pb_rdma_ep *ep)
{
	int err = 0;

	p2pb_rdma_ep_dereg(ep);
	ep->mr = p2pb_rdma_mem_reg(&ep->mem, ep->pd, ep->dev, MR_ACCESS, &err);
	if (!ep->mr)
		return err;
	ep->lkey = ep->mr->lkey;
	ep->rkey = ep->mr->rkey;
	return 0;
}

void p2pb_rdma_ep_close(struct p2pb_rdma_ep *ep)
{
	unsigned int i;

	if (!ep->ctx)
		return;		/* never opened, or closed */
	for (i = 0; i < ep->nqp; i++)
		ibv_destroy_qp(ep->qp[i]);
	ep->nqp = 0;
	p2pb_rdma_ep_dereg(ep);
	p2pb_rdma_mem_close(&ep->mem);
	if (ep->cq)
		ibv_destroy_cq(ep->cq);
	if (ep->pd)
		ibv_dealloc_pd(ep->pd);
	if (ep->ctx)
		ibv_close_device(ep->ctx);
	ep->cq = NULL;
	ep->pd = NULL;
	ep->ctx = NULL;
}
