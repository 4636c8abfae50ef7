// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "trigger.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <linux/pci_regs.h>
#include <string.h>

/* The PCI triggers drive the vfio-pci device behind the exporter's ranges. */
static int vfio_only(struct p2pb_exporter *x)
{
	if (!p2pb_exporter_vfio_dev(x))
		return p2pb_fail(-EINVAL, "this trigger needs a vfio-pci device, not '%s'", x->name);
	return 0;
}

static int set_command_memory(struct p2pb_vfio_dev *d, bool on)
{
	uint16_t cmd;
	int err = p2pb_vfio_cfg_read(d, PCI_COMMAND, &cmd, 2);

	if (err)
		return err;
	cmd = on ? (cmd | PCI_COMMAND_MEMORY) : (cmd & ~PCI_COMMAND_MEMORY);
	return p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, 2);
}

static int mem_off(struct p2pb_exporter *x)
{
	return set_command_memory(p2pb_exporter_vfio_dev(x), false);
}

static int mem_on(struct p2pb_exporter *x)
{
	return set_command_memory(p2pb_exporter_vfio_dev(x), true);
}

static int d3hot_check(struct p2pb_exporter *x)
{
	struct p2pb_vfio_dev *d = p2pb_exporter_vfio_dev(x);

	if (vfio_only(x))
		return -EINVAL;
	if (!p2pb_vfio_find_cap(d, PCI_CAP_ID_PM))
		return p2pb_fail(-EOPNOTSUPP, "%s has no PCI power management capability", d->bdf);
	return 0;
}

static int set_power_state(struct p2pb_vfio_dev *d, uint16_t state)
{
	uint32_t pm = p2pb_vfio_find_cap(d, PCI_CAP_ID_PM);
	uint16_t pmcsr;
	int err;

	if (!pm)
		return -EOPNOTSUPP;
	err = p2pb_vfio_cfg_read(d, pm + PCI_PM_CTRL, &pmcsr, 2);
	if (err)
		return err;
	pmcsr = (uint16_t)((pmcsr & ~PCI_PM_CTRL_STATE_MASK) | state);
	return p2pb_vfio_cfg_write(d, pm + PCI_PM_CTRL, &pmcsr, 2);
}

static int d3hot_enter(struct p2pb_exporter *x)
{
	return set_power_state(p2pb_exporter_vfio_dev(x), 3);
}

static int d3hot_exit(struct p2pb_exporter *x)
{
	return set_power_state(p2pb_exporter_vfio_dev(x), 0);
}

/* VFIO_DEVICE_RESET revokes, resets and un-revokes in one ioctl. */
static int flr(struct p2pb_exporter *x)
{
	return p2pb_vfio_reset(p2pb_exporter_vfio_dev(x));
}

static int low_power_enter(struct p2pb_exporter *x)
{
	return p2pb_vfio_low_power(p2pb_exporter_vfio_dev(x), true);
}

static int low_power_exit(struct p2pb_exporter *x)
{
	return p2pb_vfio_low_power(p2pb_exporter_vfio_dev(x), false);
}

static int hot_reset(struct p2pb_exporter *x)
{
	return p2pb_vfio_hot_reset(p2pb_exporter_vfio_dev(x));
}

static int close_device(struct p2pb_exporter *x)
{
	p2pb_vfio_close_device(p2pb_exporter_vfio_dev(x));
	return 0;
}

static int reopen_device(struct p2pb_exporter *x)
{
	return p2pb_vfio_open_device(p2pb_exporter_vfio_dev(x));
}

static const struct p2pb_trigger_ops trig_flr = {
	.name = "flr",
	.help = "VFIO_DEVICE_RESET (function reset); un-revokes by itself",
	.check = vfio_only,	/* the ioctl itself says when the function cannot reset */
	.revoke = flr,
};

static const struct p2pb_trigger_ops trig_mem_off = {
	.name = "mem-off",
	.help = "clear PCI_COMMAND memory enable through the config region; restore sets it",
	.check = vfio_only,
	.revoke = mem_off,
	.restore = mem_on,
};

static const struct p2pb_trigger_ops trig_d3hot = {
	.name = "d3hot",
	.help = "PMCSR power state D3hot through the config region; restore writes D0",
	.check = d3hot_check,
	.revoke = d3hot_enter,
	.restore = d3hot_exit,
};

static const struct p2pb_trigger_ops trig_low_power = {
	.name = "low-power",
	.help = "VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY; restore is LOW_POWER_EXIT",
	.check = vfio_only,
	.revoke = low_power_enter,
	.restore = low_power_exit,
};

