// SPDX-License-Identifier: GPL-2.0
/* The commands' front-ends on declared keys: options and job files, their errors and exit statuses. */
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "commands.h"
#include "error.h"
#include "check.h"

/* A command on the NULL-terminated arguments, its output thrown away; the exit status. */
static int cmd(int (*fn)(int argc, char **argv), ...)
{
	int argc = 0, rc, out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
	char *argv[32];
	va_list ap;

	va_start(ap, fn);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(NULL);
	dup2(null, 1);
	dup2(null, 2);
	rc = fn(argc, argv);
	fflush(NULL);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return rc;
}

static void test_stress(void)
{
	/* --help works only if every declared default parses */
	CHECK(cmd(p2pb_cmd_stress, "stress", "--help", NULL) == 0);
	CHECK(cmd(p2pb_cmd_stress, "stress", "--device", "sim", "--workers", "0", NULL) == 2);
	CHECK_STR(p2pb_error(), "--workers 0: workers=0: expected workers=1..32: worker threads (default 4)");
	CHECK(cmd(p2pb_cmd_stress, "stress", "--device", "sim", "-D", "bogus", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--duration bogus: duration=bogus: expected duration=D") == p2pb_error());
	CHECK(cmd(p2pb_cmd_stress, "stress", "--device", "sim", "--triggers", "close", NULL) == 2);
	CHECK(strstr(p2pb_error(), "'close' revokes for good") != NULL);
	CHECK(cmd(p2pb_cmd_stress, "stress", "--device", "sim", "--hold", "5000000s", NULL) == 2);
	CHECK(strstr(p2pb_error(), "hold=5000000s: expected hold=D") != NULL);
	CHECK(cmd(p2pb_cmd_stress, "stress", "--job", TEST_DATA_DIR "/stress-bad-key.ini", NULL) == 2);
	CHECK(strstr(p2pb_error(), "stress-bad-key.ini: [stress] warp = 9: unknown key 'warp' (keys: device,") != NULL);
	CHECK(cmd(p2pb_cmd_stress, "stress", "--job", TEST_DATA_DIR "/stress-good.ini", NULL) == 0);
	/* the options after --job go on over the file's */
	CHECK(cmd(p2pb_cmd_stress, "stress", "--job", TEST_DATA_DIR "/stress-good.ini", "--bar", "9", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--bar 9: bar=9") == p2pb_error());
}

static void test_revoke(void)
{
	CHECK(cmd(p2pb_cmd_revoke, "revoke", "--help", NULL) == 0);
	CHECK(cmd(p2pb_cmd_revoke, "revoke", "-d", "0000:01:00.0", "-t", "flr", "-i", "kmod:dev=0000:02:00.0",
		  "-n", "0", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--iterations 0: iterations=0: expected iterations=1..1000000") == p2pb_error());
	CHECK(cmd(p2pb_cmd_revoke, "revoke", "--device", "0000:01:00.0", "--trigger", "unplug", NULL) == 2);
	CHECK(strstr(p2pb_error(), "trigger=unplug: unknown trigger") != NULL);
	CHECK(cmd(p2pb_cmd_revoke, "revoke", "--job", TEST_DATA_DIR "/bad-key.ini", NULL) == 2);
	CHECK(strstr(p2pb_error(), "unknown key 'speed'") != NULL);
	CHECK(cmd(p2pb_cmd_trace, "trace", "--watchdog", "x", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--watchdog x: watchdog=x: expected watchdog=D") == p2pb_error());
}

/* The commands whose options are job keys and keys of their own: help, and each bad value named. */
static void test_job_key_commands(void)
{
	CHECK(cmd(p2pb_cmd_timeout_sweep, "timeout-sweep", "--help", NULL) == 0);
	CHECK(cmd(p2pb_cmd_timeout_sweep, "timeout-sweep", "-d", "0000:01:00.0", "--importer-dev", "0000:02:00.0",
		  "-n", "0", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--iterations 0: iterations=0: expected iterations=1..1000000") == p2pb_error());
	CHECK(strstr(p2pb_error(), "(default 3)") != NULL);
	CHECK(cmd(p2pb_cmd_timeout_sweep, "timeout-sweep", "-d", "0000:01:00.0", "--importer-dev", "0000:02:00.0",
		  "--triggers", "flr,nope", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--triggers flr,nope: unknown trigger 'nope'") == p2pb_error());
	CHECK(cmd(p2pb_cmd_timeout_sweep, "timeout-sweep", "-d", "0000:01:00.0", "--importer-dev", "0000:02:00.0",
		  "--timeouts", "5q", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--timeouts 5q: '5q' is not a whole number of ms") == p2pb_error());
	CHECK(cmd(p2pb_cmd_timeout_sweep, "timeout-sweep", "-d", "0000:01:00.0", "--importer-dev", "0000:02:00.0",
		  "stray", NULL) == 2);	/* bad input, not a sweep that ignores it */
	CHECK(cmd(p2pb_cmd_timeout_sweep, "timeout-sweep", "-d", "0000:01:00.0", "--importer-dev", "0000:02:00.0",
		  "--beside", "bogus:x=1", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--beside bogus:x=1: unknown importer kind 'bogus'") == p2pb_error());
	CHECK(cmd(p2pb_cmd_check, "check", "--help", NULL) == 0);
	CHECK(cmd(p2pb_cmd_check, "check", "--bar", "9", "-d", "0000:01:00.0", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--bar 9: bar=9: expected bar=0..5") == p2pb_error());
	CHECK(cmd(p2pb_cmd_load, "load", "--help", NULL) == 0);
	CHECK(cmd(p2pb_cmd_load, "load", "-d", "0000:01:00.0", "-i", "kmod:dev=0000:02:00.0,io=read", "--duration", "0",
		  NULL) == 2);
	CHECK_STR(p2pb_error(), "--duration 0: duration=0: expected duration=D: measured time; above 0; bare numbers "
		  "are s (default 5s)");
	CHECK(cmd(p2pb_cmd_load, "load", "--warmup", "x", NULL) == 2);
	CHECK(strstr(p2pb_error(), "--warmup x: warmup=x: expected warmup=D") == p2pb_error());
	CHECK(cmd(p2pb_cmd_type1, "type1", "--help", NULL) == 0);
	CHECK(cmd(p2pb_cmd_type1, "type1", "-d", "0000:01:00.0", "--importer-dev", "0000:02:00.0", "-t", "flr,nope",
		  NULL) == 2);
	CHECK(strstr(p2pb_error(), "unknown trigger 'nope'") == p2pb_error());
	CHECK(cmd(p2pb_cmd_type1, "type1", "-d", "0000:01:00.0", "--importer-dev", "0000:02:00.0", "--iova", "4097",
		  NULL) == 2);
	CHECK(strstr(p2pb_error(), "--iova 4097: iova=4097") == p2pb_error());
	/* the importer is required; a device that does not exist is one clear error, nothing changed */
	CHECK(cmd(p2pb_cmd_type1, "type1", "-d", "0000:01:00.0", NULL) == 2);
	CHECK(cmd(p2pb_cmd_type1, "type1", "-d", "0000:01:00.0", "--importer-dev", "0000:7f:1f.7", NULL) == 2);
	CHECK(strstr(p2pb_error(), "importer device 0000:7f:1f.7: not a PCI device on this machine") == p2pb_error());
}

int main(void)
{
	test_stress();
	test_revoke();
	test_job_key_commands();
	return check_done();
}
