/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_KMOD_H
#define P2PB_KMOD_H
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/*
 * The kmod engine's options (the spec after "kmod:"): only bench/kmod.c and
 * its unit test read them. The module's uAPI stays inside bench/kmod.c.
 */
enum p2pb_delay_kind {
	P2PB_DELAY_FIXED,	/* a: delay */
	P2PB_DELAY_UNIFORM,	/* a..b */
	P2PB_DELAY_EXP,		/* mean a */
	P2PB_DELAY_LOGNORMAL,	/* median a, sigma */
	P2PB_DELAY_NEVER_UNMAP,	/* broken importer */
};

enum p2pb_kmod_attach {
	P2PB_KMOD_DYNAMIC,	/* allow_peer2peer + invalidate_mappings */
	P2PB_KMOD_STATIC,	/* dma_buf_attach(): no importer ops */
	P2PB_KMOD_NONREVOCABLE,	/* dynamic, p2p, no invalidate_mappings */
	P2PB_KMOD_NO_P2P,	/* dynamic, revocable, allow_peer2peer off */
};

#define P2PB_KMOD_DELAYS 64	/* the module's table (P2PB_MAX_DELAYS of its uAPI) */

struct p2pb_kmod_opts {
	enum p2pb_kmod_attach attach;
	enum p2pb_delay_kind delay_kind;
	uint64_t delay_a_ns, delay_b_ns;
	double sigma;
	uint32_t dma_size;		/* >0: the device writes this much per transfer */
	uint64_t dma_interval_ns;
	bool dma_after_unmap;		/* misbehaving device: keeps writing after unmap */
	uint64_t fence_hold_ns;		/* >0: each map holds a fence until this long after the next invalidate */
	char dev[P2PB_BDF_LEN];		/* the PCI function to attach as */
	/* NVMe load: the device is an NVMe controller given to p2pbench_nvme */
	bool io;			/* io= was given: the controller reads/writes through the mapping */
	uint32_t io_read_pct;		/* share of reads (device -> dma-buf), 0..100 */
	uint32_t io_bs;			/* bytes per command */
	uint32_t io_qd;			/* commands in flight */
	uint64_t io_rate_bps;		/* 0: unlimited */
	uint64_t io_bin_ns;		/* throughput bins, 0: none */
	uint64_t io_range;		/* bytes of the mapping used, 0: all */
};

#define P2PB_KMOD_NVME_DRIVER "p2pbench_nvme"

const char *p2pb_kmod_attach_name(enum p2pb_kmod_attach a);
/* Draw n unmap delays from the options' distribution (reproducible per seed). */
void p2pb_kmod_delays(const struct p2pb_kmod_opts *o, uint64_t seed, uint64_t *out, unsigned int n);
#endif
