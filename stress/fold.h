/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_FOLD_H
#define P2PB_FOLD_H
#include <stdint.h>

#include "engine.h"
#include "verdict.h"

/*
 * The one fold of an importer's events into what the verdicts judge, for
 * every command that revokes (revoke, check and sweep cases, and stress):
 * the invalidate that found a mapping and the unmap that answered it (their
 * stamps, causes and the exporter's state the importer read), releases by
 * p2pbench's quiesce timeout (forced) and an attachment they reached only
 * late, later invalidates (the un-revoke's own), the delay an importer armed
 * or that it was told never to unmap, the fences added before the
 * invalidate and whether they signalled before the trigger returned (C4),
 * and a load's own marks. Pure logic over one attachment's events.
 */
#define P2PB_FOLD_FENCES 64

/* One attachment across iterations: the fences it added and has not signalled. */
struct p2pb_fold {
	struct {
		uint64_t seqno, added_ns;
		bool late;	/* already reported late */
	} fence[P2PB_FOLD_FENCES];
	unsigned int n_fences;
};

/*
 * One trigger: it started at t0 and returned at trigger_end (0: judge
 * nothing, load marks after t0 only). requests_are_releases: an unmap by
 * request is p2pbench releasing a stuck importer (a revoke case's quiesce
 * timeout: "forced"); false where requests are operations of their own
 * (stress workers unmap at random), and such an unmap is an unmap.
 */
struct p2pb_fold_window {
	uint64_t t0, trigger_end;
	bool requests_are_releases;
};

struct p2pb_load_obs;

/*
 * Fold @n events of one attachment, oldest first. With a judging window
 * they fill @o; without a window only the fence bookkeeping is kept. A
 * load's marks after the window's t0 go to @lo (when given). @now_ns:
 * fences still pending then count as late (they did not signal by the
 * trigger's return).
 */
void p2pb_fold_events(struct p2pb_fold *f, const struct p2pb_engine_event *ev, uint32_t n,
		      const struct p2pb_fold_window *w, struct p2pb_att_obs *o, struct p2pb_load_obs *lo,
		      uint64_t now_ns);
#endif
