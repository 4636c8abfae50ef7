// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "vfio.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * The dma-buf export feature is newer than the uAPI headers of the build
 * host (Debian 12 ships 6.1 headers); its ABI is fixed, so it is described
 * here from the uAPI documentation.
 */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11
#endif
struct p2pb_vfio_dma_buf_req {
	uint32_t region_index;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr_ranges;
	struct p2pb_range ranges[];
};

static int region_info(int fd, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

/* The device's config space and BAR regions, once its fd is open. */
static int read_regions(struct p2pb_vfio_dev *d)
{
	struct vfio_region_info ri;
	uint32_t i;

	if (region_info(d->device_fd, VFIO_PCI_CONFIG_REGION_INDEX, &ri))
		return p2pb_fail(-EIO, "%s: no config space region", d->bdf);
	d->cfg_offset = ri.offset;
	for (i = 0; i < 6; i++) {
		if (region_info(d->device_fd, VFIO_PCI_BAR0_REGION_INDEX + i, &ri))
			continue;
		d->bar[i].size = ri.size;
		d->bar[i].offset = ri.offset;
		d->bar[i].flags = ri.flags;
	}
	return 0;
}

int p2pb_vfio_open_device(struct p2pb_vfio_dev *d)
{
	d->device_fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->device_fd < 0) {
		int err = -errno;

		d->device_fd = -1;
		if (err == -EBUSY)
			return p2pb_fail(err, "%s is already open through VFIO by another process", d->bdf);
		return p2pb_fail(err, "cannot open %s through VFIO group %d: %s", d->bdf, d->group_id,
				 strerror(-err));
	}
	return read_regions(d);
}

/* d reset to nothing open, for bdf: which must exist and be on vfio-pci. */
static int on_vfio_pci(struct p2pb_vfio_dev *d, const char *bdf)
{
	char drv[64];
	int err;

	memset(d, 0, sizeof(*d));
	d->container_fd = d->group_fd = d->device_fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	if (!p2pb_pci_exists(bdf))
		return p2pb_fail(-ENODEV, "no PCI device %s on this machine (see lspci -D)", bdf);
	err = p2pb_pci_driver(bdf, drv, sizeof(drv));
	if (err)
		return p2pb_fail(err, "cannot read the driver of %s", bdf);
	if (strcmp(drv, "vfio-pci"))
		return p2pb_fail(-EPERM, "%s is %s, not on vfio-pci: bind it first (or pass --bind to rebind it for the run%s)",
				 bdf, drv[0] ? "bound to a kernel driver" : "not bound to any driver",
				 drv[0] ? ", restoring it after" : "");
	return 0;
}

