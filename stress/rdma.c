// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench rdma: RDMA writes, reads or sends over RC QPs through a memory
 * back-end (host memory, a udmabuf or dma-heap dma-buf, a VFIO BAR
 * dma-buf), bandwidth or latency, loopback on one device or client/server
 * like perftest; every byte moved is checked.
 */
#define _GNU_SOURCE
#include "rdma.h"

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
	t = p2pb_trigger_find(name);
	if (!t || t->for_tests)
		return bad(opt, val, "unknown trigger (see --help)");
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
	else if (c->disturb.kind == P2PB_FAULT_TRIGGER && c->mem.kind != P2PB_MEM_VFIO)
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
struct placement {
	char nic[P2PB_BDF_LEN];		/* "" for a software device */
	int numa;
	bool pinned;
	double narrowest;		/* bytes/s, 0 unknown */
};

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
static void place(struct p2pb_rdma_args *a, struct placement *pl)
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
	if (a->run.mem.kind == P2PB_MEM_VFIO && !p2pb_pci_path_read("/sys", a->run.mem.bdf, &p) &&
	    (n = p2pb_path_narrowest(&p)) > 0 && (!pl->narrowest || n < pl->narrowest))
		pl->narrowest = n;
	p2pb_clear_error();
}

static json_object *placement_json(const struct p2pb_rdma_args *a, const struct placement *pl)
{
	json_object *o = json_object_new_object(), *nic;

	if (pl->nic[0] && a->run.mem.kind == P2PB_MEM_VFIO) {
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
		if (a->run.mem.kind == P2PB_MEM_VFIO)
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

static json_object *disturb_json(const struct p2pb_rdma_step_result *r)
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
	json_object_object_add(o, "stall_ns", st ? p2pb_json_summary(&st->stall) : NULL);
	json_object_object_add(o, "fault_to_first_good_ns", st ? p2pb_json_summary(&st->to_good) : NULL);
	/* with a trigger: how long the revoke took with this NIC importing (VFIO waits for its unmap) */
	json_object_object_add(o, "fault_call_ns", st ? p2pb_json_summary(&st->call) : NULL);
	json_object_object_add(data, "checked_bytes", p2pb_json_u64(r->c.fault_checked));
	json_object_object_add(data, "bad_bytes", p2pb_json_u64(r->c.fault_bad));
	json_object_object_add(o, "data_at_faults", data);
	free(st);
	return o;
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

static json_object *step_json(const struct p2pb_rdma_args *a, const struct placement *pl,
			      const struct p2pb_rdma_step_result *r)
{
	json_object *o = json_object_new_object(), *d, *sv;

	json_object_object_add(o, "size", p2pb_json_u64(r->step.size));
	json_object_object_add(o, "iters", p2pb_json_u64(r->step.iters));
	json_object_object_add(o, "duration_ns", p2pb_json_u64(r->step.duration_ns));
	json_object_object_add(o, "ns", p2pb_json_u64(r->c.ns));
	json_object_object_add(o, "ops", p2pb_json_u64(r->c.ops));
	json_object_object_add(o, "bytes", p2pb_json_u64(r->c.bytes));
	json_object_object_add(o, "bytes_per_s", p2pb_json_u64((uint64_t)per_s(r->c.bytes, r->c.ns)));
	json_object_object_add(o, "msgs_per_s", json_object_new_double(per_s(r->c.ops, r->c.ns)));
	json_object_object_add(o, "link_share", pl->narrowest > 0 ?
				json_object_new_double(per_s(r->c.bytes, r->c.ns) / pl->narrowest) : NULL);
	json_object_object_add(o, "latency_ns", a->run.t.mode == P2PB_RDMA_LAT ?
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
	json_object_object_add(o, "disturbance", a->run.disturb.kind != P2PB_FAULT_NONE ? disturb_json(r) : NULL);
	return o;
}

static json_object *run_json(const struct p2pb_rdma_args *a, const struct placement *pl,
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
	json_object_object_add(o, "mode", json_object_new_string(c->t.mode == P2PB_RDMA_LAT ? "lat" : "bw"));
	json_object_object_add(o, "qps", json_object_new_int((int)c->ep.qps));
	json_object_object_add(o, "tx_depth", json_object_new_int((int)c->ep.tx_depth));
	json_object_object_add(o, "rx_depth", json_object_new_int((int)c->ep.rx_depth));
	json_object_object_add(o, "cq_mod", json_object_new_int((int)c->t.cq_mod));
	json_object_object_add(o, "inline", json_object_new_int((int)r->inline_size));
	json_object_object_add(m, "spec", json_object_new_string(c->mem.text));
	json_object_object_add(m, "kind", json_object_new_string(p2pb_rdma_mem_kind_name(c->mem.kind)));
	json_object_object_add(m, "dmabuf", json_object_new_boolean(p2pb_rdma_mem_is_dmabuf(c->mem.kind)));
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

static void print_header(const struct p2pb_rdma_args *a, const struct placement *pl,
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

static void print_step(const struct p2pb_rdma_args *a, const struct placement *pl,
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

static void report(const struct p2pb_rdma_args *a, const struct placement *pl, const struct p2pb_rdma_run_result *r)
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

static int write_json(const struct p2pb_rdma_args *a, const struct placement *pl, int argc, char **argv, int err,
		      const struct p2pb_rdma_run_result *r, const struct p2pb_kmsg_counts *kc)
{
	json_object *doc = p2pb_result_new("rdma", argc, argv);
	int rc;

	json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted || err == -EINTR));
	json_object_object_add(doc, "unsupported", json_object_new_boolean(err == -EOPNOTSUPP));
	json_object_object_add(doc, "error", err && err != -EINTR ? json_object_new_string(p2pb_error()) : NULL);
	json_object_object_add(doc, "rdma", r->dev[0] ? run_json(a, pl, r) : NULL);
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
	struct placement pl;
	struct p2pb_kmsg kmsg;
	struct p2pb_kmsg_counts kc = { 0 };
	int rc = p2pb_rdma_args_parse(argc, argv, &a), err = 0;

	if (rc >= 0)
		return rc;
	place(&a, &pl);
	res = calloc(1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "p2pbench rdma: out of memory\n");
		return 2;
	}
	p2pb_session_init(&s, a.quiet);
	p2pb_kmsg_open(&kmsg);	/* a WARN or a refcount splat during the run fails it, as clause C7 */
	if (a.run.mem.kind == P2PB_MEM_VFIO)
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
		report(&a, &pl, res);
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
