// SPDX-License-Identifier: GPL-2.0
/*
 * One revoke case: export BAR ranges of a vfio-pci device as dma-bufs,
 * attach importers, then per iteration run the phases
 *
 *   before   every importer mapped, traffic measured, old events drained
 *   trigger  the trigger syscall on its own thread (a config/BAR probe beside it)
 *   quiesce  until the trigger returned and every importer unmapped
 *   revoked  events read; a map must fail; traffic while revoked
 *   restore  the trigger undone (close: new dma-bufs, the old must stay revoked)
 *   remap    every importer maps again
 *   after    traffic, kernel log, verdict, histograms
 *
 * Everything measured lands in struct p2pb_case_result; case_format.c formats it.
 */
#define _GNU_SOURCE
#include "case.h"

#include "child.h"
#include "clock.h"
#include "error.h"
#include "fold.h"
#include "verify.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* set when a trigger never returned: nothing more is safe to do */
static volatile int kernel_stuck;

bool p2pb_case_kernel_stuck(void)
{
	return kernel_stuck;
}

#define EVENTS_MAX 1024		/* drained per attachment at once */

struct att_state {
	struct p2pb_attachment att;
	bool attached;
	struct p2pb_fold fold;		/* its fences pending across iterations */
};

struct imp_inst {
	struct p2pb_engine e;
	struct att_state *a;		/* one per dma-buf of the case */
};

#define EOPS(in) ((in)->e.spec->ops)

struct case_run {
	struct p2pb_case_result *r;
	const struct p2pb_job *job;
	struct p2pb_session *s;
	struct p2pb_exporter *x;
	struct p2pb_export exp[P2PB_MAX_DMABUFS];
	struct imp_inst *inst;
	unsigned int n_inst;
	struct p2pb_kmsg kmsg;
	struct p2pb_kmsg_counts outside;	/* logged outside any iteration */
	unsigned long long fault_irqs_start;
	uint32_t verify_seq;			/* --verify: the latest fill (0: none yet) */
};

#define for_each_att(c, i, k) \
	for ((i) = 0; (i) < (c)->n_inst; (i)++) \
		for ((k) = 0; (k) < (c)->r->n_dmabufs; (k)++)

static int export_all(struct case_run *c)
{
	unsigned int i;
	int err;

	for (i = 0; i < c->r->n_dmabufs; i++) {
		err = c->x->ops->export(c->x, c->job->bar, &c->r->range[i], &c->exp[i]);
		if (err)
			return p2pb_fail(err, "exporting BAR%u [%#llx, +%#llx) of %s as a dma-buf failed: %s",
					 c->job->bar, (unsigned long long)c->r->range[i].offset,
					 (unsigned long long)c->r->range[i].length, c->x->name, strerror(-err));
	}
	return 0;
}

static void unexport_all(struct case_run *c)
{
	unsigned int i;

	for (i = 0; i < P2PB_MAX_DMABUFS; i++) {
		if (c->exp[i].ops)
			c->x->ops->unexport(c->x, &c->exp[i]);
		c->exp[i] = (struct p2pb_export){ .fd = -1 };
	}
}

/* A refused attach is C5 holding; an accepted one breaks it. Either way the case ends. */
/* Clause C5: an importer the exporter must refuse; either way the case ends. */
static int attach_refusable(struct case_run *c, const char *mode, int err)
{
	p2pb_verdict_attach(&c->r->verdict, mode, err);
	return -ECANCELED;
}

static int attach_one(struct case_run *c, struct imp_inst *in, unsigned int k)
{
	struct att_state *st = &in->a[k];
	const char *unrevocable = EOPS(in)->unrevocable ? EOPS(in)->unrevocable(in->e.spec->opts) : NULL;
	int err;

	memset(st, 0, sizeof(*st));
	err = EOPS(in)->attach(&in->e, &c->exp[k], &st->att);
	st->attached = !err;
	if (unrevocable)
		return attach_refusable(c, unrevocable, err);
	if (err)
		return p2pb_fail(err, "importer %s could not attach to dma-buf %u: %s%s", in->e.spec->text, k,
				 p2pb_error()[0] ? p2pb_error() : strerror(-err),
				 err == -EOPNOTSUPP ? " (VFIO accepts only dynamic, revocable importers that allow peer-to-peer)" : "");
	if (st->att.map_err)
		return p2pb_fail(st->att.map_err, "importer %s attached but could not map dma-buf %u: %s%s",
				 in->e.spec->text, k, strerror(-st->att.map_err),
				 st->att.map_err == -EINVAL ? " (no peer-to-peer path between the devices: see docs/lab.md)" : "");
	return 0;
}

static int attach_all(struct case_run *c)
{
	unsigned int i, k;
	int err;

	for_each_att(c, i, k)
		if ((err = attach_one(c, &c->inst[i], k)))
			return err;
	return 0;
}

static void detach_all(struct case_run *c)
{
	unsigned int i, k;

	for (i = 0; i < c->n_inst; i++)
		for (k = 0; k < c->r->n_dmabufs && c->inst[i].a; k++)
			if (c->inst[i].a[k].attached) {
				EOPS(&c->inst[i])->detach(&c->inst[i].e, &c->inst[i].a[k].att);
				c->inst[i].a[k].attached = false;
			}
}

static bool moves_data(const struct imp_inst *in)
{
	return EOPS(in)->moves_data && EOPS(in)->moves_data(in->e.spec->opts);
}

static int start_dma(struct case_run *c)
{
	unsigned int i, k;
	int err;

	for_each_att(c, i, k)
		if (moves_data(&c->inst[i]) && (err = EOPS(&c->inst[i])->start(&c->inst[i].e, &c->inst[i].a[k].att)))
			return err;
	return 0;
}

/* Device traffic summed over every attachment, and when it was read. */
struct traffic {
	uint64_t ns, bytes, stale_ops, revoked_bytes, io_errors, io_timeouts;
	uint64_t stale_checks, stale_landed, stale_unknown;
	uint32_t last_error;
};

static struct traffic traffic_now(struct case_run *c)
{
	struct traffic t = { 0 };
	unsigned int i, k;

	for_each_att(c, i, k) {
		struct p2pb_engine_stats st = { 0 };

		if (moves_data(&c->inst[i]) && !EOPS(&c->inst[i])->stats(&c->inst[i].e, &c->inst[i].a[k].att, &st)) {
			t.bytes += st.bytes;
			t.stale_ops += st.stale_ops;
			t.revoked_bytes += st.revoked_bytes;
			t.stale_checks += st.stale_checks;
			t.stale_landed += st.stale_landed;
			t.stale_unknown += st.stale_unknown;
			t.io_errors += st.io_errors;
			t.io_timeouts += st.io_timeouts;
			if (st.last_error)
				t.last_error = st.last_error;
		}
	}
	t.ns = p2pb_now_ns();
	return t;
}

static struct p2pb_window window(const struct traffic *a, const struct traffic *b)
{
	return (struct p2pb_window){ .bytes = b->bytes - a->bytes, .ns = b->ns - a->ns };
}

