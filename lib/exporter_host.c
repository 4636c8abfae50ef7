// SPDX-License-Identifier: GPL-2.0
/*
 * Memory of this process, the control cases beside a BAR: anonymous memory
 * (host), a memfd made a dma-buf by /dev/udmabuf (udmabuf) and a dma-buf of
 * a dma-heap (heap[:NAME], the system heap unless named). They have no BARs:
 * each export is memory of its own, mapped here. None can be revoked.
 */
#define _GNU_SOURCE
#include "exporter_backend.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define UDMABUF_NODE "/dev/udmabuf"
#define UDMABUF_LACKS "the kernel needs CONFIG_UDMABUF"
#define HEAP_LACKS "the kernel needs CONFIG_DMABUF_HEAPS_SYSTEM"
#define NODE_PATH_LEN 160

struct p2pb_host_exporter {
	struct p2pb_exporter base;
	int node;			/* /dev/udmabuf or the heap's node; -1 for host */
	char path[NODE_PATH_LEN];	/* the node's, for messages */
};

static struct p2pb_host_exporter *host_of(struct p2pb_exporter *x)
{
	return p2pb_container_of(x, struct p2pb_host_exporter, base);
}

/* Allocate @len bytes: the dma-buf into *@fd (-1: none), the CPU's mapping into *@cpu; -errno with p2pb_fail(). */
typedef int host_alloc_fn(struct p2pb_host_exporter *h, uint64_t len, int *fd, void **cpu);

/* @path: the node the back-end allocates through, NULL for none (host). */
static int host_create_node(const char *path, int flags, const char *lacks, struct p2pb_exporter **out)
{
	struct p2pb_host_exporter *h = calloc(1, sizeof(*h));

	if (!h)
		return p2pb_fail(-ENOMEM, "out of memory");
	h->node = -1;
	if (path) {
		snprintf(h->path, sizeof(h->path), "%s", path);
		if ((h->node = p2pb_exporter_open_node(path, flags, lacks)) < 0) {
			int err = h->node;

			free(h);
			return err;
		}
	}
	*out = &h->base;
	return 0;
}

static void host_destroy(struct p2pb_exporter *x)
{
	struct p2pb_host_exporter *h = host_of(x);

	if (h->node >= 0)
		close(h->node);
	free(h);
}

static int export_with(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out,
		       host_alloc_fn *alloc)
{
	void *cpu = NULL;
	int fd = -1, err;

	if (r->offset || !r->length)
		return -EINVAL;		/* no BAR to place it in: memory of its own */
	if ((err = alloc(host_of(x), r->length, &fd, &cpu)))
		return err;
	*out = (struct p2pb_export){ .ops = x->ops, .fd = fd, .cpu = cpu, .bar = bar, .length = r->length };
	return 0;
}

static void host_unexport(struct p2pb_exporter *x, struct p2pb_export *e)
{
	(void)x;
	if (e->cpu)
		munmap(e->cpu, e->length);
	if (e->fd >= 0)
		close(e->fd);
	*e = (struct p2pb_export){ .fd = -1 };
}

static int host_read(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, void *buf, size_t len)
{
	(void)x;
	memcpy(buf, (const char *)e->cpu + off, len);
	return 0;
}

static int host_write(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, const void *buf,
		      size_t len)
{
	(void)x;
	memcpy((char *)e->cpu + off, buf, len);
	return 0;
}

/* ---- host: anonymous memory ---- */

static int host_create(const char *dev, struct p2pb_exporter **out)
{
	(void)dev;
	return host_create_node(NULL, 0, NULL, out);
}

static int alloc_anon(struct p2pb_host_exporter *h, uint64_t len, int *fd, void **cpu)
{
	(void)h;
	*fd = -1;
	*cpu = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*cpu == MAP_FAILED)
		return p2pb_fail(-errno, "allocating %llu bytes of host memory: %s", (unsigned long long)len,
				 strerror(errno));
	return 0;
}

static int host_export(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out)
{
	return export_with(x, bar, r, out, alloc_anon);
}

/* host and udmabuf take no ARGS: "host:x" is refused, not run as host memory */
static int no_arguments(const char *dev)
{
	const char *colon = strchr(dev, ':');

	return colon ? p2pb_fail(-EINVAL, "'%.*s' takes no arguments", (int)(colon - dev), dev) : 0;
}

const struct p2pb_exporter_ops p2pb_exporter_host = {
	.name = "host",
	.cpu_mapped = true,
	.importers_hold_ref = true,
	.check = no_arguments,
	.create = host_create,
	.destroy = host_destroy,
	.export = host_export,
	.unexport = host_unexport,
	.read = host_read,
	.write = host_write,
};

/* ---- udmabuf: a sealed memfd, the CPU's view through the memfd ---- */

static int udmabuf_supported(const char *dev)
{
	(void)dev;
	return p2pb_exporter_has_node(UDMABUF_NODE, UDMABUF_LACKS);
}

