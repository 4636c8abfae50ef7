// SPDX-License-Identifier: GPL-2.0
/*
 * The contract verdicts on observations made by hand: every clause can
 * fail, a configured bound is BOUNDED and not a PASS, injected importer
 * faults are never blamed on the exporter, and the kernel log classifier
 * finds what C7 forbids and lets through only what a bound announces.
 */
#include "verdict.h"
#include "fold.h"
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct p2pb_verdict_ctx plain = { .trigger = "mem-off", .trigger_unrevokes = true };

/* A well-behaved iteration: one attachment, invalidated and unmapped before the return. */
static struct p2pb_iter_obs good_iter(unsigned int idx, struct p2pb_att_obs *att)
{
	*att = (struct p2pb_att_obs){ .invalidated = true, .unmapped = true };
	return (struct p2pb_iter_obs){
		.index = idx, .trigger_ns = 200000000, .trigger_returned = true, .n_atts = 1, .atts = att,
		.map_while_revoked_tried = true, .map_while_revoked_errno = ENODEV, .remap_tried = true,
	};
}

static struct p2pb_verdict judge(const struct p2pb_verdict_ctx *ctx, struct p2pb_iter_obs *its, unsigned int n)
{
	struct p2pb_verdict v;
	unsigned int i;

	p2pb_verdict_init(&v);
	for (i = 0; i < n; i++)
		p2pb_verdict_iteration(&v, ctx, &its[i]);
	p2pb_verdict_finish(&v);
	return v;
}

static bool only(const struct p2pb_verdict *v, unsigned int clauses)
{
	return v->outcome == P2PB_FAIL && v->violated == clauses;
}

static void test_clauses(void)
{
	struct p2pb_att_obs a[3];
	struct p2pb_iter_obs it[3];
	struct p2pb_verdict v;

	it[0] = good_iter(0, &a[0]);
	v = judge(&plain, it, 1);
	CHECK(v.outcome == P2PB_PASS && !v.violated);
	CHECK(v.judged == (1u << P2PB_C1_WAITS | 1u << P2PB_C2_NO_MAP_REVOKED | 1u << P2PB_C3_REMAP_REARM |
			   1u << P2PB_C7_KERNEL_LOG));
	a[0].fences_checked = 2;	/* C4 is judged where fences were in flight */
	v = judge(&plain, it, 1);
	CHECK(v.outcome == P2PB_PASS && (v.judged & 1u << P2PB_C4_FENCES));

	/* C1: returned with a live mapping and no bound */
	it[0].mapped_at_return = 1;
	v = judge(&plain, it, 1);
	CHECK(only(&v, 1u << P2PB_C1_WAITS));
	CHECK(strstr(v.v[0].evidence, "1 of 1 mapping(s) live") && strstr(v.v[0].evidence, "no revoke bound"));

	/* C1 + C3: the first revoke waited, the second did not */
	it[0] = good_iter(0, &a[0]);
	it[1] = good_iter(1, &a[1]);
	it[1].mapped_at_return = 1;
	it[1].trigger_ns = 9000000;
	v = judge(&plain, it, 2);
	CHECK(only(&v, 1u << P2PB_C1_WAITS | 1u << P2PB_C3_REMAP_REARM));
	CHECK(v.n_v == 2 && v.v[0].iteration == 1 && v.v[1].clause == P2PB_C3_REMAP_REARM);
	CHECK(strstr(v.v[1].evidence, "revoke 0 waited") != NULL);

	/* C3: no remap after the un-revoke */
	it[0] = good_iter(0, &a[0]);
	it[0].remap_errno = ENODEV;
	v = judge(&plain, it, 1);
	CHECK(only(&v, 1u << P2PB_C3_REMAP_REARM));

	/* C2 */
	it[0] = good_iter(0, &a[0]);
	it[0].map_while_revoked_errno = 0;
	v = judge(&plain, it, 1);
	CHECK(only(&v, 1u << P2PB_C2_NO_MAP_REVOKED));

	/* C4 */
	it[0] = good_iter(0, &a[0]);
	a[0].fences_checked = 1;
	a[0].fences_late = 1;
	a[0].fence_late_max_ns = 150000000;
	v = judge(&plain, it, 1);
	CHECK(only(&v, 1u << P2PB_C4_FENCES));
	CHECK(strstr(v.v[0].evidence, "had not signalled when the trigger returned (still unsignalled 150.0 ms after it)") != NULL);

	/* C6 */
	it[0] = good_iter(0, &a[0]);
	it[0].map_while_revoked_tried = false;
	it[0].old_dmabuf_tried = true;
	it[0].old_dmabuf_map_errno = 0;
	v = judge(&(struct p2pb_verdict_ctx){ .trigger = "close", .trigger_permanent = true }, it, 1);
	CHECK(only(&v, 1u << P2PB_C6_CLOSE_REVOKED));

	/* never invalidated */
	it[0] = good_iter(0, &a[0]);
	a[0].invalidated = a[0].unmapped = false;
	it[0].mapped_at_return = 1;
	v = judge(&plain, it, 1);
	CHECK(only(&v, 1u << P2PB_C1_WAITS));

	/* never invalidated, released by our quiesce timeout: still C1 */
	it[0] = good_iter(0, &a[0]);
	a[0].invalidated = a[0].unmapped = false;
	a[0].forced = true;
	v = judge(&plain, it, 1);
	CHECK(v.violated & (1u << P2PB_C1_WAITS));

	/*
	 * released by our quiesce timeout before a slow serial revoke reached it,
	 * then reached: the timeout's fault (an error), not the kernel's
	 */
	it[0] = good_iter(0, &a[0]);
	a[0].invalidated = a[0].unmapped = false;
	a[0].forced = a[0].reached_late = true;
	v = judge(&plain, it, 1);
	CHECK(!v.violated && v.outcome == P2PB_ERROR && strstr(v.error, "quiesce timeout"));

	/* a trigger that never came back: the watchdog's evidence names how long and where it is stuck */
	it[0] = good_iter(0, &a[0]);
	it[0].trigger_returned = false;
	it[0].trigger_ns = 3000500000ull;
	it[0].stuck_unmapped_for_ns = 2990000000ull;
	snprintf(it[0].stuck_in, sizeof(it[0].stuck_in), "vfio_pci_dma_buf_move <- vfio_basic_config_write");
	v = judge(&plain, it, 1);
	CHECK(only(&v, 1u << P2PB_C1_WAITS));
	CHECK_STR(v.v[0].evidence, "mem-off has not returned after 3.0 s, every importer unmapped 3.0 s before; "
		  "stuck in vfio_pci_dma_buf_move <- vfio_basic_config_write");
	it[0].stuck_mapped = 1;
	it[0].stuck_in[0] = 0;
	v = judge(&plain, it, 1);
	CHECK(strstr(v.v[0].evidence, "(released by p2pbench); stuck in (stack unknown)") != NULL);
}

