// SPDX-License-Identifier: GPL-2.0
#include "kmod.h"
#include "error.h"
#include "check.h"

#include <math.h>

/* The kmod engine's options, after a spec was parsed. */
static struct p2pb_engine_spec spec;
#define sp (*(const struct p2pb_kmod_opts *)spec.opts)

static int parse(const char *text, struct p2pb_engine_spec *out)
{
	return p2pb_engine_spec_parse(text, out);
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

	CHECK(parse("rdma9", &spec) < 0 && strstr(p2pb_error(), "known: kmod, null"));
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
