// SPDX-License-Identifier: GPL-2.0
/* Where devices sit: PCIe paths, links, NUMA nodes and the kernel's P2P route between two of them. */
#define _GNU_SOURCE
#include "topo.h"

#include "error.h"
#include "result.h"

#include <dirent.h>
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAP_LIST 0x34
#define CAP_ID_EXP 0x10
#define EXT_CAP_ACS 0x000d
#define ACS_CTRL 6
#define ACS_REDIRECT (0x04 | 0x08 | 0x20)	/* request redirect, completion redirect, egress control */

static int read_config(const char *sysfs, const char *bdf, uint8_t *cfg, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/config", sysfs, bdf);
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	n = fread(cfg, 1, len, f);
	fclose(f);
	memset(cfg + n, 0, len - n);	/* not root: only the first 64 bytes are readable */
	return n >= 64 ? 0 : -EIO;
}

static uint16_t rd16(const uint8_t *cfg, unsigned int off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

/* The PCIe device/port type, -1 when the function has no PCI Express capability. */
static int pcie_type(const uint8_t *cfg)
{
	unsigned int pos = cfg[CAP_LIST] & ~3u, guard = 48;

	if (!(rd16(cfg, 6) & 0x10))
		return -1;
	while (pos >= 0x40 && pos < 256 && guard--) {
		if (cfg[pos] == CAP_ID_EXP)
			return (cfg[pos + 2] >> 4) & 0xf;
		pos = cfg[pos + 1] & ~3u;
	}
	return -1;
}

static bool acs_redirect(const uint8_t *cfg)
{
	unsigned int pos = 0x100, guard = 64;
	uint32_t h;

	while (pos >= 0x100 && pos < 4096 && guard--) {
		h = (uint32_t)rd16(cfg, pos) | (uint32_t)rd16(cfg, pos + 2) << 16;
		if (!h)
			return false;
		if ((h & 0xffff) == EXT_CAP_ACS)
			return rd16(cfg, pos + ACS_CTRL) & ACS_REDIRECT;
		pos = h >> 20;
	}
	return false;
}

static void read_link(const char *sysfs, struct p2pb_pci_hop *h)
{
	char path[PATH_MAX], buf[64];
	unsigned long w;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/current_link_speed", sysfs, h->bdf);
	if (!p2pb_read_file(path, buf, sizeof(buf)))
		h->link_gts = strtod(buf, NULL);	/* "8.0 GT/s PCIe"; "Unknown" reads 0 */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/current_link_width", sysfs, h->bdf);
	if (!p2pb_read_file(path, buf, sizeof(buf)) && (w = strtoul(buf, NULL, 0)) < 64)
		h->link_width = (unsigned int)w;
}

int p2pb_pci_hop_read(const char *sysfs, const char *bdf, struct p2pb_pci_hop *h)
{
	uint8_t cfg[4096];
	int err;

	memset(h, 0, sizeof(*h));
	snprintf(h->bdf, sizeof(h->bdf), "%s", bdf);
	if ((err = read_config(sysfs, bdf, cfg, sizeof(cfg))))
		return err;
	h->vendor = rd16(cfg, 0);
	h->device = rd16(cfg, 2);
	h->port = pcie_type(cfg);
	h->acs_redirect = acs_redirect(cfg);
	read_link(sysfs, h);
	return 0;
}

/* The function the kernel's whitelist reads: devfn 00.0 on the root bus, else a root port first on it. */
static void read_host(const char *sysfs, const char *root_bus_dir, struct p2pb_pci_path *p)
{
	char best[P2PB_BDF_LEN] = "";
	struct p2pb_pci_hop h;
	struct dirent *e;
	DIR *d;

	/* the lowest devfn of the root bus: the kernel's list is in probe (devfn) order */
	d = opendir(root_bus_dir);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strlen(e->d_name) == 12 && e->d_name[4] == ':' && e->d_name[10] == '.' &&
		    (!best[0] || strcmp(e->d_name, best) < 0))
			snprintf(best, sizeof(best), "%s", e->d_name);
	closedir(d);
	if (!best[0] || p2pb_pci_hop_read(sysfs, best, &h))
		return;
	p->host_dev = !strcmp(best + 8, "00.0") || h.port == 4 /* PCI_EXP_TYPE_ROOT_PORT */;
	p->host_vendor = h.vendor;
	p->host_device = h.device;
}

