// SPDX-License-Identifier: GPL-2.0
/* Child processes that report their setup over a pipe (see child.h). */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
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
