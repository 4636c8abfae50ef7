// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench stress, the runner: workers draw operations from the seed (or
 * take them from a replay file) and run them concurrently on one exporter;
 * every revoke is judged like a revoke case (C1, C4, C3 on its inverse),
 * every map into a revoked or closed device is judged (C2, C6), the kernel
 * log is watched all along (C7), and at each checkpoint the workers pause,
 * give everything back, and what the process and the kernel hold is
 * compared with the baseline (docs/stress.md).
 *
 * Locking: a worker's slot table is its own; its mutex is held while it
 * changes the table or detaches, and by a revoking worker while it reads
 * that worker's importer events. Triggers run one at a time (trig_mu) and
 * share the device (dev_lock read) with exports; a reopen takes dev_lock
 * for writing. Nobody holds a worker mutex while taking dev_lock.
 */
#define _GNU_SOURCE
#include "soak.h"
#include "fold.h"
#include "child.h"
#include "clock.h"
#include "error.h"
#include "exporter.h"
#include "session.h"
#include "trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define EVENTS_MAX 256

struct att {
	struct p2pb_attachment a;
	bool used;
	struct p2pb_fold fold;		/* its fences pending across revokes */
};

struct slot {
	struct p2pb_export exp;
	bool exported;
	unsigned int gen;		/* the device generation it was exported from */
	struct att att[P2PB_STRESS_MAX_ATTS];
	unsigned int n_used;
};

struct run;

struct worker {
	unsigned int id;
	pthread_t th;
	bool started;
	struct run *run;
	struct p2pb_engine e;
	bool engine_open;
	pthread_mutex_t mu;
	struct slot slot[P2PB_STRESS_MAX_SLOTS];
	uint64_t next;			/* its next operation number */
	const struct p2pb_op_rec *script;	/* replay: its operations */
	unsigned int *script_pos;		/* and their places in the whole file */
	unsigned int n_script;
	struct p2pb_op_stats ops[P2PB_N_OPS];
	uint64_t traffic_bytes, stale_ops;	/* what its importers' devices moved */
	pid_t child[P2PB_STRESS_MAX_CHILDREN];	/* spawn: processes with an importer of their own */
	unsigned int n_children;
};

/* The device as the workers know it; under state_mu. */
struct dev_state {
	int revoked_by;			/* trigger index, -1: not revoked (or a transition is running) */
	uint64_t epoch;			/* changes at every transition */
	unsigned int gen;		/* bumped when a reopen starts */
	unsigned int closed_below;	/* every generation below this one was closed */
};

struct run {
	const struct p2pb_stress_cfg *c;
	struct p2pb_stress_result *r;
	struct p2pb_session *s;
	struct p2pb_exporter *x;
	const struct p2pb_trigger_ops *trig[P2PB_STRESS_MAX_TRIGGERS];
	const struct p2pb_trigger_ops *close_trig;
	pthread_mutex_t trig_mu, state_mu, res_mu, pause_mu;
	pthread_cond_t pause_cv;
	pthread_rwlock_t dev_lock;
	struct dev_state st;
	struct worker *w;
	struct p2pb_oplog log;
	struct p2pb_att_obs *obs;	/* every attachment of every worker: a revoke's observations (trig_mu) */
	unsigned int obs_cap;
	int stop;			/* atomic */
	int pause;			/* atomic: workers wait at the pause point */
	unsigned int paused;		/* under pause_mu */
	unsigned int running;		/* workers not finished, under pause_mu */
	uint64_t ops_done, cycles;	/* atomic */
	const struct p2pb_oplog *script;
	unsigned int script_started;	/* atomic: operations of the file started so far */
	uint64_t trigger_since_ns;	/* atomic: a trigger call in the kernel since, 0: none */
	pid_t trigger_tid;		/* atomic: the thread making it */
	struct p2pb_stress_trigger_result *trigger_now;	/* that trigger's */
};

static bool stopping(struct run *R)
{
	return __atomic_load_n(&R->stop, __ATOMIC_RELAXED) || p2pb_interrupted;
}

/* A finding: recorded, and the run stops unless told to go on. */
static void finding_locked(struct run *R, const char *fmt, va_list ap)
{
	struct p2pb_stress_result *r = R->r;

	if (r->n_findings < P2PB_STRESS_MAX_FINDINGS)
		vsnprintf(r->findings[r->n_findings++], sizeof(r->findings[0]), fmt, ap);
	else
		r->findings_dropped++;
	if (!R->c->keep_going) {
		r->stopped_early = true;
		__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
	}
}

static void finding(struct run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finding(struct run *R, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&R->res_mu);
	va_start(ap, fmt);
	finding_locked(R, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&R->res_mu);
}

/* A verdict changed under res_mu: its new violations (or its first error) are findings. */
static void verdict_news(struct run *R, const struct p2pb_verdict *v, unsigned int n_v_before,
			 unsigned int dropped_before, bool had_error, const char *who)
{
	unsigned int i;

	for (i = n_v_before; i < v->n_v; i++)
		finding(R, "%s: %s %s", who, p2pb_clauses[v->v[i].clause].id, v->v[i].evidence);
	if (v->v_dropped > dropped_before)
		finding(R, "%s: %u more violation(s), not listed", who, v->v_dropped - dropped_before);
	if (!had_error && v->error[0])
		finding(R, "%s: error: %s", who, v->error);
}

static void judge_clause(struct run *R, struct p2pb_verdict *v, enum p2pb_clause cl, bool ok, const char *who,
			 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void judge_clause(struct run *R, struct p2pb_verdict *v, enum p2pb_clause cl, bool ok, const char *who,
			 const char *fmt, ...)
{
	char ev[P2PB_EVIDENCE_LEN];
	unsigned int n = v->n_v, d = v->v_dropped;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev, sizeof(ev), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&R->res_mu);
	p2pb_verdict_clause(v, cl, ok, ev);
	pthread_mutex_unlock(&R->res_mu);
	verdict_news(R, v, n, d, true, who);
}

