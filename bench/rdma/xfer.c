// SPDX-License-Identifier: GPL-2.0
/* The RDMA traffic loops: bandwidth and latency, requester and responder. */
#define _GNU_SOURCE
#include "xfer.h"

#include "clock.h"
#include "error.h"
#include "session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POLL_BATCH 32
#define CHUNK (1u << 20)

/*
 * wr_id: the QP in the top byte, the work request's sequence number below.
 * A send queue completes in order, so a completion of request n accounts for
 * every request up to n: the unsignaled ones before it succeeded silently,
 * and in error each request completes on its own.
 */
#define WR_QP_SHIFT 56

static uint64_t wr_id(unsigned int qp, uint64_t seq)
{
	return (uint64_t)qp << WR_QP_SHIFT | (seq & ((1ull << WR_QP_SHIFT) - 1));
}

static unsigned int wr_qp(uint64_t id)
{
	return (unsigned int)(id >> WR_QP_SHIFT);
}

static uint64_t wr_seq(uint64_t id)
{
	return id & ((1ull << WR_QP_SHIFT) - 1);
}

static uint64_t local_addr(const struct p2pb_rdma_ep *ep, uint64_t off)
{
	return p2pb_rdma_mem_addr(&ep->mem) + off;
}

int p2pb_rdma_post_recvs(struct p2pb_rdma_ep *ep)
{
	struct ibv_recv_wr *bad;
	unsigned int i, n;

	for (i = 0; i < ep->nqp; i++)
		for (n = 0; n < ep->cfg.rx_depth; n++) {
			struct ibv_sge sge = { .addr = local_addr(ep, p2pb_rdma_dst_off(ep, i)),
					       .length = (uint32_t)ep->slot, .lkey = ep->mr->lkey };
			struct ibv_recv_wr wr = { .wr_id = wr_id(i, 0), .sg_list = &sge, .num_sge = 1 };
			int err = ibv_post_recv(ep->qp[i], &wr, &bad);

			if (err)
				return p2pb_fail(-err, "posting receives on QP %u of %s: %s", i, ep->dev,
						 strerror(err));
		}
	return 0;
}

static int post_recv1(struct p2pb_rdma_ep *ep, unsigned int i)
{
	struct ibv_sge sge = { .addr = local_addr(ep, p2pb_rdma_dst_off(ep, i)), .length = (uint32_t)ep->slot,
			       .lkey = ep->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = wr_id(i, 0), .sg_list = &sge, .num_sge = 1 }, *bad;
	int err = ibv_post_recv(ep->qp[i], &wr, &bad);

	return err ? p2pb_fail(-err, "posting a receive on QP %u of %s: %s", i, ep->dev, strerror(err)) : 0;
}

/*
 * One message from QP @i: a write into the peer's destination, a read of its
 * source into ours, a send, or (a latency answer) a write with immediate.
 */
static int post_op(struct p2pb_rdma_ep *ep, unsigned int i, const struct p2pb_rdma_qp_info *peer,
		   enum ibv_wr_opcode opcode, uint64_t size, bool signaled, uint64_t seq)
{
	bool read = opcode == IBV_WR_RDMA_READ;
	struct ibv_sge sge = {
		.addr = local_addr(ep, read ? p2pb_rdma_dst_off(ep, i) : p2pb_rdma_src_off(ep, i)),
		.length = (uint32_t)size, .lkey = ep->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id(i, seq), .sg_list = &sge, .num_sge = 1, .opcode = opcode,
		.send_flags = (signaled ? IBV_SEND_SIGNALED : 0) |
			      (!read && size <= ep->inline_size ? IBV_SEND_INLINE : 0),
	}, *bad;
	int err;

	if (opcode != IBV_WR_SEND) {
		wr.wr.rdma.remote_addr = read ? peer->src_addr : peer->dst_addr;
		wr.wr.rdma.rkey = peer->rkey;
	}
	if (opcode == IBV_WR_RDMA_WRITE_WITH_IMM)
		wr.imm_data = htonl((uint32_t)size);
	err = ibv_post_send(ep->qp[i], &wr, &bad);
	return err ? p2pb_fail(-err, "posting a %s on QP %u of %s: %s", opcode == IBV_WR_RDMA_READ ? "read" :
			       opcode == IBV_WR_SEND ? "send" : "write", i, ep->dev, strerror(err)) : 0;
}

