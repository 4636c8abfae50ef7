// SPDX-License-Identifier: GPL-2.0
/*
 * Lab helper: drives the test importer module through its raw uAPI and checks
 * what the tools above it do not see (fence events, device removal, input
 * validation). One scenario per run; prints what it saw and "ok" lines, or a
 * "FAIL: ..." line and exits 1.
 *
 *   importer_probe SCENARIO EXPORTER_BDF IMPORTER_BDF
 *
 *   fence         fence=300ms, immediate unmap: the revoke takes >= 300 ms,
 *                 the fence outlives the unmap and signals >= 300 ms after
 *                 the invalidate, before the revoke returns
 *   fence-detach  fence=5s: a detach while a revoke waits for the fence
 *                 signals it (-ECANCELED), the revoke returns early
 *   unmap-cancel  delay=1s: P2PB_IOC_UNMAP during the delay unmaps at once,
 *                 and the delayed unmap never fires
 *   input         attach as a device not bound to the module (EPERM), delays
 *                 and fence holds above KTIME_MAX, fence on a static
 *                 attachment (EINVAL)
 *   dma           edu DMA: every transfer's fence is added and signalled
 *   remove        unbinding edu tears its attachments down: pending fence
 *                 signalled with -ECANCELED, unmap cause REMOVE, ioctls ENODEV
 *   load-input    (IMPORTER_BDF: an NVMe bound to p2pbench_nvme) LOAD
 *                 refuses bad requests with EINVAL, a range beyond the
 *                 mapping with EOVERFLOW, a second load on the controller
 *                 with EBUSY, edu's DMA with EOPNOTSUPP; a good one moves data
 *   load-remove   unbinding the NVMe while its load runs stops the load and
 *                 tears the attachment down; ioctls answer ENODEV
 *
 * The exporter must be bound to vfio-pci, the importer device to
 * p2pbench_importer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "p2pbench_importer.h"
#include "pci.h"
#include "vfio.h"

#define MS 1000000ull
#define ULL(x) ((unsigned long long)(x))

static struct p2pb_vfio_dev dev;
static struct p2pb_pci_addr imp_addr;
static char imp_bdf[P2PB_BDF_LEN];
static int imp_fd = -1;

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void ok(const char *what)
{
	printf("ok: %s\n", what);
}

static int export_page(void)
{
	struct p2pb_range r = { 0, 4096 };
	int fd = p2pb_vfio_export(&dev, 2, &r, 1);

	if (fd < 0)
		fail("export: %s", strerror(-fd));
	return fd;
}

/* ATTACH with map; returns 0 or -errno, fills req. */
static int attach(struct p2pb_attach *req, int dmabuf, uint32_t policy, uint64_t delay_ns, uint64_t hold_ns)
{
	memset(req, 0, sizeof(*req));
	req->dmabuf_fd = dmabuf;
	req->pci_domain = imp_addr.domain;
	req->pci_bus = imp_addr.bus;
	req->pci_devfn = p2pb_pci_devfn(&imp_addr);
	req->unmap_policy = policy;
	req->flags = P2PB_ATTACH_F_MAP;
	req->fence_hold_ns = hold_ns;
	if (policy == P2PB_UNMAP_DELAY) {
		req->nr_delays = 1;
		req->delays_ns[0] = delay_ns;
	}
	return ioctl(imp_fd, P2PB_IOC_ATTACH, req) ? -errno : 0;
}

static uint32_t attach_ok(int dmabuf, uint32_t policy, uint64_t delay_ns, uint64_t hold_ns)
{
	struct p2pb_attach req;
	int err = attach(&req, dmabuf, policy, delay_ns, hold_ns);

	if (err || req.map_err)
		fail("attach as %s: %s, map %s", imp_bdf, strerror(-err), strerror(-req.map_err));
	return req.id;
}

static uint32_t drain(uint32_t id, struct p2pb_event *ev, uint32_t max)
{
	struct p2pb_events req = { .id = id, .max = max, .events_ptr = (uintptr_t)ev };
	uint32_t i;

	if (ioctl(imp_fd, P2PB_IOC_EVENTS, &req))
		fail("events: %s", strerror(errno));
	if (req.dropped)
		fail("%u events dropped", req.dropped);
	for (i = 0; i < req.count; i++)
		printf("event %u type=%u arg=%d value=%llu ts=%llu\n", i, ev[i].type, ev[i].arg, ULL(ev[i].value),
		       ULL(ev[i].ts_ns));
	return req.count;
}

