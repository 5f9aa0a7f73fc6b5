// SPDX-License-Identifier: Apache-2.0
/*
 * The host's CPUID leaves, the raw material of the guest's table
 * (mvm_cpuid_build() in src/loader/cpuid.c decides what the guest sees).
 *
 * Collected: every basic leaf up to min(host max, MVM_CPUID_MAX_BASIC),
 * with the subleaves of the leaves that have them (Intel SDM Vol. 2A,
 * "CPUID"): 4 until a null cache type, 7 up to its EAX, 0xD the two
 * fixed ones and each state component the host supports; then the
 * extended leaves up to min(host max, MVM_CPUID_MAX_EXT).
 */
#include <cpuid.h>
#include <string.h>

#include "vm_priv.h"

struct host_out {
	struct mvm_cpuid_entry *e;
	unsigned int max, n;
};

static void put(struct host_out *o, uint32_t fn, uint32_t idx)
{
	unsigned int a, b, c, d;
	struct mvm_cpuid_entry *e;

	if (o->n >= o->max)
		return;
	__cpuid_count(fn, idx, a, b, c, d);
	e = &o->e[o->n++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->eax = a;
	e->ebx = b;
	e->ecx = c;
	e->edx = d;
}

unsigned int vm_host_cpuid(struct mvm_cpuid_entry *out, unsigned int max)
{
	struct host_out o = { .e = out, .max = max };
	unsigned int a, b, c, d, basic, ext;
	uint32_t fn, i;

	__cpuid(0, basic, b, c, d);
	if (basic > MVM_CPUID_MAX_BASIC)
		basic = MVM_CPUID_MAX_BASIC;
	for (fn = 0; fn <= basic; fn++) {
		switch (fn) {
		case 4:
			for (i = 0; i < 64; i++) {
				__cpuid_count(4, i, a, b, c, d);
				if (!(a & 0x1f))
					break;
				put(&o, 4, i);
			}
			break;
		case 7:
			__cpuid_count(7, 0, a, b, c, d);
			for (i = 0; i <= a && i < 8; i++)
				put(&o, 7, i);
			break;
		case 0xd: {
			uint64_t comps;

			__cpuid_count(0xd, 0, a, b, c, d);
			comps = a | (uint64_t)d << 32;
			__cpuid_count(0xd, 1, a, b, c, d);
			comps |= c | (uint64_t)d << 32;
			put(&o, 0xd, 0);
			put(&o, 0xd, 1);
			for (i = 2; i < 64; i++)
				if (comps & (1ULL << i))
					put(&o, 0xd, i);
			break;
		}
		default:
			put(&o, fn, 0);
			break;
		}
	}

	__cpuid(0x80000000, ext, b, c, d);
	if (ext >= 0x80000000 && ext <= 0x8fffffff) {
		if (ext > MVM_CPUID_MAX_EXT)
			ext = MVM_CPUID_MAX_EXT;
		for (fn = 0x80000000; fn <= ext; fn++)
			put(&o, fn, 0);
	}
	return o.n;
}

uint32_t vm_host_tsc_khz(void)
{
	unsigned int max, a, b, c, d;

	__cpuid(0, max, b, c, d);
	/* Leaf 0x15: TSC = crystal (ECX Hz) * EBX / EAX. */
	if (max >= 0x15) {
		__cpuid(0x15, a, b, c, d);
		if (a && b && c)
			return (uint32_t)((uint64_t)c * b / a / 1000);
	}
	/* Leaf 0x16: base frequency in MHz, close to the TSC's. */
	if (max >= 0x16) {
		__cpuid(0x16, a, b, c, d);
		if (a & 0xffff)
			return (a & 0xffff) * 1000;
	}
	return 0;
}