static enum ibv_wr_opcode bw_opcode(enum p2pb_rdma_op op)
{
	return op == P2PB_RDMA_WRITE ? IBV_WR_RDMA_WRITE : op == P2PB_RDMA_READ ? IBV_WR_RDMA_READ : IBV_WR_SEND;
}

/* ---- responder ---- */

/* A latency message arrived: answer it in kind, from this side's source slot. */
static int answer(struct p2pb_rdma_responder *r, const struct ibv_wc *wc)
{
	unsigned int i = wr_qp(wc->wr_id);
	uint64_t size = wc->opcode == IBV_WC_RECV_RDMA_WITH_IMM ? ntohl(wc->imm_data) : wc->byte_len;

	if (size > r->ep->slot)
		return p2pb_fail(-EPROTO, "a %llu-byte message does not fit a %llu-byte slot",
				 (unsigned long long)size, (unsigned long long)r->ep->slot);
	r->answered++;
	return post_op(r->ep, i, &r->peer[i], r->t.op == P2PB_RDMA_SEND ? IBV_WR_SEND : IBV_WR_RDMA_WRITE_WITH_IMM,
		       size, true, 0);
}

int p2pb_rdma_responder_poll(struct p2pb_rdma_responder *r)
{
	struct ibv_wc wc[POLL_BATCH];
	int n, k, err;

	if (r->err)
		return r->err;
	n = ibv_poll_cq(r->ep->cq, POLL_BATCH, wc);
	if (n < 0)
		return r->err = p2pb_fail(-EIO, "polling the CQ of %s failed", r->ep->dev);
	for (k = 0; k < n; k++) {
		enum p2pb_rdma_wc_class c = p2pb_rdma_wc_classify(wc[k].status);

		if (c != P2PB_WC_OK) {
			r->errors[c]++;
			continue;
		}
		if (!(wc[k].opcode & IBV_WC_RECV))
			continue;	/* an answer went out */
		r->received++;
		if ((err = post_recv1(r->ep, wr_qp(wc[k].wr_id))))
			return r->err = err;
		if (r->t.mode == P2PB_RDMA_LAT && (err = answer(r, &wc[k])))
			return r->err = err;
	}
	return 0;
}

/* ---- requester: bandwidth ---- */

struct qp_state {
	uint64_t posted, acked;		/* work requests posted, and completed (either way) */
	uint32_t unsignaled;		/* posted since the last signaled one */
	bool failed;			/* an error completion: post no more, drain the rest */
	uint64_t failed_ns;
	bool done;			/* posted its last */
};

static void count_error(struct p2pb_rdma_counts *c, const struct ibv_wc *wc, uint64_t t0)
{
	enum p2pb_rdma_wc_class cls = p2pb_rdma_wc_classify(wc->status);

	c->errors[cls]++;
	if (!c->first_error_ns) {
		c->first_error_ns = p2pb_now_ns() - t0;
		c->first_error_status = wc->status;
	}
}

/* Post what QP @i may: keep tx_depth outstanding, signal every cq_mod-th and the last. */
static int fill_qp(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, unsigned int i,
		   struct qp_state *st, bool time_up)
{
	unsigned int depth = q->ep->cfg.tx_depth, cq_mod = q->t.cq_mod < depth ? q->t.cq_mod : depth;
	int err;

	while (!st->done && !st->failed && st->posted - st->acked < depth) {
		bool last = time_up || (s->iters && st->posted + 1 == s->iters);
		bool sig = last || st->unsignaled + 1 >= cq_mod || st->posted - st->acked + 1 == depth;

		if (time_up && !st->unsignaled) {
			st->done = true;	/* everything posted is already accounted for */
			break;
		}
		err = post_op(q->ep, i, &q->peer[i], bw_opcode(q->t.op), s->size, sig, st->posted);
		if (err)
			return err;
		st->posted++;
		st->unsignaled = sig ? 0 : st->unsignaled + 1;
		st->done = last;
	}
	return 0;
}

