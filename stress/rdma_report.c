// SPDX-License-Identifier: GPL-2.0
/*
 * An RDMA run placed (pinned near its NIC, the links that bound it) and
 * reported: the perftest-style table and the result object.
 */
#define _GNU_SOURCE
#include "rdma_report.h"

#include "error.h"
#include "jsonq.h"
#include "metric.h"
#include "result.h"
#include "topo.h"

#include <stdio.h>
#include <string.h>

/* The device a run without -d takes: the first, as libibverbs lists them. */
static void resolve_dev(struct p2pb_rdma_args *a)
{
	struct ibv_device **list;
	int n;

	if (a->dev[0] || !(list = ibv_get_device_list(&n)))
		return;
	if (n > 0) {
		snprintf(a->dev, sizeof(a->dev), "%s", ibv_get_device_name(list[0]));
		a->run.ep.dev = a->dev;
	}
	ibv_free_device_list(list);
}

/* Place the run: pinned near the NIC unless told not to (hwloc); the links that bound its bandwidth. */
void p2pb_rdma_place(struct p2pb_rdma_args *a, struct p2pb_rdma_placement *pl)
{
	struct p2pb_pci_path p;
	double n;

	memset(pl, 0, sizeof(*pl));
	pl->numa = -1;
	resolve_dev(a);
	if (!a->dev[0] || p2pb_rdma_dev_pci(a->dev, pl->nic))
		pl->nic[0] = 0;
	if (pl->nic[0]) {
		pl->numa = p2pb_pci_numa_node(pl->nic);
		if (!a->no_pin && !(pl->pinned = !p2pb_pin_near(pl->nic)))
			fprintf(stderr, "p2pbench rdma: note: not pinned: %s\n", p2pb_error());
		if (!p2pb_pci_path_read("/sys", pl->nic, &p))
			pl->narrowest = p2pb_path_narrowest(&p);
	}
	if (a->run.mem.bdf[0] && !p2pb_pci_path_read("/sys", a->run.mem.bdf, &p) &&
	    (n = p2pb_path_narrowest(&p)) > 0 && (!pl->narrowest || n < pl->narrowest))
		pl->narrowest = n;
	p2pb_clear_error();
}

static json_object *placement_json(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl)
{
	json_object *o = json_object_new_object(), *nic;

	if (pl->nic[0] && a->run.mem.bdf[0]) {
		json_object_put(o);
		o = p2pb_topo_pair_json(a->run.mem.bdf, pl->nic);
	} else if (pl->nic[0]) {
		json_object_object_add(o, "nic", p2pb_topo_json(pl->nic));
	} else {
		nic = json_object_new_object();
		json_object_object_add(nic, "device", json_object_new_string(a->dev));
		json_object_object_add(nic, "pci", NULL);
		json_object_object_add(nic, "why", json_object_new_string("a software device: no PCI function, "
									   "no link, no NUMA node"));
		json_object_object_add(o, "nic", nic);
		if (a->run.mem.bdf[0])
			json_object_object_add(o, "exporter", p2pb_topo_json(a->run.mem.bdf));
	}
	json_object_object_add(o, "numa_node", json_object_new_int(pl->numa));
	json_object_object_add(o, "pinned", json_object_new_boolean(pl->pinned));
	json_object_object_add(o, "narrowest_link_bytes_per_s", pl->narrowest > 0 ?
				p2pb_json_u64((uint64_t)pl->narrowest) : NULL);
	return o;
}

/* ---- output ---- */

static const char *role_name(enum p2pb_rdma_role r)
{
	return r == P2PB_RDMA_SERVER ? "server" : r == P2PB_RDMA_CLIENT ? "client" : "loopback";
}

static uint64_t errors_total(const uint64_t *e)
{
	uint64_t n = 0;
	unsigned int k;

	for (k = P2PB_WC_OK + 1; k < P2PB_WC_N_CLASSES; k++)
		n += e[k];
	return n;
}

