// SPDX-License-Identifier: GPL-2.0
/*
 * The NVMe load: an attachment made as a controller bound to p2pbench_nvme
 * keeps qdepth reads and writes in flight whose data pointers are IOVAs of
 * its dma-buf mapping (P2PB_IOC_LOAD in the uAPI header says what it does).
 *
 * One kernel thread per load is the only submitter and reaper of the
 * controller's I/O queue (polled, no interrupts). It takes the dma-buf's
 * resv only with a trylock, to submit: an exporter's revoke holds the resv
 * while the importer's unmap waits for the fences of the commands in
 * flight, and only this thread can reap them. Commands submitted in one
 * pass share a fence; fences signal in submission order, so waiting for the
 * latest (p2pb_att.dma_fence) waits for all. Batch fences are not recorded
 * in the event ring (thousands a second would flood it); LOAD_LAST says
 * when the last batch in flight at an invalidate was done.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "importer.h"
#include "nvme.h"

#define P2PB_LOAD_TIMEOUT_NS	(5 * NSEC_PER_SEC)
#define P2PB_LOAD_MIN_BIN_NS	(100 * NSEC_PER_USEC)
#define P2PB_LOAD_PAGE		4096
#define P2PB_LOAD_POLL_MIN_US	20
#define P2PB_LOAD_POLL_MAX_US	500	/* bounds how late a completion (and its fence) is seen */

struct p2pb_load_slot {
	bool busy;
	bool write;
	bool stale;		/* submitted after an invalidate */
	u32 len;
	u32 batch;		/* index into p2pb_load_state.batch */
	u64 off;		/* byte offset into the range (its slot of the range) */
	u64 submit_ns;
	u64 map_ns;		/* of the mapping it was submitted into */
	u64 epoch_ns;		/* its map, or the invalidate it was submitted after */
};

/* Commands submitted in one pass; fence is NULL for an unmapped target. */
struct p2pb_load_batch {
	struct dma_fence *fence;
	u32 pending;
	int err;
};

/**
 * struct p2pb_load_state - one NVMe load of an attachment
 * @req: what was asked for, checked
 * @nvme: the controller, claimed while @task runs
 * @task: the thread, referenced; NULL when stopped
 * @nslots: range / block_size
 * @seq: commands submitted since the start
 * @start_ns: for the bins
 * @tokens: bytes the rate allows now (at most a queue's worth)
 * @rate_last_ns: when @tokens was last topped up
 * @inflight: commands submitted and not reaped (the thread's; read racily by STATUS)
 * @slot: by command id
 * @batch: a ring of @b_count batches from @b_head
 * @checked_map_ns: map_ns of the mapping checked to hold the range (one IOVA run, aligned)
 * @map_ok: that mapping holds the range
 * @first_for_map: map_ns of the mapping whose first good completion was recorded
 * @error_for_epoch: epoch_ns (map or invalidate) whose first failure was recorded
 * @drained_inval: inval_ns of the invalidate whose LOAD_LAST was recorded
 * @drain_last_ns: last completion of a command submitted before the invalidate
 * @drain_count: how many of those completed after it
 * @dead: the controller was retired; submit nothing more
 * @bins: under the attachment's ev_lock: a ring of @bin_count from @bin_head
 * @cur: the bin being filled, under ev_lock
 * @last_closed: start of the last bin closed, under ev_lock: later completions go after it
 * @nblocks: 4 KiB blocks of the range
 * @filled: under ev_lock: blocks a read completed into, before any write from them, since
 *	the mapping @filled_map_ns was made (P2PB_IOC_FILLED)
 * @written: under ev_lock: blocks a write completed from since that mapping was made
 * @filled_map_ns: map_ns of the mapping @filled and @written are of
 * @filled_reads: bits set in @filled
 */