static unsigned int count_mapped(struct case_run *c)
{
	unsigned int i, k, n = 0;

	for_each_att(c, i, k) {
		struct p2pb_engine_stats st = { 0 };

		if (!EOPS(&c->inst[i])->stats(&c->inst[i].e, &c->inst[i].a[k].att, &st))
			n += st.mapped;
	}
	return n;
}

static void force_unmap_all(struct case_run *c)
{
	unsigned int i, k;

	for_each_att(c, i, k)
		EOPS(&c->inst[i])->unmap(&c->inst[i].e, &c->inst[i].a[k].att);
}

static int remap_all(struct case_run *c, uint64_t *done_ns)
{
	unsigned int i, k;
	int err, first = 0;

	for_each_att(c, i, k) {
		err = EOPS(&c->inst[i])->map(&c->inst[i].e, &c->inst[i].a[k].att);
		if (err && !first)
			first = err;
	}
	*done_ns = p2pb_now_ns();
	return first;
}

/* ---- importer events: folded by fold.c ---- */

static int read_events(struct imp_inst *in, unsigned int k, struct p2pb_engine_event *ev, uint32_t cap, uint32_t *n)
{
	uint32_t got = 0;
	int err;

	*n = 0;
	do {
		err = EOPS(in)->events(&in->e, &in->a[k].att, ev + *n, cap - *n, &got);
		if (err && err != -EOVERFLOW)
			return err;
		*n += got;
	} while (got && *n < cap);
	return 0;
}

/*
 * Drain one attachment's events. With a window (after a trigger returned)
 * they fill o; without, only the fence bookkeeping is kept. A load's marks
 * after t0 go to lo (when given).
 */
static int drain_events(struct imp_inst *in, unsigned int k, const struct p2pb_fold_window *w, struct p2pb_att_obs *o,
			struct p2pb_load_obs *lo)
{
	struct p2pb_engine_event *ev = calloc(EVENTS_MAX, sizeof(*ev));
	uint32_t n;
	int err;

	if (!ev)
		return -ENOMEM;
	err = read_events(in, k, ev, EVENTS_MAX, &n);
	if (!err)
		p2pb_fold_events(&in->a[k].fold, ev, n, w, o, lo, p2pb_now_ns());
	free(ev);
	return err;
}

static void drain_all(struct case_run *c)
{
	unsigned int i, k;

	for_each_att(c, i, k)
		drain_events(&c->inst[i], k, NULL, NULL, NULL);
}

/* ---- trigger and probe threads ---- */

struct trigger_thread {
	const struct p2pb_trigger_ops *t;
	struct p2pb_exporter *x;
	int rc;
	uint64_t end_ns;
	int done;
	pid_t tid;		/* for its kernel stack if it never comes back */
};