static int udmabuf_create(const char *dev, struct p2pb_exporter **out)
{
	(void)dev;
	return host_create_node(UDMABUF_NODE, O_RDWR, UDMABUF_LACKS, out);
}

/* The mapping keeps the memfd's pages, the udmabuf its own reference: the memfd itself is not kept. */
static int alloc_udmabuf(struct p2pb_host_exporter *h, uint64_t len, int *fd, void **cpu)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = len };
	int memfd = memfd_create("p2pbench-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC), err = 0;

	if (memfd < 0 || ftruncate(memfd, (off_t)len) || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		err = p2pb_fail(-errno, "a memfd for udmabuf: %s", strerror(errno));
		goto out;
	}
	c.memfd = (uint32_t)memfd;
	if ((*fd = ioctl(h->node, UDMABUF_CREATE, &c)) < 0) {
		err = p2pb_fail(-errno, "UDMABUF_CREATE of %llu bytes: %s", (unsigned long long)len, strerror(errno));
		goto out;
	}
	*cpu = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (*cpu == MAP_FAILED) {
		err = p2pb_fail(-errno, "mapping the udmabuf's memfd: %s", strerror(errno));
		close(*fd);
	}
out:
	if (memfd >= 0)
		close(memfd);
	return err;
}

static int udmabuf_export(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r,
			  struct p2pb_export *out)
{
	return export_with(x, bar, r, out, alloc_udmabuf);
}

const struct p2pb_exporter_ops p2pb_exporter_udmabuf = {
	.name = "udmabuf",
	.dmabuf = true,
	.cpu_mapped = true,
	.importers_hold_ref = true,
	.check = no_arguments,
	.supported = udmabuf_supported,
	.create = udmabuf_create,
	.destroy = host_destroy,
	.export = udmabuf_export,
	.unexport = host_unexport,
	.read = host_read,
	.write = host_write,
};

/* ---- heap: a dma-heap's dma-buf, the CPU's view through the dma-buf ---- */

/* "heap" or "heap:NAME": its node's path; -EINVAL with p2pb_fail() for a name that is none */
static int heap_path(const char *dev, char *path, size_t len)
{
	const char *name = dev[4] ? dev + 5 : "system";

	if (!name[0] || strchr(name, '/'))
		return p2pb_fail(-EINVAL, "bad heap name");
	snprintf(path, len, "/dev/dma_heap/%s", name);
	return 0;
}

static int heap_check(const char *dev)
{
	char path[NODE_PATH_LEN];

	return heap_path(dev, path, sizeof(path));
}

static int heap_supported(const char *dev)
{
	char path[NODE_PATH_LEN];
	int err = heap_path(dev, path, sizeof(path));

	return err ? err : p2pb_exporter_has_node(path, HEAP_LACKS);
}

static int heap_create(const char *dev, struct p2pb_exporter **out)
{
	char path[NODE_PATH_LEN];
	int err = heap_path(dev, path, sizeof(path));

	return err ? err : host_create_node(path, O_RDONLY, HEAP_LACKS, out);
}

static int alloc_heap(struct p2pb_host_exporter *h, uint64_t len, int *fd, void **cpu)
{
	struct dma_heap_allocation_data a = { .len = len, .fd_flags = O_RDWR | O_CLOEXEC };
	int err;

	if (ioctl(h->node, DMA_HEAP_IOCTL_ALLOC, &a))
		return p2pb_fail(-errno, "allocating %llu bytes from %s: %s", (unsigned long long)len, h->path,
				 strerror(errno));
	*fd = (int)a.fd;
	*cpu = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (*cpu == MAP_FAILED) {
		err = p2pb_fail(-errno, "mapping the %s dma-buf: %s", h->path, strerror(errno));
		close(*fd);
		return err;
	}
	return 0;
}

static int heap_export(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out)
{
	return export_with(x, bar, r, out, alloc_heap);
}

/* A CPU access to a dma-buf's own mapping is bracketed by DMA_BUF_IOCTL_SYNC (the dma-buf rules). */
static void cpu_sync(const struct p2pb_export *e, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	ioctl(e->fd, DMA_BUF_IOCTL_SYNC, &s);
}

static int heap_read(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, void *buf, size_t len)
{
	cpu_sync(e, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	host_read(x, e, off, buf, len);
	cpu_sync(e, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	return 0;
}

static int heap_write(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, const void *buf,
		      size_t len)
{
	cpu_sync(e, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	host_write(x, e, off, buf, len);
	cpu_sync(e, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	return 0;
}

const struct p2pb_exporter_ops p2pb_exporter_heap = {
	.name = "heap",
	.dmabuf = true,
	.cpu_mapped = true,
	.importers_hold_ref = true,
	.check = heap_check,
	.supported = heap_supported,
	.create = heap_create,
	.destroy = host_destroy,
	.export = heap_export,
	.unexport = host_unexport,
	.read = heap_read,
	.write = heap_write,
};
