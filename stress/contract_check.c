// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's contract in one short run, as KTAP (p2pbench check).
 *
 *   export.*       dma-buf export requests VFIO must accept or refuse, with the errno
 *   attach.*       importers VFIO must refuse (C5) and the one it must accept
 *   contract.C1-7  every revoke clause, from short revoke cases whose importers
 *                  are built to provoke each (a slow unmap, a fence that outlives
 *                  the unmap, a close)
 *   conformance.*  what the kernel does where the contract says otherwise: a
 *                  known kernel bug is an expected failure (# XFAIL, with why);
 *                  a fixed one shows as # XPASS
 *
 * docs/methodology.md lists the rules and how each is judged.
 */
#define _GNU_SOURCE
#include "contract_check.h"
#include "case.h"

#include "clock.h"
#include "error.h"
#include "engine.h"
#include "job.h"
#include "result.h"
#include "session.h"
#include "vfio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum chk { CHK_PASS = P2PB_CHECK_PASS, CHK_FAIL = P2PB_CHECK_FAIL, CHK_SKIP = P2PB_CHECK_SKIP,
	   CHK_XFAIL = P2PB_CHECK_XFAIL, CHK_XPASS = P2PB_CHECK_XPASS, CHK_N = P2PB_CHECK_N };

struct check_ctx {
	struct p2pb_ktap *ktap;
	json_object *results;
	unsigned int count[CHK_N];
	struct p2pb_session *s;
	struct p2pb_job job;		/* device and BAR */
	struct p2pb_vfio_dev d;
	char imp_bdf[P2PB_BDF_LEN];
	struct kimp {
		struct p2pb_engine_spec sp;
		struct p2pb_engine e;
		bool open;
	} imp[4];			/* one per attach rule; the last is the dynamic one */
	uint64_t bar_size;
};

#define DYN(x) (&(x)->imp[3])

