/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_PCI_H
#define P2PB_PCI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P2PB_BDF_LEN 16

struct p2pb_pci_addr {
	uint32_t domain;
	uint8_t bus, dev, fn;
};

/* "0000:01:00.0" or "01:00.0"; canonical form written to out[P2PB_BDF_LEN]. */
int p2pb_pci_parse(const char *s, struct p2pb_pci_addr *a, char *out);
static inline uint8_t p2pb_pci_devfn(const struct p2pb_pci_addr *a)
{
	return (uint8_t)((a->dev << 3) | a->fn);
}
bool p2pb_pci_exists(const char *bdf);
/* Driver name, or "" when unbound. */
int p2pb_pci_driver(const char *bdf, char *drv, size_t len);
int p2pb_pci_iommu_group(const char *bdf);
/* Vendor and device ID of @bdf, from sysfs. */
int p2pb_pci_ids(const char *bdf, unsigned int *vendor, unsigned int *device);
/* First device with vendor:device under /sys/bus/pci/devices, or -ENOENT. */
int p2pb_pci_find(uint16_t vendor, uint16_t device, char *bdf);

/*
 * What we changed, so that exit (normal, error, Ctrl-C) puts it back: the
 * drivers devices were bound to and the modules we loaded.
 */
#define P2PB_MAX_RESTORE 8
/* a modprobe loads what the module needs too: vfio-pci brings four more */
#define P2PB_MAX_MODULES 16
struct p2pb_rebound {
	char bdf[P2PB_BDF_LEN];
	char orig_driver[64];
};

struct p2pb_restore {
	int n_bind;
	struct p2pb_rebound bind[P2PB_MAX_RESTORE];
	int n_mod;
	char modules[P2PB_MAX_MODULES][64];
};

/* Write a string to a sysfs/tracefs file; 0 or -errno. */
int p2pb_write_file(const char *path, const char *s, bool append);
/* The first line of a sysfs file, without its newline; 0 or -errno. */
int p2pb_read_file(const char *path, char *buf, size_t len);
bool p2pb_module_loaded(const char *name);
/*
 * modprobe NAME unless loaded; remembered in r to unload at restore, with
 * every module the modprobe loaded beside it (its dependencies).
 */
int p2pb_module_ensure(struct p2pb_restore *r, const char *name);
/* Bind bdf to driver (via driver_override); remembered in r. */
int p2pb_pci_bind(struct p2pb_restore *r, const char *bdf, const char *driver);
/* Undo everything in r, newest first. Returns 0 or the first error. */
int p2pb_restore_all(struct p2pb_restore *r);
#endif
