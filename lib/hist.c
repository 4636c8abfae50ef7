// SPDX-License-Identifier: GPL-2.0
#include "hist.h"

#include <string.h>

void p2pb_hist_init(struct p2pb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int p2pb_hist_bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < P2PB_HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - P2PB_HIST_SUB_BITS;
	/* group g = shift + 1 holds [2^msb, 2^(msb+1)) in SUB steps of 2^shift */
	return (shift + 1) * P2PB_HIST_SUB + (unsigned int)((v >> shift) - P2PB_HIST_SUB);
}

void p2pb_hist_bucket_range(unsigned int idx, uint64_t *lo, uint64_t *hi)
{
	unsigned int group = idx / P2PB_HIST_SUB, sub = idx % P2PB_HIST_SUB, shift;

	if (group == 0) {
		*lo = *hi = sub;
		return;
	}
	shift = group - 1;
	*lo = ((uint64_t)P2PB_HIST_SUB + sub) << shift;
	*hi = *lo + ((1ull << shift) - 1);
}

void p2pb_hist_add(struct p2pb_hist *h, uint64_t v)
{
	h->buckets[p2pb_hist_bucket(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void p2pb_hist_merge(struct p2pb_hist *dst, const struct p2pb_hist *src)
{
	unsigned int i;

	if (!src->count)
		return;
	for (i = 0; i < P2PB_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t p2pb_hist_percentile(const struct p2pb_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi, mid;
	unsigned int i;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 100)
		return h->max;
	/* nearest rank: ceil(q/100 * n), at least 1 */
	rank = (uint64_t)((q / 100.0) * (double)h->count);
	if ((double)rank < (q / 100.0) * (double)h->count)
		rank++;
	if (!rank)
		rank = 1;
	for (i = 0; i < P2PB_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	p2pb_hist_bucket_range(i, &lo, &hi);
	mid = lo + (hi - lo) / 2;
	if (mid < h->min)
		mid = h->min;
	if (mid > h->max)
		mid = h->max;
	return mid;
}

double p2pb_hist_mean(const struct p2pb_hist *h)
{
	return h->count ? (double)(h->sum / h->count) : 0.0;
}
