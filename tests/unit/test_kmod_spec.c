// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "kmod.h"
#include "error.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The kmod engine's options, after a spec was parsed. */
static struct p2pb_engine_spec spec;
#define sp (*(const struct p2pb_kmod_opts *)spec.opts)

static int parse(const char *text, struct p2pb_engine_spec *out)
{
	return p2pb_engine_spec_parse(text, out);
}

/* The kmod keys' declared defaults and bounds, and the messages made from them. */
static void test_declared_keys(void)
{
	CHECK(parse("kmod", &spec) == 0);
	CHECK(sp.attach == P2PB_KMOD_DYNAMIC && sp.io_bs == 65536 && sp.io_qd == 16 && sp.io_bin_ns == 10000000);
	CHECK(!sp.io && sp.io_rate_bps == 0 && sp.io_range == 0 && sp.fence_hold_ns == 0 && !sp.dma_after_unmap);
	CHECK(parse("kmod:io=read", &spec) == 0 && sp.io && sp.io_read_pct == 100);
	CHECK(parse("kmod:io=write", &spec) == 0 && sp.io && sp.io_read_pct == 0);
	CHECK(parse("kmod:io=rw", &spec) == 0 && sp.io_read_pct == 50);
	CHECK(parse("kmod:io=rw:30", &spec) == 0 && sp.io_read_pct == 30);
	CHECK(parse("kmod:io=rw:150", &spec) < 0 &&
	      strstr(p2pb_error(), "io=rw:150: expected io=read|write|rw[:READ%]"));
	CHECK(parse("kmod:bs=4k,qd=63,rate=1t,bin=0,range=8k", &spec) == 0);
	CHECK(sp.io_bs == 4096 && sp.io_qd == 63 && sp.io_rate_bps == 1ull << 40 && sp.io_bin_ns == 0);
	CHECK_EQ_U64(sp.io_range, 8192);
	CHECK(parse("kmod:bs=1m", &spec) == 0 && parse("kmod:bs=2m", &spec) < 0 && parse("kmod:bs=0", &spec) < 0);
	CHECK(parse("kmod:bs=3k", &spec) < 0 &&
	      strstr(p2pb_error(), "bs=3k: expected bs=SIZE (NVMe load: bytes per command; 4 KiB..1 MiB, a multiple of "
		     "4 KiB (default 64k))"));
	CHECK(parse("kmod:qd=0", &spec) < 0 && strstr(p2pb_error(), "qd=0: expected qd=1..63"));
	CHECK(parse("kmod:qd=64", &spec) < 0 && parse("kmod:qd=1k", &spec) < 0);
	CHECK(parse("kmod:rate=1025g", &spec) < 0 && parse("kmod:range=5k", &spec) < 0);
	CHECK(parse("kmod:bin=100us", &spec) == 0 && parse("kmod:bin=99us", &spec) < 0);
	CHECK(parse("kmod:bin=1s", &spec) == 0 && parse("kmod:bin=1001ms", &spec) < 0);
	CHECK(parse("kmod:dma=1", &spec) == 0 && sp.dma_size == 1);
	CHECK(parse("kmod:dma=4095", &spec) == 0 && parse("kmod:dma=4k", &spec) < 0 && parse("kmod:dma=0", &spec) < 0);
	CHECK(parse("kmod:dma-interval=10", &spec) == 0 && sp.dma_interval_ns == 10000000);
	CHECK(parse("kmod:dma-after-unmap=1", &spec) == 0 && sp.dma_after_unmap);
	CHECK(parse("kmod:dma-after-unmap=true", &spec) < 0);
	CHECK(parse("kmod:fence=2h", &spec) < 0 && strstr(p2pb_error(), "fence=2h: expected fence=D (") &&
	      strstr(p2pb_error(), "at most 1h"));
	CHECK(parse("kmod:count=0", &spec) < 0 && strstr(p2pb_error(), "count=0: expected count=1..64"));
	/* a later key wins; what an earlier delay= set and a later one leaves alone stays */
	CHECK(parse("kmod:delay=uniform:10:20,delay=5", &spec) == 0 && sp.delay_kind == P2PB_DELAY_FIXED);
	CHECK(sp.delay_a_ns == 5000000 && sp.delay_b_ns == 20000000);
}

