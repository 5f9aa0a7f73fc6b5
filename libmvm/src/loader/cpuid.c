// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's CPUID table: the host's leaves, minus what mvm does not
 * virtualize, plus a TSC frequency, a topology and hypervisor leaves.
 *
 * Leaf and bit definitions: Intel SDM Vol. 2A, "CPUID"; AMD APM Vol. 3,
 * Appendix E. mvm.ko applies its own policy on top at every CPUID exit
 * (kmod/cpuid.c: VMX/SVM hidden, hypervisor bit, OSXSAVE from CR4, the
 * initial APIC ID in leaf 1 EBX).
 *
 * The guest table, leaf by leaf:
 *
 *   0           max basic leaf MVM_CPUID_MAX_BASIC (0x16: the TSC leaves
 *               exist even when the host's table stops earlier; leaves the
 *               host has beyond it, such as 0x1F, which Linux would
 *               prefer to 0xB, are dropped); the host's vendor.
 *   1           host, with the bits of features mvm does not virtualize
 *               cleared (the masks below name them and why), x2APIC and
 *               hypervisor set, EBX[23:16] the logical processor count
 *               (power of two) and EBX[31:24] @vcpu_id, HTT when
 *               there is more than one vCPU.
 *   2           host (cache descriptors).
 *   4           host subleaves; EAX[31:26] cores per package - 1, and
 *               EAX[25:14] (threads sharing the cache - 1) 0 for L1/L2 and
 *               all of them for L3 and beyond, to match leaf 0xB.
 *   6           EAX bit 2 (ARAT) only: the APIC timer always runs.
 *   7           subleaf 0 masked, subleaf 1 as the host's; no others.
 *   0xB         generated: one package of @nr_vcpus cores with one thread
 *               each, x2APIC ID = @vcpu_id; subleaf 0 SMT (shift 0, one
 *               thread), 1 core (shift ceil(log2 n), n processors), 2
 *               invalid.
 *   0xD         host subleaves; subleaf 1 without XSAVES and XFD and no
 *               IA32_XSS components (that MSR is not virtualized).
 *   0x15        EAX 1 (denominator), EBX TSC/crystal ratio, ECX crystal
 *               MVM_CPUID_CRYSTAL_HZ (1 MHz): TSC = 1 MHz * EBX. Linux
 *               (native_calibrate_tsc) also takes the crystal as the
 *               local APIC timer's frequency, so the crystal is the APIC
 *               bus clock mvm's APIC model uses, and 1 MHz makes the
 *               ratio the TSC frequency in MHz. EBX is rounded to the
 *               nearest MHz: the error is below 500 kHz, under 0.02% of
 *               a 3 GHz TSC; a guest wanting the exact kHz reads
 *               0x40000010.
 *   0x16        EAX base and EBX max frequency: the TSC's, in MHz,
 *               rounded; ECX bus frequency 0 (not enumerated).
 *   0x40000000  max hypervisor leaf 0x40000010, signature "KVMKVMKVM".
 *               Linux keeps the x2APIC (mvm's only APIC mode) without
 *               interrupt remapping only under a hypervisor it knows
 *               (x86_init.hyper.x2apic_available()); KVM's signature
 *               with no feature bits in 0x40000001 (an absent leaf, all
 *               zeros) names one and promises no paravirtual interface:
 *               no kvmclock, no PV EOI, no async page faults.
 *   0x40000010  EAX TSC kHz, EBX APIC bus kHz (1000), the VMware
 *               convention KVM also follows.
 *   0x80000000  max extended leaf min(host, 0x80000008), host vendor.
 *   0x80000001  host, masked (SVM, IBS, perf counters, TOPOEXT, ...).
 *   0x80000002-6 host (brand string, caches).
 *   0x80000007  only EDX bit 8, invariant TSC.
 *   0x80000008  EAX host (address sizes); EBX 0 (the AMD speculation
 *               control MSRs are not virtualized); ECX on AMD and Hygon
 *               the core count - 1 with ApicIdCoreIdSize ceil(log2 n),
 *               0 on Intel, where it is reserved; EDX 0.
 *
 * Anything else (the rest of power management 6, performance monitoring 0xA, SGX,
 * RDT, PT, the AMD topology leaves) is absent, and mvm.ko returns zeros
 * for absent leaves.
 */
#include <errno.h>
#include <string.h>

#include "loader.h"

#define BIT(n)	(1U << (n))

/*
 * Bits cleared from the host's leaves: features whose MSRs or
 * instructions mvm does not offer (kmod/vmx/msr.c has the MSRs,
 * kmod/vmx/exits.c the instructions), or that contradict the topology.
 *
 * Leaf 1 ECX: 2 DTES64, 4 DS-CPL (debug store); 3 MONITOR (MONITOR and
 * MWAIT get #UD); 5 VMX (no nested virtualization); 6 SMX (GETSEC gets
 * #UD); 7 EST, 8 TM2 (power and thermal MSRs); 11 SDBG
 * (IA32_DEBUG_INTERFACE); 14 xTPR update control; 15 PDCM
 * (IA32_PERF_CAPABILITIES); 18 DCA; 27 OSXSAVE (mvm.ko sets it from CR4).
 * Bit 24, the TSC-deadline timer, is always set: mvm.ko's x2APIC has it
 * whatever the host's APIC.
 */
#define L1_ECX_CLEAR	(BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | \
			 BIT(7) | BIT(8) | BIT(11) | BIT(14) | BIT(15) | \
			 BIT(18) | BIT(27))