/* One KTAP line and one JSON entry per rule. */
static void report(struct check_ctx *x, const char *name, const char *rule, enum chk st, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void report(struct check_ctx *x, const char *name, const char *rule, enum chk st, const char *fmt, ...)
{
	static const char *const st_name[] = { "pass", "fail", "skip", "xfail", "xpass" };
	json_object *o = json_object_new_object();
	char why[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	x->count[st]++;
	x->ktap->n++;
	if (st == CHK_FAIL)
		fprintf(x->ktap->f, "# %s: %s\nnot ok %d %s\n", name, why, x->ktap->n, name);
	else if (st == CHK_PASS)
		fprintf(x->ktap->f, "ok %d %s\n", x->ktap->n, name);
	else
		fprintf(x->ktap->f, "ok %d %s # %s %s\n", x->ktap->n, name, st == CHK_SKIP ? "SKIP" :
			st == CHK_XFAIL ? "XFAIL" : "XPASS", why);
	fflush(x->ktap->f);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "rule", json_object_new_string(rule));
	json_object_object_add(o, "status", json_object_new_string(st_name[st]));
	if (why[0])
		json_object_object_add(o, "reason", json_object_new_string(why));
	json_object_array_add(x->results, o);
}

static const char *errname(int err)
{
	return err ? strerrorname_np(-err) : "success";
}

/* An errno rule: the JSON also carries expected and observed errno. */
static void expect(struct check_ctx *x, const char *name, int want, int got, const char *rule)
{
	json_object *o;

	if (got == want)
		report(x, name, rule, CHK_PASS, NULL);
	else
		report(x, name, rule, CHK_FAIL, "expected %s (%d), got %s (%d): %s", errname(want), -want,
		       errname(got), -got, rule);
	o = json_object_array_get_idx(x->results, json_object_array_length(x->results) - 1);
	json_object_object_add(o, "expected_errno", json_object_new_int(-want));
	json_object_object_add(o, "errno", json_object_new_int(-got));
}

/* ---- export and attach rules ---- */

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

static void check_exports(struct check_ctx *x)
{
	struct p2pb_vfio_dev *d = &x->d;
	uint32_t bar = x->job.bar;

	expect(x, "export.whole_bar", 0, export_one(d, bar, 0, x->bar_size, 1),
	       "a page-aligned range inside the BAR exports");
	expect(x, "export.page_at_offset", 0, export_one(d, bar, 4096, 4096, 1),
	       "a page-aligned range at a non-zero offset exports");
	expect(x, "export.unaligned_length", -EINVAL, export_one(d, bar, 0, 100, 1), "lengths must be page aligned");
	expect(x, "export.unaligned_offset", -EINVAL, export_one(d, bar, 100, 4096, 1), "offsets must be page aligned");
	expect(x, "export.zero_length", -EINVAL, export_one(d, bar, 0, 0, 1), "a range must not be empty");
	expect(x, "export.past_bar", -EINVAL, export_one(d, bar, x->bar_size - 4096, 8192, 1),
	       "a range must end inside the BAR");
	expect(x, "export.no_ranges", -EINVAL, export_one(d, bar, 0, 4096, 0), "at least one range is required");
	expect(x, "export.rom_region", -ENODEV, export_one(d, 6 /* VFIO_PCI_ROM_REGION_INDEX */, 0, 4096, 1),
	       "only BARs 0-5 export; the ROM region does not");
}

/* The kmod engine in one attach mode, attaching as the importer device. */
static int kimp_open(struct check_ctx *x, struct kimp *k, const char *mode)
{
	char spec[P2PB_SPEC_LEN];
	int err;

	snprintf(spec, sizeof(spec), "kmod:attach=%s,dev=%s", mode, x->imp_bdf);
	if ((err = p2pb_engine_spec_parse(spec, &k->sp)))
		return err;
	k->e = (struct p2pb_engine){ .spec = &k->sp };
	k->open = true;
	return k->sp.ops->open(&k->e, &x->s->restore);
}

static void kimp_close(struct kimp *k)
{
	if (k->open)
		k->sp.ops->close(&k->e);
	k->open = false;
}

/* Attach; on success the attachment is kept in *a (map error in a->map_err). */
static int attach_as(struct kimp *k, int dmabuf_fd, struct p2pb_attachment *a)
{
	struct p2pb_export ex = { .fd = dmabuf_fd };

	memset(a, 0, sizeof(*a));
	return k->sp.ops->attach(&k->e, &ex, a);
}

static int attach_detach(struct kimp *k, int dmabuf_fd)
{
	struct p2pb_attachment a;
	int err = attach_as(k, dmabuf_fd, &a);

	if (!err) {
		err = a.map_err;
		k->sp.ops->detach(&k->e, &a);
	}
	return err;
}

static const struct {
	const char *name;
	const char *mode;
	int want;
	const char *rule;
} attach_rules[] = {
	{ "attach.static", "static", -EOPNOTSUPP,
	  "C5: a static importer (no invalidate_mappings) cannot have its mapping revoked" },
	{ "attach.nonrevocable", "nonrevocable", -EOPNOTSUPP,
	  "C5: a dynamic importer without invalidate_mappings cannot be revoked" },
	{ "attach.no_p2p", "no-p2p", -EOPNOTSUPP,
	  "C5: MMIO can only be imported by importers that allow peer-to-peer" },
	{ "attach.dynamic_and_map", "dynamic", 0,
	  "a dynamic, revocable, peer-to-peer importer attaches and maps" },
};
#define N_ATTACH_RULES (sizeof(attach_rules) / sizeof(attach_rules[0]))

/* Returns how many C5 rules failed (-1: could not check). */
static int check_attaches(struct check_ctx *x)
{
	int fd = p2pb_vfio_export(&x->d, x->job.bar, &(struct p2pb_range){ 0, 4096 }, 1), failed = 0;
	unsigned int i, before;

	for (i = 0; i < N_ATTACH_RULES; i++) {
		before = x->count[CHK_FAIL];
		if (fd < 0)
			report(x, attach_rules[i].name, attach_rules[i].rule, CHK_FAIL,
			       "needs one exported page, and the export failed: %s", strerror(-fd));
		else
			expect(x, attach_rules[i].name, attach_rules[i].want,
			       attach_detach(&x->imp[i], fd), attach_rules[i].rule);
		failed += attach_rules[i].want && x->count[CHK_FAIL] > before;
	}
	if (fd < 0)
		return -1;
	close(fd);
	return failed;
}

/* ---- contract clauses from short revoke cases ---- */

/*
 * Revoke cases whose importers provoke the clauses, on every trigger of the
 * registry: each path into the revoke (config writes, the reset ioctls, low
 * power, hot reset, the cleanup on the last close) is its own code, and a
 * kernel that waits on one and not another must not pass. "late": an
 * importer that unmaps 50 ms after its invalidate (C1, C9; twice, so that C3
 * sees the second revoke wait again; once for close, which is permanent).
 * "fence": an importer whose fence signals 100 ms after an immediate unmap
 * (C4).
 */
static const struct {
	const char *kind, *importer;
	unsigned int iterations;
} clause_kinds[] = {
	{ "late", "kmod:delay=50ms", 2 },
	{ "fence", "kmod:fence=100ms", 1 },
};
#define N_CLAUSE_KINDS (sizeof(clause_kinds) / sizeof(clause_kinds[0]))
#define MAX_CLAUSE_CASES 32

struct clause_tally {
	unsigned int judged, violated, errors;
	struct p2pb_violation v[P2PB_MAX_VIOLATIONS];
	const char *v_case[P2PB_MAX_VIOLATIONS];
	unsigned int n_v;
	char case_name[MAX_CLAUSE_CASES][P2PB_NAME_LEN];
	unsigned int judged_in[MAX_CLAUSE_CASES];	/* clauses each case judged */
	unsigned int n_cases;
	char bounded[P2PB_EVIDENCE_LEN];
	char unrun[P2PB_EVIDENCE_LEN + P2PB_NAME_LEN + 16];	/* why a case could not run */
};

static void tally_case(struct clause_tally *t, const char *name, const struct p2pb_case_result *r)
{
	const struct p2pb_verdict *v = &r->verdict;
	unsigned int i, c = t->n_cases;

	t->judged |= v->judged;
	t->violated |= v->violated;
	if (c < MAX_CLAUSE_CASES) {
		snprintf(t->case_name[c], sizeof(t->case_name[c]), "%s", name);
		t->judged_in[c] = v->judged;
		t->n_cases++;
	}
	for (i = 0; i < v->n_v && t->n_v < P2PB_MAX_VIOLATIONS; i++) {
		t->v_case[t->n_v] = t->case_name[c < MAX_CLAUSE_CASES ? c : MAX_CLAUSE_CASES - 1];
		t->v[t->n_v++] = v->v[i];
	}
	if (v->outcome == P2PB_BOUNDED && !t->bounded[0])
		snprintf(t->bounded, sizeof(t->bounded), "%s", v->bounded_evidence);
	if (v->outcome == P2PB_ERROR && !t->unrun[0]) {
		t->errors++;
		snprintf(t->unrun, sizeof(t->unrun), "case %s: %s", name, v->error);
	}
}

static void run_clause_case(struct check_ctx *x, const struct p2pb_trigger_ops *trig, unsigned int kind,
			    const char *imp_dev, struct clause_tally *t)
{
	struct p2pb_job j = x->job;
	struct p2pb_case_result r;
	char spec[P2PB_SPEC_LEN];

	snprintf(spec, sizeof(spec), "%s,dev=%s", clause_kinds[kind].importer, imp_dev);
	snprintf(j.name, sizeof(j.name), "%s.%s", clause_kinds[kind].kind, trig->name);
	/* a short case: a 2 MiB range, no warm-up, one iteration of a trigger that revokes for good */
	j.trigger = trig;
	j.iterations = trig->permanent ? 1 : clause_kinds[kind].iterations;
	j.warmup = 0;
	j.size = 2 * 1024 * 1024;
	if (p2pb_job_add_importer(&j, spec)) {
		if (!t->unrun[0])
			snprintf(t->unrun, sizeof(t->unrun), "case %s: %s", j.name, p2pb_error());
		return;
	}
	p2pb_ktap_diag(x->ktap, "case %s: %s, importer %s, %u iteration(s)", j.name, j.trigger->name, spec,
		       j.iterations);
	p2pb_case_run(x->s, &j, &r);
	if (r.verdict.outcome == P2PB_SKIP)
		p2pb_ktap_diag(x->ktap, "case %s skipped: %s", j.name, r.verdict.skip);
	tally_case(t, j.name, &r);
	p2pb_case_result_free(&r);
}

/* "late.flr late.mem-off ...": the cases that judged clause @c. */
static const char *judged_by(const struct clause_tally *t, unsigned int c, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < t->n_cases && used + 1 < len; i++)
		if (t->judged_in[i] & (1u << c))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", t->case_name[i]);
	return buf;
}

