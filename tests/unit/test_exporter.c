// SPDX-License-Identifier: GPL-2.0
/*
 * The memory seam: a device string picks its back-end, callers learn what a
 * back-end can do from its ops, and the back-ends that need no hardware
 * (host memory, sim) export, read and write, and release.
 */
#include <errno.h>

#include "error.h"
#include "exporter.h"
#include "sim.h"
#include "check.h"

static bool named(const char *dev, const char *backend)
{
	const struct p2pb_exporter_ops *b = p2pb_exporter_find(dev);

	return backend ? b && !strcmp(b->name, backend) : !b;
}

static void registry(void)
{
	CHECK(named("sim", "sim") && named("sim:no-wait", "sim") && named("host", "host"));
	CHECK(named("udmabuf", "udmabuf") && named("heap", "heap") && named("heap:cma", "heap"));
	CHECK(named("vfio:0000:01:00.0", "vfio"));
	/* a bare PCI address, or a name no back-end has: the caller decides (open: vfio) */
	CHECK(named("0000:01:00.0", NULL) && named("hostile", NULL) && named("gpu", NULL));
	CHECK_STR(p2pb_exporter_function("0000:01:00.0"), "0000:01:00.0");
	CHECK_STR(p2pb_exporter_function("vfio:0000:01:00.0"), "0000:01:00.0");
	CHECK(!p2pb_exporter_function("sim") && !p2pb_exporter_function("host"));
	CHECK(p2pb_exporter_find("heap")->check("heap:../x") == -EINVAL && !strcmp(p2pb_error(), "bad heap name"));
	CHECK(!p2pb_exporter_find("heap")->check("heap:system"));
}

/* Host memory: an export of its own, mapped here, read and written through the ops. */
static void host_memory(void)
{
	struct p2pb_range r = { .length = 8192 }, off = { .offset = 4096, .length = 4096 };
	struct p2pb_export e = { .fd = -1 };
	struct p2pb_exporter *x;
	char buf[8] = "";

	CHECK(!p2pb_exporter_open("host", &x) && !strcmp(x->name, "host"));
	CHECK(x->ops->cpu_mapped && !x->ops->dmabuf && !x->ops->revocable && !x->ops->bar_size);
	CHECK(!p2pb_exporter_vfio_dev(x) && p2pb_exporter_alive(x) && !p2pb_exporter_bar_size(x, 2));
	CHECK(x->ops->export(x, 2, &off, &e) == -EINVAL);
	CHECK(!x->ops->export(x, 2, &r, &e) && e.ops == x->ops && e.cpu && e.fd < 0 && e.length == 8192);
	CHECK(!x->ops->write(x, &e, 4096, "p2pbench", 8) && !x->ops->read(x, &e, 4096, buf, 8) &&
	      !memcmp(buf, "p2pbench", 8));
	CHECK(!p2pb_sim_export_buf(&e));
	x->ops->unexport(x, &e);
	CHECK(!e.ops && e.fd == -1 && !e.cpu);
	p2pb_exporter_close(x);
}

/* The sim: BAR2 only, its own revoke, no CPU access, buffers that die with their export. */
static void sim(void)
{
	struct p2pb_range r = { .offset = 4096, .length = 8192 };
	struct p2pb_export e = { .fd = -1 };
	struct p2pb_exporter *x;

	CHECK(!p2pb_exporter_open("sim", &x) && x->ops->revoke && x->ops->revocable);
	CHECK(!x->ops->importers_hold_ref && !x->ops->read && !x->ops->write && !p2pb_exporter_vfio_dev(x));
	CHECK(p2pb_exporter_bar_size(x, 2) == 64ull << 20 && !p2pb_exporter_bar_size(x, 0));
	CHECK(!x->ops->export(x, 2, &r, &e) && e.ops == x->ops && p2pb_sim_export_buf(&e) && e.fd < 0);
	CHECK(!x->ops->revoke(x, true) && !x->ops->revoke(x, false));
	x->ops->unexport(x, &e);
	CHECK(!e.ops && !p2pb_sim_export_buf(&e));
	p2pb_exporter_close(x);
	CHECK(p2pb_exporter_open("sim:melt", &x) == -EINVAL && !x && strstr(p2pb_error(), "unknown sim fault"));
}

/* A back-end the machine lacks says so at open (supported) with what to enable. */
static void unsupported(void)
{
	struct p2pb_exporter *x;
	int err = p2pb_exporter_open("udmabuf", &x);

	if (!err) {
		printf("# udmabuf is there: nothing to refuse\n");
		p2pb_exporter_close(x);
		return;
	}
	CHECK(!x && strstr(p2pb_error(), "CONFIG_UDMABUF"));
}

int main(void)
{
	registry();
	host_memory();
	sim();
	unsupported();
	return check_done();
}
