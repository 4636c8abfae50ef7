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
/*
 * A set of kprobes enabled in a tracefs instance of our own: its own buffer
 * and trace_clock "mono" (CLOCK_MONOTONIC), so `p2pbench --trace` and other
 * tracers are not disturbed. Events are consumed from its trace_pipe: none
 * is lost between two drains. No file stays open between calls (a case's
 * check of what it gave back counts open files).
 */
struct p2pb_probe_set {
	const char *instance;		/* the instance's name */
	const char *group;		/* the kprobes' group */
	const char *const *kprobes;	/* kprobe_events lines of that group, NULL-terminated */
	bool on;
	char partial[1024];		/* a line the last read cut */
	size_t partial_len;
};

/* The name of the event a drain hands over where the kernel lost events (its buffer was full). */
#define P2PB_PROBE_LOST "*lost*"

struct p2pb_probe_event {
	uint64_t ts_ns;
	int pid;			/* of the task that hit the probe */
	char name[64];
	char args[512];
};

/* Arms the probes (replacing any a killed run left); 0, or -errno with why (static text). */
int p2pb_probe_set_start(struct p2pb_probe_set *p, const char **why);
/* Hands every event recorded since the last drain to @fn, oldest first. Never blocks. */
void p2pb_probe_set_drain(struct p2pb_probe_set *p, void (*fn)(void *ctx, const struct p2pb_probe_event *ev),
			  void *ctx);
void p2pb_probe_set_stop(struct p2pb_probe_set *p);

/* The PID of a trace line's task ("  task-PID  [cpu] ..."), or -1 (exposed for tests). */
int p2pb_trace_line_pid(const char *line);
/* Parse one line of tracefs "trace" output (exposed for tests). */
bool p2pb_trace_parse_line(const char *line, uint64_t *ts_ns, char *event, size_t elen, char *args,
			   size_t alen);
#endif
