/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_STATS_H
#define P2PB_STATS_H
#include <stddef.h>

/*
 * Statistics for comparing two runs: is a change beyond the noise of the
 * iterations? Pure functions, no I/O.
 */

/* q-th quantile (0..1) of ascending samples, linear between neighbours. */
double p2pb_quantile(const double *sorted, size_t n, double q);
void p2pb_sort_doubles(double *v, size_t n);

/*
 * Two-sided Mann-Whitney U (Wilcoxon rank-sum) test of a against b: the
 * probability of ranks at least this far apart when both come from one
 * distribution. Exact without ties for small samples (n_a + n_b <= 40),
 * the normal approximation with tie and continuity corrections otherwise.
 * Returns 1.0 when either side has fewer than 2 samples. *u_out (may be
 * NULL) gets U of a.
 */
double p2pb_mann_whitney_p(const double *a, size_t n_a, const double *b, size_t n_b, double *u_out);

/*
 * The smallest two-sided p the exact test can give at these sizes: with
 * 3 + 3 iterations no difference, however large, is beyond p = 0.1.
 */
double p2pb_mann_whitney_min_p(size_t n_a, size_t n_b);

/*
 * Holm-Bonferroni: adjusts p[0..n) in place for n tests made together, so
 * that "any adjusted p < alpha" has a family-wise error rate of alpha.
 */
void p2pb_holm_adjust(double *p, size_t n);
#endif
