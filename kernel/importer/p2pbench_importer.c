// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench test importer: attaches to a dma-buf as a given PCI function and
 * answers invalidate_mappings promptly, after a delay, or never, so that the
 * exporter's revoke path can be measured with an importer we control.
 *
 * Every attach, map, invalidate, unmap and detach is stamped with
 * ktime_get_ns() (CLOCK_MONOTONIC, the clock userspace and the trace ring use)
 * into a per-attachment ring that userspace drains with P2PB_IOC_EVENTS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kthread.h>
#include <linux/dma-mapping.h>
#include <linux/hrtimer.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "uapi/p2pbench_importer.h"

/* QEMU edu (hw/misc/edu.c): a DMA engine between RAM and a 4 KiB buffer. */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2	/* edu buffer -> bus address */
#define EDU_BUFFER		0x40000
#define EDU_DMA_MAX		4095	/* QEMU 7.2 aborts on 4096 */

struct p2pb_edu {
	void __iomem *mmio;
	struct mutex lock;	/* one transfer at a time */
};

static struct pci_driver p2pb_edu_driver;
static u64 p2pb_fence_context;
static atomic64_t p2pb_fence_seqno;
static DEFINE_SPINLOCK(p2pb_fence_lock);

static const char *p2pb_fence_name(struct dma_fence *f)
{
	return KBUILD_MODNAME;
}

static const struct dma_fence_ops p2pb_fence_ops = {
	.get_driver_name = p2pb_fence_name,
	.get_timeline_name = p2pb_fence_name,
};

struct p2pb_session {
	struct mutex lock;	/* serialises ioctls on one file */
	struct xarray atts;	/* id -> struct p2pb_att */
	u32 next_id;
};

struct p2pb_att {
	u32 id;
	u32 mode;
	u32 policy;
	u32 nr_delays;
	u32 delay_idx;
	u64 delays_ns[P2PB_MAX_DELAYS];
	struct pci_dev *pdev;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;		/* live mapping, under the resv lock */
	bool unmap_pending;		/* delayed unmap armed, under resv lock */
	struct hrtimer unmap_timer;
	struct work_struct unmap_work;

	/* device DMA into the mapping (P2PB_IOC_DMA) */
	struct task_struct *dma_task;
	u32 dma_size, dma_flags;
	u64 dma_interval_ns;
	u64 dma_iova;			/* of the live mapping, under resv */
	bool dma_quiesce;		/* invalidated: start no new transfer */
	u64 stale_iova;			/* what the device had before the unmap */
	u64 dma_bytes, dma_ops, dma_stale_ops, dma_last_ns;	/* under ev_lock */

	spinlock_t ev_lock;		/* ring and counters */
	struct p2pb_event ring[P2PB_EVENT_RING];
	u32 ev_head, ev_count, ev_dropped;
	u32 n_inval, n_unmap, n_map, n_map_fail;
};

