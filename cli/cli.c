// SPDX-License-Identifier: GPL-2.0
/* What every command's front-end does the same way. */
#include "cli.h"

#include "child.h"
#include "error.h"

#include <errno.h>
#include <string.h>

static int short_of(const struct p2pb_cli_short *shorts, const char *key)
{
	for (; shorts && shorts->letter; shorts++)
		if (!strcmp(shorts->key, key))
			return shorts->letter;
	return 0;
}

int p2pb_cli_options(const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts, const struct option *extra,
		     struct option out[P2PB_CLI_MAX_OPTS + 1])
{
	unsigned int n = 0, i;
	int letter;

	for (i = 0; keys[i].name; i++, n++) {
		if (n == P2PB_CLI_MAX_OPTS)
			return p2pb_fail(-E2BIG, "more than %d options", P2PB_CLI_MAX_OPTS);
		letter = short_of(shorts, keys[i].name);
		out[n] = (struct option){ keys[i].name, keys[i].type == P2PB_OPT_FLAG ? no_argument : required_argument,
					  NULL, letter ? letter : P2PB_CLI_KEY + (int)i };
	}
	for (; extra && extra->name; extra++, n++) {
		if (n == P2PB_CLI_MAX_OPTS)
			return p2pb_fail(-E2BIG, "more than %d options", P2PB_CLI_MAX_OPTS);
		out[n] = *extra;
	}
	out[n] = (struct option){ 0 };
	return 0;
}

const struct p2pb_opt *p2pb_cli_key(const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts, int val)
{
	unsigned int i;

	for (i = 0; keys[i].name; i++)
		if (val == P2PB_CLI_KEY + (int)i || val == short_of(shorts, keys[i].name))
			return &keys[i];
	return NULL;
}

int p2pb_cli_set(const struct p2pb_opt *keys, const struct p2pb_opt *opt, void *opts, const char *val)
{
	if (!p2pb_opt_parse(keys, opts, opt->name, val))
		return 0;
	return p2pb_fail(-EINVAL, "--%s%s%s: %s", opt->name, val ? " " : "", val ? val : "", p2pb_error());
}

void p2pb_cli_keys_help(FILE *f, const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts)
{
	char lead[160], letter[8], form[128], desc[1024];
	int c;

	for (; keys->name; keys++) {
		c = short_of(shorts, keys->name);
		letter[0] = 0;
		if (c)
			snprintf(letter, sizeof(letter), "-%c, ", c);
		snprintf(lead, sizeof(lead), "%s--%s%s%s", letter, keys->name, keys->type == P2PB_OPT_FLAG ? "" : " ",
			 keys->type == P2PB_OPT_FLAG ? "" : p2pb_opt_metavar(keys, form, sizeof(form)));
		p2pb_help_entry(f, lead, p2pb_opt_describe(keys, desc, sizeof(desc)));
	}
}

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
