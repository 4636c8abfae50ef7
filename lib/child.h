/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PB_CHILD_H
#define P2PB_CHILD_H
#include <stddef.h>
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

/*
 * A thread stuck in the kernel for good (a revoke that never returns) keeps
 * its process from ever finishing its exit, and so keeps whoever waits for
 * it (a shell, a CI job, a LAVA test) waiting too. p2pb_run_detachable()
 * runs the rest of the program in a child and returns there; the parent
 * only waits and exits with the child's status, or at once with the status
 * the child passes to p2pb_detach_now() once its results are written: the
 * child then stays behind, stuck, and the caller goes on. SIGINT, SIGTERM
 * and SIGHUP the parent gets are passed on to the child (whose handlers only
 * set a flag: a ^C that reaches both is seen once). Without a working
 * fork() everything simply runs in the caller.
 */
void p2pb_run_detachable(void);
/* In the child: make the waiting parent exit with @status now; then _exit(@status). */
void p2pb_detach_now(int status) __attribute__((noreturn));

/*
 * The kernel stack of thread @tid of this process (root only): into
 * @chain "fn <- caller <- ..." without the syscall entry frames, into
 * @frames one function a line. On failure @chain says why.
 */
void p2pb_kernel_stack(pid_t tid, char *chain, size_t chain_len, char *frames, size_t frames_len);

#endif
