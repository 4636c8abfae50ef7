// SPDX-License-Identifier: GPL-2.0
/* The keys of a revoke job, declared once, and the INI job files made of them. */
#define _GNU_SOURCE
#include "job_file.h"
#include "error.h"
#include "units.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most triggers in a list: 64 of the shortest names already fill 255 characters. */
#define MAX_TRIGGER_LIST 64

/*
 * A job key's value into the job at @opts + @opt->off: a key copied into a
 * command's own table (p2pb_job_line_read) is moved with the job.
 */
static struct p2pb_job *job_of(const struct p2pb_opt *opt, void *opts)
{
	return (struct p2pb_job *)((char *)opts + opt->off);
}

/* One trigger; a list was expanded into one job each before (p2pb_job_expand). */
static int parse_trigger(const struct p2pb_opt *opt, void *opts, const char *v)
{
	const struct p2pb_trigger_ops *t[MAX_TRIGGER_LIST];
	unsigned int n;

	if (p2pb_trigger_list(v, P2PB_TRIGGERS_ALL, t, MAX_TRIGGER_LIST, &n))
		return -EINVAL;
	if (n > 1)
		return p2pb_fail(-EINVAL, "one trigger per job: a list makes one job per trigger");
	job_of(opt, opts)->trigger = t[0];
	return 0;
}

static int parse_importer(const struct p2pb_opt *opt, void *opts, const char *v)
{
	return p2pb_job_add_importer(job_of(opt, opts), v);
}

#define JOB(member) P2PB_OPT_FIELD(struct p2pb_job, member)

/* Parsing, defaults, --help and error messages all come from here. */
const struct p2pb_opt p2pb_job_keys[] = {
	{ .name = "device", .type = P2PB_OPT_BDF, JOB(device), .help = "exporter PCI function (bound to vfio-pci)" },
	{ .name = "bar", .type = P2PB_OPT_UINT, JOB(bar), .def = "2", .max = 5,
	  .help = "BAR to export; the lab's NVMe CMB is BAR 2" },
	{ .name = "offset", .type = P2PB_OPT_SIZE, JOB(offset), .def = "0",
	  .help = "start of the exported range in the BAR" },
	{ .name = "size", .type = P2PB_OPT_SIZE, JOB(size), .def = "0", .zero = "the rest of the BAR",
	  .help = "bytes to export" },
	{ .name = "dmabufs", .type = P2PB_OPT_UINT, JOB(dmabufs), .def = "1", .min = 1, .max = P2PB_MAX_DMABUFS,
	  .help = "split the range into this many dma-bufs" },
	/* a CUSTOM key's field is the job itself (job_of) */
	{ .name = "trigger", .type = P2PB_OPT_CUSTOM, .off = 0, .parse = parse_trigger, .metavar = "NAME[,...]",
	  .help = "a trigger (see 'Triggers'), or a comma list of them or 'all': one case per trigger" },
	{ .name = "importer", .type = P2PB_OPT_CUSTOM, .off = 0, .parse = parse_importer, .metavar = "SPEC",
	  .help = "repeatable: importers attached together (see 'Importers')" },
	{ .name = "iterations", .type = P2PB_OPT_UINT, JOB(iterations), .def = "10", .min = 1, .max = 1000000,
	  .help = "measured revokes" },
	{ .name = "warmup", .type = P2PB_OPT_UINT, JOB(warmup), .def = "1", .max = 1000,
	  .help = "revokes before measuring" },
	{ .name = "quiesce-timeout", .type = P2PB_OPT_DURATION, JOB(quiesce_timeout_ns), .def = "10s", .min = 1,
	  .unit_ns = P2PB_NS_PER_S, .help = "release (force-unmap) a stuck importer after D" },
	{ .name = "watchdog", .type = P2PB_OPT_DURATION, JOB(watchdog_ns), .def = "30s", .min = 1,
	  .unit_ns = P2PB_NS_PER_S, .help = "a trigger still in the kernel D after it started, every importer "
	  "unmapped or released, is a hung revoke: C1 FAIL with the stuck task's kernel stack, partial results "
	  "written, the run ends (exit 1)" },
	{ .name = "seed", .type = P2PB_OPT_UINT, JOB(seed), .def = "1", .help = "seed for delay distributions" },
	{ .name = "config-probe", .type = P2PB_OPT_BOOL, JOB(config_probe), .def = "0",
	  .help = "1: time a config-space read and a BAR read issued 2 ms into each revoke: how long vfio-pci "
	  "holds up other users" },
	{ .name = "verify", .type = P2PB_OPT_BOOL, JOB(verify), .def = "0",
	  .help = "1: fill the exported ranges with a pattern naming each 4 KiB block, and after each iteration "
	  "check through the exporter's BAR that every block names its own offset (the pattern, or data an NVMe "
	  "load read from a device whose blocks name themselves): clause C8" },
	{ .name = "dwell", .type = P2PB_OPT_DURATION, JOB(dwell_ns), .unit_ns = P2PB_NS_PER_MS,
	  .unset = "400ms if an importer moves data, kmod dma= or io=; else 0",
	  .help = "measure the importers' traffic for D before, while revoked and after each revoke" },
	{ .name = "name", .type = P2PB_OPT_TEXT, JOB(name), .help = "case name in reports" },
	{ 0 },
};

