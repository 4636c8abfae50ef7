// SPDX-License-Identifier: GPL-2.0
/*
 * Reading results back and comparing them, on recorded lab results
 * (results/reference): matching, noise decisions, thresholds, and the
 * errors bad input gets.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "regression.h"
#include "error.h"
#include "qualify.h"
#include "resultset.h"
#include "thresholds.h"

#define REF TEST_SOURCE_DIR "/results/reference/"
#define QUAL REF "lab-7.3.4-qualification.json"

static char tmpdir[] = "/tmp/p2pb-test-compare.XXXXXX";

/* A copy of a recorded document with f() applied: an injected change. */
static const char *modified(const char *src, const char *name, void (*f)(json_object *root))
{
	static char path[256];
	json_object *root = json_object_from_file(src);

	f(root);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	json_object_to_file(path, root);
	json_object_put(root);
	return path;
}

static json_object *case_named(json_object *root, const char *name)
{
	json_object *cases = json_object_object_get(root, "cases");
	size_t i;

	for (i = 0; i < json_object_array_length(cases); i++) {
		json_object *c = json_object_array_get_idx(cases, i);

		if (!strcmp(json_object_get_string(json_object_object_get(c, "name")), name))
			return c;
	}
	return NULL;
}

static void scale_iterations(json_object *c, const char *key, double factor)
{
	json_object *its = json_object_object_get(c, "iterations");
	size_t i;

	for (i = 0; i < json_object_array_length(its); i++) {
		json_object *it = json_object_array_get_idx(its, i);
		double v = json_object_get_double(json_object_object_get(it, key));

		json_object_object_add(it, key, json_object_new_int64((int64_t)(v * factor)));
	}
}

/* delay200/mem-off's importer takes 60% longer: only revoke_to_quiesce_ns changes */
static void slower_importer(json_object *root)
{
	scale_iterations(case_named(root, "delay200/mem-off"), "revoke_to_quiesce_ns", 1.6);
}

static void verdict_fails(json_object *root)
{
	json_object *c = case_named(root, "delay0/d3hot"), *v = json_object_object_get(c, "verdict");

	json_object_object_add(v, "outcome", json_object_new_string("FAIL"));
}

static void drop_case(json_object *root)
{
	json_object *cases = json_object_object_get(root, "cases");

	json_object_array_del_idx(cases, 0, 1);
}

static void old_schema(json_object *root)
{
	json_object_object_add(root, "schema_version", json_object_new_int(1));
}

static void test_load(void)
{
	struct p2pb_rset s = { 0 };
	const struct p2pb_series *sr;
	const struct p2pb_rcase *c;

	CHECK(p2pb_rset_add(&s, QUAL) == 0);
	CHECK_EQ_U64(s.n_docs, 1);
	CHECK_EQ_U64(s.n_cases, 18);
	c = &s.cases[0];
	CHECK_STR(c->name, "delay0/flr");
	CHECK_STR(c->key, "revoke|lab-qualification|delay0/flr");
	CHECK_STR(c->outcome, "PASS");
	CHECK(strstr(c->params, "trigger=flr") && strstr(c->params, "delay=0") && !strstr(c->params, "dev="));
	sr = p2pb_rcase_series(c, "revoke_to_quiesce_ns");
	CHECK(sr && sr->n == 10 && sr->v[0] <= sr->p50 && sr->p50 <= sr->max);	/* warm-up left out */
	c = &s.cases[12];
	CHECK_STR(c->name, "nvme-load/flr");
	CHECK(p2pb_rcase_series(c, "load.stall_ns") && p2pb_rcase_series(c, "dma.after.bytes_per_s"));
	CHECK(p2pb_rcase_series(c, "dma.after.bytes_per_s")->better == P2PB_HIGHER_BETTER);
	p2pb_rset_free(&s);

	CHECK(p2pb_rset_add(&s, REF "lab-7.3.4-stress-10m.json") == 0);
	CHECK_EQ_U64(s.n_cases, 4);	/* flr, mem-off, d3hot, run */
	sr = p2pb_rcase_series(&s.cases[0], "revoke_ns");
	CHECK(sr && !sr->v && sr->count == 2612);	/* a summary only: the flr cycles */
	sr = p2pb_rcase_series(&s.cases[3], "ops_per_s");	/* ops_total/elapsed_s of the run */
	CHECK(!strcmp(s.cases[3].name, "stress/run") && sr && sr->n == 1 && sr->v[0] > 1);
	p2pb_rset_free(&s);

	CHECK(p2pb_rset_add(&s, REF "lab-7.3.4-rdma-vs-perftest.json") == 0);
	CHECK(s.n_cases == 7 && p2pb_rcase_series(&s.cases[0], "ours")->n == 3);
	CHECK_STR(s.cases[6].name, "rdma-vs-perftest/send_lat/2");
	CHECK(p2pb_rcase_series(&s.cases[6], "ours")->better == P2PB_LOWER_BETTER);
	p2pb_rset_free(&s);

	CHECK(p2pb_rset_add(&s, REF "lab-7.3.4-revoke-scale.json") == 0);
	CHECK(s.n_cases == 13 && !strcmp(s.cases[0].name, "scale/dmabufs=1"));
	p2pb_rset_free(&s);
}