struct p2pb_load_state {
	struct p2pb_load req;
	struct p2pb_nvme *nvme;
	struct task_struct *task;
	u64 nslots, seq, start_ns, tokens, rate_last_ns;
	u32 inflight;
	struct p2pb_load_slot slot[P2PB_LOAD_MAX_QD];
	struct p2pb_load_batch batch[P2PB_LOAD_MAX_QD];
	u32 b_head, b_count;
	u64 checked_map_ns;
	bool map_ok;
	u64 first_for_map, error_for_epoch, drained_inval;
	u64 drain_last_ns, drain_count;
	bool dead;
	struct p2pb_bin *bins;
	u32 bin_head, bin_count, bin_dropped;
	struct p2pb_bin cur;
	u64 last_closed;
	u64 nblocks;
	unsigned long *filled, *written;
	u64 filled_map_ns, filled_reads;
};

u32 p2pb_load_inflight(struct p2pb_att *a)
{
	return a->load ? READ_ONCE(a->load->inflight) : 0;
}

/* ---- bins: under a->ev_lock ---- */

static void p2pb_bin_push(struct p2pb_load_state *l)
{
	if (!l->cur.ios && !l->cur.errors)
		return;
	if (l->bin_count == P2PB_LOAD_BINS) {
		l->bin_head = (l->bin_head + 1) % P2PB_LOAD_BINS;
		l->bin_count--;
		l->bin_dropped++;
	}
	l->bins[(l->bin_head + l->bin_count) % P2PB_LOAD_BINS] = l->cur;
	l->bin_count++;
	l->last_closed = l->cur.start_ns;
	memset(&l->cur, 0, sizeof(l->cur));
}

static void p2pb_bin_add(struct p2pb_load_state *l, u64 ts, u64 bytes, bool error)
{
	u64 start;

	if (!l->req.bin_ns)
		return;
	start = l->start_ns + div64_u64(ts - l->start_ns, l->req.bin_ns) * l->req.bin_ns;
	/* stamped before a reader closed its bin: it goes into the next one */
	if (l->last_closed && start <= l->last_closed)
		start = l->last_closed + l->req.bin_ns;
	if (start != l->cur.start_ns) {
		p2pb_bin_push(l);
		l->cur.start_ns = start;
	}
	if (error) {
		l->cur.errors++;
	} else {
		l->cur.bytes += bytes;
		l->cur.ios++;
	}
}

/* ---- completions ---- */

/* Signal, in order, every batch at the head whose commands all completed. */
static void p2pb_load_signal(struct p2pb_att *a, struct p2pb_load_state *l)
{
	struct p2pb_load_batch *b;

	while (l->b_count) {
		b = &l->batch[l->b_head];
		if (b->pending)
			break;
		if (b->fence)
			p2pb_dma_fence_done(a, b->fence, b->err, false);
		b->fence = NULL;
		l->b_head = (l->b_head + 1) % P2PB_LOAD_MAX_QD;
		l->b_count--;
	}
}

/* LOAD_LAST once every command submitted before the last invalidate completed. */
static void p2pb_load_check_drained(struct p2pb_att *a, struct p2pb_load_state *l)
{
	u64 inval = READ_ONCE(a->inval_ns);
	u32 i;

	if (!inval || inval == l->drained_inval)
		return;
	for (i = 0; i < l->req.qdepth; i++)
		if (l->slot[i].busy && l->slot[i].submit_ns < inval)
			return;
	p2pb_record_at(a, P2PB_EV_LOAD_LAST, 0, l->drain_count,
		       l->drain_count ? l->drain_last_ns : READ_ONCE(a->dma_last_ns));
	l->drained_inval = inval;
	l->drain_count = 0;
}

/*
 * A good command of the mapping @s was submitted into, under ev_lock: a
 * read marks the blocks it filled with device data, unless a write had
 * copied them to the device first (they then hold what the mapping held).
 */
static void p2pb_load_mark(struct p2pb_load_state *l, const struct p2pb_load_slot *s)
{
	u64 b = div_u64(s->off, P2PB_LOAD_PAGE), end = b + s->len / P2PB_LOAD_PAGE;

	if (s->stale || s->map_ns < l->filled_map_ns)
		return;		/* not into the latest mapping */
	if (s->map_ns > l->filled_map_ns) {
		bitmap_zero(l->filled, l->nblocks);
		bitmap_zero(l->written, l->nblocks);
		l->filled_map_ns = s->map_ns;
		l->filled_reads = 0;
	}
	for (; b < end && b < l->nblocks; b++) {
		if (s->write)
			__set_bit(b, l->written);
		else if (!test_bit(b, l->written) && !__test_and_set_bit(b, l->filled))
			l->filled_reads++;
	}
}

