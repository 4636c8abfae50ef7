// SPDX-License-Identifier: GPL-2.0
/* p2pbench stress: options, job file, replays and the exit status. */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "soak.h"
#include "case.h"
#include "error.h"
#include "exporter.h"
#include "result.h"
#include "session.h"
#include "trigger.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct stress_args {
	struct p2pb_stress_cfg c;
	const char *json_path, *record_path;
	bool record_always, bind, quiet, importer_given, triggers_given, seed_given;
	unsigned int repeat;		/* replay: up to this many times until a finding shows */
	char importer_dev[32];
	char job_err[256];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2pbench stress --device BDF [options]\n"
		"       p2pbench stress --replay FILE [--json FILE]\n\n"
		"Workers run randomized operations concurrently on one exporter: dma-buf export and\n"
		"close, importer attach/detach/map/unmap, revokes (a trigger, a hold, its inverse),\n"
		"device reopen, and child processes with importers of their own, killed at random.\n"
		"Every revoke is judged like a revoke case (C1 waits, C4 fences, C3 remap), every map\n"
		"into a revoked or closed device (C2, C6), the kernel log all along (C7); at each\n"
		"checkpoint the workers pause, give everything back, and the fds, dma-bufs and module\n"
		"references must be back at the baseline. The first finding stops the run and writes\n"
		"the operations since the last checkpoint as a replay file.\n\n"
		"  --device BDF           the exporter, on vfio-pci (or sim[:no-wait|:map-while-revoked])\n"
		"  --bind                 bind it to vfio-pci for the run (and back)\n"
		"  --bar N                BAR to export (default 2)\n"
		"  --size S               bytes per dma-buf (default 1M)\n"
		"  --importer SPEC        importer of every worker (default kmod:delay=uniform:0:20ms; sim: null)\n"
		"  --importer-dev BDF     the importer's PCI function (kmod dev=)\n"
		"  --triggers LIST        revoke triggers drawn from (default flr,mem-off,d3hot; sim: sim)\n"
		"  --workers N            worker threads (default 4, at most %d)\n"
		"  --dmabufs N            dma-buf slots per worker (default 4, at most %d)\n"
		"  --attachments N        attachment slots per dma-buf (default 2, at most %d)\n"
		"  --mix OP=W,...         operation weights (default export=3,close=2,attach=4,detach=2,\n"
		"                         map=4,unmap=2,revoke=1,reopen=0,spawn=1,kill=1)\n"
		"  --seed N               the seed (default: from the clock, printed): the same seed\n"
		"                         draws the same operations for every worker\n"
		"  -D, --duration D       run for D (default 60s), or until\n"
		"  --cycles N             N revoke cycles, or\n"
		"  --ops N                N operations\n"
		"  --hold D               a revoke holds the device revoked for 0..D (default 20ms)\n"
		"  --pace D               each worker sleeps D between operations (default 0)\n"
		"  --quiesce-timeout D    a trigger still waiting after D (default 10s) waits for a mapping\n"
		"                         it never asked to drop (C2): every attachment is unmapped to\n"
		"                         release it; keep D above dma-bufs x the importers' slowest unmap\n"
		"  --watchdog D           a trigger still in the kernel D after it started (default 30s),\n"
		"                         its importers unmapped or released: a hung revoke (C1 FAIL with\n"
		"                         its kernel stack); results written, exit 1 at once\n"
		"  --checkpoint N         give everything back and compare leaks every N cycles (default 100)\n"
		"  --keep-going           do not stop at the first finding\n"
		"  --record FILE          where the failing sequence goes (default p2pbench-stress.replay.json)\n"
		"  --record-always        write the last segment's operations even without a finding\n"
		"  --replay FILE          run a replay file's operations, per worker, at their recorded times\n"
		"                         and in their recorded start order\n"
		"  --repeat N             replay up to N times until a finding shows (default 1): a race\n"
		"                         inside the kernel may need a few\n"
		"  --job FILE             options from the [stress] section of an ini file (key = option name)\n"
		"  --json FILE            result document (results/schema/result-v2.md, \"stress\")\n"
		"  -q, --quiet            no table, no progress line\n\n"
		"Operations: export close attach detach map unmap revoke reopen spawn (a child process\n"
		"attaches an importer of its own) kill (SIGKILL one: its importer goes with it).\n"
		"Exit status: 0 no finding; 1 a finding (a clause failed, something leaked, an unexpected\n"
		"errno, a forbidden kernel log line); 2 bad input or setup error; 130 interrupted.\n"
		"Methodology: docs/stress.md.\n",
		P2PB_STRESS_MAX_WORKERS, P2PB_STRESS_MAX_SLOTS, P2PB_STRESS_MAX_ATTS);
}

