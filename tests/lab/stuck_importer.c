// SPDX-License-Identifier: GPL-2.0
/*
 * Lab helper: a broken importer that never unmaps, and a revoke stuck on it.
 *
 *   stuck_importer EXPORTER_BDF IMPORTER_BDF MARKER_FILE [thread]
 *
 * Exports a page of BAR2, attaches the test module as IMPORTER_BDF with the
 * never-unmap policy, then forks: the child drops the importer fd and clears
 * the memory enable bit (a revoke), which blocks because the importer never
 * unmaps. The parent prints "READY <child pid>" and waits to be killed. When
 * the parent dies, its importer fd is closed, the module must release the
 * mapping, the child's revoke must return; the child then writes the
 * revoke's duration to MARKER_FILE.
 *
 * With "thread", the revoke runs in a second thread of the process that holds
 * the importer: "READY <pid> <tid>". Killing the process then cannot close
 * the importer fd (the thread blocked in the revoke keeps the process's
 * files), so only the module noticing its owner's exit can release the
 * mapping. If the revoke returns while the process lives (e.g. the module's
 * release_withheld parameter), the thread writes MARKER_FILE, and the main
 * thread prints the UNMAP events of its attachment ("UNMAP cause=N") and
 * "DONE", then waits to be killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "importer.h"
#include "vfio.h"

struct revoker {
	struct p2pb_vfio_dev *d;
	const char *marker;
	_Atomic pid_t tid;
	int err;
};

/* Clear the memory enable bit (blocks while the importer holds its mapping). */
static int revoke_once(struct p2pb_vfio_dev *d, const char *marker)
{
	uint64_t t0;
	uint16_t cmd;
	FILE *f;
	int err;

	if (p2pb_vfio_cfg_read(d, PCI_COMMAND, &cmd, 2))
		return -EIO;
	cmd &= ~PCI_COMMAND_MEMORY;
	t0 = p2pb_now_ns();
	err = p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, 2);	/* blocks */
	f = fopen(marker, "w");
	if (f) {
		fprintf(f, "revoke_returned_after_ns=%llu err=%d\n",
			(unsigned long long)(p2pb_now_ns() - t0), err);
		fclose(f);
	}
	cmd |= PCI_COMMAND_MEMORY;
	p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, 2);
	return err;
}

static void *revoker_main(void *arg)
{
	struct revoker *r = arg;

	r->tid = gettid();
	r->err = revoke_once(r->d, r->marker);
	return NULL;
}

/* Thread mode: the revoke blocks in a thread of the importer's own process. */
static int run_thread_mode(struct p2pb_vfio_dev *d, struct p2pb_importer *imp, struct p2pb_attachment *att,
			   const char *marker)
{
	struct revoker r = { .d = d, .marker = marker };
	struct p2pb_event ev[64];
	uint32_t n, i;
	pthread_t t;

	if (pthread_create(&t, NULL, revoker_main, &r))
		return 2;
	while (!r.tid)
		usleep(1000);
	printf("READY %d %d\n", (int)getpid(), (int)r.tid);
	fflush(stdout);
	pthread_join(t, NULL);
	do {
		if (imp->ops->events(imp, att, ev, 64, &n) < 0 && !n)
			break;
		for (i = 0; i < n; i++)
			if (ev[i].type == P2PB_EV_UNMAP)
				printf("UNMAP cause=%d\n", ev[i].arg);
	} while (n == 64);
	printf("DONE err=%d\n", r.err);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct p2pb_restore restore = { 0 };
	struct p2pb_importer imp = { .ops = &p2pb_importer_kmod, .fd = -1 };
	struct p2pb_attachment att;
	struct p2pb_vfio_dev d;
	struct p2pb_range r = { 0, 4096 };
	pid_t child;
	int fd, err;

	if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "thread"))) {
		fprintf(stderr, "usage: %s EXPORTER_BDF IMPORTER_BDF MARKER_FILE [thread]\n", argv[0]);
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
	if (argc == 5)
		return run_thread_mode(&d, &imp, &att, argv[3]);
	child = fork();
	if (child < 0)
		return 2;
	if (!child) {
		close(imp.fd);	/* only the parent holds the importer */
		_exit(revoke_once(&d, argv[3]) ? 4 : 0);
	}
	printf("READY %d\n", (int)child);
	fflush(stdout);
	for (;;)
		pause();
}
