// SPDX-License-Identifier: GPL-2.0
/* The RDMA traffic loops: bandwidth and latency, requester and responder. */
#define _GNU_SOURCE
#include "xfer.h"

#include "clock.h"
#include "error.h"
#include "session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
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
#define WR_RECV (1ull << 55)	/* a receive: its completions never account for sends */

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

/* A receive of the QP's current connection (not one flushed by a reset before it). */
static bool recv_current(const struct p2pb_rdma_ep *ep, uint64_t id)
{
	unsigned int i = wr_qp(id);

	return i < ep->nqp && (uint32_t)id == ep->gen[i];
}

static uint64_t local_addr(const struct p2pb_rdma_ep *ep, uint64_t off)
{
	return p2pb_rdma_mem_addr(&ep->mem) + off;
}

/*
 * A receive carries its QP's connection generation: completions of receives
 * posted before a reconnect (a CQ keeps them across a QP reset) are stale.
 */
static int post_recv1(struct p2pb_rdma_ep *ep, unsigned int i)
{
	struct ibv_sge sge = { .addr = local_addr(ep, p2pb_rdma_dst_off(ep, i)), .length = (uint32_t)ep->slot,
			       .lkey = ep->lkey };
	struct ibv_recv_wr wr = { .wr_id = wr_id(i, ep->gen[i]) | WR_RECV, .sg_list = &sge, .num_sge = 1 }, *bad;
	int err = ibv_post_recv(ep->qp[i], &wr, &bad);

	return err ? p2pb_fail(-err, "posting a receive on QP %u of %s: %s", i, ep->dev, strerror(err)) : 0;
}

int p2pb_rdma_post_recvs_qp(struct p2pb_rdma_ep *ep, unsigned int i)
{
	unsigned int n;
	int err = 0;

	for (n = 0; n < ep->cfg.rx_depth && !err; n++)
		err = post_recv1(ep, i);
	return err;
}

int p2pb_rdma_post_recvs(struct p2pb_rdma_ep *ep)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < ep->nqp && !err; i++)
		err = p2pb_rdma_post_recvs_qp(ep, i);
	return err;
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
		.length = (uint32_t)size, .lkey = ep->lkey,
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
		if (!(wc[k].wr_id & WR_RECV) || !recv_current(r->ep, wc[k].wr_id))
			continue;	/* an answer went out, or a receive from before a reconnect */
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
	bool done;			/* posted its last */
	bool given_up;			/* failed and not recovered: the step ends without it */
	bool confirmed;			/* after its last, one message proved a recovery */
	uint64_t failed_ns;
	enum p2pb_rdma_wc_class why;	/* the class of its first failure */
	uint64_t last_good_ns;		/* since the step began */
	bool in_outage;			/* failed, and no good completion since */
	uint64_t outage_start_ns;	/* absolute: the recovery timeout counts from here */
	uint32_t attempts;		/* recoveries tried in this outage */
	int outage;			/* its record in the counts, or -1 (none open, or none left) */
	uint64_t retry_at_ns;		/* the next recovery attempt (absolute) */
	uint64_t backoff_ns;
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

void p2pb_rdma_counts_release(struct p2pb_rdma_counts *c)
{
	free(c->bins);
	c->bins = NULL;
	c->n_bins = 0;
}

/* Bytes completed at @at_ns (since the step began) into the timeline. */
static void bin_add(struct p2pb_rdma_counts *c, uint64_t at_ns, uint64_t bytes)
{
	uint64_t b = at_ns / P2PB_RDMA_BIN_NS;
	uint32_t cap = c->n_bins;

	if (b >= 1u << 28)
		return;		/* past a month of bins: the timeline stops, the counts go on */
	if (b >= cap) {
		uint64_t *nb;

		while (cap <= b)
			cap = cap ? cap * 2 : 1024;
		nb = realloc(c->bins, cap * sizeof(*nb));
		if (!nb)
			return;
		memset(nb + c->n_bins, 0, (cap - c->n_bins) * sizeof(*nb));
		c->bins = nb;
		c->n_bins = cap;
	}
	c->bins[b] += bytes;
}

/*
 * Post what QP @i may: keep tx_depth outstanding, signal every cq_mod-th and
 * the last. A QP that recovered after posting its last sends one more
 * message, so that its outage ends with a good completion.
 */