static void state_get(struct run *R, struct dev_state *out)
{
	pthread_mutex_lock(&R->state_mu);
	*out = R->st;
	pthread_mutex_unlock(&R->state_mu);
}

static void state_set(struct run *R, int revoked_by)
{
	pthread_mutex_lock(&R->state_mu);
	R->st.revoked_by = revoked_by;
	R->st.epoch++;
	pthread_mutex_unlock(&R->state_mu);
}

static bool errno_expected(enum p2pb_op op, int err)
{
	switch (op) {
	case P2PB_OP_ATTACH:
	case P2PB_OP_MAP:
	case P2PB_OP_SPAWN:		/* its child attaches and maps */
		return err == -ENODEV;	/* revoked, or the device closed (kernel-facts 1.2, 1.3) */
	case P2PB_OP_REVOKE:
		return err == -EBUSY;	/* hot reset's trylock lost to an export holding memory_lock */
	default:
		return false;
	}
}

/* n more failures with errno e (the first 8 distinct errnos are kept). */
static void errno_add(struct p2pb_op_stats *s, int e, uint64_t n)
{
	unsigned int k;

	for (k = 0; k < 8 && s->errno_val[k] && s->errno_val[k] != e; k++)
		;
	if (k < 8) {
		s->errno_val[k] = e;
		s->errnos[k] += n;
	}
}

static void count(struct worker *W, const struct p2pb_op_rec *rec)
{
	struct p2pb_op_stats *s = &W->ops[rec->op];

	if (rec->result == P2PB_OP_NOOP) {
		s->noop++;
		return;
	}
	s->done++;
	p2pb_hist_add(&s->lat_ns, (uint64_t)rec->dur_us * 1000);
	if (!rec->result)
		return;
	s->failed++;
	errno_add(s, -rec->result, 1);
	if (!errno_expected((enum p2pb_op)rec->op, rec->result)) {
		char who[64];

		snprintf(who, sizeof(who), "worker %u op %u (%s)", W->id, rec->index, p2pb_op_name(rec->op));
		pthread_mutex_lock(&W->run->res_mu);
		p2pb_verdict_error(&W->run->r->run_verdict, "%s failed unexpectedly: %s", who,
				   strerrorname_np(-rec->result) ?: strerror(-rec->result));
		pthread_mutex_unlock(&W->run->res_mu);
		finding(W->run, "%s failed unexpectedly: %s", who, strerror(-rec->result));
	}
}

/*
 * C2 and C6 for a map (or attach-and-map) that ran between two looks at the
 * device; true when it succeeded where it must not have.
 */
static bool judge_map(struct worker *W, const struct slot *sl, const struct dev_state *before,
		      const struct dev_state *after, int map_err, const char *what)
{
	struct run *R = W->run;
	char who[64];

	snprintf(who, sizeof(who), "worker %u %s", W->id, what);
	if (sl->gen < before->closed_below) {
		judge_clause(R, &R->r->run_verdict, P2PB_C6_CLOSE_REVOKED, map_err != 0, who,
			     "a dma-buf of a closed device (generation %u, device now %u) mapped again", sl->gen,
			     before->gen);
		return !map_err;
	}
	if (before->revoked_by >= 0 && before->epoch == after->epoch) {
		struct p2pb_stress_trigger_result *t = &R->r->trig[before->revoked_by];

		judge_clause(R, &t->verdict, P2PB_C2_NO_MAP_REVOKED, map_err != 0, who,
			     "a map while revoked by %s succeeded (concurrent stress)", t->name);
		return !map_err;
	}
	return false;
}

static int op_export(struct worker *W, struct slot *sl)
{
	struct run *R = W->run;
	struct p2pb_range range = { .offset = 0, .length = R->c->size };
	struct p2pb_export e = { .fd = -1 };
	unsigned int gen;
	int err;

	if (sl->exported || sl->n_used)
		return P2PB_OP_NOOP;
	pthread_rwlock_rdlock(&R->dev_lock);
	gen = R->st.gen;	/* stable: a reopen holds dev_lock for writing */
	err = p2pb_exporter_alive(R->x) ? R->x->ops->export(R->x, R->c->bar, &range, &e) : -ENODEV;
	pthread_rwlock_unlock(&R->dev_lock);
	if (err)
		return err;
	pthread_mutex_lock(&W->mu);
	sl->exp = e;
	sl->exported = true;
	sl->gen = gen;
	pthread_mutex_unlock(&W->mu);
	return 0;
}

static int op_close(struct worker *W, struct slot *sl)
{
	struct run *R = W->run;

	/* an export its importers hold no reference to (sim) dies with it: close it only once unattached */
	if (!sl->exported || (sl->n_used && !R->x->ops->importers_hold_ref))
		return P2PB_OP_NOOP;
	pthread_mutex_lock(&W->mu);
	R->x->ops->unexport(R->x, &sl->exp);
	sl->exp = (struct p2pb_export){ .fd = -1 };
	sl->exported = false;
	pthread_mutex_unlock(&W->mu);
	return 0;
}

static int op_attach(struct worker *W, struct slot *sl, struct att *at)
{
	struct run *R = W->run;
	struct p2pb_attachment a = { 0 };
	struct dev_state before, after;
	int err;

	if (!sl->exported || at->used)
		return P2PB_OP_NOOP;
	state_get(R, &before);
	err = W->e.spec->ops->attach(&W->e, &sl->exp, &a);
	state_get(R, &after);
	if (err == -ENODEV)	/* refused: the dma-buf is revoked */
		judge_map(W, sl, &before, &after, err, "attach");
	if (err)
		return err;
	pthread_mutex_lock(&W->mu);
	at->a = a;
	at->used = true;
	memset(&at->fold, 0, sizeof(at->fold));
	sl->n_used++;
	pthread_mutex_unlock(&W->mu);
	/* a mapping the exporter should have refused goes at once: a broken kernel's accounting stays sane */
	if (judge_map(W, sl, &before, &after, a.map_err, "attach+map"))
		W->e.spec->ops->unmap(&W->e, &at->a);
	/* traffic: the importer's device moves data through the mapping until it is invalidated */
	if (!a.map_err && W->e.spec->ops->moves_data && W->e.spec->ops->moves_data(W->e.spec->opts))
		return W->e.spec->ops->start(&W->e, &at->a);
	return a.map_err;
}

