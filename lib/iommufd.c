// SPDX-License-Identifier: GPL-2.0
#include "iommufd.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * The iommufd uAPI is newer than the build host's headers (Debian 12 ships
 * 6.1, iommufd's header came with 6.2 and IOMMU_IOAS_MAP_FILE with 6.14). Its
 * ABI is fixed: every command is _IO(';', 0x80 + n) with a struct whose
 * first word is its size, described here from the uAPI documentation.
 */
#define P2PB_IOMMUFD_IO(nr) _IO(';', (nr))
#define P2PB_IOMMU_DESTROY P2PB_IOMMUFD_IO(0x80)
#define P2PB_IOMMU_IOAS_ALLOC P2PB_IOMMUFD_IO(0x81)
#define P2PB_IOMMU_IOAS_IOVA_RANGES P2PB_IOMMUFD_IO(0x84)
#define P2PB_IOMMU_IOAS_MAP P2PB_IOMMUFD_IO(0x85)
#define P2PB_IOMMU_IOAS_UNMAP P2PB_IOMMUFD_IO(0x86)
#define P2PB_IOMMU_IOAS_MAP_FILE P2PB_IOMMUFD_IO(0x8f)

enum {
	P2PB_IOAS_MAP_FIXED_IOVA = 1 << 0,
	P2PB_IOAS_MAP_WRITEABLE = 1 << 1,
	P2PB_IOAS_MAP_READABLE = 1 << 2,
	P2PB_IOAS_MAP_RW_FIXED = P2PB_IOAS_MAP_FIXED_IOVA | P2PB_IOAS_MAP_WRITEABLE | P2PB_IOAS_MAP_READABLE,
};

struct p2pb_iommu_destroy {
	uint32_t size, id;
};

struct p2pb_iommu_ioas_alloc {
	uint32_t size, flags, out_ioas_id;
};

struct p2pb_iommu_ioas_iova_ranges {
	uint32_t size, ioas_id, num_iovas, reserved;
	uint64_t allowed_iovas, out_iova_alignment;
};

struct p2pb_iommu_ioas_map {
	uint32_t size, flags, ioas_id, reserved;
	uint64_t user_va, length, iova;
};

struct p2pb_iommu_ioas_unmap {
	uint32_t size, ioas_id;
	uint64_t iova, length;
};

struct p2pb_iommu_ioas_map_file {
	uint32_t size, flags, ioas_id;
	int32_t fd;
	uint64_t start, length, iova;
};

_Static_assert(sizeof(struct p2pb_iommu_ioas_iova_ranges) == 32, "iommu_ioas_iova_ranges");
_Static_assert(sizeof(struct p2pb_iommu_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(sizeof(struct p2pb_iommu_ioas_unmap) == 24, "iommu_ioas_unmap");
_Static_assert(sizeof(struct p2pb_iommu_ioas_map_file) == 40, "iommu_ioas_map_file");

static int cmd(struct p2pb_iommufd *f, unsigned long nr, void *arg)
{
	return ioctl(f->fd, nr, arg) ? -errno : 0;
}

int p2pb_iommufd_open(struct p2pb_iommufd *f)
{
	struct p2pb_iommu_ioas_alloc a = { .size = sizeof(a) };
	int err;

	f->ioas_id = 0;
	f->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		return p2pb_fail(-errno, "cannot open /dev/iommu: %s%s", strerror(errno),
				 errno == ENOENT ? " (this kernel has no iommufd: CONFIG_IOMMUFD; in the lab, "
				 "scripts/lab --kernel build)" : "");
	err = cmd(f, P2PB_IOMMU_IOAS_ALLOC, &a);
	if (err) {
		p2pb_iommufd_close(f);
		return p2pb_fail(err, "IOMMU_IOAS_ALLOC: %s", strerror(-err));
	}
	f->ioas_id = a.out_ioas_id;
	return 0;
}

void p2pb_iommufd_close(struct p2pb_iommufd *f)
{
	struct p2pb_iommu_destroy d = { .size = sizeof(d), .id = f->ioas_id };

	if (f->fd < 0)
		return;
	if (f->ioas_id)
		cmd(f, P2PB_IOMMU_DESTROY, &d);	/* closing the fd frees it anyway */
	close(f->fd);
	f->fd = -1;
	f->ioas_id = 0;
}

int p2pb_iommufd_iova_alignment(struct p2pb_iommufd *f, uint64_t *align)
{
	struct p2pb_iommu_ioas_iova_ranges r = { .size = sizeof(r), .ioas_id = f->ioas_id };
	int err = cmd(f, P2PB_IOMMU_IOAS_IOVA_RANGES, &r);

	/* EMSGSIZE: no room for the ranges, which we did not ask for */
	if (err && err != -EMSGSIZE)
		return err;
	*align = r.out_iova_alignment;
	return 0;
}

int p2pb_iommufd_map_file(struct p2pb_iommufd *f, int fd, uint64_t start, uint64_t length, uint64_t iova)
{
	struct p2pb_iommu_ioas_map_file m = {
		.size = sizeof(m), .flags = P2PB_IOAS_MAP_RW_FIXED, .ioas_id = f->ioas_id,
		.fd = fd, .start = start, .length = length, .iova = iova,
	};

	return cmd(f, P2PB_IOMMU_IOAS_MAP_FILE, &m);
}

int p2pb_iommufd_map_user(struct p2pb_iommufd *f, void *va, uint64_t length, uint64_t iova)
{
	struct p2pb_iommu_ioas_map m = {
		.size = sizeof(m), .flags = P2PB_IOAS_MAP_RW_FIXED, .ioas_id = f->ioas_id,
		.user_va = (uintptr_t)va, .length = length, .iova = iova,
	};

	return cmd(f, P2PB_IOMMU_IOAS_MAP, &m);
}

int p2pb_iommufd_unmap(struct p2pb_iommufd *f, uint64_t iova, uint64_t length, uint64_t *unmapped)
{
	struct p2pb_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = f->ioas_id, .iova = iova, .length = length };
	int err = cmd(f, P2PB_IOMMU_IOAS_UNMAP, &u);

	if (unmapped)
		*unmapped = err ? 0 : u.length;
	return err;
}
