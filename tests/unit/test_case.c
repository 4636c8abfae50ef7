// SPDX-License-Identifier: GPL-2.0
/*
 * The orchestration end to end without hardware: p2pb_case_run() with the
 * sim exporter and trigger and the null engine runs every phase, measures,
 * judges and formats, and a broken sim exporter is caught with the right
 * clause. The kernel paths themselves are the lab's (tests/lab).
 */
#include "case.h"
#include "job_file.h"
#include "jsonq.h"
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static struct p2pb_session s;

static struct p2pb_job sim_job(const char *device, const char *importer, unsigned int iterations)
{
	struct p2pb_job j;
	char n[16];

	p2pb_job_defaults(&j);
	snprintf(j.device, sizeof(j.device), "%s", device);	/* not a BDF: job_set would refuse it */
	snprintf(j.name, sizeof(j.name), "%s", importer);
	snprintf(n, sizeof(n), "%u", iterations);
	CHECK(p2pb_job_set(&j, "trigger", "sim") == 0);
	CHECK(p2pb_job_set(&j, "importer", importer) == 0);
	CHECK(p2pb_job_set(&j, "iterations", n) == 0);
	CHECK(p2pb_job_set(&j, "warmup", "1") == 0);
	CHECK(p2pb_job_set(&j, "size", "2M") == 0);
	return j;
}

static bool has_violation(const struct p2pb_case_result *r, enum p2pb_clause c, const char *text)
{
	unsigned int i;

	for (i = 0; i < r->verdict.n_v; i++)
		if (r->verdict.v[i].clause == c && strstr(r->verdict.v[i].evidence, text))
			return true;
	return false;
}

/* The case's JSON holds every metric measured at its declared path, and the summaries (lib/metric.c). */
static void check_metric_paths(const struct p2pb_case_result *r)
{
	json_object *cj = p2pb_case_json(r), *its = p2pb_jarr(cj, "iterations");
	struct p2pb_metric_values mv;
	unsigned int i, m, want = 0, found = 0;

	for (i = 0; i < r->n_iters; i++) {
		json_object *it = json_object_array_get_idx(its, i);

		p2pb_iter_metrics(&r->iters[i], &mv);
		for (m = 0; m < P2PB_N_CASE_METRICS; m++) {
			want += p2pb_metric_has(&mv, m);
			found += p2pb_metric_has(&mv, m) && p2pb_jnum(it, p2pb_metrics[m].path) == (double)mv.v[m];
		}
		p2pb_att_metrics(&r->iters[i].atts[0], &mv);
		want += 2;
		found += p2pb_jnum(it, "attachments.0.trigger_to_invalidate_ns") == (double)mv.v[P2PB_M_TRIGGER_TO_INVALIDATE];
		found += p2pb_jnum(it, "attachments.0.invalidate_to_unmap_ns") == (double)mv.v[P2PB_M_INVALIDATE_TO_UNMAP];
	}
	CHECK(want >= 5 * r->n_iters);	/* trigger, revoke-to-quiesce, un-revoke, remap, and attachments */
	CHECK_EQ_U64(found, want);
	CHECK(p2pb_jnum(cj, "summary.revoke_to_quiesce_ns.count") == 3 &&
	      p2pb_jnum(cj, "summary.invalidate_to_unmap_ns.count") == 3 && !p2pb_jpath(cj, "summary.load"));
	json_object_put(cj);
}

/* A 50 ms importer: every phase runs, the revoke waits, the verdict is PASS. */
static void test_phases(void)
{
	struct p2pb_job j = sim_job("sim", "null:delay=50ms", 3);
	struct p2pb_case_result r;
	unsigned int i, ok = 0;

	p2pb_case_run(&s, &j, &r);
	CHECK(r.verdict.outcome == P2PB_PASS);
	CHECK_EQ_U64(r.n_iters, 4);
	CHECK_EQ_U64(r.measured, 3);
	CHECK(r.verdict.judged == (1u << P2PB_C1_WAITS | 1u << P2PB_C2_NO_MAP_REVOKED | 1u << P2PB_C3_REMAP_REARM |
				   1u << P2PB_C7_KERNEL_LOG));
	for (i = 0; i < r.n_iters; i++) {
		const struct p2pb_iter_result *it = &r.iters[i];
		const struct p2pb_att_obs *a = &it->atts[0];

		/* before -> trigger -> quiesce -> revoked -> restore -> remap, in this order */
		ok += it->obs.trigger_returned && it->obs.mapped_at_return == 0 && a->invalidated && a->unmapped &&
		      a->injected_delay_ns == 50000000 && a->invalidate_to_unmap_ns >= 50000000 &&
		      it->obs.trigger_ns >= a->trigger_to_invalidate_ns + a->invalidate_to_unmap_ns &&
		      it->revoke_to_quiesce_ns >= 50000000 && it->obs.map_while_revoked_tried &&
		      it->obs.map_while_revoked_errno == ENODEV && it->unrevoke_timed && it->obs.remap_tried &&
		      !it->obs.remap_errno && a->unmap_cause == P2PB_UNMAP_POLICY &&
		      it->warmup == (i == 0);
	}
	CHECK_EQ_U64(ok, 4);
	CHECK(r.h[P2PB_M_REVOKE_TO_QUIESCE].count == 3 && r.h[P2PB_M_REVOKE_TO_QUIESCE].min >= 50000000);
	check_metric_paths(&r);
	p2pb_case_result_free(&r);
}

