// SPDX-License-Identifier: GPL-2.0
/* The HTML report: measure (the result set), then format (tables and figures). */
#define _GNU_SOURCE
#include "html_report.h"
#include "error.h"
#include "format.h"
#include "jsonq.h"
#include "plot.h"
#include "result.h"
#include "stats.h"

#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_COLS 12

struct report {
	const struct p2pb_rset *set;
	const struct p2pb_report_opts *o;
	FILE *html;
	char dir[PATH_MAX];			/* where the report is built: DIR.tmp-PID, renamed to DIR at the end */
	char plots[PATH_MAX + 16], csv[PATH_MAX + 16];
	struct p2pb_report_stats st;
	char (*links)[PATH_MAX];		/* per document: its copy under data/ */
};

/* ---- tables: built first, then written as HTML and as CSV ---- */

struct table {
	char id[64], title[200];
	const char *cols[MAX_COLS];
	size_t ncols, nrows;
	char **cells;
};

static void table_init(struct table *t, const char *id, const char *title, const char *cols)
{
	static char colbuf[8][512];
	static unsigned int next;
	char *buf = colbuf[next++ % 8], *tok, *save = NULL;

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->title, sizeof(t->title), "%s", title);
	snprintf(buf, 512, "%s", cols);
	for (tok = strtok_r(buf, "|", &save); tok && t->ncols < MAX_COLS; tok = strtok_r(NULL, "|", &save))
		t->cols[t->ncols++] = tok;
}

static void table_row(struct table *t, ...)
{
	char **cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	va_list ap;
	size_t i;

	if (!cells)
		return;
	t->cells = cells;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

static const char *outcome_class(const char *s)
{
	static const char *const known[] = { "PASS", "FAIL", "ERROR", "BOUNDED", "SKIP", "XFAIL", "XPASS",
					     "regression", "improvement", "changed" };
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(s, known[i]))
			return known[i];
	return NULL;
}

static void table_emit(struct report *r, struct table *t)
{
	char path[PATH_MAX + 128];
	FILE *csv;
	size_t i, j;

	snprintf(path, sizeof(path), "%s/%s.csv", r->csv, t->id);
	csv = fopen(path, "w");
	fprintf(r->html, "<h3 id=\"%s\">", t->id);
	p2pb_html_text(r->html, t->title);
	fprintf(r->html, " <a class=\"csv\" href=\"csv/%s.csv\">CSV</a></h3>\n<table><tr>", t->id);
	for (i = 0; i < t->ncols; i++) {
		fputs("<th>", r->html);
		p2pb_html_text(r->html, t->cols[i]);
		fputs("</th>", r->html);
		if (csv)
			p2pb_csv_field(csv, t->cols[i], i + 1 < t->ncols ? ',' : '\n');
	}
	fputs("</tr>\n", r->html);
	for (j = 0; j < t->nrows; j++) {
		fputs("<tr>", r->html);
		for (i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[j * t->ncols + i], *cls = outcome_class(cell);

			if (cls)
				fprintf(r->html, "<td class=\"v-%s\">", cls);
			else
				fputs("<td>", r->html);
			p2pb_html_text(r->html, cell);
			fputs("</td>", r->html);
			if (csv)
				p2pb_csv_field(csv, cell, i + 1 < t->ncols ? ',' : '\n');
			free(t->cells[j * t->ncols + i]);
		}
		fputs("</tr>\n", r->html);
	}
	if (!t->nrows)
		fprintf(r->html, "<tr><td colspan=\"%zu\">(none)</td></tr>\n", t->ncols);
	fputs("</table>\n", r->html);
	free(t->cells);
	t->cells = NULL;
	if (csv)
		fclose(csv);
	r->st.tables++;
}

/* ---- figures ---- */

static int figure_emit(struct report *r, struct p2pb_plot *p, const char *caption)
{
	char *svg;
	int rc = p2pb_plot_end(p, &svg);

	if (rc)
		return rc;
	fprintf(r->html, "<figure id=\"fig-%s\">%s<figcaption>", p->name, svg);
	p2pb_html_text(r->html, caption);
	fprintf(r->html, " <a href=\"plots/%s.svg\">SVG</a> <a href=\"plots/%s.gp\">gnuplot</a></figcaption></figure>\n",
		p->name, p->name);
	free(svg);
	r->st.figures++;
	return 0;
}

static void slug(char *out, size_t len, const char *prefix, const char *s)
{
	size_t i = (size_t)snprintf(out, len, "%s", prefix);

	for (; *s && i + 1 < len; s++)
		out[i++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ? *s : '_');
	out[i] = 0;
}

/* The group a case belongs to: its job section ("delay0" of "delay0/flr"). */
static void case_group(const struct p2pb_rcase *c, char *out, size_t len)
{
	const char *slash = strchr(c->name, '/');

	snprintf(out, len, "%.*s", (int)(slash ? slash - c->name : (long)strlen(c->name)), c->name);
}

