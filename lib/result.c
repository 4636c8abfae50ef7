// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "result.h"
#include "error.h"
#include "pci.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

json_object *p2pb_json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

json_object *p2pb_json_kmsg(const struct p2pb_kmsg_counts *c)
{
	const struct {
		const char *key;
		unsigned int v;
	} n[] = {
		{ "warnings", c->warnings }, { "announced_warnings", c->announced_warnings },
		{ "bugs", c->bugs }, { "refcount", c->refcount }, { "lockdep", c->lockdep },
		{ "kasan", c->kasan }, { "ubsan", c->ubsan }, { "hung_tasks", c->hung_tasks },
		{ "rcu_stalls", c->rcu_stalls }, { "revoke_timeouts", c->revoke_timeouts },
		{ "revoke_still_waiting", c->revoke_still_waiting }, { "dmar_faults", c->dmar_faults },
	};
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		json_object_object_add(o, n[i].key, json_object_new_int((int)n[i].v));
	if (c->first_finding[0])
		json_object_object_add(o, "first_finding", json_object_new_string(c->first_finding));
	return o;
}

/* /proc/version: the release plus who built it, with what, when. */
static void host_add_kernel_version(json_object *host)
{
	char line[512];

	if (!p2pb_read_file("/proc/version", line, sizeof(line)) && line[0])
		json_object_object_add(host, "kernel_version", json_object_new_string(line));
}

/*
 * Inside the virtual lab, scripts/lab describes the machine it booted
 * (P2PB_LAB_MACHINE names the file): how the kernel was built (Debian's
 * package, or from source with a series or a tree) and the emulator with its
 * options. A file that cannot be read leaves the two keys out.
 */
static void host_add_lab_machine(json_object *host)
{
	const char *path = getenv("P2PB_LAB_MACHINE");
	json_object *m, *v;

	if (!path || !*path || !(m = json_object_from_file(path)))
		return;
	if (json_object_object_get_ex(m, "kernel", &v))
		json_object_object_add(host, "kernel_build", json_object_get(v));
	if (json_object_object_get_ex(m, "emulator", &v))
		json_object_object_add(host, "emulator", json_object_get(v));
	json_object_put(m);
}

json_object *p2pb_result_host_json(void)
{
	json_object *host = json_object_new_object();
	struct utsname u;

	if (!uname(&u)) {
		json_object_object_add(host, "kernel", json_object_new_string(u.release));
		json_object_object_add(host, "machine", json_object_new_string(u.machine));
		/* fleets compare the same job across machines by this name */
		json_object_object_add(host, "name", json_object_new_string(u.nodename));
	}
	json_object_object_add(host, "lab", json_object_new_boolean(getenv("P2PB_LAB") != NULL));
	host_add_kernel_version(host);
	host_add_lab_machine(host);
	return host;
}

json_object *p2pb_result_new(const char *subcommand, int argc, char **argv)
{
	json_object *doc = json_object_new_object(), *tool, *cmd;
	char ts[64];
	time_t now = time(NULL);
	int i;

	json_object_object_add(doc, "schema", json_object_new_string(P2PB_RESULT_SCHEMA));
	json_object_object_add(doc, "schema_version", json_object_new_int(P2PB_RESULT_VERSION));
	tool = json_object_new_object();
	json_object_object_add(tool, "name", json_object_new_string("p2pbench"));
	json_object_object_add(tool, "version", json_object_new_string(P2PB_VERSION));
	json_object_object_add(tool, "subcommand", json_object_new_string(subcommand));
	json_object_object_add(doc, "tool", tool);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_object_object_add(doc, "started", json_object_new_string(ts));
	cmd = json_object_new_array();
	for (i = 0; i < argc; i++)
		json_object_array_add(cmd, json_object_new_string(argv[i]));
	json_object_object_add(doc, "command", cmd);
	json_object_object_add(doc, "host", p2pb_result_host_json());
	return doc;
}

json_object *p2pb_json_summary(const struct p2pb_hist *h)
{
	static const struct { const char *key; double q; } qs[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p99.9", 99.9 },
	};
	json_object *o = json_object_new_object();
	size_t i;

	json_object_object_add(o, "count", p2pb_json_u64(h->count));
	if (!h->count)
		return o;
	json_object_object_add(o, "min", p2pb_json_u64(h->min));
	json_object_object_add(o, "mean", p2pb_json_u64((uint64_t)p2pb_hist_mean(h)));
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		json_object_object_add(o, qs[i].key, p2pb_json_u64(p2pb_hist_percentile(h, qs[i].q)));
	json_object_object_add(o, "max", p2pb_json_u64(h->max));
	return o;
}

int p2pb_result_write(json_object *doc, const char *path)
{
	char tmp[4096];
	FILE *f;
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!strcmp(path, "-")) {
		puts(s);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return p2pb_fail(-errno, "cannot write %s: %s", path, strerror(errno));
	if (fputs(s, f) < 0 || fputc('\n', f) < 0 || fclose(f)) {
		unlink(tmp);
		return p2pb_fail(-EIO, "cannot write %s", path);
	}
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return p2pb_fail(err, "cannot write %s: %s", path, strerror(-err));
	}
	return 0;
}

int p2pb_ktap_open(struct p2pb_ktap *k, const char *path, int planned)
{
	k->n = 0;
	k->f = !strcmp(path, "-") ? stdout : fopen(path, "w");
	if (!k->f)
		return p2pb_fail(-errno, "cannot write %s: %s", path, strerror(errno));
	fprintf(k->f, "KTAP version 1\n1..%d\n", planned);
	return 0;
}

void p2pb_ktap_result(struct p2pb_ktap *k, enum p2pb_ktap_status st, const char *desc, const char *reason)
{
	if (!k->f)
		return;
	k->n++;
	if (st == P2PB_KTAP_SKIP)
		fprintf(k->f, "ok %d %s # SKIP %s\n", k->n, desc, reason ? reason : "");
	else
		fprintf(k->f, "%s %d %s\n", st == P2PB_KTAP_OK ? "ok" : "not ok", k->n, desc);
	if (st == P2PB_KTAP_FAIL && reason)
		fprintf(k->f, "# %s: %s\n", desc, reason);
	fflush(k->f);
}

void p2pb_ktap_diag(struct p2pb_ktap *k, const char *fmt, ...)
{
	va_list ap;

	if (!k->f)
		return;
	fputs("# ", k->f);
	va_start(ap, fmt);
	vfprintf(k->f, fmt, ap);
	va_end(ap);
	fputc('\n', k->f);
}

void p2pb_ktap_close(struct p2pb_ktap *k)
{
	if (k->f && k->f != stdout)
		fclose(k->f);
	k->f = NULL;
}
