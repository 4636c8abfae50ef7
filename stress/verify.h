/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_VERIFY_H
#define P2PB_VERIFY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Data integrity through the dma-buf (--verify, clause C8). Every 4 KiB
 * block of an exported range must name its own offset, in one of two
 * patterns, each a line repeated over the block:
 *   "p2pbench traffic block NNNNNNNNNN\n"      the lab traffic device's block
 *                                              N, moved by an NVMe read into
 *                                              offset N * 4096
 *   "p2pbench fill block NNNNNNNNNN seq SSSSSSSS\n"  what p2pbench wrote
 *                                              there, fill number S: the
 *                                              current fill, or an earlier
 *                                              one a write load copied to
 *                                              the device (which keeps it
 *                                              across runs) and a read
 *                                              brought back
 * Only the first and the last P2PB_VERIFY_PROBE bytes of a block are read
 * (through the exporter's BAR, which is slow under emulation): a transfer
 * that lands at the wrong offset, stops short or is torn shows there. Pure
 * logic here; stress/case.c does the reads and writes.
 */
#define P2PB_VERIFY_BLOCK 4096u
#define P2PB_VERIFY_PROBE 64u

enum p2pb_block_kind {
	P2PB_BLOCK_BAD,
	P2PB_BLOCK_DEVICE,	/* the traffic device's block of this offset */
	P2PB_BLOCK_FILL,	/* our fill of this offset, a valid seq */
};

/* Fill numbers: 8 digits, never 0. */
#define P2PB_VERIFY_SEQ_MAX 99999999u

/* The fill number after @seq; @seq 0 (none yet) starts from @seed. */
uint32_t p2pb_verify_next_seq(uint32_t seq, uint32_t seed);
/* The bytes [at, at + len) of block @block's fill pattern with @seq. */
void p2pb_verify_fill(uint64_t block, uint32_t seq, size_t at, char *out, size_t len);
/*
 * Classify one probe: @buf holds the bytes [at, at + P2PB_VERIFY_PROBE) of
 * block @block (at = 0 or P2PB_VERIFY_BLOCK - P2PB_VERIFY_PROBE). For a
 * FILL, *@seq (if not NULL) is its fill number.
 */
enum p2pb_block_kind p2pb_verify_probe(const char *buf, size_t at, uint64_t block, uint32_t *seq);

/* What a whole block holds, from its two probes, against the current fill. */
enum p2pb_block_state {
	P2PB_BLOCK_STATE_BAD,		/* a probe does not name the block */
	P2PB_BLOCK_STATE_DEVICE,	/* the device's data, head and tail: the traffic pattern or one
					 * earlier fill (a read brought it back) */
	P2PB_BLOCK_STATE_FILL,		/* the current fill, head and tail: nothing arrived */
	P2PB_BLOCK_STATE_PARTIAL,	/* both name the block, not the same data: a transfer landing, or
					 * one that stopped short */
};

enum p2pb_block_state p2pb_verify_state(const enum p2pb_block_kind kind[2], const uint32_t seq[2],
					uint32_t fill_seq);
/*
 * C8 for one block: intact (true) or not. A block a read completed into
 * since the fill (@filled) must hold the device's data; any other block
 * only has to name its own offset.
 */
bool p2pb_verify_intact(enum p2pb_block_state state, bool filled);
/* Where a block is probed: its head and its tail. */
extern const size_t p2pb_verify_probe_at[2];
/* "found 'p2pbench traffic block 0000000007...'" for evidence: printable, cut. */
void p2pb_verify_describe(const char *buf, char *out, size_t len);
/* "WHERE: found '...'" or "WHERE: unreadable: ERROR" (err: 0 or -errno of the read). */
void p2pb_verify_evidence(char *out, size_t len, const char *where, const char *buf, int err);
#endif
