// SPDX-License-Identifier: GPL-2.0
/*
 * The iommufd engine: a real kernel importer of VFIO dma-bufs. The importing
 * PCI function (dev=, on vfio-pci) is opened through its VFIO cdev, bound to
 * an iommufd and attached to an IOAS; the exporter's dma-buf is mapped into
 * that IOAS with IOMMU_IOAS_MAP_FILE at iova=, so the function's DMA to that
 * IOVA reaches the exporter's BAR: how a VMM gives a guest device P2P
 * access. iommufd answers the exporter's invalidate itself, synchronously
 * (iopt_revoke_notify removes the translation before it returns); we only
 * watch it, with kprobes on that callback stamped on CLOCK_MONOTONIC: its
 * entry is the invalidate, its return the unmap. A revoked mapping stays
 * revoked: it is unmapped and mapped again (map), which fails while the
 * exporter is revoked. docs/importers.md.
 */
#define _GNU_SOURCE
#include "engine.h"
#include "clock.h"
#include "edu.h"
#include "error.h"
#include "iommufd.h"
#include "result.h"
#include "trace.h"
#include "units.h"
#include "vfio.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum iommufd_dma { DMA_AUTO, DMA_EDU, DMA_NONE };

static const char *const dma_names[] = {
	[DMA_AUTO] = "auto", [DMA_EDU] = "edu", [DMA_NONE] = "none", NULL,
};

struct iommufd_opts {
	char dev[P2PB_BDF_LEN];
	uint64_t iova;
	unsigned int dma;	/* enum iommufd_dma */
};

_Static_assert(sizeof(struct iommufd_opts) <= P2PB_ENGINE_OPTS, "iommufd options fit a spec");

#define IOFD_FIELD(member) P2PB_OPT_FIELD(struct iommufd_opts, member)

static const struct p2pb_opt iommufd_keys[] = {
	{ .name = "dev", .type = P2PB_OPT_BDF, IOFD_FIELD(dev),
	  .help = "the importing PCI function, on vfio-pci or unbound (p2pbench binds it for the run), opened "
		  "through its VFIO cdev (required; in the lab the edu device, 0000:02:00.0)" },
	{ .name = "iova", .type = P2PB_OPT_SIZE, IOFD_FIELD(iova), .def = "1g", .multiple = 4096, .metavar = "ADDR",
	  .help = "where the dma-buf is mapped in the IOAS (page aligned; with dma=, clear of [1m, 1m+4k))" },
	{ .name = "dma", .type = P2PB_OPT_CHOICE, IOFD_FIELD(dma), .choices = dma_names, .def = "auto",
	  .help = "the function's own DMA into the mapping, driven from userspace: edu (QEMU's edu writes ~1 KiB "
		  "into the mapping's first page while it is live and probes its second page once the kernel "
		  "revoked it: each probe must fault and land nowhere), none, or auto (edu when dev= is an edu)" },
	{ 0 },
};

/* dma=auto decided by the function's IDs */
static bool dma_edu(const struct iommufd_opts *o)
{
	return o->dma == DMA_EDU || (o->dma == DMA_AUTO && p2pb_edu_is(o->dev));
}

static int iommufd_check_opts(const void *opts, const char *spec)
{
	const struct iommufd_opts *o = opts;

	if (!o->dev[0])
		return p2pb_fail(-EINVAL, "importer '%s' needs dev=BDF: the PCI function whose IOMMU space the "
				 "dma-buf is mapped into (in the lab: the edu device, dev=0000:02:00.0)", spec);
	return 0;
}

/* ---- kernel events ---- */

#define GROUP "p2pbiommufd"

/*
 * The same lines as kernel/trace/iommufd-revoke.kprobes (a unit test
 * checks). Register arguments: the lab kernel built from source has no BTF.
 * The return probe reads the entry's argument ($argN in a return probe, 6.10).
 */
const char *const p2pb_iommufd_kprobes[] = {
	"p:" GROUP "/revoke iopt_revoke_notify attach=$arg1:x64",
	"r:" GROUP "/revoke_ret iopt_revoke_notify attach=$arg1:x64",
	"r:" GROUP "/attached dma_buf_dynamic_attach attach=$retval:x64",
	NULL,
};

