// SPDX-License-Identifier: GPL-2.0
/*
 * The null engine: an in-process importer of the sim exporter (lib/sim.c)
 * that behaves like the kmod engine's unmap policies (at once, after a
 * delay, never) and records the same events, so the orchestration, the
 * verdicts and the reports run in unit tests without a kernel. It moves no
 * data.
 */
#define _GNU_SOURCE
#include "engine.h"
#include "clock.h"
#include "error.h"
#include "sim.h"
#include "units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct null_opts {
	uint64_t delay_ns;	/* P2PB_NEVER: never unmaps */
};

_Static_assert(sizeof(struct null_opts) <= P2PB_ENGINE_OPTS, "null options fit a spec");

static const struct p2pb_opt null_keys[] = {
	{ .name = "delay", .type = P2PB_OPT_DURATION, P2PB_OPT_FIELD(struct null_opts, delay_ns), .def = "0",
	  .unit_ns = P2PB_NS_PER_MS, .flags = P2PB_OPT_NEVER, .zero = "at once",
	  .help = "when to unmap after an invalidate" },
	{ 0 },
};

static unsigned int null_injected(const void *opts)
{
	return ((const struct null_opts *)opts)->delay_ns == P2PB_NEVER ? P2PB_INJECT_NEVER_UNMAP : 0;
}

/* One attachment; everything but sa is under the sim device's lock. */
struct null_att {
	struct p2pb_sim_att *sa;
	uint64_t delay_ns, due_ns;	/* due_ns: a delayed unmap is armed */
	struct p2pb_event_ring events;
};

static void record(struct null_att *n, enum p2pb_engine_ev type, int arg, uint64_t value)
{
	p2pb_event_ring_push(&n->events, (struct p2pb_engine_event){
		.ts_ns = p2pb_now_ns(), .type = type, .arg = arg, .value = value,
	});
}

static void unmap_locked(struct null_att *n, enum p2pb_unmap_reason c)
{
	n->due_ns = 0;
	if (!n->sa->mapped)
		return;
	p2pb_sim_unmap_locked(n->sa);
	record(n, P2PB_EE_UNMAP, c, 0);
}

static void on_invalidate(void *priv, bool live)
{
	struct null_att *n = priv;

	record(n, P2PB_EE_INVALIDATE, live, live ? n->delay_ns : 0);
	if (!live || n->delay_ns == P2PB_NEVER)
		return;
	if (!n->delay_ns)
		unmap_locked(n, P2PB_UNMAP_POLICY);
	else if (!n->due_ns)
		n->due_ns = p2pb_now_ns() + n->delay_ns;
}

static void on_poll(void *priv, uint64_t now)
{
	struct null_att *n = priv;

	if (n->due_ns && now >= n->due_ns)
		unmap_locked(n, P2PB_UNMAP_POLICY);
}

static const struct p2pb_sim_importer null_importer = {
	.invalidate = on_invalidate,
	.poll = on_poll,
};

static int null_open(struct p2pb_engine *e, struct p2pb_restore *r)
{
	(void)e;
	(void)r;
	return 0;
}

static int null_attach(struct p2pb_engine *e, const struct p2pb_export *x, struct p2pb_attachment *a)
{
	struct p2pb_sim_buf *buf = p2pb_sim_export_buf(x);
	struct null_att *n;
	int err;

	if (!buf)
		return p2pb_fail(-EINVAL, "importer %s: the null engine imports from the sim exporter only", e->spec->text);
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->delay_ns = ((const struct null_opts *)e->spec->opts)->delay_ns;
	if ((err = p2pb_sim_attach(buf, &null_importer, n, &n->sa))) {
		free(n);
		return err;
	}
	a->priv = n;
	a->map_err = p2pb_sim_map(n->sa);
	return 0;
}

static int null_map(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct null_att *n = a->priv;

	(void)e;
	a->map_err = p2pb_sim_map(n->sa);
	return a->map_err;
}

/* The device may be gone (closed): then there is no lock to take. */
static void lock(struct null_att *n)
{
	if (n->sa->buf->dev)
		p2pb_sim_lock(n->sa->buf->dev);
}

static void unlock(struct null_att *n)
{
	if (n->sa->buf->dev)
		p2pb_sim_unlock(n->sa->buf->dev);
}

static int null_unmap(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct null_att *n = a->priv;

	(void)e;
	lock(n);
	unmap_locked(n, P2PB_UNMAP_FORCED);
	unlock(n);
	return 0;
}

static int null_events(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_event *ev,
		       uint32_t max, uint32_t *got)
{
	struct null_att *n = a->priv;
	int err;

	(void)e;
	lock(n);
	err = p2pb_event_ring_take(&n->events, ev, max, got);
	unlock(n);
	return err;
}

static int null_stats(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_stats *st)
{
	struct null_att *n = a->priv;

	(void)e;
	if (n->sa->buf->dev)
		p2pb_sim_poll(n->sa->buf->dev);	/* time passes for a delayed unmap */
	lock(n);
	*st = (struct p2pb_engine_stats){ .mapped = n->sa->mapped };
	unlock(n);
	return 0;
}

static void null_detach(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct null_att *n = a->priv;

	(void)e;
	p2pb_sim_detach(n->sa);
	free(n);
	a->priv = NULL;
}

static void null_close(struct p2pb_engine *e)
{
	(void)e;
}

const struct p2pb_engine_ops p2pb_engine_null = {
	.name = "null",
	.help = "an in-process importer of the sim exporter, for tests without hardware",
	.keys = null_keys,
	.opts_size = sizeof(struct null_opts),
	.injected = null_injected,
	.open = null_open,
	.attach = null_attach,
	.map = null_map,
	.unmap = null_unmap,
	.events = null_events,
	.stats = null_stats,
	.detach = null_detach,
	.close = null_close,
};