static void test_c5(void)
{
	struct p2pb_verdict v;

	p2pb_verdict_init(&v);
	p2pb_verdict_attach(&v, "static", -EOPNOTSUPP);
	p2pb_verdict_finish(&v);
	CHECK(v.outcome == P2PB_PASS && v.judged == 1u << P2PB_C5_REFUSE);
	p2pb_verdict_init(&v);
	p2pb_verdict_attach(&v, "no-p2p", 0);
	p2pb_verdict_finish(&v);
	CHECK(only(&v, 1u << P2PB_C5_REFUSE) && strstr(v.v[0].evidence, "no-p2p"));
	p2pb_verdict_init(&v);
	p2pb_verdict_attach(&v, "static", -EINVAL);
	p2pb_verdict_finish(&v);
	CHECK(v.outcome == P2PB_ERROR);
}

static void test_bounded_and_log(void)
{
	struct p2pb_verdict_ctx bound = plain;
	struct p2pb_att_obs a[2];
	struct p2pb_iter_obs it[2];
	struct p2pb_verdict v;

	bound.bound_ms = 100;
	bound.bound_proceeds = true;
	it[0] = good_iter(0, &a[0]);
	it[0].mapped_at_return = 1;
	/* the proceed policy: timeout message, then the WARN it announces */
	p2pb_kmsg_count_line("vfio-pci 0000:01:00.0: timed out waiting for dma-buf unmap after 100 ms, 1 mapping(s) still live",
			     &it[0].klog);
	p2pb_kmsg_count_line("------------[ cut here ]------------", &it[0].klog);
	p2pb_kmsg_count_line("WARNING: CPU: 0 PID: 88 at drivers/vfio/pci/vfio_pci_dmabuf.c:460 vfio_pci_dma_buf_move",
			     &it[0].klog);
	CHECK(it[0].klog.warnings == 1 && it[0].klog.announced_warnings == 1);
	it[0].bound_timeouts = 1;
	v = judge(&bound, it, 1);
	CHECK(v.outcome == P2PB_BOUNDED && v.bounded_iterations == 1 && v.announced_warnings == 1);
	CHECK(strstr(v.bounded_evidence, "after the configured 100 ms timeout") != NULL);

	/* a proceed bound that gave up on a fence, every mapping gone: BOUNDED, counted once */
	it[1] = good_iter(1, &a[1]);
	a[1].fences_checked = 1;
	a[1].fences_late = 1;
	it[1].bound_timeouts = 1;
	v = judge(&bound, &it[1], 1);
	CHECK(v.outcome == P2PB_BOUNDED && v.bounded_iterations == 1 && !v.violated);
	CHECK(strstr(v.bounded_evidence, "with 1 unsignalled fence(s) after the configured 100 ms timeout") != NULL);
	it[1].mapped_at_return = 1;
	v = judge(&bound, &it[1], 1);
	CHECK(v.outcome == P2PB_BOUNDED && v.bounded_iterations == 1);
	/* no timeout fired: the late fence is C4's */
	it[1].mapped_at_return = 0;
	it[1].bound_timeouts = 0;
	v = judge(&bound, &it[1], 1);
	CHECK(only(&v, 1u << P2PB_C4_FENCES));

	/* a bound configured but no timeout logged: the early return is not excused */
	it[1] = good_iter(1, &a[1]);
	it[1].mapped_at_return = 1;
	v = judge(&bound, &it[1], 1);
	CHECK(only(&v, 1u << P2PB_C1_WAITS) && strstr(v.v[0].evidence, "no revoke timeout fired"));

	/* without a configured bound the same WARN is forbidden */
	it[0].mapped_at_return = 0;
	v = judge(&plain, it, 1);
	CHECK(only(&v, 1u << P2PB_C7_KERNEL_LOG));

	/* the patched vfio-pci's WARN_ONCE: timeout message, cut here, its own text, WARNING */
	memset(&it[1].klog, 0, sizeof(it[1].klog));
	p2pb_kmsg_count_line("vfio-pci 0000:01:00.0: timed out waiting for dma-buf unmap after 100 ms, 1 mapping(s) still live (dma-buf ino 39)",
			     &it[1].klog);
	p2pb_kmsg_count_line("------------[ cut here ]------------", &it[1].klog);
	p2pb_kmsg_count_line("vfio-pci: a dma-buf revoke proceeded with importer mappings live", &it[1].klog);
	p2pb_kmsg_count_line("WARNING: CPU: 0 PID: 88 at drivers/vfio/pci/vfio_pci_dmabuf.c:470 vfio_pci_dma_buf_wait_unmap",
			     &it[1].klog);
	CHECK(it[1].klog.warnings == 1 && it[1].klog.announced_warnings == 1 && !it[1].klog.first_finding[0]);

	/* a WARN nobody announced fails C7 even with a bound, and BOUNDED does not hide it */
	it[0].mapped_at_return = 1;
	p2pb_kmsg_count_line("refcount_t: underflow; use-after-free.", &it[0].klog);
	p2pb_kmsg_count_line("WARNING: CPU: 1 PID: 90 at lib/refcount.c:28 refcount_warn_saturate", &it[0].klog);
	v = judge(&bound, it, 1);
	CHECK(only(&v, 1u << P2PB_C7_KERNEL_LOG) && v.bounded_iterations == 1);
	CHECK(strstr(v.v[0].evidence, "refcount_t: underflow") && strstr(v.v[0].evidence, "2 forbidden"));
}

