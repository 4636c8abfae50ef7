/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_STRESS_RDMA_H
#define P2PB_STRESS_RDMA_H
#include <stdbool.h>

#include "rdma/run.h"

/* p2pbench rdma: RDMA traffic through a memory back-end, perftest style. */
int p2pb_cmd_rdma(int argc, char **argv);

/* Exit status of a run a device cannot do (dma-buf MR unsupported): kselftest's skip. */
#define P2PB_EXIT_UNSUPPORTED 4

struct p2pb_rdma_args {
	struct p2pb_rdma_run_cfg run;
	char dev[64];
	const char *json_path;
	bool quiet, bind, no_pin;
};

/*
 * The command line, checked and with perftest's defaults filled in. -1: go
 * on; else the exit status (--help: 0, bad input: 2 after one message).
 */
int p2pb_rdma_args_parse(int argc, char **argv, struct p2pb_rdma_args *a);
#endif
