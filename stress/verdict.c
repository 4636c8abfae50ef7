// SPDX-License-Identifier: GPL-2.0
/*
 * Contract verdicts: what the observations of a revoke case say about the
 * exporter. Injected importer misbehaviour is accounted separately, so that
 * an importer told never to unmap is not blamed on the exporter, and an
 * exporter that lets a trigger return with live mappings is never excused by
 * the importer being slow.
 */
#define _GNU_SOURCE
#include "verdict.h"
#include "engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct p2pb_clause_info p2pb_clauses[P2PB_N_CLAUSES] = {
	[P2PB_C1_WAITS] = { "C1", "trigger_waits",
			    "a revoke trigger returns only after every importer has unmapped" },
	[P2PB_C2_NO_MAP_REVOKED] = { "C2", "no_map_while_revoked", "no map succeeds while revoked" },
	[P2PB_C3_REMAP_REARM] = { "C3", "remap_and_rearm",
				  "after un-revoke every importer maps again and the next revoke waits again" },
	[P2PB_C4_FENCES] = { "C4", "fences_retired",
			     "fences added before the invalidate are retired before the trigger returns" },
	[P2PB_C5_REFUSE] = { "C5", "refuse_unrevocable",
			     "static, non-revocable and no-p2p attaches are refused" },
	[P2PB_C6_CLOSE_REVOKED] = { "C6", "close_stays_revoked",
				    "after close the old dma-buf stays revoked" },
	[P2PB_C7_KERNEL_LOG] = { "C7", "kernel_log_clean",
				 "no WARN, BUG, Oops, refcount_t, lockdep, KASAN/UBSAN, hung-task or RCU-stall "
				 "message, except the one a configured revoke bound announces" },
	[P2PB_C8_DATA_INTACT] = { "C8", "data_intact",
				  "data moved through the dma-buf arrives whole and at its offset (--verify)" },
	[P2PB_C9_MEMORY_LIVE] = { "C9", "memory_live_until_unmapped",
				  "importers are invalidated and have unmapped before the exporter's memory goes away "
				  "(memory disabled, function reset, low power, disabled on close)" },
};

const char *p2pb_outcome_name(enum p2pb_outcome o)
{
	static const char *const names[] = {
		[P2PB_PASS] = "PASS", [P2PB_BOUNDED] = "BOUNDED", [P2PB_SKIP] = "SKIP",
		[P2PB_ERROR] = "ERROR", [P2PB_FAIL] = "FAIL",
	};

	return names[o];
}

void p2pb_verdict_init(struct p2pb_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->waited_iteration = -1;
	v->bounded_last = -1;
	v->never_unmap.fault = "never-unmap";
	v->dma_after_unmap.fault = "dma-after-unmap";
}

static void judged(struct p2pb_verdict *v, enum p2pb_clause c)
{
	v->judged |= 1u << c;
}

static void violation(struct p2pb_verdict *v, enum p2pb_clause c, int iteration, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void violation(struct p2pb_verdict *v, enum p2pb_clause c, int iteration, const char *fmt, ...)
{
	struct p2pb_violation *x;
	va_list ap;

	judged(v, c);
	v->violated |= 1u << c;
	if (v->n_v == P2PB_MAX_VIOLATIONS) {
		v->v_dropped++;
		return;
	}
	x = &v->v[v->n_v++];
	x->clause = c;
	x->iteration = iteration;
	va_start(ap, fmt);
	vsnprintf(x->evidence, sizeof(x->evidence), fmt, ap);
	va_end(ap);
}

void p2pb_verdict_error(struct p2pb_verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v->error[0])
		return;	/* the first error is the one worth reading */
	va_start(ap, fmt);
	vsnprintf(v->error, sizeof(v->error), fmt, ap);
	va_end(ap);
}

void p2pb_verdict_clause(struct p2pb_verdict *v, enum p2pb_clause c, bool ok, const char *evidence)
{
	judged(v, c);
	if (!ok)
		violation(v, c, -1, "%s", evidence);
}

