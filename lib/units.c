// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "units.h"
#include "clock.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int p2pb_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The suffixes of a duration, shortest first. */
static const struct {
	const char *sfx;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull }, { "m", 60000000000ull },
	{ "h", 3600000000000ull },
};
#define N_DURATION_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))

int p2pb_parse_duration_ns(const char *s, uint64_t def_unit_ns, uint64_t *out)
{
	char *end;
	double v, mult = (double)def_unit_ns;
	size_t i;

	if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (*end) {
		for (i = 0; i < N_DURATION_UNITS; i++)
			if (!strcmp(end, duration_units[i].sfx))
				break;
		if (i == N_DURATION_UNITS)
			return -EINVAL;
		mult = (double)duration_units[i].ns;
	}
	if (v * mult > 1.8e19)
		return -ERANGE;
	*out = (uint64_t)llround(v * mult);
	return 0;
}

const char *p2pb_duration_unit(uint64_t unit_ns)
{
	size_t i;

	for (i = 0; i < N_DURATION_UNITS; i++)
		if (duration_units[i].ns == unit_ns)
			return duration_units[i].sfx;
	return NULL;
}

const char *p2pb_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	size_t i = N_DURATION_UNITS - 1;

	while (i && (!ns || ns % duration_units[i].ns))
		i--;
	snprintf(buf, len, "%llu%s", (unsigned long long)(ns / duration_units[i].ns), ns ? duration_units[i].sfx : "");
	return buf;
}

/* The binary multiples of a size: K is 1 << 10, M 1 << 20... */
static const char size_prefixes[] = "KMGT";

int p2pb_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;
	const char *prefix;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	if (*end) {
		prefix = strchr(size_prefixes, toupper((unsigned char)*end));
		if (!prefix)
			return -EINVAL;
		shift = 10 * (unsigned int)(prefix - size_prefixes + 1);
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

const char *p2pb_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	unsigned int i = sizeof(size_prefixes) - 1, shift;

	for (; i; i--) {
		shift = 10 * i;
		if (bytes && !(bytes & ((1ull << shift) - 1))) {
			snprintf(buf, len, "%llu %ciB", (unsigned long long)(bytes >> shift), size_prefixes[i - 1]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

const char *p2pb_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10000000000ull)
		snprintf(buf, len, "%.2f s", ns / 1e9);
	else if (ns >= 1000000ull)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else if (ns >= 1000ull)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	return buf;
}

void p2pb_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}
