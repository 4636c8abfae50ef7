// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of the histogram record path: p2pb_hist_add() over N
 * values spread like latencies (ns to s). Run under callgrind by
 * hist_record.sh, which counts the instructions spent inside
 * p2pb_hist_add() per record: a count, not a time, so it is the same on a
 * busy 2-core machine as on an idle one.
 */
#include "hist.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	uint64_t *v = malloc(n * sizeof(*v)), x = 0x9e3779b97f4a7c15ull;
	struct p2pb_hist *h = malloc(sizeof(*h));
	unsigned long i;

	if (!v || !h)
		return 1;
	/* values made first, so the measured function does nothing else */
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = x >> (x % 40 + 24);	/* 1 ns .. ~1000 s */
	}
	p2pb_hist_init(h);
	for (i = 0; i < n; i++)
		p2pb_hist_add(h, v[i]);
	printf("records %llu p50 %llu\n", (unsigned long long)h->count,
	       (unsigned long long)p2pb_hist_percentile(h, 50));
	free(v);
	free(h);
	return 0;
}