int p2pb_pci_path_read(const char *sysfs, const char *bdf, struct p2pb_pci_path *p)
{
	char link[PATH_MAX], real[PATH_MAX], *tok, *save = NULL, *root = NULL;
	char hops[P2PB_PCI_MAX_HOPS][P2PB_BDF_LEN];
	unsigned int n = 0, i;
	int err;

	memset(p, 0, sizeof(*p));
	snprintf(link, sizeof(link), "%s/bus/pci/devices/%s", sysfs, bdf);
	if (!realpath(link, real))
		return p2pb_fail(-errno, "no PCI device %s (%s)", bdf, strerror(errno));
	/* .../devices/pci0000:00/0000:00:02.0/0000:01:00.0: a host bridge, then functions down */
	for (tok = strtok_r(real, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strncmp(tok, "pci", 3) && strchr(tok, ':')) {
			root = tok;
			n = 0;
		} else if (root && strlen(tok) == 12 && tok[4] == ':' && n < P2PB_PCI_MAX_HOPS) {
			snprintf(hops[n++], P2PB_BDF_LEN, "%s", tok);
		}
	}
	if (!root || !n)
		return p2pb_fail(-ENODEV, "%s is not below a PCI host bridge in sysfs", bdf);
	snprintf(p->host, sizeof(p->host), "%s", root);
	for (i = 0; i < n; i++)
		if ((err = p2pb_pci_hop_read(sysfs, hops[i], &p->hop[i])))
			return p2pb_fail(err, "reading the config space of %s: %s", hops[i], strerror(-err));
	p->n = n;
	snprintf(link, sizeof(link), "%s/devices/%s", sysfs, root);
	read_host(sysfs, link, p);
	return 0;
}

const char *p2pb_p2p_map_name(enum p2pb_p2p_map m)
{
	static const char *const names[] = { "not-supported", "bus-address", "through-host-bridge" };

	return m <= P2PB_P2P_THRU_HOST_BRIDGE ? names[m] : "?";
}

bool p2pb_p2p_host_whitelisted(uint16_t vendor, uint16_t device, bool same_host_bridge)
{
	/* drivers/pci/p2pdma.c, pci_p2pdma_whitelist[] of 7.3; -1: any device of the vendor */
	static const struct { uint16_t vendor; int device; bool same_host; } known[] = {
		{ 0x8086, 0x3c00, true }, { 0x8086, 0x3c01, true },	/* Xeon E5/Core i7 */
		{ 0x8086, 0x2f00, true }, { 0x8086, 0x2f01, true },	/* Xeon E7 v3/E5 v3 */
		{ 0x8086, 0x2030, false }, { 0x8086, 0x2031, false }, { 0x8086, 0x2032, false },
		{ 0x8086, 0x2033, false }, { 0x8086, 0x2020, false }, { 0x8086, 0x09a2, false },	/* Skylake-E on */
		{ 0x8086, 0x0b25, false }, { 0x8086, 0x0cfe, false }, { 0x8086, 0x11fb, false },	/* DSA, IAX */
		{ 0x8086, 0x1212, false }, { 0x8086, 0x1216, false },
		{ 0x8086, 0x4940, false }, { 0x8086, 0x4942, false }, { 0x8086, 0x4944, false },	/* QAT */
		{ 0x8086, 0x4946, false }, { 0x8086, 0x4948, false },
		{ 0x1ae0, -1, false },					/* Google SoCs */
		{ 0x10de, 0x2f95, false }, { 0x10de, 0x2f96, false }, { 0x10de, 0x2f97, false },
		{ 0x10de, 0x2f98, false },				/* NVIDIA CPUs */
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].vendor == vendor && (known[i].device < 0 || known[i].device == device))
			return !known[i].same_host || same_host_bridge;
	return false;
}