enum { O_BAR = 256, O_SIZE, O_IMPORTER, O_IMPDEV, O_TRIGGERS, O_WORKERS, O_DMABUFS, O_ATTS, O_MIX, O_SEED,
       O_CYCLES, O_OPS, O_HOLD, O_PACE, O_CHECKPOINT, O_KEEP, O_RECORD, O_RECORD_ALWAYS, O_REPLAY, O_JOB,
       O_JSON, O_BIND, O_DEVICE, O_REPEAT, O_QUIESCE, O_WATCHDOG };

static const struct option long_opts[] = {
	{ "device", required_argument, 0, O_DEVICE }, { "bind", no_argument, 0, O_BIND },
	{ "bar", required_argument, 0, O_BAR }, { "size", required_argument, 0, O_SIZE },
	{ "importer", required_argument, 0, O_IMPORTER }, { "importer-dev", required_argument, 0, O_IMPDEV },
	{ "triggers", required_argument, 0, O_TRIGGERS }, { "workers", required_argument, 0, O_WORKERS },
	{ "dmabufs", required_argument, 0, O_DMABUFS }, { "attachments", required_argument, 0, O_ATTS },
	{ "mix", required_argument, 0, O_MIX }, { "seed", required_argument, 0, O_SEED },
	{ "duration", required_argument, 0, 'D' }, { "cycles", required_argument, 0, O_CYCLES },
	{ "ops", required_argument, 0, O_OPS }, { "hold", required_argument, 0, O_HOLD },
	{ "pace", required_argument, 0, O_PACE }, { "checkpoint", required_argument, 0, O_CHECKPOINT },
	{ "keep-going", no_argument, 0, O_KEEP }, { "record", required_argument, 0, O_RECORD },
	{ "record-always", no_argument, 0, O_RECORD_ALWAYS }, { "replay", required_argument, 0, O_REPLAY },
	{ "repeat", required_argument, 0, O_REPEAT }, { "quiesce-timeout", required_argument, 0, O_QUIESCE },
	{ "watchdog", required_argument, 0, O_WATCHDOG },
	{ "job", required_argument, 0, O_JOB }, { "json", required_argument, 0, O_JSON },
	{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0 },
};

static int count_arg(const char *name, const char *v, unsigned int lo, unsigned int hi, unsigned int *out)
{
	uint64_t x;

	if (p2pb_parse_u64(v, &x) || x < lo || x > hi)
		return p2pb_fail(-EINVAL, "--%s must be %u..%u, not '%s'", name, lo, hi, v);
	*out = (unsigned int)x;
	return 0;
}

static int duration_arg(const char *name, const char *v, uint64_t unit, uint64_t *out)
{
	if (v[0] == '-' || p2pb_parse_duration_ns(v, unit, out))
		return p2pb_fail(-EINVAL, "--%s takes a duration such as 10m, 30s or 20ms, not '%s'", name, v);
	return 0;
}

static int parse_triggers(struct p2pb_stress_cfg *c, const char *v)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(v) >= sizeof(buf))
		return p2pb_fail(-EINVAL, "--triggers is too long");
	strcpy(buf, v);
	c->n_triggers = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct p2pb_trigger_ops *t = p2pb_trigger_find(tok);

		if (!t)
			return p2pb_fail(-EINVAL, "--triggers: unknown trigger '%s' (%s)", tok, p2pb_trigger_all());
		if (t->permanent)
			return p2pb_fail(-EINVAL, "--triggers: '%s' revokes for good; use the reopen operation "
					 "(--mix reopen=N)", tok);
		if (c->n_triggers == P2PB_STRESS_MAX_TRIGGERS)
			return p2pb_fail(-EINVAL, "--triggers: at most %d", P2PB_STRESS_MAX_TRIGGERS);
		snprintf(c->triggers[c->n_triggers++], sizeof(c->triggers[0]), "%s", t->name);
	}
	if (!c->n_triggers)
		return p2pb_fail(-EINVAL, "--triggers is empty");
	return 0;
}

