/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_MEM_H
#define P2PB_RDMA_MEM_H
#include <infiniband/verbs.h>

#include "exporter.h"
#include "params.h"

/*
 * The memory side of the RDMA generator: a buffer of one back-end, registered
 * as one MR, that the generator fills and checks through the CPU (vfio:
 * through the VFIO region, since a BAR dma-buf has no CPU mapping here).
 */
struct p2pb_rdma_mem {
	struct p2pb_rdma_mem_spec spec;
	uint64_t len;
	void *cpu;			/* the CPU's view, NULL for vfio */
	int dmabuf_fd;			/* -1 for host memory */
	int memfd;			/* udmabuf's backing memfd, else -1 */
	struct p2pb_exporter x;		/* vfio */
	struct p2pb_export exp;		/* vfio: the exported range */
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
void p2pb_rdma_mem_close(struct p2pb_rdma_mem *m);
/* Kind names, for reports. */
const char *p2pb_rdma_mem_kind_name(enum p2pb_rdma_mem_kind kind);
#endif
