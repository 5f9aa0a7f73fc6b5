// SPDX-License-Identifier: Apache-2.0
/*
 * mvm trace boot: boot timelines cut into stages, and log2 histograms
 * (trace_report.h). Pure formatting: every number comes from a struct
 * boot_timeline that the caller read from the BPF map.
 */
#include <stdio.h>
#include <string.h>

#include "trace_report.h"

#define BAR_WIDTH	40

static const char *const milestone_names[BOOT_NR_MILESTONES] = {
	[BOOT_LAUNCH]		= "launch",
	[BOOT_CONFIG_PARSED]	= "config parsed",
	[BOOT_VM_CREATE]	= "VM create",
	[BOOT_MEMORY_READY]	= "guest memory ready",
	[BOOT_KERNEL_LOADED]	= "kernel loaded",
	[BOOT_VM_CREATED]	= "VM built",
	[BOOT_FIRST_ENTRY]	= "vCPU 0 thread runs",
	[BOOT_FIRST_INSN]	= "first guest instruction",
	[BOOT_KERNEL_ENTRY]	= "guest kernel entry",
	[BOOT_INIT]		= "init milestone (1)",
	[BOOT_READY]		= "ready milestone (2)",
};

/* The main milestones in order: stage i runs from main[i] to main[i+1]. */
static const unsigned int main_milestones[BOOT_NR_STAGES + 1] = {
	BOOT_LAUNCH, BOOT_VM_CREATE, BOOT_FIRST_INSN, BOOT_KERNEL_ENTRY,
	BOOT_INIT, BOOT_READY,
};

const char *boot_milestone_name(unsigned int m)
{
	return m < BOOT_NR_MILESTONES ? milestone_names[m] : "?";
}

bool boot_milestone_is_main(unsigned int m)
{
	return m < BOOT_NR_MILESTONES && (BOOT_MAIN_MASK & (1u << m));
}

void boot_breakdown_compute(const struct boot_timeline *t,
			    struct boot_breakdown *b)
{
	int prev_main = -1, prev_any = -1;
	unsigned int m;

	memset(b, 0, sizeof(*b));
	b->origin = -1;
	b->last = -1;
	b->complete = true;
	b->monotonic = true;
	for (m = 0; m < BOOT_NR_MILESTONES; m++) {
		bool is_main = boot_milestone_is_main(m);
		int ref;

		b->from[m] = -1;
		if (!t->ts[m]) {
			if (is_main)
				b->complete = false;
			continue;
		}
		if (is_main && b->origin < 0)
			b->origin = (int)m;
		ref = is_main ? prev_main : prev_any;
		if (ref >= 0 && (int)m != b->origin) {
			b->stage_ns[m] = (long long)(t->ts[m] - t->ts[ref]);
			b->from[m] = ref;
		}
		if (prev_any >= 0 && t->ts[m] < t->ts[prev_any])
			b->monotonic = false;
		if (is_main) {
			prev_main = (int)m;
			b->last = (int)m;
		}
		prev_any = (int)m;
	}
	if (b->origin < 0)
		return;
	for (m = 0; m < BOOT_NR_MILESTONES; m++)
		if (t->ts[m])
			b->at_ns[m] = (long long)(t->ts[m] - t->ts[b->origin]);
	b->total_ns = (long long)(t->ts[b->last] - t->ts[b->origin]);
}

bool boot_timeline_done(const struct boot_timeline *t)
{
	return t->ts[BOOT_READY] || t->destroyed_ns;
}

const char *boot_missing_reason(const struct boot_timeline *t,
				unsigned int m, bool usdt)
{
	bool later = false, gone = t->destroyed_ns != 0;
	unsigned int n;

	if (m >= BOOT_NR_MILESTONES)
		return "no such milestone";
	if (t->ts[m])
		return NULL;
	for (n = m + 1; n < BOOT_NR_MILESTONES; n++)
		if (t->ts[n])
			later = true;
	switch (m) {
	case BOOT_LAUNCH:
	case BOOT_CONFIG_PARSED:
	case BOOT_MEMORY_READY:
	case BOOT_KERNEL_LOADED:
	case BOOT_VM_CREATED:
	case BOOT_FIRST_ENTRY:
		if (!usdt)
			return "libmvm's USDT probes are not attached";
		return "no USDT probe from this process: its libmvm is not the traced one (--binary), or it started before the tracer";
	case BOOT_VM_CREATE:
		return "VM created before the tracer started";
	case BOOT_FIRST_INSN:
		return gone ? "vCPU 0 never entered the guest" : "not yet";
	case BOOT_KERNEL_ENTRY:
		if (later)
			return "no VM exit with a kernel-half rip before the next milestone";
		return gone ? "no VM exit with a kernel-half rip: no Linux kernel ran" : "not yet";
	case BOOT_INIT:
		if (later)
			return "the guest wrote milestone 2 but never 1";
		return gone ? "the guest never wrote milestone 1 (its /init runs 'mvm-mark 1')" : "not yet";
	default:
		return gone ? "the guest never wrote milestone 2 before the VM ended" : "not yet";
	}
}

/* @ns as milliseconds with 3 decimals. */
static const char *fmt_ms(char *buf, size_t len, long long ns)
{
	snprintf(buf, len, "%.3f", ns / 1e6);
	return buf;
}

