// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench revoke: export BAR ranges of a vfio-pci device as dma-bufs, attach
 * importers, pull a revoke trigger over and over and measure how long it
 * takes until every importer has unmapped (revoke-to-quiesce), then undo the
 * trigger and prove that the importers can map again.
 */
#define _GNU_SOURCE
#include "revoke.h"
#include "session.h"

#include "clock.h"
#include "error.h"
#include "hist.h"
#include "job.h"
#include "kmsg.h"
#include "trace.h"
#include "result.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* set when a trigger never returned: nothing more is safe to do */
static volatile int p2pb_kernel_stuck;

bool p2pb_revoke_kernel_stuck(void)
{
	return p2pb_kernel_stuck;
}

struct imp_inst {
	struct p2pb_importer imp;
	unsigned int spec_idx;
	struct p2pb_attachment att[P2PB_MAX_DMABUFS];
	bool attached[P2PB_MAX_DMABUFS];
};

struct case_run {
	const struct p2pb_job *job;
	struct p2pb_vfio_dev dev;
	bool dev_open;
	int dmabuf_fd[P2PB_MAX_DMABUFS];
	struct p2pb_range range[P2PB_MAX_DMABUFS];
	unsigned int n_dmabufs;
	struct imp_inst *inst;
	unsigned int n_inst;

	struct p2pb_hist h_trigger, h_r2q, h_t2i, h_i2u, h_unrevoke, h_remap, h_cfg, h_bar;
	struct p2pb_kmsg kmsg;
	struct p2pb_kmsg_counts klog;
	json_object *iters;
	unsigned int measured, failed_iters, forced_iters;
	char fail[384];
	char skip[384];
	bool kernel_stuck;	/* a trigger never came back: leave the device alone */
	uint64_t dma_before, dma_before_ns, dma_during, dma_during_ns, dma_after, dma_after_ns, dma_stale;
	unsigned long long fault_irqs_start;
};

static void case_fail(struct case_run *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void case_fail(struct case_run *c, const char *fmt, ...)
{
	va_list ap;

	if (c->fail[0])
		return;	/* the first failure is the one worth reading */
	va_start(ap, fmt);
	vsnprintf(c->fail, sizeof(c->fail), fmt, ap);
	va_end(ap);
}

static const char *unmap_cause_name(int32_t cause)
{
	switch (cause) {
	case P2PB_UNMAP_BY_POLICY: return "policy";
	case P2PB_UNMAP_BY_REQUEST: return "forced";
	case P2PB_UNMAP_BY_DETACH: return "detach";
	}
	return "?";
}

static int export_all(struct case_run *c)
{
	unsigned int i;
	int fd;

	for (i = 0; i < c->n_dmabufs; i++) {
		fd = p2pb_vfio_export(&c->dev, c->job->bar, &c->range[i], 1);
		if (fd < 0)
			return p2pb_fail(fd, "exporting BAR%u [%#llx, +%#llx) of %s as a dma-buf failed: %s",
					 c->job->bar, (unsigned long long)c->range[i].offset,
					 (unsigned long long)c->range[i].length, c->dev.bdf, strerror(-fd));
		c->dmabuf_fd[i] = fd;
	}
	return 0;
}

static void close_dmabufs(struct case_run *c)
{
	unsigned int i;

	for (i = 0; i < c->n_dmabufs; i++) {
		if (c->dmabuf_fd[i] >= 0)
			close(c->dmabuf_fd[i]);
		c->dmabuf_fd[i] = -1;
	}
}

static int attach_all(struct case_run *c)
{
	unsigned int i, k;
	int err;

	for (i = 0; i < c->n_inst; i++) {
		struct imp_inst *in = &c->inst[i];

		for (k = 0; k < c->n_dmabufs; k++) {
			err = in->imp.ops->attach(&in->imp, c->dmabuf_fd[k], &in->att[k]);
			if (err)
				return p2pb_fail(err, "importer %s could not attach to dma-buf %u as %s: %s%s",
						 in->imp.spec.text, k, in->imp.dev_bdf, strerror(-err),
						 err == -EOPNOTSUPP ? " (VFIO accepts only dynamic, revocable importers that allow peer-to-peer)" : "");
			in->att[k].dmabuf_idx = k;
			in->attached[k] = true;
			if (in->att[k].map_err)
				return p2pb_fail(in->att[k].map_err, "importer %s attached but could not map dma-buf %u as %s: %s%s",
						 in->imp.spec.text, k, in->imp.dev_bdf, strerror(-in->att[k].map_err),
						 in->att[k].map_err == -EINVAL ? " (no peer-to-peer path between the devices: see docs/lab.md)" : "");
		}
	}
	return 0;
}

static void detach_all(struct case_run *c)
{
	unsigned int i, k;

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; k < P2PB_MAX_DMABUFS; k++)
			if (c->inst[i].attached[k]) {
				c->inst[i].imp.ops->detach(&c->inst[i].imp, &c->inst[i].att[k]);
				c->inst[i].attached[k] = false;
			}
}

/* Importers with dma= make their device write into each mapping. */
static int start_dma(struct case_run *c)
{
	unsigned int i, k;
	int err;

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; c->inst[i].imp.spec.dma_size && k < c->n_dmabufs; k++)
			if ((err = c->inst[i].imp.ops->dma_start(&c->inst[i].imp, &c->inst[i].att[k])))
				return err;
	return 0;
}

static bool any_dma(const struct case_run *c)
{
	unsigned int i;

	for (i = 0; i < c->n_inst; i++)
		if (c->inst[i].imp.spec.dma_size)
			return true;
	return false;
}

/* Traffic counters summed over every attachment, and when they were read. */
struct traffic {
	uint64_t ns, bytes, stale_ops;
};

static struct traffic traffic_now(struct case_run *c)
{
	struct traffic t = { 0 };
	unsigned int i, k;

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; c->inst[i].imp.spec.dma_size && k < c->n_dmabufs; k++) {
			struct p2pb_importer_stats st = { 0 };

			if (!c->inst[i].imp.ops->stats(&c->inst[i].imp, &c->inst[i].att[k], &st)) {
				t.bytes += st.dma_bytes;
				t.stale_ops += st.dma_stale_ops;
			}
		}
	t.ns = p2pb_now_ns();
	return t;
}

