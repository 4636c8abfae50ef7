/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_EXPORTER_H
#define P2PB_EXPORTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"
#include "vfio.h"

/*
 * The memory back-end seam: where an exported range comes from. "vfio"
 * exports BAR ranges of a vfio-pci function as dma-bufs (revocable); "sim"
 * is an in-process stand-in with the same revoke rules, so the orchestration
 * and the verdicts are unit-tested without a kernel. Later: p2pmem, host
 * memory.
 */

/*
 * The exporting function's state as an importer read it when it was
 * invalidated and when it unmapped (an engine that can read it; 0: not
 * read): was the memory behind the dma-buf still live (clause C9)? Power
 * state in bits 4-5 (D0..D3hot).
 */
#define P2PB_EXPORTER_READ	(1u << 0)
#define P2PB_EXPORTER_GONE	(1u << 1)	/* did not answer (all ones) */
#define P2PB_EXPORTER_MEM	(1u << 2)	/* PCI_COMMAND memory space enable */
#define P2PB_EXPORTER_MASTER	(1u << 3)	/* PCI_COMMAND bus master enable */
#define P2PB_EXPORTER_PM_SHIFT	4
#define P2PB_EXPORTER_PM_MASK	(3u << P2PB_EXPORTER_PM_SHIFT)
/* Read, and the memory was live: answering, memory enabled, D0. */
static inline bool p2pb_exporter_live(uint32_t st)
{
	return (st & (P2PB_EXPORTER_READ | P2PB_EXPORTER_GONE | P2PB_EXPORTER_MEM | P2PB_EXPORTER_PM_MASK)) ==
	       (P2PB_EXPORTER_READ | P2PB_EXPORTER_MEM);
}

/* "MEM=1 D0", "MEM=0 D3hot", "gone": for evidence. */
const char *p2pb_exporter_state_str(uint32_t st, char *buf, size_t len);

/* An exported range: a value, handed to engines as it is. */
struct p2pb_export {
	int fd;				/* the dma-buf (vfio), -1 for sim */
	uint32_t bar;
	uint64_t offset, length;
	struct p2pb_sim_buf *sim;	/* the sim back-end's buffer, else NULL */
	bool has_function;		/* function: the PCI function whose BAR it is */
	struct p2pb_pci_addr function;
};

struct p2pb_exporter;

/**
 * struct p2pb_exporter_ops - a memory back-end
 * @name: "vfio", "sim"
 * @open: take the device named @dev (a BDF for vfio). Called once per case on
 *	the orchestrating thread; may block; 0 or -errno with p2pb_fail().
 * @bar_size: size of BAR @bar, 0 when there is none. Never blocks.
 * @export: export [@r->offset, +@r->length) of BAR @bar into @out; -errno as
 *	the kernel returned it (no message). The caller closes @out with @unexport.
 * @unexport: release an export (close the dma-buf fd). Never fails.
 * @close: release the device. Called on the orchestrating thread; may block
 *	(vfio: closing the device revokes for good).
 */
struct p2pb_exporter_ops {
	const char *name;
	int (*open)(struct p2pb_exporter *x, const char *dev);
	uint64_t (*bar_size)(struct p2pb_exporter *x, uint32_t bar);
	int (*export)(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out);
	void (*unexport)(struct p2pb_exporter *x, struct p2pb_export *e);
	void (*close)(struct p2pb_exporter *x);
};

struct p2pb_exporter {
	const struct p2pb_exporter_ops *ops;
	char name[32];			/* the device, for messages */
	struct p2pb_vfio_dev vfio;	/* the vfio back-end's device (what its triggers drive) */
	struct p2pb_sim_dev *sim;	/* the sim back-end's device */
	bool open;
};

/* "sim" (or "sim:...") picks the sim back-end, anything else vfio. */
int p2pb_exporter_open(struct p2pb_exporter *x, const char *dev);
void p2pb_exporter_close(struct p2pb_exporter *x);
/* Still usable (a close trigger that could not reopen the device leaves it dead). */
bool p2pb_exporter_alive(const struct p2pb_exporter *x);

extern const struct p2pb_exporter_ops p2pb_exporter_vfio;
extern const struct p2pb_exporter_ops p2pb_exporter_sim;
#endif