/* Index of the n-th (0-based) event of type, or -1. */
static int find_ev(const struct p2pb_event *ev, uint32_t count, uint32_t type, int n)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		if (ev[i].type == type && n-- == 0)
			return (int)i;
	return -1;
}

static void set_memory(bool on, uint64_t *t0, uint64_t *t1)
{
	uint16_t cmd;

	if (p2pb_vfio_cfg_read(&dev, PCI_COMMAND, &cmd, 2))
		fail("config read: %s", p2pb_error());
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	if (t0)
		*t0 = p2pb_now_ns();
	if (p2pb_vfio_cfg_write(&dev, PCI_COMMAND, &cmd, 2))
		fail("config write: %s", p2pb_error());
	if (t1)
		*t1 = p2pb_now_ns();
}

struct revoke_thread {
	pthread_t t;
	uint64_t t0, t1;
};

static void *revoke_main(void *arg)
{
	struct revoke_thread *r = arg;

	set_memory(false, &r->t0, &r->t1);
	return NULL;
}

static void scenario_fence(void)
{
	const uint64_t hold = 300 * MS;
	struct p2pb_event ev[64];
	uint64_t t0, t1;
	uint32_t id, n;
	int add, inv, unm, sig;

	id = attach_ok(export_page(), P2PB_UNMAP_IMMEDIATE, 0, hold);
	set_memory(false, &t0, &t1);
	set_memory(true, NULL, NULL);
	printf("revoke took %llu ns\n", ULL(t1 - t0));
	n = drain(id, ev, 64);
	add = find_ev(ev, n, P2PB_EV_FENCE_ADD, 0);
	inv = find_ev(ev, n, P2PB_EV_INVALIDATE, 0);
	unm = find_ev(ev, n, P2PB_EV_UNMAP, 0);
	sig = find_ev(ev, n, P2PB_EV_FENCE_SIGNAL, 0);
	if (add < 0 || inv < 0 || unm < 0 || sig < 0)
		fail("missing events: add %d invalidate %d unmap %d signal %d", add, inv, unm, sig);
	if (ev[add].arg != P2PB_FENCE_HOLD || ev[add].value != ev[sig].value || ev[sig].arg)
		fail("FENCE_ADD kind %d seqno %llu, FENCE_SIGNAL seqno %llu error %d", ev[add].arg,
		     ULL(ev[add].value), ULL(ev[sig].value), ev[sig].arg);
	ok("one hold fence added at map and signalled without error");
	if (!(add < inv && inv < unm && unm < sig) || ev[unm].arg != P2PB_UNMAP_BY_POLICY)
		fail("order add %d invalidate %d unmap %d (cause %d) signal %d", add, inv, unm, ev[unm].arg, sig);
	ok("the fence outlives the (immediate) unmap");
	if (ev[sig].ts_ns - ev[inv].ts_ns < hold)
		fail("fence signalled %llu ns after the invalidate, before the hold", ULL(ev[sig].ts_ns - ev[inv].ts_ns));
	ok("the fence signalled at least fence_hold_ns after the invalidate");
	if (t1 - t0 < hold || t1 < ev[sig].ts_ns)
		fail("revoke returned after %llu ns, %lld ns after the fence signalled", ULL(t1 - t0),
		     (long long)(t1 - ev[sig].ts_ns));
	ok("the revoke waited for the fence");
	/* remap after the un-revoke: a new fence, a later seqno */
	{
		struct p2pb_map m = { .id = id };

		if (ioctl(imp_fd, P2PB_IOC_MAP, &m) || m.err)
			fail("remap: %s", strerror(m.err ? -m.err : errno));
		n = drain(id, ev, 64);
		add = find_ev(ev, n, P2PB_EV_FENCE_ADD, 0);
		if (add < 0 || ev[add].value <= ev[sig].value)
			fail("no new fence with a later seqno at the remap");
		ok("a remap adds a new fence");
	}
}

