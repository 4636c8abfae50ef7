// SPDX-License-Identifier: GPL-2.0
/*
 * The importer uAPI is shared by a kernel module and userspace that may be
 * built by different compilers: pin every size and offset so that a change
 * that moves a field is a failing test, not a silent ABI break.
 */
#include <stddef.h>

#include "p2pbench_importer.h"
#include "check.h"

int main(void)
{
	CHECK_EQ_U64(P2PB_IMPORTER_ABI, 5);
	CHECK_EQ_U64(sizeof(struct p2pb_attach), 40 + 8 * P2PB_MAX_DELAYS + 40);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, dmabuf_fd), 0);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, pci_bus), 12);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, pci_devfn), 13);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, unmap_policy), 16);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, pad1), 28);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, fence_hold_ns), 32);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, delays_ns), 40);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, id), 40 + 8 * P2PB_MAX_DELAYS);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, dmabuf_size), 48 + 8 * P2PB_MAX_DELAYS);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, nents), 72 + 8 * P2PB_MAX_DELAYS);
	/* event and cause values are ABI: userspace verdicts match on them */
	CHECK_EQ_U64(P2PB_EV_DETACH, 6);
	CHECK_EQ_U64(P2PB_EV_FENCE_ADD, 7);
	CHECK_EQ_U64(P2PB_EV_FENCE_SIGNAL, 8);
	CHECK_EQ_U64(P2PB_FENCE_HOLD, 0);
	CHECK_EQ_U64(P2PB_FENCE_DMA, 1);
	CHECK_EQ_U64(P2PB_UNMAP_BY_DETACH, 2);
	CHECK_EQ_U64(P2PB_UNMAP_BY_OWNER_EXIT, 3);
	CHECK_EQ_U64(P2PB_UNMAP_BY_RELEASE, 4);
	CHECK_EQ_U64(P2PB_UNMAP_BY_REMOVE, 5);
	CHECK_EQ_U64(sizeof(struct p2pb_map), 32);
	CHECK_EQ_U64(offsetof(struct p2pb_map, ts_ns), 24);
	CHECK_EQ_U64(sizeof(struct p2pb_event), 24);
	CHECK_EQ_U64(offsetof(struct p2pb_event, type), 16);
	CHECK_EQ_U64(sizeof(struct p2pb_events), 24);
	CHECK_EQ_U64(offsetof(struct p2pb_events, events_ptr), 8);
	CHECK_EQ_U64(sizeof(struct p2pb_status), 80);
	CHECK_EQ_U64(offsetof(struct p2pb_status, dma_bytes), 24);
	CHECK_EQ_U64(offsetof(struct p2pb_status, revoked_bytes), 56);
	CHECK_EQ_U64(offsetof(struct p2pb_status, inflight), 76);
	CHECK_EQ_U64(P2PB_EV_LOAD_LAST, 9);
	CHECK_EQ_U64(P2PB_EV_LOAD_FIRST, 10);
	CHECK_EQ_U64(P2PB_EV_LOAD_ERROR, 11);
	CHECK_EQ_U64(sizeof(struct p2pb_load), 64);
	CHECK_EQ_U64(offsetof(struct p2pb_load, reserved), 48);
	CHECK_EQ_U64(P2PB_IOC_LOAD, _IOWR(0xB2, 8, struct p2pb_load));
	CHECK_EQ_U64(offsetof(struct p2pb_load, range), 24);
	CHECK_EQ_U64(offsetof(struct p2pb_load, bin_ns), 40);
	CHECK_EQ_U64(sizeof(struct p2pb_bin), 24);
	CHECK_EQ_U64(offsetof(struct p2pb_bin, ios), 16);
	CHECK_EQ_U64(sizeof(struct p2pb_bins), 32);
	CHECK_EQ_U64(offsetof(struct p2pb_bins, bin_ns), 16);
	CHECK_EQ_U64(offsetof(struct p2pb_bins, count), 24);
	CHECK_EQ_U64(_IOC_NR(P2PB_IOC_LOAD), 8);
	CHECK_EQ_U64(_IOC_NR(P2PB_IOC_BINS), 9);
	CHECK_EQ_U64(sizeof(struct p2pb_dma), 24);
	CHECK_EQ_U64(offsetof(struct p2pb_dma, interval_ns), 16);
	CHECK_EQ_U64(_IOC_NR(P2PB_IOC_DMA), 7);
	/* ioctl numbers encode the sizes: they change when a struct does */
	CHECK_EQ_U64(P2PB_IOC_ATTACH, _IOWR(0xB2, 1, struct p2pb_attach));
	CHECK_EQ_U64(_IOC_SIZE(P2PB_IOC_ATTACH), sizeof(struct p2pb_attach));
	CHECK_EQ_U64(_IOC_NR(P2PB_IOC_STATUS), 6);
	CHECK_EQ_U64(_IOC_TYPE(P2PB_IOC_MAP), 0xB2);
	CHECK_EQ_U64(P2PB_DELAY_NEVER, UINT64_MAX);
	return check_done();
}
