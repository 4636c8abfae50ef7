// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "exporter_watch.h"
#include "pci.h"
#include "trace.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing/"
#define GROUP "p2pbstate"
#define INSTANCE TRACEFS "instances/p2pbench-state/"

/*
 * The same lines as kernel/trace/exporter-state.kprobes (a unit test
 * checks). Arguments by their BTF names; every function is in vmlinux.
 */
const char *const p2pb_exporter_watch_kprobes[] = {
	"p:" GROUP "/reset __pci_reset_function_locked bus=dev->bus->number:u8 devfn=dev->devfn:u32",
	"p:" GROUP "/bus_reset pci_reset_bus bus=pdev->bus->number:u8 devfn=pdev->devfn:u32",
	"p:" GROUP "/power pci_set_power_state bus=dev->bus->number:u8 devfn=dev->devfn:u32 state=state:s32",
	"p:" GROUP "/power_locked pci_set_power_state_locked bus=dev->bus->number:u8 devfn=dev->devfn:u32 "
	"state=state:s32",
	"p:" GROUP "/cfg_byte pci_user_write_config_byte bus=dev->bus->number:u8 devfn=dev->devfn:u32 pos=pos:s32 "
	"val=val:u32",
	"p:" GROUP "/cfg_word pci_user_write_config_word bus=dev->bus->number:u8 devfn=dev->devfn:u32 pos=pos:s32 "
	"val=val:u32",
	"p:" GROUP "/cfg_dword pci_user_write_config_dword bus=dev->bus->number:u8 devfn=dev->devfn:u32 "
	"pos=pos:s32 val=val:u32",
	NULL,
};

static void remove_all(void)
{
	p2pb_write_file(INSTANCE "events/" GROUP "/enable", "0", false);
	rmdir(INSTANCE);
	p2pb_trace_kprobes_remove(p2pb_exporter_watch_kprobes);
}

static int off(struct p2pb_exporter_watch *w, int err, const char *why)
{
	snprintf(w->why_off, sizeof(w->why_off), "%s: %s", why, strerror(-err));
	remove_all();
	return err;
}

int p2pb_exporter_watch_start(struct p2pb_exporter_watch *w)
{
	size_t i;
	int err;

	memset(w, 0, sizeof(*w));
	if (access(TRACEFS "kprobe_events", W_OK))
		return off(w, -errno, "no writable " TRACEFS "kprobe_events");
	remove_all();	/* left over from a run that was killed */
	for (i = 0; p2pb_exporter_watch_kprobes[i]; i++)
		if ((err = p2pb_write_file(TRACEFS "kprobe_events", p2pb_exporter_watch_kprobes[i], true)))
			return off(w, err, "cannot arm the exporter-state kprobes");
	if (mkdir(INSTANCE, 0700) && errno != EEXIST)
		return off(w, -errno, "cannot create the tracefs instance " INSTANCE);
	if ((err = p2pb_write_file(INSTANCE "trace_clock", "mono", false)) ||
	    (err = p2pb_write_file(INSTANCE "events/" GROUP "/enable", "1", false)) ||
	    (err = p2pb_write_file(INSTANCE "tracing_on", "1", false)))
		return off(w, err, "cannot enable the exporter-state kprobes in " INSTANCE);
	w->on = true;
	return 0;
}

static bool arg_u(const char *args, const char *key, long long *v)
{
	char k[24];
	const char *p;

	snprintf(k, sizeof(k), "%s=", key);
	for (p = strstr(args, k); p && p != args && p[-1] != ' '; p = strstr(p + 1, k))
		;
	if (!p)
		return false;
	*v = strtoll(p + strlen(k), NULL, 0);
	return true;
}

bool p2pb_exporter_watch_gone(const char *name, const char *args, const struct p2pb_pci_addr *fn, char *what,
			      size_t len)
{
	static const char *const dstate[] = { "D0", "D1", "D2", "D3hot", "D3cold" };
	long long bus, devfn, v, pos;

	if (!arg_u(args, "bus", &bus) || !arg_u(args, "devfn", &devfn) || bus != fn->bus)
		return false;
	if (!strcmp(name, "bus_reset")) {
		snprintf(what, len, "a reset of bus %02llx", bus);
		return true;
	}
	if (devfn != p2pb_pci_devfn(fn))
		return false;
	if (!strcmp(name, "reset")) {
		snprintf(what, len, "a function reset");
		return true;
	}
	if (!strncmp(name, "power", 5) && arg_u(args, "state", &v) && v > 0) {
		snprintf(what, len, "power state %s", v < 5 ? dstate[v] : "unknown");
		return true;
	}
	if (strncmp(name, "cfg_", 4) || !arg_u(args, "pos", &pos) || !arg_u(args, "val", &v))
		return false;
	/* byte, word or dword: a write at PCI_COMMAND covers its memory enable bit */
	if (pos == PCI_COMMAND && !(v & PCI_COMMAND_MEMORY)) {
		snprintf(what, len, "a PCI_COMMAND write of 0x%04llx (memory disabled)", v & 0xffff);
		return true;
	}
	return false;
}

bool p2pb_exporter_watch_first_gone(struct p2pb_exporter_watch *w, const struct p2pb_pci_addr *fn,
				    uint64_t from, uint64_t to, struct p2pb_memory_gone *g)
{
	char line[1024], event[64], args[512], what[64];
	bool found = false;
	uint64_t ts;
	FILE *f;

	if (!w->on || !(f = fopen(INSTANCE "trace", "r")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (found || !p2pb_trace_parse_line(line, &ts, event, sizeof(event), args, sizeof(args)))
			continue;
		/* µs resolution: an event in from's µs may be a little before it */
		if (ts + 1000 <= from || ts > to || !p2pb_exporter_watch_gone(event, args, fn, what, sizeof(what)))
			continue;
		g->ts_ns = ts;
		snprintf(g->what, sizeof(g->what), "%s", what);
		found = true;
	}
	fclose(f);
	p2pb_write_file(INSTANCE "trace", "", false);
	return found;
}

void p2pb_exporter_watch_stop(struct p2pb_exporter_watch *w)
{
	if (!w->on)
		return;
	remove_all();
	w->on = false;
}
