// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench check: the exporter's documented contract, one KTAP line per rule:
 * which dma-buf export requests VFIO must refuse and with which errno, and
 * which importers it must refuse to attach (only dynamic, revocable importers
 * that allow peer-to-peer may). docs/methodology.md lists the rules.
 */
#define _GNU_SOURCE
#include "revoke.h"

#include "error.h"
#include "importer.h"
#include "job.h"
#include "result.h"
#include "session.h"
#include "vfio.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct check_ctx {
	struct p2pb_ktap ktap;
	json_object *results;
	int failed;
};

static void record(struct check_ctx *x, const char *name, int expect, int got, const char *why)
{
	json_object *o = json_object_new_object();
	bool ok = got == expect;
	char reason[256];

	snprintf(reason, sizeof(reason), "expected %s (%d), got %s (%d): %s", expect ? strerrorname_np(-expect) : "success",
		 -expect, got ? strerrorname_np(-got) : "success", -got, why);
	p2pb_ktap_result(&x->ktap, ok ? P2PB_KTAP_OK : P2PB_KTAP_FAIL, name, ok ? NULL : reason);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "expected_errno", json_object_new_int(-expect));
	json_object_object_add(o, "errno", json_object_new_int(-got));
	json_object_object_add(o, "status", json_object_new_string(ok ? "pass" : "fail"));
	json_object_object_add(o, "rule", json_object_new_string(why));
	json_object_array_add(x->results, o);
	x->failed += !ok;
}

static int export_one(struct p2pb_vfio_dev *d, uint32_t region, uint64_t off, uint64_t len, uint32_t nr)
{
	struct p2pb_range r = { off, len };
	int fd = p2pb_vfio_export(d, region, &r, nr);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

static int attach_as(struct p2pb_importer *imp, int dmabuf_fd, uint32_t mode, int *map_err)
{
	struct p2pb_attachment a;
	int err;

	imp->spec.attach_mode = mode;
	err = imp->ops->attach(imp, dmabuf_fd, &a);
	if (!err) {
		*map_err = a.map_err;
		imp->ops->detach(imp, &a);
	}
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2pbench check --device BDF [--bar N] [--importer-dev BDF] [options]\n\n"
		"Checks the exporter's contract and prints KTAP (one line per rule):\n"
		"  export.*  dma-buf export requests VFIO must accept or refuse, with the errno\n"
		"  attach.*  importers VFIO must refuse (static, non-revocable, no peer-to-peer)\n"
		"            and the one it must accept (dynamic, revocable, peer-to-peer),\n"
		"            using the p2pbench_importer module attached as --importer-dev\n\n"
		"Options:\n"
		"  -d, --device BDF        exporter, bound to vfio-pci\n"
		"  -b, --bar N             BAR to export (default 2)\n"
		"      --importer-dev BDF  PCI function the test importer attaches as\n"
		"                          (default: the exporter itself)\n"
		"      --bind              rebind the device to vfio-pci for the run, restore after\n"
		"      --ktap FILE         KTAP output (default: stdout)\n"
		"      --json FILE         versioned result document\n"
		"  -h, --help\n\n"
		"Exit status: 0 every rule held, 1 a rule was broken, 2 bad input.\n");
}

