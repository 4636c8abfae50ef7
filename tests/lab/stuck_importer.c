// SPDX-License-Identifier: GPL-2.0
/*
 * Lab helper: a broken importer that never unmaps, and a revoke stuck on it.
 *
 *   stuck_importer EXPORTER_BDF IMPORTER_BDF MARKER_FILE [thread|exec|fork|fork-traced]
 *
 * Exports a page of BAR2, attaches the test module as IMPORTER_BDF with the
 * never-unmap policy, then forks: the child drops the importer fd and clears
 * the memory enable bit (a revoke), which blocks because the importer never
 * unmaps. The parent prints "READY <child pid>" and waits to be killed. When
 * the parent dies, its importer fd is closed, the module must release the
 * mapping, the child's revoke must return; the child then writes the
 * revoke's duration to MARKER_FILE.
 *
 * With "thread", the revoke runs in a second thread of the process that holds
 * the importer: "READY <pid> <tid>". Killing the process then cannot close
 * the importer fd (the thread blocked in the revoke keeps the process's
 * files), so only the module noticing its owner's exit can release the
 * mapping. If the revoke returns while the process lives (e.g. the module's
 * release_withheld parameter), the thread writes MARKER_FILE, and the main
 * thread prints the UNMAP events of its attachment ("UNMAP cause=N") and
 * "DONE", then waits to be killed.
 *
 * With "exec" or "fork", the revoke runs in a child as above and the
 * process that attached lets go in a way that must not release the mapping
 * of a live process: "exec", a thread other than the leader execs
 * "sleep 2", which keeps the importer fd (the process lives on as sleep);
 * "fork", the process forks one that keeps the fd for 2 s and exits at
 * once. Either way the revoke must return only when the fd is closed, about
 * 2 s later, not when the module watching the attaching process mistakes
 * the exec or the exit for its death. "fork-traced" runs "fork" in a child
 * that we trace and hold stopped at its exit (PTRACE_EVENT_EXIT: its group
 * exit set, its files still open) for 1 s, several of the module's polls:
 * an exit held up by a tracer is not a process stuck for good.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "lab_importer.h"
#include "vfio.h"

struct revoker {
	struct p2pb_vfio_dev *d;
	const char *marker;
	_Atomic pid_t tid;
	int err;
};

/* Clear the memory enable bit (blocks while the importer holds its mapping). */
static int revoke_once(struct p2pb_vfio_dev *d, const char *marker)
{
	uint64_t t0;
	uint16_t cmd;
	FILE *f;
	int err;

	if (p2pb_vfio_cfg_read(d, PCI_COMMAND, &cmd, 2))
		return -EIO;
	cmd &= ~PCI_COMMAND_MEMORY;
	t0 = p2pb_now_ns();
	err = p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, 2);	/* blocks */
	f = fopen(marker, "w");
	if (f) {
		fprintf(f, "revoke_returned_after_ns=%llu err=%d\n",
			(unsigned long long)(p2pb_now_ns() - t0), err);
		fclose(f);
	}
	cmd |= PCI_COMMAND_MEMORY;
	p2pb_vfio_cfg_write(d, PCI_COMMAND, &cmd, 2);
	return err;
}

static void *revoker_main(void *arg)
{
	struct revoker *r = arg;

	r->tid = gettid();
	r->err = revoke_once(r->d, r->marker);
	return NULL;
}

/* Thread mode: the revoke blocks in a thread of the importer's own process. */
static int run_thread_mode(struct p2pb_vfio_dev *d, struct p2pb_engine *e, struct p2pb_attachment *att,
			   const char *marker)
{
	struct revoker r = { .d = d, .marker = marker };
	struct p2pb_engine_event ev[64];
	uint32_t n, i;
	pthread_t t;

	if (pthread_create(&t, NULL, revoker_main, &r))
		return 2;
	while (!r.tid)
		usleep(1000);
	printf("READY %d %d\n", (int)getpid(), (int)r.tid);
	fflush(stdout);
	pthread_join(t, NULL);
	do {
		if (e->spec->ops->events(e, att, ev, 64, &n) < 0 && !n)
			break;
		for (i = 0; i < n; i++)
			if (ev[i].type == P2PB_EE_UNMAP)
				printf("UNMAP cause=%s\n", p2pb_unmap_cause_name(ev[i].arg));
	} while (n == 64);
	printf("DONE err=%d\n", r.err);
	fflush(stdout);
	for (;;)
		pause();
}

