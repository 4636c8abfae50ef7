/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_TRIGGER_H
#define P2PB_TRIGGER_H
#include <stdbool.h>

#include "exporter.h"

/*
 * A trigger makes VFIO revoke the device's dma-bufs. revoke() is the timed
 * syscall; restore() undoes it (NULL when the trigger un-revokes by itself,
 * as a reset does); permanent triggers leave the dma-bufs revoked for good,
 * so the run exports new ones.
 */
/**
 * struct p2pb_trigger_ops - one way to make the exporter revoke
 * @check: can this trigger run on @x? 0, or -errno with p2pb_fail(). Never blocks.
 * @revoke: the timed call. Runs on its own thread while the orchestrator
 *	watches the importers; blocks as long as the kernel does (the revoke
 *	waits for every importer to unmap). 0 or -errno.
 * @restore: undo it, on the orchestrating thread; NULL when the trigger
 *	un-revokes by itself (a reset).
 * @permanent: the dma-bufs stay revoked for good (close): the run exports new ones.
 * @for_tests: not a revoke of a real device (sim): left out of "all".
 */
struct p2pb_trigger_ops {
	const char *name;
	const char *help;
	int (*check)(struct p2pb_exporter *x);
	int (*revoke)(struct p2pb_exporter *x);
	int (*restore)(struct p2pb_exporter *x);
	bool permanent;
	bool for_tests;
};

extern const struct p2pb_trigger_ops *const p2pb_triggers[];	/* NULL-terminated */
const struct p2pb_trigger_ops *p2pb_trigger_find(const char *name);
/* "flr,mem-off,...": every trigger of a real device, for "all". */
const char *p2pb_trigger_all(void);

#define P2PB_TRIGGERS_ALL	(1u << 0)	/* "all" is every trigger of a real device */
#define P2PB_TRIGGERS_REAL	(1u << 1)	/* the triggers for tests (sim) are not known */
/*
 * A comma list of trigger names (@flags: P2PB_TRIGGERS_*) into @out, at most
 * @max of them; 0, or -EINVAL with p2pb_fail(): the unknown name and what is
 * known, an empty list, too many. Every front-end reads trigger lists here.
 */
int p2pb_trigger_list(const char *list, unsigned int flags, const struct p2pb_trigger_ops **out, unsigned int max,
		      unsigned int *n);
#endif
