/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_FORMAT_H
#define P2PB_FORMAT_H
#include <stddef.h>
#include <stdio.h>

/* A value in its unit for people: "2.1 ms", "18.3 MiB/s", "1.05". */
const char *p2pb_fmt_value(double v, const char *unit, char *buf, size_t len);
/* A relative change: "+12.5%", "-3.0%", "n/a". */
const char *p2pb_fmt_change(double change, char *buf, size_t len);
/* One CSV field (RFC 4180 quoting when needed), followed by sep (',' or '\n'). */
void p2pb_csv_field(FILE *f, const char *s, char sep);
/* The same field escaped for HTML text. */
void p2pb_html_text(FILE *f, const char *s);
#endif
