// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench revoke: export BAR ranges of a vfio-pci device as dma-bufs, attach
 * importers, pull a revoke trigger over and over and measure how long it
 * takes until every importer has unmapped (revoke-to-quiesce), then undo the
 * trigger and prove that the importers can map again.
 */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "revoke_case.h"

#include "error.h"
#include "job_file.h"
#include "result.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every device of every job must exist and be (or, with bind, become) vfio-pci's. */
static int claim_all(struct p2pb_session *s, const struct p2pb_job *jobs, unsigned int n, bool bind)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (p2pb_session_claim_device(s, jobs[i].device, bind))
			return 2;
	return 0;
}

/* Job keys with a short option too; every job key is a long one. */
static const struct p2pb_cli_short revoke_shorts[] = {
	{ 'd', "device" }, { 'b', "bar" }, { 't', "trigger" }, { 'i', "importer" }, { 'n', "iterations" }, { 0 },
};

/* The options that are not job keys. */
static const struct option revoke_extra[] = {
	{ "trace", no_argument, 0, 'X' }, { "timeline", no_argument, 0, 'L' },
	{ "job", required_argument, 0, 'j' }, { "bind", no_argument, 0, 'B' },
	{ "json", required_argument, 0, 'J' }, { "ktap", required_argument, 0, 'K' },
	{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0 },
};

static void trace_usage(FILE *f)
{
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
}

static void usage(FILE *f, bool as_trace)
{
	unsigned int i;

	if (as_trace)
		trace_usage(f);
	fprintf(f,
		"Usage: p2pbench revoke --device BDF --trigger NAME --importer SPEC [options]\n"
		"       p2pbench revoke --job FILE [options]\n\n"
		"Exports BAR ranges of a vfio-pci device as dma-bufs, attaches importers, and\n"
		"pulls a revoke trigger repeatedly. Per iteration it measures the trigger\n"
		"syscall, trigger->invalidate and invalidate->unmap per importer, and\n"
		"revoke-to-quiesce (trigger start -> last importer unmapped); then undoes the\n"
		"trigger and checks that every importer maps again. See docs/methodology.md.\n\n"
		"Options: every job file key below is also an option, --KEY VALUE; --trigger also\n"
		"takes a comma list or 'all' (one case per trigger). Short forms:\n ");
	for (i = 0; revoke_shorts[i].letter; i++)
		fprintf(f, "%s -%c --%s", i ? "," : "", revoke_shorts[i].letter, revoke_shorts[i].key);
	fprintf(f,
		"\nBesides them:\n"
		"  -j, --job FILE          fio-style INI job file; the options given are its [global] defaults\n"
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
	fprintf(f, "  %-10s %s\n", "all", p2pb_trigger_all());
	fputc('\n', f);
	p2pb_engine_help(f);
	fprintf(f, "\nJob file keys (job files: fio-style INI, [global] then one section per case):\n");
	p2pb_job_help(f);
	fprintf(f,
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
		"still written).\n");
}

/* What the command line asked for, beyond the job keys. */
struct revoke_args {
	struct p2pb_job defaults;
	const char *job_file, *json_path, *ktap_path, *triggers, *prog;
	bool bind, quiet, trace, timeline;
};

/* -1: go on; else the exit status (help printed, or bad input). */
static int parse_args(int argc, char **argv, bool as_trace, struct revoke_args *a)
{
	struct option opts[P2PB_CLI_MAX_OPTS + 1];
	char shortopts[P2PB_CLI_SHORTOPTS_LEN];
	const struct p2pb_opt *key;
	int opt;

	p2pb_job_defaults(&a->defaults);
	a->trace = a->timeline = as_trace;
	a->prog = as_trace ? "trace" : "revoke";
	if (p2pb_cli_options(p2pb_job_keys, revoke_shorts, revoke_extra, opts)) {
		fprintf(stderr, "p2pbench %s: %s\n", a->prog, p2pb_error());
		return 2;
	}
	p2pb_cli_shortopts(p2pb_job_keys, revoke_shorts, "j:qh", shortopts);	/* -j, -q: options of revoke's own */
	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (opt) {
		case 'j': a->job_file = optarg; continue;
		case 'B': a->bind = true; continue;
		case 'J': a->json_path = optarg; continue;
		case 'K': a->ktap_path = optarg; continue;
		case 'q': a->quiet = true; continue;
		case 'X': a->trace = true; continue;
		case 'L': a->timeline = true; continue;
		case 'h': usage(stdout, as_trace); return 0;
		case '?': usage(stderr, as_trace); return 2;
		case 't':
			if (strchr(optarg, ',') || !strcmp(optarg, "all")) {
				a->triggers = optarg;
				continue;
			}
		}
		key = p2pb_cli_key(p2pb_job_keys, revoke_shorts, opt);
		if (key && p2pb_cli_set(p2pb_job_keys, key, &a->defaults, optarg)) {
			fprintf(stderr, "p2pbench %s: %s\n", a->prog, p2pb_error());
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench %s: unexpected argument '%s' (see --help)\n", a->prog, argv[optind]);
		return 2;
	}
	return -1;
}

/* The cases to run, from a job file or the command line; 0 or -EINVAL with a message. */
static int make_jobs(const struct revoke_args *a, struct p2pb_job **jobs, unsigned int *n)
{
	unsigned int i;
	int err;

	if (a->job_file)
		return a->triggers ? p2pb_fail(-EINVAL, "a trigger list on the command line cannot be combined with "
					       "--job; put it in the file") :
		       p2pb_job_file_parse(a->job_file, &a->defaults, jobs, n);
	err = p2pb_job_expand(&a->defaults, a->triggers, jobs, n);
	if (!err && !(*jobs)[0].name[0])
		snprintf((*jobs)[0].name, sizeof((*jobs)[0].name), "%s", (*jobs)[0].trigger ? (*jobs)[0].trigger->name : "");
	for (i = 0; !err && i < *n; i++)
		err = p2pb_job_check(&(*jobs)[i]);
	return err;
}

/* Everything that can be refused is refused before anything changes. */
static int prepare(struct p2pb_session *s, const struct revoke_args *a, const struct p2pb_job *jobs,
		   unsigned int n, struct p2pb_ktap *ktap)
{
	int rc = claim_all(s, jobs, n, a->bind);

	if (!rc && a->trace && p2pb_trace_start(&s->trace))
		rc = 2;
	if (!rc && a->ktap_path && p2pb_ktap_open(ktap, a->ktap_path, (int)n))
		rc = 2;
	if (rc)
		fprintf(stderr, "p2pbench %s: %s\n", a->prog, p2pb_error());
	return rc;
}

static void write_doc(json_object *doc, const struct revoke_args *a)
{
	json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted));
	json_object_object_add(doc, "kernel_stuck", json_object_new_boolean(p2pb_case_kernel_stuck()));
	if (a->json_path && p2pb_result_write(doc, a->json_path))
		fprintf(stderr, "p2pbench %s: %s\n", a->prog, p2pb_error());
}

