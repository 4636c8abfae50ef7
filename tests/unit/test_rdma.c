// SPDX-License-Identifier: GPL-2.0
/* The RDMA generator's pure half: classes, sizes, memory specs, patterns, the command line. */
#include <infiniband/verbs.h>
#include <stdlib.h>

#include "rdma_args.h"
#include "rdma/params.h"
#include "check.h"

static int parse(struct p2pb_rdma_args *a, const char *line)
{
	char buf[512], *argv[32], *tok, *save = NULL;
	int argc = 0, rc;
	FILE *devnull = freopen("/dev/null", "w", stderr);

	snprintf(buf, sizeof(buf), "rdma %s", line);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	rc = p2pb_rdma_args_parse(argc, argv, a);
	(void)devnull;
	return rc;
}

static void classes(void)
{
	CHECK(p2pb_rdma_wc_classify(IBV_WC_SUCCESS) == P2PB_WC_OK);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_WR_FLUSH_ERR) == P2PB_WC_FLUSH);
	/* what a revoke or a deregistered MR produces */
	CHECK(p2pb_rdma_wc_classify(IBV_WC_REM_ACCESS_ERR) == P2PB_WC_MEMORY);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_LOC_PROT_ERR) == P2PB_WC_MEMORY);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_LOC_ACCESS_ERR) == P2PB_WC_MEMORY);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_REM_OP_ERR) == P2PB_WC_REMOTE);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_RETRY_EXC_ERR) == P2PB_WC_TRANSPORT);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_RNR_RETRY_EXC_ERR) == P2PB_WC_TRANSPORT);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_LOC_LEN_ERR) == P2PB_WC_REQUEST);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_REM_INV_REQ_ERR) == P2PB_WC_REQUEST);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_FATAL_ERR) == P2PB_WC_FATAL);
	CHECK(p2pb_rdma_wc_classify(IBV_WC_GENERAL_ERR) == P2PB_WC_FATAL);
	CHECK(p2pb_rdma_wc_classify(4711) == P2PB_WC_FATAL);
	CHECK_STR(p2pb_rdma_wc_class_name(P2PB_WC_MEMORY), "memory");
	CHECK_STR(p2pb_rdma_wc_class_name(P2PB_WC_N_CLASSES), "?");
}

static void sizes_and_memory(void)
{
	struct p2pb_rdma_mem_spec m;
	uint64_t s[P2PB_RDMA_MAX_SIZES];
	unsigned int n;

	CHECK(!p2pb_rdma_sizes_parse("4k,64k,1M", s, &n) && n == 3 && s[0] == 4096 && s[2] == 1048576);
	CHECK(p2pb_rdma_sizes_parse("0", s, &n) < 0);
	CHECK(p2pb_rdma_sizes_parse("2G", s, &n) < 0);
	CHECK(p2pb_rdma_sizes_parse("4k,,x", s, &n) < 0);
	CHECK(p2pb_rdma_sizes_parse("", s, &n) < 0);
	p2pb_rdma_sizes_all(s, &n);
	CHECK(n == 23 && s[0] == 2 && s[22] == 8388608);

	CHECK(!p2pb_rdma_mem_parse("host", &m) && !strcmp(m.kind->name, "host") && !m.kind->dmabuf);
	CHECK(!p2pb_rdma_mem_parse("udmabuf", &m) && !strcmp(m.kind->name, "udmabuf") && m.kind->dmabuf);
	CHECK(!p2pb_rdma_mem_parse("heap", &m) && !strcmp(m.kind->name, "heap") && !strcmp(m.dev, "heap"));
	CHECK(!p2pb_rdma_mem_parse("heap:cma", &m) && !strcmp(m.dev, "heap:cma"));
	CHECK(p2pb_rdma_mem_parse("heap:../x", &m) < 0);
	CHECK(!p2pb_rdma_mem_parse("vfio:0000:01:00.0", &m) && !strcmp(m.kind->name, "vfio") && m.bar == 2 &&
	      !strcmp(m.bdf, "0000:01:00.0") && !m.offset && !m.length);
	CHECK(!p2pb_rdma_mem_parse("vfio:0000:01:00.0,bar=4,offset=1M,len=8M", &m) && m.bar == 4 &&
	      m.offset == 1048576 && m.length == 8388608);
	CHECK(p2pb_rdma_mem_parse("vfio:", &m) < 0);
	CHECK(p2pb_rdma_mem_parse("vfio:0000:01:00.0,bar=7", &m) < 0);
	CHECK(p2pb_rdma_mem_parse("vfio:0000:01:00.0,offset=100", &m) < 0);
	CHECK(p2pb_rdma_mem_parse("vfio:0000:01:00.0,colour=red", &m) < 0);
	CHECK(p2pb_rdma_mem_parse("gpu", &m) < 0);
}

static void patterns(void)
{
	unsigned char a[100], b[100];

	p2pb_rdma_pattern_fill(7, 0, 1, 100, a, 0, sizeof(a));
	CHECK(p2pb_rdma_pattern_check(7, 0, 1, 100, a, 0, sizeof(a)) == 0);
	/* a piece filled at an offset is the same bytes */
	p2pb_rdma_pattern_fill(7, 0, 1, 100, b, 37, 50);
	CHECK(!memcmp(a + 37, b, 50));
	/* another side, QP, size or seed never matches */
	CHECK(p2pb_rdma_pattern_check(7, 1, 1, 100, a, 0, sizeof(a)) > 90);
	CHECK(p2pb_rdma_pattern_check(7, 0, 2, 100, a, 0, sizeof(a)) > 90);
	CHECK(p2pb_rdma_pattern_check(7, 0, 1, 128, a, 0, sizeof(a)) > 90);
	CHECK(p2pb_rdma_pattern_check(8, 0, 1, 100, a, 0, sizeof(a)) > 90);
	a[42] ^= 1;
	CHECK(p2pb_rdma_pattern_check(7, 0, 1, 100, a, 0, sizeof(a)) == 1);
	memset(b, 0, sizeof(b));
	CHECK(p2pb_rdma_pattern_check(7, 0, 1, 100, b, 0, sizeof(b)) > 90);
}

