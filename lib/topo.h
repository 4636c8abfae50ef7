/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_TOPO_H
#define P2PB_TOPO_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

/*
 * Where devices sit: the PCIe path from a host bridge down to a function
 * (from sysfs), its links, its NUMA node (hwloc), and the peer-to-peer route
 * the kernel picks between two functions, by the rules of
 * drivers/pci/p2pdma.c (calc_map_type_and_dist) restated here.
 */

/* One PCI function on the way down. */
struct p2pb_pci_hop {
	char bdf[P2PB_BDF_LEN];
	uint16_t vendor, device;
	int port;			/* PCIe device/port type (PCI_EXP_TYPE_*), -1 when not PCIe */
	bool acs_redirect;		/* ACS RR, CR or EC enabled: peer requests go up to the root */
	double link_gts;		/* negotiated link of this function: GT/s per lane, 0 unknown */
	unsigned int link_width;
};

#define P2PB_PCI_MAX_HOPS 12
struct p2pb_pci_path {
	char host[32];			/* the host bridge ("pci0000:00") */
	bool host_dev;			/* the root bus's first function is what the kernel's whitelist reads */
	uint16_t host_vendor, host_device;
	unsigned int n;
	struct p2pb_pci_hop hop[P2PB_PCI_MAX_HOPS];	/* [0] on the root bus .. [n-1] the function */
};

/* One function's config space and link under the sysfs at @sysfs; 0 or -errno. */
int p2pb_pci_hop_read(const char *sysfs, const char *bdf, struct p2pb_pci_hop *h);
/* Read @bdf's path under the sysfs mounted at @sysfs ("/sys"); 0 or -errno with p2pb_fail(). */
int p2pb_pci_path_read(const char *sysfs, const char *bdf, struct p2pb_pci_path *p);

enum p2pb_p2p_map { P2PB_P2P_NOT_SUPPORTED, P2PB_P2P_BUS_ADDR, P2PB_P2P_THRU_HOST_BRIDGE };
const char *p2pb_p2p_map_name(enum p2pb_p2p_map m);

struct p2pb_p2p_route {
	enum p2pb_p2p_map map;
	int distance;			/* the kernel's: 0 same function, 2 same device, 4 same switch... */
	char common[P2PB_BDF_LEN];	/* the common upstream bridge, "" when none */
	unsigned int acs_redirects;	/* functions with ACS redirect on the way */
	char why[256];
};

/*
 * The map type and distance the kernel computes for @provider (the exporter)
 * and @client (the importer). @cpu_p2p: the CPU is one the kernel trusts to
 * route peer traffic through its host bridge (AMD Zen or newer). Pure.
 */
void p2pb_p2p_route(const struct p2pb_pci_path *provider, const struct p2pb_pci_path *client, bool cpu_p2p,
		    struct p2pb_p2p_route *r);
/* The kernel's host bridge whitelist (vendor:device of the root bus's first function). */
bool p2pb_p2p_host_whitelisted(uint16_t vendor, uint16_t device, bool same_host_bridge);
/* AMD family 0x17 or newer in @cpuinfo ("/proc/cpuinfo"). */
bool p2pb_cpu_p2p(const char *cpuinfo);

/* Bytes/s a link moves after line coding: @gts per lane, @width lanes (0 when unknown). */
double p2pb_link_bytes_per_s(double gts, unsigned int width);
/* The slowest link on @p (0 when none is known). */
double p2pb_path_narrowest(const struct p2pb_pci_path *p);

/* NUMA node of a PCI function (hwloc), -1 when unknown. */
int p2pb_pci_numa_node(const char *bdf);
/* Bind this process to the CPUs nearest @bdf (hwloc); 0 or -errno with p2pb_fail(). */
int p2pb_pin_near(const char *bdf);

/* The kernel driver behind an RDMA device ("mlx5_core", "irdma", "rdma_rxe"...), from sysfs. */
void p2pb_rdma_dev_driver(const char *dev, char *buf, size_t len);
/* The PCI function behind an RDMA device, or -ENODEV for a software one (rxe, siw). */
int p2pb_rdma_dev_pci(const char *ibdev, char *bdf);

/* A device's place for a result document: path, links, NUMA node. */
json_object *p2pb_topo_json(const char *bdf);
/* The kernel's route from @provider to @client as JSON, NULL when either is not a PCI function. */
json_object *p2pb_topo_route_json(const char *provider, const char *client);
/* Two devices: both places, the route between them and the narrowest link on it. */
json_object *p2pb_topo_pair_json(const char *provider, const char *client);
#endif
