// SPDX-License-Identifier: GPL-2.0
/* What every command's front-end does the same way. */
#include "cli.h"

#include "child.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
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

void p2pb_cli_shortopts(const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts, const char *more,
			char out[P2PB_CLI_SHORTOPTS_LEN])
{
	const struct p2pb_opt *key;
	size_t n = 0;

	for (; shorts && shorts->letter && n + 3 < P2PB_CLI_SHORTOPTS_LEN; shorts++) {
		key = p2pb_opt_find(keys, shorts->key);
		out[n++] = (char)shorts->letter;
		if (!key || key->type != P2PB_OPT_FLAG)
			out[n++] = ':';
	}
	snprintf(out + n, P2PB_CLI_SHORTOPTS_LEN - n, "%s", more);
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

void p2pb_cli_key_help(FILE *f, const struct p2pb_opt *key, const struct p2pb_cli_short *shorts)
{
	char lead[160], letter[8] = "    ", form[128], desc[1024];
	int c = short_of(shorts, key->name);

	/* a long option without a letter lines up with those that have one */
	if (c)
		snprintf(letter, sizeof(letter), "-%c, ", c);
	snprintf(lead, sizeof(lead), "%s--%s%s%s", letter, key->name, key->type == P2PB_OPT_FLAG ? "" : " ",
		 key->type == P2PB_OPT_FLAG ? "" : p2pb_opt_metavar(key, form, sizeof(form)));
	p2pb_help_entry(f, lead, p2pb_opt_describe(key, desc, sizeof(desc)));
}

void p2pb_cli_keys_help(FILE *f, const struct p2pb_opt *keys, const struct p2pb_cli_short *shorts)
{
	for (; keys->name; keys++)
		p2pb_cli_key_help(f, keys, shorts);
}

int p2pb_cli_begin(struct p2pb_cli_line *l, const struct option *extra, void *opts)
{
	unsigned int n = 0;

	optind = 0;	/* getopt starts over, its permutation state too: the unit tests parse many lines */
	if (p2pb_opts_defaults(l->keys, opts) || p2pb_cli_options(l->keys, l->shorts, extra, l->longopts)) {
		fprintf(stderr, "p2pbench %s: %s\n", l->prog, p2pb_error());
		return -EINVAL;
	}
	while (l->longopts[n].name)
		n++;
	l->longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	l->longopts[n + 1] = (struct option){ 0 };
	p2pb_cli_shortopts(l->keys, l->shorts, "h", l->shortopts);
	return 0;
}

int p2pb_cli_read(struct p2pb_cli_line *l, int argc, char **argv, void *opts)
{
	const struct p2pb_opt *key;
	int o;

	while ((o = getopt_long(argc, argv, l->shortopts, l->longopts, NULL)) != -1) {
		key = p2pb_cli_key(l->keys, l->shorts, o);
		if (!key && o != 'h' && o != '?')
			return o;
		if (!key) {
			l->usage(o == 'h' ? stdout : stderr, l);
			return o == 'h' ? 0 : 2;
		}
		if (p2pb_cli_set(l->keys, key, opts, optarg)) {
			fprintf(stderr, "p2pbench %s: %s\n", l->prog, p2pb_error());
			return 2;
		}
	}
	return -1;
}

int p2pb_cli_no_more(const struct p2pb_cli_line *l, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	fprintf(stderr, "p2pbench %s: unexpected argument '%s' (see --help)\n", l->prog, argv[optind]);
	return 2;
}

void p2pb_cli_line_help(FILE *f, const struct p2pb_cli_line *l)
{
	p2pb_cli_keys_help(f, l->keys, l->shorts);
	p2pb_help_entry(f, "-h, --help", "");
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
