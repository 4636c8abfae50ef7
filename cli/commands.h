/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLI_COMMANDS_H
#define P2PB_CLI_COMMANDS_H
/*
 * The commands whose front-ends (options, usage, exit codes) live in cli/.
 * The others are still declared beside their orchestration in stress/
 * (revoke.h, soak.h, rdma.h, doctor.h) until they move here too.
 */
int p2pb_cmd_compare(int argc, char **argv);	/* cli/compare.c */
int p2pb_cmd_report(int argc, char **argv);	/* cli/report.c */
#endif