struct iommufd {
	const struct iommufd_opts *o;
	struct p2pb_iommufd fd;
	struct p2pb_vfio_dev dev;
	struct p2pb_probe_set probes;
	bool counted;			/* in iommufd_engines_open */
	pthread_mutex_t ioctl_lock;	/* attach, map, unmap, detach: one at a time */
	bool attached;			/* to an export (one at a time: one IOVA); under ioctl_lock */
	pthread_mutex_t lock;		/* the fields below; events and stats come from any thread */
	int dmabuf_fd;
	uint64_t length;
	uint64_t kattach;		/* the kernel's dma_buf_attachment of our mapping, 0 unknown */
	bool area;			/* an area is in the IOAS at iova */
	bool live;			/* it translates (not revoked) */
	pid_t map_tid;			/* while our MAP_FILE runs: its thread, else 0 */
	uint64_t epoch;			/* changes of the mapping: a map or an unmap began or ended */
	uint64_t inval_gen;		/* invalidates of ours seen */
	bool unmapping;			/* our IOAS_UNMAP runs */
	bool after_trigger;		/* a trigger returned since the last map began */
	struct p2pb_engine_stats dma_stats;
	struct p2pb_event_ring events;
	/* dma=edu: the function's own DMA, by the worker thread (below) */
	bool dma;
	uint8_t *host;			/* our page, at HOST_IOVA in the IOAS: the patterns, the read-back */
	bool host_mapped;
	pthread_t worker;
	bool worker_on;
	atomic_bool stop;
};

/* iommufd engines open in this process: one at most (one probe set) */
static unsigned int iommufd_engines_open;

static struct iommufd *IFD(struct p2pb_engine *e)
{
	return e->priv;
}

static void record(struct iommufd *ifd, uint64_t ts, enum p2pb_engine_ev type, int arg)
{
	p2pb_event_ring_push(&ifd->events, (struct p2pb_engine_event){ .ts_ns = ts, .type = type, .arg = arg });
}

static uint64_t arg_attach(const char *args)
{
	const char *p = strstr(args, "attach=");

	return p ? strtoull(p + 7, NULL, 16) : 0;
}

/* One kernel event, with the lock held. */
static void on_probe(void *ctx, const struct p2pb_probe_event *ev)
{
	struct iommufd *ifd = ctx;
	uint64_t at = arg_attach(ev->args);

	if (!strcmp(ev->name, P2PB_PROBE_LOST)) {
		ifd->events.dropped++;	/* the kernel's buffer overflowed: a revoke may be missing */
		return;
	}
	if (!strcmp(ev->name, "attached")) {
		/* our MAP_FILE's attachment (not an error pointer); the same thread attaches other importers */
		if (ifd->map_tid && ev->pid == ifd->map_tid && at && at < (uint64_t)-4095)
			ifd->kattach = at;
		return;
	}
	if (!at || at != ifd->kattach)
		return;			/* another importer's, or one we let go */
	if (!strcmp(ev->name, "revoke")) {
		/* an un-revoke calls it again: the mapping stays revoked */
		record(ifd, ev->ts_ns, P2PB_EE_INVALIDATE, ifd->live);
		ifd->inval_gen++;
	} else if (!strcmp(ev->name, "revoke_ret") && ifd->live) {
		ifd->live = false;
		record(ifd, ev->ts_ns, P2PB_EE_UNMAP, P2PB_UNMAP_POLICY);
	}
}

static void drain(struct iommufd *ifd)
{
	p2pb_probe_set_drain(&ifd->probes, on_probe, ifd);
}

/* ---- the function's own DMA (dma=edu) ---- */

/*
 * The importing function keeps moving data as a guest would that was told
 * nothing: while the mapping is live, ~1 KiB writes into its first page
 * (the traffic); once the kernel removed the translation (revoke_ret seen)
 * or a trigger returned (after which nothing may translate, C1), 64-byte
 * writes of another pattern into slots of its second page (the
 * probes), each of which must fault in the IOMMU and land nowhere. After
 * the remap the slots are read back through the IOMMU before anything else:
 * a probe's pattern in the slot of a probe that completed before the map
 * began means a translation survived the revoke (the probe in flight when
 * the map began may rightly land: its slot is not judged). The patterns are
 * in a page of ours mapped into the IOAS, loaded into the edu buffer once.
 * Every transfer takes edu 100 ms.
 */