static json_object *errors_json(const uint64_t *e)
{
	json_object *o = json_object_new_object();
	unsigned int k;

	for (k = P2PB_WC_OK + 1; k < P2PB_WC_N_CLASSES; k++)
		json_object_object_add(o, p2pb_rdma_wc_class_name(k), p2pb_json_u64(e[k]));
	return o;
}

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0.0;
}

/* The latest fault that started at or before @at_ns: the one an outage then follows. */
static const struct p2pb_rdma_fault_rec *fault_before(const struct p2pb_rdma_step_result *r, uint64_t at_ns)
{
	const struct p2pb_rdma_fault_rec *f = NULL;
	unsigned int k;

	for (k = 0; k < r->n_faults && r->faults[k].start_ns <= at_ns; k++)
		f = &r->faults[k];
	return f;
}

/* What the outages of a step add up to (histograms are large: on the heap). */
struct outage_stats {
	struct p2pb_hist stall, to_good;	/* last good -> first good; fault -> first good */
	struct p2pb_hist call;			/* the fault's call: a trigger's revoke syscall */
	unsigned int recovered;
};

static struct outage_stats *outage_stats(const struct p2pb_rdma_step_result *r)
{
	struct outage_stats *st = calloc(1, sizeof(*st));
	const struct p2pb_rdma_fault_rec *f;
	unsigned int k;

	if (!st)
		return NULL;
	p2pb_hist_init(&st->stall);
	p2pb_hist_init(&st->to_good);
	p2pb_hist_init(&st->call);
	for (k = 0; k < r->n_faults; k++)
		if (!r->faults[k].err)
			p2pb_hist_add(&st->call, r->faults[k].end_ns - r->faults[k].start_ns);
	for (k = 0; k < r->c.n_outages; k++) {
		const struct p2pb_rdma_outage *o = &r->c.outages[k];

		if (!o->first_good_ns)
			continue;
		st->recovered++;
		p2pb_hist_add(&st->stall, o->first_good_ns - o->last_good_ns);
		if ((f = fault_before(r, o->first_error_ns)))
			p2pb_hist_add(&st->to_good, o->first_good_ns - f->start_ns);
	}
	return st;
}

static json_object *outage_json(const struct p2pb_rdma_step_result *r, const struct p2pb_rdma_outage *o)
{
	json_object *j = json_object_new_object();
	const struct p2pb_rdma_fault_rec *f = fault_before(r, o->first_error_ns);

	json_object_object_add(j, "qp", json_object_new_int((int)o->qp));
	json_object_object_add(j, "first_status", json_object_new_string(ibv_wc_status_str(o->first_status)));
	json_object_object_add(j, "class", json_object_new_string(
		p2pb_rdma_wc_class_name(p2pb_rdma_wc_classify(o->first_status))));
	json_object_object_add(j, "last_good_ns", p2pb_json_u64(o->last_good_ns));
	json_object_object_add(j, "first_error_ns", p2pb_json_u64(o->first_error_ns));
	json_object_object_add(j, "recovered_ns", o->recovered_ns ? p2pb_json_u64(o->recovered_ns) : NULL);
	json_object_object_add(j, "first_good_ns", o->first_good_ns ? p2pb_json_u64(o->first_good_ns) : NULL);
	json_object_object_add(j, "stall_ns", o->first_good_ns ? p2pb_json_u64(o->first_good_ns - o->last_good_ns)
								 : NULL);
	json_object_object_add(j, "fault_to_first_good_ns", o->first_good_ns && f ?
				p2pb_json_u64(o->first_good_ns - f->start_ns) : NULL);
	json_object_object_add(j, "attempts", json_object_new_int((int)o->attempts));
	json_object_object_add(j, "given_up", o->given_up[0] ? json_object_new_string(o->given_up) : NULL);
	json_object_object_add(j, "errors", errors_json(o->errors));
	return j;
}

