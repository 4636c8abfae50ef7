// SPDX-License-Identifier: GPL-2.0
#include "importer.h"
#include "check.h"

#include <math.h>

int main(void)
{
	struct p2pb_importer_spec sp;
	uint64_t d[64], d2[64];
	double sum = 0;
	unsigned int i, below = 0;

	CHECK(p2pb_importer_spec_parse("kmod", &sp) == 0);
	CHECK_STR(sp.kind, "kmod");
	CHECK(sp.delay_kind == P2PB_DELAY_FIXED && sp.delay_a_ns == 0 && sp.count == 1 && !sp.dev[0]);

	CHECK(p2pb_importer_spec_parse("kmod:delay=200ms,count=3,dev=02:00.0,attach=static", &sp) == 0);
	CHECK_EQ_U64(sp.delay_a_ns, 200000000);
	CHECK_EQ_U64(sp.count, 3);
	CHECK_STR(sp.dev, "0000:02:00.0");
	CHECK(sp.attach_mode == P2PB_ATTACH_STATIC);
	CHECK_STR(sp.text, "kmod:delay=200ms,count=3,dev=02:00.0,attach=static");

	CHECK(p2pb_importer_spec_parse("kmod:delay=300", &sp) == 0 && sp.delay_a_ns == 300000000);
	CHECK(p2pb_importer_spec_parse("kmod:delay=never", &sp) == 0 && sp.delay_kind == P2PB_DELAY_NEVER_UNMAP);
	CHECK(p2pb_importer_spec_parse("kmod:attach=nonrevocable", &sp) == 0 && sp.attach_mode == P2PB_ATTACH_NONREVOCABLE);
	CHECK(p2pb_importer_spec_parse("kmod:attach=no-p2p", &sp) == 0 && sp.attach_mode == P2PB_ATTACH_NO_P2P);

	/* fence=DURATION: parsed like delay=, bare numbers are ms; default off */
	CHECK(p2pb_importer_spec_parse("kmod:delay=0,fence=300ms,dev=02:00.0", &sp) == 0);
	CHECK_EQ_U64(sp.fence_hold_ns, 300000000);
	CHECK_EQ_U64(sp.delay_a_ns, 0);
	CHECK_STR(sp.dev, "0000:02:00.0");
	CHECK(p2pb_importer_spec_parse("kmod:fence=2s", &sp) == 0 && sp.fence_hold_ns == 2000000000ull);
	CHECK(p2pb_importer_spec_parse("kmod:fence=150", &sp) == 0 && sp.fence_hold_ns == 150000000ull);
	CHECK(p2pb_importer_spec_parse("kmod:fence=0", &sp) == 0 && sp.fence_hold_ns == 0);
	CHECK(p2pb_importer_spec_parse("kmod:delay=never", &sp) == 0 && sp.fence_hold_ns == 0);
	CHECK(p2pb_importer_spec_parse("kmod:fence=3600s", &sp) == 0 && sp.fence_hold_ns == 3600000000000ull);
	CHECK(p2pb_importer_spec_parse("kmod:fence=3601s", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:fence=never", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:fence=", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:fence=-5ms", &sp) < 0);

	CHECK(p2pb_importer_spec_parse("rdma9", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:delay", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:delay=soon", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:count=0", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:count=17", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:dev=zz", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:attach=glue", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:colour=red", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:delay=uniform:20ms:10ms", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("kmod:delay=lognormal:10ms", &sp) < 0);
	CHECK(p2pb_importer_spec_parse("", &sp) < 0);

	/* fixed: every delay is the value */
	CHECK(p2pb_importer_spec_parse("kmod:delay=5ms", &sp) == 0);
	p2pb_importer_spec_delays(&sp, 1, d, 64);
	CHECK(d[0] == 5000000 && d[63] == 5000000);

	/* uniform stays in range; same seed, same draw; other seed, other draw */
	CHECK(p2pb_importer_spec_parse("kmod:delay=uniform:10ms:20ms", &sp) == 0);
	p2pb_importer_spec_delays(&sp, 7, d, 64);
	p2pb_importer_spec_delays(&sp, 7, d2, 64);
	CHECK(memcmp(d, d2, sizeof(d)) == 0);
	p2pb_importer_spec_delays(&sp, 8, d2, 64);
	CHECK(memcmp(d, d2, sizeof(d)) != 0);
	for (i = 0; i < 64; i++)
		below += d[i] < 10000000 || d[i] > 20000000;
	CHECK_EQ_U64(below, 0);

	/* exp: the sample mean of 64 draws is near the mean (loose: 3 sigma) */
	CHECK(p2pb_importer_spec_parse("kmod:delay=exp:50ms", &sp) == 0);
	p2pb_importer_spec_delays(&sp, 3, d, 64);
	for (i = 0; i < 64; i++)
		sum += (double)d[i];
	CHECK(fabs(sum / 64 - 50e6) < 3 * 50e6 / 8);

	/* lognormal: about half below the median */
	CHECK(p2pb_importer_spec_parse("kmod:delay=lognormal:40ms:0.5", &sp) == 0 && sp.sigma == 0.5);
	p2pb_importer_spec_delays(&sp, 5, d, 64);
	for (below = 0, i = 0; i < 64; i++)
		below += d[i] < 40000000;
	CHECK(below > 16 && below < 48);
	return check_done();
}
