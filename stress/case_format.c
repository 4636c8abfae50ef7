// SPDX-License-Identifier: GPL-2.0
/*
 * Formats a measured revoke case: the result document (results/schema),
 * KTAP lines, the terminal table and the merged timeline. Nothing here
 * measures or judges.
 */
#define _GNU_SOURCE
#include "case.h"

#include "jsonq.h"
#include "topo.h"
#include "units.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define add(o, k, v) json_object_object_add((o), (k), (v))
#define jint(v) json_object_new_int((int)(v))
#define ju64(v) p2pb_json_u64(v)

/* An iteration's window: bytes and time; its rate is a metric (dma.*.bytes_per_s). */
static json_object *window_json(const struct p2pb_window *w)
{
	json_object *o = json_object_new_object();

	add(o, "bytes", ju64(w->bytes));
	add(o, "ns", ju64(w->ns));
	return o;
}

/* The case's windows, all measured iterations together: bytes, time and their rate. */
static json_object *window_total_json(const struct p2pb_window *w)
{
	json_object *o = window_json(w);

	add(o, "bytes_per_s", ju64(p2pb_window_rate(w)));
	return o;
}

/* The metrics an observation measured, each at its row's path (lib/metric.h). */
static void metrics_json(json_object *o, const struct p2pb_metric_values *mv, enum p2pb_metric_where where)
{
	unsigned int m;

	for (m = 0; m < P2PB_N_CASE_METRICS; m++)
		if (p2pb_metrics[m].where == where && p2pb_metric_has(mv, m))
			p2pb_jset(o, p2pb_metrics[m].path, ju64(mv->v[m]));
}

/*
 * The case's histogram of each metric, at its row's summary path: when
 * something was measured, or as {count: 0} where the summary's parent is
 * there (the load's summaries only in a case with a load).
 */
static void summaries_json(json_object *o, const struct p2pb_case_result *r)
{
	char parent[96];
	unsigned int m;

	for (m = 0; m < P2PB_N_CASE_METRICS; m++) {
		const char *path = p2pb_metrics[m].summary;

		if (!path || !strchr(path, '.'))
			continue;	/* a case's summaries sit under "summary." (unit.metric) */
		snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(path, '.') - path), path);
		if (r->h[m].count || p2pb_jobj(o, parent))
			p2pb_jset(o, path, p2pb_json_summary(&r->h[m]));
	}
}

/* The exporter's state as an importer read it: {memory_live, text}. */
static json_object *exporter_state_json(uint32_t st)
{
	json_object *o = json_object_new_object();
	char buf[48];

	add(o, "memory_live", json_object_new_boolean(p2pb_exporter_live(st)));
	add(o, "state", json_object_new_string(p2pb_exporter_state_str(st, buf, sizeof(buf))));
	return o;
}

static json_object *att_json(const struct p2pb_att_obs *a)
{
	json_object *o = json_object_new_object();
	struct p2pb_metric_values mv;

	add(o, "importer", jint(a->importer));
	add(o, "dmabuf", jint(a->dmabuf));
	add(o, "invalidated", json_object_new_boolean(a->invalidated));
	add(o, "unmapped", json_object_new_boolean(a->unmapped));
	if (a->invalidated && a->unmapped) {
		add(o, "injected_delay_ns", a->injected_never ? NULL : ju64(a->injected_delay_ns));
		add(o, "unmap_cause", json_object_new_string(p2pb_unmap_cause_name(a->unmap_cause)));
		add(o, "later_invalidates", jint(a->later_invalidates));
	}
	add(o, "fences_checked", jint(a->fences_checked));
	add(o, "fences_late", jint(a->fences_late));
	if (a->invalidated && (a->exporter_at_invalidate & P2PB_EXPORTER_READ))
		add(o, "exporter_at_invalidate", exporter_state_json(a->exporter_at_invalidate));
	if (a->unmapped && (a->exporter_at_unmap & P2PB_EXPORTER_READ))
		add(o, "exporter_at_unmap", exporter_state_json(a->exporter_at_unmap));
	if (a->exporter_unmap_ns)
		add(o, "exporter_unmap_ns", ju64(a->exporter_unmap_ns));
	p2pb_att_metrics(a, &mv);
	metrics_json(o, &mv, P2PB_PER_ATTACHMENT);
	return o;
}

