// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench rdma: RDMA writes, reads or sends over RC QPs through a memory
 * back-end (host memory, a udmabuf or dma-heap dma-buf, a VFIO BAR
 * dma-buf), bandwidth or latency, loopback on one device or client/server
 * like perftest; every byte moved is checked.
 */
#define _GNU_SOURCE
#include "commands.h"
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
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
		"Options (perftest's letters where it has them):\n"
		"  -d, --dev NAME          RDMA device (default: the first; see ibv_devices)\n"
		"  -i, --ib-port N         its port (default 1)\n"
		"  -x, --gid-index N       GID index (default: the first RoCE v2 GID with an IPv4\n"
		"                          address, as perftest picks)\n"
		"  -o, --op OP             write, read or send (default write)\n"
		"  -m, --mode MODE         bw or lat (default bw)\n"
		"  -s, --size LIST         message sizes, e.g. 64k or 4k,64k,1M (default 64k bw, 2 lat)\n"
		"  -a, --all               every power of two from 2 B to 8 MiB\n"
		"  -q, --qps N             QPs (bw; default 1)\n"
		"  -t, --tx-depth N        work requests in flight per QP (default 128 bw, 1 lat)\n"
		"  -r, --rx-depth N        receives posted per QP (default 512 for send bw, else 16)\n"
		"  -n, --iters N           messages per size and QP (default 5000 write bw, 1000 else)\n"
		"  -D, --duration D        run each size for D instead (e.g. 5s)\n"
		"  -Q, --cq-mod N          signal every Nth work request (bw; default 100, at most tx depth)\n"
		"  -I, --inline N          send messages up to N bytes inline (default 0: off)\n"
		"  -M, --mem SPEC          this side's buffers (loopback: the responder's; the\n"
		"                          requester's are host memory):\n"
		"                            host                    anonymous memory (default)\n"
		"                            udmabuf                 a memfd made a dma-buf by /dev/udmabuf\n"
		"                            heap[:NAME]             a dma-buf from /dev/dma_heap/NAME (system)\n"
		"                            vfio:BDF[,bar=N][,offset=O][,len=L]\n"
		"                                                    a BAR range of a vfio-pci device (bar 2)\n"
		"      --bind              vfio: rebind the device to vfio-pci for the run, restore after\n"
		"      --server            be the server\n"
		"  -p, --port N            TCP port of the side channel (default %u)\n"
		"      --no-verify         do not check the data\n\n"
		"Disturbances (loopback bandwidth runs; docs/rdma.md):\n"
		"      --revoke TRIGGER@D  every D of each size, make vfio-pci revoke the responder's\n"
		"                          --mem vfio dma-buf with TRIGGER (%s)\n"
		"      --revoke-hold D     a trigger with an undo (mem-off, d3hot, low-power) stays\n"
		"                          revoked this long (default 100ms)\n"
		"      --fault KIND@D      every D, take the responder's side away: dereg (its MR is\n"
		"                          deregistered) or qp-error (its QPs go to error); real\n"
		"                          failed completions on any device, rxe included\n"
		"      --recovery R        how a failed QP is brought back: auto (from the driver:\n"
		"                          remap for mlx5, rereg otherwise), remap (reset and\n"
		"                          reconnect the QPs), rereg (register the memory again, then\n"
		"                          reset), none (it stays down, as in perftest)\n"
		"      --recovery-timeout D  a QP not back this long after its failure is given up\n"
		"                          (default 10s)\n\n"
		"      --seed N            data pattern seed (default: from the clock, in the JSON)\n"
		"      --no-pin            do not bind to the CPUs of the NIC's NUMA node (hwloc)\n"
		"      --json FILE         write the result document (- for stdout)\n"
		"      --quiet             no table\n"
		"  -h, --help\n\n"
		"Exit status: 0 every message completed (with a disturbance: every failed QP\n"
		"recovered), every byte checked out and the kernel logged no WARN, BUG, refcount\n"
		"or lockdep message (clause C7); 1 any of those failed; 2 bad input or a setup\n"
		"error; 4 the device cannot register this memory (no dma-buf MR support: a skip,\n"
		"not a failure); 130 interrupted (the sizes done are in the JSON).\n",
		P2PB_CHAN_PORT, p2pb_trigger_all());
}

