// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench revoke: export BAR ranges of a vfio-pci device as dma-bufs, attach
 * importers, pull a revoke trigger over and over and measure how long it
 * takes until every importer has unmapped (revoke-to-quiesce), then undo the
 * trigger and prove that the importers can map again.
 */
#define _GNU_SOURCE
#include "revoke.h"

#include "error.h"
#include "job.h"
#include "result.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool p2pb_revoke_kernel_stuck(void)
{
	return p2pb_case_kernel_stuck();
}

enum p2pb_outcome p2pb_revoke_case(struct p2pb_session *s, const struct p2pb_job *j, json_object *cases,
				   struct p2pb_ktap *ktap, bool quiet, struct p2pb_case_result *keep,
				   struct p2pb_case_summary *summary)
{
	struct p2pb_case_result *r = calloc(1, sizeof(*r));
	enum p2pb_outcome o;

	if (!r) {
		fprintf(stderr, "p2pbench: out of memory\n");
		return P2PB_ERROR;
	}
	p2pb_case_run(s, j, r);
	json_object_array_add(cases, p2pb_case_json(r));
	p2pb_case_ktap(ktap, r);
	if (!quiet)
		p2pb_case_table(r);
	if (s->timeline)
		p2pb_case_timeline(r, s->trace.tracepoints, s->trace.on);
	o = r->verdict.outcome;
	if (summary)
		p2pb_case_summarize(r, summary);
	if (keep)
		*keep = *r;
	else
		p2pb_case_result_free(r);
	free(r);
	return o;
}

/* Every device of every job must exist and be (or, with bind, become) vfio-pci's. */
static int claim_all(struct p2pb_session *s, const struct p2pb_job *jobs, unsigned int n, bool bind)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (p2pb_session_claim_device(s, jobs[i].device, bind))
			return 2;
	return 0;
}

/* A trigger is stuck in the kernel: results are written; nothing can be undone. */
static void bail_out_stuck(struct p2pb_ktap *ktap)
{
	if (ktap->f)
		fprintf(ktap->f, "Bail out! a revoke trigger is stuck in the kernel\n");
	p2pb_ktap_close(ktap);
	fprintf(stderr, "p2pbench revoke: a trigger is stuck in the kernel; results written, "
		"device bindings left as they are\n");
	fflush(NULL);
	_exit(1);	/* exit() would wait for the stuck thread's files */
}

