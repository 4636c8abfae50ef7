/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_VERDICT_H
#define P2PB_VERDICT_H
#include <stdbool.h>
#include <stdint.h>

#include "exporter.h"
#include "kmsg.h"

/*
 * The exporter's revoke contract, judged on every iteration of every case
 * (docs/methodology.md, "Contract verdicts"). Pure logic: the orchestration
 * fills the observation structs below, this file decides. A PASS printed
 * over a broken revoke is the worst bug p2pbench can have, so every clause
 * has a lab test against a deliberately broken vfio-pci (tests/lab).
 */
enum p2pb_clause {
	P2PB_C1_WAITS,		/* trigger returns only after every importer unmapped */
	P2PB_C2_NO_MAP_REVOKED,	/* no map succeeds while revoked */
	P2PB_C3_REMAP_REARM,	/* un-revoke: importers map again, the next revoke waits again */
	P2PB_C4_FENCES,		/* fences retired before the trigger returns */
	P2PB_C5_REFUSE,		/* static / non-revocable / no-p2p attaches refused */
	P2PB_C6_CLOSE_REVOKED,	/* after close the old dma-buf stays revoked */
	P2PB_C7_KERNEL_LOG,	/* no WARN/BUG/refcount/lockdep/KASAN/... in the log */
	P2PB_C8_DATA_INTACT,	/* --verify: data moved through the dma-buf is whole and in place */
	P2PB_C9_MEMORY_LIVE,	/* importers are invalidated and unmap while the exporter's memory is live */
	P2PB_N_CLAUSES,
};

/* Every clause but C8 is judged without data moving (p2pbench check); C8 needs a load. */
static inline bool p2pb_clause_needs_load(enum p2pb_clause c)
{
	return c == P2PB_C8_DATA_INTACT;
}
#define P2PB_N_EXPORTER_CLAUSES (P2PB_N_CLAUSES - 1)

struct p2pb_clause_info {
	const char *id;		/* "C1" */
	const char *key;	/* "trigger_waits": KTAP and JSON name */
	const char *text;	/* what the exporter promises */
};
extern const struct p2pb_clause_info p2pb_clauses[P2PB_N_CLAUSES];

enum p2pb_outcome {
	P2PB_PASS,
	P2PB_BOUNDED,	/* a configured revoke timeout fired: mappings live at return */
	P2PB_SKIP,
	P2PB_ERROR,	/* could not measure: setup, trigger errno, harness */
	P2PB_FAIL,	/* a clause was violated */
};
const char *p2pb_outcome_name(enum p2pb_outcome o);	/* "PASS", ... */

/* What the run configured or injected: the context of every judgement. */
struct p2pb_verdict_ctx {
	const char *trigger;
	bool trigger_unrevokes;		/* has an inverse: a revoked state to map into */
	bool trigger_permanent;		/* close: the old dma-bufs stay revoked */
	unsigned int bound_ms;		/* patched vfio revoke_timeout_ms, 0 = none */
	bool bound_proceeds;		/* policy proceed: a fired bound returns early */
	bool injected_never_unmap;	/* an importer was told never to unmap */
	bool injected_dma_after_unmap;	/* an importer's device writes after unmap */
};

/* One attachment (importer x dma-buf) in one iteration. */
struct p2pb_att_obs {
	unsigned int importer, dmabuf;
	bool invalidated, unmapped, forced;
	bool reached_late;		/* released by p2pbench's quiesce timeout before the kernel invalidated
					 * it, then invalidated (nothing mapped): reached, late, not skipped */
	uint64_t trigger_to_invalidate_ns, invalidate_to_unmap_ns;
	uint64_t injected_delay_ns;	/* the delay the importer armed */
	bool injected_never;		/* it armed none: told never to unmap */
	int unmap_cause;		/* enum p2pb_unmap_reason (bench/engine.h) */
	unsigned int later_invalidates;	/* e.g. the un-revoke's own */
	unsigned int fences_checked;	/* fences added before the invalidate: C4 applies */
	unsigned int fences_late;	/* of those, signalled after the trigger returned */
	uint64_t fence_late_max_ns;	/* how long after the trigger returned one was still unsignalled */
	/* C9: the exporter's state as the importer read it (P2PB_EXPORTER_*, 0 not read) */
	uint32_t exporter_at_invalidate, exporter_at_unmap;
	uint64_t exporter_unmap_ns;	/* what the exporter's unmap callback took; 0 not seen */
};

/* When @o unmapped, in ns since its trigger started (invalidated and unmapped ones only). */
static inline uint64_t p2pb_att_unmap_ns(const struct p2pb_att_obs *o)
{
	return o->trigger_to_invalidate_ns + o->invalidate_to_unmap_ns;
}