/* One command is over: @status is its NVMe status, or -ETIMEDOUT. */
static void p2pb_load_complete(struct p2pb_att *a, struct p2pb_load_state *l, u16 cid, int status,
			       u64 now)
{
	struct p2pb_load_slot *s = &l->slot[cid];
	u64 inval = READ_ONCE(a->inval_ns);
	unsigned long flags;
	bool first = false;

	/* M, DNR, CRD are not part of the outcome: only SCT and SC */
	if (status > 0)
		status &= 0x7ff;

	if (s->submit_ns < inval && now >= inval) {
		l->drain_last_ns = now;
		l->drain_count++;
	}
	spin_lock_irqsave(&a->ev_lock, flags);
	if (status) {
		a->io_errors += status > 0;
		a->io_timeouts += status < 0;
		if (status > 0)
			a->last_error = status;
	} else {
		a->dma_bytes += s->len;
		a->dma_ops++;
		a->dma_stale_ops += s->stale;
		a->revoked_bytes += s->stale ? s->len : 0;
		a->dma_last_ns = now;
		first = s->map_ns > l->first_for_map;
		p2pb_load_mark(l, s);
	}
	p2pb_bin_add(l, now, s->len, status);
	spin_unlock_irqrestore(&a->ev_lock, flags);
	if (first) {
		l->first_for_map = s->map_ns;
		p2pb_record_at(a, P2PB_EV_LOAD_FIRST, 0, s->len, now);
	}
	if (status && s->epoch_ns > l->error_for_epoch) {
		l->error_for_epoch = s->epoch_ns;
		p2pb_record_at(a, P2PB_EV_LOAD_ERROR, status, cid, now);
	}
	if (status && !l->batch[s->batch].err)
		l->batch[s->batch].err = status < 0 ? status : -EIO;
	l->batch[s->batch].pending--;
	s->busy = false;
	WRITE_ONCE(l->inflight, l->inflight - 1);
}

/*
 * The controller was retired (disabled, bus mastering off): whatever it
 * still held moves no data any more, so its fences may say so.
 */
static void p2pb_load_fail_all(struct p2pb_att *a, struct p2pb_load_state *l, u64 now)
{
	u32 i;

	l->dead = true;
	for (i = 0; i < l->req.qdepth; i++)
		if (l->slot[i].busy)
			p2pb_load_complete(a, l, i, -ETIMEDOUT, now);
	p2pb_load_signal(a, l);
}

/* Returns how many commands completed. */
static unsigned int p2pb_load_reap(struct p2pb_att *a, struct p2pb_load_state *l)
{
	struct p2pb_nvme_done done[8];
	unsigned int reaped = 0;
	u64 now;
	int n, i;
	u32 k;

	do {
		n = p2pb_nvme_reap(l->nvme, done, ARRAY_SIZE(done));
		/* after the poll: no completion is older than an invalidate it followed */
		now = ktime_get_ns();
		if (n < 0) {	/* retired by the reap */
			p2pb_load_fail_all(a, l, now);
			return reaped;
		}
		reaped += n;
		for (i = 0; i < n; i++) {
			if (!l->slot[done[i].slot].busy) {
				p2pb_nvme_retire(l->nvme, "a completion of no command in flight");
				p2pb_load_fail_all(a, l, now);
				return reaped;
			}
			p2pb_load_complete(a, l, done[i].slot, done[i].status, now);
		}
	} while (n == ARRAY_SIZE(done));
	p2pb_load_signal(a, l);
	for (k = 0; k < l->req.qdepth; k++)
		if (l->slot[k].busy && now - l->slot[k].submit_ns > P2PB_LOAD_TIMEOUT_NS) {
			/* it may still move data: stop the controller first */
			p2pb_nvme_retire(l->nvme, "a load command did not complete in 5 s");
			p2pb_load_fail_all(a, l, now);
			return reaped;
		}
	return reaped;
}