static void scenario_fence_detach(void)
{
	struct revoke_thread r;
	uint32_t id;

	id = attach_ok(export_page(), P2PB_UNMAP_IMMEDIATE, 0, 5000 * MS);
	if (pthread_create(&r.t, NULL, revoke_main, &r))
		fail("pthread_create");
	p2pb_sleep_ns(500 * MS);
	if (ioctl(imp_fd, P2PB_IOC_DETACH, &id))
		fail("detach: %s", strerror(errno));
	pthread_join(r.t, NULL);
	set_memory(true, NULL, NULL);
	printf("revoke took %llu ns\n", ULL(r.t1 - r.t0));
	if (r.t1 - r.t0 < 400 * MS || r.t1 - r.t0 > 4000 * MS)
		fail("the revoke took %llu ms: expected it to wait for the fence until the detach (~500 ms)",
		     ULL((r.t1 - r.t0) / MS));
	ok("detach signalled the pending fence: the revoke returned long before its 5 s hold");
}

static void scenario_unmap_cancel(void)
{
	struct p2pb_map m = { 0 };
	struct revoke_thread r;
	struct p2pb_event ev[64];
	uint32_t n;
	int u0, u1;

	m.id = attach_ok(export_page(), P2PB_UNMAP_DELAY, 1000 * MS, 0);
	if (pthread_create(&r.t, NULL, revoke_main, &r))
		fail("pthread_create");
	p2pb_sleep_ns(200 * MS);
	if (ioctl(imp_fd, P2PB_IOC_UNMAP, &m))
		fail("unmap: %s", strerror(errno));
	pthread_join(r.t, NULL);
	set_memory(true, NULL, NULL);
	printf("revoke took %llu ns\n", ULL(r.t1 - r.t0));
	p2pb_sleep_ns(1200 * MS);	/* past the delay */
	n = drain(m.id, ev, 64);
	u0 = find_ev(ev, n, P2PB_EV_UNMAP, 0);
	u1 = find_ev(ev, n, P2PB_EV_UNMAP, 1);
	if (u0 < 0 || ev[u0].arg != P2PB_UNMAP_BY_REQUEST || u1 >= 0)
		fail("expected exactly one unmap, by request: first %d (cause %d), second %d", u0,
		     u0 < 0 ? -1 : ev[u0].arg, u1);
	if (r.t1 - r.t0 > 900 * MS)
		fail("the revoke took %llu ms: the requested unmap did not release it", ULL((r.t1 - r.t0) / MS));
	ok("P2PB_IOC_UNMAP cancelled the pending delayed unmap");
}

static void scenario_input(void)
{
	struct p2pb_pci_addr saved = imp_addr;
	char saved_bdf[P2PB_BDF_LEN];
	struct p2pb_attach req;
	int buf = export_page(), err;

	memcpy(saved_bdf, imp_bdf, sizeof(saved_bdf));
	if (p2pb_pci_parse(dev.bdf, &imp_addr, imp_bdf))
		fail("parse %s", dev.bdf);
	err = attach(&req, buf, P2PB_UNMAP_IMMEDIATE, 0, 0);
	if (err != -EPERM)
		fail("attach as the exporter %s (vfio-pci): %s, expected EPERM", dev.bdf, strerror(-err));
	ok("attaching as a PCI function not bound to the module is refused (EPERM)");
	imp_addr = saved;
	memcpy(imp_bdf, saved_bdf, sizeof(imp_bdf));
	err = attach(&req, buf, P2PB_UNMAP_DELAY, (1ull << 63), 0);
	if (err != -EINVAL)
		fail("delay 2^63 ns: %s, expected EINVAL", strerror(-err));
	err = attach(&req, buf, P2PB_UNMAP_DELAY, UINT64_MAX - 1, 0);
	if (err != -EINVAL)
		fail("delay 2^64-2 ns: %s, expected EINVAL", strerror(-err));
	err = attach(&req, buf, P2PB_UNMAP_IMMEDIATE, 0, 1ull << 63);
	if (err != -EINVAL)
		fail("fence hold 2^63 ns: %s, expected EINVAL", strerror(-err));
	ok("delays and fence holds above KTIME_MAX are refused (EINVAL)");
	memset(&req, 0, sizeof(req));
	req.dmabuf_fd = buf;
	req.mode = P2PB_ATTACH_STATIC;
	req.pci_domain = imp_addr.domain;
	req.pci_bus = imp_addr.bus;
	req.pci_devfn = p2pb_pci_devfn(&imp_addr);
	req.fence_hold_ns = MS;
	if (!ioctl(imp_fd, P2PB_IOC_ATTACH, &req) || errno != EINVAL)
		fail("fence on a static attachment: %s, expected EINVAL", strerror(errno));
	ok("fence mode on an attachment without invalidate_mappings is refused (EINVAL)");
	err = attach(&req, buf, P2PB_UNMAP_DELAY, (1ull << 63) - 1, 0);
	if (err || req.map_err)
		fail("delay KTIME_MAX: %s, map %d", strerror(-err), req.map_err);
	ok("a delay of exactly KTIME_MAX is accepted");
}

