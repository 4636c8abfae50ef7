// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "plot.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int p2pb_plot_available(void)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX], *dirs, *d, *save = NULL;
	int found = 0;

	dirs = strdup(path ? path : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/gnuplot", d);
		found = !access(buf, X_OK);
	}
	free(dirs);
	return found;
}

void p2pb_plot_quoted(FILE *f, const char *s)
{
	/* a single-quoted gnuplot string: no escapes, no backquote substitution; '' is a quote */
	fputc('\'', f);
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20)
			continue;	/* a newline would end the command */
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

int p2pb_plot_begin(struct p2pb_plot *p, const char *dir, const char *name, const char *title, int width,
		    int height)
{
	char path[PATH_MAX + 128];

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s.gp", dir, name);
	p->gp = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	p->dat = fopen(path, "w");
	if (!p->gp || !p->dat) {
		if (p->gp)
			fclose(p->gp);
		if (p->dat)
			fclose(p->dat);
		return p2pb_fail(-errno, "cannot write %s: %s", path, strerror(errno));
	}
	fprintf(p->gp, "# p2pbench report figure; redraw with: gnuplot %s.gp\n", name);
	fprintf(p->gp, "set terminal svg size %d,%d noenhanced font 'sans,11' background rgb 'white'\n", width, height);
	fprintf(p->gp, "set output '%s.svg'\nset title ", name);
	p2pb_plot_quoted(p->gp, title);
	fprintf(p->gp, "\nset grid lc rgb '#dddddd'\nset key outside right top\nset border 3\n"
		       "set tics nomirror\nset datafile missing '-'\n");
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = len > 0 ? malloc((size_t)len + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = 0;
	fclose(f);
	return buf;
}

int p2pb_plot_end(struct p2pb_plot *p, char **svg)
{
	char gp[PATH_MAX + 128], out[PATH_MAX + 128], log[PATH_MAX + 128], *text, *start;
	char *argv[] = { "gnuplot", gp, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;

	*svg = NULL;
	fclose(p->dat);
	rc = fclose(p->gp);
	snprintf(gp, sizeof(gp), "%s/%s.gp", p->dir, p->name);
	snprintf(out, sizeof(out), "%s/%s.svg", p->dir, p->name);
	snprintf(log, sizeof(log), "%s/%s.log", p->dir, p->name);
	if (rc)
		return p2pb_fail(-EIO, "cannot write %s", gp);
	/* gnuplot resolves output and data relative to its cwd: run it in the figure's directory */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	posix_spawn_file_actions_addchdir_np(&fa, p->dir);
	snprintf(gp, sizeof(gp), "%s.gp", p->name);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return p2pb_fail(-rc, "cannot run gnuplot: %s (apt install gnuplot-nox)", strerror(rc));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return p2pb_fail(-EIO, "gnuplot failed on %s/%s.gp (see %s)", p->dir, p->name, log);
	text = slurp(out);
	if (!text)
		return p2pb_fail(-EIO, "gnuplot wrote no %s", out);
	start = strstr(text, "<svg");
	if (!start) {
		free(text);
		return p2pb_fail(-EIO, "%s is not an SVG", out);
	}
	memmove(text, start, strlen(start) + 1);
	unlink(log);
	*svg = text;
	return 0;
}