static void iter_probe_json(json_object *o, const struct p2pb_iter_result *it)
{
	add(o, "config_read_start_ns", ju64(it->cfg_start_ns));
	add(o, "config_read_errno", jint(it->cfg_errno));
	add(o, "bar_read_start_ns", ju64(it->bar_start_ns));
	add(o, "bar_read_errno", jint(it->bar_errno));
}

/* Read-backs of where stale transfers wrote, by an engine that makes them (iommufd dma=edu). */
static void stale_checks_json(json_object *d, uint64_t checks, uint64_t landed, uint64_t unknown)
{
	if (!checks)
		return;
	add(d, "stale_checks", ju64(checks));
	add(d, "stale_landed", ju64(landed));
	add(d, "stale_unknown", ju64(unknown));
}

static json_object *iter_dma_json(const struct p2pb_iter_result *it)
{
	json_object *d = json_object_new_object();

	add(d, "before", window_json(&it->before));
	add(d, "during", window_json(&it->during));
	add(d, "after", window_json(&it->after));
	add(d, "stale_transfers", ju64(it->obs.stale_transfers));
	add(d, "iommu_fault_irqs", ju64(it->obs.iommu_fault_irqs));
	stale_checks_json(d, it->obs.stale_checks, it->obs.stale_landed, it->obs.stale_unknown);
	return d;
}

static json_object *rel_ns(uint64_t ts, uint64_t t0)
{
	return ts ? json_object_new_int64((int64_t)(ts - t0)) : NULL;
}

/* The load through one iteration; times relative to the trigger's start (t0). */
static json_object *iter_load_json(const struct p2pb_iter_result *it)
{
	const struct p2pb_load_obs *lo = &it->load_obs;
	json_object *o = json_object_new_object(), *tl = json_object_new_object();
	json_object *bytes = json_object_new_array(), *errs = json_object_new_array();
	unsigned int i;

	add(o, "last_completion_ns", rel_ns(lo->last_before_ns, it->t0_ns));
	add(o, "first_completion_ns", rel_ns(lo->first_after_ns, it->t0_ns));
	add(o, "revoked_bytes", ju64(lo->revoked_bytes));
	add(o, "io_errors", ju64(lo->io_errors));
	add(o, "io_timeouts", ju64(lo->io_timeouts));
	add(o, "last_error", jint(lo->last_error));
	add(tl, "bin_ns", ju64(lo->bin_ns));
	add(tl, "start_ns", json_object_new_int64((int64_t)(lo->bins_start_ns - it->t0_ns)));
	for (i = 0; i < lo->n_bins; i++) {
		json_object_array_add(bytes, ju64(lo->bin_bytes[i]));
		json_object_array_add(errs, jint(lo->bin_errors[i]));
	}
	add(tl, "bytes", bytes);
	add(tl, "errors", errs);
	add(tl, "dropped", json_object_new_boolean(lo->bins_dropped));
	add(o, "timeline", tl);
	return o;
}

/* The watchdog fired: how long, the importers' state, the trigger's kernel stack a frame a line. */
static json_object *stuck_json(const struct p2pb_iter_result *it)
{
	json_object *st = json_object_new_object(), *frames = json_object_new_array();
	const char *p = it->stuck_stack;

	add(st, "after_ns", ju64(it->obs.trigger_ns));
	add(st, "unmapped_for_ns", ju64(it->obs.stuck_unmapped_for_ns));
	add(st, "mapped", jint(it->obs.stuck_mapped));
	while (*p) {
		size_t n = strcspn(p, "\n");

		json_object_array_add(frames, json_object_new_string_len(p, (int)n));
		p += n + (p[n] == '\n');
	}
	add(st, "kernel_stack", frames);
	return st;
}

/* --verify: the blocks read back after the iteration (C8). */
static json_object *data_json(const struct p2pb_iter_obs *ob)
{
	json_object *d = json_object_new_object();

	add(d, "blocks", ju64(ob->data_blocks));
	add(d, "device_blocks", ju64(ob->data_device));
	add(d, "bad_blocks", ju64(ob->data_bad));
	add(d, "first_bad", ob->data_bad ? json_object_new_string(ob->data_evidence) : NULL);
	add(d, "filled_blocks", ob->data_tracked ? ju64(ob->data_filled) : NULL);
	add(d, "missing_blocks", ob->data_tracked ? ju64(ob->data_missing) : NULL);
	add(d, "first_missing", ob->data_missing ? json_object_new_string(ob->data_missing_evidence) : NULL);
	add(d, "moved_bytes", ju64(ob->data_moved_bytes));
	return d;
}