/* What an attachment's device moved, counted before it goes. */
static void account_traffic(struct worker *W, struct att *at)
{
	struct p2pb_engine_stats st = { 0 };

	if (!W->e.spec->ops->stats(&W->e, &at->a, &st)) {
		W->traffic_bytes += st.bytes;
		W->stale_ops += st.stale_ops;
	}
}

static int op_detach(struct worker *W, struct slot *sl, struct att *at)
{
	if (!at->used)
		return P2PB_OP_NOOP;
	pthread_mutex_lock(&W->mu);
	account_traffic(W, at);
	W->e.spec->ops->detach(&W->e, &at->a);
	at->used = false;
	sl->n_used--;
	pthread_mutex_unlock(&W->mu);
	return 0;
}

static int op_map(struct worker *W, struct slot *sl, struct att *at)
{
	struct dev_state before, after;
	int err;

	if (!at->used)
		return P2PB_OP_NOOP;
	state_get(W->run, &before);
	err = W->e.spec->ops->map(&W->e, &at->a);
	state_get(W->run, &after);
	if (judge_map(W, sl, &before, &after, err, "map"))
		W->e.spec->ops->unmap(&W->e, &at->a);	/* as above */
	return err;
}

static int op_unmap(struct worker *W, struct att *at)
{
	if (!at->used)
		return P2PB_OP_NOOP;
	return W->e.spec->ops->unmap(&W->e, &at->a);
}

static void reap(struct worker *W, unsigned int k)
{
	kill(W->child[k], SIGKILL);
	waitpid(W->child[k], NULL, 0);
	W->child[k] = W->child[--W->n_children];
}

/* In a child: close every fd but the two it needs (a device fd kept by a child would stop a reopen from revoking). */
static void close_all_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned int)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned int)lo + 1, (unsigned int)hi - 1, 0);
	close_range((unsigned int)hi + 1, ~0u, 0);
}

struct spawn_arg {
	struct worker *W;
	struct slot *sl;
};

/* The child: its own importer file, one attachment to the inherited dma-buf, then it waits to be killed. */
static void spawned_child(void *arg, int report_fd)
{
	struct spawn_arg *sa = arg;
	struct worker *W = sa->W;
	struct p2pb_restore none = { 0 };
	struct p2pb_engine e = { .spec = W->e.spec, .instance = 1000 + W->id, .seed = W->run->c->seed + 1000 + W->id };
	struct p2pb_attachment a = { 0 };
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close_all_but(report_fd, sa->sl->exp.fd);
	rc = e.spec->ops->open(&e, &none);
	if (!rc)
		rc = e.spec->ops->attach(&e, &sa->sl->exp, &a);
	if (!rc)
		rc = a.map_err;
	p2pb_child_report(report_fd, rc);
	sleep(120);		/* killed long before, normally: kill, a checkpoint, the end */
	_exit(0);
}

/*
 * A child process attaches an importer of its own to a slot's dma-buf: its
 * mapping is revoked with the others, and its exit (kill) releases the
 * importer whatever state the mapping is in.
 */
static int op_spawn(struct worker *W, struct slot *sl)
{
	struct run *R = W->run;
	struct spawn_arg sa = { .W = W, .sl = sl };
	struct dev_state before, after;
	int rc;
	pid_t pid;

	if (!sl->exported || !R->close_trig || W->n_children == P2PB_STRESS_MAX_CHILDREN)
		return P2PB_OP_NOOP;
	/* no reopen while the child still holds the device fd it inherited */
	pthread_rwlock_rdlock(&R->dev_lock);
	state_get(R, &before);
	pid = p2pb_child_start(spawned_child, &sa, &rc);
	state_get(R, &after);
	pthread_rwlock_unlock(&R->dev_lock);
	if (pid < 0)
		return pid;
	W->child[W->n_children++] = pid;
	/* a child holding a mapping the exporter should have refused goes at once */
	if ((!rc || rc == -ENODEV) && judge_map(W, sl, &before, &after, rc, "spawned child's attach+map"))
		reap(W, W->n_children - 1);
	return rc;
}

static int op_kill(struct worker *W, unsigned int pick)
{
	if (!W->n_children)
		return P2PB_OP_NOOP;
	reap(W, pick % W->n_children);
	return 0;
}

/* Drain the events of every attachment; with into, fold those in [t0, t1] into R->obs. */
static unsigned int drain_events(struct run *R, uint64_t t0, uint64_t t1, bool into)
{
	struct p2pb_engine_event ev[EVENTS_MAX];
	struct p2pb_fold_window win = { .t0 = t0, .trigger_end = t1 };
	unsigned int w, k, j, n_obs = 0;

	for (w = 0; w < R->c->workers; w++) {
		struct worker *W = &R->w[w];

		pthread_mutex_lock(&W->mu);
		for (k = 0; k < R->c->slots; k++)
			for (j = 0; j < R->c->atts; j++) {
				struct att *at = &W->slot[k].att[j];
				struct p2pb_att_obs o = { .importer = w, .dmabuf = k };
				uint32_t n = 0;

				if (!at->used)
					continue;
				W->e.spec->ops->events(&W->e, &at->a, ev, EVENTS_MAX, &n);
				/* the revoke case's fold: the same rules judge every command */
				p2pb_fold_events(&at->fold, ev, n, into ? &win : NULL, &o, NULL, p2pb_now_ns());
				if (into && o.invalidated && n_obs < R->obs_cap)
					R->obs[n_obs++] = o;
			}
		pthread_mutex_unlock(&W->mu);
	}
	return n_obs;
}

