// SPDX-License-Identifier: Apache-2.0
/*
 * cli/trace_report.c: boot timelines cut into stages, the table printed
 * for each VM, and the log2 histograms, on made-up timelines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "trace_report.h"

#define MS	1000000ULL

/* A complete boot starting at 1 s: every milestone, 1..10 ms apart. */
static void full(struct boot_timeline *t)
{
	unsigned int m;

	memset(t, 0, sizeof(*t));
	for (m = 0; m < BOOT_NR_MILESTONES; m++)
		t->ts[m] = 1000 * MS + (m * (m + 1) / 2) * MS;
	t->pid = 42;
	strcpy(t->comm, "mvm");
	t->boot_exits = 1234;
}

/* What @fn printed to a memory stream, NUL-terminated; caller frees. */
#define CAPTURE(buf, stmt)						\
	do {								\
		size_t len_;						\
		FILE *f = open_memstream(&(buf), &len_);		\
									\
		stmt;							\
		fclose(f);						\
	} while (0)

/* The line of @text that starts with @prefix, or NULL. */
static const char *line_of(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

TEST(stages_add_up_exactly)
{
	struct boot_timeline t;
	struct boot_breakdown b;
	long long sum = 0;
	unsigned int m;

	full(&t);
	boot_breakdown_compute(&t, &b);
	ASSERT_EQ(BOOT_LAUNCH, b.origin);
	ASSERT_EQ(BOOT_READY, b.last);
	EXPECT_TRUE(b.complete);
	EXPECT_TRUE(b.monotonic);
	EXPECT_EQ((long long)(t.ts[BOOT_READY] - t.ts[BOOT_LAUNCH]), b.total_ns);
	for (m = 0; m < BOOT_NR_MILESTONES; m++)
		if (boot_milestone_is_main(m))
			sum += b.stage_ns[m];
	EXPECT_EQ(b.total_ns, sum);
	/* VM create's stage spans config parsed; detail rows chain. */
	EXPECT_EQ(BOOT_LAUNCH, b.from[BOOT_VM_CREATE]);
	EXPECT_EQ(BOOT_VM_CREATE, b.from[BOOT_MEMORY_READY]);
	EXPECT_EQ(BOOT_VM_CREATE, b.from[BOOT_MEMORY_READY]);
	EXPECT_EQ(BOOT_VM_CREATED, b.from[BOOT_FIRST_ENTRY]);
	EXPECT_EQ(BOOT_VM_CREATE, b.from[BOOT_FIRST_INSN]);
	EXPECT_EQ((long long)(t.ts[BOOT_MEMORY_READY] - t.ts[BOOT_VM_CREATE]),
		  b.stage_ns[BOOT_MEMORY_READY]);
	EXPECT_EQ(-1, b.from[BOOT_LAUNCH]);
	EXPECT_EQ(0, b.at_ns[BOOT_LAUNCH]);
	EXPECT_EQ((long long)(t.ts[BOOT_INIT] - t.ts[BOOT_LAUNCH]),
		  b.at_ns[BOOT_INIT]);
}

TEST(missing_launch_and_kernel_entry)
{
	struct boot_timeline t;
	struct boot_breakdown b;
	long long sum = 0;
	unsigned int m;

	full(&t);
	t.ts[BOOT_LAUNCH] = 0;
	t.ts[BOOT_CONFIG_PARSED] = 0;
	t.ts[BOOT_KERNEL_ENTRY] = 0;
	boot_breakdown_compute(&t, &b);
	EXPECT_EQ(BOOT_VM_CREATE, b.origin);
	EXPECT_FALSE(b.complete);
	EXPECT_EQ(BOOT_FIRST_INSN, b.from[BOOT_INIT]);
	for (m = 0; m < BOOT_NR_MILESTONES; m++)
		if (boot_milestone_is_main(m))
			sum += b.stage_ns[m];
	EXPECT_EQ(b.total_ns, sum);
	EXPECT_EQ((long long)(t.ts[BOOT_READY] - t.ts[BOOT_VM_CREATE]), b.total_ns);
	EXPECT_STREQ("libmvm's USDT probes are not attached",
		     boot_missing_reason(&t, BOOT_LAUNCH, false));
	EXPECT_NE(NULL, strstr(boot_missing_reason(&t, BOOT_LAUNCH, true),
			       "--binary"));
	EXPECT_NE(NULL, strstr(boot_missing_reason(&t, BOOT_KERNEL_ENTRY, true),
			       "before the next milestone"));
	EXPECT_EQ(NULL, boot_missing_reason(&t, BOOT_READY, true));
}

TEST(not_done_until_ready_or_destroyed)
{
	struct boot_timeline t;

	full(&t);
	t.ts[BOOT_INIT] = 0;
	t.ts[BOOT_READY] = 0;
	EXPECT_FALSE(boot_timeline_done(&t));
	EXPECT_STREQ("not yet", boot_missing_reason(&t, BOOT_INIT, true));
	t.destroyed_ns = t.ts[BOOT_KERNEL_ENTRY] + MS;
	EXPECT_TRUE(boot_timeline_done(&t));
	EXPECT_NE(NULL, strstr(boot_missing_reason(&t, BOOT_INIT, true),
			       "mvm-mark 1"));
	EXPECT_NE(NULL, strstr(boot_missing_reason(&t, BOOT_READY, true),
			       "never wrote milestone 2"));
	full(&t);
	EXPECT_TRUE(boot_timeline_done(&t));
}

TEST(out_of_order_is_flagged)
{
	struct boot_timeline t;
	struct boot_breakdown b;
	char *out = NULL;

	full(&t);
	t.ts[BOOT_KERNEL_ENTRY] = t.ts[BOOT_FIRST_INSN] - 1;
	boot_breakdown_compute(&t, &b);
	EXPECT_FALSE(b.monotonic);
	EXPECT_EQ(-1, b.stage_ns[BOOT_KERNEL_ENTRY]);
	CAPTURE(out, boot_report_print(f, 1, &t, true));
	EXPECT_NE(NULL, strstr(out, "out of order"));
	free(out);
}

/* The table: main rows at 2 columns, detail at 4, numbers in ms. */
TEST(table_layout)
{
	struct boot_timeline t;
	char *out = NULL;
	const char *l;
	double stage, at, total, sum = 0;
	int rows = 0;

	full(&t);
	t.ts[BOOT_KERNEL_ENTRY] = 0;
	t.destroyed_ns = t.ts[BOOT_READY] + MS;
	CAPTURE(out, boot_report_print(f, 17, &t, true));
	ASSERT_NE(NULL, out);
	printf("%s", out);
	fflush(stdout);
	EXPECT_NE(NULL, line_of(out, "VM 17: pid 42 (mvm), ready after 55.000 ms, 1234 VM exits before ready"));
	l = line_of(out, "  launch ");
	ASSERT_NE(NULL, l);
	EXPECT_EQ(2, sscanf(l + 2 + BOOT_NAME_COLS, "%*s %lf", &at) + 1);
	l = line_of(out, "    config parsed ");
	ASSERT_NE(NULL, l);
	ASSERT_EQ(2, sscanf(l + 2 + BOOT_NAME_COLS, "%lf %lf", &stage, &at));
	EXPECT_EQ(1.0, stage);
	EXPECT_EQ(1.0, at);
	l = line_of(out, "  guest kernel entry ");
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, strncmp(l + 2 + BOOT_NAME_COLS, "            -            -  (no VM exit with a kernel-half rip", 62));
	l = line_of(out, "  init milestone (1) ");
	ASSERT_NE(NULL, l);
	EXPECT_NE(NULL, strstr(l, "(since first guest instruction)"));
	/* Main stages read back from the text add up to the total. */
	for (l = out; (l = strchr(l, '\n')); ) {
		l++;
		if (!strncmp(l, "  ", 2) && l[2] != ' ' &&
		    strncmp(l, "  MILESTONE", 11) && strncmp(l, "  total", 7) &&
		    sscanf(l + 2 + BOOT_NAME_COLS, "%lf", &stage) == 1) {
			sum += stage;
			rows++;
		}
	}
	l = line_of(out, "  total ");
	ASSERT_NE(NULL, l);
	ASSERT_EQ(1, sscanf(l + 2 + BOOT_NAME_COLS, "%lf", &total));
	EXPECT_EQ(55.0, total);
	EXPECT_EQ(4, rows);	/* VM create, first insn, init, ready */
	EXPECT_EQ(total, sum);
	free(out);
}