/* What a bounded return let through, and when the exporter's memory went away (C9). */
static void harm_json(json_object *o, const struct p2pb_iter_result *it)
{
	const struct p2pb_iter_obs *ob = &it->obs;
	json_object *h, *g = NULL;

	if (it->harm_atts) {
		h = json_object_new_object();
		add(h, "dead_bar_mapped_ns", ju64(it->harm_dead_mapped_ns));
		add(h, "attachments", jint(it->harm_atts));
		add(h, "bytes", it->load ? ju64(it->harm_bytes) : NULL);
		add(o, "harm", h);
	}
	if (!ob->memory_watched)
		return;
	if (ob->memory_gone) {
		g = json_object_new_object();
		add(g, "t_ns", ju64(ob->memory_gone_ns));
		add(g, "what", json_object_new_string(ob->memory_gone_what));
	}
	add(o, "memory_gone", g);
}

/* What the contract's map attempts saw: while revoked, on the old dma-buf, the remap. */
static void map_attempts_json(json_object *o, const struct p2pb_iter_obs *ob)
{
	if (ob->map_while_revoked_tried)
		add(o, "map_while_revoked_errno", jint(ob->map_while_revoked_errno));
	if (ob->old_dmabuf_tried)
		add(o, "old_dmabuf_map_errno", jint(ob->old_dmabuf_map_errno));
	if (ob->remap_tried)
		add(o, "remap_ok", json_object_new_boolean(!ob->remap_errno));
}

static json_object *iter_json(const struct p2pb_iter_result *it)
{
	const struct p2pb_iter_obs *ob = &it->obs;
	json_object *o = json_object_new_object(), *atts = json_object_new_array();
	struct p2pb_metric_values mv;
	unsigned int a;

	add(o, "index", jint(ob->index));
	add(o, "warmup", json_object_new_boolean(it->warmup));
	add(o, "t0_ns", ju64(it->t0_ns));
	add(o, "trigger_returned", json_object_new_boolean(ob->trigger_returned));
	if (!ob->trigger_returned && !ob->trigger_errno)
		add(o, "stuck", stuck_json(it));
	add(o, "trigger_errno", jint(ob->trigger_errno));
	add(o, "mapped_at_trigger_return", jint(ob->mapped_at_return));
	add(o, "revoke_timeouts", jint(ob->bound_timeouts));
	if (it->probed)
		iter_probe_json(o, it);
	map_attempts_json(o, ob);
	if (it->dma)
		add(o, "dma", iter_dma_json(it));
	if (it->load)
		add(o, "load", iter_load_json(it));
	if (ob->data_checked)
		add(o, "data", data_json(ob));
	add(o, "forced_unmap", json_object_new_boolean(it->forced_unmap));
	add(o, "kernel_log", p2pb_json_kmsg(&ob->klog));
	harm_json(o, it);
	if (it->kernel_events)
		add(o, "kernel_events", json_object_get(it->kernel_events));
	for (a = 0; a < ob->n_atts; a++)
		json_object_array_add(atts, att_json(&it->atts[a]));
	add(o, "attachments", atts);
	p2pb_iter_metrics(it, &mv);
	metrics_json(o, &mv, P2PB_PER_ITERATION);	/* last: into the dma and load objects above */
	return o;
}

/* An importer, and the kernel's P2P route to it from the exporter @device when both are PCI functions. */
static json_object *importer_json(const struct p2pb_importer_info *in, const char *device)
{
	json_object *o = json_object_new_object(), *dev = NULL;
	const char *exporter = p2pb_exporter_function(device);

	add(o, "spec", json_object_new_string(in->spec->text));
	add(o, "kind", json_object_new_string(in->spec->ops->name));
	if (in->describe) {
		json_object_object_foreach(in->describe, k, v)
			add(o, k, json_object_get(v));
		json_object_object_get_ex(in->describe, "device", &dev);
	}
	if (dev && json_object_is_type(dev, json_type_string) && exporter)
		add(o, "route", p2pb_topo_route_json(exporter, json_object_get_string(dev)));
	return o;
}