/* The x axis of a CDF: logarithmic when the values span more than a decade and a half. */
static void cdf_axis(struct report *r, size_t doc, const char *group, FILE *gp)
{
	double lo = INFINITY, hi = 0;
	char g[64];
	size_t i;

	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];
		const struct p2pb_series *sr = p2pb_rcase_series(c, p2pb_metrics[P2PB_M_REVOKE_TO_QUIESCE].name);

		case_group(c, g, sizeof(g));
		if (c->doc == doc && !strcmp(g, group) && sr && sr->n) {
			lo = fmin(lo, sr->min / 1e6);
			hi = fmax(hi, sr->max / 1e6);
		}
	}
	if (!(hi > 0) || !isfinite(lo))
		return;
	if (lo > 0 && hi / lo > 30)
		fprintf(gp, "set logscale x\nset xrange [%g:%g]\n", lo / 1.2, hi * 1.2);
	else
		fprintf(gp, "set xrange [%g:%g]\n", fmax(0, lo - (hi - lo) * 0.1 - 0.001), hi + (hi - lo) * 0.1 + 0.001);
}

/* Revoke-to-quiesce CDF, one figure per job section, a line per trigger. */
static int fig_cdf(struct report *r, size_t doc, const char *group)
{
	struct p2pb_plot p;
	char name[96], title[200], g[64];
	size_t i, k, lines = 0;
	int rc;

	slug(name, sizeof(name), "cdf-", group);
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "-%zu", doc);
	snprintf(title, sizeof(title), "revoke-to-quiesce latency, %s (CDF over the measured iterations)", group);
	rc = p2pb_plot_begin(&p, r->plots, name, title, 760, 400);
	if (rc)
		return rc;
	cdf_axis(r, doc, group, p.gp);
	fprintf(p.gp, "set xlabel 'revoke-to-quiesce (ms)'\nset ylabel 'fraction of iterations'\n"
		      "set yrange [0:1.02]\nplot ");
	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];
		const struct p2pb_series *sr = p2pb_rcase_series(c, p2pb_metrics[P2PB_M_REVOKE_TO_QUIESCE].name);

		case_group(c, g, sizeof(g));
		if (c->doc != doc || strcmp(g, group) || !sr || !sr->n)
			continue;
		fprintf(p.dat, "%.6f 0\n", sr->v[0] / 1e6);	/* the step up from 0 */
		for (k = 0; k < sr->n; k++)
			fprintf(p.dat, "%.6f %.6f\n", sr->v[k] / 1e6, (double)(k + 1) / (double)sr->n);
		fputs("\n\n", p.dat);
		fprintf(p.gp, "%s'%s.dat' index %zu using 1:2 with steps lw 2 title ", lines ? ", " : "", name, lines);
		p2pb_plot_quoted(p.gp, c->name + strlen(group) + (c->name[strlen(group)] == '/'));
		lines++;
	}
	fputs("\n", p.gp);
	return figure_emit(r, &p, "Each step is one iteration: the time from the trigger's start until the last "
				  "importer unmapped. Further right is slower; a long tail shows as a late rise.");
}

static void mark(FILE *gp, double ms, const char *label, const char *colour, int row)
{
	if (isnan(ms))
		return;
	fprintf(gp, "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead lc rgb '%s' dt 2\n", ms, ms, colour);
	if (*label)
		fprintf(gp, "set label \"%s\" at %.3f, graph %.2f offset 0.3,0 tc rgb '%s'\n", label, ms, 0.95 - 0.07 * row,
		colour);
}

/* How a timeline's events are drawn: colour and label row, the first of each kind labelled. */
static const struct {
	const char *what, *colour;
} mark_styles[] = {
	{ "trigger", "#c0392b" }, { "invalidate", "#8e44ad" }, { "unmapped", "#2c3e50" },
	{ "trigger returned", "#d35400" }, { "first good I/O", "#27ae60" }, { "disturbance", "#c0392b" },
	{ "restored", "#d35400" }, { "first good completion", "#27ae60" },
};

static void timeline_marks(FILE *gp, const struct p2pb_timeline *tl)
{
	bool labelled[sizeof(mark_styles) / sizeof(mark_styles[0])] = { false };
	size_t i, k, row = 0;

	for (i = 0; i < tl->n_marks; i++) {
		for (k = 0; k < sizeof(mark_styles) / sizeof(mark_styles[0]); k++)
			if (!strcmp(mark_styles[k].what, tl->marks[i].what))
				break;
		if (k == sizeof(mark_styles) / sizeof(mark_styles[0]))
			continue;
		/* a long run has many disturbances: only the first of each kind is labelled */
		mark(gp, tl->marks[i].t_ns / 1e6, labelled[k] ? "" : tl->marks[i].what, mark_styles[k].colour,
		     labelled[k] ? 0 : (int)row++);
		labelled[k] = true;
	}
}

/*
 * Throughput through one revoke (the iteration with the median stall) or
 * through an RDMA step's disturbances, with the events marked.
 */
