/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX backend's internal interfaces: the VMCS configuration read from
 * the capability MSRs, per-CPU VMX state, and per-VM / per-vCPU state.
 */
#ifndef MVM_VMX_H
#define MVM_VMX_H

#include <linux/list.h>
#include <linux/types.h>

#include "../vm.h"
#include "../x86/decode.h"

/*
 * struct vmcs_config - controls and limits for every VMCS, computed once
 * at load from the capability MSRs (SDM Vol. 3D appendix A) and read-only
 * afterwards.
 */
struct vmcs_config {
	u32 revision_id;
	u32 vmcs_size;
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool vpid;		/* VPID with single-context INVVPID */
	bool invept_single;	/* single-context INVEPT */
	bool invept_all;	/* all-context INVEPT */
	bool inout_info;	/* INS/OUTS exits report their operands */
	u32 xsave_size;		/* guest XSAVE area, standard format */
	u32 preemption_ticks;	/* preemption timer per entry, or 0 */
	bool xsave;		/* the host kernel uses XSAVE (and XCR0) */
	u64 xcr0_allowed;	/* XCR0 bits a guest may set */
};

extern struct vmcs_config vmcs_config;

/*
 * CR4 bits a guest may never set: VMX and SMX, features whose state mvm
 * does not switch (protection keys, CET), and OSXSAVE when the host kernel
 * runs without XSAVE (then XCR0 cannot be switched).
 */
unsigned long vmx_cr4_never(void);

/* Would XSETBV accept @xcr0 from this guest (SDM Vol. 1 13.3)? */
bool vmx_xcr0_valid(u64 xcr0);

/* Compute vmcs_config; 0 or -EOPNOTSUPP after logging what is missing. */
int vmx_setup_vmcs_config(void);

/* VMX on every CPU (cpu.c). Return 0, -EBUSY if another hypervisor holds
 * VMX, -EIO or -ENOMEM. */
int vmx_cpus_enable(void);
void vmx_cpus_disable(void);

/* A VMCS region: revision id, abort indicator, data (SDM Vol. 3C 25.2). */
struct vmcs {
	u32 revision_id;
	u32 abort;
	char data[];
};

/* Allocate / free a zeroed VMCS (or VMXON) region stamped with the
 * revision id. */
struct vmcs *vmx_alloc_vmcs(int node);
void vmx_free_vmcs(struct vmcs *vmcs);

struct vmx_vm {
	u64 *ept_root;		/* PML4 table */
	u64 eptp;
	u64 ept_table_pages;	/* paging-structure pages, root included */
};

/* What userspace must complete before the guest runs again. */
enum vmx_pending {
	VMX_PENDING_NONE,
	VMX_PENDING_IO_IN,	/* copy run->io data into RAX or memory */
	VMX_PENDING_IO_OUT,	/* only advance RIP (or the string) */
	VMX_PENDING_MMIO_LOAD,	/* write run->mmio.data to a register */
	VMX_PENDING_MMIO_STORE,	/* only advance RIP */
};

struct vmx_vcpu {
	struct mvm_vcpu *vcpu;
	struct vmcs *vmcs;
	u64 vmcs_pa;
	int cpu;		/* where the VMCS is active, or -1 */
	bool launched;
	struct list_head loaded_node;	/* on the per-CPU list of @cpu */
	u16 vpid;

	/* Mirrors of VMCS state that is read or written often. */
	u64 rip, rflags;	/* RSP is in vcpu->gprs[MVM_RSP] */
	bool regs_dirty;	/* rip/rsp/rflags to be written back */
	bool clear_intr_shadow;	/* an instruction was skipped */
	bool long_mode;		/* the guest is in IA-32e mode */
	u64 pdptes[4];		/* to load at the next entry ... */
	bool load_pdptes;	/* ... when set */
	u64 cr2;
	u64 dr[4], dr6, dr7;	/* virtual debug registers */
	s64 tsc_offset;		/* the VM's, as last written to the VMCS */
	bool intr_window;	/* interrupt-window exiting is on */
	bool halted;		/* HLT with IF=1: sleep before the next entry */
	bool parked;		/* HLT with IF=0 went to userspace: the next
				 * RUN waits for INIT (SET_REGS/SREGS clear) */
	int injected;		/* vector injected at this entry, or -1 */

	/* Host values cached in the VMCS, to skip redundant writes. */
	unsigned long host_cr3, host_cr4, host_fs_base;

	/* MSRs that the VMCS does not switch, swapped around guest runs. */
	u64 kernel_gs_base, star, lstar, cstar, sfmask, tsc_aux;

	/* FPU: XCR0 and the XSAVE area of the guest. */
	u64 xcr0;		/* loaded only around VM entry */
	void *xsave;

	/* The last exit, saved while the VMCS was current. */
	u32 exit_reason;
	u64 exit_qual;
	u64 exit_gpa;
	u32 exit_insn_len;
	u32 exit_insn_info;
	u32 exit_intr_info;
	u32 idt_vectoring;
	u32 idt_vectoring_code;

