/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_UNITS_H
#define P2PB_UNITS_H
#include <stddef.h>
#include <stdint.h>

/* "200ms", "1.5s", "300us", "42ns", "2m"; a bare number is in def_unit_ns. */
int p2pb_parse_duration_ns(const char *s, uint64_t def_unit_ns, uint64_t *out);
/* "4096", "64k", "2M", "1G" (binary multiples). */
int p2pb_parse_size(const char *s, uint64_t *out);
/* "1", "1000", no sign, no garbage. */
int p2pb_parse_u64(const char *s, uint64_t *out);
/* Human form: "212.4 ms"; buf of at least 32 bytes. */
const char *p2pb_fmt_ns(uint64_t ns, char *buf, size_t len);
#endif
