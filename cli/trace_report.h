/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What "mvm trace boot" prints, apart from the BPF that gathers it: the
 * breakdown of one VM's boot timeline (bpf/boot.h) into stages, and log2
 * histograms across VMs. No libbpf here, so host unit tests
 * (cli/tests/trace_report_test.c) build it alone.
 */
#ifndef MVM_CLI_TRACE_REPORT_H
#define MVM_CLI_TRACE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "boot.h"

/* The stages between consecutive main milestones, for the histograms. */
#define BOOT_NR_STAGES	5

/* Human name of milestone @m ("guest kernel entry"); "?" if unknown. */
const char *boot_milestone_name(unsigned int m);

/* True for the milestones of BOOT_MAIN_MASK. */
bool boot_milestone_is_main(unsigned int m);

/*
 * struct boot_breakdown - one timeline cut into stages.
 * @origin:    the first main milestone present (launch, or VM create
 *             when the launch was not seen); -1 if none is.
 * @last:      the last main milestone present; -1 if none is.
 * @total_ns:  ts[@last] - ts[@origin].
 * @stage_ns:  for a present milestone m other than @origin: for a main
 *             one, ts[m] minus the previous present main milestone's
 *             (so the main stages add up to @total_ns exactly); for a
 *             detail one, ts[m] minus the previous present milestone's.
 * @from:      which milestone @stage_ns[m] is measured from; -1 for
 *             @origin and for missing milestones.
 * @at_ns:     ts[m] - ts[@origin] for a present milestone.
 * @complete:  every main milestone is present.
 * @monotonic: no present milestone is earlier than the one before it.
 */
struct boot_breakdown {
	int origin, last;
	long long total_ns;
	long long stage_ns[BOOT_NR_MILESTONES];
	long long at_ns[BOOT_NR_MILESTONES];
	int from[BOOT_NR_MILESTONES];
	bool complete, monotonic;
};

/* Fill @b from @t. */
void boot_breakdown_compute(const struct boot_timeline *t,
			    struct boot_breakdown *b);

/*
 * Why milestone @m of @t is missing, in a few words for the table;
 * @usdt says whether libmvm's probes were attached at all. NULL when @m
 * is present.
 */
const char *boot_missing_reason(const struct boot_timeline *t,
				unsigned int m, bool usdt);

/* True once @t has nothing more to wait for: ready, or destroyed. */
bool boot_timeline_done(const struct boot_timeline *t);

/*
 * Print VM @vm_id's breakdown on @f: a heading line, one row per
 * milestone (name, stage and time since the origin, in ms; detail
 * milestones indented), the reason for each missing one, and the total.
 * Main rows are "  NAME" and detail rows "    NAME", the name padded to
 * BOOT_NAME_COLS; the two numbers follow (or "-").
 */
#define BOOT_NAME_COLS	30
void boot_report_print(FILE *f, unsigned int vm_id,
		       const struct boot_timeline *t, bool usdt);

/*
 * struct log2_hist - counts of values by power of two: slot i holds the
 * values v with 2^i <= v < 2^(i+1), slot 0 also 0.
 */
#define LOG2_SLOTS	64
struct log2_hist {
	unsigned int slots[LOG2_SLOTS];
	unsigned int count;
	unsigned long long min, max, sum;
};

/* The slot of @v. */
unsigned int log2_slot(unsigned long long v);

void log2_hist_add(struct log2_hist *h, unsigned long long v);

/*
 * Print @h on @f in the libbpf-tools layout: a header naming @unit, then
 * "low -> high : count |****|" rows, from the first non-empty slot to
 * the last, the bar of the fullest slot 40 characters long. Nothing but
 * a line saying so when @h is empty.
 */
void log2_hist_print(FILE *f, const struct log2_hist *h, const char *unit);

/* The histograms across VMs: each stage, and the whole boot, in us. */
struct boot_hists {
	struct log2_hist stage[BOOT_NR_STAGES];
	struct log2_hist total;
};

/*
 * Add @t to @h: each stage whose two ends are present, and the total of
 * a boot that reached ready.
 */
void boot_hists_add(struct boot_hists *h, const struct boot_timeline *t);

/* Print a titled histogram for the total and for each stage. */
void boot_hists_print(FILE *f, const struct boot_hists *h);

#endif /* MVM_CLI_TRACE_REPORT_H */