#define DMA_LEN		1016u		/* the last one must end before the buffer's last byte (lib/edu.h) */
#define BUF_TRAFFIC	0u		/* edu buffer and our page: the patterns, then the read-back */
#define BUF_PROBE	1024u
#define BUF_CLEAN	2048u
#define BUF_READBACK	3072u
#define SLOT_TRAFFIC	0u		/* in the mapping */
#define SLOT_PROBE	4096u
#define PROBE_LEN	64u
#define PROBE_SLOTS	(DMA_LEN / PROBE_LEN)
#define HOST_IOVA	(1ull << 20)
#define HOST_LEN	4096u
#define DMA_IDLE_NS	(1 * P2PB_NS_PER_MS)

/* The mapping's state as the kernel's events so far and the orchestrator tell it. */
struct dma_view {
	bool live, area;
	bool after_trigger;	/* nothing may translate, whatever the kernel's events say (C1) */
	bool changing;		/* our map or unmap runs: what translates is in flux */
	uint64_t epoch, inval_gen;
};

/* The worker's own: what the probe slots hold. */
enum slot_state {
	SLOT_CLEAN,		/* the clean pattern */
	SLOT_PROBED,		/* a probe that completed while revoked: must still be clean */
	SLOT_UNKNOWN,		/* anything: a probe that may rightly have landed, a clean that did not */
};

struct dma_worker {
	enum slot_state slot[PROBE_SLOTS];
	unsigned int next;	/* the next probe's slot */
	bool probed;		/* some slot is SLOT_PROBED: to be checked */
	bool dirty;		/* some slot is not SLOT_CLEAN */
};

static struct dma_view view(struct iommufd *ifd)
{
	struct dma_view v;

	pthread_mutex_lock(&ifd->lock);
	drain(ifd);
	v = (struct dma_view){ .live = ifd->live, .area = ifd->area, .after_trigger = ifd->after_trigger,
			       .changing = ifd->map_tid || ifd->unmapping, .epoch = ifd->epoch,
			       .inval_gen = ifd->inval_gen };
	pthread_mutex_unlock(&ifd->lock);
	return v;
}

/* The same mapping, never changed, invalidated nor a trigger returned, from @a to @b. */
static bool steady(const struct dma_view *a, const struct dma_view *b)
{
	return a->epoch == b->epoch && a->inval_gen == b->inval_gen && a->after_trigger == b->after_trigger;
}

/* One edu transfer, waited for; *@after: the mapping's state once it completed. */
static int transfer(struct iommufd *ifd, uint32_t buf, uint64_t iova, uint32_t len, enum p2pb_edu_dir dir,
		    struct dma_view *after)
{
	int err = p2pb_edu_dma(&ifd->dev, buf, iova, len, dir);

	*after = view(ifd);
	atomic_thread_fence(memory_order_seq_cst);	/* what it wrote into our page is seen after */
	if (err) {
		pthread_mutex_lock(&ifd->lock);
		ifd->dma_stats.io_timeouts += err == -ETIMEDOUT;
		ifd->dma_stats.io_errors += err != -ETIMEDOUT;
		pthread_mutex_unlock(&ifd->lock);
	}
	return err;
}

/* The patterns into the edu buffer, and read back once: edu's DMA through the IOAS works. */
static int load_patterns(struct iommufd *ifd, uint64_t seed)
{
	struct dma_view after;
	int err;

	p2pb_edu_pattern(ifd->host + BUF_TRAFFIC, DMA_LEN, "traffic", seed);
	p2pb_edu_pattern(ifd->host + BUF_PROBE, DMA_LEN, "PROBE-after-revoke", seed);
	p2pb_edu_pattern(ifd->host + BUF_CLEAN, DMA_LEN, "clean", seed);
	memset(ifd->host + BUF_READBACK, 0, DMA_LEN);
	if ((err = transfer(ifd, 0, HOST_IOVA, BUF_READBACK, P2PB_EDU_FROM_BUS, &after)) ||
	    (err = transfer(ifd, BUF_PROBE, HOST_IOVA + BUF_READBACK, DMA_LEN, P2PB_EDU_TO_BUS, &after)))
		return err;
	return memcmp(ifd->host + BUF_READBACK, ifd->host + BUF_PROBE, DMA_LEN) ? -EIO : 0;
}

