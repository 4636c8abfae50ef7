// SPDX-License-Identifier: GPL-2.0
/* Memory back-ends: vfio-pci dma-bufs, and the sim stand-in for unit tests. */
#define _GNU_SOURCE
#include "exporter.h"
#include "error.h"
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int vfio_open(struct p2pb_exporter *x, const char *dev)
{
	int err = p2pb_vfio_open(&x->vfio, dev);

	if (!err && (err = p2pb_vfio_dmabuf_supported(&x->vfio)))
		p2pb_vfio_close(&x->vfio);
	return err;
}

static uint64_t vfio_bar_size(struct p2pb_exporter *x, uint32_t bar)
{
	return bar < 6 ? x->vfio.bar[bar].size : 0;
}

static int vfio_export(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out)
{
	int fd = p2pb_vfio_export(&x->vfio, bar, r, 1);

	if (fd < 0)
		return fd;
	*out = (struct p2pb_export){ .fd = fd, .bar = bar, .offset = r->offset, .length = r->length };
	out->has_function = !p2pb_pci_parse(x->vfio.bdf, &out->function, NULL);
	return 0;
}

static void vfio_unexport(struct p2pb_exporter *x, struct p2pb_export *e)
{
	(void)x;
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

static void vfio_close(struct p2pb_exporter *x)
{
	p2pb_vfio_close(&x->vfio);
}

const struct p2pb_exporter_ops p2pb_exporter_vfio = {
	.name = "vfio",
	.open = vfio_open,
	.bar_size = vfio_bar_size,
	.export = vfio_export,
	.unexport = vfio_unexport,
	.close = vfio_close,
};

static int sim_open(struct p2pb_exporter *x, const char *dev)
{
	return p2pb_sim_open(&x->sim, dev);
}

static uint64_t sim_bar_size(struct p2pb_exporter *x, uint32_t bar)
{
	(void)x;
	return bar == 2 ? 64ull << 20 : 0;	/* like the lab's CMB */
}

static int sim_export(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out)
{
	struct p2pb_sim_buf *b;

	if (!r->length || r->offset % 4096 || r->length % 4096 || r->offset + r->length > sim_bar_size(x, bar))
		return -EINVAL;
	if (!(b = p2pb_sim_export(x->sim)))
		return -ENOMEM;
	*out = (struct p2pb_export){ .fd = -1, .bar = bar, .offset = r->offset, .length = r->length, .sim = b };
	return 0;
}

static void sim_unexport(struct p2pb_exporter *x, struct p2pb_export *e)
{
	(void)x;
	if (e->sim)
		p2pb_sim_unexport(e->sim);
	e->sim = NULL;
}

static void sim_close(struct p2pb_exporter *x)
{
	p2pb_sim_close(x->sim);
	x->sim = NULL;
}

const struct p2pb_exporter_ops p2pb_exporter_sim = {
	.name = "sim",
	.open = sim_open,
	.bar_size = sim_bar_size,
	.export = sim_export,
	.unexport = sim_unexport,
	.close = sim_close,
};

int p2pb_exporter_open(struct p2pb_exporter *x, const char *dev)
{
	int err;

	memset(x, 0, sizeof(*x));
	x->vfio.container_fd = x->vfio.group_fd = x->vfio.device_fd = -1;
	x->ops = !strncmp(dev, "sim", 3) ? &p2pb_exporter_sim : &p2pb_exporter_vfio;
	snprintf(x->name, sizeof(x->name), "%s", dev);
	err = x->ops->open(x, dev);
	x->open = !err;
	return err;
}

void p2pb_exporter_close(struct p2pb_exporter *x)
{
	if (x->ops && x->open)
		x->ops->close(x);
	x->open = false;
}

bool p2pb_exporter_alive(const struct p2pb_exporter *x)
{
	return x->open && (x->ops != &p2pb_exporter_vfio || x->vfio.device_fd >= 0);
}

const char *p2pb_exporter_state_str(uint32_t st, char *buf, size_t len)
{
	static const char *const dstate[] = { "D0", "D1", "D2", "D3hot" };

	if (!(st & P2PB_EXPORTER_READ))
		snprintf(buf, len, "not read");
	else if (st & P2PB_EXPORTER_GONE)
		snprintf(buf, len, "not answering (all ones)");
	else
		snprintf(buf, len, "MEM=%d %s", !!(st & P2PB_EXPORTER_MEM),
			 dstate[(st & P2PB_EXPORTER_PM_MASK) >> P2PB_EXPORTER_PM_SHIFT]);
	return buf;
}