static json_object *traffic_json(const struct traffic *a, const struct traffic *b)
{
	json_object *o = json_object_new_object();
	uint64_t ns = b->ns - a->ns, bytes = b->bytes - a->bytes;

	json_object_object_add(o, "bytes", p2pb_json_u64(bytes));
	json_object_object_add(o, "ns", p2pb_json_u64(ns));
	json_object_object_add(o, "bytes_per_s", p2pb_json_u64(ns ? (uint64_t)((double)bytes * 1e9 / (double)ns) : 0));
	return o;
}

static int setup_case(struct case_run *c, struct p2pb_session *s)
{
	const struct p2pb_job *j = c->job;
	uint64_t bar_size, size, chunk;
	unsigned int i, k, n = 0;
	int err;

	err = p2pb_vfio_open(&c->dev, j->device);
	if (err)
		return err;
	c->dev_open = true;
	if ((err = p2pb_vfio_dmabuf_supported(&c->dev)))
		return err;
	bar_size = c->dev.bar[j->bar].size;
	if (!bar_size)
		return p2pb_fail(-EINVAL, "%s has no BAR%u", c->dev.bdf, j->bar);
	if (j->offset >= bar_size)
		return p2pb_fail(-EINVAL, "offset %#llx is past the end of BAR%u (%#llx bytes)",
				 (unsigned long long)j->offset, j->bar, (unsigned long long)bar_size);
	size = j->size ? j->size : bar_size - j->offset;
	if (j->offset + size > bar_size)
		return p2pb_fail(-EINVAL, "range [%#llx, +%#llx) does not fit in BAR%u (%#llx bytes)",
				 (unsigned long long)j->offset, (unsigned long long)size, j->bar,
				 (unsigned long long)bar_size);
	c->n_dmabufs = j->dmabufs;
	chunk = (size / j->dmabufs) & ~4095ull;
	if (!chunk)
		return p2pb_fail(-EINVAL, "range too small for %u dma-bufs", j->dmabufs);
	for (k = 0; k < c->n_dmabufs; k++) {
		c->range[k].offset = j->offset + k * chunk;
		c->range[k].length = chunk;
		c->dmabuf_fd[k] = -1;
	}
	if ((err = j->trigger->check(&c->dev))) {
		snprintf(c->skip, sizeof(c->skip), "%s", p2pb_error());
		return 0;
	}
	if ((err = export_all(c)))
		return err;

	for (i = 0; i < j->n_importers; i++)
		n += j->importers[i].count;
	c->inst = calloc(n, sizeof(*c->inst));
	if (!c->inst)
		return -ENOMEM;
	for (i = 0; i < j->n_importers; i++) {
		const struct p2pb_importer_spec *sp = &j->importers[i];

		for (k = 0; k < sp->count; k++) {
			struct imp_inst *in = &c->inst[c->n_inst];
			const char *bdf = sp->dev[0] ? sp->dev : j->device;

			in->spec_idx = i;
			in->imp.spec = *sp;
			in->imp.fd = -1;
			in->imp.ops = p2pb_importer_find(sp->kind);
			p2pb_pci_parse(bdf, &in->imp.dev, in->imp.dev_bdf);
			if (!p2pb_pci_exists(in->imp.dev_bdf))
				return p2pb_fail(-ENODEV, "importer %s: no PCI device %s to attach as",
						 sp->text, in->imp.dev_bdf);
			in->imp.n_delays = P2PB_MAX_DELAYS;
			/* each importer instance draws its own delays */
			p2pb_importer_spec_delays(sp, j->seed * 1000003ull + c->n_inst, in->imp.delays_ns,
						  in->imp.n_delays);
			if ((err = in->imp.ops->open(&in->imp, &s->restore)))
				return err;
			c->n_inst++;
		}
	}
	if ((err = attach_all(c)))
		return err;
	return start_dma(c);
}

static void teardown_case(struct case_run *c)
{
	unsigned int i;

	detach_all(c);
	for (i = 0; i < c->n_inst; i++)
		c->inst[i].imp.ops->close(&c->inst[i].imp);
	free(c->inst);
	c->inst = NULL;
	close_dmabufs(c);
	if (c->dev_open)
		p2pb_vfio_close(&c->dev);
	c->dev_open = false;
}

struct trigger_thread {
	const struct p2pb_trigger_ops *t;
	struct p2pb_vfio_dev *dev;
	int rc;
	uint64_t end_ns;
	int done;
};

static void *trigger_fn(void *p)
{
	struct trigger_thread *tt = p;

	tt->rc = tt->t->revoke(tt->dev);
	tt->end_ns = p2pb_now_ns();
	__atomic_store_n(&tt->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* How many attachments still hold a mapping. */
static unsigned int count_mapped(struct case_run *c)
{
	unsigned int i, k, n = 0;

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; k < c->n_dmabufs; k++) {
			struct p2pb_importer_stats st = { 0 };

			if (!c->inst[i].imp.ops->stats(&c->inst[i].imp, &c->inst[i].att[k], &st))
				n += st.mapped;
		}
	return n;
}

/*
 * Two reads issued 2 ms into the revoke, one after the other: config space
 * (vfio-pci serves reads from its virtual config, without memory_lock) and
 * the exported BAR through the VFIO region (taken under memory_lock, which
 * the revoke holds for writing): how long other users of the device are
 * held up while importers take their time.
 */
struct probe_thread {
	struct p2pb_vfio_dev *dev;
	uint32_t bar;
	uint64_t t0, cfg_start, cfg_end, bar_start, bar_end;
	int cfg_rc, bar_rc;
};

#define P2PB_PROBE_DELAY_NS 2000000ull

static void *probe_fn(void *p)
{
	struct probe_thread *pt = p;
	uint32_t v;
	uint64_t now = p2pb_now_ns();

	if (now < pt->t0 + P2PB_PROBE_DELAY_NS)
		p2pb_sleep_ns(pt->t0 + P2PB_PROBE_DELAY_NS - now);
	pt->cfg_start = p2pb_now_ns();
	pt->cfg_rc = p2pb_vfio_cfg_read(pt->dev, PCI_VENDOR_ID, &v, sizeof(v));
	pt->cfg_end = pt->bar_start = p2pb_now_ns();
	pt->bar_rc = p2pb_vfio_bar_read(pt->dev, pt->bar, 0, &v, sizeof(v));
	pt->bar_end = p2pb_now_ns();
	return NULL;
}

/* Unmap everything now: releases a revoke stuck on a broken importer. */
static void force_unmap_all(struct case_run *c)
{
	unsigned int i, k;

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; k < c->n_dmabufs; k++)
			c->inst[i].imp.ops->unmap(&c->inst[i].imp, &c->inst[i].att[k]);
}