/* Two cases on one device, as a document of a machine with PCI topology records it. */
static void with_topology(json_object *root)
{
	json_object *cases = json_object_object_get(root, "cases");
	size_t i;

	for (i = 0; i < 2; i++)
		json_object_object_add(json_object_array_get_idx(cases, i), "topology", json_tokener_parse(
			"{\"bdf\": \"0000:01:00.0\", \"host_bridge\": \"pci0000:00\", \"numa_node\": 0, "
			"\"narrowest_link_bytes_per_s\": 985000000, \"path\": [{\"bdf\": \"0000:00:1c.0\", "
			"\"id\": \"8086:a110\", \"port\": \"root\", \"link_gts\": 8, \"link_width\": 1, "
			"\"acs_redirect\": true}, {\"bdf\": \"0000:01:00.0\", \"id\": \"1b36:0010\", "
			"\"port\": \"endpoint\", \"link_gts\": 8, \"link_width\": 1}]}"));
}

/* What the report draws besides metrics, read back: timelines, sweep cells, scale points, devices, commands. */
static void test_details(void)
{
	struct p2pb_rset s = { 0 };
	const struct p2pb_timeline *tl;
	size_t i, sweep_cells = 0, marks = 0;

	CHECK(p2pb_rset_add(&s, QUAL) == 0);
	tl = s.cases[12].timeline;	/* nvme-load/flr */
	CHECK(tl && tl->iteration >= 1 && tl->n_bins > 10 && tl->bin_ns == 10e6 && tl->start_ns < 0);
	for (i = 0; tl && i < tl->n_marks; i++)
		marks += !strcmp(tl->marks[i].what, "trigger") || !strcmp(tl->marks[i].what, "first good I/O");
	CHECK_EQ_U64(marks, 2);
	CHECK(!s.cases[0].timeline && !strcmp(s.cases[0].trigger, "flr") && !s.cases[0].sweep.set);
	/* the lab's exporter, once for its 18 cases: the NVMe behind a root port with ACS */
	CHECK(!strncmp(s.docs[0].command, "p2pbench revoke --job ", 22) && s.n_topo == 1 &&
	      !strcmp(s.topo[0].bdf, "0000:01:00.0") && strstr(s.topo[0].path, "0000:00:01.0 [1b36:000c root-port") &&
	      strstr(s.topo[0].path, "ACS redirect"));
	p2pb_rset_free(&s);

	CHECK(p2pb_rset_add(&s, modified(QUAL, "topo.json", with_topology)) == 0);
	CHECK(s.n_topo == 1 && s.topo[0].doc == 0 && !strcmp(s.topo[0].bdf, "0000:01:00.0") &&
	      !strcmp(s.topo[0].host_bridge, "pci0000:00") && s.topo[0].numa_node == 0 &&
	      s.topo[0].narrowest == 985000000);
	CHECK(s.n_topo == 1 && !strcmp(s.topo[0].path, "0000:00:1c.0 [8086:a110 root, 8.0 GT/s x1, ACS redirect] > "
					       "0000:01:00.0 [1b36:0010 endpoint, 8.0 GT/s x1]"));
	p2pb_rset_free(&s);

	CHECK(p2pb_rset_add(&s, REF "lab-7.3.4-timeout-sweep.json") == 0);
	for (i = 0; i < s.n_cases; i++)
		sweep_cells += s.cases[i].sweep.set && s.cases[i].sweep.delay[0] && s.cases[i].sweep.policy[0] &&
			       !isnan(s.cases[i].sweep.timeout_ms) && s.cases[i].trigger[0];
	CHECK(sweep_cells == s.n_cases && sweep_cells > 10);
	p2pb_rset_free(&s);

	CHECK(p2pb_rset_add(&s, REF "lab-7.3.4-rdma-fault.json") == 0);
	tl = s.cases[0].timeline;
	CHECK(tl && tl->iteration == -1 && tl->disturbances == 2 && tl->n_marks >= 2 &&
	      !strcmp(tl->marks[0].what, "disturbance"));
	p2pb_rset_free(&s);

	CHECK(p2pb_rset_add(&s, REF "lab-7.3.4-revoke-scale.json") == 0);
	CHECK(!strcmp(s.docs[0].scale_trigger, "mem-off") && !strcmp(s.docs[0].scale_delay, "10ms"));
	CHECK(!strcmp(s.cases[0].scale_axis, "dmabufs") && s.cases[0].scale_n == 1 &&
	      !strcmp(s.cases[6].scale_axis, "attachments"));
	p2pb_rset_free(&s);
}

