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
#include <unistd.h>

#define GROUP "p2pbstate"

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

int p2pb_exporter_watch_start(struct p2pb_exporter_watch *w)
{
	const char *why = "";
	int err;

	memset(w, 0, sizeof(*w));
	w->probes = (struct p2pb_probe_set){
		.instance = "p2pbench-state", .group = GROUP, .kprobes = p2pb_exporter_watch_kprobes,
	};
	err = p2pb_probe_set_start(&w->probes, &why);
	if (err) {
		snprintf(w->why_off, sizeof(w->why_off), "%s: %s", why, strerror(-err));
		return err;
	}
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

struct gone_search {
	const struct p2pb_pci_addr *fn;
	uint64_t from, to;
	struct p2pb_memory_gone *g;
	bool found;
};

static void gone_event(void *ctx, const struct p2pb_probe_event *ev)
{
	struct gone_search *s = ctx;
	char what[64];

	/* µs resolution: an event in from's µs may be a little before it */
	if (s->found || ev->ts_ns + 1000 <= s->from || ev->ts_ns > s->to ||
	    !p2pb_exporter_watch_gone(ev->name, ev->args, s->fn, what, sizeof(what)))
		return;
	s->g->ts_ns = ev->ts_ns;
	snprintf(s->g->what, sizeof(s->g->what), "%s", what);
	s->found = true;
}

bool p2pb_exporter_watch_first_gone(struct p2pb_exporter_watch *w, const struct p2pb_pci_addr *fn,
				    uint64_t from, uint64_t to, struct p2pb_memory_gone *g)
{
	struct gone_search s = { .fn = fn, .from = from, .to = to, .g = g };

	if (w->on)
		p2pb_probe_set_drain(&w->probes, gone_event, &s);
	return s.found;
}

void p2pb_exporter_watch_stop(struct p2pb_exporter_watch *w)
{
	if (!w->on)
		return;
	p2pb_probe_set_stop(&w->probes);
	w->on = false;
}
