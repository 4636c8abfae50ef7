// SPDX-License-Identifier: GPL-2.0
/* p2pbench timeout-sweep: options, the result document and the exit status (stress/sweep_grid.c runs it). */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "sweep_grid.h"
#include "case.h"
#include "job_file.h"

#include "clock.h"
#include "error.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The command line: the sweep's parameters and where the output goes. */
struct sweep_args {
	struct p2pb_sweep w;
	const char *ktap_path;
	bool quiet;
};

/* The job keys every cell takes from the command line, under the sweep's defaults. */
static const struct p2pb_job_key_use sweep_job_keys[] = {
	{ .name = "device", .help = "exporter PCI function on vfio-pci (BAR 2 is exported)" },
	{ .name = "iterations", .def = "3", .help = "measured revokes per cell, without warm-up" },
	{ .name = "quiesce-timeout", .def = "8s",
	  .help = "release (force-unmap) a stuck importer after D; it must exceed the longest --timeouts for the "
	  "'never' cells to mean anything" },
	{ 0 },
};

#define ARG(member) P2PB_OPT_FIELD(struct sweep_args, member)

/* The axes are lists: the plan (stress/sweep_grid.c) reads and checks them. */
static const struct p2pb_opt sweep_keys[] = {
	{ .name = "importer-dev", .type = P2PB_OPT_STRING, ARG(w.imp_dev), .metavar = "BDF",
	  .help = "PCI function the test importer attaches as, bound to p2pbench_importer (required; the lab's edu: "
	  "0000:02:00.0)" },
	{ .name = "triggers", .type = P2PB_OPT_STRING, ARG(w.triggers), .def = "mem-off,flr", .metavar = "LIST",
	  .help = "revoke triggers, a comma list or 'all' for every trigger" },
	{ .name = "delays", .type = P2PB_OPT_STRING, ARG(w.delays), .def = "1ms,100ms,1s,2s,lognormal:50ms:1.5,never",
	  .metavar = "LIST", .help = "importer unmap delays, each a kmod delay= value" },
	{ .name = "timeouts", .type = P2PB_OPT_STRING, ARG(w.timeouts), .def = "0,100ms,1s,5s", .metavar = "LIST",
	  .help = "revoke_timeout_ms values as durations, whole ms up to 1h; 0: unbounded" },
	{ .name = "policies", .type = P2PB_OPT_STRING, ARG(w.policies), .def = "proceed,warn-wait", .metavar = "LIST",
	  .help = "revoke_timeout_policy values, proceed or warn-wait, for the cells whose timeout is not 0" },
	{ .name = "dma", .type = P2PB_OPT_STRING, ARG(w.dma), .metavar = "SIZE",
	  .help = "the importer's device writes SIZE bytes per transfer into the mapping (QEMU edu); the table then "
	  "shows bytes written while revoked and IOMMU faults: after a proceed timeout the mapping is still live, so "
	  "writes land without a fault" },
	{ .name = "dma-misbehave", .type = P2PB_OPT_FLAG, ARG(w.misbehave),
	  .help = "with --dma: the device ignores the invalidate and keeps writing, also after the unmap (the IOMMU "
	  "then faults)" },
	{ .name = "beside", .type = P2PB_OPT_STRING, ARG(w.beside), .metavar = "SPEC",
	  .help = "another importer on the same dma-buf in every cell, as --importer of revoke takes it (e.g. "
	  "iommufd:dev=0000:03:00.0 on a kernel with iommufd): its own invalidate->unmap in every case shows "
	  "whether the bound changes its answer" },
	{ .name = "bind", .type = P2PB_OPT_FLAG, ARG(w.bind),
	  .help = "rebind the device to vfio-pci for the run, restore after" },
	{ .name = "json", .type = P2PB_OPT_STRING, ARG(w.json_path), .metavar = "FILE",
	  .help = "every case in full, rewritten after every cell" },
	{ .name = "ktap", .type = P2PB_OPT_STRING, ARG(ktap_path), .metavar = "FILE", .help = "KTAP, a line per cell" },
	{ .name = "quiet", .type = P2PB_OPT_FLAG, ARG(quiet), .help = "only the final table" },
	{ 0 },
};

static const struct p2pb_cli_short sweep_shorts[] = {
	{ 'd', "device" }, { 't', "triggers" }, { 'n', "iterations" }, { 'q', "quiet" }, { 0 },
};