static void test_bad_input(void)
{
	struct p2pb_rset s = { 0 };
	char empty[300], notjson[300];
	FILE *f;

	CHECK(p2pb_rset_add(&s, "/nonexistent/result.json") < 0 && strstr(p2pb_error(), "No such file"));
	CHECK(p2pb_rset_add(&s, modified(QUAL, "old.json", old_schema)) < 0);
	CHECK(strstr(p2pb_error(), "version 1") && strstr(p2pb_error(), "reads version 2"));
	snprintf(notjson, sizeof(notjson), "%s/not.json", tmpdir);
	f = fopen(notjson, "w");
	fputs("{\"cases\": [", f);
	fclose(f);
	CHECK(p2pb_rset_add(&s, notjson) < 0 && strstr(p2pb_error(), "cannot read a JSON document"));
	snprintf(empty, sizeof(empty), "%s/empty", tmpdir);
	mkdir(empty, 0755);
	CHECK(p2pb_rset_add(&s, empty) < 0 && strstr(p2pb_error(), "no p2pbench result documents"));
	CHECK(s.n_docs == 0 && s.n_cases == 0);	/* nothing half-added */
	p2pb_rset_free(&s);
}

static void load_pair(struct p2pb_rset *b, struct p2pb_rset *n, const char *new_path)
{
	memset(b, 0, sizeof(*b));
	memset(n, 0, sizeof(*n));
	CHECK(p2pb_rset_add(b, QUAL) == 0);
	CHECK(p2pb_rset_add(n, new_path) == 0);
}

static const struct p2pb_cmp_case *cmp_case(const struct p2pb_compare *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_cases; i++)
		if (!strcmp(c->cases[i].name, name))
			return &c->cases[i];
	return NULL;
}

static void test_compare_same(void)
{
	struct p2pb_rset b, n;
	struct p2pb_thresholds t;
	struct p2pb_compare c;

	p2pb_thresholds_defaults(&t);
	load_pair(&b, &n, QUAL);
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	CHECK(c.matched == 18 && c.missing == 0 && c.added == 0);
	CHECK_EQ_U64(c.regressions, 0);
	CHECK_EQ_U64(c.improvements, 0);
	CHECK_EQ_U64(c.verdicts_changed, 0);
	p2pb_compare_free(&c);
	p2pb_rset_free(&b);
	p2pb_rset_free(&n);
}

