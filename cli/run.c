// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench run: job files (revoke jobs, stress jobs) into one results
 * directory with an index, resumable: a job whose result is complete and
 * whose job file and arguments hash the same is not run again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include <ini.h>
#include "job_file.h"
#include "jsonq.h"
#include "result.h"
#include "commands.h"
#include "units.h"

#ifndef P2PB_GIT_REVISION
#define P2PB_GIT_REVISION "unknown"
#endif
#define RUN_INDEX_SCHEMA "p2pbench-run-index"
#define MAX_RUN_JOBS 64
#define MAX_EXTRA 32
#define MAX_SWEEP_KEYS 16
#define RUN_PATH_MAX (PATH_MAX + 128)
#define RUN_ARGV_MAX (16 + MAX_EXTRA + 2 * MAX_SWEEP_KEYS)

extern char **environ;

struct run_job {
	char path[PATH_MAX];
	char name[64];			/* the file's name without .ini */
	const char *kind;		/* "revoke", "stress" */
	char hash[20];
	char dir[80];			/* NN-NAME, under the results directory */
	double estimate_s;		/* NAN: unknown */
	bool estimate_from_history;
	json_object *entry;		/* its entry in the index */
	char *opts[2 * MAX_SWEEP_KEYS];	/* a [timeout-sweep] job: its keys as --KEY VALUE */
	size_t n_opts;
};

struct run {
	char out[PATH_MAX];
	json_object *index;
	struct run_job jobs[MAX_RUN_JOBS];
	size_t n_jobs;
	char *extra[MAX_EXTRA];
	size_t n_extra;
	bool dry_run, rerun;
	const char *history;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2pbench run [OPTIONS] JOB... [-- ARGS]\n\n"
		"Runs job files, one after the other, into one results directory: DIR/NN-NAME/result.json\n"
		"(and result.ktap) per job, and DIR/index.json naming the run (id, host, kernel,\n"
		"p2pbench version and git revision) and every job (file, kind, hash of its contents and\n"
		"ARGS, command, status, exit status, duration). A job file with a [stress] section runs\n"
		"as p2pbench stress --job; one with a [timeout-sweep] section as p2pbench timeout-sweep\n"
		"with its keys as long options (delays = 0,200ms is --delays 0,200ms); any other as\n"
		"p2pbench revoke --job (a sweep over a parameter is a job file whose sections vary it).\n"
		"ARGS after -- go to every job (e.g. --bind).\n\n"
		"Running the same command again resumes: a job whose result is complete (exit 0 or 1)\n"
		"and whose hash is unchanged is kept, the others run. Ctrl-C stops the job running (its\n"
		"partial result is written), marks it interrupted in the index and exits 130.\n\n"
		"Options:\n"
		"  -o, --output DIR     the results directory (default results/run-DATE-HOST)\n"
		"  -n, --dry-run        list what would run, with the commands and estimates; run nothing\n"
		"      --rerun          run every job again, also those complete\n"
		"      --history DIR    an earlier results directory whose durations estimate this run's\n"
		"  -h, --help\n\n"
		"Exit status: 0 every job ran and passed, 1 a job found a contract failure or a\n"
		"regression, 2 bad input or a job's setup error, 130 interrupted.\n");
}

/* FNV-1a over the job file and the arguments: equal hashes run the same job. */
static int job_hash(struct run *r, struct run_job *j)
{
	uint64_t h = 1469598103934665603ull;
	FILE *f = fopen(j->path, "rb");
	int c;
	size_t i;

	if (!f)
		return p2pb_fail(-errno, "cannot read the job file %s: %s", j->path, strerror(errno));
	while ((c = fgetc(f)) != EOF)
		h = (h ^ (uint8_t)c) * 1099511628211ull;
	fclose(f);
	for (i = 0; i < r->n_extra; i++)
		for (const char *p = r->extra[i]; ; p++) {
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
			if (!*p)
				break;
		}
	snprintf(j->hash, sizeof(j->hash), "%016" PRIx64, h);
	return 0;
}

