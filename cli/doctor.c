// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench doctor: what works on this machine, one line each with the
 * reason: the kernel and its VFIO dma-buf export, the IOMMU, ACS, the
 * devices that can export, the RDMA devices and whether their drivers import
 * VFIO dma-bufs, the P2P route of each exporter/importer pair (the kernel's
 * own rules), the importer module and the patched vfio-pci.
 */
#define _GNU_SOURCE
#include "commands.h"

#include "error.h"
#include "pci.h"
#include "result.h"
#include "topo.h"
#include "vfio.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

enum verdict { V_OK, V_NO, V_WARN, V_INFO };
static const char *const verdict_names[] = { "ok", "no", "warn", "info" };

#define MAX_DEVS 64
#define MAX_PAIRS 32

struct doctor {
	json_object *checks;
	bool quiet;
	char exporters[MAX_DEVS][P2PB_BDF_LEN], importers[MAX_DEVS][P2PB_BDF_LEN];
	char importer_what[MAX_DEVS][48];
	unsigned int n_exp, n_imp;
};

/* One finding: a line on the terminal, an object in the JSON. */
__attribute__((format(printf, 4, 5)))
static void say(struct doctor *d, enum verdict v, const char *what, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!d->quiet)
		printf("[%-4s] %-28s %s\n", verdict_names[v], what, text);
	json_object_object_add(o, "check", json_object_new_string(what));
	json_object_object_add(o, "verdict", json_object_new_string(verdict_names[v]));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_array_add(d->checks, o);
}

/* CONFIG_NAME of the running kernel: 'y', 'm', 'n' (not set) or 0 (no config to read). */
static char kconfig(const char *name)
{
	struct utsname u;
	char path[PATH_MAX], line[256];
	size_t len = strlen(name);
	char v = 0;
	FILE *f;
	int i;

	uname(&u);
	for (i = 0; i < 3 && !v; i++) {
		snprintf(path, sizeof(path), i == 0 ? "/boot/config-%s" : i == 1 ? "/lib/modules/%s/config" :
			 "/usr/lib/modules/%s/config", u.release);
		if (!(f = fopen(path, "r")))
			continue;
		v = 'n';
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, name, len) && line[len] == '=')
				v = line[len + 1];
		fclose(f);
	}
	return v;
}

