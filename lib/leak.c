// SPDX-License-Identifier: GPL-2.0
/* Leak accounting: what a run holds before and after. */
#define _GNU_SOURCE
#include "leak.h"

#include "pci.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const modules[P2PB_LEAK_MODULES] = { "p2pbench_importer", "vfio_pci_core" };

/* This process's fds, and those that are dma-bufs ("/dmabuf:" or "anon_inode:dmabuf" links). */
static void count_fds(struct p2pb_leak *l)
{
	char path[300], target[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	ssize_t n;

	l->fds = l->dmabuf_fds = d ? 0 : -1;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		l->fds++;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			l->dmabuf_fds += !strncmp(target, "/dmabuf:", 8) || !strcmp(target, "anon_inode:dmabuf");
		}
	}
	if (d)
		closedir(d);
}

static long rss_kib(void)
{
	long pages = -1, resident = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* dma-bufs in debugfs: one line per buffer after the header ("size flags mode count exp_name ..."). */
static long kernel_dmabufs(void)
{
	char line[512];
	long n = -1;
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "Dma-buf Objects:")) {
			n = 0;
			continue;
		}
		/* a buffer's line starts with its size in hex (08-digit, zero padded) */
		if (n >= 0 && line[0] >= '0' && line[0] <= '9' && strlen(line) > 8 && line[8] == '\t')
			n++;
	}
	fclose(f);
	return n;
}

void p2pb_leak_take(struct p2pb_leak *l)
{
	char path[PATH_MAX], buf[32];
	unsigned int i;

	count_fds(l);
	l->rss_kib = rss_kib();
	for (i = 0; i < P2PB_LEAK_MODULES; i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/refcnt", modules[i]);
		l->module_refs[i] = p2pb_read_file(path, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 10);
	}
	l->kernel_dmabufs = kernel_dmabufs();
}

/* @now grew past @base (both known); appends "what +n" to @why. */
static unsigned int grew(const char *what, long base, long now, char *why, size_t len)
{
	size_t used = strlen(why);

	if (base < 0 || now < 0 || now <= base)
		return 0;
	snprintf(why + used, len - used, "%s%s +%ld", used ? ", " : "", what, now - base);
	return 1;
}

unsigned int p2pb_leak_compare(const struct p2pb_leak *base, const struct p2pb_leak *now, char *why, size_t len)
{
	unsigned int n = 0, i;
	char what[64];

	why[0] = 0;
	n += grew("fds", base->fds, now->fds, why, len);
	n += grew("dma-buf fds", base->dmabuf_fds, now->dmabuf_fds, why, len);
	for (i = 0; i < P2PB_LEAK_MODULES; i++) {
		snprintf(what, sizeof(what), "%s references", modules[i]);
		n += grew(what, base->module_refs[i], now->module_refs[i], why, len);
	}
	n += grew("kernel dma-bufs", base->kernel_dmabufs, now->kernel_dmabufs, why, len);
	return n;
}

static json_object *num(long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

json_object *p2pb_leak_json(const struct p2pb_leak *base, const struct p2pb_leak *now)
{
	json_object *o = json_object_new_object(), *refs = json_object_new_object();
	char why[256];
	unsigned int i;

	json_object_object_add(o, "fds", num(now->fds));
	json_object_object_add(o, "dmabuf_fds", num(now->dmabuf_fds));
	json_object_object_add(o, "rss_kib", num(now->rss_kib));
	for (i = 0; i < P2PB_LEAK_MODULES; i++)
		json_object_object_add(refs, modules[i], num(now->module_refs[i]));
	json_object_object_add(o, "module_refs", refs);
	json_object_object_add(o, "kernel_dmabufs", num(now->kernel_dmabufs));
	json_object_object_add(o, "grew", json_object_new_int((int)p2pb_leak_compare(base, now, why, sizeof(why))));
	json_object_object_add(o, "what_grew", why[0] ? json_object_new_string(why) : NULL);
	return o;
}
