// SPDX-License-Identifier: GPL-2.0
/* Leak accounting on this very process: fds opened show as grown, closed ones do not. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "leak.h"
#include "check.h"

int main(void)
{
	struct p2pb_leak base, now;
	char why[256];
	int a, b;
	json_object *j;

	p2pb_leak_take(&base);
	CHECK(base.fds >= 3 && base.dmabuf_fds == 0 && base.rss_kib > 0);
	a = open("/dev/null", O_RDONLY);
	b = open("/dev/null", O_RDONLY);
	p2pb_leak_take(&now);
	CHECK(now.fds == base.fds + 2);
	CHECK(p2pb_leak_compare(&base, &now, why, sizeof(why)) == 1 && !strcmp(why, "fds +2"));
	j = p2pb_leak_json(&base, &now);
	CHECK(json_object_get_int(json_object_object_get(j, "grew")) == 1 &&
	      !strcmp(json_object_get_string(json_object_object_get(j, "what_grew")), "fds +2"));
	json_object_put(j);
	close(a);
	close(b);
	p2pb_leak_take(&now);
	CHECK(p2pb_leak_compare(&base, &now, why, sizeof(why)) == 0 && !why[0]);
	/* unknowns never count as a leak */
	now.kernel_dmabufs = 5;
	base.kernel_dmabufs = -1;
	CHECK(p2pb_leak_compare(&base, &now, why, sizeof(why)) == 0);
	base.kernel_dmabufs = 3;
	base.module_refs[0] = 1;
	now.module_refs[0] = 2;
	CHECK(p2pb_leak_compare(&base, &now, why, sizeof(why)) == 2 &&
	      !strcmp(why, "p2pbench_importer references +1, kernel dma-bufs +2"));
	return check_done();
}
