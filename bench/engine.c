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

static void known_kinds(char *buf, size_t len)
{
	unsigned int i;

	buf[0] = 0;
	for (i = 0; p2pb_engines[i]; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", p2pb_engines[i]->name);
}

static void key_list(const struct p2pb_engine_ops *ops, char *buf, size_t len)
{
	unsigned int k;

	snprintf(buf, len, "count");
	for (k = 0; ops->keys && ops->keys[k].key; k++)
		snprintf(buf + strlen(buf), len - strlen(buf), ", %s", ops->keys[k].key);
}

static int parse_kv(struct p2pb_engine_spec *sp, char *kv)
{
	const struct p2pb_engine_key *key;
	char *eq = strchr(kv, '='), keys[256];
	uint64_t n;

	if (!eq)
		return p2pb_fail(-EINVAL, "bad importer '%s': '%s' is not key=value (see --help)", sp->text, kv);
	*eq = 0;
	if (!strcmp(kv, "count")) {
		if (p2pb_parse_u64(eq + 1, &n) || n < 1 || n > 64)
			return p2pb_fail(-EINVAL, "bad importer '%s': count must be 1..64", sp->text);
		sp->count = (unsigned int)n;
		return 0;
	}
	for (key = sp->ops->keys; key && key->key && strcmp(key->key, kv); key++)
		;
	if (!key || !key->key) {
		key_list(sp->ops, keys, sizeof(keys));
		return p2pb_fail(-EINVAL, "bad importer '%s': %s has no key '%s' (keys: %s)", sp->text, sp->ops->name,
				 kv, keys);
	}
	if (key->parse(sp->opts, eq + 1))
		return p2pb_fail(-EINVAL, "bad importer '%s': %s=%s: expected %s=%s (%s)", sp->text, kv, eq + 1, kv,
				 key->arg, key->help);
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
	sp->count = 1;
	colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	sp->ops = p2pb_engine_find(buf);
	if (!sp->ops) {
		known_kinds(kinds, sizeof(kinds));
		return p2pb_fail(-EINVAL, "unknown importer kind '%s' in '%s' (known: %s)", buf, text, kinds);
	}
	sp->ops->defaults(sp->opts);
	for (kv = colon ? strtok_r(colon + 1, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save))
		if (parse_kv(sp, kv))
			return -EINVAL;
	return 0;
}

int p2pb_engine_spec_check(const struct p2pb_engine_spec *sp)
{
	return sp->ops->check ? sp->ops->check(sp->opts, sp->text) : 0;
}

void p2pb_engine_help(FILE *f)
{
	unsigned int i, k;

	fprintf(f, "Importers: KIND[:key=value,...]; every kind takes count=N (N identical importers)\n");
	for (i = 0; p2pb_engines[i]; i++) {
		fprintf(f, "  %-9s %s\n", p2pb_engines[i]->name, p2pb_engines[i]->help);
		for (k = 0; p2pb_engines[i]->keys && p2pb_engines[i]->keys[k].key; k++)
			fprintf(f, "    %s=%s\n        %s\n", p2pb_engines[i]->keys[k].key, p2pb_engines[i]->keys[k].arg,
				p2pb_engines[i]->keys[k].help);
	}
}
