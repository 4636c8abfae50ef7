/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_LEAK_H
#define P2PB_LEAK_H
#include <json-c/json.h>
#include <stdbool.h>

/*
 * What a run holds, taken before and after (a case, a cycle, a soak), so that
 * what did not come back is a number: this process's fds and the dma-bufs
 * among them, its resident memory, the references on the modules a run
 * loads, and the dma-bufs alive in the whole kernel (debugfs dma_buf/bufinfo,
 * when it is mounted and readable). -1: unknown.
 */
#define P2PB_LEAK_MODULES 2	/* p2pbench_importer, vfio_pci_core */

struct p2pb_leak {
	long fds, dmabuf_fds;		/* this process */
	long rss_kib;
	long module_refs[P2PB_LEAK_MODULES];
	long kernel_dmabufs;		/* every dma-buf the kernel has, from debugfs */
};

void p2pb_leak_take(struct p2pb_leak *l);
/*
 * What @now holds more than @base (fds, dma-buf fds, module references,
 * kernel dma-bufs; memory is for the soak's trend, not compared here): the
 * number of kinds that grew, with a description in @why.
 */
unsigned int p2pb_leak_compare(const struct p2pb_leak *base, const struct p2pb_leak *now, char *why, size_t len);
/* {fds, dmabuf_fds, rss_kib, module_refs: {name: n}, kernel_dmabufs} of @l, and of what grew since @base. */
json_object *p2pb_leak_json(const struct p2pb_leak *base, const struct p2pb_leak *now);
#endif
