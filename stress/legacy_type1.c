// SPDX-License-Identifier: GPL-2.0
/*
 * The legacy type1 path through every trigger (stress/legacy_type1.h). Per
 * iteration edu writes a 64-byte pattern into its own slot of the mapped
 * BAR at four moments: before the trigger, during it (a transfer started
 * with the trigger completes 100 ms later, inside the longer triggers),
 * after it returned and after the undo. The slots are cleared before and
 * read back through the exporter's VFIO region once the device is back.
 */
#define _GNU_SOURCE
#include "legacy_type1.h"
#include "clock.h"
#include "edu.h"
#include "error.h"
#include "exporter.h"
#include "kmsg.h"
#include "result.h"
#include "vfio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *const p2pb_type1_when_names[P2PB_T1_N] = { "before", "during", "after", "undone" };
static const char *const seen_names[] = { "not tried", "landed", "absent", "other" };

#define SLOT_LEN	64u		/* slot k at k * SLOT_LEN of the mapping, pattern k of the edu buffer */
#define SLOTS_LEN	(P2PB_T1_N * SLOT_LEN)
#define MAP_LEN		8192u		/* of the BAR, mapped into the container */
#define HOST_IOVA	(1ull << 20)	/* our page of patterns */
#define HOST_LEN	4096u

struct t1 {
	const struct p2pb_type1_params *p;
	struct p2pb_exporter *x;
	struct p2pb_vfio_dev edu;
	uint8_t *host;			/* the patterns, slot k's at k * SLOT_LEN */
	bool host_mapped, bar_mapped;
};

static struct p2pb_vfio_dev *xdev(struct t1 *t)
{
	return p2pb_exporter_vfio_dev(t->x);
}

/* Our page of patterns, mapped into the container, and loaded into edu's buffer. */
static int load_patterns(struct t1 *t)
{
	uint64_t seed = (uint64_t)getpid() ^ p2pb_now_ns();
	unsigned int k;
	int err;

	t->host = mmap(NULL, HOST_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->host == MAP_FAILED) {
		t->host = NULL;
		return p2pb_fail(-ENOMEM, "out of memory");
	}
	for (k = 0; k < P2PB_T1_N; k++)
		p2pb_edu_pattern(t->host + k * SLOT_LEN, SLOT_LEN, p2pb_type1_when_names[k], seed);
	if ((err = p2pb_vfio_map_dma(&t->edu, t->host, HOST_IOVA, HOST_LEN)))
		return p2pb_fail(err, "VFIO_IOMMU_MAP_DMA of a page of ours into %s's container: %s", t->edu.bdf,
				 strerror(-err));
	t->host_mapped = true;
	err = p2pb_edu_dma(&t->edu, 0, HOST_IOVA, SLOTS_LEN, P2PB_EDU_FROM_BUS);
	return err ? p2pb_fail(err, "edu's DMA through %s's container: %s", t->edu.bdf, strerror(-err)) : 0;
}

/*
 * The BAR's mmap into edu's container. The mmap goes once mapped: the IOMMU
 * mapping does not hold it, and an mmap would keep the exporter's device
 * open through the close trigger.
 */
static int map_bar(struct t1 *t)
{
	const struct p2pb_type1_params *p = t->p;
	void *bar = p2pb_vfio_bar_mmap(xdev(t), p->bar, p->offset, MAP_LEN);
	int err;

	if (!bar)
		return -EINVAL;
	err = p2pb_vfio_map_dma(&t->edu, bar, p->iova, MAP_LEN);
	munmap(bar, MAP_LEN);
	if (err)
		return p2pb_fail(err, "VFIO_IOMMU_MAP_DMA of %s BAR%u's mmap into %s's container: %s", p->device, p->bar,
				 t->edu.bdf, strerror(-err));
	t->bar_mapped = true;
	return 0;
}

