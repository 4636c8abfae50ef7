// SPDX-License-Identifier: GPL-2.0
/*
 * Lab helper: a broken importer that never unmaps, and a revoke stuck on it.
 *
 *   stuck_importer EXPORTER_BDF IMPORTER_BDF MARKER_FILE
 *
 * Exports a page of BAR2, attaches the test module as IMPORTER_BDF with the
 * never-unmap policy, then forks: the child drops the importer fd and clears
 * the memory enable bit (a revoke), which blocks because the importer never
 * unmaps. The parent prints "READY <child pid>" and waits to be killed. When
 * the parent dies, its importer fd is closed, the module must release the
 * mapping, the child's revoke must return; the child then writes the
 * revoke's duration to MARKER_FILE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "importer.h"
#include "vfio.h"

int main(int argc, char **argv)
{
	struct p2pb_restore restore = { 0 };
	struct p2pb_importer imp = { .ops = &p2pb_importer_kmod, .fd = -1 };
	struct p2pb_attachment att;
	struct p2pb_vfio_dev d;
	struct p2pb_range r = { 0, 4096 };
	uint64_t t0;
	uint16_t cmd;
	pid_t child;
	FILE *f;
	int fd, err;

	if (argc != 4) {
		fprintf(stderr, "usage: %s EXPORTER_BDF IMPORTER_BDF MARKER_FILE\n", argv[0]);
		return 2;
	}
	if (p2pb_vfio_open(&d, argv[1]) || p2pb_pci_parse(argv[2], &imp.dev, imp.dev_bdf)) {
		fprintf(stderr, "stuck_importer: %s\n", p2pb_error());
		return 2;
	}
	fd = p2pb_vfio_export(&d, 2, &r, 1);
	imp.spec.delay_kind = P2PB_DELAY_NEVER_UNMAP;
	if (fd < 0 || imp.ops->open(&imp, &restore) || (err = imp.ops->attach(&imp, fd, &att)) || att.map_err) {
		fprintf(stderr, "stuck_importer: cannot set up the importer: %s\n", p2pb_error());
		return 2;
	}
	child = fork();
	if (child < 0)
		return 2;
	if (!child) {
		close(imp.fd);	/* only the parent holds the importer */
		if (p2pb_vfio_cfg_read(&d, PCI_COMMAND, &cmd, 2))
			_exit(3);
		cmd &= ~PCI_COMMAND_MEMORY;
		t0 = p2pb_now_ns();
		err = p2pb_vfio_cfg_write(&d, PCI_COMMAND, &cmd, 2);	/* blocks */
		f = fopen(argv[3], "w");
		if (f) {
			fprintf(f, "revoke_returned_after_ns=%llu err=%d\n",
				(unsigned long long)(p2pb_now_ns() - t0), err);
			fclose(f);
		}
		cmd |= PCI_COMMAND_MEMORY;
		p2pb_vfio_cfg_write(&d, PCI_COMMAND, &cmd, 2);
		_exit(err ? 4 : 0);
	}
	printf("READY %d\n", (int)child);
	fflush(stdout);
	for (;;)
		pause();
}
