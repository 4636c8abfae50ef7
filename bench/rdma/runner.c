// SPDX-License-Identifier: GPL-2.0
/* A whole RDMA run: loopback, client or server, one step per message size. */
#define _GNU_SOURCE
#include "runner.h"

#include "chan.h"
#include "clock.h"
#include "error.h"
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHAN_WAIT_NS 120000000000ull	/* the peer prepares and checks up to GiBs through a BAR */
#define PENDING_EVERY 256		/* responder polls between looks at the side channel */

/* What a client tells the server: the traffic, and the shape of the buffers to make. */
struct p2pb_rdma_hello {
	uint32_t op, mode, qps, tx_depth, rx_depth, cq_mod, inline_size, verify;
	uint64_t slot, seed;
};

/* The other side: a responder in this process, or a server behind a side channel. */
struct peer {
	struct p2pb_rdma_ep ep;
	struct p2pb_rdma_responder resp;
	bool local;
	int fd;
};

static void describe(const struct p2pb_rdma_ep *ep, struct p2pb_rdma_run_result *res)
{
	snprintf(res->dev, sizeof(res->dev), "%s", ep->dev);
	snprintf(res->driver, sizeof(res->driver), "%s", ep->driver);
	res->port = ep->port;
	res->gid_index = ep->gid_index;
	res->roce = ep->roce;
	res->mtu = 128u << ep->mtu;
	res->inline_size = ep->inline_size;
}

/* Connect every QP of @ep to @remote; @local is what ep_info gave the peer. Receives posted. */
static int connect_all(struct p2pb_rdma_ep *ep, const struct p2pb_rdma_qp_info *local,
		       const struct p2pb_rdma_qp_info *remote)
{
	unsigned int i;
	int err;

	for (i = 0; i < ep->nqp; i++)
		if ((err = p2pb_rdma_ep_connect(ep, i, &local[i], &remote[i])))
			return err;
	return p2pb_rdma_post_recvs(ep);
}

static void infos(struct p2pb_rdma_ep *ep, struct p2pb_rdma_qp_info *out)
{
	unsigned int i;

	for (i = 0; i < ep->nqp; i++)
		p2pb_rdma_ep_info(ep, i, &out[i]);
}

/* ---- the peer's side of a step ---- */

/* A responder in this process: its buffers ready for a step. */
static int local_prepare(struct peer *p, const struct p2pb_rdma_run_cfg *cfg, const struct p2pb_rdma_step *s)
{
	memset(p->resp.errors, 0, sizeof(p->resp.errors));
	p->resp.received = p->resp.answered = 0;
	return cfg->verify ? p2pb_rdma_prepare(&p->ep, &cfg->t, 1, s->size) : 0;
}

/* ... and after it: the last completions (answers in flight) reaped, then its buffers read. */
static int local_finish(struct peer *p, const struct p2pb_rdma_run_cfg *cfg, const struct p2pb_rdma_step *s,
			const uint32_t *epochs, struct p2pb_rdma_served *sv)
{
	unsigned int n;
	int err = 0;

	for (n = 0; n < 64 && !err; n++)
		err = p2pb_rdma_responder_poll(&p->resp);
	if (err)
		return err;
	sv->received = p->resp.received;
	sv->answered = p->resp.answered;
	memcpy(sv->errors, p->resp.errors, sizeof(sv->errors));
	return cfg->verify ? p2pb_rdma_check(&p->ep, &cfg->t, 1, s->size, epochs, &sv->verify_bad,
					     &sv->verify_checked) : 0;
}

static int peer_prepare(struct peer *p, const struct p2pb_rdma_run_cfg *cfg, const struct p2pb_rdma_step *s)
{
	int err;

	if (p->local)
		return local_prepare(p, cfg, s);
	err = p2pb_chan_send(p->fd, P2PB_CHAN_STEP, s, sizeof(*s));
	return err ? err : p2pb_chan_recv(p->fd, P2PB_CHAN_READY, NULL, 0, CHAN_WAIT_NS);
}