struct att_times {
	uint64_t inv_ts, unmap_ts, armed_delay;
	int32_t unmap_cause;
	bool got_inv, got_unmap;
	unsigned int later_invalidates;	/* e.g. the un-revoke's own invalidate */
};

static int drain_events(struct imp_inst *in, unsigned int k, uint64_t since, struct att_times *t)
{
	struct p2pb_event ev[128];
	uint32_t n = 0, e;
	int err;

	do {
		err = in->imp.ops->events(&in->imp, &in->att[k], ev, 128, &n);
		if (err && err != -EOVERFLOW)
			return err;
		for (e = 0; e < n && t; e++) {
			if (ev[e].ts_ns < since)
				continue;
			if (ev[e].type == P2PB_EV_INVALIDATE) {
				if (!t->got_inv && ev[e].arg == 1) {
					t->got_inv = true;
					t->inv_ts = ev[e].ts_ns;
					t->armed_delay = ev[e].value;
				} else {
					t->later_invalidates++;
				}
			} else if (ev[e].type == P2PB_EV_UNMAP && t->got_inv && !t->got_unmap) {
				t->got_unmap = true;
				t->unmap_ts = ev[e].ts_ns;
				t->unmap_cause = ev[e].arg;
			}
		}
	} while (n == 128);
	return 0;
}

static int remap_all(struct case_run *c, uint64_t *done_ns)
{
	unsigned int i, k;
	int err, first = 0;

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; k < c->n_dmabufs; k++) {
			err = c->inst[i].imp.ops->map(&c->inst[i].imp, &c->inst[i].att[k]);
			if (err && !first)
				first = err;
		}
	*done_ns = p2pb_now_ns();
	return first;
}

/* close: the old dma-bufs are revoked for good; export new ones and move
 * every importer over, after checking that the old ones refuse to map. */
static int reexport(struct case_run *c, json_object *it)
{
	struct imp_inst *in0 = &c->inst[0];
	int err = in0->imp.ops->map(&in0->imp, &in0->att[0]);

	json_object_object_add(it, "old_dmabuf_map_errno", json_object_new_int(-err));
	if (err != -ENODEV)
		case_fail(c, "a dma-buf of a closed device mapped again (errno %d, expected ENODEV)", -err);
	detach_all(c);
	close_dmabufs(c);
	if ((err = export_all(c)))
		return err;
	return attach_all(c);
}