static json_object *injected_json(const struct p2pb_injected *x, bool never)
{
	json_object *o = json_object_new_object();
	char caught[160];

	add(o, "fault", json_object_new_string(x->fault));
	add(o, "iterations", jint(x->iterations));
	if (never) {
		add(o, "forced_releases", jint(x->forced_releases));
		add(o, "bounded_returns", jint(x->bounded_returns));
		snprintf(caught, sizeof(caught), "%s%s%s",
			 x->forced_releases ? "p2pbench's forced release after the quiesce timeout" : "",
			 x->forced_releases && x->bounded_returns ? "; " : "",
			 x->bounded_returns ? "the configured revoke bound" : "");
	} else {
		add(o, "stale_transfers", ju64(x->stale_transfers));
		add(o, "iommu_fault_irqs", ju64(x->iommu_fault_irqs));
		add(o, "io_errors", ju64(x->io_errors));
		stale_checks_json(o, x->stale_checks, x->stale_landed, x->stale_unknown);
		snprintf(caught, sizeof(caught), "%s", x->stale_landed ? "nothing: stale writes landed (read back)" :
			 x->iommu_fault_irqs ? "IOMMU faults" :
			 x->stale_checks ? "the IOMMU, without a fault interrupt (read back: nothing landed)" :
			 x->stale_transfers ? "nothing: stale writes landed without an IOMMU fault" : "");
	}
	add(o, "caught_by", caught[0] ? json_object_new_string(caught) : NULL);
	return o;
}

json_object *p2pb_verdict_json(const struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx)
{
	json_object *o = json_object_new_object(), *viol = json_object_new_array(), *cl = json_object_new_object();
	json_object *inj = json_object_new_array();
	unsigned int i;

	add(o, "outcome", json_object_new_string(p2pb_outcome_name(v->outcome)));
	for (i = 0; i < P2PB_N_CLAUSES; i++)
		add(cl, p2pb_clauses[i].id, json_object_new_string(v->violated & (1u << i) ? "fail" :
					    v->judged & (1u << i) ? "pass" : "not judged"));
	add(o, "clauses", cl);
	for (i = 0; i < v->n_v; i++) {
		json_object *x = json_object_new_object();

		add(x, "clause", json_object_new_string(p2pb_clauses[v->v[i].clause].id));
		add(x, "iteration", v->v[i].iteration < 0 ? NULL : jint(v->v[i].iteration));
		add(x, "evidence", json_object_new_string(v->v[i].evidence));
		json_object_array_add(viol, x);
	}
	add(o, "violations", viol);
	add(o, "violations_not_listed", jint(v->v_dropped));
	add(o, "bounded_iterations", jint(v->bounded_iterations));
	if (v->bounded_evidence[0])
		add(o, "bounded", json_object_new_string(v->bounded_evidence));
	add(o, "announced_warnings", jint(v->announced_warnings));
	if (ctx->injected_never_unmap)
		json_object_array_add(inj, injected_json(&v->never_unmap, true));
	if (ctx->injected_dma_after_unmap)
		json_object_array_add(inj, injected_json(&v->dma_after_unmap, false));
	add(o, "injected_importer_faults", inj);
	if (v->error[0])
		add(o, "error", json_object_new_string(v->error));
	if (v->skip[0])
		add(o, "skip", json_object_new_string(v->skip));
	return o;
}

static json_object *summary_json(const struct p2pb_case_result *r)
{
	json_object *sum = json_object_new_object(), *d;

	add(sum, "forced_iterations", jint(r->forced_iters));
	if (r->dma) {
		d = json_object_new_object();
		add(d, "before", window_total_json(&r->dma_before));
		add(d, "during", window_total_json(&r->dma_during));
		add(d, "after", window_total_json(&r->dma_after));
		add(d, "stale_transfers", ju64(r->dma_stale));
		add(sum, "dma", d);
	}
	if (r->load) {
		d = json_object_new_object();
		add(d, "revoked_bytes", ju64(r->load_revoked_bytes));
		add(d, "io_errors", ju64(r->load_io_errors));
		add(d, "io_timeouts", ju64(r->load_io_timeouts));
		add(sum, "load", d);
	}
	return sum;
}