/* The step's disturbance, and the stall summary at its metric's path. */
static void disturb_json(json_object *step, const struct p2pb_rdma_step_result *r)
{
	json_object *o = json_object_new_object(), *faults = json_object_new_array(), *outs = json_object_new_array();
	json_object *data = json_object_new_object();
	struct outage_stats *st = outage_stats(r);
	unsigned int k;

	for (k = 0; k < r->n_faults; k++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "start_ns", p2pb_json_u64(r->faults[k].start_ns));
		json_object_object_add(f, "end_ns", p2pb_json_u64(r->faults[k].end_ns));
		json_object_object_add(f, "restored_ns", r->faults[k].restored_ns ?
					p2pb_json_u64(r->faults[k].restored_ns) : NULL);
		json_object_object_add(f, "error", r->faults[k].err ?
					json_object_new_string(strerror(-r->faults[k].err)) : NULL);
		json_object_array_add(faults, f);
	}
	for (k = 0; k < r->c.n_outages; k++)
		json_object_array_add(outs, outage_json(r, &r->c.outages[k]));
	json_object_object_add(o, "faults", faults);
	json_object_object_add(o, "outages", outs);
	json_object_object_add(o, "outages_lost", p2pb_json_u64(r->c.outages_lost));
	json_object_object_add(o, "recovered", json_object_new_int(st ? (int)st->recovered : 0));
	json_object_object_add(o, "fault_to_first_good_ns", st ? p2pb_json_summary(&st->to_good) : NULL);
	/* with a trigger: how long the revoke took with this NIC importing (VFIO waits for its unmap) */
	json_object_object_add(o, "fault_call_ns", st ? p2pb_json_summary(&st->call) : NULL);
	json_object_object_add(data, "checked_bytes", p2pb_json_u64(r->c.fault_checked));
	json_object_object_add(data, "bad_bytes", p2pb_json_u64(r->c.fault_bad));
	json_object_object_add(o, "data_at_faults", data);
	json_object_object_add(step, "disturbance", o);
	p2pb_jset(step, p2pb_metrics[P2PB_M_RDMA_STALL].summary, st ? p2pb_json_summary(&st->stall) : NULL);
	free(st);
}

/* The 10 ms throughput timeline, up to the step's last completion. */
static json_object *timeline_json(const struct p2pb_rdma_counts *c)
{
	json_object *o = json_object_new_object(), *bytes = json_object_new_array();
	uint64_t k, n = c->ns / P2PB_RDMA_BIN_NS + 1;

	for (k = 0; k < n && k < c->n_bins; k++)
		json_object_array_add(bytes, p2pb_json_u64(c->bins[k]));
	json_object_object_add(o, "bin_ns", p2pb_json_u64(P2PB_RDMA_BIN_NS));
	json_object_object_add(o, "bytes", bytes);
	return o;
}

