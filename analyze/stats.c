// SPDX-License-Identifier: GPL-2.0
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_MAX_N 40

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void p2pb_sort_doubles(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_double);
}

double p2pb_quantile(const double *sorted, size_t n, double q)
{
	double pos, frac;
	size_t i;

	if (!n)
		return NAN;
	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	pos = q * (double)(n - 1);
	i = (size_t)pos;
	frac = pos - (double)i;
	return i + 1 < n ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

struct ranked {
	double v;
	int side;	/* 0: a, 1: b */
};

static int cmp_ranked(const void *x, const void *y)
{
	return cmp_double(&((const struct ranked *)x)->v, &((const struct ranked *)y)->v);
}

/*
 * Number of orderings of m a's and n b's with U = u, for every u in
 * 0..m*n, by the recurrence N(u; m, n) = N(u - n; m - 1, n) + N(u; m, n - 1)
 * (the largest value is an a, beating all n b's, or a b). Probabilities
 * rather than counts so that nothing overflows.
 */
static double *u_distribution(size_t m, size_t n)
{
	size_t umax = m * n, i, j, u;
	double *prev = calloc((m + 1) * (umax + 1), sizeof(double));
	double *cur = calloc((m + 1) * (umax + 1), sizeof(double));
	double *out;

	if (!prev || !cur) {
		free(prev);
		free(cur);
		return NULL;
	}
	/* prev[i][u]: distribution with i a's and j - 1 b's; column j = 0 first */
	for (i = 0; i <= m; i++)
		prev[i * (umax + 1)] = 1.0;
	for (j = 1; j <= n; j++) {
		memset(cur, 0, (m + 1) * (umax + 1) * sizeof(double));
		cur[0] = 1.0;
		for (i = 1; i <= m; i++) {
			/* P(U=u) for (i, j) = i/(i+j) P(u-j; i-1, j) + j/(i+j) P(u; i, j-1) */
			double wa = (double)i / (double)(i + j), wb = (double)j / (double)(i + j);

			for (u = 0; u <= i * j; u++) {
				double pa = u >= j ? cur[(i - 1) * (umax + 1) + u - j] : 0;
				double pb = prev[i * (umax + 1) + u];

				cur[i * (umax + 1) + u] = wa * pa + wb * pb;
			}
		}
		memcpy(prev, cur, (m + 1) * (umax + 1) * sizeof(double));
	}
	out = malloc((umax + 1) * sizeof(double));
	if (out)
		memcpy(out, prev + m * (umax + 1), (umax + 1) * sizeof(double));
	free(prev);
	free(cur);
	return out;
}

static double exact_p(size_t m, size_t n, double u)
{
	double *d = u_distribution(m, n), lo = 0, hi = 0, p;
	size_t k;

	if (!d)
		return 1.0;
	for (k = 0; k <= m * n; k++) {
		if ((double)k <= u + 1e-9)
			lo += d[k];
		if ((double)k >= u - 1e-9)
			hi += d[k];
	}
	free(d);
	p = 2 * (lo < hi ? lo : hi);
	return p > 1 ? 1 : p;
}

double p2pb_mann_whitney_min_p(size_t n_a, size_t n_b)
{
	if (n_a < 2 || n_b < 2)
		return 1.0;
	if (n_a + n_b > EXACT_MAX_N)
		return 0.0;
	return exact_p(n_a, n_b, 0);
}

double p2pb_mann_whitney_p(const double *a, size_t n_a, const double *b, size_t n_b, double *u_out)
{
	size_t n = n_a + n_b, i, j;
	struct ranked *r;
	double rank_sum_a = 0, ties = 0, u, mu, sigma2, z;
	int tied = 0;

	if (u_out)
		*u_out = 0;
	if (n_a < 2 || n_b < 2)
		return 1.0;
	r = malloc(n * sizeof(*r));
	if (!r)
		return 1.0;
	for (i = 0; i < n_a; i++)
		r[i] = (struct ranked){ a[i], 0 };
	for (i = 0; i < n_b; i++)
		r[n_a + i] = (struct ranked){ b[i], 1 };
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (i = 0; i < n; i = j) {
		double mid, t;

		for (j = i + 1; j < n && r[j].v == r[i].v; j++)
			;
		mid = ((double)i + (double)j + 1) / 2;	/* mean of ranks i+1..j */
		t = (double)(j - i);
		if (t > 1) {
			tied = 1;
			ties += t * t * t - t;
		}
		for (size_t k = i; k < j; k++)
			if (!r[k].side)
				rank_sum_a += mid;
	}
	free(r);
	u = rank_sum_a - (double)n_a * ((double)n_a + 1) / 2;
	if (u_out)
		*u_out = u;
	if (!tied && n <= EXACT_MAX_N)
		return exact_p(n_a, n_b, u);
	mu = (double)n_a * (double)n_b / 2;
	sigma2 = (double)n_a * (double)n_b / 12 * (((double)n + 1) - ties / ((double)n * ((double)n - 1)));
	if (sigma2 <= 0)
		return 1.0;	/* every value equal */
	z = (fabs(u - mu) - 0.5) / sqrt(sigma2);
	if (z < 0)
		z = 0;
	return erfc(z / M_SQRT2);
}

void p2pb_holm_adjust(double *p, size_t n)
{
	size_t *idx = malloc(n * sizeof(*idx)), i, j;
	double running = 0;

	if (!idx)
		return;
	for (i = 0; i < n; i++)
		idx[i] = i;
	/* insertion sort of indexes by p: n is a few hundred at most */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && p[idx[j - 1]] > p[idx[j]]; j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		double adj = (double)(n - i) * p[idx[i]];

		if (adj > 1)
			adj = 1;
		if (adj < running)
			adj = running;
		running = adj;
		p[idx[i]] = adj;
	}
	free(idx);
}