/* [stress] anywhere in the file makes it a stress job, [timeout-sweep] a timeout sweep. */
static const char *job_kind(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	const char *kind = "revoke";

	if (!f)
		return kind;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "[stress]", 8))
			kind = "stress";
		else if (!strncmp(line, "[timeout-sweep]", 15))
			kind = "timeout-sweep";
	}
	fclose(f);
	return kind;
}

struct sweep_parse {
	struct run_job *j;
	int err;
};

/*
 * p2pbench timeout-sweep reads no job file: its section's keys are its long
 * options (delays = 0,200ms becomes --delays 0,200ms; a flag is key = 1).
 */
static int sweep_key(void *user, const char *section, const char *key, const char *value)
{
	struct sweep_parse *sp = user;
	struct run_job *j = sp->j;
	bool flag = p2pb_timeout_sweep_flag(key);

	if (strcmp(section, "timeout-sweep") || j->n_opts + 2 > 2 * MAX_SWEEP_KEYS || !strcmp(key, "json") ||
	    !strcmp(key, "ktap")) {
		sp->err = p2pb_fail(-EINVAL, "%s: [%s] %s: a timeout-sweep job has one [timeout-sweep] section of "
					     "p2pbench timeout-sweep's long options (not json, ktap)", j->path, section, key);
		return 0;
	}
	/* a flag is given or not; every other key takes its value, "1" included (iterations = 1) */
	if (flag) {
		if (!strcmp(value, "0") || !strcmp(value, "false"))
			return 1;
		if (strcmp(value, "1") && strcmp(value, "true")) {
			sp->err = p2pb_fail(-EINVAL, "%s: [timeout-sweep] %s = %s: a flag is 1 or 0", j->path, key, value);
			return 0;
		}
	}
	if (asprintf(&j->opts[j->n_opts++], "--%s", key) < 0)
		return 0;
	if (!flag)
		j->opts[j->n_opts++] = strdup(value);
	return 1;
}

static int sweep_options(struct run_job *j)
{
	struct sweep_parse sp = { .j = j };
	int rc = ini_parse(j->path, sweep_key, &sp);

	if (sp.err)
		return sp.err;
	return rc ? p2pb_fail(-EINVAL, "%s: line %d is not key = value", j->path, rc) : 0;
}

/* A first guess without history: iterations x cases at about half a second each in the lab. */
static double job_estimate(const struct run_job *j)
{
	struct p2pb_job defaults, *jobs = NULL;
	unsigned int n = 0, i;
	double s = 0;

	if (strcmp(j->kind, "revoke"))
		return NAN;	/* stress: as long as its duration says; a sweep: its matrix; no history: unknown */
	p2pb_job_defaults(&defaults);
	if (p2pb_job_file_parse(j->path, &defaults, &jobs, &n))
		return NAN;
	for (i = 0; i < n; i++)
		s += (jobs[i].iterations + jobs[i].warmup) * 0.5 + 2;
	free(jobs);
	return s;
}

static json_object *index_entry(json_object *index, const char *path)
{
	json_object *jobs = p2pb_jpath(index, "jobs");
	size_t i;

	for (i = 0; jobs && i < p2pb_jlen(jobs); i++)
		if (!strcmp(p2pb_jstr(json_object_array_get_idx(jobs, i), "path", ""), path))
			return json_object_array_get_idx(jobs, i);
	return NULL;
}

/* Durations of complete runs of the same job (same hash) in an earlier index. */
static void history_estimates(struct run *r, const char *dir)
{
	char path[PATH_MAX + 16];
	json_object *idx;
	size_t i;

	snprintf(path, sizeof(path), "%s/index.json", dir);
	idx = json_object_from_file(path);
	if (!idx)
		return;
	for (i = 0; i < r->n_jobs; i++) {
		json_object *e = index_entry(idx, r->jobs[i].path);
		double d = e ? json_object_get_double(p2pb_jpath(e, "duration_s")) : 0;

		if (e && !strcmp(p2pb_jstr(e, "hash", ""), r->jobs[i].hash) && d > 0 &&
		    (!strcmp(p2pb_jstr(e, "status", ""), "done") || !strcmp(p2pb_jstr(e, "status", ""), "failed"))) {
			r->jobs[i].estimate_s = d;
			r->jobs[i].estimate_from_history = true;
		}
	}
	json_object_put(idx);
}

