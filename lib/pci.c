// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "pci.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYSPCI "/sys/bus/pci/devices"

int p2pb_pci_parse(const char *s, struct p2pb_pci_addr *a, char *out)
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (!s)
		return -EINVAL;
	if (sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return p2pb_fail(-EINVAL, "'%s' is not a PCI address (expected DDDD:BB:DD.F, e.g. 0000:01:00.0)", s);
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return p2pb_fail(-EINVAL, "'%s' is not a PCI address (out of range)", s);
	a->domain = dom;
	a->bus = (uint8_t)bus;
	a->dev = (uint8_t)dev;
	a->fn = (uint8_t)fn;
	if (out)
		snprintf(out, P2PB_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

bool p2pb_pci_exists(const char *bdf)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), SYSPCI "/%s", bdf);
	return access(p, F_OK) == 0;
}

static int link_base(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *b;

	if (n < 0)
		return -errno;
	target[n] = 0;
	b = strrchr(target, '/');
	snprintf(out, len, "%s", b ? b + 1 : target);
	return 0;
}

int p2pb_pci_driver(const char *bdf, char *drv, size_t len)
{
	char p[PATH_MAX];
	int err;

	snprintf(p, sizeof(p), SYSPCI "/%s/driver", bdf);
	err = link_base(p, drv, len);
	if (err == -ENOENT) {
		drv[0] = 0;
		return 0;
	}
	return err;
}

int p2pb_pci_iommu_group(const char *bdf)
{
	char p[PATH_MAX], g[32];
	int err;

	snprintf(p, sizeof(p), SYSPCI "/%s/iommu_group", bdf);
	err = link_base(p, g, sizeof(g));
	if (err)
		return p2pb_fail(err, "%s has no IOMMU group: VFIO needs an IOMMU (boot with intel_iommu=on or amd_iommu=on)", bdf);
	return atoi(g);
}

