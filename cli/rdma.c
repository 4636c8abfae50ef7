// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench rdma: RDMA writes, reads or sends over RC QPs through a memory
 * back-end (host memory, a udmabuf or dma-heap dma-buf, a VFIO BAR
 * dma-buf), bandwidth or latency, loopback on one device or client/server
 * like perftest; every byte moved is checked.
 */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "rdma_args.h"

#include "rdma/chan.h"
#include "clock.h"
#include "error.h"
#include "kmsg.h"
#include "result.h"
#include "session.h"
#include "trigger.h"
#include "topo.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The command line as read: the run's arguments, and what decides the defaults left open (finish_args). */
struct rdma_line {
	struct p2pb_rdma_args a;
	uint64_t iters, duration_ns;		/* iters: all ones until given */
	uint64_t sizes[P2PB_RDMA_MAX_SIZES];
	unsigned int n_sizes;			/* 0: none given */
	bool all, server, no_verify;
};

static int parse_sizes(const struct p2pb_opt *opt, void *opts, const char *v)
{
	struct rdma_line *l = opts;

	(void)opt;
	l->all = false;	/* the last of --size and --all counts */
	return p2pb_rdma_sizes_parse(v, l->sizes, &l->n_sizes);
}

static int parse_mem(const struct p2pb_opt *opt, void *opts, const char *v)
{
	(void)opt;
	return p2pb_rdma_mem_parse(v, &((struct rdma_line *)opts)->a.run.mem);
}

static int trigger_check(const void *ctx, struct p2pb_exporter *x)
{
	return ((const struct p2pb_trigger_ops *)ctx)->check(x);
}

static int trigger_revoke(const void *ctx, struct p2pb_exporter *x)
{
	return ((const struct p2pb_trigger_ops *)ctx)->revoke(x);
}

static int trigger_restore(const void *ctx, struct p2pb_exporter *x)
{
	return ((const struct p2pb_trigger_ops *)ctx)->restore(x);
}

/* The disturbance of --revoke's TRIGGER. */
static int disturb_trigger(struct p2pb_rdma_disturb *d, const char *name)
{
	const struct p2pb_trigger_ops *t;
	unsigned int n;

	if (p2pb_trigger_list(name, P2PB_TRIGGERS_REAL, &t, 1, &n))
		return -EINVAL;
	if (t->permanent)
		return p2pb_fail(-EINVAL, "this trigger revokes for good: no traffic comes back after it");
	d->kind = P2PB_FAULT_TRIGGER;
	d->name = t->name;
	d->ctx = t;
	d->check = trigger_check;
	d->revoke = trigger_revoke;
	d->restore = t->restore ? trigger_restore : NULL;
	return 0;
}

/* "NAME@D": a disturbance every D; --revoke: NAME is a trigger, --fault: a fault. */
static int parse_disturb(const struct p2pb_opt *opt, void *opts, const char *val)
{
	struct p2pb_rdma_disturb *d = &((struct rdma_line *)opts)->a.run.disturb;
	bool revoke = !strcmp(opt->name, "revoke");
	const char *at = strchr(val, '@');
	char name[32];

	if (d->kind != P2PB_FAULT_NONE)
		return p2pb_fail(-EINVAL, "one disturbance per run (--revoke or --fault, once)");
	if (!at || at == val || (size_t)(at - val) >= sizeof(name) ||
	    p2pb_parse_duration_ns(at + 1, P2PB_NS_PER_S, &d->every_ns) || d->every_ns < P2PB_NS_PER_MS)
		return p2pb_fail(-EINVAL, revoke ? "TRIGGER@D, e.g. flr@1s (D at least 1ms)" :
				 "KIND@D, e.g. dereg@500ms (D at least 1ms)");
	snprintf(name, sizeof(name), "%.*s", (int)(at - val), val);
	if (revoke)
		return disturb_trigger(d, name);
	if (strcmp(name, "dereg") && strcmp(name, "qp-error"))
		return p2pb_fail(-EINVAL, "the faults are dereg and qp-error");
	d->kind = !strcmp(name, "dereg") ? P2PB_FAULT_DEREG : P2PB_FAULT_QP_ERROR;
	d->name = !strcmp(name, "dereg") ? "dereg" : "qp-error";
	return 0;
}

