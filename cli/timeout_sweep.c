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

/* The command line: the sweep's parameters and where the output goes. */
struct sweep_args {
	struct p2pb_sweep w;
	const char *iterations, *quiesce_timeout;	/* job keys of every cell, read once the rest is known */
	const char *ktap_path;
	bool quiet;
};

static const struct option sweep_opts[] = {
	{ "device", required_argument, 0, 'd' }, { "importer-dev", required_argument, 0, 'I' },
	{ "triggers", required_argument, 0, 't' }, { "delays", required_argument, 0, 'D' },
	{ "timeouts", required_argument, 0, 'T' }, { "policies", required_argument, 0, 'P' },
	{ "iterations", required_argument, 0, 'n' }, { "quiesce-timeout", required_argument, 0, 'Q' },
	{ "bind", no_argument, 0, 'B' }, { "json", required_argument, 0, 'J' },
	{ "ktap", required_argument, 0, 'K' }, { "quiet", no_argument, 0, 'q' },
	{ "dma", required_argument, 0, 'M' }, { "dma-misbehave", no_argument, 0, 'W' },
	{ "help", no_argument, 0, 'h' }, { 0 },
};

/* What a sweep cannot do without, then the job keys of its cells; -1: go on, else the exit status. */
static int sweep_complete(struct sweep_args *a)
{
	struct p2pb_sweep *w = &a->w;
	int err;

	if (!w->base.device[0])
		err = p2pb_fail(-EINVAL, "no device: give --device BDF");
	else if (!w->imp_dev)
		err = p2pb_fail(-EINVAL, "no importer device: give --importer-dev BDF (bound to p2pbench_importer)");
	else
		err = p2pb_job_set(&w->base, "iterations", a->iterations) ||
		      p2pb_job_set(&w->base, "quiesce-timeout", a->quiesce_timeout);
	if (!err)
		return -1;
	fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
	return 2;
}

/* -1: go on; else the exit status. */
static int sweep_parse(int argc, char **argv, struct sweep_args *a)
{
	struct p2pb_sweep *w = &a->w;
	int opt;

	*w = (struct p2pb_sweep){ .triggers = "mem-off,flr", .delays = "1ms,100ms,1s,2s,lognormal:50ms:1.5,never",
			     .timeouts = "0,100ms,1s,5s", .policies = "proceed,warn-wait" };
	a->iterations = "3";
	a->quiesce_timeout = "8s";
	p2pb_job_defaults(&w->base);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:t:n:qh", sweep_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (p2pb_job_set(&w->base, "device", optarg)) {
				fprintf(stderr, "p2pbench timeout-sweep: %s\n", p2pb_error());
				return 2;
			}
			break;
		case 'I': w->imp_dev = optarg; break;
		case 't': w->triggers = optarg; break;
		case 'D': w->delays = optarg; break;
		case 'T': w->timeouts = optarg; break;
		case 'P': w->policies = optarg; break;
		case 'n': a->iterations = optarg; break;
		case 'Q': a->quiesce_timeout = optarg; break;
		case 'B': w->bind = true; break;
		case 'J': w->json_path = optarg; break;
		case 'K': a->ktap_path = optarg; break;
		case 'q': a->quiet = true; break;
		case 'M': w->dma = optarg; break;
		case 'W': w->misbehave = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
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
