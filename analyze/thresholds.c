// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "thresholds.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void p2pb_thresholds_defaults(struct p2pb_thresholds *t)
{
	memset(t, 0, sizeof(*t));
	t->alpha = 0.01;
	t->min_change = 0.10;
	t->min_abs = -1;
	t->missing_is_regression = true;
}

int p2pb_parse_quantity(const char *s, double *out, bool *pct)
{
	static const struct {
		const char *sfx;
		double mult;
	} sfx[] = {
		{ "", 1 }, { "%", 0.01 }, { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "k", 1024.0 }, { "K", 1024.0 }, { "M", 1048576.0 }, { "G", 1073741824.0 },
	};
	char *end;
	double v;
	size_t i;

	if (pct)
		*pct = false;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (!strcmp(end, sfx[i].sfx)) {
			*out = v * sfx[i].mult;
			if (pct)
				*pct = i == 1;
			return 0;
		}
	return -EINVAL;
}

struct load_state {
	struct p2pb_thresholds *t;
	const char *path;
	char err[200];
	char err_section[96], err_key[64];	/* where the first error was, to find its line */
};

/* inih stops at the first handler that returns 0 and returns that line's number. */
static int set_err(struct load_state *st, const char *fmt, const char *a, const char *b)
{
	snprintf(st->err, sizeof(st->err), fmt, a, b);
	return 0;
}

static int compare_key(struct load_state *st, const char *key, const char *value)
{
	struct p2pb_thresholds *t = st->t;
	double v;
	bool pct;

	if (!strcmp(key, "missing")) {
		if (strcmp(value, "regression") && strcmp(value, "ignore"))
			return set_err(st, "missing = %s: 'regression' or 'ignore'%s", value, "");
		t->missing_is_regression = !strcmp(value, "regression");
		return 1;
	}
	if (p2pb_parse_quantity(value, &v, &pct) || v < 0)
		return set_err(st, "%s = %s: not a non-negative quantity (10%%, 2ms, 0.01)", key, value);
	if (!strcmp(key, "alpha")) {
		if (v <= 0 || v >= 0.5)
			return set_err(st, "alpha = %s: between 0 and 0.5, e.g. 0.01%s", value, "");
		t->alpha = v;
	} else if (!strcmp(key, "min_change")) {
		if (!pct)
			return set_err(st, "min_change = %s: a percentage, e.g. 10%%%s", value, "");
		t->min_change = v;
	} else if (!strcmp(key, "min_abs")) {
		t->min_abs = v;
	} else {
		return set_err(st, "unknown key '%s' in [compare] (alpha, min_change, min_abs, missing)%s", key, "");
	}
	return 1;
}

static int metric_key(struct load_state *st, struct p2pb_metric_rule *r, const char *key,
		      const char *value)
{
	double v;
	bool pct;

	if (!strcmp(key, "ignore")) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return set_err(st, "ignore = %s: 0 or 1%s", value, "");
		r->ignore = value[0] == '1';
		return 1;
	}
	if (p2pb_parse_quantity(value, &v, &pct) || v < 0)
		return set_err(st, "%s = %s: not a non-negative quantity (10%%, 2ms, 64M)", key, value);
	if (!strcmp(key, "min_change") && pct)
		r->min_change = v;
	else if (!strcmp(key, "min_change"))
		return set_err(st, "min_change = %s: a percentage, e.g. 10%%%s", value, "");
	else if (!strcmp(key, "min_abs"))
		r->min_abs = v;
	else
		return set_err(st, "unknown key '%s' in a [metric] section (min_change, min_abs, ignore)%s", key, "");
	return 1;
}

static const char *const limit_stats[] = { "p50", "p90", "p99", "max", "min", "value" };

/* "revoke_to_quiesce_ns.p99 = <= 50ms" */
static int limit_key(struct load_state *st, const char *case_glob, const char *key, const char *value)
{
	struct p2pb_thresholds *t = st->t;
	struct p2pb_limit *l;
	const char *dot = strrchr(key, '.'), *v = value;
	size_t i;

	if (t->n_limits == P2PB_MAX_LIMITS)
		return set_err(st, "more than %s limits%s", "64", "");
	l = &t->limits[t->n_limits];
	memset(l, 0, sizeof(*l));
	if (!dot || (size_t)(dot - key) >= sizeof(l->metric))
		return set_err(st, "'%s': a limit is METRIC.STAT (e.g. revoke_to_quiesce_ns.p99)%s", key, "");
	for (i = 0; i < sizeof(limit_stats) / sizeof(limit_stats[0]); i++)
		if (!strcmp(dot + 1, limit_stats[i]))
			break;
	if (i == sizeof(limit_stats) / sizeof(limit_stats[0]))
		return set_err(st, "'%s': the statistic is one of p50, p90, p99, max, min, value%s", key, "");
	if (!strncmp(v, "<=", 2))
		l->at_most = true;
	else if (strncmp(v, ">=", 2))
		return set_err(st, "%s = %s: a limit is '<= VALUE' or '>= VALUE'", key, value);
	for (v += 2; isspace((unsigned char)*v); v++)
		;
	if (p2pb_parse_quantity(v, &l->value, NULL))
		return set_err(st, "%s = %s: not a quantity (50ms, 64M, 0.95)", key, value);
	snprintf(l->case_glob, sizeof(l->case_glob), "%s", case_glob);
	snprintf(l->metric, sizeof(l->metric), "%.*s", (int)(dot - key), key);
	snprintf(l->stat, sizeof(l->stat), "%s", dot + 1);
	snprintf(l->text, sizeof(l->text), "%s", value);
	t->n_limits++;
	return 1;
}

