// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench stress, the pure parts: operation names and weights, the draws
 * that make a run reproducible from its seed, the operation log and the
 * replay files (results/schema/stress-replay-v1.md).
 */
#define _GNU_SOURCE
#include "soak.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[P2PB_N_OPS] = {
	[P2PB_OP_EXPORT] = "export", [P2PB_OP_CLOSE] = "close",   [P2PB_OP_ATTACH] = "attach",
	[P2PB_OP_DETACH] = "detach", [P2PB_OP_MAP] = "map",       [P2PB_OP_UNMAP] = "unmap",
	[P2PB_OP_REVOKE] = "revoke", [P2PB_OP_REOPEN] = "reopen", [P2PB_OP_SPAWN] = "spawn",
	[P2PB_OP_KILL] = "kill",
};

const char *p2pb_op_name(enum p2pb_op op)
{
	return (unsigned int)op < P2PB_N_OPS ? op_names[op] : "?";
}

int p2pb_op_find(const char *name)
{
	int i;

	for (i = 0; i < P2PB_N_OPS; i++)
		if (!strcmp(name, op_names[i]))
			return i;
	return -1;
}

/* "OP=W,..." over the weights in @mix. */
static int read_weights(const char *s, unsigned int mix[P2PB_N_OPS])
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return p2pb_fail(-EINVAL, "too long");
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long w;
		int op;

		if (!eq)
			return p2pb_fail(-EINVAL, "'%s' is not OP=WEIGHT", tok);
		*eq = 0;
		op = p2pb_op_find(tok);
		if (op < 0)
			return p2pb_fail(-EINVAL, "unknown operation '%s' (export, close, attach, detach, map, unmap, "
					 "revoke, reopen, spawn, kill)", tok);
		errno = 0;
		w = strtoul(eq + 1, &end, 10);
		if (errno || *end || end == eq + 1 || w > 1000 || eq[1] == '-')
			return p2pb_fail(-EINVAL, "weight of %s must be 0..1000, not '%s'", tok, eq + 1);
		mix[op] = (unsigned int)w;
	}
	return 0;
}

void p2pb_stress_default_mix(unsigned int mix[P2PB_N_OPS])
{
	memset(mix, 0, P2PB_N_OPS * sizeof(mix[0]));
	read_weights(P2PB_STRESS_DEFAULT_MIX, mix);	/* it parses: unit.stress checks */
}

int p2pb_stress_parse_mix(const char *s, unsigned int mix[P2PB_N_OPS])
{
	unsigned int total = 0, i;

	p2pb_stress_default_mix(mix);
	if (read_weights(s, mix))
		return -EINVAL;
	for (i = 0; i < P2PB_N_OPS; i++)
		total += mix[i];
	if (!total)
		return p2pb_fail(-EINVAL, "every weight is 0");
	return 0;
}

/* splitmix64: one well-mixed 64-bit value per (seed, worker, index, salt). */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t draw_u64(const struct p2pb_stress_cfg *c, unsigned int w, uint64_t i, unsigned int salt)
{
	return mix64(mix64(mix64(c->seed ^ ((uint64_t)(w + 1) << 40)) ^ i) ^ salt);
}

void p2pb_stress_draw(const struct p2pb_stress_cfg *c, unsigned int w, uint64_t i, struct p2pb_op_draw *d)
{
	unsigned int total = 0, k, pick;

	memset(d, 0, sizeof(*d));
	for (k = 0; k < P2PB_N_OPS; k++)
		total += c->mix[k];
	pick = total ? (unsigned int)(draw_u64(c, w, i, 1) % total) : 0;
	for (k = 0; k < P2PB_N_OPS - 1 && pick >= c->mix[k]; k++)
		pick -= c->mix[k];
	d->op = (enum p2pb_op)k;
	d->slot = (uint16_t)(draw_u64(c, w, i, 2) % (c->slots ? c->slots : 1));
	d->att = (uint16_t)(draw_u64(c, w, i, 3) % (c->atts ? c->atts : 1));
	d->trigger = (uint8_t)(draw_u64(c, w, i, 4) % (c->n_triggers ? c->n_triggers : 1));
	d->hold_us = (uint32_t)(draw_u64(c, w, i, 5) % ((uint64_t)c->hold_max_us + 1));
}

