// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench load: one importer moving data through one exported range for a
 * fixed time, no revoke: the steady-state throughput of an engine, what the
 * benchmarks put side by side with fio and perftest (bench/).
 */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "job_file.h"
#include "steady_load.h"

#include "error.h"
#include "result.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct load_args {
	struct p2pb_steady_load_params p;	/* device, bar, offset, size, importer, times */
	const char *json_path;
	bool bind, quiet;
};

static const struct p2pb_job_key_use load_job_keys[] = {
	{ .name = "device", .help = "exporter, bound to vfio-pci (or --bind)" },
	{ .name = "bar" }, { .name = "offset" }, { .name = "size" },
	{ .name = "importer", .help = "the one importer, e.g. kmod:dev=0000:03:00.0,io=read,bs=64k,qd=16 (see "
	  "'Importers')" },
	{ 0 },
};

#define ARG(member) P2PB_OPT_FIELD(struct load_args, member)

static const struct p2pb_opt load_keys[] = {
	{ .name = "duration", .type = P2PB_OPT_DURATION, ARG(p.duration_ns), .def = "5s", .min = 1,
	  .unit_ns = P2PB_NS_PER_S, .help = "measured time" },
	{ .name = "warmup", .type = P2PB_OPT_DURATION, ARG(p.warmup_ns), .def = "500ms", .unit_ns = P2PB_NS_PER_S,
	  .help = "unmeasured time first" },
	{ .name = "bind", .type = P2PB_OPT_FLAG, ARG(bind),
	  .help = "rebind the device to vfio-pci for the run, restore after" },
	{ .name = "json", .type = P2PB_OPT_STRING, ARG(json_path), .metavar = "FILE",
	  .help = "write the result document (- for stdout)" },
	{ .name = "quiet", .type = P2PB_OPT_FLAG, ARG(quiet), .help = "no table" },
	{ 0 },
};

static const struct p2pb_cli_short load_shorts[] = {
	{ 'd', "device" }, { 'b', "bar" }, { 'i', "importer" }, { 'q', "quiet" }, { 0 },
};

static void usage(FILE *f, const struct p2pb_cli_line *l)
{
	fprintf(f,
		"Usage: p2pbench load --device BDF --importer SPEC [options]\n\n"
		"Exports a BAR range of a vfio-pci device as one dma-buf, attaches one importer\n"
		"that moves data through it (kmod dma= or io=), lets it run for a warm-up and\n"
		"then --duration, and reports bytes/s and operations/s. No revoke: the engine's\n"
		"steady-state throughput, as bench/p2p-vs-fio.sh compares with fio.\n\n"
		"Options:\n");
	p2pb_cli_line_help(f, l);
	fprintf(f,
		"\nExit status: 0 data moved without error, 1 I/O errors or nothing moved,\n"
		"2 bad input or a setup error, 130 interrupted.\n\n");
	p2pb_engine_help(f);
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct load_args *a)
{
	struct p2pb_job_line l = {
		.cli = { .prog = "load", .shorts = load_shorts, .usage = usage },
		.use = load_job_keys, .job_off = offsetof(struct load_args, p.job), .own = load_keys,
	};
	int rc;

	if ((rc = p2pb_job_line_read(&l, argc, argv, a)) >= 0)
		return rc;
	if (!a->p.job.device[0] || a->p.job.n_importers != 1) {
		fprintf(stderr, "p2pbench load: needs --device and exactly one --importer (see --help)\n");
		return 2;
	}
	if (p2pb_engine_spec_check(&a->p.job.importers[0])) {
		fprintf(stderr, "p2pbench load: %s\n", p2pb_error());
		return 2;
	}
	return -1;
}

int p2pb_cmd_load(int argc, char **argv)
{
	struct load_args a = { 0 };
	struct p2pb_steady_load_result res = { 0 };
	struct p2pb_session s;
	json_object *describe = NULL, *doc;
	int rc = parse_args(argc, argv, &a), err;

	if (rc >= 0)
		return rc;
	p2pb_session_init(&s, a.quiet);
	if (p2pb_session_claim_device(&s, a.p.job.device, a.bind)) {
		fprintf(stderr, "p2pbench load: %s\n", p2pb_error());
		p2pb_session_finish(&s);
		return 2;
	}
	err = p2pb_steady_load_run(&s, &a.p, &res, &describe);
	if (err && !p2pb_interrupted)
		fprintf(stderr, "p2pbench load: %s\n", p2pb_error()[0] ? p2pb_error() : strerror(-err));
	rc = p2pb_interrupted ? 130 : err ? 2 : res.io_errors || res.io_timeouts || !res.bytes ? 1 : 0;
	if (!err && !a.quiet)
		printf("%-40s %10.2f MB/s %10.0f ops/s  %llu errors, %llu timeouts\n", a.p.job.importers[0].text,
		       res.ns ? (double)res.bytes * 1e3 / (double)res.ns : 0.0,
		       res.ns ? (double)res.ops * 1e9 / (double)res.ns : 0.0, (unsigned long long)res.io_errors,
		       (unsigned long long)res.io_timeouts);
	if (a.json_path) {
		doc = p2pb_result_new("load", argc, argv);
		json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted));
		json_object_object_add(doc, "error", err ? json_object_new_string(p2pb_error()) : NULL);
		json_object_object_add(doc, "load", err ? NULL : p2pb_steady_load_json(&a.p, &res, describe));
		if (p2pb_result_write(doc, a.json_path)) {
			fprintf(stderr, "p2pbench load: %s\n", p2pb_error());
			rc = rc ? rc : 2;
		}
		json_object_put(doc);
	}
	json_object_put(describe);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	return rc;
}