static void reap(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct qp_state *st,
		 struct p2pb_rdma_counts *c, uint64_t t0, const struct ibv_wc *wc)
{
	unsigned int i = wr_qp(wc->wr_id);
	uint64_t seq = wr_seq(wc->wr_id), good;

	if (i >= q->ep->nqp || (wc->opcode & IBV_WC_RECV) || seq < st[i].acked)
		return;
	/* the requests before this one completed without error */
	good = seq - st[i].acked + (wc->status == IBV_WC_SUCCESS);
	st[i].acked = seq + 1;
	c->ops += good;
	c->bytes += good * s->size;
	if (good)
		c->ns = p2pb_now_ns() - t0;
	if (wc->status != IBV_WC_SUCCESS) {
		count_error(c, wc, t0);
		if (!st[i].failed)
			st[i].failed_ns = p2pb_now_ns();
		st[i].failed = true;
	}
}

/* A QP in error flushes every request; one that stays silent this long after its error is given up. */
#define FLUSH_WAIT_NS 2000000000ull

static bool all_drained(const struct p2pb_rdma_requester *q, const struct qp_state *st, uint64_t stop_ns)
{
	unsigned int i;

	/* after Ctrl-C the same bound: what has not completed by then never will for this run */
	if (stop_ns && p2pb_now_ns() - stop_ns > FLUSH_WAIT_NS)
		return true;
	for (i = 0; i < q->ep->nqp; i++) {
		if (st[i].failed && p2pb_now_ns() - st[i].failed_ns > FLUSH_WAIT_NS)
			continue;
		if (!(st[i].done || st[i].failed) || st[i].acked < st[i].posted)
			return false;
	}
	return true;
}

static int poll_peer(struct p2pb_rdma_requester *q)
{
	return q->loopback ? p2pb_rdma_responder_poll(q->loopback) : 0;
}

static int bw_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c)
{
	struct qp_state st[P2PB_RDMA_MAX_QPS] = { 0 };
	struct ibv_wc wc[POLL_BATCH];
	uint64_t t0 = p2pb_now_ns(), stop_ns = 0;
	unsigned int i;
	int n, k, err;

	while (!all_drained(q, st, stop_ns)) {
		bool time_up = p2pb_interrupted || (!s->iters && p2pb_now_ns() - t0 >= s->duration_ns);

		if (p2pb_interrupted && !stop_ns)
			stop_ns = p2pb_now_ns();
		for (i = 0; i < q->ep->nqp; i++)
			if ((err = fill_qp(q, s, i, &st[i], time_up)))
				return err;
		n = ibv_poll_cq(q->ep->cq, POLL_BATCH, wc);
		if (n < 0)
			return p2pb_fail(-EIO, "polling the CQ of %s failed", q->ep->dev);
		for (k = 0; k < n; k++)
			reap(q, s, st, c, t0, &wc[k]);
		if ((err = poll_peer(q)))
			return err;
	}
	return p2pb_interrupted ? -EINTR : 0;
}

/* ---- requester: latency (one QP, one message in flight) ---- */

/* Wait for the completion that ends one exchange: the answer (send, write) or the read itself. */
static int lat_wait(struct p2pb_rdma_requester *q, struct p2pb_rdma_counts *c, uint64_t t0, bool *ok)
{
	bool want_recv = q->t.op != P2PB_RDMA_READ, got = false, sent = false;
	struct ibv_wc wc;
	int n, err;

	*ok = true;
	while (!(got && sent)) {
		if (p2pb_interrupted)
			return -EINTR;
		n = ibv_poll_cq(q->ep->cq, 1, &wc);
		if (n < 0)
			return p2pb_fail(-EIO, "polling the CQ of %s failed", q->ep->dev);
		if ((err = poll_peer(q)))
			return err;
		if (!n)
			continue;
		if (wc.status != IBV_WC_SUCCESS) {
			count_error(c, &wc, t0);
			*ok = false;
			return 0;
		}
		if (wc.opcode & IBV_WC_RECV) {
			got = true;
			if ((err = post_recv1(q->ep, 0)))
				return err;
		} else {
			sent = true;
			got = got || !want_recv;
		}
	}
	return 0;
}