static void usage(FILE *f, bool as_trace)
{
	unsigned int i;

	if (as_trace)
		fprintf(f,
			"Usage: p2pbench trace [revoke options]\n\n"
			"A revoke run (options below) that also records the kernel's side of every\n"
			"revoke from tracefs, on the same CLOCK_MONOTONIC timeline as p2pbench's and the\n"
			"importers' own timestamps (trace_clock mono), and prints each iteration as one\n"
			"merged timeline. Kernel events come from the vfio_pci_dmabuf tracepoints of a\n"
			"patched vfio-pci (kernel/vfio) or, on a stock kernel, from kprobes on\n"
			"vfio_pci_dma_buf_move (entry and return), dma_buf_invalidate_mappings and\n"
			"vfio_pci_dma_buf_unmap. They are also in the JSON (kernel_events).\n"
			"Same as: p2pbench revoke --trace --timeline ...\n\n");
	fprintf(f,
		"Usage: p2pbench revoke --device BDF --trigger NAME --importer SPEC [options]\n"
		"       p2pbench revoke --job FILE [options]\n\n"
		"Exports BAR ranges of a vfio-pci device as dma-bufs, attaches importers, and\n"
		"pulls a revoke trigger repeatedly. Per iteration it measures the trigger\n"
		"syscall, trigger->invalidate and invalidate->unmap per importer, and\n"
		"revoke-to-quiesce (trigger start -> last importer unmapped); then undoes the\n"
		"trigger and checks that every importer maps again. See docs/methodology.md.\n\n"
		"Options (each is also a job-file key without the dashes):\n"
		"  -d, --device BDF        exporter, bound to vfio-pci\n"
		"  -b, --bar N             BAR to export (default 2)\n"
		"      --offset SIZE, --size SIZE, --dmabufs N\n"
		"  -t, --trigger LIST      comma list or 'all': one case per trigger\n"
		"  -i, --importer SPEC     repeatable: importers attached together\n"
		"  -n, --iterations N      measured iterations (default 10)\n"
		"      --warmup N          unmeasured iterations first (default 1)\n"
		"      --quiesce-timeout D force-unmap a stuck importer after D (default 10s)\n"
		"      --seed N            seed for delay distributions\n"
		"      --dwell D           measure importer DMA for D before and after each revoke\n"
		"                          (default 400ms with dma= importers)\n"
		"      --config-probe 0|1  time a config-space read and a BAR read issued 2 ms into\n"
		"                          each revoke (how long vfio-pci holds up other users)\n"
		"      --name TEXT         case name\n"
		"  -j, --job FILE          fio-style INI job file; options above are defaults\n"
		"      --bind              rebind the device(s) to vfio-pci for the run and\n"
		"                          restore the original driver afterwards (Ctrl-C too)\n"
		"      --json FILE         write the versioned result document (- for stdout)\n"
		"      --ktap FILE         write KTAP pass/fail lines (- for stdout)\n"
		"  -q, --quiet             no table\n"
		"      --trace             record kernel events of each revoke (tracefs; see 'p2pbench trace')\n"
		"      --timeline          print each iteration as a merged timeline\n"
		"  -h, --help\n\n"
		"Triggers:\n");
	for (i = 0; p2pb_triggers[i]; i++)
		fprintf(f, "  %-10s %s\n", p2pb_triggers[i]->name, p2pb_triggers[i]->help);
	fprintf(f,
		"\nImporters: KIND[:key=value,...]\n"
		"  kmod      the p2pbench_importer test module (kernel/importer)\n"
		"    delay=0|DURATION|never|uniform:MIN:MAX|exp:MEAN|lognormal:MEDIAN:SIGMA\n"
		"              when to unmap after an invalidate (default 0 = inside the callback)\n"
		"    dev=BDF   the PCI function to attach as, bound to p2pbench_importer\n"
		"              (required; in the lab the edu device, 0000:02:00.0)\n"
		"    count=N   N identical importers    attach=dynamic|static|nonrevocable|no-p2p\n"
		"    fence=D   each map holds a fence (WRITE) that signals D after the next\n"
		"              invalidate, whatever the unmap policy (contract clause C4)\n"
		"    dma=SIZE  the device (a QEMU edu bound to the module) writes SIZE bytes\n"
		"              (1..4095) into the mapping per transfer, holding a fence for each;\n"
		"              dma-interval=D between transfers; dma-after-unmap=1: a misbehaving\n"
		"              device that keeps writing to its old IOVA (the IOMMU must fault)\n"
		"\nJob file keys:\n%s"
		"\nExample:\n"
		"  p2pbench revoke --device 0000:01:00.0 --bar 2 --trigger flr \\\n"
		"      --importer kmod:delay=200ms,dev=0000:02:00.0 --iterations 50 --json out.json\n"
		"\nVerdicts: every iteration is judged against the exporter's revoke contract\n"
		"(clauses C1-C7, docs/methodology.md): PASS, BOUNDED (a configured revoke\n"
		"timeout let the trigger return with live mappings), FAIL (the clauses and\n"
		"their evidence), ERROR (could not measure), SKIP. Importer misbehaviour the run\n"
		"asked for (delay=never, dma-after-unmap=1) is reported as an injected fault.\n"
		"\nExit status: 0 every case PASS, BOUNDED or SKIP; 1 a contract clause failed;\n"
		"2 bad input or a setup/measurement error; 130 interrupted (partial results are\n"
		"still written).\n",
		p2pb_job_keys_help);
}

