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
#include "error.h"
#include "iommufd.h"
#include "result.h"
#include "trace.h"
#include "vfio.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct iommufd_opts {
	char dev[P2PB_BDF_LEN];
	uint64_t iova;
};

_Static_assert(sizeof(struct iommufd_opts) <= P2PB_ENGINE_OPTS, "iommufd options fit a spec");

#define IOFD_FIELD(member) P2PB_OPT_FIELD(struct iommufd_opts, member)

static const struct p2pb_opt iommufd_keys[] = {
	{ .name = "dev", .type = P2PB_OPT_BDF, IOFD_FIELD(dev),
	  .help = "the importing PCI function, on vfio-pci or unbound (p2pbench binds it for the run), opened "
		  "through its VFIO cdev (required; in the lab the edu device, 0000:02:00.0)" },
	{ .name = "iova", .type = P2PB_OPT_SIZE, IOFD_FIELD(iova), .def = "1g", .multiple = 4096, .metavar = "ADDR",
	  .help = "where the dma-buf is mapped in the IOAS (page aligned)" },
	{ 0 },
};

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
	"r:" GROUP "/revoked iopt_revoke_notify attach=$arg1:x64",
	"r:" GROUP "/attached dma_buf_dynamic_attach attach=$retval:x64",
	NULL,
};

#define RING 256

struct iommufd {
	const struct iommufd_opts *o;
	struct p2pb_iommufd fd;
	struct p2pb_vfio_dev dev;
	struct p2pb_probe_set probes;
	pthread_mutex_t lock;		/* the fields below; events and stats come from any thread */
	int dmabuf_fd;
	uint64_t length;
	uint64_t kattach;		/* the kernel's dma_buf_attachment of our mapping, 0 unknown */
	bool attached;			/* to an export (one at a time: one IOVA) */
	bool area;			/* an area is in the IOAS at iova */
	bool live;			/* it translates (not revoked) */
	pid_t mapper;			/* while our MAP_FILE runs: its thread, else 0 */
	struct p2pb_engine_event ring[RING];
	unsigned int head, count, dropped;
};

static struct iommufd *I(struct p2pb_engine *e)
{
	return e->priv;
}

static void record(struct iommufd *k, uint64_t ts, enum p2pb_engine_ev type, int arg)
{
	if (k->count == RING) {
		k->head = (k->head + 1) % RING;
		k->count--;
		k->dropped++;
	}
	k->ring[(k->head + k->count++) % RING] = (struct p2pb_engine_event){ .ts_ns = ts, .type = type, .arg = arg };
}

static uint64_t arg_attach(const char *args)
{
	const char *p = strstr(args, "attach=");

	return p ? strtoull(p + 7, NULL, 16) : 0;
}

/* One kernel event, with the lock held. */
static void on_probe(void *ctx, const struct p2pb_probe_event *ev)
{
	struct iommufd *k = ctx;
	uint64_t at = arg_attach(ev->args);

	if (!strcmp(ev->name, "attached")) {
		/* our MAP_FILE's attachment; the same thread attaches other importers at other times */
		if (k->mapper && ev->pid == k->mapper && at)
			k->kattach = at;
		return;
	}
	if (!at || at != k->kattach)
		return;			/* another importer's, or one we let go */
	if (!strcmp(ev->name, "revoke")) {
		/* an un-revoke calls it again: the mapping stays revoked */
		record(k, ev->ts_ns, P2PB_EE_INVALIDATE, k->live);
	} else if (!strcmp(ev->name, "revoked") && k->live) {
		k->live = false;
		record(k, ev->ts_ns, P2PB_EE_UNMAP, P2PB_UNMAP_POLICY);
	}
}

static void drain(struct iommufd *k)
{
	p2pb_probe_set_drain(&k->probes, on_probe, k);
}

/* ---- the engine ---- */

/* dev= on vfio-pci: an unbound function, or one our test module holds, is moved there for the run. */
static int iommufd_bind(struct p2pb_engine *e, struct p2pb_restore *r)
{
	const char *dev = I(e)->o->dev;
	char drv[64];
	int err = p2pb_pci_driver(dev, drv, sizeof(drv));

	if (err)
		return p2pb_fail(err, "importer %s: cannot read the driver of %s", e->spec->text, dev);
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	if (drv[0] && strcmp(drv, "p2pbench_importer"))
		return p2pb_fail(-EBUSY, "importer %s: %s is bound to %s; the iommufd engine takes a function that "
				 "is unbound, on vfio-pci or on p2pbench_importer, never one another driver holds",
				 e->spec->text, dev, drv);
	if ((err = p2pb_module_ensure(r, "vfio-pci")) || (err = p2pb_pci_bind(r, dev, "vfio-pci")))
		return p2pb_fail(err, "importer %s: %s", e->spec->text, p2pb_error());
	return 0;
}