#define LINE(member) P2PB_OPT_FIELD(struct rdma_line, member)
#define DEFAULT_OF(number_macro) STRINGIFY(number_macro)	/* a number macro's value as a default's text */
#define STRINGIFY(x) #x

/* perftest's names where it has them; the disturbances last (their own part of --help). */
static const struct p2pb_opt rdma_keys[] = {
	{ .name = "dev", .type = P2PB_OPT_TEXT, LINE(a.dev), .metavar = "NAME", .unset = "the first; see ibv_devices",
	  .help = "RDMA device" },
	{ .name = "ib-port", .type = P2PB_OPT_UINT, LINE(a.run.ep.port), .def = "1", .min = 1, .max = 255,
	  .help = "its port" },
	/* all ones, the default until given, is -1 in the int: the pick */
	{ .name = "gid-index", .type = P2PB_OPT_UINT, LINE(a.run.ep.gid_index), .max = 255,
	  .unset = "the first RoCE v2 GID with an IPv4 address, as perftest picks", .help = "GID index" },
	{ .name = "op", .type = P2PB_OPT_CHOICE, LINE(a.run.t.op), .choices = p2pb_rdma_op_names, .def = "write",
	  .help = "RDMA writes, reads or sends" },
	{ .name = "mode", .type = P2PB_OPT_CHOICE, LINE(a.run.t.mode), .choices = p2pb_rdma_mode_names, .def = "bw",
	  .help = "bandwidth or latency" },
	{ .name = "size", .type = P2PB_OPT_CUSTOM, .parse = parse_sizes, .metavar = "LIST", .unset = "64k bw, 2 lat",
	  .help = "message sizes, e.g. 64k or 4k,64k,1M, each 1 B to 1 GiB" },
	{ .name = "all", .type = P2PB_OPT_FLAG, LINE(all), .help = "every power of two from 2 B to 8 MiB" },
	{ .name = "qps", .type = P2PB_OPT_UINT, LINE(a.run.ep.qps), .def = "1", .min = 1, .max = P2PB_RDMA_MAX_QPS,
	  .help = "QPs (bw)" },
	{ .name = "tx-depth", .type = P2PB_OPT_UINT, LINE(a.run.ep.tx_depth), .min = 1, .max = P2PB_RDMA_MAX_DEPTH,
	  .unset = "128 bw, 1 lat; never more than --iters", .help = "work requests in flight per QP" },
	{ .name = "rx-depth", .type = P2PB_OPT_UINT, LINE(a.run.ep.rx_depth), .min = 1, .max = P2PB_RDMA_MAX_DEPTH,
	  .unset = "512 for send bw, else 16", .help = "receives posted per QP" },
	{ .name = "iters", .type = P2PB_OPT_UINT, LINE(iters), .min = 1, .max = 1ull << 40, .metavar = "N",
	  .unset = "5000 write bw, 1000 else", .help = "messages per size and QP" },
	{ .name = "duration", .type = P2PB_OPT_DURATION, LINE(duration_ns), .min = 1, .unit_ns = P2PB_NS_PER_S,
	  .help = "run each size for D instead of --iters (e.g. 5s)" },
	{ .name = "cq-mod", .type = P2PB_OPT_UINT, LINE(a.run.t.cq_mod), .def = "100", .min = 1, .max = 1024,
	  .help = "signal every Nth work request (bw), at most the tx depth" },
	{ .name = "inline", .type = P2PB_OPT_UINT, LINE(a.run.ep.inline_size), .def = "0", .max = 4096, .zero = "off",
	  .help = "send messages up to N bytes inline" },
	{ .name = "mem", .type = P2PB_OPT_CUSTOM, .parse = parse_mem, .def = "host", .metavar = "SPEC",
	  .help = "this side's buffers (loopback: the responder's; the requester's are host memory), a memory "
	  "back-end (see 'Memory')" },
	{ .name = "bind", .type = P2PB_OPT_FLAG, LINE(a.bind),
	  .help = "vfio: rebind the device to vfio-pci for the run, restore after" },
	{ .name = "server", .type = P2PB_OPT_FLAG, LINE(server), .help = "be the server" },
	{ .name = "port", .type = P2PB_OPT_UINT, LINE(a.run.tcp_port), .def = DEFAULT_OF(P2PB_CHAN_PORT), .min = 1,
	  .max = 65535, .help = "TCP port of the side channel" },
	{ .name = "no-verify", .type = P2PB_OPT_FLAG, LINE(no_verify), .help = "do not check the data" },
	{ .name = "seed", .type = P2PB_OPT_UINT, LINE(a.run.t.seed), .metavar = "N",
	  .help = "data pattern seed (default: from the clock, in the JSON)" },
	{ .name = "no-pin", .type = P2PB_OPT_FLAG, LINE(a.no_pin),
	  .help = "do not bind to the CPUs of the NIC's NUMA node (hwloc)" },
	{ .name = "json", .type = P2PB_OPT_STRING, LINE(a.json_path), .metavar = "FILE",
	  .help = "write the result document (- for stdout)" },
	{ .name = "quiet", .type = P2PB_OPT_FLAG, LINE(a.quiet), .help = "no table" },
	{ .name = "revoke", .type = P2PB_OPT_CUSTOM, .parse = parse_disturb, .metavar = "TRIGGER@D",
	  .help = "every D (at least 1ms) of each size, make vfio-pci revoke the responder's --mem vfio dma-buf with "
	  "TRIGGER (see 'Triggers')" },
	{ .name = "revoke-hold", .type = P2PB_OPT_DURATION, LINE(a.run.disturb.hold_ns), .def = "100ms",
	  .unit_ns = P2PB_NS_PER_S,
	  .help = "a trigger with an undo (mem-off, d3hot, low-power) stays revoked this long" },
	{ .name = "fault", .type = P2PB_OPT_CUSTOM, .parse = parse_disturb, .metavar = "KIND@D",
	  .help = "every D (at least 1ms), take the responder's side away: dereg (its MR is deregistered) or qp-error "
	  "(its QPs go to error); real failed completions on any device, rxe included" },
	{ .name = "recovery", .type = P2PB_OPT_CHOICE, LINE(a.run.recovery), .choices = p2pb_rdma_recovery_names,
	  .def = "auto", .help = "how a failed QP is brought back: auto (from the driver: remap for mlx5, rereg "
	  "otherwise), none (it stays down, as in perftest), remap (reset and reconnect the QPs), rereg (register the "
	  "memory again, then reset)" },
	{ .name = "recovery-timeout", .type = P2PB_OPT_DURATION, LINE(a.run.recovery_timeout_ns), .def = "10s",
	  .min = 1, .unit_ns = P2PB_NS_PER_S, .help = "a QP not back this long after its failure is given up" },
	{ 0 },
};

