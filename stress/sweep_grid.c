// SPDX-License-Identifier: GPL-2.0
/*
 * How a bounded revoke wait behaves (p2pbench timeout-sweep), cell by cell:
 * importer unmap delay x revoke timeout x policy x trigger. Needs vfio-pci
 * with kernel/vfio/patches (module parameters revoke_timeout_ms and
 * revoke_timeout_policy); every cell is one revoke case with a config-space
 * probe, so each reports revoke-to-quiesce, how long the trigger (and anyone
 * else touching the device) was held up, how often the timeout fired, the
 * WARNs it logged, and whether importers still held a mapping when the
 * kernel gave up waiting.
 */
#define _GNU_SOURCE
#include "sweep_grid.h"
#include "revoke_case.h"

#include "clock.h"
#include "error.h"
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AXIS P2PB_SWEEP_MAX_AXIS

static int split(struct p2pb_sweep_axis *a, const char *list, const char *what)
{
	char *t, *save = NULL;

	if (strlen(list) >= sizeof(a->buf))
		return p2pb_fail(-EINVAL, "--%s list too long", what);
	snprintf(a->buf, sizeof(a->buf), "%s", list);
	a->n = 0;
	for (t = strtok_r(a->buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (a->n == MAX_AXIS)
			return p2pb_fail(-EINVAL, "--%s: at most %d values", what, MAX_AXIS);
		a->v[a->n++] = t;
	}
	if (!a->n)
		return p2pb_fail(-EINVAL, "--%s: empty list", what);
	return 0;
}

/* The importer of one cell: the test module with the cell's unmap delay. */
static void cell_spec(char *buf, size_t len, const char *delay, const char *imp_dev, const char *dma,
		      bool misbehave)
{
	snprintf(buf, len, "kmod:delay=%s%s%s%s%s%s", delay, imp_dev ? ",dev=" : "", imp_dev ? imp_dev : "",
		 dma ? ",dma=" : "", dma ? dma : "", dma && misbehave ? ",dma-after-unmap=1" : "");
}

static void fill_row(struct p2pb_sweep_row *w, const struct p2pb_case_result *r)
{
	unsigned int i;

	w->r2q_p50 = p2pb_hist_percentile(&r->h[P2PB_M_REVOKE_TO_QUIESCE], 50);
	w->r2q_max = r->h[P2PB_M_REVOKE_TO_QUIESCE].max;
	w->trig_p50 = p2pb_hist_percentile(&r->h[P2PB_M_TRIGGER], 50);
	w->trig_max = r->h[P2PB_M_TRIGGER].max;
	w->cfg_max = r->h[P2PB_M_CONFIG_READ].max;
	w->bar_max = r->h[P2PB_M_BAR_READ].max;
	w->timeouts = r->klog.revoke_timeouts + r->klog.revoke_still_waiting;
	w->warnings = r->klog.warnings;
	for (i = 0; i < r->n_iters; i++)
		if (r->iters[i].obs.mapped_at_return > (int)w->mapped)
			w->mapped = (unsigned int)r->iters[i].obs.mapped_at_return;
	w->dma = r->dma;
	w->dma_revoked_bytes = r->dma_during.bytes;
	w->fault_irqs = r->iommu_fault_irqs;
	w->harm_ns = r->harm_dead_mapped_max_ns;
	w->outcome = r->verdict.outcome;
	for (i = 0; i < P2PB_N_CLAUSES; i++)
		if (r->verdict.violated & (1u << i))
			snprintf(w->clauses + strlen(w->clauses), sizeof(w->clauses) - strlen(w->clauses), " %s",
				 p2pb_clauses[i].id);
}

void p2pb_sweep_table(const struct p2pb_sweep *sw)
{
	char b[8][32], dma_rev[24], faults[24];
	unsigned int i;

	printf("\n%-10s %-20s %-8s %-9s %9s %9s %9s %9s %8s %5s %9s %9s %6s %9s %8s %6s %s\n", "TRIGGER",
	       "IMPORTER DELAY", "TIMEOUT", "POLICY", "r2q p50", "r2q max", "trig p50", "trig max", "timeouts",
	       "WARN", "cfg max", "BAR max", "mapped", "harm", "DMA rev", "faults", "VERDICT");
	for (i = 0; i < sw->done; i++) {
		const struct p2pb_sweep_row *w = &sw->cells[i];

		snprintf(b[5], 32, w->timeout_ms ? "%u ms" : "none", w->timeout_ms);
		snprintf(dma_rev, sizeof(dma_rev), w->dma ? "%llu" : "-", (unsigned long long)w->dma_revoked_bytes);
		snprintf(faults, sizeof(faults), w->dma ? "%llu" : "-", (unsigned long long)w->fault_irqs);
		if (w->harm_ns)
			p2pb_fmt_ns(w->harm_ns, b[7], 32);
		else
			snprintf(b[7], 32, "-");
		printf("%-10s %-20.20s %-8s %-9s %9s %9s %9s %9s %8u %5u %9s %9s %6u %9s %8s %6s %s%s\n",
		       w->trigger->name, w->delay, b[5], w->timeout_ms ? w->policy : "-",
		       p2pb_fmt_ns(w->r2q_p50, b[0], 32), p2pb_fmt_ns(w->r2q_max, b[1], 32),
		       p2pb_fmt_ns(w->trig_p50, b[2], 32), p2pb_fmt_ns(w->trig_max, b[3], 32), w->timeouts, w->warnings,
		       p2pb_fmt_ns(w->cfg_max, b[4], 32), p2pb_fmt_ns(w->bar_max, b[6], 32), w->mapped, b[7], dma_rev,
		       faults, p2pb_outcome_name(w->outcome), w->clauses);
	}
	printf("\nr2q: revoke-to-quiesce (trigger -> last importer unmapped); trig: the trigger syscall;\n"
	       "timeouts: revoke timeouts logged (proceed and warn-wait); WARN: kernel WARNs;\n"
	       "cfg/BAR max: longest config-space / BAR read through VFIO issued 2 ms into a revoke;\n"
	       "mapped: most mappings still live when the trigger returned; harm: the longest an importer\n"
	       "kept its mapping after the exporter's memory went away (memory off, reset, D3): the time its\n"
	       "device could DMA into a dead BAR; DMA rev: bytes the importer's\n"
	       "device wrote from the trigger until the revoke was undone; faults: IOMMU fault interrupts;\n"
	       "VERDICT: PASS, BOUNDED (the timeout let the trigger return with live mappings), FAIL and\n"
	       "the violated contract clauses, ERROR. See docs/timeout-evaluation.md.\n");
}

static int set_bound(const struct p2pb_sweep_row *w)
{
	char ms[16];

	snprintf(ms, sizeof(ms), "%u", w->timeout_ms);
	return p2pb_vfio_param_write("revoke_timeout_ms", ms) ||
	       (w->timeout_ms && p2pb_vfio_param_write("revoke_timeout_policy", w->policy)) ? -EINVAL : 0;
}

/* One cell: its case in the JSON (with the cell's parameters) and the KTAP, its row kept. */
static void run_cell(struct p2pb_session *s, const struct p2pb_job *j, struct p2pb_sweep_row *w, json_object *cases,
		     struct p2pb_ktap *ktap)
{
	struct p2pb_case_result r;
	json_object *sw = json_object_new_object();

	p2pb_revoke_case(s, j, cases, ktap, true, &r, NULL);
	fill_row(w, &r);
	p2pb_case_result_free(&r);
	json_object_object_add(sw, "delay", json_object_new_string(w->delay));
	json_object_object_add(sw, "timeout_ms", json_object_new_int((int)w->timeout_ms));
	json_object_object_add(sw, "policy", json_object_new_string(w->policy));
	json_object_object_add(json_object_array_get_idx(cases, json_object_array_length(cases) - 1), "sweep", sw);
}

/* Every value of every axis is valid; 0 or -EINVAL with a message. */
static int sweep_check(struct p2pb_sweep *w)
{
	char spec[P2PB_SPEC_LEN];
	struct p2pb_engine_spec sp;
	unsigned int i;

	if (p2pb_trigger_list(w->triggers, P2PB_TRIGGERS_ALL, w->trig, MAX_AXIS, &w->n_trig))
		return p2pb_fail(-EINVAL, "--triggers %s: %s", w->triggers, p2pb_error());
	if (split(&w->ax_delay, w->delays, "delays") || split(&w->ax_to, w->timeouts, "timeouts") ||
	    split(&w->ax_pol, w->policies, "policies"))
		return -EINVAL;
	for (i = 0; i < w->ax_to.n; i++)
		if (p2pb_parse_duration_ns(w->ax_to.v[i], 1000000, &w->to_ns[i]) || w->to_ns[i] % 1000000 ||
		    w->to_ns[i] / 1000000 > 3600000)
			return p2pb_fail(-EINVAL, "--timeouts %s: '%s' is not a whole number of ms up to 1h, "
					 "such as 0, 100ms, 1s", w->timeouts, w->ax_to.v[i]);
	for (i = 0; i < w->ax_pol.n; i++)
		if (strcmp(w->ax_pol.v[i], "proceed") && strcmp(w->ax_pol.v[i], "warn-wait"))
			return p2pb_fail(-EINVAL, "--policies %s: '%s' is not proceed or warn-wait", w->policies,
					 w->ax_pol.v[i]);
	for (i = 0; i < w->ax_delay.n; i++) {
		cell_spec(spec, sizeof(spec), w->ax_delay.v[i], w->imp_dev, w->dma, w->misbehave);
		if (p2pb_engine_spec_parse(spec, &sp) || p2pb_engine_spec_check(&sp))
			return -EINVAL;
	}
	if (w->beside && (p2pb_engine_spec_parse(w->beside, &sp) || p2pb_engine_spec_check(&sp)))
		return p2pb_fail(-EINVAL, "--beside %s: %s", w->beside, p2pb_error());
	return 0;
}

/* The grid as a list: trigger x delay x timeout x policy (one policy for timeout 0). */
static int sweep_cells(struct p2pb_sweep *w)
{
	unsigned int it, id, io, ip, n = 0;

	for (io = 0; io < w->ax_to.n; io++)
		n += w->to_ns[io] ? w->ax_pol.n : 1;
	w->cells = calloc(n * w->n_trig * w->ax_delay.n, sizeof(*w->cells));
	if (!w->cells)
		return -ENOMEM;
	for (it = 0; it < w->n_trig; it++)
		for (id = 0; id < w->ax_delay.n; id++)
			for (io = 0; io < w->ax_to.n; io++)
				for (ip = 0; ip < (w->to_ns[io] ? w->ax_pol.n : 1); ip++)
					w->cells[w->n_cells++] = (struct p2pb_sweep_row){
						.trigger = w->trig[it], .delay = w->ax_delay.v[id],
						.timeout_ms = (unsigned int)(w->to_ns[io] / 1000000),
						.policy = w->to_ns[io] ? w->ax_pol.v[ip] : "none" };
	return 0;
}

int p2pb_sweep_plan(struct p2pb_sweep *w)
{
	/* every cell: a 2 MiB range, no warm-up, the config-space probe */
	w->base.warmup = 0;
	w->base.config_probe = true;
	w->base.size = 2 * 1024 * 1024;
	return sweep_check(w) ? -EINVAL : sweep_cells(w);
}

int p2pb_sweep_prepare(struct p2pb_session *s, struct p2pb_sweep *w, struct p2pb_ktap *ktap, const char *ktap_path)
{
	unsigned int i;

	if (p2pb_session_claim_device(s, w->base.device, w->bind))
		return -EINVAL;
	if (p2pb_vfio_param_read("revoke_timeout_ms", w->old_to, sizeof(w->old_to)) ||
	    p2pb_vfio_param_read("revoke_timeout_policy", w->old_pol, sizeof(w->old_pol))) {
		w->old_to[0] = 0;
		for (i = 0; i < w->n_cells; i++)
			if (w->cells[i].timeout_ms)
				return p2pb_fail(-EINVAL, "this vfio-pci has no revoke timeout (no revoke_timeout_ms "
						 "parameter of vfio_pci_core): load vfio-pci built with kernel/vfio/patches "
						 "(in the lab: scripts/lab --vfio patched), or sweep --timeouts 0 only");
	}
	return ktap_path && p2pb_ktap_open(ktap, ktap_path, (int)w->n_cells) ? -EIO : 0;
}

/* Run the cells; the worst outcome. */
enum p2pb_outcome p2pb_sweep_run(struct p2pb_session *s, struct p2pb_sweep *w, struct p2pb_ktap *ktap,
				   json_object *doc)
{
	json_object *cases = json_object_new_array();
	enum p2pb_outcome worst = P2PB_PASS;
	char spec[P2PB_SPEC_LEN];

	json_object_object_add(doc, "cases", cases);
	for (; w->done < w->n_cells && !p2pb_interrupted && !p2pb_case_kernel_stuck(); w->done++) {
		struct p2pb_sweep_row *c = &w->cells[w->done];
		struct p2pb_job j = w->base;

		if (w->old_to[0] && set_bound(c)) {
			fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
			return P2PB_ERROR;
		}
		cell_spec(spec, sizeof(spec), c->delay, w->imp_dev, w->dma, w->misbehave);
		j.trigger = c->trigger;
		p2pb_job_add_importer(&j, spec);	/* the plan checked the specs */
		if (w->beside)
			p2pb_job_add_importer(&j, w->beside);
		if (c->timeout_ms)
			snprintf(j.name, sizeof(j.name), "%s/%s/%ums/%s", c->trigger->name, c->delay, c->timeout_ms,
				 c->policy);
		else
			snprintf(j.name, sizeof(j.name), "%s/%s/unbounded/-", c->trigger->name, c->delay);
		p2pb_session_progress(s, "cell %u/%u: %s", w->done + 1, w->n_cells, j.name);
		run_cell(s, &j, c, cases, ktap);
		worst = c->outcome > worst ? c->outcome : worst;
		if (w->json_path && p2pb_result_write(doc, w->json_path))
			fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
	}
	return worst;
}

void p2pb_sweep_restore(struct p2pb_sweep *w)
{
	if (w->old_to[0] && !p2pb_case_kernel_stuck()) {
		p2pb_vfio_param_write("revoke_timeout_ms", w->old_to);
		p2pb_vfio_param_write("revoke_timeout_policy", w->old_pol);
	}
}
