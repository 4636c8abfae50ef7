// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench load: one importer moving data through one exported range for a
 * fixed time, no revoke: the steady-state throughput of an engine, what the
 * benchmarks put side by side with fio and perftest (bench/).
 */
#define _GNU_SOURCE
#include "revoke.h"

#include "clock.h"
#include "error.h"
#include "topo.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct load_args {
	struct p2pb_job job;		/* device, bar, offset, size, importer */
	uint64_t duration_ns, warmup_ns;
	const char *json_path;
	bool bind, quiet;
};

struct load_result {
	struct p2pb_range range;
	uint64_t ns, bytes, ops, io_errors, io_timeouts;
	uint32_t last_error;
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

	p2pb_job_defaults(&a->job);
	a->duration_ns = 5000000000ull;
	a->warmup_ns = 500000000ull;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:b:i:qh", load_opts, &idx)) != -1) {
		switch (opt) {
		case 'T':
			if (p2pb_parse_duration_ns(optarg, 1000000000ull, &a->duration_ns) || !a->duration_ns)
				return bad("duration", optarg);
			break;
		case 'W':
			if (p2pb_parse_duration_ns(optarg, 1000000000ull, &a->warmup_ns))
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

			if (p2pb_job_set(&a->job, key, optarg))
				return bad(key, optarg);
		}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench load: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (!a->job.device[0] || a->job.n_importers != 1) {
		fprintf(stderr, "p2pbench load: needs --device and exactly one --importer (see --help)\n");
		return 2;
	}
	if (p2pb_engine_spec_check(&a->job.importers[0])) {
		fprintf(stderr, "p2pbench load: %s\n", p2pb_error());
		return 2;
	}
	return -1;
}

static void sleep_with_progress(struct p2pb_session *s, uint64_t ns, const char *what)
{
	uint64_t end = p2pb_now_ns() + ns, now;

	while (!p2pb_interrupted && (now = p2pb_now_ns()) < end) {
		p2pb_session_progress(s, "load: %s, %.1f s left", what, (double)(end - now) / 1e9);
		p2pb_sleep_ns(end - now < 200000000ull ? end - now : 200000000ull);
	}
	p2pb_session_progress_done(s);
}

/* Attach, start, warm up, measure; the engine is detached and closed by the caller. */
static int measure(struct p2pb_session *s, const struct load_args *a, struct p2pb_engine *e,
		   const struct p2pb_export *x, struct load_result *res)
{
	const struct p2pb_engine_ops *ops = e->spec->ops;
	struct p2pb_attachment att = { 0 };
	struct p2pb_engine_stats st0 = { 0 }, st1 = { 0 };
	uint64_t t0;
	int err;

	if (!ops->moves_data || !ops->moves_data(e->spec->opts))
		return p2pb_fail(-EINVAL, "importer %s moves no data (kmod: give dma= or io=)", e->spec->text);
	if ((err = ops->attach(e, x, &att)))
		return p2pb_error()[0] ? err : p2pb_fail(err, "importer %s could not attach: %s", e->spec->text,
							    strerror(-err));
	if (att.map_err || (err = ops->start(e, &att))) {
		if (att.map_err)
			err = p2pb_fail(att.map_err, "importer %s could not map: %s", e->spec->text,
					strerror(-att.map_err));
		ops->detach(e, &att);
		return err;
	}
	sleep_with_progress(s, a->warmup_ns, "warming up");
	ops->stats(e, &att, &st0);
	t0 = p2pb_now_ns();
	sleep_with_progress(s, a->duration_ns, "measuring");
	ops->stats(e, &att, &st1);
	res->ns = p2pb_now_ns() - t0;
	res->bytes = st1.bytes - st0.bytes;
	res->ops = st1.ops - st0.ops;
	res->io_errors = st1.io_errors - st0.io_errors;
	res->io_timeouts = st1.io_timeouts - st0.io_timeouts;
	res->last_error = st1.last_error;
	ops->detach(e, &att);
	return 0;
}