void p2pb_verdict_skip(struct p2pb_verdict *v, const char *why)
{
	snprintf(v->skip, sizeof(v->skip), "%s", why);
}

static unsigned int still_mapped(const struct p2pb_iter_obs *it, unsigned int *never_invalidated)
{
	unsigned int a, n = 0;

	*never_invalidated = 0;
	for (a = 0; a < it->n_atts; a++)
		*never_invalidated += !it->atts[a].invalidated && !it->atts[a].reached_late;
	if (it->mapped_at_return > 0)
		n = (unsigned int)it->mapped_at_return;
	return n;
}

/* A proceed bound fired in @it: what it let through is BOUNDED, not a failure. */
static bool bound_fired(const struct p2pb_verdict_ctx *ctx, const struct p2pb_iter_obs *it)
{
	return ctx->bound_ms && ctx->bound_proceeds && it->bound_timeouts;
}

/* @it is a BOUNDED iteration (counted once, whichever clause the bound let through). */
static void count_bounded(struct p2pb_verdict *v, const struct p2pb_iter_obs *it, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void count_bounded(struct p2pb_verdict *v, const struct p2pb_iter_obs *it, const char *fmt, ...)
{
	va_list ap;

	if (v->bounded_last == (int)it->index)
		return;
	v->bounded_last = (int)it->index;
	v->bounded_iterations++;
	if (v->bounded_evidence[0])
		return;
	va_start(ap, fmt);
	vsnprintf(v->bounded_evidence, sizeof(v->bounded_evidence), fmt, ap);
	va_end(ap);
}

/* C1, and C3's "the next revoke waits again". */
static void judge_wait(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx, const struct p2pb_iter_obs *it)
{
	unsigned int never_inv, live = still_mapped(it, &never_inv);
	double ms = (double)it->trigger_ns / 1e6;

	judged(v, P2PB_C1_WAITS);
	if (it->stale_landed)
		violation(v, P2PB_C1_WAITS, (int)it->index,
			  "a DMA write the importing device issued after %s returned (or after the kernel's unmap) "
			  "reached the exporter's memory: read back through the IOMMU once mapped again", ctx->trigger);
	if (!it->trigger_returned) {
		violation(v, P2PB_C1_WAITS, (int)it->index,
			  "%s has not returned after %.1f s, every importer unmapped %.1f s before%s; stuck in %s",
			  ctx->trigger, ms / 1e3, (double)it->stuck_unmapped_for_ns / 1e9,
			  it->stuck_mapped ? " (released by p2pbench)" : "",
			  it->stuck_in[0] ? it->stuck_in : "(stack unknown)");
		return;
	}
	if (!live && !never_inv) {
		if (it->n_atts)
			v->waited_iteration = v->waited_iteration < 0 ? (int)it->index : v->waited_iteration;
		return;
	}
	if (!live) {
		violation(v, P2PB_C1_WAITS, (int)it->index, "%u of %u attachments were never invalidated by %s",
			  never_inv, it->n_atts, ctx->trigger);
		return;
	}
	if (bound_fired(ctx, it)) {
		count_bounded(v, it, "%s returned after %.1f ms with %u live mapping(s) after the configured %u ms timeout",
			      ctx->trigger, ms, live, ctx->bound_ms);
		return;
	}
	violation(v, P2PB_C1_WAITS, (int)it->index, "%s returned after %.1f ms with %u of %u mapping(s) live and %s",
		  ctx->trigger, ms, live, it->n_atts,
		  ctx->bound_ms && ctx->bound_proceeds ? "no revoke timeout fired" : "no revoke bound configured");
	if (v->waited_iteration >= 0)
		violation(v, P2PB_C3_REMAP_REARM, (int)it->index,
			  "revoke %d waited for the importers, revoke %u did not: the wait was not re-armed",
			  v->waited_iteration, it->index);
}

/*
 * An importer event stamped this long after a kernel event still counts as
 * before it: tracefs stamps in µs and truncates.
 */
#define TRACE_RESOLUTION_NS 1000u

static void order_violation(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			    const struct p2pb_iter_obs *it, const struct p2pb_att_obs *o, const char *what,
			    uint64_t at_ns, const char *why)
{
	violation(v, P2PB_C9_MEMORY_LIVE, (int)it->index,
		  "importer %u dma-buf %u was %s %.3f ms into %s, after the exporter's memory went away: %s",
		  o->importer, o->dmabuf, what, (double)at_ns / 1e6, ctx->trigger, why);
}

/* The importer's read of the exporter at one of its events. */
static void judge_order_seen(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			     const struct p2pb_iter_obs *it, const struct p2pb_att_obs *o, const char *what,
			     uint64_t at_ns, uint32_t st)
{
	char why[96], s[48];

	if (!(st & P2PB_EXPORTER_READ))
		return;
	judged(v, P2PB_C9_MEMORY_LIVE);
	if (p2pb_exporter_live(st))
		return;
	snprintf(why, sizeof(why), "the importer read the function as %s",
		 p2pb_exporter_state_str(st, s, sizeof(s)));
	order_violation(v, ctx, it, o, what, at_ns, why);
}

/* The kernel's first event of the trigger that took the memory away. */
static void judge_order_kernel(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			       const struct p2pb_iter_obs *it, const struct p2pb_att_obs *o, const char *what,
			       uint64_t at_ns)
{
	char why[128];

	if (!it->memory_watched)
		return;
	judged(v, P2PB_C9_MEMORY_LIVE);
	if (!it->memory_gone || at_ns <= it->memory_gone_ns + TRACE_RESOLUTION_NS)
		return;
	snprintf(why, sizeof(why), "the kernel did %s at %.3f ms", it->memory_gone_what,
		 (double)it->memory_gone_ns / 1e6);
	order_violation(v, ctx, it, o, what, at_ns, why);
}

/*
 * C9. Every invalidate that found a mapping, and every unmap the importer
 * made by its policy before the trigger returned, happened while the
 * exporter's memory was live. Unmaps after the return are C1's (or a
 * bounded return's); forced ones are p2pbench's own.
 */
static void judge_order(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx, const struct p2pb_iter_obs *it)
{
	unsigned int a;

	for (a = 0; a < it->n_atts; a++) {
		const struct p2pb_att_obs *o = &it->atts[a];
		uint64_t unmap_ns = p2pb_att_unmap_ns(o);

		if (!o->invalidated)
			continue;
		judge_order_seen(v, ctx, it, o, "invalidated", o->trigger_to_invalidate_ns, o->exporter_at_invalidate);
		judge_order_kernel(v, ctx, it, o, "invalidated", o->trigger_to_invalidate_ns);
		if (!o->unmapped || o->unmap_cause != P2PB_UNMAP_POLICY || unmap_ns > it->trigger_ns)
			continue;
		judge_order_seen(v, ctx, it, o, "still mapped", unmap_ns, o->exporter_at_unmap);
		judge_order_kernel(v, ctx, it, o, "still mapped", unmap_ns);
	}
}

/*
 * Judged only where an importer had fences in flight when it was
 * invalidated. A proceed bound that gave up on them is BOUNDED, as for
 * live mappings.
 */
static void judge_fences(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx, const struct p2pb_iter_obs *it)
{
	unsigned int a;

	for (a = 0; a < it->n_atts; a++) {
		const struct p2pb_att_obs *o = &it->atts[a];

		if (o->fences_checked)
			judged(v, P2PB_C4_FENCES);
		if (o->fences_late && bound_fired(ctx, it))
			count_bounded(v, it, "%s returned after %.1f ms with %u unsignalled fence(s) after the configured "
				      "%u ms timeout", ctx->trigger, (double)it->trigger_ns / 1e6, o->fences_late,
				      ctx->bound_ms);
		else if (o->fences_late)
			violation(v, P2PB_C4_FENCES, (int)it->index,
				  "importer %u dma-buf %u: %u fence(s) added before the invalidate had not signalled "
				  "when the trigger returned (still unsignalled %.1f ms after it)", o->importer, o->dmabuf,
				  o->fences_late,
				  (double)o->fence_late_max_ns / 1e6);
	}
}

static void judge_log(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx, int iteration,
		      const struct p2pb_kmsg_counts *k)
{
	unsigned int bad = ctx->bound_ms && ctx->bound_proceeds ? p2pb_kmsg_unannounced(k) : p2pb_kmsg_findings(k);

	judged(v, P2PB_C7_KERNEL_LOG);
	if (ctx->bound_ms && ctx->bound_proceeds)
		v->announced_warnings += k->announced_warnings;
	if (bad)
		violation(v, P2PB_C7_KERNEL_LOG, iteration,
			  "%u forbidden kernel log message(s) (%u WARN, %u BUG/Oops, %u refcount_t, %u lockdep, "
			  "%u KASAN, %u UBSAN, %u hung task, %u RCU stall); first: %s", bad,
			  k->warnings - (ctx->bound_ms && ctx->bound_proceeds ? k->announced_warnings : 0),
			  k->bugs, k->refcount, k->lockdep, k->kasan, k->ubsan, k->hung_tasks, k->rcu_stalls,
			  k->first_finding[0] ? k->first_finding : "(an announced WARN)");
}

static void account_injected(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			     const struct p2pb_iter_obs *it)
{
	unsigned int a, forced = 0;

	for (a = 0; a < it->n_atts; a++)
		forced += it->atts[a].forced;
	if (ctx->injected_never_unmap) {
		v->never_unmap.iterations++;
		v->never_unmap.forced_releases += forced;
		v->never_unmap.bounded_returns += it->mapped_at_return > 0 && it->bound_timeouts;
	} else if (forced) {
		p2pb_verdict_error(v, "iteration %u: an importer did not unmap within the quiesce timeout and was "
				   "released (raise --quiesce-timeout above the importer's delay)", it->index);
	}
	if (ctx->injected_dma_after_unmap) {
		v->dma_after_unmap.iterations++;
		v->dma_after_unmap.stale_transfers += it->stale_transfers;
		v->dma_after_unmap.iommu_fault_irqs += it->iommu_fault_irqs;
		v->dma_after_unmap.io_errors += it->io_errors + it->io_timeouts;
		v->dma_after_unmap.stale_checks += it->stale_checks;
		v->dma_after_unmap.stale_landed += it->stale_landed;
		v->dma_after_unmap.stale_unknown += it->stale_unknown;
		return;
	}
	/* our own importer misbehaving unasked, or I/O failing through a live mapping: never a PASS */
	if (it->stale_transfers)
		p2pb_verdict_error(v, "iteration %u: the importer moved data %llu time(s) after an invalidate "
				   "without being told to", it->index, (unsigned long long)it->stale_transfers);
	if (it->io_errors || it->io_timeouts)
		p2pb_verdict_error(v, "iteration %u: %llu I/O(s) through the mapping failed and %llu timed out "
				   "(see the iteration's load.last_error and the kernel log)", it->index,
				   (unsigned long long)it->io_errors, (unsigned long long)it->io_timeouts);
}

/*
 * C8: every block names its own offset; a block a read completed into
 * since the fill holds the device's data; and a load that only reads and
 * moved bytes left device data in some block, whatever the importer says
 * it filled (with writes mixed in, a block written before it is read
 * rightly holds the fill).
 */
static void judge_data(struct p2pb_verdict *v, const struct p2pb_iter_obs *it)
{
	judged(v, P2PB_C8_DATA_INTACT);
	if (it->data_bad)
		violation(v, P2PB_C8_DATA_INTACT, (int)it->index, "%llu of %llu blocks not intact; first: %s",
			  (unsigned long long)it->data_bad, (unsigned long long)it->data_blocks, it->data_evidence);
	if (it->data_missing)
		violation(v, P2PB_C8_DATA_INTACT, (int)it->index,
			  "%llu of %llu blocks read into since the fill lack the device's data (never arrived); first: %s",
			  (unsigned long long)it->data_missing, (unsigned long long)it->data_filled,
			  it->data_missing_evidence);
	else if (it->data_tracked && it->data_reads_only && it->data_moved_bytes && !it->data_device)
		violation(v, P2PB_C8_DATA_INTACT, (int)it->index,
			  "the load moved %llu bytes since the remap, but none of the %llu blocks checked holds the "
			  "device's data (%llu recorded as filled by a read)", (unsigned long long)it->data_moved_bytes,
			  (unsigned long long)it->data_blocks, (unsigned long long)it->data_filled);
}

void p2pb_verdict_iteration(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			    const struct p2pb_iter_obs *it)
{
	if (it->trigger_errno) {
		p2pb_verdict_error(v, "iteration %u: %s failed: %s", it->index, ctx->trigger,
				   strerror(it->trigger_errno));
		judge_log(v, ctx, (int)it->index, &it->klog);
		return;
	}
	judge_wait(v, ctx, it);
	judge_fences(v, ctx, it);
	judge_order(v, ctx, it);
	if (it->map_while_revoked_tried) {
		judged(v, P2PB_C2_NO_MAP_REVOKED);
		if (!it->map_while_revoked_errno)
			violation(v, P2PB_C2_NO_MAP_REVOKED, (int)it->index,
				  "a map while revoked by %s succeeded", ctx->trigger);
	}
	if (it->old_dmabuf_tried) {
		judged(v, P2PB_C6_CLOSE_REVOKED);
		if (!it->old_dmabuf_map_errno)
			violation(v, P2PB_C6_CLOSE_REVOKED, (int)it->index,
				  "a dma-buf of the closed device mapped again");
	}
	if (it->unrevoke_failed)
		p2pb_verdict_error(v, "iteration %u: undoing %s failed", it->index, ctx->trigger);
	else if (it->remap_tried) {
		judged(v, P2PB_C3_REMAP_REARM);
		if (it->remap_errno)
			violation(v, P2PB_C3_REMAP_REARM, (int)it->index,
				  "importers could not map again after %s was undone: %s", ctx->trigger,
				  strerror(it->remap_errno));
	}
	if (it->data_checked)
		judge_data(v, it);
	judge_log(v, ctx, (int)it->index, &it->klog);
	account_injected(v, ctx, it);
}

void p2pb_verdict_readback(struct p2pb_verdict *v, uint64_t blocks, uint64_t bad, const char *evidence)
{
	judged(v, P2PB_C8_DATA_INTACT);
	if (bad)
		violation(v, P2PB_C8_DATA_INTACT, -1, "read back from the device: %llu of %llu blocks not intact; "
			  "first: %s", (unsigned long long)bad, (unsigned long long)blocks, evidence);
}

void p2pb_verdict_attach(struct p2pb_verdict *v, const char *mode, int err)
{
	judged(v, P2PB_C5_REFUSE);
	if (!err)
		violation(v, P2PB_C5_REFUSE, -1, "a %s importer was allowed to attach", mode);
	else if (err != -EOPNOTSUPP)
		p2pb_verdict_error(v, "a %s importer was refused with %s, expected EOPNOTSUPP", mode,
				   strerrorname_np(-err) ? strerrorname_np(-err) : "?");
}

void p2pb_verdict_case_log(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			   const struct p2pb_kmsg_counts *k)
{
	judge_log(v, ctx, -1, k);
}

void p2pb_verdict_finish(struct p2pb_verdict *v)
{
	if (v->violated)
		v->outcome = P2PB_FAIL;
	else if (v->error[0])
		v->outcome = P2PB_ERROR;
	else if (v->skip[0])
		v->outcome = P2PB_SKIP;
	else if (v->bounded_iterations)
		v->outcome = P2PB_BOUNDED;
	else
		v->outcome = P2PB_PASS;
}

int p2pb_verdict_exit_status(enum p2pb_outcome worst)
{
	return worst == P2PB_FAIL ? 1 : worst == P2PB_ERROR ? 2 : 0;
}