/* Revoked, or a trigger returned: a write into the next slot, which the IOMMU must stop. */
static int probe(struct iommufd *ifd, struct dma_worker *w, const struct dma_view *v)
{
	unsigned int k = w->next++ % PROBE_SLOTS;
	struct dma_view after;
	int err = transfer(ifd, BUF_PROBE + k * PROBE_LEN, ifd->o->iova + SLOT_PROBE + k * PROBE_LEN, PROBE_LEN,
			   P2PB_EDU_TO_BUS, &after);

	w->dirty = true;
	if (err)
		return err;
	if (after.epoch != v->epoch) {
		w->slot[k] = SLOT_UNKNOWN;	/* the mapping changed under it: it may rightly have landed */
		return 0;
	}
	pthread_mutex_lock(&ifd->lock);
	ifd->dma_stats.stale_ops++;
	pthread_mutex_unlock(&ifd->lock);
	if (w->slot[k] == SLOT_CLEAN)
		w->slot[k] = SLOT_PROBED;
	w->probed |= w->slot[k] == SLOT_PROBED;
	return 0;
}

/* Live again after probes: read the slots back through the IOMMU, judge the probed ones. */
static int check_probes(struct iommufd *ifd, struct dma_worker *w, const struct dma_view *v)
{
	const uint8_t *got = ifd->host + BUF_READBACK;
	struct dma_view after;
	unsigned int k;
	int err;

	memset(ifd->host + BUF_READBACK, 0, DMA_LEN);
	err = transfer(ifd, BUF_READBACK, ifd->o->iova + SLOT_PROBE, DMA_LEN, P2PB_EDU_FROM_BUS, &after);
	if (err || !steady(v, &after))
		return err;	/* revoked again meanwhile: checked once it is live */
	err = transfer(ifd, BUF_READBACK, HOST_IOVA + BUF_READBACK, DMA_LEN, P2PB_EDU_TO_BUS, &after);
	if (err)
		return err;
	pthread_mutex_lock(&ifd->lock);
	for (k = 0; k < PROBE_SLOTS; k++) {
		if (w->slot[k] != SLOT_PROBED)
			continue;
		ifd->dma_stats.stale_checks++;
		if (!memcmp(got + k * PROBE_LEN, ifd->host + BUF_PROBE + k * PROBE_LEN, PROBE_LEN))
			ifd->dma_stats.stale_landed++;
		else if (memcmp(got + k * PROBE_LEN, ifd->host + BUF_CLEAN + k * PROBE_LEN, PROBE_LEN))
			ifd->dma_stats.stale_unknown++;	/* the device's memory changed under the mapping */
		w->slot[k] = SLOT_UNKNOWN;
	}
	pthread_mutex_unlock(&ifd->lock);
	w->probed = false;
	return 0;
}

/* Live: the clean pattern into every slot. */
static int clean_slots(struct iommufd *ifd, struct dma_worker *w, const struct dma_view *v)
{
	struct dma_view after;
	int err = transfer(ifd, BUF_CLEAN, ifd->o->iova + SLOT_PROBE, PROBE_SLOTS * PROBE_LEN, P2PB_EDU_TO_BUS,
			   &after);

	if (err || !steady(v, &after))
		return err;
	memset(w->slot, 0, sizeof(w->slot));	/* SLOT_CLEAN */
	w->dirty = false;
	return 0;
}

