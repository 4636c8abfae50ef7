// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int p2pb_kmsg_open(struct p2pb_kmsg *k)
{
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	lseek(k->fd, 0, SEEK_END);	/* only what happens from now on */
	return 0;
}

void p2pb_kmsg_count_line(const char *line, struct p2pb_kmsg_counts *c)
{
	if (strstr(line, "WARNING:"))
		c->warnings++;
	if (strstr(line, "BUG:") || strstr(line, "Oops") || strstr(line, "general protection"))
		c->bugs++;
	if (strstr(line, "timed out waiting for dma-buf unmap") || strstr(line, "Timed out waiting for DMABUF unmap"))
		c->revoke_timeouts++;
	if (strstr(line, "have not unmapped") && strstr(line, "still waiting"))
		c->revoke_still_waiting++;
	if (strstr(line, "DMAR: [DMA"))
		c->dmar_faults++;
}

void p2pb_kmsg_scan(struct p2pb_kmsg *k, struct p2pb_kmsg_counts *c)
{
	char rec[8192];
	ssize_t n;

	if (k->fd < 0)
		return;
	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: go on with the rest */
		if (n <= 0)
			break;
		rec[n] = 0;
		/* "prio,seq,ts,flags;message\n" plus continuation lines */
		p2pb_kmsg_count_line(strchr(rec, ';') ? strchr(rec, ';') + 1 : rec, c);
	}
}

void p2pb_kmsg_close(struct p2pb_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

unsigned long long p2pb_iommu_fault_irqs(void)
{
	unsigned long long total = 0;
	char line[1024];
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;

		if (!p || !strstr(line, "dmar"))
			continue;
		/* "NN:  cpu0 cpu1 ...  DMAR-MSI  0-edge  dmar0" */
		for (p++;; p = end) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			total += v;
		}
	}
	fclose(f);
	return total;
}