static int lat_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c)
{
	enum ibv_wr_opcode opcode = q->t.op == P2PB_RDMA_WRITE ? IBV_WR_RDMA_WRITE_WITH_IMM : bw_opcode(q->t.op);
	uint64_t t0 = p2pb_now_ns(), start, n;
	bool ok;
	int err;

	for (n = 0; s->iters ? n < s->iters : p2pb_now_ns() - t0 < s->duration_ns; n++) {
		start = p2pb_now_ns();
		if ((err = post_op(q->ep, 0, &q->peer[0], opcode, s->size, true, n)) ||
		    (err = lat_wait(q, c, t0, &ok)))
			return err;
		if (!ok)
			break;	/* the QP is in error: the step ends here */
		/* a read's latency is its whole round trip; a message's is half of one (as perftest) */
		p2pb_hist_add(&c->latency, (p2pb_now_ns() - start) / (q->t.op == P2PB_RDMA_READ ? 1 : 2));
		c->ops++;
		c->bytes += s->size;
	}
	c->ns = p2pb_now_ns() - t0;
	return 0;
}

int p2pb_rdma_run_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c)
{
	memset(c, 0, sizeof(*c));
	p2pb_hist_init(&c->latency);
	return q->t.mode == P2PB_RDMA_LAT ? lat_step(q, s, c) : bw_step(q, s, c);
}

/* ---- data checks ---- */

bool p2pb_rdma_responder_busy(const struct p2pb_rdma_traffic *t)
{
	return t->op == P2PB_RDMA_SEND || (t->mode == P2PB_RDMA_LAT && t->op == P2PB_RDMA_WRITE);
}

bool p2pb_rdma_side_receives(const struct p2pb_rdma_traffic *t, unsigned int side)
{
	if (t->op == P2PB_RDMA_READ)
		return side == 0;
	return side == 1 || t->mode == P2PB_RDMA_LAT;
}

int p2pb_rdma_prepare(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size)
{
	char *buf = malloc(CHUNK);
	uint64_t at, len;
	unsigned int i;
	int err = 0;

	if (!buf)
		return p2pb_fail(-ENOMEM, "no memory for a data pattern");
	for (i = 0; i < ep->nqp && !err; i++)
		for (at = 0; at < size && !err; at += len) {
			len = size - at < CHUNK ? size - at : CHUNK;
			p2pb_rdma_pattern_fill(t->seed, side, i, size, buf, at, len);
			err = p2pb_rdma_mem_write(&ep->mem, p2pb_rdma_src_off(ep, i) + at, buf, len);
			memset(buf, 0, len);
			if (!err)
				err = p2pb_rdma_mem_write(&ep->mem, p2pb_rdma_dst_off(ep, i) + at, buf, len);
		}
	free(buf);
	return err ? p2pb_fail(err, "preparing the buffers of %s: %s", ep->dev, strerror(-err)) : 0;
}

int p2pb_rdma_check(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size,
		    uint64_t *bad, uint64_t *checked)
{
	char *buf;
	uint64_t at, len;
	unsigned int i;
	int err = 0;

	*bad = *checked = 0;
	if (!p2pb_rdma_side_receives(t, side))
		return 0;
	if (!(buf = malloc(CHUNK)))
		return p2pb_fail(-ENOMEM, "no memory for a data check");
	for (i = 0; i < ep->nqp && !err; i++)
		for (at = 0; at < size && !err; at += len) {
			len = size - at < CHUNK ? size - at : CHUNK;
			err = p2pb_rdma_mem_read(&ep->mem, p2pb_rdma_dst_off(ep, i) + at, buf, len);
			if (!err) {
				*bad += p2pb_rdma_pattern_check(t->seed, !side, i, size, buf, at, len);
				*checked += len;
			}
		}
	free(buf);
	return err ? p2pb_fail(err, "reading back the buffers of %s: %s", ep->dev, strerror(-err)) : 0;
}
