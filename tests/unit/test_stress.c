// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench stress without hardware: the draws are a pure function of the
 * seed, bad weights are refused, a run on the sim exporter with the null
 * importer passes and gives everything back, a sim exporter that does not
 * wait is caught (C1) and the failing sequence replays into the same
 * finding, and broken replay files are refused. The kernel paths are the
 * lab's (tests/lab/checks-stress.sh).
 */
#include "soak.h"
#include "check.h"
#include "error.h"
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static struct p2pb_session s;

static struct p2pb_stress_cfg sim_cfg(const char *device, const char *importer, uint64_t seed)
{
	struct p2pb_stress_cfg c = { 0 };

	snprintf(c.device, sizeof(c.device), "%s", device);
	CHECK(p2pb_engine_spec_parse(importer, &c.importer) == 0);
	snprintf(c.triggers[0], sizeof(c.triggers[0]), "sim");
	c.n_triggers = 1;
	p2pb_stress_default_mix(c.mix);
	c.workers = 3;
	c.slots = 3;
	c.atts = 2;
	c.bar = 2;
	c.size = 1 << 20;
	c.seed = seed;
	c.max_cycles = 60;
	c.hold_max_us = 2000;
	c.checkpoint_cycles = 20;
	c.quiesce_ns = 10ull * 1000000000ull;
	return c;
}

static void test_draws(void)
{
	struct p2pb_stress_cfg a = sim_cfg("sim", "null", 42), b = sim_cfg("sim", "null", 43);
	struct p2pb_op_draw x, y;
	unsigned int i, same = 0, counts[P2PB_N_OPS] = { 0 };
	bool repeat = true;

	for (i = 0; i < 2000; i++) {
		p2pb_stress_draw(&a, 1, i, &x);
		p2pb_stress_draw(&a, 1, i, &y);
		repeat &= !memcmp(&x, &y, sizeof(x));
		counts[x.op]++;
		p2pb_stress_draw(&b, 1, i, &y);
		same += x.op == y.op && x.slot == y.slot;
	}
	CHECK(repeat);				/* the seed reproduces the sequence */
	CHECK(same < 1000);			/* another seed draws another one */
	CHECK(counts[P2PB_OP_REOPEN] == 0);	/* weight 0 is never drawn */
	CHECK(counts[P2PB_OP_MAP] > counts[P2PB_OP_REVOKE]);
	CHECK(counts[P2PB_OP_REVOKE] > 50 && counts[P2PB_OP_REVOKE] < 250);	/* weight 1 of 20 */
}

static void test_mix(void)
{
	unsigned int mix[P2PB_N_OPS];

	CHECK(p2pb_stress_parse_mix(P2PB_STRESS_DEFAULT_MIX, mix) == 0);	/* the default parses */
	CHECK(mix[P2PB_OP_EXPORT] == 3 && mix[P2PB_OP_REOPEN] == 0 && mix[P2PB_OP_KILL] == 1);
	CHECK(p2pb_stress_parse_mix("revoke=5,reopen=1", mix) == 0);
	CHECK_EQ_U64(mix[P2PB_OP_REVOKE], 5);
	CHECK_EQ_U64(mix[P2PB_OP_REOPEN], 1);
	CHECK_EQ_U64(mix[P2PB_OP_MAP], 4);
	CHECK(p2pb_stress_parse_mix("frobnicate=1", mix) == -EINVAL);
	CHECK(strstr(p2pb_error(), "unknown operation 'frobnicate'") != NULL);
	CHECK(p2pb_stress_parse_mix("map=-1", mix) == -EINVAL);
	CHECK(p2pb_stress_parse_mix("map", mix) == -EINVAL);
	CHECK(p2pb_stress_parse_mix("export=0,close=0,attach=0,detach=0,map=0,unmap=0,revoke=0,spawn=0,kill=0", mix) == -EINVAL);
}

static unsigned int c1_findings(const struct p2pb_stress_result *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->n_findings; i++)
		n += strstr(r->findings[i], "C1 ") != NULL;
	return n;
}

static void test_pass(void)
{
	struct p2pb_stress_cfg c = sim_cfg("sim", "null:delay=1ms", 7);
	struct p2pb_stress_result *r = calloc(1, sizeof(*r));

	CHECK(p2pb_stress_run(&c, &s, r, NULL, false) == 0);
	CHECK_EQ_U64(r->n_findings, 0);
	if (r->n_findings)
		printf("# first finding: %s\n", r->findings[0]);
	CHECK(r->cycles >= 60);
	CHECK(r->trig[0].verdict.outcome == P2PB_PASS);
	CHECK(r->trig[0].verdict.judged & (1u << P2PB_C1_WAITS));
	CHECK(r->run_verdict.outcome == P2PB_PASS);
	CHECK(r->checkpoints >= 2);		/* every 20 cycles, and the final one */
	CHECK_EQ_U64(r->leaky_checkpoints, 0);
	CHECK(r->ops[P2PB_OP_MAP].done > 0 && r->ops[P2PB_OP_ATTACH].done > 0);
	CHECK(r->total_ops > r->cycles);
	free(r);
}

