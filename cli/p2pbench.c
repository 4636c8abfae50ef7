// SPDX-License-Identifier: GPL-2.0
/* p2pbench: one command, subcommands like perf and git. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "child.h"
#include "result.h"

#ifndef P2PB_SOURCE_DIR
#define P2PB_SOURCE_DIR ""
#endif

/* scripts/lab lives in the source tree; the binary knows where that was. */
static int cmd_lab(int argc, char **argv)
{
	const char *root = getenv("P2PBENCH_ROOT");
	char path[PATH_MAX];

	if (!root || !*root)
		root = P2PB_SOURCE_DIR;
	snprintf(path, sizeof(path), "%s/scripts/lab", root);
	if (access(path, X_OK)) {
		fprintf(stderr, "p2pbench lab: %s not found (set P2PBENCH_ROOT to the p2pbench source tree)\n", path);
		return 2;
	}
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "p2pbench lab: cannot run %s: %s\n", path, strerror(errno));
	return 2;
	(void)argc;
}

/* triggers: the command may revoke, and a revoke may never come back (lib/child.h) */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
	bool triggers;
} cmds[] = {
	{ "revoke", p2pb_cmd_revoke, "measure revoke-to-quiesce latency of VFIO dma-bufs, judging every revoke", true },
	{ "check", p2pb_cmd_check, "the exporter's revoke contract (C1-C7, C9) and known kernel bugs, as KTAP", true },
	{ "trace", p2pb_cmd_trace, "a revoke run with kernel events on one merged timeline", true },
	{ "timeout-sweep", p2pb_cmd_timeout_sweep, "importer delay x revoke timeout x policy x trigger matrix", true },
	{ "race", p2pb_cmd_race, "named race scenarios: a second thread acts inside a revoke's wait, as KTAP", true },
	{ "stress", p2pb_cmd_stress, "concurrent randomized export/attach/map/revoke/reopen with verdicts, leak checks, replay",
	  true },
	{ "type1", p2pb_cmd_type1, "the legacy VM P2P path (a BAR mapped with VFIO_IOMMU_MAP_DMA) through every trigger, as a "
	  "finding", true },
	{ "load", p2pb_cmd_load, "steady-state throughput of one importer through a dma-buf (no revoke)", false },
#ifdef P2PB_HAVE_RDMA
	{ "rdma", p2pb_cmd_rdma, "RDMA write/read/send bandwidth and latency through a memory back-end (perftest style)",
	  true },
#endif
	{ "run", p2pb_cmd_run, "job files into one results directory with an index; resumable (nightly sweeps)", false },
	{ "compare", p2pb_cmd_compare, "what changed between two runs, beyond noise and thresholds (exit 1: a regression)", false },
	{ "report", p2pb_cmd_report, "one HTML page with figures, CSV and a qualification verdict from result documents", false },
	{ "doctor", p2pb_cmd_doctor, "what works on this machine (VFIO dma-buf, IOMMU, exporters, RDMA import, P2P routes)", false },
	{ "lab", cmd_lab, "boot the virtual lab and run a command in it (scripts/lab)", false },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: p2pbench [--version] COMMAND [ARGS]\n\n"
		   "Benchmarks and stress-tests peer-to-peer DMA into PCI BARs shared as VFIO dma-bufs.\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'p2pbench COMMAND --help' tells more.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("p2pbench %s\n", P2PB_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (cmds[i].triggers)
			p2pb_run_detachable();
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "p2pbench: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