TEST(log2_slots)
{
	EXPECT_EQ(0, log2_slot(0));
	EXPECT_EQ(0, log2_slot(1));
	EXPECT_EQ(1, log2_slot(2));
	EXPECT_EQ(1, log2_slot(3));
	EXPECT_EQ(2, log2_slot(4));
	EXPECT_EQ(9, log2_slot(1023));
	EXPECT_EQ(10, log2_slot(1024));
	EXPECT_EQ(63, log2_slot(~0ULL));
}

TEST(log2_hist_layout)
{
	struct log2_hist h;
	char *out = NULL;
	const char *l;

	memset(&h, 0, sizeof(h));
	log2_hist_add(&h, 5);		/* 4 -> 7 */
	log2_hist_add(&h, 6);
	log2_hist_add(&h, 100);		/* 64 -> 127 */
	EXPECT_EQ(3, h.count);
	EXPECT_EQ(5, h.min);
	EXPECT_EQ(100, h.max);
	EXPECT_EQ(111, h.sum);
	CAPTURE(out, log2_hist_print(f, &h, "usecs"));
	printf("%s", out);
	fflush(stdout);
	/* Header, then slots 2 (4 -> 7) to 6 (64 -> 127), nothing else. */
	EXPECT_NE(NULL, line_of(out, "     usecs          : count    distribution\n"));
	l = line_of(out, "         4 -> 7     ");
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, strncmp(l, "         4 -> 7     : 2        |****************************************|\n", 71));
	l = line_of(out, "        64 -> 127   ");
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, strncmp(l, "        64 -> 127   : 1        |********************                    |\n", 71));
	EXPECT_NE(NULL, line_of(out, "         8 -> 15    : 0        |"));
	EXPECT_EQ(NULL, strstr(out, " 2 -> 3 "));
	EXPECT_EQ(NULL, strstr(out, "128 -> 255"));
	free(out);

	memset(&h, 0, sizeof(h));
	CAPTURE(out, log2_hist_print(f, &h, "usecs"));
	EXPECT_NE(NULL, strstr(out, "no values"));
	free(out);
}

