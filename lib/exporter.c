// SPDX-License-Identifier: GPL-2.0
/* The memory back-end registry: a device string to its back-end, and what every back-end shares. */
#define _GNU_SOURCE
#include "exporter.h"
#include "exporter_backend.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Every back-end, found by name; a new one is a file of its own and a line here. */
static const struct p2pb_exporter_ops *const exporters[] = {
	&p2pb_exporter_vfio,
	&p2pb_exporter_sim,
	&p2pb_exporter_host,
	&p2pb_exporter_udmabuf,
	&p2pb_exporter_heap,
	NULL,
};

/* A bare PCI address names a vfio-pci function. */
static const struct p2pb_exporter_ops *const by_address = &p2pb_exporter_vfio;

const struct p2pb_exporter_ops *p2pb_exporter_find(const char *dev)
{
	unsigned int i;
	size_t n;

	for (i = 0; exporters[i]; i++) {
		n = strlen(exporters[i]->name);
		if (!strncmp(dev, exporters[i]->name, n) && (!dev[n] || dev[n] == ':'))
			return exporters[i];
	}
	return NULL;
}

const struct p2pb_exporter_ops *p2pb_exporter_backend(const char *dev)
{
	const struct p2pb_exporter_ops *b = p2pb_exporter_find(dev);

	return b ? b : by_address;
}

int p2pb_exporter_open(const char *dev, struct p2pb_exporter **out)
{
	const struct p2pb_exporter_ops *b = p2pb_exporter_backend(dev);
	int err;

	*out = NULL;
	if ((b->check && (err = b->check(dev))) || (b->supported && (err = b->supported(dev))) ||
	    (err = b->create(dev, out)))
		return err;
	(*out)->ops = b;
	snprintf((*out)->name, sizeof((*out)->name), "%s", dev);
	return 0;
}

void p2pb_exporter_close(struct p2pb_exporter *x)
{
	if (x)
		x->ops->destroy(x);
}

const char *p2pb_exporter_function(const char *dev)
{
	const struct p2pb_exporter_ops *b = p2pb_exporter_backend(dev);

	return b->function ? b->function(dev) : NULL;
}

uint64_t p2pb_exporter_bar_size(struct p2pb_exporter *x, uint32_t bar)
{
	return x->ops->bar_size ? x->ops->bar_size(x, bar) : 0;
}

struct p2pb_vfio_dev *p2pb_exporter_vfio_dev(struct p2pb_exporter *x)
{
	return x && x->ops->vfio ? x->ops->vfio(x) : NULL;
}

/* A close trigger closes the device behind the ranges; the rest stay usable while open. */
bool p2pb_exporter_alive(struct p2pb_exporter *x)
{
	struct p2pb_vfio_dev *d = p2pb_exporter_vfio_dev(x);

	return x && (!d || d->device_fd >= 0);
}

static int node_missing(const char *path, int err, const char *lacks)
{
	return p2pb_fail(-err, "%s: %s (%s)", path, strerror(err), lacks);
}

int p2pb_exporter_open_node(const char *path, int flags, const char *lacks)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? node_missing(path, errno, lacks) : fd;
}

int p2pb_exporter_has_node(const char *path, const char *lacks)
{
	return access(path, F_OK) ? node_missing(path, errno, lacks) : 0;
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