static void clause_line(struct check_ctx *x, const struct clause_tally *t, unsigned int c, int c5_failed)
{
	const struct p2pb_clause_info *ci = &p2pb_clauses[c];
	char name[64], by[512];
	unsigned int k;

	snprintf(name, sizeof(name), "contract.%s_%s", ci->id, ci->key);
	if (c == P2PB_C5_REFUSE) {
		if (c5_failed)
			report(x, name, ci->text, CHK_FAIL, c5_failed < 0 ? "could not export a page to attach to" :
			       "%d attach.* rule(s) broken", c5_failed);
		else
			report(x, name, ci->text, CHK_PASS, NULL);
		return;
	}
	for (k = 0; k < t->n_v; k++)
		if (t->v[k].clause == c)
			p2pb_ktap_diag(x->ktap, "%s: case %s iteration %d: %s", name, t->v_case[k], t->v[k].iteration,
				       t->v[k].evidence);
	if (t->judged & (1u << c))
		p2pb_ktap_diag(x->ktap, "%s judged in: %s", name, judged_by(t, c, by, sizeof(by)));
	if (t->violated & (1u << c))
		report(x, name, ci->text, CHK_FAIL, "violated (evidence above)");
	else if (c == P2PB_C1_WAITS && t->bounded[0])
		report(x, name, ci->text, CHK_XFAIL, "BOUNDED by the configured revoke timeout: %s", t->bounded);
	else if (t->judged & (1u << c))
		report(x, name, ci->text, CHK_PASS, NULL);
	else
		report(x, name, ci->text, CHK_SKIP, "not exercised: %s", t->unrun[0] ? t->unrun : "no case provoked it");
}

