// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench timeout-sweep: how a bounded revoke wait behaves, cell by cell:
 * importer unmap delay x revoke timeout x policy x trigger. Needs vfio-pci
 * with kernel/vfio/patches (module parameters revoke_timeout_ms and
 * revoke_timeout_policy); every cell is one revoke case with a config-space
 * probe, so each reports revoke-to-quiesce, how long the trigger (and anyone
 * else touching the device) was held up, how often the timeout fired, the
 * WARNs it logged, and whether importers still held a mapping when the
 * kernel gave up waiting.
 */
#define _GNU_SOURCE
#include "revoke.h"

#include "clock.h"
#include "error.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AXIS 16

struct axis {
	char *v[MAX_AXIS];
	unsigned int n;
	char buf[512];
};

static int split(struct axis *a, const char *list, const char *what)
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

/* One table row: a cell's parameters and the figures a maintainer reads first. */
struct sweep_row {
	const char *trigger, *delay, *policy;
	unsigned int timeout_ms;
	uint64_t r2q_p50, r2q_max, trig_p50, trig_max, cfg_max, bar_max;
	unsigned int timeouts, warnings, mapped;
	bool dma;
	uint64_t dma_revoked_bytes, fault_irqs;
	enum p2pb_outcome outcome;
	char clauses[32];	/* the violated ones */
};

static void fill_row(struct sweep_row *w, const struct p2pb_case_result *r)
{
	unsigned int i;

	w->r2q_p50 = p2pb_hist_percentile(&r->h.r2q, 50);
	w->r2q_max = r->h.r2q.max;
	w->trig_p50 = p2pb_hist_percentile(&r->h.trigger, 50);
	w->trig_max = r->h.trigger.max;
	w->cfg_max = r->h.cfg.max;
	w->bar_max = r->h.bar.max;
	w->timeouts = r->klog.revoke_timeouts + r->klog.revoke_still_waiting;
	w->warnings = r->klog.warnings;
	for (i = 0; i < r->n_iters; i++)
		if (r->iters[i].obs.mapped_at_return > (int)w->mapped)
			w->mapped = (unsigned int)r->iters[i].obs.mapped_at_return;
	w->dma = r->dma;
	w->dma_revoked_bytes = r->dma_during.bytes;
	w->fault_irqs = r->iommu_fault_irqs;
	w->outcome = r->verdict.outcome;
	for (i = 0; i < P2PB_N_CLAUSES; i++)
		if (r->verdict.violated & (1u << i))
			snprintf(w->clauses + strlen(w->clauses), sizeof(w->clauses) - strlen(w->clauses), " %s",
				 p2pb_clauses[i].id);
}

static void print_table(const struct sweep_row *rows, unsigned int n)
{
	char b[7][32], dma_rev[24], faults[24];
	unsigned int i;

	printf("\n%-10s %-20s %-8s %-9s %9s %9s %9s %9s %8s %5s %9s %9s %6s %8s %6s %s\n", "TRIGGER",
	       "IMPORTER DELAY", "TIMEOUT", "POLICY", "r2q p50", "r2q max", "trig p50", "trig max", "timeouts",
	       "WARN", "cfg max", "BAR max", "mapped", "DMA rev", "faults", "VERDICT");
	for (i = 0; i < n; i++) {
		const struct sweep_row *w = &rows[i];

		snprintf(b[5], 32, w->timeout_ms ? "%u ms" : "none", w->timeout_ms);
		snprintf(dma_rev, sizeof(dma_rev), w->dma ? "%llu" : "-", (unsigned long long)w->dma_revoked_bytes);
		snprintf(faults, sizeof(faults), w->dma ? "%llu" : "-", (unsigned long long)w->fault_irqs);
		printf("%-10s %-20.20s %-8s %-9s %9s %9s %9s %9s %8u %5u %9s %9s %6u %8s %6s %s%s\n", w->trigger,
		       w->delay, b[5], w->timeout_ms ? w->policy : "-", p2pb_fmt_ns(w->r2q_p50, b[0], 32),
		       p2pb_fmt_ns(w->r2q_max, b[1], 32), p2pb_fmt_ns(w->trig_p50, b[2], 32),
		       p2pb_fmt_ns(w->trig_max, b[3], 32), w->timeouts, w->warnings, p2pb_fmt_ns(w->cfg_max, b[4], 32),
		       p2pb_fmt_ns(w->bar_max, b[6], 32), w->mapped, dma_rev, faults, p2pb_outcome_name(w->outcome),
		       w->clauses);
	}
	printf("\nr2q: revoke-to-quiesce (trigger -> last importer unmapped); trig: the trigger syscall;\n"
	       "timeouts: revoke timeouts logged (proceed and warn-wait); WARN: kernel WARNs;\n"
	       "cfg/BAR max: longest config-space / BAR read through VFIO issued 2 ms into a revoke;\n"
	       "mapped: most mappings still live when the trigger returned; DMA rev: bytes the importer's\n"
	       "device wrote from the trigger until the revoke was undone; faults: IOMMU fault interrupts;\n"
	       "VERDICT: PASS, BOUNDED (the timeout let the trigger return with live mappings), FAIL and\n"
	       "the violated contract clauses, ERROR. See docs/timeout-evaluation.md.\n");
}

