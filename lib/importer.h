/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_IMPORTER_H
#define P2PB_IMPORTER_H
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "p2pbench_importer.h"	/* kernel/importer/uapi: event types */

/*
 * An importer is whoever attaches to the exporter's dma-buf and maps it: our
 * test module (kmod) today, RDMA dma-buf MRs and iommufd later. One ops
 * struct per kind, like fio's I/O engines.
 */
enum p2pb_delay_kind {
	P2PB_DELAY_FIXED,	/* a: delay */
	P2PB_DELAY_UNIFORM,	/* a..b */
	P2PB_DELAY_EXP,		/* mean a */
	P2PB_DELAY_LOGNORMAL,	/* median a, sigma */
	P2PB_DELAY_NEVER_UNMAP,	/* broken importer */
};

#define P2PB_SPEC_LEN 160
struct p2pb_importer_spec {
	char text[P2PB_SPEC_LEN];	/* as given, for reports */
	char kind[16];			/* "kmod" */
	uint32_t attach_mode;		/* enum p2pb_attach_mode */
	enum p2pb_delay_kind delay_kind;
	uint64_t delay_a_ns, delay_b_ns;
	double sigma;
	unsigned int count;		/* identical importers */
	uint32_t dma_size;		/* >0: the device writes this much per transfer */
	uint64_t dma_interval_ns;
	bool dma_after_unmap;		/* misbehaving device: keeps writing after unmap */
	/*
	 * >0: every map adds a fence to the dma-buf's reservation object that
	 * signals this long after the next invalidate (fence=DURATION)
	 */
	uint64_t fence_hold_ns;
	char dev[P2PB_BDF_LEN];		/* PCI function to attach as; "" = exporter */
};

/* "kmod:delay=200ms,count=2,dev=0000:02:00.0,attach=dynamic" */
int p2pb_importer_spec_parse(const char *s, struct p2pb_importer_spec *sp);
/* Complete? kmod attaches only as a PCI function bound to p2pbench_importer: dev= is required. */
int p2pb_importer_spec_check(const struct p2pb_importer_spec *sp);
/* Draw n unmap delays from the spec's distribution (reproducible per seed). */
void p2pb_importer_spec_delays(const struct p2pb_importer_spec *sp, uint64_t seed, uint64_t *out,
			       unsigned int n);
const char *p2pb_attach_mode_name(uint32_t mode);

struct p2pb_attachment {
	uint32_t id;
	unsigned int dmabuf_idx;
	uint64_t dmabuf_size;
	int map_err;			/* of the last map, 0 or -errno */
	uint64_t dma_addr, dma_len;
};

/* Counters of one attachment (struct p2pb_status of the uapi). */
struct p2pb_importer_stats {
	bool mapped;
	uint64_t dma_bytes, dma_ops, dma_stale_ops;
};

struct p2pb_importer;
struct p2pb_importer_ops {
	const char *name;
	const char *help;
	int (*open)(struct p2pb_importer *imp, struct p2pb_restore *r);
	/* attach and map; -errno of the attach (map errors in a->map_err) */
	int (*attach)(struct p2pb_importer *imp, int dmabuf_fd, struct p2pb_attachment *a);
	int (*map)(struct p2pb_importer *imp, struct p2pb_attachment *a);
	/* unmap now whatever the policy: how a stuck revoke is released */
	int (*unmap)(struct p2pb_importer *imp, struct p2pb_attachment *a);
	/* drain timestamped events (struct p2pb_event from the uapi) */
	int (*events)(struct p2pb_importer *imp, struct p2pb_attachment *a, struct p2pb_event *ev,
		      uint32_t max, uint32_t *n);
	int (*stats)(struct p2pb_importer *imp, struct p2pb_attachment *a, struct p2pb_importer_stats *st);
	/* start the device's DMA into the mapping as the spec says (dma=) */
	int (*dma_start)(struct p2pb_importer *imp, struct p2pb_attachment *a);
	int (*detach)(struct p2pb_importer *imp, struct p2pb_attachment *a);
	void (*close)(struct p2pb_importer *imp);
};

struct p2pb_importer {
	const struct p2pb_importer_ops *ops;
	struct p2pb_importer_spec spec;
	struct p2pb_pci_addr dev;
	char dev_bdf[P2PB_BDF_LEN];
	uint64_t delays_ns[P2PB_MAX_DELAYS];
	unsigned int n_delays;
	int fd;
};

const struct p2pb_importer_ops *p2pb_importer_find(const char *kind);
extern const struct p2pb_importer_ops p2pb_importer_kmod;
#endif
