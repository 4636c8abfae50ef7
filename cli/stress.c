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

/* Defaults that depend on other options, decided once every option was read (complete()). */
#define STRESS_DURATION "60s"
#define STRESS_IMPORTER "kmod:delay=uniform:0:20ms"
#define STRESS_TRIGGERS "flr,mem-off,d3hot"

/* A job file's value, kept as long as the run: record, replay and json point into them. */
struct kept_value {
	struct kept_value *next;
	char text[];
};

struct stress_args {
	struct p2pb_stress_cfg c;
	const char *json_path, *record_path;
	bool record_always, bind, quiet, importer_given, triggers_given;
	unsigned int repeat;		/* replay: up to this many times until a finding shows */
	char importer_dev[32];
	struct kept_value *kept;
};

static int parse_importer(const struct p2pb_opt *opt, void *opts, const char *v)
{
	struct stress_args *a = opts;

	(void)opt;
	a->importer_given = true;
	return p2pb_engine_spec_parse(v, &a->c.importer);
}

static int parse_triggers(const struct p2pb_opt *opt, void *opts, const char *v)
{
	struct stress_args *a = opts;
	struct p2pb_stress_cfg *c = &a->c;
	const struct p2pb_trigger_ops *t[P2PB_STRESS_MAX_TRIGGERS];
	unsigned int i;

	(void)opt;
	a->triggers_given = true;
	if (p2pb_trigger_list(v, 0, t, P2PB_STRESS_MAX_TRIGGERS, &c->n_triggers))
		return -EINVAL;
	for (i = 0; i < c->n_triggers; i++) {
		if (t[i]->permanent)
			return p2pb_fail(-EINVAL, "'%s' revokes for good; use the reopen operation (--mix reopen=N)",
					 t[i]->name);
		snprintf(c->triggers[i], sizeof(c->triggers[i]), "%s", t[i]->name);
	}
	return 0;
}

static int parse_mix(const struct p2pb_opt *opt, void *opts, const char *v)
{
	(void)opt;
	return p2pb_stress_parse_mix(v, ((struct stress_args *)opts)->c.mix);
}

#define ARG(member) P2PB_OPT_FIELD(struct stress_args, member)