static void fmt_s(double s, char *buf, size_t len)
{
	if (isnan(s))
		snprintf(buf, len, "?");
	else if (s >= 60)
		snprintf(buf, len, "%ldm%02lds", (long)s / 60, (long)s % 60);
	else
		snprintf(buf, len, "%.0fs", s);
}

static void job_command(const struct run *r, const struct run_job *j, char **argv, size_t max, char *json,
			char *ktap)
{
	size_t n = 0, i;

	snprintf(json, RUN_PATH_MAX, "%s/%s/result.json", r->out, j->dir);
	snprintf(ktap, RUN_PATH_MAX, "%s/%s/result.ktap", r->out, j->dir);
	argv[n++] = "p2pbench";
	argv[n++] = (char *)j->kind;
	if (j->n_opts) {
		for (i = 0; i < j->n_opts; i++)
			argv[n++] = j->opts[i];
	} else {
		argv[n++] = "--job";
		argv[n++] = (char *)j->path;
	}
	argv[n++] = "--json";
	argv[n++] = json;
	if (strcmp(j->kind, "stress")) {
		argv[n++] = "--ktap";
		argv[n++] = ktap;
	}
	for (i = 0; i < r->n_extra; i++)
		argv[n++] = r->extra[i];
	argv[n] = NULL;
	(void)max;	/* RUN_ARGV_MAX holds the most options and extra arguments accepted */
}

static json_object *strings_json(char **argv)
{
	json_object *a = json_object_new_array();

	for (; *argv; argv++)
		json_object_array_add(a, json_object_new_string(*argv));
	return a;
}

