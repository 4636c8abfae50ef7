// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench test importer: attaches to a dma-buf as a PCI function bound to
 * this module (QEMU edu) and answers invalidate_mappings promptly, after a
 * delay, or never, so that the exporter's revoke path can be measured with an
 * importer we control. It can hold a fence in the dma-buf's reservation
 * object past the unmap (fence mode) and drive edu's DMA engine into the
 * mapping.
 *
 * Every attach, map, invalidate, unmap, fence and detach is stamped with
 * ktime_get_ns() (CLOCK_MONOTONIC, the clock userspace and the trace ring use)
 * into a per-attachment ring that userspace drains with P2PB_IOC_EVENTS.
 *
 * Locking, outermost first:
 *   p2pb_session.lock   the ioctls of one open file
 *   device_lock(edu)    attach (against the driver's remove)
 *   p2pb_lock           the list of all attachments; every teardown
 *   p2pb_att.lock       an attachment's lifetime against its ioctls
 *   dma-buf resv        the mapping and everything the invalidate touches
 *   p2pb_edu.lock       one edu transfer at a time
 *   spinlocks (hold_lock, ev_lock), taken from hardirq too
 * Fences are signalled without any of the sleeping locks above that are also
 * held while waiting for fences (resv), so a fence wait cannot deadlock on us;
 * the one exception, an NVMe batch that got no command, is signalled under
 * the resv it was published under (signalling never waits).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fdtable.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "importer.h"
#include "nvme.h"

/* QEMU edu (hw/misc/edu.c): a DMA engine between RAM and a 4 KiB buffer. */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2	/* edu buffer -> bus address */
#define EDU_BUFFER		0x40000
#define EDU_DMA_MAX		4095	/* QEMU 7.2 aborts on 4096 */
#define EDU_DMA_TIMEOUT		(2 * HZ)
#define EDU_STOP_TIMEOUT	HZ

/* How often a withheld mapping checks whether its owner is exiting. */
#define P2PB_OWNER_POLL_MS	100

struct p2pb_edu {
	void __iomem *mmio;
	struct mutex lock;	/* one transfer at a time */
	bool wedged;		/* under lock: the engine never went idle */
};

static struct pci_driver p2pb_edu_driver;

/* Every attachment of every file; every teardown runs under it. */
static DEFINE_MUTEX(p2pb_lock);
static LIST_HEAD(p2pb_atts);

static const char *p2pb_fence_driver_name(struct dma_fence *f)
{
	return KBUILD_MODNAME;
}

static const char *p2pb_hold_timeline_name(struct dma_fence *f)
{
	return "hold";
}

static const char *p2pb_dma_timeline_name(struct dma_fence *f)
{
	return "edu-dma";
}

/*
 * No release and no wait op: once signalled the core drops the ops pointer,
 * so a signalled fence kept by a reservation object does not refer to this
 * module any more. Each fence uses its own inline lock.
 */
static const struct dma_fence_ops p2pb_hold_fence_ops = {
	.get_driver_name = p2pb_fence_driver_name,
	.get_timeline_name = p2pb_hold_timeline_name,
};

static const struct dma_fence_ops p2pb_dma_fence_ops = {
	.get_driver_name = p2pb_fence_driver_name,
	.get_timeline_name = p2pb_dma_timeline_name,
};

/* A fence-mode fence: DMA queued against a mapping. */
struct p2pb_hold_fence {
	struct dma_fence base;	/* first: the core frees it (dma_fence_free) */
	struct list_head node;	/* p2pb_att.hold_list, under hold_lock */
	bool armed;		/* under hold_lock: invalidated, deadline set */
	ktime_t deadline;
};

struct p2pb_session {
	struct mutex lock;	/* serialises ioctls on one file */
	struct xarray atts;	/* id -> struct p2pb_att */
	struct file *file;	/* ours: compared, never referenced */
};

static void p2pb_record_ev(struct p2pb_att *a, const struct p2pb_event *e)
{
	struct p2pb_event ev = *e;
	u32 type = ev.type;
	unsigned long flags;

	spin_lock_irqsave(&a->ev_lock, flags);
	if (a->ev_count == P2PB_EVENT_RING) {
		a->ev_head = (a->ev_head + 1) % P2PB_EVENT_RING;
		a->ev_count--;
		a->ev_dropped++;
	}
	a->ring[(a->ev_head + a->ev_count) % P2PB_EVENT_RING] = ev;
	a->ev_count++;
	switch (type) {
	case P2PB_EV_INVALIDATE:
		a->n_inval++;
		break;
	case P2PB_EV_UNMAP:
		a->n_unmap++;
		break;
	case P2PB_EV_MAP:
		a->n_map++;
		break;
	case P2PB_EV_MAP_FAIL:
		a->n_map_fail++;
		break;
	}
	spin_unlock_irqrestore(&a->ev_lock, flags);
}

void p2pb_record_at(struct p2pb_att *a, u32 type, s32 arg, u64 value, u64 ts)
{
	struct p2pb_event ev = {
		.ts_ns = ts, .value = value, .type = type, .arg = arg,
	};

	p2pb_record_ev(a, &ev);
}

/*
 * The exporting function's state (P2PB_EXP_*) as its config space says now:
 * whether the memory behind the dma-buf is still live. Any context that may
 * take pci_lock; never sleeps.
 */
static u32 p2pb_exporter_state(struct pci_dev *exp)
{
	u16 cmd, pmcsr = 0;
	u32 st = P2PB_EXP_READ;

	if (!exp)
		return 0;
	/* removed: its bus (and the bus's ops) may be gone too; not read */
	if (pci_dev_is_disconnected(exp) || !device_is_registered(&exp->dev))
		return st | P2PB_EXP_GONE;
	if (pci_read_config_word(exp, PCI_COMMAND, &cmd) || PCI_POSSIBLE_ERROR(cmd))
		return st | P2PB_EXP_GONE;
	if (exp->pm_cap &&
	    (pci_read_config_word(exp, exp->pm_cap + PCI_PM_CTRL, &pmcsr) ||
	     PCI_POSSIBLE_ERROR(pmcsr)))
		return st | P2PB_EXP_GONE;
	if (cmd & PCI_COMMAND_MEMORY)
		st |= P2PB_EXP_MEM;
	if (cmd & PCI_COMMAND_MASTER)
		st |= P2PB_EXP_MASTER;
	return st | (pmcsr & PCI_PM_CTRL_STATE_MASK) << P2PB_EXP_PM_SHIFT;
}

/*
 * An INVALIDATE or UNMAP, with the exporter's state read first: the stamp
 * is no earlier than the read, so a state change the kernel stamps before
 * our event was visible to the read.
 */
static void p2pb_record_with_exporter(struct p2pb_att *a, u32 type, s32 arg, u64 value)
{
	struct p2pb_event ev = { .value = value, .type = type, .arg = arg };

	ev.exporter = p2pb_exporter_state(a->exporter);
	ev.ts_ns = ktime_get_ns();
	p2pb_record_ev(a, &ev);
}

void p2pb_record_value(struct p2pb_att *a, u32 type, s32 arg, u64 value)
{
	p2pb_record_at(a, type, arg, value, ktime_get_ns());
}

static void p2pb_record(struct p2pb_att *a, u32 type, s32 arg)
{
	p2pb_record_value(a, type, arg, 0);
}

static bool p2pb_dynamic(const struct p2pb_att *a)
{
	return a->mode != P2PB_ATTACH_STATIC;
}

/*
 * Signal @f with @err (0 or -errno) and record it. The event is stamped
 * before the fence signals, so nobody woken by the fence can have seen a
 * later clock than the event's.
 */
void p2pb_fence_signal(struct dma_fence *f, int err, ktime_t ts)
{
	bool cookie = dma_fence_begin_signalling();

	if (err)
		dma_fence_set_error(f, err);
	dma_fence_signal_timestamp(f, ts);
	dma_fence_end_signalling(cookie);
}

void p2pb_fence_complete(struct p2pb_att *a, struct dma_fence *f, int err)
{
	ktime_t ts = ktime_get();

	p2pb_fence_signal(f, err, ts);
	p2pb_record_at(a, P2PB_EV_FENCE_SIGNAL, err, f->seqno, ktime_to_ns(ts));
}

/* Signal, in seqno order, the hold fences on @list and drop their references. */
static void p2pb_hold_signal_list(struct p2pb_att *a, struct list_head *list, int err)
{
	struct p2pb_hold_fence *hf, *tmp;

	list_for_each_entry_safe(hf, tmp, list, node) {
		list_del(&hf->node);
		p2pb_fence_complete(a, &hf->base, err);
		dma_fence_put(&hf->base);
	}
}

/*
 * The one timer of an attachment's hold fences: signals every armed fence
 * whose deadline passed and re-arms for the next. Deadlines are set in list
 * (seqno) order and never decrease along the list, so the fences of the
 * context signal in order.
 */
static enum hrtimer_restart p2pb_hold_timer_fn(struct hrtimer *t)
{
	struct p2pb_att *a = container_of(t, struct p2pb_att, hold_timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	struct p2pb_hold_fence *hf, *tmp;
	ktime_t now = ktime_get();
	unsigned long flags;
	LIST_HEAD(due);

	spin_lock_irqsave(&a->hold_lock, flags);
	list_for_each_entry_safe(hf, tmp, &a->hold_list, node) {
		if (!hf->armed)
			break;
		if (ktime_after(hf->deadline, now)) {
			hrtimer_set_expires(t, hf->deadline);
			ret = HRTIMER_RESTART;
			break;
		}
		list_move_tail(&hf->node, &due);
	}
	a->hold_timer_on = ret == HRTIMER_RESTART;
	spin_unlock_irqrestore(&a->hold_lock, flags);
	p2pb_hold_signal_list(a, &due, 0);
	return ret;
}

/* Arm every hold fence not armed yet: they signal fence_hold_ns from now. */
static void p2pb_hold_arm(struct p2pb_att *a)
{
	ktime_t deadline = ktime_add_safe(ktime_get(), ns_to_ktime(a->fence_hold_ns));
	struct p2pb_hold_fence *hf;
	unsigned long flags;
	bool any = false;

	spin_lock_irqsave(&a->hold_lock, flags);
	list_for_each_entry(hf, &a->hold_list, node) {
		if (hf->armed)
			continue;
		hf->armed = true;
		hf->deadline = deadline;
		any = true;
	}
	/* a running timer re-arms itself for these, see p2pb_hold_timer_fn() */
	if (any && !a->hold_timer_on) {
		a->hold_timer_on = true;
		hrtimer_start(&a->hold_timer, deadline, HRTIMER_MODE_ABS);
	}
	spin_unlock_irqrestore(&a->hold_lock, flags);
}

/* Stop the hold timer and signal every pending hold fence with -ECANCELED. */
static void p2pb_hold_cancel(struct p2pb_att *a)
{
	unsigned long flags;
	LIST_HEAD(pending);

	hrtimer_cancel(&a->hold_timer);
	spin_lock_irqsave(&a->hold_lock, flags);
	list_splice_init(&a->hold_list, &pending);
	a->hold_timer_on = false;
	spin_unlock_irqrestore(&a->hold_lock, flags);
	p2pb_hold_signal_list(a, &pending, -ECANCELED);
}

/*
 * Publish a hold fence for the mapping just made: DMA queued against it.
 * @hf was allocated and a fence slot reserved before the map.
 */
static void p2pb_hold_add(struct p2pb_att *a, struct p2pb_hold_fence *hf)
{
	struct dma_resv *resv = a->dmabuf->resv;
	u64 seqno = atomic64_inc_return(&a->fence_seqno);
	unsigned long flags;

	dma_resv_assert_held(resv);
	dma_fence_init(&hf->base, &p2pb_hold_fence_ops, NULL, a->fence_ctx, seqno);
	dma_resv_add_fence(resv, &hf->base, DMA_RESV_USAGE_WRITE);
	spin_lock_irqsave(&a->hold_lock, flags);
	list_add_tail(&hf->node, &a->hold_list);	/* takes our reference */
	spin_unlock_irqrestore(&a->hold_lock, flags);
	p2pb_record_value(a, P2PB_EV_FENCE_ADD, P2PB_FENCE_HOLD, seqno);
}

/* Caller holds the resv lock for dynamic attachments. */
static void p2pb_unmap_locked(struct p2pb_att *a, s32 cause)
{
	struct sg_table *sgt;
	struct dma_fence *inflight;
	unsigned long flags;

	if (p2pb_dynamic(a))
		dma_resv_assert_held(a->dmabuf->resv);
	a->unmap_pending = false;
	a->withheld = false;
	if (!a->sgt)
		return;
	/*
	 * A transfer in flight finishes before its mapping goes. Only our own
	 * transfer's fence: a hold fence is meant to outlive the unmap.
	 */
	spin_lock_irqsave(&a->ev_lock, flags);
	inflight = a->dma_fence ? dma_fence_get(a->dma_fence) : NULL;
	spin_unlock_irqrestore(&a->ev_lock, flags);
	if (inflight) {
		dma_fence_wait(inflight, false);
		dma_fence_put(inflight);
	}
	/*
	 * Stamp and publish the unmap before the exporter hears of it: its
	 * unmap callback may wake the revoke, whose caller then reads our
	 * state, so the mapping must already read as gone.
	 */
	sgt = a->sgt;
	WRITE_ONCE(a->sgt, NULL);
	a->stale_iova = a->dma_iova;
	a->stale_valid = true;
	a->dma_iova = 0;
	p2pb_record_with_exporter(a, P2PB_EV_UNMAP, cause, 0);
	if (p2pb_dynamic(a))
		dma_buf_unmap_attachment(a->attach, sgt, DMA_BIDIRECTIONAL);
	else
		dma_buf_unmap_attachment_unlocked(a->attach, sgt, DMA_BIDIRECTIONAL);
	/* what the exporter's unmap cost (IOTLB flush included) */
	p2pb_record(a, P2PB_EV_UNMAP_DONE, cause);
}

static void p2pb_unmap(struct p2pb_att *a, s32 cause)
{
	if (p2pb_dynamic(a)) {
		dma_resv_lock(a->dmabuf->resv, NULL);
		p2pb_unmap_locked(a, cause);
		dma_resv_unlock(a->dmabuf->resv);
	} else {
		p2pb_unmap_locked(a, cause);
	}
}

static void p2pb_unmap_workfn(struct work_struct *work)
{
	struct p2pb_att *a = container_of(work, struct p2pb_att, unmap_work);

	dma_resv_lock(a->dmabuf->resv, NULL);
	if (a->unmap_pending)
		p2pb_unmap_locked(a, P2PB_UNMAP_BY_POLICY);
	dma_resv_unlock(a->dmabuf->resv);
}

/* hrtimer, not a delayed work: jiffies would round delays up to 4 ms. */
static enum hrtimer_restart p2pb_unmap_timer_fn(struct hrtimer *t)
{
	struct p2pb_att *a = container_of(t, struct p2pb_att, unmap_timer);

	queue_work(system_highpri_wq, &a->unmap_work);
	return HRTIMER_NORESTART;
}

static int p2pb_is_file(const void *file, struct file *f, unsigned int fd)
{
	return f == file;
}

/*
 * A thread stuck for good: blocked uninterruptibly (a revoke's
 * wait_for_completion() or down_write() of memory_lock) and not yet on its
 * way out. Not an exiting thread (PF_EXITING), one stopped by a tracer
 * (__TASK_TRACED) or waiting for a core dump (TASK_IDLE carries NOLOAD):
 * those go on by themselves.
 */
static bool p2pb_thread_stuck(struct task_struct *t)
{
	unsigned int state = READ_ONCE(t->__state);

	return !(t->flags & (PF_EXITING | PF_DUMPCORE)) &&
	       (state & TASK_UNINTERRUPTIBLE) && !(state & TASK_NOLOAD);
}

/*
 * The attaching process cannot finish exiting while it holds our file: its
 * thread group is exiting (SIGNAL_GROUP_EXIT: a fatal signal such as
 * SIGKILL, or exit_group()), no core dump is in progress, and a thread of it
 * that is stuck (above) keeps the fd table holding the file: a thread
 * blocked in an uninterruptible revoke that waits for this very mapping,
 * which would otherwise keep the file, and so the revoke, for ever. Not an
 * exit of ours: an exec by a thread other than the leader (it kills the old
 * leader without a group exit), a group whose threads are exiting or
 * stopped by a tracer at their exit while a child it forked holds the file,
 * which is alive. Accepted for a test module: a process sharing the fd
 * table through clone(CLONE_FILES) without CLONE_THREAD loses the mapping
 * with the group; the fd table is walked (under its lock) every
 * P2PB_OWNER_POLL_MS only while withheld, once per table.
 */
static bool p2pb_owner_exiting(struct p2pb_att *a)
{
	struct task_struct *leader = get_pid_task(a->owner, PIDTYPE_TGID), *t;
	struct files_struct *walked = NULL;
	bool holds = false;

	if (!leader)
		return false;
	if ((READ_ONCE(leader->signal->flags) & SIGNAL_GROUP_EXIT) &&
	    !READ_ONCE(leader->signal->core_state)) {
		rcu_read_lock();
		for_each_thread(leader, t) {
			if (!p2pb_thread_stuck(t))
				continue;
			task_lock(t);
			if (t->files && t->files != walked) {
				walked = t->files;
				holds = iterate_fd(t->files, 0, p2pb_is_file, a->file) > 0;
			}
			task_unlock(t);
			if (holds)
				break;
		}
		rcu_read_unlock();
	}
	put_task_struct(leader);
	return holds;
}

/*
 * Runs every P2PB_OWNER_POLL_MS while an invalidated mapping is withheld;
 * unmaps it when the process that made it cannot finish exiting (above),
 * seen so on two polls in a row: a thread that sleeps uninterruptibly for a
 * moment on its way out (a page in, a lock) is not taken for a stuck one.
 * The watch sleeps on the resv lock, which a revoke can hold through an
 * unbounded fence wait: it runs on a workqueue for long work.
 */
static void p2pb_owner_watch_fn(struct work_struct *work)
{
	struct p2pb_att *a = container_of(to_delayed_work(work), struct p2pb_att,
					  owner_watch);
	bool released = false;

	dma_resv_lock(a->dmabuf->resv, NULL);
	if (a->withheld && p2pb_owner_exiting(a))
		a->owner_exit_polls++;
	else
		a->owner_exit_polls = 0;
	if (a->withheld && a->owner_exit_polls >= 2) {
		p2pb_unmap_locked(a, P2PB_UNMAP_BY_OWNER_EXIT);
		released = true;
	} else if (a->withheld) {
		queue_delayed_work(system_dfl_long_wq, &a->owner_watch,
				   msecs_to_jiffies(P2PB_OWNER_POLL_MS));
	}
	dma_resv_unlock(a->dmabuf->resv);
	if (released)
		pr_info("attachment %u of pid %d: the process is exiting, released the mapping it withheld\n",
			a->id, pid_nr(a->owner));
}

/**
 * p2pb_invalidate - the importer's &dma_buf_attach_ops.invalidate_mappings
 * @attach: one of our attachments
 *
 * Called by the exporter with the dma-buf's reservation lock held.
 *
 * Guarantees, in this order: the call is recorded (P2PB_EV_INVALIDATE);
 * every fence-mode fence not armed yet is armed to signal fence_hold_ns from
 * now; no new device transfer starts into the mapping (unless the device was
 * told to misbehave); then, by policy, the mapping is unmapped before this
 * returns (immediate, after a transfer in flight completed, bounded by the
 * edu timeout), by a timer after the next delay (delay), or left mapped
 * (never) until P2PB_IOC_UNMAP, detach, close, the exit of the attaching
 * process or the release_withheld parameter. A mapping left mapped is
 * watched for its owner's exit.
 */
static void p2pb_invalidate(struct dma_buf_attachment *attach)
{
	struct p2pb_att *a = attach->importer_priv;
	u64 delay = 0;

	dma_resv_assert_held(attach->dmabuf->resv);
	/*
	 * An invalidate while an unmap is already armed (the exporter gave
	 * up waiting and un-revoked) keeps the earlier deadline.
	 */
	if (a->sgt && a->policy == P2PB_UNMAP_DELAY && !a->unmap_pending)
		delay = a->delays_ns[a->delay_idx++ % a->nr_delays];
	else if (a->sgt && a->unmap_pending)
		delay = a->unmap_delay_ns;	/* the deadline armed earlier, not "immediate" */
	else if (a->sgt && a->policy == P2PB_UNMAP_NEVER)
		delay = P2PB_DELAY_NEVER;
	/* Stamped first: the time the exporter's callback reached us. */
	p2pb_record_with_exporter(a, P2PB_EV_INVALIDATE, a->sgt ? 1 : 0, delay);
	if (a->fence_hold_ns)
		p2pb_hold_arm(a);
	if (!a->sgt)
		return;
	WRITE_ONCE(a->inval_ns, ktime_get_ns());
	a->dma_quiesce = true;
	switch (a->policy) {
	case P2PB_UNMAP_IMMEDIATE:
		p2pb_unmap_locked(a, P2PB_UNMAP_BY_POLICY);
		return;
	case P2PB_UNMAP_DELAY:
		if (a->unmap_pending)
			break;
		if (!delay) {
			p2pb_unmap_locked(a, P2PB_UNMAP_BY_POLICY);
			return;
		}
		/*
		 * Asynchronous on purpose: the exporter drops the resv lock
		 * before it waits for the unmap, as a real device would
		 * drain its queues after the callback returned.
		 */
		a->unmap_pending = true;
		a->unmap_delay_ns = delay;
		hrtimer_start(&a->unmap_timer, ns_to_ktime(delay), HRTIMER_MODE_REL);
		break;
	case P2PB_UNMAP_NEVER:
		break;
	}
	a->withheld = true;
	a->owner_exit_polls = 0;
	queue_delayed_work(system_dfl_long_wq, &a->owner_watch, msecs_to_jiffies(P2PB_OWNER_POLL_MS));
}

static const struct dma_buf_attach_ops p2pb_ops_dynamic = {
	.allow_peer2peer = true,
	.invalidate_mappings = p2pb_invalidate,
};

static const struct dma_buf_attach_ops p2pb_ops_nonrevocable = {
	.allow_peer2peer = true,
};

static const struct dma_buf_attach_ops p2pb_ops_no_p2p = {
	.allow_peer2peer = false,
	.invalidate_mappings = p2pb_invalidate,
};

/* Map unless mapped; caller holds a->lock and the attachment is live. */
static int p2pb_map(struct p2pb_att *a, struct p2pb_map *out)
{
	struct dma_resv *resv = a->dmabuf->resv;
	struct p2pb_hold_fence *hf = NULL;
	struct sg_table *sgt;
	struct scatterlist *sg;
	u64 len = 0;
	int i, err = 0;

	if (p2pb_dynamic(a))
		dma_resv_lock(resv, NULL);
	if (!a->sgt) {
		/* everything that can fail before the map, not after it */
		if (a->fence_hold_ns) {
			err = dma_resv_reserve_fences(resv, 1);
			if (!err) {
				hf = kzalloc_obj(*hf, GFP_KERNEL);
				if (!hf)
					err = -ENOMEM;
			}
		}
		if (!err) {
			if (p2pb_dynamic(a))
				sgt = dma_buf_map_attachment(a->attach, DMA_BIDIRECTIONAL);
			else
				sgt = dma_buf_map_attachment_unlocked(a->attach,
								      DMA_BIDIRECTIONAL);
			if (IS_ERR(sgt))
				err = PTR_ERR(sgt);
		}
		if (err) {
			kfree(hf);
			p2pb_record(a, P2PB_EV_MAP_FAIL, err);
		} else {
			a->sgt = sgt;
			a->nents = sgt->nents;
			a->dma_iova = sgt->nents ? sg_dma_address(sgt->sgl) : 0;
			a->dma_quiesce = false;
			a->withheld = false;
			WRITE_ONCE(a->map_ns, ktime_get_ns());
			p2pb_record(a, P2PB_EV_MAP, 0);
			if (hf)
				p2pb_hold_add(a, hf);
		}
	}
	if (a->sgt && out) {
		for_each_sgtable_dma_sg(a->sgt, sg, i)
			len += sg_dma_len(sg);
		out->dma_addr = a->sgt->nents ? sg_dma_address(a->sgt->sgl) : 0;
		out->dma_len = len;
	}
	if (p2pb_dynamic(a))
		dma_resv_unlock(resv);
	if (out) {
		out->err = err;
		out->ts_ns = ktime_get_ns();
	}
	return err;
}

/*
 * edu cannot abort a transfer: take bus mastering away so that the engine
 * cannot write any more, then give it a last chance to go idle. Bus
 * mastering comes back only if it did; a wedged engine is never used again.
 * Caller holds edu->lock.
 */
static void p2pb_edu_stop(struct pci_dev *pdev, struct p2pb_edu *edu)
{
	unsigned long deadline = jiffies + EDU_STOP_TIMEOUT;

	pci_clear_master(pdev);
	while (readq(edu->mmio + EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (time_after(jiffies, deadline)) {
			edu->wedged = true;
			pci_warn(pdev, "DMA engine did not go idle; bus mastering stays off\n");
			return;
		}
		usleep_range(1000, 2000);
	}
	pci_set_master(pdev);
}

/*
 * One edu transfer of @size bytes from its buffer to @iova. Returns 0 when
 * it completed, -ETIMEDOUT when it did not (the engine is then stopped: it
 * writes nothing more), -EIO when the engine is unusable.
 */
static int p2pb_edu_dma(struct pci_dev *pdev, struct p2pb_edu *edu, u64 iova, u32 size)
{
	unsigned long deadline = jiffies + EDU_DMA_TIMEOUT;
	int err = 0;

	mutex_lock(&edu->lock);
	if (edu->wedged) {
		err = -EIO;
		goto out;
	}
	writeq(EDU_BUFFER, edu->mmio + EDU_REG_DMA_SRC);
	writeq(iova, edu->mmio + EDU_REG_DMA_DST);
	writeq(size, edu->mmio + EDU_REG_DMA_CNT);
	writeq(EDU_DMA_START | EDU_DMA_TO_RAM, edu->mmio + EDU_REG_DMA_CMD);
	/* edu completes a transfer 100 ms (virtual) later, whatever its size */
	while (readq(edu->mmio + EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (time_after(jiffies, deadline)) {
			p2pb_edu_stop(pdev, edu);
			err = -ETIMEDOUT;
			break;
		}
		usleep_range(1000, 2000);
	}
out:
	mutex_unlock(&edu->lock);
	return err;
}

/*
 * Publish the fence of one transfer (edu) or batch (NVMe) into the live
 * mapping; resv held. It becomes the latest in flight, the one an unmap
 * waits for (the context's fences signal in order). NULL if no fence could
 * be had (the transfer is then skipped).
 */
/*
 * A fence of context @ctx is in @resv (signalled or not): adding a later
 * one of that context replaces it and needs no new slot. Resv held.
 */
static bool p2pb_resv_has_context(struct dma_resv *resv, u64 ctx)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;

	dma_resv_for_each_fence(&cursor, resv, DMA_RESV_USAGE_BOOKKEEP, f)
		if (f->context == ctx)
			return true;
	return false;
}

/*
 * The slot for a fence of context @ctx. Reserving may allocate, and
 * reclaim may wait for fences: while a fence of ours is unsignalled (only
 * we signal it) that could deadlock. But an unsignalled fence of ours is
 * in the resv (nobody else can replace it), so the new one replaces it and
 * needs no slot; when none of ours is there, none is pending and an
 * allocation may reclaim safely. This rests on three rules of ours: every
 * fence of the context is added with DMA_RESV_USAGE_WRITE, they signal in
 * seqno order (32-bit compare: no 64-bit seqno flag), and nobody else adds
 * fences of our contexts.
 */
static int p2pb_resv_reserve_for(struct dma_resv *resv, u64 ctx)
{
	return p2pb_resv_has_context(resv, ctx) ? 0 : dma_resv_reserve_fences(resv, 1);
}

struct dma_fence *p2pb_dma_fence_publish(struct p2pb_att *a, gfp_t gfp, bool record)
{
	struct dma_resv *resv = a->dmabuf->resv;
	struct dma_fence *f;
	unsigned long flags;
	u64 seqno;

	dma_resv_assert_held(resv);
	if (p2pb_resv_reserve_for(resv, a->fence_ctx + 1))
		return NULL;
	f = kzalloc_obj(*f, gfp);
	if (!f)
		return NULL;
	seqno = atomic64_inc_return(&a->fence_seqno);
	dma_fence_init(f, &p2pb_dma_fence_ops, NULL, a->fence_ctx + 1, seqno);
	/* the device writes into the buffer */
	dma_resv_add_fence(resv, f, DMA_RESV_USAGE_WRITE);
	spin_lock_irqsave(&a->ev_lock, flags);
	a->dma_fence = f;
	spin_unlock_irqrestore(&a->ev_lock, flags);
	if (record)
		p2pb_record_value(a, P2PB_EV_FENCE_ADD, P2PB_FENCE_DMA, seqno);
	return f;
}

/* The device moves no more data for @f: signal it, drop it as the latest, put it. */
void p2pb_dma_fence_done(struct p2pb_att *a, struct dma_fence *f, int err, bool record)
{
	unsigned long flags;

	if (record)
		p2pb_fence_complete(a, f, err);
	else
		p2pb_fence_signal(f, err, ktime_get());
	spin_lock_irqsave(&a->ev_lock, flags);
	if (a->dma_fence == f)
		a->dma_fence = NULL;
	spin_unlock_irqrestore(&a->ev_lock, flags);
	dma_fence_put(f);
}

static void p2pb_dma_sleep(struct p2pb_att *a)
{
	u64 ns = max_t(u64, a->dma_interval_ns, NSEC_PER_MSEC);

	schedule_timeout_interruptible(min_t(u64, nsecs_to_jiffies64(ns),
					     MAX_SCHEDULE_TIMEOUT - 1));
}

static int p2pb_dma_thread(void *data)
{
	struct p2pb_att *a = data;
	struct p2pb_edu *edu = pci_get_drvdata(a->pdev);
	struct dma_resv *resv = a->dmabuf->resv;

	while (!kthread_should_stop()) {
		struct dma_fence *fence = NULL;
		unsigned long flags;
		bool stale = false, go = false;
		bool cookie;
		u64 iova = 0;
		int err;

		if (READ_ONCE(edu->wedged)) {
			p2pb_dma_sleep(a);
			continue;
		}
		dma_resv_lock(resv, NULL);
		if (a->sgt && a->sgt->nents && (!a->dma_quiesce || a->dma_flags & P2PB_DMA_F_AFTER_UNMAP)) {
			/* a fence per transfer: the exporter's fence wait covers it */
			fence = p2pb_dma_fence_publish(a, GFP_KERNEL, true);
			if (fence) {
				iova = a->dma_iova;
				go = true;
			}
		} else if (!a->sgt && (a->dma_flags & P2PB_DMA_F_AFTER_UNMAP) && a->stale_valid) {
			iova = a->stale_iova;
			stale = true;
			go = true;
		}
		dma_resv_unlock(resv);

		if (go) {
			/* from here until the fence signals: no resv, no allocation */
			cookie = dma_fence_begin_signalling();
			err = p2pb_edu_dma(a->pdev, edu, iova, a->dma_size);
			if (!err) {
				spin_lock_irqsave(&a->ev_lock, flags);
				a->dma_bytes += a->dma_size;
				a->dma_ops++;
				a->dma_stale_ops += stale;
				a->dma_last_ns = ktime_get_ns();
				spin_unlock_irqrestore(&a->ev_lock, flags);
			}
			/* the device writes no more: done, or stopped */
			if (fence)
				p2pb_dma_fence_done(a, fence, err, true);
			dma_fence_end_signalling(cookie);
		}
		if (!go || a->dma_interval_ns)
			p2pb_dma_sleep(a);
	}
	return 0;
}

static void p2pb_edu_dma_stop(struct p2pb_att *a)
{
	if (a->dma_task) {
		kthread_stop(a->dma_task);
		put_task_struct(a->dma_task);
		a->dma_task = NULL;
	}
}

/* Whatever moves data through the mapping: edu's thread, the NVMe load. */
static void p2pb_dma_stop(struct p2pb_att *a)
{
	p2pb_load_stop(a);
	p2pb_edu_dma_stop(a);
}

/* Caller holds a->lock and the attachment is live. */
static long p2pb_ioc_dma(struct p2pb_att *a, const struct p2pb_dma *req)
{
	struct task_struct *t;

	if (!req->enable) {
		p2pb_edu_dma_stop(a);
		return 0;
	}
	if (req->size < 1 || req->size > EDU_DMA_MAX || req->flags & ~P2PB_DMA_F_AFTER_UNMAP ||
	    req->interval_ns > KTIME_MAX || memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	/* an edu bound to us (attach checked our drivers), a dynamic mapping */
	if (!p2pb_dynamic(a) || a->pdev->dev.driver != &p2pb_edu_driver.driver ||
	    !pci_get_drvdata(a->pdev))
		return -EOPNOTSUPP;
	p2pb_edu_dma_stop(a);
	a->dma_size = req->size;
	a->dma_flags = req->flags;
	a->dma_interval_ns = req->interval_ns;
	t = kthread_create(p2pb_dma_thread, a, "p2pb-dma/%u", a->id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	/* our own reference: kthread_stop() is safe however the thread ends */
	a->dma_task = get_task_struct(t);
	wake_up_process(t);
	return 0;
}

/*
 * Undo everything an attachment does with the device and the dma-buf:
 * pending hold fences signalled with -ECANCELED (first: an exporter may be
 * waiting for them with the resv held), device DMA stopped, timers and works
 * cancelled, the mapping unmapped with @cause, the dma-buf detached. Caller
 * holds p2pb_lock and a->lock. The memory stays until p2pb_att_free().
 */
static void p2pb_att_teardown(struct p2pb_att *a, s32 cause)
{
	lockdep_assert_held(&p2pb_lock);
	lockdep_assert_held(&a->lock);
	if (!a->attach)
		return;
	p2pb_hold_cancel(a);
	p2pb_dma_stop(a);
	hrtimer_cancel(&a->unmap_timer);
	cancel_work_sync(&a->unmap_work);
	cancel_delayed_work_sync(&a->owner_watch);
	p2pb_unmap(a, cause);
	dma_buf_detach(a->dmabuf, a->attach);
	a->attach = NULL;
	/*
	 * An invalidate between the cancels above and the detach may have
	 * armed a timer or the watch again (the hold timer then finds no
	 * fence); after the detach none can, so these cancels are the last
	 * word.
	 */
	hrtimer_cancel(&a->hold_timer);
	hrtimer_cancel(&a->unmap_timer);
	cancel_work_sync(&a->unmap_work);
	cancel_delayed_work_sync(&a->owner_watch);
	p2pb_record(a, P2PB_EV_DETACH, cause == P2PB_UNMAP_BY_REMOVE ? -ENODEV : 0);
}

/* Memory, references; after p2pb_att_teardown() or a failed attach. */
static void p2pb_att_free(struct p2pb_att *a)
{
	p2pb_load_free(a);
	if (a->dmabuf)
		dma_buf_put(a->dmabuf);
	put_pid(a->owner);
	pci_dev_put(a->exporter);
	pci_dev_put(a->pdev);
	mutex_destroy(&a->lock);
	kvfree(a);
}

/* Detach or close: off the list, torn down, freed. */
static void p2pb_att_destroy(struct p2pb_att *a)
{
	p2pb_hold_cancel(a);	/* before any lock a revoke on our fence may hold up */
	mutex_lock(&p2pb_lock);
	list_del(&a->node);
	mutex_lock(&a->lock);
	p2pb_att_teardown(a, P2PB_UNMAP_BY_DETACH);
	mutex_unlock(&a->lock);
	mutex_unlock(&p2pb_lock);
	/* outside p2pb_lock: the exporter's release may wait for its own locks */
	p2pb_att_free(a);
}

static int p2pb_attach_check(const struct p2pb_attach *req)
{
	u32 i;

	if (req->mode > P2PB_ATTACH_NO_P2P || req->unmap_policy > P2PB_UNMAP_NEVER ||
	    req->flags & ~(P2PB_ATTACH_F_MAP | P2PB_ATTACH_F_EXPORTER) || req->pad0 ||
	    req->pad1 || req->pad3 || memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	if (!(req->flags & P2PB_ATTACH_F_EXPORTER) &&
	    (req->exp_domain || req->exp_bus || req->exp_devfn))
		return -EINVAL;
	if (req->unmap_policy == P2PB_UNMAP_DELAY &&
	    (!req->nr_delays || req->nr_delays > P2PB_MAX_DELAYS))
		return -EINVAL;
	for (i = 0; i < req->nr_delays && i < P2PB_MAX_DELAYS; i++)
		if (req->delays_ns[i] > KTIME_MAX)
			return -EINVAL;
	if (req->fence_hold_ns > KTIME_MAX)
		return -EINVAL;
	/* a hold fence is armed by an invalidate: only modes that get one */
	if (req->fence_hold_ns && req->mode != P2PB_ATTACH_DYNAMIC &&
	    req->mode != P2PB_ATTACH_NO_P2P)
		return -EINVAL;
	return 0;
}

static struct p2pb_att *p2pb_att_alloc(const struct p2pb_attach *req)
{
	struct p2pb_att *a = kvzalloc_obj(*a, GFP_KERNEL);

	if (!a)
		return NULL;
	INIT_LIST_HEAD(&a->node);
	mutex_init(&a->lock);
	spin_lock_init(&a->ev_lock);
	spin_lock_init(&a->hold_lock);
	INIT_LIST_HEAD(&a->hold_list);
	hrtimer_setup(&a->unmap_timer, p2pb_unmap_timer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	hrtimer_setup(&a->hold_timer, p2pb_hold_timer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	INIT_WORK(&a->unmap_work, p2pb_unmap_workfn);
	INIT_DELAYED_WORK(&a->owner_watch, p2pb_owner_watch_fn);
	a->fence_ctx = dma_fence_context_alloc(2);
	atomic64_set(&a->fence_seqno, 0);
	a->mode = req->mode;
	a->policy = req->unmap_policy;
	a->nr_delays = req->nr_delays;
	a->fence_hold_ns = req->fence_hold_ns;
	memcpy(a->delays_ns, req->delays_ns, sizeof(a->delays_ns));
	a->owner = get_task_pid(current, PIDTYPE_TGID);
	return a;
}

/*
 * Attach as a->pdev, which must be bound to one of our pci_drivers (edu, or
 * NVMe and up); on success the attachment is on p2pb_atts, where the
 * driver's remove finds it. The device lock keeps the driver bound between
 * the check and the list insertion.
 */
static int p2pb_attach_as_ours(struct p2pb_att *a)
{
	const struct dma_buf_attach_ops *ops;
	int err = 0;

	switch (a->mode) {
	case P2PB_ATTACH_STATIC:
		ops = NULL;
		break;
	case P2PB_ATTACH_NONREVOCABLE:
		ops = &p2pb_ops_nonrevocable;
		break;
	case P2PB_ATTACH_NO_P2P:
		ops = &p2pb_ops_no_p2p;
		break;
	default:
		ops = &p2pb_ops_dynamic;
		break;
	}
	device_lock(&a->pdev->dev);
	if ((a->pdev->dev.driver != &p2pb_edu_driver.driver && !p2pb_nvme_of(a->pdev)) ||
	    !pci_get_drvdata(a->pdev)) {
		err = -EPERM;
		goto out;
	}
	if (ops)
		a->attach = dma_buf_dynamic_attach(a->dmabuf, &a->pdev->dev, ops, a);
	else
		a->attach = dma_buf_attach(a->dmabuf, &a->pdev->dev);
	if (IS_ERR(a->attach)) {
		err = PTR_ERR(a->attach);
		a->attach = NULL;
		goto out;
	}
	mutex_lock(&p2pb_lock);
	list_add_tail(&a->node, &p2pb_atts);
	mutex_unlock(&p2pb_lock);
out:
	device_unlock(&a->pdev->dev);
	return err;
}

static long p2pb_ioc_attach(struct p2pb_session *s, void __user *uarg)
{
	struct p2pb_attach req;
	struct p2pb_map m = {};
	struct p2pb_att *a;
	u32 id;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = p2pb_attach_check(&req);
	if (err)
		return err;

	a = p2pb_att_alloc(&req);
	if (!a)
		return -ENOMEM;
	a->file = s->file;
	a->pdev = pci_get_domain_bus_and_slot(req.pci_domain, req.pci_bus, req.pci_devfn);
	if (!a->pdev) {
		err = -ENXIO;
		goto err_free;
	}
	if (req.flags & P2PB_ATTACH_F_EXPORTER) {
		a->exporter = pci_get_domain_bus_and_slot(req.exp_domain, req.exp_bus,
							  req.exp_devfn);
		if (!a->exporter) {
			err = -ENXIO;
			goto err_free;
		}
	}
	a->dmabuf = dma_buf_get(req.dmabuf_fd);
	if (IS_ERR(a->dmabuf)) {
		err = PTR_ERR(a->dmabuf);
		a->dmabuf = NULL;
		goto err_free;
	}
	err = p2pb_attach_as_ours(a);
	if (err)
		goto err_free;
	p2pb_record(a, P2PB_EV_ATTACH, 0);

	err = xa_alloc(&s->atts, &id, a, xa_limit_32b, GFP_KERNEL);
	if (err)
		goto err_destroy;
	a->id = id;

	req.id = id;
	req.dmabuf_size = a->dmabuf->size;
	/* every out field is ours, mapped or not */
	req.map_err = 0;
	req.dma_addr = 0;
	req.dma_len = 0;
	req.nents = 0;
	req.pad2 = 0;
	memset(req.reserved_out, 0, sizeof(req.reserved_out));
	if (req.flags & P2PB_ATTACH_F_MAP) {
		mutex_lock(&a->lock);
		req.map_err = a->attach ? p2pb_map(a, &m) : -ENODEV;
		/* not a->sgt: a revoke may free it as soon as the resv lock is dropped */
		req.nents = req.map_err ? 0 : READ_ONCE(a->nents);
		mutex_unlock(&a->lock);
		req.dma_addr = m.dma_addr;
		req.dma_len = m.dma_len;
	}
	if (copy_to_user(uarg, &req, sizeof(req))) {
		xa_erase(&s->atts, id);
		err = -EFAULT;
		goto err_destroy;
	}
	return 0;

err_destroy:
	p2pb_att_destroy(a);
	return err;
err_free:
	p2pb_att_free(a);
	return err;
}

static long p2pb_ioc_events(struct p2pb_att *a, struct p2pb_events *req)
{
	struct p2pb_event __user *dst = u64_to_user_ptr(req->events_ptr);
	struct p2pb_event ev;
	unsigned long flags;
	u32 n = 0;

	u32 head;

	if (memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	req->dropped = 0;
	while (n < req->max) {
		spin_lock_irqsave(&a->ev_lock, flags);
		if (!a->ev_count) {
			spin_unlock_irqrestore(&a->ev_lock, flags);
			break;
		}
		head = a->ev_head;
		ev = a->ring[head];
		spin_unlock_irqrestore(&a->ev_lock, flags);
		/* removed only once copied: an EFAULT loses nothing */
		if (copy_to_user(&dst[n], &ev, sizeof(ev)))
			return -EFAULT;
		spin_lock_irqsave(&a->ev_lock, flags);
		if (a->ev_head == head && a->ev_count) {	/* not dropped meanwhile */
			a->ev_head = (head + 1) % P2PB_EVENT_RING;
			a->ev_count--;
		}
		req->dropped += a->ev_dropped;
		a->ev_dropped = 0;
		spin_unlock_irqrestore(&a->ev_lock, flags);
		n++;
	}
	req->count = n;
	return 0;
}

/*
 * Copy an ioctl's argument, which starts with the attachment id (__u32),
 * and find the attachment. Caller holds s->lock.
 */
static struct p2pb_att *p2pb_req_att(struct p2pb_session *s, void __user *uarg, void *req,
				     size_t size)
{
	struct p2pb_att *a;

	if (copy_from_user(req, uarg, size))
		return ERR_PTR(-EFAULT);
	a = xa_load(&s->atts, *(u32 *)req);
	return a ?: ERR_PTR(-ENOENT);
}

/* MAP and UNMAP; caller holds s->lock. */
static long p2pb_ioc_map_unmap(struct p2pb_session *s, unsigned int cmd, void __user *uarg)
{
	struct p2pb_map m;
	struct p2pb_att *a = p2pb_req_att(s, uarg, &m, sizeof(m));
	long ret = 0;

	if (IS_ERR(a))
		return PTR_ERR(a);
	if (memchr_inv(m.reserved, 0, sizeof(m.reserved)))
		return -EINVAL;
	m.err = 0;
	m.dma_addr = 0;
	m.dma_len = 0;
	mutex_lock(&a->lock);
	if (!a->attach) {
		ret = -ENODEV;	/* the device was unbound */
	} else if (cmd == P2PB_IOC_MAP) {
		p2pb_map(a, &m);
	} else {
		/* a delayed unmap still pending is cancelled, not left to fire */
		hrtimer_cancel(&a->unmap_timer);
		cancel_work_sync(&a->unmap_work);
		p2pb_unmap(a, P2PB_UNMAP_BY_REQUEST);
		m.ts_ns = ktime_get_ns();
	}
	mutex_unlock(&a->lock);
	if (!ret && copy_to_user(uarg, &m, sizeof(m)))
		ret = -EFAULT;
	return ret;
}

static long p2pb_ioc_status(struct p2pb_session *s, void __user *uarg)
{
	struct p2pb_status st;
	struct p2pb_att *a = p2pb_req_att(s, uarg, &st, sizeof(st));

	if (IS_ERR(a))
		return PTR_ERR(a);
	spin_lock_irq(&a->ev_lock);
	st.mapped = !!READ_ONCE(a->sgt);
	st.invalidates = a->n_inval;
	st.unmaps = a->n_unmap;
	st.maps = a->n_map;
	st.map_failures = a->n_map_fail;
	st.dma_bytes = a->dma_bytes;
	st.dma_ops = a->dma_ops;
	st.dma_stale_ops = a->dma_stale_ops;
	st.dma_last_ns = a->dma_last_ns;
	st.revoked_bytes = a->revoked_bytes;
	st.io_errors = a->io_errors;
	st.io_timeouts = a->io_timeouts;
	st.last_error = a->last_error;
	st.inflight = p2pb_load_inflight(a);
	spin_unlock_irq(&a->ev_lock);
	memset(st.reserved, 0, sizeof(st.reserved));
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

/* LOAD: under the attachment's lock, as DMA. */
static long p2pb_ioctl_load(struct p2pb_session *s, void __user *uarg)
{
	struct p2pb_load req;
	struct p2pb_att *a = p2pb_req_att(s, uarg, &req, sizeof(req));
	long ret;

	if (IS_ERR(a))
		return PTR_ERR(a);
	mutex_lock(&a->lock);
	ret = a->attach ? p2pb_ioc_load(a, &req) : -ENODEV;
	/* a load the caller cannot hear of does not run */
	if (!ret && copy_to_user(uarg, &req, sizeof(req))) {
		p2pb_load_stop(a);
		ret = -EFAULT;
	}
	mutex_unlock(&a->lock);
	return ret;
}

static long p2pb_ioctl_bins(struct p2pb_session *s, void __user *uarg)
{
	struct p2pb_bins req;
	struct p2pb_att *a = p2pb_req_att(s, uarg, &req, sizeof(req));
	long ret;

	if (IS_ERR(a))
		return PTR_ERR(a);
	if (memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	ret = p2pb_ioc_bins(a, &req);
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

static long p2pb_ioctl_filled(struct p2pb_session *s, void __user *uarg)
{
	struct p2pb_filled req;
	struct p2pb_att *a = p2pb_req_att(s, uarg, &req, sizeof(req));
	long ret;

	if (IS_ERR(a))
		return PTR_ERR(a);
	ret = p2pb_ioc_filled(a, &req);
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

static long p2pb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct p2pb_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct p2pb_events evreq;
	struct p2pb_att *a;
	struct p2pb_dma d;
	u32 id;
	long ret = 0;

	if (cmd == P2PB_IOC_ABI)
		return put_user((u32)P2PB_IMPORTER_ABI, (u32 __user *)uarg);

	mutex_lock(&s->lock);
	switch (cmd) {
	case P2PB_IOC_ATTACH:
		ret = p2pb_ioc_attach(s, uarg);
		break;
	case P2PB_IOC_MAP:
	case P2PB_IOC_UNMAP:
		ret = p2pb_ioc_map_unmap(s, cmd, uarg);
		break;
	case P2PB_IOC_DETACH:
		if (get_user(id, (u32 __user *)uarg)) {
			ret = -EFAULT;
			break;
		}
		a = xa_erase(&s->atts, id);
		if (!a) {
			ret = -ENOENT;
			break;
		}
		p2pb_att_destroy(a);
		break;
	case P2PB_IOC_EVENTS:
		a = p2pb_req_att(s, uarg, &evreq, sizeof(evreq));
		if (IS_ERR(a)) {
			ret = PTR_ERR(a);
			break;
		}
		ret = p2pb_ioc_events(a, &evreq);
		if (!ret && copy_to_user(uarg, &evreq, sizeof(evreq)))
			ret = -EFAULT;
		break;
	case P2PB_IOC_DMA:
		a = p2pb_req_att(s, uarg, &d, sizeof(d));
		if (IS_ERR(a)) {
			ret = PTR_ERR(a);
			break;
		}
		mutex_lock(&a->lock);
		ret = a->attach ? p2pb_ioc_dma(a, &d) : -ENODEV;
		mutex_unlock(&a->lock);
		break;
	case P2PB_IOC_LOAD:
		ret = p2pb_ioctl_load(s, uarg);
		break;
	case P2PB_IOC_BINS:
		ret = p2pb_ioctl_bins(s, uarg);
		break;
	case P2PB_IOC_FILLED:
		ret = p2pb_ioctl_filled(s, uarg);
		break;
	case P2PB_IOC_STATUS:
		ret = p2pb_ioc_status(s, uarg);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&s->lock);
	return ret;
}

static int p2pb_open(struct inode *inode, struct file *file)
{
	struct p2pb_session *s = kzalloc_obj(*s, GFP_KERNEL);

	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	xa_init_flags(&s->atts, XA_FLAGS_ALLOC);
	s->file = file;
	file->private_data = s;
	return 0;
}

/*
 * Closing the file detaches everything, unmapping what a never-unmapping
 * importer still holds and signalling its pending fences. A process that
 * dies while one of its threads waits in a revoke for this importer never
 * gets here (the thread keeps the file open): see p2pb_owner_watch_fn().
 */
static int p2pb_release(struct inode *inode, struct file *file)
{
	struct p2pb_session *s = file->private_data;
	struct p2pb_att *a;
	unsigned long id;

	/*
	 * Signal every hold fence first: a revoke may sit on one of them with
	 * the resv lock held, and tearing down another attachment of ours
	 * needs that lock.
	 */
	xa_for_each(&s->atts, id, a)
		p2pb_hold_cancel(a);
	xa_for_each(&s->atts, id, a) {
		xa_erase(&s->atts, id);
		p2pb_att_destroy(a);
	}
	xa_destroy(&s->atts);
	mutex_destroy(&s->lock);
	kfree(s);
	return 0;
}

static const struct file_operations p2pb_fops = {
	.owner = THIS_MODULE,
	.open = p2pb_open,
	.release = p2pb_release,
	.unlocked_ioctl = p2pb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice p2pb_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = P2PB_IMPORTER_NAME,
	.fops = &p2pb_fops,
	.mode = 0600,
};

/*
 * release_withheld (write-only): writing 1 unmaps every mapping that was
 * invalidated and is still held (never policy, or a delay not over yet), in
 * every process: the administrator's way out of a revoke stuck on a broken
 * importer.
 */
static int p2pb_release_withheld_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n = 0;
	struct p2pb_att *a;
	bool v;
	int err;

	err = kstrtobool(val, &v);
	if (err || !v)
		return err;
	mutex_lock(&p2pb_lock);
	list_for_each_entry(a, &p2pb_atts, node) {
		if (!a->attach || !p2pb_dynamic(a))
			continue;
		dma_resv_lock(a->dmabuf->resv, NULL);
		if (a->withheld) {
			p2pb_unmap_locked(a, P2PB_UNMAP_BY_RELEASE);
			n++;
		}
		dma_resv_unlock(a->dmabuf->resv);
	}
	mutex_unlock(&p2pb_lock);
	pr_info("release_withheld: released %u withheld mapping(s)\n", n);
	return 0;
}

static const struct kernel_param_ops p2pb_release_withheld_ops = {
	.set = p2pb_release_withheld_set,
};
module_param_cb(release_withheld, &p2pb_release_withheld_ops, NULL, 0200);
MODULE_PARM_DESC(release_withheld,
		 "write 1: unmap every invalidated mapping an importer still withholds");

/**
 * p2pb_edu_probe - bind a QEMU edu device
 * @pdev: the device
 * @id: its match
 *
 * Gives it bus mastering and the 48-bit DMA mask its dma_mask property
 * advertises, so that a mapping made as edu is one edu can really use. Only
 * a device bound here can be attached as.
 *
 * Return: 0 or -errno.
 */
static int p2pb_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct p2pb_edu *edu;
	int err = pcim_enable_device(pdev);

	if (err)
		return err;
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(48));
	if (err)
		return err;
	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->mmio = pcim_iomap_region(pdev, 0, KBUILD_MODNAME);
	if (IS_ERR(edu->mmio))
		return PTR_ERR(edu->mmio);
	mutex_init(&edu->lock);
	pci_set_drvdata(pdev, edu);
	pci_set_master(pdev);
	return 0;
}

/**
 * p2pb_teardown_as - a device of ours is being unbound
 * @pdev: the device
 *
 * Called from the driver's remove with the device lock held, which attach
 * takes too, so no new attachment as @pdev can appear. Tears down every
 * attachment made as @pdev: its DMA thread or NVMe load stopped, its hold
 * fences signalled with -ECANCELED, its mapping unmapped
 * (P2PB_UNMAP_BY_REMOVE) and the dma-buf detached. The attachments stay in
 * their files until detached or closed; their other ioctls then fail with
 * -ENODEV. When this returns no attachment makes the device move data.
 */
void p2pb_teardown_as(struct pci_dev *pdev)
{
	struct p2pb_att *a;
	unsigned int n = 0;

	mutex_lock(&p2pb_lock);
	/* hold fences first: a revoke waiting on one holds a resv lock teardown needs */
	list_for_each_entry(a, &p2pb_atts, node)
		if (a->pdev == pdev && a->attach)
			p2pb_hold_cancel(a);
	list_for_each_entry(a, &p2pb_atts, node) {
		if (a->pdev != pdev || !a->attach)
			continue;
		mutex_lock(&a->lock);
		p2pb_att_teardown(a, P2PB_UNMAP_BY_REMOVE);
		mutex_unlock(&a->lock);
		n++;
	}
	mutex_unlock(&p2pb_lock);
	if (n)
		pci_info(pdev, "unbound: tore down %u attachment(s) made as this device\n", n);
}

/* edu: its attachments go, then its bus mastering. */
static void p2pb_edu_remove(struct pci_dev *pdev)
{
	p2pb_teardown_as(pdev);
	pci_clear_master(pdev);
}

static const struct pci_device_id p2pb_edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, p2pb_edu_ids);

static struct pci_driver p2pb_edu_driver = {
	.name = P2PB_IMPORTER_NAME,
	.id_table = p2pb_edu_ids,
	.probe = p2pb_edu_probe,
	.remove = p2pb_edu_remove,
};

static int __init p2pb_init(void)
{
	int err;

	BUILD_BUG_ON(offsetof(struct p2pb_hold_fence, base) != 0);
	err = pci_register_driver(&p2pb_edu_driver);
	if (err)
		return err;
	err = pci_register_driver(&p2pb_nvme_driver);
	if (err)
		goto err_edu;
	err = misc_register(&p2pb_misc);
	if (err)
		goto err_nvme;
	return 0;
err_nvme:
	pci_unregister_driver(&p2pb_nvme_driver);
err_edu:
	pci_unregister_driver(&p2pb_edu_driver);
	return err;
}

static void __exit p2pb_exit(void)
{
	misc_deregister(&p2pb_misc);
	pci_unregister_driver(&p2pb_nvme_driver);
	pci_unregister_driver(&p2pb_edu_driver);
	/* nobody runs our fence ops any more (they are RCU protected) */
	synchronize_rcu();
}

module_init(p2pb_init);
module_exit(p2pb_exit);

MODULE_DESCRIPTION("p2pbench test dma-buf importer with controllable unmap behaviour");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("DMA_BUF");
