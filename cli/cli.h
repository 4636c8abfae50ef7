/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CLI_CLI_H
#define P2PB_CLI_CLI_H
/* What every command's front-end does the same way: exits it cannot undo. */
#include "result.h"

/*
 * A trigger is stuck in the kernel, and the results are written: the KTAP
 * bail-out (@ktap may be NULL), one line on stderr naming @prog, and the
 * exit (1) that does not wait for the stuck thread (lib/child.h). Device
 * bindings are left as they are: nothing can be undone.
 */
void p2pb_cli_exit_stuck(const char *prog, struct p2pb_ktap *ktap) __attribute__((noreturn));
#endif
