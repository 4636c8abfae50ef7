// SPDX-License-Identifier: GPL-2.0
/* The kernel's P2P route rules on made-up PCIe trees, and link rates. */
#include <math.h>

#include "topo.h"
#include "check.h"

/* A path: host bridge @host (its first function @hv:@hd), then functions "bdf:porttype[:acs]". */
static struct p2pb_pci_path path(const char *host, uint16_t hv, uint16_t hd, int n, const char *const *hops,
				 const int *ports, const bool *acs)
{
	struct p2pb_pci_path p = { .host_dev = true, .host_vendor = hv, .host_device = hd, .n = (unsigned int)n };
	int i;

	snprintf(p.host, sizeof(p.host), "%s", host);
	for (i = 0; i < n; i++) {
		snprintf(p.hop[i].bdf, sizeof(p.hop[i].bdf), "%s", hops[i]);
		p.hop[i].port = ports[i];
		p.hop[i].acs_redirect = acs && acs[i];
	}
	return p;
}

int main(void)
{
	/* q35-like: two endpoints on two root ports of one host bridge 8086:29c0 (not whitelisted) */
	const char *ra[] = { "0000:00:02.0", "0000:01:00.0" }, *rb[] = { "0000:00:03.0", "0000:02:00.0" };
	const int rp_ep[] = { 4, 0 };
	/* a switch: root port, upstream port, two downstream ports */
	const char *sa[] = { "0000:00:01.0", "0000:05:00.0", "0000:06:01.0", "0000:07:00.0" };
	const char *sb[] = { "0000:00:01.0", "0000:05:00.0", "0000:06:02.0", "0000:08:00.0" };
	const char *sf[] = { "0000:00:01.0", "0000:05:00.0", "0000:06:01.0", "0000:07:00.1" };
	const int sw[] = { 4, 5, 6, 0 };
	const bool acs_dsp[] = { false, false, true, false };
	struct p2pb_pci_path a, b;
	struct p2pb_p2p_route r;

	a = path("pci0000:00", 0x8086, 0x29c0, 2, ra, rp_ep, NULL);
	b = path("pci0000:00", 0x8086, 0x29c0, 2, rb, rp_ep, NULL);
	p2pb_p2p_route(&a, &b, false, &r);
	CHECK(r.map == P2PB_P2P_NOT_SUPPORTED && r.distance == 4 && !r.common[0] && !r.acs_redirects);
	p2pb_p2p_route(&a, &b, true, &r);	/* -cpu EPYC: what the lab runs */
	CHECK(r.map == P2PB_P2P_THRU_HOST_BRIDGE && r.distance == 4);
	CHECK_STR(p2pb_p2p_map_name(r.map), "through-host-bridge");
	/* a whitelisted host bridge (Skylake-E root port) */
	a.host_device = b.host_device = 0x2030;
	p2pb_p2p_route(&a, &b, false, &r);
	CHECK(r.map == P2PB_P2P_THRU_HOST_BRIDGE);
	/* one that must be the same host bridge, on two */
	a.host_device = b.host_device = 0x3c00;
	snprintf(b.host, sizeof(b.host), "pci0000:80");
	p2pb_p2p_route(&a, &b, false, &r);
	CHECK(r.map == P2PB_P2P_NOT_SUPPORTED);
	CHECK(p2pb_p2p_host_whitelisted(0x8086, 0x3c00, true) && !p2pb_p2p_host_whitelisted(0x8086, 0x3c00, false));
	CHECK(p2pb_p2p_host_whitelisted(0x1ae0, 0x1234, false) && !p2pb_p2p_host_whitelisted(0x8086, 0x29c0, true));

	/* the same switch: bus addresses, distance 4, the upstream port in common */
	a = path("pci0000:00", 0x8086, 0x29c0, 4, sa, sw, NULL);
	b = path("pci0000:00", 0x8086, 0x29c0, 4, sb, sw, NULL);
	p2pb_p2p_route(&a, &b, false, &r);
	CHECK(r.map == P2PB_P2P_BUS_ADDR && r.distance == 4 && !strcmp(r.common, "0000:05:00.0"));
	/* ACS redirect on the provider's downstream port: up to the root complex */
	a = path("pci0000:00", 0x8086, 0x29c0, 4, sa, sw, acs_dsp);
	p2pb_p2p_route(&a, &b, false, &r);
	CHECK(r.map == P2PB_P2P_NOT_SUPPORTED && r.acs_redirects == 1 && r.distance == 4);
	p2pb_p2p_route(&a, &b, true, &r);
	CHECK(r.map == P2PB_P2P_THRU_HOST_BRIDGE);
	/* ... and on the client's side too */
	p2pb_p2p_route(&b, &a, true, &r);
	CHECK(r.acs_redirects == 1 && r.map == P2PB_P2P_THRU_HOST_BRIDGE);
	/* two functions of one device: distance 2; the same function: 0 */
	a = path("pci0000:00", 0x8086, 0x29c0, 4, sa, sw, NULL);
	b = path("pci0000:00", 0x8086, 0x29c0, 4, sf, sw, NULL);
	p2pb_p2p_route(&a, &b, false, &r);
	CHECK(r.map == P2PB_P2P_BUS_ADDR && r.distance == 2 && !strcmp(r.common, "0000:06:01.0"));
	p2pb_p2p_route(&a, &a, false, &r);
	CHECK(r.map == P2PB_P2P_BUS_ADDR && r.distance == 0);

	/* link rates after line coding */
	CHECK(fabs(p2pb_link_bytes_per_s(2.5, 1) - 250e6) < 1);
	CHECK(fabs(p2pb_link_bytes_per_s(8.0, 16) - 8e9 * 128 / 130 * 2) < 1e3);
	CHECK(p2pb_link_bytes_per_s(16.0, 0) == 0);
	a.hop[1].link_gts = 8.0;
	a.hop[1].link_width = 16;
	a.hop[3].link_gts = 8.0;
	a.hop[3].link_width = 4;
	CHECK(fabs(p2pb_path_narrowest(&a) - p2pb_link_bytes_per_s(8.0, 4)) < 1);
	return check_done();
}