/* The QPs given up in a step (their data is not checked on either side). */
static uint64_t given_up(const uint32_t *epochs, unsigned int nqp)
{
	uint64_t mask = 0;
	unsigned int i;

	for (i = 0; i < nqp; i++)
		if (epochs[i] == P2PB_RDMA_NO_DATA)
			mask |= 1ull << i;
	return mask;
}

static int peer_finish(struct peer *p, const struct p2pb_rdma_run_cfg *cfg, const struct p2pb_rdma_step *s,
		       const uint32_t *epochs, struct p2pb_rdma_served *sv)
{
	uint64_t mask = given_up(epochs, cfg->ep.qps);
	int err;

	if (p->local)
		return local_finish(p, cfg, s, epochs, sv);
	err = p2pb_chan_send(p->fd, P2PB_CHAN_DONE, &mask, sizeof(mask));
	return err ? err : p2pb_chan_recv(p->fd, P2PB_CHAN_RESULT, sv, sizeof(*sv), CHAN_WAIT_NS);
}

/*
 * A failed completion is a failure unless a disturbance was asked for; wrong
 * data always is, and so is a disturbance that failed or never came.
 */
static bool step_failed(const struct p2pb_rdma_run_cfg *cfg, const struct p2pb_rdma_step_result *r)
{
	unsigned int k;

	for (k = P2PB_WC_OK + 1; k < P2PB_WC_N_CLASSES && cfg->disturb.kind == P2PB_FAULT_NONE; k++)
		if (r->c.errors[k] || r->served.errors[k])
			return true;
	for (k = 0; k < r->n_faults; k++)
		if (r->faults[k].err)
			return true;
	return r->verify_bad || r->c.fault_bad || (cfg->disturb.kind != P2PB_FAULT_NONE && !r->n_faults);
}

static bool step_unrecovered(const struct p2pb_rdma_step_result *r)
{
	unsigned int k;

	for (k = 0; k < r->c.n_outages; k++)
		if (!r->c.outages[k].first_good_ns)
			return true;
	return r->c.outages_lost != 0;
}

/* One step: buffers ready on both sides, the traffic (disturbed when asked), the data checked. */
static int run_step(struct p2pb_rdma_requester *q, struct peer *p, const struct p2pb_rdma_run_cfg *cfg,
		    struct p2pb_rdma_fault_target *ft, struct p2pb_rdma_step_result *r)
{
	struct p2pb_rdma_disturber ds = { 0 };
	uint64_t bad = 0, checked = 0, t0;
	int err;

	memset(q->epoch, 0, sizeof(q->epoch));
	memset(q->had_good, 0, sizeof(q->had_good));
	if ((ft && (err = p2pb_rdma_fault_rearm(ft))) ||
	    (cfg->verify && (err = p2pb_rdma_prepare(q->ep, &cfg->t, 0, r->step.size))) ||
	    (err = peer_prepare(p, cfg, &r->step)))
		return err;
	t0 = p2pb_now_ns();
	if (ft && (err = p2pb_rdma_disturb_start(&ds, ft, t0, r->step.duration_ns, r->faults)))
		return err;
	err = p2pb_rdma_run_step(q, &r->step, &r->c, t0);
	p2pb_rdma_disturb_stop(&ds);
	r->n_faults = ds.n;
	if (err == -EINTR && !p->local) {
		/* Ctrl-C: the server ends the step too (its result is not waited for), then hears the bye */
		uint64_t mask = given_up(q->epoch, cfg->ep.qps);

		p2pb_chan_send(p->fd, P2PB_CHAN_DONE, &mask, sizeof(mask));
	}
	if (err || (err = peer_finish(p, cfg, &r->step, q->epoch, &r->served)) ||
	    (cfg->verify && (err = p2pb_rdma_check(q->ep, &cfg->t, 0, r->step.size, q->epoch, &bad, &checked))))
		return err;
	r->verified = cfg->verify;
	r->verify_bad = bad + r->served.verify_bad;
	r->verify_checked = checked + r->served.verify_checked;
	return 0;
}