static void command_line(void)
{
	struct p2pb_rdma_args a;

	/* perftest's defaults */
	CHECK(parse(&a, "") == -1);
	CHECK(a.run.role == P2PB_RDMA_LOOPBACK && a.run.t.op == P2PB_RDMA_WRITE && a.run.t.mode == P2PB_RDMA_BW);
	CHECK(a.run.n_steps == 1 && a.run.steps[0].size == 65536 && a.run.steps[0].iters == 5000);
	CHECK(a.run.ep.tx_depth == 128 && a.run.t.cq_mod == 100 && a.run.ep.qps == 1 && a.run.verify);
	CHECK(a.run.ep.slot == 65536 && a.run.ep.gid_index == -1 && a.run.ep.port == 1 && !a.run.ep.inline_size);
	CHECK(parse(&a, "-o send") == -1 && a.run.steps[0].iters == 1000 && a.run.ep.rx_depth == 512);
	CHECK(parse(&a, "-m lat -o send") == -1 && a.run.steps[0].size == 2 && a.run.ep.tx_depth == 1 &&
	      a.run.steps[0].iters == 1000);
	/* tx depth never above what is sent */
	CHECK(parse(&a, "-n 10") == -1 && a.run.ep.tx_depth == 10);
	CHECK(parse(&a, "-a -D 2s") == -1 && a.run.n_steps == 23 && a.run.steps[22].duration_ns == 2000000000ull &&
	      !a.run.steps[0].iters && a.run.ep.slot == 8388608);
	CHECK(parse(&a, "-d mlx5_0 -x 3 -q 4 -s 4k,1M --mem vfio:0000:01:00.0,bar=2 server1 -p 9000") == -1);
	CHECK(a.run.role == P2PB_RDMA_CLIENT && !strcmp(a.run.server, "server1") && a.run.tcp_port == 9000);
	CHECK(!strcmp(a.run.ep.dev, "mlx5_0") && a.run.ep.gid_index == 3 && a.run.ep.qps == 4);
	CHECK(!strcmp(a.run.mem.kind->name, "vfio") && a.run.ep.mem == &a.run.mem && a.run.n_steps == 2);
	CHECK(parse(&a, "--server --no-verify") == -1 && a.run.role == P2PB_RDMA_SERVER && !a.run.verify);
	/* bad input: one message, status 2 */
	CHECK(parse(&a, "-o atomic") == 2);
	CHECK(parse(&a, "-m both") == 2);
	CHECK(parse(&a, "-q 0") == 2);
	CHECK(parse(&a, "-q 65") == 2);
	CHECK(parse(&a, "-t 0") == 2);
	CHECK(parse(&a, "-s 0") == 2);
	CHECK(parse(&a, "-n 5 -D 1s") == 2);
	CHECK(parse(&a, "-m lat -q 2") == 2);
	CHECK(parse(&a, "--mem nowhere") == 2);
	CHECK(parse(&a, "--server host") == 2);
	CHECK(parse(&a, "a b") == 2);
	CHECK(parse(&a, "--frobnicate") == 2);
	CHECK(parse(&a, "-p 70000") == 2);
	/* disturbances: loopback bandwidth; a revoke needs a duration longer than its interval */
	CHECK(parse(&a, "-D 3s --fault dereg@1s") == -1 && a.run.disturb.kind == P2PB_FAULT_DEREG &&
	      a.run.disturb.every_ns == 1000000000ull && a.run.recovery == P2PB_RECOVERY_AUTO);
	CHECK(parse(&a, "-D 3s --revoke mem-off@1s --mem vfio:0000:01:00.0 --recovery rereg") == -1 &&
	      a.run.disturb.kind == P2PB_FAULT_TRIGGER && a.run.disturb.restore && a.run.recovery == P2PB_RECOVERY_REREG);
	CHECK(parse(&a, "-D 3s --revoke flr@1s --mem vfio:0000:01:00.0") == -1 && !a.run.disturb.restore);
	CHECK(parse(&a, "--revoke flr@1s --mem vfio:0000:01:00.0") == 2);
	CHECK(parse(&a, "-D 3s --revoke flr@1s") == 2);
	CHECK(parse(&a, "-D 3s --revoke close@1s --mem vfio:0000:01:00.0") == 2);
	CHECK(parse(&a, "-D 3s --revoke sim@1s --mem vfio:0000:01:00.0") == 2);
	CHECK(parse(&a, "-D 1s --fault dereg@2s") == 2);
	CHECK(parse(&a, "-D 3s --fault dereg@1s --fault qp-error@1s") == 2);
	CHECK(parse(&a, "-D 3s --fault dereg@1s -m lat") == 2);
	CHECK(parse(&a, "-D 3s --fault dereg@1s host1") == 2);
	CHECK(parse(&a, "--fault dereg") == 2);
	CHECK(parse(&a, "--recovery sometimes") == 2);
	CHECK(parse(&a, "--help") == 0);
}

int main(void)
{
	classes();
	sizes_and_memory();
	patterns();
	command_line();
	return check_done();
}