static int iommufd_open(struct p2pb_engine *e, struct p2pb_restore *r)
{
	struct iommufd *k = calloc(1, sizeof(*k));
	const char *why = "";
	uint16_t cmd;
	int err;

	if (!k)
		return -ENOMEM;
	e->priv = k;
	k->o = (const struct iommufd_opts *)e->spec->opts;
	k->fd.fd = -1;
	k->dev.device_fd = k->dev.group_fd = k->dev.container_fd = -1;
	k->probes = (struct p2pb_probe_set){ .instance = "p2pbench-iommufd", .group = GROUP,
					     .kprobes = p2pb_iommufd_kprobes };
	pthread_mutex_init(&k->lock, NULL);
	if (e->instance > 0)
		return p2pb_fail(-EINVAL, "importer %s: count=%u: one iommufd importer per PCI function (an IOAS "
				 "per device); give another dev= for another", e->spec->text, e->spec->count);
	if (!p2pb_pci_exists(k->o->dev))
		return p2pb_fail(-ENODEV, "importer %s: no PCI device %s", e->spec->text, k->o->dev);
	/* a kernel without iommufd is said before anything is rebound */
	if ((err = p2pb_iommufd_open(&k->fd)) || (err = iommufd_bind(e, r)))
		return err;
	err = p2pb_vfio_open_cdev(&k->dev, k->o->dev, k->fd.fd, k->fd.ioas_id);
	if (err)
		return p2pb_fail(err, "importer %s: %s", e->spec->text, p2pb_error());
	/* vfio-pci turns bus mastering off at open; the function's DMA needs it */
	if (!p2pb_vfio_cfg_read(&k->dev, PCI_COMMAND, &cmd, 2)) {
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
		p2pb_vfio_cfg_write(&k->dev, PCI_COMMAND, &cmd, 2);
	}
	err = p2pb_probe_set_start(&k->probes, &why);
	if (err)
		return p2pb_fail(err, "importer %s: the iommufd engine times the kernel's revoke of its mapping "
				 "with kprobes on iopt_revoke_notify: %s: %s", e->spec->text, why, strerror(-err));
	return 0;
}

/* MAP_FILE at iova, and which kernel attachment it made. Lock held. */
static int map_locked(struct iommufd *k)
{
	int err;

	drain(k);		/* the events of the attachment before */
	k->kattach = 0;
	k->mapper = gettid();
	err = p2pb_iommufd_map_file(&k->fd, k->dmabuf_fd, 0, k->length, k->o->iova);
	if (!err) {
		k->area = k->live = true;
		drain(k);	/* the attach is in the buffer: MAP_FILE made it before returning */
	}
	k->mapper = 0;
	return err;
}

/* Take the area out of the IOAS (a revoked one translates nothing, but keeps its IOVA). Lock held. */
static int unmap_locked(struct iommufd *k)
{
	int err;

	if (!k->area)
		return 0;
	err = p2pb_iommufd_unmap(&k->fd, k->o->iova, k->length, NULL);
	if (err)
		return err;
	k->area = false;
	k->kattach = 0;
	return 0;
}

static int iommufd_attach(struct p2pb_engine *e, const struct p2pb_export *x, struct p2pb_attachment *a)
{
	struct iommufd *k = I(e);
	uint64_t align = 0;
	int err;

	if (x->fd < 0)
		return p2pb_fail(-EINVAL, "importer %s: the iommufd engine imports dma-bufs only", e->spec->text);
	if (!p2pb_iommufd_iova_alignment(&k->fd, &align) && align > 1 && (k->o->iova % align || x->length % align))
		return p2pb_fail(-EINVAL, "importer %s: iova=0x%llx and the export's length %llu must be multiples "
				 "of the IOAS's alignment, %llu", e->spec->text, (unsigned long long)k->o->iova,
				 (unsigned long long)x->length, (unsigned long long)align);
	if (k->attached)
		return p2pb_fail(-EINVAL, "an iommufd importer maps one dma-buf (at its iova=): give one iommufd "
				 "importer, each with its own dev=, per dma-buf");
	pthread_mutex_lock(&k->lock);
	drain(k);
	unmap_locked(k);	/* an area of an earlier export (close re-exports): its IOVA is ours again */
	k->dmabuf_fd = x->fd;
	k->length = x->length;
	err = map_locked(k);
	if (!err && !k->kattach)
		err = p2pb_fail(-EPROTO, "importer %s: the dma-buf was mapped, but no dma_buf_dynamic_attach of ours "
				"was seen: its revoke cannot be timed", e->spec->text);
	k->attached = !err;
	pthread_mutex_unlock(&k->lock);
	a->id = 1;
	a->map_err = err;
	return err;
}