/* A line of @file (under /lib/modules/RELEASE when @per_release) contains @text. */
static bool file_has(const char *file, bool per_release, const char *text)
{
	struct utsname u;
	char path[PATH_MAX], line[1024];
	bool found = false;
	FILE *f;

	uname(&u);
	if (per_release)
		snprintf(path, sizeof(path), "/lib/modules/%s/%s", u.release, file);
	else
		snprintf(path, sizeof(path), "%s", file);
	if (!(f = fopen(path, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

/* iommufd and what comes with it: the VFIO cdev, the kernel's own selftest hooks. */
static void check_iommufd(struct doctor *d, char iommufd)
{
	char cdev = kconfig("CONFIG_VFIO_DEVICE_CDEV"), selftest = kconfig("CONFIG_IOMMUFD_TEST");

	if (iommufd == 'y' || iommufd == 'm')
		say(d, V_INFO, "iommufd", "present (CONFIG_IOMMUFD=%c, /dev/iommu %s): iommufd imports VFIO "
		    "dma-bufs (IOMMU_IOAS_MAP_FILE)%s", iommufd, access("/dev/iommu", F_OK) ? "missing" : "there",
		    selftest == 'y' ? "; IOMMUFD_TEST is on (tools/testing/selftests/iommu can run)" : "");
	else
		say(d, V_INFO, "iommufd", iommufd ? "not in this kernel: p2pbench uses the VFIO group/container API" :
		    "unknown (no kernel config): p2pbench uses the VFIO group/container API");
	if (cdev == 'y')
		say(d, V_INFO, "vfio cdev", "present (CONFIG_VFIO_DEVICE_CDEV=y): a device on vfio-pci is also "
		    "/dev/vfio/devices/vfioN, bound to an iommufd");
	else if (cdev)
		say(d, V_INFO, "vfio cdev", "not in this kernel: devices are opened through their VFIO group");
}

static void check_kernel(struct doctor *d)
{
	struct utsname u;
	char dmabuf = kconfig("CONFIG_VFIO_PCI_DMABUF"), iommufd = kconfig("CONFIG_IOMMUFD");

	uname(&u);
	say(d, V_INFO, "kernel", "Linux %s (%s)", u.release, u.machine);
	if (dmabuf == 'y')
		say(d, V_OK, "vfio dma-buf export", "CONFIG_VFIO_PCI_DMABUF=y: vfio-pci exports BAR ranges as dma-bufs");
	else if (dmabuf)
		say(d, V_NO, "vfio dma-buf export", "CONFIG_VFIO_PCI_DMABUF is not set: this kernel cannot export BARs "
		    "as dma-bufs (Linux 7.x with it is needed; the lab uses Debian's 7.3.4)");
	/* without a config: the export's own symbols, in the running kernel or its modules */
	else if (file_has("/proc/kallsyms", false, " vfio_pci_core_feature_dma_buf") ||
		 file_has("modules.symbols", true, "symbol:vfio_pci_dma_buf_iommufd_map "))
		say(d, V_OK, "vfio dma-buf export", "vfio_pci_core has the dma-buf export (its symbols are there; "
		    "no kernel config to read)");
	else
		say(d, V_WARN, "vfio dma-buf export", "no kernel config to read (/boot/config-*): unknown; a device on "
		    "vfio-pci tells for sure (p2pbench check)");
	check_iommufd(d, iommufd);
}

static void check_iommu(struct doctor *d)
{
	char units[256] = "", type[32] = "", cmdline[1024] = "";
	struct dirent *e;
	DIR *dir = opendir("/sys/class/iommu");
	unsigned int n = 0;

	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.' && n++ < 8)
			snprintf(units + strlen(units), sizeof(units) - strlen(units), "%s%.24s", n > 1 ? ", " : "",
				 e->d_name);
	if (dir)
		closedir(dir);
	if (!n) {
		say(d, V_NO, "iommu", "no IOMMU: vfio-pci needs one (boot with intel_iommu=on or amd_iommu=on)");
		return;
	}
	p2pb_read_file("/sys/kernel/iommu_groups/0/type", type, sizeof(type));
	p2pb_read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	say(d, !strcmp(type, "identity") ? V_WARN : V_OK, "iommu", "on (%s); default domain %s%s%s", units,
	    type[0] ? type : "unknown", strstr(cmdline, "iommu.strict=1") ? ", strict invalidation" : "",
	    !strcmp(type, "identity") ? ": devices DMA untranslated, a revoke no longer stops a stale IOVA" : "");
}

/* ACS redirect on any function sends peer requests up to the root complex (root reads it). */
static void check_acs(struct doctor *d)
{
	char list[256] = "";
	struct p2pb_pci_hop h;
	struct dirent *e;
	DIR *dir = opendir("/sys/bus/pci/devices");
	unsigned int n = 0, seen = 0;

	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.' || p2pb_pci_hop_read("/sys", e->d_name, &h))
			continue;
		seen++;
		if (h.acs_redirect && n++ < 8)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", n > 1 ? " " : "", h.bdf);
	}
	if (dir)
		closedir(dir);
	if (geteuid())
		say(d, V_WARN, "acs", "not root: the extended config space (ACS) is unreadable");
	else if (!n)
		say(d, V_OK, "acs", "no function of %u redirects peer requests: P2P under a switch uses bus addresses",
		    seen);
	else
		say(d, V_INFO, "acs", "%u function(s) redirect peer requests to the root complex: %s%s (pci=disable_acs_redir= "
		    "lifts it)", n, list, n > 8 ? " ..." : "");
}

static uint64_t bar_sizes(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX], line[128];
	unsigned long long start, end, flags;
	uint64_t total = 0;
	int bar = 0, pos = 0;
	FILE *f;

	out[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	if (!(f = fopen(path, "r")))
		return 0;
	for (bar = 0; bar < 6 && fgets(line, sizeof(line), f); bar++) {
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 || !end || !(flags & 0x200))
			continue;	/* unset, or not memory (IORESOURCE_MEM) */
		total += end - start + 1;
		pos += snprintf(out + pos, pos < (int)len ? len - pos : 0, "%sBAR%d %llu KiB", pos ? ", " : "", bar,
				(end - start + 1) >> 10);
	}
	fclose(f);
	return total;
}

static void add_dev(char (*list)[P2PB_BDF_LEN], unsigned int *n, const char *bdf)
{
	if (*n < MAX_DEVS)
		snprintf(list[(*n)++], P2PB_BDF_LEN, "%.12s", bdf);
}

/* Functions that can export (on vfio-pci) or could (NVMe controllers: a CMB is a BAR to export). */
static void check_exporters(struct doctor *d)
{
	char path[PATH_MAX], cls[16], drv[64], bars[256], p2pmem[32];
	struct dirent *e;
	DIR *dir = opendir("/sys/bus/pci/devices");
	bool nvme;

	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", e->d_name);
		if (p2pb_read_file(path, cls, sizeof(cls)))
			continue;
		p2pb_pci_driver(e->d_name, drv, sizeof(drv));
		nvme = !strncmp(cls, "0x0108", 6);
		if (strcmp(drv, "vfio-pci") && !nvme)
			continue;
		if (!bar_sizes(e->d_name, bars, sizeof(bars)))
			continue;
		add_dev(d->exporters, &d->n_exp, e->d_name);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/size", e->d_name);
		if (p2pb_read_file(path, p2pmem, sizeof(p2pmem)))
			p2pmem[0] = 0;
		say(d, strcmp(drv, "vfio-pci") ? V_INFO : V_OK, "exporter", "%s %s: %s; %s%s%s", e->d_name,
		    nvme ? "NVMe" : "", bars, !strcmp(drv, "vfio-pci") ? "on vfio-pci, can export" :
		    drv[0] ? "on " : "unbound", strcmp(drv, "vfio-pci") && drv[0] ? drv : "",
		    strcmp(drv, "vfio-pci") ? " (p2pbench --bind moves it to vfio-pci for a run)" :
		    p2pmem[0] ? "; CMB published as p2pmem" : "");
	}
	if (dir)
		closedir(dir);
	if (!d->n_exp)
		say(d, V_NO, "exporter", "no function on vfio-pci and no NVMe controller: nothing to export");
}

/* What a driver does with a VFIO dma-buf MR (docs/rdma.md, the import table). */
static enum verdict rdma_import(const char *driver, const char **how)
{
	static const struct { const char *driver; enum verdict v; const char *how; } known[] = {
		{ "mlx5_core", V_OK, "dynamic import (MTT mode): the NIC's page fault maps again after a revoke" },
		{ "irdma", V_OK, "revocable import: a revoke is for good, the MR is registered again (rereg)" },
		{ "bnxt_en", V_NO, "pinned import: vfio-pci refuses it (no invalidate_mappings)" },
		{ "efa", V_NO, "pinned import: vfio-pci refuses it" },
		{ "mana", V_NO, "pinned import: vfio-pci refuses it" },
		{ "ionic", V_NO, "pinned import: vfio-pci refuses it" },
		{ "rdma_rxe", V_NO, "cannot import: rxe has no dma-buf MR support (and no PCI function)" },
		{ "siw", V_NO, "cannot import: siw has no dma-buf MR support" },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(driver, known[i].driver)) {
			*how = known[i].how;
			return known[i].v;
		}
	*how = "unknown driver: p2pbench rdma --mem vfio:BDF finds out (exit 4: refused)";
	return V_WARN;
}

static void check_rdma(struct doctor *d)
{
	char path[PATH_MAX], driver[32], state[32], layer[32], bdf[P2PB_BDF_LEN];
	struct dirent *e;
	DIR *dir = opendir("/sys/class/infiniband");
	const char *how;
	unsigned int n = 0;
	enum verdict v;

	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		p2pb_rdma_dev_driver(e->d_name, driver, sizeof(driver));
		snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/1/state", e->d_name);
		if (p2pb_read_file(path, state, sizeof(state)))
			snprintf(state, sizeof(state), "?");
		snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/1/link_layer", e->d_name);
		if (p2pb_read_file(path, layer, sizeof(layer)))
			snprintf(layer, sizeof(layer), "?");
		v = rdma_import(driver, &how);
		say(d, v, "rdma device", "%s (%s, %s, port 1 %s): %s", e->d_name, driver, layer, state, how);
		if (!p2pb_rdma_dev_pci(e->d_name, bdf) && d->n_imp < MAX_DEVS) {
			snprintf(d->importer_what[d->n_imp], sizeof(d->importer_what[0]), "RDMA %.40s", e->d_name);
			add_dev(d->importers, &d->n_imp, bdf);
		}
	}
	if (dir)
		closedir(dir);
	if (!n)
		say(d, V_INFO, "rdma device", "none (modprobe rdma_rxe and 'rdma link add' give a software one, "
		    "without dma-buf import)");
}