static int fig_timeline(struct report *r, const struct p2pb_rcase *c)
{
	const struct p2pb_timeline *tl = c->timeline;
	bool revoke = tl && tl->iteration >= 0;
	struct p2pb_plot p;
	char name[96], title[240];
	size_t i;
	int rc;

	if (!tl)
		return 0;
	slug(name, sizeof(name), revoke ? "timeline-" : "rdma-", c->name);
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "-%zu", c->doc);
	if (revoke)
		snprintf(title, sizeof(title), "%s: throughput through a revoke (iteration %d, the median stall)",
			 c->name, tl->iteration);
	else
		snprintf(title, sizeof(title), "%s: bandwidth through %zu disturbance(s)", c->name, tl->disturbances);
	rc = p2pb_plot_begin(&p, r->plots, name, title, 900, 380);
	if (rc)
		return rc;
	for (i = 0; i < tl->n_bins; i++)
		fprintf(p.dat, "%.3f %.3f\n", (tl->start_ns + (double)i * tl->bin_ns) / 1e6,
			tl->bytes[i] / tl->bin_ns * 1e9 / 1048576.0);
	timeline_marks(p.gp, tl);
	fprintf(p.gp, "set xlabel 'time from the %s (ms)'\nset ylabel 'MiB/s (%.0f ms bins)'\nset key off\n"
		      "plot '%s.dat' using 1:2 with steps lw 2 lc rgb '#2980b9'\n", revoke ? "trigger" : "step start",
		tl->bin_ns / 1e6, name);
	if (!revoke)
		return figure_emit(r, &p, "Bytes completed without error per bin through the step; the marks are each "
					  "disturbance (a revoke trigger or an injected fault), its restoration, and the "
					  "first good completion after the first outage.");
	return figure_emit(r, &p, "Bytes the traffic device moved through the dma-buf per bin, from the window "
				  "before the trigger to the window after the remap. The gap is the stall; the marks "
				  "are the trigger, the first invalidate, the last unmap, the trigger's return and the "
				  "first good I/O after the un-revoke.");
}

/* ---- the timeout sweep as heatmaps: delay x timeout, colour = trigger time ---- */

static size_t index_of(char list[][48], size_t *n, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(list[i], s))
			return i;
	if (*n < 16)
		snprintf(list[(*n)++], 48, "%s", s);
	return i;
}

static int fig_sweep(struct report *r, size_t doc, const char *trigger, const char *policy)
{
	char delays[16][48], timeouts[16][48], name[96], title[200], tslug[48], pslug[48];
	size_t nd = 0, nt = 0, i, cells = 0;
	struct p2pb_plot p;
	int rc;

	slug(tslug, sizeof(tslug), "", trigger);
	slug(pslug, sizeof(pslug), "", policy);
	snprintf(name, sizeof(name), "sweep-%.40s-%.10s-%zu", tslug, pslug, doc);
	snprintf(title, sizeof(title), "timeout sweep, %.40s, policy %.10s: trigger time p50 (ms)", trigger, policy);
	rc = p2pb_plot_begin(&p, r->plots, name, title, 760, 420);
	if (rc)
		return rc;
	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];
		const struct p2pb_series *sr = p2pb_rcase_series(c, p2pb_metrics[P2PB_M_TRIGGER].name);
		double trig = sr && sr->count ? sr->p50 : NAN;
		const char *outcome = c->outcome;
		char tlabel[48];
		size_t x, y;

		if (c->doc != doc || !c->sweep.set || strcmp(c->trigger, trigger) ||
		    (strcmp(c->sweep.policy, policy) && strcmp(c->sweep.policy, "none")))
			continue;
		if (c->sweep.timeout_ms > 0)
			snprintf(tlabel, sizeof(tlabel), "%.0f ms", c->sweep.timeout_ms);
		else
			snprintf(tlabel, sizeof(tlabel), "unbounded");
		x = index_of(delays, &nd, c->sweep.delay);
		y = index_of(timeouts, &nt, tlabel);
		fprintf(p.dat, "%zu %zu %.3f %c\n", x, y, isnan(trig) ? 0.001 : fmax(trig / 1e6, 0.001),
			isalpha((unsigned char)outcome[0]) ? outcome[0] : '?');
		cells++;
	}
	fputs("set xtics (", p.gp);
	for (i = 0; i < nd; i++)
	{
		fputs(i ? ", " : "", p.gp);
		p2pb_plot_quoted(p.gp, delays[i]);
		fprintf(p.gp, " %zu", i);
	}
	fputs(") rotate by -20\nset ytics (", p.gp);
	for (i = 0; i < nt; i++)
	{
		fputs(i ? ", " : "", p.gp);
		p2pb_plot_quoted(p.gp, timeouts[i]);
		fprintf(p.gp, " %zu", i);
	}
	fprintf(p.gp, ")\nset xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\nset logscale cb\nset cblabel 'ms'\n"
		      "set xlabel 'importer unmap delay'\nset ylabel 'revoke timeout'\nset key off\nset grid noxtics noytics\n"
		      "set palette defined (0 '#f7fbff', 1 '#6baed6', 2 '#08306b')\n"
		      "plot '%s.dat' using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder lc palette, "
		      "'' using 1:2:4 with labels font ',12' tc rgb '#c0392b'\n",
		nd ? nd - 1 : 0, nt ? nt - 1 : 0, name);
	if (!cells) {
		fclose(p.gp);
		fclose(p.dat);
		return 0;
	}
	return figure_emit(r, &p, "Each cell: how long the trigger took (median over the iterations) for an "
				  "importer that unmaps after the delay, under the revoke timeout. Letters: P pass "
				  "(every importer unmapped before the trigger returned), B bounded (the timeout let "
				  "the trigger return with mappings live), F fail, E error.");
}