int p2pb_oplog_init(struct p2pb_oplog *l, unsigned int cap)
{
	memset(l, 0, sizeof(*l));
	l->rec = calloc(cap, sizeof(*l->rec));
	if (!l->rec)
		return p2pb_fail(-ENOMEM, "no memory for the operation log");
	memset(l->rec, 0, cap * sizeof(*l->rec));	/* resident from the start: RSS stays flat */
	l->cap = cap;
	return 0;
}

void p2pb_oplog_free(struct p2pb_oplog *l)
{
	free(l->rec);
	l->rec = NULL;
}

void p2pb_oplog_reset(struct p2pb_oplog *l, uint64_t now_ns)
{
	__atomic_store_n(&l->n, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->dropped, 0, __ATOMIC_RELAXED);
	l->start_ns = now_ns;
	l->segment++;
}

void p2pb_oplog_add(struct p2pb_oplog *l, const struct p2pb_op_rec *r)
{
	unsigned int k = __atomic_fetch_add(&l->n, 1, __ATOMIC_RELAXED);

	if (k < l->cap)
		l->rec[k] = *r;
	else
		__atomic_fetch_add(&l->dropped, 1, __ATOMIC_RELAXED);
}

static int rec_cmp(const void *a, const void *b)
{
	const struct p2pb_op_rec *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	if (x->worker != y->worker)
		return x->worker < y->worker ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

void p2pb_oplog_sort(struct p2pb_oplog *l)
{
	unsigned int n = l->n < l->cap ? l->n : l->cap;

	l->n = n;
	qsort(l->rec, n, sizeof(*l->rec), rec_cmp);
}

static json_object *str(const char *s)
{
	return json_object_new_string(s);
}

static json_object *cfg_json(const struct p2pb_stress_cfg *c)
{
	json_object *o = json_object_new_object(), *t = json_object_new_array(), *m = json_object_new_object();
	unsigned int i;

	json_object_object_add(o, "device", str(c->device));
	json_object_object_add(o, "bar", json_object_new_int((int)c->bar));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)c->size));
	json_object_object_add(o, "importer", str(c->importer.text));
	for (i = 0; i < c->n_triggers; i++)
		json_object_array_add(t, str(c->triggers[i]));
	json_object_object_add(o, "triggers", t);
	for (i = 0; i < P2PB_N_OPS; i++)
		json_object_object_add(m, op_names[i], json_object_new_int((int)c->mix[i]));
	json_object_object_add(o, "mix", m);
	json_object_object_add(o, "workers", json_object_new_int((int)c->workers));
	json_object_object_add(o, "dmabufs_per_worker", json_object_new_int((int)c->slots));
	json_object_object_add(o, "attachments_per_dmabuf", json_object_new_int((int)c->atts));
	json_object_object_add(o, "seed", json_object_new_int64((int64_t)c->seed));
	json_object_object_add(o, "hold_max_us", json_object_new_int64(c->hold_max_us));
	json_object_object_add(o, "pace_us", json_object_new_int64(c->pace_us));
	return o;
}

