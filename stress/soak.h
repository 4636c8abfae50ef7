/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_SOAK_H
#define P2PB_SOAK_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include "engine.h"
#include "hist.h"
#include "kmsg.h"
#include "leak.h"
#include "verdict.h"

/*
 * p2pbench stress: workers doing randomized, concurrent operations on one
 * exporter, every one judged (docs/stress.md). This header is the seam
 * between the runner (soak.c), the operation log and replay files
 * (oplog.c, pure) and the command (cli/stress.c).
 */

/* The operations; the names are the --mix and replay-file names. */
enum p2pb_op {
	P2PB_OP_EXPORT,		/* export a dma-buf into an empty slot */
	P2PB_OP_CLOSE,		/* close a slot's dma-buf fd (its attachments keep it alive) */
	P2PB_OP_ATTACH,		/* attach an importer (and map) */
	P2PB_OP_DETACH,
	P2PB_OP_MAP,
	P2PB_OP_UNMAP,
	P2PB_OP_REVOKE,		/* a trigger, a hold, its inverse: one cycle */
	P2PB_OP_REOPEN,		/* close the device fd (revokes for good) and open it again */
	P2PB_OP_SPAWN,		/* a child process attaches its own importer to a slot's dma-buf */
	P2PB_OP_KILL,		/* SIGKILL one of the worker's child processes: its importer goes with it */
	P2PB_N_OPS,
};
const char *p2pb_op_name(enum p2pb_op op);
int p2pb_op_find(const char *name);	/* -1: unknown */

#define P2PB_STRESS_MAX_WORKERS 32
#define P2PB_STRESS_MAX_TRIGGERS 8
#define P2PB_STRESS_MAX_SLOTS 64	/* dma-bufs per worker */
#define P2PB_STRESS_MAX_ATTS 8		/* attachments per dma-buf */
#define P2PB_STRESS_MAX_CHILDREN 4	/* child processes per worker */

/* Result of an operation that did not run because its target was not in the right state. */
#define P2PB_OP_NOOP 1

/* One operation as a worker drew it: a pure function of (seed, worker, index). */
struct p2pb_op_draw {
	enum p2pb_op op;
	uint16_t slot, att;
	uint8_t trigger;		/* index into the run's triggers */
	uint32_t hold_us;		/* revoke: how long the device stays revoked */
};

/* One executed operation. */
struct p2pb_op_rec {
	uint64_t t_ns;			/* start, from the start of its segment */
	uint32_t dur_us;
	uint32_t index;			/* the worker's operation number */
	int32_t result;			/* 0, -errno, or P2PB_OP_NOOP */
	uint16_t worker, slot, att;
	uint8_t op, trigger;
	uint32_t hold_us;
};

struct p2pb_stress_cfg {
	char device[64];		/* BDF or sim[:fault] */
	uint32_t bar;
	uint64_t size;			/* bytes per dma-buf */
	struct p2pb_engine_spec importer;
	char triggers[P2PB_STRESS_MAX_TRIGGERS][16];
	unsigned int n_triggers;
	unsigned int mix[P2PB_N_OPS];	/* relative weights */
	unsigned int workers, slots, atts;
	uint64_t seed;
	uint64_t duration_ns;		/* 0: until max_cycles / max_ops */
	uint64_t max_cycles, max_ops;
	uint32_t hold_max_us;		/* a revoke holds 0..this */
	uint64_t quiesce_ns;		/* a trigger still waiting after this: its importers are unmapped */
	uint64_t watchdog_ns;		/* still in the kernel this long, nothing mapped: a hung revoke (C1) */
	uint32_t pace_us;		/* sleep between a worker's operations */
	unsigned int checkpoint_cycles;	/* drain and compare leaks every N cycles (0: only at the end) */
	bool keep_going;		/* do not stop at the first finding */
	const char *replay_path;	/* --replay: run this file's operations instead of drawing */
};

/* Draw worker w's operation i (the seed makes a run reproducible). */
void p2pb_stress_draw(const struct p2pb_stress_cfg *c, unsigned int w, uint64_t i, struct p2pb_op_draw *d);
/* Weights that keep most slots exported and attached, with a revoke every ~15 operations. */
#define P2PB_STRESS_DEFAULT_MIX "export=3,close=2,attach=4,detach=2,map=4,unmap=2,revoke=1,reopen=0,spawn=1,kill=1"
/*
 * "export=2,map=4,...": weights by name over the default ones; unknown
 * names are -EINVAL with p2pb_fail() (the reason: the caller names --mix).
 */