static int run(struct p2pb_session *s, const struct load_args *a, struct load_result *res, json_object **describe)
{
	struct p2pb_exporter x = { 0 };
	struct p2pb_export exp = { .fd = -1 };
	struct p2pb_engine e = { .spec = &a->job.importers[0], .seed = a->job.seed };
	unsigned int n;
	int err;

	/* the job's dmabufs is 1: one range */
	if ((err = p2pb_exporter_open(&x, a->job.device)) || (err = p2pb_plan_ranges(&x, &a->job, &res->range, &n)))
		goto out;
	err = x.ops->export(&x, a->job.bar, &res->range, &exp);
	if (err) {
		err = p2pb_fail(err, "exporting BAR%u [%#llx, +%#llx) of %s failed: %s", a->job.bar,
				(unsigned long long)res->range.offset, (unsigned long long)res->range.length, x.name,
				strerror(-err));
		goto out;
	}
	err = e.spec->ops->open(&e, &s->restore);
	if (e.spec->ops->describe)
		*describe = e.spec->ops->describe(&e);
	if (!err)
		err = measure(s, a, &e, &exp, res);
	e.spec->ops->close(&e);
	x.ops->unexport(&x, &exp);
out:
	p2pb_exporter_close(&x);
	return err;
}

/* The exporter's place and the kernel's route to the importer's device (the engine's "device"). */
static json_object *topology_json(const char *device, json_object *describe)
{
	json_object *dev = NULL;

	if (describe && json_object_object_get_ex(describe, "device", &dev) && json_object_is_type(dev, json_type_string))
		return p2pb_topo_pair_json(device, json_object_get_string(dev));
	return p2pb_topo_json(device);
}

static json_object *result_json(const struct load_args *a, const struct load_result *r, json_object *describe)
{
	json_object *o = json_object_new_object();
	double secs = (double)r->ns / 1e9;

	json_object_object_add(o, "device", json_object_new_string(a->job.device));
	json_object_object_add(o, "bar", json_object_new_int((int)a->job.bar));
	json_object_object_add(o, "offset", p2pb_json_u64(r->range.offset));
	json_object_object_add(o, "length", p2pb_json_u64(r->range.length));
	json_object_object_add(o, "importer", json_object_new_string(a->job.importers[0].text));
	json_object_object_add(o, "engine", describe ? json_object_get(describe) : NULL);
	json_object_object_add(o, "topology", topology_json(a->job.device, describe));
	json_object_object_add(o, "ns", p2pb_json_u64(r->ns));
	json_object_object_add(o, "bytes", p2pb_json_u64(r->bytes));
	json_object_object_add(o, "ops", p2pb_json_u64(r->ops));
	json_object_object_add(o, "bytes_per_s", p2pb_json_u64(secs > 0 ? (uint64_t)((double)r->bytes / secs) : 0));
	json_object_object_add(o, "ops_per_s", json_object_new_double(secs > 0 ? (double)r->ops / secs : 0));
	json_object_object_add(o, "io_errors", p2pb_json_u64(r->io_errors));
	json_object_object_add(o, "io_timeouts", p2pb_json_u64(r->io_timeouts));
	json_object_object_add(o, "last_error", json_object_new_int((int)r->last_error));
	return o;
}

int p2pb_cmd_load(int argc, char **argv)
{
	struct load_args a = { 0 };
	struct load_result res = { 0 };
	struct p2pb_session s;
	json_object *describe = NULL, *doc;
	int rc = parse_args(argc, argv, &a), err;

	if (rc >= 0)
		return rc;
	p2pb_session_init(&s, a.quiet);
	if (p2pb_session_claim_device(&s, a.job.device, a.bind)) {
		fprintf(stderr, "p2pbench load: %s\n", p2pb_error());
		p2pb_session_finish(&s);
		return 2;
	}
	err = run(&s, &a, &res, &describe);
	if (err && !p2pb_interrupted)
		fprintf(stderr, "p2pbench load: %s\n", p2pb_error()[0] ? p2pb_error() : strerror(-err));
	rc = p2pb_interrupted ? 130 : err ? 2 : res.io_errors || res.io_timeouts || !res.bytes ? 1 : 0;
	if (!err && !a.quiet)
		printf("%-40s %10.2f MB/s %10.0f ops/s  %llu errors, %llu timeouts\n", a.job.importers[0].text,
		       res.ns ? (double)res.bytes * 1e3 / (double)res.ns : 0.0,
		       res.ns ? (double)res.ops * 1e9 / (double)res.ns : 0.0, (unsigned long long)res.io_errors,
		       (unsigned long long)res.io_timeouts);
	if (a.json_path) {
		doc = p2pb_result_new("load", argc, argv);
		json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted));
		json_object_object_add(doc, "error", err ? json_object_new_string(p2pb_error()) : NULL);
		json_object_object_add(doc, "load", err ? NULL : result_json(&a, &res, describe));
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
