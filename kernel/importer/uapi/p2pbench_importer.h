/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * p2pbench test importer: a dma-buf importer whose unmap behaviour is under
 * test control. Shared by the kernel module (kernel/importer) and userspace
 * (bench/kmod.c). Every struct has a fixed layout: explicit padding, 64-bit
 * fields 8-byte aligned, no pointers (user pointers travel as __u64), and
 * reserved words that must be zero in (-EINVAL otherwise) and are zero out,
 * so that a later field needs no new ABI.
 */
#ifndef P2PBENCH_IMPORTER_UAPI_H
#define P2PBENCH_IMPORTER_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define P2PB_IMPORTER_NAME	"p2pbench_importer"
#define P2PB_IMPORTER_ABI	7
#define P2PB_MAX_DELAYS		64

/* How the importer attaches; everything but DYNAMIC must be refused by VFIO. */
enum p2pb_attach_mode {
	P2PB_ATTACH_DYNAMIC = 0,	/* allow_peer2peer + invalidate_mappings */
	P2PB_ATTACH_STATIC = 1,		/* dma_buf_attach(): no importer ops */
	P2PB_ATTACH_NONREVOCABLE = 2,	/* dynamic, p2p, no invalidate_mappings */
	P2PB_ATTACH_NO_P2P = 3,		/* dynamic, revocable, allow_peer2peer off */
};

/*
 * What the importer does when its mapping is invalidated. NEVER is a broken
 * importer: only P2PB_IOC_UNMAP, detach, close, the exit of the attaching
 * process or the module's release_withheld parameter unmaps.
 */
enum p2pb_unmap_policy {
	P2PB_UNMAP_IMMEDIATE = 0,	/* unmap inside invalidate_mappings */
	P2PB_UNMAP_DELAY = 1,		/* unmap after delays_ns[i++ % nr_delays] */
	P2PB_UNMAP_NEVER = 2,		/* broken importer */
};

#define P2PB_ATTACH_F_MAP	(1u << 0)	/* map right after attaching */
#define P2PB_ATTACH_F_EXPORTER	(1u << 1)	/* exp_*: the exporting PCI function */

/*
 * The PCI function to attach as must be bound to one of this module's
 * pci_drivers (p2pbench_importer: QEMU edu; p2pbench_nvme: an NVMe controller
 * given to it through driver_override); any other is refused with -EPERM, a
 * missing one with -ENXIO. Delays and fence_hold_ns above KTIME_MAX are -EINVAL.
 *
 * fence_hold_ns > 0 (dynamic and no-p2p modes only): every successful map
 * adds one fence to the dma-buf's reservation object (DMA_RESV_USAGE_WRITE,
 * "DMA queued against this mapping", event P2PB_EV_FENCE_ADD); the next
 * invalidate arms it to signal fence_hold_ns later (P2PB_EV_FENCE_SIGNAL),
 * independently of the unmap policy: with an immediate unmap the fence
 * outlives the mapping. Detach, close and device removal signal a pending
 * fence with -ECANCELED.
 *
 * P2PB_ATTACH_F_EXPORTER: exp_domain/exp_bus/exp_devfn name the PCI function
 * whose BAR the dma-buf exports (-ENXIO if there is none). Every INVALIDATE
 * and UNMAP event then carries the exporter's state as this module reads it
 * from the function's config space at that moment (struct p2pb_event's
 * exporter): whether the exporter's memory was still live when its importer
 * was told and when it let go.
 */
struct p2pb_attach {
	__s32 dmabuf_fd;
	__u32 mode;		/* enum p2pb_attach_mode */
	__u32 pci_domain;	/* the PCI function to attach as */
	__u8 pci_bus;
	__u8 pci_devfn;
	__u16 pad0;
	__u32 unmap_policy;	/* enum p2pb_unmap_policy */
	__u32 nr_delays;
	__u32 flags;		/* P2PB_ATTACH_F_* */
	__u32 exp_domain;	/* P2PB_ATTACH_F_EXPORTER: the exporting function */
	__u8 exp_bus;
	__u8 exp_devfn;
	__u16 pad1;
	__u32 pad3;
	__u64 fence_hold_ns;	/* 0: no fence mode */
	__u64 reserved[4];	/* must be 0 */
	__u64 delays_ns[P2PB_MAX_DELAYS];
	/* out */
	__u32 id;		/* attachment id, unique per open file */
	__s32 map_err;		/* 0, or -errno of the first map */
	__u64 dmabuf_size;
	__u64 dma_addr;		/* first mapped segment */
	__u64 dma_len;		/* total mapped length */
	__u32 nents;
	__u32 pad2;
	__u64 reserved_out[2];	/* out: 0 */
};