static int iommufd_map(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *k = I(e);
	int err;

	pthread_mutex_lock(&k->lock);
	drain(k);
	err = k->live ? 0 : unmap_locked(k);
	if (!err && !k->area)
		err = map_locked(k);
	pthread_mutex_unlock(&k->lock);
	a->map_err = err;
	return err;
}

static int iommufd_unmap(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *k = I(e);
	bool was_live;
	int err;

	(void)a;
	pthread_mutex_lock(&k->lock);
	drain(k);
	was_live = k->live;
	err = unmap_locked(k);
	if (!err && was_live) {
		k->live = false;
		record(k, p2pb_now_ns(), P2PB_EE_UNMAP, P2PB_UNMAP_FORCED);
	}
	pthread_mutex_unlock(&k->lock);
	return err;
}

static int iommufd_events(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_event *ev,
			  uint32_t max, uint32_t *n)
{
	struct iommufd *k = I(e);
	int lost;

	(void)a;
	pthread_mutex_lock(&k->lock);
	drain(k);
	for (*n = 0; *n < max && k->count; (*n)++, k->count--, k->head = (k->head + 1) % RING)
		ev[*n] = k->ring[k->head];
	lost = k->dropped;
	k->dropped = 0;
	pthread_mutex_unlock(&k->lock);
	return lost ? -EOVERFLOW : 0;
}

static int iommufd_stats(struct p2pb_engine *e, struct p2pb_attachment *a, struct p2pb_engine_stats *st)
{
	struct iommufd *k = I(e);

	(void)a;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&k->lock);
	drain(k);
	st->mapped = k->live;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static void iommufd_detach(struct p2pb_engine *e, struct p2pb_attachment *a)
{
	struct iommufd *k = I(e);

	(void)a;
	pthread_mutex_lock(&k->lock);
	drain(k);
	unmap_locked(k);
	k->live = k->attached = false;
	pthread_mutex_unlock(&k->lock);
}

static void iommufd_close(struct p2pb_engine *e)
{
	struct iommufd *k = I(e);

	if (!k)
		return;
	p2pb_probe_set_stop(&k->probes);
	p2pb_vfio_close(&k->dev);	/* detaches the function from the IOAS */
	p2pb_iommufd_close(&k->fd);
	pthread_mutex_destroy(&k->lock);
	free(k);
	e->priv = NULL;
}

static json_object *iommufd_describe(const struct p2pb_engine *e)
{
	const struct iommufd *k = e->priv;
	const struct iommufd_opts *o = (const struct iommufd_opts *)e->spec->opts;
	json_object *j = json_object_new_object();

	json_object_object_add(j, "device", json_object_new_string(o->dev));
	json_object_object_add(j, "iova", p2pb_json_u64(o->iova));
	json_object_object_add(j, "mapping", json_object_new_string("IOMMU_IOAS_MAP_FILE"));
	if (k)
		json_object_object_add(j, "ioas_id", json_object_new_int((int)k->fd.ioas_id));
	json_object_object_add(j, "unmap", json_object_new_string("kernel"));
	return j;
}

const struct p2pb_engine_ops p2pb_engine_iommufd = {
	.name = "iommufd",
	.help = "iommufd, the kernel's importer for VMMs: maps the dma-buf into the IOMMU space of a function "
		"opened through its VFIO cdev (IOMMU_IOAS_MAP_FILE); the kernel unmaps it inside the invalidate",
	.keys = iommufd_keys,
	.opts_size = sizeof(struct iommufd_opts),
	.check = iommufd_check_opts,
	.describe = iommufd_describe,
	.open = iommufd_open,
	.attach = iommufd_attach,
	.map = iommufd_map,
	.unmap = iommufd_unmap,
	.events = iommufd_events,
	.stats = iommufd_stats,
	.detach = iommufd_detach,
	.close = iommufd_close,
};