static void now_iso(char *buf, size_t len)
{
	time_t now = time(NULL);

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

static int index_write(struct run *r)
{
	char path[PATH_MAX + 16], ts[32];

	now_iso(ts, sizeof(ts));
	json_object_object_add(r->index, "updated", json_object_new_string(ts));
	snprintf(path, sizeof(path), "%s/index.json", r->out);
	return p2pb_result_write(r->index, path);
}

static json_object *index_new(const struct run *r)
{
	json_object *idx = json_object_new_object(), *tool = json_object_new_object();
	const char *slash = strrchr(r->out, '/');
	char ts[32];

	json_object_object_add(idx, "schema", json_object_new_string(RUN_INDEX_SCHEMA));
	json_object_object_add(idx, "version", json_object_new_int(1));
	json_object_object_add(idx, "run_id", json_object_new_string(slash ? slash + 1 : r->out));
	json_object_object_add(idx, "host", p2pb_result_host_json());
	json_object_object_add(tool, "version", json_object_new_string(P2PB_VERSION));
	json_object_object_add(tool, "git_revision", json_object_new_string(P2PB_GIT_REVISION));
	json_object_object_add(idx, "p2pbench", tool);
	now_iso(ts, sizeof(ts));
	json_object_object_add(idx, "started", json_object_new_string(ts));
	json_object_object_add(idx, "jobs", json_object_new_array());
	return idx;
}

/* The index of DIR (resumed) or a new one; every job gets its entry. */
static int index_open(struct run *r)
{
	char path[PATH_MAX + 16];
	size_t i;

	snprintf(path, sizeof(path), "%s/index.json", r->out);
	r->index = access(path, F_OK) ? NULL : json_object_from_file(path);
	if (!access(path, F_OK) && (!r->index || strcmp(p2pb_jstr(r->index, "schema", ""), RUN_INDEX_SCHEMA)))
		return p2pb_fail(-EINVAL, "%s is not a p2pbench run index: choose another -o directory", path);
	if (!r->index)
		r->index = index_new(r);
	for (i = 0; i < r->n_jobs; i++) {
		struct run_job *j = &r->jobs[i];
		json_object *e = index_entry(r->index, j->path);

		if (!e) {
			e = json_object_new_object();
			json_object_object_add(e, "path", json_object_new_string(j->path));
			json_object_object_add(e, "status", json_object_new_string("pending"));
			json_object_array_add(p2pb_jpath(r->index, "jobs"), e);
			snprintf(j->dir, sizeof(j->dir), "%02zu-%.60s", p2pb_jlen(p2pb_jpath(r->index, "jobs")),
				 j->name);
			json_object_object_add(e, "dir", json_object_new_string(j->dir));
		} else {
			snprintf(j->dir, sizeof(j->dir), "%s", p2pb_jstr(e, "dir", ""));
		}
		json_object_object_add(e, "name", json_object_new_string(j->name));
		json_object_object_add(e, "kind", json_object_new_string(j->kind));
		j->entry = e;
	}
	return 0;
}

static bool job_complete(const struct run_job *j)
{
	const char *st = p2pb_jstr(j->entry, "status", "");

	return !strcmp(p2pb_jstr(j->entry, "hash", ""), j->hash) && (!strcmp(st, "done") || !strcmp(st, "failed"));
}

static volatile sig_atomic_t run_stop;

static void on_stop(int sig)
{
	run_stop = sig;
}

/*
 * One job as a child process. Ctrl-C reaches it from the terminal; whatever
 * signal stops us (SIGINT from a supervisor, SIGTERM) is passed on as well,
 * once: a second SIGINT is harmless to p2pbench, which only stops gracefully.
 * Exit codes other than 0, 1 and 130 (a signal, a setup error) read as 2.
 */
static int run_child(char **argv, int *exit_code)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int rc, status = 0, forwarded = 0;
	pid_t pid, w;

	*exit_code = 2;
	if (n <= 0)
		return p2pb_fail(-errno, "cannot find the p2pbench binary");
	self[n] = 0;
	rc = posix_spawn(&pid, self, NULL, NULL, argv, environ);
	if (rc)
		return p2pb_fail(-rc, "cannot start %s: %s", self, strerror(rc));
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		if (run_stop && !forwarded++)
			kill(pid, run_stop);
	if (w < 0)
		return p2pb_fail(-errno, "lost the job process: %s", strerror(errno));
	if (WIFEXITED(status))
		*exit_code = WEXITSTATUS(status);
	else
		*exit_code = run_stop ? 130 : 2;
	if (*exit_code != 0 && *exit_code != 1 && *exit_code != 130)
		*exit_code = 2;
	return 0;
}

