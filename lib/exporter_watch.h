/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_EXPORTER_WATCH_H
#define P2PB_EXPORTER_WATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"

/*
 * The kernel's side of clause C9: kprobes on the functions that take a PCI
 * function's memory away (a function or bus reset, a power state below D0,
 * a config write that clears PCI_COMMAND's memory enable), stamped on
 * CLOCK_MONOTONIC in a tracefs instance of our own (its own buffer and
 * clock: `p2pbench --trace` and other tracers are not disturbed). A reset
 * restores the config space before its caller goes on, so only such an
 * event can show a revoke that came after the reset; the importer's reads
 * of the config space show the rest (lib/exporter.h).
 *
 * Matching is by bus number and devfn (the probes cannot fetch the PCI
 * domain): on a host with several PCI domains an event of another domain's
 * function at the same address counts too. A bus reset counts for every
 * function on the reset bus.
 */
#include "trace.h"

struct p2pb_exporter_watch {
	bool on;
	char why_off[160];	/* when !on: why the kernel side is not judged */
	struct p2pb_probe_set probes;
};

/* The kprobe_events lines, NULL-terminated (kernel/trace/exporter-state.kprobes). */
extern const char *const p2pb_exporter_watch_kprobes[];

/* One event that took the function's memory away. */
struct p2pb_memory_gone {
	uint64_t ts_ns;		/* CLOCK_MONOTONIC */
	char what[64];		/* "function reset", "power state D3hot", "PCI_COMMAND write 0x0400" */
};

/* Arms the probes; 0, or -errno with why_off set (never fatal to a run). */
int p2pb_exporter_watch_start(struct p2pb_exporter_watch *w);
/*
 * Reads and empties the buffer; the first event of @fn in [@from, @to]
 * goes to @g. true when there was one.
 */
bool p2pb_exporter_watch_first_gone(struct p2pb_exporter_watch *w, const struct p2pb_pci_addr *fn,
				    uint64_t from, uint64_t to, struct p2pb_memory_gone *g);
void p2pb_exporter_watch_stop(struct p2pb_exporter_watch *w);

/*
 * Pure, for tests: does the event @name with @args (one trace line's) take
 * @fn's memory away? Its description into @what.
 */
bool p2pb_exporter_watch_gone(const char *name, const char *args, const struct p2pb_pci_addr *fn, char *what,
			      size_t len);
#endif