static bool one_iteration(struct case_run *c, struct p2pb_session *s, unsigned int idx, bool warm)
{
	const struct p2pb_job *j = c->job;
	struct trigger_thread tt = { .t = j->trigger, .dev = &c->dev };
	struct att_times *times;
	json_object *it, *atts;
	pthread_t th;
	uint64_t t0, last_unmap = 0, restore_start, restore_end = 0, remap_done = 0;
	bool forced = false, ok = true;
	unsigned int i, k, n_att = c->n_inst * c->n_dmabufs, a = 0;
	int mapped_at_return = -1;
	struct probe_thread pt = { 0 };
	struct traffic tr[5];
	unsigned long long fault_irqs;
	uint64_t dwell;
	pthread_t probe;
	bool probing, dma;
	int err;

	times = calloc(n_att, sizeof(*times));
	if (!times)
		return false;
	/* every importer mapped, nothing stale in the event rings */
	if ((err = remap_all(c, &remap_done))) {
		case_fail(c, "iteration %u: could not map before the trigger: %s", idx, strerror(-err));
		free(times);
		return false;
	}
	dma = any_dma(c);
	dwell = j->dwell_ns != UINT64_MAX ? j->dwell_ns : dma ? 400000000ull : 0;
	tr[0] = traffic_now(c);
	if (dwell)
		p2pb_sleep_ns(dwell);
	fault_irqs = p2pb_iommu_fault_irqs();
	for (i = 0; i < c->n_inst; i++)
		for (k = 0; k < c->n_dmabufs; k++)
			drain_events(&c->inst[i], k, 0, NULL);

	tr[1] = traffic_now(c);
	t0 = p2pb_now_ns();
	if (pthread_create(&th, NULL, trigger_fn, &tt)) {
		case_fail(c, "cannot start the trigger thread");
		free(times);
		return false;
	}
	/* not with close: the fd it would read is the one being closed */
	probing = j->config_probe && !j->trigger->permanent;
	pt.dev = &c->dev;
	pt.bar = j->bar;
	pt.t0 = t0;
	if (probing && pthread_create(&probe, NULL, probe_fn, &pt))
		probing = false;
	/*
	 * Quiesced means every importer has unmapped, whether or not the
	 * trigger waited for it: a kernel that gives up waiting (a revoke
	 * timeout) returns while importers still hold mappings.
	 */
	for (;;) {
		uint64_t waited = p2pb_now_ns() - t0;
		bool returned = __atomic_load_n(&tt.done, __ATOMIC_ACQUIRE);

		if (returned && mapped_at_return < 0)
			mapped_at_return = (int)count_mapped(c);
		if (returned && (mapped_at_return == 0 || !count_mapped(c)))
			break;
		if (!forced && waited > j->quiesce_timeout_ns) {
			force_unmap_all(c);
			forced = true;
		}
		if (forced && waited > 2 * j->quiesce_timeout_ns + 30000000000ull) {
			/*
			 * Every importer let go long ago and the trigger is
			 * still in the kernel: nothing we can undo. Say so,
			 * keep what was measured, and stop.
			 */
			case_fail(c, "iteration %u: %s has not returned %.0f s after every importer was unmapped: "
				  "the kernel is stuck (see dmesg)", idx, j->trigger->name, (double)waited / 1e9);
			pthread_detach(th);
			c->kernel_stuck = true;
			free(times);
			return false;
		}
		p2pb_sleep_ns(waited < 10000000ull ? 100000ull : 1000000ull);
	}
	pthread_join(th, NULL);
	if (probing)
		pthread_join(probe, NULL);
	/* traffic while revoked: a misbehaving device shows up here */
	if (dma && dwell)
		p2pb_sleep_ns(dwell);
	tr[2] = traffic_now(c);

	it = json_object_new_object();
	json_object_object_add(it, "index", json_object_new_int((int)idx));
	json_object_object_add(it, "warmup", json_object_new_boolean(warm));
	json_object_object_add(it, "t0_ns", p2pb_json_u64(t0));
	json_object_object_add(it, "trigger_ns", p2pb_json_u64(tt.end_ns - t0));
	json_object_object_add(it, "trigger_errno", json_object_new_int(-tt.rc));
	json_object_object_add(it, "mapped_at_trigger_return", json_object_new_int(mapped_at_return));
	if (probing) {
		json_object_object_add(it, "config_read_start_ns", p2pb_json_u64(pt.cfg_start - t0));
		json_object_object_add(it, "config_read_ns", p2pb_json_u64(pt.cfg_end - pt.cfg_start));
		json_object_object_add(it, "config_read_errno", json_object_new_int(-pt.cfg_rc));
		json_object_object_add(it, "bar_read_start_ns", p2pb_json_u64(pt.bar_start - t0));
		json_object_object_add(it, "bar_read_ns", p2pb_json_u64(pt.bar_end - pt.bar_start));
		json_object_object_add(it, "bar_read_errno", json_object_new_int(-pt.bar_rc));
		if (!warm) {
			p2pb_hist_add(&c->h_cfg, pt.cfg_end - pt.cfg_start);
			p2pb_hist_add(&c->h_bar, pt.bar_end - pt.bar_start);
		}
	}
	if (tt.rc) {
		case_fail(c, "%s failed: %s", j->trigger->name, strerror(-tt.rc));
		ok = false;
	}

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; k < c->n_dmabufs; k++, a++)
			drain_events(&c->inst[i], k, t0, &times[a]);

	/* state while revoked, then undo the trigger */
	if (j->trigger->restore && !j->trigger->permanent) {
		err = c->inst[0].imp.ops->map(&c->inst[0].imp, &c->inst[0].att[0]);
		json_object_object_add(it, "map_while_revoked_errno", json_object_new_int(-err));
		if (!err) {
			case_fail(c, "iteration %u: the exporter allowed a map while revoked", idx);
			ok = false;
		}
	}
	restore_start = p2pb_now_ns();
	if (j->trigger->permanent) {
		err = j->trigger->restore(&c->dev);
		restore_end = p2pb_now_ns();
		if (!err)
			err = reexport(c, it);
	} else if (j->trigger->restore) {
		err = j->trigger->restore(&c->dev);
		restore_end = p2pb_now_ns();
	} else {
		err = 0;
		restore_end = restore_start;
	}
	if (err) {
		case_fail(c, "iteration %u: undoing %s failed: %s", idx, j->trigger->name,
			  p2pb_error()[0] ? p2pb_error() : strerror(-err));
		ok = false;
	}
	if (j->trigger->restore)
		json_object_object_add(it, "unrevoke_ns", p2pb_json_u64(restore_end - restore_start));
	err = remap_all(c, &remap_done);
	tr[3] = traffic_now(c);
	if (dwell)
		p2pb_sleep_ns(dwell);
	tr[4] = traffic_now(c);
	if (dma) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "before", traffic_json(&tr[0], &tr[1]));
		json_object_object_add(d, "during", traffic_json(&tr[1], &tr[2]));
		json_object_object_add(d, "after", traffic_json(&tr[3], &tr[4]));
		json_object_object_add(d, "stale_transfers", p2pb_json_u64(tr[4].stale_ops - tr[0].stale_ops));
		json_object_object_add(d, "iommu_fault_irqs",
				       p2pb_json_u64(p2pb_iommu_fault_irqs() - fault_irqs));
		json_object_object_add(it, "dma", d);
		if (!warm) {
			c->dma_before += tr[1].bytes - tr[0].bytes;
			c->dma_before_ns += tr[1].ns - tr[0].ns;
			c->dma_during += tr[2].bytes - tr[1].bytes;
			c->dma_during_ns += tr[2].ns - tr[1].ns;
			c->dma_after += tr[4].bytes - tr[3].bytes;
			c->dma_after_ns += tr[4].ns - tr[3].ns;
			c->dma_stale += tr[4].stale_ops - tr[0].stale_ops;
		}
	}
	json_object_object_add(it, "remap_ok", json_object_new_boolean(!err));
	json_object_object_add(it, "remap_ns", p2pb_json_u64(remap_done - restore_end));
	if (err) {
		case_fail(c, "iteration %u: importers could not map again after %s: %s", idx,
			  j->trigger->name, strerror(-err));
		ok = false;
	}

	atts = json_object_new_array();
	for (a = 0, i = 0; i < c->n_inst; i++) {
		bool never = c->inst[i].imp.spec.delay_kind == P2PB_DELAY_NEVER_UNMAP;

		for (k = 0; k < c->n_dmabufs; k++, a++) {
			struct att_times *t = &times[a];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "importer", json_object_new_int((int)i));
			json_object_object_add(o, "dmabuf", json_object_new_int((int)k));
			json_object_object_add(o, "invalidated", json_object_new_boolean(t->got_inv));
			json_object_object_add(o, "unmapped", json_object_new_boolean(t->got_unmap));
			if (!t->got_inv || !t->got_unmap) {
				case_fail(c, "iteration %u: importer %u dma-buf %u was %s", idx, i, k,
					  !t->got_inv ? "never invalidated" : "never unmapped");
				ok = false;
				json_object_array_add(atts, o);
				continue;
			}
			json_object_object_add(o, "trigger_to_invalidate_ns", p2pb_json_u64(t->inv_ts - t0));
			json_object_object_add(o, "invalidate_to_unmap_ns", p2pb_json_u64(t->unmap_ts - t->inv_ts));
			json_object_object_add(o, "injected_delay_ns",
					       t->armed_delay == P2PB_DELAY_NEVER ? NULL : p2pb_json_u64(t->armed_delay));
			json_object_object_add(o, "unmap_cause", json_object_new_string(unmap_cause_name(t->unmap_cause)));
			json_object_object_add(o, "later_invalidates", json_object_new_int((int)t->later_invalidates));
			if (t->unmap_cause == P2PB_UNMAP_BY_REQUEST && !never) {
				case_fail(c, "iteration %u: importer %u did not unmap within the quiesce timeout", idx, i);
				ok = false;
			}
			if (t->unmap_ts > last_unmap)
				last_unmap = t->unmap_ts;
			if (!warm) {
				p2pb_hist_add(&c->h_t2i, t->inv_ts - t0);
				p2pb_hist_add(&c->h_i2u, t->unmap_ts - t->inv_ts);
			}
			json_object_array_add(atts, o);
		}
	}
	if (s->trace.on) {
		json_object *kev = json_object_new_array();

		p2pb_trace_collect(&s->trace, t0, kev);
		json_object_object_add(it, "kernel_events", kev);
	}
	json_object_object_add(it, "forced_unmap", json_object_new_boolean(forced));
	if (last_unmap)
		json_object_object_add(it, "revoke_to_quiesce_ns", p2pb_json_u64(last_unmap - t0));
	json_object_object_add(it, "attachments", atts);
	json_object_array_add(c->iters, it);

	if (!warm) {
		c->measured++;
		p2pb_hist_add(&c->h_trigger, tt.end_ns - t0);
		if (last_unmap)
			p2pb_hist_add(&c->h_r2q, last_unmap - t0);
		if (j->trigger->restore)
			p2pb_hist_add(&c->h_unrevoke, restore_end - restore_start);
		p2pb_hist_add(&c->h_remap, remap_done - restore_end);
		c->failed_iters += !ok;
		c->forced_iters += forced;
	}
	if (last_unmap)
		p2pb_session_progress(s, "%s %u/%u revoke-to-quiesce %.1f ms", j->name,
				      warm ? 0 : c->measured, j->iterations, (double)(last_unmap - t0) / 1e6);
	free(times);
	return ok;
}