static int dma_step(struct iommufd *ifd, struct dma_worker *w)
{
	struct dma_view v = view(ifd), after;
	int err;

	if (!v.area || v.changing) {
		p2pb_sleep_ns(DMA_IDLE_NS);
		return 0;
	}
	if (!v.live || v.after_trigger)
		return probe(ifd, w, &v);
	if (w->probed)
		return check_probes(ifd, w, &v);
	if (w->dirty)
		return clean_slots(ifd, w, &v);
	err = transfer(ifd, BUF_TRAFFIC, ifd->o->iova + SLOT_TRAFFIC, DMA_LEN, P2PB_EDU_TO_BUS, &after);
	if (!err && steady(&v, &after)) {
		pthread_mutex_lock(&ifd->lock);
		ifd->dma_stats.ops++;
		ifd->dma_stats.bytes += DMA_LEN;
		pthread_mutex_unlock(&ifd->lock);
	}
	return err;
}

/* Until stopped, or until edu fails (counted: the case reports it). */
static void *dma_worker(void *arg)
{
	struct iommufd *ifd = arg;
	struct dma_worker w = { .dirty = true };
	unsigned int k;

	for (k = 0; k < PROBE_SLOTS; k++)
		w.slot[k] = SLOT_UNKNOWN;

	while (!atomic_load(&ifd->stop))
		if (dma_step(ifd, &w))
			break;
	return NULL;
}

static void dma_stop(struct iommufd *ifd)
{
	if (!ifd->worker_on)
		return;
	atomic_store(&ifd->stop, true);
	pthread_join(ifd->worker, NULL);
	ifd->worker_on = false;
}

/* Our page for the patterns, in the IOAS; open. */
static int dma_open(struct p2pb_engine *e, struct iommufd *ifd)
{
	int err;

	ifd->host = mmap(NULL, HOST_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ifd->host == MAP_FAILED) {
		ifd->host = NULL;
		return -ENOMEM;
	}
	err = p2pb_iommufd_map_user(&ifd->fd, ifd->host, HOST_LEN, HOST_IOVA);
	if (err)
		return p2pb_fail(err, "importer %s: cannot map a page of ours at IOVA 0x%llx for edu's patterns: %s",
				 e->spec->text, HOST_IOVA, strerror(-err));
	ifd->host_mapped = true;
	return 0;
}

static void dma_close(struct iommufd *ifd)
{
	dma_stop(ifd);
	if (ifd->host_mapped)
		p2pb_iommufd_unmap(&ifd->fd, HOST_IOVA, HOST_LEN, NULL);
	if (ifd->host)
		munmap(ifd->host, HOST_LEN);
	ifd->host = NULL;
	ifd->host_mapped = false;
}

/* The export fits the probe scheme: two pages, clear of our page. */
static int dma_check_export(struct p2pb_engine *e, const struct p2pb_export *x)
{
	uint64_t iova = IFD(e)->o->iova;

	if (x->length < SLOT_PROBE + 4096)
		return p2pb_fail(-EINVAL, "importer %s: dma=edu writes the mapping's first two pages: the export "
				 "(%llu bytes) needs at least 8 KiB", e->spec->text, (unsigned long long)x->length);
	if (iova < HOST_IOVA + HOST_LEN && HOST_IOVA < iova + x->length)
		return p2pb_fail(-EINVAL, "importer %s: iova=0x%llx overlaps the page dma=edu maps at IOVA 0x%llx: "
				 "move iova=", e->spec->text, (unsigned long long)iova, HOST_IOVA);
	return 0;
}

static bool iommufd_moves_data(const void *opts)
{
	return dma_edu(opts);
}

/* Probes after the revoke are the point of dma=edu: accounted, never blamed on the importer. */
static unsigned int iommufd_injected(const void *opts)
{
	return dma_edu(opts) ? P2PB_INJECT_DMA_AFTER_UNMAP : 0;
}

static void iommufd_trigger_returned(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *ifd = IFD(e);

	(void)a;
	pthread_mutex_lock(&ifd->lock);
	/* not into a map or unmap of ours that races it: what translates then is not the trigger's */
	ifd->after_trigger = ifd->area && !ifd->map_tid && !ifd->unmapping;
	pthread_mutex_unlock(&ifd->lock);
}