void boot_report_print(FILE *f, unsigned int vm_id,
		       const struct boot_timeline *t, bool usdt)
{
	char comm[BOOT_COMM_LEN + 1], a[32], b[32];
	struct boot_breakdown bd;
	unsigned int m;

	boot_breakdown_compute(t, &bd);
	memcpy(comm, t->comm, BOOT_COMM_LEN);
	comm[BOOT_COMM_LEN] = '\0';
	fprintf(f, "VM %u: pid %u (%s), ", vm_id, t->pid, comm);
	if (t->ts[BOOT_READY])
		fprintf(f, "ready after %s ms", fmt_ms(a, sizeof(a), bd.total_ns));
	else if (t->destroyed_ns)
		fprintf(f, "ended before the ready milestone");
	else
		fprintf(f, "still booting");
	fprintf(f, ", %llu VM exits before ready\n", t->boot_exits);
	fprintf(f, "  %-*s %12s %12s\n", BOOT_NAME_COLS, "MILESTONE",
		"STAGE(ms)", "AT(ms)");
	for (m = 0; m < BOOT_NR_MILESTONES; m++) {
		bool is_main = boot_milestone_is_main(m);
		int indent = is_main ? 2 : 4;
		int cols = BOOT_NAME_COLS - (indent - 2);

		if (!t->ts[m]) {
			fprintf(f, "%*s%-*s %12s %12s  (%s)\n", indent, "", cols,
				boot_milestone_name(m), "-", "-",
				boot_missing_reason(t, m, usdt));
			continue;
		}
		fprintf(f, "%*s%-*s %12s %12s", indent, "", cols,
			boot_milestone_name(m),
			bd.from[m] < 0 ? "-" :
			fmt_ms(a, sizeof(a), bd.stage_ns[m]),
			fmt_ms(b, sizeof(b), bd.at_ns[m]));
		/* A main stage that spans a missing main milestone. */
		if (is_main && bd.from[m] >= 0) {
			unsigned int i;

			for (i = 1; i <= BOOT_NR_STAGES; i++)
				if (main_milestones[i] == m &&
				    main_milestones[i - 1] != (unsigned int)bd.from[m])
					fprintf(f, "  (since %s)",
						boot_milestone_name(bd.from[m]));
		}
		fputc('\n', f);
	}
	fprintf(f, "  %-*s %12s\n", BOOT_NAME_COLS, "total",
		bd.origin < 0 ? "-" : fmt_ms(a, sizeof(a), bd.total_ns));
	if (!bd.monotonic)
		fprintf(f, "  (milestones out of order: a stage is negative)\n");
	fputc('\n', f);
}

unsigned int log2_slot(unsigned long long v)
{
	unsigned int s = 0;

	while (v >>= 1)
		s++;
	return s;
}

void log2_hist_add(struct log2_hist *h, unsigned long long v)
{
	h->slots[log2_slot(v)]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->sum += v;
	h->count++;
}

/* Decimal digits of @v. */
static int digits(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

void log2_hist_print(FILE *f, const struct log2_hist *h, const char *unit)
{
	static const char bar[BAR_WIDTH + 1] =
		"****************************************";
	unsigned int first = LOG2_SLOTS, last = 0, top = 0, i;
	unsigned long long hi_max;
	int w;

	for (i = 0; i < LOG2_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first == LOG2_SLOTS)
			first = i;
		last = i;
		if (h->slots[i] > top)
			top = h->slots[i];
	}
	if (first == LOG2_SLOTS) {
		fprintf(f, "     (no values)\n");
		return;
	}
	hi_max = last >= 63 ? ~0ULL : (2ULL << last) - 1;
	w = digits(hi_max);
	if (w < 5)
		w = 5;
	/* The unit label ends where the rows' "low -> high" does. */
	fprintf(f, "%*s%-*s : count    distribution\n", w, "", w + 9, unit);
	for (i = first; i <= last; i++) {
		unsigned long long lo = i ? 1ULL << i : 0;
		unsigned long long hi = i >= 63 ? ~0ULL : (2ULL << i) - 1;
		unsigned int stars = (unsigned int)((unsigned long long)
						    h->slots[i] * BAR_WIDTH / top);

		fprintf(f, "%*llu -> %-*llu : %-8u |%.*s%*s|\n", w + 5, lo, w,
			hi, h->slots[i], (int)stars, bar,
			(int)(BAR_WIDTH - stars), "");
	}
}

static const char *const stage_titles[BOOT_NR_STAGES] = {
	"launch -> VM create",
	"VM create -> first guest instruction",
	"first guest instruction -> guest kernel entry",
	"guest kernel entry -> init milestone",
	"init milestone -> ready milestone",
};

void boot_hists_add(struct boot_hists *h, const struct boot_timeline *t)
{
	struct boot_breakdown bd;
	unsigned int i;

	for (i = 0; i < BOOT_NR_STAGES; i++) {
		unsigned int a = main_milestones[i], b = main_milestones[i + 1];

		if (t->ts[a] && t->ts[b] && t->ts[b] >= t->ts[a])
			log2_hist_add(&h->stage[i], (t->ts[b] - t->ts[a]) / 1000);
	}
	boot_breakdown_compute(t, &bd);
	if (t->ts[BOOT_READY] && bd.origin >= 0 && bd.total_ns >= 0)
		log2_hist_add(&h->total, (unsigned long long)bd.total_ns / 1000);
}

static void print_one(FILE *f, const char *title, const struct log2_hist *h)
{
	fprintf(f, "%s: %u VM%s", title, h->count, h->count == 1 ? "" : "s");
	if (h->count)
		fprintf(f, ", min %.3f ms, avg %.3f ms, max %.3f ms",
			h->min / 1e3, (double)h->sum / h->count / 1e3,
			h->max / 1e3);
	fputc('\n', f);
	log2_hist_print(f, h, "usecs");
	fputc('\n', f);
}

void boot_hists_print(FILE *f, const struct boot_hists *h)
{
	unsigned int i;

	print_one(f, "total boot (launch, or VM create, -> ready milestone)",
		  &h->total);
	for (i = 0; i < BOOT_NR_STAGES; i++)
		print_one(f, stage_titles[i], &h->stage[i]);
}