static const char *status_name(enum p2pb_outcome o)
{
	static const char *const names[] = {
		[P2PB_PASS] = "pass", [P2PB_BOUNDED] = "bounded", [P2PB_SKIP] = "skip",
		[P2PB_ERROR] = "error", [P2PB_FAIL] = "fail",
	};

	return names[o];
}

/* The first line worth reading when a case is not a plain pass. */
static const char *reason(const struct p2pb_case_result *r)
{
	const struct p2pb_verdict *v = &r->verdict;

	switch (v->outcome) {
	case P2PB_FAIL: return v->n_v ? v->v[0].evidence : "contract violated";
	case P2PB_ERROR: return v->error;
	case P2PB_SKIP: return v->skip;
	case P2PB_BOUNDED: return v->bounded_evidence;
	default: return NULL;
	}
}

json_object *p2pb_case_json(const struct p2pb_case_result *r)
{
	const struct p2pb_job *j = &r->job;
	const char *exporter = p2pb_exporter_function(j->device);	/* its PCI function, NULL for none */
	json_object *o = json_object_new_object(), *imps = json_object_new_array(), *bufs = json_object_new_array();
	json_object *its = json_object_new_array();
	unsigned int i;

	add(o, "name", json_object_new_string(j->name));
	add(o, "trigger", json_object_new_string(j->trigger->name));
	add(o, "device", json_object_new_string(j->device));
	add(o, "topology", exporter ? p2pb_topo_json(exporter) : NULL);
	add(o, "bar", jint(j->bar));
	for (i = 0; i < r->n_dmabufs; i++) {
		json_object *b = json_object_new_object();

		add(b, "offset", ju64(r->range[i].offset));
		add(b, "length", ju64(r->range[i].length));
		json_object_array_add(bufs, b);
	}
	add(o, "dmabufs", bufs);
	for (i = 0; i < r->n_importers; i++)
		json_object_array_add(imps, importer_json(&r->importers[i], j->device));
	add(o, "importers", imps);
	add(o, "iterations_requested", jint(j->iterations));
	add(o, "iterations_measured", jint(r->measured));
	add(o, "quiesce_timeout_ns", ju64(j->quiesce_timeout_ns));
	add(o, "verify", json_object_new_boolean(j->verify));
	if (r->readback_blocks) {
		json_object *rb = json_object_new_object();

		add(rb, "blocks", ju64(r->readback_blocks));
		add(rb, "bad_blocks", ju64(r->readback_bad));
		add(o, "device_readback", rb);
	}
	add(o, "revoke_bound_ms", jint(r->ctx.bound_ms));
	/* C9's kernel side: the exporter's state changes from kprobes, or why not */
	add(o, "memory_watch", json_object_new_string(r->memory_watched ? "kprobes" : r->memory_watch_off));
	/* the worst iteration's harm: how long a mapping outlived the exporter's memory */
	add(o, "harm_dead_bar_mapped_ns", ju64(r->harm_dead_mapped_max_ns));
	add(o, "status", json_object_new_string(status_name(r->verdict.outcome)));
	if (reason(r))
		add(o, "reason", json_object_new_string(reason(r)));
	add(o, "verdict", p2pb_verdict_json(&r->verdict, &r->ctx));
	add(o, "kernel_log", p2pb_json_kmsg(&r->klog));
	add(o, "iommu_fault_irqs", ju64(r->iommu_fault_irqs));
	add(o, "summary", summary_json(r));
	summaries_json(o, r);
	for (i = 0; i < r->n_iters; i++)
		json_object_array_add(its, iter_json(&r->iters[i]));
	add(o, "iterations", its);
	return o;
}

/* "C1 iteration 3" or "C7" (the case as a whole) */
static const char *where(const struct p2pb_violation *x, char *buf, size_t len)
{
	if (x->iteration < 0)
		snprintf(buf, len, "%s", p2pb_clauses[x->clause].id);
	else
		snprintf(buf, len, "%s iteration %d", p2pb_clauses[x->clause].id, x->iteration);
	return buf;
}

/* ---- KTAP: one test per case, a subtest per contract clause ---- */

