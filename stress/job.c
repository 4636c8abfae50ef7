// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "job.h"
#include "error.h"
#include "units.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void p2pb_job_defaults(struct p2pb_job *j)
{
	memset(j, 0, sizeof(*j));
	j->bar = 2;
	j->dmabufs = 1;
	j->iterations = 10;
	j->warmup = 1;
	j->quiesce_timeout_ns = 10ull * 1000000000ull;
	j->watchdog_ns = 30ull * 1000000000ull;
	j->seed = 1;
	j->dwell_ns = UINT64_MAX;
}

/* A whole number in [min, max]; 0 or -EINVAL (the table's help makes the message). */
static int uint_in(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (p2pb_parse_u64(v, &n) || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

static int set_device(struct p2pb_job *j, const char *v)
{
	struct p2pb_pci_addr a;

	return p2pb_pci_parse(v, &a, j->device) ? p2pb_fail(-EINVAL, "device=%s: %s", v, p2pb_error()) : 0;
}

static int set_bar(struct p2pb_job *j, const char *v)
{
	uint64_t n;

	return uint_in(v, 0, 5, &n) ? -EINVAL : (j->bar = (uint32_t)n, 0);
}

static int set_offset(struct p2pb_job *j, const char *v)
{
	return p2pb_parse_size(v, &j->offset) ? -EINVAL : 0;
}

static int set_size(struct p2pb_job *j, const char *v)
{
	return p2pb_parse_size(v, &j->size) ? -EINVAL : 0;
}

static int set_dmabufs(struct p2pb_job *j, const char *v)
{
	uint64_t n;

	return uint_in(v, 1, P2PB_MAX_DMABUFS, &n) ? -EINVAL : (j->dmabufs = (unsigned int)n, 0);
}

static void trigger_help(char *buf, size_t len);

static int set_trigger(struct p2pb_job *j, const char *v)
{
	char th[256];

	j->trigger = p2pb_trigger_find(v);
	if (j->trigger)
		return 0;
	trigger_help(th, sizeof(th));
	return p2pb_fail(-EINVAL, "trigger=%s: unknown trigger; expected %s", v, th);
}

static int set_importer(struct p2pb_job *j, const char *v)
{
	if (j->n_importers == P2PB_MAX_IMPORTER_SPECS)
		return p2pb_fail(-EINVAL, "at most %d importer specs per job", P2PB_MAX_IMPORTER_SPECS);
	if (p2pb_engine_spec_parse(v, &j->importers[j->n_importers]))
		return -EINVAL;	/* the engine said why */
	j->n_importers++;
	return 0;
}

static int set_iterations(struct p2pb_job *j, const char *v)
{
	uint64_t n;

	return uint_in(v, 1, 1000000, &n) ? -EINVAL : (j->iterations = (unsigned int)n, 0);
}

static int set_warmup(struct p2pb_job *j, const char *v)
{
	uint64_t n;

	return uint_in(v, 0, 1000, &n) ? -EINVAL : (j->warmup = (unsigned int)n, 0);
}

static int set_quiesce_timeout(struct p2pb_job *j, const char *v)
{
	return p2pb_parse_duration_ns(v, 1000000000ull, &j->quiesce_timeout_ns) || !j->quiesce_timeout_ns ?
	       -EINVAL : 0;
}

static int set_watchdog(struct p2pb_job *j, const char *v)
{
	return p2pb_parse_duration_ns(v, 1000000000ull, &j->watchdog_ns) || !j->watchdog_ns ? -EINVAL : 0;
}

static int set_seed(struct p2pb_job *j, const char *v)
{
	return uint_in(v, 0, UINT64_MAX, &j->seed);
}

static int set_config_probe(struct p2pb_job *j, const char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return -EINVAL;
	j->config_probe = v[0] == '1';
	return 0;
}

static int set_verify(struct p2pb_job *j, const char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return -EINVAL;
	j->verify = v[0] == '1';
	return 0;
}

static int set_dwell(struct p2pb_job *j, const char *v)
{
	return p2pb_parse_duration_ns(v, 1000000, &j->dwell_ns) ? -EINVAL : 0;
}

static int set_name(struct p2pb_job *j, const char *v)
{
	if (strlen(v) >= sizeof(j->name))
		return -EINVAL;
	snprintf(j->name, sizeof(j->name), "%s", v);
	return 0;
}

/* The job keys: parsing, --help and error messages all come from here. */
static const struct job_key {
	const char *key, *arg, *help;
	int (*set)(struct p2pb_job *j, const char *v);
} job_keys[] = {
	{ "device", "BDF", "exporter PCI function (bound to vfio-pci)", set_device },
	{ "bar", "N", "BAR to export, 0..5 (default 2, the NVMe CMB in the lab)", set_bar },
	{ "offset", "SIZE", "start of the exported range in the BAR (default 0)", set_offset },
	{ "size", "SIZE", "bytes to export (default: the rest of the BAR)", set_size },
	{ "dmabufs", "N", "split the range into N dma-bufs, 1..1024 (default 1)", set_dmabufs },
	{ "trigger", "NAME[,...]", NULL, set_trigger },	/* help: the trigger registry */
	{ "importer", "SPEC", "repeatable; see 'Importers'", set_importer },
	{ "iterations", "N", "measured revokes, 1..1000000 (default 10)", set_iterations },
	{ "warmup", "N", "revokes before measuring, 0..1000 (default 1)", set_warmup },
	{ "quiesce-timeout", "D", "release a stuck importer after D, e.g. 10s (default 10s)", set_quiesce_timeout },
	{ "watchdog", "D", "a trigger still in the kernel D after it started, every importer unmapped or "
	  "released, is a hung revoke: C1 FAIL with the stuck task's kernel stack, partial results written, "
	  "the run ends (default 30s)", set_watchdog },
	{ "seed", "N", "seed for delay distributions (default 1)", set_seed },
	{ "config-probe", "0|1", "time a config read and a BAR read issued 2 ms into each revoke", set_config_probe },
	{ "verify", "0|1", "1: fill the exported ranges with a pattern naming each 4 KiB block, and after each "
	  "iteration check through the exporter's BAR that every block names its own offset (the pattern, "
	  "or data an NVMe load read from a device whose blocks name themselves): clause C8", set_verify },
	{ "dwell", "D", "measure importer DMA for D before and after each revoke, e.g. 400ms "
	  "(default 400ms when an importer moves data, else 0)", set_dwell },
	{ "name", "TEXT", "case name in reports (at most 63 characters)", set_name },
	{ 0 },
};

static void trigger_help(char *buf, size_t len)
{
	unsigned int i;

	snprintf(buf, len, "one of");
	for (i = 0; p2pb_triggers[i]; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), " %s", p2pb_triggers[i]->name);
	snprintf(buf + strlen(buf), len - strlen(buf), ", a comma list, or 'all' (%s)", p2pb_trigger_all());
}

void p2pb_job_help(FILE *f)
{
	char th[256], kv[40];
	const struct job_key *k;

	trigger_help(th, sizeof(th));
	for (k = job_keys; k->key; k++) {
		snprintf(kv, sizeof(kv), "%s=%s", k->key, k->arg);
		fprintf(f, "  %-21s %s\n", kv, k->help ? k->help : th);
	}
}

/*
 * A setter returns -EINVAL: with a message of its own (p2pb_fail), or
 * without one, and then the key's table entry makes it.
 */
int p2pb_job_set(struct p2pb_job *j, const char *key, const char *v)
{
	char keys[256] = "", th[256];
	const struct job_key *k;

	for (k = job_keys; k->key && strcmp(k->key, key); k++)
		;
	if (!k->key) {
		for (k = job_keys; k->key; k++)
			snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s", keys[0] ? ", " : "", k->key);
		return p2pb_fail(-EINVAL, "unknown key '%s' (keys: %s)", key, keys);
	}
	p2pb_clear_error();
	if (!k->set(j, v))
		return 0;
	if (p2pb_has_error())
		return -EINVAL;
	trigger_help(th, sizeof(th));
	return p2pb_fail(-EINVAL, "%s=%s: expected %s=%s: %s", key, v, key, k->arg, k->help ? k->help : th);
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

/* Appends one job per trigger in a comma list ("all": every trigger). */
int p2pb_job_expand(const struct p2pb_job *j, const char *triggers, struct p2pb_job **jobs, unsigned int *n)
{
	char buf[256], *t, *save = NULL;
	struct p2pb_job *nj;

	if (!triggers || !*triggers) {
		nj = realloc(*jobs, (*n + 1) * sizeof(**jobs));
		if (!nj)
			return -ENOMEM;
		*jobs = nj;
		nj[(*n)++] = *j;
		return 0;
	}
	if (!strcmp(triggers, "all")) {
		snprintf(buf, sizeof(buf), "%s", p2pb_trigger_all());
	} else {
		if (strlen(triggers) >= sizeof(buf))
			return p2pb_fail(-EINVAL, "trigger list too long");
		snprintf(buf, sizeof(buf), "%s", triggers);
	}
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct p2pb_job one = *j;

		if (p2pb_job_set(&one, "trigger", t))
			return -EINVAL;
		/* a list makes several cases: tell them apart by trigger */
		if (!one.name[0] || strchr(triggers, ',') || !strcmp(triggers, "all"))
			snprintf(one.name, sizeof(one.name), "%.40s%s%s", j->name[0] ? j->name : "", j->name[0] ? "/" : "", t);
		nj = realloc(*jobs, (*n + 1) * sizeof(**jobs));
		if (!nj)
			return -ENOMEM;
		*jobs = nj;
		nj[(*n)++] = one;
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

static int job_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct ini_state *st = user;
	struct p2pb_job *j;
	char *trig;

	if (st->err)
		return 0;
	if (strcmp(section, st->section)) {
		/* a new section starts */
		if ((st->err = flush_section(st)))
			return 0;
		snprintf(st->section, sizeof(st->section), "%s", section);
		if (strlen(st->seen) + strlen(section) + 3 < sizeof(st->seen)) {
			strcat(st->seen, "\n");
			strcat(st->seen, section);
			strcat(st->seen, "\n");
		}
		if (strcmp(section, "global")) {
			st->cur = st->global;
			st->cur.importers_from_section = false;
			st->cur.name[0] = 0;
			st->cur_triggers[0] = 0;
			st->in_job = true;
		}
	}
	j = strcmp(section, "global") ? &st->cur : &st->global;
	trig = strcmp(section, "global") ? st->cur_triggers : st->global_triggers;
	if (!strcmp(name, "trigger") && (strchr(value, ',') || !strcmp(value, "all"))) {
		snprintf(trig, 256, "%s", value);
		j->trigger = NULL;
		return 1;
	}
	if (!strcmp(name, "trigger"))
		trig[0] = 0;
	if (!strcmp(name, "importer") && j == &st->cur && !j->importers_from_section) {
		j->n_importers = 0;	/* a job's importers replace the global ones */
		j->importers_from_section = true;
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