/* ---- submission ---- */

/*
 * Bytes from the mapping's start that are one run of IOVAs: commands take
 * their data pointers from the start plus an offset. Resv held.
 */
static u64 p2pb_contiguous_len(struct p2pb_att *a)
{
	struct scatterlist *sg;
	u64 len = 0;
	int i;

	dma_resv_assert_held(a->dmabuf->resv);
	if (!a->sgt)
		return 0;
	for_each_sgtable_dma_sg(a->sgt, sg, i) {
		if (sg_dma_address(sg) != a->dma_iova + len)
			break;
		len += sg_dma_len(sg);
	}
	return len;
}

/*
 * A token bucket of at most one queue's worth of bytes: the rate holds at
 * any pass length, and no credit piles up while the load is stalled
 * (revoked), so the recovery after a revoke is not a burst.
 */
static bool p2pb_load_rate_allows(struct p2pb_load_state *l, u64 now)
{
	u64 burst = (u64)l->req.qdepth * l->req.block_size, elapsed;

	if (!l->req.rate_bps)
		return true;
	/* at most 1 s: the quotient stays <= rate_bps (no divide trap), tokens are capped anyway */
	elapsed = min_t(u64, now - l->rate_last_ns, NSEC_PER_SEC);
	l->rate_last_ns = now;
	l->tokens += mul_u64_u64_div_u64(l->req.rate_bps, elapsed, NSEC_PER_SEC);
	l->tokens = min(burst, l->tokens);
	return l->tokens >= l->req.block_size;
}

/*
 * A command in flight on the range's block at @off: a second one there (the
 * queue deeper than the range has blocks) could read into the mapping while
 * the other writes from it, and what either moved would be torn.
 */
static bool p2pb_load_off_busy(const struct p2pb_load_state *l, u64 off)
{
	u32 i;

	for (i = 0; i < l->req.qdepth; i++)
		if (l->slot[i].busy && l->slot[i].off == off)
			return true;
	return false;
}

static int p2pb_load_free_slot(struct p2pb_load_state *l)
{
	u32 i;

	for (i = 0; i < l->req.qdepth; i++)
		if (!l->slot[i].busy)
			return i;
	return -1;
}

/*
 * Where the device reads and writes, resv held: the live mapping unless
 * invalidated; after an invalidate only a misbehaving load goes on, into
 * the mapping while it lasts and then into its old IOVAs.
 */
static bool p2pb_load_target(struct p2pb_att *a, u64 *iova, bool *stale)
{
	bool misbehave = a->dma_flags & P2PB_DMA_F_AFTER_UNMAP;

	*stale = a->dma_quiesce || !a->sgt;
	if (a->sgt && (!a->dma_quiesce || misbehave)) {
		*iova = a->dma_iova;
		return true;
	}
	if (!a->sgt && misbehave && a->stale_valid) {
		*iova = a->stale_iova;
		return true;
	}
	return false;
}

/*
 * A new mapping (after a revoke, or an unmap and map by hand) must hold the
 * range as one aligned run of IOVAs too, or the device would be pointed past
 * it; resv held. Checked once per mapping; a failure is recorded and nothing
 * is submitted into that mapping.
 */
static bool p2pb_load_map_ok(struct p2pb_att *a, struct p2pb_load_state *l)
{
	if (a->map_ns == l->checked_map_ns)
		return l->map_ok;
	/* the old IOVAs of a mapping never checked (misbehaving load): not touched */
	if (!a->sgt)
		return false;
	l->checked_map_ns = a->map_ns;
	l->map_ok = !(a->dma_iova % P2PB_LOAD_PAGE) && p2pb_contiguous_len(a) >= l->req.range;
	if (!l->map_ok)
		p2pb_record_value(a, P2PB_EV_LOAD_ERROR, -EOVERFLOW, 0);
	return l->map_ok;
}