/* Every option but --job and --help, which are also the keys of a job file's [stress] section. */
static const struct p2pb_opt stress_keys[] = {
	{ .name = "device", .type = P2PB_OPT_TEXT, ARG(c.device), .metavar = "BDF",
	  .help = "the exporter, on vfio-pci (or sim[:no-wait|:map-while-revoked])" },
	{ .name = "bind", .type = P2PB_OPT_FLAG, ARG(bind), .help = "bind it to vfio-pci for the run (and back)" },
	{ .name = "bar", .type = P2PB_OPT_UINT, ARG(c.bar), .def = "2", .max = 5, .help = "BAR to export" },
	{ .name = "size", .type = P2PB_OPT_SIZE, ARG(c.size), .def = "1M", .min = 4096, .multiple = 4096,
	  .help = "bytes per dma-buf" },
	{ .name = "importer", .type = P2PB_OPT_CUSTOM, .parse = parse_importer, .metavar = "SPEC",
	  .unset = STRESS_IMPORTER "; sim: null", .help = "importer of every worker, KIND:key=value,... as in "
	  "p2pbench revoke --help" },
	{ .name = "importer-dev", .type = P2PB_OPT_TEXT, ARG(importer_dev), .metavar = "BDF",
	  .help = "the default importer's PCI function (kmod dev=)" },
	{ .name = "triggers", .type = P2PB_OPT_CUSTOM, .parse = parse_triggers, .metavar = "LIST",
	  .unset = STRESS_TRIGGERS "; sim: sim", .help = "revoke triggers drawn from" },
	{ .name = "workers", .type = P2PB_OPT_UINT, ARG(c.workers), .def = "4", .min = 1,
	  .max = P2PB_STRESS_MAX_WORKERS, .help = "worker threads" },
	{ .name = "dmabufs", .type = P2PB_OPT_UINT, ARG(c.slots), .def = "4", .min = 1, .max = P2PB_STRESS_MAX_SLOTS,
	  .help = "dma-buf slots per worker" },
	{ .name = "attachments", .type = P2PB_OPT_UINT, ARG(c.atts), .def = "2", .min = 1,
	  .max = P2PB_STRESS_MAX_ATTS, .help = "attachment slots per dma-buf" },
	{ .name = "mix", .type = P2PB_OPT_CUSTOM, .parse = parse_mix, .def = P2PB_STRESS_DEFAULT_MIX,
	  .metavar = "OP=W,...", .help = "operation weights; the operations not named keep theirs" },
	{ .name = "seed", .type = P2PB_OPT_UINT, ARG(c.seed), .max = INT64_MAX, .metavar = "N",
	  .unset = "from the clock, printed", .help = "the seed: the same seed draws the same operations for every "
	  "worker" },
	{ .name = "duration", .type = P2PB_OPT_DURATION, ARG(c.duration_ns), .min = 1, .unit_ns = P2PB_NS_PER_S,
	  .unset = STRESS_DURATION " unless --cycles or --ops", .help = "stop after D; of --duration, --cycles "
	  "and --ops, the first reached ends the run" },
	{ .name = "cycles", .type = P2PB_OPT_UINT, ARG(c.max_cycles), .min = 1, .metavar = "N",
	  .help = "stop after N revoke cycles" },
	{ .name = "ops", .type = P2PB_OPT_UINT, ARG(c.max_ops), .min = 1, .metavar = "N",
	  .help = "stop after N operations" },
	{ .name = "hold", .type = P2PB_OPT_DURATION, ARG(c.hold_max_us), .def = "20ms", .unit_ns = P2PB_NS_PER_MS,
	  .stored_ns = 1000, .help = "a revoke holds the device revoked for 0..D" },
	{ .name = "pace", .type = P2PB_OPT_DURATION, ARG(c.pace_us), .def = "0", .unit_ns = P2PB_NS_PER_MS,
	  .stored_ns = 1000, .help = "each worker sleeps D between operations" },
	{ .name = "quiesce-timeout", .type = P2PB_OPT_DURATION, ARG(c.quiesce_ns), .def = "10s",
	  .min = P2PB_NS_PER_S, .unit_ns = P2PB_NS_PER_S, .help = "a trigger still waiting after D waits for a "
	  "mapping it never asked to drop (C2): every attachment is unmapped to release it; keep D above dma-bufs "
	  "x the importers' slowest unmap" },
	{ .name = "watchdog", .type = P2PB_OPT_DURATION, ARG(c.watchdog_ns), .def = "30s", .min = 1,
	  .unit_ns = P2PB_NS_PER_S, .help = "a trigger still in the kernel D after it started, its importers "
	  "unmapped or released: a hung revoke (C1 FAIL with its kernel stack); results written, exit 1 at once" },
	{ .name = "checkpoint", .type = P2PB_OPT_UINT, ARG(c.checkpoint_cycles), .def = "100", .max = 1000000,
	  .zero = "only at the end", .help = "give everything back and compare leaks every N cycles" },
	{ .name = "keep-going", .type = P2PB_OPT_FLAG, ARG(c.keep_going), .help = "do not stop at the first finding" },
	{ .name = "record", .type = P2PB_OPT_STRING, ARG(record_path), .def = "p2pbench-stress.replay.json",
	  .metavar = "FILE", .help = "where the failing sequence goes" },
	{ .name = "record-always", .type = P2PB_OPT_FLAG, ARG(record_always),
	  .help = "write the last segment's operations even without a finding" },
	{ .name = "replay", .type = P2PB_OPT_STRING, ARG(c.replay_path), .metavar = "FILE",
	  .help = "run a replay file's operations, per worker, at their recorded times and in their recorded "
	  "start order" },
	{ .name = "repeat", .type = P2PB_OPT_UINT, ARG(repeat), .def = "1", .min = 1, .max = 1000,
	  .help = "replay up to N times until a finding shows: a race inside the kernel may need a few" },
	{ .name = "json", .type = P2PB_OPT_STRING, ARG(json_path), .metavar = "FILE",
	  .help = "result document (results/schema/result-v2.md, \"stress\")" },
	{ .name = "quiet", .type = P2PB_OPT_FLAG, ARG(quiet), .help = "no table, no progress line" },
	{ 0 },
};