void p2pb_job_defaults(struct p2pb_job *j)
{
	memset(j, 0, sizeof(*j));
	p2pb_opts_defaults(p2pb_job_keys, j);	/* they parse: unit.job checks */
}

int p2pb_job_set(struct p2pb_job *j, const char *key, const char *v)
{
	return p2pb_opt_parse(p2pb_job_keys, j, key, v);
}

void p2pb_job_help(FILE *f)
{
	p2pb_opts_help(f, p2pb_job_keys);
}

/* The job keys @use names, moved by @job_off, then @own, into @out; 0 or -EINVAL with a message. */
static int job_keys_for(const struct p2pb_job_key_use *use, size_t job_off, const struct p2pb_opt *own,
			struct p2pb_opt out[P2PB_CLI_MAX_OPTS + 1])
{
	const struct p2pb_opt *key;
	unsigned int n = 0;

	for (; use->name; use++, n++) {
		key = p2pb_opt_find(p2pb_job_keys, use->name);
		if (!key || n == P2PB_CLI_MAX_OPTS)
			return p2pb_fail(-EINVAL, "job key '%s': %s", use->name,
					 key ? "too many options" : "no such key");
		out[n] = *key;
		out[n].off += job_off;
		if (use->def) {
			out[n].def = use->def;
			out[n].unset = NULL;
		}
		if (use->help)
			out[n].help = use->help;
	}
	for (; own->name; own++, n++) {
		if (n == P2PB_CLI_MAX_OPTS)
			return p2pb_fail(-EINVAL, "more than %d options", P2PB_CLI_MAX_OPTS);
		out[n] = *own;
	}
	out[n] = (struct p2pb_opt){ 0 };
	return 0;
}

int p2pb_job_line_read(struct p2pb_job_line *l, int argc, char **argv, void *opts)
{
	int rc;

	p2pb_job_defaults((struct p2pb_job *)((char *)opts + l->job_off));
	l->cli.keys = l->keys;
	if (job_keys_for(l->use, l->job_off, l->own, l->keys)) {
		fprintf(stderr, "p2pbench %s: %s\n", l->cli.prog, p2pb_error());
		return 2;
	}
	if (p2pb_cli_begin(&l->cli, NULL, opts))
		return 2;
	if ((rc = p2pb_cli_read(&l->cli, argc, argv, opts)) >= 0)
		return rc;
	return p2pb_cli_no_more(&l->cli, argc, argv) ? 2 : -1;
}

int p2pb_job_check(const struct p2pb_job *j)
{
	unsigned int i;

	if (!j->device[0])
		return p2pb_fail(-EINVAL, "no device: give --device BDF (device= in a job file)");
	if (!j->trigger)
		return p2pb_fail(-EINVAL, "no trigger: give --trigger NAME (trigger= in a job file)");
	if (!j->n_importers)
		return p2pb_fail(-EINVAL, "no importer: give --importer SPEC, e.g. kmod:delay=0,dev=BDF");
	for (i = 0; i < j->n_importers; i++)
		if (p2pb_engine_spec_check(&j->importers[i]))
			return -EINVAL;
	if (j->offset % 4096 || j->size % 4096)
		return p2pb_fail(-EINVAL, "offset and size must be multiples of 4 KiB (VFIO exports whole pages)");
	if (j->size && (j->size / j->dmabufs) % 4096)
		return p2pb_fail(-EINVAL, "size/dmabufs must be a multiple of 4 KiB");
	return 0;
}

static int append_job(const struct p2pb_job *j, struct p2pb_job **jobs, unsigned int *n)
{
	struct p2pb_job *nj = realloc(*jobs, (*n + 1) * sizeof(**jobs));

	if (!nj)
		return -ENOMEM;
	*jobs = nj;
	nj[(*n)++] = *j;
	return 0;
}

/* Appends one job per trigger in a comma list ("all": every trigger). */
int p2pb_job_expand(const struct p2pb_job *j, const char *triggers, struct p2pb_job **jobs, unsigned int *n)
{
	const struct p2pb_trigger_ops *t[MAX_TRIGGER_LIST];
	unsigned int nt, i;
	bool several;
	int err;

	if (!triggers || !*triggers)
		return append_job(j, jobs, n);
	if (p2pb_trigger_list(triggers, P2PB_TRIGGERS_ALL, t, MAX_TRIGGER_LIST, &nt))
		return p2pb_fail(-EINVAL, "trigger=%s: %s", triggers, p2pb_error());
	several = strchr(triggers, ',') || !strcmp(triggers, "all");
	for (i = 0; i < nt; i++) {
		struct p2pb_job one = *j;

		one.trigger = t[i];
		/* a list makes several cases: tell them apart by trigger */
		if (!one.name[0] || several)
			snprintf(one.name, sizeof(one.name), "%.40s%s%s", j->name[0] ? j->name : "", j->name[0] ? "/" : "",
				 t[i]->name);
		if ((err = append_job(&one, jobs, n)))
			return err;
	}
	return 0;
}