/* Submit as many commands as the queue depth and the rate allow, one fence for them. */
static void p2pb_load_submit(struct p2pb_att *a, struct p2pb_load_state *l)
{
	struct dma_resv *resv = a->dmabuf->resv;
	struct p2pb_load_batch *b;
	struct p2pb_load_slot *s;
	u64 iova, now, off;
	bool stale;
	int slot, err;
	u32 bidx;

	if (l->inflight >= l->req.qdepth || l->b_count == P2PB_LOAD_MAX_QD ||
	    !p2pb_load_rate_allows(l, ktime_get_ns()))
		return;
	if (!dma_resv_trylock(resv))
		return;		/* an exporter holds it, maybe waiting for our fences */
	if (!p2pb_load_target(a, &iova, &stale) || !p2pb_load_map_ok(a, l))
		goto out;
	/* the next command's block still in flight: no batch (and no fence) for nothing */
	if (p2pb_load_off_busy(l, (l->seq % l->nslots) * l->req.block_size))
		goto out;
	bidx = (l->b_head + l->b_count) % P2PB_LOAD_MAX_QD;
	b = &l->batch[bidx];
	b->fence = NULL;
	b->pending = 0;
	b->err = 0;
	/*
	 * No fence for IOVAs no longer mapped: nobody can wait for them. The
	 * slot needs no allocation while a batch of ours is in flight (see
	 * p2pb_dma_fence_publish()); the fence itself is GFP_NOWAIT.
	 */
	if (a->sgt) {
		b->fence = p2pb_dma_fence_publish(a, GFP_NOWAIT | __GFP_NOWARN, false);
		if (!b->fence)
			goto out;
	}
	l->b_count++;
	now = ktime_get_ns();
	while (l->inflight < l->req.qdepth && p2pb_load_rate_allows(l, now)) {
		slot = p2pb_load_free_slot(l);
		if (slot < 0)
			break;
		off = (l->seq % l->nslots) * l->req.block_size;
		if (p2pb_load_off_busy(l, off))
			break;	/* its block is still in flight: the next pass */
		s = &l->slot[slot];
		s->write = (l->seq % 100) >= l->req.read_pct;
		err = p2pb_nvme_submit(l->nvme, slot, s->write, off, iova + off, l->req.block_size);
		if (err) {
			l->dead = true;
			break;
		}
		s->busy = true;
		s->off = off;
		s->stale = stale;
		s->len = l->req.block_size;
		s->batch = bidx;
		s->submit_ns = now;
		s->map_ns = a->map_ns;
		s->epoch_ns = a->dma_quiesce ? a->inval_ns : a->map_ns;
		b->pending++;
		WRITE_ONCE(l->inflight, l->inflight + 1);
		l->seq++;
		if (l->req.rate_bps)
			l->tokens -= l->req.block_size;
	}
	p2pb_load_signal(a, l);		/* a batch nothing was submitted into */
out:
	dma_resv_unlock(resv);
}

/*
 * The longest pause between polls while commands are in flight: no longer
 * than a bin, so that a completion is stamped (after the poll that saw it)
 * at most about a bin late.
 */
static unsigned long p2pb_load_poll_max_us(const struct p2pb_load_state *l)
{
	u64 bin_us = div_u64(l->req.bin_ns, NSEC_PER_USEC);

	if (!bin_us)
		return P2PB_LOAD_POLL_MAX_US;
	return clamp_t(u64, bin_us, P2PB_LOAD_POLL_MIN_US, P2PB_LOAD_POLL_MAX_US);
}

/*
 * Reap, retire and signal: the path every fence of the load waits on. It
 * takes no lock an exporter holds while waiting for our fences (the resv)
 * and does not allocate (reclaim may wait for fences), as
 * dma_fence_begin_signalling() lets lockdep check.
 */
static bool p2pb_load_progress(struct p2pb_att *a, struct p2pb_load_state *l)
{
	bool cookie = dma_fence_begin_signalling();
	bool reaped = l->inflight && p2pb_load_reap(a, l);

	p2pb_load_check_drained(a, l);
	dma_fence_end_signalling(cookie);
	return reaped;
}

