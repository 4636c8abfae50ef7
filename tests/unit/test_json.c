// SPDX-License-Identifier: GPL-2.0
#include "result.h"
#include "check.h"

#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char path[] = "/tmp/p2pb-json-XXXXXX", *argv[] = { "revoke", "--device", "0000:01:00.0" };
	struct p2pb_hist h;
	json_object *doc, *back, *o, *sum;
	struct p2pb_ktap k;
	char ktap[] = "/tmp/p2pb-ktap-XXXXXX", line[256];
	FILE *f;
	int fd;

	fd = mkstemp(path);
	close(fd);
	p2pb_hist_init(&h);
	p2pb_hist_add(&h, 1000);
	p2pb_hist_add(&h, 3000);
	doc = p2pb_result_new("revoke", 3, argv);
	json_object_object_add(doc, "summary", p2pb_json_summary(&h));
	json_object_object_add(doc, "big", p2pb_json_u64(18000000000000000000ull));
	CHECK(p2pb_result_write(doc, path) == 0);
	json_object_put(doc);

	back = json_object_from_file(path);
	CHECK(back != NULL);
	CHECK(json_object_object_get_ex(back, "schema", &o) && !strcmp(json_object_get_string(o), P2PB_RESULT_SCHEMA));
	CHECK(json_object_object_get_ex(back, "schema_version", &o) && json_object_get_int(o) == P2PB_RESULT_VERSION);
	CHECK(json_object_object_get_ex(back, "command", &o) && json_object_array_length(o) == 3);
	CHECK(json_object_object_get_ex(back, "summary", &sum));
	CHECK(json_object_object_get_ex(sum, "count", &o) && json_object_get_uint64(o) == 2);
	CHECK(json_object_object_get_ex(sum, "max", &o) && json_object_get_uint64(o) == 3000);
	/* percentiles are bucket midpoints: within 1 % */
	CHECK(json_object_object_get_ex(sum, "p50", &o) && json_object_get_uint64(o) >= 990 &&
	      json_object_get_uint64(o) <= 1010);
	CHECK(json_object_object_get_ex(sum, "p99.9", &o));
	/* u64 beyond INT64_MAX survives the round trip */
	CHECK(json_object_object_get_ex(back, "big", &o) && json_object_get_uint64(o) == 18000000000000000000ull);
	json_object_put(back);
	/* no temporary file is left next to the result */
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	/* writing into a directory that does not exist fails cleanly */
	doc = json_object_new_object();
	CHECK(p2pb_result_write(doc, "/nonexistent-dir/x.json") < 0);
	json_object_put(doc);

	/* an empty histogram has a count and nothing else */
	p2pb_hist_init(&h);
	o = p2pb_json_summary(&h);
	CHECK(json_object_object_length(o) == 1);
	json_object_put(o);

	fd = mkstemp(ktap);
	close(fd);
	CHECK(p2pb_ktap_open(&k, ktap, 3) == 0);
	p2pb_ktap_result(&k, P2PB_KTAP_OK, "a", NULL);
	p2pb_ktap_result(&k, P2PB_KTAP_FAIL, "b", "why");
	p2pb_ktap_result(&k, P2PB_KTAP_SKIP, "c", "rxe has no dma-buf MR support");
	p2pb_ktap_close(&k);
	f = fopen(ktap, "r");
	CHECK(f && fgets(line, sizeof(line), f) && !strcmp(line, "KTAP version 1\n"));
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "1..3\n"));
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "ok 1 a\n"));
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "not ok 2 b\n"));
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "# b: why\n"));
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "ok 3 c # SKIP rxe has no dma-buf MR support\n"));
	if (f)
		fclose(f);
	unlink(ktap);
	return check_done();
}