static int ini_line(void *user, const char *section, const char *key, const char *value)
{
	struct load_state *st = user;
	struct p2pb_thresholds *t = st->t;

	if (st->err[0])
		return 0;
	snprintf(st->err_section, sizeof(st->err_section), "%s", section);
	snprintf(st->err_key, sizeof(st->err_key), "%s", key);
	if (!strcmp(section, "compare"))
		return compare_key(st, key, value);
	if (!strncmp(section, "metric ", 7)) {
		struct p2pb_metric_rule *r = NULL;
		size_t i;

		for (i = 0; i < t->n_rules; i++)
			if (!strcmp(t->rules[i].glob, section + 7))
				r = &t->rules[i];
		if (!r) {
			if (t->n_rules == P2PB_MAX_METRIC_RULES)
				return set_err(st, "more than %s [metric] sections%s", "32", "");
			r = &t->rules[t->n_rules++];
			snprintf(r->glob, sizeof(r->glob), "%s", section + 7);
			r->min_change = r->min_abs = -1;
			r->ignore = -1;
		}
		return metric_key(st, r, key, value);
	}
	if (!strncmp(section, "limit ", 6))
		return limit_key(st, section + 6, key, value);
	return set_err(st, "unknown section [%s] ([compare], [metric GLOB], [limit CASE-GLOB])%s", section, "");
}

/*
 * The line of KEY in [SECTION]: inih (as Debian builds it) gives handlers no
 * line number, and returns the first bad line of the file, which may be a
 * syntax error before the key a handler refused.
 */
static int key_line(const char *path, const char *section, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[512], cur[96] = "";
	int n = 0, found = 0;

	while (f && !found && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		size_t kl = strlen(key);

		n++;
		if (*p == '[') {
			snprintf(cur, sizeof(cur), "%.*s", (int)strcspn(p + 1, "]"), p + 1);
		} else if (!strcmp(cur, section) && !strncmp(p, key, kl) &&
			   (p[kl] == '=' || p[kl] == ' ' || p[kl] == '\t' || p[kl] == ':')) {
			found = n;
		}
	}
	if (f)
		fclose(f);
	return found;
}

int p2pb_thresholds_load(struct p2pb_thresholds *t, const char *path)
{
	struct load_state st = { .t = t, .path = path };
	int rc = ini_parse(path, ini_line, &st), line;

	if (rc < 0)
		return p2pb_fail(-ENOENT, "%s: cannot read the threshold file", path);
	if (rc == 0)
		return 0;
	line = st.err[0] ? key_line(path, st.err_section, st.err_key) : 0;
	if (!st.err[0] || (line && rc < line))
		return p2pb_fail(-EINVAL, "%s:%d: not an INI line (key = value, [section], ; comment)", path, rc);
	return p2pb_fail(-EINVAL, "%s:%d: %s", path, line ? line : rc, st.err);
}

void p2pb_thresholds_for(const struct p2pb_thresholds *t, const char *metric, const char *unit,
			 double *min_change, double *min_abs, bool *ignore)
{
	size_t i;

	*min_change = t->min_change;
	*min_abs = t->min_abs;
	*ignore = false;
	for (i = 0; i < t->n_rules; i++) {
		const struct p2pb_metric_rule *r = &t->rules[i];

		if (fnmatch(r->glob, metric, 0))
			continue;
		if (r->min_change >= 0)
			*min_change = r->min_change;
		if (r->min_abs >= 0)
			*min_abs = r->min_abs;
		if (r->ignore >= 0)
			*ignore = r->ignore;
	}
	if (*min_abs < 0)
		*min_abs = unit && !strcmp(unit, "ns") ? P2PB_DEFAULT_MIN_ABS_NS : 0;
}