static int run_steps(struct p2pb_rdma_requester *q, struct peer *p, const struct p2pb_rdma_run_cfg *cfg,
		     struct p2pb_rdma_fault_target *ft, struct p2pb_rdma_run_result *res)
{
	unsigned int k;
	int err;

	for (k = 0; k < cfg->n_steps && !p2pb_interrupted; k++) {
		struct p2pb_rdma_step_result *r = &res->steps[k];

		r->step = cfg->steps[k];
		res->n_steps = k + 1;	/* its timeline is freed with the result, whatever happens */
		if ((err = run_step(q, p, cfg, ft, r)))
			return err;
		res->any_error |= step_failed(cfg, r);
		res->unrecovered |= step_unrecovered(r);
	}
	return p2pb_interrupted ? -EINTR : 0;
}

void p2pb_rdma_run_result_release(struct p2pb_rdma_run_result *res)
{
	unsigned int k;

	for (k = 0; k < res->n_steps; k++)
		p2pb_rdma_counts_release(&res->steps[k].c);
}

/* ---- roles ---- */

static int run_loopback(const struct p2pb_rdma_run_cfg *cfg, struct p2pb_rdma_ep *ep, struct peer *p,
			struct p2pb_rdma_run_result *res)
{
	static struct p2pb_rdma_mem_spec host;	/* the endpoint keeps a pointer to it */
	struct p2pb_rdma_ep_cfg ec = cfg->ep;
	struct p2pb_rdma_requester q = { .ep = ep, .t = cfg->t, .loopback = &p->resp };
	struct p2pb_rdma_fault_target ft;
	int err;

	/* the responder's buffers are the memory under test; the requester's are host memory */
	p2pb_rdma_mem_parse("host", &host);
	ec.mem = &host;
	if ((err = p2pb_rdma_ep_open(ep, &ec)))
		return err;
	ec.mem = &cfg->mem;
	ec.dev = ep->dev;
	if ((err = p2pb_rdma_ep_open(&p->ep, &ec)))
		return err;
	p->local = true;
	p->resp.ep = &p->ep;
	p->resp.t = cfg->t;
	describe(ep, res);
	snprintf(res->peer, sizeof(res->peer), "loopback");
	infos(ep, p->resp.peer);
	infos(&p->ep, q.peer);
	if ((err = connect_all(ep, p->resp.peer, q.peer)) ||
	    (err = connect_all(&p->ep, q.peer, p->resp.peer)))
		return err;
	if (cfg->disturb.kind == P2PB_FAULT_NONE) {
		res->recovery = P2PB_RECOVERY_NONE;
		return run_steps(&q, p, cfg, NULL, res);
	}
	if (cfg->disturb.kind == P2PB_FAULT_TRIGGER && cfg->disturb.check &&
	    (err = cfg->disturb.check(cfg->disturb.ctx, p->ep.mem.x)))
		return err;
	p2pb_rdma_fault_target_init(&ft, &q, &p->resp, &cfg->disturb, cfg->recovery, cfg->verify);
	res->recovery = ft.strategy;
	q.recover = p2pb_rdma_recover_loopback;
	q.recover_ctx = &ft;
	q.recovery_timeout_ns = cfg->recovery_timeout_ns;
	err = run_steps(&q, p, cfg, &ft, res);
	p2pb_rdma_fault_target_destroy(&ft);
	return err;
}

