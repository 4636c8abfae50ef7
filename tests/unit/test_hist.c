// SPDX-License-Identifier: GPL-2.0
#include "hist.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>

static struct p2pb_hist h, h2, merged;

/* exact nearest-rank percentile of a sorted array */
static uint64_t exact(const uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q / 100.0 * (double)n);

	return v[rank ? rank - 1 : 0];
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static uint64_t v[20000];
	static const double qs[] = { 1, 50, 90, 99, 99.9 };
	uint64_t lo, hi, state = 42;
	unsigned int i, b, bad = 0;
	size_t q;

	p2pb_hist_init(&h);
	CHECK_EQ_U64(p2pb_hist_percentile(&h, 50), 0);
	CHECK(p2pb_hist_mean(&h) == 0.0);

	/* small values are exact */
	for (i = 0; i < P2PB_HIST_SUB; i++)
		CHECK_EQ_U64(p2pb_hist_bucket(i), i);

	/* buckets tile the value space without gaps and contain their values */
	for (b = 1; b < P2PB_HIST_BUCKETS - 1; b++) {
		uint64_t lo2, hi2;

		p2pb_hist_bucket_range(b, &lo, &hi);
		p2pb_hist_bucket_range(b + 1, &lo2, &hi2);
		if (lo2 != hi + 1 || p2pb_hist_bucket(lo) != b || p2pb_hist_bucket(hi) != b)
			bad++;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(p2pb_hist_bucket(UINT64_MAX), P2PB_HIST_BUCKETS - 1);

	/* ≤ 1 % relative error against exact percentiles on a wide spread */
	for (i = 0; i < 20000; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		v[i] = (state >> 20) % 5000000000ull + 1000;	/* 1 us .. 5 s */
		p2pb_hist_add(&h, v[i]);
	}
	qsort(v, 20000, sizeof(v[0]), cmp);
	for (q = 0; q < sizeof(qs) / sizeof(qs[0]); q++) {
		double got = (double)p2pb_hist_percentile(&h, qs[q]), want = (double)exact(v, 20000, qs[q]);

		CHECK(fabs(got - want) / want <= 0.01);
	}
	CHECK_EQ_U64(p2pb_hist_percentile(&h, 100), v[19999]);
	CHECK_EQ_U64(p2pb_hist_percentile(&h, 0), v[0]);
	CHECK_EQ_U64(h.count, 20000);

	/* one sample: every percentile is that sample */
	p2pb_hist_init(&h2);
	p2pb_hist_add(&h2, 212345678);
	CHECK_EQ_U64(p2pb_hist_percentile(&h2, 50), 212345678);
	CHECK_EQ_U64(p2pb_hist_percentile(&h2, 99), 212345678);

	/* merging equals adding everything to one histogram */
	p2pb_hist_init(&merged);
	p2pb_hist_merge(&merged, &h);
	p2pb_hist_merge(&merged, &h2);
	p2pb_hist_add(&h, 212345678);
	CHECK_EQ_U64(merged.count, h.count);
	CHECK_EQ_U64(merged.max, h.max);
	CHECK_EQ_U64(merged.min, h.min);
	CHECK_EQ_U64(p2pb_hist_percentile(&merged, 90), p2pb_hist_percentile(&h, 90));
	CHECK(memcmp(merged.buckets, h.buckets, sizeof(h.buckets)) == 0);
	return check_done();
}
