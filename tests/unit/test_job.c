// SPDX-License-Identifier: GPL-2.0
#include "job_file.h"
#include "kmod.h"
#include "error.h"
#include "check.h"
#include "units.h"

#include <stdlib.h>

/* The declarations: each one servable, each default parses, the help has every key and default once. */
static void test_declarations(void)
{
	char help[8192] = "";
	const struct p2pb_opt *o;
	struct p2pb_job j;
	FILE *f;

	for (o = p2pb_job_keys; o->name; o++) {
		printf("# %s\n", o->name);
		CHECK(p2pb_opt_servable(o, sizeof(struct p2pb_job)));
	}
	memset(&j, 0, sizeof(j));
	CHECK(p2pb_opts_defaults(p2pb_job_keys, &j) == 0);
	CHECK(j.bar == 2 && j.dmabufs == 1 && j.iterations == 10 && j.warmup == 1 && j.seed == 1 && !j.size);
	CHECK(j.quiesce_timeout_ns == 10 * P2PB_NS_PER_S && j.watchdog_ns == 30 * P2PB_NS_PER_S);
	CHECK(j.dwell_ns == UINT64_MAX);	/* decided by the importers (stress/case.c) */
	f = fmemopen(help, sizeof(help) - 1, "w");
	p2pb_job_help(f);
	fclose(f);
	for (o = p2pb_job_keys; o->name; o++)
		CHECK(strstr(help, o->name) != NULL);
	CHECK(strstr(help, "  iterations=1..1000000 measured revokes (default 10)\n") != NULL);
	CHECK(strstr(help, "(default: 400ms if an importer moves data") != NULL);
}

static void test_values(void)
{
	struct p2pb_job d;
	char name[80];

	p2pb_job_defaults(&d);
	CHECK(p2pb_job_set(&d, "dwell", "1.5") == 0 && d.dwell_ns == 1500000);	/* bare: ms */
	CHECK(p2pb_job_set(&d, "dwell", "0") == 0 && d.dwell_ns == 0);
	CHECK(p2pb_job_set(&d, "dwell", "never") < 0);
	CHECK(p2pb_job_set(&d, "watchdog", "0") < 0 && p2pb_job_set(&d, "watchdog", "never") < 0);
	CHECK(p2pb_job_set(&d, "watchdog", "1.5s") == 0 && d.watchdog_ns == 1500000000ull);
	CHECK(p2pb_job_set(&d, "seed", "18446744073709551615") == 0 && d.seed == UINT64_MAX);
	CHECK(p2pb_job_set(&d, "config-probe", "true") < 0 && p2pb_job_set(&d, "verify", "1") == 0 && d.verify);
	memset(name, 'x', 63);
	name[63] = 0;
	CHECK(p2pb_job_set(&d, "name", name) == 0 && strlen(d.name) == 63);
	strcat(name, "x");
	CHECK(p2pb_job_set(&d, "name", name) < 0 && strstr(p2pb_error(), "at most 63 characters"));
	CHECK(p2pb_job_set(&d, "bar", "6") < 0);
	CHECK_STR(p2pb_error(), "bar=6: expected bar=0..5: BAR to export; the lab's NVMe CMB is BAR 2 (default 2)");
	CHECK(p2pb_job_set(&d, "device", "x") < 0 && strstr(p2pb_error(), "device=x: 'x' is not a PCI address"));
	CHECK(p2pb_job_set(&d, "speed", "1") < 0 && strstr(p2pb_error(), "unknown key 'speed' (keys: device, bar,"));
	d.n_importers = P2PB_MAX_IMPORTER_SPECS;
	CHECK(p2pb_job_set(&d, "importer", "null") < 0 && strstr(p2pb_error(), "at most 8 importer specs"));
}

