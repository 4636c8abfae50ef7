/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_IOMMUFD_H
#define P2PB_IOMMUFD_H
#include <stdint.h>

/*
 * iommufd (/dev/iommu) as an importer of VFIO dma-bufs: one IO address space
 * (IOAS) into which a dma-buf is mapped with IOMMU_IOAS_MAP_FILE, the way a
 * VMM gives a device P2P access to another device's BAR. The kernel attaches
 * to the dma-buf dynamically and removes the IOAS's translation of it inside
 * the exporter's invalidate; the mapping stays revoked (the area keeps its
 * IOVA, translates nothing) until it is unmapped and mapped again.
 * ../shared/docs/kernel-facts.md, "Other importers"; docs/importers.md.
 */
struct p2pb_iommufd {
	int fd;			/* /dev/iommu, -1 when closed */
	uint32_t ioas_id;
};

/* Open /dev/iommu and allocate an IOAS; a clear error where the kernel has no iommufd. */
int p2pb_iommufd_open(struct p2pb_iommufd *f);
void p2pb_iommufd_close(struct p2pb_iommufd *f);
/* The IOVA alignment of the IOAS (its devices' smallest IOMMU page). */
int p2pb_iommufd_iova_alignment(struct p2pb_iommufd *f, uint64_t *align);
/*
 * Map @length bytes of the dma-buf @fd from byte @start of it at @iova, read
 * and write. 0, or -errno: ENODEV while the exporter is revoked, EEXIST when
 * @iova is taken, EOPNOTSUPP for a dma-buf iommufd cannot import.
 */
int p2pb_iommufd_map_file(struct p2pb_iommufd *f, int fd, uint64_t start, uint64_t length, uint64_t iova);
/* Map process memory (@va, page aligned) at @iova, read and write. */
int p2pb_iommufd_map_user(struct p2pb_iommufd *f, void *va, uint64_t length, uint64_t iova);
/* Unmap the areas in [@iova, @iova + @length); *@unmapped: bytes. -ENOENT: none there. */
int p2pb_iommufd_unmap(struct p2pb_iommufd *f, uint64_t iova, uint64_t length, uint64_t *unmapped);
#endif
