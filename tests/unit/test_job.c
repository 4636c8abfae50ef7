// SPDX-License-Identifier: GPL-2.0
#include "job.h"
#include "kmod.h"
#include "error.h"
#include "check.h"

#include <stdlib.h>

int main(void)
{
	struct p2pb_job d, *jobs = NULL;
	unsigned int n = 0;

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
	jobs = NULL;
	n = 0;

	/* job file: [global] defaults, sections are jobs, lists expand */
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
	free(jobs);

	/* bad files: one clear error naming the place */
	jobs = NULL;
	n = 0;
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
	return check_done();
}