/* P2PB_IOC_MAP and P2PB_IOC_UNMAP */
struct p2pb_map {
	__u32 id;
	__s32 err;		/* out: 0 or -errno (map) */
	__u64 dma_addr;		/* out */
	__u64 dma_len;		/* out */
	__u64 ts_ns;		/* out: ktime_get_ns() when it happened */
	__u64 reserved[2];	/* must be 0 */
};

/*
 * FENCE_SIGNAL is stamped just before the fence signals: whoever the fence
 * woke saw a clock at least as late.
 */
enum p2pb_event_type {
	P2PB_EV_ATTACH = 1,
	P2PB_EV_MAP = 2,
	P2PB_EV_MAP_FAIL = 3,	/* arg: -errno */
	P2PB_EV_INVALIDATE = 4,	/* arg: 1 if a mapping was live */
	P2PB_EV_UNMAP = 5,	/* arg: enum p2pb_unmap_cause */
	P2PB_EV_DETACH = 6,	/* arg: 0, or -ENODEV when the device went */
	P2PB_EV_FENCE_ADD = 7,	/* value: seqno; arg: enum p2pb_fence_kind */
	P2PB_EV_FENCE_SIGNAL = 8, /* value: seqno; arg: 0 or the fence's -errno */
	/*
	 * NVMe load (P2PB_IOC_LOAD). LOAD_LAST: every command submitted before
	 * an invalidate has completed; ts is the last of those completions,
	 * value the commands that were in flight at the invalidate. LOAD_FIRST:
	 * the first good completion of a command submitted after a map; value:
	 * its bytes. LOAD_ERROR: the first failed command after a map or an
	 * invalidate (later ones are only counted); arg: the NVMe status
	 * (SCT and SC) or -ETIMEDOUT; -EOVERFLOW: a new mapping does not hold
	 * the load's range.
	 */
	P2PB_EV_LOAD_LAST = 9,
	P2PB_EV_LOAD_FIRST = 10,
	P2PB_EV_LOAD_ERROR = 11,
	/*
	 * The exporter's unmap callback returned (arg: the cause, as UNMAP's):
	 * UNMAP is stamped when the importer let go, before the exporter hears
	 * of it; the difference is what the exporter's unmap cost.
	 */
	P2PB_EV_UNMAP_DONE = 12,
};

/*
 * Fence seqnos are unique per attachment; each kind has a fence context of
 * its own per attachment.
 */
enum p2pb_fence_kind {
	P2PB_FENCE_HOLD = 0,	/* fence_hold_ns mode: added at map */
	P2PB_FENCE_DMA = 1,	/* an edu transfer (IOC_DMA) or an NVMe batch (IOC_LOAD) */
};

/*
 * OWNER_EXIT: the attaching process was exiting while an invalidated mapping
 * was withheld (e.g. SIGKILLed while one of its threads waits in a revoke).
 */
enum p2pb_unmap_cause {
	P2PB_UNMAP_BY_POLICY = 0,	/* answer to an invalidate */
	P2PB_UNMAP_BY_REQUEST = 1,	/* P2PB_IOC_UNMAP */
	P2PB_UNMAP_BY_DETACH = 2,	/* detach or close */
	P2PB_UNMAP_BY_OWNER_EXIT = 3,	/* the attaching process is exiting */
	P2PB_UNMAP_BY_RELEASE = 4,	/* the release_withheld parameter */
	P2PB_UNMAP_BY_REMOVE = 5,	/* the device was unbound */
};

/*
 * The exporting function's state (P2PB_ATTACH_F_EXPORTER), read from its
 * config space when an INVALIDATE or UNMAP is recorded: before the importer
 * acts on an invalidate, and before the exporter hears of an unmap. READ:
 * the state was read (0: no exporter given, or another event type). GONE:
 * the function did not answer (all ones: removed, D3cold, in reset); the
 * other bits are then 0. MEM and MASTER: PCI_COMMAND's memory space and
 * bus master enable bits. Bits 4-5: the power state (PCI_PM_CTRL's
 * D0..D3hot; 0 when the function has no PM capability). The memory behind
 * the dma-buf is live only with READ and MEM set, GONE clear and D0.
 */
#define P2PB_EXP_READ		(1u << 0)
#define P2PB_EXP_GONE		(1u << 1)
#define P2PB_EXP_MEM		(1u << 2)
#define P2PB_EXP_MASTER		(1u << 3)
#define P2PB_EXP_PM_SHIFT	4
#define P2PB_EXP_PM_MASK	(3u << P2PB_EXP_PM_SHIFT)

