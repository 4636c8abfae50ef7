// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "trace.h"
#include "error.h"
#include "pci.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing/"

/* The same lines as kernel/trace/vfio-dmabuf.kprobes (a unit test checks). */
const char *const p2pb_trace_kprobes[] = {
	"p:p2pbench/move vfio_pci_core:vfio_pci_dma_buf_move revoked=%si:u8 vdev=%di:x64",
	"r:p2pbench/move_ret vfio_pci_core:vfio_pci_dma_buf_move",
	"p:p2pbench/invalidate dma_buf_invalidate_mappings dmabuf=%di:x64 ino=dmabuf->file->f_inode->i_ino:u64",
	"p:p2pbench/unmap vfio_pci_core:vfio_pci_dma_buf_unmap dmabuf=+0(%di):x64",
	NULL,
};

static int put(const char *file, const char *val, bool append)
{
	return p2pb_write_file(file, val, append);
}

void p2pb_trace_kprobes_remove(const char *const *lines)
{
	char line[64];
	size_t i;

	for (i = 0; lines[i]; i++) {
		/* "p:GROUP/NAME ..." goes with "-:GROUP/NAME" */
		const char *name = strchr(lines[i], ':') + 1;

		snprintf(line, sizeof(line), "-:%.*s", (int)strcspn(name, " "), name);
		put(TRACEFS "kprobe_events", line, true);
	}
}

static void remove_kprobes(void)
{
	put(TRACEFS "events/p2pbench/enable", "0", false);
	p2pb_trace_kprobes_remove(p2pb_trace_kprobes);
}

int p2pb_trace_start(struct p2pb_trace *t)
{
	char buf[512], *b, *e;
	FILE *f;
	size_t i;
	int err;

	memset(t, 0, sizeof(*t));
	f = fopen(TRACEFS "trace_clock", "r");
	if (!f)
		return p2pb_fail(-errno, "no tracefs at " TRACEFS " (mount -t tracefs tracefs /sys/kernel/tracing)");
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	b = strchr(buf, '[');
	e = b ? strchr(b, ']') : NULL;
	if (!b || !e || e - b - 1 >= (long)sizeof(t->saved_clock))
		return p2pb_fail(-EIO, "cannot read " TRACEFS "trace_clock");
	snprintf(t->saved_clock, sizeof(t->saved_clock), "%.*s", (int)(e - b - 1), b + 1);
	if ((err = put(TRACEFS "trace_clock", "mono", false)))
		return p2pb_fail(err, "cannot set trace_clock to mono: %s", strerror(-err));
	t->tracepoints = access(TRACEFS "events/vfio_pci_dmabuf/enable", F_OK) == 0;
	if (t->tracepoints) {
		err = put(TRACEFS "events/vfio_pci_dmabuf/enable", "1", false);
	} else {
		remove_kprobes();	/* left over from a run that was killed */
		for (i = 0, err = 0; !err && p2pb_trace_kprobes[i]; i++)
			err = put(TRACEFS "kprobe_events", p2pb_trace_kprobes[i], true);
		if (!err)
			err = put(TRACEFS "events/p2pbench/enable", "1", false);
	}
	if (err) {
		put(TRACEFS "trace_clock", t->saved_clock, false);
		if (!t->tracepoints)
			remove_kprobes();
		return p2pb_fail(err, "cannot arm %s: %s (is vfio_pci_core loaded?)",
				 t->tracepoints ? "the vfio_pci_dmabuf tracepoints" : "kprobes", strerror(-err));
	}
	put(TRACEFS "trace", "", false);	/* empty the buffer */
	put(TRACEFS "tracing_on", "1", false);
	t->on = true;
	return 0;
}

bool p2pb_trace_parse_line(const char *line, uint64_t *ts_ns, char *event, size_t elen, char *args,
			   size_t alen)
{
	unsigned long long sec, usec;
	const char *p, *name, *colon;
	int n = 0;

	if (line[0] == '#')
		return false;
	/* "  task-pid  [cpu] flags  SEC.USEC: event: args" */
	p = strstr(line, "] ");
	if (!p || sscanf(p, "] %*s %llu.%llu: %n", &sec, &usec, &n) != 2 || !n)
		return false;
	name = p + n;
	colon = strchr(name, ':');
	if (!colon || (size_t)(colon - name) >= elen)
		return false;
	snprintf(event, elen, "%.*s", (int)(colon - name), name);
	colon++;
	while (*colon == ' ')
		colon++;
	snprintf(args, alen, "%.*s", (int)strcspn(colon, "\n"), colon);
	*ts_ns = sec * 1000000000ull + usec * 1000ull;
	return true;
}

int p2pb_trace_collect(struct p2pb_trace *t, uint64_t t0, json_object *events)
{
	char line[1024], event[64], args[512];
	uint64_t ts;
	FILE *f;

	if (!t->on)
		return 0;
	f = fopen(TRACEFS "trace", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		json_object *o;

		/* the text trace has µs resolution: keep what falls in t0's µs too */
		if (!p2pb_trace_parse_line(line, &ts, event, sizeof(event), args, sizeof(args)) ||
		    ts + 1000 <= t0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "event", json_object_new_string(event));
		json_object_object_add(o, "t_ns", json_object_new_int64((int64_t)(ts - t0)));
		json_object_object_add(o, "args", json_object_new_string(args));
		json_object_array_add(events, o);
	}
	fclose(f);
	put(TRACEFS "trace", "", false);
	return 0;
}

void p2pb_trace_stop(struct p2pb_trace *t)
{
	if (!t->on)
		return;
	if (t->tracepoints)
		put(TRACEFS "events/vfio_pci_dmabuf/enable", "0", false);
	else
		remove_kprobes();
	put(TRACEFS "trace_clock", t->saved_clock, false);
	t->on = false;
}

