// SPDX-License-Identifier: GPL-2.0
/* The statistics compare decides noise with, against values worked out by hand. */
#include <math.h>

#include "check.h"
#include "stats.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

static void test_quantile(void)
{
	double v[] = { 1, 2, 3, 4 };

	CHECK(NEAR(p2pb_quantile(v, 4, 0.5), 2.5, 1e-12));
	CHECK(NEAR(p2pb_quantile(v, 4, 0), 1, 1e-12));
	CHECK(NEAR(p2pb_quantile(v, 4, 1), 4, 1e-12));
	CHECK(NEAR(p2pb_quantile(v, 1, 0.9), 1, 1e-12));
	CHECK(isnan(p2pb_quantile(v, 0, 0.5)));
}

static void test_mann_whitney_exact(void)
{
	double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 }, a5[] = { 1, 2, 3, 4, 5 }, b5[] = { 6, 7, 8, 9, 10 };
	double mixed_a[] = { 1, 3, 5 }, mixed_b[] = { 2, 4, 6 };
	double u;

	/* complete separation of 3 + 3: 2 of the 20 orderings are this extreme */
	CHECK(NEAR(p2pb_mann_whitney_p(a, 3, b, 3, &u), 0.1, 1e-12));
	CHECK(NEAR(u, 0, 1e-12));
	CHECK(NEAR(p2pb_mann_whitney_p(b, 3, a, 3, &u), 0.1, 1e-12));
	CHECK(NEAR(u, 9, 1e-12));
	/* 5 + 5: 2 of 252 */
	CHECK(NEAR(p2pb_mann_whitney_p(a5, 5, b5, 5, NULL), 2.0 / 252, 1e-12));
	CHECK(NEAR(p2pb_mann_whitney_min_p(5, 5), 2.0 / 252, 1e-12));
	CHECK(NEAR(p2pb_mann_whitney_min_p(3, 3), 0.1, 1e-12));
	/* U = 3 of 9 for 1,3,5 against 2,4,6: P(U <= 3) = 7/20, two-sided 0.7 */
	CHECK(NEAR(p2pb_mann_whitney_p(mixed_a, 3, mixed_b, 3, &u), 0.7, 1e-12));
	CHECK(NEAR(u, 3, 1e-12));
	CHECK(p2pb_mann_whitney_p(a, 1, b, 3, NULL) == 1.0);
}

static void test_mann_whitney_normal(void)
{
	double a[30], b[30], same[30];
	int i;

	for (i = 0; i < 30; i++) {
		a[i] = i;
		b[i] = i + 100;		/* separated: z = (450 - 0.5) / sqrt(30*30*61/12) = 6.7 */
		same[i] = i;
	}
	CHECK(p2pb_mann_whitney_p(a, 30, b, 30, NULL) < 1e-9);
	/* identical samples are all ties in pairs: no evidence at all */
	CHECK(p2pb_mann_whitney_p(a, 30, same, 30, NULL) > 0.9);
	/* every value equal: no variance, p = 1 */
	for (i = 0; i < 30; i++)
		a[i] = b[i] = 7;
	CHECK(p2pb_mann_whitney_p(a, 30, b, 30, NULL) == 1.0);
}

static void test_holm(void)
{
	/* sorted 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.06, 0.06, 0.5 (monotone) */
	double p[] = { 0.03, 0.5, 0.01, 0.02 };

	p2pb_holm_adjust(p, 4);
	CHECK(NEAR(p[2], 0.04, 1e-12));
	CHECK(NEAR(p[3], 0.06, 1e-12));
	CHECK(NEAR(p[0], 0.06, 1e-12));
	CHECK(NEAR(p[1], 0.5, 1e-12));
}

int main(void)
{
	test_quantile();
	test_mann_whitney_exact();
	test_mann_whitney_normal();
	test_holm();
	return check_done();
}