static void *trigger_fn(void *p)
{
	struct trigger_thread *tt = p;

	__atomic_store_n(&tt->tid, gettid(), __ATOMIC_RELEASE);
	tt->rc = tt->t->revoke(tt->x);
	tt->end_ns = p2pb_now_ns();
	__atomic_store_n(&tt->done, 1, __ATOMIC_RELEASE);
	return NULL;
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

#define PROBE_DELAY_NS 2000000ull

static void *probe_fn(void *p)
{
	struct probe_thread *pt = p;
	uint32_t v;
	uint64_t now = p2pb_now_ns();

	if (now < pt->t0 + PROBE_DELAY_NS)
		p2pb_sleep_ns(pt->t0 + PROBE_DELAY_NS - now);
	pt->cfg_start = p2pb_now_ns();
	pt->cfg_rc = p2pb_vfio_cfg_read(pt->dev, PCI_VENDOR_ID, &v, sizeof(v));
	pt->cfg_end = pt->bar_start = p2pb_now_ns();
	pt->bar_rc = p2pb_vfio_bar_read(pt->dev, pt->bar, 0, &v, sizeof(v));
	pt->bar_end = p2pb_now_ns();
	return NULL;
}

static void probe_result(struct p2pb_iter_result *it, const struct probe_thread *pt)
{
	it->probed = true;
	it->cfg_start_ns = pt->cfg_start - it->t0_ns;
	it->cfg_ns = pt->cfg_end - pt->cfg_start;
	it->cfg_errno = -pt->cfg_rc;
	it->bar_start_ns = pt->bar_start - it->t0_ns;
	it->bar_ns = pt->bar_end - pt->bar_start;
	it->bar_errno = -pt->bar_rc;
}

/* The trigger returned: engines that move data may now probe that nothing translates. */
static void tell_trigger_returned(struct case_run *c)
{
	unsigned int i, k;

	for_each_att(c, i, k)
		if (EOPS(&c->inst[i])->trigger_returned)
			EOPS(&c->inst[i])->trigger_returned(&c->inst[i].e, &c->inst[i].a[k].att);
}

/*
 * Wait until the trigger returned and every importer unmapped. Quiesced
 * means unmapped, whether or not the trigger waited for it: a kernel that
 * gives up waiting returns while importers still hold mappings. A stuck
 * importer is released after the quiesce timeout; a trigger still in the
 * kernel after the watchdog with every importer unmapped or released is a
 * hung revoke (returns false, the stack and the importers' state kept).
 */
static bool quiesce(struct case_run *c, struct trigger_thread *tt, struct p2pb_iter_result *it)
{
	uint64_t limit = c->job->quiesce_timeout_ns, unmapped_at = 0;

	it->obs.mapped_at_return = -1;
	for (;;) {
		uint64_t waited = p2pb_now_ns() - it->t0_ns;
		bool returned = __atomic_load_n(&tt->done, __ATOMIC_ACQUIRE);
		unsigned int mapped = count_mapped(c);

		if (returned && it->obs.mapped_at_return < 0) {
			it->obs.mapped_at_return = (int)mapped;
			tell_trigger_returned(c);
		}
		if (returned && (it->obs.mapped_at_return == 0 || !mapped))
			return true;
		if (!mapped && !unmapped_at)
			unmapped_at = waited;
		if (!it->forced_unmap && waited > limit) {
			force_unmap_all(c);
			it->forced_unmap = true;
		}
		if (!returned && waited > c->job->watchdog_ns && (it->forced_unmap || !mapped)) {
			it->obs.trigger_ns = waited;
			it->obs.stuck_mapped = mapped;
			it->obs.stuck_unmapped_for_ns = unmapped_at ? waited - unmapped_at : 0;
			p2pb_kernel_stack(__atomic_load_n(&tt->tid, __ATOMIC_ACQUIRE), it->obs.stuck_in,
					  sizeof(it->obs.stuck_in), it->stuck_stack, sizeof(it->stuck_stack));
			return false;
		}
		p2pb_sleep_ns(waited < 10000000ull ? 100000ull : 1000000ull);
	}
}

/*
 * The patched vfio-pci's exact count of timed-out revoke waits, from debugfs
 * (or the module parameter of an older build); -1 without one.
 */
static long long bound_timeouts(void)
{
	char v[32];

	if (!p2pb_read_file("/sys/kernel/debug/vfio_pci_dmabuf/revoke_timeouts", v, sizeof(v)))
		return strtoll(v, NULL, 10);
	return p2pb_vfio_param_read("revoke_timeouts", v, sizeof(v)) ? -1 : strtoll(v, NULL, 10);
}

/* trigger + quiesce; false when the trigger never came back */
static bool phase_trigger(struct case_run *c, struct p2pb_iter_result *it)
{
	const struct p2pb_job *j = c->job;
	struct trigger_thread tt = { .t = j->trigger, .x = c->x };
	struct probe_thread pt = { .dev = p2pb_exporter_vfio_dev(c->x), .bar = j->bar };
	pthread_t th, probe;
	/* a device to probe; not with close: the fd it would read is the one being closed */
	bool probing = j->config_probe && !j->trigger->permanent && pt.dev;

	it->t0_ns = pt.t0 = p2pb_now_ns();
	if (pthread_create(&th, NULL, trigger_fn, &tt)) {
		it->obs.trigger_returned = true;	/* it never ran: an error, not a hang */
		it->obs.trigger_errno = EAGAIN;
		return true;
	}
	if (probing && pthread_create(&probe, NULL, probe_fn, &pt))
		probing = false;
	if (!quiesce(c, &tt, it)) {
		pthread_detach(th);	/* in the kernel for good: joining would hang */
		if (probing)
			pthread_detach(probe);
		return false;
	}
	pthread_join(th, NULL);
	if (probing) {
		pthread_join(probe, NULL);
		probe_result(it, &pt);
	}
	it->obs.trigger_returned = true;
	it->obs.trigger_ns = tt.end_ns - it->t0_ns;
	it->obs.trigger_errno = -tt.rc;
	return true;
}

/* ---- the phases after the trigger ---- */

static void phase_revoked(struct case_run *c, struct p2pb_iter_result *it)
{
	struct p2pb_fold_window w = { .t0 = it->t0_ns, .trigger_end = it->t0_ns + it->obs.trigger_ns,
				      .requests_are_releases = true };
	struct imp_inst *in0 = &c->inst[0];
	uint64_t last_unmap = 0;
	unsigned int i, k, a = 0;

	for_each_att(c, i, k) {
		struct p2pb_att_obs *o = &it->atts[a++];

		o->importer = i;
		o->dmabuf = k;
		drain_events(&c->inst[i], k, &w, o, &it->load_obs);
		if (o->unmapped && it->t0_ns + p2pb_att_unmap_ns(o) > last_unmap)
			last_unmap = it->t0_ns + p2pb_att_unmap_ns(o);
	}
	if (last_unmap)
		it->revoke_to_quiesce_ns = last_unmap - it->t0_ns;
	if (c->job->trigger->restore && !c->job->trigger->permanent && !it->obs.trigger_errno) {
		it->obs.map_while_revoked_tried = true;
		it->obs.map_while_revoked_errno = -EOPS(in0)->map(&in0->e, &in0->a[0].att);
	}
}

/* close: the old dma-bufs must stay revoked; export new ones and move every importer over */
static int reexport(struct case_run *c, struct p2pb_iter_result *it)
{
	struct imp_inst *in0 = &c->inst[0];
	int err;

	it->obs.old_dmabuf_tried = true;
	it->obs.old_dmabuf_map_errno = -EOPS(in0)->map(&in0->e, &in0->a[0].att);
	detach_all(c);
	unexport_all(c);
	if ((err = export_all(c)) || (err = attach_all(c)))
		return err;
	return start_dma(c);	/* the new attachments move data as the old did */
}

static void phase_restore(struct case_run *c, struct p2pb_iter_result *it)
{
	const struct p2pb_trigger_ops *t = c->job->trigger;
	uint64_t start = p2pb_now_ns();
	int err = 0;

	if (!t->restore) {
		/* flr, hot-reset: the device came back before the syscall returned */
		it->unrevoke_end_ns = it->t0_ns + it->obs.trigger_ns;
		return;
	}
	p2pb_clear_error();
	err = t->restore(c->x);
	it->unrevoke_timed = true;
	it->unrevoke_end_ns = p2pb_now_ns();
	it->unrevoke_ns = it->unrevoke_end_ns - start;
	if (!err && t->permanent)
		err = reexport(c, it);
	if (err) {
		it->obs.unrevoke_failed = true;
		p2pb_verdict_error(&c->r->verdict, "iteration %u: undoing %s failed: %s", it->obs.index, t->name,
				   p2pb_error()[0] ? p2pb_error() : strerror(-err));
	}
}

static void phase_remap(struct case_run *c, struct p2pb_iter_result *it)
{
	uint64_t start = p2pb_now_ns(), done;

	if (it->obs.unrevoke_failed)
		return;
	it->obs.remap_tried = true;
	/* close: the new attachments mapped and started at the re-export, the restore */
	if (!c->job->trigger->permanent)
		it->remap_start_ns = start;
	it->obs.remap_errno = -remap_all(c, &done);
	it->remap_ns = done - start;
}

/* ---- --verify: every 4 KiB block names its own offset (verify.h) ---- */

/*
 * The first fill number is random: a device keeps what a write load copied
 * to it across runs, and a read that brings back an earlier run's fill must
 * not pass for a block the data never arrived in.
 */
static uint32_t verify_seed(void)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint32_t)(p2pb_now_ns() ^ (uint64_t)getpid() << 20);
	return seed;
}

/* Write a new fill's probes (head and tail) into every block of every exported range. */
static int verify_fill(struct case_run *c)
{
	char buf[P2PB_VERIFY_PROBE];
	unsigned int k, p;
	uint64_t b, at;
	int err;

	c->verify_seq = p2pb_verify_next_seq(c->verify_seq, c->verify_seq ? 0 : verify_seed());
	for (k = 0; k < c->r->n_dmabufs; k++)
		for (b = 0; b < c->r->range[k].length / P2PB_VERIFY_BLOCK; b++)
			for (p = 0; p < 2; p++) {
				at = b * P2PB_VERIFY_BLOCK + p2pb_verify_probe_at[p];
				p2pb_verify_fill(b, c->verify_seq, p2pb_verify_probe_at[p], buf, sizeof(buf));
				err = c->x->ops->write(c->x, &c->exp[k], at, buf, sizeof(buf));
				if (err)
					return p2pb_fail(err, "--verify: writing BAR%u at %#llx failed: %s",
							 c->job->bar, (unsigned long long)(c->r->range[k].offset + at),
							 strerror(-err));
			}
	return 0;
}

/* Where in a block the evidence is: "dma-buf 0 block 3 (BAR2 0x3000), bytes 0..63" */
static void block_where(const struct case_run *c, unsigned int k, uint64_t b, size_t at, char *out, size_t len)
{
	uint64_t off = c->r->range[k].offset + b * P2PB_VERIFY_BLOCK + at;

	snprintf(out, len, "dma-buf %u block %llu (BAR%u %#llx), bytes %zu..%zu", k, (unsigned long long)b,
		 c->job->bar, (unsigned long long)off, at, at + P2PB_VERIFY_PROBE - 1);
}