TEST(hists_across_vms)
{
	struct boot_hists h;
	struct boot_timeline t;
	char *out = NULL;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 5; i++) {
		full(&t);
		t.ts[BOOT_READY] += i * MS;
		boot_hists_add(&h, &t);
	}
	/* One that never got past the kernel: stages 0-2 only. */
	full(&t);
	t.ts[BOOT_INIT] = t.ts[BOOT_READY] = 0;
	t.destroyed_ns = 2000 * MS;
	boot_hists_add(&h, &t);
	EXPECT_EQ(5, h.total.count);
	EXPECT_EQ(6, h.stage[0].count);
	EXPECT_EQ(6, h.stage[2].count);
	EXPECT_EQ(5, h.stage[3].count);
	EXPECT_EQ(5, h.stage[4].count);
	EXPECT_EQ(55000, h.total.min);	/* us */
	EXPECT_EQ(59000, h.total.max);
	CAPTURE(out, boot_hists_print(f, &h));
	printf("%s", out);
	fflush(stdout);
	EXPECT_NE(NULL, line_of(out, "total boot (launch, or VM create, -> ready milestone): 5 VMs, min 55.000 ms, avg 57.000 ms, max 59.000 ms"));
	EXPECT_NE(NULL, line_of(out, "guest kernel entry -> init milestone: 5 VMs"));
	EXPECT_NE(NULL, line_of(out, "launch -> VM create: 6 VMs"));
	free(out);
}

TEST_HARNESS_MAIN
