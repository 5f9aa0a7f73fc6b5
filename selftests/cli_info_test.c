// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI against the real module: "mvm info" reports what CHECK_CAP
 * does, and its failures exit non-zero with a message naming the fix.
 * The CLI is $MVM_CLI, else "mvm" on $PATH; SKIP when there is none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mvm_util.h"

/* Run "CLI ARGS 2>&1", keep its output in @out; return its exit status. */
static int run_cli(const char *args, char *out, size_t len)
{
	const char *cli = getenv("MVM_CLI");
	char cmd[512];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", cli && *cli ? cli : "mvm",
		 args);
	p = popen(cmd, "r");
	MVM_TEST_ASSERT(p, "popen %s", cmd);
	while (n + 1 < len && !feof(p)) {
		size_t got = fread(out + n, 1, len - 1 - n, p);

		if (!got)
			break;
		n += got;
	}
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool cli_present(void)
{
	char out[256];

	return run_cli("version", out, sizeof(out)) == 0;
}

TEST(info_reports_backend)
{
	char out[2048], want[64];
	uint64_t backend;
	int fd;

	MVM_REQUIRE(cli_present(), "no mvm CLI (set MVM_CLI or PATH)");
	MVM_REQUIRE(mvm_dev_present(), "%s missing: mvm.ko is not loaded",
		    MVM_DEV_PATH);
	fd = sys_open();
	backend = sys_check_cap(fd, MVM_CAP_BACKEND);
	close(fd);

	ASSERT_EQ(0, run_cli("info", out, sizeof(out))) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "backend:  %s\n",
		 mvm_backend_name(backend));
	ASSERT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "features: tdp unrestricted_guest"))
		TH_LOG("%s", out);
}

TEST(info_missing_device_fails_clearly)
{
	char out[2048];

	MVM_REQUIRE(cli_present(), "no mvm CLI (set MVM_CLI or PATH)");
	ASSERT_EQ(1, run_cli("info --device /nonexistent", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "modprobe mvm")) TH_LOG("%s", out);
}

TEST(unknown_command_is_usage_error)
{
	char out[2048];

	MVM_REQUIRE(cli_present(), "no mvm CLI (set MVM_CLI or PATH)");
	ASSERT_EQ(2, run_cli("frobnicate", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "unknown command 'frobnicate'"))
		TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