/* @fn on every fd of ours open on the importer's device node. */
static void each_importer_fd(void (*fn)(int fd))
{
	struct dirent *de;
	char path[300], target[64];
	DIR *dir = opendir("/proc/self/fd");
	ssize_t n;

	while (dir && (de = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = 0, !strcmp(target, "/dev/p2pbench_importer")))
			fn(atoi(de->d_name));
	}
	if (dir)
		closedir(dir);
}

static void close_fd(int fd)
{
	close(fd);
}

/* The importer fds survive an exec (the engine opens them close-on-exec). */
static void keep_on_exec(int fd)
{
	fcntl(fd, F_SETFD, 0);
}

static void *exec_sleep(void *arg)
{
	(void)arg;
	execl("/bin/sleep", "sleep", "2", (char *)NULL);
	return NULL;
}

/* exec: a non-leader thread execs; fork: a child keeps the fd, we exit. */
static int let_go(const char *how)
{
	pthread_t t;
	pid_t keeper;

	usleep(300000);	/* the revoke is blocked, the module watches us */
	each_importer_fd(keep_on_exec);
	if (!strcmp(how, "exec")) {
		if (pthread_create(&t, NULL, exec_sleep, NULL))
			return 2;
		pthread_join(t, NULL);	/* returns only if the exec failed */
		return 3;
	}
	keeper = fork();
	if (keeper < 0)
		return 2;
	if (!keeper) {
		sleep(2);
		_exit(0);
	}
	return 0;
}

static int run_importer(char **argv, const char *mode)
{
	static struct lab_importer li;
	char spec[P2PB_SPEC_LEN];
	pid_t child;

	snprintf(spec, sizeof(spec), "kmod:delay=never,dev=%s", argv[2]);
	if (lab_importer_setup(&li, "stuck_importer", argv[1], spec))
		return 2;
	if (!strcmp(mode, "thread"))
		return run_thread_mode(&li.d, &li.e, &li.att, argv[3]);
	child = fork();
	if (child < 0)
		return 2;
	if (!child) {
		each_importer_fd(close_fd);	/* only the parent holds the importer */
		_exit(revoke_once(&li.d, argv[3]) ? 4 : 0);
	}
	printf("READY %d\n", (int)child);
	fflush(stdout);
	if (mode[0])
		return let_go(mode);
	for (;;)
		pause();
}

/* fork-traced: "fork" in a traced child, held at its exit stop for 1 s. */
static int run_fork_traced(char **argv)
{
	int go[2], status, sig;
	pid_t worker;
	char c = 0;

	if (pipe(go))
		return 2;
	worker = fork();
	if (worker < 0)
		return 2;
	if (!worker) {	/* attaches only once traced */
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(run_importer(argv, "fork"));
	}
	close(go[0]);
	if (ptrace(PTRACE_SEIZE, worker, 0, PTRACE_O_TRACEEXIT) || write(go[1], &c, 1) != 1)
		return 2;
	for (;;) {
		if (waitpid(worker, &status, 0) < 0)
			return 2;
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status))
			return 2;
		sig = 0;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			sleep(1);
		else if (!(status >> 16))	/* a signal on its way: pass it on */
			sig = WSTOPSIG(status);
		if (ptrace(PTRACE_CONT, worker, 0, sig))
			return 2;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc == 5 ? argv[4] : "";

	if (argc != 4 && !(argc == 5 && (!strcmp(mode, "thread") || !strcmp(mode, "exec") ||
					 !strcmp(mode, "fork") || !strcmp(mode, "fork-traced")))) {
		fprintf(stderr, "usage: %s EXPORTER_BDF IMPORTER_BDF MARKER_FILE [thread|exec|fork|fork-traced]\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(mode, "fork-traced"))
		return run_fork_traced(argv);
	return run_importer(argv, mode);
}