static int t1_open(struct p2pb_session *s, struct t1 *t)
{
	const struct p2pb_type1_params *p = t->p;
	int err;

	if (!p2pb_pci_exists(p->importer_dev))
		return p2pb_fail(-ENODEV, "importer device %s: not a PCI device on this machine", p->importer_dev);
	if (!p2pb_edu_is(p->importer_dev))
		return p2pb_fail(-EINVAL, "importer device %s is not QEMU's edu, whose DMA engine p2pbench drives from "
				 "userspace", p->importer_dev);
	if ((err = p2pb_session_claim_device(s, p->device, p->bind)) || (err = p2pb_exporter_open(p->device, &t->x)))
		return err;
	if (!xdev(t))
		return p2pb_fail(-EINVAL, "%s is not a PCI function on vfio-pci", p->device);
	if ((err = p2pb_vfio_take(&s->restore, p->importer_dev, "type1")) ||
	    (err = p2pb_vfio_open(&t->edu, p->importer_dev)))
		return err;
	p2pb_vfio_bus_master(&t->edu);
	if ((err = load_patterns(t)))
		return err;
	return map_bar(t);
}

static void t1_close(struct t1 *t)
{
	if (t->bar_mapped)
		p2pb_vfio_unmap_dma(&t->edu, t->p->iova, MAP_LEN);
	if (t->host_mapped)
		p2pb_vfio_unmap_dma(&t->edu, HOST_IOVA, HOST_LEN);
	if (t->host)
		munmap(t->host, HOST_LEN);
	p2pb_vfio_close(&t->edu);
	p2pb_exporter_close(t->x);
}

/* edu writes slot @w's pattern into slot @w of the mapped BAR (started, or started and waited for). */
static int slot_start(struct t1 *t, enum p2pb_type1_when w)
{
	return p2pb_edu_dma_start(&t->edu, w * SLOT_LEN, t->p->iova + w * SLOT_LEN, SLOT_LEN, P2PB_EDU_TO_BUS);
}

static void slot_write(struct t1 *t, struct p2pb_type1_iter *it, enum p2pb_type1_when w)
{
	int err = slot_start(t, w);

	it->dma_errno[w] = -(err ? err : p2pb_edu_dma_wait(&t->edu, P2PB_EDU_TIMEOUT_NS));
}

/* What each slot holds, read through the exporter's VFIO region. */
static void read_back(struct t1 *t, struct p2pb_type1_iter *it)
{
	static const uint8_t zero[SLOT_LEN];
	uint8_t got[SLOTS_LEN];
	unsigned int k;

	if (!xdev(t) || p2pb_vfio_bar_read(xdev(t), t->p->bar, t->p->offset, got, sizeof(got)))
		return;		/* every slot stays "not tried" */
	for (k = 0; k < P2PB_T1_N; k++) {
		if (it->dma_errno[k])
			continue;
		it->seen[k] = !memcmp(got + k * SLOT_LEN, t->host + k * SLOT_LEN, SLOT_LEN) ? P2PB_T1_LANDED :
			      !memcmp(got + k * SLOT_LEN, zero, SLOT_LEN) ? P2PB_T1_ABSENT : P2PB_T1_OTHER;
	}
}

static void one_iteration(struct t1 *t, const struct p2pb_trigger_ops *tr, struct p2pb_type1_iter *it)
{
	static const uint8_t zero[SLOTS_LEN];
	unsigned long long faults;
	uint64_t t0;
	int err;

	if (p2pb_vfio_bar_write(xdev(t), t->p->bar, t->p->offset, zero, sizeof(zero))) {
		it->trigger_errno = EIO;
		return;
	}
	slot_write(t, it, P2PB_T1_BEFORE);
	faults = p2pb_iommu_fault_irqs();
	err = slot_start(t, P2PB_T1_DURING);
	t0 = p2pb_now_ns();
	it->trigger_errno = -tr->revoke(t->x);
	it->trigger_ns = p2pb_now_ns() - t0;
	it->during_in_trigger = !err && p2pb_edu_dma_busy(&t->edu) == 0;
	it->dma_errno[P2PB_T1_DURING] = -(err ? err : p2pb_edu_dma_wait(&t->edu, P2PB_EDU_TIMEOUT_NS));
	slot_write(t, it, P2PB_T1_AFTER);
	if (tr->restore)
		it->undo_errno = -tr->restore(t->x);
	slot_write(t, it, P2PB_T1_UNDONE);
	it->iommu_fault_irqs = p2pb_iommu_fault_irqs() - faults;
	read_back(t, it);
}