static const struct option rdma_opts[] = {
	{ "dev", required_argument, 0, 'd' }, { "ib-port", required_argument, 0, 'i' },
	{ "gid-index", required_argument, 0, 'x' }, { "op", required_argument, 0, 'o' },
	{ "mode", required_argument, 0, 'm' }, { "size", required_argument, 0, 's' },
	{ "all", no_argument, 0, 'a' }, { "qps", required_argument, 0, 'q' },
	{ "tx-depth", required_argument, 0, 't' }, { "rx-depth", required_argument, 0, 'r' },
	{ "iters", required_argument, 0, 'n' }, { "duration", required_argument, 0, 'D' },
	{ "cq-mod", required_argument, 0, 'Q' }, { "inline", required_argument, 0, 'I' },
	{ "mem", required_argument, 0, 'M' }, { "bind", no_argument, 0, 'B' },
	{ "server", no_argument, 0, 'S' }, { "port", required_argument, 0, 'p' },
	{ "no-verify", no_argument, 0, 'V' }, { "seed", required_argument, 0, 'E' },
	{ "json", required_argument, 0, 'J' }, { "quiet", no_argument, 0, 'U' },
	{ "revoke", required_argument, 0, 'R' }, { "revoke-hold", required_argument, 0, 'H' },
	{ "fault", required_argument, 0, 'F' }, { "recovery", required_argument, 0, 'C' },
	{ "recovery-timeout", required_argument, 0, 'T' }, { "no-pin", no_argument, 0, 'P' },
	{ "help", no_argument, 0, 'h' }, { 0 },
};

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "p2pbench rdma: --%s %s: %s\n", opt, val, why);
	return 2;
}

/* A number in [lo, hi] for option @opt. */
static int number(const char *opt, const char *val, uint64_t lo, uint64_t hi, unsigned int *out)
{
	uint64_t v;
	char why[64];

	if (p2pb_parse_u64(val, &v) || v < lo || v > hi) {
		snprintf(why, sizeof(why), "must be a number from %llu to %llu", (unsigned long long)lo,
			 (unsigned long long)hi);
		return bad(opt, val, why);
	}
	*out = (unsigned int)v;
	return 0;
}

struct given {
	bool size, tx, rx, iters, cq_mod, qps;
	uint64_t iters_v, duration_ns;
	uint64_t sizes[P2PB_RDMA_MAX_SIZES];
	unsigned int n_sizes;
};

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

/* "NAME@D": a disturbance every D; @revoke: NAME is a trigger, else a fault. */
static int parse_disturb(struct p2pb_rdma_disturb *d, const char *opt, const char *val, bool revoke)
{
	char name[32];
	const char *at = strchr(val, '@');
	const struct p2pb_trigger_ops *t;
	unsigned int n;

	if (d->kind != P2PB_FAULT_NONE)
		return bad(opt, val, "one disturbance per run (--revoke or --fault, once)");
	if (!at || at == val || (size_t)(at - val) >= sizeof(name) ||
	    p2pb_parse_duration_ns(at + 1, 1000000000ull, &d->every_ns) || d->every_ns < 1000000ull)
		return bad(opt, val, revoke ? "TRIGGER@D, e.g. flr@1s (D at least 1ms)" :
			   "KIND@D, e.g. dereg@500ms (D at least 1ms)");
	snprintf(name, sizeof(name), "%.*s", (int)(at - val), val);
	if (!revoke) {
		if (strcmp(name, "dereg") && strcmp(name, "qp-error"))
			return bad(opt, val, "the faults are dereg and qp-error");
		d->kind = !strcmp(name, "dereg") ? P2PB_FAULT_DEREG : P2PB_FAULT_QP_ERROR;
		d->name = !strcmp(name, "dereg") ? "dereg" : "qp-error";
		return 0;
	}
	if (p2pb_trigger_list(name, P2PB_TRIGGERS_REAL, &t, 1, &n))
		return bad(opt, val, p2pb_error());
	if (t->permanent)
		return bad(opt, val, "this trigger revokes for good: no traffic comes back after it");
	d->kind = P2PB_FAULT_TRIGGER;
	d->name = t->name;
	d->ctx = t;
	d->check = trigger_check;
	d->revoke = trigger_revoke;
	d->restore = t->restore ? trigger_restore : NULL;
	return 0;
}