static void usage(FILE *f, const struct p2pb_cli_line *l)
{
	fprintf(f,
		"Usage: p2pbench timeout-sweep --device BDF --importer-dev BDF [options]\n\n"
		"Runs a revoke case for every cell of importer unmap delay x revoke timeout x\n"
		"timeout policy x trigger, on vfio-pci built with kernel/vfio/patches (in the lab:\n"
		"scripts/lab --vfio patched). Prints one table row per cell; --json writes every\n"
		"case in full. docs/timeout-evaluation.md explains how to read it.\n\n"
		"Options:\n");
	p2pb_cli_line_help(f, l);
	fprintf(f, "\nThe module parameters are restored to their previous values at the end (Ctrl-C too).\n");
}

/* What a sweep cannot do without; -1: go on, else the exit status. */
static int sweep_complete(struct sweep_args *a)
{
	struct p2pb_sweep *w = &a->w;

	if (w->base.device[0] && w->imp_dev)
		return -1;
	fprintf(stderr, "p2pbench timeout-sweep: %s\n", !w->base.device[0] ? "no device: give --device BDF" :
		"no importer device: give --importer-dev BDF (bound to p2pbench_importer)");
	return 2;
}

/* -1: go on; else the exit status. */
static int sweep_parse(int argc, char **argv, struct sweep_args *a)
{
	struct p2pb_job_line l = {
		.cli = { .prog = "timeout-sweep", .shorts = sweep_shorts, .usage = usage },
		.use = sweep_job_keys, .job_off = offsetof(struct sweep_args, w.base), .own = sweep_keys,
	};
	int rc;

	if ((rc = p2pb_job_line_read(&l, argc, argv, a)) >= 0)
		return rc;
	return sweep_complete(a);
}

/* Put the module parameters back, write and print what was measured. */
static void sweep_finish(struct p2pb_session *s, struct sweep_args *a, struct p2pb_ktap *ktap, json_object *doc,
			 uint64_t started)
{
	struct p2pb_sweep *w = &a->w;

	p2pb_session_progress_done(s);
	p2pb_sweep_restore(w);
	json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted));
	json_object_object_add(doc, "duration_ns", p2pb_json_u64(p2pb_now_ns() - started));
	if (w->json_path && p2pb_result_write(doc, w->json_path))
		fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
	p2pb_sweep_table(w);
	printf("%u of %u cells in %.0f s%s\n", w->done, w->n_cells, (double)(p2pb_now_ns() - started) / 1e9,
	       p2pb_interrupted ? " (interrupted)" : "");
	if (p2pb_interrupted && ktap->f)
		fprintf(ktap->f, "Bail out! interrupted\n");
	if (p2pb_case_kernel_stuck())
		p2pb_cli_exit_stuck("timeout-sweep", ktap);
}

bool p2pb_timeout_sweep_flag(const char *key)
{
	const struct p2pb_opt *o = p2pb_opt_find(sweep_keys, key);

	return o && o->type == P2PB_OPT_FLAG;
}

int p2pb_cmd_timeout_sweep(int argc, char **argv)
{
	struct sweep_args *a = calloc(1, sizeof(*a));
	struct p2pb_session s;
	struct p2pb_ktap ktap = { 0 };
	uint64_t started = p2pb_now_ns();
	json_object *doc;
	int rc;

	if (!a)
		return 2;
	rc = sweep_parse(argc, argv, a);
	if (rc < 0 && p2pb_sweep_plan(&a->w)) {
		fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
		rc = 2;
	}
	if (rc >= 0) {
		free(a->w.cells);
		free(a);
		return rc;
	}
	p2pb_session_init(&s, a->quiet);
	if (p2pb_sweep_prepare(&s, &a->w, &ktap, a->ktap_path)) {
		fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
		rc = 2;
	} else {
		doc = p2pb_result_new("timeout-sweep", argc, argv);
		rc = p2pb_verdict_exit_status(p2pb_sweep_run(&s, &a->w, &ktap, doc));
		sweep_finish(&s, a, &ktap, doc, started);
		json_object_put(doc);
	}
	p2pb_ktap_close(&ktap);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	free(a->w.cells);
	free(a);
	return p2pb_interrupted ? 130 : rc;
}
