/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_HIST_H
#define P2PB_HIST_H
#include <stdint.h>

/*
 * Fixed-memory log-linear histogram of u64 values (ns, bytes...). Values are
 * grouped by their highest set bit and each power-of-two group is split into
 * P2PB_HIST_SUB linear buckets, so a reported value is within 1/P2PB_HIST_SUB
 * (< 1 %) of the true one; values below P2PB_HIST_SUB are exact. Histograms
 * with the same layout merge by adding counts.
 */
#define P2PB_HIST_SUB_BITS 7
#define P2PB_HIST_SUB (1u << P2PB_HIST_SUB_BITS)
#define P2PB_HIST_BUCKETS ((64 - P2PB_HIST_SUB_BITS + 1) * P2PB_HIST_SUB)

struct p2pb_hist {
	uint64_t count;
	uint64_t min, max;
	long double sum;
	uint64_t buckets[P2PB_HIST_BUCKETS];
};

void p2pb_hist_init(struct p2pb_hist *h);
void p2pb_hist_add(struct p2pb_hist *h, uint64_t v);
void p2pb_hist_merge(struct p2pb_hist *dst, const struct p2pb_hist *src);
/* q in [0,100]; the smallest value with at least q % of samples at or below
 * it (nearest-rank), reported as its bucket's midpoint clamped to [min,max]. */
uint64_t p2pb_hist_percentile(const struct p2pb_hist *h, double q);
double p2pb_hist_mean(const struct p2pb_hist *h);

/* Exposed for tests: bucket index of a value and the value range it covers. */
unsigned int p2pb_hist_bucket(uint64_t v);
void p2pb_hist_bucket_range(unsigned int idx, uint64_t *lo, uint64_t *hi);
#endif