static int iommufd_start(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *ifd = IFD(e);
	int err;

	(void)a;
	if (ifd->worker_on)
		return 0;
	err = load_patterns(ifd, e->seed ^ (uint64_t)getpid());
	if (err)
		return p2pb_fail(err, "importer %s: edu's DMA through the IOAS does not work (a pattern read from "
				 "IOVA 0x%llx and written back %s)", e->spec->text, HOST_IOVA,
				 err == -EIO ? "came back different" : strerror(-err));
	atomic_store(&ifd->stop, false);
	if ((err = -pthread_create(&ifd->worker, NULL, dma_worker, ifd)))
		return p2pb_fail(err, "importer %s: cannot start the DMA thread", e->spec->text);
	ifd->worker_on = true;
	return 0;
}

/* ---- the engine ---- */

static int iommufd_open(struct p2pb_engine *e, struct p2pb_restore *r)
{
	struct iommufd *ifd = calloc(1, sizeof(*ifd));
	const char *why = "";
	int err;

	if (!ifd)
		return -ENOMEM;
	e->priv = ifd;
	ifd->o = (const struct iommufd_opts *)e->spec->opts;
	ifd->fd.fd = -1;
	ifd->dev.device_fd = ifd->dev.group_fd = ifd->dev.container_fd = -1;
	ifd->probes = (struct p2pb_probe_set){ .instance = "p2pbench-iommufd", .group = GROUP,
					     .kprobes = p2pb_iommufd_kprobes };
	pthread_mutex_init(&ifd->lock, NULL);
	pthread_mutex_init(&ifd->ioctl_lock, NULL);
	if (iommufd_engines_open)
		return p2pb_fail(-EINVAL, "importer %s: one iommufd importer per run (its kprobes and their trace "
				 "instance are one per process)", e->spec->text);
	iommufd_engines_open++;
	ifd->counted = true;
	ifd->dma = dma_edu(ifd->o);
	if (!p2pb_pci_exists(ifd->o->dev))
		return p2pb_fail(-ENODEV, "importer %s: no PCI device %s", e->spec->text, ifd->o->dev);
	/* iommufd as a module: /dev/iommu has no alias that loads it */
	if (access("/dev/iommu", F_OK) && !p2pb_module_loaded("iommufd"))
		p2pb_module_ensure(r, "iommufd");
	/* a kernel without iommufd is said before anything is rebound */
	if ((err = p2pb_iommufd_open(&ifd->fd)) ||
	    (err = p2pb_vfio_take(r, ifd->o->dev, e->spec->text)))
		return err;
	if (ifd->dma && (err = dma_open(e, ifd)))
		return err;
	err = p2pb_vfio_open_cdev(&ifd->dev, ifd->o->dev, ifd->fd.fd, ifd->fd.ioas_id);
	if (err)
		return p2pb_fail(err, "importer %s: %s", e->spec->text, p2pb_error());
	p2pb_vfio_bus_master(&ifd->dev);	/* the function's DMA */
	err = p2pb_probe_set_start(&ifd->probes, &why);
	if (err)
		return p2pb_fail(err, "importer %s: the iommufd engine times the kernel's revoke of its mapping "
				 "with kprobes on iopt_revoke_notify: %s: %s", e->spec->text, why, strerror(-err));
	return 0;
}

/*
 * The ioctls run under ioctl_lock only: one may wait for the dma-buf's
 * reservation lock, which a revoke holds, while events and stats (under
 * lock, briefly) are read from other threads.
 */

/*
 * The orchestrator maps again: from now on a write may rightly land (a
 * probe completing later proves nothing). Lock held.
 */
static void mapping_allowed(struct iommufd *ifd)
{
	ifd->epoch++;
	ifd->after_trigger = false;
}

/* MAP_FILE at iova, and which kernel attachment it made. ioctl_lock held. */
static int map_area(struct iommufd *ifd)
{
	int err;

	pthread_mutex_lock(&ifd->lock);
	drain(ifd);		/* the events of the attachment before */
	ifd->kattach = 0;
	ifd->map_tid = gettid();
	ifd->area = ifd->live = true;	/* a revoke right after the map is this mapping's */
	mapping_allowed(ifd);
	pthread_mutex_unlock(&ifd->lock);
	err = p2pb_iommufd_map_file(&ifd->fd, ifd->dmabuf_fd, 0, ifd->length, ifd->o->iova);
	pthread_mutex_lock(&ifd->lock);
	drain(ifd);		/* the attach is in the buffer: MAP_FILE made it before returning */
	ifd->epoch++;
	if (err) {
		ifd->area = ifd->live = false;
		ifd->kattach = 0;
	}
	ifd->map_tid = 0;
	if (!err && !ifd->kattach)
		err = -EPROTO;
	pthread_mutex_unlock(&ifd->lock);
	return err;
}