static int fill_qp(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, unsigned int i,
		   struct qp_state *st, bool time_up)
{
	unsigned int depth = q->ep->cfg.tx_depth, cq_mod = q->t.cq_mod < depth ? q->t.cq_mod : depth;
	int err;

	while (!st->failed && st->posted - st->acked < depth) {
		bool confirm = st->done && st->in_outage && !st->confirmed;
		bool last = confirm || time_up || (s->iters && st->posted + 1 >= s->iters);
		bool sig = last || st->unsignaled + 1 >= cq_mod || st->posted - st->acked + 1 == depth;

		if (st->done && !confirm)
			break;
		if (time_up && !st->unsignaled && !confirm && !st->in_outage) {
			st->done = true;	/* everything posted is already accounted for */
			break;
		}
		err = post_op(q->ep, i, &q->peer[i], bw_opcode(q->t.op), s->size, sig, st->posted);
		if (err)
			return err;
		st->posted++;
		st->unsignaled = sig ? 0 : st->unsignaled + 1;
		st->done = st->done || last;
		st->confirmed = st->confirmed || confirm;
	}
	return 0;
}

static void good_completions(struct qp_state *st, struct p2pb_rdma_counts *c, uint64_t good, uint64_t size,
			     uint64_t at)
{
	c->ops += good;
	c->bytes += good * size;
	c->ns = at;
	bin_add(c, at, good * size);
	st->last_good_ns = at;
	if (st->in_outage && st->outage >= 0)
		c->outages[st->outage].first_good_ns = at;	/* the outage is over */
	st->in_outage = false;
	st->outage = -1;
}

static void failed_completion(struct qp_state *st, unsigned int i, struct p2pb_rdma_counts *c,
			      const struct ibv_wc *wc, uint64_t at, uint64_t t0)
{
	enum p2pb_rdma_wc_class cls = p2pb_rdma_wc_classify(wc->status);
	struct p2pb_rdma_outage *o;

	count_error(c, wc, t0);
	if (!st->failed) {
		st->failed_ns = p2pb_now_ns();
		st->why = cls;
		st->retry_at_ns = 0;
	}
	st->failed = true;
	if (!st->in_outage) {
		st->in_outage = true;
		st->outage_start_ns = p2pb_now_ns();
		st->attempts = 0;
		st->backoff_ns = 0;
		st->outage = -1;
		if (c->n_outages == P2PB_RDMA_MAX_OUTAGES) {
			c->outages_lost++;
			return;
		}
		st->outage = (int)c->n_outages++;
		o = &c->outages[st->outage];
		memset(o, 0, sizeof(*o));
		o->qp = i;
		o->first_status = wc->status;
		o->last_good_ns = st->last_good_ns;
		o->first_error_ns = at;
	}
	if (st->outage >= 0)
		c->outages[st->outage].errors[cls]++;
}

static void reap(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct qp_state *st,
		 struct p2pb_rdma_counts *c, uint64_t t0, const struct ibv_wc *wc)
{
	unsigned int i = wr_qp(wc->wr_id);
	uint64_t seq = wr_seq(wc->wr_id), good, at;

	if (i >= q->ep->nqp || (wc->wr_id & WR_RECV) || seq < st[i].acked)
		return;
	/* the requests before this one completed without error */
	good = seq - st[i].acked + (wc->status == IBV_WC_SUCCESS);
	st[i].acked = seq + 1;
	at = p2pb_now_ns() - t0;
	if (good) {
		good_completions(&st[i], c, good, s->size, at);
		q->had_good[i] = true;
	}
	if (wc->status != IBV_WC_SUCCESS)
		failed_completion(&st[i], i, c, wc, at, t0);
}

/* A QP in error flushes every request; one that stays silent this long after its error is given up. */
#define FLUSH_WAIT_NS 2000000000ull
#define BACKOFF_MIN_NS 1000000ull
#define BACKOFF_MAX_NS 100000000ull

static bool drained(const struct qp_state *st)
{
	return st->acked >= st->posted || p2pb_now_ns() - st->failed_ns > FLUSH_WAIT_NS;
}

