// SPDX-License-Identifier: GPL-2.0
/* The declared options (lib/opt.h): one parser, bounds, defaults, errors and help from a table. */
#define _GNU_SOURCE
#include "engine.h"
#include "error.h"
#include "units.h"
#include "check.h"

#include <errno.h>
#include <stdlib.h>

struct demo {
	uint64_t wait_ns, hold_ns, bytes;
	uint32_t block, depth;
	uint8_t small;
	unsigned int mode;
	bool on;
	char dev[P2PB_BDF_LEN];
	uint64_t pair_a, pair_b;
	const struct p2pb_opt *seen;	/* the declaration the custom parser was given */
	char label[8];
	const char *path;
	bool flag;
	uint32_t pace_us;
	uint64_t later;
};

static const char *const modes[] = { "slow", "fast", "off", NULL };

/* "A+B": a structured value filling two fields */
static int parse_pair(const struct p2pb_opt *opt, void *opts, const char *v)
{
	struct demo *d = opts;
	char *end;

	d->seen = opt;
	d->pair_a = strtoull(v, &end, 10);
	if (*end == '-')
		return p2pb_fail(-EINVAL, "a difference, not a sum");
	if (*end != '+')
		return -EINVAL;
	d->pair_b = strtoull(end + 1, &end, 10);
	return *end ? -EINVAL : 0;
}

#define DEMO(member) P2PB_OPT_FIELD(struct demo, member)

static const struct p2pb_opt demo_keys[] = {
	{ .name = "wait", .type = P2PB_OPT_DURATION, DEMO(wait_ns), .def = "10ms", .min = 100000,
	  .max = P2PB_NS_PER_S, .unit_ns = P2PB_NS_PER_MS, .zero = "none", .help = "a wait" },
	{ .name = "hold", .type = P2PB_OPT_DURATION, DEMO(hold_ns), .def = "0", .unit_ns = P2PB_NS_PER_S,
	  .flags = P2PB_OPT_NEVER, .zero = "at once", .help = "a hold" },
	{ .name = "bytes", .type = P2PB_OPT_SIZE, DEMO(bytes), .def = "0", .max = 1ull << 40, .zero = "unlimited",
	  .metavar = "BYTES/s", .help = "a rate" },
	{ .name = "block", .type = P2PB_OPT_SIZE, DEMO(block), .def = "64k", .min = 4096, .max = 1u << 20,
	  .multiple = 4096, .help = "a block" },
	{ .name = "depth", .type = P2PB_OPT_UINT, DEMO(depth), .def = "16", .min = 1, .max = 63, .help = "a depth" },
	{ .name = "small", .type = P2PB_OPT_UINT, DEMO(small), .help = "bounded by its field alone" },
	{ .name = "mode", .type = P2PB_OPT_CHOICE, DEMO(mode), .choices = modes, .def = "fast", .help = "a mode" },
	{ .name = "on", .type = P2PB_OPT_BOOL, DEMO(on), .help = "a switch" },
	{ .name = "dev", .type = P2PB_OPT_BDF, DEMO(dev), .help = "a function" },
	{ .name = "pair", .type = P2PB_OPT_CUSTOM, .parse = parse_pair, .metavar = "A+B", .help = "two numbers" },
	{ .name = "label", .type = P2PB_OPT_TEXT, DEMO(label), .def = "none", .help = "a label" },
	{ .name = "path", .type = P2PB_OPT_STRING, DEMO(path), .def = "out.json", .metavar = "FILE", .help = "a file" },
	{ .name = "flag", .type = P2PB_OPT_FLAG, DEMO(flag), .help = "a flag" },
	{ .name = "pace", .type = P2PB_OPT_DURATION, DEMO(pace_us), .def = "20ms", .unit_ns = P2PB_NS_PER_MS,
	  .stored_ns = 1000, .help = "a pace" },
	{ .name = "later", .type = P2PB_OPT_DURATION, DEMO(later), .min = 1, .unit_ns = P2PB_NS_PER_S,
	  .unset = "decided later", .help = "a limit" },
	{ 0 },
};

static struct demo d;

static int set(const char *key, const char *val)
{
	return p2pb_opt_set(p2pb_opt_find(demo_keys, key), &d, val);
}

static const char *describe(const char *key)
{
	static char buf[512];

	return p2pb_opt_describe(p2pb_opt_find(demo_keys, key), buf, sizeof(buf));
}

static const char *form(const char *key)
{
	static char buf[128];

	return p2pb_opt_metavar(p2pb_opt_find(demo_keys, key), buf, sizeof(buf));
}