static void test_injected(void)
{
	struct p2pb_verdict_ctx never = plain;
	struct p2pb_att_obs a;
	struct p2pb_iter_obs it;
	struct p2pb_verdict v;

	/* released by p2pbench after the quiesce timeout: an injected fault, the exporter waited */
	never.injected_never_unmap = true;
	it = good_iter(0, &a);
	a.forced = true;
	v = judge(&never, &it, 1);
	CHECK(v.outcome == P2PB_PASS && v.never_unmap.forced_releases == 1);
	/* a slow importer that had to be released is a measurement error, not an exporter failure */
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_ERROR && strstr(v.error, "quiesce timeout"));
	/* an injected never-unmap importer does not excuse an early return */
	it.mapped_at_return = 1;
	a.forced = false;
	v = judge(&never, &it, 1);
	CHECK(only(&v, 1u << P2PB_C1_WAITS));
	/* DMA after unmap is counted with what caught it */
	never.injected_dma_after_unmap = true;
	it = good_iter(0, &a);
	it.stale_transfers = 5;
	it.iommu_fault_irqs = 3;
	v = judge(&never, &it, 1);
	CHECK(v.outcome == P2PB_PASS && v.dma_after_unmap.stale_transfers == 5 &&
	      v.dma_after_unmap.iommu_fault_irqs == 3);
	/* read back once mapped again: nothing landed is a PASS; one that landed, C1 and only C1 */
	it.stale_checks = 5;
	v = judge(&never, &it, 1);
	CHECK(v.outcome == P2PB_PASS && v.dma_after_unmap.stale_checks == 5 && !v.dma_after_unmap.stale_landed);
	it.stale_landed = 1;
	v = judge(&never, &it, 1);
	CHECK(only(&v, 1u << P2PB_C1_WAITS) && strstr(v.v[0].evidence, "reached the exporter's memory") &&
	      v.dma_after_unmap.stale_landed == 1);
	/* a trigger that failed is an error, whatever else */
	it = good_iter(0, &a);
	it.trigger_errno = ENOTTY;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_ERROR);
}

