/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_RDMA_PARAMS_H
#define P2PB_RDMA_PARAMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter.h"

/*
 * What an RDMA run does, as values: the pure half of the RDMA generator
 * (parsing, data patterns, completion classes), unit-tested without a device.
 */

enum p2pb_rdma_op { P2PB_RDMA_WRITE, P2PB_RDMA_READ, P2PB_RDMA_SEND, P2PB_RDMA_N_OPS };
enum p2pb_rdma_mode { P2PB_RDMA_BW, P2PB_RDMA_LAT };

#define P2PB_RDMA_MAX_QPS 64
#define P2PB_RDMA_MAX_SIZES 24
#define P2PB_RDMA_MAX_MSG (1ull << 30)
#define P2PB_RDMA_MAX_DEPTH 4096

/* The names of the ops and the modes, by value, NULL-terminated: what the command line and the reports say. */
extern const char *const p2pb_rdma_op_names[];
extern const char *const p2pb_rdma_mode_names[];
const char *p2pb_rdma_op_name(enum p2pb_rdma_op op);

/*
 * Where a side's buffers live: a memory back-end of lib/exporter.h that a NIC
 * can register (a dma-buf, or memory mapped here), by its device string.
 */
struct p2pb_rdma_mem_spec {
	const struct p2pb_exporter_ops *kind;	/* its back-end: kind->name for reports */
	char text[128];			/* as given */
	char dev[128];			/* the back-end's device string: text without the range keys */
	char bdf[32];			/* the exporting PCI function, "" for none */
	uint32_t bar;			/* a back-end with BARs (default 2, the lab's CMB) */
	uint64_t offset, length;	/* its range in the BAR; length 0 = what the run needs */
};

/* "host", "udmabuf", "heap[:NAME]", "vfio:BDF[,bar=N][,offset=SIZE][,len=SIZE]"; -EINVAL with p2pb_fail(). */
int p2pb_rdma_mem_parse(const char *s, struct p2pb_rdma_mem_spec *m);

/* "64k", "4k,64k,1M"; sorted as given, each 1..P2PB_RDMA_MAX_MSG. -EINVAL with p2pb_fail(). */
int p2pb_rdma_sizes_parse(const char *s, uint64_t *sizes, unsigned int *n);
/* Every power of two from 2 B to 8 MiB, as perftest -a. */
void p2pb_rdma_sizes_all(uint64_t *sizes, unsigned int *n);

/*
 * The data a side sends: word k of QP @qp's message of @size bytes from side
 * @side (0 requester, 1 responder) under @seed. Every size, QP and side
 * differs, so data left from another step or QP never passes a check.
 */
uint64_t p2pb_rdma_pattern_word(uint64_t seed, unsigned int side, unsigned int qp, uint64_t size, uint64_t k);
void p2pb_rdma_pattern_fill(uint64_t seed, unsigned int side, unsigned int qp, uint64_t size, void *buf,
			    uint64_t at, size_t len);
/* Bytes of buf (the message's [at, at + len)) that differ from the pattern. */
uint64_t p2pb_rdma_pattern_check(uint64_t seed, unsigned int side, unsigned int qp, uint64_t size,
				 const void *buf, uint64_t at, size_t len);

/*
 * Completion classes: a failed work completion tells what went wrong, and
 * each class implies what a generator does next. A revoke shows up as a
 * memory error (the NIC's translation of the MR was zapped: remote access on
 * the responder's MR, local protection on the requester's); everything
 * outstanding then flushes.
 */
enum p2pb_rdma_wc_class {
	P2PB_WC_OK,
	P2PB_WC_FLUSH,		/* flushed because the QP was already in error */
	P2PB_WC_MEMORY,		/* an MR access failed: what a revoke or a deregistration causes */
	P2PB_WC_REMOTE,		/* the responder could not carry the operation out */
	P2PB_WC_TRANSPORT,	/* retries or RNR retries exhausted: the peer stopped answering */
	P2PB_WC_REQUEST,	/* the request itself was bad (length, opcode, QP op) */
	P2PB_WC_FATAL,		/* the device or a general error */
	P2PB_WC_N_CLASSES,
};

/* @ibv_wc_status: an enum ibv_wc_status value. */
enum p2pb_rdma_wc_class p2pb_rdma_wc_classify(int ibv_wc_status);
const char *p2pb_rdma_wc_class_name(enum p2pb_rdma_wc_class c);
#endif
