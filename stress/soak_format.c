// SPDX-License-Identifier: GPL-2.0
/* A stress run's findings table and its result object (measure, then format). */
#define _GNU_SOURCE
#include "soak.h"
#include "case.h"
#include "jsonq.h"
#include "metric.h"
#include "result.h"

#include <stdio.h>
#include <string.h>

unsigned int p2pb_stress_verdict_findings(const struct p2pb_stress_result *r, unsigned int n_triggers)
{
	unsigned int i, n = r->run_verdict.outcome == P2PB_FAIL || r->run_verdict.outcome == P2PB_ERROR;

	for (i = 0; i < n_triggers; i++)
		n += r->trig[i].verdict.outcome == P2PB_FAIL || r->trig[i].verdict.outcome == P2PB_ERROR;
	return n;
}

static void print_errnos(const struct p2pb_op_stats *s)
{
	unsigned int k;

	for (k = 0; k < 8 && s->errno_val[k]; k++)
		printf("%s%s x%llu", k ? ", " : "  ", strerrorname_np(s->errno_val[k]) ?: "?",
		       (unsigned long long)s->errnos[k]);
}

void p2pb_stress_table(const struct p2pb_stress_cfg *c, const struct p2pb_stress_result *r)
{
	unsigned int i;

	printf("\nstress on %s: seed %llu, %u workers x %u dma-bufs x %u attachments, %.1f s, %llu ops (%.0f/s), "
	       "%llu revoke cycles\n", c->device, (unsigned long long)c->seed, c->workers, c->slots, c->atts,
	       (double)r->elapsed_ns / 1e9, (unsigned long long)r->total_ops,
	       r->elapsed_ns ? (double)r->total_ops * 1e9 / (double)r->elapsed_ns : 0.0,
	       (unsigned long long)r->cycles);
	printf("%-8s %9s %9s %9s %10s %10s  %s\n", "op", "done", "noop", "failed", "p50 ms", "p99 ms", "errors");
	for (i = 0; i < P2PB_N_OPS; i++) {
		const struct p2pb_op_stats *s = &r->ops[i];

		if (!s->done && !s->noop)
			continue;
		printf("%-8s %9llu %9llu %9llu %10.3f %10.3f", p2pb_op_name((enum p2pb_op)i),
		       (unsigned long long)s->done, (unsigned long long)s->noop, (unsigned long long)s->failed,
		       (double)p2pb_hist_percentile(&s->lat_ns, 50) / 1e6,
		       (double)p2pb_hist_percentile(&s->lat_ns, 99) / 1e6);
		print_errnos(s);
		printf("\n");
	}
	printf("\n%-10s %8s %10s %10s %10s  %s\n", "trigger", "cycles", "p50 ms", "p99 ms", "max ms", "verdict");
	for (i = 0; i < c->n_triggers; i++) {
		const struct p2pb_stress_trigger_result *t = &r->trig[i];

		printf("%-10s %8llu %10.2f %10.2f %10.2f  %s\n", c->triggers[i], (unsigned long long)t->cycles,
		       (double)p2pb_hist_percentile(&t->revoke_ns, 50) / 1e6,
		       (double)p2pb_hist_percentile(&t->revoke_ns, 99) / 1e6, (double)t->revoke_ns.max / 1e6,
		       p2pb_outcome_name(t->verdict.outcome));
	}
	printf("%-10s %8s %10s %10s %10s  %s\n", "(run)", "", "", "", "", p2pb_outcome_name(r->run_verdict.outcome));
	printf("\ncheckpoints: %u, %u with something not given back; RSS %ld KiB at the first, %ld KiB at most\n",
	       r->checkpoints, r->leaky_checkpoints, r->rss_first_kib, r->rss_max_kib);
	if (r->traffic_bytes || r->stale_ops)
		printf("traffic: %.1f MiB moved by the importers' devices, %llu transfer(s) after an invalidate\n",
		       (double)r->traffic_bytes / 1048576.0, (unsigned long long)r->stale_ops);
	printf("kernel log: %u forbidden message(s)\n", p2pb_kmsg_findings(&r->klog));
	if (!r->n_findings) {
		printf("findings: none\n");
		return;
	}
	printf("findings (%u%s):\n", r->n_findings + r->findings_dropped, r->stopped_early ? ", the first stopped the run" : "");
	for (i = 0; i < r->n_findings; i++)
		printf("  %s\n", r->findings[i]);
	if (r->replay_written)
		printf("replay: p2pbench stress --replay %s   (%u operations since the last checkpoint)\n",
		       r->replay_written, r->replay_ops);
}