static const struct p2pb_cli_short rdma_shorts[] = {
	{ 'd', "dev" }, { 'i', "ib-port" }, { 'x', "gid-index" }, { 'o', "op" }, { 'm', "mode" }, { 's', "size" },
	{ 'a', "all" }, { 'q', "qps" }, { 't', "tx-depth" }, { 'r', "rx-depth" }, { 'n', "iters" },
	{ 'D', "duration" }, { 'Q', "cq-mod" }, { 'I', "inline" }, { 'M', "mem" }, { 'p', "port" }, { 0 },
};

/* What --mem, --revoke's TRIGGER and the exit status take. */
static void usage_tail(FILE *f)
{
	unsigned int i;

	fprintf(f, "\nMemory (--mem SPEC):\n");
	p2pb_help_entry(f, "host", "anonymous memory");
	p2pb_help_entry(f, "udmabuf", "a memfd made a dma-buf by /dev/udmabuf");
	p2pb_help_entry(f, "heap[:NAME]", "a dma-buf from /dev/dma_heap/NAME (system)");
	p2pb_help_entry(f, "vfio:BDF[,bar=N][,offset=O][,len=L]", "a BAR range of a vfio-pci device (bar 2)");
	fprintf(f, "\nTriggers (--revoke TRIGGER@D; close is refused, it revokes for good):\n");
	for (i = 0; p2pb_triggers[i]; i++)
		if (!p2pb_triggers[i]->for_tests && !p2pb_triggers[i]->permanent)
			p2pb_help_entry(f, p2pb_triggers[i]->name, p2pb_triggers[i]->help);
	fprintf(f,
		"\nExit status: 0 every message completed (with a disturbance: every failed QP\n"
		"recovered), every byte checked out and the kernel logged no WARN, BUG, refcount\n"
		"or lockdep message (clause C7); 1 any of those failed; 2 bad input or a setup\n"
		"error; 4 the device cannot register this memory (no dma-buf MR support: a skip,\n"
		"not a failure); 130 interrupted (the sizes done are in the JSON).\n");
}