/* Two importers of one dma-buf: each one's invalidate->unmap is kept, the revoke waits for the slower. */
static void test_importers_apart(void)
{
	struct p2pb_job j = sim_job("sim", "null:delay=0", 2);
	struct p2pb_case_result r;

	CHECK(p2pb_job_set(&j, "importer", "null:delay=30ms") == 0);
	p2pb_case_run(&s, &j, &r);
	CHECK(r.verdict.outcome == P2PB_PASS && r.n_importers == 2);
	CHECK_EQ_U64(r.unmap_by_importer[0].count, 2);
	CHECK_EQ_U64(r.unmap_by_importer[1].count, 2);
	CHECK(r.unmap_by_importer[0].max < 30000000 && r.unmap_by_importer[1].min >= 30000000);
	CHECK(r.h[P2PB_M_REVOKE_TO_QUIESCE].min >= 30000000);
	p2pb_case_result_free(&r);
}

/* The broken sim exporters are caught, with the clause and the evidence. */
static void test_broken(void)
{
	struct p2pb_job j = sim_job("sim:no-wait", "null:delay=50ms", 2);
	struct p2pb_case_result r;

	p2pb_case_run(&s, &j, &r);
	CHECK(r.verdict.outcome == P2PB_FAIL && r.verdict.violated == 1u << P2PB_C1_WAITS);
	CHECK(has_violation(&r, P2PB_C1_WAITS, "with 1 of 1 mapping(s) live and no revoke bound configured"));
	/* quiesced all the same: the importer unmapped on its own, later */
	CHECK(r.iters[1].revoke_to_quiesce_ns >= 50000000 && r.iters[1].obs.trigger_ns < 50000000);
	p2pb_case_result_free(&r);

	j = sim_job("sim:map-while-revoked", "null", 1);
	p2pb_case_run(&s, &j, &r);
	CHECK(r.verdict.outcome == P2PB_FAIL && r.verdict.violated == 1u << P2PB_C2_NO_MAP_REVOKED);
	CHECK(has_violation(&r, P2PB_C2_NO_MAP_REVOKED, "a map while revoked by sim succeeded"));
	p2pb_case_result_free(&r);
}

/* An importer that never unmaps: released after the quiesce timeout, reported as injected. */
static void test_never(void)
{
	struct p2pb_job j = sim_job("sim", "null:delay=never", 2);
	struct p2pb_case_result r;

	CHECK(p2pb_job_set(&j, "quiesce-timeout", "100ms") == 0);
	p2pb_case_run(&s, &j, &r);
	CHECK(r.verdict.outcome == P2PB_PASS && r.ctx.injected_never_unmap);
	CHECK_EQ_U64(r.verdict.never_unmap.forced_releases, 3);
	CHECK(r.forced_iters == 2 && r.iters[2].atts[0].forced && r.iters[2].revoke_to_quiesce_ns >= 100000000);
	p2pb_case_result_free(&r);
}

/* A setup error is an ERROR with the reason, not a crash or a PASS. */
static void test_errors(void)
{
	struct p2pb_job j = sim_job("sim", "null", 1);
	struct p2pb_case_result r;

	snprintf(j.device, sizeof(j.device), "sim:melt");
	p2pb_case_run(&s, &j, &r);
	CHECK(r.verdict.outcome == P2PB_ERROR && strstr(r.verdict.error, "unknown sim fault 'melt'"));
	CHECK_EQ_U64(r.n_iters, 0);
	p2pb_case_result_free(&r);
	/* the kmod engine cannot import from the sim exporter: said so */
	j = sim_job("sim", "kmod:dev=0000:02:00.0", 1);
	p2pb_case_run(&s, &j, &r);
	CHECK(r.verdict.outcome == P2PB_ERROR);
	p2pb_case_result_free(&r);
}

/* The same result formatted: JSON and KTAP say what the structs say. */
static void test_report(void)
{
	struct p2pb_job j = sim_job("sim:no-wait", "null:delay=20ms,count=2", 1);
	char path[] = "/tmp/p2pb-case-ktap-XXXXXX", line[512];
	struct p2pb_case_result r;
	struct p2pb_ktap k;
	json_object *o, *v, *x;
	bool c1_not_ok = false, c2_ok = false;
	FILE *f;
	int fd = mkstemp(path);

	close(fd);
	p2pb_case_run(&s, &j, &r);
	o = p2pb_case_json(&r);
	CHECK(json_object_object_get_ex(o, "status", &v) && !strcmp(json_object_get_string(v), "fail"));
	CHECK(json_object_object_get_ex(o, "verdict", &v) && json_object_object_get_ex(v, "clauses", &x) &&
	      json_object_object_get_ex(x, "C1", &x) && !strcmp(json_object_get_string(x), "fail"));
	CHECK(json_object_object_get_ex(o, "importers", &v) && json_object_array_length(v) == 2);
	CHECK(json_object_object_get_ex(o, "iterations", &v) && json_object_array_length(v) == 2);
	json_object_put(o);
	CHECK(p2pb_ktap_open(&k, path, 1) == 0);
	p2pb_case_ktap(&k, &r);
	p2pb_ktap_close(&k);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		c1_not_ok |= !strcmp(line, "    not ok 1 C1_trigger_waits\n");
		c2_ok |= !strcmp(line, "    ok 2 C2_no_map_while_revoked\n");
	}
	if (f)
		fclose(f);
	CHECK(c1_not_ok && c2_ok);
	unlink(path);
	p2pb_case_result_free(&r);
}

int main(void)
{
	p2pb_session_init(&s, true);
	test_phases();
	test_importers_apart();
	test_broken();
	test_never();
	test_errors();
	test_report();
	return check_done();
}