bool p2pb_cpu_p2p(const char *cpuinfo)
{
	char line[256];
	bool amd = false;
	long family = 0;
	FILE *f = fopen(cpuinfo, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && !(amd && family)) {
		if (!strncmp(line, "vendor_id", 9))
			amd = strstr(line, "AuthenticAMD") != NULL;
		else if (!strncmp(line, "cpu family", 10) && strchr(line, ':'))
			family = strtol(strchr(line, ':') + 1, NULL, 10);
	}
	fclose(f);
	return amd && family >= 0x17;
}

/* Index of @bdf on @p, -1 when it is not there (the same host bridge is the caller's check). */
static int index_on(const struct p2pb_pci_path *p, const char *bdf)
{
	int i;

	for (i = (int)p->n - 1; i >= 0; i--)
		if (!strcmp(p->hop[i].bdf, bdf))
			return i;
	return -1;
}

static bool host_ok(const struct p2pb_pci_path *a, const struct p2pb_pci_path *b)
{
	bool same = !strcmp(a->host, b->host);

	if (!a->host_dev || !b->host_dev)
		return false;
	if (same)
		return p2pb_p2p_host_whitelisted(a->host_vendor, a->host_device, true);
	return p2pb_p2p_host_whitelisted(a->host_vendor, a->host_device, false) &&
	       p2pb_p2p_host_whitelisted(b->host_vendor, b->host_device, false);
}

void p2pb_p2p_route(const struct p2pb_pci_path *provider, const struct p2pb_pci_path *client, bool cpu_p2p,
		    struct p2pb_p2p_route *r)
{
	bool same_host = !strcmp(provider->host, client->host);
	int ia, ib = -1, k;

	memset(r, 0, sizeof(*r));
	/* up from the provider until a function that is also on the client's way */
	for (ia = (int)provider->n - 1; ia >= 0; ia--) {
		r->acs_redirects += provider->hop[ia].acs_redirect;
		if (same_host && (ib = index_on(client, provider->hop[ia].bdf)) >= 0)
			break;
	}
	if (ia >= 0) {
		snprintf(r->common, sizeof(r->common), "%s", provider->hop[ia].bdf);
		for (k = (int)client->n - 1; k > ib; k--)
			r->acs_redirects += client->hop[k].acs_redirect;
		r->distance = ((int)provider->n - 1 - ia) + ((int)client->n - 1 - ib);
		if (!r->acs_redirects) {
			r->map = P2PB_P2P_BUS_ADDR;
			snprintf(r->why, sizeof(r->why), "common upstream bridge %s, no ACS redirect: bus addresses, "
				 "the IOMMU not involved", r->common);
			return;
		}
	} else {
		/* no common bridge: ACS on the way does not change the route (the kernel ignores it too) */
		r->acs_redirects = 0;
		r->distance = (int)provider->n + (int)client->n;
	}
	r->map = cpu_p2p || host_ok(provider, client) ? P2PB_P2P_THRU_HOST_BRIDGE : P2PB_P2P_NOT_SUPPORTED;
	snprintf(r->why, sizeof(r->why), "%s; %s", r->common[0] ?
		 "ACS redirects peer requests up to the root complex" : "no common upstream bridge",
		 r->map == P2PB_P2P_NOT_SUPPORTED ?
		 "the host bridge is not on the kernel's P2P whitelist and the CPU is not AMD Zen or newer" :
		 cpu_p2p ? "routed through the host bridge (AMD Zen or newer), mapped through the IOMMU" :
		 "routed through the whitelisted host bridge, mapped through the IOMMU");
}

double p2pb_link_bytes_per_s(double gts, unsigned int width)
{
	/* 8b/10b up to 5 GT/s, 128b/130b from 8 GT/s, FLIT mode (1b/1b) from 64 GT/s */
	double coding = gts <= 5.0 ? 0.8 : gts < 64.0 ? 128.0 / 130.0 : 1.0;

	return gts * 1e9 * coding * width / 8.0;
}

