/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_KMSG_H
#define P2PB_KMSG_H
#include <stdbool.h>

/*
 * Kernel log findings during a run, read from /dev/kmsg (records written
 * after p2pb_kmsg_open() only): WARNs, BUG/Oops, the patched vfio-pci's
 * revoke timeout messages, IOMMU (DMAR) faults.
 */
struct p2pb_kmsg_counts {
	unsigned int warnings;		/* "WARNING:" */
	unsigned int bugs;		/* "BUG:", "Oops", "general protection" */
	unsigned int revoke_timeouts;	/* "timed out waiting for dma-buf unmap" */
	unsigned int revoke_still_waiting;	/* "... still waiting" (warn-wait) */
	unsigned int dmar_faults;	/* "DMAR: [DMA ..." */
};

struct p2pb_kmsg {
	int fd;		/* -1 when /dev/kmsg cannot be read */
};

int p2pb_kmsg_open(struct p2pb_kmsg *k);
/* Adds what was logged since the last call (or open) to c. */
void p2pb_kmsg_scan(struct p2pb_kmsg *k, struct p2pb_kmsg_counts *c);
/* Classify one log line (exposed for tests). */
void p2pb_kmsg_count_line(const char *line, struct p2pb_kmsg_counts *c);
void p2pb_kmsg_close(struct p2pb_kmsg *k);
/* Interrupts of the IOMMU's fault reporting (the "dmar" lines of
 * /proc/interrupts): unlike the log, not rate-limited. */
unsigned long long p2pb_iommu_fault_irqs(void);
#endif
