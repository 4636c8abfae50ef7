// SPDX-License-Identifier: GPL-2.0
/* p2pbench race: options, the KTAP and result documents, the exit status (stress/race_scenarios.c runs them). */
#define _GNU_SOURCE
#include "commands.h"
#include "race_scenarios.h"

#include "child.h"
#include "error.h"
#include "result.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: p2pbench race --device BDF --importer-dev BDF [--bind] [--scenario NAME|all]\n"
		   "                     [--ktap FILE] [--json FILE]\n\n");
	p2pb_race_help(f);
	fprintf(f, "\nExit status: 0 every expectation held; 1 one did not; 2 bad input or setup error.\n");
}

/* The plan line comes first: the result lines were collected, then written behind it. */
static int write_ktap(const char *path, const struct p2pb_race_result *r)
{
	struct p2pb_ktap k = { 0 };

	if (p2pb_ktap_open(&k, path, r->ktap_n)) {
		fprintf(stderr, "p2pbench race: %s\n", p2pb_error());
		return -EIO;
	}
	fwrite(r->ktap_body, 1, r->ktap_len, k.f);
	fflush(k.f);
	p2pb_ktap_close(&k);
	return 0;
}

static int write_json(const char *path, const struct p2pb_race_result *r, int argc, char **argv)
{
	json_object *doc = p2pb_result_new("race", argc, argv);
	int err;

	json_object_object_add(doc, "scenarios", json_object_get(r->scenarios));
	json_object_object_add(doc, "kernel_log", p2pb_json_kmsg(&r->klog));
	json_object_object_add(doc, "passed", json_object_new_int((int)r->passed));
	json_object_object_add(doc, "failed", json_object_new_int((int)r->failed));
	err = p2pb_result_write(doc, path);
	json_object_put(doc);
	return err;
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct p2pb_race_params *p, bool *bind, const char **ktap,
		      const char **json)
{
	static const struct option opts[] = {
		{ "device", required_argument, 0, 'd' }, { "importer-dev", required_argument, 0, 'i' },
		{ "scenario", required_argument, 0, 's' }, { "bind", no_argument, 0, 'b' },
		{ "ktap", required_argument, 0, 'k' }, { "json", required_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': p->device = optarg; break;
		case 'i': p->importer_dev = optarg; break;
		case 's': p->scenario = optarg; break;
		case 'b': *bind = true; break;
		case 'k': *ktap = optarg; break;
		case 'j': *json = optarg; break;
		case 'h': usage(stdout); return 0;
		default: fprintf(stderr, "p2pbench race: see --help\n"); return 2;
		}
	}
	if (!p->device || !p->importer_dev || !p2pb_race_count(p->scenario) || optind < argc) {
		fprintf(stderr, "p2pbench race: %s\n", !p->device ? "--device is required" :
			!p->importer_dev ? "--importer-dev is required" :
			optind < argc ? "unexpected argument" : "unknown scenario (see --help)");
		return 2;
	}
	return -1;
}

int p2pb_cmd_race(int argc, char **argv)
{
	struct p2pb_race_params p = { .scenario = "all" };
	struct p2pb_race_result r = { 0 };
	const char *ktap = "-", *json = NULL;
	struct p2pb_session s;
	bool bind = false;
	int err, rc = parse_args(argc, argv, &p, &bind, &ktap, &json);

	if (rc >= 0)
		return rc;
	p2pb_session_init(&s, true);
	err = p2pb_session_claim_device(&s, p.device, bind);
	if (!err)
		err = p2pb_race_run(&s, &p, &r);
	if (err) {
		fprintf(stderr, "p2pbench race: %s\n", p2pb_error());
		rc = 2;
	} else {
		rc = r.failed ? 1 : 0;
		if (write_ktap(ktap, &r) && !rc)
			rc = 2;
		if (json && write_json(json, &r, argc, argv) && !rc)
			rc = 2;
	}
	if (r.hung) {
		/* a thread is stuck in the kernel on the device: leave without touching it */
		fprintf(stderr, "p2pbench race: a call never returned; leaving the device as it is\n");
		fflush(NULL);
		p2pb_detach_now(1);
	}
	p2pb_race_result_release(&r);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	return rc;
}
