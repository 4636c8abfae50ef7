// SPDX-License-Identifier: GPL-2.0
/* Memory back-ends of the RDMA generator: host, udmabuf, dma-heap, VFIO BAR. */
#define _GNU_SOURCE
#include "mem.h"

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

/* A dma-buf MR's IOVA: any page-aligned value works; a non-zero one is never mistaken for "unset". */
#define DMABUF_IOVA 0x40000000ull

const char *p2pb_rdma_mem_kind_name(enum p2pb_rdma_mem_kind kind)
{
	static const char *const names[] = { "host", "udmabuf", "heap", "vfio" };

	return kind <= P2PB_MEM_VFIO ? names[kind] : "?";
}

static int open_host(struct p2pb_rdma_mem *m)
{
	m->cpu = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->cpu == MAP_FAILED) {
		m->cpu = NULL;
		return p2pb_fail(-errno, "allocating %llu bytes of host memory: %s", (unsigned long long)m->len,
				 strerror(errno));
	}
	return 0;
}

static int open_udmabuf(struct p2pb_rdma_mem *m)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = m->len };
	int dev, err;

	m->memfd = memfd_create("p2pbench-rdma", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (m->memfd < 0 || ftruncate(m->memfd, (off_t)m->len) ||
	    fcntl(m->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return p2pb_fail(-errno, "a memfd for udmabuf: %s", strerror(errno));
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return p2pb_fail(-errno, "/dev/udmabuf: %s (the kernel needs CONFIG_UDMABUF)", strerror(errno));
	c.memfd = (uint32_t)m->memfd;
	m->dmabuf_fd = ioctl(dev, UDMABUF_CREATE, &c);
	err = errno;
	close(dev);
	if (m->dmabuf_fd < 0)
		return p2pb_fail(-err, "UDMABUF_CREATE of %llu bytes: %s", (unsigned long long)m->len, strerror(err));
	m->cpu = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->memfd, 0);
	if (m->cpu == MAP_FAILED) {
		m->cpu = NULL;
		return p2pb_fail(-errno, "mapping the udmabuf's memfd: %s", strerror(errno));
	}
	return 0;
}

static int open_heap(struct p2pb_rdma_mem *m)
{
	struct dma_heap_allocation_data a = { .len = m->len, .fd_flags = O_RDWR | O_CLOEXEC };
	char path[64];
	int heap, err;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", m->spec.heap);
	heap = open(path, O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return p2pb_fail(-errno, "%s: %s (the kernel needs CONFIG_DMABUF_HEAPS_SYSTEM)", path,
				 strerror(errno));
	err = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a) ? errno : 0;
	close(heap);
	if (err)
		return p2pb_fail(-err, "allocating %llu bytes from %s: %s", (unsigned long long)m->len, path,
				 strerror(err));
	m->dmabuf_fd = (int)a.fd;
	m->cpu = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->dmabuf_fd, 0);
	if (m->cpu == MAP_FAILED) {
		m->cpu = NULL;
		return p2pb_fail(-errno, "mapping the %s dma-buf: %s", path, strerror(errno));
	}
	return 0;
}

static int open_vfio(struct p2pb_rdma_mem *m)
{
	struct p2pb_range r = { .offset = m->spec.offset, .length = m->spec.length ? m->spec.length : m->len };
	uint64_t bar_size;
	int err;

	if (!strncmp(m->spec.bdf, "sim", 3))
		return p2pb_fail(-EINVAL, "--mem %s: the sim exporter has no dma-buf for a NIC", m->spec.text);
	if ((err = p2pb_exporter_open(&m->x, m->spec.bdf)))
		return err;
	bar_size = m->x.ops->bar_size(&m->x, m->spec.bar);
	if (r.length < m->len)
		return p2pb_fail(-EINVAL, "--mem %s: len= is %llu bytes, the run needs %llu", m->spec.text,
				 (unsigned long long)r.length, (unsigned long long)m->len);
	if (!bar_size || r.offset + r.length > bar_size)
		return p2pb_fail(-EINVAL, "--mem %s: BAR%u of %s is %llu bytes, the run needs [%#llx, +%#llx)",
				 m->spec.text, m->spec.bar, m->spec.bdf, (unsigned long long)bar_size,
				 (unsigned long long)r.offset, (unsigned long long)r.length);
	err = m->x.ops->export(&m->x, m->spec.bar, &r, &m->exp);
	if (err)
		return p2pb_fail(err, "exporting BAR%u [%#llx, +%#llx) of %s as a dma-buf failed: %s", m->spec.bar,
				 (unsigned long long)r.offset, (unsigned long long)r.length, m->spec.bdf,
				 strerror(-err));
	m->dmabuf_fd = m->exp.fd;
	return 0;
}

