/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_LEGACY_TYPE1_H
#define P2PB_LEGACY_TYPE1_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "session.h"
#include "trigger.h"

/*
 * The legacy VM P2P path, measured as a finding and never judged against
 * the dma-buf contract: the exporter's BAR, mmapped through its VFIO device
 * fd, mapped into the importing function's type1 container with
 * VFIO_IOMMU_MAP_DMA, as VMMs did before VFIO dma-bufs. No revoke reaches
 * such a mapping. docs/importers.md, "The legacy type1 path".
 */

/* When the importing function writes into the BAR, relative to the trigger. */
enum p2pb_type1_when {
	P2PB_T1_BEFORE,		/* before the trigger */
	P2PB_T1_DURING,		/* started with the trigger, completed 100 ms later (edu) */
	P2PB_T1_AFTER,		/* after the trigger returned, before the undo */
	P2PB_T1_UNDONE,		/* after the undo */
	P2PB_T1_N,
};
extern const char *const p2pb_type1_when_names[P2PB_T1_N];

#define P2PB_TYPE1_MAX_TRIGGERS 8
#define P2PB_TYPE1_MAX_ITERATIONS 100

struct p2pb_type1_params {
	const char *device;		/* the exporter, on vfio-pci */
	const char *importer_dev;	/* QEMU's edu: the function whose container maps the BAR */
	uint32_t bar;
	uint64_t offset;		/* of the two pages mapped, in the BAR */
	uint64_t iova;
	const struct p2pb_trigger_ops *triggers[P2PB_TYPE1_MAX_TRIGGERS];
	unsigned int n_triggers, iterations;
	bool bind;
};

/* What reached the BAR: the slot holds the write's pattern, nothing, or something else. */
enum p2pb_type1_seen { P2PB_T1_NOT_TRIED, P2PB_T1_LANDED, P2PB_T1_ABSENT, P2PB_T1_OTHER };

struct p2pb_type1_iter {
	int trigger_errno, undo_errno;
	uint64_t trigger_ns;
	enum p2pb_type1_seen seen[P2PB_T1_N];
	int dma_errno[P2PB_T1_N];	/* of edu's transfer */
	bool during_in_trigger;		/* the DURING transfer completed before the trigger returned */
	uint64_t iommu_fault_irqs;
};

struct p2pb_type1_case {
	const struct p2pb_trigger_ops *trigger;
	unsigned int n;
	struct p2pb_type1_iter it[P2PB_TYPE1_MAX_ITERATIONS];
	char error[160];		/* the case could not run */
};

/* Every trigger, @p->iterations times; 0, or -errno with p2pb_fail() when nothing could run. */
int p2pb_type1_run(struct p2pb_session *s, const struct p2pb_type1_params *p, struct p2pb_type1_case *cases);
json_object *p2pb_type1_json(const struct p2pb_type1_params *p, const struct p2pb_type1_case *cases);
void p2pb_type1_print(FILE *f, const struct p2pb_type1_params *p, const struct p2pb_type1_case *cases);
#endif