static void test_compare_regression(void)
{
	struct p2pb_rset b, n;
	struct p2pb_thresholds t;
	struct p2pb_compare c;
	const struct p2pb_cmp_case *cc;
	size_t i, j, flagged = 0;

	p2pb_thresholds_defaults(&t);
	load_pair(&b, &n, modified(QUAL, "slower.json", slower_importer));
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	cc = cmp_case(&c, "delay200/mem-off");
	CHECK(cc && cc->metrics[0].verdict == P2PB_REGRESSION && cc->metrics[0].noise == P2PB_NOISE_BEYOND);
	CHECK(cc && fabs(cc->metrics[0].change - 0.6) < 0.01);
	/* the injected change and nothing else */
	for (i = 0; i < c.n_cases; i++)
		for (j = 0; j < c.cases[i].n_metrics; j++)
			flagged += c.cases[i].metrics[j].verdict != P2PB_SAME;
	CHECK_EQ_U64(flagged, 1);
	CHECK_EQ_U64(c.regressions, 1);
	p2pb_compare_free(&c);

	/* the same change is no regression under a 70% threshold for that metric */
	t.rules[0] = (struct p2pb_metric_rule){ .glob = "revoke_*", .min_change = 0.7, .min_abs = -1, .ignore = -1 };
	t.n_rules = 1;
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	CHECK_EQ_U64(c.regressions, 0);
	p2pb_compare_free(&c);
	/* and the other way round, at the default thresholds, it is an improvement */
	p2pb_thresholds_defaults(&t);
	CHECK(p2pb_compare_run(&n, &b, &t, &c) == 0);
	CHECK(c.regressions == 0 && c.improvements == 1);
	p2pb_compare_free(&c);
	p2pb_rset_free(&b);
	p2pb_rset_free(&n);
}

static void test_compare_verdicts(void)
{
	struct p2pb_rset b, n;
	struct p2pb_thresholds t;
	struct p2pb_compare c;
	const struct p2pb_cmp_case *cc;

	p2pb_thresholds_defaults(&t);
	load_pair(&b, &n, modified(QUAL, "fails.json", verdict_fails));
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	cc = cmp_case(&c, "delay0/d3hot");
	CHECK(cc && cc->outcome_verdict == P2PB_REGRESSION && !strcmp(cc->new_outcome, "FAIL"));
	CHECK(c.regressions == 1 && c.verdicts_changed == 1);
	p2pb_compare_free(&c);
	p2pb_rset_free(&b);
	p2pb_rset_free(&n);

	load_pair(&b, &n, modified(QUAL, "dropped.json", drop_case));
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	CHECK(c.missing == 1 && c.regressions == 1 && c.matched == 17);
	p2pb_compare_free(&c);
	t.missing_is_regression = false;
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	CHECK(c.missing == 1 && c.regressions == 0);
	p2pb_compare_free(&c);
	/* reversed, the case is new: never a regression */
	CHECK(p2pb_compare_run(&n, &b, &t, &c) == 0);
	CHECK(c.added == 1 && c.regressions == 0);
	p2pb_compare_free(&c);
	p2pb_rset_free(&b);
	p2pb_rset_free(&n);
}

static void test_compare_unmatched(void)
{
	struct p2pb_rset b = { 0 }, n = { 0 };
	struct p2pb_thresholds t;
	struct p2pb_compare c;

	p2pb_thresholds_defaults(&t);
	CHECK(p2pb_rset_add(&b, QUAL) == 0);
	CHECK(p2pb_rset_add(&n, REF "lab-7.3.4-stress-10m.json") == 0);
	CHECK(p2pb_compare_run(&b, &n, &t, &c) < 0 && strstr(p2pb_error(), "no case of the new results"));
	p2pb_rset_free(&b);
	p2pb_rset_free(&n);
}