/* A heatmap per trigger and bounded policy the sweep ran (its unbounded row in each). */
static int figs_sweep(struct report *r, size_t doc)
{
	char triggers[16][48], policies[16][48];
	size_t nt = 0, np = 0, i, k;
	int rc = 0;

	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];

		if (c->doc != doc)
			continue;
		index_of(triggers, &nt, c->trigger);
		if (c->sweep.set && strcmp(c->sweep.policy, "none"))
			index_of(policies, &np, c->sweep.policy);
	}
	if (!np)	/* a stock-kernel sweep: unbounded only */
		index_of(policies, &np, "none");
	for (i = 0; i < nt && !rc; i++)
		for (k = 0; k < np && !rc; k++)
			rc = fig_sweep(r, doc, triggers[i], policies[k]);
	return rc;
}

/* Revoke cost against the number of dma-bufs and of attachments (bench/revoke-scale.sh). */
static int fig_scale(struct report *r, size_t doc)
{
	static const char *const axes[] = { "dmabufs", "attachments" };
	const struct p2pb_rdoc *d = &r->set->docs[doc];
	struct p2pb_plot p;
	char name[64], title[200];
	size_t a, i;
	int rc;

	snprintf(name, sizeof(name), "scale-%zu", doc);
	snprintf(title, sizeof(title), "revoke cost against scale (%s, importer delay %s)",
		 d->scale_trigger, d->scale_delay);
	rc = p2pb_plot_begin(&p, r->plots, name, title, 760, 420);
	if (rc)
		return rc;
	for (a = 0; a < 2; a++) {
		for (i = 0; i < r->set->n_cases; i++) {
			const struct p2pb_rcase *c = &r->set->cases[i];
			const struct p2pb_series *sr =
				p2pb_rcase_series(c, p2pb_metrics[P2PB_M_SCALE_REVOKE_TO_QUIESCE].name);

			if (c->doc == doc && !strcmp(c->scale_axis, axes[a]) && sr && sr->count)
				fprintf(p.dat, "%.0f %.6f\n", c->scale_n, sr->p50 / 1e6);
		}
		fputs("\n\n", p.dat);
	}
	fprintf(p.gp, "set logscale xy\nset xlabel 'dma-bufs, or attachments of one dma-buf'\n"
		      "set ylabel 'revoke-to-quiesce p50 (ms)'\n"
		      "plot '%s.dat' index 0 using 1:2 with linespoints lw 2 pt 7 title 'dma-bufs', "
		      "'' index 1 using 1:2 with linespoints lw 2 pt 5 title 'attachments'\n", name);
	return figure_emit(r, &p, "The serial revoke: its cost grows with the dma-bufs of the device (each "
				  "waits for its slowest importer) and hardly with the attachments of one dma-buf.");
}

/* ---- sections ---- */

static const char *fmtv(double v, const char *unit, char *buf, size_t len)
{
	return p2pb_fmt_value(v, unit, buf, len);
}

static void section_qualification(struct report *r)
{
	const struct p2pb_qual *q = r->o->qual;
	struct table t;
	size_t i;

	fprintf(r->html, "<h2 id=\"qualification\">Qualification</h2>\n<p class=\"banner v-%s\">%s: %zu of %zu "
			 "checks met (thresholds: ", q->pass ? "PASS" : "FAIL", q->pass ? "PASS" : "FAIL",
		q->n_rows - q->failed, q->n_rows);
	p2pb_html_text(r->html, r->o->thresholds_path ? r->o->thresholds_path : "-");
	fputs(")</p>\n", r->html);
	table_init(&t, "qualification", "Each limit and each case's contract verdict",
		   "check|case|measured|limit|margin|result|evidence");
	for (i = 0; i < q->n_rows; i++) {
		const struct p2pb_qual_row *row = &q->rows[i];
		const struct p2pb_series *sr = row->c && row->limit ? p2pb_rcase_series(row->c, row->limit->metric) : NULL;
		char check[96], m[32], lim[64], margin[32];

		if (row->limit)
			snprintf(check, sizeof(check), "%s.%s", row->limit->metric, row->limit->stat);
		else
			snprintf(check, sizeof(check), "contract verdict");
		snprintf(lim, sizeof(lim), "%s", row->limit ? row->limit->text : "PASS");
		if (isnan(row->margin))
			snprintf(margin, sizeof(margin), "-");
		else
			snprintf(margin, sizeof(margin), "%+.1f%%", row->margin * 100);
		table_row(&t, check, row->c ? row->c->name : "(none)",
			  row->limit ? fmtv(row->measured, sr ? sr->unit : "", m, sizeof(m)) : row->c->outcome, lim, margin,
			  !row->pass ? "FAIL" : row->c && !row->limit && !strcmp(row->c->outcome, "SKIP") ? "SKIP" : "PASS",
			  row->evidence);
	}
	table_emit(r, &t);
}

static void table_topology(struct report *r);