static int read_hex(const char *path, unsigned int *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%x", v) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

int p2pb_pci_ids(const char *bdf, unsigned int *vendor, unsigned int *device)
{
	char p[PATH_MAX];
	int err;

	snprintf(p, sizeof(p), SYSPCI "/%s/vendor", bdf);
	if ((err = read_hex(p, vendor)))
		return err;
	snprintf(p, sizeof(p), SYSPCI "/%s/device", bdf);
	return read_hex(p, device);
}

int p2pb_pci_find(uint16_t vendor, uint16_t device, char *bdf)
{
	DIR *d = opendir(SYSPCI);
	struct dirent *e;
	char best[P2PB_BDF_LEN] = "";
	unsigned int v, dv;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || p2pb_pci_ids(e->d_name, &v, &dv) || v != vendor || dv != device)
			continue;
		if (strlen(e->d_name) < sizeof(best) && (!best[0] || strcmp(e->d_name, best) < 0))
			memcpy(best, e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	if (!best[0])
		return -ENOENT;
	memcpy(bdf, best, P2PB_BDF_LEN);
	return 0;
}

int p2pb_read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int p2pb_write_file(const char *path, const char *s, bool append)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int write_str(const char *path, const char *s)
{
	return p2pb_write_file(path, s, false);
}

bool p2pb_module_loaded(const char *name)
{
	char p[PATH_MAX], n[64];
	size_t i;

	/* sysfs uses underscores whatever the modprobe spelling */
	snprintf(n, sizeof(n), "%s", name);
	for (i = 0; n[i]; i++)
		if (n[i] == '-')
			n[i] = '_';
	snprintf(p, sizeof(p), "/sys/module/%s", n);
	return access(p, F_OK) == 0;
}

static int run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The loaded modules, newest first (the order of /proc/modules); their number. */
static int loaded_modules(char names[][64], int max)
{
	FILE *f = fopen("/proc/modules", "r");
	char line[512];
	int n = 0;

	while (f && n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s", names[n]) == 1)
			n++;
	if (f)
		fclose(f);
	return n;
}

static bool in_list(char names[][64], int n, const char *name)
{
	while (n-- > 0)
		if (!strcmp(names[n], name))
			return true;
	return false;
}

int p2pb_module_ensure(struct p2pb_restore *r, const char *name)
{
	static char before[1024][64], after[1024][64];
	char *argv[] = { "modprobe", (char *)name, NULL };
	int rc, n_before, n_after, i;

	if (p2pb_module_loaded(name))
		return 0;
	n_before = loaded_modules(before, 1024);
	rc = run_quiet(argv);
	if (rc || !p2pb_module_loaded(name))
		return p2pb_fail(-ENOENT, "module %s is not loaded and 'modprobe %s' failed (exit %d): install it (see README)",
				 name, name, rc);
	/* oldest first: restore unloads from the end, the newest first */
	n_after = loaded_modules(after, 1024);
	for (i = n_after - 1; i >= 0; i--) {
		if (in_list(before, n_before, after[i]))
			continue;
		if (r->n_mod == P2PB_MAX_MODULES)
			return p2pb_fail(-ENOSPC, "too many modules to track");
		snprintf(r->modules[r->n_mod++], sizeof(r->modules[0]), "%s", after[i]);
	}
	return 0;
}

static int probe_into(const char *bdf, const char *driver)
{
	char p[PATH_MAX];
	int err;

	snprintf(p, sizeof(p), SYSPCI "/%s/driver_override", bdf);
	err = write_str(p, driver && *driver ? driver : "\n");
	if (err)
		return err;
	return write_str("/sys/bus/pci/drivers_probe", bdf);
}

static int unbind(const char *bdf, const char *driver)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/unbind", driver);
	return write_str(p, bdf);
}

int p2pb_pci_bind(struct p2pb_restore *r, const char *bdf, const char *driver)
{
	char cur[64];
	int err;

	err = p2pb_pci_driver(bdf, cur, sizeof(cur));
	if (err)
		return p2pb_fail(err, "cannot read the driver of %s: %s", bdf, strerror(-err));
	if (!strcmp(cur, driver))
		return 0;
	if (r->n_bind == P2PB_MAX_RESTORE)
		return p2pb_fail(-ENOSPC, "too many devices to track");
	if (cur[0] && (err = unbind(bdf, cur)))
		return p2pb_fail(err, "cannot unbind %s from %s: %s", bdf, cur, strerror(-err));
	/* remembered before probing so that a failed probe is undone too */
	snprintf(r->bind[r->n_bind].bdf, P2PB_BDF_LEN, "%s", bdf);
	snprintf(r->bind[r->n_bind].orig_driver, sizeof(r->bind[0].orig_driver), "%s", cur);
	r->n_bind++;
	probe_into(bdf, driver);
	err = p2pb_pci_driver(bdf, cur, sizeof(cur));
	if (err || strcmp(cur, driver))
		return p2pb_fail(-EIO, "binding %s to %s failed (now: '%s')", bdf, driver, cur);
	return 0;
}

int p2pb_restore_all(struct p2pb_restore *r)
{
	char cur[64], p[PATH_MAX];
	int first = 0, err;

	while (r->n_bind > 0) {
		struct p2pb_rebound *b = &r->bind[--r->n_bind];

		if (!p2pb_pci_driver(b->bdf, cur, sizeof(cur)) && cur[0] && strcmp(cur, b->orig_driver))
			unbind(b->bdf, cur);
		snprintf(p, sizeof(p), SYSPCI "/%s/driver_override", b->bdf);
		write_str(p, "\n");
		if (b->orig_driver[0]) {
			probe_into(b->bdf, b->orig_driver);
			write_str(p, "\n");
			if (p2pb_pci_driver(b->bdf, cur, sizeof(cur)) || strcmp(cur, b->orig_driver)) {
				if (!first)
					first = p2pb_fail(-EIO, "could not give %s back to %s (now: '%s')",
							  b->bdf, b->orig_driver, cur);
			}
		}
	}
	/* each module we loaded alone (modprobe -r would take dependencies that were there before) */
	while (r->n_mod > 0) {
		const char *name = r->modules[--r->n_mod];

		if (!p2pb_module_loaded(name))
			continue;
		err = syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
		if (err && !first)
			first = p2pb_fail(err, "could not unload module %s: %s", name, strerror(-err));
	}
	return first;
}