double p2pb_path_narrowest(const struct p2pb_pci_path *p)
{
	double best = 0, bps;
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		bps = p2pb_link_bytes_per_s(p->hop[i].link_gts, p->hop[i].link_width);
		if (bps > 0 && (best == 0 || bps < best))
			best = bps;
	}
	return best;
}

/* ---- hwloc ---- */

static hwloc_obj_t hwloc_pci(hwloc_topology_t t, const char *bdf)
{
	struct p2pb_pci_addr a;
	char canon[P2PB_BDF_LEN];

	if (p2pb_pci_parse(bdf, &a, canon))
		return NULL;
	return hwloc_get_pcidev_by_busid(t, a.domain, a.bus, a.dev, a.fn);
}

static int hwloc_open(hwloc_topology_t *t)
{
	if (hwloc_topology_init(t))
		return -ENOMEM;
	hwloc_topology_set_io_types_filter(*t, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
	if (hwloc_topology_load(*t)) {
		hwloc_topology_destroy(*t);
		return -EIO;
	}
	return 0;
}

int p2pb_pci_numa_node(const char *bdf)
{
	hwloc_topology_t t;
	hwloc_obj_t o;
	int node = -1;

	if (hwloc_open(&t))
		return -1;
	o = hwloc_pci(t, bdf);
	o = o ? hwloc_get_non_io_ancestor_obj(t, o) : NULL;
	if (o && o->nodeset && !hwloc_bitmap_iszero(o->nodeset) &&
	    !hwloc_bitmap_isequal(o->nodeset, hwloc_topology_get_topology_nodeset(t)))
		node = hwloc_bitmap_first(o->nodeset);
	else if (o && hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE) == 1)
		node = 0;	/* one node: everything is local */
	hwloc_topology_destroy(t);
	return node;
}

int p2pb_pin_near(const char *bdf)
{
	hwloc_topology_t t;
	hwloc_obj_t o;
	int err = 0;

	if (hwloc_open(&t))
		return p2pb_fail(-EIO, "hwloc cannot read this machine's topology");
	o = hwloc_pci(t, bdf);
	o = o ? hwloc_get_non_io_ancestor_obj(t, o) : NULL;
	if (!o || !o->cpuset)
		err = p2pb_fail(-ENODEV, "hwloc does not know where %s is", bdf);
	else if (hwloc_set_cpubind(t, o->cpuset, HWLOC_CPUBIND_PROCESS))
		err = p2pb_fail(-errno, "binding to the CPUs near %s: %s", bdf, strerror(errno));
	hwloc_topology_destroy(t);
	return err;
}

void p2pb_rdma_dev_driver(const char *dev, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/device/driver", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		snprintf(buf, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		return;
	}
	/* software devices have no PCI function: rxe and siw name a parent netdev */
	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/parent", dev);
	if (!access(path, F_OK))
		snprintf(buf, len, "%s", !strncmp(dev, "siw", 3) ? "siw" : "rdma_rxe");
	else
		snprintf(buf, len, "unknown");
}

int p2pb_rdma_dev_pci(const char *ibdev, char *bdf)
{
	char link[PATH_MAX], real[PATH_MAX], *base;

	snprintf(link, sizeof(link), "/sys/class/infiniband/%s/device", ibdev);
	if (!realpath(link, real) || !(base = strrchr(real, '/')) || strlen(base + 1) != 12)
		return -ENODEV;
	snprintf(bdf, P2PB_BDF_LEN, "%s", base + 1);
	return 0;
}

/* ---- for result documents ---- */

static const char *port_name(int type)
{
	static const char *const names[] = {
		[0] = "endpoint", [1] = "legacy-endpoint", [4] = "root-port", [5] = "switch-upstream",
		[6] = "switch-downstream", [7] = "pcie-to-pci-bridge", [8] = "pci-to-pcie-bridge",
		[9] = "rc-integrated-endpoint", [10] = "rc-event-collector",
	};

	return type >= 0 && type < 11 && names[type] ? names[type] : type < 0 ? "pci" : "other";
}

