// SPDX-License-Identifier: GPL-2.0
/* The RDMA generator's memory: one export of a memory back-end, and its MR. */
#define _GNU_SOURCE
#include "mem.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A dma-buf MR's IOVA: any page-aligned value works; a non-zero one is never mistaken for "unset". */
#define DMABUF_IOVA 0x40000000ull

/* A back-end with BARs: the range must be as long as the run needs and lie inside the BAR. */
static int check_bar(struct p2pb_rdma_mem *m, const struct p2pb_range *r)
{
	uint64_t bar_size = p2pb_exporter_bar_size(m->x, m->spec.bar);

	if (r->length < m->len)
		return p2pb_fail(-EINVAL, "--mem %s: len= is %llu bytes, the run needs %llu", m->spec.text,
				 (unsigned long long)r->length, (unsigned long long)m->len);
	if (!bar_size || r->offset + r->length > bar_size)
		return p2pb_fail(-EINVAL, "--mem %s: BAR%u of %s is %llu bytes, the run needs [%#llx, +%#llx)",
				 m->spec.text, m->spec.bar, m->spec.bdf, (unsigned long long)bar_size,
				 (unsigned long long)r->offset, (unsigned long long)r->length);
	return 0;
}

static int export_range(struct p2pb_rdma_mem *m)
{
	struct p2pb_range r = { .offset = m->spec.offset, .length = m->spec.length ? m->spec.length : m->len };
	int err;

	if (m->x->ops->bar_size && (err = check_bar(m, &r)))
		return err;
	p2pb_clear_error();
	err = m->x->ops->export(m->x, m->spec.bar, &r, &m->exp);
	if (err && !p2pb_has_error())	/* the kernel's errno alone: say what was exported */
		return p2pb_fail(err, "exporting BAR%u [%#llx, +%#llx) of %s as a dma-buf failed: %s", m->spec.bar,
				 (unsigned long long)r.offset, (unsigned long long)r.length, m->spec.bdf,
				 strerror(-err));
	return err;
}

int p2pb_rdma_mem_open(struct p2pb_rdma_mem *m, const struct p2pb_rdma_mem_spec *spec, uint64_t len)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->spec = *spec;
	m->len = (len + 4095) & ~4095ull;
	m->exp.fd = -1;
	err = p2pb_exporter_open(spec->dev, &m->x);
	if (!err)
		err = export_range(m);
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

	if (m->exp.fd < 0)
		mr = ibv_reg_mr(pd, m->exp.cpu, m->len, access);
	else
		mr = ibv_reg_dmabuf_mr(pd, 0, m->len, DMABUF_IOVA, m->exp.fd, access);
	e = errno;
	if (mr)
		return mr;
	*err = m->exp.fd >= 0 && unsupported(e) ? -EOPNOTSUPP : -e;
	if (*err == -EOPNOTSUPP)
		p2pb_fail(-EOPNOTSUPP, "%s cannot register a dma-buf MR (%s memory): its driver has no dma-buf "
			  "MR support (%s)", dev, m->spec.kind->name, strerror(e));
	else
		p2pb_fail(*err, "registering %llu bytes of %s memory on %s: %s", (unsigned long long)m->len,
			  m->spec.kind->name, dev, strerror(e));
	return NULL;
}

uint64_t p2pb_rdma_mem_addr(const struct p2pb_rdma_mem *m)
{
	return m->exp.fd < 0 ? (uint64_t)(uintptr_t)m->exp.cpu : DMABUF_IOVA;
}

int p2pb_rdma_mem_write(struct p2pb_rdma_mem *m, uint64_t off, const void *buf, size_t len)
{
	if (off + len > m->len)
		return -ERANGE;
	return m->x->ops->write ? m->x->ops->write(m->x, &m->exp, off, buf, len) : -EOPNOTSUPP;
}

int p2pb_rdma_mem_read(struct p2pb_rdma_mem *m, uint64_t off, void *buf, size_t len)
{
	if (off + len > m->len)
		return -ERANGE;
	return m->x->ops->read ? m->x->ops->read(m->x, &m->exp, off, buf, len) : -EOPNOTSUPP;
}

void p2pb_rdma_mem_close(struct p2pb_rdma_mem *m)
{
	if (m->exp.ops)
		m->x->ops->unexport(m->x, &m->exp);
	p2pb_exporter_close(m->x);
	m->x = NULL;
	m->exp = (struct p2pb_export){ .fd = -1 };
}