static int parse_opt(int opt, struct p2pb_rdma_args *a, struct given *g)
{
	struct p2pb_rdma_run_cfg *c = &a->run;
	unsigned int v;

	switch (opt) {
	case 'd':
		if (strlen(optarg) >= sizeof(a->dev))
			return bad("dev", optarg, "name too long");
		snprintf(a->dev, sizeof(a->dev), "%s", optarg);
		return 0;
	case 'i': return number("ib-port", optarg, 1, 255, &v) ? 2 : (c->ep.port = (uint8_t)v, 0);
	case 'x': return number("gid-index", optarg, 0, 255, &v) ? 2 : (c->ep.gid_index = (int)v, 0);
	case 'o': return p2pb_rdma_op_parse(optarg, &c->t.op) ? bad("op", optarg, p2pb_error()) : 0;
	case 'm':
		if (strcmp(optarg, "bw") && strcmp(optarg, "lat"))
			return bad("mode", optarg, "bw or lat");
		c->t.mode = !strcmp(optarg, "lat") ? P2PB_RDMA_LAT : P2PB_RDMA_BW;
		return 0;
	case 's':
		g->size = true;
		return p2pb_rdma_sizes_parse(optarg, g->sizes, &g->n_sizes) ? bad("size", optarg, p2pb_error()) : 0;
	case 'a':
		g->size = true;
		p2pb_rdma_sizes_all(g->sizes, &g->n_sizes);
		return 0;
	case 'q': g->qps = true; return number("qps", optarg, 1, P2PB_RDMA_MAX_QPS, &c->ep.qps);
	case 't': g->tx = true; return number("tx-depth", optarg, 1, P2PB_RDMA_MAX_DEPTH, &c->ep.tx_depth);
	case 'r': g->rx = true; return number("rx-depth", optarg, 1, P2PB_RDMA_MAX_DEPTH, &c->ep.rx_depth);
	case 'Q': g->cq_mod = true; return number("cq-mod", optarg, 1, 1024, &c->t.cq_mod);
	case 'I': return number("inline", optarg, 0, 4096, &c->ep.inline_size);
	case 'n':
		g->iters = true;
		if (p2pb_parse_u64(optarg, &g->iters_v) || g->iters_v < 1 || g->iters_v > (1ull << 40))
			return bad("iters", optarg, "must be a number from 1 to 2^40");
		return 0;
	case 'D':
		if (p2pb_parse_duration_ns(optarg, 1000000000ull, &g->duration_ns) || !g->duration_ns)
			return bad("duration", optarg, "a duration such as 5s or 500ms");
		return 0;
	case 'M': return p2pb_rdma_mem_parse(optarg, &c->mem) ? bad("mem", optarg, p2pb_error()) : 0;
	case 'B': a->bind = true; return 0;
	case 'S': c->role = P2PB_RDMA_SERVER; return 0;
	case 'p': return number("port", optarg, 1, 65535, &v) ? 2 : (c->tcp_port = (uint16_t)v, 0);
	case 'V': c->verify = false; return 0;
	case 'E': return p2pb_parse_u64(optarg, &c->t.seed) ? bad("seed", optarg, "a number") : 0;
	case 'J': a->json_path = optarg; return 0;
	case 'U': a->quiet = true; return 0;
	case 'P': a->no_pin = true; return 0;
	case 'R': return parse_disturb(&c->disturb, "revoke", optarg, true);
	case 'F': return parse_disturb(&c->disturb, "fault", optarg, false);
	case 'H':
		return p2pb_parse_duration_ns(optarg, 1000000000ull, &c->disturb.hold_ns) ?
		       bad("revoke-hold", optarg, "a duration such as 100ms") : 0;
	case 'C': return p2pb_rdma_recovery_parse(optarg, &c->recovery) ? bad("recovery", optarg, p2pb_error()) : 0;
	case 'T':
		return p2pb_parse_duration_ns(optarg, 1000000000ull, &c->recovery_timeout_ns) ||
		       !c->recovery_timeout_ns ? bad("recovery-timeout", optarg, "a duration such as 10s") : 0;
	}
	return 2;
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

/* perftest's defaults for what was not given, and the checks that need all options. */
static int finish_args(struct p2pb_rdma_args *a, struct given *g)
{
	struct p2pb_rdma_run_cfg *c = &a->run;
	bool lat = c->t.mode == P2PB_RDMA_LAT, send_bw = !lat && c->t.op == P2PB_RDMA_SEND;
	uint64_t iters = g->iters ? g->iters_v : !lat && c->t.op == P2PB_RDMA_WRITE ? 5000 : 1000, max = 0;
	unsigned int k;

	if (g->iters && g->duration_ns) {
		fprintf(stderr, "p2pbench rdma: give --iters or --duration, not both\n");
		return 2;
	}
	if (lat && c->ep.qps > 1) {
		fprintf(stderr, "p2pbench rdma: latency runs one QP (--qps is for --mode bw)\n");
		return 2;
	}
	c->n_steps = g->size ? g->n_sizes : 1;
	for (k = 0; k < c->n_steps; k++)
		c->steps[k].size = g->size ? g->sizes[k] : lat ? 2 : 65536;
	if (!g->tx)
		c->ep.tx_depth = lat ? 1 : 128;
	if (!g->duration_ns && c->ep.tx_depth > iters)
		c->ep.tx_depth = (unsigned int)iters;	/* as perftest: never more in flight than sent */
	if (!g->rx)
		c->ep.rx_depth = send_bw ? (iters < 512 && !g->duration_ns ? (unsigned int)iters : 512) : 16;
	if (send_bw && c->ep.rx_depth < c->ep.tx_depth)
		fprintf(stderr, "p2pbench rdma: note: rx depth %u < tx depth %u: sends will wait for receives (RNR)\n",
			c->ep.rx_depth, c->ep.tx_depth);
	for (k = 0; k < c->n_steps; k++) {
		c->steps[k].iters = g->duration_ns ? 0 : iters;
		c->steps[k].duration_ns = g->duration_ns;
		max = c->steps[k].size > max ? c->steps[k].size : max;
	}
	c->ep.slot = (max + 4095) & ~4095ull;
	if (c->role == P2PB_RDMA_SERVER && c->server) {
		fprintf(stderr, "p2pbench rdma: --server takes no SERVER argument\n");
		return 2;
	}
	return check_disturb(c);
}

int p2pb_rdma_args_parse(int argc, char **argv, struct p2pb_rdma_args *a)
{
	struct p2pb_rdma_run_cfg *c = &a->run;
	struct given g = { 0 };
	int opt, idx, rc;

	memset(a, 0, sizeof(*a));
	c->ep.port = 1;
	c->ep.gid_index = -1;
	c->ep.qps = 1;
	c->t.cq_mod = 100;
	c->t.seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	c->tcp_port = P2PB_CHAN_PORT;
	c->verify = true;
	c->disturb.hold_ns = 100000000ull;
	c->recovery_timeout_ns = 10000000000ull;
	p2pb_rdma_mem_parse("host", &c->mem);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:i:x:o:m:s:aq:t:r:n:D:Q:I:M:p:h", rdma_opts, &idx)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?') {
			usage(stderr);
			return 2;
		}
		if ((rc = parse_opt(opt, a, &g)))
			return rc;
	}
	if (optind < argc) {
		c->server = argv[optind++];
		c->role = c->role == P2PB_RDMA_SERVER ? c->role : P2PB_RDMA_CLIENT;
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench rdma: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	c->ep.dev = a->dev[0] ? a->dev : NULL;
	c->ep.mem = &c->mem;
	return finish_args(a, &g);
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
