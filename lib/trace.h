/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_TRACE_H
#define P2PB_TRACE_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Kernel events of the revoke path from tracefs, on the CLOCK_MONOTONIC
 * timeline of the rest of a run (trace_clock "mono"): the vfio_pci_dmabuf
 * tracepoints of the patched vfio-pci when they exist, otherwise kprobes on
 * the stock functions (vfio_pci_dma_buf_move entry/return,
 * dma_buf_invalidate_mappings, vfio_pci_dma_buf_unmap).
 */
struct p2pb_trace {
	bool on;
	bool tracepoints;	/* false: kprobes */
	char saved_clock[32];
};

/* The kprobe_events lines for a stock kernel, NULL-terminated. */
extern const char *const p2pb_trace_kprobes[];
/* Remove the probes of NULL-terminated kprobe_events @lines (disabled first); absent ones are no error. */
void p2pb_trace_kprobes_remove(const char *const *lines);

int p2pb_trace_start(struct p2pb_trace *t);
/* Appends {event, t_ns (since t0), args} for every event at or after t0 and
 * empties the buffer. */
int p2pb_trace_collect(struct p2pb_trace *t, uint64_t t0, json_object *events);
void p2pb_trace_stop(struct p2pb_trace *t);
/* Parse one line of tracefs "trace" output (exposed for tests). */
bool p2pb_trace_parse_line(const char *line, uint64_t *ts_ns, char *event, size_t elen, char *args,
			   size_t alen);
#endif