static void run_case(struct p2pb_session *s, struct t1 *t, struct p2pb_type1_case *c)
{
	unsigned int i;

	if (c->trigger->check(t->x)) {
		snprintf(c->error, sizeof(c->error), "%s", p2pb_error());
		return;
	}
	for (i = 0; i < t->p->iterations && i < P2PB_TYPE1_MAX_ITERATIONS && p2pb_exporter_alive(t->x); i++) {
		one_iteration(t, c->trigger, &c->it[i]);
		c->n = i + 1;
		p2pb_session_progress(s, "type1 %s %u/%u", c->trigger->name, c->n, t->p->iterations);
	}
}

int p2pb_type1_run(struct p2pb_session *s, const struct p2pb_type1_params *p, struct p2pb_type1_case *cases)
{
	struct t1 t = { .p = p };
	unsigned int c;
	int err;

	t.edu.device_fd = t.edu.group_fd = t.edu.container_fd = -1;
	if (p->iterations > P2PB_TYPE1_MAX_ITERATIONS)
		return p2pb_fail(-EINVAL, "at most %d iterations", P2PB_TYPE1_MAX_ITERATIONS);
	for (c = 0; c < p->n_triggers; c++)
		cases[c].trigger = p->triggers[c];
	if (!(err = t1_open(s, &t)))
		for (c = 0; c < p->n_triggers && p2pb_exporter_alive(t.x); c++)
			run_case(s, &t, &cases[c]);
	p2pb_session_progress_done(s);
	t1_close(&t);
	return err;
}

/* ---- results ---- */

struct t1_counts {
	unsigned int tried[P2PB_T1_N], landed[P2PB_T1_N], during_in_trigger;
	uint64_t faults;
};

static struct t1_counts count(const struct p2pb_type1_case *c)
{
	struct t1_counts n = { 0 };
	unsigned int i, k;

	for (i = 0; i < c->n; i++) {
		const struct p2pb_type1_iter *it = &c->it[i];

		n.during_in_trigger += it->during_in_trigger;
		n.faults += it->iommu_fault_irqs;
		for (k = 0; k < P2PB_T1_N; k++) {
			/* a write that completed after the trigger returned is not one during it */
			if (k == P2PB_T1_DURING && !it->during_in_trigger)
				continue;
			n.tried[k] += it->seen[k] != P2PB_T1_NOT_TRIED;
			n.landed[k] += it->seen[k] == P2PB_T1_LANDED;
		}
	}
	return n;
}

/* One sentence: what the trigger did to the legacy mapping. */
static void finding(const struct p2pb_type1_case *c, const struct t1_counts *n, char *buf, size_t len)
{
	const char *t = c->trigger->name;

	if (!n->tried[P2PB_T1_AFTER])
		snprintf(buf, len, "no write after %s could be checked", t);
	else if (n->landed[P2PB_T1_AFTER])
		snprintf(buf, len, "after %s returned, %u of %u writes through the type1 mapping reached the BAR: no "
			 "revoke reaches it", t, n->landed[P2PB_T1_AFTER], n->tried[P2PB_T1_AFTER]);
	else
		snprintf(buf, len, "after %s returned, none of %u writes reached the BAR (the device did not decode "
			 "them), yet the mapping stayed: %u IOMMU faults, and %u of %u writes after the undo landed", t,
			 n->tried[P2PB_T1_AFTER], (unsigned int)n->faults, n->landed[P2PB_T1_UNDONE],
			 n->tried[P2PB_T1_UNDONE]);
}

static json_object *counts_json(const unsigned int *v)
{
	json_object *o = json_object_new_object();
	unsigned int k;

	for (k = 0; k < P2PB_T1_N; k++)
		json_object_object_add(o, p2pb_type1_when_names[k], json_object_new_int((int)v[k]));
	return o;
}

static json_object *iter_json(const struct p2pb_type1_iter *it)
{
	json_object *o = json_object_new_object(), *w = json_object_new_object();
	unsigned int k;

	json_object_object_add(o, "trigger_ns", p2pb_json_u64(it->trigger_ns));
	json_object_object_add(o, "trigger_errno", json_object_new_int(it->trigger_errno));
	json_object_object_add(o, "undo_errno", json_object_new_int(it->undo_errno));
	json_object_object_add(o, "during_in_trigger", json_object_new_boolean(it->during_in_trigger));
	json_object_object_add(o, "iommu_fault_irqs", p2pb_json_u64(it->iommu_fault_irqs));
	for (k = 0; k < P2PB_T1_N; k++)
		json_object_object_add(w, p2pb_type1_when_names[k], json_object_new_string(seen_names[it->seen[k]]));
	json_object_object_add(o, "writes", w);
	return o;
}