#define L1_ECX_X2APIC		BIT(21)
#define L6_EAX_ARAT		BIT(2)
#define L1_ECX_TSC_DEADLINE	BIT(24)
#define L1_ECX_HYPERVISOR	BIT(31)

/*
 * Leaf 1 EDX: 7 MCE, 14 MCA (machine-check MSRs); 12 MTRR (no MTRR MSRs;
 * PAT is there); 18 PSN; 21 DS (debug store); 22 ACPI (thermal MSRs);
 * 29 TM; 31 PBE. Bit 28 HTT is set only for more than one vCPU.
 */
#define L1_EDX_CLEAR	(BIT(7) | BIT(12) | BIT(14) | BIT(18) | BIT(21) | \
			 BIT(22) | BIT(29) | BIT(31))
#define L1_EDX_HTT	BIT(28)

/*
 * Leaf 7 subleaf 0.
 * EBX: 1 IA32_TSC_ADJUST; 2 SGX; 12 RDT monitoring; 14 MPX
 * (IA32_BNDCFGS); 15 RDT allocation; 25 Processor Trace.
 * ECX: 5 WAITPKG (IA32_UMWAIT_CONTROL); 7 CET shadow stacks (CET MSRs);
 * 13 TME (IA32_TME_*); 30 SGX launch control; 31 PKS (IA32_PKRS).
 * EDX: 15 hybrid part; 18 PCONFIG; 19 architectural LBRs; 20 CET IBT;
 * 22 AMX-BF16, 24 AMX-TILE, 25 AMX-INT8 (AMX needs XFD); 26 IBRS/IBPB
 * (IA32_SPEC_CTRL, IA32_PRED_CMD); 27 STIBP; 28 L1D_FLUSH
 * (IA32_FLUSH_CMD); 29 IA32_ARCH_CAPABILITIES; 30
 * IA32_CORE_CAPABILITIES; 31 SSBD.
 */
#define L7_EBX_CLEAR	(BIT(1) | BIT(2) | BIT(12) | BIT(14) | BIT(15) | \
			 BIT(25))
#define L7_ECX_CLEAR	(BIT(5) | BIT(7) | BIT(13) | BIT(30) | BIT(31))
#define L7_EDX_CLEAR	(BIT(15) | BIT(18) | BIT(19) | BIT(20) | BIT(22) | \
			 BIT(24) | BIT(25) | BIT(26) | BIT(27) | BIT(28) | \
			 BIT(29) | BIT(30) | BIT(31))

/* Leaf 0xD subleaf 1 EAX: 3 XSAVES (IA32_XSS), 4 XFD (IA32_XFD). */
#define LD1_EAX_CLEAR	(BIT(3) | BIT(4))

/*
 * Leaf 0x80000001 ECX: 1 CmpLegacy (the topology is leaf 0xB's); 2 SVM
 * (no nested virtualization); 10 IBS; 12 SKINIT; 13 WDT; 15 LWP;
 * 22 TOPOEXT (no leaf 0x8000001E); 23, 24, 28 core, northbridge and LLC
 * performance counters; 26 data breakpoint extension; 29 MONITORX.
 */
#define LX1_ECX_CLEAR	(BIT(1) | BIT(2) | BIT(10) | BIT(12) | BIT(13) | \
			 BIT(15) | BIT(22) | BIT(23) | BIT(24) | BIT(26) | \
			 BIT(28) | BIT(29))
/* Leaf 0x80000007 EDX: only bit 8, invariant TSC, is kept. */
#define LX7_EDX_KEEP	BIT(8)

struct cpuid_out {
	struct mvm_cpuid_entry *e;
	unsigned int max, n;
};

static const struct mvm_cpuid_entry *
host_find(const struct mvm_cpuid_entry *h, unsigned int nr, uint32_t fn,
	  uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (h[i].function == fn && h[i].index == idx)
			return &h[i];
	return NULL;
}