static const struct p2pb_cli_short stress_shorts[] = { { 'D', "duration" }, { 'q', "quiet" }, { 0 } };

enum { O_JOB = 'j', O_HELP = 'h' };
static const struct option stress_extra[] = {
	{ "job", required_argument, 0, O_JOB }, { "help", no_argument, 0, O_HELP }, { 0 },
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
		"the operations since the last checkpoint as a replay file.\n\n");
	p2pb_cli_keys_help(f, stress_keys, stress_shorts);
	p2pb_help_entry(f, "--job FILE", "options from the [stress] section of an ini file: each key is an option "
			"above without the dashes, key = value (a flag: key = 1)");
	p2pb_help_entry(f, "-h, --help", "");
	fprintf(f,
		"\nOperations: export close attach detach map unmap revoke reopen spawn (a child process\n"
		"attaches an importer of its own) kill (SIGKILL one: its importer goes with it).\n"
		"Exit status: 0 no finding; 1 a finding (a clause failed, something leaked, an unexpected\n"
		"errno, a forbidden kernel log line); 2 bad input or setup error; 130 interrupted.\n"
		"Methodology: docs/stress.md.\n");
}

struct ini_state {
	struct stress_args *a;
	const char *path;
	int err;
};

static const char *keep(struct stress_args *a, const char *value)
{
	struct kept_value *k = malloc(sizeof(*k) + strlen(value) + 1);

	if (!k)
		return NULL;
	strcpy(k->text, value);
	k->next = a->kept;
	a->kept = k;
	return k->text;
}

static int ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct ini_state *st = user;
	const char *kept;

	if (st->err)
		return 0;	/* inih: 0 stops with this line's number */
	if (strcmp(section, "stress"))
		st->err = p2pb_fail(-EINVAL, "%s: only a [stress] section is known, not [%s]", st->path, section);
	else if (!(kept = keep(st->a, value)))
		st->err = p2pb_fail(-ENOMEM, "%s: out of memory", st->path);
	else if (p2pb_opt_parse(stress_keys, st->a, name, kept))
		st->err = p2pb_fail(-EINVAL, "%s: [stress] %s = %s: %s", st->path, name, value, p2pb_error());
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

/* The run's length when no limit was given: a replay runs its operations, --cycles and --ops stop it. */
static int default_duration(struct stress_args *a)
{
	struct p2pb_stress_cfg *c = &a->c;

	if (c->duration_ns != P2PB_OPT_UNSET)
		return 0;
	c->duration_ns = 0;
	if (c->replay_path || c->max_cycles || c->max_ops)
		return 0;
	return p2pb_opt_set(p2pb_opt_find(stress_keys, "duration"), a, STRESS_DURATION);
}

/* The importer and the triggers when none were given: the default ones, or the sim's. */
static int default_importer_triggers(struct stress_args *a)
{
	const struct p2pb_exporter_ops *b = p2pb_exporter_backend(a->c.device);
	/* what revokes it: the PCI triggers (and the importer module), or the back-end's own (sim: the null importer) */
	bool sim = !b->vfio && b->revoke;
	char spec[P2PB_SPEC_LEN];

	if (!b->vfio && !b->revoke)
		return p2pb_fail(-EINVAL, "'%s' cannot be revoked: stress needs a device on vfio-pci (or sim)",
				 a->c.device);

	if (!a->importer_given) {
		snprintf(spec, sizeof(spec), "%s%s%s", sim ? "null" : STRESS_IMPORTER,
			 a->importer_dev[0] && !sim ? ",dev=" : "", sim ? "" : a->importer_dev);
		if (p2pb_engine_spec_parse(spec, &a->c.importer))
			return -EINVAL;
	} else if (a->importer_dev[0]) {
		return p2pb_fail(-EINVAL, "--importer-dev goes with the default importer; put dev= in --importer");
	}
	return a->triggers_given ? 0 : parse_triggers(NULL, a, sim ? "sim" : STRESS_TRIGGERS);
}

