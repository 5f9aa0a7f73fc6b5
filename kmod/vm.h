/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMs and vCPUs: the backend-independent objects behind VM and vCPU fds,
 * and the operations a hardware backend (kmod/vmx/, later kmod/svm/)
 * provides for them.
 *
 * Lifetimes: a VM fd holds one reference on its struct mvm_vm, and every
 * vCPU holds another, so a VM lives until its fd and all its vCPU fds are
 * closed. A vCPU lives until its fd is closed; an ioctl in progress keeps
 * the fd, and so the vCPU, alive.
 *
 * Locking:
 *  - vm->lock (mutex) guards the memory slots, the vCPU table and the
 *    backend's second-level page tables; it may be held while pinning
 *    pages (it sleeps).
 *  - vcpu->mutex serialises the ioctls of one vCPU.
 *  - Statistics are atomic64 and need no lock.
 */
#ifndef MVM_KMOD_VM_H
#define MVM_KMOD_VM_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include <linux/mvm.h>

#include "lapic.h"

#define MVM_MAX_MEMSLOTS	32
#define MVM_MAX_VCPUS		64
#define MVM_MAX_CPUID_ENTRIES	256
#define MVM_MAX_MSRS_PER_CALL	256

struct mvm_vm;
struct mvm_vcpu;
struct mvm_ioapic;
struct mvm_eventfds;
struct mvm_lapic;

/* One guest-physical region backed by caller memory. */
struct mvm_memslot {
	u64 gpa;
	u64 size;		/* 0: slot unused */
	u64 uaddr;
	u32 flags;		/* MVM_MEM_* */
};

/* Guest general registers, in the order the entry code saves them. */
enum mvm_gpr {
	MVM_RAX, MVM_RCX, MVM_RDX, MVM_RBX, MVM_RSP, MVM_RBP, MVM_RSI,
	MVM_RDI, MVM_R8, MVM_R9, MVM_R10, MVM_R11, MVM_R12, MVM_R13,
	MVM_R14, MVM_R15, MVM_NR_GPRS
};

/*
 * struct mvm_backend_ops - what a hardware backend implements.
 *
 * All are called in process context with the locks their comment names.
 */
struct mvm_backend_ops {
	/* Set up / tear down the VM's hardware state (page tables). */
	int (*vm_init)(struct mvm_vm *vm);
	void (*vm_destroy)(struct mvm_vm *vm);
	/* Unmap (and unpin) guest-physical [gpa, gpa+size); vm->lock held. */
	void (*vm_unmap)(struct mvm_vm *vm, u64 gpa, u64 size);
	/* Set up / tear down a vCPU (its VMCS or VMCB); vm->lock held. */
	int (*vcpu_init)(struct mvm_vcpu *vcpu);
	void (*vcpu_destroy)(struct mvm_vcpu *vcpu);
	/* The vCPU ioctls; vcpu->mutex held. */
	int (*vcpu_run)(struct mvm_vcpu *vcpu);
	void (*get_regs)(struct mvm_vcpu *vcpu, struct mvm_regs *regs);
	int (*set_regs)(struct mvm_vcpu *vcpu, const struct mvm_regs *regs);
	void (*get_sregs)(struct mvm_vcpu *vcpu, struct mvm_sregs *sregs);
	int (*set_sregs)(struct mvm_vcpu *vcpu, const struct mvm_sregs *sregs);
	/* 0, or -ENOENT for an MSR the vCPU lacks, -EINVAL for a value. */
	int (*get_msr)(struct mvm_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct mvm_vcpu *vcpu, u32 index, u64 data);
	int (*get_fpu)(struct mvm_vcpu *vcpu, void *xsave, u64 *xcr0);
	int (*set_fpu)(struct mvm_vcpu *vcpu, const void *xsave, u64 xcr0);
};

struct mvm_vm {
	struct kref ref;
	struct mutex lock;
	struct mm_struct *mm;		/* owner's mm, for pin accounting */
	const struct mvm_backend_ops *ops;
	void *backend;			/* backend's per-VM state */
	struct mvm_memslot slots[MVM_MAX_MEMSLOTS];
	/* Written under @lock; read under RCU by interrupt senders (a
	 * vCPU is freed after a grace period). */
	struct mvm_vcpu __rcu *vcpus[MVM_MAX_VCPUS];
	unsigned int nr_vcpus;
	u32 id;				/* for tracepoints */

	struct mvm_ioapic *ioapic;	/* ioapic.c */
	struct mvm_eventfds *eventfds;	/* eventfd.c */
	/* Guest TSC = host TSC + tsc_offset, for every vCPU; written under
	 * vm->lock, read with READ_ONCE at each entry. */
	s64 tsc_offset;
	atomic_t tsc_gen;		/* bumped by MVM_SET_TSC */

	/* Statistics (struct mvm_vm_stats). */
	atomic64_t exits[MVM_STAT_EXIT_NR];
	atomic64_t exits_to_user;
	atomic64_t kernel_bytes;
	atomic64_t pinned_pages;
	atomic64_t irqs_injected;
	atomic64_t halts;
	atomic64_t marks;
	atomic64_t last_mark;
	atomic64_t last_mark_ns;
	atomic64_t last_mark_host_tsc;
};

struct mvm_vcpu {
	struct mvm_vm *vm;
	struct mutex mutex;
	u32 id;
	struct mvm_run *run;		/* the shared run page */
	u64 gprs[MVM_NR_GPRS];		/* guest GPRs while not in guest */