/* Help is made from the declarations: each key's form, bounds and its one default. */
static void test_help(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (!f)
		return;
	p2pb_engine_help(f);
	fclose(f);
	CHECK(strstr(text, "every kind takes count=1..64: identical importers (default 1)\n"));
	CHECK(strstr(text, "\n    qd=1..63\n        NVMe load: commands in flight (default 16)\n"));
	CHECK(strstr(text, "\n    bs=SIZE\n        NVMe load: bytes per command; 4 KiB..1 MiB, a multiple of 4 KiB "
		     "(default 64k)\n"));
	CHECK(strstr(text, "\n    attach=dynamic|static|nonrevocable|no-p2p\n"));
	CHECK(strstr(text, "throughput bin width; 100us..1s or 0: none; bare numbers are ms (default 10ms)\n"));
	CHECK(strstr(text, "\n    delay=D|never\n        when to unmap after an invalidate; bare numbers are ms "
		     "(default 0: at once)\n"));
	free(text);
}

int main(void)
{
	uint64_t d[64], d2[64];
	double sum = 0;
	unsigned int i, below = 0;

	CHECK(parse("kmod", &spec) == 0);
	CHECK(spec.ops == &p2pb_engine_kmod && !strcmp(spec.ops->name, "kmod"));
	CHECK(sp.delay_kind == P2PB_DELAY_FIXED && sp.delay_a_ns == 0 && spec.count == 1 && !sp.dev[0]);
	CHECK(p2pb_engine_spec_check(&spec) < 0 && strstr(p2pb_error(), "needs dev=BDF"));

	CHECK(parse("kmod:delay=200ms,count=3,dev=02:00.0,attach=static", &spec) == 0);
	CHECK_EQ_U64(sp.delay_a_ns, 200000000);
	CHECK_EQ_U64(spec.count, 3);
	CHECK_STR(sp.dev, "0000:02:00.0");
	CHECK(sp.attach == P2PB_KMOD_STATIC);
	CHECK_STR(spec.text, "kmod:delay=200ms,count=3,dev=02:00.0,attach=static");
	CHECK(p2pb_engine_spec_check(&spec) == 0);
	CHECK(spec.ops->unrevocable(spec.opts) && !strcmp(spec.ops->unrevocable(spec.opts), "static"));

	CHECK(parse("kmod:delay=300", &spec) == 0 && sp.delay_a_ns == 300000000);
	CHECK(parse("kmod:delay=never", &spec) == 0 && sp.delay_kind == P2PB_DELAY_NEVER_UNMAP);
	CHECK(parse("kmod:attach=nonrevocable", &spec) == 0 && sp.attach == P2PB_KMOD_NONREVOCABLE);
	CHECK(parse("kmod:attach=no-p2p", &spec) == 0 && sp.attach == P2PB_KMOD_NO_P2P);

	/* fence=DURATION: parsed like delay=, bare numbers are ms; default off */
	CHECK(parse("kmod:delay=0,fence=300ms,dev=02:00.0", &spec) == 0);
	CHECK_EQ_U64(sp.fence_hold_ns, 300000000);
	CHECK_EQ_U64(sp.delay_a_ns, 0);
	CHECK_STR(sp.dev, "0000:02:00.0");
	CHECK(parse("kmod:fence=2s", &spec) == 0 && sp.fence_hold_ns == 2000000000ull);
	CHECK(parse("kmod:fence=150", &spec) == 0 && sp.fence_hold_ns == 150000000ull);
	CHECK(parse("kmod:fence=0", &spec) == 0 && sp.fence_hold_ns == 0);
	CHECK(parse("kmod:delay=never", &spec) == 0 && sp.fence_hold_ns == 0);
	CHECK(parse("kmod:fence=3600s", &spec) == 0 && sp.fence_hold_ns == 3600000000000ull);
	CHECK(parse("kmod:fence=3601s", &spec) < 0);
	CHECK(parse("kmod:fence=never", &spec) < 0);
	CHECK(parse("kmod:fence=", &spec) < 0);
	CHECK(parse("kmod:fence=-5ms", &spec) < 0);

	/* iommufd: dev= required, a page-aligned iova (1 GiB unless given) */
	CHECK(parse("iommufd", &spec) == 0 && p2pb_engine_spec_check(&spec) < 0 &&
	      strstr(p2pb_error(), "needs dev=BDF"));
	CHECK(parse("iommufd:dev=0000:02:00.0", &spec) == 0 && p2pb_engine_spec_check(&spec) == 0 &&
	      spec.ops == &p2pb_engine_iommufd);
	CHECK(parse("iommufd:dev=0000:02:00.0,iova=4097", &spec) < 0);
	CHECK(parse("iommufd:dev=0000:02:00.0,iova=2m", &spec) == 0);
	CHECK(parse("iommufd:delay=5ms", &spec) < 0);

	CHECK(parse("rdma9", &spec) < 0 && strstr(p2pb_error(), "known: kmod, iommufd, null"));
	CHECK(parse("kmod:delay", &spec) < 0);
	CHECK(parse("kmod:delay=soon", &spec) < 0);
	CHECK(parse("kmod:count=0", &spec) < 0);
	CHECK(parse("kmod:count=65", &spec) < 0 && parse("kmod:count=64", &spec) == 0);
	CHECK(parse("kmod:dev=zz", &spec) < 0);
	CHECK(parse("kmod:attach=glue", &spec) < 0);
	CHECK(parse("kmod:colour=red", &spec) < 0 && strstr(p2pb_error(), "kmod has no key 'colour' (keys: count, delay, dev"));
	CHECK(parse("kmod:delay=soon", &spec) < 0 && strstr(p2pb_error(), "expected delay="));
	CHECK(parse("kmod:delay=uniform:20ms:10ms", &spec) < 0);
	CHECK(parse("kmod:delay=lognormal:10ms", &spec) < 0);
	CHECK(parse("", &spec) < 0);

	test_declared_keys();
	test_help();

	/* fixed: every delay is the value */
	CHECK(parse("kmod:delay=5ms", &spec) == 0);
	p2pb_kmod_delays(&sp, 1, d, 64);
	CHECK(d[0] == 5000000 && d[63] == 5000000);

	/* uniform stays in range; same seed, same draw; other seed, other draw */
	CHECK(parse("kmod:delay=uniform:10ms:20ms", &spec) == 0);
	p2pb_kmod_delays(&sp, 7, d, 64);
	p2pb_kmod_delays(&sp, 7, d2, 64);
	CHECK(memcmp(d, d2, sizeof(d)) == 0);
	p2pb_kmod_delays(&sp, 8, d2, 64);
	CHECK(memcmp(d, d2, sizeof(d)) != 0);
	for (i = 0; i < 64; i++)
		below += d[i] < 10000000 || d[i] > 20000000;
	CHECK_EQ_U64(below, 0);

	/* exp: the sample mean of 64 draws is near the mean (loose: 3 sigma) */
	CHECK(parse("kmod:delay=exp:50ms", &spec) == 0);
	p2pb_kmod_delays(&sp, 3, d, 64);
	for (i = 0; i < 64; i++)
		sum += (double)d[i];
	CHECK(fabs(sum / 64 - 50e6) < 3 * 50e6 / 8);

	/* lognormal: about half below the median */
	CHECK(parse("kmod:delay=lognormal:40ms:0.5", &spec) == 0 && sp.sigma == 0.5);
	p2pb_kmod_delays(&sp, 5, d, 64);
	for (below = 0, i = 0; i < 64; i++)
		below += d[i] < 40000000;
	CHECK(below > 16 && below < 48);
	/* what the options ask for, as the orchestration sees it */
	CHECK(parse("kmod:delay=never,dma=64,dma-after-unmap=1,dev=02:00.0", &spec) == 0);
	CHECK(spec.ops->injected(spec.opts) == (P2PB_INJECT_NEVER_UNMAP | P2PB_INJECT_DMA_AFTER_UNMAP));
	CHECK(spec.ops->moves_data(spec.opts) && !spec.ops->unrevocable(spec.opts));
	CHECK(parse("null:delay=never,count=2", &spec) == 0 && spec.count == 2 &&
	      spec.ops->injected(spec.opts) == P2PB_INJECT_NEVER_UNMAP);
	return check_done();
}
