/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_PLOT_H
#define P2PB_PLOT_H
#include <limits.h>
#include <stdio.h>

/*
 * One gnuplot figure: a script (NAME.gp) and its data (NAME.dat) written
 * into a directory, run through gnuplot into NAME.svg. The script and data
 * stay beside the SVG so that a figure can be redrawn or restyled by hand.
 */
struct p2pb_plot {
	char dir[PATH_MAX];
	char name[96];
	FILE *gp, *dat;
};

/* Opens the script with the SVG terminal, a title and the house style. */
int p2pb_plot_begin(struct p2pb_plot *p, const char *dir, const char *name, const char *title, int width,
		    int height);
/* Runs gnuplot; *svg gets the SVG element (prolog stripped) to inline, malloc'ed. */
int p2pb_plot_end(struct p2pb_plot *p, char **svg);
/* gnuplot found on PATH? */
int p2pb_plot_available(void);
/*
 * A string as a gnuplot literal, quotes included: single-quoted (no escapes,
 * no backquote command substitution), control characters dropped.
 * NAME given to p2pb_plot_begin() must be a slug ([a-z0-9_-]).
 */
void p2pb_plot_quoted(FILE *f, const char *s);
#endif