static void clause_ktap(struct p2pb_ktap *k, const struct p2pb_verdict *v, unsigned int i)
{
	const struct p2pb_clause_info *c = &p2pb_clauses[i];
	unsigned int n;
	char w[48];

	if (v->violated & (1u << i)) {
		for (n = 0; n < v->n_v; n++)
			if (v->v[n].clause == i)
				fprintf(k->f, "    # %s: %s\n", where(&v->v[n], w, sizeof(w)), v->v[n].evidence);
		fprintf(k->f, "    not ok %u %s_%s\n", i + 1, c->id, c->key);
	} else if (v->judged & (1u << i)) {
		fprintf(k->f, "    ok %u %s_%s\n", i + 1, c->id, c->key);
	} else {
		fprintf(k->f, "    ok %u %s_%s # SKIP not exercised by this case\n", i + 1, c->id, c->key);
	}
}

void p2pb_case_ktap(struct p2pb_ktap *k, const struct p2pb_case_result *r)
{
	const struct p2pb_verdict *v = &r->verdict;
	char desc[160];
	unsigned int i;

	if (!k->f)
		return;
	snprintf(desc, sizeof(desc), "revoke.%s", r->job.name);
	if (v->outcome != P2PB_SKIP && v->outcome != P2PB_ERROR) {
		fprintf(k->f, "    # Subtest: %s\n    1..%d\n", desc, P2PB_N_CLAUSES);
		for (i = 0; i < P2PB_N_CLAUSES; i++)
			clause_ktap(k, v, i);
	}
	if (v->outcome == P2PB_BOUNDED)
		p2pb_ktap_diag(k, "%s: BOUNDED in %u iteration(s): %s", desc, v->bounded_iterations,
			       v->bounded_evidence);
	if (v->outcome == P2PB_SKIP)
		p2pb_ktap_result(k, P2PB_KTAP_SKIP, desc, v->skip);
	else
		p2pb_ktap_result(k, v->outcome == P2PB_FAIL || v->outcome == P2PB_ERROR ? P2PB_KTAP_FAIL :
				 P2PB_KTAP_OK, desc, reason(r));
}

/* ---- the terminal table ---- */

void p2pb_case_table_header(void)
{
	printf("%-28s %-22s %10s %10s %10s %10s\n", "CASE", "METRIC", "p50", "p90", "p99", "max");
}

static void row(const char *name, const char *metric, const struct p2pb_hist *h)
{
	char b[4][32];

	if (!h->count)
		return;
	printf("%-28.28s %-22s %10s %10s %10s %10s\n", name, metric,
	       p2pb_fmt_ns(p2pb_hist_percentile(h, 50), b[0], 32), p2pb_fmt_ns(p2pb_hist_percentile(h, 90), b[1], 32),
	       p2pb_fmt_ns(p2pb_hist_percentile(h, 99), b[2], 32), p2pb_fmt_ns(h->max, b[3], 32));
}

static double rate_kb(const struct p2pb_window *w)
{
	return w->ns ? (double)w->bytes * 1e6 / (double)w->ns : 0.0;
}

static void verdict_rows(const struct p2pb_case_result *r)
{
	const struct p2pb_verdict *v = &r->verdict;
	unsigned int i;
	char w[48];

	switch (v->outcome) {
	case P2PB_PASS:
		printf("%-28s PASS %u iterations, clauses", "", r->measured);
		for (i = 0; i < P2PB_N_CLAUSES; i++)
			if (v->judged & (1u << i))
				printf(" %s", p2pb_clauses[i].id);
		printf(" held%s\n", r->forced_iters ? "; stuck importer released by the quiesce timeout" : "");
		break;
	case P2PB_BOUNDED:
		printf("%-28s BOUNDED (%u iterations): %s\n", "", v->bounded_iterations, v->bounded_evidence);
		break;
	case P2PB_FAIL:
		for (i = 0; i < v->n_v; i++)
			printf("%-28s FAIL %s: %s\n", "", where(&v->v[i], w, sizeof(w)), v->v[i].evidence);
		if (v->v_dropped)
			printf("%-28s FAIL ... and %u more violations (see the JSON)\n", "", v->v_dropped);
		break;
	case P2PB_ERROR:
		printf("%-28.28s ERROR: %s\n", r->h[P2PB_M_REVOKE_TO_QUIESCE].count ? "" : r->job.name, v->error);
		break;
	case P2PB_SKIP:
		printf("%-28.28s SKIP: %s\n", r->job.name, v->skip);
		break;
	}
}