static int check_clauses(struct check_ctx *x, const char *imp_dev, int c5_failed)
{
	struct clause_tally t = { 0 };
	unsigned int i, k;

	for (i = 0; p2pb_triggers[i] && !p2pb_interrupted && !p2pb_case_kernel_stuck(); i++)
		for (k = 0; k < N_CLAUSE_KINDS && !p2pb_triggers[i]->for_tests && !p2pb_interrupted &&
		     !p2pb_case_kernel_stuck(); k++)
			run_clause_case(x, p2pb_triggers[i], k, imp_dev, &t);
	for (i = 0; i < P2PB_N_CLAUSES; i++)
		if (!p2pb_clause_needs_load(i))
			clause_line(x, &t, i, c5_failed);
	return (int)t.errors;
}

/* ---- conformance: what the kernel does where the contract says otherwise ---- */

/* One page exported and attached dynamically (and mapped); -errno with a message otherwise. */
struct page_att {
	int fd;
	struct p2pb_attachment a;
	bool attached;
};

static int page_attach(struct check_ctx *x, struct page_att *p)
{
	int err;

	p->attached = false;
	p->fd = p2pb_vfio_export(&x->d, x->job.bar, &(struct p2pb_range){ 0, 4096 }, 1);
	if (p->fd < 0)
		return p2pb_fail(p->fd, "exporting a page failed: %s", strerror(-p->fd));
	err = attach_as(DYN(x), p->fd, &p->a);
	if (err)
		return p2pb_fail(err, "attaching failed: %s", strerror(-err));
	p->attached = true;
	return 0;
}

static void page_release(struct check_ctx *x, struct page_att *p)
{
	if (p->attached)
		DYN(x)->sp.ops->detach(&DYN(x)->e, &p->a);
	if (p->fd >= 0)
		close(p->fd);
	p->attached = false;
	p->fd = -1;
}

static bool page_mapped(struct check_ctx *x, struct page_att *p)
{
	struct p2pb_engine_stats st = { 0 };

	return !DYN(x)->sp.ops->stats(&DYN(x)->e, &p->a, &st) && st.mapped;
}

static int sysfs_reset(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", bdf);
	return p2pb_write_file(path, "1", false);
}