/* Functions that import for the tests: bound to the importer module or its NVMe driver, and NVMe controllers. */
static void collect_importers(struct doctor *d)
{
	char drv[64], path[PATH_MAX], cls[16];
	struct dirent *e;
	DIR *dir = opendir("/sys/bus/pci/devices");

	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		p2pb_pci_driver(e->d_name, drv, sizeof(drv));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", e->d_name);
		if (p2pb_read_file(path, cls, sizeof(cls)))
			continue;
		if (strncmp(drv, "p2pbench_", 9) && strncmp(cls, "0x0108", 6))
			continue;
		snprintf(d->importer_what[d->n_imp], sizeof(d->importer_what[0]), "%.40s",
			 drv[0] ? drv : "NVMe, unbound");
		add_dev(d->importers, &d->n_imp, e->d_name);
	}
	if (dir)
		closedir(dir);
}

static void check_pairs(struct doctor *d)
{
	struct p2pb_pci_path a, b;
	struct p2pb_p2p_route r;
	bool cpu = p2pb_cpu_p2p("/proc/cpuinfo");
	unsigned int i, k, n = 0;

	say(d, V_INFO, "cpu", cpu ? "AMD Zen or newer: the kernel routes P2P through its host bridges" :
	    "not AMD Zen: P2P through a host bridge needs one on the kernel's whitelist");
	for (i = 0; i < d->n_exp; i++)
		for (k = 0; k < d->n_imp; k++) {
			if (!strcmp(d->exporters[i], d->importers[k]))
				continue;
			if (n++ == MAX_PAIRS) {
				say(d, V_INFO, "p2p route", "(more pairs left out)");
				return;
			}
			if (p2pb_pci_path_read("/sys", d->exporters[i], &a) ||
			    p2pb_pci_path_read("/sys", d->importers[k], &b)) {
				say(d, V_WARN, "p2p route", "%s", p2pb_error());
				continue;
			}
			p2pb_p2p_route(&a, &b, cpu, &r);
			say(d, r.map == P2PB_P2P_NOT_SUPPORTED ? V_NO : V_OK, "p2p route",
			    "%s -> %s (%s): %s, distance %d: %s", d->exporters[i], d->importers[k], d->importer_what[k],
			    p2pb_p2p_map_name(r.map), r.distance, r.why);
		}
}