int p2pb_rdma_mem_open(struct p2pb_rdma_mem *m, const struct p2pb_rdma_mem_spec *spec, uint64_t len)
{
	static int (*const open_kind[])(struct p2pb_rdma_mem *) = { open_host, open_udmabuf, open_heap, open_vfio };
	int err;

	memset(m, 0, sizeof(*m));
	m->spec = *spec;
	m->len = (len + 4095) & ~4095ull;
	m->dmabuf_fd = m->memfd = m->exp.fd = -1;
	err = open_kind[spec->kind](m);
	if (err)
		p2pb_rdma_mem_close(m);
	return err;
}

static bool unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS || err == EPROTONOSUPPORT;
}

struct ibv_mr *p2pb_rdma_mem_reg(struct p2pb_rdma_mem *m, struct ibv_pd *pd, const char *dev, int access,
				 int *err)
{
	struct ibv_mr *mr;
	int e;

	if (m->dmabuf_fd < 0)
		mr = ibv_reg_mr(pd, m->cpu, m->len, access);
	else
		mr = ibv_reg_dmabuf_mr(pd, 0, m->len, DMABUF_IOVA, m->dmabuf_fd, access);
	e = errno;
	if (mr)
		return mr;
	*err = m->dmabuf_fd >= 0 && unsupported(e) ? -EOPNOTSUPP : -e;
	if (*err == -EOPNOTSUPP)
		p2pb_fail(-EOPNOTSUPP, "%s cannot register a dma-buf MR (%s memory): its driver has no dma-buf "
			  "MR support (%s)", dev, p2pb_rdma_mem_kind_name(m->spec.kind), strerror(e));
	else
		p2pb_fail(*err, "registering %llu bytes of %s memory on %s: %s", (unsigned long long)m->len,
			  p2pb_rdma_mem_kind_name(m->spec.kind), dev, strerror(e));
	return NULL;
}

uint64_t p2pb_rdma_mem_addr(const struct p2pb_rdma_mem *m)
{
	return m->dmabuf_fd < 0 ? (uint64_t)(uintptr_t)m->cpu : DMABUF_IOVA;
}

/* A CPU access to a dma-buf's mapping is bracketed by DMA_BUF_IOCTL_SYNC (the dma-buf rules). */
static void cpu_sync(struct p2pb_rdma_mem *m, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	if (m->spec.kind == P2PB_MEM_HEAP)
		ioctl(m->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &s);
}

int p2pb_rdma_mem_write(struct p2pb_rdma_mem *m, uint64_t off, const void *buf, size_t len)
{
	if (off + len > m->len)
		return -ERANGE;
	if (m->spec.kind == P2PB_MEM_VFIO)
		return p2pb_vfio_bar_write(&m->x.vfio, m->spec.bar, m->spec.offset + off, buf, len);
	cpu_sync(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy((char *)m->cpu + off, buf, len);
	cpu_sync(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	return 0;
}

int p2pb_rdma_mem_read(struct p2pb_rdma_mem *m, uint64_t off, void *buf, size_t len)
{
	if (off + len > m->len)
		return -ERANGE;
	if (m->spec.kind == P2PB_MEM_VFIO)
		return p2pb_vfio_bar_read(&m->x.vfio, m->spec.bar, m->spec.offset + off, buf, len);
	cpu_sync(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	memcpy(buf, (char *)m->cpu + off, len);
	cpu_sync(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	return 0;
}

void p2pb_rdma_mem_close(struct p2pb_rdma_mem *m)
{
	if (m->cpu)
		munmap(m->cpu, m->len);
	m->cpu = NULL;
	if (m->spec.kind == P2PB_MEM_VFIO) {
		if (m->exp.fd >= 0)
			m->x.ops->unexport(&m->x, &m->exp);
		p2pb_exporter_close(&m->x);
	} else if (m->dmabuf_fd >= 0) {
		close(m->dmabuf_fd);
	}
	if (m->memfd >= 0)
		close(m->memfd);
	m->dmabuf_fd = m->memfd = m->exp.fd = -1;
}
