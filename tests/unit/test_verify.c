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

int main(void)
{
	char blk[P2PB_VERIFY_BLOCK], desc[48];

	device_block(7, blk);
	CHECK(p2pb_verify_probe(blk, 0, 7) == P2PB_BLOCK_DEVICE);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 7) == P2PB_BLOCK_DEVICE);
	/* the right data at the wrong offset */
	CHECK(p2pb_verify_probe(blk, 0, 8) == P2PB_BLOCK_BAD);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 6) == P2PB_BLOCK_BAD);

	p2pb_verify_fill(9, 3, 0, blk, P2PB_VERIFY_BLOCK);
	CHECK(p2pb_verify_probe(blk, 0, 9) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 9) == P2PB_BLOCK_FILL);
	/* any fill number, as long as the block is right and the line whole */
	p2pb_verify_fill(9, 98765432, 0, blk, P2PB_VERIFY_BLOCK);
	CHECK(p2pb_verify_probe(blk, 0, 9) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 9) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk, 0, 10) == P2PB_BLOCK_BAD);
	/* a fill torn by the device's data inside one probe */
	device_block(9, blk);
	p2pb_verify_fill(9, 3, 0, blk, 20);
	CHECK(p2pb_verify_probe(blk, 0, 9) == P2PB_BLOCK_BAD);
	/* the fill written in pieces matches the whole */
	p2pb_verify_fill(9, 3, 0, blk, P2PB_VERIFY_PROBE);
	p2pb_verify_fill(9, 3, TAIL, blk + TAIL, P2PB_VERIFY_PROBE);
	CHECK(p2pb_verify_probe(blk, 0, 9) == P2PB_BLOCK_FILL);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 9) == P2PB_BLOCK_FILL);
	/* a seq that is not digits */
	blk[36] = 'x';
	CHECK(p2pb_verify_probe(blk, 0, 9) == P2PB_BLOCK_BAD);

	/* a torn block: the device's head, a tail never written */
	device_block(11, blk);
	memset(blk + TAIL, 0, P2PB_VERIFY_PROBE);
	CHECK(p2pb_verify_probe(blk, 0, 11) == P2PB_BLOCK_DEVICE);
	CHECK(p2pb_verify_probe(blk + TAIL, TAIL, 11) == P2PB_BLOCK_BAD);
	/* one flipped byte */
	device_block(12, blk);
	blk[30] ^= 1;
	CHECK(p2pb_verify_probe(blk, 0, 12) == P2PB_BLOCK_BAD);

	device_block(5, blk);
	p2pb_verify_describe(blk, desc, sizeof(desc));
	CHECK_STR(desc, "p2pbench traffic block 0000000005.p2pben");
	return check_done();
}
