// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench type1: options, the table and the result document of the legacy
 * type1 path through the revoke triggers (stress/legacy_type1.c runs it).
 */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "job_file.h"
#include "legacy_type1.h"

#include "error.h"
#include "result.h"

#include <stdio.h>
#include <stdlib.h>

struct type1_args {
	struct p2pb_job job;		/* device, bar, offset, iterations */
	const char *importer_dev, *triggers, *json_path;
	uint64_t iova;
	bool bind;
};

static const struct p2pb_job_key_use type1_job_keys[] = {
	{ .name = "device", .help = "exporter, bound to vfio-pci" },
	{ .name = "bar", .help = "the exporter's BAR two pages of which are mapped; the lab's NVMe CMB is BAR 2" },
	{ .name = "offset", .help = "of the two pages mapped, in the BAR" }, { .name = "iterations", .def = "3" },
	{ 0 },
};

#define ARG(member) P2PB_OPT_FIELD(struct type1_args, member)

static const struct p2pb_opt type1_keys[] = {
	{ .name = "importer-dev", .type = P2PB_OPT_STRING, ARG(importer_dev), .metavar = "BDF",
	  .help = "QEMU's edu, whose type1 container maps the BAR and whose DMA writes into it; on vfio-pci, "
		  "unbound or on p2pbench_importer (moved to vfio-pci for the run; required: in the lab 0000:02:00.0)" },
	{ .name = "trigger", .type = P2PB_OPT_STRING, ARG(triggers), .def = "all", .metavar = "LIST",
	  .help = "revoke triggers, a comma list or all" },
	{ .name = "iova", .type = P2PB_OPT_SIZE, ARG(iova), .def = "1g", .multiple = 4096, .metavar = "ADDR",
	  .help = "where the BAR is mapped in the container" },
	{ .name = "bind", .type = P2PB_OPT_FLAG, ARG(bind), .help = "rebind the device to vfio-pci for the run, restore after" },
	{ .name = "json", .type = P2PB_OPT_STRING, ARG(json_path), .metavar = "FILE", .help = "versioned result document" },
	{ 0 },
};

static const struct p2pb_cli_short type1_shorts[] = { { 'd', "device" }, { 't', "trigger" }, { 'n', "iterations" },
						       { 0 } };

static void usage(FILE *f, const struct p2pb_cli_line *l)
{
	fprintf(f,
		"Usage: p2pbench type1 --device BDF --importer-dev BDF [--trigger LIST] [options]\n\n"
		"The legacy VM P2P path, as a finding: before VFIO dma-bufs a VMM gave a device P2P access\n"
		"to another device's BAR by mapping the BAR's mmap into the device's type1 container\n"
		"(VFIO_IOMMU_MAP_DMA). No revoke reaches that mapping. For every trigger p2pbench maps\n"
		"two pages of the exporter's BAR that way into the container of QEMU's edu, and edu\n"
		"writes into them before the trigger, during it, after it returned and after the undo;\n"
		"the table says which writes reached the BAR (read back through the exporter's VFIO\n"
		"region) and how many IOMMU faults there were. This is a property of the legacy path,\n"
		"never a verdict of the exporter's dma-buf contract: compare `p2pbench revoke\n"
		"--importer iommufd:dev=BDF` (docs/importers.md).\n\nOptions:\n");
	p2pb_cli_line_help(f, l);
	fprintf(f, "\nExit status: 0 every trigger ran (whatever it showed), 2 bad input or a setup error.\n");
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct type1_args *a, struct p2pb_type1_params *p)
{
	struct p2pb_job_line l = {
		.cli = { .prog = "type1", .shorts = type1_shorts, .usage = usage },
		.use = type1_job_keys, .job_off = offsetof(struct type1_args, job), .own = type1_keys,
	};
	int rc;

	if ((rc = p2pb_job_line_read(&l, argc, argv, a)) >= 0)
		return rc;
	if (!a->job.device[0] || !a->importer_dev) {
		fprintf(stderr, "p2pbench type1: %s\n", !a->job.device[0] ? "no device: give --device BDF" :
			"no importer device: give --importer-dev BDF (QEMU's edu)");
		return 2;
	}
	if (a->job.iterations > P2PB_TYPE1_MAX_ITERATIONS) {
		fprintf(stderr, "p2pbench type1: at most %d iterations\n", P2PB_TYPE1_MAX_ITERATIONS);
		return 2;
	}
	*p = (struct p2pb_type1_params){ .device = a->job.device, .importer_dev = a->importer_dev, .bar = a->job.bar,
					 .offset = a->job.offset, .iova = a->iova, .iterations = a->job.iterations,
					 .bind = a->bind };
	if (p2pb_trigger_list(a->triggers, P2PB_TRIGGERS_ALL | P2PB_TRIGGERS_REAL, p->triggers,
			      P2PB_TYPE1_MAX_TRIGGERS, &p->n_triggers)) {
		fprintf(stderr, "p2pbench type1: --trigger: %s\n", p2pb_error());
		return 2;
	}
	return -1;
}

int p2pb_cmd_type1(int argc, char **argv)
{
	struct type1_args a = { 0 };
	struct p2pb_type1_params p = { 0 };
	struct p2pb_type1_case *cases = calloc(P2PB_TYPE1_MAX_TRIGGERS, sizeof(*cases));
	struct p2pb_session s;
	json_object *doc;
	int rc = cases ? parse_args(argc, argv, &a, &p) : 2;

	if (rc >= 0) {
		free(cases);
		return rc;
	}
	p2pb_session_init(&s, true);
	if (p2pb_type1_run(&s, &p, cases)) {
		fprintf(stderr, "p2pbench type1: %s\n", p2pb_error());
		rc = 2;
	} else {
		p2pb_type1_print(stdout, &p, cases);
		rc = 0;
	}
	doc = p2pb_result_new("type1", argc, argv);
	json_object_object_add(doc, "legacy_type1", p2pb_type1_json(&p, cases));
	if (a.json_path && p2pb_result_write(doc, a.json_path)) {
		fprintf(stderr, "p2pbench type1: %s\n", p2pb_error());
		rc = 2;
	}
	json_object_put(doc);
	free(cases);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	return rc;
}