static const struct p2pb_trigger_ops trig_hot_reset = {
	.name = "hot-reset",
	.help = "VFIO_DEVICE_PCI_HOT_RESET (secondary bus reset); un-revokes by itself",
	.check = vfio_only,
	.revoke = hot_reset,
};

static const struct p2pb_trigger_ops trig_close = {
	.name = "close",
	.help = "close the last VFIO device fd: permanent revoke; restore reopens and re-exports",
	.check = vfio_only,
	.revoke = close_device,
	.restore = reopen_device,
	.permanent = true,
};

/* An exporter no device trigger reaches revokes by its own means. */
static int sim_check(struct p2pb_exporter *x)
{
	if (!x->ops->revoke)
		return p2pb_fail(-EINVAL, "the sim trigger needs the sim exporter (device sim), not '%s'", x->name);
	return 0;
}

static int sim_revoke(struct p2pb_exporter *x)
{
	return x->ops->revoke(x, true);
}

static int sim_restore(struct p2pb_exporter *x)
{
	return x->ops->revoke(x, false);
}

static const struct p2pb_trigger_ops trig_sim = {
	.name = "sim",
	.help = "the sim exporter's revoke, for unit tests without hardware; restore un-revokes",
	.check = sim_check,
	.revoke = sim_revoke,
	.restore = sim_restore,
	.for_tests = true,
};

const struct p2pb_trigger_ops *const p2pb_triggers[] = {
	&trig_flr, &trig_mem_off, &trig_d3hot, &trig_low_power, &trig_hot_reset, &trig_close, &trig_sim, NULL,
};

/* The trigger named by the @len characters at @name; NULL if none (or one for tests, with P2PB_TRIGGERS_REAL). */
static const struct p2pb_trigger_ops *find_named(const char *name, size_t len, unsigned int flags)
{
	unsigned int i;

	for (i = 0; p2pb_triggers[i]; i++)
		if (strlen(p2pb_triggers[i]->name) == len && !strncmp(p2pb_triggers[i]->name, name, len) &&
		    !(p2pb_triggers[i]->for_tests && (flags & P2PB_TRIGGERS_REAL)))
			return p2pb_triggers[i];
	return NULL;
}

const struct p2pb_trigger_ops *p2pb_trigger_find(const char *name)
{
	return find_named(name, strlen(name), 0);
}

const char *p2pb_trigger_all(void)
{
	static char all[128];
	unsigned int i;

	if (all[0])
		return all;
	for (i = 0; p2pb_triggers[i]; i++)
		if (!p2pb_triggers[i]->for_tests)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", all[0] ? "," : "",
				 p2pb_triggers[i]->name);
	return all;
}

/* "unknown trigger 'X'; expected one of flr mem-off ..., a comma list, or 'all' (flr,...)": what is known. */
static int unknown_trigger(const char *name, size_t len, unsigned int flags, unsigned int max)
{
	char known[256] = "", all[160] = "";
	unsigned int i;

	for (i = 0; p2pb_triggers[i]; i++)
		if (!(p2pb_triggers[i]->for_tests && (flags & P2PB_TRIGGERS_REAL)))
			snprintf(known + strlen(known), sizeof(known) - strlen(known), " %s", p2pb_triggers[i]->name);
	if (flags & P2PB_TRIGGERS_ALL)
		snprintf(all, sizeof(all), "%s or 'all' (%s)", max > 1 ? ", a comma list," : ",", p2pb_trigger_all());
	else if (max > 1)
		snprintf(all, sizeof(all), ", or a comma list of them");
	return p2pb_fail(-EINVAL, "unknown trigger '%.*s'; expected one of%s%s", (int)len, name, known, all);
}

int p2pb_trigger_list(const char *list, unsigned int flags, const struct p2pb_trigger_ops **out, unsigned int max,
		      unsigned int *n)
{
	const char *name, *end;

	if ((flags & P2PB_TRIGGERS_ALL) && !strcmp(list, "all"))
		list = p2pb_trigger_all();
	*n = 0;
	/* empty names between commas are skipped, as strtok would */
	for (name = list; *name; name = *end ? end + 1 : end) {
		end = name + strcspn(name, ",");
		if (end == name)
			continue;
		if (*n == max)
			return p2pb_fail(-EINVAL, "at most %u trigger%s", max, max == 1 ? "" : "s");
		out[*n] = find_named(name, (size_t)(end - name), flags);
		if (!out[*n])
			return unknown_trigger(name, (size_t)(end - name), flags, max);
		(*n)++;
	}
	return *n ? 0 : p2pb_fail(-EINVAL, "no trigger in the list");
}
