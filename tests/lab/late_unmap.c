// SPDX-License-Identifier: GPL-2.0
/*
 * Lab helper: close the exporting device while an importer still holds a
 * mapping that a revoke gave up waiting for, and let the importer unmap late.
 *
 *   late_unmap EXPORTER_BDF IMPORTER_BDF DELAY_MS
 *
 * Exports a page of BAR2 and attaches the test module as IMPORTER_BDF; it
 * unmaps DELAY_MS after an invalidate. Clears the memory enable bit (a
 * revoke; with revoke_timeout_policy=proceed it returns before the importer
 * unmapped), then closes the device (vfio_pci_dma_buf_cleanup), then waits
 * for the importer's own late unmap, then detaches. Prints one line:
 *
 *   trigger_ns=N mapped_after_trigger=0|1 close_ns=N mapped_after_close=0|1 unmap_ns=N
 *
 * unmap_ns: from the trigger until the importer was seen unmapped (polled).
 */
#define _GNU_SOURCE
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "lab_importer.h"
#include "vfio.h"

static int mapped(struct p2pb_engine *e, struct p2pb_attachment *att)
{
	struct p2pb_engine_stats st;

	if (e->spec->ops->stats(e, att, &st))
		return -1;
	return st.mapped;
}

int main(int argc, char **argv)
{
	static struct lab_importer li;
	struct p2pb_engine *e = &li.e;
	struct p2pb_attachment *att = &li.att;
	struct p2pb_vfio_dev *d = &li.d;
	char spec[P2PB_SPEC_LEN];
	uint64_t t0, t1, trig, closed, unmapped = 0;
	int m_trig, m_close, i;
	uint16_t cmd;

	if (argc != 4 || !strtoull(argv[3], NULL, 10)) {
		fprintf(stderr, "usage: %s EXPORTER_BDF IMPORTER_BDF DELAY_MS (DELAY_MS > 0)\n", argv[0]);
		return 2;
	}
	snprintf(spec, sizeof(spec), "kmod:delay=%sms,dev=%s", argv[3], argv[2]);
	if (lab_importer_setup(&li, "late_unmap", argv[1], spec))
		return 2;
	close(li.dmabuf_fd);	/* the importer holds the dma-buf from now on */
	if (p2pb_vfio_cfg_read(d, PCI_COMMAND, &cmd, 2))
		return 3;
	cmd &= ~PCI_COMMAND_MEMORY;
	t0 = p2pb_now_ns();
	if (p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, 2))
		return 3;
	trig = p2pb_now_ns() - t0;
	m_trig = mapped(e, att);
	t1 = p2pb_now_ns();
	p2pb_vfio_close_device(d);
	closed = p2pb_now_ns() - t1;
	m_close = mapped(e, att);
	for (i = 0; i < 1000; i++) {
		if (mapped(e, att) == 0) {
			unmapped = p2pb_now_ns() - t0;
			break;
		}
		usleep(10000);
	}
	printf("trigger_ns=%llu mapped_after_trigger=%d close_ns=%llu mapped_after_close=%d unmap_ns=%llu\n",
	       (unsigned long long)trig, m_trig, (unsigned long long)closed, m_close,
	       (unsigned long long)unmapped);
	li.sp.ops->detach(e, att);
	li.sp.ops->close(e);
	p2pb_vfio_close(d);
	return unmapped ? 0 : 4;
}
