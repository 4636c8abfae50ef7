// SPDX-License-Identifier: GPL-2.0
/*
 * Named race scenarios (p2pbench race), each a short deterministic test of
 * what the kernel must do when two things meet on one device: a second
 * thread acts at a fixed point inside a revoke's wait for a slow importer
 * (docs/stress.md, "Race scenarios"). KTAP, one line per expectation.
 * The same meetings happen at random in p2pbench stress.
 */
#define _GNU_SOURCE
#include "race_scenarios.h"
#include "engine.h"
#include "child.h"
#include "clock.h"
#include "error.h"
#include "exporter.h"
#include "result.h"
#include "session.h"
#include "trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOW_MS 500		/* the importer's unmap delay: the revoke's wait */
#define AT_MS 150		/* when the second thread acts, inside that wait */
#define QUICK_MS 250		/* "at once": well inside the wait, with TCG's noise */
#define HANG_S 10		/* beyond this a call is a hang */
#define MS(ns) ((double)(ns) / 1e6)

struct race {
	struct p2pb_ktap ktap;		/* into a memory stream: the plan line comes first */
	json_object *results, *cur;
	unsigned int failed, passed;
	struct p2pb_exporter *x;
	uint32_t bar;
	uint64_t size;
	struct p2pb_engine_spec slow_spec, prompt_spec;
	struct p2pb_engine slow, prompt;
	bool slow_open, prompt_open;
	const char *scenario;
	struct p2pb_restore *restore;	/* the session's: a module loaded again is unloaded at the end */
	struct p2pb_kmsg kmsg;
	bool hung;			/* a call never returned: nothing more can run */
};

