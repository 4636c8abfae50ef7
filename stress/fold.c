// SPDX-License-Identifier: GPL-2.0
/* The fold of an importer's events into observations (fold.h). */
#include "fold.h"
#include "case.h"

#include <string.h>

static void fence_added(struct p2pb_fold *st, uint64_t seqno, uint64_t ts)
{
	if (st->n_fences == P2PB_FOLD_FENCES) {
		memmove(st->fence, st->fence + 1, sizeof(st->fence[0]) * (P2PB_FOLD_FENCES - 1));
		st->n_fences--;
	}
	st->fence[st->n_fences].seqno = seqno;
	st->fence[st->n_fences].added_ns = ts;
	st->fence[st->n_fences++].late = false;
}

static void late_fence(struct p2pb_att_obs *o, uint64_t late_ns)
{
	o->fences_late++;
	if (late_ns > o->fence_late_max_ns)
		o->fence_late_max_ns = late_ns;
}

/* A fence added before the invalidate must signal before the trigger returns (C4). */
static void fence_signalled(struct p2pb_fold *st, uint64_t seqno, uint64_t ts, const struct p2pb_fold_window *w,
			    struct p2pb_att_obs *o, uint64_t inv_ts)
{
	unsigned int f;

	for (f = 0; f < st->n_fences && st->fence[f].seqno != seqno; f++)
		;
	if (f == st->n_fences)
		return;
	if (w && o && o->invalidated && !st->fence[f].late && st->fence[f].added_ns < inv_ts) {
		o->fences_checked++;
		if (ts > w->trigger_end)
			late_fence(o, ts - w->trigger_end);
	}
	st->fence[f] = st->fence[--st->n_fences];
}

static void stamp_event(const struct p2pb_engine_event *e, const struct p2pb_fold_window *w, struct p2pb_att_obs *o,
			uint64_t *inv_ts, uint64_t *unmap_ts)
{
	if (!w || e->ts_ns < w->t0)
		return;
	if (e->type == P2PB_EE_INVALIDATE) {
		if (!o->invalidated && e->arg == 1) {
			o->invalidated = true;
			o->exporter_at_invalidate = e->exporter;
			*inv_ts = e->ts_ns;
			o->injected_never = e->value == P2PB_NEVER;
			o->injected_delay_ns = o->injected_never ? 0 : e->value;
		} else {
			/* released by the quiesce timeout before the kernel got to it, then reached */
			o->reached_late |= !o->invalidated && o->forced;
			o->later_invalidates++;
		}
	} else if (e->type == P2PB_EE_UNMAP && o->invalidated && !o->unmapped) {
		o->unmapped = true;
		*unmap_ts = e->ts_ns;
		o->unmap_cause = e->arg;
		o->exporter_at_unmap = e->exporter;
		o->forced = e->arg == P2PB_UNMAP_FORCED && w->requests_are_releases;
	} else if (e->type == P2PB_EE_UNMAP_DONE && o->unmapped && !o->exporter_unmap_ns && e->ts_ns >= *unmap_ts) {
		o->exporter_unmap_ns = e->ts_ns - *unmap_ts;
	} else if (e->type == P2PB_EE_UNMAP && !o->invalidated && e->arg == P2PB_UNMAP_FORCED) {
		o->forced = w->requests_are_releases;
	}
}

/* The load's own marks: its last completion before a revoke, its first after. */
static void load_event(const struct p2pb_engine_event *e, uint64_t t0, struct p2pb_load_obs *lo)
{
	if (!lo)
		return;
	if (e->type == P2PB_EE_IO_LAST && e->ts_ns > lo->last_before_ns)
		lo->last_before_ns = e->ts_ns;
	/* the importer that recovered last decides when traffic is back */
	else if (e->type == P2PB_EE_IO_FIRST && e->ts_ns > t0 && e->ts_ns > lo->first_after_ns)
		lo->first_after_ns = e->ts_ns;
}

/*
 * C4 for a load's fences (one per batch of I/O, too many to stamp): the
 * I/O in flight at the invalidate completed, and so its fences signalled,
 * before the trigger returned.
 */
static void load_drained(const struct p2pb_engine_event *e, const struct p2pb_fold_window *w, struct p2pb_att_obs *o)
{
	o->fences_checked++;
	if (e->ts_ns > w->trigger_end)
		late_fence(o, e->ts_ns - w->trigger_end);
}

void p2pb_fold_events(struct p2pb_fold *f, const struct p2pb_engine_event *ev, uint32_t n,
		      const struct p2pb_fold_window *w, struct p2pb_att_obs *o, struct p2pb_load_obs *lo,
		      uint64_t now_ns)
{
	const struct p2pb_fold_window *judge = w && w->trigger_end && o ? w : NULL;
	uint64_t inv_ts = 0, unmap_ts = 0;
	uint32_t e, k;

	for (e = 0; e < n; e++) {
		if (judge)
			stamp_event(&ev[e], judge, o, &inv_ts, &unmap_ts);
		if (w)
			load_event(&ev[e], w->t0, lo);
	}
	for (e = 0; e < n; e++) {
		if (ev[e].type == P2PB_EE_FENCE_ADD)
			fence_added(f, ev[e].value, ev[e].ts_ns);
		else if (ev[e].type == P2PB_EE_FENCE_SIGNAL)
			fence_signalled(f, ev[e].value, ev[e].ts_ns, judge, o, inv_ts);
		else if (ev[e].type == P2PB_EE_IO_LAST && judge && o->invalidated)
			load_drained(&ev[e], judge, o);
	}
	if (!judge)
		return;
	if (o->invalidated) {
		o->trigger_to_invalidate_ns = inv_ts - judge->t0;
		if (o->unmapped)
			o->invalidate_to_unmap_ns = unmap_ts - inv_ts;
	}
	/* still pending now, so not signalled when the trigger returned */
	for (k = 0; k < f->n_fences; k++)
		if (o->invalidated && !f->fence[k].late && f->fence[k].added_ns < inv_ts) {
			f->fence[k].late = true;
			o->fences_checked++;
			late_fence(o, now_ns - judge->trigger_end);
		}
}