/*
 * Block @b of dma-buf @k: its head and tail, judged against the current
 * fill; @filled: a read completed into it since the fill.
 */
static void verify_block(struct case_run *c, struct p2pb_iter_obs *o, unsigned int k, uint64_t b, bool filled)
{
	const size_t *at = p2pb_verify_probe_at;
	uint64_t off = b * P2PB_VERIFY_BLOCK;	/* in the export */
	char buf[2][P2PB_VERIFY_PROBE], where[96], found[48];
	enum p2pb_block_kind kind[2] = { P2PB_BLOCK_BAD, P2PB_BLOCK_BAD };
	enum p2pb_block_state state;
	uint32_t seq[2] = { 0, 0 };
	int p, err = 0;

	for (p = 0; p < 2; p++) {
		err = c->x->ops->read(c->x, &c->exp[k], off + at[p], buf[p], sizeof(buf[p]));
		kind[p] = err ? P2PB_BLOCK_BAD : p2pb_verify_probe(buf[p], at[p], b, &seq[p]);
		if (kind[p] == P2PB_BLOCK_BAD)
			break;	/* one bad probe makes the block bad */
	}
	state = p2pb_verify_state(kind, seq, c->verify_seq);
	o->data_blocks++;
	o->data_filled += filled;
	o->data_device += state == P2PB_BLOCK_STATE_DEVICE;
	if (p2pb_verify_intact(state, filled))
		return;
	if (state == P2PB_BLOCK_STATE_BAD) {
		if (o->data_bad++)
			return;
		block_where(c, k, b, at[p], where, sizeof(where));
		p2pb_verify_evidence(o->data_evidence, sizeof(o->data_evidence), where, buf[p], err);
		return;
	}
	if (o->data_missing++)
		return;
	/* the probe that still holds the fill */
	p = kind[0] == P2PB_BLOCK_FILL && seq[0] == c->verify_seq ? 0 : 1;
	block_where(c, k, b, at[p], where, sizeof(where));
	p2pb_verify_describe(buf[p], found, sizeof(found));
	snprintf(o->data_missing_evidence, sizeof(o->data_missing_evidence), "%s: read into since fill %u, holds '%s...'",
		 where, c->verify_seq, found);
}

/*
 * The blocks of dma-buf @k a read completed into since its mapping was made
 * (the fill came before the map), from every importer that accounts for
 * them: @bits, zeroed by the caller. False when none does.
 */
static bool verify_filled(struct case_run *c, struct p2pb_iter_obs *o, unsigned int k, uint64_t *bits,
			  uint64_t blocks)
{
	size_t words = (blocks + 63) / 64, w;
	uint64_t *mine = calloc(words, sizeof(*mine)), reads;
	bool tracked = false;
	unsigned int i;
	int err;

	if (!mine) {
		p2pb_verdict_error(&c->r->verdict, "iteration %u: --verify: out of memory", o->index);
		return false;
	}
	for (i = 0; i < c->n_inst; i++) {
		const struct p2pb_engine_ops *ops = EOPS(&c->inst[i]);

		if (!moves_data(&c->inst[i]) || !ops->filled)
			continue;
		memset(mine, 0, words * sizeof(*mine));
		err = ops->filled(&c->inst[i].e, &c->inst[i].a[k].att, mine, blocks, &reads);
		if (err == -EOPNOTSUPP || err == -ENODATA)
			continue;	/* moves no data in, or runs no load on this dma-buf */
		if (err) {
			p2pb_verdict_error(&c->r->verdict, "iteration %u: the blocks importer %s filled: %s", o->index,
					   c->inst[i].e.spec->text, strerror(-err));
			continue;
		}
		tracked = true;
		if (ops->writes_device && ops->writes_device(c->inst[i].e.spec->opts))
			o->data_reads_only = false;
		for (w = 0; w < words; w++)
			bits[w] |= mine[w];
	}
	free(mine);
	return tracked;
}

/*
 * Read back every block of every exported range, while the load goes on.
 * What the importers say they filled is taken first: those blocks hold
 * device data from then on, unless it never arrived.
 */
static void verify_check(struct case_run *c, struct p2pb_iter_obs *o, uint64_t moved_bytes)
{
	uint64_t b, blocks, *bits;
	unsigned int k;

	o->data_checked = true;
	o->data_moved_bytes = moved_bytes;
	o->data_reads_only = true;	/* until an importer that accounts for its reads also writes */
	for (k = 0; k < c->r->n_dmabufs; k++) {
		blocks = c->r->range[k].length / P2PB_VERIFY_BLOCK;
		bits = calloc((blocks + 63) / 64, sizeof(*bits));
		if (!bits) {
			p2pb_verdict_error(&c->r->verdict, "iteration %u: --verify: out of memory", o->index);
			return;
		}
		o->data_tracked |= verify_filled(c, o, k, bits, blocks);
		for (b = 0; b < blocks; b++)
			verify_block(c, o, k, b, bits[b / 64] >> (b % 64) & 1);
		free(bits);
	}
}

/* ---- the load's timeline ---- */

#define BINS_CHUNK 256

static int timeline_grid(struct p2pb_load_obs *lo, uint64_t bin_ns, uint64_t from, uint64_t to)
{
	if (lo->bin_ns)
		return lo->bin_ns == bin_ns ? 0 : -EINVAL;	/* importers with other widths are not summed */
	lo->bin_ns = bin_ns;
	lo->bins_start_ns = from;
	lo->n_bins = (unsigned int)((to - from) / bin_ns);
	lo->bin_bytes = calloc(lo->n_bins + 1, sizeof(*lo->bin_bytes));
	lo->bin_errors = calloc(lo->n_bins + 1, sizeof(*lo->bin_errors));
	return lo->bin_bytes && lo->bin_errors ? 0 : -ENOMEM;
}

/*
 * Sum one attachment's closed bins that start in [from, to) into the
 * iteration's grid (bin 0 starts at from); older bins are the previous
 * iteration's. -EOPNOTSUPP: the engine keeps no bins.
 */
static int collect_bins(struct imp_inst *in, unsigned int k, struct p2pb_load_obs *lo, uint64_t from, uint64_t to)
{
	struct p2pb_engine_bin b[BINS_CHUNK];
	uint64_t bin_ns = 0, idx;
	uint32_t n, i;
	int err;

	if (!EOPS(in)->bins)
		return -EOPNOTSUPP;
	do {
		err = EOPS(in)->bins(&in->e, &in->a[k].att, b, BINS_CHUNK, &n, &bin_ns);
		if (err == -EOVERFLOW)
			lo->bins_dropped = true;
		else if (err)
			return err;
		if (!bin_ns)
			return -EOPNOTSUPP;
		if ((err = timeline_grid(lo, bin_ns, from, to)))
			return err;
		for (i = 0; i < n; i++) {
			if (b[i].start_ns < from || b[i].start_ns >= to)
				continue;
			idx = (b[i].start_ns - from) / bin_ns;
			if (idx < lo->n_bins) {
				lo->bin_bytes[idx] += b[i].bytes;
				lo->bin_errors[idx] += b[i].errors;
			}
		}
	} while (n == BINS_CHUNK);
	return 0;
}

