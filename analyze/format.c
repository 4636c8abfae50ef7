// SPDX-License-Identifier: GPL-2.0
#include "format.h"
#include "units.h"

#include <math.h>
#include <string.h>

const char *p2pb_fmt_value(double v, const char *unit, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (unit && !strcmp(unit, "ns"))
		p2pb_fmt_ns(v < 0 ? 0 : (uint64_t)llround(v), buf, len);
	else if (unit && !strcmp(unit, "B/s"))
		snprintf(buf, len, "%.1f MiB/s", v / 1048576.0);
	else if (unit && !strcmp(unit, "ops/s"))
		snprintf(buf, len, "%.1f ops/s", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

const char *p2pb_fmt_change(double change, char *buf, size_t len)
{
	if (isnan(change))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%+.1f%%", change * 100);
	return buf;
}

void p2pb_csv_field(FILE *f, const char *s, char sep)
{
	if (strpbrk(s, ",\"\n\r")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(sep, f);
}

void p2pb_html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}