/* Run every case; the exit status. */
static int run_jobs(struct p2pb_session *s, const struct revoke_args *a, const struct p2pb_job *jobs,
		    unsigned int n, struct p2pb_ktap *ktap, json_object *doc)
{
	struct p2pb_case_summary *sums = calloc(n, sizeof(*sums));
	json_object *cases = json_object_new_array();
	enum p2pb_outcome worst = P2PB_PASS, o;
	unsigned int i;

	if (!sums)
		return 2;
	json_object_object_add(doc, "cases", cases);
	if (!a->quiet)
		p2pb_case_table_header();
	for (i = 0; i < n && !p2pb_interrupted && !p2pb_case_kernel_stuck(); i++) {
		o = p2pb_revoke_case(s, &jobs[i], cases, ktap, a->quiet, NULL, &sums[i]);
		worst = o > worst ? o : worst;
		write_doc(doc, a);
	}
	if (!a->quiet && i > 1)
		p2pb_case_summary_table(sums, i);
	free(sums);
	if (p2pb_case_kernel_stuck())
		p2pb_cli_exit_stuck(a->prog, ktap);
	if (!p2pb_interrupted)
		return p2pb_verdict_exit_status(worst);
	if (ktap->f)
		fprintf(ktap->f, "Bail out! interrupted\n");
	write_doc(doc, a);
	fprintf(stderr, "p2pbench %s: interrupted; partial results written%s\n", a->prog,
		a->json_path ? "" : " (none requested)");
	return 130;
}

/* One exit path: whatever happened, bindings and modules are put back. */
static int revoke_main(int argc, char **argv, bool as_trace)
{
	struct revoke_args a = { 0 };
	struct p2pb_job *jobs = NULL;
	struct p2pb_session s;
	struct p2pb_ktap ktap = { 0 };
	json_object *doc;
	unsigned int n = 0;
	int rc = parse_args(argc, argv, as_trace, &a);

	if (rc >= 0)
		return rc;
	if (make_jobs(&a, &jobs, &n)) {
		fprintf(stderr, "p2pbench %s: %s\n", a.prog, p2pb_error());
		free(jobs);
		return 2;
	}
	p2pb_session_init(&s, a.quiet);
	s.timeline = a.timeline;
	rc = prepare(&s, &a, jobs, n, &ktap);
	if (!rc) {
		doc = p2pb_result_new("revoke", argc, argv);
		rc = run_jobs(&s, &a, jobs, n, &ktap, doc);
		json_object_put(doc);
	}
	p2pb_ktap_close(&ktap);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
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
