// SPDX-License-Identifier: GPL-2.0
#include "trace.h"
#include "engine.h"
#include "exporter_watch.h"
#include "kmsg.h"
#include "check.h"

#include <stdio.h>

/* A shipped recipe and the probes p2pbench arms are the same lines. */
static void check_recipe(const char *path, const char *const *probes)
{
	char line[512];
	size_t i = 0;
	FILE *f = fopen(path, "r");

	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		CHECK(probes[i] && !strcmp(line, probes[i]));
		i += probes[i] != NULL;
	}
	if (f)
		fclose(f);
	CHECK(probes[i] == NULL);
}

/* Which kernel events take the exporting function's memory away (C9's kernel side). */
static void check_memory_gone(void)
{
	struct p2pb_pci_addr fn = { .domain = 0, .bus = 1, .dev = 0, .fn = 0 };
	char what[64];

	CHECK(p2pb_exporter_watch_gone("reset", "(__pci_reset_function_locked+0x4/0x90) bus=1 devfn=0", &fn, what,
				       sizeof(what)));
	CHECK_STR(what, "a function reset");
	CHECK(!p2pb_exporter_watch_gone("reset", "(x) bus=1 devfn=8", &fn, what, sizeof(what)));
	CHECK(!p2pb_exporter_watch_gone("reset", "(x) bus=2 devfn=0", &fn, what, sizeof(what)));
	CHECK(!p2pb_exporter_watch_gone("reset", "(x) subbus=1 devfn=0", &fn, what, sizeof(what)));
	/* a bus reset takes every function on the bus */
	CHECK(p2pb_exporter_watch_gone("bus_reset", "(pci_reset_bus+0x4/0x80) bus=1 devfn=8", &fn, what,
				       sizeof(what)));
	CHECK(p2pb_exporter_watch_gone("power", "(x) bus=1 devfn=0 state=3", &fn, what, sizeof(what)));
	CHECK_STR(what, "power state D3hot");
	CHECK(!p2pb_exporter_watch_gone("power", "(x) bus=1 devfn=0 state=0", &fn, what, sizeof(what)));
	CHECK(p2pb_exporter_watch_gone("power_locked", "(x) bus=1 devfn=0 state=4", &fn, what, sizeof(what)));
	/* PCI_COMMAND (offset 4) written without memory enable (bit 1) */
	CHECK(p2pb_exporter_watch_gone("cfg_word", "(x) bus=1 devfn=0 pos=4 val=1024", &fn, what, sizeof(what)));
	CHECK_STR(what, "a PCI_COMMAND write of 0x0400 (memory disabled)");
	CHECK(!p2pb_exporter_watch_gone("cfg_word", "(x) bus=1 devfn=0 pos=4 val=1030", &fn, what, sizeof(what)));
	CHECK(!p2pb_exporter_watch_gone("cfg_word", "(x) bus=1 devfn=0 pos=6 val=0", &fn, what, sizeof(what)));
	CHECK(p2pb_exporter_watch_gone("cfg_byte", "(x) bus=1 devfn=0 pos=4 val=4", &fn, what, sizeof(what)));
	CHECK(!p2pb_exporter_watch_gone("cfg_byte", "(x) bus=1 devfn=0 pos=5 val=0", &fn, what, sizeof(what)));
	CHECK(!p2pb_exporter_watch_gone("cfg_dword", "(x) bus=1 devfn=0 pos=4 val=1048582", &fn, what, sizeof(what)));
	CHECK(!p2pb_exporter_watch_gone("other", "(x) bus=1 devfn=0 pos=4 val=0", &fn, what, sizeof(what)));
}

int main(void)
{
	char event[64], args[256], line[256];
	uint64_t ts = 0;
	unsigned int i = 0;
	struct p2pb_kmsg_counts c = { 0 };
	FILE *f;

	/* tracefs text lines, as the lab's kernel prints them */
	CHECK(p2pb_trace_parse_line("        p2pbench-163     [001] .....     4.678143: vfio_pci_dmabuf_revoke_begin: "
				    "dev=0000:01:00.0 ino=1 live=1 elapsed_ns=0\n",
				    &ts, event, sizeof(event), args, sizeof(args)));
	CHECK_EQ_U64(ts, 4678143000ull);
	CHECK_STR(event, "vfio_pci_dmabuf_revoke_begin");
	CHECK_STR(args, "dev=0000:01:00.0 ino=1 live=1 elapsed_ns=0");
	CHECK(p2pb_trace_parse_line(" kworker/u8:2-57 [000] d..1.    12.000001: unmap: (vfio_pci_dma_buf_unmap+0x4/0x50 [vfio_pci_core])",
				    &ts, event, sizeof(event), args, sizeof(args)));
	CHECK_EQ_U64(ts, 12000001000ull);
	CHECK_STR(event, "unmap");
	CHECK(p2pb_trace_line_pid("        p2pbench-163     [001] .....     4.678143: x: ") == 163);
	CHECK(p2pb_trace_line_pid(" kworker/u8:2-57 [000] d..1.    12.000001: unmap: ") == 57);
	CHECK(p2pb_trace_line_pid("  <idle>-0  [001] ..... 1.0: x: ") == 0);
	CHECK(p2pb_trace_line_pid("garbage [001]") == -1);
	CHECK(p2pb_trace_line_pid("no cpu field") == -1);
	CHECK(!p2pb_trace_parse_line("# tracer: nop\n", &ts, event, sizeof(event), args, sizeof(args)));
	CHECK(!p2pb_trace_parse_line("garbage", &ts, event, sizeof(event), args, sizeof(args)));

	/* the shipped recipe and the probes p2pbench arms are the same lines */
	f = fopen(TEST_SOURCE_DIR "/kernel/trace/vfio-dmabuf.kprobes", "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		CHECK(p2pb_trace_kprobes[i] && !strcmp(line, p2pb_trace_kprobes[i]));
		i++;
	}
	if (f)
		fclose(f);
	CHECK(p2pb_trace_kprobes[i] == NULL);
	check_recipe(TEST_SOURCE_DIR "/kernel/trace/exporter-state.kprobes", p2pb_exporter_watch_kprobes);
	check_recipe(TEST_SOURCE_DIR "/kernel/trace/iommufd-revoke.kprobes", p2pb_iommufd_kprobes);
	check_memory_gone();

	/* kernel log classification */
	p2pb_kmsg_count_line("WARNING: vfio_pci_dmabuf.c:428 at vfio_pci_dma_buf_move+0x195/0x550", &c);
	p2pb_kmsg_count_line("vfio-pci 0000:01:00.0: timed out waiting for dma-buf unmap after 100 ms, 1 mapping(s) still live", &c);
	p2pb_kmsg_count_line("vfio-pci 0000:01:00.0: dma-buf importers have not unmapped 100 ms after a revoke, still waiting", &c);
	p2pb_kmsg_count_line("DMAR: [DMA Write NO_PASID] Request device [0000:02:00.0] fault addr 0xbc000000", &c);
	p2pb_kmsg_count_line("BUG: kernel NULL pointer dereference", &c);
	p2pb_kmsg_count_line("nvme nvme0: pci function 0000:01:00.0", &c);
	CHECK(c.warnings == 1 && c.revoke_timeouts == 1 && c.revoke_still_waiting == 1 && c.dmar_faults == 1 &&
	      c.bugs == 1);
	return check_done();
}
