// SPDX-License-Identifier: GPL-2.0
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* per thread: the trigger and probe threads must not overwrite the orchestrator's message */
static _Thread_local char p2pb_errmsg[512];

int p2pb_fail(int err, const char *fmt, ...)
{
	char msg[sizeof(p2pb_errmsg)];
	va_list ap;

	/* via a copy: callers wrap the previous message with p2pb_error() */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(p2pb_errmsg, msg, sizeof(msg));
	return err;
}

const char *p2pb_error(void)
{
	return p2pb_errmsg[0] ? p2pb_errmsg : "unknown error";
}

void p2pb_clear_error(void)
{
	p2pb_errmsg[0] = 0;
}

bool p2pb_has_error(void)
{
	return p2pb_errmsg[0] != 0;
}