/* Several importers: each one's invalidate->unmap, so the table says which one the revoke waited for. */
static void importer_rows(const struct p2pb_case_result *r)
{
	char label[32];
	unsigned int i;

	for (i = 0; r->n_importers > 1 && i < r->n_importers && i < P2PB_TABLE_IMPORTERS; i++) {
		snprintf(label, sizeof(label), "inv->unmap #%u %.7s", i, r->importers[i].spec->ops->name);
		row("", label, &r->unmap_by_importer[i]);
	}
}

void p2pb_case_table(const struct p2pb_case_result *r)
{
	const struct p2pb_kmsg_counts *k = &r->klog;

	unsigned int m;

	for (m = 0; m < P2PB_N_CASE_METRICS; m++)
		if (p2pb_metrics[m].summary)
			row(m ? "" : r->job.name, p2pb_metrics[m].label, &r->h[m]);
	importer_rows(r);
	if (r->load) {
		printf("%-28s load: %.2f MB/s before, %.2f while revoked, %.2f after; %llu bytes moved while "
		       "revoked; %llu I/O errors, %llu timeouts\n", "", rate_kb(&r->dma_before) / 1e3,
		       rate_kb(&r->dma_during) / 1e3, rate_kb(&r->dma_after) / 1e3,
		       (unsigned long long)r->load_revoked_bytes, (unsigned long long)r->load_io_errors,
		       (unsigned long long)r->load_io_timeouts);
	} else if (r->dma && r->measured) {
		printf("%-28s device DMA: %.1f KB/s before, %.1f during, %.1f after the revoke; "
		       "%llu transfers after unmap\n", "", rate_kb(&r->dma_before), rate_kb(&r->dma_during),
		       rate_kb(&r->dma_after), (unsigned long long)r->dma_stale);
	}
	if (r->job.verify && r->data_blocks)
		printf("%-28s data (--verify): %llu blocks read back, %llu holding the device's data, %llu bad, "
		       "%llu filled by a read, %llu of those missing the data\n", "",
		       (unsigned long long)r->data_blocks, (unsigned long long)r->data_device,
		       (unsigned long long)r->data_bad, (unsigned long long)r->data_filled,
		       (unsigned long long)r->data_missing);
	if (r->readback_blocks)
		printf("%-28s data written to the device, read back: %llu blocks, %llu bad\n", "",
		       (unsigned long long)r->readback_blocks, (unsigned long long)r->readback_bad);
	if (p2pb_kmsg_findings(k) || k->revoke_timeouts || k->dmar_faults)
		printf("%-28s kernel log: %u WARN (%u announced by the revoke bound), %u BUG/Oops, %u other "
		       "forbidden, %u revoke timeouts, %u DMAR faults\n", "", k->warnings, k->announced_warnings,
		       k->bugs, k->refcount + k->lockdep + k->kasan + k->ubsan + k->hung_tasks + k->rcu_stalls,
		       k->revoke_timeouts, k->dmar_faults);
	verdict_rows(r);
}

/* ---- the merged timeline of --trace --timeline ---- */

struct tl_entry {
	int64_t t;
	char text[200];
};

static int tl_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct tl_entry *)a)->t, y = ((const struct tl_entry *)b)->t;

	return x < y ? -1 : x > y;
}

#define TL_MAX 256

static unsigned int tl_ours(const char *trigger, const struct p2pb_iter_result *it, struct tl_entry *e)
{
	unsigned int n = 0, a;

	e[n].t = 0;
	snprintf(e[n++].text, sizeof(e[0].text), "p2pbench   %s starts", trigger);
	e[n].t = (int64_t)it->obs.trigger_ns;
	snprintf(e[n++].text, sizeof(e[0].text), "p2pbench   %s returns (errno %d, %d still mapped)", trigger,
		 it->obs.trigger_errno, it->obs.mapped_at_return);
	if (it->probed) {
		e[n].t = (int64_t)(it->bar_start_ns + it->bar_ns);
		snprintf(e[n++].text, sizeof(e[0].text), "p2pbench   BAR read returns after %.3f ms",
			 (double)it->bar_ns / 1e6);
	}
	for (a = 0; a < it->obs.n_atts && n < TL_MAX / 2; a++) {
		const struct p2pb_att_obs *o = &it->atts[a];

		if (!o->invalidated)
			continue;
		e[n].t = (int64_t)o->trigger_to_invalidate_ns;
		snprintf(e[n++].text, sizeof(e[0].text), "importer%-2u invalidate, dma-buf %u", o->importer, o->dmabuf);
		if (!o->unmapped)
			continue;
		e[n].t = (int64_t)p2pb_att_unmap_ns(o);
		snprintf(e[n++].text, sizeof(e[0].text), "importer%-2u unmap, dma-buf %u", o->importer, o->dmabuf);
	}
	return n;
}