/* After the after-window: the first good I/O after the remap, the bins, the counters. */
static void collect_load(struct case_run *c, struct p2pb_iter_result *it, const struct traffic *from,
			 const struct traffic *to)
{
	struct p2pb_load_obs *lo = &it->load_obs;
	struct p2pb_fold_window marks = { .t0 = it->t0_ns };	/* the load's marks, nothing judged */
	unsigned int i, k;
	bool any = false;

	for_each_att(c, i, k) {
		drain_events(&c->inst[i], k, &marks, NULL, lo);
		if (moves_data(&c->inst[i]))
			any |= !collect_bins(&c->inst[i], k, lo, from->ns, to->ns);
	}
	lo->revoked_bytes = to->revoked_bytes - from->revoked_bytes;
	lo->io_errors = to->io_errors - from->io_errors;
	lo->io_timeouts = to->io_timeouts - from->io_timeouts;
	lo->last_error = lo->io_errors ? to->last_error : 0;
	it->obs.io_errors = lo->io_errors;
	it->obs.io_timeouts = lo->io_timeouts;
	it->load = any;
}

/*
 * Un-revoke to first good I/O: from the later of the un-revoke and the
 * remap request (flr and hot-reset un-revoke inside the trigger, before the
 * dwell while revoked: that dwell is ours, not the system's); 0: not seen.
 */
uint64_t p2pb_load_recovery_ns(const struct p2pb_iter_result *it)
{
	uint64_t from = it->unrevoke_end_ns > it->remap_start_ns ? it->unrevoke_end_ns : it->remap_start_ns;

	return from && it->load_obs.first_after_ns > from ? it->load_obs.first_after_ns - from : 0;
}

/* Good I/O stopped at last_before and resumed at first_after; 0: not seen. */
uint64_t p2pb_load_stall_ns(const struct p2pb_load_obs *lo)
{
	return lo->last_before_ns && lo->first_after_ns > lo->last_before_ns ?
	       lo->first_after_ns - lo->last_before_ns : 0;
}

/* ---- one iteration ---- */

static uint64_t dwell_ns(const struct case_run *c)
{
	const struct p2pb_job *j = c->job;

	return j->dwell_ns != UINT64_MAX ? j->dwell_ns : c->r->dma ? 400000000ull : 0;
}

uint64_t p2pb_window_rate(const struct p2pb_window *w)
{
	return w->ns ? (uint64_t)((double)w->bytes * 1e9 / (double)w->ns) : 0;
}

/* The load's stall and recovery, each when it was seen (0: not). */
static void load_metrics(const struct p2pb_iter_result *it, struct p2pb_metric_values *mv)
{
	uint64_t stall = p2pb_load_stall_ns(&it->load_obs), first_io = p2pb_load_recovery_ns(it);

	if (stall)
		p2pb_metric_set(mv, P2PB_M_LOAD_STALL, stall);
	if (first_io)
		p2pb_metric_set(mv, P2PB_M_LOAD_FIRST_IO, first_io);
}

void p2pb_iter_metrics(const struct p2pb_iter_result *it, struct p2pb_metric_values *mv)
{
	memset(mv, 0, sizeof(*mv));
	p2pb_metric_set(mv, P2PB_M_TRIGGER, it->obs.trigger_ns);
	if (it->revoke_to_quiesce_ns)
		p2pb_metric_set(mv, P2PB_M_REVOKE_TO_QUIESCE, it->revoke_to_quiesce_ns);
	if (it->unrevoke_timed)
		p2pb_metric_set(mv, P2PB_M_UNREVOKE, it->unrevoke_ns);
	if (it->obs.remap_tried)
		p2pb_metric_set(mv, P2PB_M_REMAP, it->remap_ns);
	if (it->probed) {
		p2pb_metric_set(mv, P2PB_M_CONFIG_READ, it->cfg_ns);
		p2pb_metric_set(mv, P2PB_M_BAR_READ, it->bar_ns);
	}
	if (it->dma) {
		p2pb_metric_set(mv, P2PB_M_DMA_BEFORE, p2pb_window_rate(&it->before));
		p2pb_metric_set(mv, P2PB_M_DMA_DURING, p2pb_window_rate(&it->during));
		p2pb_metric_set(mv, P2PB_M_DMA_AFTER, p2pb_window_rate(&it->after));
	}
	if (it->load)
		load_metrics(it, mv);
}

void p2pb_att_metrics(const struct p2pb_att_obs *a, struct p2pb_metric_values *mv)
{
	memset(mv, 0, sizeof(*mv));
	if (a->invalidated)
		p2pb_metric_set(mv, P2PB_M_TRIGGER_TO_INVALIDATE, a->trigger_to_invalidate_ns);
	if (a->invalidated && a->unmapped)
		p2pb_metric_set(mv, P2PB_M_INVALIDATE_TO_UNMAP, a->invalidate_to_unmap_ns);
}

/* Every metric the observation measured that the case keeps a histogram of. */
static void hists_add(struct p2pb_case_result *r, const struct p2pb_metric_values *mv)
{
	unsigned int m;

	for (m = 0; m < P2PB_N_CASE_METRICS; m++)
		if (p2pb_metrics[m].summary && p2pb_metric_has(mv, m))
			p2pb_hist_add(&r->h[m], mv->v[m]);
}

static void add_to_hists(struct p2pb_case_result *r, const struct p2pb_iter_result *it)
{
	struct p2pb_metric_values mv;
	unsigned int a;

	p2pb_iter_metrics(it, &mv);
	hists_add(r, &mv);
	for (a = 0; a < it->obs.n_atts; a++) {
		p2pb_att_metrics(&it->atts[a], &mv);
		/* an attachment's pair or nothing: both summaries count the attachments that unmapped */
		if (!p2pb_metric_has(&mv, P2PB_M_INVALIDATE_TO_UNMAP))
			continue;
		hists_add(r, &mv);
		if (it->atts[a].importer < P2PB_TABLE_IMPORTERS)
			p2pb_hist_add(&r->unmap_by_importer[it->atts[a].importer],
				      mv.v[P2PB_M_INVALIDATE_TO_UNMAP]);
	}
	if (it->dma) {
		r->dma_before.bytes += it->before.bytes, r->dma_before.ns += it->before.ns;
		r->dma_during.bytes += it->during.bytes, r->dma_during.ns += it->during.ns;
		r->dma_after.bytes += it->after.bytes, r->dma_after.ns += it->after.ns;
		r->dma_stale += it->obs.stale_transfers;
	}
	if (it->load) {
		const struct p2pb_load_obs *lo = &it->load_obs;

		r->load = true;
		r->load_revoked_bytes += lo->revoked_bytes;
		r->load_io_errors += lo->io_errors;
		r->load_io_timeouts += lo->io_timeouts;
	}
	r->measured++;
	r->forced_iters += it->forced_unmap;
}