static void expect(struct race *R, const char *what, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void expect(struct race *R, const char *what, bool ok, const char *fmt, ...)
{
	char name[96], detail[256];
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(name, sizeof(name), "race.%s.%s", R->scenario, what);
	p2pb_ktap_result(&R->ktap, ok ? P2PB_KTAP_OK : P2PB_KTAP_FAIL, name, NULL);
	p2pb_ktap_diag(&R->ktap, "%s: %s", name, detail);
	ok ? R->passed++ : R->failed++;
	json_object_object_add(o, "check", json_object_new_string(name));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(R->cur, o);
}

/* A call on a thread of its own, started at a fixed time, stamped. */
struct bg {
	pthread_t th;
	struct race *R;
	int (*fn)(struct race *R, void *arg);
	void *arg;
	uint64_t at_ns, start_ns, end_ns;
	int rc;
	bool done;
};

static void *bg_main(void *p)
{
	struct bg *b = p;

	if (b->at_ns > p2pb_now_ns())
		p2pb_sleep_ns(b->at_ns - p2pb_now_ns());
	b->start_ns = p2pb_now_ns();
	b->rc = b->fn(b->R, b->arg);
	b->end_ns = p2pb_now_ns();
	__atomic_store_n(&b->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void bg_start(struct bg *b, struct race *R, int (*fn)(struct race *, void *), void *arg, uint64_t at_ns)
{
	*b = (struct bg){ .R = R, .fn = fn, .arg = arg, .at_ns = at_ns };
	if (pthread_create(&b->th, NULL, bg_main, b))
		b->rc = -EAGAIN, b->done = true;
}

/* false: still in the kernel after HANG_S (the thread is left behind). */
static bool bg_join(struct bg *b, struct race *R, const char *what)
{
	uint64_t until = p2pb_now_ns() + HANG_S * 1000000000ull;

	while (!__atomic_load_n(&b->done, __ATOMIC_ACQUIRE) && p2pb_now_ns() < until)
		p2pb_sleep_ns(5000000);
	if (!__atomic_load_n(&b->done, __ATOMIC_ACQUIRE)) {
		expect(R, what, false, "still in the kernel after %d s", HANG_S);
		R->hung = true;
		return false;
	}
	pthread_join(b->th, NULL);
	return true;
}

static int do_trigger(struct race *R, void *name)
{
	return p2pb_trigger_find(name)->revoke(R->x);
}

static int mem_on(struct race *R)
{
	return p2pb_trigger_find("mem-off")->restore(R->x);
}

static int do_mem_on(struct race *R, void *p)
{
	(void)p;
	return mem_on(R);
}

static int export_one(struct race *R, struct p2pb_export *e)
{
	struct p2pb_range r = { .offset = 0, .length = R->size };

	*e = (struct p2pb_export){ .fd = -1 };
	return R->x->ops->export(R->x, R->bar, &r, e);
}

static int attach(struct p2pb_engine *e, struct p2pb_export *x, struct p2pb_attachment *a)
{
	int err = e->spec->ops->attach(e, x, a);

	return err ? err : a->map_err;
}

struct attach_arg {
	struct p2pb_engine *e;
	struct p2pb_export *x;
	struct p2pb_attachment a;
};

static int do_attach(struct race *R, void *p)
{
	struct attach_arg *aa = p;

	(void)R;
	return attach(aa->e, aa->x, &aa->a);
}

static int do_detach(struct race *R, void *p)
{
	(void)R;
	((struct attach_arg *)p)->e->spec->ops->detach(((struct attach_arg *)p)->e, &((struct attach_arg *)p)->a);
	return 0;
}

static int do_export(struct race *R, void *p)
{
	return export_one(R, p);
}

static const char *err_name(int err)
{
	return err ? strerrorname_np(-err) ?: "?" : "0";
}

/* A slow importer mapped on a fresh dma-buf: what the revoke will wait for. */
static bool slow_mapped(struct race *R, struct p2pb_export *x, struct attach_arg *aa)
{
	int err = export_one(R, x);

	if (!err) {
		*aa = (struct attach_arg){ .e = &R->slow, .x = x };
		err = attach(&R->slow, x, &aa->a);
	}
	expect(R, "setup", !err, "export and attach a %d ms importer: %s", SLOW_MS, err_name(err));
	return !err;
}

/* The common start: a slow importer mapped, and a mem-off revoke waiting for it from t0. */
static bool start_slow_revoke(struct race *R, struct p2pb_export *x, struct attach_arg *aa, struct bg *rev,
			      uint64_t *t0)
{
	if (!slow_mapped(R, x, aa))
		return false;
	*t0 = p2pb_now_ns();
	bg_start(rev, R, do_trigger, "mem-off", *t0);
	return true;
}

static void expect_waited(struct race *R, const char *what, const struct bg *rev, uint64_t t0)
{
	expect(R, what, !rev->rc && rev->end_ns - t0 >= (SLOW_MS - 50) * 1000000ull,
	       "mem-off returned %s after %.1f ms", err_name(rev->rc), MS(rev->end_ns - t0));
}

/* A prompt importer attaches to x (and maps) and detaches again: the map's errno. */
static int map_once(struct race *R, struct p2pb_export *x)
{
	struct attach_arg aa = { .e = &R->prompt, .x = x };
	int err = attach(&R->prompt, x, &aa.a);

	if (!err)
		do_detach(R, &aa);
	return err;
}

/*
 * The dma-buf's last reference goes while a revoke waits for it: the fd is
 * closed before, the importer (its last holder) detaches inside the wait.
 * The revoke must end (the detach unmapped), and nothing may be left.
 */
static void last_close_vs_revoke(struct race *R)
{
	struct p2pb_export x;
	struct attach_arg aa;
	struct bg rev, det;
	uint64_t t0;

	if (!slow_mapped(R, &x, &aa))
		return;
	R->x->ops->unexport(R->x, &x);		/* the importer holds the last reference now */
	t0 = p2pb_now_ns();
	bg_start(&rev, R, do_trigger, "mem-off", t0);
	bg_start(&det, R, do_detach, &aa, t0 + AT_MS * 1000000ull);
	if (!bg_join(&rev, R, "revoke_returns") || !bg_join(&det, R, "detach_returns"))
		return;
	expect(R, "revoke_returns", !rev.rc, "mem-off returned %s after %.1f ms", err_name(rev.rc),
	       MS(rev.end_ns - rev.start_ns));
	expect(R, "released_by_detach", rev.end_ns >= det.start_ns && rev.end_ns - t0 < SLOW_MS * 1000000ull,
	       "the revoke ended %.1f ms in, the detach started at %.1f ms (the importer's own unmap was due at %d ms)",
	       MS(rev.end_ns - t0), MS(det.start_ns - t0), SLOW_MS);
	expect(R, "restore", !mem_on(R), "memory enabled again");
}

/*
 * @b, which needs memory_lock, returned only once the slow revoke started
 * at @t0 let go of it: no sooner than the importer's unmap that ends the
 * wait (less the slack expect_waited() allows). Not measured against the
 * revoke's own return, whose thread may run well after the lock was
 * released (8 ms seen under KASAN).
 */
static bool after_wait(const struct bg *b, uint64_t t0)
{
	return b->end_ns >= t0 + (SLOW_MS - 50) * 1000000ull;
}

/*
 * Export and attach while a revoke holds memory_lock: the export waits for
 * the lock and its dma-buf starts revoked; an attach to the dma-buf being
 * revoked is refused at once with ENODEV; neither hangs.
 */
static void export_attach_during_revoke(struct race *R)
{
	struct p2pb_export x, late = { .fd = -1 };
	struct attach_arg aa, during;
	struct bg rev, exp, att;
	uint64_t t0;
	int err;

	if (!start_slow_revoke(R, &x, &aa, &rev, &t0))
		return;
	during = (struct attach_arg){ .e = &R->prompt, .x = &x };
	bg_start(&exp, R, do_export, &late, t0 + AT_MS * 1000000ull);
	bg_start(&att, R, do_attach, &during, t0 + AT_MS * 1000000ull);
	if (!bg_join(&rev, R, "revoke_returns") || !bg_join(&exp, R, "export_returns") ||
	    !bg_join(&att, R, "attach_returns"))
		return;
	expect_waited(R, "revoke_waits", &rev, t0);
	expect(R, "attach_refused_at_once", att.rc == -ENODEV && att.end_ns - att.start_ns < QUICK_MS * 1000000ull,
	       "attach to the dma-buf being revoked: %s after %.1f ms (expected ENODEV, under %d ms)",
	       err_name(att.rc), MS(att.end_ns - att.start_ns), QUICK_MS);
	expect(R, "export_waits_for_lock", !exp.rc && after_wait(&exp, t0),
	       "export inside the wait: %s, returned %.1f ms in (the importer's unmap was due at %d ms, the revoke "
	       "returned at %.1f ms)", err_name(exp.rc), MS(exp.end_ns - t0), SLOW_MS, MS(rev.end_ns - t0));
	if (!exp.rc) {
		err = map_once(R, &late);
		expect(R, "new_dmabuf_starts_revoked", err == -ENODEV,
		       "attach to the dma-buf exported inside the wait, memory still off: %s", err_name(err));
	}
	expect(R, "restore", !mem_on(R), "memory enabled again");
	if (!exp.rc) {
		err = map_once(R, &late);
		expect(R, "new_dmabuf_maps_after", !err, "attach and map it after memory is on: %s", err_name(err));
		R->x->ops->unexport(R->x, &late);
	}
	do_detach(R, &aa);
	R->x->ops->unexport(R->x, &x);
}

/*
 * A second trigger while the first waits: FLR takes memory_lock and waits
 * its turn; hot reset only tries the lock and gives up with EBUSY at once
 * (kernel-facts 1.6). Nobody hangs.
 */
static void second_trigger(struct race *R)
{
	struct p2pb_export x;
	struct attach_arg aa;
	struct bg rev, flr, hot;
	uint64_t t0;
	int err;

	if (!start_slow_revoke(R, &x, &aa, &rev, &t0))
		return;
	bg_start(&flr, R, do_trigger, "flr", t0 + AT_MS * 1000000ull);
	bg_start(&hot, R, do_trigger, "hot-reset", t0 + AT_MS * 1000000ull);
	if (!bg_join(&rev, R, "revoke_returns") || !bg_join(&flr, R, "flr_returns") ||
	    !bg_join(&hot, R, "hot_reset_returns"))
		return;
	expect_waited(R, "first_waits", &rev, t0);
	expect(R, "flr_waits_its_turn", !flr.rc && after_wait(&flr, t0),
	       "FLR inside the wait: %s, returned %.1f ms in (the importer's unmap was due at %d ms, mem-off returned "
	       "at %.1f ms)", err_name(flr.rc), MS(flr.end_ns - t0), SLOW_MS, MS(rev.end_ns - t0));
	expect(R, "hot_reset_busy_at_once",
	       (hot.rc == -EBUSY && hot.end_ns - hot.start_ns < QUICK_MS * 1000000ull) ||
	       (!hot.rc && after_wait(&hot, t0)),
	       "hot reset inside the wait: %s after %.1f ms (EBUSY at once, or after the first)", err_name(hot.rc),
	       MS(hot.end_ns - hot.start_ns));
	expect(R, "restore", !mem_on(R), "memory enabled again");
	/* whatever the resets left, the device maps again once memory is on */
	R->slow.spec->ops->detach(&R->slow, &aa.a);
	err = map_once(R, &x);
	expect(R, "maps_again", !err, "attach and map after the three triggers: %s", err_name(err));
	R->x->ops->unexport(R->x, &x);
}

/*
 * The device fd closed while a revoke waits for a slow importer: close
 * itself returns, the device is released once the revoke's call ends, and
 * the old dma-buf stays revoked for good (C6); the device opens again.
 */
static void close_during_revoke(struct race *R)
{
	struct p2pb_export x, fresh;
	struct attach_arg aa;
	struct bg rev, cls;
	uint64_t t0;
	int err;

	if (!start_slow_revoke(R, &x, &aa, &rev, &t0))
		return;
	bg_start(&cls, R, do_trigger, "close", t0 + AT_MS * 1000000ull);
	if (!bg_join(&rev, R, "revoke_returns") || !bg_join(&cls, R, "close_returns"))
		return;
	expect_waited(R, "revoke_waits", &rev, t0);
	err = p2pb_trigger_find("close")->restore(R->x);
	expect(R, "reopen", !err, "the device opens again: %s", err_name(err));
	if (err) {
		R->hung = true;		/* no device: nothing more can run */
		return;
	}
	err = R->slow.spec->ops->map(&R->slow, &aa.a);
	expect(R, "old_dmabuf_stays_revoked", err == -ENODEV, "map of the dma-buf of the closed device: %s",
	       err_name(err));
	R->slow.spec->ops->detach(&R->slow, &aa.a);
	R->x->ops->unexport(R->x, &x);
	err = export_one(R, &fresh);
	if (!err) {
		err = map_once(R, &fresh);
		R->x->ops->unexport(R->x, &fresh);
	}
	expect(R, "new_dmabuf_maps", !err, "export, attach and map on the reopened device: %s", err_name(err));
}

struct remap_arg {
	struct p2pb_engine *e;
	struct p2pb_attachment *a;
	uint64_t until_ns, first_ok_ns, last_fail_ns;
	unsigned int tries, enodev, other;
	int other_err;
};

static int do_remap_loop(struct race *R, void *p)
{
	struct remap_arg *m = p;

	(void)R;
	while (p2pb_now_ns() < m->until_ns) {
		int err = m->e->spec->ops->map(m->e, m->a);
		uint64_t now = p2pb_now_ns();

		m->tries++;
		if (!err) {
			m->first_ok_ns = now;
			return 0;
		}
		m->last_fail_ns = now;
		if (err == -ENODEV)
			m->enodev++;
		else
			m->other++, m->other_err = err;
		p2pb_sleep_ns(200000);
	}
	return -ETIMEDOUT;
}

/*
 * The un-revoke racing an importer that remaps as fast as it can: every map
 * before the un-revoke starts fails (C2), one succeeds once it is done (C3),
 * and the window in which a remap still gets ENODEV is measured.
 */
static void unrevoke_vs_remap(struct race *R)
{
	struct p2pb_export x;
	struct attach_arg aa;
	struct remap_arg m;
	struct bg on, loop;
	uint64_t t0;
	int err;

	err = export_one(R, &x);
	if (!err) {
		aa = (struct attach_arg){ .e = &R->prompt, .x = &x };
		err = attach(&R->prompt, &x, &aa.a);
	}
	expect(R, "setup", !err, "export and attach a prompt importer: %s", err_name(err));
	if (err)
		return;
	err = do_trigger(R, "mem-off");
	expect(R, "revoke", !err, "mem-off: %s", err_name(err));
	t0 = p2pb_now_ns();
	m = (struct remap_arg){ .e = &R->prompt, .a = &aa.a, .until_ns = t0 + 3000000000ull };
	bg_start(&loop, R, do_remap_loop, &m, t0);
	bg_start(&on, R, do_mem_on, NULL, t0 + AT_MS * 1000000ull);
	if (!bg_join(&on, R, "unrevoke_returns") || !bg_join(&loop, R, "remap_returns"))
		return;
	expect(R, "no_map_before_unrevoke", !m.first_ok_ns || m.first_ok_ns >= on.start_ns,
	       "first good map %.1f ms in, the un-revoke started at %.1f ms", m.first_ok_ns ? MS(m.first_ok_ns - t0) : -1.0,
	       MS(on.start_ns - t0));
	expect(R, "remap_after_unrevoke", !loop.rc && !on.rc && m.first_ok_ns <= on.end_ns + 100000000ull,
	       "un-revoke %s (%.1f..%.1f ms); first good map %.1f ms in after %u tries", err_name(on.rc),
	       MS(on.start_ns - t0), MS(on.end_ns - t0), m.first_ok_ns ? MS(m.first_ok_ns - t0) : -1.0, m.tries);
	expect(R, "only_enodev", !m.other, "%u failed maps, %u of them ENODEV; other: %s", m.enodev + m.other,
	       m.enodev, err_name(m.other_err));
	if (m.last_fail_ns > on.start_ns)
		p2pb_ktap_diag(&R->ktap, "race.%s: a remap still got ENODEV %.2f ms after the un-revoke started",
			       R->scenario, MS(m.last_fail_ns - on.start_ns));
	else
		p2pb_ktap_diag(&R->ktap, "race.%s: no remap got ENODEV after the un-revoke started", R->scenario);
	do_detach(R, &aa);
	R->x->ops->unexport(R->x, &x);
}

struct unload_arg {
	struct race *R;
	struct p2pb_export *x;
};

/* The child of module_unload: one importer file, attachments in every state, then it waits. */
static void unload_child(void *arg, int report_fd)
{
	struct race *R = ((struct unload_arg *)arg)->R;
	struct p2pb_export *x = ((struct unload_arg *)arg)->x;
	struct p2pb_restore none = { 0 };
	struct p2pb_engine e = { .spec = &R->slow_spec, .instance = 7, .seed = 7 };
	struct p2pb_attachment a[4] = { 0 };
	int rc, i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rc = e.spec->ops->open(&e, &none);
	for (i = 0; !rc && i < 4; i++)
		rc = attach(&e, &x[i], &a[i]);
	if (!rc)
		rc = e.spec->ops->unmap(&e, &a[1]);	/* attached, unmapped */
	if (!rc)
		e.spec->ops->detach(&e, &a[2]);		/* attached once, detached */
	/* a[0] and a[3]: mapped; the revoke will find them mid-delay */
	p2pb_child_report(report_fd, rc);
	sleep(120);
	_exit(0);
}

/* Unload the importer module (no waiting: EBUSY/EWOULDBLOCK while in use). */
static int unload_importer(void)
{
	return syscall(SYS_delete_module, "p2pbench_importer", O_NONBLOCK) ? -errno : 0;
}

/*
 * The importer module unloaded with attachments in every state: a child
 * process holds four (two mapped and mid-delay inside a revoke's wait, one
 * unmapped, one detached) and is killed inside the wait. Its importer file
 * goes with it, the revoke ends, the module unloads and loads again.
 */
static void module_unload(struct race *R)
{
	struct p2pb_export x[4];
	struct unload_arg ua = { .R = R, .x = x };
	struct bg rev;
	int rc, err, i;
	uint64_t t0, killed_ns;
	pid_t pid;

	int mods_before = R->restore->n_mod;

	/* our own importer files hold the module: close them, the scenario reopens them */
	R->slow.spec->ops->close(&R->slow);
	R->prompt.spec->ops->close(&R->prompt);
	R->slow_open = R->prompt_open = false;
	for (i = 0, err = 0; i < 4 && !err; i++)
		err = export_one(R, &x[i]);
	if (err) {
		expect(R, "setup", false, "four dma-bufs: %s", err_name(err));
		R->hung = true;
		return;
	}
	pid = p2pb_child_start(unload_child, &ua, &rc);
	expect(R, "setup", pid > 0 && !rc, "a child with a %d ms importer: 2 mapped, 1 unmapped, 1 detached: %s",
	       SLOW_MS, err_name(pid > 0 ? rc : pid));
	if (pid <= 0 || rc) {
		if (pid > 0)
			kill(pid, SIGKILL), waitpid(pid, NULL, 0);
		R->hung = true;
		return;
	}
	t0 = p2pb_now_ns();
	bg_start(&rev, R, do_trigger, "mem-off", t0);
	p2pb_sleep_ns(AT_MS * 1000000ull);
	err = unload_importer();
	expect(R, "busy_while_held", err == -EWOULDBLOCK || err == -EBUSY,
	       "unloading while the child holds its importer file: %s (expected EWOULDBLOCK)", err_name(err));
	killed_ns = p2pb_now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (!bg_join(&rev, R, "revoke_returns"))
		return;
	expect(R, "released_by_exit", !rev.rc && rev.end_ns >= killed_ns && rev.end_ns - t0 < 2 * SLOW_MS * 1000000ull,
	       "mem-off %s, ended %.1f ms in; the child was killed at %.1f ms (its two mappings were due at %d ms each, "
	       "one dma-buf after the other)", err_name(rev.rc), MS(rev.end_ns - t0), MS(killed_ns - t0), SLOW_MS);
	for (i = 0; i < 4; i++)
		R->x->ops->unexport(R->x, &x[i]);
	expect(R, "restore", !mem_on(R), "memory enabled again");
	/* the last fput of the child's importer file may run from a workqueue: give it a moment */
	for (i = 0; i < 100 && (err = unload_importer()) && (err == -EWOULDBLOCK || err == -EBUSY); i++)
		p2pb_sleep_ns(20000000);
	expect(R, "unloads", !err, "rmmod p2pbench_importer after the child's exit: %s", err_name(err));
	err = R->slow_spec.ops->open(&R->slow, R->restore);
	R->slow_open = !err;
	if (!err) {
		err = R->prompt_spec.ops->open(&R->prompt, R->restore);
		R->prompt_open = !err;
	}
	expect(R, "reloads", !err, "the module loads again and its importers open: %s", err_name(err));
	if (err)
		R->hung = true;
	/* loaded before the run, loaded again here: it stays loaded at the end, as it was */
	if (R->restore->n_mod > mods_before)
		R->restore->n_mod = mods_before;
}

/* The child of fatal_signal_in_wait: it revokes (mem-off) on the device fds it inherited. */
static void revoke_child(void *arg, int report_fd)
{
	struct race *R = arg;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p2pb_child_report(report_fd, 0);
	_exit(do_trigger(R, "mem-off") ? 4 : 0);
}

/*
 * SIGKILL to the task waiting in a revoke. The wait is uninterruptible, so
 * the task dies only once the importer has unmapped: a kernel that lets a
 * fatal signal end the wait returns with the mapping live. Then the device
 * must behave as before: memory on maps again, and the next revoke waits
 * again (the kref and the completion were re-armed, not left half-used).
 */
static void fatal_signal_in_wait(struct race *R)
{
	struct p2pb_engine_stats st = { 0 };
	struct p2pb_export x;
	struct attach_arg aa;
	struct bg rev;
	uint64_t t0, killed_ns, died_ns;
	int rc, err;
	pid_t pid;

	if (!slow_mapped(R, &x, &aa))
		return;
	pid = p2pb_child_start(revoke_child, R, &rc);
	t0 = p2pb_now_ns();
	expect(R, "child_setup", pid > 0 && !rc, "a child revoking on the device: %s", err_name(pid > 0 ? rc : pid));
	if (pid <= 0) {
		R->hung = true;
		return;
	}
	p2pb_sleep_ns(AT_MS * 1000000ull);
	killed_ns = p2pb_now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	died_ns = p2pb_now_ns();
	err = R->slow.spec->ops->stats(&R->slow, &aa.a, &st);
	expect(R, "no_early_return", !err && !st.mapped && died_ns - t0 >= (SLOW_MS - 50) * 1000000ull,
	       "SIGKILL at %.1f ms into the wait; the revoking task died at %.1f ms with the importer %s (its unmap "
	       "was due at %d ms)", MS(killed_ns - t0), MS(died_ns - t0), err ? "unknown" : st.mapped ? "still mapped" :
	       "unmapped", SLOW_MS);
	expect(R, "restore", !mem_on(R), "memory enabled again");
	err = R->slow.spec->ops->map(&R->slow, &aa.a);
	expect(R, "maps_again", !err, "the importer maps again after the killed revoke: %s", err_name(err));
	if (err) {
		do_detach(R, &aa);
		R->x->ops->unexport(R->x, &x);
		return;
	}
	t0 = p2pb_now_ns();
	bg_start(&rev, R, do_trigger, "mem-off", t0);
	if (!bg_join(&rev, R, "next_revoke_returns"))
		return;
	expect_waited(R, "next_revoke_waits", &rev, t0);
	expect(R, "restore_again", !mem_on(R), "memory enabled again");
	do_detach(R, &aa);
	R->x->ops->unexport(R->x, &x);
}

static const struct {
	const char *name;
	void (*run)(struct race *R);
	const char *help;
} scenarios[] = {
	{ "last-close-vs-revoke", last_close_vs_revoke,
	  "a dma-buf's last reference (its importer's) goes inside a revoke's wait" },
	{ "export-attach-during-revoke", export_attach_during_revoke,
	  "export and attach while a revoke holds memory_lock" },
	{ "second-trigger", second_trigger, "FLR and hot reset while a revoke waits" },
	{ "close-during-revoke", close_during_revoke, "the device fd closed while a revoke waits" },
	{ "unrevoke-vs-remap", unrevoke_vs_remap, "an importer remapping as fast as it can across an un-revoke" },
	{ "fatal-signal-in-wait", fatal_signal_in_wait,
	  "SIGKILL to the task waiting in a revoke: it dies only once the importer unmapped; the next revoke waits" },
	{ "module-unload", module_unload,
	  "the importer module unloaded after its holder, with attachments in every state, is killed inside a "
	  "revoke's wait" },
};
#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static int open_engine(struct race *R, struct p2pb_engine_spec *sp, struct p2pb_engine *e, const char *delay,
		       const char *imp, unsigned int instance, struct p2pb_session *s)
{
	char spec[P2PB_SPEC_LEN];
	int err;

	snprintf(spec, sizeof(spec), "kmod:delay=%s,dev=%s", delay, imp);
	err = p2pb_engine_spec_parse(spec, sp);
	if (!err)
		err = p2pb_engine_spec_check(sp);
	if (err)
		return err;
	*e = (struct p2pb_engine){ .spec = sp, .instance = instance, .seed = instance };
	(void)R;
	return sp->ops->open(e, &s->restore);
}

static int setup(struct race *R, const char *dev, const char *imp, struct p2pb_session *s)
{
	char delay[16];
	int err = p2pb_exporter_open(dev, &R->x);

	if (err)
		return err;
	if (!p2pb_exporter_vfio_dev(R->x))
		return p2pb_fail(-EINVAL, "race scenarios need a vfio-pci device, not '%s'", dev);
	R->restore = &s->restore;
	snprintf(delay, sizeof(delay), "%dms", SLOW_MS);
	err = open_engine(R, &R->slow_spec, &R->slow, delay, imp, 0, s);
	R->slow_open = !err;
	if (!err)
		err = open_engine(R, &R->prompt_spec, &R->prompt, "0", imp, 1, s);
	R->prompt_open = !err;
	return err;
}


void p2pb_race_help(FILE *f)
{
	size_t i;

	fprintf(f, "Named race scenarios: a second thread acts %d ms into a revoke that waits for a %d ms\n"
		   "importer; KTAP, one line per expectation (docs/stress.md, \"Race scenarios\").\n"
		   "The kernel log must stay clean throughout (race.log_clean).\n\n", AT_MS, SLOW_MS);
	for (i = 0; i < N_SCENARIOS; i++)
		fprintf(f, "  %-28s %s\n", scenarios[i].name, scenarios[i].help);
}

unsigned int p2pb_race_count(const char *which)
{
	unsigned int i, n = 0;

	for (i = 0; i < N_SCENARIOS; i++)
		n += !strcmp(which, "all") || !strcmp(which, scenarios[i].name);
	return n;
}

/* Every scenario asked for, then the kernel log over all of them. */
static void run_scenarios(struct race *R, const char *which, struct p2pb_race_result *r)
{
	size_t i;

	p2pb_kmsg_open(&R->kmsg);
	for (i = 0; i < N_SCENARIOS && !R->hung && !p2pb_interrupted; i++) {
		json_object *o = json_object_new_object();

		if (strcmp(which, "all") && strcmp(which, scenarios[i].name))
			continue;
		R->scenario = scenarios[i].name;
		R->cur = json_object_new_array();
		scenarios[i].run(R);
		json_object_object_add(o, "scenario", json_object_new_string(scenarios[i].name));
		json_object_object_add(o, "checks", R->cur);
		json_object_array_add(R->results, o);
	}
	p2pb_kmsg_scan(&R->kmsg, &r->klog);
	p2pb_kmsg_close(&R->kmsg);
	R->scenario = "all";
	R->cur = json_object_new_array();
	expect(R, "log_clean", !p2pb_kmsg_findings(&r->klog), "%u forbidden kernel log message(s)%s%s",
	       p2pb_kmsg_findings(&r->klog), r->klog.first_finding[0] ? "; first: " : "", r->klog.first_finding);
	json_object_put(R->cur);
	p2pb_ktap_diag(&R->ktap, "%u passed, %u failed", R->passed, R->failed);
}

/* Close what setup opened, unless a call never returned: then the device is left as it is. */
static void teardown(struct race *R)
{
	if (R->hung)
		return;
	if (R->slow_open)
		R->slow.spec->ops->close(&R->slow);
	if (R->prompt_open)
		R->prompt.spec->ops->close(&R->prompt);
	p2pb_exporter_close(R->x);
}

int p2pb_race_run(struct p2pb_session *s, const struct p2pb_race_params *p, struct p2pb_race_result *r)
{
	struct race *R = calloc(1, sizeof(*R));
	int err;

	memset(r, 0, sizeof(*r));
	if (!R)
		return p2pb_fail(-ENOMEM, "out of memory");
	R->bar = 2;
	R->size = 1 << 20;
	R->results = json_object_new_array();
	err = setup(R, p->device, p->importer_dev, s);
	R->ktap.f = err ? NULL : open_memstream(&r->ktap_body, &r->ktap_len);
	if (!err && !R->ktap.f)
		err = p2pb_fail(-ENOMEM, "out of memory");
	if (!err) {
		run_scenarios(R, p->scenario, r);
		fclose(R->ktap.f);
	}
	r->ktap_n = R->ktap.n;
	r->passed = R->passed;
	r->failed = R->failed;
	r->hung = R->hung;
	r->scenarios = R->results;
	teardown(R);
	free(R);
	return err;
}

void p2pb_race_result_release(struct p2pb_race_result *r)
{
	free(r->ktap_body);
	json_object_put(r->scenarios);
	memset(r, 0, sizeof(*r));
}
