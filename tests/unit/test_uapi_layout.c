// SPDX-License-Identifier: GPL-2.0
/*
 * The importer uAPI is shared by a kernel module and userspace that may be
 * built by different compilers: pin every size and offset so that a change
 * that moves a field is a failing test, not a silent ABI break.
 */
#include <stddef.h>
#include <stdint.h>

#include "p2pbench_importer.h"
#include "check.h"

int main(void)
{
	CHECK_EQ_U64(P2PB_IMPORTER_ABI, 7);
	CHECK_EQ_U64(sizeof(struct p2pb_attach), 80 + 8 * P2PB_MAX_DELAYS + 56);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, dmabuf_fd), 0);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, pci_bus), 12);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, pci_devfn), 13);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, unmap_policy), 16);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, exp_domain), 28);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, exp_bus), 32);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, exp_devfn), 33);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, pad3), 36);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, fence_hold_ns), 40);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, reserved), 48);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, delays_ns), 80);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, id), 80 + 8 * P2PB_MAX_DELAYS);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, dmabuf_size), 88 + 8 * P2PB_MAX_DELAYS);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, nents), 112 + 8 * P2PB_MAX_DELAYS);
	CHECK_EQ_U64(offsetof(struct p2pb_attach, reserved_out), 120 + 8 * P2PB_MAX_DELAYS);
	CHECK_EQ_U64(P2PB_ATTACH_F_EXPORTER, 2);
	CHECK_EQ_U64(P2PB_EXP_READ, 1);
	CHECK_EQ_U64(P2PB_EXP_MEM, 4);
	CHECK_EQ_U64(P2PB_EXP_PM_MASK, 0x30);
	CHECK_EQ_U64(P2PB_EV_UNMAP_DONE, 12);
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
	CHECK_EQ_U64(sizeof(struct p2pb_map), 48);
	CHECK_EQ_U64(offsetof(struct p2pb_map, ts_ns), 24);
	CHECK_EQ_U64(sizeof(struct p2pb_event), 32);
	CHECK_EQ_U64(offsetof(struct p2pb_event, type), 16);
	CHECK_EQ_U64(offsetof(struct p2pb_event, exporter), 24);
	CHECK_EQ_U64(sizeof(struct p2pb_events), 40);
	CHECK_EQ_U64(offsetof(struct p2pb_events, events_ptr), 8);
	CHECK_EQ_U64(sizeof(struct p2pb_status), 96);
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
	CHECK_EQ_U64(sizeof(struct p2pb_bins), 48);
	CHECK_EQ_U64(offsetof(struct p2pb_bins, bin_ns), 16);
	CHECK_EQ_U64(offsetof(struct p2pb_bins, count), 24);
	CHECK_EQ_U64(_IOC_NR(P2PB_IOC_LOAD), 8);
	CHECK_EQ_U64(_IOC_NR(P2PB_IOC_BINS), 9);
	CHECK_EQ_U64(sizeof(struct p2pb_filled), 64);
	CHECK_EQ_U64(offsetof(struct p2pb_filled, bitmap_ptr), 8);
	CHECK_EQ_U64(offsetof(struct p2pb_filled, reads), 40);
	CHECK_EQ_U64(_IOC_NR(P2PB_IOC_FILLED), 10);
	CHECK_EQ_U64(_IOC_SIZE(P2PB_IOC_FILLED), sizeof(struct p2pb_filled));
	CHECK_EQ_U64(sizeof(struct p2pb_dma), 40);
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