static struct p2pb_iter_result *new_iteration(struct case_run *c, unsigned int idx, bool warm)
{
	struct p2pb_case_result *r = c->r;
	struct p2pb_iter_result *its = realloc(r->iters, (r->n_iters + 1) * sizeof(*its)), *it;

	if (!its)
		return NULL;
	r->iters = its;
	it = &its[r->n_iters];
	memset(it, 0, sizeof(*it));
	it->atts = calloc(c->n_inst * r->n_dmabufs, sizeof(*it->atts));
	if (!it->atts)
		return NULL;
	r->n_iters++;
	it->warmup = warm;
	it->obs.index = idx;
	it->obs.n_atts = c->n_inst * r->n_dmabufs;
	it->obs.atts = it->atts;
	return it;
}

/*
 * --verify with a load: the blocks are read back once the load has moved
 * twice the range since the remap (after the fill): its commands go round
 * the range's blocks in order with at most a queue (no more than the range)
 * in flight, so every block was written since the fill, however slow the
 * machine is today. The after-window's figures are taken before; this only
 * delays the check, by at most 10 s.
 */
static void verify_wait_coverage(struct case_run *c, const struct traffic *remapped)
{
	uint64_t want = 0, until = p2pb_now_ns() + 10000000000ull;
	unsigned int k;

	if (!c->r->dma)
		return;
	for (k = 0; k < c->r->n_dmabufs; k++)
		want += 2 * c->r->range[k].length;
	while (traffic_now(c).bytes - remapped->bytes < want && p2pb_now_ns() < until && !p2pb_interrupted)
		p2pb_sleep_ns(10000000ull);
}

/*
 * C9's kernel side: the first event between the trigger's start and its
 * return that took the exporter's memory away. Without @it the events so
 * far are only dropped.
 */
static void watch_memory(struct case_run *c, struct p2pb_iter_result *it)
{
	const struct p2pb_pci_addr *fn = &c->exp[0].function;	/* every export is of this function */
	struct p2pb_memory_gone g;

	if (!c->s->watch.on || !c->exp[0].has_function)
		return;
	if (!it) {
		p2pb_exporter_watch_first_gone(&c->s->watch, fn, 0, 0, &g);
		return;
	}
	it->obs.memory_watched = true;
	it->obs.memory_gone = p2pb_exporter_watch_first_gone(&c->s->watch, fn, it->t0_ns,
							     it->t0_ns + it->obs.trigger_ns, &g);
	if (it->obs.memory_gone) {
		it->obs.memory_gone_ns = g.ts_ns > it->t0_ns ? g.ts_ns - it->t0_ns : 0;
		snprintf(it->obs.memory_gone_what, sizeof(it->obs.memory_gone_what), "%s", g.what);
	}
}

/* The load's bytes binned in [from, to) (ns since t0). */
static uint64_t load_bytes_between(const struct p2pb_iter_result *it, uint64_t from, uint64_t to)
{
	const struct p2pb_load_obs *lo = &it->load_obs;
	uint64_t sum = 0, start;
	unsigned int b;

	for (b = 0; lo->bin_ns && b < lo->n_bins; b++) {
		start = lo->bins_start_ns + b * lo->bin_ns - it->t0_ns;
		if (start + lo->bin_ns > from && start < to)
			sum += lo->bin_bytes[b];
	}
	return sum;
}

/*
 * Harm: an importer still mapped after the trigger returned whose
 * exporter's memory went away meanwhile (the kernel's event, or the
 * function the importer read at its unmap): from then to its unmap the
 * device could DMA into a dead BAR. Measured on every iteration; only a
 * return with live mappings (BOUNDED, or a C1 failure) can have any.
 */
static void measure_harm(struct p2pb_iter_result *it)
{
	const struct p2pb_iter_obs *ob = &it->obs;
	unsigned int a;

	for (a = 0; a < ob->n_atts; a++) {
		const struct p2pb_att_obs *o = &it->atts[a];
		uint64_t unmap_ns = p2pb_att_unmap_ns(o), gone_ns;

		if (!o->invalidated || !o->unmapped || unmap_ns <= ob->trigger_ns)
			continue;
		if (ob->memory_gone)
			gone_ns = ob->memory_gone_ns;
		else if ((o->exporter_at_unmap & P2PB_EXPORTER_READ) && !p2pb_exporter_live(o->exporter_at_unmap))
			gone_ns = ob->trigger_ns;	/* the importer saw it gone; at the latest since the return */
		else
			continue;
		if (unmap_ns <= gone_ns)
			continue;
		it->harm_atts++;
		if (unmap_ns - gone_ns > it->harm_dead_mapped_ns)
			it->harm_dead_mapped_ns = unmap_ns - gone_ns;
		if (it->load)
			it->harm_bytes += load_bytes_between(it, gone_ns, unmap_ns);
	}
}

/* false: stop the case (the device did not come back, or the kernel is stuck) */
/* The importers' traffic in the windows around the revoke (tr: before, trigger, quiesced, revoked, remapped, end). */
static void traffic_windows(struct case_run *c, struct p2pb_iter_result *it, const struct traffic tr[6],
			    unsigned long long fault_irqs)
{
	it->dma = true;
	it->before = window(&tr[0], &tr[1]);
	it->during = window(&tr[2], &tr[3]);
	it->after = window(&tr[4], &tr[5]);
	it->obs.stale_transfers = tr[5].stale_ops - tr[0].stale_ops;
	it->obs.stale_checks = tr[5].stale_checks - tr[0].stale_checks;
	it->obs.stale_landed = tr[5].stale_landed - tr[0].stale_landed;
	it->obs.stale_unknown = tr[5].stale_unknown - tr[0].stale_unknown;
	it->obs.iommu_fault_irqs = p2pb_iommu_fault_irqs() - fault_irqs;
	collect_load(c, it, &tr[0], &tr[5]);
}

/* --verify: read the ranges back once the load went round them since the remap (@remapped). */
static void verify_iteration(struct case_run *c, struct p2pb_iter_result *it, const struct traffic *remapped)
{
	verify_wait_coverage(c, remapped);
	verify_check(c, &it->obs, traffic_now(c).bytes - remapped->bytes);
	c->r->data_blocks += it->obs.data_blocks;
	c->r->data_device += it->obs.data_device;
	c->r->data_filled += it->obs.data_filled;
	c->r->data_bad += it->obs.data_bad;
	c->r->data_missing += it->obs.data_missing;
}