static int p2pb_load_thread(void *data)
{
	struct p2pb_att *a = data;
	struct p2pb_load_state *l = a->load;
	unsigned long poll_us = P2PB_LOAD_POLL_MIN_US, poll_max = p2pb_load_poll_max_us(l);

	/* on a stop, commands in flight are let finish (bounded by the timeout) */
	while (!kthread_should_stop() || l->inflight) {
		/*
		 * Poll fast while commands complete, back off while none do: a
		 * polling CPU is taken from the rest of the machine (in an
		 * emulator, from the device model itself).
		 */
		if (p2pb_load_progress(a, l))
			poll_us = P2PB_LOAD_POLL_MIN_US;
		else
			poll_us = min(2 * poll_us, poll_max);
		if (!kthread_should_stop() && !l->dead)
			p2pb_load_submit(a, l);
		if (l->inflight)
			usleep_range(poll_us, min(poll_us + poll_us / 2, poll_max));
		else if (l->dead)
			schedule_timeout_interruptible(HZ / 10);
		else
			usleep_range(200, 400);
	}
	return 0;
}

/* ---- start, stop ---- */

/**
 * p2pb_load_stop - stop the NVMe load of @a, if one runs
 * @a: the attachment; caller holds a->lock
 *
 * Waits for the commands in flight (or the controller's retirement when one
 * does not complete), so every fence of the load has signalled and the
 * device moves no more data through the mapping when this returns. The bins
 * stay readable until the next start or the attachment's end.
 */
void p2pb_load_stop(struct p2pb_att *a)
{
	struct p2pb_load_state *l = a->load;

	if (!l || !l->task)
		return;
	kthread_stop(l->task);
	put_task_struct(l->task);
	l->task = NULL;
	p2pb_nvme_release(l->nvme);
}

void p2pb_load_free(struct p2pb_att *a)
{
	if (!a->load)
		return;
	kvfree(a->load->filled);
	kvfree(a->load->written);
	kvfree(a->load->bins);
	kfree(a->load);
	a->load = NULL;
}

static int p2pb_load_check(const struct p2pb_load *req)
{
	if (req->enable > 1 || req->reserved[0] || req->reserved[1] ||
	    req->rate_bps > P2PB_LOAD_MAX_RATE)
		return -EINVAL;
	if (req->block_size < P2PB_LOAD_PAGE || req->block_size > P2PB_LOAD_MAX_BLOCK ||
	    req->block_size % P2PB_LOAD_PAGE || !req->qdepth || req->qdepth > P2PB_LOAD_MAX_QD ||
	    req->read_pct > 100 || req->flags & ~P2PB_DMA_F_AFTER_UNMAP ||
	    (req->bin_ns && req->bin_ns < P2PB_LOAD_MIN_BIN_NS) || req->bin_ns > KTIME_MAX ||
	    req->range % P2PB_LOAD_PAGE)
		return -EINVAL;
	return 0;
}

/* The range the load may use: mapped now, one run of IOVAs, inside the namespace. */
static int p2pb_load_range(struct p2pb_att *a, struct p2pb_load *req, u64 capacity)
{
	u64 contiguous, iova;

	dma_resv_lock(a->dmabuf->resv, NULL);
	contiguous = p2pb_contiguous_len(a);
	iova = a->dma_iova;
	dma_resv_unlock(a->dmabuf->resv);
	if (!contiguous)
		return -ENOLINK;	/* not mapped (revoked) */
	if (iova % P2PB_LOAD_PAGE)
		return -EINVAL;
	if (!req->range)
		req->range = min(contiguous, capacity) & ~(u64)(P2PB_LOAD_PAGE - 1);
	if (req->range > contiguous)
		return -EOVERFLOW;	/* beyond the mapping */
	if (req->range > capacity)
		return -ENOSPC;		/* beyond the namespace */
	return req->range < req->block_size ? -EINVAL : 0;
}