static bool all_drained(const struct p2pb_rdma_requester *q, const struct qp_state *st, uint64_t stop_ns)
{
	unsigned int i;

	/* after Ctrl-C the same bound: what has not completed by then never will for this run */
	if (stop_ns && p2pb_now_ns() - stop_ns > FLUSH_WAIT_NS)
		return true;
	for (i = 0; i < q->ep->nqp; i++) {
		if (st[i].given_up)
			continue;
		/* a failed QP waits for its recovery; a live one for its last post and completions */
		if (st[i].failed ? q->recover || !drained(&st[i]) : !st[i].done || st[i].acked < st[i].posted ||
		    (st[i].in_outage && !st[i].confirmed))
			return false;
	}
	return true;
}

static void give_up_why(struct p2pb_rdma_counts *c, const struct qp_state *qs, const char *why)
{
	if (qs->outage >= 0)
		snprintf(c->outages[qs->outage].given_up, sizeof(c->outages[0].given_up), "%s", why);
}

/*
 * Bring failed, drained QPs back, or give them up (no recovery, its timeout
 * passed, Ctrl-C); never blocks beyond one attempt.
 */
static void recover_qps(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct qp_state *st,
			struct p2pb_rdma_counts *c, uint64_t t0)
{
	unsigned int i;
	uint64_t now;
	int err;

	for (i = 0; i < q->ep->nqp; i++) {
		struct qp_state *qs = &st[i];

		if (!qs->failed || qs->given_up || !drained(qs) || (now = p2pb_now_ns()) < qs->retry_at_ns)
			continue;
		/* counted from the outage's first failure: a QP that fails again at once does not start over */
		if (p2pb_interrupted || !q->recover || now - qs->outage_start_ns > q->recovery_timeout_ns) {
			qs->given_up = true;
			q->epoch[i] = P2PB_RDMA_NO_DATA;	/* nothing of it to check at the end */
			give_up_why(c, qs, p2pb_interrupted ? "interrupted" : !q->recover ? "no recovery" :
				    "the recovery timeout passed");
			continue;
		}
		qs->attempts++;
		if (qs->outage >= 0)
			c->outages[qs->outage].attempts = qs->attempts;
		err = q->recover(q, i, qs->why, qs->attempts, c, s->size);
		if (err == -EAGAIN) {
			qs->backoff_ns = qs->backoff_ns ? qs->backoff_ns * 2 : BACKOFF_MIN_NS;
			qs->backoff_ns = qs->backoff_ns > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : qs->backoff_ns;
			qs->retry_at_ns = now + qs->backoff_ns;
			continue;
		}
		if (err) {
			qs->given_up = true;
			q->epoch[i] = P2PB_RDMA_NO_DATA;
			give_up_why(c, qs, p2pb_error()[0] ? p2pb_error() : strerror(-err));
			continue;
		}
		/* reset: everything posted before is gone; the sequence goes on */
		qs->acked = qs->posted;
		qs->unsignaled = 0;
		qs->failed = false;
		qs->confirmed = false;
		if (qs->outage >= 0)
			c->outages[qs->outage].recovered_ns = p2pb_now_ns() - t0;
	}
}

static int poll_peer(struct p2pb_rdma_requester *q)
{
	return q->loopback ? p2pb_rdma_responder_poll(q->loopback) : 0;
}

static int bw_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c,
		   uint64_t t0)
{
	struct qp_state st[P2PB_RDMA_MAX_QPS] = { 0 };
	struct ibv_wc wc[POLL_BATCH];
	uint64_t stop_ns = 0;
	unsigned int i;
	int n, k, err;

	for (i = 0; i < q->ep->nqp; i++)
		st[i].outage = -1;
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
		recover_qps(q, s, st, c, t0);
	}
	return p2pb_interrupted ? -EINTR : 0;
}

/* ---- requester: latency (one QP, one message in flight) ---- */

#define LAT_WAIT_NS 10000000000ull