/* host.kernel_build / host.emulator as scripts/lab writes them */
static void on_machine(json_object *root, const char *flavor, const char *qemu)
{
	json_object *host, *kb = json_object_new_object(), *emu = json_object_new_object();

	json_object_object_get_ex(root, "host", &host);
	json_object_object_add(kb, "release", json_object_new_string("7.3.4-p2pb-build"));
	json_object_object_add(kb, "origin", json_object_new_string("built"));
	json_object_object_add(kb, "flavor", json_object_new_string(flavor));
	json_object_object_add(kb, "config_sha256", json_object_new_string("1a2b3c4d5e6f"));
	json_object_object_add(host, "kernel_build", kb);
	json_object_object_add(emu, "name", json_object_new_string("qemu"));
	json_object_object_add(emu, "version", json_object_new_string(qemu));
	json_object_object_add(host, "emulator", emu);
}

static void machine_a(json_object *root) { on_machine(root, "build", "7.2.22"); }
static void other_host(json_object *root)
{
	json_object *host;

	json_object_object_get_ex(root, "host", &host);
	json_object_object_add(host, "name", json_object_new_string("rig-2"));
}
static void machine_b(json_object *root) { on_machine(root, "build", "11.1.3"); }

/* The same host name on another emulator is another machine; a side that
 * does not say how its machine was made is judged by its host name alone. */
static void test_compare_machines(void)
{
	struct p2pb_rset b, n;
	struct p2pb_thresholds t;
	struct p2pb_compare c;
	char a[256];

	p2pb_thresholds_defaults(&t);
	snprintf(a, sizeof(a), "%s", modified(QUAL, "machine-a.json", machine_a));
	memset(&b, 0, sizeof(b));
	memset(&n, 0, sizeof(n));
	CHECK(p2pb_rset_add(&b, a) == 0);
	CHECK(p2pb_rset_add(&n, modified(QUAL, "machine-b.json", machine_b)) == 0);
	CHECK_STR(b.docs[0].machine, "7.3.4-p2pb-build built (config 1a2b3c4d), qemu 7.2.22");
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	CHECK(c.across_hosts);
	CHECK(strstr(c.new_machines, "qemu 11.1.3") != NULL);
	p2pb_compare_free(&c);
	p2pb_rset_free(&n);
	memset(&n, 0, sizeof(n));
	CHECK(p2pb_rset_add(&n, QUAL) == 0);
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	CHECK(!c.across_hosts && c.new_machines[0] == '\0');
	p2pb_compare_free(&c);
	p2pb_rset_free(&n);
	memset(&n, 0, sizeof(n));
	CHECK(p2pb_rset_add(&n, modified(QUAL, "other-host.json", other_host)) == 0);
	CHECK(p2pb_compare_run(&b, &n, &t, &c) == 0);
	CHECK(c.across_hosts && !strcmp(c.new_hosts, "rig-2"));
	p2pb_compare_free(&c);
	p2pb_rset_free(&b);
	p2pb_rset_free(&n);
}

static void test_thresholds(void)
{
	struct p2pb_thresholds t;
	double min_change, min_abs;
	bool ignore;
	static const struct {
		const char *file, *message;
	} bad[] = {
		{ "thresholds-bad-key.ini", ":3: unknown key 'min_chnage'" },
		{ "thresholds-bad-pct.ini", ":3: min_change = 10: a percentage" },
		{ "thresholds-bad-section.ini", ":2: unknown section [metrics revoke_to_quiesce_ns]" },
		{ "thresholds-bad-limit.ini", ":2: revoke_to_quiesce_ns.p99 = 50ms: a limit is '<= VALUE'" },
		{ "thresholds-bad-stat.ini", ":2: 'revoke_to_quiesce_ns.p42': the statistic is one of" },
		{ "no-such-file.ini", "cannot read the threshold file" },
	};
	size_t i;

	p2pb_thresholds_defaults(&t);
	CHECK(p2pb_thresholds_load(&t, TEST_DATA_DIR "/thresholds-good.ini") == 0);
	CHECK(fabs(t.alpha - 0.05) < 1e-12 && fabs(t.min_change - 0.1) < 1e-12 && t.min_abs == 1e6);
	CHECK(!t.missing_is_regression);
	p2pb_thresholds_for(&t, "revoke_to_quiesce_ns", "ns", &min_change, &min_abs, &ignore);
	CHECK(fabs(min_change - 0.25) < 1e-12 && min_abs == 5e6 && !ignore);
	p2pb_thresholds_for(&t, "dma.after.bytes_per_s", "B/s", &min_change, &min_abs, &ignore);
	CHECK(fabs(min_change - 0.3) < 1e-12 && min_abs == 4.0 * 1048576 && !ignore);
	p2pb_thresholds_for(&t, "remap_ns", "ns", &min_change, &min_abs, &ignore);
	CHECK(ignore && fabs(min_change - 0.1) < 1e-12);
	CHECK_EQ_U64(t.n_limits, 3);
	CHECK(!strcmp(t.limits[0].case_glob, "delay0/*") && !strcmp(t.limits[0].metric, "revoke_to_quiesce_ns"));
	CHECK(!strcmp(t.limits[0].stat, "p99") && t.limits[0].at_most && t.limits[0].value == 50e6);
	CHECK(!t.limits[1].at_most && t.limits[1].value == 8.0 * 1048576);
	CHECK(!strcmp(t.limits[2].stat, "value") && fabs(t.limits[2].value - 0.95) < 1e-12);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[256];
		int rc;

		snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, bad[i].file);
		p2pb_thresholds_defaults(&t);
		rc = p2pb_thresholds_load(&t, path);
		CHECK(rc < 0 && strstr(p2pb_error(), bad[i].message));
		if (rc >= 0 || !strstr(p2pb_error(), bad[i].message))
			printf("# %s: %s\n", bad[i].file, p2pb_error());
	}
}