/* ---- probe sets ---- */

static void probe_set_path(const struct p2pb_probe_set *p, const char *file, char *path, size_t len)
{
	snprintf(path, len, TRACEFS "instances/%.64s/%.128s", p->instance, file);
}

static void probe_set_remove(struct p2pb_probe_set *p)
{
	char path[384], file[128];

	snprintf(file, sizeof(file), "events/%s/enable", p->group);
	probe_set_path(p, file, path, sizeof(path));
	put(path, "0", false);
	snprintf(path, sizeof(path), TRACEFS "instances/%s", p->instance);
	rmdir(path);
	p2pb_trace_kprobes_remove(p->kprobes);
}

static int probe_set_fail(struct p2pb_probe_set *p, int err, const char **why, const char *what)
{
	*why = what;
	probe_set_remove(p);
	return err;
}

/* Options that shape a trace line: no TGID column, the irq-info and context columns there. */
static const struct {
	const char *file, *value;
} probe_set_options[] = {
	{ "options/record-tgid", "0" }, { "options/irq-info", "1" }, { "options/context-info", "1" },
};

int p2pb_probe_set_start(struct p2pb_probe_set *p, const char **why)
{
	char path[384], file[128];
	size_t i;
	int err;

	p->on = false;
	p->partial_len = 0;
	if (access(TRACEFS "kprobe_events", W_OK))
		return probe_set_fail(p, -errno, why, "no writable " TRACEFS "kprobe_events");
	probe_set_remove(p);	/* left over from a run that was killed */
	for (i = 0; p->kprobes[i]; i++)
		if ((err = put(TRACEFS "kprobe_events", p->kprobes[i], true)))
			return probe_set_fail(p, err, why, "cannot arm the kprobes");
	snprintf(path, sizeof(path), TRACEFS "instances/%s", p->instance);
	if (mkdir(path, 0700) && errno != EEXIST)
		return probe_set_fail(p, -errno, why, "cannot create a tracefs instance");
	snprintf(file, sizeof(file), "events/%s/enable", p->group);
	probe_set_path(p, file, path, sizeof(path));
	if ((err = put(path, "1", false)))
		return probe_set_fail(p, err, why, "cannot enable the kprobes in our tracefs instance");
	probe_set_path(p, "trace_clock", path, sizeof(path));
	if ((err = put(path, "mono", false)))
		return probe_set_fail(p, err, why, "cannot set our tracefs instance's clock");
	/* the line format we parse, whatever the global options the instance copied */
	for (i = 0; i < sizeof(probe_set_options) / sizeof(probe_set_options[0]); i++) {
		probe_set_path(p, probe_set_options[i].file, path, sizeof(path));
		put(path, probe_set_options[i].value, false);
	}
	probe_set_path(p, "tracing_on", path, sizeof(path));
	if ((err = put(path, "1", false)))
		return probe_set_fail(p, err, why, "cannot turn our tracefs instance on");
	probe_set_path(p, "trace_pipe", path, sizeof(path));
	if (access(path, R_OK))
		return probe_set_fail(p, -errno, why, "cannot read our tracefs instance's trace_pipe");
	p->on = true;
	return 0;
}

int p2pb_trace_line_pid(const char *line)
{
	const char *b = strstr(line, " [");
	const char *d;

	if (!b)
		return -1;
	for (d = b; d > line && d[-1] == ' '; d--)
		;
	while (d > line && d[-1] >= '0' && d[-1] <= '9')
		d--;
	return d > line && d[-1] == '-' ? atoi(d) : -1;
}

static void probe_set_line(const char *line, void (*fn)(void *, const struct p2pb_probe_event *), void *ctx)
{
	struct p2pb_probe_event ev = { 0 };

	if (strstr(line, "[LOST ")) {	/* "CPU:N [LOST M EVENTS]" */
		snprintf(ev.name, sizeof(ev.name), "%s", P2PB_PROBE_LOST);
		snprintf(ev.args, sizeof(ev.args), "%.500s", line);
		ev.pid = -1;
		fn(ctx, &ev);
		return;
	}
	if (!p2pb_trace_parse_line(line, &ev.ts_ns, ev.name, sizeof(ev.name), ev.args, sizeof(ev.args)))
		return;
	ev.pid = p2pb_trace_line_pid(line);
	fn(ctx, &ev);
}

void p2pb_probe_set_drain(struct p2pb_probe_set *p, void (*fn)(void *ctx, const struct p2pb_probe_event *ev),
			  void *ctx)
{
	char buf[8192], line[sizeof(p->partial)], path[384];
	ssize_t n;
	char *start, *nl;
	int fd;

	if (!p->on)
		return;
	probe_set_path(p, "trace_pipe", path, sizeof(path));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		for (start = buf; (nl = strchr(start, '\n')); start = nl + 1) {
			snprintf(line, sizeof(line), "%.*s%.*s", (int)p->partial_len, p->partial, (int)(nl - start),
				 start);
			p->partial_len = 0;
			probe_set_line(line, fn, ctx);
		}
		n = (ssize_t)strlen(start);
		if (p->partial_len + (size_t)n < sizeof(p->partial)) {
			memcpy(p->partial + p->partial_len, start, (size_t)n);
			p->partial_len += (size_t)n;
		} else {
			p->partial_len = 0;	/* a line longer than any event: drop it */
		}
	}
	close(fd);
}

void p2pb_probe_set_stop(struct p2pb_probe_set *p)
{
	if (!p->on)
		return;
	probe_set_remove(p);
	p->on = false;
}
