/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NVMe side of the test importer (nvme.c): the pci_driver
 * "p2pbench_nvme", registered by the module's init next to edu's, and the
 * asynchronous I/O queue the NVMe load (load.c) drives.
 */
#ifndef P2PBENCH_NVME_H
#define P2PBENCH_NVME_H

#include <linux/pci.h>

#include "uapi/p2pbench_importer.h"

#define P2PB_NVME_DRIVER "p2pbench_nvme"
#define P2PB_NVME_MAX_QD	P2PB_LOAD_MAX_QD
#define P2PB_NVME_MAX_IO	P2PB_LOAD_MAX_BLOCK

struct p2pb_nvme;

/* One completion: the slot it was submitted with, the status field >> 1. */
struct p2pb_nvme_done {
	u16 slot;
	u16 status;
};

extern struct pci_driver p2pb_nvme_driver;

struct p2pb_nvme *p2pb_nvme_of(struct pci_dev *pdev);
int p2pb_nvme_claim(struct p2pb_nvme *n, u64 *capacity, u32 *max_io);
void p2pb_nvme_release(struct p2pb_nvme *n);
int p2pb_nvme_submit(struct p2pb_nvme *n, u16 slot, bool write, u64 dev_off, dma_addr_t iova,
		     u32 len);
int p2pb_nvme_reap(struct p2pb_nvme *n, struct p2pb_nvme_done *done, unsigned int max);
void p2pb_nvme_retire(struct p2pb_nvme *n, const char *why);

/* importer_core.c: tear down every attachment made as @pdev (driver remove). */
void p2pb_teardown_as(struct pci_dev *pdev);

#endif /* P2PBENCH_NVME_H */
