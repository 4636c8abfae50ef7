/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_QUALIFY_H
#define P2PB_QUALIFY_H
#include <stdbool.h>

#include "resultset.h"
#include "thresholds.h"

/*
 * A device pair's qualification: every [limit] of a threshold file against
 * every case it names, and every case's contract verdict. PASS only when each
 * limit was measured and met and no case is FAIL, ERROR or BOUNDED.
 */
struct p2pb_qual_row {
	const struct p2pb_rcase *c;	/* NULL: a limit no case measured */
	const struct p2pb_limit *limit;	/* NULL: the case's contract verdict */
	double measured;		/* NAN when not measured */
	double margin;			/* headroom as a fraction of the limit; < 0 missed */
	bool pass;
	char evidence[240];
};

struct p2pb_qual {
	struct p2pb_qual_row *rows;
	size_t n_rows, failed;
	bool pass;
};

int p2pb_qualify(const struct p2pb_rset *s, const struct p2pb_thresholds *t, struct p2pb_qual *q);
void p2pb_qual_free(struct p2pb_qual *q);
/* The statistic a limit names, from a series ("value": the median of its samples). */
double p2pb_series_stat(const struct p2pb_series *sr, const char *stat);
#endif