static int p2pb_load_alloc(struct p2pb_att *a)
{
	if (a->load)
		return 0;
	a->load = kzalloc_obj(*a->load, GFP_KERNEL);
	if (!a->load)
		return -ENOMEM;
	a->load->bins = kvcalloc(P2PB_LOAD_BINS, sizeof(*a->load->bins), GFP_KERNEL);
	if (!a->load->bins) {
		kfree(a->load);
		a->load = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The block bitmaps of a load of @range bytes; the old ones are freed. */
static int p2pb_load_alloc_blocks(struct p2pb_load_state *l, u64 range)
{
	u64 nblocks = div_u64(range, P2PB_LOAD_PAGE);
	unsigned long *filled, *written;

	/* the bitmap helpers take unsigned int; kvcalloc: a large range is not one high-order page */
	if (nblocks > UINT_MAX)
		return -EINVAL;
	filled = kvcalloc(BITS_TO_LONGS(nblocks), sizeof(*filled), GFP_KERNEL);
	written = kvcalloc(BITS_TO_LONGS(nblocks), sizeof(*written), GFP_KERNEL);
	if (!filled || !written) {
		kvfree(filled);
		kvfree(written);
		return -ENOMEM;
	}
	kvfree(l->filled);
	kvfree(l->written);
	l->filled = filled;
	l->written = written;
	l->nblocks = nblocks;
	return 0;
}

/* A new load starts from zero: slots, batches, bins, block bitmaps. */
static void p2pb_load_reset(struct p2pb_att *a, const struct p2pb_load *req, struct p2pb_nvme *n)
{
	struct p2pb_load_state *l = a->load;
	struct p2pb_bin *bins = l->bins;
	unsigned long *filled = l->filled, *written = l->written;
	u64 nblocks = l->nblocks;
	unsigned long flags;

	spin_lock_irqsave(&a->ev_lock, flags);
	memset(l, 0, sizeof(*l));
	l->bins = bins;
	l->filled = filled;
	l->written = written;
	l->nblocks = nblocks;
	l->req = *req;
	l->nvme = n;
	l->nslots = div64_u64(req->range, req->block_size);
	l->start_ns = ktime_get_ns();
	l->rate_last_ns = l->start_ns;
	l->tokens = req->block_size;	/* the first command goes at once */
	l->drained_inval = READ_ONCE(a->inval_ns);
	l->checked_map_ns = READ_ONCE(a->map_ns);	/* p2pb_load_range() checked it */
	l->map_ok = true;
	spin_unlock_irqrestore(&a->ev_lock, flags);
}

/**
 * p2pb_ioc_load - start or stop the NVMe load of an attachment
 * @a: the attachment, made as a controller bound to p2pbench_nvme; caller
 *	holds a->lock and the attachment is live
 * @req: the load; on success its range is the one used
 *
 * Return: 0; -EINVAL for a bad request; -EOPNOTSUPP when @a was not made as
 * an NVMe controller of ours or is not dynamic; -ENOLINK when not mapped;
 * -EOVERFLOW for a range beyond the mapping's contiguous IOVAs; -ENOSPC for
 * one beyond the namespace; -E2BIG for a block larger than the controller's
 * largest transfer (MDTS); -EBUSY when another load owns the controller;
 * -ENODEV when the controller was retired.
 */
long p2pb_ioc_load(struct p2pb_att *a, struct p2pb_load *req)
{
	struct p2pb_load r = *req;
	struct task_struct *t;
	struct p2pb_nvme *n;
	u64 capacity;
	u32 max_io;
	int err;

	if (!req->enable) {
		p2pb_load_stop(a);
		return 0;
	}
	err = p2pb_load_check(req);
	if (err)
		return err;
	n = p2pb_nvme_of(a->pdev);
	if (!n || a->mode == P2PB_ATTACH_STATIC)
		return -EOPNOTSUPP;
	p2pb_load_stop(a);
	err = p2pb_nvme_claim(n, &capacity, &max_io);
	if (err)
		return err;
	err = req->block_size > max_io ? -E2BIG : p2pb_load_range(a, &r, capacity);
	if (!err)
		err = p2pb_load_alloc(a);
	if (!err)
		err = p2pb_load_alloc_blocks(a->load, r.range);
	if (err)
		goto err_release;
	p2pb_load_reset(a, &r, n);
	a->dma_flags = r.flags;
	t = kthread_create(p2pb_load_thread, a, "p2pb-nvme/%u", a->id);
	if (IS_ERR(t)) {
		err = PTR_ERR(t);
		goto err_release;
	}
	/* our own reference: kthread_stop() is safe however the thread ends */
	a->load->task = get_task_struct(t);
	wake_up_process(t);
	req->range = r.range;
	return 0;

err_release:
	p2pb_nvme_release(n);
	return err;
}

/**
 * p2pb_ioc_bins - drain the closed throughput bins of @a's load
 * @a: the attachment; caller holds the session lock (the load stays)
 * @req: in: id, max, bins_ptr; out: bin_ns, count, dropped
 *
 * The bin being filled is closed once its time is over, so a reader that
 * waits one bin width after the last completion gets every bin. Bins are
 * removed before they are copied: an -EFAULT loses them.
 *
 * Return: 0, -ENODATA when no load was started, -EFAULT.
 */
long p2pb_ioc_bins(struct p2pb_att *a, struct p2pb_bins *req)
{
	struct p2pb_load_state *l = a->load;
	struct p2pb_bin *copy;
	unsigned long flags;
	u32 n, i;

	if (!l)
		return -ENODATA;
	n = min_t(u32, req->max, P2PB_LOAD_BINS);
	copy = kvcalloc(max_t(u32, n, 1), sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock_irqsave(&a->ev_lock, flags);
	if (l->req.bin_ns && ktime_get_ns() >= l->cur.start_ns + l->req.bin_ns)
		p2pb_bin_push(l);
	n = min(n, l->bin_count);
	for (i = 0; i < n; i++)
		copy[i] = l->bins[(l->bin_head + i) % P2PB_LOAD_BINS];
	l->bin_head = (l->bin_head + n) % P2PB_LOAD_BINS;
	l->bin_count -= n;
	req->dropped = l->bin_dropped;
	l->bin_dropped = 0;
	req->bin_ns = l->req.bin_ns;
	spin_unlock_irqrestore(&a->ev_lock, flags);
	req->count = n;
	if (n && copy_to_user(u64_to_user_ptr(req->bins_ptr), copy, n * sizeof(*copy))) {
		kvfree(copy);
		return -EFAULT;
	}
	kvfree(copy);
	return 0;
}

/**
 * p2pb_ioc_filled - the blocks of @a's load range that must hold device data
 * @a: the attachment; caller holds the session lock (the load stays)
 * @req: in: id, max_blocks, bitmap_ptr; out: blocks, map_ns, reads
 *
 * Copies min(max_blocks, blocks) bits of the current mapping (struct
 * p2pb_filled in the uAPI header); none is set when nothing completed into
 * it yet. A snapshot: the running load may set more bits right after.
 *
 * Return: 0, -ENODATA when no load was started, -EINVAL for a bad request,
 * -ENOMEM, -EFAULT.
 */
long p2pb_ioc_filled(struct p2pb_att *a, struct p2pb_filled *req)
{
	struct p2pb_load_state *l = a->load;
	unsigned long flags;
	u64 n, words;
	u64 *arr;
	long ret = 0;

	if (req->pad0 || memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	if (!l || !l->filled)
		return -ENODATA;
	n = min(req->max_blocks, l->nblocks);
	words = DIV_ROUND_UP(n, 64);
	arr = kvcalloc(max_t(u64, words, 1), sizeof(*arr), GFP_KERNEL);
	if (!arr)
		return -ENOMEM;
	spin_lock_irqsave(&a->ev_lock, flags);
	req->blocks = l->nblocks;
	req->map_ns = 0;
	req->reads = 0;
	/* bits of an older mapping say nothing about this one */
	if (l->filled_map_ns && l->filled_map_ns == READ_ONCE(a->map_ns)) {
		bitmap_to_arr64(arr, l->filled, n);
		req->map_ns = l->filled_map_ns;
		req->reads = l->filled_reads;
	}
	spin_unlock_irqrestore(&a->ev_lock, flags);
	if (words && copy_to_user(u64_to_user_ptr(req->bitmap_ptr), arr, words * sizeof(*arr)))
		ret = -EFAULT;
	kvfree(arr);
	return ret;
}