struct tl_entry {
	int64_t t;
	char text[200];
};

static int tl_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct tl_entry *)a)->t, y = ((const struct tl_entry *)b)->t;

	return x < y ? -1 : x > y;
}

static int64_t jint(json_object *o, const char *key, bool *ok)
{
	json_object *v;

	*ok = json_object_object_get_ex(o, key, &v) && v;
	return *ok ? json_object_get_int64(v) : 0;
}

/* One iteration as a merged timeline: ours, the importers' and the kernel's. */
static void print_timeline(const char *trigger, json_object *it)
{
	struct tl_entry e[256];
	json_object *arr, *o;
	unsigned int n = 0;
	size_t i;
	bool ok, ok2;
	int64_t v, w;

	printf("iteration %" PRId64 " (t0 = %.6f s CLOCK_MONOTONIC)\n", jint(it, "index", &ok),
	       (double)jint(it, "t0_ns", &ok2) / 1e9);
	e[n].t = 0;
	snprintf(e[n++].text, sizeof(e[0].text), "p2pbench   %s starts", trigger);
	v = jint(it, "trigger_ns", &ok);
	e[n].t = v;
	snprintf(e[n++].text, sizeof(e[0].text), "p2pbench   %s returns (errno %" PRId64 ")", trigger,
		 jint(it, "trigger_errno", &ok));
	if ((v = jint(it, "bar_read_start_ns", &ok)), ok) {
		w = jint(it, "bar_read_ns", &ok2);
		e[n].t = v + w;
		snprintf(e[n++].text, sizeof(e[0].text), "p2pbench   BAR read returns after %.3f ms",
			 (double)w / 1e6);
	}
	if (json_object_object_get_ex(it, "attachments", &arr))
		for (i = 0; i < json_object_array_length(arr) && n < 250; i++) {
			int64_t imp, buf;

			o = json_object_array_get_idx(arr, i);
			imp = jint(o, "importer", &ok);
			buf = jint(o, "dmabuf", &ok);
			if ((v = jint(o, "trigger_to_invalidate_ns", &ok)), !ok)
				continue;
			e[n].t = v;
			snprintf(e[n++].text, sizeof(e[0].text), "importer%-2" PRId64 " invalidate, dma-buf %" PRId64,
				 imp, buf);
			e[n].t = v + jint(o, "invalidate_to_unmap_ns", &ok);
			snprintf(e[n++].text, sizeof(e[0].text), "importer%-2" PRId64 " unmap, dma-buf %" PRId64, imp, buf);
		}
	if (json_object_object_get_ex(it, "kernel_events", &arr))
		for (i = 0; i < json_object_array_length(arr) && n < 255; i++) {
			json_object *ev, *args;

			o = json_object_array_get_idx(arr, i);
			json_object_object_get_ex(o, "event", &ev);
			json_object_object_get_ex(o, "args", &args);
			e[n].t = jint(o, "t_ns", &ok);
			snprintf(e[n++].text, sizeof(e[0].text), "kernel     %s %s", json_object_get_string(ev),
				 json_object_get_string(args));
		}
	qsort(e, n, sizeof(e[0]), tl_cmp);
	for (i = 0; i < n; i++)
		printf("  %+12.3f ms  %s\n", (double)e[i].t / 1e6, e[i].text);
}