static json_object *step_json(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl,
			      const struct p2pb_rdma_step_result *r)
{
	json_object *o = json_object_new_object(), *d, *sv;

	json_object_object_add(o, "size", p2pb_json_u64(r->step.size));
	json_object_object_add(o, "iters", p2pb_json_u64(r->step.iters));
	json_object_object_add(o, "duration_ns", p2pb_json_u64(r->step.duration_ns));
	json_object_object_add(o, "ns", p2pb_json_u64(r->c.ns));
	json_object_object_add(o, "ops", p2pb_json_u64(r->c.ops));
	json_object_object_add(o, "bytes", p2pb_json_u64(r->c.bytes));
	p2pb_jset(o, p2pb_metrics[P2PB_M_RDMA_BANDWIDTH].path, p2pb_json_u64((uint64_t)per_s(r->c.bytes, r->c.ns)));
	json_object_object_add(o, "msgs_per_s", json_object_new_double(per_s(r->c.ops, r->c.ns)));
	json_object_object_add(o, "link_share", pl->narrowest > 0 ?
				json_object_new_double(per_s(r->c.bytes, r->c.ns) / pl->narrowest) : NULL);
	p2pb_jset(o, p2pb_metrics[P2PB_M_RDMA_LATENCY].summary, a->run.t.mode == P2PB_RDMA_LAT ?
		  p2pb_json_summary(&r->c.latency) : NULL);
	json_object_object_add(o, "errors", errors_json(r->c.errors));
	if (r->c.first_error_ns) {
		json_object *fe = json_object_new_object();

		json_object_object_add(fe, "status", json_object_new_string(ibv_wc_status_str(r->c.first_error_status)));
		json_object_object_add(fe, "class", json_object_new_string(
			p2pb_rdma_wc_class_name(p2pb_rdma_wc_classify(r->c.first_error_status))));
		json_object_object_add(fe, "ns", p2pb_json_u64(r->c.first_error_ns));
		json_object_object_add(o, "first_error", fe);
	}
	d = json_object_new_object();
	json_object_object_add(d, "checked", json_object_new_boolean(r->verified));
	json_object_object_add(d, "checked_bytes", p2pb_json_u64(r->verify_checked));
	json_object_object_add(d, "bad_bytes", p2pb_json_u64(r->verify_bad));
	json_object_object_add(o, "data", d);
	sv = json_object_new_object();
	json_object_object_add(sv, "received", p2pb_json_u64(r->served.received));
	json_object_object_add(sv, "answered", p2pb_json_u64(r->served.answered));
	json_object_object_add(sv, "errors", errors_json(r->served.errors));
	json_object_object_add(o, "responder", sv);
	json_object_object_add(o, "timeline", a->run.t.mode == P2PB_RDMA_BW && r->c.bins ? timeline_json(&r->c) : NULL);
	if (a->run.disturb.kind != P2PB_FAULT_NONE)
		disturb_json(o, r);
	else
		json_object_object_add(o, "disturbance", NULL);
	return o;
}

json_object *p2pb_rdma_json(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl,
			     const struct p2pb_rdma_run_result *r)
{
	const struct p2pb_rdma_run_cfg *c = &a->run;
	json_object *o = json_object_new_object(), *m = json_object_new_object(), *steps = json_object_new_array();
	unsigned int k;

	json_object_object_add(o, "role", json_object_new_string(role_name(c->role)));
	json_object_object_add(o, "device", json_object_new_string(r->dev));
	json_object_object_add(o, "driver", json_object_new_string(r->driver));
	json_object_object_add(o, "ib_port", json_object_new_int(r->port));
	json_object_object_add(o, "gid_index", json_object_new_int(r->gid_index));
	json_object_object_add(o, "link_layer", json_object_new_string(r->roce ? "ethernet" : "infiniband"));
	json_object_object_add(o, "mtu", json_object_new_int((int)r->mtu));
	json_object_object_add(o, "peer", json_object_new_string(r->peer));
	json_object_object_add(o, "op", json_object_new_string(p2pb_rdma_op_name(c->t.op)));
	json_object_object_add(o, "mode", json_object_new_string(p2pb_rdma_mode_names[c->t.mode]));
	json_object_object_add(o, "qps", json_object_new_int((int)c->ep.qps));
	json_object_object_add(o, "tx_depth", json_object_new_int((int)c->ep.tx_depth));
	json_object_object_add(o, "rx_depth", json_object_new_int((int)c->ep.rx_depth));
	json_object_object_add(o, "cq_mod", json_object_new_int((int)c->t.cq_mod));
	json_object_object_add(o, "inline", json_object_new_int((int)r->inline_size));
	json_object_object_add(m, "spec", json_object_new_string(c->mem.text));
	json_object_object_add(m, "kind", json_object_new_string(c->mem.kind->name));
	json_object_object_add(m, "dmabuf", json_object_new_boolean(c->mem.kind->dmabuf));
	json_object_object_add(o, "memory", m);
	json_object_object_add(o, "verify", json_object_new_boolean(c->verify));
	json_object_object_add(o, "seed", p2pb_json_u64(c->t.seed));
	if (c->disturb.kind != P2PB_FAULT_NONE) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "kind", json_object_new_string(c->disturb.kind == P2PB_FAULT_TRIGGER ?
									 "revoke" : "fault"));
		json_object_object_add(d, "name", json_object_new_string(c->disturb.name));
		json_object_object_add(d, "every_ns", p2pb_json_u64(c->disturb.every_ns));
		json_object_object_add(d, "hold_ns", c->disturb.restore ? p2pb_json_u64(c->disturb.hold_ns) : NULL);
		json_object_object_add(d, "recovery", json_object_new_string(p2pb_rdma_recovery_name(r->recovery)));
		json_object_object_add(d, "recovery_timeout_ns", p2pb_json_u64(c->recovery_timeout_ns));
		json_object_object_add(o, "disturb", d);
	} else {
		json_object_object_add(o, "disturb", NULL);
	}
	for (k = 0; k < r->n_steps; k++)
		json_object_array_add(steps, step_json(a, pl, &r->steps[k]));
	json_object_object_add(o, "steps", steps);
	json_object_object_add(o, "topology", placement_json(a, pl));
	return o;
}