/* C3: one of this worker's attachments maps again after the inverse. */
static void remap_check(struct worker *W, struct p2pb_stress_trigger_result *t, uint64_t cycle)
{
	struct run *R = W->run;
	unsigned int k, j;

	for (k = 0; k < R->c->slots; k++)
		for (j = 0; j < R->c->atts; j++) {
			struct slot *sl = &W->slot[k];
			int err;

			if (!sl->att[j].used || sl->gen != R->st.gen)
				continue;
			err = W->e.spec->ops->map(&W->e, &sl->att[j].a);
			judge_clause(R, &t->verdict, P2PB_C3_REMAP_REARM, !err, "revoke",
				     "cycle %llu: worker %u could not map again after %s was undone: %s",
				     (unsigned long long)cycle, W->id, t->name, strerror(-err));
			return;
		}
}

/* One revoke cycle [t0, t1] of trigger @t judged as a revoke case's iteration, and counted. */
static void judge_cycle(struct run *R, struct p2pb_stress_trigger_result *t, uint64_t cycle, int err, uint64_t t0,
			uint64_t t1)
{
	struct p2pb_iter_obs it = { .index = (unsigned int)cycle, .trigger_ns = t1 - t0, .trigger_errno = -err,
				    .trigger_returned = true };
	unsigned int n_v, dropped, i;
	bool had_error;

	it.n_atts = drain_events(R, t0, t1, true);
	it.atts = R->obs;
	/* drained right after the return: an unmap stamped after it came too late */
	for (i = 0; i < it.n_atts; i++)
		it.mapped_at_return += !R->obs[i].unmapped || p2pb_att_unmap_ns(&R->obs[i]) > it.trigger_ns;
	pthread_mutex_lock(&R->res_mu);
	n_v = t->verdict.n_v;
	dropped = t->verdict.v_dropped;
	had_error = t->verdict.error[0];
	p2pb_verdict_iteration(&t->verdict, &t->ctx, &it);
	if (!err) {
		p2pb_hist_add(&t->revoke_ns, t1 - t0);
		t->cycles++;
	}
	pthread_mutex_unlock(&R->res_mu);
	verdict_news(R, &t->verdict, n_v, dropped, had_error, t->name);
}

/* Keep the device revoked for @hold_us while other workers map into it (a finding cuts it short), then undo. */
static int hold_and_restore(struct run *R, const struct p2pb_trigger_ops *T, struct p2pb_stress_trigger_result *t,
			    unsigned int hold_us)
{
	int rerr;

	for (uint64_t end = p2pb_now_ns() + (uint64_t)hold_us * 1000; p2pb_now_ns() < end && !stopping(R);)
		p2pb_sleep_ns(1000000);
	state_set(R, -1);
	rerr = T->restore(R->x);
	state_set(R, -1);
	if (rerr)
		finding(R, "undoing %s failed: %s", t->name, strerror(-rerr));
	return rerr;
}

static int op_revoke(struct worker *W, const struct p2pb_op_draw *d)
{
	struct run *R = W->run;
	const struct p2pb_trigger_ops *T = R->trig[d->trigger];
	struct p2pb_stress_trigger_result *t = &R->r->trig[d->trigger];
	uint64_t t0, t1, cycle;
	int err, rerr = 0;

	pthread_mutex_lock(&R->trig_mu);
	pthread_rwlock_rdlock(&R->dev_lock);
	if (stopping(R)) {	/* queued behind the revoke that found something: not another one */
		pthread_rwlock_unlock(&R->dev_lock);
		pthread_mutex_unlock(&R->trig_mu);
		return P2PB_OP_NOOP;
	}
	if (!p2pb_exporter_alive(R->x)) {
		err = -ENODEV;
		goto out;
	}
	state_set(R, -1);
	drain_events(R, 0, 0, false);
	cycle = __atomic_fetch_add(&R->cycles, 1, __ATOMIC_RELAXED);
	t0 = p2pb_now_ns();
	R->trigger_now = t;
	__atomic_store_n(&R->trigger_tid, gettid(), __ATOMIC_RELEASE);
	__atomic_store_n(&R->trigger_since_ns, t0, __ATOMIC_RELEASE);
	err = T->revoke(R->x);
	__atomic_store_n(&R->trigger_since_ns, 0, __ATOMIC_RELEASE);
	t1 = p2pb_now_ns();
	state_set(R, !err && T->restore ? (int)d->trigger : -1);
	if (err == -EBUSY)
		goto out;
	judge_cycle(R, t, cycle, err, t0, t1);
	if (!err && T->restore)
		rerr = hold_and_restore(R, T, t, d->hold_us);
	if (!err && !rerr)
		remap_check(W, t, cycle);
out:
	pthread_rwlock_unlock(&R->dev_lock);
	pthread_mutex_unlock(&R->trig_mu);
	return err ? err : rerr;
}

/* Close the device (revokes for good, waits for every importer) and open it again. */
static int op_reopen(struct worker *W)
{
	struct run *R = W->run;
	int err;

	if (!R->close_trig)
		return P2PB_OP_NOOP;
	pthread_rwlock_wrlock(&R->dev_lock);
	pthread_mutex_lock(&R->state_mu);
	R->st.gen++;
	R->st.revoked_by = -1;
	R->st.epoch++;
	pthread_mutex_unlock(&R->state_mu);
	err = R->close_trig->revoke(R->x);
	pthread_mutex_lock(&R->state_mu);
	R->st.closed_below = R->st.gen;
	pthread_mutex_unlock(&R->state_mu);
	if (!err)
		err = R->close_trig->restore(R->x);
	pthread_rwlock_unlock(&R->dev_lock);
	if (err)
		finding(R, "reopening %s failed: %s", R->x->name, strerror(-err));
	return err;
}