/* job file: [global] defaults, sections are jobs, lists expand; bad files: one clear error naming the place */
static void test_job_files(void)
{
	struct p2pb_job d, *jobs = NULL;
	unsigned int n = 0;

	p2pb_job_defaults(&d);
	CHECK(p2pb_job_file_parse(TEST_DATA_DIR "/two-cases.ini", &d, &jobs, &n) == 0);
	CHECK_EQ_U64(n, 3);
	if (n == 3) {
		CHECK_STR(jobs[0].name, "prompt");
		CHECK_STR(jobs[0].trigger->name, "flr");
		CHECK_EQ_U64(jobs[0].size, 2 * 1024 * 1024);
		CHECK_EQ_U64(jobs[0].iterations, 5);
		CHECK_EQ_U64(jobs[0].n_importers, 1);
		CHECK_STR(jobs[1].name, "slow-pair/mem-off");
		CHECK_STR(jobs[2].name, "slow-pair/d3hot");
		/* a section's importers replace the global one */
		CHECK_EQ_U64(jobs[1].n_importers, 2);
		CHECK(((const struct p2pb_kmod_opts *)jobs[1].importers[1].opts)->delay_kind == P2PB_DELAY_NEVER_UNMAP);
		CHECK_EQ_U64(jobs[2].iterations, 3);
		CHECK_EQ_U64(jobs[2].dmabufs, 2);
		CHECK_STR(jobs[2].device, "0000:01:00.0");
	}
	free(jobs), jobs = NULL, n = 0;
	CHECK(p2pb_job_file_parse(TEST_DATA_DIR "/bad-value.ini", &d, &jobs, &n) < 0);
	CHECK(strstr(p2pb_error(), "iterations=lots") != NULL);
	free(jobs), jobs = NULL, n = 0;
	CHECK(p2pb_job_file_parse(TEST_DATA_DIR "/bad-key.ini", &d, &jobs, &n) < 0);
	CHECK(strstr(p2pb_error(), "unknown key 'speed'") != NULL);
	free(jobs), jobs = NULL, n = 0;
	CHECK(p2pb_job_file_parse(TEST_DATA_DIR "/no-trigger.ini", &d, &jobs, &n) < 0);
	CHECK(strstr(p2pb_error(), "no trigger") != NULL);
	free(jobs), jobs = NULL, n = 0;
	CHECK(p2pb_job_file_parse(TEST_DATA_DIR "/not-ini.ini", &d, &jobs, &n) < 0);
	CHECK(strstr(p2pb_error(), ":3:") != NULL);
	free(jobs), jobs = NULL, n = 0;
	CHECK(p2pb_job_file_parse(TEST_DATA_DIR "/empty-section.ini", &d, &jobs, &n) < 0);
	CHECK(strstr(p2pb_error(), "job [empty] has no keys") != NULL);
	free(jobs), jobs = NULL, n = 0;
	CHECK(p2pb_job_file_parse(TEST_DATA_DIR "/missing.ini", &d, &jobs, &n) < 0);
	CHECK(strstr(p2pb_error(), "cannot open job file") != NULL);
	free(jobs);
}

/* Every front-end's trigger lists: names, "all", the unknown one named with what is known. */
static void test_trigger_lists(void)
{
	const struct p2pb_trigger_ops *t[8];
	unsigned int n;

	CHECK(p2pb_trigger_list("flr,,mem-off", 0, t, 8, &n) == 0 && n == 2 && !strcmp(t[1]->name, "mem-off"));
	CHECK(p2pb_trigger_list("all", P2PB_TRIGGERS_ALL, t, 8, &n) == 0 && n == 6 && !strcmp(t[5]->name, "close"));
	CHECK(p2pb_trigger_list("all", 0, t, 8, &n) < 0);
	CHECK_STR(p2pb_error(), "unknown trigger 'all'; expected one of flr mem-off d3hot low-power hot-reset close "
		  "sim, or a comma list of them");
	CHECK(p2pb_trigger_list("flr,unplug", P2PB_TRIGGERS_ALL, t, 8, &n) < 0);
	CHECK(strstr(p2pb_error(), "unknown trigger 'unplug'; expected one of flr ") == p2pb_error());
	CHECK(strstr(p2pb_error(), ", a comma list, or 'all' (flr,mem-off,d3hot,low-power,hot-reset,close)") != NULL);
	CHECK(p2pb_trigger_list("sim", 0, t, 1, &n) == 0 && n == 1);
	CHECK(p2pb_trigger_list("sim", P2PB_TRIGGERS_REAL, t, 1, &n) < 0);
	CHECK_STR(p2pb_error(), "unknown trigger 'sim'; expected one of flr mem-off d3hot low-power hot-reset close");
	CHECK(p2pb_trigger_list(",", 0, t, 8, &n) < 0 && !strcmp(p2pb_error(), "no trigger in the list"));
	CHECK(p2pb_trigger_list("flr,flr", 0, t, 1, &n) < 0 && !strcmp(p2pb_error(), "at most 1 trigger"));
}