/* Qualification: limits met and missed with their margins, a limit nothing measured, verdicts. */
static void test_qualify(void)
{
	struct p2pb_rset s = { 0 };
	struct p2pb_thresholds t;
	struct p2pb_qual q;
	size_t i, limit_rows = 0, verdict_rows = 0;

	p2pb_thresholds_defaults(&t);
	t.limits[0] = (struct p2pb_limit){ .case_glob = "delay200/*", .metric = "revoke_to_quiesce_ns", .stat = "p50",
					    .at_most = true, .value = 250e6 };
	t.limits[1] = (struct p2pb_limit){ .case_glob = "delay200/flr", .metric = "revoke_to_quiesce_ns",
					    .stat = "min", .at_most = false, .value = 300e6 };
	t.limits[2] = (struct p2pb_limit){ .case_glob = "nothing/*", .metric = "revoke_to_quiesce_ns", .stat = "p99",
					    .at_most = true, .value = 1e9 };
	t.n_limits = 3;
	CHECK(p2pb_rset_add(&s, modified(QUAL, "fails-q.json", verdict_fails)) == 0);
	CHECK(p2pb_qualify(&s, &t, &q) == 0);
	for (i = 0; i < q.n_rows; i++) {
		const struct p2pb_qual_row *r = &q.rows[i];

		if (r->limit == &t.limits[0]) {
			/* 200 ms importers, limit 250 ms: about 20% headroom */
			CHECK(r->pass && r->margin > 0.1 && r->margin < 0.25);
			limit_rows++;
		} else if (r->limit == &t.limits[1]) {
			CHECK(!r->pass && r->margin < 0 && r->c && !strcmp(r->c->name, "delay200/flr"));
			limit_rows++;
		} else if (r->limit == &t.limits[2]) {
			CHECK(!r->pass && !r->c && strstr(r->evidence, "no case matching 'nothing/*'"));
			limit_rows++;
		} else {
			CHECK(r->pass == (strcmp(r->c->name, "delay0/d3hot") != 0));	/* the injected FAIL */
			verdict_rows++;
		}
	}
	CHECK_EQ_U64(limit_rows, 6 + 1 + 1);
	CHECK_EQ_U64(verdict_rows, 18);
	CHECK(!q.pass && q.failed == 3);
	p2pb_qual_free(&q);
	p2pb_rset_free(&s);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	test_load();
	test_details();
	test_bad_input();
	test_compare_same();
	test_compare_regression();
	test_compare_verdicts();
	test_compare_unmatched();
	test_compare_machines();
	test_thresholds();
	test_qualify();
	if (!t_failed) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd))
			return 1;
	}
	return check_done();
}