static int run_op(struct worker *W, const struct p2pb_op_draw *d)
{
	struct slot *sl = &W->slot[d->slot];
	struct att *at = &sl->att[d->att];

	switch (d->op) {
	case P2PB_OP_EXPORT: return op_export(W, sl);
	case P2PB_OP_CLOSE: return op_close(W, sl);
	case P2PB_OP_ATTACH: return op_attach(W, sl, at);
	case P2PB_OP_DETACH: return op_detach(W, sl, at);
	case P2PB_OP_MAP: return op_map(W, sl, at);
	case P2PB_OP_UNMAP: return op_unmap(W, at);
	case P2PB_OP_REVOKE: return op_revoke(W, d);
	case P2PB_OP_REOPEN: return op_reopen(W);
	case P2PB_OP_SPAWN: return op_spawn(W, sl);
	case P2PB_OP_KILL: return op_kill(W, d->att + d->slot);
	default: return P2PB_OP_NOOP;
	}
}

static void pause_point(struct run *R)
{
	pthread_mutex_lock(&R->pause_mu);
	R->paused++;
	pthread_cond_broadcast(&R->pause_cv);
	while (__atomic_load_n(&R->pause, __ATOMIC_RELAXED) && !stopping(R))
		pthread_cond_wait(&R->pause_cv, &R->pause_mu);
	R->paused--;
	pthread_mutex_unlock(&R->pause_mu);
}

static bool limits_reached(struct run *R, uint64_t ops)
{
	const struct p2pb_stress_cfg *c = R->c;

	return (c->max_ops && ops >= c->max_ops) ||
	       (c->max_cycles && __atomic_load_n(&R->cycles, __ATOMIC_RELAXED) >= c->max_cycles);
}

/*
 * Replay: the worker's next scripted operation, not before its recorded
 * time and not before every operation recorded ahead of it has started, so
 * operations start in the recorded order and overlap as they did.
 */
static bool next_scripted(struct worker *W, struct p2pb_op_draw *d, uint32_t *index)
{
	struct run *R = W->run;
	const struct p2pb_op_rec *r;
	uint64_t due, now;

	if (W->next >= W->n_script)
		return false;
	r = &W->script[W->next];
	due = R->log.start_ns + r->t_ns;
	now = p2pb_now_ns();
	if (due > now)
		p2pb_sleep_ns(due - now);
	while (__atomic_load_n(&R->script_started, __ATOMIC_ACQUIRE) < W->script_pos[W->next]) {
		if (stopping(R))
			return false;
		p2pb_sleep_ns(20000);
	}
	__atomic_add_fetch(&R->script_started, 1, __ATOMIC_RELEASE);
	*d = (struct p2pb_op_draw){ .op = (enum p2pb_op)r->op, .slot = r->slot, .att = r->att,
				    .trigger = r->trigger, .hold_us = r->hold_us };
	*index = r->index;
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *W = arg;
	struct run *R = W->run;

	while (!stopping(R)) {
		struct p2pb_op_draw d;
		struct p2pb_op_rec rec = { .worker = (uint16_t)W->id };
		uint64_t t0, ops;

		if (__atomic_load_n(&R->pause, __ATOMIC_RELAXED)) {
			pause_point(R);
			continue;
		}
		if (R->script) {
			if (!next_scripted(W, &d, &rec.index))
				break;
		} else {
			p2pb_stress_draw(R->c, W->id, W->next, &d);
			rec.index = (uint32_t)W->next;
		}
		W->next++;
		t0 = p2pb_now_ns();
		rec.result = run_op(W, &d);
		rec.t_ns = t0 - R->log.start_ns;
		rec.dur_us = (uint32_t)((p2pb_now_ns() - t0) / 1000);
		rec.op = (uint8_t)d.op;
		rec.slot = d.slot;
		rec.att = d.att;
		rec.trigger = d.trigger;
		rec.hold_us = d.op == P2PB_OP_REVOKE ? d.hold_us : 0;
		p2pb_oplog_add(&R->log, &rec);
		count(W, &rec);
		ops = __atomic_add_fetch(&R->ops_done, rec.result != P2PB_OP_NOOP, __ATOMIC_RELAXED);
		if (!R->script && limits_reached(R, ops))
			__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
		if (R->c->pace_us)
			p2pb_sleep_ns((uint64_t)R->c->pace_us * 1000);
	}
	pthread_mutex_lock(&R->pause_mu);
	R->running--;
	pthread_cond_broadcast(&R->pause_cv);
	pthread_mutex_unlock(&R->pause_mu);
	return NULL;
}

/* Give back everything a worker holds (workers paused or finished). */
static void drain_worker(struct run *R, struct worker *W)
{
	unsigned int k, j;

	while (W->n_children)
		reap(W, 0);
	for (k = 0; k < R->c->slots; k++) {
		struct slot *sl = &W->slot[k];

		for (j = 0; j < R->c->atts; j++)
			if (sl->att[j].used) {
				account_traffic(W, &sl->att[j]);
				W->e.spec->ops->detach(&W->e, &sl->att[j].a);
				sl->att[j].used = false;
			}
		sl->n_used = 0;
		if (sl->exported)
			R->x->ops->unexport(R->x, &sl->exp);
		sl->exp = (struct p2pb_export){ .fd = -1 };
		sl->exported = false;
	}
}