int p2pb_replay_write(const char *path, const struct p2pb_stress_cfg *c, const struct p2pb_oplog *l,
		      const char *finding)
{
	json_object *doc = json_object_new_object(), *ops = json_object_new_array();
	unsigned int i, n = l->n < l->cap ? l->n : l->cap;
	int rc = 0;

	json_object_object_add(doc, "schema", str("p2pbench-stress-replay"));
	json_object_object_add(doc, "version", json_object_new_int(1));
	json_object_object_add(doc, "config", cfg_json(c));
	json_object_object_add(doc, "segment", json_object_new_int((int)l->segment));
	json_object_object_add(doc, "finding", finding ? str(finding) : NULL);
	json_object_object_add(doc, "truncated", json_object_new_boolean(l->dropped > 0));
	for (i = 0; i < n; i++) {
		const struct p2pb_op_rec *r = &l->rec[i];
		json_object *o = json_object_new_array();

		json_object_array_add(o, json_object_new_int64((int64_t)(r->t_ns / 1000)));
		json_object_array_add(o, json_object_new_int(r->worker));
		json_object_array_add(o, json_object_new_int64(r->index));
		json_object_array_add(o, str(p2pb_op_name(r->op)));
		json_object_array_add(o, json_object_new_int(r->slot));
		json_object_array_add(o, json_object_new_int(r->att));
		json_object_array_add(o, r->op == P2PB_OP_REVOKE ? str(c->triggers[r->trigger]) : NULL);
		json_object_array_add(o, json_object_new_int64(r->hold_us));
		json_object_array_add(o, r->result == P2PB_OP_NOOP ? str("noop") :
				      str(r->result ? strerrorname_np(-r->result) ?: "?" : "ok"));
		json_object_array_add(o, json_object_new_int64(r->dur_us));
		json_object_array_add(ops, o);
	}
	json_object_object_add(doc, "ops_fields", json_tokener_parse(
		"[\"t_us\",\"worker\",\"index\",\"op\",\"slot\",\"att\",\"trigger\",\"hold_us\",\"result\",\"dur_us\"]"));
	json_object_object_add(doc, "ops", ops);
	if (json_object_to_file_ext(path, doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
		rc = p2pb_fail(-EIO, "cannot write the replay file %s", path);
	json_object_put(doc);
	return rc;
}

static int bad(const char *path, const char *what)
{
	return p2pb_fail(-EINVAL, "%s is not a p2pbench stress replay file: %s", path, what);
}

static int get_uint(json_object *o, const char *key, uint64_t max, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	if (json_object_get_int64(v) < 0 || (uint64_t)json_object_get_int64(v) > max)
		return -ERANGE;
	*out = (uint64_t)json_object_get_int64(v);
	return 0;
}

static int read_cfg(const char *path, json_object *o, struct p2pb_stress_cfg *c)
{
	json_object *v, *t, *m;
	uint64_t x;
	size_t i;

	if (!json_object_object_get_ex(o, "device", &v) || !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) >= sizeof(c->device))
		return bad(path, "no config.device");
	strcpy(c->device, json_object_get_string(v));
	if (!json_object_object_get_ex(o, "importer", &v) || !json_object_is_type(v, json_type_string) ||
	    p2pb_engine_spec_parse(json_object_get_string(v), &c->importer))
		return bad(path, "config.importer is not an importer spec");
	if (!json_object_object_get_ex(o, "triggers", &t) || !json_object_is_type(t, json_type_array) ||
	    !json_object_array_length(t) || json_object_array_length(t) > P2PB_STRESS_MAX_TRIGGERS)
		return bad(path, "config.triggers");
	c->n_triggers = (unsigned int)json_object_array_length(t);
	for (i = 0; i < c->n_triggers; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(t, i));

		if (!s || strlen(s) >= sizeof(c->triggers[0]))
			return bad(path, "config.triggers");
		strcpy(c->triggers[i], s);
	}
	if (!json_object_object_get_ex(o, "mix", &m) || !json_object_is_type(m, json_type_object))
		return bad(path, "config.mix");
	for (i = 0; i < P2PB_N_OPS; i++) {
		int err = get_uint(m, op_names[i], 1000, &x);

		if (err == -ERANGE || (err && json_object_object_get_ex(m, op_names[i], NULL)))
			return bad(path, "config.mix");
		c->mix[i] = err ? 0 : (unsigned int)x;	/* an operation newer than the file: never drawn */
	}
	if (get_uint(o, "bar", 5, &x))
		return bad(path, "config.bar");
	c->bar = (uint32_t)x;
	if (get_uint(o, "size", UINT64_MAX >> 1, &c->size) || get_uint(o, "seed", INT64_MAX, &c->seed))
		return bad(path, "config.size or config.seed");
	if (get_uint(o, "workers", P2PB_STRESS_MAX_WORKERS, &x) || !x)
		return bad(path, "config.workers");
	c->workers = (unsigned int)x;
	if (get_uint(o, "dmabufs_per_worker", P2PB_STRESS_MAX_SLOTS, &x) || !x)
		return bad(path, "config.dmabufs_per_worker");
	c->slots = (unsigned int)x;
	if (get_uint(o, "attachments_per_dmabuf", P2PB_STRESS_MAX_ATTS, &x) || !x)
		return bad(path, "config.attachments_per_dmabuf");
	c->atts = (unsigned int)x;
	if (get_uint(o, "hold_max_us", UINT32_MAX, &x))
		return bad(path, "config.hold_max_us");
	c->hold_max_us = (uint32_t)x;
	if (get_uint(o, "pace_us", UINT32_MAX, &x))
		return bad(path, "config.pace_us");
	c->pace_us = (uint32_t)x;
	return 0;
}