static void section_inputs(struct report *r)
{
	struct table t;
	size_t i;

	fputs("<h2 id=\"inputs\">Runs, hosts, kernels, topology</h2>\n<ul class=\"links\">", r->html);
	for (i = 0; i < r->set->n_docs; i++) {
		char ktap[PATH_MAX + 8];
		size_t l = strlen(r->links[i]);

		fprintf(r->html, "<li><a href=\"%s\">%s</a>", r->links[i], r->links[i]);
		snprintf(ktap, sizeof(ktap), "%s/%.*s.ktap", r->dir, (int)(l - 5), r->links[i]);
		if (l > 5 && !strcmp(r->links[i] + l - 5, ".json") && !access(ktap, R_OK))
			fprintf(r->html, " (<a href=\"%.*s.ktap\">KTAP</a>)", (int)(l - 5), r->links[i]);
		fputs("</li>", r->html);
	}
	fputs("</ul>\n", r->html);
	table_init(&t, "runs", "Result documents", "document|kind|host|kernel|machine|started|lab|interrupted|command");
	for (i = 0; i < r->set->n_docs; i++) {
		const struct p2pb_rdoc *d = &r->set->docs[i];

		table_row(&t, r->links[i], d->kind, d->host[0] ? d->host : "-", d->kernel,
			  d->machine[0] ? d->machine : "-", d->started, d->lab ? "yes" : "no",
			  d->interrupted ? "yes" : "no", d->command);
	}
	table_emit(r, &t);
	table_topology(r);
}

/* Each document's devices, once per device, as the result documents recorded them. */
static void table_topology(struct report *r)
{
	struct table t;
	size_t i;

	table_init(&t, "topology", "PCIe topology of the devices measured",
		   "document|device|host bridge|NUMA node|path from the root|narrowest link");
	for (i = 0; i < r->set->n_topo; i++) {
		const struct p2pb_rtopo *d = &r->set->topo[i];
		char numa[16], link[32];

		snprintf(numa, sizeof(numa), "%.0f", d->numa_node);
		fmtv(d->narrowest, "B/s", link, sizeof(link));
		table_row(&t, r->links[d->doc], d->bdf, d->host_bridge, numa, d->path, link);
	}
	table_emit(r, &t);
}

static void section_verdicts(struct report *r)
{
	struct table t;
	size_t i, counts[8] = { 0 };

	for (i = 0; i < r->set->n_cases; i++) {
		int rank = p2pb_outcome_rank(r->set->cases[i].outcome);

		if (rank >= 0)
			counts[rank]++;
	}
	fprintf(r->html, "<h2 id=\"verdicts\">Contract verdicts</h2>\n<p>%zu PASS, %zu BOUNDED, %zu FAIL, %zu ERROR, "
			 "%zu SKIP. A case FAILs when any iteration broke a clause of the exporter's revoke contract "
			 "(C1-C8, docs/methodology.md); the evidence is the first violation.</p>\n",
		counts[p2pb_outcome_rank("PASS")], counts[p2pb_outcome_rank("BOUNDED")], counts[p2pb_outcome_rank("FAIL")],
		counts[p2pb_outcome_rank("ERROR")], counts[p2pb_outcome_rank("SKIP")]);
	table_init(&t, "verdicts", "Every judged case", "case|kind|document|verdict|evidence");
	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];

		if (c->outcome[0])
			table_row(&t, c->name, r->set->docs[c->doc].kind, r->links[c->doc], c->outcome, c->reason);
	}
	table_emit(r, &t);
}

/* What each metric in the table means, from its declaration (lib/metric.c). */
static void metric_legend(struct report *r, const bool shown[P2PB_N_METRICS])
{
	unsigned int k;

	fprintf(r->html, "<dl class=\"legend\">\n");
	for (k = 0; k < P2PB_N_METRICS; k++) {
		if (!shown[k])
			continue;
		fprintf(r->html, "<dt>%s (%s)</dt><dd>", p2pb_metrics[k].name, p2pb_metrics[k].unit);
		p2pb_html_text(r->html, p2pb_metrics[k].help);
		fprintf(r->html, "</dd>\n");
	}
	fprintf(r->html, "</dl>\n");
}

/* Every case's metrics as percentiles (revoke, stress, rdma documents), in the metrics' declared order. */
static void table_summary(struct report *r, size_t doc)
{
	bool shown[P2PB_N_METRICS] = { false };
	struct table t;
	char id[48], title[200];
	size_t i, k;

	snprintf(id, sizeof(id), "summary-%zu", doc);
	snprintf(title, sizeof(title), "Percentiles per case and metric (%s)", r->links[doc]);
	table_init(&t, id, title, "case|metric|samples|p50|p90|p99|max");
	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];

		if (c->doc != doc)
			continue;
		for (k = 0; k < P2PB_N_METRICS; k++) {
			const struct p2pb_series *sr = p2pb_rcase_series(c, p2pb_metrics[k].name);
			char n[24], a[32], b[32], cc[32], d[32];

			if (!sr || !sr->count)
				continue;
			shown[k] = true;
			snprintf(n, sizeof(n), "%zu", sr->count);
			table_row(&t, c->name, sr->metric, n, fmtv(sr->p50, sr->unit, a, sizeof(a)),
				  fmtv(sr->p90, sr->unit, b, sizeof(b)), fmtv(sr->p99, sr->unit, cc, sizeof(cc)),
				  fmtv(sr->max, sr->unit, d, sizeof(d)));
		}
	}
	table_emit(r, &t);
	metric_legend(r, shown);
}