static void test_defaults(void)
{
	char names[128] = "";

	memset(&d, 0, sizeof(d));
	CHECK(p2pb_opts_defaults(demo_keys, &d) == 0);
	CHECK_EQ_U64(d.wait_ns, 10000000);
	CHECK_EQ_U64(d.block, 65536);
	CHECK_EQ_U64(d.depth, 16);
	CHECK_EQ_U64(d.mode, 1);
	/* no declared default: the field is left as it was */
	CHECK(d.small == 0 && !d.on && !d.dev[0] && d.pair_a == 0 && !d.seen && !d.flag);
	CHECK(!strcmp(d.label, "none") && d.path && !strcmp(d.path, "out.json") && d.pace_us == 20000);
	/* a default decided later: the field holds what no user can give until then */
	CHECK(d.later == P2PB_OPT_UNSET);
	CHECK(p2pb_opt_find(demo_keys, "nope") == NULL && p2pb_opt_find(NULL, "wait") == NULL);
	p2pb_opts_names(demo_keys, names, sizeof(names));
	CHECK_STR(names, "wait, hold, bytes, block, depth, small, mode, on, dev, pair, label, path, flag, pace, later");
}

static void test_durations(void)
{
	CHECK(set("wait", "100us") == 0 && d.wait_ns == 100000);
	CHECK(set("wait", "1s") == 0 && d.wait_ns == P2PB_NS_PER_S);
	CHECK(set("wait", "5") == 0 && d.wait_ns == 5 * P2PB_NS_PER_MS);	/* bare: the unit */
	CHECK(set("wait", "0") == 0 && d.wait_ns == 0);			/* below min, but zero means none */
	CHECK(set("wait", "99us") == -EINVAL && set("wait", "1001ms") == -EINVAL);
	CHECK(set("wait", "never") == -EINVAL && set("wait", "") == -EINVAL && set("wait", "-1") == -EINVAL);
	CHECK(set("hold", "2") == 0 && d.hold_ns == 2 * P2PB_NS_PER_S);
	CHECK(set("hold", "never") == 0 && d.hold_ns == P2PB_NEVER);
	CHECK(set("hold", "never!") == -EINVAL);
}

static void test_sizes_and_numbers(void)
{
	CHECK(set("block", "4k") == 0 && d.block == 4096);
	CHECK(set("block", "1M") == 0 && d.block == 1u << 20);
	CHECK(set("block", "6k") == -EINVAL && set("block", "0") == -EINVAL && set("block", "2m") == -EINVAL);
	CHECK(set("bytes", "1t") == 0 && d.bytes == 1ull << 40);
	CHECK(set("bytes", "1099511627777") == -EINVAL && set("bytes", "x") == -EINVAL);
	CHECK(set("depth", "1") == 0 && set("depth", "63") == 0 && d.depth == 63);
	CHECK(set("depth", "0") == -EINVAL && set("depth", "64") == -EINVAL && set("depth", "1k") == -EINVAL);
	/* no declared max: the field's width bounds it */
	CHECK(set("small", "255") == 0 && d.small == 255);
	CHECK(set("small", "256") == -EINVAL && d.small == 255);
}

static void test_choice_bool_bdf_custom(void)
{
	CHECK(set("mode", "off") == 0 && d.mode == 2);
	CHECK(set("mode", "slow") == 0 && d.mode == 0);
	CHECK(set("mode", "Fast") == -EINVAL && set("mode", "") == -EINVAL);
	CHECK(set("on", "1") == 0 && d.on);
	CHECK(set("on", "0") == 0 && !d.on);
	CHECK(set("on", "true") == -EINVAL && set("on", "2") == -EINVAL);
	CHECK(set("dev", "2:0.0") == 0);
	CHECK_STR(d.dev, "0000:02:00.0");
	CHECK(set("dev", "zz") == -EINVAL);
	CHECK(set("pair", "3+4") == 0 && d.pair_a == 3 && d.pair_b == 4);
	CHECK(d.seen == p2pb_opt_find(demo_keys, "pair"));
	CHECK(set("pair", "3") == -EINVAL);
}

static void test_text_flag_scaled(void)
{
	static const char given[] = "run.json";

	CHECK(set("label", "1234567") == 0 && !strcmp(d.label, "1234567"));
	CHECK(set("label", "12345678") == -EINVAL && !strcmp(d.label, "1234567"));	/* no room for the NUL */
	CHECK(set("label", "") == 0 && !d.label[0]);
	CHECK(set("path", given) == 0 && d.path == given);	/* kept by reference */
	CHECK(set("flag", NULL) == 0 && d.flag);	/* a command-line flag has no value */
	d.flag = false;
	CHECK(set("flag", "true") == 0 && d.flag);
	CHECK(set("flag", "0") == -EINVAL && set("flag", "yes") == -EINVAL);
	CHECK(set("wait", NULL) == -EINVAL && set("label", NULL) == -EINVAL);
	CHECK(set("pace", "1500us") == 0 && d.pace_us == 1500);
	CHECK(set("pace", "1999ns") == 0 && d.pace_us == 1);	/* rounded down to the field's unit */
	CHECK(set("pace", "4294967295ms") == -EINVAL);		/* does not fit 32 bits of us */
	CHECK(set("later", "2") == 0 && d.later == 2 * P2PB_NS_PER_S);
	CHECK(set("later", "0") == -EINVAL);
}