static json_object *case_json(const struct p2pb_type1_case *c)
{
	json_object *o = json_object_new_object(), *its = json_object_new_array();
	struct t1_counts n = count(c);
	char text[256];
	unsigned int i;

	json_object_object_add(o, "trigger", json_object_new_string(c->trigger->name));
	if (c->error[0]) {
		json_object_object_add(o, "error", json_object_new_string(c->error));
		return o;
	}
	for (i = 0; i < c->n; i++)
		json_object_array_add(its, iter_json(&c->it[i]));
	json_object_object_add(o, "iterations", its);
	json_object_object_add(o, "tried", counts_json(n.tried));
	json_object_object_add(o, "landed", counts_json(n.landed));
	json_object_object_add(o, "during_in_trigger", json_object_new_int((int)n.during_in_trigger));
	json_object_object_add(o, "iommu_fault_irqs", p2pb_json_u64(n.faults));
	finding(c, &n, text, sizeof(text));
	json_object_object_add(o, "finding", json_object_new_string(text));
	return o;
}

json_object *p2pb_type1_json(const struct p2pb_type1_params *p, const struct p2pb_type1_case *cases)
{
	json_object *o = json_object_new_object(), *cs = json_object_new_array();
	char mapping[96];
	unsigned int c;

	snprintf(mapping, sizeof(mapping), "VFIO_IOMMU_MAP_DMA of BAR%u's mmap", p->bar);
	json_object_object_add(o, "judged", json_object_new_boolean(false));
	json_object_object_add(o, "note", json_object_new_string(
		"a property of the legacy type1 path, not a verdict of the exporter's dma-buf contract"));
	json_object_object_add(o, "exporter", json_object_new_string(p->device));
	json_object_object_add(o, "importer", json_object_new_string(p->importer_dev));
	json_object_object_add(o, "mapping", json_object_new_string(mapping));
	json_object_object_add(o, "bar", json_object_new_int((int)p->bar));
	json_object_object_add(o, "offset", p2pb_json_u64(p->offset));
	json_object_object_add(o, "iova", p2pb_json_u64(p->iova));
	for (c = 0; c < p->n_triggers; c++)
		json_object_array_add(cs, case_json(&cases[c]));
	json_object_object_add(o, "cases", cs);
	return o;
}

void p2pb_type1_print(FILE *f, const struct p2pb_type1_params *p, const struct p2pb_type1_case *cases)
{
	unsigned int c, k;

	fprintf(f, "legacy type1 path: %s BAR%u mapped into %s's container with VFIO_IOMMU_MAP_DMA\n"
		"(a finding about that path, not a verdict of the dma-buf contract); writes that reached the BAR:\n",
		p->device, p->bar, p->importer_dev);
	fprintf(f, "%-12s", "TRIGGER");
	for (k = 0; k < P2PB_T1_N; k++)
		fprintf(f, " %-9s", p2pb_type1_when_names[k]);
	fprintf(f, " %s\n", "IOMMU FAULTS");
	for (c = 0; c < p->n_triggers; c++) {
		struct t1_counts n = count(&cases[c]);
		char cell[32], text[256];

		fprintf(f, "%-12s", cases[c].trigger->name);
		if (cases[c].error[0]) {
			fprintf(f, " not run: %s\n", cases[c].error);
			continue;
		}
		for (k = 0; k < P2PB_T1_N; k++) {
			snprintf(cell, sizeof(cell), "%u/%u", n.landed[k], n.tried[k]);
			fprintf(f, " %-9s", n.tried[k] || k != P2PB_T1_DURING ? cell : "-");
		}
		fprintf(f, " %llu\n", (unsigned long long)n.faults);
		finding(&cases[c], &n, text, sizeof(text));
		fprintf(f, "%-12s %s\n", "", text);
	}
}