/* A reset that bypasses VFIO (sysfs) must revoke like VFIO_DEVICE_RESET does. */
static void conf_sysfs_reset(struct check_ctx *x)
{
	static const char *name = "conformance.sysfs_reset_revokes",
			  *rule = "a function reset through sysfs revokes the dma-bufs like VFIO_DEVICE_RESET";
	struct page_att p = { .fd = -1 };
	int err = page_attach(x, &p);

	if (!err && !page_mapped(x, &p))
		err = p2pb_fail(-EIO, "the importer did not map");
	if (!err && (err = sysfs_reset(x->d.bdf)))
		p2pb_fail(err, "writing %s/reset failed: %s", x->d.bdf, strerror(-err));
	if (err)
		report(x, name, rule, CHK_SKIP, "could not set up: %s", p2pb_error());
	else if (page_mapped(x, &p))
		report(x, name, rule, CHK_XFAIL, "known kernel bug: vfio-pci has no reset_prepare/reset_done, so the "
		       "reset left the importer mapped (no invalidate)");
	else
		report(x, name, rule, CHK_XPASS, "the reset revoked the dma-buf: the known bug is fixed here");
	page_release(x, &p);
}

/* A dma-buf exported while the device is in low power must start revoked. */
static void conf_low_power_export(struct check_ctx *x)
{
	static const char *name = "conformance.low_power_export_starts_revoked",
			  *rule = "a dma-buf exported during LOW_POWER_ENTRY cannot be mapped until LOW_POWER_EXIT";
	struct page_att p = { .fd = -1 };
	int err = p2pb_vfio_low_power(&x->d, true);

	if (err) {
		report(x, name, rule, CHK_SKIP, "LOW_POWER_ENTRY failed: %s", strerror(-err));
		return;
	}
	err = page_attach(x, &p);
	if (err == -ENODEV || (!err && p.a.map_err == -ENODEV))
		report(x, name, rule, CHK_XPASS, "the new dma-buf is revoked: the known bug is fixed here");
	else if (!err && !p.a.map_err)
		report(x, name, rule, CHK_XFAIL, "known kernel bug: the export resumes the device and the dma-buf "
		       "starts un-revoked; the importer mapped it while the device is in low power");
	else
		report(x, name, rule, CHK_FAIL, "unexpected: attach %s, map %s", errname(err), errname(p.a.map_err));
	page_release(x, &p);
	p2pb_vfio_low_power(&x->d, false);
}

/* Wait up to 2 s for the PCI runtime PM status to read want ("suspended", "active"). */
static bool runtime_status_is(const char *bdf, const char *want)
{
	char path[128], st[32];
	unsigned int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/runtime_status", bdf);
	for (i = 0; i < 200; i++) {
		if (!p2pb_read_file(path, st, sizeof(st)) && !strcmp(st, want))
			return true;
		p2pb_sleep_ns(10000000ull);
	}
	return false;
}

/* After an implicit wakeup from low power the device is usable: so must its dma-bufs be. */
static void conf_implicit_wakeup(struct check_ctx *x)
{
	static const char *name = "conformance.implicit_wakeup_unrevokes",
			  *rule = "after an implicit wakeup from LOW_POWER_ENTRY_WITH_WAKEUP the dma-bufs map again";
	struct page_att p = { .fd = -1 };
	uint64_t woke = 0;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), err;

	err = efd < 0 ? -errno : page_attach(x, &p);
	if (!err && (err = p2pb_vfio_low_power_wakeup(&x->d, efd)))
		p2pb_fail(err, "LOW_POWER_ENTRY_WITH_WAKEUP failed: %s", strerror(-err));
	if (!err && !runtime_status_is(x->d.bdf, "suspended"))
		err = p2pb_fail(-EAGAIN, "the device did not runtime-suspend after LOW_POWER_ENTRY_WITH_WAKEUP");
	if (!err) {
		p2pb_vfio_get_info(&x->d);	/* any access wakes it */
		if (!runtime_status_is(x->d.bdf, "active") || read(efd, &woke, sizeof(woke)) != sizeof(woke) || !woke)
			err = p2pb_fail(-EAGAIN, "VFIO_DEVICE_GET_INFO did not wake the device (no wakeup event)");
	}
	if (err)
		report(x, name, rule, CHK_SKIP, "could not set up: %s", p2pb_error());
	else if ((err = DYN(x)->sp.ops->map(&DYN(x)->e, &p.a)) == -ENODEV)
		report(x, name, rule, CHK_XFAIL, "known kernel bug: the runtime resume does not un-revoke, the map "
		       "failed with ENODEV until LOW_POWER_EXIT");
	else if (!err)
		report(x, name, rule, CHK_XPASS, "the dma-buf mapped after the wakeup: the known bug is fixed here");
	else
		report(x, name, rule, CHK_FAIL, "unexpected map error after the wakeup: %s", errname(err));
	p2pb_vfio_low_power(&x->d, false);
	if (efd >= 0)
		close(efd);
	page_release(x, &p);
}

