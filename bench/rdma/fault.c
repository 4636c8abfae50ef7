// SPDX-License-Identifier: GPL-2.0
/*
 * Disturbances of a loopback RDMA step and the recovery from them: a thread
 * takes the responder's MR or QPs away (or fires a revoke trigger on the
 * exporter of its memory) every so often; the traffic thread brings each
 * failed QP back with the chosen strategy and checks the data it had moved.
 */
#define _GNU_SOURCE
#include "fault.h"

#include "clock.h"
#include "error.h"

#include <errno.h>
#include <string.h>

const char *const p2pb_rdma_recovery_names[] = { "auto", "none", "remap", "rereg", NULL };

const char *p2pb_rdma_recovery_name(enum p2pb_rdma_recovery r)
{
	return r <= P2PB_RECOVERY_REREG ? p2pb_rdma_recovery_names[r] : "?";
}

enum p2pb_rdma_recovery p2pb_rdma_recovery_for(const char *driver)
{
	/* mlx5 keeps the MR and faults the mapping back in (ODP-like); irdma and the rest need a new MR */
	return !strncmp(driver, "mlx5", 4) ? P2PB_RECOVERY_REMAP : P2PB_RECOVERY_REREG;
}

void p2pb_rdma_fault_target_init(struct p2pb_rdma_fault_target *ft, struct p2pb_rdma_requester *q,
				 struct p2pb_rdma_responder *r, const struct p2pb_rdma_disturb *d,
				 enum p2pb_rdma_recovery strategy, bool verify)
{
	memset(ft, 0, sizeof(*ft));
	ft->q = q;
	ft->r = r;
	ft->d = d;
	/* a deregistered MR only comes back registered: that fault decides auto whatever the driver */
	if (strategy == P2PB_RECOVERY_AUTO)
		strategy = d->kind == P2PB_FAULT_DEREG ? P2PB_RECOVERY_REREG : p2pb_rdma_recovery_for(r->ep->driver);
	ft->strategy = strategy;
	ft->verify = verify;
	pthread_mutex_init(&ft->lock, NULL);
}

void p2pb_rdma_fault_target_destroy(struct p2pb_rdma_fault_target *ft)
{
	pthread_mutex_destroy(&ft->lock);
}

/* ---- recovery (traffic thread) ---- */

/*
 * How often a reconnect may find its QP moved out of RESET under it: the
 * driver's work for the failed connection can still move the QP to ERROR
 * after our reset (rxe, rarely: lab.rdma_fault_recovery saw RESET succeed
 * and INIT then refused with EINVAL), and a fresh reset gets past it.
 */
#define RECONNECT_TRIES 3

/* Reset QP pair @i and connect it again with fresh PSNs; receives posted. Lock held. */
static int reconnect(struct p2pb_rdma_fault_target *ft, unsigned int i)
{
	struct p2pb_rdma_ep *req = ft->q->ep, *resp = ft->r->ep;
	struct p2pb_rdma_qp_info li, ri;
	unsigned int tries = 0;
	int err;

	do {
		p2pb_rdma_ep_info(req, i, &li);
		p2pb_rdma_ep_info(resp, i, &ri);
		err = p2pb_rdma_ep_connect(resp, i, &ri, &li);
		if (!err)
			err = p2pb_rdma_ep_connect(req, i, &li, &ri);
	} while (err == -EINVAL && ++tries < RECONNECT_TRIES);
	if (err || (err = p2pb_rdma_post_recvs_qp(resp, i)) || (err = p2pb_rdma_post_recvs_qp(req, i)))
		return err;
	ft->q->peer[i] = ri;
	ft->r->peer[i] = li;
	ft->qp_mr_gen[i] = ft->mr_gen;
	return 0;
}

/*
 * The data of QP @i when it failed (a lab fault: the memory is still there
 * to read; a revoked BAR is not), then a new generation of patterns for what
 * it moves next, so the check at the end proves the traffic after the
 * recovery landed. No traffic is posted on the QP meanwhile.
 */
static int renew_data(struct p2pb_rdma_fault_target *ft, unsigned int i, uint32_t attempt,
		      struct p2pb_rdma_counts *c, uint64_t size)
{
	struct p2pb_rdma_requester *q = ft->q;
	uint32_t next = q->epoch[i] + 1;
	int err;

	/* the first attempt of an outage: what the traffic before it left there, if any arrived */
	if (attempt == 1 && q->had_good[i] && ft->d->kind != P2PB_FAULT_TRIGGER &&
	    ((err = p2pb_rdma_check_qp(q->ep, &q->t, 0, i, size, q->epoch[i], &c->fault_bad, &c->fault_checked)) ||
	     (err = p2pb_rdma_check_qp(ft->r->ep, &q->t, 1, i, size, q->epoch[i], &c->fault_bad,
				       &c->fault_checked))))
		return err;
	/* a revoked BAR refuses these accesses: the recovery is tried again later */
	if ((err = p2pb_rdma_prepare_qp(q->ep, &q->t, 0, i, size, next, false)) ||
	    (err = p2pb_rdma_prepare_qp(ft->r->ep, &q->t, 1, i, size, next, false)))
		return ft->d->kind == P2PB_FAULT_TRIGGER ? -EAGAIN : err;
	q->epoch[i] = next;
	q->had_good[i] = false;
	return 0;
}