/* The kernel's side (trace, log, bound timeouts since @timeouts), the verdict, the histograms, progress. */
static void finish_iteration(struct case_run *c, struct p2pb_iter_result *it, bool warm, long long timeouts)
{
	if (c->s->trace.on) {
		it->kernel_events = json_object_new_array();
		p2pb_trace_collect(&c->s->trace, it->t0_ns, it->kernel_events);
	}
	p2pb_kmsg_scan(&c->kmsg, &it->obs.klog);
	/* the log's count is the fallback: its messages are rate limited */
	it->obs.bound_timeouts = timeouts < 0 ? it->obs.klog.revoke_timeouts : (unsigned int)(bound_timeouts() - timeouts);
	p2pb_verdict_iteration(&c->r->verdict, &c->r->ctx, &it->obs);
	if (!warm)
		add_to_hists(c->r, it);
	if (it->revoke_to_quiesce_ns)
		p2pb_session_progress(c->s, "%s %u/%u revoke-to-quiesce %.1f ms", c->job->name,
				      warm ? 0 : c->r->measured, c->job->iterations,
				      (double)it->revoke_to_quiesce_ns / 1e6);
}

static bool one_iteration(struct case_run *c, unsigned int idx, bool warm)
{
	struct p2pb_iter_result *it = new_iteration(c, idx, warm);
	uint64_t dwell = dwell_ns(c), done;
	unsigned long long fault_irqs;
	long long timeouts;
	struct traffic tr[6];	/* before, trigger, quiesced, revoked, remapped, end */
	int err;

	if (!it) {
		p2pb_verdict_error(&c->r->verdict, "out of memory");
		return false;
	}
	/* before: every importer mapped, nothing stale in the event rings */
	if ((err = remap_all(c, &done))) {
		p2pb_verdict_error(&c->r->verdict, "iteration %u: could not map before the trigger: %s", idx,
				   strerror(-err));
		return false;
	}
	tr[0] = traffic_now(c);
	if (dwell)
		p2pb_sleep_ns(dwell);
	fault_irqs = p2pb_iommu_fault_irqs();
	drain_all(c);
	p2pb_kmsg_scan(&c->kmsg, &c->outside);	/* earlier messages are not this iteration's */
	tr[1] = traffic_now(c);
	timeouts = bound_timeouts();
	watch_memory(c, NULL);	/* what came before is not this trigger's */
	if (!phase_trigger(c, it)) {
		kernel_stuck = 1;
		c->r->kernel_stuck = true;
		p2pb_kmsg_scan(&c->kmsg, &it->obs.klog);
		p2pb_verdict_iteration(&c->r->verdict, &c->r->ctx, &it->obs);
		return false;
	}
	tr[2] = traffic_now(c);	/* trigger returned, every importer unmapped */
	if (c->r->dma && dwell)
		p2pb_sleep_ns(dwell);	/* traffic while revoked: a misbehaving device shows here */
	tr[3] = traffic_now(c);
	phase_revoked(c, it);
	watch_memory(c, it);
	phase_restore(c, it);
	/* a fresh fill: what a reset wiped is not blamed on the load */
	if (c->job->verify && !it->obs.unrevoke_failed && (err = verify_fill(c)))
		p2pb_verdict_error(&c->r->verdict, "iteration %u: %s", idx, p2pb_error());
	phase_remap(c, it);
	tr[4] = traffic_now(c);
	if (dwell)
		p2pb_sleep_ns(dwell);
	tr[5] = traffic_now(c);
	if (c->r->dma)
		traffic_windows(c, it, tr, fault_irqs);
	measure_harm(it);
	if (it->harm_dead_mapped_ns > c->r->harm_dead_mapped_max_ns)
		c->r->harm_dead_mapped_max_ns = it->harm_dead_mapped_ns;
	if (c->job->verify && !it->obs.unrevoke_failed)
		verify_iteration(c, it, &tr[4]);
	finish_iteration(c, it, warm, timeouts);
	return p2pb_exporter_alive(c->x);
}

/* ---- setup and teardown ---- */

int p2pb_plan_ranges(struct p2pb_exporter *x, const struct p2pb_job *j, struct p2pb_range *range, unsigned int *n)
{
	uint64_t bar_size = p2pb_exporter_bar_size(x, j->bar), size, chunk;
	unsigned int k;

	if (!bar_size)
		return p2pb_fail(-EINVAL, "%s has no BAR%u", x->name, j->bar);
	if (j->offset >= bar_size)
		return p2pb_fail(-EINVAL, "offset %#llx is past the end of BAR%u (%#llx bytes)",
				 (unsigned long long)j->offset, j->bar, (unsigned long long)bar_size);
	size = j->size ? j->size : bar_size - j->offset;
	if (j->offset + size > bar_size)
		return p2pb_fail(-EINVAL, "range [%#llx, +%#llx) does not fit in BAR%u (%#llx bytes)",
				 (unsigned long long)j->offset, (unsigned long long)size, j->bar,
				 (unsigned long long)bar_size);
	chunk = (size / j->dmabufs) & ~4095ull;
	if (!chunk)
		return p2pb_fail(-EINVAL, "range too small for %u dma-bufs", j->dmabufs);
	*n = j->dmabufs;
	for (k = 0; k < j->dmabufs; k++)
		range[k] = (struct p2pb_range){ .offset = j->offset + k * chunk, .length = chunk };
	return 0;
}

/* Instance k of spec i; each draws its own random numbers (delays) from its seed. */
static int open_importer(struct case_run *c, unsigned int i, unsigned int k, unsigned int n)
{
	struct imp_inst *in = &c->inst[n];
	struct p2pb_importer_info *info = &c->r->importers[n];
	int err;

	in->e.spec = &c->job->importers[i];
	in->e.instance = k;
	in->e.seed = c->job->seed * 1000003ull + n;
	info->spec = in->e.spec;
	err = EOPS(in)->open(&in->e, &c->s->restore);
	if (EOPS(in)->describe)
		info->describe = EOPS(in)->describe(&in->e);
	return err;
}

static int open_importers(struct case_run *c)
{
	const struct p2pb_job *j = c->job;
	unsigned int i, k, n = 0;
	int err;

	for (i = 0; i < j->n_importers; i++)
		n += j->importers[i].count;
	c->inst = calloc(n, sizeof(*c->inst));
	c->r->importers = calloc(n, sizeof(*c->r->importers));
	if (!c->inst || !c->r->importers)
		return -ENOMEM;
	for (i = 0; i < j->n_importers; i++)
		for (k = 0; k < j->importers[i].count; k++) {
			/* up to 1024 dma-bufs: an instance's attachments are as many as the case has */
			c->inst[c->n_inst].a = calloc(c->r->n_dmabufs, sizeof(*c->inst[c->n_inst].a));
			if (!c->inst[c->n_inst].a)
				return -ENOMEM;
			c->r->n_importers = ++c->n_inst;	/* opened or not, it is closed */
			if ((err = open_importer(c, i, k, c->n_inst - 1)))
				return err;
		}
	return 0;
}