/* Everything given back must leave what the run holds at the baseline. */
static void checkpoint(struct run *R)
{
	struct p2pb_stress_result *r = R->r;
	struct p2pb_leak now;
	char why[200] = "";
	unsigned int w, grew = 0, tries;

	for (w = 0; w < R->c->workers; w++)
		drain_worker(R, &R->w[w]);
	/* a dma-buf's last reference may go from a workqueue (a delayed unmap): give it a moment */
	for (tries = 0; tries < 40; tries++) {
		p2pb_leak_take(&now);
		grew = p2pb_leak_compare(&r->baseline, &now, why, sizeof(why));
		if (!grew)
			break;
		p2pb_sleep_ns(50 * 1000000ULL);
	}
	r->checkpoints++;
	r->last = now;
	if (r->checkpoints == 1)
		r->rss_first_kib = now.rss_kib;
	if (now.rss_kib > r->rss_max_kib)
		r->rss_max_kib = now.rss_kib;
	if (grew) {
		r->leaky_checkpoints++;
		if (!r->first_leak[0])
			snprintf(r->first_leak, sizeof(r->first_leak), "checkpoint %u: %s", r->checkpoints, why);
		finding(R, "checkpoint %u: not everything came back: %s", r->checkpoints, why);
	}
}

static void pause_all(struct run *R)
{
	__atomic_store_n(&R->pause, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&R->pause_mu);
	while (R->paused < R->running)
		pthread_cond_wait(&R->pause_cv, &R->pause_mu);
	pthread_mutex_unlock(&R->pause_mu);
}

static void resume_all(struct run *R)
{
	pthread_mutex_lock(&R->pause_mu);
	__atomic_store_n(&R->pause, 0, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&R->pause_cv);
	pthread_mutex_unlock(&R->pause_mu);
}

static void watch_log(struct run *R, struct p2pb_kmsg *k)
{
	struct p2pb_kmsg_counts part = { 0 };

	p2pb_kmsg_scan(k, &part);
	if (!p2pb_kmsg_findings(&part)) {
		p2pb_kmsg_add(&R->r->klog, &part);
		return;
	}
	pthread_mutex_lock(&R->res_mu);
	p2pb_kmsg_add(&R->r->klog, &part);
	pthread_mutex_unlock(&R->res_mu);
	finding(R, "kernel log: %s", part.first_finding[0] ? part.first_finding : "a forbidden message");
}

static void progress(struct run *R, uint64_t t_start)
{
	double s = (double)(p2pb_now_ns() - t_start) / 1e9;
	uint64_t ops = __atomic_load_n(&R->ops_done, __ATOMIC_RELAXED);

	p2pb_session_progress(R->s, "stress seed %llu, %.0f s: %llu ops (%.0f/s), %llu revoke cycles, %u checkpoints, "
			      "%u findings", (unsigned long long)R->c->seed, s, (unsigned long long)ops, s > 0 ? (double)ops / s : 0.0,
			      (unsigned long long)__atomic_load_n(&R->cycles, __ATOMIC_RELAXED), R->r->checkpoints,
			      R->r->n_findings);
}

/*
 * A trigger still in the kernel after --quiesce-timeout waits for a mapping nobody
 * will unmap (a correct kernel refuses maps while it revokes): unmap every
 * attachment of every worker, as p2pbench revoke's quiesce timeout does,
 * so the run can end, and say so.
 */
static void quiesce_watch(struct run *R, bool *released)
{
	uint64_t since = __atomic_load_n(&R->trigger_since_ns, __ATOMIC_ACQUIRE);
	unsigned int w, k, j, n = 0;

	if (!since) {
		*released = false;
		return;
	}
	if (*released || p2pb_now_ns() - since < R->c->quiesce_ns)
		return;
	*released = true;
	for (w = 0; w < R->c->workers; w++) {
		struct worker *W = &R->w[w];

		/* a worker in the kernel behind the waiting revoke holds its lock: nothing of it to release */
		if (pthread_mutex_trylock(&W->mu))
			continue;
		for (k = 0; k < R->c->slots; k++)
			for (j = 0; j < R->c->atts; j++) {
				struct p2pb_engine_stats st = { 0 };
				struct att *at = &W->slot[k].att[j];

				if (!at->used)
					continue;
				n += !W->e.spec->ops->stats(&W->e, &at->a, &st) && st.mapped;
				W->e.spec->ops->unmap(&W->e, &at->a);
			}
		pthread_mutex_unlock(&W->mu);
	}
	/* nothing was mapped: the wait is for nobody, the watchdog's to report (a hung revoke) */
	if (!n)
		return;
	/*
	 * Every importer unmaps within its delay once asked, and none is told
	 * never to: what held the wait is a mapping the revoke never asked to
	 * drop, one the exporter let in after it had started revoking.
	 */
	judge_clause(R, &R->trigger_now->verdict, P2PB_C2_NO_MAP_REVOKED, false, R->trigger_now->name,
		     "%s was still waiting after %.1f s for a mapping it never asked to drop (a map let in while it "
		     "revoked; --quiesce-timeout is above the importers' unmap delays); p2pbench unmapped the %u "
		     "mapped attachment(s) to release it", R->trigger_now->name, (double)R->c->quiesce_ns / 1e9, n);
}

/*
 * A trigger still in the kernel --watchdog after it started, its importers
 * released: a hung revoke (C1), with the stuck thread's kernel stack. The
 * run ends without waiting for that thread; true then.
 */
static bool hang_watch(struct run *R, bool released)
{
	uint64_t since = __atomic_load_n(&R->trigger_since_ns, __ATOMIC_ACQUIRE);
	char chain[160], frames[512];

	if (!since || !released || p2pb_now_ns() - since < R->c->watchdog_ns)
		return false;
	p2pb_kernel_stack(__atomic_load_n(&R->trigger_tid, __ATOMIC_ACQUIRE), chain, sizeof(chain), frames,
			  sizeof(frames));
	judge_clause(R, &R->trigger_now->verdict, P2PB_C1_WAITS, false, R->trigger_now->name,
		     "%s has not returned after %.1f s, every importer unmapped; stuck in %s", R->trigger_now->name,
		     (double)(p2pb_now_ns() - since) / 1e9, chain);
	R->r->kernel_stuck = true;
	__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
	return true;
}

