// SPDX-License-Identifier: GPL-2.0
/* The kmod importer: our test module, driven through /dev/p2pbench_importer. */
#define _GNU_SOURCE
#include "importer.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * The module attaches only as a PCI function bound to its own pci_driver
 * (QEMU edu); say so before the attach fails with a bare EPERM.
 */
static int kmod_check_dev(const struct p2pb_importer *imp)
{
	char drv[64];
	int err = p2pb_pci_driver(imp->dev_bdf, drv, sizeof(drv));

	if (err)
		return p2pb_fail(err, "importer %s: cannot read the driver of %s: %s", imp->spec.text, imp->dev_bdf,
				 strerror(-err));
	if (strcmp(drv, P2PB_IMPORTER_NAME))
		return p2pb_fail(-EPERM, "importer %s: %s is %s%s: the importer must attach as a PCI function bound to "
				 P2PB_IMPORTER_NAME ", e.g. --importer kmod:dev=BDF", imp->spec.text, imp->dev_bdf,
				 drv[0] ? "bound to " : "not bound to any driver", drv);
	return 0;
}

static int kmod_open(struct p2pb_importer *imp, struct p2pb_restore *r)
{
	uint32_t abi = 0;
	int err;

	err = p2pb_module_ensure(r, P2PB_IMPORTER_NAME);
	if (err)
		return p2pb_fail(err, "the kmod importer needs the %s module: %s", P2PB_IMPORTER_NAME, p2pb_error());
	if ((err = kmod_check_dev(imp)))
		return err;
	imp->fd = open("/dev/" P2PB_IMPORTER_NAME, O_RDWR | O_CLOEXEC);
	if (imp->fd < 0)
		return p2pb_fail(-errno, "cannot open /dev/%s: %s", P2PB_IMPORTER_NAME, strerror(errno));
	if (ioctl(imp->fd, P2PB_IOC_ABI, &abi) || abi != P2PB_IMPORTER_ABI) {
		close(imp->fd);
		imp->fd = -1;
		return p2pb_fail(-EPROTO, "module %s speaks ABI %u, this p2pbench speaks %u: rebuild and reload the module",
				 P2PB_IMPORTER_NAME, abi, P2PB_IMPORTER_ABI);
	}
	return 0;
}

static int kmod_attach(struct p2pb_importer *imp, int dmabuf_fd, struct p2pb_attachment *a)
{
	struct p2pb_attach req = {
		.dmabuf_fd = dmabuf_fd,
		.mode = imp->spec.attach_mode,
		.pci_domain = imp->dev.domain,
		.pci_bus = imp->dev.bus,
		.pci_devfn = p2pb_pci_devfn(&imp->dev),
		.flags = P2PB_ATTACH_F_MAP,
		.fence_hold_ns = imp->spec.fence_hold_ns,
	};
	int err;

	switch (imp->spec.delay_kind) {
	case P2PB_DELAY_NEVER_UNMAP:
		req.unmap_policy = P2PB_UNMAP_NEVER;
		break;
	case P2PB_DELAY_FIXED:
		if (!imp->spec.delay_a_ns) {
			req.unmap_policy = P2PB_UNMAP_IMMEDIATE;
			break;
		}
		/* fall through */
	default:
		req.unmap_policy = P2PB_UNMAP_DELAY;
		req.nr_delays = imp->n_delays;
		memcpy(req.delays_ns, imp->delays_ns, sizeof(req.delays_ns));
	}
	if (ioctl(imp->fd, P2PB_IOC_ATTACH, &req)) {
		err = -errno;
		/* unbound since open: the message says which device and why */
		if (err == -EPERM && kmod_check_dev(imp))
			return -EPERM;
		return err;
	}
	a->id = req.id;
	a->dmabuf_size = req.dmabuf_size;
	a->map_err = req.map_err;
	a->dma_addr = req.dma_addr;
	a->dma_len = req.dma_len;
	return 0;
}

static int kmod_map(struct p2pb_importer *imp, struct p2pb_attachment *a)
{
	struct p2pb_map m = { .id = a->id };

	if (ioctl(imp->fd, P2PB_IOC_MAP, &m))
		return -errno;
	a->map_err = m.err;
	a->dma_addr = m.dma_addr;
	a->dma_len = m.dma_len;
	return m.err;
}

static int kmod_unmap(struct p2pb_importer *imp, struct p2pb_attachment *a)
{
	struct p2pb_map m = { .id = a->id };

	return ioctl(imp->fd, P2PB_IOC_UNMAP, &m) ? -errno : 0;
}

static int kmod_events(struct p2pb_importer *imp, struct p2pb_attachment *a, struct p2pb_event *ev,
		       uint32_t max, uint32_t *n)
{
	struct p2pb_events req = { .id = a->id, .max = max, .events_ptr = (uintptr_t)ev };

	if (ioctl(imp->fd, P2PB_IOC_EVENTS, &req))
		return -errno;
	*n = req.count;
	return req.dropped ? -EOVERFLOW : 0;
}

static int kmod_stats(struct p2pb_importer *imp, struct p2pb_attachment *a, struct p2pb_importer_stats *out)
{
	struct p2pb_status st = { .id = a->id };

	if (ioctl(imp->fd, P2PB_IOC_STATUS, &st))
		return -errno;
	out->mapped = st.mapped;
	out->dma_bytes = st.dma_bytes;
	out->dma_ops = st.dma_ops;
	out->dma_stale_ops = st.dma_stale_ops;
	return 0;
}

static int kmod_dma_start(struct p2pb_importer *imp, struct p2pb_attachment *a)
{
	struct p2pb_dma d = {
		.id = a->id,
		.enable = 1,
		.size = imp->spec.dma_size,
		.flags = imp->spec.dma_after_unmap ? P2PB_DMA_F_AFTER_UNMAP : 0,
		.interval_ns = imp->spec.dma_interval_ns,
	};

	if (ioctl(imp->fd, P2PB_IOC_DMA, &d))
		return errno == EOPNOTSUPP ?
		       p2pb_fail(-EOPNOTSUPP, "importer %s: %s has no DMA engine this module can drive "
				 "(dma= needs a QEMU edu device bound to p2pbench_importer)", imp->spec.text,
				 imp->dev_bdf) :
		       p2pb_fail(-errno, "importer %s: starting DMA failed: %s", imp->spec.text, strerror(errno));
	return 0;
}

static int kmod_detach(struct p2pb_importer *imp, struct p2pb_attachment *a)
{
	return ioctl(imp->fd, P2PB_IOC_DETACH, &a->id) ? -errno : 0;
}

static void kmod_close(struct p2pb_importer *imp)
{
	if (imp->fd >= 0)
		close(imp->fd);
	imp->fd = -1;
}

const struct p2pb_importer_ops p2pb_importer_kmod = {
	.name = "kmod",
	.help = "p2pbench test importer module: unmaps immediately, after a delay, or never; attaches as a PCI "
		"function bound to it (QEMU edu)",
	.open = kmod_open,
	.attach = kmod_attach,
	.map = kmod_map,
	.unmap = kmod_unmap,
	.events = kmod_events,
	.stats = kmod_stats,
	.dma_start = kmod_dma_start,
	.detach = kmod_detach,
	.close = kmod_close,
};