static void print_header(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl,
			 const struct p2pb_rdma_run_result *r)
{
	const struct p2pb_rdma_run_cfg *c = &a->run;

	printf("%s %s, %s on %s (%s, %s, MTU %u), %u QP%s, tx depth %u, %s memory%s\n",
	       p2pb_rdma_op_name(c->t.op), c->t.mode == P2PB_RDMA_LAT ? "latency" : "bandwidth", r->peer, r->dev,
	       r->driver, r->roce ? "RoCE" : "InfiniBand", r->mtu, c->ep.qps, c->ep.qps > 1 ? "s" : "",
	       c->ep.tx_depth, c->mem.text, c->verify ? ", data checked" : "");
	if (pl->nic[0])
		printf("NIC %s, NUMA node %d%s; narrowest link %.2f GB/s\n", pl->nic, pl->numa,
		       pl->pinned ? " (pinned there)" : "", pl->narrowest / 1e9);
	else
		printf("%s is a software device: no PCI function, link or NUMA node\n", r->dev);
	if (c->t.mode == P2PB_RDMA_LAT)
		printf("%9s %9s %9s %9s %9s %9s %9s %9s %9s %7s  %s\n", "#bytes", "#iters", "min[us]", "p50[us]",
		       "p90[us]", "p99[us]", "p99.9[us]", "max[us]", "avg[us]", "errors", "data");
	else
		printf("%9s %11s %12s %12s %6s %7s  %s\n", "#bytes", "#iters", "BW[MB/s]", "MsgRate[M/s]", "link%",
		       "errors", "data");
}

static const char *first_fault_error(const struct p2pb_rdma_step_result *r)
{
	unsigned int k;

	for (k = 0; k < r->n_faults; k++)
		if (r->faults[k].err)
			return strerror(-r->faults[k].err);
	return "";
}

static void print_outages(const struct p2pb_rdma_args *a, const struct p2pb_rdma_step_result *r,
			  enum p2pb_rdma_recovery recovery)
{
	struct outage_stats *st = outage_stats(r);
	unsigned int k;