/*
 * Take the area out of the IOAS (a revoked one translates nothing, but
 * keeps its IOVA); @forced: our own release of a live mapping, recorded as
 * such. ioctl_lock held.
 */
static int unmap_area(struct iommufd *ifd, bool forced)
{
	bool area;
	int err;

	pthread_mutex_lock(&ifd->lock);
	drain(ifd);
	area = ifd->area;
	ifd->unmapping = area;
	ifd->epoch += area;
	pthread_mutex_unlock(&ifd->lock);
	if (!area)
		return 0;
	err = p2pb_iommufd_unmap(&ifd->fd, ifd->o->iova, ifd->length, NULL);
	pthread_mutex_lock(&ifd->lock);
	drain(ifd);		/* a revoke during our unmap is still ours */
	ifd->unmapping = false;
	ifd->epoch++;
	if (!err) {
		if (forced && ifd->live)
			record(ifd, p2pb_now_ns(), P2PB_EE_UNMAP, P2PB_UNMAP_FORCED);
		ifd->area = ifd->live = false;
		ifd->kattach = 0;
	}
	pthread_mutex_unlock(&ifd->lock);
	return err;
}

static int iommufd_attach(struct p2pb_engine *e, const struct p2pb_export *x, struct p2pb_attachment *a)
{
	struct iommufd *ifd = IFD(e);
	uint64_t align = 0;
	int err;

	if (x->fd < 0)
		return p2pb_fail(-EINVAL, "importer %s: the iommufd engine imports dma-bufs only", e->spec->text);
	if (!p2pb_iommufd_iova_alignment(&ifd->fd, &align) && align > 1 && (ifd->o->iova % align || x->length % align))
		return p2pb_fail(-EINVAL, "importer %s: iova=0x%llx and the export's length %llu must be multiples "
				 "of the IOAS's alignment, %llu", e->spec->text, (unsigned long long)ifd->o->iova,
				 (unsigned long long)x->length, (unsigned long long)align);
	if (ifd->attached)
		return p2pb_fail(-EINVAL, "an iommufd importer maps one dma-buf (at its iova=): give one iommufd "
				 "importer per dma-buf");
	if (ifd->dma && (err = dma_check_export(e, x)))
		return err;
	pthread_mutex_lock(&ifd->ioctl_lock);
	unmap_area(ifd, false);	/* an area of an earlier export (close re-exports): its IOVA is ours again */
	ifd->dmabuf_fd = x->fd;
	ifd->length = x->length;
	err = map_area(ifd);
	ifd->attached = !err;
	pthread_mutex_unlock(&ifd->ioctl_lock);
	if (err == -EPROTO)
		p2pb_fail(err, "importer %s: the dma-buf was mapped, but no dma_buf_dynamic_attach of this thread "
			  "was seen (in a PID namespace the trace shows other PIDs): its revoke cannot be timed",
			  e->spec->text);
	a->id = 1;
	a->map_err = err;
	return err;
}

/* Does the mapping translate, after the kernel's events so far? */
static bool live_now(struct iommufd *ifd)
{
	bool live;

	pthread_mutex_lock(&ifd->lock);
	drain(ifd);
	live = ifd->live;
	pthread_mutex_unlock(&ifd->lock);
	return live;
}

static int iommufd_map(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *ifd = IFD(e);
	int err = 0;

	pthread_mutex_lock(&ifd->ioctl_lock);
	if (!live_now(ifd) && !(err = unmap_area(ifd, false))) {
		err = map_area(ifd);
	} else if (!err) {
		pthread_mutex_lock(&ifd->lock);
		mapping_allowed(ifd);	/* never revoked (C1 failed): live as it is */
		pthread_mutex_unlock(&ifd->lock);
	}
	pthread_mutex_unlock(&ifd->ioctl_lock);
	a->map_err = err;
	return err;
}