static int revoke_main(int argc, char **argv, bool as_trace)
{
	static const struct option opts[] = {
		{ "device", required_argument, 0, 'd' }, { "bar", required_argument, 0, 'b' },
		{ "offset", required_argument, 0, 'O' }, { "size", required_argument, 0, 'S' },
		{ "dmabufs", required_argument, 0, 'D' }, { "trigger", required_argument, 0, 't' },
		{ "importer", required_argument, 0, 'i' }, { "iterations", required_argument, 0, 'n' },
		{ "warmup", required_argument, 0, 'W' }, { "quiesce-timeout", required_argument, 0, 'Q' },
		{ "seed", required_argument, 0, 'R' }, { "name", required_argument, 0, 'N' },
		{ "config-probe", required_argument, 0, 'P' }, { "trace", no_argument, 0, 'X' },
		{ "timeline", no_argument, 0, 'L' }, { "dwell", required_argument, 0, 'G' },
		{ "job", required_argument, 0, 'j' }, { "bind", no_argument, 0, 'B' },
		{ "json", required_argument, 0, 'J' }, { "ktap", required_argument, 0, 'K' },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0 },
	};
	struct p2pb_job defaults, *jobs = NULL;
	const char *job_file = NULL, *json_path = NULL, *ktap_path = NULL, *triggers = NULL;
	struct p2pb_session s;
	struct p2pb_ktap ktap = { 0 };
	json_object *doc = NULL, *cases = NULL;
	enum p2pb_outcome worst = P2PB_PASS;
	struct p2pb_case_summary *sums = NULL;
	unsigned int n_jobs = 0, i;
	bool bind = false, quiet = false, trace = as_trace, timeline = as_trace;
	int opt, rc = 0, err;

	p2pb_job_defaults(&defaults);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:b:t:i:n:j:qh", opts, NULL)) != -1) {
		const char *key = NULL;
		unsigned int o;

		switch (opt) {
		case 'j': job_file = optarg; continue;
		case 'B': bind = true; continue;
		case 'J': json_path = optarg; continue;
		case 'K': ktap_path = optarg; continue;
		case 'q': quiet = true; continue;
		case 'X': trace = true; continue;
		case 'L': timeline = true; continue;
		case 'h': usage(stdout, as_trace); return 0;
		case 't':
			if (strchr(optarg, ',') || !strcmp(optarg, "all")) {
				triggers = optarg;
				continue;
			}
			break;
		case '?': usage(stderr, as_trace); return 2;
		}
		for (o = 0; opts[o].name; o++)
			if (opts[o].val == opt)
				key = opts[o].name;
		if (p2pb_job_set(&defaults, key, optarg)) {
			fprintf(stderr, "p2pbench revoke: --%s %s: %s\n", key, optarg, p2pb_error());
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench revoke: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (job_file) {
		if (triggers)
			err = p2pb_fail(-EINVAL, "a trigger list on the command line cannot be combined with --job; put it in the file");
		else
			err = p2pb_job_file_parse(job_file, &defaults, &jobs, &n_jobs);
	} else {
		err = p2pb_job_expand(&defaults, triggers, &jobs, &n_jobs);
		if (!err && !jobs[0].name[0])
			snprintf(jobs[0].name, sizeof(jobs[0].name), "%s", jobs[0].trigger ? jobs[0].trigger->name : "");
		for (i = 0; !err && i < n_jobs; i++)
			err = p2pb_job_check(&jobs[i]);
	}
	if (err) {
		fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
		free(jobs);
		return 2;
	}

	/* Everything that can be refused is refused before anything changes. */
	p2pb_session_init(&s, quiet);
	s.timeline = timeline;
	rc = claim_all(&s, jobs, n_jobs, bind);
	if (!rc && trace && p2pb_trace_start(&s.trace))
		rc = 2;
	if (!rc && ktap_path && p2pb_ktap_open(&ktap, ktap_path, (int)n_jobs))
		rc = 2;
	if (rc) {
		fprintf(stderr, "p2pbench %s: %s\n", as_trace ? "trace" : "revoke", p2pb_error());
		goto out;
	}
	sums = calloc(n_jobs, sizeof(*sums));
	if (!sums) {
		rc = 2;
		goto out;
	}
	doc = p2pb_result_new("revoke", argc, argv);
	cases = json_object_new_array();
	json_object_object_add(doc, "cases", json_object_get(cases));
	if (!quiet)
		p2pb_case_table_header();
	for (i = 0; i < n_jobs && !p2pb_interrupted && !p2pb_revoke_kernel_stuck(); i++) {
		enum p2pb_outcome o = p2pb_revoke_case(&s, &jobs[i], cases, &ktap, quiet, NULL, &sums[i]);

		worst = o > worst ? o : worst;
		json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted));
		json_object_object_add(doc, "kernel_stuck", json_object_new_boolean(p2pb_revoke_kernel_stuck()));
		if (json_path && p2pb_result_write(doc, json_path))
			fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
	}
	rc = p2pb_verdict_exit_status(worst);
	if (!quiet && i > 1)
		p2pb_case_summary_table(sums, i);
	if (p2pb_revoke_kernel_stuck())
		bail_out_stuck(&ktap);
	if (p2pb_interrupted) {
		if (ktap.f)
			fprintf(ktap.f, "Bail out! interrupted\n");
		json_object_object_add(doc, "interrupted", json_object_new_boolean(true));
		if (json_path && p2pb_result_write(doc, json_path))
			fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
		fprintf(stderr, "p2pbench revoke: interrupted; partial results written%s\n",
			json_path ? "" : " (none requested)");
		rc = 130;
	}
	json_object_put(cases);
	json_object_put(doc);
out:
	p2pb_ktap_close(&ktap);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	free(sums);
	free(jobs);
	return rc;
}

int p2pb_cmd_revoke(int argc, char **argv)
{
	return revoke_main(argc, argv, false);
}

/* p2pbench trace: a revoke run with kernel events and a merged timeline. */
int p2pb_cmd_trace(int argc, char **argv)
{
	return revoke_main(argc, argv, true);
}
