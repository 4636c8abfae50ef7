/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_SESSION_H
#define P2PB_SESSION_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "exporter_watch.h"
#include "trace.h"

/*
 * What one tool run owns: the driver bindings and modules it changed (put
 * back at the end, Ctrl-C included), the interrupt flag and the progress
 * line.
 */
extern volatile sig_atomic_t p2pb_interrupted;

struct p2pb_session {
	struct p2pb_restore restore;
	bool quiet, tty;
	uint64_t last_progress_ns;
	bool progress_shown;
	struct p2pb_trace trace;	/* kernel events, when the run asked for them */
	struct p2pb_exporter_watch watch;	/* the exporter's state changes (C9), armed at the first case */
	bool watch_tried;
	bool timeline;			/* print each iteration as a merged timeline */
};

void p2pb_session_init(struct p2pb_session *s, bool quiet);
/* bdf must exist and be on vfio-pci; with bind, it is moved there (and back). */
int p2pb_session_claim_device(struct p2pb_session *s, const char *bdf, bool bind);
void p2pb_session_progress(struct p2pb_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void p2pb_session_progress_done(struct p2pb_session *s);
/* Restores what was changed; 0, or -errno after printing what could not be. */
int p2pb_session_finish(struct p2pb_session *s);
#endif