static json_object *case_json(struct case_run *c)
{
	const struct p2pb_job *j = c->job;
	json_object *o = json_object_new_object(), *imps = json_object_new_array(), *sum, *bufs;
	unsigned int i, k;

	json_object_object_add(o, "name", json_object_new_string(j->name));
	json_object_object_add(o, "trigger", json_object_new_string(j->trigger->name));
	json_object_object_add(o, "device", json_object_new_string(j->device));
	json_object_object_add(o, "bar", json_object_new_int((int)j->bar));
	bufs = json_object_new_array();
	for (k = 0; k < c->n_dmabufs; k++) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "offset", p2pb_json_u64(c->range[k].offset));
		json_object_object_add(b, "length", p2pb_json_u64(c->range[k].length));
		json_object_array_add(bufs, b);
	}
	json_object_object_add(o, "dmabufs", bufs);
	for (i = 0; i < c->n_inst; i++) {
		json_object *im = json_object_new_object(), *d = json_object_new_array();
		const struct p2pb_importer *imp = &c->inst[i].imp;

		json_object_object_add(im, "spec", json_object_new_string(imp->spec.text));
		json_object_object_add(im, "kind", json_object_new_string(imp->spec.kind));
		json_object_object_add(im, "attach", json_object_new_string(p2pb_attach_mode_name(imp->spec.attach_mode)));
		json_object_object_add(im, "device", json_object_new_string(imp->dev_bdf));
		if (imp->spec.delay_kind == P2PB_DELAY_NEVER_UNMAP) {
			json_object_object_add(im, "unmap", json_object_new_string("never"));
		} else {
			json_object_object_add(im, "unmap", json_object_new_string(
				imp->spec.delay_kind == P2PB_DELAY_FIXED ? "fixed" : "distribution"));
			for (k = 0; k < imp->n_delays; k++)
				json_object_array_add(d, p2pb_json_u64(imp->delays_ns[k]));
		}
		json_object_object_add(im, "delays_ns", d);
		json_object_array_add(imps, im);
	}
	json_object_object_add(o, "importers", imps);
	json_object_object_add(o, "iterations_requested", json_object_new_int((int)j->iterations));
	json_object_object_add(o, "iterations_measured", json_object_new_int((int)c->measured));
	json_object_object_add(o, "quiesce_timeout_ns", p2pb_json_u64(j->quiesce_timeout_ns));
	json_object_object_add(o, "status", json_object_new_string(c->skip[0] ? "skip" : c->fail[0] ? "fail" : "pass"));
	if (c->skip[0] || c->fail[0])
		json_object_object_add(o, "reason", json_object_new_string(c->skip[0] ? c->skip : c->fail));
	sum = json_object_new_object();
	json_object_object_add(sum, "revoke_to_quiesce_ns", p2pb_json_summary(&c->h_r2q));
	json_object_object_add(sum, "trigger_ns", p2pb_json_summary(&c->h_trigger));
	json_object_object_add(sum, "trigger_to_invalidate_ns", p2pb_json_summary(&c->h_t2i));
	json_object_object_add(sum, "invalidate_to_unmap_ns", p2pb_json_summary(&c->h_i2u));
	json_object_object_add(sum, "unrevoke_ns", p2pb_json_summary(&c->h_unrevoke));
	json_object_object_add(sum, "remap_ns", p2pb_json_summary(&c->h_remap));
	json_object_object_add(sum, "config_read_ns", p2pb_json_summary(&c->h_cfg));
	json_object_object_add(sum, "bar_read_ns", p2pb_json_summary(&c->h_bar));
	json_object_object_add(sum, "forced_iterations", json_object_new_int((int)c->forced_iters));
	json_object_object_add(o, "kernel_log", p2pb_json_kmsg(&c->klog));
	json_object_object_add(o, "iommu_fault_irqs", p2pb_json_u64(p2pb_iommu_fault_irqs() - c->fault_irqs_start));
	if (any_dma(c)) {
		json_object *d = json_object_new_object();
		struct traffic z = { 0 }, t;

		t = (struct traffic){ c->dma_before_ns, c->dma_before, 0 };
		json_object_object_add(d, "before", traffic_json(&z, &t));
		t = (struct traffic){ c->dma_during_ns, c->dma_during, 0 };
		json_object_object_add(d, "during", traffic_json(&z, &t));
		t = (struct traffic){ c->dma_after_ns, c->dma_after, 0 };
		json_object_object_add(d, "after", traffic_json(&z, &t));
		json_object_object_add(d, "stale_transfers", p2pb_json_u64(c->dma_stale));
		json_object_object_add(sum, "dma", d);
	}
	json_object_object_add(o, "summary", sum);
	json_object_object_add(o, "iterations", json_object_get(c->iters));
	return o;
}

static void print_row(const char *name, const char *metric, const struct p2pb_hist *h)
{
	char b[4][32];

	if (!h->count)
		return;
	printf("%-28.28s %-22s %10s %10s %10s %10s\n", name, metric,
	       p2pb_fmt_ns(p2pb_hist_percentile(h, 50), b[0], 32),
	       p2pb_fmt_ns(p2pb_hist_percentile(h, 90), b[1], 32),
	       p2pb_fmt_ns(p2pb_hist_percentile(h, 99), b[2], 32), p2pb_fmt_ns(h->max, b[3], 32));
}

static void print_case(struct case_run *c)
{
	const char *n = c->job->name;

	print_row(n, "revoke-to-quiesce", &c->h_r2q);
	print_row("", "trigger syscall", &c->h_trigger);
	print_row("", "trigger->invalidate", &c->h_t2i);
	print_row("", "invalidate->unmap", &c->h_i2u);
	print_row("", "un-revoke", &c->h_unrevoke);
	print_row("", "remap", &c->h_remap);
	print_row("", "config read meanwhile", &c->h_cfg);
	print_row("", "BAR read meanwhile", &c->h_bar);
	if (any_dma(c))
		printf("%-28.28s device DMA: %.1f KB/s before, %.1f during, %.1f after the revoke; "
		       "%llu transfers after unmap\n", "",
		       c->dma_before_ns ? (double)c->dma_before * 1e6 / (double)c->dma_before_ns : 0.0,
		       c->dma_during_ns ? (double)c->dma_during * 1e6 / (double)c->dma_during_ns : 0.0,
		       c->dma_after_ns ? (double)c->dma_after * 1e6 / (double)c->dma_after_ns : 0.0,
		       (unsigned long long)c->dma_stale);
	if (c->klog.warnings || c->klog.bugs || c->klog.revoke_timeouts || c->klog.dmar_faults)
		printf("%-28.28s kernel log: %u WARN, %u BUG/Oops, %u revoke timeouts, %u DMAR faults\n", "",
		       c->klog.warnings, c->klog.bugs, c->klog.revoke_timeouts, c->klog.dmar_faults);
	if (c->skip[0])
		printf("%-28.28s SKIP: %s\n", n, c->skip);
	else if (c->fail[0])
		printf("%-28.28s FAIL (%u/%u iterations): %s\n", c->h_r2q.count ? "" : n, c->failed_iters,
		       c->measured, c->fail);
	else
		printf("%-28.28s PASS %u iterations%s\n", "", c->measured,
		       c->forced_iters ? ", stuck importer released by quiesce timeout" : "");
}

int p2pb_revoke_case(struct p2pb_session *s, const struct p2pb_job *j, json_object *cases,
		     struct p2pb_ktap *ktap, bool quiet)
{
	struct case_run c;
	unsigned int it;
	int err, rc = 0;
	char desc[160];

	memset(&c, 0, sizeof(c));
	c.job = j;
	c.iters = json_object_new_array();
	p2pb_hist_init(&c.h_trigger);
	p2pb_hist_init(&c.h_r2q);
	p2pb_hist_init(&c.h_t2i);
	p2pb_hist_init(&c.h_i2u);
	p2pb_hist_init(&c.h_unrevoke);
	p2pb_hist_init(&c.h_remap);
	p2pb_hist_init(&c.h_cfg);
	p2pb_hist_init(&c.h_bar);
	p2pb_clear_error();
	p2pb_kmsg_open(&c.kmsg);	/* without it the kernel_log counts stay 0 */
	c.fault_irqs_start = p2pb_iommu_fault_irqs();

