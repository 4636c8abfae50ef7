/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_EXPORTER_H
#define P2PB_EXPORTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"
#include "vfio.h"

/*
 * The memory seam: everything an exported range can come from.
 *
 *   vfio     BAR ranges of a vfio-pci function, exported as dma-bufs (revocable)
 *   sim      an in-process stand-in with vfio-pci's revoke rules (lib/sim.c), so the
 *            orchestration and the verdicts are unit-tested without a kernel
 *   host     anonymous memory of this process
 *   udmabuf  a memfd made a dma-buf by /dev/udmabuf
 *   heap     a dma-buf from /dev/dma_heap/NAME
 *
 * A device string names its back-end: "NAME" or "NAME:ARGS" ("sim:no-wait",
 * "heap:system", "vfio:0000:01:00.0"); a bare PCI address is vfio's. The
 * registry (exporter.c) is the one place that reads the name.
 *
 * A back-end is one ops table below, in a file of its own (lib/exporter_*.c;
 * host memory's three share one), and one line in the registry. Its state is
 * a struct that embeds struct p2pb_exporter, reached with container_of in
 * that file alone. What a caller needs to know of a back-end it asks its ops
 * (the flags, and whether an optional member is there), never which
 * back-end it is.
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
	const struct p2pb_exporter_ops *ops;	/* the back-end that made it; NULL: no export */
	int fd;				/* the dma-buf, -1 when the back-end makes none */
	void *cpu;			/* the range mapped in this process, else NULL */
	uint32_t bar;
	uint64_t offset, length;
	bool has_function;		/* function: the PCI function whose BAR it is */
	struct p2pb_pci_addr function;
	void *priv;			/* the back-end's own, opaque to everyone else */
};

/* One back-end's device; the back-end's state embeds it. */
struct p2pb_exporter {
	const struct p2pb_exporter_ops *ops;
	char name[32];			/* the device string, for messages */
};

/**
 * struct p2pb_exporter_ops - a memory back-end
 * @name: picks it in a device string ("NAME[:ARGS]") and names it in result
 *	documents
 * @dmabuf: its exports are dma-bufs (@fd): a device imports them
 * @cpu_mapped: its exports are mapped in this process (@cpu)
 * @revocable: its exports can be taken away while imported (a trigger, or
 *	@revoke): their importers must be dynamic
 * @importers_hold_ref: an export may be released while importers still hold
 *	it (each keeps the dma-buf's file); false: release it only once every
 *	importer detached (it dies with its export)
 * @check: is @dev (of this back-end) well formed? Pure; 0 or -EINVAL with
 *	p2pb_fail(). Optional.
 * @supported: can this machine provide @dev? 0, or -errno with p2pb_fail()
 *	saying what it lacks. Never blocks. Optional (NULL: always).
 * @create: allocate the back-end's state and take the device @dev names, into
 *	*@out (the registry fills in ops and name). Called once per case or run
 *	on the orchestrating thread; may block; 0 or -errno with p2pb_fail().
 * @destroy: release the device and free the state. Orchestrating thread; may
 *	block (vfio: closing the device revokes for good).
 * @function: the PCI address in @dev when the ranges are BARs of a PCI
 *	function (it is claimed on vfio-pci, its topology reported). Pure.
 *	Optional (NULL: no PCI function).
 * @bar_size: size of BAR @bar, 0 when there is none. Never blocks. Optional
 *	(NULL: the back-end has no BARs; each export is memory of its own,
 *	@bar ignored, offset 0, any length).
 * @export: export [@r->offset, +@r->length) of BAR @bar into @out. Any
 *	thread, beside exports on other threads; may block briefly.
 *	-errno as the kernel returned it; a back-end whose errno alone would
 *	not explain it (an allocation through a device node) also says why
 *	with p2pb_fail(). The caller releases @out with @unexport.
 * @unexport: release an export (close the dma-buf fd, unmap); @e is then no
 *	export (ops NULL, fd -1). Any thread, never for an export in use by
 *	another. Never fails.
 * @read: copy @len bytes at byte @off of export @e into @buf through the CPU,
 *	@off + @len within the export; 0 or -errno. Any thread; vfio blocks
 *	while a revoke holds the device's memory_lock. Optional (NULL: the CPU
 *	cannot reach the ranges).
 * @write: the same, from @buf into the export. Optional as @read.
 * @vfio: the vfio-pci device behind the ranges, what the PCI triggers and the
 *	probes beside a revoke drive. Never blocks. Optional (NULL: none).
 * @revoke: take every export away (@revoked) or give them back by the
 *	back-end's own means, where no device trigger reaches it (sim): what
 *	the sim trigger calls. Revoking runs on a thread of its own and
 *	returns once every importer unmapped, as vfio-pci's revoke; 0 or
 *	-errno. Optional.
 */
struct p2pb_exporter_ops {
	const char *name;
	bool dmabuf, cpu_mapped, revocable, importers_hold_ref;
	int (*check)(const char *dev);
	int (*supported)(const char *dev);
	int (*create)(const char *dev, struct p2pb_exporter **out);
	void (*destroy)(struct p2pb_exporter *x);
	const char *(*function)(const char *dev);
	uint64_t (*bar_size)(struct p2pb_exporter *x, uint32_t bar);
	int (*export)(struct p2pb_exporter *x, uint32_t bar, const struct p2pb_range *r, struct p2pb_export *out);
	void (*unexport)(struct p2pb_exporter *x, struct p2pb_export *e);
	int (*read)(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, void *buf, size_t len);
	int (*write)(struct p2pb_exporter *x, const struct p2pb_export *e, uint64_t off, const void *buf,
		     size_t len);
	struct p2pb_vfio_dev *(*vfio)(struct p2pb_exporter *x);
	int (*revoke)(struct p2pb_exporter *x, bool revoked);
};

/* The back-end @dev names ("NAME" or "NAME:ARGS"), NULL when none does (a bare PCI address). */
const struct p2pb_exporter_ops *p2pb_exporter_find(const char *dev);
/* The back-end that would open @dev: the one it names, else vfio (a bare PCI address). Never NULL. */
const struct p2pb_exporter_ops *p2pb_exporter_backend(const char *dev);
/* Open @dev with its back-end (a bare PCI address: vfio): 0 or -errno with p2pb_fail(). */
int p2pb_exporter_open(const char *dev, struct p2pb_exporter **out);
void p2pb_exporter_close(struct p2pb_exporter *x);	/* NULL: nothing to close */
/* Still usable (a close trigger that could not reopen the device leaves it dead). */
bool p2pb_exporter_alive(struct p2pb_exporter *x);
/* The PCI function @dev's ranges belong to, as an address inside @dev; NULL: none (sim, host memory). */
const char *p2pb_exporter_function(const char *dev);
/* Size of BAR @bar of @x; 0 when there is none, or no BARs at all. */
uint64_t p2pb_exporter_bar_size(struct p2pb_exporter *x, uint32_t bar);
/* The vfio-pci device behind @x's ranges, NULL when there is none. */
struct p2pb_vfio_dev *p2pb_exporter_vfio_dev(struct p2pb_exporter *x);
#endif
