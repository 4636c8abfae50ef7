// SPDX-License-Identifier: GPL-2.0
/* The sim back-end: exports of the in-process stand-in (lib/sim.c), for unit tests without hardware. */
#define _GNU_SOURCE
#include "exporter_backend.h"
#include "error.h"
#include "sim.h"

#include <errno.h>
#include <stdlib.h>

#define SIM_BAR 2
#define SIM_BAR_SIZE (64ull << 20)	/* like the lab's CMB */

struct p2pb_sim_exporter {
	struct p2pb_exporter base;
	struct p2pb_sim_dev *dev;
};

static struct p2pb_sim_dev *sim_dev(struct p2pb_exporter *x)
{
	return p2pb_container_of(x, struct p2pb_sim_exporter, base)->dev;
}

static int sim_create(const char *dev, struct p2pb_exporter **out)
{
	struct p2pb_sim_exporter *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return p2pb_fail(-ENOMEM, "out of memory");
	if ((err = p2pb_sim_open(&s->dev, dev))) {
		free(s);
		return err;
	}
	*out = &s->base;
	return 0;
}

static void sim_destroy(struct p2pb_exporter *x)
{
	p2pb_sim_close(sim_dev(x));
	free(p2pb_container_of(x, struct p2pb_sim_exporter, base));
}

static uint64_t sim_bar_size(struct p2pb_exporter *x, uint32_t bar)
{
	(void)x;
	return bar == SIM_BAR ? SIM_BAR_SIZE : 0;
}

static int sim_export(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out)
{
	struct p2pb_sim_buf *b;

	if (!r->length || r->offset % 4096 || r->length % 4096 || r->offset + r->length > sim_bar_size(x, bar))
		return -EINVAL;
	if (!(b = p2pb_sim_export(sim_dev(x))))
		return -ENOMEM;
	*out = (struct p2pb_export){ .ops = x->ops, .fd = -1, .bar = bar, .offset = r->offset, .length = r->length,
				     .priv = b };
	return 0;
}

static void sim_unexport(struct p2pb_exporter *x, struct p2pb_export *e)
{
	(void)x;
	if (e->priv)
		p2pb_sim_unexport(e->priv);
	*e = (struct p2pb_export){ .fd = -1 };
}

static int sim_revoke(struct p2pb_exporter *x, bool revoked)
{
	return revoked ? p2pb_sim_revoke(sim_dev(x)) : p2pb_sim_unrevoke(sim_dev(x));
}

const struct p2pb_exporter_ops p2pb_exporter_sim = {
	.name = "sim",
	.revocable = true,
	.create = sim_create,
	.destroy = sim_destroy,
	.bar_size = sim_bar_size,
	.export = sim_export,
	.unexport = sim_unexport,
	.revoke = sim_revoke,
};

struct p2pb_sim_buf *p2pb_sim_export_buf(const struct p2pb_export *e)
{
	return e->ops == &p2pb_exporter_sim ? e->priv : NULL;
}