/* A command's own table with a few job keys: the job's declarations, moved, under the command's defaults. */
static void test_job_keys_for(void)
{
	static const struct p2pb_job_key_use use[] = {
		{ .name = "device" }, { .name = "iterations", .def = "3", .help = "per cell" }, { .name = "importer" },
		{ 0 },
	};
	static const struct p2pb_opt own[] = { { .name = "x", .type = P2PB_OPT_FLAG, .off = 0, .size = sizeof(bool),
						 .help = "a flag" }, { 0 } };
	static const struct p2pb_job_key_use bad[] = { { .name = "speed" }, { 0 } };
	struct { bool x; struct p2pb_job job; } a;
	struct p2pb_job_line l = { .cli = { .prog = "test" }, .use = use, .job_off = offsetof(typeof(a), job),
				   .own = own };
	const struct p2pb_opt *keys = l.keys;
	char desc[256], *argv[] = { "test", NULL };	/* a command line without options */

	memset(&a, 0, sizeof(a));
	CHECK(p2pb_job_line_read(&l, 1, argv, &a) == -1 && l.cli.keys == keys);
	CHECK(!strcmp(keys[1].name, "iterations") && !strcmp(keys[3].name, "x") && !keys[4].name);
	CHECK(a.job.iterations == 3 && a.job.bar == 2);	/* the command's default over the job's */
	CHECK_STR(p2pb_opt_describe(&keys[1], desc, sizeof(desc)), "per cell (default 3)");
	CHECK(p2pb_opt_parse(keys, &a, "device", "1:00.0") == 0 && !strcmp(a.job.device, "0000:01:00.0"));
	CHECK(p2pb_opt_parse(keys, &a, "importer", "null") == 0 && a.job.n_importers == 1);
	CHECK(p2pb_opt_parse(keys, &a, "iterations", "0") < 0);
	CHECK(strstr(p2pb_error(), "iterations=0: expected iterations=1..1000000: per cell (default 3)") != NULL);
	l.use = bad;
	CHECK(p2pb_job_line_read(&l, 1, argv, &a) == 2 && strstr(p2pb_error(), "'speed'"));
}

int main(void)
{
	struct p2pb_job d, *jobs = NULL;
	unsigned int n = 0;

	test_declarations();
	test_values();
	test_trigger_lists();
	test_job_keys_for();
	p2pb_job_defaults(&d);
	CHECK(d.bar == 2 && d.iterations == 10 && d.dmabufs == 1);
	CHECK(p2pb_job_set(&d, "device", "1:00.0") == 0);
	CHECK_STR(d.device, "0000:01:00.0");
	CHECK(p2pb_job_set(&d, "bar", "6") < 0);
	CHECK(p2pb_job_set(&d, "iterations", "0") < 0);
	CHECK(p2pb_job_set(&d, "trigger", "unplug") < 0);
	CHECK(strstr(p2pb_error(), "unknown trigger") != NULL);
	CHECK(p2pb_job_set(&d, "quiesce-timeout", "2") == 0 && d.quiesce_timeout_ns == 2000000000ull);
	CHECK(p2pb_job_set(&d, "size", "3k") == 0);
	CHECK(p2pb_job_set(&d, "trigger", "flr") == 0);
	CHECK(p2pb_job_set(&d, "importer", "kmod") == 0);
	CHECK(p2pb_job_check(&d) < 0 && strstr(p2pb_error(), "needs dev=BDF"));	/* kmod attaches as its own device */
	d.n_importers = 0;
	CHECK(p2pb_job_set(&d, "importer", "kmod:dev=0000:02:00.0") == 0);
	CHECK(p2pb_job_check(&d) < 0);	/* 3k is not whole pages */
	CHECK(p2pb_job_set(&d, "size", "8k") == 0);
	CHECK(p2pb_job_check(&d) == 0);

	/* command line: a trigger list expands to one job per trigger */
	CHECK(p2pb_job_expand(&d, "flr,mem-off", &jobs, &n) == 0);
	CHECK_EQ_U64(n, 2);
	CHECK(n == 2 && !strcmp(jobs[0].trigger->name, "flr") && !strcmp(jobs[1].trigger->name, "mem-off"));
	CHECK(n == 2 && !strcmp(jobs[1].name, "mem-off"));
	free(jobs);
	jobs = NULL;
	n = 0;
	CHECK(p2pb_job_set(&d, "name", "q") == 0);
	CHECK(p2pb_job_expand(&d, "all", &jobs, &n) == 0);
	CHECK_EQ_U64(n, 6);
	CHECK(n == 6 && !strcmp(jobs[0].name, "q/flr") && !strcmp(jobs[5].name, "q/close"));
	free(jobs);
	test_job_files();
	return check_done();
}