static int read_op(const struct p2pb_stress_cfg *c, json_object *a, struct p2pb_op_rec *r)
{
	const char *op, *trig;
	int k;

	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) < 9)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->t_ns = (uint64_t)json_object_get_int64(json_object_array_get_idx(a, 0)) * 1000;
	r->worker = (uint16_t)json_object_get_int(json_object_array_get_idx(a, 1));
	r->index = (uint32_t)json_object_get_int64(json_object_array_get_idx(a, 2));
	op = json_object_get_string(json_object_array_get_idx(a, 3));
	k = op ? p2pb_op_find(op) : -1;
	if (k < 0 || r->worker >= c->workers)
		return -EINVAL;
	r->op = (uint8_t)k;
	r->slot = (uint16_t)json_object_get_int(json_object_array_get_idx(a, 4));
	r->att = (uint16_t)json_object_get_int(json_object_array_get_idx(a, 5));
	if (r->slot >= c->slots || r->att >= c->atts)
		return -EINVAL;
	if (r->op == P2PB_OP_REVOKE) {
		trig = json_object_get_string(json_object_array_get_idx(a, 6));
		for (k = 0; trig && k < (int)c->n_triggers && strcmp(trig, c->triggers[k]); k++)
			;
		if (!trig || k == (int)c->n_triggers)
			return -EINVAL;
		r->trigger = (uint8_t)k;
	}
	r->hold_us = (uint32_t)json_object_get_int64(json_object_array_get_idx(a, 7));
	return 0;
}

int p2pb_replay_read(const char *path, struct p2pb_stress_cfg *c, struct p2pb_oplog *l)
{
	json_object *doc = json_object_from_file(path), *v, *ops;
	size_t i, n;
	int err;

	if (!doc)
		return p2pb_fail(-EINVAL, "cannot read the replay file %s (missing or not JSON)", path);
	err = -EINVAL;
	if (!json_object_object_get_ex(doc, "schema", &v) ||
	    strcmp(json_object_get_string(v) ?: "", "p2pbench-stress-replay")) {
		err = bad(path, "no \"schema\": \"p2pbench-stress-replay\"");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "version", &v) || json_object_get_int(v) != 1) {
		err = bad(path, "only version 1 is known");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "config", &v) || (err = read_cfg(path, v, c)))
		goto out;
	if (!json_object_object_get_ex(doc, "ops", &ops) || !json_object_is_type(ops, json_type_array)) {
		err = bad(path, "no ops");
		goto out;
	}
	n = json_object_array_length(ops);
	if ((err = p2pb_oplog_init(l, n ? (unsigned int)n : 1)))
		goto out;
	for (i = 0; i < n; i++)
		if (read_op(c, json_object_array_get_idx(ops, i), &l->rec[i])) {
			err = p2pb_fail(-EINVAL, "%s: operation %zu is malformed or names an unknown op, worker, slot "
					"or trigger", path, i);
			p2pb_oplog_free(l);
			goto out;
		}
	l->n = (unsigned int)n;
	err = 0;
out:
	json_object_put(doc);
	return err;
}