	/* CPUID table set by userspace, sorted as given. */
	struct mvm_cpuid_entry *cpuid;
	u32 cpuid_nent;

	void *backend;			/* backend's per-vCPU state */
	struct mvm_lapic lapic;		/* lapic.c */
	struct rcu_head rcu;
};

/*
 * mvm_vm_create() - create a VM and return a new fd for it.
 * @flags: struct mvm_create_vm's flags, already validated.
 *
 * Return: the fd; -EMFILE when this process has too many VMs; -ENOMEM;
 * -EOPNOTSUPP when the backend cannot run guests.
 */
int mvm_vm_create(u32 flags);

/* The current limit of VMs per process (module parameter). */
unsigned int mvm_max_vms_per_process(void);

/* Take / drop a reference on @vm; the last put frees it. */
void mvm_vm_get(struct mvm_vm *vm);
void mvm_vm_put(struct mvm_vm *vm);

/*
 * mvm_vm_find_slot() - the slot containing guest-physical @gpa, or NULL.
 * Context: vm->lock held (or the slots otherwise stable).
 */
struct mvm_memslot *mvm_vm_find_slot(struct mvm_vm *vm, u64 gpa);

/*
 * mvm_vm_read_gpa() / mvm_vm_write_gpa() - copy guest-physical memory
 * through the owner's mapping of it.
 *
 * The range may span slots. Return: 0; -ENOENT when some byte is not in
 * RAM (MMIO); -EFAULT when the backing is not mapped; -EROFS when writing
 * a read-only slot. Context: process context of the VM's owner (it uses
 * copy_{from,to}_user); takes vm->lock.
 */
int mvm_vm_read_gpa(struct mvm_vm *vm, u64 gpa, void *buf, size_t len);
int mvm_vm_write_gpa(struct mvm_vm *vm, u64 gpa, const void *buf,
		     size_t len);

/*
 * mvm_account_bytes() - charge (or, negative, refund) kernel memory to
 * @vm and to the module-wide counter shown as the kernel_bytes parameter.
 */
void mvm_account_bytes(struct mvm_vm *vm, long bytes);

/* Module-wide counters, exported read-only as module parameters. */
extern atomic64_t mvm_total_kernel_bytes;
extern atomic64_t mvm_total_pinned_pages;

/*
 * mvm_vcpu_create() - create vCPU @id of @vm and return a new fd for it.
 * @flags: MVM_VCPU_*, already validated.
 * Return: the fd; -EINVAL for an id out of range; -EEXIST when taken;
 * -ENOMEM.
 */
int mvm_vcpu_create(struct mvm_vm *vm, u32 id, u32 flags);

/*
 * mvm_vm_vcpu() - vCPU @id of @vm, or NULL. Context: vm->lock held or
 * under rcu_read_lock().
 */
static inline struct mvm_vcpu *mvm_vm_vcpu(struct mvm_vm *vm, u32 id)
{
	if (id >= MVM_MAX_VCPUS)
		return NULL;
	id = array_index_nospec(id, MVM_MAX_VCPUS);
	return rcu_dereference_check(vm->vcpus[id], lockdep_is_held(&vm->lock));
}

/*
 * mvm_vm_guest_mark() - the guest wrote @value to the boot-milestone
 * port: count it, record when, fire mvm:guest_mark. Any context.
 */
void mvm_vm_guest_mark(struct mvm_vcpu *vcpu, u64 value);

/* Kernel bytes one vCPU costs (struct, run page, backend state). */
u64 mvm_vcpu_kernel_bytes(void);

/* XCR0 bits a guest may enable (the backend's choice, fixed at load). */
u64 mvm_guest_xcr0_allowed(void);
/* Size of the standard-format XSAVE area for @xcr0 (SDM Vol. 1 13.4),
 * from the host's CPUID leaf 0xD. */
u32 mvm_xsave_size_for(u64 xcr0);

/*
 * mvm_cpuid_lookup() - the entry the guest sees for leaf @fn, subleaf
 * @idx, with mvm's policy applied (no VMX/SVM, hypervisor bit set).
 * Leaves absent from the table read as zeros.
 * @cr4_osxsave: the guest's CR4.OSXSAVE, reflected in leaf 1.
 * @xcr0:        the guest's XCR0, for the XSAVE size of leaf 0xD.
 * XSAVE features the backend does not switch (mvm_guest_xcr0_allowed())
 * are hidden, with the instructions that need them.
 */
void mvm_cpuid_lookup(struct mvm_vcpu *vcpu, u32 fn, u32 idx,
		      bool cr4_osxsave, u64 xcr0, u32 *eax, u32 *ebx,
		      u32 *ecx, u32 *edx);

/* Set and get the CPUID table; vcpu->mutex held. */
int mvm_cpuid_set(struct mvm_vcpu *vcpu, const struct mvm_cpuid *arg);
int mvm_cpuid_get(struct mvm_vcpu *vcpu, struct mvm_cpuid *arg,
		  struct mvm_cpuid __user *uarg);

/* The VMX backend (kmod/vmx/): its operations, its setup at module load
 * (0 or a negative errno, logged), and sizes the core reports. */
extern const struct mvm_backend_ops mvm_vmx_ops;
int mvm_vmx_init(void);
void mvm_vmx_exit(void);
u64 mvm_vmx_vcpu_bytes(void);
u32 mvm_vmx_xsave_size(void);

#endif /* MVM_KMOD_VM_H */