static unsigned int tl_kernel(json_object *events, struct tl_entry *e, unsigned int n)
{
	size_t i;

	for (i = 0; events && i < json_object_array_length(events) && n < TL_MAX; i++) {
		json_object *o = json_object_array_get_idx(events, i), *ev, *args, *t;

		if (!json_object_object_get_ex(o, "event", &ev) || !json_object_object_get_ex(o, "args", &args) ||
		    !json_object_object_get_ex(o, "t_ns", &t))
			continue;
		e[n].t = json_object_get_int64(t);
		snprintf(e[n++].text, sizeof(e[0].text), "kernel     %s %s", json_object_get_string(ev),
			 json_object_get_string(args));
	}
	return n;
}

void p2pb_case_timeline(const struct p2pb_case_result *r, bool kernel_tracepoints, bool traced)
{
	struct tl_entry *e = calloc(TL_MAX, sizeof(*e));
	unsigned int i, n, k;

	if (!e)
		return;
	printf("\n%s: timeline (%s)\n", r->job.name, !traced ? "no kernel events" :
	       kernel_tracepoints ? "kernel: vfio_pci_dmabuf tracepoints" : "kernel: kprobes");
	for (i = 0; i < r->n_iters; i++) {
		const struct p2pb_iter_result *it = &r->iters[i];

		printf("iteration %u (t0 = %.6f s CLOCK_MONOTONIC)\n", it->obs.index, (double)it->t0_ns / 1e9);
		n = tl_ours(r->job.trigger->name, it, e);
		n = tl_kernel(it->kernel_events, e, n);
		qsort(e, n, sizeof(e[0]), tl_cmp);
		for (k = 0; k < n; k++)
			printf("  %+12.3f ms  %s\n", (double)e[k].t / 1e6, e[k].text);
	}
	free(e);
}

/* ---- the closing summary: one row per case with its verdict ---- */

void p2pb_case_summarize(const struct p2pb_case_result *r, struct p2pb_case_summary *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", r->job.name);
	s->outcome = r->verdict.outcome;
	s->iterations = r->measured;
	s->r2q_p50 = p2pb_hist_percentile(&r->h[P2PB_M_REVOKE_TO_QUIESCE], 50);
	s->r2q_max = r->h[P2PB_M_REVOKE_TO_QUIESCE].max;
	s->trigger_p50 = p2pb_hist_percentile(&r->h[P2PB_M_TRIGGER], 50);
	for (i = 0; i < P2PB_N_CLAUSES; i++)
		if (r->verdict.violated & (1u << i))
			snprintf(s->clauses + strlen(s->clauses), sizeof(s->clauses) - strlen(s->clauses), "%s%s",
				 s->clauses[0] ? "," : "", p2pb_clauses[i].id);
}

void p2pb_case_summary_table(const struct p2pb_case_summary *s, unsigned int n)
{
	char b[3][32];
	unsigned int i;

	printf("\n%-28s %-8s %-12s %5s %10s %10s %10s\n", "CASE", "VERDICT", "FAILED", "ITER", "r2q p50",
	       "r2q max", "trig p50");
	for (i = 0; i < n; i++)
		printf("%-28.28s %-8s %-12s %5u %10s %10s %10s\n", s[i].name, p2pb_outcome_name(s[i].outcome),
		       s[i].clauses[0] ? s[i].clauses : "-", s[i].iterations, p2pb_fmt_ns(s[i].r2q_p50, b[0], 32),
		       p2pb_fmt_ns(s[i].r2q_max, b[1], 32), p2pb_fmt_ns(s[i].trigger_p50, b[2], 32));
}