	/* Guest state an exit needs after the VMCS is no longer current. */
	struct {
		u64 cr0, cr3, cr4, efer, cs_base, seg_base;
		u32 cs_ar, ss_ar;
	} snap;

	/* An exit to userspace awaiting completion. */
	enum vmx_pending pending;
	struct x86_insn insn;	/* for MMIO */
	u32 io_count;		/* string I/O items in the run page */
	bool io_string;
	/* The I/O exit as the kernel saw it: never re-read from the run
	 * page, which userspace (or a racing thread) may rewrite. */
	u8 io_size;
	bool io_in;

	/* An exception to inject at the next entry (vector, code). */
	bool inject;
	u8 inject_vector;
	bool inject_has_code;
	u32 inject_code;
};

static inline struct vmx_vcpu *to_vmx(struct mvm_vcpu *vcpu)
{
	return vcpu->backend;
}

static inline struct vmx_vm *to_vmx_vm(struct mvm_vm *vm)
{
	return vm->backend;
}

/* Per-CPU VMCS tracking (cpu.c). */
void vmx_vcpu_load(struct vmx_vcpu *vmx);	/* preemption disabled */
void vmx_vcpu_clear(struct vmx_vcpu *vmx);	/* process context */
/* INVEPT @eptp on every CPU and wait; process context. */
void vmx_flush_ept_all_cpus(u64 eptp);

/* EPT (ept.c); vm->lock held unless said otherwise. */
int vmx_ept_init(struct mvm_vm *vm);
void vmx_ept_destroy(struct mvm_vm *vm);
void vmx_ept_unmap(struct mvm_vm *vm, u64 gpa, u64 size);
/* Map the page of @gpa from @slot; 0, -EFAULT or -ENOMEM. */
int vmx_ept_map(struct mvm_vm *vm, struct mvm_memslot *slot, u64 gpa,
		bool write);

/* VMCS setup (vmcs.c). */
void vmx_vmcs_setup(struct vmx_vcpu *vmx);
void vmx_vmcs_set_host_cpu_state(void);	/* the per-CPU host fields */
void vmx_vmcs_reset_guest(struct vmx_vcpu *vmx);

/* Exit handling (exits.c). */
enum vmx_exit_result {
	VMX_EXIT_RESUME,	/* handled: enter the guest again */
	VMX_EXIT_USER,		/* run->exit_reason set: return to userspace */
	VMX_EXIT_SLOW,		/* needs process context: see handle_slow */
};
int vmx_handle_exit(struct vmx_vcpu *vmx);
/* With preemption enabled, for VMX_EXIT_SLOW; returns the same values
 * (never SLOW) or a negative errno for RUN. */
int vmx_handle_exit_slow(struct vmx_vcpu *vmx);
/* Complete a pending exit to userspace; negative errno on bad state. */
int vmx_complete_pending(struct vmx_vcpu *vmx);
/* Finish the MMIO instruction in vmx->insn; @v is a load's value. */
void vmx_complete_mmio(struct vmx_vcpu *vmx, u64 v);
void vmx_queue_exception(struct vmx_vcpu *vmx, u8 vector, bool has_code,
			 u32 code);
void vmx_skip_instruction(struct vmx_vcpu *vmx, u32 len);
/* Fill the run page with an internal-error exit (and the instruction's
 * bytes, when given); returns VMX_EXIT_USER. */
int vmx_exit_internal(struct vmx_vcpu *vmx, u32 suberror, const u8 *insn,
		      unsigned int len);

/* Not hardware reasons: the slow path loads PAE PDPTEs ... */
#define MVMX_EXIT_PDPTE_LOAD	0xffff0001u

/* The run loop (run.c). */
int vmx_vcpu_run(struct mvm_vcpu *vcpu);

/* Entry code (vmenter.S): 0 after a VM exit, 1 if VMLAUNCH/VMRESUME
 * failed (VMfail; VM_INSTRUCTION_ERROR tells why). */
int mvm_vmx_enter(u64 *gprs, bool launched);

/* Objects (vmx.c). */
int vmx_vm_init(struct mvm_vm *vm);
void vmx_vm_destroy(struct mvm_vm *vm);
int vmx_vcpu_init(struct mvm_vcpu *vcpu);
void vmx_vcpu_destroy(struct mvm_vcpu *vcpu);
/* MXCSR bits XRSTOR accepts (from FXSAVE's MXCSR_MASK). */
extern u32 mvm_vmx_mxcsr_mask;

/* Register access (regs.c). */
extern const struct mvm_backend_ops mvm_vmx_ops;
unsigned long vmx_guest_cr0(void);	/* as the guest sees it */
unsigned long vmx_guest_cr4(void);

/* MSR bitmap shared by all vCPUs (msr.c). */
extern unsigned long *vmx_msr_bitmap;
int vmx_msr_bitmap_init(void);
void vmx_msr_bitmap_free(void);
int vmx_guest_rdmsr(struct vmx_vcpu *vmx, u32 index, u64 *data);
int vmx_guest_wrmsr(struct vmx_vcpu *vmx, u32 index, u64 data);

#endif /* MVM_VMX_H */