static int run_client(const struct p2pb_rdma_run_cfg *cfg, struct p2pb_rdma_ep *ep, struct peer *p,
		      struct p2pb_rdma_run_result *res)
{
	struct p2pb_rdma_hello h = {
		.op = cfg->t.op, .mode = cfg->t.mode, .qps = cfg->ep.qps, .tx_depth = cfg->ep.tx_depth,
		.rx_depth = cfg->ep.rx_depth, .cq_mod = cfg->t.cq_mod, .inline_size = cfg->ep.inline_size,
		.verify = cfg->verify, .slot = cfg->ep.slot, .seed = cfg->t.seed,
	};
	struct p2pb_rdma_requester q = { .ep = ep, .t = cfg->t };
	struct p2pb_rdma_qp_info mine[P2PB_RDMA_MAX_QPS];
	struct p2pb_rdma_step bye = { 0 };
	int err;

	if ((err = p2pb_chan_connect(cfg->server, cfg->tcp_port, 5000000000ull, &p->fd)) ||
	    (err = p2pb_chan_send(p->fd, P2PB_CHAN_HELLO, &h, sizeof(h))))
		return err;
	if ((err = p2pb_rdma_ep_open(ep, &cfg->ep))) {
		p2pb_chan_send_error(p->fd, err, "the client could not set up");
		return err;
	}
	describe(ep, res);
	snprintf(res->peer, sizeof(res->peer), "server %s port %u", cfg->server, cfg->tcp_port);
	infos(ep, mine);
	if ((err = p2pb_chan_send(p->fd, P2PB_CHAN_QPS, mine, ep->nqp * sizeof(mine[0]))) ||
	    (err = p2pb_chan_recv(p->fd, P2PB_CHAN_QPS, q.peer, ep->nqp * sizeof(q.peer[0]), CHAN_WAIT_NS)) ||
	    (err = connect_all(ep, mine, q.peer)))
		return err;
	err = run_steps(&q, p, cfg, NULL, res);
	if (!err || err == -EINTR)
		p2pb_chan_send(p->fd, P2PB_CHAN_STEP, &bye, sizeof(bye));
	return err;
}

/* Serve one step: buffers ready, answer until the client says done, check, report. */
static int serve_step(struct peer *p, const struct p2pb_rdma_run_cfg *cfg, const struct p2pb_rdma_step *s)
{
	struct p2pb_rdma_served sv = { 0 };
	uint32_t epochs[P2PB_RDMA_MAX_QPS] = { 0 };
	uint64_t mask;
	unsigned int n = 0, i;
	int err;

	if ((err = local_prepare(p, cfg, s)) || (err = p2pb_chan_send(p->fd, P2PB_CHAN_READY, NULL, 0)))
		return err;
	/* a responder without CPU work sleeps on the channel, leaving the CPUs to the NIC (rxe is CPUs) */
	while (p2pb_rdma_responder_busy(&cfg->t) && (++n % PENDING_EVERY || !p2pb_chan_pending(p->fd)))
		if ((err = p2pb_rdma_responder_poll(&p->resp)) || p2pb_interrupted)
			return err ? err : -EINTR;
	/* no time limit: a step lasts what the client asked for; a client that dies closes the channel */
	if ((err = p2pb_chan_recv(p->fd, P2PB_CHAN_DONE, &mask, sizeof(mask), 0)))
		return err;
	for (i = 0; i < P2PB_RDMA_MAX_QPS; i++)
		epochs[i] = mask & (1ull << i) ? P2PB_RDMA_NO_DATA : 0;
	if ((err = local_finish(p, cfg, s, epochs, &sv)))
		return err;
	err = p2pb_chan_send(p->fd, P2PB_CHAN_RESULT, &sv, sizeof(sv));
	/* a client interrupted mid-size does not wait for the result: it has said done and goodbye */
	return err == -EPIPE || err == -ECONNRESET ? -ESHUTDOWN : err;
}

