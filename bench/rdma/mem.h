/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_MEM_H
#define P2PB_RDMA_MEM_H
#include <infiniband/verbs.h>

#include "exporter.h"
#include "params.h"

/*
 * The memory side of the RDMA generator: one export of a memory back-end
 * (lib/exporter.h), registered as one MR, that the generator fills and
 * checks through the CPU (the back-end's read and write: a BAR through the
 * VFIO region, since a BAR dma-buf has no CPU mapping here).
 */
struct p2pb_rdma_mem {
	struct p2pb_rdma_mem_spec spec;
	uint64_t len;
	struct p2pb_exporter *x;	/* the back-end's device, NULL before open */
	struct p2pb_export exp;		/* the buffer: a dma-buf (fd), memory mapped here (cpu), or both */
};

/* Allocate or export @len bytes; 0 or -errno with p2pb_fail(). */
int p2pb_rdma_mem_open(struct p2pb_rdma_mem *m, const struct p2pb_rdma_mem_spec *spec, uint64_t len);
/*
 * Register the whole buffer on @pd. NULL with *err: -EOPNOTSUPP with a
 * message naming @dev when the device's driver cannot register a dma-buf MR
 * (what a caller reports as a skip), other -errno with p2pb_fail().
 */
struct ibv_mr *p2pb_rdma_mem_reg(struct p2pb_rdma_mem *m, struct ibv_pd *pd, const char *dev, int access,
				 int *err);
/* The address the buffer's first byte has in work requests (host: its pointer; dma-buf: the MR's IOVA). */
uint64_t p2pb_rdma_mem_addr(const struct p2pb_rdma_mem *m);
int p2pb_rdma_mem_write(struct p2pb_rdma_mem *m, uint64_t off, const void *buf, size_t len);
int p2pb_rdma_mem_read(struct p2pb_rdma_mem *m, uint64_t off, void *buf, size_t len);
/* Release what open took; a zeroed struct (never opened) too. */
void p2pb_rdma_mem_close(struct p2pb_rdma_mem *m);
#endif
