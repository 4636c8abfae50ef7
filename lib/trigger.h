/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_TRIGGER_H
#define P2PB_TRIGGER_H
#include <stdbool.h>

#include "vfio.h"

/*
 * A trigger makes VFIO revoke the device's dma-bufs. revoke() is the timed
 * syscall; restore() undoes it (NULL when the trigger un-revokes by itself,
 * as a reset does); permanent triggers leave the dma-bufs revoked for good,
 * so the run exports new ones.
 */
struct p2pb_trigger_ops {
	const char *name;
	const char *help;
	int (*check)(struct p2pb_vfio_dev *d);	/* 0, or -errno + p2pb_fail() */
	int (*revoke)(struct p2pb_vfio_dev *d);
	int (*restore)(struct p2pb_vfio_dev *d);
	bool permanent;
};

extern const struct p2pb_trigger_ops *const p2pb_triggers[];	/* NULL-terminated */
const struct p2pb_trigger_ops *p2pb_trigger_find(const char *name);
#endif
