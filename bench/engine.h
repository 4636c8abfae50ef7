/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_ENGINE_H
#define P2PB_ENGINE_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exporter.h"
#include "opt.h"
#include "pci.h"

/*
 * The engine seam: everything that imports an exported range and may move
 * data through it (fio's ioengine_ops, perftest's memory_ctx and the vfio
 * selftests' vfio_pci_driver_ops are the models). An engine owns its option
 * keys and private state; the orchestration (stress/) sees only this file.
 * Engines: kmod (the test importer module, bench/kmod.c: edu DMA, or an
 * NVMe controller moving data through the mapping), iommufd (the kernel's
 * importer for VMMs, bench/iommufd.c) and null (the sim exporter's
 * in-process importer, bench/null.c, for unit tests).
 */

/* What an engine records, stamped on CLOCK_MONOTONIC. */
enum p2pb_engine_ev {
	P2PB_EE_OTHER,
	P2PB_EE_INVALIDATE,	/* arg: 1 if a mapping was live; value: unmap delay armed, UINT64_MAX never */
	P2PB_EE_UNMAP,		/* arg: enum p2pb_unmap_reason */
	P2PB_EE_FENCE_ADD,	/* value: fence seqno */
	P2PB_EE_FENCE_SIGNAL,	/* value: fence seqno; arg: 0 or the fence's -errno */
	P2PB_EE_IO_LAST,	/* ts: last completion of the I/O submitted before an invalidate */
	P2PB_EE_IO_FIRST,	/* ts: first good completion of I/O submitted after a map */
	P2PB_EE_IO_ERROR,	/* first failed I/O of a mapping; arg: device status or -errno */
	P2PB_EE_UNMAP_DONE,	/* the exporter's unmap returned; arg: as UNMAP's */
};

enum p2pb_unmap_reason {
	P2PB_UNMAP_POLICY,	/* the importer's own answer to an invalidate */
	P2PB_UNMAP_FORCED,	/* told to (the orchestrator's quiesce timeout) */
	P2PB_UNMAP_DETACHED,
	P2PB_UNMAP_OWNER_EXIT,	/* its process was exiting */
	P2PB_UNMAP_RELEASED,	/* an administrator released it */
	P2PB_UNMAP_REMOVED,	/* its device went away */
	P2PB_UNMAP_OTHER,
};
const char *p2pb_unmap_cause_name(enum p2pb_unmap_reason c);

struct p2pb_engine_event {
	uint64_t ts_ns;
	uint64_t value;
	enum p2pb_engine_ev type;
	int arg;
	uint32_t exporter;	/* INVALIDATE, UNMAP: P2PB_EXPORTER_*, 0 unknown */
};

struct p2pb_engine_stats {
	bool mapped;
	uint64_t bytes, ops, stale_ops;	/* data the engine moved; stale: after an invalidate */
	uint64_t revoked_bytes;		/* bytes of those stale operations */
	uint64_t stale_checks;		/* read-backs of where stale operations wrote (while live again) */
	uint64_t stale_landed;		/* of those, finding their data: a translation outlived the unmap */
	uint64_t stale_unknown;		/* finding neither their data nor what was there before */
	uint64_t io_errors, io_timeouts;	/* operations that failed, that never completed */
	uint32_t last_error;		/* device status of the last failure */
};

/*
 * An in-process engine's events until the orchestrator drains them: the
 * oldest is dropped when full (and the drain says so). Not locked: the
 * engine holds its own lock around both calls.
 */
#define P2PB_ENGINE_EVENT_RING 256
struct p2pb_event_ring {
	struct p2pb_engine_event ev[P2PB_ENGINE_EVENT_RING];
	unsigned int head, count, dropped;
};

void p2pb_event_ring_push(struct p2pb_event_ring *r, struct p2pb_engine_event e);
/* Up to @max of the oldest events into @ev (*@n of them); -EOVERFLOW when some were dropped since the last take. */
int p2pb_event_ring_take(struct p2pb_event_ring *r, struct p2pb_engine_event *ev, uint32_t max, uint32_t *n);

/* Throughput bins of an engine that keeps them: start and bytes of good completions. */
struct p2pb_engine_bin {
	uint64_t start_ns, bytes;
	uint32_t ios, errors;
};

/* One attachment: an engine instance on one export. */
struct p2pb_attachment {
	uint32_t id;
	int map_err;			/* of the last map, 0 or -errno */
	void *priv;			/* the engine's */
};

/* Misbehaviour an engine was told to inject (never an exporter failure). */
#define P2PB_INJECT_NEVER_UNMAP		(1u << 0)
#define P2PB_INJECT_DMA_AFTER_UNMAP	(1u << 1)

#define P2PB_SPEC_LEN 160
#define P2PB_ENGINE_OPTS 256

/* "KIND:key=value,...": the generic part, and the engine's parsed options. */
struct p2pb_engine_spec {
	char text[P2PB_SPEC_LEN];	/* as given, for reports */
	const struct p2pb_engine_ops *ops;
	unsigned int count;		/* identical instances (count=N, a generic key) */
	_Alignas(16) unsigned char opts[P2PB_ENGINE_OPTS];	/* the engine's option struct */
};

struct p2pb_engine {
	const struct p2pb_engine_spec *spec;
	unsigned int instance;		/* 0..count-1 */
	uint64_t seed;			/* for anything the engine draws at random */
	void *priv;			/* the engine's state, from open */
};

