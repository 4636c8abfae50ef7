// SPDX-License-Identifier: GPL-2.0
/*
 * One importer moving data through one exported range for a fixed time, no
 * revoke: the steady-state throughput of an engine (p2pbench load), what the
 * benchmarks put side by side with fio and perftest (bench/).
 */
#define _GNU_SOURCE
#include "steady_load.h"

#include "case.h"
#include "clock.h"
#include "error.h"
#include "topo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
static int measure(struct p2pb_session *s, const struct p2pb_steady_load_params *a, struct p2pb_engine *e,
		   const struct p2pb_export *x, struct p2pb_steady_load_result *res)
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

int p2pb_steady_load_run(struct p2pb_session *s, const struct p2pb_steady_load_params *a, struct p2pb_steady_load_result *res, json_object **describe)
{
	struct p2pb_exporter *x = NULL;
	struct p2pb_export exp = { .fd = -1 };
	struct p2pb_engine e = { .spec = &a->job.importers[0], .seed = a->job.seed };
	unsigned int n;
	int err;

	/* the job's dmabufs is 1: one range */
	if ((err = p2pb_exporter_open(a->job.device, &x)) || (err = p2pb_plan_ranges(x, &a->job, &res->range, &n)))
		goto out;
	err = x->ops->export(x, a->job.bar, &res->range, &exp);
	if (err) {
		err = p2pb_fail(err, "exporting BAR%u [%#llx, +%#llx) of %s failed: %s", a->job.bar,
				(unsigned long long)res->range.offset, (unsigned long long)res->range.length, x->name,
				strerror(-err));
		goto out;
	}
	err = e.spec->ops->open(&e, &s->restore);
	if (e.spec->ops->describe)
		*describe = e.spec->ops->describe(&e);
	if (!err)
		err = measure(s, a, &e, &exp, res);
	e.spec->ops->close(&e);
	x->ops->unexport(x, &exp);
out:
	p2pb_exporter_close(x);
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

json_object *p2pb_steady_load_json(const struct p2pb_steady_load_params *a, const struct p2pb_steady_load_result *r, json_object *describe)
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
