/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_HTML_REPORT_H
#define P2PB_HTML_REPORT_H
#include <stdbool.h>

#include "regression.h"
#include "qualify.h"
#include "resultset.h"

/*
 * The HTML report: one self-contained page (inline CSS and SVG, no script,
 * nothing fetched) in DIR/index.html, every table also as DIR/csv/ID.csv,
 * the figures' gnuplot scripts and data in DIR/plots/, the input documents
 * (and their KTAP) copied to DIR/data/ and linked.
 */
struct p2pb_report_opts {
	const char *dir;
	const char *title;
	const struct p2pb_qual *qual;		/* a qualification to lead with, or NULL */
	const char *thresholds_path;
	const struct p2pb_compare *cmp;		/* against a baseline, or NULL */
	const char *baseline_path;
};

struct p2pb_report_stats {
	unsigned int figures, tables, documents;
};

int p2pb_report_write(const struct p2pb_rset *s, const struct p2pb_report_opts *o, struct p2pb_report_stats *st);
#endif