static void test_kmsg(void)
{
	struct p2pb_kmsg_counts c = { 0 }, t = { 0 };

	p2pb_kmsg_count_line("WARNING: possible circular locking dependency detected", &c);
	p2pb_kmsg_count_line("BUG: KASAN: slab-use-after-free in vfio_pci_dma_buf_unmap", &c);
	p2pb_kmsg_count_line("UBSAN: shift-out-of-bounds in drivers/vfio/pci/vfio_pci_dmabuf.c:12:3", &c);
	p2pb_kmsg_count_line("INFO: task p2pbench:123 blocked for more than 20 seconds.", &c);
	p2pb_kmsg_count_line("rcu: INFO: rcu_preempt self-detected stall on CPU", &c);
	p2pb_kmsg_count_line("nvme nvme0: pci function 0000:01:00.0", &c);
	CHECK(c.lockdep == 1 && c.warnings == 0 && c.kasan == 1 && c.bugs == 0 && c.ubsan == 1 &&
	      c.hung_tasks == 1 && c.rcu_stalls == 1);
	CHECK(p2pb_kmsg_findings(&c) == 5 && p2pb_kmsg_unannounced(&c) == 5);
	CHECK_STR(c.first_finding, "WARNING: possible circular locking dependency detected");
	p2pb_kmsg_add(&t, &c);
	p2pb_kmsg_add(&t, &c);
	CHECK(p2pb_kmsg_findings(&t) == 10 && !strcmp(t.first_finding, c.first_finding));
	CHECK(p2pb_verdict_exit_status(P2PB_PASS) == 0 && p2pb_verdict_exit_status(P2PB_BOUNDED) == 0 &&
	      p2pb_verdict_exit_status(P2PB_SKIP) == 0 && p2pb_verdict_exit_status(P2PB_FAIL) == 1 &&
	      p2pb_verdict_exit_status(P2PB_ERROR) == 2);
}