static void p2pb_record_value(struct p2pb_att *a, u32 type, s32 arg, u64 value)
{
	struct p2pb_event ev = {
		.ts_ns = ktime_get_ns(), .value = value, .type = type, .arg = arg,
	};
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

static void p2pb_record(struct p2pb_att *a, u32 type, s32 arg)
{
	p2pb_record_value(a, type, arg, 0);
}

static bool p2pb_dynamic(const struct p2pb_att *a)
{
	return a->mode != P2PB_ATTACH_STATIC;
}

/* Caller holds the resv lock for dynamic attachments. */
static void p2pb_unmap_locked(struct p2pb_att *a, s32 cause)
{
	a->unmap_pending = false;
	if (!a->sgt)
		return;
	/* a transfer in flight finishes before its mapping goes */
	if (a->dma_task)
		dma_resv_wait_timeout(a->dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false,
				      MAX_SCHEDULE_TIMEOUT);
	if (p2pb_dynamic(a))
		dma_buf_unmap_attachment(a->attach, a->sgt, DMA_BIDIRECTIONAL);
	else
		dma_buf_unmap_attachment_unlocked(a->attach, a->sgt, DMA_BIDIRECTIONAL);
	a->sgt = NULL;
	a->stale_iova = a->dma_iova;
	a->dma_iova = 0;
	p2pb_record(a, P2PB_EV_UNMAP, cause);
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

/* Called by the exporter with the resv lock held. */
static void p2pb_invalidate(struct dma_buf_attachment *attach)
{
	struct p2pb_att *a = attach->importer_priv;
	u64 delay = 0;

	/*
	 * An invalidate while an unmap is already armed (the exporter gave
	 * up waiting and un-revoked) keeps the earlier deadline.
	 */
	if (a->sgt && a->policy == P2PB_UNMAP_DELAY && !a->unmap_pending)
		delay = a->delays_ns[a->delay_idx++ % a->nr_delays];
	else if (a->sgt && a->policy == P2PB_UNMAP_NEVER)
		delay = P2PB_DELAY_NEVER;
	/* Stamped first: the time the exporter's callback reached us. */
	p2pb_record_value(a, P2PB_EV_INVALIDATE, a->sgt ? 1 : 0, delay);
	if (!a->sgt)
		return;
	a->dma_quiesce = true;
	switch (a->policy) {
	case P2PB_UNMAP_IMMEDIATE:
		p2pb_unmap_locked(a, P2PB_UNMAP_BY_POLICY);
		break;
	case P2PB_UNMAP_DELAY:
		if (a->unmap_pending)
			break;
		if (!delay) {
			p2pb_unmap_locked(a, P2PB_UNMAP_BY_POLICY);
			break;
		}
		/*
		 * Asynchronous on purpose: the exporter drops the resv lock
		 * before it waits for the unmap, as a real device would
		 * drain its queues after the callback returned.
		 */
		a->unmap_pending = true;
		hrtimer_start(&a->unmap_timer, ns_to_ktime(delay), HRTIMER_MODE_REL);
		break;
	case P2PB_UNMAP_NEVER:
		break;
	}
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

static int p2pb_map(struct p2pb_att *a, struct p2pb_map *out)
{
	struct sg_table *sgt;
	struct scatterlist *sg;
	u64 len = 0;
	int i, err = 0;

	if (p2pb_dynamic(a))
		dma_resv_lock(a->dmabuf->resv, NULL);
	if (!a->sgt) {
		if (p2pb_dynamic(a))
			sgt = dma_buf_map_attachment(a->attach, DMA_BIDIRECTIONAL);
		else
			sgt = dma_buf_map_attachment_unlocked(a->attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt)) {
			err = PTR_ERR(sgt);
			p2pb_record(a, P2PB_EV_MAP_FAIL, err);
		} else {
			a->sgt = sgt;
			a->dma_iova = sgt->nents ? sg_dma_address(sgt->sgl) : 0;
			a->dma_quiesce = false;
			p2pb_record(a, P2PB_EV_MAP, 0);
		}
	}
	if (a->sgt && out) {
		for_each_sgtable_dma_sg(a->sgt, sg, i)
			len += sg_dma_len(sg);
		out->dma_addr = a->sgt->nents ? sg_dma_address(a->sgt->sgl) : 0;
		out->dma_len = len;
	}
	if (p2pb_dynamic(a))
		dma_resv_unlock(a->dmabuf->resv);
	if (out) {
		out->err = err;
		out->ts_ns = ktime_get_ns();
	}
	return err;
}

/* One edu transfer of a->dma_size bytes from its buffer to iova. */
static int p2pb_edu_dma(struct p2pb_edu *edu, u64 iova, u32 size)
{
	unsigned long deadline = jiffies + 2 * HZ;
	int err = 0;

	mutex_lock(&edu->lock);
	writeq(EDU_BUFFER, edu->mmio + EDU_REG_DMA_SRC);
	writeq(iova, edu->mmio + EDU_REG_DMA_DST);
	writeq(size, edu->mmio + EDU_REG_DMA_CNT);
	writeq(EDU_DMA_START | EDU_DMA_TO_RAM, edu->mmio + EDU_REG_DMA_CMD);
	/* edu completes a transfer 100 ms (virtual) later, whatever its size */
	while (readq(edu->mmio + EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (time_after(jiffies, deadline)) {
			err = -ETIMEDOUT;
			break;
		}
		usleep_range(1000, 2000);
	}
	mutex_unlock(&edu->lock);
	return err;
}

static int p2pb_dma_thread(void *data)
{
	struct p2pb_att *a = data;
	struct p2pb_edu *edu = pci_get_drvdata(a->pdev);
	struct dma_resv *resv = a->dmabuf->resv;

	while (!kthread_should_stop()) {
		struct dma_fence *fence = NULL;
		bool stale = false;
		u64 iova = 0;

		dma_resv_lock(resv, NULL);
		if (a->sgt && a->dma_iova &&
		    (!a->dma_quiesce || a->dma_flags & P2PB_DMA_F_AFTER_UNMAP) &&
		    !dma_resv_reserve_fences(resv, 1)) {
			/* a fence per transfer: the exporter's fence wait covers it */
			fence = kzalloc_obj(*fence, GFP_KERNEL);
			if (fence) {
				dma_fence_init(fence, &p2pb_fence_ops, &p2pb_fence_lock,
					       p2pb_fence_context,
					       atomic64_inc_return(&p2pb_fence_seqno));
				dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_BOOKKEEP);
				iova = a->dma_iova;
			}
		} else if (!a->sgt && (a->dma_flags & P2PB_DMA_F_AFTER_UNMAP) && a->stale_iova) {
			iova = a->stale_iova;
			stale = true;
		}
		dma_resv_unlock(resv);

		if (iova && !p2pb_edu_dma(edu, iova, a->dma_size)) {
			spin_lock_irq(&a->ev_lock);
			a->dma_bytes += a->dma_size;
			a->dma_ops++;
			a->dma_stale_ops += stale;
			a->dma_last_ns = ktime_get_ns();
			spin_unlock_irq(&a->ev_lock);
		}
		if (fence) {
			dma_fence_signal(fence);
			dma_fence_put(fence);
		}
		if (!iova || a->dma_interval_ns)
			schedule_timeout_interruptible(nsecs_to_jiffies(max_t(u64, a->dma_interval_ns,
									      NSEC_PER_MSEC)));
	}
	return 0;
}

static void p2pb_dma_stop(struct p2pb_att *a)
{
	if (a->dma_task) {
		kthread_stop(a->dma_task);
		a->dma_task = NULL;
	}
}

static long p2pb_ioc_dma(struct p2pb_att *a, const struct p2pb_dma *req)
{
	if (!req->enable) {
		p2pb_dma_stop(a);
		return 0;
	}
	if (req->size < 1 || req->size > EDU_DMA_MAX || req->flags & ~P2PB_DMA_F_AFTER_UNMAP)
		return -EINVAL;
	/* the device needs a DMA engine we can drive: an edu bound to us */
	if (!p2pb_dynamic(a) || !a->pdev->dev.driver || a->pdev->dev.driver != &p2pb_edu_driver.driver ||
	    !pci_get_drvdata(a->pdev))
		return -EOPNOTSUPP;
	p2pb_dma_stop(a);
	a->dma_size = req->size;
	a->dma_flags = req->flags;
	a->dma_interval_ns = req->interval_ns;
	a->dma_task = kthread_run(p2pb_dma_thread, a, "p2pb-dma/%u", a->id);
	if (IS_ERR(a->dma_task)) {
		long err = PTR_ERR(a->dma_task);

		a->dma_task = NULL;
		return err;
	}
	return 0;
}

static void p2pb_att_free(struct p2pb_att *a)
{
	p2pb_dma_stop(a);
	if (a->attach) {
		hrtimer_cancel(&a->unmap_timer);
		cancel_work_sync(&a->unmap_work);
		p2pb_unmap(a, P2PB_UNMAP_BY_DETACH);
		dma_buf_detach(a->dmabuf, a->attach);
		/*
		 * An invalidate between the cancels above and the unmap may
		 * have armed the timer again; after the detach none can, so
		 * this cancel is the last word before the memory goes.
		 */
		hrtimer_cancel(&a->unmap_timer);
		cancel_work_sync(&a->unmap_work);
	}
	if (a->dmabuf)
		dma_buf_put(a->dmabuf);
	pci_dev_put(a->pdev);
	kvfree(a);
}

static long p2pb_ioc_attach(struct p2pb_session *s, void __user *uarg)
{
	const struct dma_buf_attach_ops *ops;
	struct p2pb_attach req;
	struct p2pb_map m = {};
	struct p2pb_att *a;
	u32 id;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.mode > P2PB_ATTACH_NO_P2P || req.unmap_policy > P2PB_UNMAP_NEVER ||
	    req.flags & ~P2PB_ATTACH_F_MAP || req.pad0 || req.pad1)
		return -EINVAL;
	if (req.unmap_policy == P2PB_UNMAP_DELAY &&
	    (!req.nr_delays || req.nr_delays > P2PB_MAX_DELAYS))
		return -EINVAL;

	a = kvzalloc_obj(*a, GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	spin_lock_init(&a->ev_lock);
	hrtimer_setup(&a->unmap_timer, p2pb_unmap_timer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	INIT_WORK(&a->unmap_work, p2pb_unmap_workfn);
	a->mode = req.mode;
	a->policy = req.unmap_policy;
	a->nr_delays = req.nr_delays;
	memcpy(a->delays_ns, req.delays_ns, sizeof(a->delays_ns));

	a->pdev = pci_get_domain_bus_and_slot(req.pci_domain, req.pci_bus, req.pci_devfn);
	if (!a->pdev) {
		err = -ENXIO;
		goto err_free;
	}
	a->dmabuf = dma_buf_get(req.dmabuf_fd);
	if (IS_ERR(a->dmabuf)) {
		err = PTR_ERR(a->dmabuf);
		a->dmabuf = NULL;
		goto err_free;
	}

	switch (req.mode) {
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
	if (ops)
		a->attach = dma_buf_dynamic_attach(a->dmabuf, &a->pdev->dev, ops, a);
	else
		a->attach = dma_buf_attach(a->dmabuf, &a->pdev->dev);
	if (IS_ERR(a->attach)) {
		err = PTR_ERR(a->attach);
		a->attach = NULL;
		goto err_free;
	}
	p2pb_record(a, P2PB_EV_ATTACH, 0);

	err = xa_alloc(&s->atts, &id, a, xa_limit_32b, GFP_KERNEL);
	if (err)
		goto err_free;
	a->id = id;

	req.id = id;
	req.dmabuf_size = a->dmabuf->size;
	if (req.flags & P2PB_ATTACH_F_MAP) {
		req.map_err = p2pb_map(a, &m);
		req.dma_addr = m.dma_addr;
		req.dma_len = m.dma_len;
		req.nents = a->sgt ? a->sgt->nents : 0;
	}
	if (copy_to_user(uarg, &req, sizeof(req))) {
		xa_erase(&s->atts, id);
		err = -EFAULT;
		goto err_free;
	}
	return 0;

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

	req->dropped = 0;
	while (n < req->max) {
		spin_lock_irqsave(&a->ev_lock, flags);
		if (!a->ev_count) {
			spin_unlock_irqrestore(&a->ev_lock, flags);
			break;
		}
		ev = a->ring[a->ev_head];
		a->ev_head = (a->ev_head + 1) % P2PB_EVENT_RING;
		a->ev_count--;
		req->dropped += a->ev_dropped;
		a->ev_dropped = 0;
		spin_unlock_irqrestore(&a->ev_lock, flags);
		if (copy_to_user(&dst[n], &ev, sizeof(ev)))
			return -EFAULT;
		n++;
	}
	req->count = n;
	return 0;
}

static long p2pb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct p2pb_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct p2pb_events evreq;
	struct p2pb_status st;
	struct p2pb_map m;
	struct p2pb_att *a;
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
		if (copy_from_user(&m, uarg, sizeof(m))) {
			ret = -EFAULT;
			break;
		}
		a = xa_load(&s->atts, m.id);
		if (!a) {
			ret = -ENOENT;
			break;
		}
		m.err = 0;
		m.dma_addr = 0;
		m.dma_len = 0;
		if (cmd == P2PB_IOC_MAP) {
			p2pb_map(a, &m);
		} else {
			hrtimer_cancel(&a->unmap_timer);
			p2pb_unmap(a, P2PB_UNMAP_BY_REQUEST);
			m.ts_ns = ktime_get_ns();
		}
		if (copy_to_user(uarg, &m, sizeof(m)))
			ret = -EFAULT;
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
		p2pb_record(a, P2PB_EV_DETACH, 0);
		p2pb_att_free(a);
		break;
	case P2PB_IOC_EVENTS:
		if (copy_from_user(&evreq, uarg, sizeof(evreq))) {
			ret = -EFAULT;
			break;
		}
		a = xa_load(&s->atts, evreq.id);
		if (!a) {
			ret = -ENOENT;
			break;
		}
		ret = p2pb_ioc_events(a, &evreq);
		if (!ret && copy_to_user(uarg, &evreq, sizeof(evreq)))
			ret = -EFAULT;
		break;
	case P2PB_IOC_DMA: {
		struct p2pb_dma d;

		if (copy_from_user(&d, uarg, sizeof(d))) {
			ret = -EFAULT;
			break;
		}
		a = xa_load(&s->atts, d.id);
		ret = a ? p2pb_ioc_dma(a, &d) : -ENOENT;
		break;
	}
	case P2PB_IOC_STATUS:
		if (copy_from_user(&st, uarg, sizeof(st))) {
			ret = -EFAULT;
			break;
		}
		a = xa_load(&s->atts, st.id);
		if (!a) {
			ret = -ENOENT;
			break;
		}
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
		spin_unlock_irq(&a->ev_lock);
		if (copy_to_user(uarg, &st, sizeof(st)))
			ret = -EFAULT;
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&s->lock);
	return ret;
}

static int p2pb_open(struct inode *inode, struct file *file)
{
	struct p2pb_session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	xa_init_flags(&s->atts, XA_FLAGS_ALLOC);
	file->private_data = s;
	return 0;
}

/*
 * Closing the file detaches everything, unmapping what a never-unmapping
 * importer still holds: that is what lets a stuck revoke finish and the
 * module unload when the process using it dies.
 */
static int p2pb_release(struct inode *inode, struct file *file)
{
	struct p2pb_session *s = file->private_data;
	struct p2pb_att *a;
	unsigned long id;

	xa_for_each(&s->atts, id, a) {
		xa_erase(&s->atts, id);
		p2pb_att_free(a);
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
 * QEMU's edu device has a DMA engine; binding it here gives it bus mastering
 * and the 48-bit DMA mask its dma_mask property advertises, so that a mapping
 * made as edu is one edu can really use.
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

static const struct pci_device_id p2pb_edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, p2pb_edu_ids);

static struct pci_driver p2pb_edu_driver = {
	.name = P2PB_IMPORTER_NAME,
	.id_table = p2pb_edu_ids,
	.probe = p2pb_edu_probe,
};

static int __init p2pb_init(void)
{
	int err;

	p2pb_fence_context = dma_fence_context_alloc(1);
	err = pci_register_driver(&p2pb_edu_driver);

	if (err)
		return err;
	err = misc_register(&p2pb_misc);
	if (err)
		pci_unregister_driver(&p2pb_edu_driver);
	return err;
}

static void __exit p2pb_exit(void)
{
	misc_deregister(&p2pb_misc);
	pci_unregister_driver(&p2pb_edu_driver);
}

module_init(p2pb_init);
module_exit(p2pb_exit);

MODULE_DESCRIPTION("p2pbench test dma-buf importer with controllable unmap behaviour");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("DMA_BUF");