static const char *status_of(int code)
{
	return code == 0 ? "done" : code == 1 ? "failed" : code == 130 || run_stop ? "interrupted" : "error";
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void dry_run(struct run *r)
{
	char *argv[RUN_ARGV_MAX], json[RUN_PATH_MAX], ktap[RUN_PATH_MAX], est[32];
	double total = 0;
	size_t i, k;

	printf("results: %s/index.json\n", r->out);
	for (i = 0; i < r->n_jobs; i++) {
		struct run_job *j = &r->jobs[i];
		bool skip = !r->rerun && job_complete(j);

		job_command(r, j, argv, sizeof(argv) / sizeof(argv[0]), json, ktap);
		fmt_s(j->estimate_s, est, sizeof(est));
		printf("[%zu/%zu] %s (%s, hash %s): %s, about %s%s\n   ", i + 1, r->n_jobs, j->name, j->kind, j->hash,
		       skip ? "complete, kept" : "would run", est, j->estimate_from_history ? " (history)" : "");
		for (k = 0; argv[k]; k++)
			printf(" %s", argv[k]);
		printf("\n");
		if (!skip && !isnan(j->estimate_s))
			total += j->estimate_s;
	}
	fmt_s(total, est, sizeof(est));
	printf("estimated total: %s\n", est);
}

static int run_jobs(struct run *r)
{
	struct sigaction sa = { .sa_handler = on_stop };
	double t0 = now_s(), left = 0;
	int worst = 0;
	size_t i;

	/* from here on a signal marks the running job interrupted instead of killing us (exec resets it) */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (i = 0; i < r->n_jobs; i++)
		if (r->rerun || !job_complete(&r->jobs[i]))
			left += !isnan(r->jobs[i].estimate_s) ? r->jobs[i].estimate_s : 0;
	for (i = 0; i < r->n_jobs && !run_stop; i++) {
		struct run_job *j = &r->jobs[i];
		char *argv[RUN_ARGV_MAX], json[RUN_PATH_MAX], ktap[RUN_PATH_MAX], dir[PATH_MAX + 96], ts[32], el[32], lt[32];
		double start;
		int code = 2;

		if (!r->rerun && job_complete(j)) {
			printf("run: [%zu/%zu] %s: complete in %s, kept\n", i + 1, r->n_jobs, j->name, r->out);
			worst = worst > json_object_get_int(p2pb_jpath(j->entry, "exit_code")) ? worst :
			       json_object_get_int(p2pb_jpath(j->entry, "exit_code"));
			continue;
		}
		snprintf(dir, sizeof(dir), "%s/%s", r->out, j->dir);
		if (mkdir(dir, 0755) && errno != EEXIST)
			return p2pb_fail(-errno, "cannot create %s: %s", dir, strerror(errno));
		job_command(r, j, argv, sizeof(argv) / sizeof(argv[0]), json, ktap);
		/* an earlier attempt's result must not pass for this one's */
		unlink(json);
		unlink(ktap);
		now_iso(ts, sizeof(ts));
		json_object_object_add(j->entry, "hash", json_object_new_string(j->hash));
		json_object_object_add(j->entry, "command", strings_json(argv));
		json_object_object_add(j->entry, "status", json_object_new_string("running"));
		json_object_object_add(j->entry, "started", json_object_new_string(ts));
		json_object_object_add(j->entry, "result", json_object_new_string("result.json"));
		if (index_write(r))
			return -EIO;
		fmt_s(now_s() - t0, el, sizeof(el));
		fmt_s(left, lt, sizeof(lt));
		printf("run: [%zu/%zu] %s (%s), %s elapsed, about %s of jobs left\n", i + 1, r->n_jobs, j->name, j->kind,
		       el, lt);
		fflush(stdout);
		start = now_s();
		if (run_child(argv, &code))
			fprintf(stderr, "p2pbench run: %s\n", p2pb_error());	/* recorded as an error, the run goes on */
		json_object_object_add(j->entry, "exit_code", json_object_new_int(code));
		snprintf(el, sizeof(el), "%.1f", now_s() - start);
		json_object_object_add(j->entry, "duration_s", json_object_new_double_s(now_s() - start, el));
		json_object_object_add(j->entry, "status", json_object_new_string(status_of(code)));
		if (strcmp(j->kind, "stress"))
			json_object_object_add(j->entry, "ktap", json_object_new_string("result.ktap"));
		if (index_write(r))
			return -EIO;
		printf("run: [%zu/%zu] %s: %s (exit %d)\n", i + 1, r->n_jobs, j->name, status_of(code), code);
		left -= !isnan(j->estimate_s) ? j->estimate_s : 0;
		if (code == 130 || run_stop)
			return 130;
		worst = code > worst ? code : worst;
	}
	return run_stop ? 130 : worst;
}

static int add_job(struct run *r, const char *path)
{
	struct run_job *j;
	const char *base, *dot;

	if (r->n_jobs == MAX_RUN_JOBS)
		return p2pb_fail(-E2BIG, "more than %d jobs", MAX_RUN_JOBS);
	if (access(path, R_OK))
		return p2pb_fail(-errno, "cannot read the job file %s: %s", path, strerror(errno));
	j = &r->jobs[r->n_jobs++];
	memset(j, 0, sizeof(*j));
	/* as given (without a leading ./): a relative path keeps the index valid for the same checkout elsewhere */
	while (!strncmp(path, "./", 2))
		path += 2;
	snprintf(j->path, sizeof(j->path), "%s", path);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	dot = strrchr(base, '.');
	snprintf(j->name, sizeof(j->name), "%.*s", (int)(dot && dot != base ? dot - base : (long)strlen(base)), base);
	j->kind = job_kind(path);
	if (!strcmp(j->kind, "timeout-sweep") && sweep_options(j))
		return -EINVAL;
	j->estimate_s = job_estimate(j);
	if (!strcmp(j->kind, "revoke") && j->estimate_s != j->estimate_s)
		return p2pb_fail(-EINVAL, "%s: %s", path, p2pb_has_error() ? p2pb_error() : "not a job file");
	return job_hash(r, j);
}

/* Options before "--" (ours), the job files, and what follows "--" (every job's); -1: go on, else the exit status. */
static int parse_args(int argc, char **argv, struct run *r, const char **out, int *first_job, int *end)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "dry-run", no_argument, NULL, 'n' },
		{ "rerun", no_argument, NULL, 'R' },	    { "history", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	int opt, i;

	for (*end = argc, i = 1; i < argc && *end == argc; i++)
		if (!strcmp(argv[i], "--"))
			*end = i;
	if (argc - *end - 1 > MAX_EXTRA) {
		fprintf(stderr, "p2pbench run: more than %d arguments after --\n", MAX_EXTRA);
		return 2;
	}
	for (i = *end + 1; i < argc; i++)
		r->extra[r->n_extra++] = argv[i];
	optind = 1;
	while ((opt = getopt_long(*end, argv, "o:nh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': *out = optarg; break;
		case 'n': r->dry_run = true; break;
		case 'R': r->rerun = true; break;
		case 'H': r->history = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == *end) {
		fprintf(stderr, "p2pbench run: give at least one job file (see --help)\n");
		return 2;
	}
	*first_job = optind;
	return -1;
}

/* -o DIR, or results/run-TIME-HOST */
static void output_dir(struct run *r, const char *out)
{
	struct utsname u;
	char ts[32];
	time_t now = time(NULL);

	if (out) {
		snprintf(r->out, sizeof(r->out), "%s", out);
		return;
	}
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", gmtime(&now));
	snprintf(r->out, sizeof(r->out), "results/run-%s-%s", ts, uname(&u) ? "host" : u.nodename);
}

/* The results directory and its index, new or resumed, with the time estimates; 0 or -errno with a message. */
static int prepare(struct run *r)
{
	if (r->history)
		history_estimates(r, r->history);
	if (!r->dry_run && mkdir(r->out, 0755) && errno != EEXIST)
		return p2pb_fail(-errno, "cannot create %s: %s", r->out, strerror(errno));
	if (index_open(r))
		return -EIO;
	history_estimates(r, r->out);	/* a resumed run: its own completed jobs */
	return 0;
}

static void run_free(struct run *r)
{
	size_t i, k;

	if (r->index)
		json_object_put(r->index);
	for (i = 0; i < r->n_jobs; i++)
		for (k = 0; k < r->jobs[i].n_opts; k++)
			free(r->jobs[i].opts[k]);
	free(r);
}

int p2pb_cmd_run(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	const char *out = NULL;
	int i, first_job = 0, end = argc, rc = r ? parse_args(argc, argv, r, &out, &first_job, &end) : 2;

	if (rc >= 0) {
		free(r);
		return rc;
	}
	for (i = first_job; i < end; i++)
		if (add_job(r, argv[i]))
			goto fail;
	output_dir(r, out);
	if (prepare(r))
		goto fail;
	if (r->dry_run) {
		dry_run(r);
		run_free(r);
		return 0;
	}
	rc = run_jobs(r);
	if (rc < 0)
		goto fail;
	printf("run: %s/index.json: %s\n", r->out, rc == 0 ? "every job passed" : rc == 130 ? "interrupted; "
	       "run the same command again to resume" : rc == 1 ? "a job found a failure" : "a job could not run");
	run_free(r);
	return rc;
fail:
	fprintf(stderr, "p2pbench run: %s\n", p2pb_error());
	run_free(r);
	return 2;
}