static int section_revoke(struct report *r, size_t doc)
{
	char groups[32][64], g[64];
	size_t ng = 0, i, k;
	int rc = 0;

	fprintf(r->html, "<h2 id=\"doc-%zu\">Revoke latency: %s</h2>\n", doc, r->links[doc]);
	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];

		if (c->doc != doc)
			continue;
		case_group(c, g, sizeof(g));
		for (k = 0; k < ng && strcmp(groups[k], g); k++)
			;
		if (k == ng && ng < 32)
			snprintf(groups[ng++], sizeof(groups[0]), "%s", g);
	}
	for (k = 0; k < ng && !rc; k++)
		rc = fig_cdf(r, doc, groups[k]);
	for (i = 0; i < r->set->n_cases && !rc; i++)
		if (r->set->cases[i].doc == doc)
			rc = fig_timeline(r, &r->set->cases[i]);
	if (!rc)
		table_summary(r, doc);
	return rc;
}

static void section_bench(struct report *r, size_t doc)
{
	struct table t;
	char id[48], title[200];
	size_t i, k;

	fprintf(r->html, "<h2 id=\"doc-%zu\">Benchmark: %s</h2>\n<p>Ours against the reference tool on the same "
			 "device in the same run (bench/); a ratio of 1 is parity.</p>\n", doc, r->links[doc]);
	snprintf(id, sizeof(id), "bench-%zu", doc);
	snprintf(title, sizeof(title), "%s", r->set->docs[doc].kind + strlen("bench:"));
	table_init(&t, id, title, "case|metric|unit|samples|median|min|max");
	for (i = 0; i < r->set->n_cases; i++) {
		const struct p2pb_rcase *c = &r->set->cases[i];

		if (c->doc != doc)
			continue;
		for (k = 0; k < c->n_series; k++) {
			const struct p2pb_series *sr = &c->series[k];
			char n[24], a[32], b[32], d[32];

			snprintf(n, sizeof(n), "%zu", sr->count);
			table_row(&t, c->name, sr->metric, sr->unit, n, fmtv(sr->p50, sr->unit, a, sizeof(a)),
				  fmtv(sr->min, sr->unit, b, sizeof(b)), fmtv(sr->max, sr->unit, d, sizeof(d)));
		}
	}
	table_emit(r, &t);
}

/* A type1 document: what each trigger did to the legacy mapping, never a verdict. */
static void section_legacy_type1(struct report *r, size_t doc)
{
	json_object *l = r->set->docs[doc].legacy_type1, *cases = p2pb_jpath(l, "cases");
	static const char *const when[] = { "before", "during", "after", "undone" };
	char id[48], cell[4][24], faults[24];
	struct table t;
	size_t i, k;

	fprintf(r->html, "<h2 id=\"doc-%zu\">The legacy type1 path: %s</h2>\n<p>", doc, r->links[doc]);
	p2pb_html_text(r->html, p2pb_jstr(l, "note", ""));
	fprintf(r->html, ": %s BAR%d's mmap mapped into %s's container (VFIO_IOMMU_MAP_DMA); each cell counts the "
		"writes of the importing function that reached the BAR, of those checked.</p>\n",
		p2pb_jstr(l, "exporter", "?"), json_object_get_int(p2pb_jpath(l, "bar")), p2pb_jstr(l, "importer", "?"));
	snprintf(id, sizeof(id), "legacy-type1-%zu", doc);
	table_init(&t, id, "Writes that reached the BAR, by trigger",
		   "trigger|before|during|after the return|after the undo|IOMMU faults|finding");
	for (i = 0; i < json_object_array_length(cases); i++) {
		json_object *c = json_object_array_get_idx(cases, i);

		for (k = 0; k < 4; k++) {
			char landed[32], tried[32];

			snprintf(landed, sizeof(landed), "landed.%s", when[k]);
			snprintf(tried, sizeof(tried), "tried.%s", when[k]);
			snprintf(cell[k], sizeof(cell[k]), "%d/%d", json_object_get_int(p2pb_jpath(c, landed)),
				 json_object_get_int(p2pb_jpath(c, tried)));
		}
		snprintf(faults, sizeof(faults), "%lld", (long long)json_object_get_int64(p2pb_jpath(c, "iommu_fault_irqs")));
		table_row(&t, p2pb_jstr(c, "trigger", "?"), cell[0], cell[1], cell[2], cell[3], faults,
			  p2pb_jstr(c, "finding", p2pb_jstr(c, "error", "")));
	}
	table_emit(r, &t);
}