static void usage(FILE *f, const struct p2pb_cli_line *l)
{
	const struct p2pb_opt *key, *disturbances = p2pb_opt_find(l->keys, "revoke");

	fprintf(f,
		"Usage: p2pbench rdma [options]              loopback: both ends on one device\n"
		"       p2pbench rdma --server [options]     answer one client, then exit\n"
		"       p2pbench rdma [options] SERVER       client of a server on host SERVER\n\n"
		"RDMA writes, reads or sends on reliable connected QPs (libibverbs), measuring\n"
		"bandwidth or latency per message size like perftest (ib_write_bw, ib_read_bw,\n"
		"ib_send_lat...). The buffers come from a memory back-end: with a dma-buf one\n"
		"the NIC registers it with ibv_reg_dmabuf_mr (for vfio: peer-to-peer DMA into a\n"
		"device BAR). Every byte moved is checked after each size (--no-verify skips it);\n"
		"failed completions are counted by class, never fatal.\n\n"
		"Options (perftest's letters where it has them):\n");
	for (key = l->keys; key->name; key++) {
		if (key == disturbances)
			fprintf(f, "\nDisturbances (loopback bandwidth runs; docs/rdma.md):\n");
		p2pb_cli_key_help(f, key, l->shorts);
	}
	p2pb_help_entry(f, "-h, --help", "");
	usage_tail(f);
}

static int check_disturb(const struct p2pb_rdma_run_cfg *c)
{
	const char *why = NULL;

	if (c->disturb.kind == P2PB_FAULT_NONE)
		return -1;
	if (c->role != P2PB_RDMA_LOOPBACK || c->t.mode != P2PB_RDMA_BW)
		why = "--revoke and --fault take a loopback bandwidth run (the recovery resets both ends of a QP)";
	else if (c->disturb.kind == P2PB_FAULT_TRIGGER && !c->mem.kind->revocable)
		why = "--revoke needs the responder's memory on the exporter: --mem vfio:BDF";
	else if (c->disturb.kind == P2PB_FAULT_TRIGGER && !c->steps[0].duration_ns)
		why = "--revoke needs --duration: traffic must still run on every QP when the device is revoked";
	else if (c->steps[0].duration_ns && c->disturb.every_ns >= c->steps[0].duration_ns)
		why = "the first disturbance would come after each size's --duration";
	if (!why)
		return -1;
	fprintf(stderr, "p2pbench rdma: %s\n", why);
	return 2;
}