int p2pb_stress_parse_mix(const char *s, unsigned int mix[P2PB_N_OPS]);
void p2pb_stress_default_mix(unsigned int mix[P2PB_N_OPS]);

/*
 * The operation log of one segment (from a drained, baseline state to the
 * next one): a fixed array, so memory does not grow with the run. A
 * checkpoint starts a new segment; when a finding stops the run the
 * segment is the replayable failing sequence.
 */
#define P2PB_OPLOG_MAX 65536
struct p2pb_oplog {
	struct p2pb_op_rec *rec;
	unsigned int cap;
	unsigned int n;			/* atomic */
	unsigned int dropped;		/* atomic: appended past cap */
	uint64_t start_ns;		/* CLOCK_MONOTONIC of the segment's start */
	unsigned int segment;
};
int p2pb_oplog_init(struct p2pb_oplog *l, unsigned int cap);
void p2pb_oplog_free(struct p2pb_oplog *l);
void p2pb_oplog_reset(struct p2pb_oplog *l, uint64_t now_ns);
void p2pb_oplog_add(struct p2pb_oplog *l, const struct p2pb_op_rec *r);	/* thread-safe */
/* Sorted by start time (ties: worker, index). */
void p2pb_oplog_sort(struct p2pb_oplog *l);

/* A replay file: the configuration and one segment's operations. */
int p2pb_replay_write(const char *path, const struct p2pb_stress_cfg *c, const struct p2pb_oplog *l,
		      const char *finding);
/* Reads cfg and the operations into l; -errno with p2pb_fail() on a bad file. */
int p2pb_replay_read(const char *path, struct p2pb_stress_cfg *c, struct p2pb_oplog *l);

/* Counters of one operation kind. */
struct p2pb_op_stats {
	uint64_t done, noop, failed;
	uint64_t errnos[8];		/* counts of the first distinct errnos below */
	int errno_val[8];
	struct p2pb_hist lat_ns;
};

struct p2pb_stress_trigger_result {
	const char *name;
	struct p2pb_verdict_ctx ctx;
	struct p2pb_verdict verdict;
	struct p2pb_hist revoke_ns;	/* trigger call: the wait for every importer */
	uint64_t cycles;
};

#define P2PB_STRESS_MAX_FINDINGS 16
struct p2pb_stress_result {
	struct p2pb_stress_trigger_result trig[P2PB_STRESS_MAX_TRIGGERS];
	struct p2pb_verdict run_verdict;	/* C7 and what no single trigger owns */
	struct p2pb_verdict_ctx run_ctx;
	struct p2pb_op_stats ops[P2PB_N_OPS];
	uint64_t total_ops, cycles, elapsed_ns;
	uint64_t traffic_bytes;		/* moved by the importers' devices (kmod dma=, io=) */
	uint64_t stale_ops;		/* of their transfers, after an invalidate: a misbehaving importer */
	unsigned int checkpoints, leaky_checkpoints;
	char first_leak[256];
	struct p2pb_leak baseline, last;
	long rss_first_kib, rss_max_kib;	/* at the first and over all checkpoints */
	struct p2pb_kmsg_counts klog;
	char findings[P2PB_STRESS_MAX_FINDINGS][256];
	unsigned int n_findings, findings_dropped;
	bool stopped_early;		/* a finding stopped the run */
	bool kernel_stuck;		/* a trigger never came back: its worker and the device are left as they are */
	bool interrupted;
	unsigned int replay_ops;	/* operations in the written replay file */
	const char *replay_written;	/* the replay file written, or NULL */
	char error[256];		/* a setup error */
};

/* Run; 0, or -errno with p2pb_fail() for a setup error. Findings are in r. */
struct p2pb_session;
int p2pb_stress_run(const struct p2pb_stress_cfg *c, struct p2pb_session *s, struct p2pb_stress_result *r,
		    const char *record_path, bool record_always);

/* stress/soak_format.c: the findings table, the result object, the verdicts that failed */
void p2pb_stress_table(const struct p2pb_stress_cfg *c, const struct p2pb_stress_result *r);
json_object *p2pb_stress_json(const struct p2pb_stress_cfg *c, const struct p2pb_stress_result *r);
unsigned int p2pb_stress_verdict_findings(const struct p2pb_stress_result *r, unsigned int n_triggers);

#endif
