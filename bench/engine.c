// SPDX-License-Identifier: GPL-2.0
/* The engine registry and the generic part of an engine spec. */
#define _GNU_SOURCE
#include "engine.h"
#include "error.h"
#include "units.h"

#include <errno.h>
#include <string.h>

/* Every engine of this build; one built only with its library adds itself here under #ifdef. */
const struct p2pb_engine_ops *const p2pb_engines[] = {
	&p2pb_engine_kmod,
	&p2pb_engine_iommufd,
	&p2pb_engine_null,
	NULL,
};

const struct p2pb_engine_ops *p2pb_engine_find(const char *name)
{
	unsigned int i;

	for (i = 0; p2pb_engines[i]; i++)
		if (!strcmp(p2pb_engines[i]->name, name))
			return p2pb_engines[i];
	return NULL;
}

const char *p2pb_unmap_cause_name(enum p2pb_unmap_reason c)
{
	static const char *const names[] = {
		[P2PB_UNMAP_POLICY] = "policy", [P2PB_UNMAP_FORCED] = "forced", [P2PB_UNMAP_DETACHED] = "detach",
		[P2PB_UNMAP_OWNER_EXIT] = "owner-exit", [P2PB_UNMAP_RELEASED] = "released",
		[P2PB_UNMAP_REMOVED] = "removed", [P2PB_UNMAP_OTHER] = "other",
	};

	return c <= P2PB_UNMAP_OTHER ? names[c] : "other";
}

void p2pb_event_ring_push(struct p2pb_event_ring *r, struct p2pb_engine_event e)
{
	if (r->count == P2PB_ENGINE_EVENT_RING) {
		r->head = (r->head + 1) % P2PB_ENGINE_EVENT_RING;
		r->count--;
		r->dropped++;
	}
	r->ev[(r->head + r->count++) % P2PB_ENGINE_EVENT_RING] = e;
}

int p2pb_event_ring_take(struct p2pb_event_ring *r, struct p2pb_engine_event *ev, uint32_t max, uint32_t *n)
{
	int err = r->dropped ? -EOVERFLOW : 0;

	for (*n = 0; *n < max && r->count; (*n)++, r->count--, r->head = (r->head + 1) % P2PB_ENGINE_EVENT_RING)
		ev[*n] = r->ev[r->head];
	r->dropped = 0;
	return err;
}

/* ---- engine specs ---- */

/* The keys every kind takes, into the spec itself. */
static const struct p2pb_opt spec_keys[] = {
	{ .name = "count", .type = P2PB_OPT_UINT, P2PB_OPT_FIELD(struct p2pb_engine_spec, count), .def = "1",
	  .min = 1, .max = 64, .help = "identical importers" },
	{ 0 },
};

static void known_kinds(char *buf, size_t len)
{
	unsigned int i;

	buf[0] = 0;
	for (i = 0; p2pb_engines[i]; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", p2pb_engines[i]->name);
}

static int parse_kv(struct p2pb_engine_spec *sp, char *kv)
{
	char *eq = strchr(kv, '='), keys[256] = "", form[128], desc[512];
	const struct p2pb_opt *opt;
	void *opts = sp;

	if (!eq)
		return p2pb_fail(-EINVAL, "bad importer '%s': '%s' is not key=value (see --help)", sp->text, kv);
	*eq = 0;
	opt = p2pb_opt_find(spec_keys, kv);
	if (!opt) {
		opt = p2pb_opt_find(sp->ops->keys, kv);
		opts = sp->opts;
	}
	if (!opt) {
		p2pb_opts_names(spec_keys, keys, sizeof(keys));
		p2pb_opts_names(sp->ops->keys, keys, sizeof(keys));
		return p2pb_fail(-EINVAL, "bad importer '%s': %s has no key '%s' (keys: %s)", sp->text, sp->ops->name,
				 kv, keys);
	}
	if (p2pb_opt_set(opt, opts, eq + 1))
		return p2pb_fail(-EINVAL, "bad importer '%s': %s=%s: expected %s=%s (%s)", sp->text, kv, eq + 1, kv,
				 p2pb_opt_metavar(opt, form, sizeof(form)), p2pb_opt_describe(opt, desc, sizeof(desc)));
	return 0;
}

int p2pb_engine_spec_parse(const char *text, struct p2pb_engine_spec *sp)
{
	char buf[P2PB_SPEC_LEN], kinds[128], *colon, *kv, *save = NULL;

	memset(sp, 0, sizeof(*sp));
	if (strlen(text) >= sizeof(buf))
		return p2pb_fail(-EINVAL, "importer spec too long: '%s'", text);
	snprintf(sp->text, sizeof(sp->text), "%s", text);
	snprintf(buf, sizeof(buf), "%s", text);
	colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	sp->ops = p2pb_engine_find(buf);
	if (!sp->ops) {
		known_kinds(kinds, sizeof(kinds));
		return p2pb_fail(-EINVAL, "unknown importer kind '%s' in '%s' (known: %s)", buf, text, kinds);
	}
	if (p2pb_opts_defaults(spec_keys, sp) || p2pb_opts_defaults(sp->ops->keys, sp->opts))
		return -EINVAL;
	for (kv = colon ? strtok_r(colon + 1, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save))
		if (parse_kv(sp, kv))
			return -EINVAL;
	return 0;
}

int p2pb_engine_spec_check(const struct p2pb_engine_spec *sp)
{
	return sp->ops->check ? sp->ops->check(sp->opts, sp->text) : 0;
}

/* One key for --help: "key=FORM", @between, what it does with its bounds and default, @after. */
static void key_help(FILE *f, const struct p2pb_opt *opt, const char *between, const char *after)
{
	char form[128], desc[512];

	fprintf(f, "%s=%s%s%s%s", opt->name, p2pb_opt_metavar(opt, form, sizeof(form)), between,
		p2pb_opt_describe(opt, desc, sizeof(desc)), after);
}

void p2pb_engine_help(FILE *f)
{
	const struct p2pb_opt *opt;
	unsigned int i;

	fprintf(f, "Importers: KIND[:key=value,...]; every kind takes");
	for (opt = spec_keys; opt->name; opt++) {
		fputc(' ', f);
		key_help(f, opt, ": ", opt[1].name ? ";" : "\n");
	}
	for (i = 0; p2pb_engines[i]; i++) {
		fprintf(f, "  %-9s %s\n", p2pb_engines[i]->name, p2pb_engines[i]->help);
		for (opt = p2pb_engines[i]->keys; opt && opt->name; opt++) {
			fputs("    ", f);
			key_help(f, opt, "\n        ", "\n");
		}
	}
}
