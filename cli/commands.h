/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLI_COMMANDS_H
#define P2PB_CLI_COMMANDS_H
#include <stdbool.h>

/*
 * Every command's front-end (options, usage, job-file keys, exit codes, the
 * restore-on-exit path), one file each in cli/, registered in p2pbench.c.
 * Each takes the arguments after the command's name (argv[0] is the name)
 * and returns the exit status.
 */
int p2pb_cmd_revoke(int argc, char **argv);		/* cli/revoke.c */
int p2pb_cmd_trace(int argc, char **argv);		/* cli/revoke.c: revoke --trace --timeline */
int p2pb_cmd_check(int argc, char **argv);		/* cli/check.c */
int p2pb_cmd_timeout_sweep(int argc, char **argv);	/* cli/timeout_sweep.c */
/* A timeout-sweep option that takes no value (for p2pbench run's [timeout-sweep] sections). */
bool p2pb_timeout_sweep_flag(const char *key);
int p2pb_cmd_race(int argc, char **argv);		/* cli/race.c */
int p2pb_cmd_type1(int argc, char **argv);		/* cli/type1.c */
int p2pb_cmd_stress(int argc, char **argv);		/* cli/stress.c */
int p2pb_cmd_load(int argc, char **argv);		/* cli/load.c */
int p2pb_cmd_rdma(int argc, char **argv);		/* cli/rdma.c (built with libibverbs) */
int p2pb_cmd_run(int argc, char **argv);		/* cli/run.c */
int p2pb_cmd_compare(int argc, char **argv);		/* cli/compare.c */
int p2pb_cmd_report(int argc, char **argv);		/* cli/report.c */
int p2pb_cmd_doctor(int argc, char **argv);		/* cli/doctor.c */
#endif