int p2pb_vfio_open(struct p2pb_vfio_dev *d, const char *bdf)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[64];
	int err;

	err = on_vfio_pci(d, bdf);
	if (err)
		return err;
	d->group_id = p2pb_pci_iommu_group(bdf);
	if (d->group_id < 0)
		return d->group_id;

	d->container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container_fd < 0)
		return p2pb_fail(-errno, "cannot open /dev/vfio/vfio: %s (is the vfio module loaded?)", strerror(errno));
	if (ioctl(d->container_fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(d->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return p2pb_fail(-ENOTSUP, "VFIO type1v2 IOMMU not available (modprobe vfio_iommu_type1)");
	snprintf(path, sizeof(path), "/dev/vfio/%d", d->group_id);
	d->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->group_fd < 0)
		return p2pb_fail(-errno, "cannot open %s: %s%s", path, strerror(errno),
				 errno == EBUSY ? " (the group is in use by another process)" : "");
	if (ioctl(d->group_fd, VFIO_GROUP_GET_STATUS, &gs) || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return p2pb_fail(-EPERM, "IOMMU group %d of %s is not viable: every device in it must be bound to vfio-pci or unbound",
				 d->group_id, bdf);
	if (ioctl(d->group_fd, VFIO_GROUP_SET_CONTAINER, &d->container_fd))
		return p2pb_fail(-errno, "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(d->container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return p2pb_fail(-errno, "VFIO_SET_IOMMU: %s", strerror(errno));
	return p2pb_vfio_open_device(d);
}

/*
 * The VFIO cdev uAPI (Linux 6.6) is newer than the build host's headers too:
 * bind a device fd opened from /dev/vfio/devices/vfioN to an iommufd, then
 * attach it to an IOAS (or page table) of that iommufd.
 */
#define P2PB_VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#define P2PB_VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
struct p2pb_vfio_bind_iommufd {
	uint32_t argsz, flags;
	int32_t iommufd;
	uint32_t out_devid;
	uint64_t token_uuid_ptr;
};

struct p2pb_vfio_attach_pt {
	uint32_t argsz, flags, pt_id, pasid;
};

/* /dev/vfio/devices/vfioN of bdf (N is VFIO's device index, not the IOMMU group). */
static int cdev_path(const char *bdf, char *path, size_t len)
{
	char dir[128];
	struct dirent *e;
	DIR *dh;
	int err = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dh = opendir(dir);
	if (!dh)
		return -errno;
	while ((e = readdir(dh)))
		if (!strncmp(e->d_name, "vfio", 4) && strlen(e->d_name) < 32) {
			snprintf(path, len, "/dev/vfio/devices/%.31s", e->d_name);
			err = 0;
			break;
		}
	closedir(dh);
	return err;
}

int p2pb_vfio_open_cdev(struct p2pb_vfio_dev *d, const char *bdf, int iommufd, uint32_t ioas_id)
{
	struct p2pb_vfio_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	struct p2pb_vfio_attach_pt at = { .argsz = sizeof(at), .pt_id = ioas_id };
	char path[300];
	int err;

	err = on_vfio_pci(d, bdf);
	if (err)
		return err;
	err = cdev_path(bdf, path, sizeof(path));
	if (err)
		return p2pb_fail(err, "%s has no VFIO cdev (/sys/bus/pci/devices/%s/vfio-dev): this kernel has no "
				 "CONFIG_VFIO_DEVICE_CDEV (in the lab, scripts/lab --kernel build)", bdf, bdf);
	d->device_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->device_fd < 0)
		return p2pb_fail(-errno, "cannot open %s (%s): %s", path, bdf, strerror(errno));
	if (ioctl(d->device_fd, P2PB_VFIO_DEVICE_BIND_IOMMUFD, &b)) {
		err = -errno;
		p2pb_fail(err, "binding %s to an iommufd: %s%s", bdf, strerror(-err),
			  err == -EBUSY ? " (its IOMMU group is open through /dev/vfio, by us or another process)" : "");
	} else if (ioctl(d->device_fd, P2PB_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
		err = p2pb_fail(-errno, "attaching %s to IOAS %u: %s", bdf, ioas_id, strerror(errno));
	} else {
		err = read_regions(d);
	}
	if (err)
		p2pb_vfio_close_device(d);	/* unbinds and detaches too */
	return err;
}

void p2pb_vfio_close_device(struct p2pb_vfio_dev *d)
{
	if (d->device_fd >= 0)
		close(d->device_fd);
	d->device_fd = -1;
}

void p2pb_vfio_close(struct p2pb_vfio_dev *d)
{
	p2pb_vfio_close_device(d);
	if (d->group_fd >= 0)
		close(d->group_fd);
	if (d->container_fd >= 0)
		close(d->container_fd);
	d->group_fd = d->container_fd = -1;
}

static int feature(struct p2pb_vfio_dev *d, uint32_t flags, void *data, size_t len)
{
	size_t sz = sizeof(struct vfio_device_feature) + len;
	struct vfio_device_feature *f = calloc(1, sz);
	int ret;

	if (!f)
		return -ENOMEM;
	f->argsz = (uint32_t)sz;
	f->flags = flags;
	if (len)
		memcpy(f->data, data, len);
	ret = ioctl(d->device_fd, VFIO_DEVICE_FEATURE, f);
	if (ret < 0)
		ret = -errno;
	free(f);
	return ret;
}

int p2pb_vfio_dmabuf_supported(struct p2pb_vfio_dev *d)
{
	int ret = feature(d, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_DMA_BUF, NULL, 0);

	if (ret < 0)
		return p2pb_fail(ret, "this kernel cannot export %s as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF probe: %s); "
				 "it needs Linux 6.19 or later with CONFIG_VFIO_PCI_DMABUF", d->bdf, strerror(-ret));
	return 0;
}

int p2pb_vfio_export(struct p2pb_vfio_dev *d, uint32_t region, const struct p2pb_range *r, uint32_t nr)
{
	size_t len = sizeof(struct p2pb_vfio_dma_buf_req) + nr * sizeof(*r);
	struct p2pb_vfio_dma_buf_req *req = calloc(1, len);
	int ret;

	if (!req)
		return -ENOMEM;
	req->region_index = region;
	req->open_flags = O_RDWR | O_CLOEXEC;
	req->nr_ranges = nr;
	memcpy(req->ranges, r, nr * sizeof(*r));
	ret = feature(d, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF, req, len);
	free(req);
	return ret;
}

int p2pb_vfio_take(struct p2pb_restore *r, const char *bdf, const char *who)
{
	char drv[64];
	int err = p2pb_pci_driver(bdf, drv, sizeof(drv));

	if (err)
		return p2pb_fail(err, "%s: cannot read the driver of %s", who, bdf);
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	if (drv[0] && strcmp(drv, "p2pbench_importer"))
		return p2pb_fail(-EBUSY, "%s: %s is bound to %s; p2pbench takes a function that is unbound, on "
				 "vfio-pci or on p2pbench_importer, never one another driver holds", who, bdf, drv);
	if ((err = p2pb_module_ensure(r, "vfio-pci")) || (err = p2pb_pci_bind(r, bdf, "vfio-pci")))
		return p2pb_fail(err, "%s: %s", who, p2pb_error());
	return 0;
}

int p2pb_vfio_map_dma(struct p2pb_vfio_dev *d, void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
	};

	return ioctl(d->container_fd, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

int p2pb_vfio_unmap_dma(struct p2pb_vfio_dev *d, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };

	return ioctl(d->container_fd, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;
}

void *p2pb_vfio_bar_mmap(struct p2pb_vfio_dev *d, uint32_t bar, uint64_t off, uint64_t len)
{
	void *p;

	if (bar > 5 || off + len > d->bar[bar].size || !(d->bar[bar].flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		p2pb_fail(-EINVAL, "%s: BAR%u cannot be mmapped for [%#llx, +%#llx)", d->bdf, bar,
			  (unsigned long long)off, (unsigned long long)len);
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d->device_fd, (off_t)(d->bar[bar].offset + off));
	if (p == MAP_FAILED) {
		p2pb_fail(-errno, "%s: mmap of BAR%u: %s", d->bdf, bar, strerror(errno));
		return NULL;
	}
	return p;
}

int p2pb_vfio_bar_read(struct p2pb_vfio_dev *d, uint32_t bar, uint64_t off, void *buf, size_t len)
{
	ssize_t n;

	if (bar > 5 || off + len > d->bar[bar].size)
		return -EINVAL;
	n = pread(d->device_fd, buf, len, (off_t)(d->bar[bar].offset + off));
	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

int p2pb_vfio_bar_write(struct p2pb_vfio_dev *d, uint32_t bar, uint64_t off, const void *buf, size_t len)
{
	ssize_t n;

	if (bar > 5 || off + len > d->bar[bar].size)
		return -EINVAL;
	n = pwrite(d->device_fd, buf, len, (off_t)(d->bar[bar].offset + off));
	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

void p2pb_vfio_bus_master(struct p2pb_vfio_dev *d)
{
	uint16_t cmd;

	if (!p2pb_vfio_cfg_read(d, PCI_COMMAND, &cmd, sizeof(cmd))) {
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
		p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, sizeof(cmd));
	}
}

int p2pb_vfio_cfg_read(struct p2pb_vfio_dev *d, uint32_t off, void *buf, size_t len)
{
	ssize_t n = pread(d->device_fd, buf, len, (off_t)(d->cfg_offset + off));

	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

int p2pb_vfio_cfg_write(struct p2pb_vfio_dev *d, uint32_t off, const void *buf, size_t len)
{
	ssize_t n = pwrite(d->device_fd, buf, len, (off_t)(d->cfg_offset + off));

	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

uint32_t p2pb_vfio_find_cap(struct p2pb_vfio_dev *d, uint8_t cap_id)
{
	uint16_t status;
	uint8_t pos, hdr[2];
	int guard = 48;

	if (p2pb_vfio_cfg_read(d, PCI_STATUS, &status, 2) || !(status & PCI_STATUS_CAP_LIST))
		return 0;
	if (p2pb_vfio_cfg_read(d, PCI_CAPABILITY_LIST, &pos, 1))
		return 0;
	while (pos >= 0x40 && guard--) {
		pos &= ~3;
		if (p2pb_vfio_cfg_read(d, pos, hdr, 2))
			return 0;
		if (hdr[0] == cap_id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

int p2pb_vfio_reset(struct p2pb_vfio_dev *d)
{
	return ioctl(d->device_fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

int p2pb_vfio_hot_reset(struct p2pb_vfio_dev *d)
{
	struct vfio_pci_hot_reset_info *info;
	struct vfio_pci_hot_reset *rst;
	size_t sz = sizeof(*info) + 16 * sizeof(struct vfio_pci_dependent_device);
	uint32_t i;
	int ret;

	info = calloc(1, sz);
	if (!info)
		return -ENOMEM;
	info->argsz = (uint32_t)sz;
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info)) {
		ret = p2pb_fail(-errno, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s", strerror(errno));
		free(info);
		return ret;
	}
	/* We can only pass our own group: every affected device must be in it. */
	for (i = 0; i < info->count; i++) {
		if ((int)info->devices[i].group_id != d->group_id) {
			ret = p2pb_fail(-EPERM, "a hot reset of %s also resets %04x:%02x:%02x.%x in IOMMU group %u, which this run does not own",
					d->bdf, info->devices[i].segment, info->devices[i].bus,
					info->devices[i].devfn >> 3, info->devices[i].devfn & 7,
					info->devices[i].group_id);
			free(info);
			return ret;
		}
	}
	free(info);
	rst = calloc(1, sizeof(*rst) + sizeof(int32_t));
	if (!rst)
		return -ENOMEM;
	rst->argsz = sizeof(*rst) + sizeof(int32_t);
	rst->count = 1;
	rst->group_fds[0] = d->group_fd;
	ret = ioctl(d->device_fd, VFIO_DEVICE_PCI_HOT_RESET, rst) ? -errno : 0;
	free(rst);
	return ret;
}

int p2pb_vfio_low_power(struct p2pb_vfio_dev *d, bool enter)
{
	return feature(d, VFIO_DEVICE_FEATURE_SET |
		       (enter ? VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY : VFIO_DEVICE_FEATURE_LOW_POWER_EXIT),
		       NULL, 0);
}

int p2pb_vfio_low_power_wakeup(struct p2pb_vfio_dev *d, int eventfd)
{
	struct vfio_device_low_power_entry_with_wakeup w = { .wakeup_eventfd = eventfd };

	return feature(d, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, &w,
		       sizeof(w));
}

int p2pb_vfio_get_info(struct p2pb_vfio_dev *d)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	return ioctl(d->device_fd, VFIO_DEVICE_GET_INFO, &info) ? -errno : 0;
}

#define P2PB_VFIO_PARAMS "/sys/module/vfio_pci_core/parameters/"

int p2pb_vfio_param_read(const char *name, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), P2PB_VFIO_PARAMS "%s", name);
	return p2pb_read_file(path, buf, len);
}

int p2pb_vfio_param_write(const char *name, const char *val)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), P2PB_VFIO_PARAMS "%s", name);
	err = p2pb_write_file(path, val, false);
	if (err == -ENOENT || err == -EACCES)
		return p2pb_fail(err, "cannot write %s: %s", path, strerror(-err));
	return err ? p2pb_fail(err, "vfio_pci_core refused %s=%s", name, val) : 0;
}

void p2pb_vfio_revoke_bound(unsigned int *timeout_ms, bool *proceeds)
{
	char v[32];

	*timeout_ms = 0;
	*proceeds = false;
	if (p2pb_vfio_param_read("revoke_timeout_ms", v, sizeof(v)))
		return;
	*timeout_ms = (unsigned int)strtoul(v, NULL, 10);
	*proceeds = !p2pb_vfio_param_read("revoke_timeout_policy", v, sizeof(v)) && !strcmp(v, "proceed");
}
