/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_UNITS_H
#define P2PB_UNITS_H
#include <stddef.h>
#include <stdint.h>

#define P2PB_NS_PER_MS 1000000ull
#define P2PB_NS_PER_S 1000000000ull

/* "200ms", "1.5s", "300us", "42ns", "2m"; a bare number is in def_unit_ns. */
int p2pb_parse_duration_ns(const char *s, uint64_t def_unit_ns, uint64_t *out);
/* "4096", "64k", "2M", "1G" (binary multiples). */
int p2pb_parse_size(const char *s, uint64_t *out);
/* "1", "1000", no sign, no garbage. */
int p2pb_parse_u64(const char *s, uint64_t *out);
/* The suffix of a duration unit: "ms" for 1000000; NULL if no suffix is exactly unit_ns. */
const char *p2pb_duration_unit(uint64_t unit_ns);
/* Exact, in the largest unit that divides it, as the parser reads it back: "100us", "1h", "0". */
const char *p2pb_fmt_duration(uint64_t ns, char *buf, size_t len);
/* Exact, in the largest binary multiple that divides it: "4 KiB", "1 MiB", "4095". */
const char *p2pb_fmt_size(uint64_t bytes, char *buf, size_t len);
/* Human form: "212.4 ms"; buf of at least 32 bytes. */
const char *p2pb_fmt_ns(uint64_t ns, char *buf, size_t len);
#endif
