/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the importer's files share: an attachment (importer_core.c) and the
 * NVMe load that moves data through it (load.c). The locking order is in
 * importer_core.c.
 */
#ifndef P2PBENCH_IMPORTER_H
#define P2PBENCH_IMPORTER_H

#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "uapi/p2pbench_importer.h"

struct p2pb_load_state;

struct p2pb_att {
	struct list_head node;		/* p2pb_atts, under p2pb_lock */
	struct mutex lock;		/* teardown against the ioctls */
	u32 id;
	u32 mode;
	u32 policy;
	u32 nr_delays;
	u32 delay_idx;
	u64 delays_ns[P2PB_MAX_DELAYS];
	u64 fence_hold_ns;
	struct pci_dev *pdev;		/* referenced until freed */
	struct pci_dev *exporter;	/* the exporting function, or NULL; referenced */
	struct pid *owner;		/* thread group (TGID) that attached; referenced */
	struct file *file;		/* the session's file: compared, never referenced */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach; /* NULL once torn down */

	/* under the resv lock (dynamic attachments) */
	struct sg_table *sgt;		/* live mapping */
	u32 nents;			/* of the last mapping, set under the resv lock */
	bool unmap_pending;		/* delayed unmap armed */
	u64 unmap_delay_ns;		/* the delay it was armed with */
	bool withheld;			/* invalidated but still mapped */
	unsigned int owner_exit_polls;	/* owner seen exiting, polls in a row */
	u64 dma_iova;			/* of the live mapping */
	bool dma_quiesce;		/* invalidated: start no new transfer */
	u64 stale_iova;			/* what the device had before the unmap */
	bool stale_valid;		/* stale_iova is one (an IOVA may be 0) */
	u64 map_ns, inval_ns;		/* of the last map and invalidate */

	struct hrtimer unmap_timer;
	struct work_struct unmap_work;
	struct delayed_work owner_watch;

	/* fences: context fence_ctx holds, fence_ctx + 1 edu transfers */
	u64 fence_ctx;
	atomic64_t fence_seqno;		/* unique over both contexts */
	spinlock_t hold_lock;		/* hold_list, hold_timer_on */
	struct list_head hold_list;	/* unsignalled, in seqno order */
	bool hold_timer_on;
	struct hrtimer hold_timer;

	/* device DMA into the mapping (P2PB_IOC_DMA: edu; P2PB_IOC_LOAD: NVMe) */
	struct task_struct *dma_task;
	struct p2pb_load_state *load;	/* NVMe: from the first start to the teardown */
	u32 dma_size, dma_flags;
	u64 dma_interval_ns;
	struct dma_fence *dma_fence;	/* the latest in flight, under ev_lock */
	u64 dma_bytes, dma_ops, dma_stale_ops, dma_last_ns;	/* under ev_lock */
	u64 revoked_bytes;		/* under ev_lock, NVMe */
	u32 io_errors, io_timeouts, last_error;	/* under ev_lock, NVMe */

	spinlock_t ev_lock;		/* ring and counters */
	struct p2pb_event ring[P2PB_EVENT_RING];
	u32 ev_head, ev_count, ev_dropped;
	u32 n_inval, n_unmap, n_map, n_map_fail;
};

void p2pb_record_at(struct p2pb_att *a, u32 type, s32 arg, u64 value, u64 ts);
void p2pb_record_value(struct p2pb_att *a, u32 type, s32 arg, u64 value);
void p2pb_fence_complete(struct p2pb_att *a, struct dma_fence *f, int err);
void p2pb_fence_signal(struct dma_fence *f, int err, ktime_t ts);
struct dma_fence *p2pb_dma_fence_publish(struct p2pb_att *a, gfp_t gfp, bool record);
void p2pb_dma_fence_done(struct p2pb_att *a, struct dma_fence *f, int err, bool record);

/* load.c */
long p2pb_ioc_load(struct p2pb_att *a, struct p2pb_load *req);
long p2pb_ioc_bins(struct p2pb_att *a, struct p2pb_bins *req);
long p2pb_ioc_filled(struct p2pb_att *a, struct p2pb_filled *req);
void p2pb_load_stop(struct p2pb_att *a);
void p2pb_load_free(struct p2pb_att *a);
u32 p2pb_load_inflight(struct p2pb_att *a);

#endif /* P2PBENCH_IMPORTER_H */
