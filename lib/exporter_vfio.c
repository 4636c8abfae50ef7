// SPDX-License-Identifier: GPL-2.0
/* The vfio back-end: BAR ranges of a vfio-pci function, exported as dma-bufs (lib/vfio.c). */
#define _GNU_SOURCE
#include "exporter_backend.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct p2pb_vfio_exporter {
	struct p2pb_exporter base;
	struct p2pb_vfio_dev dev;	/* what the PCI triggers drive */
};

static struct p2pb_vfio_dev *vfio_dev(struct p2pb_exporter *x)
{
	return &p2pb_container_of(x, struct p2pb_vfio_exporter, base)->dev;
}

/* "vfio:BDF" or the bare BDF */
static const char *vfio_function(const char *dev)
{
	return !strncmp(dev, "vfio:", 5) ? dev + 5 : dev;
}

static int vfio_supported(const char *dev)
{
	(void)dev;
	return p2pb_exporter_has_node("/dev/vfio/vfio", "is the vfio module loaded?");
}

static int vfio_create(const char *dev, struct p2pb_exporter **out)
{
	struct p2pb_vfio_exporter *v = calloc(1, sizeof(*v));
	int err;

	if (!v)
		return p2pb_fail(-ENOMEM, "out of memory");
	err = p2pb_vfio_open(&v->dev, vfio_function(dev));
	if (!err)
		err = p2pb_vfio_dmabuf_supported(&v->dev);
	if (err) {
		p2pb_vfio_close(&v->dev);
		free(v);
		return err;
	}
	*out = &v->base;
	return 0;
}

static void vfio_destroy(struct p2pb_exporter *x)
{
	p2pb_vfio_close(vfio_dev(x));
	free(p2pb_container_of(x, struct p2pb_vfio_exporter, base));
}

static uint64_t vfio_bar_size(struct p2pb_exporter *x, uint32_t bar)
{
	return bar < 6 ? vfio_dev(x)->bar[bar].size : 0;
}

static int vfio_export(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out)
{
	int fd = p2pb_vfio_export(vfio_dev(x), bar, r, 1);

	if (fd < 0)
		return fd;
	*out = (struct p2pb_export){ .ops = x->ops, .fd = fd, .bar = bar, .offset = r->offset, .length = r->length };
	out->has_function = !p2pb_pci_parse(vfio_dev(x)->bdf, &out->function, NULL);
	return 0;
}

static void vfio_unexport(struct p2pb_exporter *x, struct p2pb_export *e)
{
	(void)x;
	if (e->fd >= 0)
		close(e->fd);
	*e = (struct p2pb_export){ .fd = -1 };
}

/* Through the VFIO region: a BAR dma-buf has no CPU mapping here. */
static int vfio_read(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, void *buf, size_t len)
{
	return p2pb_vfio_bar_read(vfio_dev(x), e->bar, e->offset + off, buf, len);
}

static int vfio_write(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, const void *buf,
		      size_t len)
{
	return p2pb_vfio_bar_write(vfio_dev(x), e->bar, e->offset + off, buf, len);
}

const struct p2pb_exporter_ops p2pb_exporter_vfio = {
	.name = "vfio",
	.dmabuf = true,
	.revocable = true,
	.importers_hold_ref = true,
	.supported = vfio_supported,
	.create = vfio_create,
	.destroy = vfio_destroy,
	.function = vfio_function,
	.bar_size = vfio_bar_size,
	.export = vfio_export,
	.unexport = vfio_unexport,
	.read = vfio_read,
	.write = vfio_write,
	.vfio = vfio_dev,
};