/*
 * inih calls back only for keys, so a section without any would vanish
 * silently: find section headers that never reached the handler.
 */
static int check_empty_sections(const char *path, const char *seen)
{
	char line[256], name[P2PB_NAME_LEN + 2], *end;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return 0;
	while (!err && fgets(line, sizeof(line), f)) {
		char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '[' || !(end = strchr(p, ']')) || end - p - 1 >= (long)sizeof(name) - 2)
			continue;
		snprintf(name, sizeof(name), "\n%.*s\n", (int)(end - p - 1), p + 1);
		if (strcmp(name, "\nglobal\n") && !strstr(seen, name))
			err = p2pb_fail(-EINVAL, "%s: job [%.*s] has no keys (give it at least trigger=)", path,
					(int)(end - p - 1), p + 1);
	}
	fclose(f);
	return err;
}

struct ini_state {
	struct p2pb_job global;
	struct p2pb_job cur;
	char cur_triggers[256];
	char global_triggers[256];
	char section[P2PB_NAME_LEN];
	bool in_job;
	bool own_importers;	/* the section gave importer=: its importers replace the global ones */
	struct p2pb_job **jobs;
	unsigned int *n;
	int err;
	const char *path;
	char seen[4096];	/* "\nname\n" of every section with keys */
};

static int flush_section(struct ini_state *st)
{
	int err;

	if (!st->in_job)
		return 0;
	st->in_job = false;
	if (!st->cur.name[0])
		snprintf(st->cur.name, sizeof(st->cur.name), "%s", st->section);
	if (!st->cur.trigger && !st->cur_triggers[0])
		snprintf(st->cur_triggers, sizeof(st->cur_triggers), "%s", st->global_triggers);
	err = p2pb_job_expand(&st->cur, st->cur_triggers, st->jobs, st->n);
	if (err)
		return err;
	return p2pb_job_check(&(*st->jobs)[*st->n - 1]) ?
	       p2pb_fail(-EINVAL, "%s: job [%s]: %s", st->path, st->section, p2pb_error()) : 0;
}

/* The previous section is complete: make its jobs; a job section starts from [global]. */
static int start_section(struct ini_state *st, const char *section)
{
	int err = flush_section(st);

	if (err)
		return err;
	snprintf(st->section, sizeof(st->section), "%s", section);
	if (strlen(st->seen) + strlen(section) + 3 < sizeof(st->seen)) {
		strcat(st->seen, "\n");
		strcat(st->seen, section);
		strcat(st->seen, "\n");
	}
	if (strcmp(section, "global")) {
		st->cur = st->global;
		st->cur.name[0] = 0;
		st->cur_triggers[0] = 0;
		st->own_importers = false;
		st->in_job = true;
	}
	return 0;
}

static int job_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct ini_state *st = user;
	bool global = !strcmp(section, "global");
	struct p2pb_job *j = global ? &st->global : &st->cur;
	char *trig = global ? st->global_triggers : st->cur_triggers;

	if (st->err || (strcmp(section, st->section) && (st->err = start_section(st, section))))
		return 0;
	if (!strcmp(name, "trigger") && (strchr(value, ',') || !strcmp(value, "all"))) {
		snprintf(trig, 256, "%s", value);
		j->trigger = NULL;
		return 1;
	}
	if (!strcmp(name, "trigger"))
		trig[0] = 0;
	if (!strcmp(name, "importer") && !global && !st->own_importers) {
		j->n_importers = 0;	/* a job's importers replace the global ones */
		st->own_importers = true;
	}
	if (p2pb_job_set(j, name, value)) {
		st->err = p2pb_fail(-EINVAL, "%s: [%s] %s=%s: %s", st->path, section, name, value, p2pb_error());
		return 0;
	}
	return 1;
}

int p2pb_job_file_parse(const char *path, const struct p2pb_job *defaults, struct p2pb_job **jobs,
			unsigned int *n)
{
	struct ini_state st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.global = *defaults;
	st.jobs = jobs;
	st.n = n;
	st.path = path;
	snprintf(st.section, sizeof(st.section), "global");
	rc = ini_parse(path, job_ini_line, &st);
	if (rc == -1)
		return p2pb_fail(-ENOENT, "cannot open job file %s", path);
	if (st.err)
		return st.err;
	if (rc > 0)
		return p2pb_fail(-EINVAL, "%s:%d: not an INI line (expected [section] or key=value)", path, rc);
	if (rc)
		return p2pb_fail(-EINVAL, "%s: cannot parse (error %d)", path, rc);
	if ((rc = flush_section(&st)) || (rc = check_empty_sections(path, st.seen)))
		return rc;
	if (!*n)
		return p2pb_fail(-EINVAL, "%s: no job sections (each [name] other than [global] is a job)", path);
	return 0;
}
