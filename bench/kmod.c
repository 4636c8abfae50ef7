// SPDX-License-Identifier: GPL-2.0
/*
 * The kmod engine: our test importer module (kernel/importer), driven
 * through /dev/p2pbench_importer. It attaches as a PCI function bound to the
 * module (QEMU edu, or an NVMe controller given to p2pbench_nvme), unmaps on
 * an invalidate at once, after a delay drawn from a distribution, or never,
 * can hold a fence past its unmap, and moves data through the mapping: edu
 * DMA (dma=), or NVMe reads and writes whose data pointers are the
 * mapping's IOVAs (io=). The only userspace file that includes the module's
 * uAPI.
 */
#define _GNU_SOURCE
#include "kmod.h"
#include "error.h"
#include "result.h"
#include "units.h"

#include "p2pbench_importer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

_Static_assert(P2PB_KMOD_DELAYS == P2PB_MAX_DELAYS, "the delay table is the module's");
_Static_assert(sizeof(struct p2pb_kmod_opts) <= P2PB_ENGINE_OPTS, "kmod options fit a spec");

/* ---- options ---- */

static const char *const attach_names[] = {
	[P2PB_KMOD_DYNAMIC] = "dynamic",
	[P2PB_KMOD_STATIC] = "static",
	[P2PB_KMOD_NONREVOCABLE] = "nonrevocable",
	[P2PB_KMOD_NO_P2P] = "no-p2p",
	NULL,	/* the end of attach='s choices */
};

const char *p2pb_kmod_attach_name(enum p2pb_kmod_attach a)
{
	return a <= P2PB_KMOD_NO_P2P ? attach_names[a] : "?";
}