	err = setup_case(&c, s);
	if (err)
		case_fail(&c, "%s", p2pb_error());
	for (it = 0; !err && !c.skip[0] && it < j->warmup + j->iterations && !p2pb_interrupted; it++) {
		/* a failing iteration is data too: keep going */
		one_iteration(&c, s, it, it < j->warmup);
		if (!c.dev_open || c.dev.device_fd < 0 || c.kernel_stuck)
			break;	/* the device did not come back: nothing more to measure */
	}
	p2pb_session_progress_done(s);
	p2pb_kmsg_scan(&c.kmsg, &c.klog);
	p2pb_kmsg_close(&c.kmsg);
	snprintf(desc, sizeof(desc), "revoke.%s", j->name);
	if (c.skip[0]) {
		p2pb_ktap_result(ktap, P2PB_KTAP_SKIP, desc, c.skip);
	} else if (c.fail[0]) {
		p2pb_ktap_result(ktap, P2PB_KTAP_FAIL, desc, c.fail);
		rc = 1;
	} else {
		p2pb_ktap_result(ktap, P2PB_KTAP_OK, desc, NULL);
	}
	json_object_array_add(cases, case_json(&c));
	if (!quiet)
		print_case(&c);
	if (c.kernel_stuck) {
		/* closing the device would block behind the stuck trigger */
		p2pb_kernel_stuck = 1;
		json_object_put(c.iters);
		return 1;
	}
	teardown_case(&c);
	json_object_put(c.iters);
	return rc;
}

static void usage(FILE *f, bool as_trace)
{
	unsigned int i;

	if (as_trace)
		fprintf(f,
			"Usage: p2pbench trace [revoke options]\n\n"
			"A revoke run (options below) that also records the kernel's side of every\n"
			"revoke from tracefs, on the same CLOCK_MONOTONIC timeline as p2pbench's and the\n"
			"importers' own timestamps (trace_clock mono), and prints each iteration as one\n"
			"merged timeline. Kernel events come from the vfio_pci_dmabuf tracepoints of a\n"
			"patched vfio-pci (kernel/vfio) or, on a stock kernel, from kprobes on\n"
			"vfio_pci_dma_buf_move (entry and return), dma_buf_invalidate_mappings and\n"
			"vfio_pci_dma_buf_unmap. They are also in the JSON (kernel_events).\n"
			"Same as: p2pbench revoke --trace --timeline ...\n\n");
	fprintf(f,
		"Usage: p2pbench revoke --device BDF --trigger NAME --importer SPEC [options]\n"
		"       p2pbench revoke --job FILE [options]\n\n"
		"Exports BAR ranges of a vfio-pci device as dma-bufs, attaches importers, and\n"
		"pulls a revoke trigger repeatedly. Per iteration it measures the trigger\n"
		"syscall, trigger->invalidate and invalidate->unmap per importer, and\n"
		"revoke-to-quiesce (trigger start -> last importer unmapped); then undoes the\n"
		"trigger and checks that every importer maps again. See docs/methodology.md.\n\n"
		"Options (each is also a job-file key without the dashes):\n"
		"  -d, --device BDF        exporter, bound to vfio-pci\n"
		"  -b, --bar N             BAR to export (default 2)\n"
		"      --offset SIZE, --size SIZE, --dmabufs N\n"
		"  -t, --trigger LIST      comma list or 'all': one case per trigger\n"
		"  -i, --importer SPEC     repeatable: importers attached together\n"
		"  -n, --iterations N      measured iterations (default 10)\n"
		"      --warmup N          unmeasured iterations first (default 1)\n"
		"      --quiesce-timeout D force-unmap a stuck importer after D (default 10s)\n"
		"      --seed N            seed for delay distributions\n"
		"      --dwell D           measure importer DMA for D before and after each revoke\n"
		"                          (default 400ms with dma= importers)\n"
		"      --config-probe 0|1  time a config-space read and a BAR read issued 2 ms into\n"
		"                          each revoke (how long vfio-pci holds up other users)\n"
		"      --name TEXT         case name\n"
		"  -j, --job FILE          fio-style INI job file; options above are defaults\n"
		"      --bind              rebind the device(s) to vfio-pci for the run and\n"
		"                          restore the original driver afterwards (Ctrl-C too)\n"
		"      --json FILE         write the versioned result document (- for stdout)\n"
		"      --ktap FILE         write KTAP pass/fail lines (- for stdout)\n"
		"  -q, --quiet             no table\n"
		"      --trace             record kernel events of each revoke (tracefs; see 'p2pbench trace')\n"
		"      --timeline          print each iteration as a merged timeline\n"
		"  -h, --help\n\n"
		"Triggers:\n");
	for (i = 0; p2pb_triggers[i]; i++)
		fprintf(f, "  %-10s %s\n", p2pb_triggers[i]->name, p2pb_triggers[i]->help);
	fprintf(f,
		"\nImporters: KIND[:key=value,...]\n"
		"  kmod      the p2pbench_importer test module (kernel/importer)\n"
		"    delay=0|DURATION|never|uniform:MIN:MAX|exp:MEAN|lognormal:MEDIAN:SIGMA\n"
		"              when to unmap after an invalidate (default 0 = inside the callback)\n"
		"    count=N   N identical importers    dev=BDF  PCI function to attach as\n"
		"              (default: the exporter)   attach=dynamic|static|nonrevocable|no-p2p\n"
		"    dma=SIZE  the device (a QEMU edu bound to the module) writes SIZE bytes\n"
		"              (1..4095) into the mapping per transfer, holding a fence for each;\n"
		"              dma-interval=D between transfers; dma-after-unmap=1: a misbehaving\n"
		"              device that keeps writing to its old IOVA (the IOMMU must fault)\n"
		"\nJob file keys:\n%s"
		"\nExample:\n"
		"  p2pbench revoke --device 0000:01:00.0 --bar 2 --trigger flr \\\n"
		"      --importer kmod:delay=200ms,dev=0000:02:00.0 --iterations 50 --json out.json\n"
		"\nExit status: 0 all cases passed or skipped, 1 a case failed, 2 bad input,\n"
		"130 interrupted (partial results are still written).\n",
		p2pb_job_keys_help);
}

