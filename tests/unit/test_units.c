// SPDX-License-Identifier: GPL-2.0
#include "units.h"
#include "check.h"

int main(void)
{
	uint64_t v = 0;
	char buf[32];

	CHECK(p2pb_parse_duration_ns("200ms", 1, &v) == 0 && v == 200000000ull);
	CHECK(p2pb_parse_duration_ns("1.5s", 1, &v) == 0 && v == 1500000000ull);
	CHECK(p2pb_parse_duration_ns("300us", 1, &v) == 0 && v == 300000ull);
	CHECK(p2pb_parse_duration_ns("42ns", 1, &v) == 0 && v == 42);
	CHECK(p2pb_parse_duration_ns("2m", 1, &v) == 0 && v == 120000000000ull);
	CHECK(p2pb_parse_duration_ns("0", 1000000, &v) == 0 && v == 0);
	CHECK(p2pb_parse_duration_ns("7", 1000000, &v) == 0 && v == 7000000);
	CHECK(p2pb_parse_duration_ns("", 1, &v) < 0);
	CHECK(p2pb_parse_duration_ns("ms", 1, &v) < 0);
	CHECK(p2pb_parse_duration_ns("-5ms", 1, &v) < 0);
	CHECK(p2pb_parse_duration_ns("5 ms", 1, &v) < 0);
	CHECK(p2pb_parse_duration_ns("5fortnights", 1, &v) < 0);
	CHECK(p2pb_parse_duration_ns("1e30s", 1, &v) < 0);

	CHECK(p2pb_parse_size("4096", &v) == 0 && v == 4096);
	CHECK(p2pb_parse_size("64k", &v) == 0 && v == 65536);
	CHECK(p2pb_parse_size("2M", &v) == 0 && v == 2097152);
	CHECK(p2pb_parse_size("1GiB", &v) == 0 && v == 1073741824ull);
	CHECK(p2pb_parse_size("0x1000", &v) == 0 && v == 4096);
	CHECK(p2pb_parse_size("2X", &v) < 0);
	CHECK(p2pb_parse_size("-1", &v) < 0);
	CHECK(p2pb_parse_size("99999999999T", &v) < 0);

	CHECK(p2pb_parse_u64("12", &v) == 0 && v == 12);
	CHECK(p2pb_parse_u64("12a", &v) < 0);
	CHECK(p2pb_parse_u64(" 12", &v) < 0);

	CHECK_STR(p2pb_fmt_ns(212400000, buf, sizeof(buf)), "212.4 ms");
	CHECK_STR(p2pb_fmt_ns(1500, buf, sizeof(buf)), "1.5 us");
	CHECK_STR(p2pb_fmt_ns(999, buf, sizeof(buf)), "999 ns");
	CHECK_STR(p2pb_fmt_ns(12000000000ull, buf, sizeof(buf)), "12.00 s");
	return check_done();
}