/* Wait for the completion that ends one exchange: the answer (send, write) or the read itself. */
static int lat_wait(struct p2pb_rdma_requester *q, struct p2pb_rdma_counts *c, uint64_t t0, bool *ok)
{
	bool want_recv = q->t.op != P2PB_RDMA_READ, got = false, sent = false;
	uint64_t deadline = p2pb_now_ns() + LAT_WAIT_NS;
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
		/* a peer that took the message and died before answering leaves nothing to complete */
		if (!n && p2pb_now_ns() > deadline)
			return p2pb_fail(-ETIMEDOUT, "no answer from the peer for %llu s", LAT_WAIT_NS / 1000000000ull);
		if (!n)
			continue;
		if ((wc.wr_id & WR_RECV) && !recv_current(q->ep, wc.wr_id))
			continue;
		if (wc.status != IBV_WC_SUCCESS) {
			count_error(c, &wc, t0);
			*ok = false;
			return 0;
		}
		if (wc.wr_id & WR_RECV) {
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

static int lat_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c,
		    uint64_t t0)
{
	enum ibv_wr_opcode opcode = q->t.op == P2PB_RDMA_WRITE ? IBV_WR_RDMA_WRITE_WITH_IMM : bw_opcode(q->t.op);
	uint64_t start, n;
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

int p2pb_rdma_run_step(struct p2pb_rdma_requester *q, const struct p2pb_rdma_step *s, struct p2pb_rdma_counts *c,
		       uint64_t t0_ns)
{
	memset(c, 0, sizeof(*c));
	p2pb_hist_init(&c->latency);
	return q->t.mode == P2PB_RDMA_LAT ? lat_step(q, s, c, t0_ns) : bw_step(q, s, c, t0_ns);
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

/* A QP's pattern of generation @epoch: the seed moves on with it. */
static uint64_t epoch_seed(const struct p2pb_rdma_traffic *t, uint32_t epoch)
{
	return t->seed + epoch * 0x9e3779b97f4a7c15ull;
}

int p2pb_rdma_prepare_qp(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side,
			 unsigned int i, uint64_t size, uint32_t epoch, bool source_only)
{
	char *buf = malloc(CHUNK);
	uint64_t at, len;
	int err = 0;

	if (!buf)
		return p2pb_fail(-ENOMEM, "no memory for a data pattern");
	for (at = 0; at < size && !err; at += len) {
		len = size - at < CHUNK ? size - at : CHUNK;
		p2pb_rdma_pattern_fill(epoch_seed(t, epoch), side, i, size, buf, at, len);
		err = p2pb_rdma_mem_write(&ep->mem, p2pb_rdma_src_off(ep, i) + at, buf, len);
		memset(buf, 0, len);
		if (!err && !source_only)
			err = p2pb_rdma_mem_write(&ep->mem, p2pb_rdma_dst_off(ep, i) + at, buf, len);
	}
	free(buf);
	return err ? p2pb_fail(err, "preparing the buffers of QP %u on %s: %s", i, ep->dev, strerror(-err)) : 0;
}

int p2pb_rdma_check_qp(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side,
		       unsigned int i, uint64_t size, uint32_t epoch, uint64_t *bad, uint64_t *checked)
{
	char *buf;
	uint64_t at, len;
	int err = 0;

	if (!p2pb_rdma_side_receives(t, side))
		return 0;
	if (!(buf = malloc(CHUNK)))
		return p2pb_fail(-ENOMEM, "no memory for a data check");
	for (at = 0; at < size && !err; at += len) {
		len = size - at < CHUNK ? size - at : CHUNK;
		err = p2pb_rdma_mem_read(&ep->mem, p2pb_rdma_dst_off(ep, i) + at, buf, len);
		if (!err) {
			*bad += p2pb_rdma_pattern_check(epoch_seed(t, epoch), !side, i, size, buf, at, len);
			*checked += len;
		}
	}
	free(buf);
	return err ? p2pb_fail(err, "reading back the buffers of QP %u on %s: %s", i, ep->dev, strerror(-err)) : 0;
}

int p2pb_rdma_prepare(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < ep->nqp && !err; i++)
		err = p2pb_rdma_prepare_qp(ep, t, side, i, size, 0, false);
	return err;
}

int p2pb_rdma_check(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_traffic *t, unsigned int side, uint64_t size,
		    const uint32_t *epochs, uint64_t *bad, uint64_t *checked)
{
	unsigned int i;
	int err = 0;

	*bad = *checked = 0;
	for (i = 0; i < ep->nqp && !err; i++)
		if (!epochs || epochs[i] != P2PB_RDMA_NO_DATA)
			err = p2pb_rdma_check_qp(ep, t, side, i, size, epochs ? epochs[i] : 0, bad, checked);
	return err;
}