	if (!st)
		return;
	printf("%9s %u x %s, %u outage%s, %u recovered (%s)", "", r->n_faults, a->run.disturb.name,
	       r->c.n_outages, r->c.n_outages == 1 ? "" : "s", st->recovered, p2pb_rdma_recovery_name(recovery));
	if (st->recovered)
		printf(": stall p50 %.2f max %.2f ms, fault->first good p50 %.2f max %.2f ms",
		       p2pb_hist_percentile(&st->stall, 50) / 1e6, st->stall.max / 1e6,
		       p2pb_hist_percentile(&st->to_good, 50) / 1e6, st->to_good.count ? st->to_good.max / 1e6 : 0.0);
	if (a->run.disturb.kind == P2PB_FAULT_TRIGGER && st->call.count)
		printf("; revoke p50 %.2f max %.2f ms", p2pb_hist_percentile(&st->call, 50) / 1e6, st->call.max / 1e6);
	if (r->n_faults > st->call.count)
		printf("; %u FAILED (%s)", r->n_faults - (unsigned int)st->call.count, first_fault_error(r));
	if (!r->n_faults)
		printf("; NONE fired (the size ended first)");
	for (k = 0; k < r->c.n_outages; k++)
		if (r->c.outages[k].given_up[0])
			printf("; QP %u given up: %s", r->c.outages[k].qp, r->c.outages[k].given_up);
	if (r->c.fault_checked)
		printf("; data at the faults %s", r->c.fault_bad ? "WRONG" : "ok");
	printf("\n");
	free(st);
}

static void print_step(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl,
		       const struct p2pb_rdma_step_result *r, enum p2pb_rdma_recovery recovery)
{
	const struct p2pb_hist *h = &r->c.latency;
	char data[48], link[16] = "-";

	if (!r->verified || !r->verify_checked)
		snprintf(data, sizeof(data), "not checked");
	else if (r->verify_bad)
		snprintf(data, sizeof(data), "WRONG: %llu bytes", (unsigned long long)r->verify_bad);
	else
		snprintf(data, sizeof(data), "ok");
	if (a->run.t.mode == P2PB_RDMA_LAT)
		printf("%9llu %9llu %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %7llu  %s\n",
		       (unsigned long long)r->step.size, (unsigned long long)r->c.ops, h->count ? h->min / 1e3 : 0,
		       p2pb_hist_percentile(h, 50) / 1e3, p2pb_hist_percentile(h, 90) / 1e3,
		       p2pb_hist_percentile(h, 99) / 1e3, p2pb_hist_percentile(h, 99.9) / 1e3,
		       h->count ? h->max / 1e3 : 0, p2pb_hist_mean(h) / 1e3,
		       (unsigned long long)(errors_total(r->c.errors) + errors_total(r->served.errors)), data);
	else {
		if (pl->narrowest > 0)
			snprintf(link, sizeof(link), "%.1f", 100.0 * per_s(r->c.bytes, r->c.ns) / pl->narrowest);
		printf("%9llu %11llu %12.2f %12.6f %6s %7llu  %s\n", (unsigned long long)r->step.size,
		       (unsigned long long)r->c.ops, per_s(r->c.bytes, r->c.ns) / 1e6, per_s(r->c.ops, r->c.ns) / 1e6,
		       link, (unsigned long long)(errors_total(r->c.errors) + errors_total(r->served.errors)), data);
	}
	if (r->c.first_error_ns)
		printf("%9s first failure after %.3f ms: %s (%s)\n", "", r->c.first_error_ns / 1e6,
		       ibv_wc_status_str(r->c.first_error_status),
		       p2pb_rdma_wc_class_name(p2pb_rdma_wc_classify(r->c.first_error_status)));
	if (a->run.disturb.kind != P2PB_FAULT_NONE)
		print_outages(a, r, recovery);
}

static void print_server(const struct p2pb_rdma_run_result *r)
{
	unsigned int k;

	printf("served %s on %s (%s): %u size%s\n", r->peer, r->dev, r->driver, r->n_steps, r->n_steps == 1 ? "" : "s");
	for (k = 0; k < r->n_steps; k++)
		printf("%9llu bytes\n", (unsigned long long)r->steps[k].step.size);
}

void p2pb_rdma_report(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl, const struct p2pb_rdma_run_result *r)
{
	unsigned int k;

	if (a->run.role == P2PB_RDMA_SERVER) {
		print_server(r);
		return;
	}
	print_header(a, pl, r);
	for (k = 0; k < r->n_steps; k++)
		print_step(a, pl, &r->steps[k], r->recovery);
}
