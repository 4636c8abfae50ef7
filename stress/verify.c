// SPDX-License-Identifier: GPL-2.0
/* The block patterns of --verify (verify.h); pure logic. */
#include "verify.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_LEN 64

static size_t device_line(uint64_t block, char *line)
{
	return (size_t)snprintf(line, LINE_MAX_LEN, "p2pbench traffic block %010llu\n", (unsigned long long)block);
}

static size_t fill_line(uint64_t block, uint32_t seq, char *line)
{
	return (size_t)snprintf(line, LINE_MAX_LEN, "p2pbench fill block %010llu seq %08u\n",
				(unsigned long long)block, seq);
}

/* Do @buf's @len bytes equal the bytes [at, at + len) of @line repeated? */
static bool repeats(const char *buf, size_t at, size_t len, const char *line, size_t line_len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != line[(at + i) % line_len])
			return false;
	return true;
}

void p2pb_verify_fill(uint64_t block, uint32_t seq, size_t at, char *out, size_t len)
{
	char line[LINE_MAX_LEN];
	size_t n = fill_line(block, seq, line), i;

	for (i = 0; i < len; i++)
		out[i] = line[(at + i) % n];
}

#define FILL_SEQ_AT 35	/* where the 8 seq digits are in a fill line */

/*
 * The seq a fill probe claims: its digits sit at line positions
 * FILL_SEQ_AT.., which a probe longer than a line always covers. -1 if they
 * are not digits.
 */
static long long probe_seq(const char *buf, size_t at, size_t line_len)
{
	long long seq = 0;
	size_t d, i;

	for (d = 0; d < 8; d++) {
		i = (FILL_SEQ_AT + d + line_len - at % line_len) % line_len;
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		seq = seq * 10 + (buf[i] - '0');
	}
	return seq;
}

enum p2pb_block_kind p2pb_verify_probe(const char *buf, size_t at, uint64_t block, uint32_t *seq_out)
{
	char line[LINE_MAX_LEN];
	size_t n = device_line(block, line);
	long long seq;

	if (repeats(buf, at, P2PB_VERIFY_PROBE, line, n))
		return P2PB_BLOCK_DEVICE;
	n = fill_line(block, 0, line);
	seq = probe_seq(buf, at, n);
	if (seq < 0 || seq > UINT32_MAX)
		return P2PB_BLOCK_BAD;
	n = fill_line(block, (uint32_t)seq, line);
	if (!repeats(buf, at, P2PB_VERIFY_PROBE, line, n))
		return P2PB_BLOCK_BAD;
	if (seq_out)
		*seq_out = (uint32_t)seq;
	return P2PB_BLOCK_FILL;
}

uint32_t p2pb_verify_next_seq(uint32_t seq, uint32_t seed)
{
	if (!seq)
		return seed % P2PB_VERIFY_SEQ_MAX + 1;
	return seq % P2PB_VERIFY_SEQ_MAX + 1;
}

/* Device data in one probe: the traffic pattern, or a fill other than the current one. */
static bool probe_is_device(enum p2pb_block_kind kind, uint32_t seq, uint32_t fill_seq)
{
	return kind == P2PB_BLOCK_DEVICE || (kind == P2PB_BLOCK_FILL && seq != fill_seq);
}

enum p2pb_block_state p2pb_verify_state(const enum p2pb_block_kind kind[2], const uint32_t seq[2],
					uint32_t fill_seq)
{
	bool dev0, dev1;

	if (kind[0] == P2PB_BLOCK_BAD || kind[1] == P2PB_BLOCK_BAD)
		return P2PB_BLOCK_STATE_BAD;
	dev0 = probe_is_device(kind[0], seq[0], fill_seq);
	dev1 = probe_is_device(kind[1], seq[1], fill_seq);
	if (!dev0 && !dev1)
		return P2PB_BLOCK_STATE_FILL;
	/* one 4 KiB block comes from one device block: the same pattern head and tail */
	if (dev0 && dev1 && kind[0] == kind[1] && (kind[0] == P2PB_BLOCK_DEVICE || seq[0] == seq[1]))
		return P2PB_BLOCK_STATE_DEVICE;
	return P2PB_BLOCK_STATE_PARTIAL;
}

bool p2pb_verify_intact(enum p2pb_block_state state, bool filled)
{
	if (state == P2PB_BLOCK_STATE_BAD)
		return false;
	return !filled || state == P2PB_BLOCK_STATE_DEVICE;
}

const size_t p2pb_verify_probe_at[2] = { 0, P2PB_VERIFY_BLOCK - P2PB_VERIFY_PROBE };

void p2pb_verify_evidence(char *out, size_t len, const char *where, const char *buf, int err)
{
	char found[48];

	if (err) {
		snprintf(out, len, "%s: unreadable: %s", where, strerror(-err));
		return;
	}
	p2pb_verify_describe(buf, found, sizeof(found));
	snprintf(out, len, "%s: found '%s...'", where, found);
}

void p2pb_verify_describe(const char *buf, char *out, size_t len)
{
	size_t i, n = len - 1 < 40 ? len - 1 : 40;

	for (i = 0; i < n; i++)
		out[i] = isprint((unsigned char)buf[i]) ? buf[i] : '.';
	out[n] = 0;
}
