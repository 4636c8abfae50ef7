// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "importer.h"
#include "error.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct p2pb_importer_ops *const importers[] = {
	&p2pb_importer_kmod,
	NULL,
};

const struct p2pb_importer_ops *p2pb_importer_find(const char *kind)
{
	unsigned int i;

	for (i = 0; importers[i]; i++)
		if (!strcmp(importers[i]->name, kind))
			return importers[i];
	return NULL;
}

static const char *const mode_names[] = {
	[P2PB_ATTACH_DYNAMIC] = "dynamic",
	[P2PB_ATTACH_STATIC] = "static",
	[P2PB_ATTACH_NONREVOCABLE] = "nonrevocable",
	[P2PB_ATTACH_NO_P2P] = "no-p2p",
};

const char *p2pb_attach_mode_name(uint32_t mode)
{
	return mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : "?";
}

static int parse_delay(const char *v, struct p2pb_importer_spec *sp)
{
	char buf[96], *a, *b, *c, *save = NULL;

	if (!strcmp(v, "never")) {
		sp->delay_kind = P2PB_DELAY_NEVER_UNMAP;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	a = strtok_r(buf, ":", &save);
	b = strtok_r(NULL, ":", &save);
	c = strtok_r(NULL, ":", &save);
	if (!a)
		return -EINVAL;
	if (!b) {
		sp->delay_kind = P2PB_DELAY_FIXED;
		return p2pb_parse_duration_ns(a, 1000000, &sp->delay_a_ns);
	}
	if (!strcmp(a, "uniform") && c && !strtok_r(NULL, ":", &save)) {
		sp->delay_kind = P2PB_DELAY_UNIFORM;
		if (p2pb_parse_duration_ns(b, 1000000, &sp->delay_a_ns) ||
		    p2pb_parse_duration_ns(c, 1000000, &sp->delay_b_ns) || sp->delay_b_ns < sp->delay_a_ns)
			return -EINVAL;
		return 0;
	}
	if (!strcmp(a, "exp") && !c) {
		sp->delay_kind = P2PB_DELAY_EXP;
		return p2pb_parse_duration_ns(b, 1000000, &sp->delay_a_ns);
	}
	if (!strcmp(a, "lognormal") && c && !strtok_r(NULL, ":", &save)) {
		char *end;

		sp->delay_kind = P2PB_DELAY_LOGNORMAL;
		sp->sigma = strtod(c, &end);
		if (*end || !(sp->sigma > 0) || sp->sigma > 5)
			return -EINVAL;
		return p2pb_parse_duration_ns(b, 1000000, &sp->delay_a_ns);
	}
	return -EINVAL;
}

/* a fence nobody signals for longer is a hang, not a measurement */
#define P2PB_FENCE_HOLD_MAX_NS (3600ull * 1000000000ull)

#define SPEC_HELP "expected KIND[:key=value,...], e.g. kmod:delay=200ms,count=2,dev=0000:02:00.0 " \
	"(keys: delay=DURATION|never|uniform:MIN:MAX|exp:MEAN|lognormal:MEDIAN:SIGMA, " \
	"count=N, dev=BDF, attach=dynamic|static|nonrevocable|no-p2p, dma=SIZE, dma-interval=DURATION, " \
	"dma-after-unmap=0|1, fence=DURATION: each map holds a fence that signals DURATION after the next " \
	"invalidate)"

int p2pb_importer_spec_parse(const char *s, struct p2pb_importer_spec *sp)
{
	char buf[P2PB_SPEC_LEN], *kv, *save = NULL, *colon;
	uint64_t n;
	unsigned int i;

	memset(sp, 0, sizeof(*sp));
	sp->count = 1;
	sp->delay_kind = P2PB_DELAY_FIXED;
	if (!s || !*s || strlen(s) >= sizeof(buf))
		return p2pb_fail(-EINVAL, "bad importer '%s': " SPEC_HELP, s ? s : "");
	snprintf(sp->text, sizeof(sp->text), "%s", s);
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	if (strlen(buf) >= sizeof(sp->kind) || !p2pb_importer_find(buf))
		return p2pb_fail(-EINVAL, "unknown importer kind '%s' in '%s' (known: kmod)", buf, s);
	snprintf(sp->kind, sizeof(sp->kind), "%s", buf);
	if (!colon)
		return 0;
	for (kv = strtok_r(colon + 1, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		const char *k = kv, *v;

		if (!eq)
			return p2pb_fail(-EINVAL, "bad importer '%s': '%s' is not key=value; " SPEC_HELP, s, kv);
		*eq = 0;
		v = eq + 1;
		if (!strcmp(k, "delay")) {
			if (parse_delay(v, sp))
				return p2pb_fail(-EINVAL, "bad importer '%s': bad delay '%s'; " SPEC_HELP, s, v);
		} else if (!strcmp(k, "count")) {
			if (p2pb_parse_u64(v, &n) || n < 1 || n > 16)
				return p2pb_fail(-EINVAL, "bad importer '%s': count must be 1..16", s);
			sp->count = (unsigned int)n;
		} else if (!strcmp(k, "dev")) {
			struct p2pb_pci_addr a;

			if (p2pb_pci_parse(v, &a, sp->dev))
				return p2pb_fail(-EINVAL, "bad importer '%s': dev '%s' is not a PCI address", s, v);
		} else if (!strcmp(k, "dma")) {
			if (p2pb_parse_size(v, &n) || n < 1 || n > 4095)
				return p2pb_fail(-EINVAL, "bad importer '%s': dma=SIZE takes 1..4095 bytes per transfer", s);
			sp->dma_size = (uint32_t)n;
		} else if (!strcmp(k, "dma-interval")) {
			if (p2pb_parse_duration_ns(v, 1000000, &sp->dma_interval_ns))
				return p2pb_fail(-EINVAL, "bad importer '%s': dma-interval=%s is not a duration", s, v);
		} else if (!strcmp(k, "dma-after-unmap")) {
			if (strcmp(v, "0") && strcmp(v, "1"))
				return p2pb_fail(-EINVAL, "bad importer '%s': dma-after-unmap takes 0 or 1", s);
			sp->dma_after_unmap = v[0] == '1';
		} else if (!strcmp(k, "fence")) {
			if (p2pb_parse_duration_ns(v, 1000000, &sp->fence_hold_ns) ||
			    sp->fence_hold_ns > P2PB_FENCE_HOLD_MAX_NS)
				return p2pb_fail(-EINVAL, "bad importer '%s': fence=%s is not a duration of at most 1h", s, v);
		} else if (!strcmp(k, "attach")) {
			for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
				if (!strcmp(v, mode_names[i]))
					break;
			if (i == sizeof(mode_names) / sizeof(mode_names[0]))
				return p2pb_fail(-EINVAL, "bad importer '%s': attach must be dynamic, static, nonrevocable or no-p2p", s);
			sp->attach_mode = i;
		} else {
			return p2pb_fail(-EINVAL, "bad importer '%s': unknown key '%s'; " SPEC_HELP, s, k);
		}
	}
	return 0;
}

int p2pb_importer_spec_check(const struct p2pb_importer_spec *sp)
{
	if (!strcmp(sp->kind, "kmod") && !sp->dev[0])
		return p2pb_fail(-EINVAL, "importer '%s' needs dev=BDF: the PCI function it attaches as, bound to "
				 "p2pbench_importer (in the lab: the edu device, dev=0000:02:00.0)", sp->text);
	return 0;
}

/* splitmix64: small, good enough and reproducible everywhere */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double unit_rand(uint64_t *state)	/* (0, 1) */
{
	return ((double)(next_rand(state) >> 11) + 0.5) / 9007199254740992.0;
}

#define P2PB_DELAY_CAP_NS (60ull * 1000000000ull)

void p2pb_importer_spec_delays(const struct p2pb_importer_spec *sp, uint64_t seed, uint64_t *out,
			       unsigned int n)
{
	uint64_t st = seed;
	unsigned int i;
	double d;

	for (i = 0; i < n; i++) {
		switch (sp->delay_kind) {
		case P2PB_DELAY_UNIFORM:
			d = (double)sp->delay_a_ns + unit_rand(&st) * (double)(sp->delay_b_ns - sp->delay_a_ns);
			break;
		case P2PB_DELAY_EXP:
			d = -(double)sp->delay_a_ns * log(unit_rand(&st));
			break;
		case P2PB_DELAY_LOGNORMAL: {
			/* Box-Muller */
			double z = sqrt(-2.0 * log(unit_rand(&st))) * cos(2.0 * M_PI * unit_rand(&st));

			d = (double)sp->delay_a_ns * exp(sp->sigma * z);
			break;
		}
		case P2PB_DELAY_NEVER_UNMAP:
			d = 0;
			break;
		default:
			d = (double)sp->delay_a_ns;
		}
		out[i] = d > (double)P2PB_DELAY_CAP_NS ? P2PB_DELAY_CAP_NS : (uint64_t)d;
	}
}