static void section_compare(struct report *r)
{
	const struct p2pb_compare *c = r->o->cmp;
	struct table t;
	size_t i, j;

	fprintf(r->html, "<h2 id=\"compare\">Against the baseline</h2>\n<p class=\"banner v-%s\">%zu regressions, "
			 "%zu improvements, %zu changed with unknown noise, %zu verdicts changed; %zu cases matched, "
			 "%zu missing, %zu new. Baseline: ", c->regressions ? "FAIL" : "PASS", c->regressions,
		c->improvements, c->changed, c->verdicts_changed, c->matched, c->missing, c->added);
	p2pb_html_text(r->html, r->o->baseline_path);
	fputs(" (hosts ", r->html);
	p2pb_html_text(r->html, c->base_hosts);
	if (c->base_machines[0] || c->new_machines[0]) {
		fputs("; machines ", r->html);
		p2pb_html_text(r->html, c->base_machines[0] ? c->base_machines : "(not recorded)");
		fputs(" and ", r->html);
		p2pb_html_text(r->html, c->new_machines[0] ? c->new_machines : "(not recorded)");
	}
	fprintf(r->html, ")%s</p>\n", c->across_hosts ? "; across machines" : "");
	table_init(&t, "compare", "Changes beyond noise and thresholds, verdict changes, missing cases",
		   "case|metric|base p50|new p50|change|noise|verdict");
	for (i = 0; i < c->n_cases; i++) {
		const struct p2pb_cmp_case *cc = &c->cases[i];

		if (!cc->new || !cc->base) {
			table_row(&t, cc->name, "-", "-", "-", "-", "-", cc->new ? "new case" : "missing");
			continue;
		}
		if (cc->outcome_verdict != P2PB_SAME)
			table_row(&t, cc->name, "verdict", cc->base_outcome, cc->new_outcome, "-", "-",
				  p2pb_change_name(cc->outcome_verdict));
		for (j = 0; j < cc->n_metrics; j++) {
			const struct p2pb_cmp_metric *m = &cc->metrics[j];
			char a[32], b[32], ch[16];

			if (m->verdict == P2PB_SAME)
				continue;
			table_row(&t, cc->name, m->metric, fmtv(m->base_p50, m->unit, a, sizeof(a)),
				  fmtv(m->new_p50, m->unit, b, sizeof(b)), p2pb_fmt_change(m->change, ch, sizeof(ch)), m->why,
				  p2pb_change_name(m->verdict));
		}
	}
	table_emit(r, &t);
}

/* ---- the page ---- */

static const char page_style[] =
	"body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}"
	"h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}h3{font-size:1.05em}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em}"
	"th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f4f4f4}"
	".v-PASS,.v-XFAIL,.v-improvement{background:#e6f4ea}.v-FAIL,.v-ERROR,.v-regression{background:#fce8e6}"
	".v-BOUNDED,.v-changed,.v-XPASS{background:#fef7e0}.v-SKIP{background:#f1f3f4}"
	".banner{font-size:1.2em;font-weight:bold;padding:.5em}a.csv{font-size:.75em;font-weight:normal}"
	"dl.legend{font-size:.85em;color:#555}dl.legend dt{font-family:monospace}dl.legend dd{margin:0 0 .3em 2em}"
	"figure{margin:1em 0}figcaption{font-size:.85em;color:#555;max-width:900px}svg{max-width:100%;height:auto}";

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;
	int rc = 0;

	if (!in)
		return -errno;
	out = fopen(to, "wb");
	if (!out) {
		rc = -errno;
		fclose(in);
		return rc;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -EIO;
	fclose(in);
	if (fclose(out))
		rc = -EIO;
	return rc;
}