/* INVALIDATE's value is P2PB_DELAY_NEVER for never, 0 for immediate. */
struct p2pb_event {
	__u64 ts_ns;		/* ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 value;		/* INVALIDATE: unmap delay armed in ns */
	__u32 type;		/* enum p2pb_event_type */
	__s32 arg;
	__u32 exporter;		/* INVALIDATE, UNMAP: P2PB_EXP_* */
	__u32 reserved;		/* 0 */
};

#define P2PB_DELAY_NEVER	(~0ULL)

#define P2PB_EVENT_RING	1024	/* per attachment; older events are dropped */

struct p2pb_events {
	__u32 id;
	__u32 max;		/* capacity of the array at events_ptr */
	__u64 events_ptr;	/* struct p2pb_event[max] */
	__u32 count;		/* out: events copied (and removed) */
	__u32 dropped;		/* out: events lost to ring overflow */
	__u64 reserved[2];	/* must be 0 */
};

struct p2pb_status {
	__u32 id;
	__u32 mapped;		/* out: 1 if a mapping is live */
	__u32 invalidates;	/* out: counters since attach */
	__u32 unmaps;
	__u32 maps;
	__u32 map_failures;
	__u64 dma_bytes;	/* out: bytes the device moved (P2PB_IOC_DMA or _LOAD) */
	__u64 dma_ops;		/* out: transfers completed */
	__u64 dma_stale_ops;	/* out: transfers to an IOVA already unmapped */
	__u64 dma_last_ns;	/* out: ktime_get_ns() of the last completion */
	/* NVMe load only */
	__u64 revoked_bytes;	/* out: bytes of good commands submitted after an invalidate */
	__u32 io_errors;	/* out: commands completed with an error status */
	__u32 io_timeouts;	/* out: commands that never completed (controller retired) */
	__u32 last_error;	/* out: NVMe SCT and SC of the last failed command */
	__u32 inflight;		/* out: commands in flight */
	__u64 reserved[2];	/* out: 0 */
};

/*
 * Real DMA by the device the importer attached as (QEMU edu, bound to this
 * module): write `size` bytes from the device into the start of the mapping
 * every `interval_ns`. Each transfer holds a fence in the dma-buf's
 * reservation object (DMA_RESV_USAGE_WRITE, events P2PB_EV_FENCE_ADD and
 * P2PB_EV_FENCE_SIGNAL, the latter with -ETIMEDOUT if the transfer did not
 * complete), so the exporter's fence wait covers it. With
 * P2PB_DMA_F_AFTER_UNMAP the device goes on writing to the IOVA it had after
 * the mapping is gone: the misbehaving device the IOMMU must stop.
 */
#define P2PB_DMA_F_AFTER_UNMAP	(1u << 0)

struct p2pb_dma {
	__u32 id;
	__u32 enable;		/* 1 start, 0 stop */
	__u32 size;		/* bytes per transfer, 1..4095 (edu limit) */
	__u32 flags;		/* P2PB_DMA_F_* */
	__u64 interval_ns;	/* pause between transfers, <= KTIME_MAX */
	__u64 reserved[2];	/* must be 0 */
};

/*
 * NVMe load (an attachment made as a controller bound to p2pbench_nvme):
 * commands of block_size bytes whose data pointers (PRP1, PRP2 or a PRP
 * list) are IOVAs of the mapping, qdepth of them in flight. Command n uses
 * slot s = n mod (range / block_size): bytes [s * block_size, +block_size)
 * of the mapping and of namespace 1, so after reads the mapping's first
 * `range` bytes equal the namespace's. At most one command is in flight on
 * a slot (a queue deeper than the range has slots waits for it), so a
 * mixed load never reads into a block while writing from it. It reads (device -> dma-buf) when
 * n mod 100 < read_pct, else writes (dma-buf -> device). rate_bps > 0 caps
 * the bytes submitted per second. Commands submitted in one pass share one
 * fence in the dma-buf's resv (DMA_RESV_USAGE_WRITE) that signals when all
 * of them completed, in submission order. These fences are not recorded as
 * FENCE_ADD/FENCE_SIGNAL events (they would flood the ring); LOAD_LAST is
 * recorded once the last of them in flight at an invalidate has signalled.
 *
 * An invalidate stops submission; commands in flight are let finish (NVMe
 * cannot abort a command the controller already fetched without a reset),
 * and the unmap (by its policy) waits for their fences. A command not
 * complete after 5 s retires the controller: it is disabled (bounded by its
 * CAP.TO), bus mastering goes off, the fences signal with -ETIMEDOUT; a
 * revoke waiting for them waits that long. A later mapping that does not
 * hold the range as one aligned run of IOVAs gets no command (LOAD_ERROR
 * with -EOVERFLOW). A failed batch's fence error may be lost when the next
 * batch's fence replaces it in the resv (one fence per context is kept).
 * With P2PB_DMA_F_AFTER_UNMAP the engine goes on submitting after the
 * invalidate, to the old IOVAs once unmapped: the misbehaving device the
 * IOMMU must stop.
 *
 * bin_ns > 0: completed bytes are summed in bins of bin_ns from the start
 * (P2PB_IOC_BINS). Only one load runs per controller (-EBUSY); block_size
 * above the controller's largest transfer (MDTS) is -E2BIG.
 */