static void test_parse_messages(void)
{
	CHECK(p2pb_opt_parse(demo_keys, &d, "depth", "9") == 0 && d.depth == 9);
	CHECK(p2pb_opt_parse(demo_keys, &d, "deep", "9") == -EINVAL);
	CHECK(strstr(p2pb_error(), "unknown key 'deep' (keys: wait, hold,") != NULL);
	CHECK(p2pb_opt_parse(demo_keys, &d, "depth", "99") == -EINVAL);
	CHECK_STR(p2pb_error(), "depth=99: expected depth=1..63: a depth (default 16)");
	/* a parser's own reason wins over the form */
	CHECK(p2pb_opt_parse(demo_keys, &d, "pair", "3-4") == -EINVAL);
	CHECK_STR(p2pb_error(), "pair=3-4: a difference, not a sum");
	CHECK(p2pb_opt_parse(demo_keys, &d, "pair", "3") == -EINVAL);
	CHECK_STR(p2pb_error(), "pair=3: expected pair=A+B: two numbers");
	CHECK(p2pb_opt_parse(demo_keys, &d, "dev", "zz") == -EINVAL);
	CHECK(strstr(p2pb_error(), "dev=zz: 'zz' is not a PCI address") == p2pb_error());
}

/* What p2pb_help_entry() printed. */
static const char *entry(const char *lead, const char *text)
{
	static char out[1024];
	FILE *f = fmemopen(out, sizeof(out), "w");

	p2pb_help_entry(f, lead, text);
	fclose(f);
	return out;
}

static void test_help_entry(void)
{
	char words[200] = "";
	unsigned int i;

	CHECK_STR(entry("--flag", "a flag"), "  --flag                a flag\n");
	CHECK_STR(entry("-h, --help", ""), "  -h, --help\n");
	CHECK_STR(entry("--a-rather-long-option N", "x"), "  --a-rather-long-option N\n                        x\n");
	for (i = 0; i < 20; i++)
		strcat(words, "word ");
	/* 100 columns at most, continued under the text */
	CHECK_STR(entry("k", words), "  k                     "
		  "word word word word word word word word word word word word word word word\n"
		  "                        word word word word word\n");
}

static void test_help(void)
{
	static const struct p2pb_opt bad[] = {
		{ .name = "depth", .type = P2PB_OPT_UINT, DEMO(depth), .def = "64", .min = 1, .max = 63, .help = "x" },
		{ 0 },
	};

	CHECK_STR(form("depth"), "1..63");
	CHECK_STR(form("hold"), "D|never");
	CHECK_STR(form("mode"), "slow|fast|off");
	CHECK_STR(form("bytes"), "BYTES/s");
	CHECK_STR(form("block"), "SIZE");
	CHECK_STR(form("on"), "0|1");
	CHECK_STR(form("dev"), "BDF");
	CHECK_STR(form("small"), "N");
	CHECK_STR(describe("depth"), "a depth (default 16)");
	CHECK_STR(describe("wait"), "a wait; 100us..1s or 0: none; bare numbers are ms (default 10ms)");
	CHECK_STR(describe("hold"), "a hold; bare numbers are s (default 0: at once)");
	CHECK_STR(describe("bytes"), "a rate; at most 1 TiB (default 0: unlimited)");
	CHECK_STR(describe("block"), "a block; 4 KiB..1 MiB, a multiple of 4 KiB (default 64k)");
	CHECK_STR(describe("mode"), "a mode (default fast)");
	CHECK_STR(describe("on"), "a switch");
	CHECK_STR(form("label"), "TEXT");
	CHECK_STR(form("flag"), "1|true");
	CHECK_STR(describe("label"), "a label; at most 7 characters (default none)");
	CHECK_STR(describe("later"), "a limit; above 0; bare numbers are s (default: decided later)");
	/* a default the declaration's own bounds refuse is caught, naming the key */
	CHECK(p2pb_opts_defaults(bad, &d) == -EINVAL && strstr(p2pb_error(), "depth") &&
	      strstr(p2pb_error(), "'64'"));
}

static void test_demo_declarations(void)
{
	const struct p2pb_opt *o;

	for (o = demo_keys; o->name; o++)
		CHECK(p2pb_opt_servable(o, sizeof(struct demo)));
}

static void test_engine_declarations(void)
{
	const struct p2pb_opt *o;
	unsigned int i;

	for (i = 0; p2pb_engines[i]; i++)
		for (o = p2pb_engines[i]->keys; o && o->name; o++) {
			printf("# %s:%s\n", p2pb_engines[i]->name, o->name);
			CHECK(p2pb_opt_servable(o, p2pb_engines[i]->opts_size));
		}
}

int main(void)
{
	test_defaults();
	test_durations();
	test_sizes_and_numbers();
	test_choice_bool_bdf_custom();
	test_text_flag_scaled();
	test_parse_messages();
	test_help_entry();
	test_help();
	test_demo_declarations();
	test_engine_declarations();
	return check_done();
}