/* C9 from both sides: the importer's reads of the exporter and the kernel's state changes. */
static void test_memory_live(void)
{
	const uint32_t live = P2PB_EXPORTER_READ | P2PB_EXPORTER_MEM | P2PB_EXPORTER_MASTER;
	struct p2pb_att_obs a;
	struct p2pb_iter_obs it = good_iter(0, &a);
	struct p2pb_verdict v;

	/* live at both events: judged, PASS */
	a.trigger_to_invalidate_ns = 1000000;
	a.invalidate_to_unmap_ns = 50000000;
	a.exporter_at_invalidate = a.exporter_at_unmap = live;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS && (v.judged & 1u << P2PB_C9_MEMORY_LIVE));
	/* nothing read and nothing watched: not judged */
	a.exporter_at_invalidate = a.exporter_at_unmap = 0;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS && !(v.judged & 1u << P2PB_C9_MEMORY_LIVE));

	/* invalidated after memory decode went off (the importer read MEM=0) */
	a.exporter_at_invalidate = P2PB_EXPORTER_READ;
	a.exporter_at_unmap = live;
	v = judge(&plain, &it, 1);
	CHECK(only(&v, 1u << P2PB_C9_MEMORY_LIVE));
	CHECK(strstr(v.v[0].evidence, "was invalidated 1.000 ms into mem-off") &&
	      strstr(v.v[0].evidence, "MEM=0 D0"));
	/* still mapped when the function went to D3hot */
	a.exporter_at_invalidate = live;
	a.exporter_at_unmap = live | 3u << P2PB_EXPORTER_PM_SHIFT;
	v = judge(&plain, &it, 1);
	CHECK(only(&v, 1u << P2PB_C9_MEMORY_LIVE) && strstr(v.v[0].evidence, "still mapped 51.000 ms") &&
	      strstr(v.v[0].evidence, "MEM=1 D3hot"));
	/* an unmap after the trigger returned is C1's, not C9's (and a bounded return's harm) */
	it.trigger_ns = 20000000;
	it.mapped_at_return = 1;
	v = judge(&plain, &it, 1);
	CHECK(only(&v, 1u << P2PB_C1_WAITS));
	it = good_iter(0, &a);
	/* a forced release is p2pbench's, not judged */
	a.unmap_cause = 1;	/* P2PB_UNMAP_FORCED */
	v = judge(&plain, &it, 1);
	CHECK(!(v.violated & 1u << P2PB_C9_MEMORY_LIVE));
	a.unmap_cause = 0;

	/* the kernel's side: a reset before the invalidate, which a config read cannot see (restored) */
	a.exporter_at_invalidate = a.exporter_at_unmap = live;
	a.trigger_to_invalidate_ns = 1000000;
	a.invalidate_to_unmap_ns = 50000000;
	it.memory_watched = true;
	it.memory_gone = true;
	it.memory_gone_ns = 500000;
	snprintf(it.memory_gone_what, sizeof(it.memory_gone_what), "a function reset");
	v = judge(&(struct p2pb_verdict_ctx){ .trigger = "flr", .trigger_unrevokes = true }, &it, 1);
	CHECK(only(&v, 1u << P2PB_C9_MEMORY_LIVE) && v.n_v == 2);
	CHECK(strstr(v.v[0].evidence, "the kernel did a function reset at 0.500 ms") != NULL);
	/* the reset after the last unmap (stock order): PASS; within trace resolution: PASS */
	it.memory_gone_ns = 51000000 + 900;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS && (v.judged & 1u << P2PB_C9_MEMORY_LIVE));
	it.memory_gone_ns = 51000000 - 900;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS);
	it.memory_gone_ns = 51000000 - 1100;
	v = judge(&plain, &it, 1);
	CHECK(only(&v, 1u << P2PB_C9_MEMORY_LIVE) && v.n_v == 1 && strstr(v.v[0].evidence, "still mapped"));
	/* watched, nothing took the memory: judged, PASS */
	it.memory_gone = false;
	a.exporter_at_invalidate = a.exporter_at_unmap = 0;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS && (v.judged & 1u << P2PB_C9_MEMORY_LIVE));
	CHECK(!strcmp(p2pb_clauses[P2PB_C9_MEMORY_LIVE].id, "C9"));
	CHECK(!p2pb_clause_needs_load(P2PB_C9_MEMORY_LIVE) && p2pb_clause_needs_load(P2PB_C8_DATA_INTACT));
}