struct p2pb_load {
	__u32 id;
	__u32 enable;		/* 1 start, 0 stop (waits for commands in flight) */
	__u32 block_size;	/* a multiple of 4096, at most P2PB_LOAD_MAX_BLOCK */
	__u32 qdepth;		/* 1..P2PB_LOAD_MAX_QD */
	__u32 read_pct;		/* 0..100 */
	__u32 flags;		/* P2PB_DMA_F_* */
	__u64 range;		/* bytes from the mapping's start; 0: all (out: used) */
	__u64 rate_bps;		/* 0: as fast as the controller goes; <= P2PB_LOAD_MAX_RATE */
	__u64 bin_ns;		/* 0: no bins; else at least 100 us */
	__u64 reserved[2];	/* must be 0 */
};

#define P2PB_LOAD_MAX_QD	63
#define P2PB_LOAD_MAX_BLOCK	(1u << 20)
#define P2PB_LOAD_BINS		4096	/* per load; older bins are dropped */
#define P2PB_LOAD_MAX_RATE	(1ULL << 40)	/* bytes/s */

/* A bin with no completion and no error is not stored: it reads as zero. */
struct p2pb_bin {
	__u64 start_ns;		/* ktime_get_ns() of the bin's start */
	__u64 bytes;		/* of good completions in the bin */
	__u32 ios;
	__u32 errors;
};

struct p2pb_bins {
	__u32 id;
	__u32 max;		/* capacity of the array at bins_ptr */
	__u64 bins_ptr;		/* struct p2pb_bin[max] */
	__u64 bin_ns;		/* out: the load's bin width */
	__u32 count;		/* out: closed bins copied (and removed), oldest first */
	__u32 dropped;		/* out: bins lost to ring overflow */
	__u64 reserved[2];	/* must be 0 */
};

/*
 * Which 4 KiB blocks of the load's range must hold the device's data: bit b
 * (bit b % 64 of word b / 64) is set when a read command completed without
 * error into block b of the current mapping, and no write from block b had
 * completed into this mapping before it (after such a write the block
 * holds what the mapping held, which the write copied to the device). Every
 * new mapping starts with no bit set. Completions are recorded after their
 * data landed, so a block whose bit a reader saw holds device data from
 * then on, unless the DMA never arrived. `reads` counts those first reads
 * (blocks, not commands).
 */
struct p2pb_filled {
	__u32 id;
	__u32 pad0;
	__u64 bitmap_ptr;	/* __u64[(max_blocks + 63) / 64] */
	__u64 max_blocks;	/* bits the array at bitmap_ptr holds */
	__u64 blocks;		/* out: 4 KiB blocks of the load's range */
	__u64 map_ns;		/* out: the mapping the bits are of (0: none recorded yet) */
	__u64 reads;		/* out: bits set over all blocks */
	__u64 reserved[2];	/* must be 0 */
};

#define P2PB_IOC_MAGIC		0xB2
#define P2PB_IOC_ABI		_IOR(P2PB_IOC_MAGIC, 0, __u32)
#define P2PB_IOC_ATTACH		_IOWR(P2PB_IOC_MAGIC, 1, struct p2pb_attach)
#define P2PB_IOC_MAP		_IOWR(P2PB_IOC_MAGIC, 2, struct p2pb_map)
#define P2PB_IOC_UNMAP		_IOWR(P2PB_IOC_MAGIC, 3, struct p2pb_map)
#define P2PB_IOC_DETACH		_IOW(P2PB_IOC_MAGIC, 4, __u32)
#define P2PB_IOC_EVENTS		_IOWR(P2PB_IOC_MAGIC, 5, struct p2pb_events)
#define P2PB_IOC_STATUS		_IOWR(P2PB_IOC_MAGIC, 6, struct p2pb_status)
#define P2PB_IOC_DMA		_IOW(P2PB_IOC_MAGIC, 7, struct p2pb_dma)
#define P2PB_IOC_LOAD		_IOWR(P2PB_IOC_MAGIC, 8, struct p2pb_load)
#define P2PB_IOC_BINS		_IOWR(P2PB_IOC_MAGIC, 9, struct p2pb_bins)
#define P2PB_IOC_FILLED		_IOWR(P2PB_IOC_MAGIC, 10, struct p2pb_filled)

#endif /* P2PBENCH_IMPORTER_UAPI_H */
