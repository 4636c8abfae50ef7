// SPDX-License-Identifier: GPL-2.0
/* Child processes that report their setup over a pipe (see child.h). */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t p2pb_child_start(void (*body)(void *arg, int report_fd), void *arg, int *report)
{
	int p[2], err;
	pid_t pid;

	*report = -EIO;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		body(arg, p[1]);
		_exit(1);
	}
	err = pid < 0 ? -errno : 0;
	close(p[1]);
	if (pid > 0 && read(p[0], report, sizeof(*report)) != sizeof(*report))
		*report = -EIO;
	close(p[0]);
	return pid < 0 ? err : pid;
}

void p2pb_child_report(int report_fd, int value)
{
	if (write(report_fd, &value, sizeof(value)) != sizeof(value))
		_exit(1);
	close(report_fd);
}

static int detach_fd = -1;	/* the child's end of the pipe to the waiting parent */
static volatile pid_t detached_child;

static void pass_on(int sig)
{
	if (detached_child > 0)
		kill(detached_child, sig);
}

/* The parent: the child's early exit status, or its real one. */
static void wait_for_child(int rfd, pid_t pid, const sigset_t *mask)
{
	struct sigaction sa;
	int status = 0;
	ssize_t n;

	detached_child = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pass_on;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	/* a terminal's ^C reaches the child twice then (same process group): harmless, it only sets a flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	do
		n = read(rfd, &status, sizeof(status));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(status))
		_exit(status);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(2);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

void p2pb_run_detachable(void)
{
	sigset_t passed, old;
	int p[2];
	pid_t pid;

	if (detach_fd >= 0 || pipe2(p, O_CLOEXEC))
		return;
	/* held until the parent passes them on: one that comes in between is not lost */
	sigemptyset(&passed);
	sigaddset(&passed, SIGINT);
	sigaddset(&passed, SIGTERM);
	sigaddset(&passed, SIGHUP);
	sigprocmask(SIG_BLOCK, &passed, &old);
	pid = fork();
	if (pid > 0) {
		close(p[1]);
		wait_for_child(p[0], pid, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	close(p[0]);
	detach_fd = p[1];
}

void p2pb_detach_now(int status)
{
	if (detach_fd >= 0 && write(detach_fd, &status, sizeof(status)) != sizeof(status))
		status = status ? status : 1;
	_exit(status);
}

void p2pb_kernel_stack(pid_t tid, char *chain, size_t chain_len, char *frames, size_t frames_len)
{
	char path[64], line[256], fn[128];
	size_t used = 0, uc = 0;
	FILE *f;

	chain[0] = frames[0] = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)tid);
	if (!(f = fopen(path, "r"))) {
		snprintf(chain, chain_len, "(no kernel stack: %s)", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		/* "[<0>] wait_for_completion+0x9c/0x150" */
		if (sscanf(line, "[<%*[^>]>] %127[^+ \n]", fn) != 1)
			continue;
		if (used + 1 < frames_len)
			used += (size_t)snprintf(frames + used, frames_len - used, "%s%s", used ? "\n" : "", fn);
		if (uc + 1 < chain_len && !strstr(fn, "entry_SYSCALL") && strncmp(fn, "do_syscall", 10))
			uc += (size_t)snprintf(chain + uc, chain_len - uc, "%s%s", uc ? " <- " : "", fn);
	}
	fclose(f);
}