static void scenario_dma(void)
{
	struct p2pb_dma d = { .enable = 1, .size = 64 };
	struct p2pb_event ev[256];
	uint32_t n, i, adds = 0, sigs = 0;
	uint64_t last = 0;

	d.id = attach_ok(export_page(), P2PB_UNMAP_IMMEDIATE, 0, 0);
	if (ioctl(imp_fd, P2PB_IOC_DMA, &d))
		fail("start DMA: %s", strerror(errno));
	p2pb_sleep_ns(1500 * MS);
	d.enable = 0;
	if (ioctl(imp_fd, P2PB_IOC_DMA, &d))
		fail("stop DMA: %s", strerror(errno));
	n = drain(d.id, ev, 256);
	for (i = 0; i < n; i++) {
		int s;

		if (ev[i].type != P2PB_EV_FENCE_ADD)
			continue;
		if (ev[i].arg != P2PB_FENCE_DMA || ev[i].value <= last)
			fail("FENCE_ADD %u: kind %d seqno %llu after %llu", i, ev[i].arg, ULL(ev[i].value), ULL(last));
		last = ev[i].value;
		adds++;
		for (s = (int)i + 1; s < (int)n; s++)
			if (ev[s].type == P2PB_EV_FENCE_SIGNAL && ev[s].value == ev[i].value)
				break;
		if (s == (int)n)
			fail("the fence of transfer %llu was never signalled", ULL(ev[i].value));
		if (ev[s].arg)
			fail("transfer %llu failed: %d", ULL(ev[i].value), ev[s].arg);
		sigs++;
	}
	printf("%u transfers fenced\n", adds);
	if (adds < 2)
		fail("only %u fenced transfers in 1.5 s", adds);
	ok("every edu transfer added a fence and signalled it without error");
}

static void edu_driver(const char *what)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/" P2PB_IMPORTER_NAME "/%s", what);
	err = p2pb_write_file(path, imp_bdf, false);

	if (err)
		fail("%s %s: %s", what, imp_bdf, strerror(-err));
}

static void scenario_remove(void)
{
	struct p2pb_map m = { 0 };
	struct p2pb_attach req;
	struct p2pb_event ev[64];
	char drv[64];
	uint32_t n;
	int sig, unm, det, buf = export_page(), err;

	m.id = attach_ok(buf, P2PB_UNMAP_NEVER, 0, 5000 * MS);
	drain(m.id, ev, 64);
	edu_driver("unbind");
	if (p2pb_pci_driver(imp_bdf, drv, sizeof(drv)) || drv[0])
		fail("%s still bound to '%s'", imp_bdf, drv);
	n = drain(m.id, ev, 64);
	sig = find_ev(ev, n, P2PB_EV_FENCE_SIGNAL, 0);
	unm = find_ev(ev, n, P2PB_EV_UNMAP, 0);
	det = find_ev(ev, n, P2PB_EV_DETACH, 0);
	if (sig < 0 || ev[sig].arg != -ECANCELED)
		fail("pending fence not signalled with -ECANCELED at unbind");
	if (unm < 0 || ev[unm].arg != P2PB_UNMAP_BY_REMOVE || det < 0 || ev[det].arg != -ENODEV)
		fail("no unmap by removal / detach with -ENODEV at unbind");
	ok("unbind: fence cancelled, mapping unmapped (cause remove), dma-buf detached");
	if (!ioctl(imp_fd, P2PB_IOC_MAP, &m) || errno != ENODEV)
		fail("map after unbind: %s, expected ENODEV", strerror(errno));
	ok("the torn-down attachment answers ENODEV");
	err = attach(&req, buf, P2PB_UNMAP_IMMEDIATE, 0, 0);
	if (err != -EPERM)
		fail("attach as the unbound %s: %s, expected EPERM", imp_bdf, strerror(-err));
	ok("attaching as the unbound device is refused (EPERM)");
	edu_driver("bind");
	attach_ok(buf, P2PB_UNMAP_IMMEDIATE, 0, 0);
	if (ioctl(imp_fd, P2PB_IOC_DETACH, &m.id))
		fail("detach of the torn-down attachment: %s", strerror(errno));
	ok("rebound: attach works again; the old attachment detaches");
}