/* Inputs copied into data/ (with a KTAP beside a result.json), so the links work wherever the report goes. */
static int copy_inputs(struct report *r)
{
	size_t i;

	for (i = 0; i < r->set->n_docs; i++) {
		char src[PATH_MAX], base[PATH_MAX], to[2 * PATH_MAX + 8], ktap[PATH_MAX + 8];
		size_t l;

		snprintf(src, sizeof(src), "%s", r->set->docs[i].path);
		snprintf(base, sizeof(base), "%s", basename(src));
		if (!strcmp(base, "result.json")) {	/* a run's NN-JOB/result.json: name it after its job */
			snprintf(src, sizeof(src), "%s", r->set->docs[i].path);
			snprintf(base, sizeof(base), "%.200s-result.json", basename(dirname(src)));
		}
		/* a name safe in a URL and in HTML whatever the input file was called */
		for (char *q = base; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-' && *q != '_')
				*q = '_';
		snprintf(r->links[i], PATH_MAX, "data/%02zu-%.200s", i + 1, base);
		snprintf(to, sizeof(to), "%s/%s", r->dir, r->links[i]);
		if (copy_file(r->set->docs[i].path, to))
			return p2pb_fail(-EIO, "cannot copy %s into %s", r->set->docs[i].path, to);
		l = strlen(r->set->docs[i].path);
		if (l > 5 && !strcmp(r->set->docs[i].path + l - 5, ".json")) {
			snprintf(ktap, sizeof(ktap), "%.*s.ktap", (int)(l - 5), r->set->docs[i].path);
			snprintf(to + strlen(to) - 5, 6, ".ktap");
			if (!access(ktap, R_OK) && copy_file(ktap, to))
				return p2pb_fail(-EIO, "cannot copy %s", ktap);
		}
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a report directory this code made (DIR.tmp-PID, or an old report being replaced). */
static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_dirs(struct report *r)
{
	const char *subdirs[] = { "", "/plots", "/csv", "/data" };
	char path[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", r->dir, subdirs[i]);
		if (mkdir(path, 0755))
			return p2pb_fail(-errno, "cannot create %s: %s", path, strerror(errno));
	}
	snprintf(r->plots, sizeof(r->plots), "%s/plots", r->dir);
	snprintf(r->csv, sizeof(r->csv), "%s/csv", r->dir);
	return 0;
}

static int write_body(struct report *r)
{
	size_t i;
	int rc = 0;

	if (r->o->qual)
		section_qualification(r);
	if (r->o->cmp)
		section_compare(r);
	section_verdicts(r);
	for (i = 0; i < r->set->n_docs && !rc; i++) {
		const char *kind = r->set->docs[i].kind;

		if (!strcmp(kind, "revoke") || !strcmp(kind, "trace")) {
			rc = section_revoke(r, i);
		} else if (!strcmp(kind, "timeout-sweep")) {
			fprintf(r->html, "<h2 id=\"doc-%zu\">Timeout sweep: %s</h2>\n", i, r->links[i]);
			rc = figs_sweep(r, i);
			if (!rc)
				table_summary(r, i);
		} else if (!strcmp(kind, "scale")) {
			fprintf(r->html, "<h2 id=\"doc-%zu\">Scale: %s</h2>\n", i, r->links[i]);
			rc = fig_scale(r, i);
			if (!rc)
				table_summary(r, i);
		} else if (!strncmp(kind, "bench:", 6)) {
			section_bench(r, i);
		} else if (r->set->docs[i].legacy_type1) {
			section_legacy_type1(r, i);
		} else if (!strcmp(kind, "stress") || !strcmp(kind, "rdma")) {
			fprintf(r->html, "<h2 id=\"doc-%zu\">%s: %s</h2>\n", i, !strcmp(kind, "stress") ? "Stress" : "RDMA",
				r->links[i]);
			for (size_t k = 0; k < r->set->n_cases && !rc; k++)
				if (r->set->cases[k].doc == i && !strcmp(kind, "rdma"))
					rc = fig_timeline(r, &r->set->cases[k]);
			table_summary(r, i);
		}
	}
	if (!rc)
		section_inputs(r);
	return rc;
}

/*
 * DIR may be new, empty, or an earlier report (it has an index.html); anything
 * else is refused, so that -o pointed at a run directory cannot replace it.
 */
static int check_target(const char *dir)
{
	char probe[PATH_MAX + 16];
	DIR *d = opendir(dir);
	struct dirent *e;
	int entries = 0;

	if (!d)
		return errno == ENOENT ? 0 : p2pb_fail(-errno, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	snprintf(probe, sizeof(probe), "%s/index.html", dir);
	if (entries && access(probe, F_OK))
		return p2pb_fail(-EEXIST, "%s exists and is not a p2pbench report: give a new or empty directory", dir);
	return 0;
}

/* The finished report takes DIR's place; an earlier report there goes only now. */
static int install(const char *tmp, const char *dir)
{
	char old[PATH_MAX + 32];

	snprintf(old, sizeof(old), "%s.old-%d", dir, (int)getpid());
	if (rename(dir, old) && errno != ENOENT)
		return p2pb_fail(-errno, "cannot replace %s: %s", dir, strerror(errno));
	if (rename(tmp, dir)) {
		int err = -errno;

		rename(old, dir);
		return p2pb_fail(err, "cannot write %s: %s", dir, strerror(-err));
	}
	rm_tree(old);
	return 0;
}

static int write_page(struct report *r)
{
	const struct p2pb_rset *s = r->set;
	char path[PATH_MAX + 16], ts[64];
	time_t now = time(NULL);
	int rc;

	snprintf(path, sizeof(path), "%s/index.html", r->dir);
	r->html = fopen(path, "w");
	if (!r->html)
		return p2pb_fail(-errno, "cannot write %s: %s", path, strerror(errno));
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(r->html, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
	p2pb_html_text(r->html, r->o->title);
	fprintf(r->html, "</title><style>%s</style></head><body>\n<h1>", page_style);
	p2pb_html_text(r->html, r->o->title);
	fprintf(r->html, "</h1>\n<p>p2pbench %s report of %zu result document(s), %zu cases; written %s.</p>\n",
		P2PB_VERSION, s->n_docs, s->n_cases, ts);
	rc = write_body(r);
	fputs("</body></html>\n", r->html);
	if (fclose(r->html) && !rc)
		rc = p2pb_fail(-EIO, "cannot write %s", path);
	return rc;
}

int p2pb_report_write(const struct p2pb_rset *s, const struct p2pb_report_opts *o, struct p2pb_report_stats *st)
{
	struct report r = { .set = s, .o = o };
	int rc;

	if (!p2pb_plot_available())
		return p2pb_fail(-ENOENT, "gnuplot is not installed (apt install gnuplot-nox): the report's figures need it");
	rc = check_target(o->dir);
	if (rc)
		return rc;
	/* built beside DIR and renamed over it at the end: a failure leaves DIR as it was */
	snprintf(r.dir, sizeof(r.dir), "%s.tmp-%d", o->dir, (int)getpid());
	rc = make_dirs(&r);
	r.links = calloc(s->n_docs ? s->n_docs : 1, sizeof(*r.links));
	if (!rc && !r.links)
		rc = p2pb_fail(-ENOMEM, "out of memory");
	if (!rc)
		rc = copy_inputs(&r);
	if (!rc)
		rc = write_page(&r);
	if (!rc)
		rc = install(r.dir, o->dir);
	if (rc)
		rm_tree(r.dir);
	r.st.documents = (unsigned int)s->n_docs;
	if (st)
		*st = r.st;
	free(r.links);
	return rc;
}