static int set_bound(const struct sweep_row *w)
{
	char ms[16];

	snprintf(ms, sizeof(ms), "%u", w->timeout_ms);
	return p2pb_vfio_param_write("revoke_timeout_ms", ms) ||
	       (w->timeout_ms && p2pb_vfio_param_write("revoke_timeout_policy", w->policy)) ? -EINVAL : 0;
}

/* One cell: its case in the JSON (with the cell's parameters) and the KTAP, its row kept. */
static void run_cell(struct p2pb_session *s, const struct p2pb_job *j, struct sweep_row *w, json_object *cases,
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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2pbench timeout-sweep --device BDF --importer-dev BDF [options]\n\n"
		"Runs a revoke case for every cell of importer unmap delay x revoke timeout x\n"
		"timeout policy x trigger, on vfio-pci built with kernel/vfio/patches (in the lab:\n"
		"scripts/lab --vfio patched). Prints one table row per cell; --json writes every\n"
		"case in full. docs/timeout-evaluation.md explains how to read it.\n\n"
		"Options:\n"
		"  -d, --device BDF        exporter on vfio-pci (BAR2 is exported)\n"
		"      --importer-dev BDF  PCI function the test importer attaches as, bound to\n"
		"                          p2pbench_importer (required; the lab's edu: 0000:02:00.0)\n"
		"  -t, --triggers LIST     default mem-off,flr ('all' for every trigger)\n"
		"      --delays LIST       importer unmap delays, each a kmod delay= value\n"
		"                          (default 1ms,100ms,1s,2s,lognormal:50ms:1.5,never)\n"
		"      --timeouts LIST     revoke_timeout_ms values as durations, 0 = unbounded\n"
		"                          (default 0,100ms,1s,5s)\n"
		"      --policies LIST     default proceed,warn-wait (used when the timeout is not 0)\n"
		"  -n, --iterations N      per cell (default 3, no warm-up)\n"
		"      --quiesce-timeout D release a stuck importer after D (default 8s; must exceed\n"
		"                          the longest timeout for 'never' cells to mean anything)\n"
		"      --dma SIZE          the importer's device writes SIZE bytes per transfer into\n"
		"                          the mapping (QEMU edu); the table then shows bytes written\n"
		"                          while revoked and IOMMU faults: after a proceed timeout the\n"
		"                          mapping is still live, so writes land without a fault\n"
		"      --dma-misbehave     with --dma: the device ignores the invalidate and keeps\n"
		"                          writing, also after the unmap (the IOMMU then faults)\n"
		"      --bind              rebind the device to vfio-pci for the run, restore after\n"
		"      --json FILE, --ktap FILE\n"
		"  -q, --quiet             only the final table\n"
		"  -h, --help\n\n"
		"The module parameters are restored to their previous values at the end (Ctrl-C too).\n");
}