static json_object *path_json(const struct p2pb_pci_path *p)
{
	json_object *arr = json_object_new_array();
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		json_object *h = json_object_new_object();
		char id[16];

		snprintf(id, sizeof(id), "%04x:%04x", p->hop[i].vendor, p->hop[i].device);
		json_object_object_add(h, "bdf", json_object_new_string(p->hop[i].bdf));
		json_object_object_add(h, "id", json_object_new_string(id));
		json_object_object_add(h, "port", json_object_new_string(port_name(p->hop[i].port)));
		json_object_object_add(h, "acs_redirect", json_object_new_boolean(p->hop[i].acs_redirect));
		json_object_object_add(h, "link_gts", p->hop[i].link_gts > 0 ?
					json_object_new_double(p->hop[i].link_gts) : NULL);
		json_object_object_add(h, "link_width", p->hop[i].link_width ?
					json_object_new_int((int)p->hop[i].link_width) : NULL);
		json_object_array_add(arr, h);
	}
	return arr;
}

json_object *p2pb_topo_json(const char *bdf)
{
	struct p2pb_pci_path p;
	json_object *o = json_object_new_object();
	double narrow;

	json_object_object_add(o, "bdf", json_object_new_string(bdf));
	if (p2pb_pci_path_read("/sys", bdf, &p)) {
		json_object_object_add(o, "error", json_object_new_string(p2pb_error()));
		p2pb_clear_error();
		return o;
	}
	narrow = p2pb_path_narrowest(&p);
	json_object_object_add(o, "host_bridge", json_object_new_string(p.host));
	json_object_object_add(o, "numa_node", json_object_new_int(p2pb_pci_numa_node(bdf)));
	json_object_object_add(o, "path", path_json(&p));
	json_object_object_add(o, "narrowest_link_bytes_per_s", narrow > 0 ? p2pb_json_u64((uint64_t)narrow) : NULL);
	return o;
}

/* The kernel's route between two paths already read. */
static json_object *route_json(const struct p2pb_pci_path *a, const struct p2pb_pci_path *b)
{
	struct p2pb_p2p_route r;
	json_object *route;

	p2pb_p2p_route(a, b, p2pb_cpu_p2p("/proc/cpuinfo"), &r);
	route = json_object_new_object();
	json_object_object_add(route, "map", json_object_new_string(p2pb_p2p_map_name(r.map)));
	json_object_object_add(route, "distance", json_object_new_int(r.distance));
	json_object_object_add(route, "common_bridge", r.common[0] ? json_object_new_string(r.common) : NULL);
	json_object_object_add(route, "acs_redirects", json_object_new_int((int)r.acs_redirects));
	json_object_object_add(route, "why", json_object_new_string(r.why));
	return route;
}

json_object *p2pb_topo_route_json(const char *provider, const char *client)
{
	struct p2pb_pci_path a, b;

	if (p2pb_pci_path_read("/sys", provider, &a) || p2pb_pci_path_read("/sys", client, &b)) {
		p2pb_clear_error();
		return NULL;
	}
	return route_json(&a, &b);
}

json_object *p2pb_topo_pair_json(const char *provider, const char *client)
{
	struct p2pb_pci_path a, b;
	json_object *o = json_object_new_object();
	double na, nb;

	json_object_object_add(o, "exporter", p2pb_topo_json(provider));
	json_object_object_add(o, "importer", p2pb_topo_json(client));
	if (p2pb_pci_path_read("/sys", provider, &a) || p2pb_pci_path_read("/sys", client, &b)) {
		p2pb_clear_error();
		return o;
	}
	json_object_object_add(o, "route", route_json(&a, &b));
	na = p2pb_path_narrowest(&a);
	nb = p2pb_path_narrowest(&b);
	na = na > 0 && (nb <= 0 || na < nb) ? na : nb;
	json_object_object_add(o, "narrowest_link_bytes_per_s", na > 0 ? p2pb_json_u64((uint64_t)na) : NULL);
	return o;
}
