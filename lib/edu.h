/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_EDU_H
#define P2PB_EDU_H
#include <stdbool.h>
#include <stdint.h>

#include "vfio.h"

/*
 * QEMU's edu device driven from userspace through its VFIO BAR0 (a function
 * opened with p2pb_vfio_open or p2pb_vfio_open_cdev, bus mastering on): a
 * DMA engine that moves up to P2PB_EDU_DMA_MAX bytes between its 4 KiB
 * buffer and a bus address (an IOVA of the function's IOMMU space), one
 * transfer at a time, each completing 100 ms (QEMU virtual time) after it
 * was started. The kernel-side twin is in kernel/importer/importer_core.c.
 */
#define P2PB_EDU_VENDOR		0x1234
#define P2PB_EDU_DEVICE		0x11e8
#define P2PB_EDU_BUFFER_SIZE	4096u
#define P2PB_EDU_DMA_MAX	4095u	/* QEMU 7.2 aborts on a transfer that touches the buffer's last byte */

enum p2pb_edu_dir {
	P2PB_EDU_FROM_BUS,	/* bus address -> edu buffer (a DMA read) */
	P2PB_EDU_TO_BUS,	/* edu buffer -> bus address (a DMA write) */
};

/* Is @bdf an edu? */
bool p2pb_edu_is(const char *bdf);
/*
 * Start one transfer of @len bytes between byte @buf_off of the buffer and
 * @iova (@buf_off + @len at most P2PB_EDU_DMA_MAX); -EBUSY while one runs.
 */
int p2pb_edu_dma_start(struct p2pb_vfio_dev *d, uint32_t buf_off, uint64_t iova, uint32_t len,
		       enum p2pb_edu_dir dir);
/* 1 while a transfer runs, 0 idle, -errno when the register cannot be read. */
int p2pb_edu_dma_busy(struct p2pb_vfio_dev *d);
/*
 * Wait up to @timeout_ns for the transfer to complete: 0, or -ETIMEDOUT
 * (bus mastering is then turned off, so that the engine writes nothing
 * more when it does complete).
 */
int p2pb_edu_dma_wait(struct p2pb_vfio_dev *d, uint64_t timeout_ns);
/* One transfer, started and waited for (up to P2PB_EDU_TIMEOUT_NS): both of the above. */
#define P2PB_EDU_TIMEOUT_NS 2000000000ull
int p2pb_edu_dma(struct p2pb_vfio_dev *d, uint32_t buf_off, uint64_t iova, uint32_t len, enum p2pb_edu_dir dir);
/* @len bytes of a pattern that names @what and @seed, to be recognised where a transfer put it. */
void p2pb_edu_pattern(uint8_t *p, uint32_t len, const char *what, uint64_t seed);
#endif
