/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_KMSG_H
#define P2PB_KMSG_H
#include <stdbool.h>

/*
 * Kernel log findings during a run, read from /dev/kmsg (records written
 * after p2pb_kmsg_open() only): everything contract clause C7 forbids
 * (WARN, BUG/Oops, refcount_t, lockdep, KASAN, UBSAN, hung tasks, RCU
 * stalls), the patched vfio-pci's revoke timeout messages, IOMMU (DMAR)
 * faults.
 */
struct p2pb_kmsg_counts {
	unsigned int warnings;		/* "WARNING:" (not lockdep's) */
	unsigned int announced_warnings;	/* of those, a WARN right after a revoke timeout message */
	unsigned int bugs;		/* "BUG:" (not KASAN's), "Oops", "general protection" */
	unsigned int refcount;		/* "refcount_t:" */
	unsigned int lockdep;		/* "possible circular/recursive locking", "inconsistent lock state", ... */
	unsigned int kasan;		/* "BUG: KASAN:" */
	unsigned int ubsan;		/* "UBSAN:" */
	unsigned int hung_tasks;	/* "blocked for more than" */
	unsigned int rcu_stalls;	/* "detected stall" */
	unsigned int revoke_timeouts;	/* "timed out waiting for dma-buf unmap" */
	unsigned int revoke_still_waiting;	/* "... still waiting" (warn-wait) */
	unsigned int dmar_faults;	/* "DMAR: [DMA ..." */
	char first_finding[200];	/* the first forbidden line that was not announced */
	bool after_timeout;		/* parser state: the last line was a timeout message */
};

struct p2pb_kmsg {
	int fd;		/* -1 when /dev/kmsg cannot be read */
};

int p2pb_kmsg_open(struct p2pb_kmsg *k);
/* Adds what was logged since the last call (or open) to c. */
void p2pb_kmsg_scan(struct p2pb_kmsg *k, struct p2pb_kmsg_counts *c);
/* Classify one log line (exposed for tests). */
void p2pb_kmsg_count_line(const char *line, struct p2pb_kmsg_counts *c);
/* Forbidden findings (C7), all of them / those not announced by a revoke timeout. */
unsigned int p2pb_kmsg_findings(const struct p2pb_kmsg_counts *c);
unsigned int p2pb_kmsg_unannounced(const struct p2pb_kmsg_counts *c);
/* total += part (counts, and the first finding if total has none). */
void p2pb_kmsg_add(struct p2pb_kmsg_counts *total, const struct p2pb_kmsg_counts *part);
void p2pb_kmsg_close(struct p2pb_kmsg *k);
/* Interrupts of the IOMMU's fault reporting (the "dmar" lines of
 * /proc/interrupts): unlike the log, not rate-limited. */
unsigned long long p2pb_iommu_fault_irqs(void);
#endif