/* The sizes, iterations and durations of the steps; perftest's defaults for those not given. */
static void make_steps(struct rdma_line *l, uint64_t iters)
{
	struct p2pb_rdma_run_cfg *c = &l->a.run;
	uint64_t max = 0;
	unsigned int k;

	if (l->all)
		p2pb_rdma_sizes_all(l->sizes, &l->n_sizes);
	c->n_steps = l->n_sizes ? l->n_sizes : 1;
	for (k = 0; k < c->n_steps; k++) {
		c->steps[k].size = l->n_sizes ? l->sizes[k] : c->t.mode == P2PB_RDMA_LAT ? 2 : 65536;
		c->steps[k].iters = l->duration_ns ? 0 : iters;
		c->steps[k].duration_ns = l->duration_ns;
		max = c->steps[k].size > max ? c->steps[k].size : max;
	}
	c->ep.slot = (max + 4095) & ~4095ull;
}

/* perftest's defaults for what was not given, and the checks that need all options. */
static int finish_args(struct rdma_line *l)
{
	struct p2pb_rdma_run_cfg *c = &l->a.run;
	bool lat = c->t.mode == P2PB_RDMA_LAT, send_bw = !lat && c->t.op == P2PB_RDMA_SEND;
	bool iters_given = l->iters != P2PB_OPT_UNSET;
	uint64_t iters = iters_given ? l->iters : !lat && c->t.op == P2PB_RDMA_WRITE ? 5000 : 1000;

	if (iters_given && l->duration_ns) {
		fprintf(stderr, "p2pbench rdma: give --iters or --duration, not both\n");
		return 2;
	}
	if (lat && c->ep.qps > 1) {
		fprintf(stderr, "p2pbench rdma: latency runs one QP (--qps is for --mode bw)\n");
		return 2;
	}
	make_steps(l, iters);
	/* the depths not given hold all ones */
	if (c->ep.tx_depth == UINT_MAX)
		c->ep.tx_depth = lat ? 1 : 128;
	if (!l->duration_ns && c->ep.tx_depth > iters)
		c->ep.tx_depth = (unsigned int)iters;	/* as perftest: never more in flight than sent */
	if (c->ep.rx_depth == UINT_MAX)
		c->ep.rx_depth = send_bw ? (iters < 512 && !l->duration_ns ? (unsigned int)iters : 512) : 16;
	if (send_bw && c->ep.rx_depth < c->ep.tx_depth)
		fprintf(stderr, "p2pbench rdma: note: rx depth %u < tx depth %u: sends will wait for receives (RNR)\n",
			c->ep.rx_depth, c->ep.tx_depth);
	c->verify = !l->no_verify;
	c->role = l->server ? P2PB_RDMA_SERVER : c->server ? P2PB_RDMA_CLIENT : P2PB_RDMA_LOOPBACK;
	if (l->server && c->server) {
		fprintf(stderr, "p2pbench rdma: --server takes no SERVER argument\n");
		return 2;
	}
	return check_disturb(c);
}

/* The options and the SERVER argument into @l; -1: go on, else the exit status. */
static int read_line(int argc, char **argv, struct rdma_line *l)
{
	struct p2pb_cli_line cl = { .prog = "rdma", .keys = rdma_keys,
				    .shorts = rdma_shorts, .usage = usage };
	int rc;

	memset(l, 0, sizeof(*l));
	/* the seed's default is the clock's: no value help could print */
	l->a.run.t.seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	if (p2pb_cli_begin(&cl, NULL, l))
		return 2;
	if ((rc = p2pb_cli_read(&cl, argc, argv, l)) >= 0)
		return rc;
	if (optind < argc)
		l->a.run.server = argv[optind++];
	return p2pb_cli_no_more(&cl, argc, argv) ? 2 : finish_args(l);
}