/* What the options left open, and the combinations that cannot work. */
static int complete(struct stress_args *a)
{
	struct p2pb_stress_cfg *c = &a->c;

	if (default_duration(a))
		return -EINVAL;
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
	if (default_importer_triggers(a) || p2pb_engine_spec_check(&c->importer))
		return -EINVAL;
	if (c->importer.ops->injected && (c->importer.ops->injected(c->importer.opts) & P2PB_INJECT_NEVER_UNMAP))
		return p2pb_fail(-EINVAL, "an importer that never unmaps would hang every revoke of a stress run "
				 "(p2pbench revoke measures that case)");
	if (c->importer.count > 1)
		return p2pb_fail(-EINVAL, "count= is per worker here: use --attachments");
	if (c->seed == P2PB_OPT_UNSET) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c->seed = ((uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec) & INT64_MAX;
	}
	return 0;
}

/* One option; -1: go on, else the exit status. */
static int option(struct stress_args *a, int o)
{
	const struct p2pb_opt *key = p2pb_cli_key(stress_keys, stress_shorts, o);

	if (o == O_HELP) {
		usage(stdout);
		return 0;
	}
	if (o == '?') {
		fprintf(stderr, "p2pbench stress: see --help\n");
		return 2;
	}
	if (o == O_JOB ? job_file(a, optarg) : key ? p2pb_cli_set(stress_keys, key, a, optarg) : -EINVAL) {
		fprintf(stderr, "p2pbench stress: %s\n", p2pb_error());
		return 2;
	}
	return -1;
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct stress_args *a)
{
	struct option opts[P2PB_CLI_MAX_OPTS + 1];
	char shortopts[P2PB_CLI_SHORTOPTS_LEN];
	int o, rc;

	memset(a, 0, sizeof(*a));
	if (p2pb_opts_defaults(stress_keys, a) || p2pb_cli_options(stress_keys, stress_shorts, stress_extra, opts)) {
		fprintf(stderr, "p2pbench stress: %s\n", p2pb_error());
		return 2;
	}
	p2pb_cli_shortopts(stress_keys, stress_shorts, "h", shortopts);
	optind = 1;
	while ((o = getopt_long(argc, argv, shortopts, opts, NULL)) != -1)
		if ((rc = option(a, o)) >= 0)
			return rc;
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

/* The run, its table, document and exit status. */
static int run(struct stress_args *a, int argc, char **argv)
{
	struct p2pb_stress_result *r = calloc(1, sizeof(*r));
	struct p2pb_session s;
	const char *function;
	unsigned int attempt;
	int rc, err = 0;

	if (!r) {
		fprintf(stderr, "p2pbench stress: out of memory\n");
		return 2;
	}
	p2pb_session_init(&s, a->quiet);
	if ((function = p2pb_exporter_function(a->c.device)))
		err = p2pb_session_claim_device(&s, function, a->bind);
	for (attempt = 1; !err; attempt++) {
		memset(r, 0, sizeof(*r));
		err = p2pb_stress_run(&a->c, &s, r, a->record_path, a->record_always);
		if (err || r->n_findings || attempt >= a->repeat || p2pb_interrupted)
			break;
		if (!a->quiet)
			fprintf(stderr, "p2pbench stress: replay %u of %u found nothing, again\n", attempt, a->repeat);
	}
	if (err && err != -EINTR)
		fprintf(stderr, "p2pbench stress: %s\n", p2pb_error()[0] ? p2pb_error() : strerror(-err));
	if (!err && !a->quiet)
		p2pb_stress_table(&a->c, r);
	if (p2pb_interrupted)
		rc = 130;
	else if (err)
		rc = 2;
	else
		rc = r->n_findings || p2pb_stress_verdict_findings(r, a->c.n_triggers) ? 1 : 0;
	if (a->json_path && write_json(a, argc, argv, err, r)) {
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

int p2pb_cmd_stress(int argc, char **argv)
{
	struct stress_args a;
	int rc = parse_args(argc, argv, &a);
	struct kept_value *k;

	if (rc < 0)
		rc = run(&a, argc, argv);
	while ((k = a.kept)) {
		a.kept = k->next;
		free(k);
	}
	return rc;
}