static int job_file(struct stress_args *a, const char *path);

/* One option, from the command line or a job file. */
static int set_opt(struct stress_args *a, int o, const char *v)
{
	struct p2pb_stress_cfg *c = &a->c;
	uint64_t x;

	switch (o) {
	case O_DEVICE:
		if (strlen(v) >= sizeof(c->device))
			return p2pb_fail(-EINVAL, "--device '%s' is too long", v);
		strcpy(c->device, v);
		return 0;
	case O_BIND: a->bind = true; return 0;
	case O_BAR: return count_arg("bar", v, 0, 5, &c->bar);
	case O_SIZE:
		if (p2pb_parse_size(v, &c->size) || !c->size || c->size % 4096)
			return p2pb_fail(-EINVAL, "--size must be a positive multiple of 4 KiB, not '%s'", v);
		return 0;
	case O_IMPORTER:
		a->importer_given = true;
		return p2pb_engine_spec_parse(v, &c->importer);
	case O_IMPDEV:
		if (strlen(v) >= sizeof(a->importer_dev))
			return p2pb_fail(-EINVAL, "--importer-dev '%s' is too long", v);
		strcpy(a->importer_dev, v);
		return 0;
	case O_TRIGGERS: a->triggers_given = true; return parse_triggers(c, v);
	case O_WORKERS: return count_arg("workers", v, 1, P2PB_STRESS_MAX_WORKERS, &c->workers);
	case O_DMABUFS: return count_arg("dmabufs", v, 1, P2PB_STRESS_MAX_SLOTS, &c->slots);
	case O_ATTS: return count_arg("attachments", v, 1, P2PB_STRESS_MAX_ATTS, &c->atts);
	case O_MIX: return p2pb_stress_parse_mix(v, c->mix);
	case O_SEED:
		if (p2pb_parse_u64(v, &c->seed) || c->seed > INT64_MAX)
			return p2pb_fail(-EINVAL, "--seed must be a number below 2^63, not '%s'", v);
		a->seed_given = true;
		return 0;
	case 'D':
		if (duration_arg("duration", v, 1000000000ull, &c->duration_ns))
			return -EINVAL;
		if (!c->duration_ns)
			return p2pb_fail(-EINVAL, "--duration must be above 0");
		return 0;
	case O_CYCLES:
		if (p2pb_parse_u64(v, &c->max_cycles) || !c->max_cycles)
			return p2pb_fail(-EINVAL, "--cycles must be a positive number, not '%s'", v);
		return 0;
	case O_OPS:
		if (p2pb_parse_u64(v, &c->max_ops) || !c->max_ops)
			return p2pb_fail(-EINVAL, "--ops must be a positive number, not '%s'", v);
		return 0;
	case O_HOLD:
		if (duration_arg("hold", v, 1000000ull, &x) || x / 1000 > UINT32_MAX)
			return -EINVAL;
		c->hold_max_us = (uint32_t)(x / 1000);
		return 0;
	case O_PACE:
		if (duration_arg("pace", v, 1000000ull, &x) || x / 1000 > UINT32_MAX)
			return -EINVAL;
		c->pace_us = (uint32_t)(x / 1000);
		return 0;
	case O_QUIESCE:
		if (duration_arg("quiesce-timeout", v, 1000000000ull, &c->quiesce_ns))
			return -EINVAL;
		if (c->quiesce_ns < 1000000000ull)
			return p2pb_fail(-EINVAL, "--quiesce-timeout must be at least 1s");
		return 0;
	case O_WATCHDOG:
		if (duration_arg("watchdog", v, 1000000000ull, &c->watchdog_ns) || !c->watchdog_ns)
			return -EINVAL;
		return 0;
	case O_CHECKPOINT: return count_arg("checkpoint", v, 0, 1000000, &c->checkpoint_cycles);
	case O_KEEP: c->keep_going = true; return 0;
	case O_RECORD: a->record_path = v; return 0;
	case O_RECORD_ALWAYS: a->record_always = true; return 0;
	case O_REPLAY: c->replay_path = v; return 0;
	case O_REPEAT: return count_arg("repeat", v, 1, 1000, &a->repeat);
	case O_JOB: return job_file(a, v);
	case O_JSON: a->json_path = v; return 0;
	case 'q': a->quiet = true; return 0;
	default: return p2pb_fail(-EINVAL, "unknown option");
	}
}

