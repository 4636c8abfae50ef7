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

static bool has(const char *line, const char *what)
{
	return strstr(line, what) != NULL;
}

static bool is_lockdep(const char *l)
{
	return has(l, "possible circular locking") || has(l, "possible recursive locking") ||
	       has(l, "inconsistent lock state") || has(l, "possible irq lock inversion") ||
	       has(l, "suspicious RCU usage") || has(l, "lock held when returning to user space") ||
	       has(l, "bad unlock balance");
}

static void finding(struct p2pb_kmsg_counts *c, unsigned int *counter, const char *line)
{
	(*counter)++;
	if (!c->first_finding[0])
		snprintf(c->first_finding, sizeof(c->first_finding), "%s", line);
}

void p2pb_kmsg_count_line(const char *line, struct p2pb_kmsg_counts *c)
{
	bool timeout_msg = has(line, "timed out waiting for dma-buf unmap") ||
			   has(line, "Timed out waiting for DMABUF unmap");
	/*
	 * the patched vfio-pci's WARN text (once per device), printed between "cut here" and
	 * "WARNING:": "... proceeded with importer mappings live" or "... fences unsignalled"
	 */
	bool announcing = has(line, "dma-buf revoke proceeded with importer");

	if (is_lockdep(line))
		finding(c, &c->lockdep, line);
	else if (has(line, "WARNING:") && c->after_timeout)
		c->warnings++, c->announced_warnings++;	/* the WARN a proceed policy announces */
	else if (has(line, "WARNING:"))
		finding(c, &c->warnings, line);
	if (has(line, "BUG: KASAN") || has(line, "KASAN:"))
		finding(c, &c->kasan, line);
	else if (has(line, "BUG:") || has(line, "Oops") || has(line, "general protection"))
		finding(c, &c->bugs, line);
	if (has(line, "refcount_t:"))
		finding(c, &c->refcount, line);
	if (has(line, "UBSAN:"))
		finding(c, &c->ubsan, line);
	if (has(line, "blocked for more than"))
		finding(c, &c->hung_tasks, line);
	if (has(line, "detected stall") || has(line, "self-detected stall"))
		finding(c, &c->rcu_stalls, line);
	if (timeout_msg)
		c->revoke_timeouts++;
	if (has(line, "have not unmapped") && has(line, "still waiting"))
		c->revoke_still_waiting++;
	if (has(line, "DMAR: [DMA"))
		c->dmar_faults++;
	/* WARN() prints "[ cut here ]" and its message before "WARNING:" */
	if (timeout_msg || announcing)
		c->after_timeout = true;
	else if (!has(line, "cut here"))
		c->after_timeout = false;
}

unsigned int p2pb_kmsg_findings(const struct p2pb_kmsg_counts *c)
{
	return c->warnings + c->bugs + c->refcount + c->lockdep + c->kasan + c->ubsan + c->hung_tasks +
	       c->rcu_stalls;
}

unsigned int p2pb_kmsg_unannounced(const struct p2pb_kmsg_counts *c)
{
	return p2pb_kmsg_findings(c) - c->announced_warnings;
}

void p2pb_kmsg_add(struct p2pb_kmsg_counts *t, const struct p2pb_kmsg_counts *p)
{
	t->warnings += p->warnings;
	t->announced_warnings += p->announced_warnings;
	t->bugs += p->bugs;
	t->refcount += p->refcount;
	t->lockdep += p->lockdep;
	t->kasan += p->kasan;
	t->ubsan += p->ubsan;
	t->hung_tasks += p->hung_tasks;
	t->rcu_stalls += p->rcu_stalls;
	t->revoke_timeouts += p->revoke_timeouts;
	t->revoke_still_waiting += p->revoke_still_waiting;
	t->dmar_faults += p->dmar_faults;
	if (!t->first_finding[0])
		memcpy(t->first_finding, p->first_finding, sizeof(t->first_finding));
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
		/* "prio,seq,ts,flags;message\n" plus " KEY=value" lines */
		rec[strcspn(rec, "\n")] = 0;
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
