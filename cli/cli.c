// SPDX-License-Identifier: GPL-2.0
/* What every command's front-end does the same way. */
#include "cli.h"

#include "child.h"

#include <stdio.h>

void p2pb_cli_exit_stuck(const char *prog, struct p2pb_ktap *ktap)
{
	if (ktap && ktap->f)
		fprintf(ktap->f, "Bail out! a revoke trigger is stuck in the kernel\n");
	if (ktap)
		p2pb_ktap_close(ktap);
	fprintf(stderr, "p2pbench %s: a trigger is stuck in the kernel; results written, "
		"device bindings left as they are\n", prog);
	fflush(NULL);
	p2pb_detach_now(1);	/* exit() would wait for the stuck thread for ever; whoever waits for us need not */
}