/* The main thread: watches the log and the clock, runs the checkpoints. */
static void supervise(struct run *R, struct p2pb_kmsg *k)
{
	const struct p2pb_stress_cfg *c = R->c;
	uint64_t t_start = p2pb_now_ns(), last_cp_cycles = 0;
	bool released = false;

	for (;;) {
		bool done;

		p2pb_sleep_ns(100 * 1000000ULL);
		watch_log(R, k);
		quiesce_watch(R, &released);
		if (hang_watch(R, released))
			return;	/* a worker is in the kernel for good: nobody waits for it */
		if (c->duration_ns && p2pb_now_ns() - t_start >= c->duration_ns)
			__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
		pthread_mutex_lock(&R->pause_mu);
		done = R->running == 0;
		pthread_mutex_unlock(&R->pause_mu);
		if (done)
			break;
		if (stopping(R)) {	/* the workers finish what they run; a stuck trigger is still watched */
			pthread_mutex_lock(&R->pause_mu);
			pthread_cond_broadcast(&R->pause_cv);
			pthread_mutex_unlock(&R->pause_mu);
			continue;
		}
		progress(R, t_start);
		if (R->script)
			continue;	/* a replay is one segment */
		if ((c->checkpoint_cycles && R->cycles - last_cp_cycles >= c->checkpoint_cycles) ||
		    R->log.n >= R->log.cap * 3 / 4) {
			pause_all(R);
			checkpoint(R);
			last_cp_cycles = R->cycles;
			if (!stopping(R))
				p2pb_oplog_reset(&R->log, p2pb_now_ns());
			resume_all(R);
		}
	}
	__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
	resume_all(R);
	p2pb_session_progress_done(R->s);
	R->r->elapsed_ns = p2pb_now_ns() - t_start;
}

static int setup(struct run *R)
{
	const struct p2pb_stress_cfg *c = R->c;
	unsigned int i, w;
	int err;

	for (i = 0; i < c->n_triggers; i++) {
		struct p2pb_stress_trigger_result *t = &R->r->trig[i];

		R->trig[i] = p2pb_trigger_find(c->triggers[i]);
		if (!R->trig[i] || R->trig[i]->permanent)
			return p2pb_fail(-EINVAL, "'%s' is not a trigger stress can use (reopen is the 'reopen' "
					 "operation)", c->triggers[i]);
		err = R->trig[i]->check ? R->trig[i]->check(R->x) : 0;
		if (err)
			return err;
		t->name = R->trig[i]->name;
		t->ctx = (struct p2pb_verdict_ctx){ .trigger = t->name, .trigger_unrevokes = R->trig[i]->restore };
		p2pb_verdict_init(&t->verdict);
		p2pb_hist_init(&t->revoke_ns);
	}
	R->obs_cap = c->workers * c->slots * c->atts;
	R->obs = calloc(R->obs_cap, sizeof(*R->obs));
	if (!R->obs)
		return p2pb_fail(-ENOMEM, "out of memory");
	/* reopen closes and opens the vfio-pci device behind the ranges */
	R->close_trig = p2pb_exporter_vfio_dev(R->x) ? p2pb_trigger_find("close") : NULL;
	if (c->mix[P2PB_OP_REOPEN] && !R->close_trig)
		return p2pb_fail(-EINVAL, "the reopen operation needs a vfio-pci device");
	for (w = 0; w < c->workers; w++) {
		struct worker *W = &R->w[w];

		W->id = w;
		W->run = R;
		pthread_mutex_init(&W->mu, NULL);
		for (i = 0; i < P2PB_N_OPS; i++)
			p2pb_hist_init(&W->ops[i].lat_ns);
		for (i = 0; i < P2PB_STRESS_MAX_SLOTS; i++)
			W->slot[i].exp.fd = -1;
		W->e = (struct p2pb_engine){ .spec = &c->importer, .instance = w, .seed = c->seed + w };
		err = c->importer.ops->open(&W->e, &R->s->restore);
		if (err)
			return err;
		W->engine_open = true;
	}
	return 0;
}

/* Replay: each worker gets its operations in recorded order. */
static int split_script(struct run *R, const struct p2pb_oplog *script)
{
	unsigned int w, i, n;

	for (w = 0; w < R->c->workers; w++) {
		struct p2pb_op_rec *mine;
		unsigned int *pos;

		for (i = 0, n = 0; i < script->n; i++)
			n += script->rec[i].worker == w;
		mine = calloc(n ? n : 1, sizeof(*mine));
		pos = calloc(n ? n : 1, sizeof(*pos));
		R->w[w].script = mine;
		R->w[w].script_pos = pos;
		if (!mine || !pos)
			return p2pb_fail(-ENOMEM, "no memory for the replay");
		for (i = 0, n = 0; i < script->n; i++)
			if (script->rec[i].worker == w) {
				pos[n] = i;
				mine[n++] = script->rec[i];
			}
		R->w[w].n_script = n;
	}
	return 0;
}

static void collect(struct run *R)
{
	struct p2pb_stress_result *r = R->r;
	unsigned int w, i, k;

	for (i = 0; i < P2PB_N_OPS; i++)
		p2pb_hist_init(&r->ops[i].lat_ns);
	for (w = 0; w < R->c->workers; w++)
		for (i = 0; i < P2PB_N_OPS; i++) {
			struct p2pb_op_stats *d = &r->ops[i], *s = &R->w[w].ops[i];

			d->done += s->done;
			d->noop += s->noop;
			d->failed += s->failed;
			p2pb_hist_merge(&d->lat_ns, &s->lat_ns);
			for (k = 0; k < 8 && s->errno_val[k]; k++)
				errno_add(d, s->errno_val[k], s->errnos[k]);
		}
	for (w = 0; w < R->c->workers; w++) {
		r->traffic_bytes += R->w[w].traffic_bytes;
		r->stale_ops += R->w[w].stale_ops;
	}
	r->total_ops = R->ops_done;
	r->cycles = R->cycles;
	r->interrupted = p2pb_interrupted;
}

