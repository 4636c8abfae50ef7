// SPDX-License-Identifier: GPL-2.0
/* The metric declarations (lib/metric.c), p2pb_jset, and docs/methodology.md's index of them. */
#include "jsonq.h"
#include "metric.h"
#include "check.h"

#include <stdlib.h>

/* Every row complete and consistent with how its samples are laid out. */
static void test_rows(void)
{
	unsigned int i, k, complete = 0, laid_out = 0, unique = 0;

	for (i = 0; i < P2PB_N_METRICS; i++) {
		const struct p2pb_metric *m = &p2pb_metrics[i];
		bool case_metric = i < P2PB_N_CASE_METRICS;

		complete += m->name && m->unit && m->label && m->help && strlen(m->help) < 100;
		laid_out += m->where == P2PB_SUMMARY_ONLY ? !m->path && m->summary : m->path != NULL;
		laid_out -= case_metric != (m->family == P2PB_FAMILY_REVOKE);
		/* a case keeps histograms in ns only */
		laid_out -= case_metric && m->summary && strcmp(m->unit, "ns");
		for (k = 0; k < i; k++)
			if (!strcmp(m->name, p2pb_metrics[k].name))
				break;
		unique += k == i && p2pb_metric_find(m->name) == m;
	}
	CHECK_EQ_U64(complete, P2PB_N_METRICS);
	CHECK_EQ_U64(laid_out, P2PB_N_METRICS);
	CHECK_EQ_U64(unique, P2PB_N_METRICS);
	CHECK(p2pb_metric_find("no_such_metric") == NULL);
	CHECK(P2PB_N_METRICS <= 64);	/* struct p2pb_metric_values' bit set */
}

/* The methodology's index has a row per metric with its unit and direction, and none other. */
static void test_docs_index(void)
{
	char path[4096], line[512], want[160];
	unsigned int i, found = 0, rows = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/methodology.md", TEST_SOURCE_DIR);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "| `", 3))
			continue;
		rows++;
		for (i = 0; i < P2PB_N_METRICS; i++) {
			const struct p2pb_metric *m = &p2pb_metrics[i];

			snprintf(want, sizeof(want), "| `%s` | %s | %s |", m->name, m->unit,
				 m->better == P2PB_LOWER_BETTER ? "lower" : "higher");
			found += !strncmp(line, want, strlen(want));
		}
	}
	fclose(f);
	CHECK_EQ_U64(found, P2PB_N_METRICS);
	CHECK_EQ_U64(rows, P2PB_N_METRICS);
}

static void test_jset(void)
{
	json_object *o = json_object_new_object(), *s = json_object_new_array();

	p2pb_jset(o, "a.b.c", json_object_new_int(1));
	p2pb_jset(o, "a.b.d", json_object_new_int(2));	/* into the object made above */
	p2pb_jset(o, "a.b.c", json_object_new_int(3));	/* replaced */
	p2pb_jset(o, "top", json_object_new_int(4));
	json_object_object_add(o, "arr", s);
	p2pb_jset(o, "arr.x", json_object_new_int(5));	/* through an array: dropped */
	CHECK(p2pb_jnum(o, "a.b.c") == 3 && p2pb_jnum(o, "a.b.d") == 2 && p2pb_jnum(o, "top") == 4);
	CHECK(json_object_array_length(s) == 0 && json_object_object_length(o) == 3);
	json_object_put(o);
}

int main(void)
{
	test_rows();
	test_docs_index();
	test_jset();
	return check_done();
}
