/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NVMe side of the test importer (nvme.c): the pci_driver
 * "p2pbench_nvme", registered by the module's init next to edu's.
 */
#ifndef P2PBENCH_NVME_H
#define P2PBENCH_NVME_H

#include <linux/pci.h>

#define P2PB_NVME_DRIVER "p2pbench_nvme"

extern struct pci_driver p2pb_nvme_driver;

#endif /* P2PBENCH_NVME_H */
