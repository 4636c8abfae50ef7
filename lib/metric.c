// SPDX-License-Identifier: GPL-2.0
/* The metrics, one row each (metric.h says what a row holds and how to add one). */
#include "metric.h"

#include <string.h>

#define NS(id, nm, fam, wh, p, sum, lab, hlp)                                                              \
	[id] = { .name = nm, .family = fam, .where = wh, .path = p, .summary = sum, .unit = "ns",          \
		 .better = P2PB_LOWER_BETTER, .label = lab, .help = hlp }

const struct p2pb_metric p2pb_metrics[P2PB_N_METRICS] = {
	NS(P2PB_M_REVOKE_TO_QUIESCE, "revoke_to_quiesce_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION,
	   "revoke_to_quiesce_ns", "summary.revoke_to_quiesce_ns", "revoke-to-quiesce",
	   "trigger start to the last attachment unmapped"),
	NS(P2PB_M_TRIGGER, "trigger_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION, "trigger_ns", "summary.trigger_ns",
	   "trigger syscall", "the trigger's syscall (ioctl, config-space write, close), call to return"),
	NS(P2PB_M_TRIGGER_TO_INVALIDATE, "trigger_to_invalidate_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ATTACHMENT,
	   "trigger_to_invalidate_ns", "summary.trigger_to_invalidate_ns", "trigger->invalidate",
	   "trigger start to the importer's invalidate callback, per attachment"),
	NS(P2PB_M_INVALIDATE_TO_UNMAP, "invalidate_to_unmap_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ATTACHMENT,
	   "invalidate_to_unmap_ns", "summary.invalidate_to_unmap_ns", "invalidate->unmap",
	   "the importer's invalidate callback to its unmap, per attachment"),
	NS(P2PB_M_UNREVOKE, "unrevoke_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION, "unrevoke_ns",
	   "summary.unrevoke_ns", "un-revoke", "the trigger's inverse (memory on, D0, reopen), call to return"),
	NS(P2PB_M_REMAP, "remap_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION, "remap_ns", "summary.remap_ns", "remap",
	   "the end of the un-revoke to every importer mapped again"),
	NS(P2PB_M_CONFIG_READ, "config_read_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION, "config_read_ns",
	   "summary.config_read_ns", "config read meanwhile",
	   "a config-space read through VFIO issued 2 ms into the revoke (--config-probe)"),
	NS(P2PB_M_BAR_READ, "bar_read_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION, "bar_read_ns",
	   "summary.bar_read_ns", "BAR read meanwhile",
	   "a BAR read through VFIO during the revoke (--config-probe): how long other users wait"),
	NS(P2PB_M_LOAD_STALL, "load.stall_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION, "load.stall_ns",
	   "summary.load.stall_ns", "load stall",
	   "the NVMe load: last completion before the revoke to the first good one after it"),
	NS(P2PB_M_LOAD_FIRST_IO, "load.first_io_after_unrevoke_ns", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION,
	   "load.first_io_after_unrevoke_ns", "summary.load.first_io_after_unrevoke_ns", "un-revoke->first I/O",
	   "the later of un-revoke and remap request to the load's first good completion"),
	[P2PB_M_DMA_BEFORE] = { "dma.before.bytes_per_s", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION,
				"dma.before.bytes_per_s", NULL, "B/s", P2PB_HIGHER_BETTER, "traffic before",
				"the importers' device traffic through the dma-bufs in a dwell before the trigger" },
	[P2PB_M_DMA_DURING] = { "dma.during.bytes_per_s", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION,
				"dma.during.bytes_per_s", NULL, "B/s", P2PB_LOWER_BETTER, "traffic while revoked",
				"the importers' device traffic from the trigger's return to the un-revoke (0 if they obey)" },
	[P2PB_M_DMA_AFTER] = { "dma.after.bytes_per_s", P2PB_FAMILY_REVOKE, P2PB_PER_ITERATION,
			       "dma.after.bytes_per_s", NULL, "B/s", P2PB_HIGHER_BETTER, "traffic after",
			       "the importers' device traffic in a dwell after the remap" },
	NS(P2PB_M_STRESS_REVOKE, "revoke_ns", P2PB_FAMILY_STRESS_TRIGGER, P2PB_SUMMARY_ONLY, NULL, "revoke_ns",
	   "revoke", "one revoke cycle of the trigger under the stress workers, call to return"),
	[P2PB_M_STRESS_OPS] = { "ops_per_s", P2PB_FAMILY_STRESS_RUN, P2PB_PER_CASE, "ops_total/elapsed_s", NULL,
				"ops/s", P2PB_HIGHER_BETTER, "operations",
				"the stress workers' operations per second (export, attach, map, ..., revoke)" },
	[P2PB_M_RDMA_BANDWIDTH] = { "bytes_per_s", P2PB_FAMILY_RDMA_STEP, P2PB_PER_CASE, "bytes_per_s", NULL, "B/s",
				    P2PB_HIGHER_BETTER, "bandwidth",
				    "RDMA bytes moved per second at one message size, every byte checked" },
	NS(P2PB_M_RDMA_LATENCY, "latency_ns", P2PB_FAMILY_RDMA_STEP, P2PB_SUMMARY_ONLY, NULL, "latency_ns",
	   "latency", "one RDMA operation's round trip at one message size (latency mode)"),
	NS(P2PB_M_RDMA_STALL, "stall_ns", P2PB_FAMILY_RDMA_STEP, P2PB_SUMMARY_ONLY, NULL, "disturbance.stall_ns",
	   "stall", "a QP's last good completion before a disturbance to its first good one after it"),
	NS(P2PB_M_SCALE_REVOKE_TO_QUIESCE, "revoke_to_quiesce_p50_ns", P2PB_FAMILY_SCALE_POINT, P2PB_PER_CASE,
	   "revoke_to_quiesce_p50_ns", NULL, "revoke-to-quiesce p50",
	   "the median revoke-to-quiesce at one point of a revoke-scale sweep"),
	NS(P2PB_M_SCALE_TRIGGER, "trigger_p50_ns", P2PB_FAMILY_SCALE_POINT, P2PB_PER_CASE, "trigger_p50_ns", NULL,
	   "trigger p50", "the median trigger syscall at one point of a revoke-scale sweep"),
};

const struct p2pb_metric *p2pb_metric_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < P2PB_N_METRICS; i++)
		if (!strcmp(p2pb_metrics[i].name, name))
			return &p2pb_metrics[i];
	return NULL;
}

void p2pb_metric_help(FILE *f)
{
	unsigned int i;

	for (i = 0; i < P2PB_N_METRICS; i++)
		fprintf(f, "  %-32s %-6s %s\n", p2pb_metrics[i].name, p2pb_metrics[i].unit, p2pb_metrics[i].help);
}