/* Claim the device, open it and the importer; 0 or -errno with a message. */
static int check_open(struct check_ctx *x, const char *imp_bdf, bool bind)
{
	struct p2pb_pci_addr a;
	unsigned int i;
	int err;

	if (p2pb_pci_parse(imp_bdf, &a, x->imp_bdf) || !p2pb_pci_exists(x->imp_bdf))
		return p2pb_fail(-ENODEV, "importer device %s: not a PCI device on this machine", imp_bdf);
	if ((err = p2pb_session_claim_device(x->s, x->job.device, bind)) || (err = p2pb_vfio_open(&x->d, x->job.device)) ||
	    (err = p2pb_vfio_dmabuf_supported(&x->d)))
		return err;
	for (i = 0; i < N_ATTACH_RULES; i++)
		if ((err = kimp_open(x, &x->imp[i], attach_rules[i].mode)))
			return err;
	x->bar_size = x->d.bar[x->job.bar].size;
	if (x->bar_size < 8192)
		return p2pb_fail(-EINVAL, "%s has no BAR%u of at least 8 KiB", x->d.bdf, x->job.bar);
	return 0;
}

/* The whole run; -errno on a setup error (message set), else the number of case errors. */
static int check_run(struct check_ctx *x, const char *imp_bdf, bool bind, const char *ktap_path)
{
	int err, c5_failed, errors;

	if ((err = check_open(x, imp_bdf, bind)))
		return err;
	if (p2pb_ktap_open(x->ktap, ktap_path, 8 + (int)N_ATTACH_RULES + P2PB_N_EXPORTER_CLAUSES + 3))
		return -EIO;
	p2pb_ktap_diag(x->ktap, "exporter %s BAR%u (%llu bytes), importer attaches as %s", x->d.bdf, x->job.bar,
		       (unsigned long long)x->bar_size, x->imp_bdf);
	check_exports(x);
	c5_failed = check_attaches(x);
	/* the revoke cases open the device themselves */
	p2pb_vfio_close(&x->d);
	errors = check_clauses(x, x->imp_bdf, c5_failed);
	if (p2pb_case_kernel_stuck())
		return errors;	/* the device is in the kernel for good: nothing more to ask of it */
	if ((err = p2pb_vfio_open(&x->d, x->job.device)))
		return err;
	conf_sysfs_reset(x);
	conf_low_power_export(x);
	conf_implicit_wakeup(x);
	return errors;
}


/* Let go of the importers and the device, unless a trigger holds it in the kernel for good. */
static void check_close(struct check_ctx *x)
{
	unsigned int i;

	if (p2pb_case_kernel_stuck())
		return;
	for (i = 0; i < N_ATTACH_RULES; i++)
		kimp_close(&x->imp[i]);
	p2pb_vfio_close(&x->d);
}

int p2pb_check_run(struct p2pb_session *s, const struct p2pb_check_params *p, struct p2pb_ktap *ktap,
		   struct p2pb_check_result *r)
{
	struct check_ctx *x = calloc(1, sizeof(*x));
	int errors;

	r->checks = json_object_new_array();
	if (!x) {
		r->errors = p2pb_fail(-ENOMEM, "out of memory");
		return r->errors;
	}
	*x = (struct check_ctx){ .ktap = ktap, .results = r->checks, .s = s, .job = p->job };
	x->d.container_fd = x->d.group_fd = x->d.device_fd = -1;
	errors = check_run(x, p->importer_dev, p->bind, p->ktap_path);
	check_close(x);
	if (ktap->f)
		fprintf(ktap->f, "# Totals: pass:%u fail:%u xfail:%u xpass:%u skip:%u error:%d\n", x->count[CHK_PASS],
			x->count[CHK_FAIL], x->count[CHK_XFAIL], x->count[CHK_XPASS], x->count[CHK_SKIP],
			errors > 0 ? errors : 0);
	memcpy(r->count, x->count, sizeof(r->count));
	r->errors = errors;
	free(x);
	return errors < 0 ? errors : 0;
}