static void check_modules(struct doctor *d)
{
	char v[32];
	unsigned int ms;
	bool proceeds, two_pass;

	if (p2pb_module_loaded("p2pbench_importer"))
		say(d, V_OK, "importer module", "p2pbench_importer loaded");
	else
		say(d, V_INFO, "importer module", file_has("modules.dep", true, "/p2pbench_importer.ko") ?
		    "p2pbench_importer installed, not loaded (p2pbench loads it when a run needs it)" :
		    "p2pbench_importer not installed (kernel/importer: dkms, or the lab builds it)");
	if (!p2pb_module_loaded("vfio_pci_core")) {
		say(d, V_INFO, "vfio-pci", "not loaded (p2pbench --bind loads it)");
		return;
	}
	if (p2pb_vfio_param_read("revoke_timeout_ms", v, sizeof(v))) {
		say(d, V_INFO, "vfio-pci", "the distribution's: a revoke waits for importers without a bound");
		return;
	}
	p2pb_vfio_revoke_bound(&ms, &proceeds);
	two_pass = !p2pb_vfio_param_read("revoke_two_pass", v, sizeof(v)) && v[0] == 'Y';
	say(d, V_INFO, "vfio-pci", "patched (kernel/vfio): revoke_timeout_ms=%u, policy %s, %s", ms,
	    proceeds ? "proceed" : "warn-wait",
	    two_pass || ms ? "dma-bufs revoked in two passes" : "dma-bufs revoked one after another");
}