/* ---- the NVMe load (IMPORTER_BDF bound to p2pbench_nvme) ---- */

static int load(uint32_t id, uint32_t bs, uint32_t qd, uint64_t range, void (*tweak)(struct p2pb_load *))
{
	struct p2pb_load l = { .id = id, .enable = 1, .block_size = bs, .qdepth = qd, .read_pct = 100,
			       .range = range, .bin_ns = 10 * MS };

	if (tweak)
		tweak(&l);
	return ioctl(imp_fd, P2PB_IOC_LOAD, &l) ? -errno : 0;
}

static int load_stop(uint32_t id)
{
	struct p2pb_load l = { .id = id, .enable = 0 };

	return ioctl(imp_fd, P2PB_IOC_LOAD, &l) ? -errno : 0;
}

static void enable2(struct p2pb_load *l) { l->enable = 2; }
static void reserved(struct p2pb_load *l) { l->reserved[1] = 1; }
static void too_fast(struct p2pb_load *l) { l->rate_bps = P2PB_LOAD_MAX_RATE + 1; }
static void short_bin(struct p2pb_load *l) { l->bin_ns = 50000; }
static void pct101(struct p2pb_load *l) { l->read_pct = 101; }

static void expect(int got, int want, const char *what)
{
	if (got != want)
		fail("%s: %s, expected %s", what, strerror(-got), strerror(-want));
	printf("ok: %s -> %s\n", what, want ? strerror(-want) : "0");
}

static struct p2pb_status status_of(uint32_t id)
{
	struct p2pb_status st = { .id = id };

	if (ioctl(imp_fd, P2PB_IOC_STATUS, &st))
		fail("status: %s", strerror(errno));
	return st;
}

static void scenario_load_input(void)
{
	int buf = export_page();
	uint32_t a = attach_ok(buf, P2PB_UNMAP_IMMEDIATE, 0, 0), b = attach_ok(buf, P2PB_UNMAP_IMMEDIATE, 0, 0);
	struct p2pb_dma d = { .id = a, .enable = 1, .size = 64 };
	struct p2pb_status st;

	expect(load(a, 4096, 1, 0, enable2), -EINVAL, "enable=2");
	expect(load(a, 4096, 1, 0, reserved), -EINVAL, "reserved field set");
	expect(load(a, 4096, 1, 0, too_fast), -EINVAL, "rate above P2PB_LOAD_MAX_RATE");
	expect(load(a, 4096, 1, 0, short_bin), -EINVAL, "bins of 50 us");
	expect(load(a, 4096, 1, 0, pct101), -EINVAL, "read_pct 101");
	expect(load(a, 4096, 0, 0, NULL), -EINVAL, "qdepth 0");
	expect(load(a, 4096, P2PB_LOAD_MAX_QD + 1, 0, NULL), -EINVAL, "qdepth 64");
	expect(load(a, 4097, 1, 0, NULL), -EINVAL, "block not a page multiple");
	expect(load(a, 2 << 20, 1, 0, NULL), -EINVAL, "block of 2 MiB");
	expect(load(a, 4096, 1, 6000, NULL), -EINVAL, "range not a page multiple");
	expect(load(a, 8192, 1, 0, NULL), -EINVAL, "block larger than the one-page mapping");
	expect(load(a, 4096, 1, 8192, NULL), -EOVERFLOW, "range beyond the mapping");
	if (ioctl(imp_fd, P2PB_IOC_DMA, &d) == 0 || errno != EOPNOTSUPP)
		fail("edu DMA on an NVMe attachment: %s, expected EOPNOTSUPP", strerror(errno));
	ok("edu DMA on an NVMe attachment -> EOPNOTSUPP");
	expect(load(a, 4096, 4, 0, NULL), 0, "a good load");
	expect(load(b, 4096, 4, 0, NULL), -EBUSY, "a second load on the controller");
	p2pb_sleep_ns(200 * MS);
	st = status_of(a);
	if (!st.dma_ops || st.io_errors || st.io_timeouts)
		fail("the load moved %llu commands, %u errors, %u timeouts", ULL(st.dma_ops), st.io_errors,
		     st.io_timeouts);
	printf("ok: the load completed %llu reads of 4 KiB into the mapping\n", ULL(st.dma_ops));
	expect(load_stop(a), 0, "stop");
	expect(load(b, 4096, 4, 0, NULL), 0, "the other attachment's load after the stop");
}

