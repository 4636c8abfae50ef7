/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CHILD_H
#define P2PB_CHILD_H
#include <sys/types.h>

/*
 * A child process that reports one int (0 or -errno) once it is set up and
 * then lives on (an importer held by another process, killed later).
 * @body runs in the child with the pipe's write end; it writes its int
 * there with p2pb_child_report() and must not return (it _exits).
 * Returns the child's pid and its report in *@report (-EIO if it died
 * first), or -errno when it could not be started.
 */
pid_t p2pb_child_start(void (*body)(void *arg, int report_fd), void *arg, int *report);
void p2pb_child_report(int report_fd, int value);

#endif