static void check_tools(struct doctor *d)
{
	static const char *const tools[] = { "ib_write_bw", "fio" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(path, sizeof(path), "/usr/bin/%s", tools[i]);
		say(d, access(path, X_OK) ? V_INFO : V_OK, "baseline", "%s %s", tools[i], access(path, X_OK) ?
		    "missing: the benchmarks need it (apt install perftest fio)" : "present");
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: p2pbench doctor [--json FILE] [--quiet]\n\n"
		   "What works on this machine, one line each with the reason: the kernel and its\n"
		   "VFIO dma-buf export, the IOMMU, the functions that can export (vfio-pci, NVMe\n"
		   "CMBs), each RDMA device and whether its driver imports VFIO dma-bufs (dynamic,\n"
		   "revocable, pinned and refused, none), the P2P route and distance of every\n"
		   "exporter/importer pair by the kernel's own rules (bus address, through the host\n"
		   "bridge, not supported), the importer module, the patched vfio-pci, the baselines.\n"
		   "Verdicts: ok, no (cannot), warn (works with a caveat), info.\n"
		   "Root reads more (config space: ACS); nothing is changed. Exit status 0, 2 on bad input.\n");
}

int p2pb_cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", required_argument, 0, 'J' }, { "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	struct doctor d = { .checks = json_object_new_array() };
	const char *json_path = NULL;
	json_object *doc;
	int opt, rc = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		if (opt == 'J') {
			json_path = optarg;
		} else if (opt == 'q') {
			d.quiet = true;
		} else {
			usage(opt == 'h' ? stdout : stderr);
			json_object_put(d.checks);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "p2pbench doctor: unexpected argument '%s'\n", argv[optind]);
		json_object_put(d.checks);
		return 2;
	}
	check_kernel(&d);
	check_iommu(&d);
	check_acs(&d);
	check_exporters(&d);
	check_rdma(&d);
	collect_importers(&d);
	check_pairs(&d);
	check_modules(&d);
	check_tools(&d);
	doc = p2pb_result_new("doctor", argc, argv);
	json_object_object_add(doc, "checks", d.checks);
	if (json_path && p2pb_result_write(doc, json_path)) {
		fprintf(stderr, "p2pbench doctor: %s\n", p2pb_error());
		rc = 2;
	}
	json_object_put(doc);
	return rc;
}
