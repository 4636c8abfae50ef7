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

	/* the exact forms help prints bounds in, which the parsers read back */
	CHECK_STR(p2pb_fmt_duration(100000, buf, sizeof(buf)), "100us");
	CHECK_STR(p2pb_fmt_duration(3600000000000ull, buf, sizeof(buf)), "1h");
	CHECK_STR(p2pb_fmt_duration(1500000000ull, buf, sizeof(buf)), "1500ms");
	CHECK_STR(p2pb_fmt_duration(7, buf, sizeof(buf)), "7ns");
	CHECK_STR(p2pb_fmt_duration(0, buf, sizeof(buf)), "0");
	CHECK(p2pb_parse_duration_ns(p2pb_fmt_duration(90000000000ull, buf, sizeof(buf)), 1, &v) == 0 &&
	      v == 90000000000ull);
	CHECK_STR(p2pb_duration_unit(1000000), "ms");
	CHECK_STR(p2pb_duration_unit(1000000000ull), "s");
	CHECK(p2pb_duration_unit(0) == NULL && p2pb_duration_unit(2000) == NULL);
	CHECK_STR(p2pb_fmt_size(4096, buf, sizeof(buf)), "4 KiB");
	CHECK_STR(p2pb_fmt_size(1u << 20, buf, sizeof(buf)), "1 MiB");
	CHECK_STR(p2pb_fmt_size(1ull << 40, buf, sizeof(buf)), "1 TiB");
	CHECK_STR(p2pb_fmt_size(6144, buf, sizeof(buf)), "6 KiB");
	CHECK_STR(p2pb_fmt_size(4095, buf, sizeof(buf)), "4095");
	CHECK_STR(p2pb_fmt_size(0, buf, sizeof(buf)), "0");

	CHECK_STR(p2pb_fmt_ns(212400000, buf, sizeof(buf)), "212.4 ms");
	CHECK_STR(p2pb_fmt_ns(1500, buf, sizeof(buf)), "1.5 us");
	CHECK_STR(p2pb_fmt_ns(999, buf, sizeof(buf)), "999 ns");
	CHECK_STR(p2pb_fmt_ns(12000000000ull, buf, sizeof(buf)), "12.00 s");
	return check_done();
}