/**
 * struct p2pb_engine_ops - an engine
 * @name: the KIND of a spec
 * @help: one line for --help
 * @keys: the option keys, declared into the engine's option struct, ending
 *	with a NULL name: defaults, parsing, help text and errors come from them
 * @opts_size: size of the engine's option struct (at most P2PB_ENGINE_OPTS)
 * @check: the options complete? Pure; -EINVAL with p2pb_fail().
 * @injected: P2PB_INJECT_* the options ask for. Pure. Optional (NULL: none).
 * @moves_data: the options make the engine move data (its stats count bytes).
 *	Pure. Optional (NULL: never).
 * @unrevocable: the attach mode name when the options ask for an importer
 *	the exporter must refuse (contract clause C5), else NULL. Pure.
 *	Optional (NULL: always dynamic).
 * @describe: the engine's view of an instance for the result document
 *	(device, unmap policy...), called after open. Never blocks.
 * @open: get ready (load modules, open devices, draw delays): the
 *	orchestrating thread, may block; changes to the system go into @r so
 *	they are undone at the end. 0 or -errno with p2pb_fail().
 * @attach: attach to @x and map. -errno of the attach; a map error goes to
 *	@a->map_err. Orchestrating thread, may block briefly.
 * @map: map again; 0 or -errno (ENODEV while revoked). Orchestrating thread.
 * @unmap: unmap now whatever the policy (how a stuck revoke is released).
 *	Any thread; must not block on the exporter.
 * @events: drain up to @max events into @ev (*@n of them); -EOVERFLOW when
 *	some were lost. Any thread, never blocks.
 * @stats: counters of @a. Any thread, never blocks: the orchestrator polls
 *	it while a trigger is in the kernel.
 * @start: start moving data through @a (moves_data only). Orchestrating
 *	thread. Optional for an engine that never moves data.
 * @trigger_returned: a revoke trigger returned: until @a is mapped again,
 *	nothing of the exporter may translate for it (C1), which an engine
 *	whose device keeps issuing DMA can probe. Orchestrating thread, never
 *	blocks. Optional.
 * @bins: drain up to @max closed throughput bins of @a into @b (*@n of them,
 *	oldest first), their width into *@bin_ns; -EOVERFLOW when some were
 *	lost. Optional (NULL: the engine keeps none). Any thread, never blocks.
 * @filled: the 4 KiB blocks of @a's current mapping that must hold the
 *	device's data now: a read completed into them since the mapping was
 *	made, before any write from them. Bit b of @bits[b / 64] for block b,
 *	@max_blocks of them (the caller zeroed @bits); *@reads: how many are
 *	set. -EOPNOTSUPP: the options move no data from a device into the
 *	mapping that the engine accounts for per block. Optional. Any thread,
 *	never blocks.
 * @detach: unmap and detach; never fails for a caller to handle.
 * @writes_device: the options make the engine write data from the mapping
 *	to its device (verify reads it back with @readback). Pure. Optional.
 * @readback: read @len (at most 64) bytes at byte offset @off (4 KiB
 *	aligned) of the engine's device into @buf, after every attachment was
 *	detached; 0, -ERANGE past what the engine wrote, or -errno. Optional
 *	(NULL: nothing to read back).
 * @close: release everything open did.
 */
struct p2pb_engine_ops {
	const char *name;
	const char *help;
	const struct p2pb_opt *keys;
	size_t opts_size;
	int (*check)(const void *opts, const char *spec);
	unsigned int (*injected)(const void *opts);
	bool (*moves_data)(const void *opts);
	const char *(*unrevocable)(const void *opts);
	json_object *(*describe)(const struct p2pb_engine *e);
	int (*open)(struct p2pb_engine *e, struct p2pb_restore *r);
	int (*attach)(struct p2pb_engine *e, const struct p2pb_export *x, struct p2pb_attachment *a);
	int (*map)(struct p2pb_engine *e, struct p2pb_attachment *a);
	int (*unmap)(struct p2pb_engine *e, struct p2pb_attachment *a);
	int (*events)(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_event *ev,
		      uint32_t max, uint32_t *n);
	int (*stats)(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_stats *st);
	int (*start)(struct p2pb_engine *e, struct p2pb_attachment *a);
	void (*trigger_returned)(struct p2pb_engine *e, struct p2pb_attachment *a);
	int (*bins)(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_bin *b, uint32_t max,
		    uint32_t *n, uint64_t *bin_ns);
	int (*filled)(struct p2pb_engine *e, struct p2pb_attachment *a, uint64_t *bits, uint64_t max_blocks,
		      uint64_t *reads);
	void (*detach)(struct p2pb_engine *e, struct p2pb_attachment *a);
	bool (*writes_device)(const void *opts);
	int (*readback)(struct p2pb_engine *e, uint64_t off, void *buf, size_t len);
	void (*close)(struct p2pb_engine *e);
};

/* The registry: every engine this build has, NULL-terminated. */
extern const struct p2pb_engine_ops *const p2pb_engines[];
const struct p2pb_engine_ops *p2pb_engine_find(const char *name);
/* "kmod:delay=200ms,count=2,dev=0000:02:00.0" */
int p2pb_engine_spec_parse(const char *text, struct p2pb_engine_spec *sp);
int p2pb_engine_spec_check(const struct p2pb_engine_spec *sp);
/* Every engine and its keys, for --help. */
void p2pb_engine_help(FILE *f);

extern const struct p2pb_engine_ops p2pb_engine_kmod;
extern const struct p2pb_engine_ops p2pb_engine_iommufd;
/* The iommufd engine's kprobe_events lines, NULL-terminated (kernel/trace/iommufd-revoke.kprobes). */
extern const char *const p2pb_iommufd_kprobes[];
extern const struct p2pb_engine_ops p2pb_engine_null;
#endif