static int revoke_main(int argc, char **argv, bool as_trace)
{
	static const struct option opts[] = {
		{ "device", required_argument, 0, 'd' }, { "bar", required_argument, 0, 'b' },
		{ "offset", required_argument, 0, 'O' }, { "size", required_argument, 0, 'S' },
		{ "dmabufs", required_argument, 0, 'D' }, { "trigger", required_argument, 0, 't' },
		{ "importer", required_argument, 0, 'i' }, { "iterations", required_argument, 0, 'n' },
		{ "warmup", required_argument, 0, 'W' }, { "quiesce-timeout", required_argument, 0, 'Q' },
		{ "seed", required_argument, 0, 'R' }, { "name", required_argument, 0, 'N' },
		{ "config-probe", required_argument, 0, 'P' }, { "trace", no_argument, 0, 'X' },
		{ "timeline", no_argument, 0, 'L' }, { "dwell", required_argument, 0, 'G' },
		{ "job", required_argument, 0, 'j' }, { "bind", no_argument, 0, 'B' },
		{ "json", required_argument, 0, 'J' }, { "ktap", required_argument, 0, 'K' },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0 },
	};
	struct p2pb_job defaults, *jobs = NULL;
	const char *job_file = NULL, *json_path = NULL, *ktap_path = NULL, *triggers = NULL;
	struct p2pb_session s;
	struct p2pb_ktap ktap = { 0 };
	json_object *doc, *cases;
	unsigned int n_jobs = 0, i;
	bool bind = false, quiet = false, trace = as_trace, timeline = as_trace;
	int opt, rc = 0, err;

	p2pb_job_defaults(&defaults);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:b:t:i:n:j:qh", opts, NULL)) != -1) {
		const char *key = NULL;
		unsigned int o;

		switch (opt) {
		case 'j': job_file = optarg; continue;
		case 'B': bind = true; continue;
		case 'J': json_path = optarg; continue;
		case 'K': ktap_path = optarg; continue;
		case 'q': quiet = true; continue;
		case 'X': trace = true; continue;
		case 'L': timeline = true; continue;
		case 'h': usage(stdout, as_trace); return 0;
		case 't':
			if (strchr(optarg, ',') || !strcmp(optarg, "all")) {
				triggers = optarg;
				continue;
			}
			break;
		case '?': usage(stderr, as_trace); return 2;
		}
		for (o = 0; opts[o].name; o++)
			if (opts[o].val == opt)
				key = opts[o].name;
		if (p2pb_job_set(&defaults, key, optarg)) {
			fprintf(stderr, "p2pbench revoke: --%s %s: %s\n", key, optarg, p2pb_error());
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench revoke: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (job_file) {
		if (triggers)
			err = p2pb_fail(-EINVAL, "a trigger list on the command line cannot be combined with --job; put it in the file");
		else
			err = p2pb_job_file_parse(job_file, &defaults, &jobs, &n_jobs);
	} else {
		err = p2pb_job_expand(&defaults, triggers, &jobs, &n_jobs);
		if (!err && !jobs[0].name[0])
			snprintf(jobs[0].name, sizeof(jobs[0].name), "%s", jobs[0].trigger ? jobs[0].trigger->name : "");
		for (i = 0; !err && i < n_jobs; i++)
			err = p2pb_job_check(&jobs[i]);
	}
	if (err) {
		fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
		free(jobs);
		return 2;
	}

	/* Everything that can be refused is refused before anything changes. */
	p2pb_session_init(&s, quiet);
	for (i = 0; i < n_jobs; i++) {
		if ((err = p2pb_session_claim_device(&s, jobs[i].device, bind))) {
			fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
			p2pb_session_finish(&s);
			free(jobs);
			return 2;
		}
	}
	if (trace && p2pb_trace_start(&s.trace)) {
		fprintf(stderr, "p2pbench %s: %s\n", as_trace ? "trace" : "revoke", p2pb_error());
		p2pb_session_finish(&s);
		free(jobs);
		return 2;
	}
	if (ktap_path && p2pb_ktap_open(&ktap, ktap_path, (int)n_jobs)) {
		fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
		p2pb_session_finish(&s);
		free(jobs);
		return 2;
	}

	doc = p2pb_result_new("revoke", argc, argv);
	cases = json_object_new_array();
	json_object_object_add(doc, "cases", json_object_get(cases));
	if (!quiet)
		printf("%-28s %-22s %10s %10s %10s %10s\n", "CASE", "METRIC", "p50", "p90", "p99", "max");
	for (i = 0; i < n_jobs && !p2pb_interrupted && !p2pb_revoke_kernel_stuck(); i++) {
		rc |= p2pb_revoke_case(&s, &jobs[i], cases, &ktap, quiet);
		if (timeline) {
			json_object *c = json_object_array_get_idx(cases, json_object_array_length(cases) - 1), *its;
			size_t k;

			printf("\n%s: timeline (%s)\n", jobs[i].name,
			       !s.trace.on ? "no kernel events" : s.trace.tracepoints ?
			       "kernel: vfio_pci_dmabuf tracepoints" : "kernel: kprobes");
			if (json_object_object_get_ex(c, "iterations", &its))
				for (k = 0; k < json_object_array_length(its); k++)
					print_timeline(jobs[i].trigger->name, json_object_array_get_idx(its, k));
		}
		json_object_object_add(doc, "interrupted", json_object_new_boolean(p2pb_interrupted));
		json_object_object_add(doc, "kernel_stuck", json_object_new_boolean(p2pb_revoke_kernel_stuck()));
		if (json_path && p2pb_result_write(doc, json_path))
			fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
	}
	if (p2pb_revoke_kernel_stuck()) {
		if (ktap.f)
			fprintf(ktap.f, "Bail out! a revoke trigger is stuck in the kernel\n");
		p2pb_ktap_close(&ktap);
		fprintf(stderr, "p2pbench revoke: a trigger is stuck in the kernel; results written, "
			"device bindings left as they are\n");
		fflush(NULL);
		_exit(1);	/* exit() would wait for the stuck thread's files */
	}
	if (p2pb_interrupted) {
		if (ktap.f)
			fprintf(ktap.f, "Bail out! interrupted\n");
		json_object_object_add(doc, "interrupted", json_object_new_boolean(true));
		if (json_path && p2pb_result_write(doc, json_path))
			fprintf(stderr, "p2pbench revoke: %s\n", p2pb_error());
		fprintf(stderr, "p2pbench revoke: interrupted; partial results written%s\n",
			json_path ? "" : " (none requested)");
		rc = 130;
	}
	p2pb_ktap_close(&ktap);
	json_object_put(cases);
	json_object_put(doc);
	if (p2pb_session_finish(&s) && !rc)
		rc = 1;
	free(jobs);
	return rc;
}

int p2pb_cmd_revoke(int argc, char **argv)
{
	return revoke_main(argc, argv, false);
}

/* p2pbench trace: a revoke run with kernel events and a merged timeline. */
int p2pb_cmd_trace(int argc, char **argv)
{
	return revoke_main(argc, argv, true);
}
