// SPDX-License-Identifier: GPL-2.0
/* --verify's block patterns: what counts as a block naming its own offset. */
#include <stdlib.h>

#include "check.h"
#include "verify.h"

#define TAIL (P2PB_VERIFY_BLOCK - P2PB_VERIFY_PROBE)

/* Block b of the lab's traffic image, as scripts/lab writes it: the line repeated, cut at 4 KiB. */
static void device_block(uint64_t b, char *blk)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "p2pbench traffic block %010llu\n", (unsigned long long)b);
	size_t i;

	for (i = 0; i < P2PB_VERIFY_BLOCK; i++)
		blk[i] = line[i % (size_t)n];
}

/* A whole block from its two probes, the current fill being 7. */
static enum p2pb_block_state state(enum p2pb_block_kind k0, uint32_t s0, enum p2pb_block_kind k1, uint32_t s1)
{
	const enum p2pb_block_kind kind[2] = { k0, k1 };
	const uint32_t seq[2] = { s0, s1 };

	return p2pb_verify_state(kind, seq, 7);
}

static void check_states(void)
{
	const enum p2pb_block_kind D = P2PB_BLOCK_DEVICE, F = P2PB_BLOCK_FILL, B = P2PB_BLOCK_BAD;

	CHECK(state(D, 0, D, 0) == P2PB_BLOCK_STATE_DEVICE);
	/* an earlier fill a read brought back from the device is the device's data */
	CHECK(state(F, 6, F, 6) == P2PB_BLOCK_STATE_DEVICE);
	CHECK(state(F, 7, F, 7) == P2PB_BLOCK_STATE_FILL);
	/* a transfer that stopped short of the tail, or two device blocks in one */
	CHECK(state(D, 0, F, 7) == P2PB_BLOCK_STATE_PARTIAL);
	CHECK(state(F, 7, D, 0) == P2PB_BLOCK_STATE_PARTIAL);
	CHECK(state(F, 5, F, 6) == P2PB_BLOCK_STATE_PARTIAL);
	CHECK(state(D, 0, F, 6) == P2PB_BLOCK_STATE_PARTIAL);
	CHECK(state(B, 0, D, 0) == P2PB_BLOCK_STATE_BAD);
	CHECK(state(F, 7, B, 0) == P2PB_BLOCK_STATE_BAD);

	/* a block no read completed into: naming its offset is enough */
	CHECK(p2pb_verify_intact(P2PB_BLOCK_STATE_FILL, false));
	CHECK(p2pb_verify_intact(P2PB_BLOCK_STATE_PARTIAL, false));
	CHECK(p2pb_verify_intact(P2PB_BLOCK_STATE_DEVICE, false));
	CHECK(!p2pb_verify_intact(P2PB_BLOCK_STATE_BAD, false));
	/* one a read completed into must hold the device's data, whole */
	CHECK(p2pb_verify_intact(P2PB_BLOCK_STATE_DEVICE, true));
	CHECK(!p2pb_verify_intact(P2PB_BLOCK_STATE_FILL, true));
	CHECK(!p2pb_verify_intact(P2PB_BLOCK_STATE_PARTIAL, true));
	CHECK(!p2pb_verify_intact(P2PB_BLOCK_STATE_BAD, true));
}

static void check_seq(void)
{
	uint32_t seq;

	/* the first from the seed, then one up, 8 digits, never 0 */
	CHECK_EQ_U64(p2pb_verify_next_seq(0, 41), 42);
	CHECK_EQ_U64(p2pb_verify_next_seq(0, P2PB_VERIFY_SEQ_MAX - 1), P2PB_VERIFY_SEQ_MAX);
	CHECK_EQ_U64(p2pb_verify_next_seq(0, P2PB_VERIFY_SEQ_MAX), 1);
	CHECK_EQ_U64(p2pb_verify_next_seq(0, UINT32_MAX), UINT32_MAX % P2PB_VERIFY_SEQ_MAX + 1);
	CHECK_EQ_U64(p2pb_verify_next_seq(42, 5), 43);
	CHECK_EQ_U64(p2pb_verify_next_seq(P2PB_VERIFY_SEQ_MAX, 5), 1);
	seq = p2pb_verify_next_seq(0, UINT32_MAX);
	CHECK(seq >= 1 && seq <= P2PB_VERIFY_SEQ_MAX);
}

int main(void)
{
	char blk[P2PB_VERIFY_BLOCK], desc[48];
	uint32_t seq = 0;

	device_block(7, blk);
	CHECK(p2pb_verify_probe(blk, 0, 7, NULL) == P2PB_BLOCK_DEVICE);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 7, NULL) == P2PB_BLOCK_DEVICE);
	/* the right data at the wrong offset */
	CHECK(p2pb_verify_probe(blk, 0, 8, NULL) == P2PB_BLOCK_BAD);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 6, NULL) == P2PB_BLOCK_BAD);

	p2pb_verify_fill(9, 3, 0, blk, P2PB_VERIFY_BLOCK);
	CHECK(p2pb_verify_probe(blk, 0, 9, NULL) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 9, NULL) == P2PB_BLOCK_FILL);
	/* any fill number, as long as the block is right and the line whole */
	p2pb_verify_fill(9, 98765432, 0, blk, P2PB_VERIFY_BLOCK);
	CHECK(p2pb_verify_probe(blk, 0, 9, NULL) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 9, NULL) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk, 0, 10, NULL) == P2PB_BLOCK_BAD);
	/* a fill torn by the device's data inside one probe */
	device_block(9, blk);
	p2pb_verify_fill(9, 3, 0, blk, 20);
	CHECK(p2pb_verify_probe(blk, 0, 9, NULL) == P2PB_BLOCK_BAD);
	/* the fill written in pieces matches the whole */
	p2pb_verify_fill(9, 3, 0, blk, P2PB_VERIFY_PROBE);
	p2pb_verify_fill(9, 3, TAIL, blk + TAIL, P2PB_VERIFY_PROBE);
	CHECK(p2pb_verify_probe(blk, 0, 9, NULL) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 9, NULL) == P2PB_BLOCK_FILL);
	/* a seq that is not digits */
	blk[36] = 'x';
	CHECK(p2pb_verify_probe(blk, 0, 9, NULL) == P2PB_BLOCK_BAD);

	/* a torn block: the device's head, a tail never written */
	device_block(11, blk);
	memset(blk + TAIL, 0, P2PB_VERIFY_PROBE);
	CHECK(p2pb_verify_probe(blk, 0, 11, NULL) == P2PB_BLOCK_DEVICE);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 11, NULL) == P2PB_BLOCK_BAD);
	/* one flipped byte */
	device_block(12, blk);
	blk[30] ^= 1;
	CHECK(p2pb_verify_probe(blk, 0, 12, NULL) == P2PB_BLOCK_BAD);

	/* the fill number comes out of a fill probe */
	p2pb_verify_fill(9, 4242, 0, blk, P2PB_VERIFY_BLOCK);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 9, &seq) == P2PB_BLOCK_FILL);
	CHECK_EQ_U64(seq, 4242);

	check_states();
	check_seq();

	device_block(5, blk);
	p2pb_verify_describe(blk, desc, sizeof(desc));
	CHECK_STR(desc, "p2pbench traffic block 0000000005.p2pben");
	return check_done();
}