/* The one fold of importer events (stress/fold.c): the rules revoke cases and stress share. */
static void test_fold(void)
{
	const uint32_t live = P2PB_EXPORTER_READ | P2PB_EXPORTER_MEM;
	const struct p2pb_engine_event ev[] = {
		{ .ts_ns = 5, .type = P2PB_EE_FENCE_ADD, .value = 1 },
		{ .ts_ns = 1010, .type = P2PB_EE_INVALIDATE, .arg = 1, .value = 50, .exporter = live },
		{ .ts_ns = 1060, .type = P2PB_EE_UNMAP, .arg = P2PB_UNMAP_FORCED, .exporter = live },
		{ .ts_ns = 1070, .type = P2PB_EE_UNMAP_DONE, .arg = P2PB_UNMAP_FORCED },
		{ .ts_ns = 1200, .type = P2PB_EE_FENCE_SIGNAL, .value = 1 },
		{ .ts_ns = 1300, .type = P2PB_EE_INVALIDATE, .arg = 0 },
	};
	struct p2pb_fold_window w = { .t0 = 1000, .trigger_end = 1100, .requests_are_releases = true };
	struct p2pb_fold f = { 0 };
	struct p2pb_att_obs o = { 0 };

	p2pb_fold_events(&f, ev, 6, &w, &o, NULL, 2000);
	CHECK(o.invalidated && o.unmapped && o.forced && o.injected_delay_ns == 50 && !o.injected_never);
	CHECK(o.trigger_to_invalidate_ns == 10 && o.invalidate_to_unmap_ns == 50 && o.exporter_unmap_ns == 10);
	CHECK(o.exporter_at_invalidate == live && o.exporter_at_unmap == live && o.later_invalidates == 1);
	/* the fence added before the invalidate signalled 100 ns after the trigger returned: C4 */
	CHECK(o.fences_checked == 1 && o.fences_late == 1 && o.fence_late_max_ns == 100 && f.n_fences == 0);
	/* stress: a worker's unmap by request is an unmap, not p2pbench releasing a stuck importer */
	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	w.requests_are_releases = false;
	p2pb_fold_events(&f, ev, 6, &w, &o, NULL, 2000);
	CHECK(o.unmapped && !o.forced && o.unmap_cause == P2PB_UNMAP_FORCED);
	/* without a window only the fences are kept: still pending at the next trigger, then late */
	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	p2pb_fold_events(&f, ev, 2, NULL, &o, NULL, 2000);
	CHECK(!o.invalidated && f.n_fences == 1);
	p2pb_fold_events(&f, ev + 1, 2, &w, &o, NULL, 5000);
	CHECK(o.fences_checked == 1 && o.fences_late == 1 && o.fence_late_max_ns == 3900);
}

/* C8: named offsets, device data where a read completed, and a load that moved bytes left some */
static void test_data(void)
{
	struct p2pb_att_obs a;
	struct p2pb_iter_obs it = good_iter(0, &a);
	struct p2pb_verdict v;

	it.data_checked = true;
	it.data_blocks = 512;
	it.data_tracked = true;
	it.data_reads_only = true;
	it.data_filled = 512;
	it.data_device = 512;
	it.data_moved_bytes = 4u << 20;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS && (v.judged & 1u << P2PB_C8_DATA_INTACT));

	/* reads completed, the blocks still hold the fill: the data never arrived */
	it.data_device = 0;
	it.data_missing = 512;
	snprintf(it.data_missing_evidence, sizeof(it.data_missing_evidence), "dma-buf 0 block 0: holds the fill");
	v = judge(&plain, &it, 1);
	CHECK(only(&v, 1u << P2PB_C8_DATA_INTACT) && v.n_v == 1);
	CHECK(strstr(v.v[0].evidence, "512 of 512 blocks read into since the fill lack the device's data (never arrived)") &&
	      strstr(v.v[0].evidence, "dma-buf 0 block 0: holds the fill"));

	/* bytes moved, nothing recorded as filled, no block holds device data */
	it.data_missing = 0;
	it.data_filled = 0;
	v = judge(&plain, &it, 1);
	CHECK(only(&v, 1u << P2PB_C8_DATA_INTACT) &&
	      strstr(v.v[0].evidence, "the load moved 4194304 bytes since the remap, but none of the 512 blocks"));
	/* ... but a load that moved nothing, or an importer that keeps no account, is not blamed */
	it.data_moved_bytes = 0;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS);
	it.data_moved_bytes = 1;
	it.data_tracked = false;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS);
	/* with writes mixed in, blocks written before they were read rightly hold the fill */
	it.data_tracked = true;
	it.data_reads_only = false;
	v = judge(&plain, &it, 1);
	CHECK(v.outcome == P2PB_PASS);
	it.data_reads_only = true;

	/* a block naming another offset, and a missing one: both said */
	it.data_tracked = true;
	it.data_filled = 10;
	it.data_missing = 1;
	it.data_bad = 2;
	v = judge(&plain, &it, 1);
	CHECK(only(&v, 1u << P2PB_C8_DATA_INTACT) && v.n_v == 2);
}

int main(void)
{
	test_clauses();
	test_memory_live();
	test_data();
	test_fold();
	test_c5();
	test_bounded_and_log();
	test_injected();
	test_kmsg();
	return check_done();
}