int p2pb_cmd_timeout_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, 0, 'd' }, { "importer-dev", required_argument, 0, 'I' },
		{ "triggers", required_argument, 0, 't' }, { "delays", required_argument, 0, 'D' },
		{ "timeouts", required_argument, 0, 'T' }, { "policies", required_argument, 0, 'P' },
		{ "iterations", required_argument, 0, 'n' }, { "quiesce-timeout", required_argument, 0, 'Q' },
		{ "bind", no_argument, 0, 'B' }, { "json", required_argument, 0, 'J' },
		{ "ktap", required_argument, 0, 'K' }, { "quiet", no_argument, 0, 'q' },
		{ "dma", required_argument, 0, 'M' }, { "dma-misbehave", no_argument, 0, 'W' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	const char *dma = NULL;
	bool misbehave = false;
	const char *triggers = "mem-off,flr", *delays = "1ms,100ms,1s,2s,lognormal:50ms:1.5,never";
	const char *timeouts = "0,100ms,1s,5s", *policies = "proceed,warn-wait";
	const char *json_path = NULL, *ktap_path = NULL, *imp_dev = NULL, *iters = "3", *qt = "8s";
	struct axis ax_trig, ax_delay, ax_to, ax_pol;
	struct p2pb_session s;
	struct p2pb_ktap ktap = { 0 };
	struct p2pb_job base;
	char old_to[32] = "", old_pol[32] = "", spec[P2PB_SPEC_LEN];
	json_object *doc, *cases;
	struct sweep_row *rows;
	enum p2pb_outcome worst = P2PB_PASS;
	unsigned int it, id, io, ip, n_cells = 0, cell = 0;
	uint64_t to_ns[MAX_AXIS], started = p2pb_now_ns();
	bool bind = false, quiet = false;
	int opt, rc = 0, err;

	p2pb_job_defaults(&base);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:t:n:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (p2pb_job_set(&base, "device", optarg)) {
				fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
				return 2;
			}
			break;
		case 'I': imp_dev = optarg; break;
		case 't': triggers = optarg; break;
		case 'D': delays = optarg; break;
		case 'T': timeouts = optarg; break;
		case 'P': policies = optarg; break;
		case 'n': iters = optarg; break;
		case 'Q': qt = optarg; break;
		case 'B': bind = true; break;
		case 'J': json_path = optarg; break;
		case 'K': ktap_path = optarg; break;
		case 'q': quiet = true; break;
		case 'M': dma = optarg; break;
		case 'W': misbehave = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!strcmp(triggers, "all"))
		triggers = "flr,mem-off,d3hot,low-power,hot-reset,close";
	/* everything is checked before anything changes */
	err = !base.device[0] ? p2pb_fail(-EINVAL, "no device: give --device BDF") :
	      !imp_dev ? p2pb_fail(-EINVAL, "no importer device: give --importer-dev BDF (bound to p2pbench_importer)") :
	      p2pb_job_set(&base, "iterations", iters) ? -EINVAL :
	      p2pb_job_set(&base, "quiesce-timeout", qt) ? -EINVAL :
	      split(&ax_trig, triggers, "triggers") ? -EINVAL : split(&ax_delay, delays, "delays") ? -EINVAL :
	      split(&ax_to, timeouts, "timeouts") ? -EINVAL : split(&ax_pol, policies, "policies") ? -EINVAL : 0;
	for (it = 0; !err && it < ax_trig.n; it++)
		if (!p2pb_trigger_find(ax_trig.v[it]))
			err = p2pb_fail(-EINVAL, "unknown trigger '%s'", ax_trig.v[it]);
	for (io = 0; !err && io < ax_to.n; io++)
		if (p2pb_parse_duration_ns(ax_to.v[io], 1000000, &to_ns[io]) || to_ns[io] % 1000000 ||
		    to_ns[io] / 1000000 > 3600000)
			err = p2pb_fail(-EINVAL, "timeout '%s': expected a whole number of ms such as 0, 100ms, 1s", ax_to.v[io]);
	for (ip = 0; !err && ip < ax_pol.n; ip++)
		if (strcmp(ax_pol.v[ip], "proceed") && strcmp(ax_pol.v[ip], "warn-wait"))
			err = p2pb_fail(-EINVAL, "policy '%s': expected proceed or warn-wait", ax_pol.v[ip]);
	for (id = 0; !err && id < ax_delay.n; id++) {
		struct p2pb_importer_spec sp;

		cell_spec(spec, sizeof(spec), ax_delay.v[id], imp_dev, dma, misbehave);
		if (p2pb_importer_spec_parse(spec, &sp))
			err = -EINVAL;
	}
	if (err) {
		fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
		return 2;
	}
	base.warmup = 0;
	base.config_probe = true;
	base.size = 2 * 1024 * 1024;
	for (io = 0; io < ax_to.n; io++)
		n_cells += to_ns[io] ? ax_pol.n : 1;
	n_cells *= ax_trig.n * ax_delay.n;

	p2pb_session_init(&s, quiet);
	if ((err = p2pb_session_claim_device(&s, base.device, bind))) {
		fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
		p2pb_session_finish(&s);
		return 2;
	}
	if (p2pb_vfio_param_read("revoke_timeout_ms", old_to, sizeof(old_to)) ||
	    p2pb_vfio_param_read("revoke_timeout_policy", old_pol, sizeof(old_pol))) {
		for (io = 0; io < ax_to.n && !to_ns[io]; io++)
			;
		if (io < ax_to.n) {
			fprintf(stderr, "p2pbench timeout-sweep: this vfio-pci has no revoke timeout "
				"(no revoke_timeout_ms parameter of vfio_pci_core): load vfio-pci built with "
				"kernel/vfio/patches (in the lab: scripts/lab --vfio patched), or sweep --timeouts 0 only\n");
			p2pb_session_finish(&s);
			return 2;
		}
		old_to[0] = 0;
	}
	if (ktap_path && p2pb_ktap_open(&ktap, ktap_path, (int)n_cells)) {
		fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
		p2pb_session_finish(&s);
		return 2;
	}

	doc = p2pb_result_new("timeout-sweep", argc, argv);
	cases = json_object_new_array();
	json_object_object_add(doc, "cases", json_object_get(cases));
	rows = calloc(n_cells, sizeof(*rows));
	for (it = 0; rows && it < ax_trig.n; it++)
		for (id = 0; id < ax_delay.n; id++)
			for (io = 0; io < ax_to.n; io++)
				for (ip = 0; ip < (to_ns[io] ? ax_pol.n : 1); ip++) {
					struct sweep_row *w = &rows[cell];
					struct p2pb_job j = base;

					if (p2pb_interrupted || p2pb_revoke_kernel_stuck())
						goto out;
					*w = (struct sweep_row){ .trigger = ax_trig.v[it], .delay = ax_delay.v[id],
								 .timeout_ms = (unsigned int)(to_ns[io] / 1000000),
								 .policy = to_ns[io] ? ax_pol.v[ip] : "none" };
					if (old_to[0] && set_bound(w)) {
						fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
						worst = P2PB_ERROR;
						goto out;
					}
					cell_spec(spec, sizeof(spec), w->delay, imp_dev, dma, misbehave);
					p2pb_job_set(&j, "trigger", w->trigger);
					p2pb_job_set(&j, "importer", spec);
					snprintf(j.name, sizeof(j.name), "%s/%s/%s/%s", w->trigger, w->delay,
						 to_ns[io] ? ax_to.v[io] : "unbounded", to_ns[io] ? w->policy : "-");
					p2pb_session_progress(&s, "cell %u/%u: %s", ++cell, n_cells, j.name);
					run_cell(&s, &j, w, cases, &ktap);
					worst = w->outcome > worst ? w->outcome : worst;
					if (json_path && p2pb_result_write(doc, json_path))
						fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
				}
out:
	p2pb_session_progress_done(&s);
	if (old_to[0] && !p2pb_revoke_kernel_stuck()) {
		p2pb_vfio_param_write("revoke_timeout_ms", old_to);
		p2pb_vfio_param_write("revoke_timeout_policy", old_pol);
	}
	json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted));
	json_object_object_add(doc, "duration_ns", p2pb_json_u64(p2pb_now_ns() - started));
	if (json_path && p2pb_result_write(doc, json_path))
		fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
	if (rows)
		print_table(rows, cell);
	printf("%u of %u cells in %.0f s%s\n", cell, n_cells,
	       (double)(p2pb_now_ns() - started) / 1e9, p2pb_interrupted ? " (interrupted)" : "");
	if (p2pb_interrupted && ktap.f)
		fprintf(ktap.f, "Bail out! interrupted\n");
	p2pb_ktap_close(&ktap);
	json_object_put(cases);
	json_object_put(doc);
	free(rows);
	if (p2pb_revoke_kernel_stuck()) {
		fflush(NULL);
		_exit(1);
	}
	rc = p2pb_verdict_exit_status(worst);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	return p2pb_interrupted ? 130 : rc;
}
