/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLI_RDMA_ARGS_H
#define P2PB_CLI_RDMA_ARGS_H
/* p2pbench rdma's command line, for the command and its unit test. */
#include "rdma_report.h"

/* Exit status of a run a device cannot do (dma-buf MR unsupported): kselftest's skip. */
#define P2PB_EXIT_UNSUPPORTED 4

/*
 * The command line, checked and with perftest's defaults filled in. -1: go
 * on; else the exit status (--help: 0, bad input: 2 after one message).
 */
int p2pb_rdma_args_parse(int argc, char **argv, struct p2pb_rdma_args *a);
#endif