int p2pb_rdma_fault_rearm(struct p2pb_rdma_fault_target *ft)
{
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&ft->lock);
	if (!ft->r->ep->mr && !(err = p2pb_rdma_ep_rereg(ft->r->ep)))
		ft->mr_gen++;
	for (i = 0; i < ft->q->ep->nqp && !err; i++)
		err = reconnect(ft, i);
	pthread_mutex_unlock(&ft->lock);
	return err;
}

int p2pb_rdma_recover_loopback(struct p2pb_rdma_requester *q, unsigned int i, enum p2pb_rdma_wc_class why,
			       uint32_t attempt, struct p2pb_rdma_counts *c, uint64_t size)
{
	struct p2pb_rdma_fault_target *ft = q->recover_ctx;
	int err = 0;

	if (ft->strategy == P2PB_RECOVERY_NONE)
		return -ECANCELED;
	pthread_mutex_lock(&ft->lock);
	/* a memory failure on a registration no recovery has renewed yet: register again */
	if (ft->strategy == P2PB_RECOVERY_REREG &&
	    (!ft->r->ep->mr || (why == P2PB_WC_MEMORY && ft->qp_mr_gen[i] == ft->mr_gen))) {
		err = p2pb_rdma_ep_rereg(ft->r->ep);
		if (!err)
			ft->mr_gen++;
	}
	if (!err)
		err = reconnect(ft, i);
	if (!err && ft->verify)
		err = renew_data(ft, i, attempt, c, size);
	pthread_mutex_unlock(&ft->lock);
	/* while revoked a registration fails: try again after a back-off */
	return err && ft->d->kind == P2PB_FAULT_TRIGGER ? -EAGAIN : err;
}

/* ---- the disturbing thread ---- */

static int qps_to_error(struct p2pb_rdma_ep *ep)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };
	unsigned int i;
	int err = 0;

	for (i = 0; i < ep->nqp; i++)
		err = err ? err : -ibv_modify_qp(ep->qp[i], &a, IBV_QP_STATE);
	return err;
}

/* Sleep until @until_ns; false when told to stop first. */
static bool wait_until(struct p2pb_rdma_disturber *ds, uint64_t until_ns)
{
	uint64_t now;

	while ((now = p2pb_now_ns()) < until_ns) {
		if (atomic_load(&ds->stop))
			return false;
		p2pb_sleep_ns(until_ns - now < 10000000ull ? until_ns - now : 10000000ull);
	}
	return !atomic_load(&ds->stop);
}

static void disturb_once(struct p2pb_rdma_disturber *ds, struct p2pb_rdma_fault_rec *rec)
{
	struct p2pb_rdma_fault_target *ft = ds->ft;
	const struct p2pb_rdma_disturb *d = ft->d;
	struct p2pb_exporter *x = ft->r->ep->mem.x;
	uint64_t hold_end;

	rec->start_ns = p2pb_now_ns() - ds->t0;
	if (d->kind == P2PB_FAULT_TRIGGER) {
		rec->err = d->revoke(d->ctx, x);
		rec->end_ns = p2pb_now_ns() - ds->t0;
		if (!d->restore)
			return;
		/* the restore runs even when the step ends meanwhile: the device must not stay revoked */
		hold_end = ds->t0 + rec->end_ns + d->hold_ns;
		while (p2pb_now_ns() < hold_end)
			p2pb_sleep_ns(hold_end - p2pb_now_ns());
		if (!rec->err)
			rec->err = d->restore(d->ctx, x);
		rec->restored_ns = p2pb_now_ns() - ds->t0;
		return;
	}
	pthread_mutex_lock(&ft->lock);
	rec->err = d->kind == P2PB_FAULT_DEREG ? p2pb_rdma_ep_dereg(ft->r->ep) : qps_to_error(ft->r->ep);
	pthread_mutex_unlock(&ft->lock);
	rec->end_ns = p2pb_now_ns() - ds->t0;
}

static void *disturb_main(void *arg)
{
	struct p2pb_rdma_disturber *ds = arg;
	uint64_t n;

	for (n = 1; ds->n < P2PB_RDMA_MAX_FAULTS && (!ds->end_ns || n * ds->ft->d->every_ns < ds->end_ns) &&
		    wait_until(ds, ds->t0 + n * ds->ft->d->every_ns); n++)
		disturb_once(ds, &ds->recs[ds->n++]);
	return NULL;
}

int p2pb_rdma_disturb_start(struct p2pb_rdma_disturber *ds, struct p2pb_rdma_fault_target *ft, uint64_t t0_ns,
			    uint64_t end_ns, struct p2pb_rdma_fault_rec *recs)
{
	int err;

	memset(ds, 0, sizeof(*ds));
	atomic_init(&ds->stop, false);
	ds->ft = ft;
	ds->t0 = t0_ns;
	ds->end_ns = end_ns;
	ds->recs = recs;
	err = pthread_create(&ds->thread, NULL, disturb_main, ds);
	if (err)
		return p2pb_fail(-err, "starting the disturbing thread: %s", strerror(err));
	ds->running = true;
	return 0;
}

void p2pb_rdma_disturb_stop(struct p2pb_rdma_disturber *ds)
{
	if (!ds->running)
		return;
	atomic_store(&ds->stop, true);
	pthread_join(ds->thread, NULL);
	ds->running = false;
}
