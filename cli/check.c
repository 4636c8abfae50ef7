// SPDX-License-Identifier: GPL-2.0
/* p2pbench check: options, the result document and the exit status (stress/contract_check.c runs it). */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "contract_check.h"
#include "case.h"
#include "job_file.h"

#include "error.h"
#include "result.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* The command line: the check's parameters and where the document goes. */
struct check_args {
	struct p2pb_check_params p;
	const char *json_path;
};

static const struct p2pb_job_key_use check_job_keys[] = {
	{ .name = "device", .help = "exporter, bound to vfio-pci" }, { .name = "bar" }, { 0 },
};

#define ARG(member) P2PB_OPT_FIELD(struct check_args, member)

static const struct p2pb_opt check_keys[] = {
	{ .name = "importer-dev", .type = P2PB_OPT_STRING, ARG(p.importer_dev), .metavar = "BDF",
	  .help = "PCI function the test importer attaches as, bound to p2pbench_importer (required; the lab's edu: "
	  "0000:02:00.0)" },
	{ .name = "bind", .type = P2PB_OPT_FLAG, ARG(p.bind),
	  .help = "rebind the device to vfio-pci for the run, restore after" },
	{ .name = "ktap", .type = P2PB_OPT_STRING, ARG(p.ktap_path), .def = "-", .metavar = "FILE",
	  .help = "KTAP output, - for stdout" },
	{ .name = "json", .type = P2PB_OPT_STRING, ARG(json_path), .metavar = "FILE",
	  .help = "versioned result document" },
	{ 0 },
};

static const struct p2pb_cli_short check_shorts[] = { { 'd', "device" }, { 'b', "bar" }, { 0 } };

static void usage(FILE *f, const struct p2pb_cli_line *l)
{
	unsigned int i;

	fprintf(f,
		"Usage: p2pbench check --device BDF --importer-dev BDF [--bar N] [options]\n\n"
		"Checks the exporter's contract in one short run and prints KTAP, one line per rule:\n"
		"  export.*       dma-buf export requests VFIO must accept or refuse, with the errno\n"
		"  attach.*       importers VFIO must refuse (static, non-revocable, no peer-to-peer)\n"
		"                 and the one it must accept; the p2pbench_importer module attaches\n"
		"                 as --importer-dev\n"
		"  contract.*     the revoke contract, from short revoke cases on every trigger\n"
		"                 (flr, mem-off, d3hot, low-power, hot-reset, close): late.TRIGGER\n"
		"                 with an importer that unmaps 50 ms late (twice, close once) and\n"
		"                 fence.TRIGGER with one whose fence signals 100 ms after its unmap;\n"
		"                 each clause line says in which cases it was judged:\n");
	for (i = 0; i < P2PB_N_CLAUSES; i++)
		if (!p2pb_clause_needs_load(i))
			fprintf(f, "                   %s %s\n", p2pb_clauses[i].id, p2pb_clauses[i].text);
	fprintf(f,
		"  conformance.*  where the 7.3 kernel is known to differ from the contract (a reset\n"
		"                 through sysfs does not revoke; a dma-buf exported in low power starts\n"
		"                 un-revoked; an implicit wakeup leaves dma-bufs revoked): a known bug is\n"
		"                 '# XFAIL' with its reason, a fixed one '# XPASS'\n\n"
		"Options:\n");
	p2pb_cli_line_help(f, l);
	fprintf(f,
		"\nExit status: 0 every rule held (XFAIL/XPASS/SKIP included), 1 a rule was broken,\n"
		"2 bad input or a setup error.\n");
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct check_args *a)
{
	struct p2pb_job_line l = {
		.cli = { .prog = "check", .shorts = check_shorts, .usage = usage },
		.use = check_job_keys, .job_off = offsetof(struct check_args, p.job), .own = check_keys,
	};
	int rc;

	if ((rc = p2pb_job_line_read(&l, argc, argv, a)) >= 0)
		return rc;
	if (!a->p.job.device[0] || !a->p.importer_dev) {
		fprintf(stderr, "p2pbench check: %s\n", !a->p.job.device[0] ? "no device: give --device BDF" :
			"no importer device: give --importer-dev BDF (bound to p2pbench_importer)");
		return 2;
	}
	return -1;
}

int p2pb_cmd_check(int argc, char **argv)
{
	struct check_args a = { 0 };
	struct p2pb_check_params *p = &a.p;
	struct p2pb_check_result r = { 0 };
	struct p2pb_ktap ktap = { 0 };
	struct p2pb_session s;
	json_object *doc;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	p2pb_session_init(&s, true);
	if (p2pb_check_run(&s, p, &ktap, &r))
		fprintf(stderr, "p2pbench check: %s\n", p2pb_error());
	doc = p2pb_result_new("check", argc, argv);
	json_object_object_add(doc, "device", json_object_new_string(p->job.device));
	json_object_object_add(doc, "checks", r.checks);
	if (a.json_path && p2pb_result_write(doc, a.json_path))
		fprintf(stderr, "p2pbench check: %s\n", p2pb_error());
	json_object_put(doc);
	if (p2pb_case_kernel_stuck())
		p2pb_cli_exit_stuck("check", &ktap);
	p2pb_ktap_close(&ktap);
	rc = r.count[P2PB_CHECK_FAIL] ? 1 : r.errors ? 2 : 0;
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	return rc;
}