static int emit(struct cpuid_out *o, uint32_t fn, uint32_t idx, bool sig,
		uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct mvm_cpuid_entry *e;

	if (o->n >= o->max)
		return -ENOSPC;
	e = &o->e[o->n++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = sig ? MVM_CPUID_FLAG_SIGNIFICANT_INDEX : 0;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
	return 0;
}

/* Emit the host's leaf @fn subleaf 0 as it is (zeros when absent). */
static int emit_host(struct cpuid_out *o, const struct mvm_cpuid_entry *h,
		     unsigned int nr, uint32_t fn)
{
	const struct mvm_cpuid_entry *s = host_find(h, nr, fn, 0);

	if (!s)
		return emit(o, fn, 0, false, 0, 0, 0, 0);
	return emit(o, fn, 0, false, s->eax, s->ebx, s->ecx, s->edx);
}

static unsigned int order_base2(uint32_t n)
{
	unsigned int s = 0;

	while ((1U << s) < n)
		s++;
	return s;
}

static bool vendor_is(const struct mvm_cpuid_entry *l0, const char *v)
{
	char s[12];

	memcpy(s, &l0->ebx, 4);
	memcpy(s + 4, &l0->edx, 4);
	memcpy(s + 8, &l0->ecx, 4);
	return !memcmp(s, v, 12);
}

static int build_basic(struct cpuid_out *o, const struct mvm_cpuid_entry *h,
		       unsigned int nr, const struct mvm_cpuid_config *cfg,
		       uint32_t host_max)
{
	const struct mvm_cpuid_entry *l0 = host_find(h, nr, 0, 0), *s;
	uint32_t n = cfg->nr_vcpus, id = cfg->vcpu_id;
	unsigned int shift = order_base2(n), i;
	uint32_t cores = (1U << shift) - 1, ids, mhz, eax, ebx, ecx, edx;
	int ret;

	ret = emit(o, 0, 0, false, MVM_CPUID_MAX_BASIC, l0->ebx, l0->ecx,
		   l0->edx);
	if (ret)
		return ret;

	s = host_max >= 1 ? host_find(h, nr, 1, 0) : NULL;
	eax = s ? s->eax : 0;
	ebx = s ? s->ebx : 0;
	ecx = s ? s->ecx : 0;
	edx = s ? s->edx : 0;
	ids = 1U << shift;
	ebx = (ebx & 0xffff) | (ids > 0xff ? 0xff : ids) << 16 |
	      (id > 0xff ? 0xff : id) << 24;
	ecx = (ecx & ~L1_ECX_CLEAR) | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE |
	      L1_ECX_HYPERVISOR;
	edx &= ~(L1_EDX_CLEAR | L1_EDX_HTT);
	if (n > 1)
		edx |= L1_EDX_HTT;
	ret = emit(o, 1, 0, false, eax, ebx, ecx, edx);
	if (!ret && host_max >= 2)
		ret = emit_host(o, h, nr, 2);
	if (ret)
		return ret;

	/* Leaf 4, every subleaf the host gave, in its order. */
	for (i = 0; host_max >= 4 && i < nr; i++) {
		uint32_t level, share;

		if (h[i].function != 4)
			continue;
		eax = h[i].eax;
		if (eax & 0x1f) {	/* a cache: type != 0 */
			level = (eax >> 5) & 7;
			share = level <= 2 ? 0 : cores;
			if (share > 0xfff)
				share = 0xfff;
			eax = (eax & 0x3fff) | share << 14 |
			      (cores > 0x3f ? 0x3f : cores) << 26;
		}
		ret = emit(o, 4, h[i].index, true, eax, h[i].ebx, h[i].ecx,
			   h[i].edx);
		if (ret)
			return ret;
	}

	/* Leaf 6: only ARAT, the APIC timer runs in every C-state (mvm.ko's
	 * is an hrtimer), so the guest needs no other clock event device. */
	ret = emit(o, 6, 0, false, L6_EAX_ARAT, 0, 0, 0);
	if (ret)
		return ret;

	if (host_max >= 7) {
		s = host_find(h, nr, 7, 0);
		if (s) {
			uint32_t max_sub = s->eax > 1 ? 1 : s->eax;

			ret = emit(o, 7, 0, true, max_sub,
				   s->ebx & ~L7_EBX_CLEAR,
				   s->ecx & ~L7_ECX_CLEAR,
				   s->edx & ~L7_EDX_CLEAR);
			if (ret)
				return ret;
			s = max_sub ? host_find(h, nr, 7, 1) : NULL;
			if (s) {
				ret = emit(o, 7, 1, true, s->eax, s->ebx,
					   s->ecx, s->edx);
				if (ret)
					return ret;
			}
		}
	}

	/* Extended topology (SDM Vol. 2A, CPUID leaf 0BH). */
	ret = emit(o, 0xb, 0, true, 0, 1, 1U << 8 | 0, id);
	if (!ret)
		ret = emit(o, 0xb, 1, true, shift, n, 2U << 8 | 1, id);
	if (!ret)
		ret = emit(o, 0xb, 2, true, 0, 0, 2, id);
	if (ret)
		return ret;

	for (i = 0; host_max >= 0xd && i < nr; i++) {
		if (h[i].function != 0xd)
			continue;
		eax = h[i].eax;
		ecx = h[i].ecx;
		edx = h[i].edx;
		if (h[i].index == 1) {
			eax &= ~LD1_EAX_CLEAR;
			ecx = edx = 0;
		}
		ret = emit(o, 0xd, h[i].index, true, eax, h[i].ebx, ecx, edx);
		if (ret)
			return ret;
	}

	mhz = (cfg->tsc_khz + 500) / 1000;
	ret = emit(o, 0x15, 0, false, 1, mhz, MVM_CPUID_CRYSTAL_HZ, 0);
	if (!ret)
		ret = emit(o, 0x16, 0, false, mhz, mhz, 0, 0);
	return ret;
}

static int build_ext(struct cpuid_out *o, const struct mvm_cpuid_entry *h,
		     unsigned int nr, const struct mvm_cpuid_config *cfg,
		     bool amd)
{
	const struct mvm_cpuid_entry *s = host_find(h, nr, 0x80000000, 0);
	uint32_t max = s ? s->eax : 0, fn;
	unsigned int shift = order_base2(cfg->nr_vcpus);
	int ret;

	if (max < 0x80000000 || max > 0x8fffffff) {
		/* No extended leaves: say so, and nothing else. */
		return emit(o, 0x80000000, 0, false, 0x80000000, 0, 0, 0);
	}
	if (max > MVM_CPUID_MAX_EXT)
		max = MVM_CPUID_MAX_EXT;
	ret = emit(o, 0x80000000, 0, false, max, s->ebx, s->ecx, s->edx);

	for (fn = 0x80000001; !ret && fn <= max; fn++) {
		static const struct mvm_cpuid_entry zero;
		const struct mvm_cpuid_entry *e = host_find(h, nr, fn, 0);

		if (!e)
			e = &zero;
		switch (fn) {
		case 0x80000001:
			ret = emit(o, fn, 0, false, e->eax, e->ebx,
				   e->ecx & ~LX1_ECX_CLEAR, e->edx);
			break;
		case 0x80000007:
			ret = emit(o, fn, 0, false, 0, 0, 0,
				   e->edx & LX7_EDX_KEEP);
			break;
		case 0x80000008:
			ret = emit(o, fn, 0, false, e->eax, 0,
				   amd ? shift << 12 | (cfg->nr_vcpus - 1) : 0,
				   0);
			break;
		default:
			ret = emit(o, fn, 0, false, e->eax, e->ebx, e->ecx,
				   e->edx);
			break;
		}
	}
	return ret;
}

int mvm_cpuid_build(const struct mvm_cpuid_entry *host, unsigned int nr_host,
		    const struct mvm_cpuid_config *cfg,
		    struct mvm_cpuid_entry *out, unsigned int max_out,
		    unsigned int *nr_out)
{
	struct cpuid_out o = { .e = out, .max = max_out };
	const struct mvm_cpuid_entry *l0;
	uint32_t sig[3];
	bool amd;
	int ret;

	if (!host || !cfg || !out || !nr_out)
		return -EINVAL;
	if (!cfg->nr_vcpus || cfg->nr_vcpus > MVM_CPUID_MAX_VCPUS ||
	    cfg->vcpu_id >= cfg->nr_vcpus || cfg->tsc_khz < 1000)
		return -EINVAL;
	l0 = host_find(host, nr_host, 0, 0);
	if (!l0)
		return -EINVAL;
	amd = vendor_is(l0, "AuthenticAMD") || vendor_is(l0, "HygonGenuine");

	ret = build_basic(&o, host, nr_host, cfg, l0->eax);
	if (ret)
		return ret;

	memcpy(sig, MVM_CPUID_SIGNATURE, sizeof(sig));
	ret = emit(&o, 0x40000000, 0, false, MVM_CPUID_HV_MAX_LEAF, sig[0],
		   sig[1], sig[2]);
	if (!ret)
		ret = emit(&o, 0x40000010, 0, false, cfg->tsc_khz,
			   MVM_CPUID_CRYSTAL_HZ / 1000, 0, 0);
	if (!ret)
		ret = build_ext(&o, host, nr_host, cfg, amd);
	if (ret)
		return ret;
	*nr_out = o.n;
	return 0;
}
