// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench load: one importer moving data through one exported range for a
 * fixed time, no revoke: the steady-state throughput of an engine, what the
 * benchmarks put side by side with fio and perftest (bench/).
 */
#define _GNU_SOURCE
#include "commands.h"
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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2pbench load --device BDF --importer SPEC [options]\n\n"
		"Exports a BAR range of a vfio-pci device as one dma-buf, attaches one importer\n"
		"that moves data through it (kmod dma= or io=), lets it run for a warm-up and\n"
		"then --duration, and reports bytes/s and operations/s. No revoke: the engine's\n"
		"steady-state throughput, as bench/p2p-vs-fio.sh compares with fio.\n\n"
		"Options:\n"
		"  -d, --device BDF        exporter, bound to vfio-pci (or --bind)\n"
		"  -b, --bar N             BAR to export (default 2)\n"
		"      --offset SIZE, --size SIZE   the range (default: the whole BAR)\n"
		"  -i, --importer SPEC     e.g. kmod:dev=0000:03:00.0,io=read,bs=64k,qd=16\n"
		"      --duration D        measured time (default 5s)\n"
		"      --warmup D          unmeasured time first (default 500ms)\n"
		"      --bind              rebind the device to vfio-pci for the run, restore after\n"
		"      --json FILE         write the result document (- for stdout)\n"
		"  -q, --quiet             no table\n"
		"  -h, --help\n\n"
		"Exit status: 0 data moved without error, 1 I/O errors or nothing moved,\n"
		"2 bad input or a setup error, 130 interrupted.\n\n");
	p2pb_engine_help(f);
}

static const struct option load_opts[] = {
	{ "device", required_argument, 0, 'd' }, { "bar", required_argument, 0, 'b' },
	{ "offset", required_argument, 0, 'O' }, { "size", required_argument, 0, 'S' },
	{ "importer", required_argument, 0, 'i' }, { "duration", required_argument, 0, 'T' },
	{ "warmup", required_argument, 0, 'W' }, { "bind", no_argument, 0, 'B' },
	{ "json", required_argument, 0, 'J' }, { "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' }, { 0 },
};

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, "p2pbench load: --%s %s: %s\n", opt, val, p2pb_error()[0] ? p2pb_error() : "bad value");
	return 2;
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct load_args *a)
{
	int opt, idx;

	p2pb_job_defaults(&a->p.job);
	a->p.duration_ns = 5000000000ull;
	a->p.warmup_ns = 500000000ull;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:b:i:qh", load_opts, &idx)) != -1) {
		switch (opt) {
		case 'T':
			if (p2pb_parse_duration_ns(optarg, 1000000000ull, &a->p.duration_ns) || !a->p.duration_ns)
				return bad("duration", optarg);
			break;
		case 'W':
			if (p2pb_parse_duration_ns(optarg, 1000000000ull, &a->p.warmup_ns))
				return bad("warmup", optarg);
			break;
		case 'B': a->bind = true; break;
		case 'J': a->json_path = optarg; break;
		case 'q': a->quiet = true; break;
		case 'h': usage(stdout); return 0;
		case '?': usage(stderr); return 2;
		default: {
			const char *key = opt == 'd' ? "device" : opt == 'b' ? "bar" : opt == 'i' ? "importer" :
					  opt == 'O' ? "offset" : "size";

			if (p2pb_job_set(&a->p.job, key, optarg))
				return bad(key, optarg);
		}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench load: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
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