static uint64_t ops_run(const struct p2pb_stress_result *r)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < P2PB_N_OPS; i++)
		n += r->ops[i].done + r->ops[i].noop;
	return n;
}

/*
 * A sim exporter that does not wait is caught (C1), the run stops and
 * writes its operations; the replay runs every one of them. With one worker
 * the order is the whole story, so the replay reproduces the finding every
 * time; with several, an operation that waited for a lock may land on the
 * other side of a revoke (hence --repeat).
 */
static void no_wait_replay(unsigned int workers, bool must_reproduce)
{
	struct p2pb_stress_cfg c = sim_cfg("sim:no-wait", "null:delay=5ms", 11), rc = { 0 };
	struct p2pb_stress_result *r = calloc(1, sizeof(*r)), *r2 = calloc(1, sizeof(*r2));
	char path[] = "/tmp/p2pb-test-stress-XXXXXX";
	struct p2pb_oplog l;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	c.workers = workers;
	CHECK(p2pb_stress_run(&c, &s, r, path, false) == 0);
	CHECK(r->stopped_early);
	CHECK(c1_findings(r) >= 1);
	CHECK(r->trig[0].verdict.outcome == P2PB_FAIL);
	CHECK(r->replay_written != NULL && r->replay_ops > 0);
	CHECK(p2pb_replay_read(path, &rc, &l) == 0);
	CHECK_EQ_U64(l.n, r->replay_ops);
	CHECK_EQ_U64(rc.seed, 11);
	CHECK_EQ_U64(rc.workers, workers);
	CHECK_STR(rc.device, "sim:no-wait");
	p2pb_oplog_free(&l);
	rc.replay_path = path;
	rc.keep_going = true;
	CHECK(p2pb_stress_run(&rc, &s, r2, NULL, false) == 0);
	CHECK_EQ_U64(ops_run(r2), r->replay_ops);	/* every recorded operation, nothing else */
	if (must_reproduce) {
		CHECK(c1_findings(r2) >= 1);
		CHECK(r2->trig[0].verdict.outcome == P2PB_FAIL);
	}
	unlink(path);
	free(r);
	free(r2);
}

static void test_no_wait_and_replay(void)
{
	no_wait_replay(1, true);
	no_wait_replay(3, false);
}

static void test_bad_replay(void)
{
	struct p2pb_stress_cfg c;
	struct p2pb_oplog l;
	char path[] = "/tmp/p2pb-test-stress-XXXXXX";
	int fd = mkstemp(path);
	const char *bad_op = "{\"schema\":\"p2pbench-stress-replay\",\"version\":1,\"config\":{\"device\":\"sim\","
			     "\"importer\":\"null\",\"triggers\":[\"sim\"],\"mix\":{\"export\":1,\"close\":1,"
			     "\"attach\":1,\"detach\":1,\"map\":1,\"unmap\":1,\"revoke\":1,\"reopen\":0},\"bar\":2,"
			     "\"size\":4096,\"seed\":1,\"workers\":1,\"dmabufs_per_worker\":1,"
			     "\"attachments_per_dmabuf\":1,\"hold_max_us\":0,\"pace_us\":0},"
			     "\"ops\":[[0,0,0,\"teleport\",0,0,null,0,\"ok\",0]]}";

	CHECK(p2pb_replay_read("/nonexistent/replay.json", &c, &l) == -EINVAL);
	CHECK(fd >= 0);
	CHECK(write(fd, "{\"version\":1}", 13) == 13);
	CHECK(p2pb_replay_read(path, &c, &l) == -EINVAL);
	CHECK(strstr(p2pb_error(), "not a p2pbench stress replay file") != NULL);
	CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	CHECK(write(fd, bad_op, strlen(bad_op)) == (ssize_t)strlen(bad_op));
	CHECK(p2pb_replay_read(path, &c, &l) == -EINVAL);
	CHECK(strstr(p2pb_error(), "operation 0 is malformed") != NULL);
	close(fd);
	unlink(path);
}

int main(void)
{
	p2pb_session_init(&s, true);
	test_draws();
	test_mix();
	test_pass();
	test_no_wait_and_replay();
	test_bad_replay();
	return check_done();
}
