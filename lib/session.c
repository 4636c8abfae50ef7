// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "session.h"
#include "clock.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

volatile sig_atomic_t p2pb_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	p2pb_interrupted = 1;
}

void p2pb_session_init(struct p2pb_session *s, bool quiet)
{
	struct sigaction sa;
	struct rlimit fds;

	memset(s, 0, sizeof(*s));
	s->quiet = quiet;
	/* a case of 1024 dma-bufs holds their fds and as many attachments: the soft limit goes to the hard one */
	if (!getrlimit(RLIMIT_NOFILE, &fds) && fds.rlim_cur < fds.rlim_max) {
		fds.rlim_cur = fds.rlim_max;
		setrlimit(RLIMIT_NOFILE, &fds);
	}
	s->tty = isatty(STDERR_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int p2pb_session_claim_device(struct p2pb_session *s, const char *bdf, bool bind)
{
	char drv[64];
	int err;

	if (!p2pb_pci_exists(bdf))
		return p2pb_fail(-ENODEV, "no PCI device %s on this machine (see lspci -D)", bdf);
	if ((err = p2pb_pci_driver(bdf, drv, sizeof(drv))))
		return p2pb_fail(err, "cannot read the driver of %s: %s", bdf, strerror(-err));
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	if (!bind)
		return p2pb_fail(-EPERM, "%s is %s%s, not on vfio-pci; revoke triggers reset it, so p2pbench only "
				 "uses devices on vfio-pci: bind it yourself, or pass --bind to rebind it for the run "
				 "and give it back afterwards", bdf, drv[0] ? "bound to " : "not bound to any driver",
				 drv);
	if ((err = p2pb_module_ensure(&s->restore, "vfio-pci")))
		return err;
	return p2pb_pci_bind(&s->restore, bdf, "vfio-pci");
}

void p2pb_session_progress(struct p2pb_session *s, const char *fmt, ...)
{
	uint64_t now = p2pb_now_ns();
	va_list ap;

	if (s->quiet)
		return;
	/* a terminal gets a live line; a log gets a line every 5 s */
	if (!s->tty && s->progress_shown && now - s->last_progress_ns < 5000000000ull)
		return;
	s->last_progress_ns = now;
	s->progress_shown = true;
	fputs(s->tty ? "\r\033[K" : "progress: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (!s->tty)
		fputc('\n', stderr);
	fflush(stderr);
}

void p2pb_session_progress_done(struct p2pb_session *s)
{
	if (s->tty && s->progress_shown && !s->quiet)
		fputs("\r\033[K", stderr);
	s->progress_shown = false;
}

int p2pb_session_finish(struct p2pb_session *s)
{
	int err;

	p2pb_trace_stop(&s->trace);
	p2pb_exporter_watch_stop(&s->watch);
	err = p2pb_restore_all(&s->restore);

	if (err)
		fprintf(stderr, "p2pbench: could not restore everything: %s\n", p2pb_error());
	return err;
}