static void teardown(struct run *R)
{
	unsigned int w;

	for (w = 0; w < R->c->workers; w++) {
		struct worker *W = &R->w[w];

		if (W->engine_open) {
			drain_worker(R, W);
			W->e.spec->ops->close(&W->e);
		}
		free((void *)W->script);
		free(W->script_pos);
		pthread_mutex_destroy(&W->mu);
	}
}

static void finish_verdicts(struct run *R)
{
	struct p2pb_stress_result *r = R->r;
	unsigned int i;

	p2pb_verdict_case_log(&r->run_verdict, &r->run_ctx, &r->klog);
	if (r->stale_ops)
		p2pb_verdict_error(&r->run_verdict, "the importers' devices moved data %llu time(s) after an invalidate "
				   "without being told to", (unsigned long long)r->stale_ops);
	if (r->leaky_checkpoints)
		p2pb_verdict_error(&r->run_verdict, "%u of %u checkpoints found something not given back; first: %s",
				   r->leaky_checkpoints, r->checkpoints, r->first_leak);
	p2pb_verdict_finish(&r->run_verdict);
	for (i = 0; i < R->c->n_triggers; i++)
		p2pb_verdict_finish(&r->trig[i].verdict);
}

static int start_workers(struct run *R)
{
	unsigned int w;

	for (w = 0; w < R->c->workers; w++) {
		if (pthread_create(&R->w[w].th, NULL, worker_main, &R->w[w]))
			return p2pb_fail(-EAGAIN, "cannot start worker %u", w);
		R->w[w].started = true;
		pthread_mutex_lock(&R->pause_mu);
		R->running++;
		pthread_mutex_unlock(&R->pause_mu);
	}
	return 0;
}

static void write_replay(struct run *R, const char *path, bool always)
{
	struct p2pb_stress_result *r = R->r;

	if (!path || R->script || (!r->n_findings && !always))
		return;
	p2pb_oplog_sort(&R->log);
	if (p2pb_replay_write(path, R->c, &R->log, r->n_findings ? r->findings[0] : NULL))
		fprintf(stderr, "p2pbench stress: %s\n", p2pb_error());
	else {
		r->replay_written = path;
		r->replay_ops = R->log.n;
	}
}

static struct run *run_new(const struct p2pb_stress_cfg *c, struct p2pb_session *s, struct p2pb_stress_result *r)
{
	struct run *R = calloc(1, sizeof(*R));

	if (R && !(R->w = calloc(c->workers, sizeof(*R->w)))) {
		free(R);
		R = NULL;
	}
	if (!R)
		return NULL;
	R->c = c;
	R->r = r;
	R->s = s;
	R->st.revoked_by = -1;
	pthread_mutex_init(&R->trig_mu, NULL);
	pthread_mutex_init(&R->state_mu, NULL);
	pthread_mutex_init(&R->res_mu, NULL);
	pthread_mutex_init(&R->pause_mu, NULL);
	pthread_cond_init(&R->pause_cv, NULL);
	pthread_rwlock_init(&R->dev_lock, NULL);
	p2pb_verdict_init(&r->run_verdict);
	r->run_ctx = (struct p2pb_verdict_ctx){ .trigger = "stress" };
	return R;
}

/* --replay: the recorded operations, in order, split among the workers. */
static int load_script(struct run *R, struct p2pb_oplog *script)
{
	struct p2pb_stress_cfg dummy = *R->c;
	int err = p2pb_replay_read(R->c->replay_path, &dummy, script);

	if (err)
		return err;
	p2pb_oplog_sort(script);
	R->script = script;
	return split_script(R, script);
}

/*
 * Start the workers, supervise them, join them and judge. False when a
 * trigger is stuck in the kernel: then only the results and the replay are
 * there (joining, checkpoints and teardown would wait for ever).
 */
static bool run_workers(struct run *R, struct p2pb_kmsg *kmsg, const char *record_path, bool record_always)
{
	int err = start_workers(R);
	unsigned int w;

	if (err)
		__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
	supervise(R, kmsg);
	if (R->r->kernel_stuck) {
		watch_log(R, kmsg);
		collect(R);
		finish_verdicts(R);
		write_replay(R, record_path, true);
		return false;
	}
	for (w = 0; w < R->c->workers; w++)
		if (R->w[w].started)
			pthread_join(R->w[w].th, NULL);
	if (!err && !p2pb_interrupted)
		checkpoint(R);	/* the final one: everything given back */
	watch_log(R, kmsg);
	collect(R);
	finish_verdicts(R);
	write_replay(R, record_path, record_always);
	return true;
}

int p2pb_stress_run(const struct p2pb_stress_cfg *c, struct p2pb_session *s, struct p2pb_stress_result *r,
		    const char *record_path, bool record_always)
{
	struct run *R = run_new(c, s, r);
	struct p2pb_oplog script = { 0 };
	struct p2pb_kmsg kmsg;
	int err;

	if (!R)
		return p2pb_fail(-ENOMEM, "out of memory");
	p2pb_kmsg_open(&kmsg);
	err = p2pb_exporter_open(c->device, &R->x);
	if (!err)
		err = setup(R);
	if (!err && c->replay_path)
		err = load_script(R, &script);
	if (!err)
		err = p2pb_oplog_init(&R->log, P2PB_OPLOG_MAX);
	if (!err) {
		p2pb_leak_take(&r->baseline);
		r->rss_first_kib = r->baseline.rss_kib;
		p2pb_oplog_reset(&R->log, p2pb_now_ns());
		if (!run_workers(R, &kmsg, record_path, record_always))
			return 0;	/* a trigger is stuck: nothing can be let go */
	}
	teardown(R);
	p2pb_exporter_close(R->x);
	p2pb_kmsg_close(&kmsg);
	p2pb_oplog_free(&R->log);
	p2pb_oplog_free(&script);
	free(R->obs);
	free(R->w);
	free(R);
	return err;
}