struct ini_state {
	struct stress_args *a;
	const char *path;
	int err;
};

static int ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct ini_state *st = user;
	const struct option *o;

	if (st->err)
		return 0;	/* inih: 0 stops with this line's number */
	if (strcmp(section, "stress")) {
		st->err = p2pb_fail(-EINVAL, "%s: only a [stress] section is known, not [%s]", st->path, section);
		return 0;
	}
	for (o = long_opts; o->name && strcmp(o->name, name); o++)
		;
	if (!o->name || o->val == O_JOB || o->val == 'h') {
		st->err = p2pb_fail(-EINVAL, "%s: unknown key '%s' (keys are the long options of p2pbench stress)",
				    st->path, name);
		return 0;
	}
	if (o->has_arg == no_argument && strcmp(value, "1") && strcmp(value, "true")) {
		st->err = p2pb_fail(-EINVAL, "%s: %s is a flag: 1 or true, not '%s'", st->path, name, value);
		return 0;
	}
	st->err = set_opt(st->a, o->val, strdup(value));	/* the strings live as long as the run */
	return !st->err;
}

static int job_file(struct stress_args *a, const char *path)
{
	struct ini_state st = { .a = a, .path = path };
	int rc = ini_parse(path, ini_line, &st);

	if (rc < 0)
		return p2pb_fail(-ENOENT, "cannot read the job file %s", path);
	if (rc > 0 && !st.err)
		return p2pb_fail(-EINVAL, "%s: line %d is not key = value", path, rc);
	return st.err;
}

static void defaults(struct stress_args *a)
{
	struct p2pb_stress_cfg *c = &a->c;

	memset(a, 0, sizeof(*a));
	c->bar = 2;
	c->size = 1 << 20;
	c->workers = 4;
	c->slots = 4;
	c->atts = 2;
	c->hold_max_us = 20000;
	c->checkpoint_cycles = 100;
	c->quiesce_ns = 10ull * 1000000000ull;
	c->watchdog_ns = 30ull * 1000000000ull;
	p2pb_stress_default_mix(c->mix);
	a->record_path = "p2pbench-stress.replay.json";
	a->repeat = 1;
}