static int server_setup(struct p2pb_rdma_run_cfg *c, struct peer *p, struct p2pb_rdma_run_result *res)
{
	struct p2pb_rdma_hello h;
	struct p2pb_rdma_qp_info theirs[P2PB_RDMA_MAX_QPS], mine[P2PB_RDMA_MAX_QPS];
	int err;

	if ((err = p2pb_chan_recv(p->fd, P2PB_CHAN_HELLO, &h, sizeof(h), CHAN_WAIT_NS)))
		return err;
	if (h.op >= P2PB_RDMA_N_OPS || h.mode > P2PB_RDMA_LAT || !h.qps || h.qps > P2PB_RDMA_MAX_QPS ||
	    !h.tx_depth || !h.rx_depth || !h.slot)
		return p2pb_fail(-EPROTO, "the client asked for traffic this server cannot make");
	c->t = (struct p2pb_rdma_traffic){ .op = h.op, .mode = h.mode, .cq_mod = h.cq_mod, .seed = h.seed };
	c->ep.qps = h.qps;
	c->ep.tx_depth = h.tx_depth;
	c->ep.rx_depth = h.rx_depth;
	c->ep.inline_size = h.inline_size;
	c->ep.slot = h.slot;
	c->verify = h.verify;
	if ((err = p2pb_rdma_ep_open(&p->ep, &c->ep)))
		return err;
	describe(&p->ep, res);
	p->resp = (struct p2pb_rdma_responder){ .ep = &p->ep, .t = c->t };
	infos(&p->ep, mine);
	if ((err = p2pb_chan_recv(p->fd, P2PB_CHAN_QPS, theirs, h.qps * sizeof(theirs[0]), CHAN_WAIT_NS)) ||
	    (err = p2pb_chan_send(p->fd, P2PB_CHAN_QPS, mine, h.qps * sizeof(mine[0]))))
		return err;
	memcpy(p->resp.peer, theirs, h.qps * sizeof(theirs[0]));
	return connect_all(&p->ep, mine, theirs);
}

static int run_server(const struct p2pb_rdma_run_cfg *cfg, struct peer *p, struct p2pb_rdma_run_result *res)
{
	struct p2pb_rdma_run_cfg c = *cfg;
	struct p2pb_rdma_step s;
	int lfd, err;

	c.ep.mem = &c.mem;
	if ((err = p2pb_chan_listen(cfg->tcp_port, &lfd)))
		return err;
	err = p2pb_chan_accept(lfd, &p->fd);
	close(lfd);
	if (err)
		return err;
	snprintf(res->peer, sizeof(res->peer), "client");
	if ((err = server_setup(&c, p, res)))
		return err;
	while (!(err = p2pb_chan_recv(p->fd, P2PB_CHAN_STEP, &s, sizeof(s), 0)) && s.size) {
		if (s.size > c.ep.slot || res->n_steps == P2PB_RDMA_MAX_SIZES)
			return p2pb_fail(-EPROTO, "the client asked for a step this server cannot serve");
		err = serve_step(p, &c, &s);
		if (err && err != -ESHUTDOWN)
			return err;
		res->steps[res->n_steps++].step = s;
		if (err) {
			p2pb_clear_error();
			return 0;	/* the client left after the size: the end */
		}
	}
	return err;
}

int p2pb_rdma_run(const struct p2pb_rdma_run_cfg *cfg, struct p2pb_rdma_run_result *res)
{
	struct p2pb_rdma_ep ep;
	struct peer p = { .fd = -1 };
	int err;

	memset(res, 0, sizeof(*res));
	memset(&ep, 0, sizeof(ep));
	if (cfg->role == P2PB_RDMA_SERVER)
		err = run_server(cfg, &p, res);
	else if (cfg->role == P2PB_RDMA_CLIENT)
		err = run_client(cfg, &ep, &p, res);
	else
		err = run_loopback(cfg, &ep, &p, res);
	if (err && err != -EINTR && p.fd >= 0)
		p2pb_chan_send_error(p.fd, err, p2pb_error());
	p2pb_chan_close(p.fd);
	p2pb_rdma_ep_close(&p.ep);
	p2pb_rdma_ep_close(&ep);
	return err;
}
