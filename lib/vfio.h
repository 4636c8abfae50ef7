/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_VFIO_H
#define P2PB_VFIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"

/*
 * A PCI function bound to vfio-pci, opened through the VFIO group/container
 * API (Debian's 7.3 kernels have no iommufd/cdev) or, where the kernel has
 * them, its VFIO cdev bound to an iommufd. The exporter's BAR ranges are
 * exported as dma-bufs with VFIO_DEVICE_FEATURE_DMA_BUF.
 */
struct p2pb_vfio_dev {
	char bdf[P2PB_BDF_LEN];
	int group_id;
	int container_fd, group_fd, device_fd;
	uint64_t cfg_offset;		/* config space region */
	struct {
		uint64_t size, offset;
		uint32_t flags;
	} bar[6];
};

struct p2pb_range {
	uint64_t offset, length;
};

/* Checks that bdf exists and is on vfio-pci; clear error otherwise. */
int p2pb_vfio_open(struct p2pb_vfio_dev *d, const char *bdf);
int p2pb_vfio_open_device(struct p2pb_vfio_dev *d);	/* again after close */
/*
 * bdf (on vfio-pci) opened through its VFIO cdev instead, bound to the
 * iommufd @iommufd and attached to its IOAS @ioas_id; p2pb_vfio_close()
 * undoes it (closing the device fd detaches and unbinds).
 */
int p2pb_vfio_open_cdev(struct p2pb_vfio_dev *d, const char *bdf, int iommufd, uint32_t ioas_id);
void p2pb_vfio_close_device(struct p2pb_vfio_dev *d);
void p2pb_vfio_close(struct p2pb_vfio_dev *d);

/*
 * For the run, @bdf on vfio-pci: an unbound function, or one our test module
 * holds, is moved there (given back at the end through @r); one another
 * driver holds is refused. @who names the caller in the messages.
 */
int p2pb_vfio_take(struct p2pb_restore *r, const char *bdf, const char *who);

/*
 * The legacy type1 path, on a device opened with p2pb_vfio_open: map
 * @size bytes of this process at @vaddr (memory, or a BAR's mmap) at @iova
 * of the device's container (VFIO_IOMMU_MAP_DMA, read and write); unmap.
 */
int p2pb_vfio_map_dma(struct p2pb_vfio_dev *d, void *vaddr, uint64_t iova, uint64_t size);
int p2pb_vfio_unmap_dma(struct p2pb_vfio_dev *d, uint64_t iova, uint64_t size);
/* mmap @len bytes of BAR @bar from @off (page aligned) through the device fd; NULL with p2pb_fail(). */
void *p2pb_vfio_bar_mmap(struct p2pb_vfio_dev *d, uint32_t bar, uint64_t off, uint64_t len);

/* Returns a dma-buf fd, or -errno straight from the ioctl. */
int p2pb_vfio_export(struct p2pb_vfio_dev *d, uint32_t region, const struct p2pb_range *r,
		     uint32_t nr);
/* 0 when the kernel can export dma-bufs of this device (PROBE). */
int p2pb_vfio_dmabuf_supported(struct p2pb_vfio_dev *d);

/* pread of a BAR through the VFIO region (vfio-pci takes memory_lock) */
int p2pb_vfio_bar_read(struct p2pb_vfio_dev *d, uint32_t bar, uint64_t off, void *buf, size_t len);
int p2pb_vfio_bar_write(struct p2pb_vfio_dev *d, uint32_t bar, uint64_t off, const void *buf, size_t len);
int p2pb_vfio_cfg_read(struct p2pb_vfio_dev *d, uint32_t off, void *buf, size_t len);
int p2pb_vfio_cfg_write(struct p2pb_vfio_dev *d, uint32_t off, const void *buf, size_t len);
/* Memory decode and bus mastering on (vfio-pci turns bus mastering off at open): the function's own DMA. */
void p2pb_vfio_bus_master(struct p2pb_vfio_dev *d);
/* Offset of a standard capability in config space, or 0. */
uint32_t p2pb_vfio_find_cap(struct p2pb_vfio_dev *d, uint8_t cap_id);

int p2pb_vfio_reset(struct p2pb_vfio_dev *d);
int p2pb_vfio_hot_reset(struct p2pb_vfio_dev *d);
int p2pb_vfio_low_power(struct p2pb_vfio_dev *d, bool enter);
/* Low power that any access wakes from implicitly, signalling eventfd. */
int p2pb_vfio_low_power_wakeup(struct p2pb_vfio_dev *d, int eventfd);
/* VFIO_DEVICE_GET_INFO: an access that runtime-resumes the device. */
int p2pb_vfio_get_info(struct p2pb_vfio_dev *d);

/*
 * Module parameters of vfio_pci_core (/sys/module/vfio_pci_core/parameters):
 * -errno when absent (a stock vfio-pci has no revoke_timeout_ms).
 */
int p2pb_vfio_param_read(const char *name, char *buf, size_t len);
int p2pb_vfio_param_write(const char *name, const char *val);	/* with p2pb_fail() */
/* The configured revoke bound of a patched vfio-pci: 0 ms when none. */
void p2pb_vfio_revoke_bound(unsigned int *timeout_ms, bool *proceeds);
#endif