static json_object *op_json(const struct p2pb_op_stats *s)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	unsigned int k;

	json_object_object_add(o, "done", p2pb_json_u64(s->done));
	json_object_object_add(o, "noop", p2pb_json_u64(s->noop));
	json_object_object_add(o, "failed", p2pb_json_u64(s->failed));
	for (k = 0; k < 8 && s->errno_val[k]; k++)
		json_object_object_add(e, strerrorname_np(s->errno_val[k]) ?: "?", p2pb_json_u64(s->errnos[k]));
	json_object_object_add(o, "errors", e);
	json_object_object_add(o, "latency_ns", p2pb_json_summary(&s->lat_ns));
	return o;
}

json_object *p2pb_stress_json(const struct p2pb_stress_cfg *c, const struct p2pb_stress_result *r)
{
	json_object *o = json_object_new_object(), *ops = json_object_new_object(), *tr = json_object_new_array();
	json_object *cp = json_object_new_object(), *f = json_object_new_array(), *rss = json_object_new_object();
	unsigned int i;

	json_object_object_add(o, "device", json_object_new_string(c->device));
	json_object_object_add(o, "seed", json_object_new_int64((int64_t)c->seed));
	json_object_object_add(o, "importer", json_object_new_string(c->importer.text));
	json_object_object_add(o, "workers", json_object_new_int((int)c->workers));
	json_object_object_add(o, "dmabufs_per_worker", json_object_new_int((int)c->slots));
	json_object_object_add(o, "attachments_per_dmabuf", json_object_new_int((int)c->atts));
	json_object_object_add(o, "replayed", c->replay_path ? json_object_new_string(c->replay_path) : NULL);
	json_object_object_add(o, "elapsed_s", json_object_new_double((double)r->elapsed_ns / 1e9));
	json_object_object_add(o, "ops_total", p2pb_json_u64(r->total_ops));
	json_object_object_add(o, "cycles", p2pb_json_u64(r->cycles));
	json_object_object_add(o, "traffic_bytes", p2pb_json_u64(r->traffic_bytes));
	json_object_object_add(o, "stale_transfers", p2pb_json_u64(r->stale_ops));
	for (i = 0; i < P2PB_N_OPS; i++)
		json_object_object_add(ops, p2pb_op_name((enum p2pb_op)i), op_json(&r->ops[i]));
	json_object_object_add(o, "ops", ops);
	for (i = 0; i < c->n_triggers; i++) {
		json_object *t = json_object_new_object();

		json_object_object_add(t, "trigger", json_object_new_string(c->triggers[i]));
		json_object_object_add(t, "cycles", p2pb_json_u64(r->trig[i].cycles));
		p2pb_jset(t, p2pb_metrics[P2PB_M_STRESS_REVOKE].summary, p2pb_json_summary(&r->trig[i].revoke_ns));
		json_object_object_add(t, "verdict", p2pb_verdict_json(&r->trig[i].verdict, &r->trig[i].ctx));
		json_object_array_add(tr, t);
	}
	json_object_object_add(o, "triggers", tr);
	json_object_object_add(o, "run_verdict", p2pb_verdict_json(&r->run_verdict, &r->run_ctx));
	json_object_object_add(cp, "count", json_object_new_int((int)r->checkpoints));
	json_object_object_add(cp, "leaky", json_object_new_int((int)r->leaky_checkpoints));
	json_object_object_add(cp, "first_leak", r->first_leak[0] ? json_object_new_string(r->first_leak) : NULL);
	json_object_object_add(cp, "last", p2pb_leak_json(&r->baseline, &r->last));
	json_object_object_add(o, "checkpoints", cp);
	json_object_object_add(rss, "first", json_object_new_int64(r->rss_first_kib));
	json_object_object_add(rss, "max", json_object_new_int64(r->rss_max_kib));
	json_object_object_add(o, "rss_kib", rss);
	for (i = 0; i < r->n_findings; i++)
		json_object_array_add(f, json_object_new_string(r->findings[i]));
	json_object_object_add(o, "findings", f);
	json_object_object_add(o, "findings_not_listed", json_object_new_int((int)r->findings_dropped));
	json_object_object_add(o, "stopped_early", json_object_new_boolean(r->stopped_early));
	json_object_object_add(o, "replay_file", r->replay_written ? json_object_new_string(r->replay_written) : NULL);
	json_object_object_add(o, "replay_ops", json_object_new_int((int)r->replay_ops));
	return o;
}
