// SPDX-License-Identifier: GPL-2.0
/*
 * lib/child.h's detachable run, with real processes: the parent exits with
 * the child's status; with the early status the child gives when it cannot
 * finish (a thread stuck in the kernel, here a grandchild that keeps the
 * pipe open), at once, not when the child is gone; and a signal to the
 * parent reaches the child.
 */
#include "child.h"
#include "clock.h"
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* Forks a process that runs @body after p2pb_run_detachable(); its exit status and how long it took. */
static int run(void (*body)(void), uint64_t *ns)
{
	uint64_t t0 = p2pb_now_ns();
	int status;
	pid_t pid = fork();

	if (!pid) {
		p2pb_run_detachable();
		body();
		_exit(99);
	}
	waitpid(pid, &status, 0);
	*ns = p2pb_now_ns() - t0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void exits_3(void)
{
	_exit(3);
}

/*
 * A grandchild holds the pipe (as a stuck thread holds the child's files)
 * for 5 s; not our output, so ctest does not wait for it.
 */
static void stuck_then_detach(void)
{
	if (!fork()) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		sleep(5);
		_exit(0);
	}
	p2pb_detach_now(5);
}

/* SIGTERM to our parent (the waiting process) must reach us. */
static void waits_for_term(void)
{
	signal(SIGTERM, on_term);
	kill(getppid(), SIGTERM);
	for (int i = 0; i < 200 && !got_term; i++)
		usleep(10000);
	_exit(got_term ? 9 : 8);
}

int main(void)
{
	uint64_t ns;

	CHECK_EQ_U64(run(exits_3, &ns), 3);
	CHECK_EQ_U64(run(stuck_then_detach, &ns), 5);
	CHECK(ns < 2500000000ull);	/* not the grandchild's 5 s */
	CHECK_EQ_U64(run(waits_for_term, &ns), 9);
	return check_done();
}