int p2pb_rdma_args_parse(int argc, char **argv, struct p2pb_rdma_args *a)
{
	struct rdma_line *l = malloc(sizeof(*l));
	int rc;

	if (!l) {
		fprintf(stderr, "p2pbench rdma: out of memory\n");
		return 2;
	}
	rc = read_line(argc, argv, l);
	*a = l->a;
	a->run.ep.dev = a->dev[0] ? a->dev : NULL;
	a->run.ep.mem = &a->run.mem;
	free(l);
	return rc;
}

/* ---- where the run sits ---- */

/* The NIC's PCI function, its NUMA node and the narrowest link of the run's devices. */
static int exit_status(int err, const struct p2pb_rdma_run_result *r)
{
	if (p2pb_interrupted || err == -EINTR)
		return 130;
	if (err == -EOPNOTSUPP)
		return P2PB_EXIT_UNSUPPORTED;
	if (err)
		return 2;
	return r->any_error || r->unrecovered ? 1 : 0;
}

static int write_json(const struct p2pb_rdma_args *a, const struct p2pb_rdma_placement *pl, int argc, char **argv, int err,
		      const struct p2pb_rdma_run_result *r, const struct p2pb_kmsg_counts *kc)
{
	json_object *doc = p2pb_result_new("rdma", argc, argv);
	int rc;

	json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted || err == -EINTR));
	json_object_object_add(doc, "unsupported", json_object_new_boolean(err == -EOPNOTSUPP));
	json_object_object_add(doc, "error", err && err != -EINTR ? json_object_new_string(p2pb_error()) : NULL);
	json_object_object_add(doc, "rdma", r->dev[0] ? p2pb_rdma_json(a, pl, r) : NULL);
	json_object_object_add(doc, "kernel_log", p2pb_json_kmsg(kc));
	rc = p2pb_result_write(doc, a->json_path);
	json_object_put(doc);
	return rc;
}

int p2pb_cmd_rdma(int argc, char **argv)
{
	struct p2pb_rdma_args a;
	struct p2pb_rdma_run_result *res;
	struct p2pb_session s;
	struct p2pb_rdma_placement pl;
	struct p2pb_kmsg kmsg;
	struct p2pb_kmsg_counts kc = { 0 };
	int rc = p2pb_rdma_args_parse(argc, argv, &a), err = 0;

	if (rc >= 0)
		return rc;
	p2pb_rdma_place(&a, &pl);
	res = calloc(1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "p2pbench rdma: out of memory\n");
		return 2;
	}
	p2pb_session_init(&s, a.quiet);
	p2pb_kmsg_open(&kmsg);	/* a WARN or a refcount splat during the run fails it, as clause C7 */
	if (a.run.mem.bdf[0])
		err = p2pb_session_claim_device(&s, a.run.mem.bdf, a.bind);
	if (!err)
		err = p2pb_rdma_run(&a.run, res);
	if (err == -EOPNOTSUPP)
		fprintf(stderr, "p2pbench rdma: unsupported: %s\n", p2pb_error());
	else if (err && err != -EINTR)
		fprintf(stderr, "p2pbench rdma: %s\n", p2pb_error()[0] ? p2pb_error() : strerror(-err));
	p2pb_kmsg_scan(&kmsg, &kc);
	p2pb_kmsg_close(&kmsg);
	if (!a.quiet && res->dev[0])
		p2pb_rdma_report(&a, &pl, res);
	rc = exit_status(err, res);
	if (p2pb_kmsg_unannounced(&kc)) {
		fprintf(stderr, "p2pbench rdma: the kernel logged %u forbidden message(s) during the run, first: %s\n",
			p2pb_kmsg_unannounced(&kc), kc.first_finding);
		rc = rc ? rc : 1;
	}
	if (a.json_path && write_json(&a, &pl, argc, argv, err, res, &kc)) {
		fprintf(stderr, "p2pbench rdma: %s\n", p2pb_error());
		rc = rc ? rc : 2;
	}
	p2pb_rdma_run_result_release(res);
	free(res);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	return rc;
}