/* What the options left open, and the combinations that cannot work. */
static int complete(struct stress_args *a)
{
	struct p2pb_stress_cfg *c = &a->c;
	/* a PCI function: the importer module, the PCI triggers; none (sim): the in-process importer, its own revoke */
	bool pci = p2pb_exporter_function(c->device) != NULL;
	char spec[P2PB_SPEC_LEN];

	if (c->replay_path) {
		struct p2pb_stress_cfg r = *c;
		struct p2pb_oplog l;
		int err = p2pb_replay_read(c->replay_path, &r, &l);

		if (err)
			return err;
		p2pb_oplog_free(&l);
		r.replay_path = c->replay_path;
		r.keep_going = true;	/* a replay runs all of its operations */
		*c = r;
		return 0;
	}
	if (!c->device[0])
		return p2pb_fail(-EINVAL, "--device is required (a BDF on vfio-pci, or sim)");
	if (!a->importer_given) {
		snprintf(spec, sizeof(spec), "%s%s%s", pci ? "kmod:delay=uniform:0:20ms" : "null",
			 a->importer_dev[0] && pci ? ",dev=" : "", pci ? a->importer_dev : "");
		if (p2pb_engine_spec_parse(spec, &c->importer))
			return -EINVAL;
	} else if (a->importer_dev[0]) {
		return p2pb_fail(-EINVAL, "--importer-dev goes with the default importer; put dev= in --importer");
	}
	if (p2pb_engine_spec_check(&c->importer))
		return -EINVAL;
	if (c->importer.ops->injected && (c->importer.ops->injected(c->importer.opts) & P2PB_INJECT_NEVER_UNMAP))
		return p2pb_fail(-EINVAL, "an importer that never unmaps would hang every revoke of a stress run "
				 "(p2pbench revoke measures that case)");
	if (c->importer.count > 1)
		return p2pb_fail(-EINVAL, "count= is per worker here: use --attachments");
	if (!a->triggers_given && parse_triggers(c, pci ? "flr,mem-off,d3hot" : "sim"))
		return -EINVAL;
	if (!c->duration_ns && !c->max_cycles && !c->max_ops)
		c->duration_ns = 60ull * 1000000000ull;
	if (!a->seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c->seed = ((uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec) & INT64_MAX;
	}
	return 0;
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct stress_args *a)
{
	int o;

	defaults(a);
	optind = 1;
	while ((o = getopt_long(argc, argv, "D:qh", long_opts, NULL)) != -1) {
		if (o == 'h') {
			usage(stdout);
			return 0;
		}
		if (o == '?' || set_opt(a, o, optarg)) {
			if (o != '?')
				fprintf(stderr, "p2pbench stress: %s\n", p2pb_error());
			else
				fprintf(stderr, "p2pbench stress: see --help\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench stress: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (complete(a)) {
		fprintf(stderr, "p2pbench stress: %s\n", p2pb_error());
		return 2;
	}
	return -1;
}

static int write_json(const struct stress_args *a, int argc, char **argv, int err,
		      const struct p2pb_stress_result *r)
{
	json_object *doc = p2pb_result_new("stress", argc, argv);
	int rc;

	json_object_object_add(doc, "interrupted", json_object_new_boolean(r->interrupted));
	json_object_object_add(doc, "kernel_stuck", json_object_new_boolean(r->kernel_stuck));
	json_object_object_add(doc, "error", err && err != -EINTR ? json_object_new_string(p2pb_error()) : NULL);
	json_object_object_add(doc, "stress", p2pb_stress_json(&a->c, r));
	json_object_object_add(doc, "kernel_log", p2pb_json_kmsg(&r->klog));
	rc = p2pb_result_write(doc, a->json_path);
	json_object_put(doc);
	return rc;
}

int p2pb_cmd_stress(int argc, char **argv)
{
	struct stress_args a;
	struct p2pb_stress_result *r;
	struct p2pb_session s;
	const char *function;
	unsigned int attempt;
	int rc = parse_args(argc, argv, &a), err = 0;

	if (rc >= 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r) {
		fprintf(stderr, "p2pbench stress: out of memory\n");
		return 2;
	}
	p2pb_session_init(&s, a.quiet);
	if ((function = p2pb_exporter_function(a.c.device)))
		err = p2pb_session_claim_device(&s, function, a.bind);
	for (attempt = 1; !err; attempt++) {
		memset(r, 0, sizeof(*r));
		err = p2pb_stress_run(&a.c, &s, r, a.record_path, a.record_always);
		if (err || r->n_findings || attempt >= a.repeat || p2pb_interrupted)
			break;
		if (!a.quiet)
			fprintf(stderr, "p2pbench stress: replay %u of %u found nothing, again\n", attempt, a.repeat);
	}
	if (err && err != -EINTR)
		fprintf(stderr, "p2pbench stress: %s\n", p2pb_error()[0] ? p2pb_error() : strerror(-err));
	if (!err && !a.quiet)
		p2pb_stress_table(&a.c, r);
	if (p2pb_interrupted)
		rc = 130;
	else if (err)
		rc = 2;
	else
		rc = r->n_findings || p2pb_stress_verdict_findings(r, a.c.n_triggers) ? 1 : 0;
	if (a.json_path && write_json(&a, argc, argv, err, r)) {
		fprintf(stderr, "p2pbench stress: %s\n", p2pb_error());
		rc = rc ? rc : 2;
	}
	if (r->kernel_stuck)
		p2pb_cli_exit_stuck("stress", NULL);
	free(r);
	if (p2pb_session_finish(&s) && !rc)
		rc = 2;
	return rc;
}