/* "0|D|never|uniform:MIN:MAX|exp:MEAN|lognormal:MEDIAN:SIGMA": a bare number is in the key's unit */
static int parse_delay(const struct p2pb_opt *opt, void *opts, const char *v)
{
	struct p2pb_kmod_opts *o = opts;
	char buf[96], *a, *b, *c, *end, *save = NULL;

	if (!strcmp(v, "never")) {
		o->delay_kind = P2PB_DELAY_NEVER_UNMAP;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	a = strtok_r(buf, ":", &save);
	b = strtok_r(NULL, ":", &save);
	c = strtok_r(NULL, ":", &save);
	if (!a || strtok_r(NULL, ":", &save))
		return -EINVAL;
	if (!b) {
		o->delay_kind = P2PB_DELAY_FIXED;
		return p2pb_parse_duration_ns(a, opt->unit_ns, &o->delay_a_ns);
	}
	if (!strcmp(a, "uniform") && c) {
		o->delay_kind = P2PB_DELAY_UNIFORM;
		return p2pb_parse_duration_ns(b, opt->unit_ns, &o->delay_a_ns) ||
		       p2pb_parse_duration_ns(c, opt->unit_ns, &o->delay_b_ns) || o->delay_b_ns < o->delay_a_ns ?
		       -EINVAL : 0;
	}
	if (!strcmp(a, "exp") && !c) {
		o->delay_kind = P2PB_DELAY_EXP;
		return p2pb_parse_duration_ns(b, opt->unit_ns, &o->delay_a_ns);
	}
	if (!strcmp(a, "lognormal") && c) {
		o->delay_kind = P2PB_DELAY_LOGNORMAL;
		o->sigma = strtod(c, &end);
		if (*end || !(o->sigma > 0) || o->sigma > 5)
			return -EINVAL;
		return p2pb_parse_duration_ns(b, opt->unit_ns, &o->delay_a_ns);
	}
	return -EINVAL;
}

/* "read|write|rw[:READ%]": the direction and the share of reads */
static int parse_io(const struct p2pb_opt *opt, void *opts, const char *v)
{
	struct p2pb_kmod_opts *o = opts;
	uint64_t pct;

	(void)opt;
	o->io = true;
	if (!strcmp(v, "read") || !strcmp(v, "write")) {
		o->io_read_pct = v[0] == 'r' ? 100 : 0;
		return 0;
	}
	if (!strcmp(v, "rw")) {
		o->io_read_pct = 50;
		return 0;
	}
	if (strncmp(v, "rw:", 3) || p2pb_parse_u64(v + 3, &pct) || pct > 100)
		return -EINVAL;
	o->io_read_pct = (uint32_t)pct;
	return 0;
}

#define KMOD_FIELD(member) P2PB_OPT_FIELD(struct p2pb_kmod_opts, member)

static const struct p2pb_opt kmod_keys[] = {
	{ .name = "delay", .type = P2PB_OPT_CUSTOM, .parse = parse_delay, .def = "0", .unit_ns = P2PB_NS_PER_MS,
	  .zero = "inside the callback", .metavar = "0|D|never|uniform:MIN:MAX|exp:MEAN|lognormal:MEDIAN:SIGMA",
	  .help = "when to unmap after an invalidate" },
	{ .name = "dev", .type = P2PB_OPT_BDF, KMOD_FIELD(dev),
	  .help = "the PCI function to attach as, bound to p2pbench_importer (required; in the lab the edu device, "
		  "0000:02:00.0)" },
	{ .name = "attach", .type = P2PB_OPT_CHOICE, KMOD_FIELD(attach), .choices = attach_names, .def = "dynamic",
	  .help = "how to attach; clause C5: the exporter must refuse all but dynamic" },
	{ .name = "fence", .type = P2PB_OPT_DURATION, KMOD_FIELD(fence_hold_ns), .def = "0",
	  .max = 3600 * P2PB_NS_PER_S, .unit_ns = P2PB_NS_PER_MS, .zero = "no fence",
	  .help = "each map holds a fence (WRITE) that signals D after the next invalidate, whatever the unmap "
		  "policy (clause C4)" },
	{ .name = "dma", .type = P2PB_OPT_SIZE, KMOD_FIELD(dma_size), .min = 1, .max = 4095,
	  .help = "the device (edu) writes SIZE bytes into the mapping per transfer, a fence for each" },
	{ .name = "dma-interval", .type = P2PB_OPT_DURATION, KMOD_FIELD(dma_interval_ns), .def = "0",
	  .unit_ns = P2PB_NS_PER_MS, .help = "pause between two transfers" },
	{ .name = "io", .type = P2PB_OPT_CUSTOM, .parse = parse_io, .metavar = "read|write|rw[:READ%]",
	  .help = "NVMe load: dev= is an NVMe controller (bound to " P2PB_KMOD_NVME_DRIVER ", or unbound: p2pbench "
		  "binds it for the run) that reads into (read) or writes from (write) the mapping, or both (rw, 50% "
		  "reads unless given); the data pointers are the mapping's IOVAs" },
	{ .name = "bs", .type = P2PB_OPT_SIZE, KMOD_FIELD(io_bs), .def = "64k", .min = 4096,
	  .max = P2PB_LOAD_MAX_BLOCK, .multiple = 4096, .help = "NVMe load: bytes per command" },
	{ .name = "qd", .type = P2PB_OPT_UINT, KMOD_FIELD(io_qd), .def = "16", .min = 1, .max = P2PB_LOAD_MAX_QD,
	  .help = "NVMe load: commands in flight" },
	{ .name = "rate", .type = P2PB_OPT_SIZE, KMOD_FIELD(io_rate_bps), .def = "0", .max = P2PB_LOAD_MAX_RATE,
	  .zero = "unlimited", .metavar = "BYTES/s",
	  .help = "NVMe load: cap on bytes submitted per second, e.g. 4m" },
	{ .name = "bin", .type = P2PB_OPT_DURATION, KMOD_FIELD(io_bin_ns), .def = "10ms", .min = 100000,
	  .max = P2PB_NS_PER_S, .unit_ns = P2PB_NS_PER_MS, .zero = "none",
	  .help = "NVMe load: throughput bin width" },
	{ .name = "range", .type = P2PB_OPT_SIZE, KMOD_FIELD(io_range), .def = "0", .multiple = 4096,
	  .zero = "all, at most the namespace", .help = "NVMe load: bytes of the mapping used from its start" },
	{ .name = "dma-after-unmap", .type = P2PB_OPT_BOOL, KMOD_FIELD(dma_after_unmap), .def = "0",
	  .help = "1: a misbehaving device that keeps moving data after the invalidate, to its old IOVAs once "
		  "unmapped (the IOMMU must fault; an injected importer fault)" },
	{ 0 },
};

static int kmod_check_opts(const void *opts, const char *spec)
{
	const struct p2pb_kmod_opts *o = opts;

	if (!o->dev[0])
		return p2pb_fail(-EINVAL, "importer '%s' needs dev=BDF: the PCI function it attaches as, bound to "
				 "p2pbench_importer (in the lab: the edu device, dev=0000:02:00.0; for io=, the "
				 "traffic NVMe, dev=0000:03:00.0)", spec);
	if (o->io && o->dma_size)
		return p2pb_fail(-EINVAL, "importer '%s': dma= (edu) and io= (NVMe) name two different devices; "
				 "give one", spec);
	if (o->io && o->attach != P2PB_KMOD_DYNAMIC)
		return p2pb_fail(-EINVAL, "importer '%s': io= needs a dynamic attachment (attach=%s is refused "
				 "before any data moves)", spec, p2pb_kmod_attach_name(o->attach));
	if (o->io_range && o->io_range < o->io_bs)
		return p2pb_fail(-EINVAL, "importer '%s': range=%llu is smaller than one command (bs=%u)", spec,
				 (unsigned long long)o->io_range, o->io_bs);
	return 0;
}

static unsigned int kmod_injected(const void *opts)
{
	const struct p2pb_kmod_opts *o = opts;

	return (o->delay_kind == P2PB_DELAY_NEVER_UNMAP ? P2PB_INJECT_NEVER_UNMAP : 0) |
	       (o->dma_after_unmap ? P2PB_INJECT_DMA_AFTER_UNMAP : 0);
}

static bool kmod_moves_data(const void *opts)
{
	const struct p2pb_kmod_opts *o = opts;

	return o->dma_size > 0 || o->io;
}

static const char *kmod_unrevocable(const void *opts)
{
	const struct p2pb_kmod_opts *o = opts;

	return o->attach == P2PB_KMOD_DYNAMIC ? NULL : p2pb_kmod_attach_name(o->attach);
}

/* splitmix64: small, good enough and reproducible everywhere */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double unit_rand(uint64_t *state)	/* (0, 1) */
{
	return ((double)(next_rand(state) >> 11) + 0.5) / 9007199254740992.0;
}

#define DELAY_CAP_NS (60ull * 1000000000ull)

static double draw(const struct p2pb_kmod_opts *o, uint64_t *st)
{
	switch (o->delay_kind) {
	case P2PB_DELAY_UNIFORM:
		return (double)o->delay_a_ns + unit_rand(st) * (double)(o->delay_b_ns - o->delay_a_ns);
	case P2PB_DELAY_EXP:
		return -(double)o->delay_a_ns * log(unit_rand(st));
	case P2PB_DELAY_LOGNORMAL:	/* Box-Muller */
		return (double)o->delay_a_ns *
		       exp(o->sigma * sqrt(-2.0 * log(unit_rand(st))) * cos(2.0 * M_PI * unit_rand(st)));
	case P2PB_DELAY_NEVER_UNMAP:
		return 0;
	default:
		return (double)o->delay_a_ns;
	}
}

void p2pb_kmod_delays(const struct p2pb_kmod_opts *o, uint64_t seed, uint64_t *out, unsigned int n)
{
	uint64_t st = seed;
	unsigned int i;
	double d;

	for (i = 0; i < n; i++) {
		d = draw(o, &st);
		out[i] = d > (double)DELAY_CAP_NS ? DELAY_CAP_NS : (uint64_t)d;
	}
}

/* ---- the engine ---- */

struct kmod {
	const struct p2pb_kmod_opts *o;
	struct p2pb_pci_addr dev;
	uint64_t delays_ns[P2PB_KMOD_DELAYS];
	uint64_t load_range;		/* the bytes an NVMe load used (the module says) */
	int fd;
};

static struct kmod *K(struct p2pb_engine *e)
{
	return e->priv;
}

/* The driver dev= is bound to ("" for none), or the error said once. */
static int dev_driver(struct p2pb_engine *e, char *drv, size_t len)
{
	int err = p2pb_pci_driver(K(e)->o->dev, drv, len);

	return err ? p2pb_fail(err, "importer %s: cannot read the driver of %s: %s", e->spec->text,
			       K(e)->o->dev, strerror(-err)) : 0;
}

/* PCI class 01:08:02: an NVMe controller */
static bool is_nvme_controller(const char *bdf)
{
	char path[96], cls[32];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", bdf);
	return !p2pb_read_file(path, cls, sizeof(cls)) && !strcmp(cls, "0x010802");
}

/*
 * io=: the controller must be ours. An unbound one is given to
 * p2pbench_nvme for the run (undone at exit); one another driver holds
 * (nvme, vfio-pci...) is never taken: it may hold a file system.
 */
static int kmod_check_nvme(struct p2pb_engine *e, struct p2pb_restore *r)
{
	const char *dev = K(e)->o->dev;
	char drv[64];
	int err = dev_driver(e, drv, sizeof(drv));

	if (err)
		return err;
	if (!strcmp(drv, P2PB_KMOD_NVME_DRIVER))
		return 0;
	if (!is_nvme_controller(dev))
		return p2pb_fail(-ENODEV, "importer %s: %s is not an NVMe controller (PCI class 01:08:02): io= "
				 "needs one", e->spec->text, dev);
	if (drv[0])
		return p2pb_fail(-EBUSY, "importer %s: %s is bound to %s: the NVMe load takes only a controller "
				 "that no driver holds (p2pbench never takes one from another driver: it may hold a "
				 "file system). Unmount its namespaces, unbind it from %s, and run again",
				 e->spec->text, dev, drv, drv);
	err = p2pb_pci_bind(r, dev, P2PB_KMOD_NVME_DRIVER);
	if (err)
		return p2pb_fail(err, "importer %s: %s did not come up under %s (see the kernel log): %s",
				 e->spec->text, dev, P2PB_KMOD_NVME_DRIVER, p2pb_error());
	return 0;
}

/*
 * The module attaches only as a PCI function bound to its own pci_driver
 * (QEMU edu); say so before the attach fails with a bare EPERM.
 */
static int kmod_check_dev(struct p2pb_engine *e)
{
	char drv[64];
	int err = dev_driver(e, drv, sizeof(drv));

	if (err)
		return err;
	if (K(e)->o->io && strcmp(drv, P2PB_KMOD_NVME_DRIVER))
		return p2pb_fail(-EPERM, "importer %s: %s is %s%s, not " P2PB_KMOD_NVME_DRIVER, e->spec->text,
				 K(e)->o->dev, drv[0] ? "bound to " : "not bound to any driver", drv);
	if (!K(e)->o->io && strcmp(drv, P2PB_IMPORTER_NAME))
		return p2pb_fail(-EPERM, "importer %s: %s is %s%s: the importer must attach as a PCI function bound to "
				 P2PB_IMPORTER_NAME ", e.g. --importer kmod:dev=BDF", e->spec->text, K(e)->o->dev,
				 drv[0] ? "bound to " : "not bound to any driver", drv);
	return 0;
}

static int kmod_open_fd(struct p2pb_engine *e)
{
	uint32_t abi = 0;

	K(e)->fd = open("/dev/" P2PB_IMPORTER_NAME, O_RDWR | O_CLOEXEC);
	if (K(e)->fd < 0)
		return p2pb_fail(-errno, "cannot open /dev/%s: %s", P2PB_IMPORTER_NAME, strerror(errno));
	if (ioctl(K(e)->fd, P2PB_IOC_ABI, &abi) || abi != P2PB_IMPORTER_ABI)
		return p2pb_fail(-EPROTO, "module %s speaks ABI %u, this p2pbench speaks %u: rebuild and reload the module",
				 P2PB_IMPORTER_NAME, abi, P2PB_IMPORTER_ABI);
	return 0;
}

static int kmod_open(struct p2pb_engine *e, struct p2pb_restore *r)
{
	struct kmod *k = calloc(1, sizeof(*k));
	char bdf[P2PB_BDF_LEN];
	int err;

	if (!k)
		return -ENOMEM;
	e->priv = k;
	k->fd = -1;
	k->o = (const struct p2pb_kmod_opts *)e->spec->opts;
	p2pb_pci_parse(k->o->dev, &k->dev, bdf);
	p2pb_kmod_delays(k->o, e->seed, k->delays_ns, P2PB_KMOD_DELAYS);
	if (!p2pb_pci_exists(k->o->dev))
		return p2pb_fail(-ENODEV, "importer %s: no PCI device %s to attach as", e->spec->text, k->o->dev);
	err = p2pb_module_ensure(r, P2PB_IMPORTER_NAME);
	if (err)
		return p2pb_fail(err, "the kmod importer needs the %s module: %s", P2PB_IMPORTER_NAME, p2pb_error());
	if (k->o->io && (err = kmod_check_nvme(e, r)))
		return err;
	if ((err = kmod_check_dev(e)))
		return err;
	return kmod_open_fd(e);
}

static void attach_policy(const struct kmod *k, struct p2pb_attach *req)
{
	switch (k->o->delay_kind) {
	case P2PB_DELAY_NEVER_UNMAP:
		req->unmap_policy = P2PB_UNMAP_NEVER;
		return;
	case P2PB_DELAY_FIXED:
		if (!k->o->delay_a_ns) {
			req->unmap_policy = P2PB_UNMAP_IMMEDIATE;
			return;
		}
		/* fall through */
	default:
		req->unmap_policy = P2PB_UNMAP_DELAY;
		req->nr_delays = P2PB_KMOD_DELAYS;
		memcpy(req->delays_ns, k->delays_ns, sizeof(req->delays_ns));
	}
}

static int kmod_attach(struct p2pb_engine *e, const struct p2pb_export *x, struct p2pb_attachment *a)
{
	struct kmod *k = K(e);
	struct p2pb_attach req = {
		.dmabuf_fd = x->fd,
		.mode = k->o->attach,
		.pci_domain = k->dev.domain,
		.pci_bus = k->dev.bus,
		.pci_devfn = p2pb_pci_devfn(&k->dev),
		.flags = P2PB_ATTACH_F_MAP,
		.fence_hold_ns = k->o->fence_hold_ns,
	};
	int err;

	if (x->fd < 0)
		return p2pb_fail(-EINVAL, "importer %s: the kmod engine imports dma-bufs only", e->spec->text);
	if (x->has_function) {
		/* the module reads its state at every invalidate and unmap (clause C9) */
		req.flags |= P2PB_ATTACH_F_EXPORTER;
		req.exp_domain = x->function.domain;
		req.exp_bus = x->function.bus;
		req.exp_devfn = p2pb_pci_devfn(&x->function);
	}
	attach_policy(k, &req);
	if (ioctl(k->fd, P2PB_IOC_ATTACH, &req)) {
		err = -errno;
		/* unbound since open: the message says which device and why */
		if (err == -EPERM && kmod_check_dev(e))
			return -EPERM;
		return err;
	}
	a->id = req.id;
	a->map_err = req.map_err;
	return 0;
}

static int kmod_map(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct p2pb_map m = { .id = a->id };

	if (ioctl(K(e)->fd, P2PB_IOC_MAP, &m))
		return -errno;
	a->map_err = m.err;
	return m.err;
}

static int kmod_unmap(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct p2pb_map m = { .id = a->id };

	return ioctl(K(e)->fd, P2PB_IOC_UNMAP, &m) ? -errno : 0;
}

static enum p2pb_unmap_reason cause(int uapi)
{
	switch (uapi) {
	case P2PB_UNMAP_BY_POLICY: return P2PB_UNMAP_POLICY;
	case P2PB_UNMAP_BY_REQUEST: return P2PB_UNMAP_FORCED;
	case P2PB_UNMAP_BY_DETACH: return P2PB_UNMAP_DETACHED;
	case P2PB_UNMAP_BY_OWNER_EXIT: return P2PB_UNMAP_OWNER_EXIT;
	case P2PB_UNMAP_BY_RELEASE: return P2PB_UNMAP_RELEASED;
	case P2PB_UNMAP_BY_REMOVE: return P2PB_UNMAP_REMOVED;
	}
	return P2PB_UNMAP_OTHER;
}

static uint32_t exporter_state(uint32_t u)
{
	uint32_t st;

	if (!(u & P2PB_EXP_READ))
		return 0;
	st = P2PB_EXPORTER_READ;
	st |= u & P2PB_EXP_GONE ? P2PB_EXPORTER_GONE : 0;
	st |= u & P2PB_EXP_MEM ? P2PB_EXPORTER_MEM : 0;
	st |= u & P2PB_EXP_MASTER ? P2PB_EXPORTER_MASTER : 0;
	return st | ((u & P2PB_EXP_PM_MASK) >> P2PB_EXP_PM_SHIFT) << P2PB_EXPORTER_PM_SHIFT;
}

static struct p2pb_engine_event event(const struct p2pb_event *u)
{
	struct p2pb_engine_event e = { .ts_ns = u->ts_ns, .value = u->value, .arg = u->arg,
				       .exporter = exporter_state(u->exporter) };

	switch (u->type) {
	case P2PB_EV_INVALIDATE: e.type = P2PB_EE_INVALIDATE; break;
	case P2PB_EV_UNMAP: e.type = P2PB_EE_UNMAP; e.arg = cause(u->arg); break;
	case P2PB_EV_UNMAP_DONE: e.type = P2PB_EE_UNMAP_DONE; e.arg = cause(u->arg); break;
	case P2PB_EV_FENCE_ADD: e.type = P2PB_EE_FENCE_ADD; break;
	case P2PB_EV_FENCE_SIGNAL: e.type = P2PB_EE_FENCE_SIGNAL; break;
	case P2PB_EV_LOAD_LAST: e.type = P2PB_EE_IO_LAST; break;
	case P2PB_EV_LOAD_FIRST: e.type = P2PB_EE_IO_FIRST; break;
	case P2PB_EV_LOAD_ERROR: e.type = P2PB_EE_IO_ERROR; break;
	default: e.type = P2PB_EE_OTHER;
	}
	return e;
}

#define EV_CHUNK 128

static int kmod_events(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_event *ev,
		       uint32_t max, uint32_t *n)
{
	struct p2pb_event u[EV_CHUNK];
	struct p2pb_events req = { .id = a->id, .max = max < EV_CHUNK ? max : EV_CHUNK, .events_ptr = (uintptr_t)u };
	uint32_t i;

	*n = 0;
	if (ioctl(K(e)->fd, P2PB_IOC_EVENTS, &req))
		return -errno;
	for (i = 0; i < req.count; i++)
		ev[i] = event(&u[i]);
	*n = req.count;
	return req.dropped ? -EOVERFLOW : 0;
}

static int kmod_stats(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_stats *out)
{
	struct p2pb_status st = { .id = a->id };

	if (ioctl(K(e)->fd, P2PB_IOC_STATUS, &st))
		return -errno;
	out->mapped = st.mapped;
	out->bytes = st.dma_bytes;
	out->ops = st.dma_ops;
	out->stale_ops = st.dma_stale_ops;
	out->revoked_bytes = st.revoked_bytes;
	out->io_errors = st.io_errors;
	out->io_timeouts = st.io_timeouts;
	out->last_error = st.last_error;
	return 0;
}

#define BIN_CHUNK 256

static int kmod_bins(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_bin *b, uint32_t max,
		     uint32_t *n, uint64_t *bin_ns)
{
	struct p2pb_bin u[BIN_CHUNK];
	struct p2pb_bins req = { .id = a->id, .max = max < BIN_CHUNK ? max : BIN_CHUNK, .bins_ptr = (uintptr_t)u };
	uint32_t i;

	*n = 0;
	if (!K(e)->o->io)
		return 0;
	if (ioctl(K(e)->fd, P2PB_IOC_BINS, &req))
		return -errno;
	for (i = 0; i < req.count; i++)
		b[i] = (struct p2pb_engine_bin){ .start_ns = u[i].start_ns, .bytes = u[i].bytes, .ios = u[i].ios,
						 .errors = u[i].errors };
	*n = req.count;
	*bin_ns = req.bin_ns;
	return req.dropped ? -EOVERFLOW : 0;
}

/* A load that reads knows which blocks its reads filled since the map (P2PB_IOC_FILLED). */
static int kmod_filled(struct p2pb_engine *e, struct p2pb_attachment *a, uint64_t *bits, uint64_t max_blocks,
		       uint64_t *reads)
{
	struct p2pb_filled req = { .id = a->id, .bitmap_ptr = (uintptr_t)bits, .max_blocks = max_blocks };

	*reads = 0;
	if (!K(e)->o->io || !K(e)->o->io_read_pct)
		return -EOPNOTSUPP;
	if (ioctl(K(e)->fd, P2PB_IOC_FILLED, &req))
		return -errno;
	*reads = req.reads;
	return 0;
}

/* Why the module refused a load, in the user's terms. */
static int load_error(struct p2pb_engine *e, int err)
{
	const struct p2pb_kmod_opts *o = K(e)->o;
	const char *why;

	switch (err) {
	case -EOVERFLOW:
		why = "range= is larger than the dma-buf's mapping (the exported range is smaller: raise --size "
		      "or lower range=)";
		break;
	case -ENOSPC:
		why = "range= is larger than the controller's namespace 1";
		break;
	case -EBUSY:
		why = "another load already drives this controller";
		break;
	case -E2BIG:
		why = "bs= is larger than the largest transfer the controller takes (its MDTS: the kernel log's "
		      "'controller up' line says how many KiB per command)";
		break;
	case -ENOLINK:
		why = "the dma-buf is not mapped (revoked?)";
		break;
	case -ENODEV:
		why = "the controller was retired after an error (see the kernel log; rebind it)";
		break;
	case -EOPNOTSUPP:
		why = "the attachment was not made as an NVMe controller bound to " P2PB_KMOD_NVME_DRIVER;
		break;
	default:
		why = strerror(-err);
	}
	return p2pb_fail(err, "importer %s: starting the NVMe load on %s failed: %s", e->spec->text, o->dev, why);
}

static int kmod_start_load(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	const struct p2pb_kmod_opts *o = K(e)->o;
	struct p2pb_load l = {
		.id = a->id,
		.enable = 1,
		.block_size = o->io_bs,
		.qdepth = o->io_qd,
		.read_pct = o->io_read_pct,
		.flags = o->dma_after_unmap ? P2PB_DMA_F_AFTER_UNMAP : 0,
		.range = o->io_range,
		.rate_bps = o->io_rate_bps,
		.bin_ns = o->io_bin_ns,
	};

	if (ioctl(K(e)->fd, P2PB_IOC_LOAD, &l))
		return load_error(e, -errno);
	if (l.range > K(e)->load_range)
		K(e)->load_range = l.range;
	return 0;
}

static int kmod_start(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	const struct p2pb_kmod_opts *o = K(e)->o;
	struct p2pb_dma d;

	if (o->io)
		return kmod_start_load(e, a);
	d = (struct p2pb_dma){
		.id = a->id,
		.enable = 1,
		.size = o->dma_size,
		.flags = o->dma_after_unmap ? P2PB_DMA_F_AFTER_UNMAP : 0,
		.interval_ns = o->dma_interval_ns,
	};

	if (ioctl(K(e)->fd, P2PB_IOC_DMA, &d))
		return errno == EOPNOTSUPP ?
		       p2pb_fail(-EOPNOTSUPP, "importer %s: %s has no DMA engine this module can drive "
				 "(dma= needs a QEMU edu device bound to p2pbench_importer)", e->spec->text, o->dev) :
		       p2pb_fail(-errno, "importer %s: starting DMA failed: %s", e->spec->text, strerror(errno));
	return 0;
}

static bool kmod_writes_device(const void *opts)
{
	const struct p2pb_kmod_opts *o = opts;

	return o->io && o->io_read_pct < 100;
}

/*
 * The controller's own read of a block into host memory (p2pbench_nvme's
 * read_block attribute: write the 4 KiB block number, read back its first
 * 64 bytes), once no load owns the queue.
 */
static int kmod_readback(struct p2pb_engine *e, uint64_t off, void *buf, size_t len)
{
	char path[96], blk[32], got[72];
	size_t n;
	FILE *f;
	int err;

	if (!K(e)->o->io || off % 4096 || len > 64)
		return -EINVAL;
	if (off >= K(e)->load_range)
		return -ERANGE;		/* the load never wrote there */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/read_block", K(e)->o->dev);
	snprintf(blk, sizeof(blk), "%llu", (unsigned long long)(off / 4096));
	if ((err = p2pb_write_file(path, blk, false)))
		return err;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	/* the attribute prints up to the block's first NUL: what is missing reads as 0 */
	memset(buf, 0, len);
	memcpy(buf, got, n < len ? n : len);
	return 0;
}

static void kmod_detach(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	ioctl(K(e)->fd, P2PB_IOC_DETACH, &a->id);
}

static void kmod_close(struct p2pb_engine *e)
{
	if (K(e) && K(e)->fd >= 0)
		close(K(e)->fd);
	free(e->priv);
	e->priv = NULL;
}

static json_object *kmod_describe(const struct p2pb_engine *e)
{
	const struct kmod *k = e->priv;
	const struct p2pb_kmod_opts *o = (const struct p2pb_kmod_opts *)e->spec->opts;
	json_object *j = json_object_new_object(), *d = json_object_new_array();
	bool never = o->delay_kind == P2PB_DELAY_NEVER_UNMAP;
	unsigned int i;

	json_object_object_add(j, "attach", json_object_new_string(p2pb_kmod_attach_name(o->attach)));
	json_object_object_add(j, "device", json_object_new_string(o->dev));
	json_object_object_add(j, "unmap", json_object_new_string(never ? "never" :
				o->delay_kind == P2PB_DELAY_FIXED ? "fixed" : "distribution"));
	for (i = 0; k && !never && i < P2PB_KMOD_DELAYS; i++)
		json_object_array_add(d, p2pb_json_u64(k->delays_ns[i]));
	json_object_object_add(j, "delays_ns", d);
	if (o->fence_hold_ns)
		json_object_object_add(j, "fence_hold_ns", p2pb_json_u64(o->fence_hold_ns));
	if (o->io) {
		json_object *io = json_object_new_object();

		json_object_object_add(io, "engine", json_object_new_string("nvme"));
		json_object_object_add(io, "read_pct", json_object_new_int((int)o->io_read_pct));
		json_object_object_add(io, "block_size", p2pb_json_u64(o->io_bs));
		json_object_object_add(io, "qdepth", json_object_new_int((int)o->io_qd));
		json_object_object_add(io, "rate_bps", p2pb_json_u64(o->io_rate_bps));
		json_object_object_add(io, "bin_ns", p2pb_json_u64(o->io_bin_ns));
		json_object_object_add(io, "range", p2pb_json_u64(o->io_range));
		json_object_object_add(j, "io", io);
	}
	return j;
}

const struct p2pb_engine_ops p2pb_engine_kmod = {
	.name = "kmod",
	.help = "the p2pbench_importer test module (kernel/importer): unmaps at once, after a delay or never; "
		"moves data through the mapping with edu (dma=) or an NVMe controller (io=)",
	.keys = kmod_keys,
	.opts_size = sizeof(struct p2pb_kmod_opts),
	.check = kmod_check_opts,
	.injected = kmod_injected,
	.moves_data = kmod_moves_data,
	.unrevocable = kmod_unrevocable,
	.describe = kmod_describe,
	.open = kmod_open,
	.attach = kmod_attach,
	.map = kmod_map,
	.unmap = kmod_unmap,
	.events = kmod_events,
	.stats = kmod_stats,
	.start = kmod_start,
	.bins = kmod_bins,
	.filled = kmod_filled,
	.detach = kmod_detach,
	.writes_device = kmod_writes_device,
	.readback = kmod_readback,
	.close = kmod_close,
};