struct p2pb_iter_obs {
	unsigned int index;
	uint64_t trigger_ns;
	int trigger_errno;
	bool trigger_returned;		/* false: still in the kernel when the watchdog fired */
	unsigned int stuck_mapped;	/* then: mappings still live (after the forced release) */
	uint64_t stuck_unmapped_for_ns;	/* then: how long every importer had been unmapped */
	char stuck_in[160];		/* then: its kernel stack, "fn <- caller <- ..." */
	int mapped_at_return;		/* live mappings when the trigger returned */
	unsigned int n_atts;
	const struct p2pb_att_obs *atts;
	bool map_while_revoked_tried;
	int map_while_revoked_errno;
	bool old_dmabuf_tried;
	int old_dmabuf_map_errno;
	bool unrevoke_failed;
	bool remap_tried;
	int remap_errno;
	uint64_t stale_transfers, iommu_fault_irqs;
	/* where stale transfers wrote, read back once mapped again: found their data, found neither */
	uint64_t stale_checks, stale_landed, stale_unknown;
	uint64_t io_errors, io_timeouts;	/* device I/O through the mapping that failed */
	unsigned int bound_timeouts;	/* revoke waits that hit the configured bound */
	bool data_checked;		/* --verify: the exported ranges were read back */
	uint64_t data_blocks;		/* 4 KiB blocks checked */
	uint64_t data_bad;		/* of those, not naming their own offset */
	uint64_t data_device;		/* of those, holding the device's data (head and tail) */
	bool data_tracked;		/* an importer said which blocks its reads filled */
	bool data_reads_only;		/* and every such importer only reads into the mapping */
	uint64_t data_filled;		/* blocks a read completed into since the fill */
	uint64_t data_missing;		/* of those, not holding the device's data: it never arrived */
	uint64_t data_moved_bytes;	/* the load's bytes between the remap and the check */
	char data_evidence[160];	/* the first bad one */
	char data_missing_evidence[224];	/* the first missing one */
	struct p2pb_kmsg_counts klog;	/* logged during this iteration */
	/* C9, the kernel's side (lib/exporter_watch): the first event of the trigger that took the memory away */
	bool memory_watched;		/* the kernel events were recorded */
	bool memory_gone;		/* there was one */
	uint64_t memory_gone_ns;	/* since the trigger started */
	char memory_gone_what[64];
};

#define P2PB_MAX_VIOLATIONS 16
#define P2PB_EVIDENCE_LEN 256

struct p2pb_violation {
	enum p2pb_clause clause;
	int iteration;			/* -1: the case as a whole */
	char evidence[P2PB_EVIDENCE_LEN];
};

/* Misbehaviour the run asked for, and what caught it: never an exporter failure. */
struct p2pb_injected {
	const char *fault;		/* "never-unmap", "dma-after-unmap" */
	unsigned int iterations;	/* iterations in which it showed */
	unsigned int forced_releases, bounded_returns;
	uint64_t stale_transfers, iommu_fault_irqs, io_errors;
	uint64_t stale_checks, stale_landed, stale_unknown;
};

struct p2pb_verdict {
	enum p2pb_outcome outcome;
	unsigned int judged;		/* bit per clause that was exercised */
	unsigned int violated;		/* bit per clause that failed */
	struct p2pb_violation v[P2PB_MAX_VIOLATIONS];
	unsigned int n_v, v_dropped;	/* violations beyond the array are counted only */
	unsigned int bounded_iterations;
	int bounded_last;		/* the last iteration counted as BOUNDED, or -1 */
	char bounded_evidence[P2PB_EVIDENCE_LEN];
	struct p2pb_injected never_unmap, dma_after_unmap;
	char error[P2PB_EVIDENCE_LEN];	/* first harness/setup error */
	char skip[P2PB_EVIDENCE_LEN];
	int waited_iteration;		/* an iteration whose trigger waited for unmaps, or -1 */
	unsigned int announced_warnings;	/* WARNs the configured bound announced (counted, allowed) */
};

void p2pb_verdict_init(struct p2pb_verdict *v);
/* One observation of clause @c outside an iteration (stress): judged, and violated unless @ok. */
void p2pb_verdict_clause(struct p2pb_verdict *v, enum p2pb_clause c, bool ok, const char *evidence);
/* Judge one iteration (warm-up ones too). */
void p2pb_verdict_iteration(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			    const struct p2pb_iter_obs *it);
/* C8 at the end of a case: a write load's data read back from its device. */
void p2pb_verdict_readback(struct p2pb_verdict *v, uint64_t blocks, uint64_t bad, const char *evidence);
/* C5 at attach: an importer that must be refused (mode != dynamic) got err. */
void p2pb_verdict_attach(struct p2pb_verdict *v, const char *mode, int err);
/* C7 for what was logged outside any iteration (setup, teardown, late hung-task reports). */
void p2pb_verdict_case_log(struct p2pb_verdict *v, const struct p2pb_verdict_ctx *ctx,
			   const struct p2pb_kmsg_counts *k);
void p2pb_verdict_error(struct p2pb_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void p2pb_verdict_skip(struct p2pb_verdict *v, const char *why);
/* Settles v->outcome from what was recorded. */
void p2pb_verdict_finish(struct p2pb_verdict *v);
/* Exit status of a run from its worst outcome: 0 pass/bounded/skip, 1 fail, 2 error. */
int p2pb_verdict_exit_status(enum p2pb_outcome worst);
#endif