/* 0 ready, 1 nothing to run (skip, or C5 judged at attach), -errno */
static int setup_case(struct case_run *c)
{
	bool pci;
	int err;

	if ((err = p2pb_exporter_open(c->job->device, &c->x)) ||
	    (err = p2pb_plan_ranges(c->x, c->job, c->r->range, &c->r->n_dmabufs)))
		return err;
	pci = p2pb_exporter_function(c->job->device) != NULL;	/* the watch follows a PCI function's memory */
	if (pci && !c->s->watch_tried) {
		/* not fatal: without it C9 is judged from the importers' side only, and the result says so */
		c->s->watch_tried = true;
		p2pb_exporter_watch_start(&c->s->watch);
	}
	c->r->memory_watched = c->s->watch.on;
	snprintf(c->r->memory_watch_off, sizeof(c->r->memory_watch_off), "%s",
		 c->s->watch.on ? "" : !pci ? "not a PCI exporter" : c->s->watch.why_off);
	if (c->job->trigger->check(c->x)) {
		p2pb_verdict_skip(&c->r->verdict, p2pb_error());
		return 1;
	}
	if ((err = export_all(c)) || (err = open_importers(c)))
		return err;
	if (c->job->verify && (!c->x->ops->read || !c->x->ops->write))
		return p2pb_fail(-EINVAL, "--verify reads the exported ranges back through the device's BAR: it needs "
				 "a vfio-pci exporter, not %s", c->x->name);
	if (c->job->verify && (err = verify_fill(c)))
		return err;
	err = attach_all(c);
	if (err == -ECANCELED)
		return 1;
	return err ? err : start_dma(c);
}

/*
 * --verify with a load that writes to its device: once detached (the load
 * stopped, the queue free), read the device's blocks of the range back:
 * each must be the device's own or a fill of the same block.
 */
static void verify_readback(struct case_run *c)
{
	struct imp_inst *in = NULL;
	char buf[P2PB_VERIFY_PROBE], where[48], evidence[160] = "";
	uint64_t b, blocks, bad = 0;
	unsigned int i;
	int err;

	for (i = 0; i < c->n_inst && !in; i++)
		if (EOPS(&c->inst[i])->writes_device && EOPS(&c->inst[i])->writes_device(c->inst[i].e.spec->opts))
			in = &c->inst[i];
	if (!c->job->verify || !in || !EOPS(in)->readback || !c->r->n_dmabufs || c->r->kernel_stuck)
		return;
	blocks = c->r->range[0].length / P2PB_VERIFY_BLOCK;
	for (b = 0; b < blocks; b++) {
		err = EOPS(in)->readback(&in->e, b * P2PB_VERIFY_BLOCK, buf, sizeof(buf));
		if (err == -ERANGE)
			break;
		if (!err && p2pb_verify_probe(buf, 0, b, NULL) != P2PB_BLOCK_BAD)
			continue;
		if (!bad++) {
			snprintf(where, sizeof(where), "device block %llu", (unsigned long long)b);
			p2pb_verify_evidence(evidence, sizeof(evidence), where, buf, err);
		}
	}
	c->r->readback_blocks = b;
	c->r->readback_bad = bad;
	if (b)
		p2pb_verdict_readback(&c->r->verdict, b, bad, evidence);
}

static void teardown_case(struct case_run *c)
{
	unsigned int i;

	detach_all(c);
	verify_readback(c);
	for (i = 0; i < c->n_inst; i++) {
		EOPS(&c->inst[i])->close(&c->inst[i].e);
		free(c->inst[i].a);
	}
	free(c->inst);
	c->inst = NULL;
	unexport_all(c);
	p2pb_exporter_close(c->x);
	c->x = NULL;
}

static void init_result(struct p2pb_case_result *r, const struct p2pb_job *j)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->job = *j;
	for (i = 0; i < P2PB_N_CASE_METRICS; i++)
		p2pb_hist_init(&r->h[i]);
	for (i = 0; i < P2PB_TABLE_IMPORTERS; i++)
		p2pb_hist_init(&r->unmap_by_importer[i]);
	p2pb_verdict_init(&r->verdict);
	r->ctx.trigger = j->trigger->name;
	r->ctx.trigger_unrevokes = j->trigger->restore && !j->trigger->permanent;
	r->ctx.trigger_permanent = j->trigger->permanent;
	p2pb_vfio_revoke_bound(&r->ctx.bound_ms, &r->ctx.bound_proceeds);
	for (i = 0; i < j->n_importers; i++) {
		const struct p2pb_engine_spec *sp = &j->importers[i];
		unsigned int inj = sp->ops->injected ? sp->ops->injected(sp->opts) : 0;

		r->ctx.injected_never_unmap |= !!(inj & P2PB_INJECT_NEVER_UNMAP);
		r->ctx.injected_dma_after_unmap |= !!(inj & P2PB_INJECT_DMA_AFTER_UNMAP);
		r->dma |= sp->ops->moves_data && sp->ops->moves_data(sp->opts);
	}
}

static void finish_log(struct case_run *c)
{
	struct p2pb_case_result *r = c->r;
	unsigned int i;

	p2pb_kmsg_scan(&c->kmsg, &c->outside);
	p2pb_kmsg_close(&c->kmsg);
	p2pb_verdict_case_log(&r->verdict, &r->ctx, &c->outside);
	r->klog = c->outside;
	for (i = 0; i < r->n_iters; i++)
		p2pb_kmsg_add(&r->klog, &r->iters[i].obs.klog);
	r->iommu_fault_irqs = p2pb_iommu_fault_irqs() - c->fault_irqs_start;
}

void p2pb_case_run(struct p2pb_session *s, const struct p2pb_job *j, struct p2pb_case_result *r)
{
	struct case_run c = { .r = r, .job = &r->job, .s = s };
	unsigned int it;
	int err;

	init_result(r, j);
	for (it = 0; it < P2PB_MAX_DMABUFS; it++)
		c.exp[it] = (struct p2pb_export){ .fd = -1 };
	p2pb_clear_error();
	p2pb_kmsg_open(&c.kmsg);	/* without it the kernel_log counts stay 0 */
	c.fault_irqs_start = p2pb_iommu_fault_irqs();
	err = setup_case(&c);
	if (err < 0)
		p2pb_verdict_error(&r->verdict, "%s", p2pb_error()[0] ? p2pb_error() : strerror(-err));
	for (it = 0; !err && it < j->warmup + j->iterations && !p2pb_interrupted; it++)
		if (!one_iteration(&c, it, it < j->warmup))
			break;	/* the device did not come back: nothing more to measure */
	p2pb_session_progress_done(s);
	if (!r->kernel_stuck)
		teardown_case(&c);	/* (closing the device would block behind a stuck trigger) */
	finish_log(&c);
	p2pb_verdict_finish(&r->verdict);
}

void p2pb_case_result_free(struct p2pb_case_result *r)
{
	unsigned int i;

	for (i = 0; i < r->n_iters; i++) {
		free(r->iters[i].atts);
		free(r->iters[i].load_obs.bin_bytes);
		free(r->iters[i].load_obs.bin_errors);
		json_object_put(r->iters[i].kernel_events);
	}
	for (i = 0; r->importers && i < r->n_importers; i++)
		json_object_put(r->importers[i].describe);
	free(r->iters);
	free(r->importers);
	r->iters = NULL;
	r->importers = NULL;
	r->n_iters = 0;
}