static void nvme_driver(const char *what)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/p2pbench_nvme/%s", what);
	err = p2pb_write_file(path, imp_bdf, false);
	if (err)
		fail("%s %s: %s", what, imp_bdf, strerror(-err));
}

static void scenario_load_remove(void)
{
	struct p2pb_event ev[64];
	struct p2pb_status st;
	uint32_t id, n;
	int unm, det, buf = export_page();

	id = attach_ok(buf, P2PB_UNMAP_IMMEDIATE, 0, 0);
	expect(load(id, 4096, 8, 0, NULL), 0, "a load");
	p2pb_sleep_ns(100 * MS);
	drain(id, ev, 64);
	nvme_driver("unbind");
	n = drain(id, ev, 64);
	unm = find_ev(ev, n, P2PB_EV_UNMAP, 0);
	det = find_ev(ev, n, P2PB_EV_DETACH, 0);
	if (unm < 0 || ev[unm].arg != P2PB_UNMAP_BY_REMOVE || det < 0 || ev[det].arg != -ENODEV)
		fail("no unmap by removal / detach with -ENODEV at unbind");
	st = status_of(id);
	if (st.mapped || st.inflight)
		fail("after unbind: mapped %u, %u commands in flight", st.mapped, st.inflight);
	ok("unbind under load: load stopped, nothing in flight, unmapped (cause remove), detached");
	expect(load(id, 4096, 8, 0, NULL), -ENODEV, "a load on the torn-down attachment");
}

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{ "fence", scenario_fence },
	{ "fence-detach", scenario_fence_detach },
	{ "unmap-cancel", scenario_unmap_cancel },
	{ "input", scenario_input },
	{ "dma", scenario_dma },
	{ "remove", scenario_remove },
	{ "load-input", scenario_load_input },
	{ "load-remove", scenario_load_remove },
};

int main(int argc, char **argv)
{
	uint32_t abi = 0;
	size_t i;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SCENARIO EXPORTER_BDF IMPORTER_BDF\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(argv[1], scenarios[i].name))
			break;
	if (i == sizeof(scenarios) / sizeof(scenarios[0])) {
		fprintf(stderr, "importer_probe: unknown scenario '%s'\n", argv[1]);
		return 2;
	}
	if (p2pb_vfio_open(&dev, argv[2]) || p2pb_pci_parse(argv[3], &imp_addr, imp_bdf)) {
		fprintf(stderr, "importer_probe: %s\n", p2pb_error());
		return 2;
	}
	imp_fd = open("/dev/" P2PB_IMPORTER_NAME, O_RDWR | O_CLOEXEC);
	if (imp_fd < 0 || ioctl(imp_fd, P2PB_IOC_ABI, &abi) || abi != P2PB_IMPORTER_ABI) {
		fprintf(stderr, "importer_probe: /dev/%s: %s (ABI %u)\n", P2PB_IMPORTER_NAME, strerror(errno), abi);
		return 2;
	}
	scenarios[i].run();
	close(imp_fd);
	p2pb_vfio_close(&dev);
	return 0;
}