int p2pb_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, 0, 'd' }, { "bar", required_argument, 0, 'b' },
		{ "importer-dev", required_argument, 0, 'I' }, { "bind", no_argument, 0, 'B' },
		{ "ktap", required_argument, 0, 'K' }, { "json", required_argument, 0, 'J' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	const char *ktap_path = "-", *json_path = NULL, *imp_dev = NULL;
	struct p2pb_job job;
	struct p2pb_session s;
	struct p2pb_vfio_dev d;
	struct p2pb_importer imp;
	struct check_ctx x = { 0 };
	json_object *doc;
	uint64_t bar_size;
	bool bind = false;
	int opt, err, fd, map_err = 0, rc;

	p2pb_job_defaults(&job);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
		case 'b':
			if (p2pb_job_set(&job, opt == 'd' ? "device" : "bar", optarg)) {
				fprintf(stderr, "p2pbench check: %s\n", p2pb_error());
				return 2;
			}
			break;
		case 'I': imp_dev = optarg; break;
		case 'B': bind = true; break;
		case 'K': ktap_path = optarg; break;
		case 'J': json_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!job.device[0]) {
		fprintf(stderr, "p2pbench check: no device: give --device BDF\n");
		return 2;
	}
	memset(&imp, 0, sizeof(imp));
	imp.fd = -1;
	imp.ops = &p2pb_importer_kmod;
	imp.n_delays = 1;
	snprintf(imp.spec.text, sizeof(imp.spec.text), "kmod");
	if (p2pb_pci_parse(imp_dev ? imp_dev : job.device, &imp.dev, imp.dev_bdf) ||
	    !p2pb_pci_exists(imp.dev_bdf)) {
		fprintf(stderr, "p2pbench check: importer device %s: not a PCI device on this machine\n",
			imp_dev ? imp_dev : job.device);
		return 2;
	}

	memset(&d, 0, sizeof(d));
	d.container_fd = d.group_fd = d.device_fd = -1;
	p2pb_session_init(&s, true);
	if ((err = p2pb_session_claim_device(&s, job.device, bind)) || (err = p2pb_vfio_open(&d, job.device)) ||
	    (err = p2pb_vfio_dmabuf_supported(&d)) || (err = imp.ops->open(&imp, &s.restore))) {
		fprintf(stderr, "p2pbench check: %s\n", p2pb_error());
		p2pb_vfio_close(&d);
		p2pb_session_finish(&s);
		return 2;
	}
	bar_size = d.bar[job.bar].size;
	if (!bar_size || bar_size < 8192) {
		fprintf(stderr, "p2pbench check: %s has no BAR%u of at least 8 KiB\n", d.bdf, job.bar);
		imp.ops->close(&imp);
		p2pb_vfio_close(&d);
		p2pb_session_finish(&s);
		return 2;
	}
	if (p2pb_ktap_open(&x.ktap, ktap_path, 12)) {
		fprintf(stderr, "p2pbench check: %s\n", p2pb_error());
		return 2;
	}
	x.results = json_object_new_array();
	p2pb_ktap_diag(&x.ktap, "exporter %s BAR%u (%llu bytes), importer attaches as %s", d.bdf, job.bar,
		       (unsigned long long)bar_size, imp.dev_bdf);

	record(&x, "export.whole_bar", 0, export_one(&d, job.bar, 0, bar_size, 1),
	       "a page-aligned range inside the BAR exports");
	record(&x, "export.page_at_offset", 0, export_one(&d, job.bar, 4096, 4096, 1),
	       "a page-aligned range at a non-zero offset exports");
	record(&x, "export.unaligned_length", -EINVAL, export_one(&d, job.bar, 0, 100, 1),
	       "lengths must be page aligned");
	record(&x, "export.unaligned_offset", -EINVAL, export_one(&d, job.bar, 100, 4096, 1),
	       "offsets must be page aligned");
	record(&x, "export.zero_length", -EINVAL, export_one(&d, job.bar, 0, 0, 1),
	       "a range must not be empty");
	record(&x, "export.past_bar", -EINVAL, export_one(&d, job.bar, bar_size - 4096, 8192, 1),
	       "a range must end inside the BAR");
	record(&x, "export.no_ranges", -EINVAL, export_one(&d, job.bar, 0, 4096, 0),
	       "at least one range is required");
	record(&x, "export.rom_region", -ENODEV, export_one(&d, 6 /* VFIO_PCI_ROM_REGION_INDEX */, 0, 4096, 1),
	       "only BARs 0-5 export; the ROM region does not");

	fd = p2pb_vfio_export(&d, job.bar, &(struct p2pb_range){ 0, 4096 }, 1);
	if (fd < 0) {
		static const char *const names[] = { "attach.static", "attach.nonrevocable", "attach.no_p2p",
						     "attach.dynamic_and_map" };
		unsigned int i;

		for (i = 0; i < 4; i++)
			record(&x, names[i], 0, fd, "needs one exported page, and the export failed");
	} else {
		record(&x, "attach.static", -EOPNOTSUPP, attach_as(&imp, fd, P2PB_ATTACH_STATIC, &map_err),
		       "a static importer (no invalidate_mappings) cannot have its mapping revoked");
		record(&x, "attach.nonrevocable", -EOPNOTSUPP,
		       attach_as(&imp, fd, P2PB_ATTACH_NONREVOCABLE, &map_err),
		       "a dynamic importer without invalidate_mappings cannot be revoked");
		record(&x, "attach.no_p2p", -EOPNOTSUPP, attach_as(&imp, fd, P2PB_ATTACH_NO_P2P, &map_err),
		       "MMIO can only be imported by importers that allow peer-to-peer");
		map_err = 0;
		err = attach_as(&imp, fd, P2PB_ATTACH_DYNAMIC, &map_err);
		record(&x, "attach.dynamic_and_map", 0, err ? err : map_err,
		       "a dynamic, revocable, peer-to-peer importer attaches and maps");
		close(fd);
	}
	imp.ops->close(&imp);
	p2pb_vfio_close(&d);

	doc = p2pb_result_new("check", argc, argv);
	json_object_object_add(doc, "device", json_object_new_string(job.device));
	json_object_object_add(doc, "checks", x.results);
	if (json_path && p2pb_result_write(doc, json_path))
		fprintf(stderr, "p2pbench check: %s\n", p2pb_error());
	json_object_put(doc);
	fprintf(x.ktap.f, "# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", x.ktap.n - x.failed, x.failed);
	p2pb_ktap_close(&x.ktap);
	rc = x.failed ? 1 : 0;
	if (p2pb_session_finish(&s) && !rc)
		rc = 1;
	return rc;
}