/*
 * A forced release. iommufd removes the translation inside the invalidate,
 * so a revoked mapping needs nothing (and the unmap would wait for the
 * reservation lock a stuck revoke holds); a live one is taken out.
 */
static int iommufd_unmap(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *ifd = IFD(e);
	int err = 0;

	(void)a;
	pthread_mutex_lock(&ifd->ioctl_lock);
	if (live_now(ifd))
		err = unmap_area(ifd, true);
	pthread_mutex_unlock(&ifd->ioctl_lock);
	return err;
}

static int iommufd_events(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_event *ev,
			  uint32_t max, uint32_t *n)
{
	struct iommufd *ifd = IFD(e);
	int err;

	(void)a;
	pthread_mutex_lock(&ifd->lock);
	drain(ifd);
	err = p2pb_event_ring_take(&ifd->events, ev, max, n);
	pthread_mutex_unlock(&ifd->lock);
	return err;
}

static int iommufd_stats(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_stats *st)
{
	struct iommufd *ifd = IFD(e);

	(void)a;
	pthread_mutex_lock(&ifd->lock);
	drain(ifd);
	*st = ifd->dma_stats;
	st->mapped = ifd->live;
	pthread_mutex_unlock(&ifd->lock);
	return 0;
}

static void iommufd_detach(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *ifd = IFD(e);

	(void)a;
	pthread_mutex_lock(&ifd->ioctl_lock);
	unmap_area(ifd, false);
	ifd->attached = false;
	pthread_mutex_unlock(&ifd->ioctl_lock);
}

static void iommufd_close(struct p2pb_engine *e)
{
	struct iommufd *ifd = IFD(e);

	if (!ifd)
		return;
	iommufd_engines_open -= ifd->counted;
	dma_close(ifd);		/* the DMA thread drains the probes */
	/* (a revoke stuck holding the reservation lock would block the IOAS's release: a case then never closes) */
	p2pb_probe_set_stop(&ifd->probes);
	p2pb_vfio_close(&ifd->dev);	/* detaches the function from the IOAS */
	p2pb_iommufd_close(&ifd->fd);
	pthread_mutex_destroy(&ifd->lock);
	pthread_mutex_destroy(&ifd->ioctl_lock);
	free(ifd);
	e->priv = NULL;
}

static json_object *iommufd_describe(const struct p2pb_engine *e)
{
	const struct iommufd *ifd = e->priv;
	const struct iommufd_opts *o = (const struct iommufd_opts *)e->spec->opts;
	json_object *j = json_object_new_object();

	json_object_object_add(j, "device", json_object_new_string(o->dev));
	json_object_object_add(j, "iova", p2pb_json_u64(o->iova));
	json_object_object_add(j, "mapping", json_object_new_string("IOMMU_IOAS_MAP_FILE"));
	if (ifd)
		json_object_object_add(j, "ioas_id", json_object_new_int((int)ifd->fd.ioas_id));
	json_object_object_add(j, "unmap", json_object_new_string("kernel"));
	json_object_object_add(j, "dma", json_object_new_string(dma_edu(o) ? "edu" : "none"));
	return j;
}

const struct p2pb_engine_ops p2pb_engine_iommufd = {
	.name = "iommufd",
	.help = "iommufd, the kernel's importer for VMMs: maps the dma-buf into the IOMMU space of a function "
		"opened through its VFIO cdev (IOMMU_IOAS_MAP_FILE); the kernel unmaps it inside the invalidate",
	.keys = iommufd_keys,
	.opts_size = sizeof(struct iommufd_opts),
	.check = iommufd_check_opts,
	.injected = iommufd_injected,
	.moves_data = iommufd_moves_data,
	.describe = iommufd_describe,
	.open = iommufd_open,
	.attach = iommufd_attach,
	.map = iommufd_map,
	.unmap = iommufd_unmap,
	.events = iommufd_events,
	.stats = iommufd_stats,
	.start = iommufd_start,
	.trigger_returned = iommufd_trigger_returned,
	.detach = iommufd_detach,
	.close = iommufd_close,
};
