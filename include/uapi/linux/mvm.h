/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mvm: the /dev/mvm ABI, the one contract between mvm.ko and userspace.
 *
 * Rules that let this ABI grow without a second version:
 *  - only fixed-width types, every struct naturally aligned and padded by
 *    hand, so 32- and 64-bit callers see the same layout;
 *  - every struct carries a flags word and reserved space; the kernel
 *    rejects unknown flags and non-zero reserved fields with -EINVAL;
 *  - features are discovered with MVM_CHECK_CAP, never assumed from the
 *    API version.
 *
 * Documentation/uapi.rst lists every ioctl with its errnos.
 */
#ifndef _UAPI_LINUX_MVM_H
#define _UAPI_LINUX_MVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Returned by MVM_GET_API_VERSION; bumped only for incompatible changes. */
#define MVM_API_VERSION		1

/* ioctl type byte of every mvm ioctl (unassigned in ioctl-number.rst). */
#define MVMIO			0xB8

/*
 * MVM_CHECK_CAP: query one capability.
 *
 * @cap:      in, one of MVM_CAP_*.
 * @flags:    in, must be 0.
 * @value:    out, the capability's value; 0 means "not supported", and a
 *            capability this module does not know also reads as 0, so
 *            newer userspace can probe an older module.
 * @reserved: must be 0.
 */
struct mvm_check_cap {
	__u32 cap;
	__u32 flags;
	__u64 value;
	__u64 reserved[2];
};

/* Which hardware backend drives guests; value is one of MVM_BACKEND_*. */
#define MVM_CAP_BACKEND			0
/* Hardware features found at load; value is a mask of MVM_HW_*. */
#define MVM_CAP_HW_FEATURES		1
/* 1 when MVM_CREATE_VM works on this host (the backend can run guests). */
#define MVM_CAP_VM			2
/* Size in bytes of the vCPU run page to mmap (struct mvm_run). */
#define MVM_CAP_RUN_SIZE		3
/* Most memory regions per VM; slots are 0 .. value-1. */
#define MVM_CAP_MAX_MEMORY_REGIONS	4
/* Most vCPUs per VM; vCPU ids are 0 .. value-1. */
#define MVM_CAP_MAX_VCPUS		5
/* Most VMs one process may hold open at a time. */
#define MVM_CAP_MAX_VMS_PER_PROCESS	6
/* Most entries of a CPUID table (MVM_SET_CPUID). */
#define MVM_CAP_MAX_CPUID_ENTRIES	7
/* Size in bytes of the XSAVE area of MVM_GET_FPU / MVM_SET_FPU. */
#define MVM_CAP_XSAVE_SIZE		8
/*
 * The in-kernel interrupt controllers: every vCPU has an x2APIC (with the
 * TSC-deadline timer) and every VM an IOAPIC at MVM_IOAPIC_ADDR; the
 * value is the number of IOAPIC pins (GSIs 0 .. value-1).
 */
#define MVM_CAP_IRQCHIP			9
/* The guest boot-milestone port (MVM_GUEST_MARK_PORT), or 0. */
#define MVM_CAP_GUEST_MARK		10
/* Most irqfds, and most ioeventfds, per VM. */
#define MVM_CAP_MAX_IRQFDS		11
#define MVM_CAP_MAX_IOEVENTFDS		12
/* The host's TSC frequency in kHz (what a guest's CPUID should report). */
#define MVM_CAP_TSC_KHZ			13

#define MVM_BACKEND_NONE		0
#define MVM_BACKEND_VMX			1	/* Intel VT-x */
#define MVM_BACKEND_SVM			2	/* AMD-V */

/* Second-level address translation: EPT (VMX) or nested paging (SVM). */
#define MVM_HW_TDP			(1ULL << 0)
/* Guest may run with paging or protection off (VMX unrestricted guest;
 * always true of SVM). */
#define MVM_HW_UNRESTRICTED_GUEST	(1ULL << 1)
/* Tagged TLB: VPID (VMX) or ASIDs (SVM). */
#define MVM_HW_TAGGED_TLB		(1ULL << 2)
/* EPT accessed/dirty bits (VMX) usable for dirty logging. */
#define MVM_HW_TDP_AD			(1ULL << 3)
/* VMX-preemption timer. */
#define MVM_HW_PREEMPTION_TIMER		(1ULL << 4)
/* Hardware-saved next RIP on intercepts (SVM NRIP_SAVE). */
#define MVM_HW_NRIP_SAVE		(1ULL << 5)
/* Hardware decode assists for intercepted instructions (SVM). */
#define MVM_HW_DECODE_ASSISTS		(1ULL << 6)
/* TSC scaling. */
#define MVM_HW_TSC_SCALING		(1ULL << 7)

/*
 * MVM_CREATE_VM: create a VM; returns its fd (O_CLOEXEC).
 * @flags:    must be 0.
 * @reserved: must be 0.
 */
struct mvm_create_vm {
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[3];
};

/*
 * MVM_SET_MEMORY_REGION: map caller memory into guest-physical space.
 *
 * @slot:            0 .. MVM_CAP_MAX_MEMORY_REGIONS-1.
 * @flags:           MVM_MEM_* .
 * @guest_phys_addr: page aligned.
 * @size:            page aligned; 0 deletes the slot.
 * @userspace_addr:  page aligned start of the backing memory (anonymous,
 *                   memfd or file mapping) in the caller's address space.
 * @reserved:        must be 0.
 *
 * A used slot must be deleted before it is set again. Regions never
 * overlap. Pages are pinned as the guest first touches them and unpinned
 * when the region is deleted or the VM destroyed; they count against
 * RLIMIT_MEMLOCK.
 */
struct mvm_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 size;
	__u64 userspace_addr;
	__u64 reserved[4];
};

/* Guest writes to the region exit as MMIO writes; reads and fetches work. */
#define MVM_MEM_READONLY	(1U << 0)

/*
 * MVM_CREATE_VCPU: create a vCPU; returns its fd (O_CLOEXEC).
 * @id:       0 .. MVM_CAP_MAX_VCPUS-1, unique in the VM; also the vCPU's
 *            x2APIC ID.
 * @flags:    MVM_VCPU_* .
 * @reserved: must be 0.
 */
struct mvm_create_vcpu {
	__u32 id;
	__u32 flags;
	__u64 reserved[3];
};

/*
 * The vCPU is an application processor: it starts in the wait-for-SIPI
 * state, and MVM_RUN sleeps until another vCPU sends it INIT and a
 * STARTUP IPI, then runs from the SIPI vector in real mode.
 */
#define MVM_VCPU_AP		(1U << 0)

/* The IOAPIC's MMIO page (82093AA layout: IOREGSEL at +0, IOWIN at +0x10,
 * EOI at +0x40), and how many pins it has. */
#define MVM_IOAPIC_ADDR		0xfec00000ULL
#define MVM_IOAPIC_PINS		24

/*
 * The boot-milestone port. A 32-bit OUT of a value to it fires the
 * tracepoint mvm:guest_mark(vm, vcpu, value) and is recorded in
 * struct mvm_vm_stats (count, last value, when); it never exits to
 * userspace, and IN from it reads 0.
 */
#define MVM_GUEST_MARK_PORT	0x0440

/*
 * The x2APIC timer counts at 1 MHz before its divider in one-shot and
 * periodic modes: a guest learns it as CPUID 0x15's crystal clock.
 * The TSC-deadline mode counts in guest TSC ticks.
 */
#define MVM_APIC_TIMER_KHZ	1000

/*
 * MVM_IRQ_LINE: drive IOAPIC pin @gsi to the electrical @level (0 or 1).
 * The pin is asserted at 1 when its redirection entry says active high
 * (the MP table's ISA default), at 0 when active low. An edge-triggered
 * pin interrupts when it becomes asserted; a level-triggered one while
 * it stays asserted, again after each EOI.
 */
struct mvm_irq_level {
	__u32 gsi;
	__u32 level;
	__u32 flags;		/* must be 0 */
	__u32 reserved0;
	__u64 reserved[2];
};

/*
 * MVM_SIGNAL_MSI: deliver a message-signalled interrupt as a device's
 * write of @data to @address (0xfeeXXXXX, Intel SDM Vol. 3A 11.11).
 * Returns the number of vCPUs it reached (0 when none matched).
 */
struct mvm_msi {
	__u64 address;
	__u32 data;
	__u32 flags;		/* must be 0 */
	__u64 reserved[2];
};

/*
 * MVM_IRQFD: each write to eventfd @fd pulses IOAPIC pin @gsi (0 then 1
 * then 0: one edge), without a system call into mvm. With
 * MVM_IRQFD_DEASSIGN the (@fd, @gsi) pair is removed instead. Closing the
 * eventfd also removes it.
 */
struct mvm_irqfd {
	__s32 fd;
	__u32 gsi;
	__u32 flags;		/* MVM_IRQFD_* */
	__u32 reserved0;
	__u64 reserved[2];
};

#define MVM_IRQFD_DEASSIGN	(1U << 0)

/*
 * MVM_IOEVENTFD: a guest write of @len bytes to @addr (guest-physical, or
 * a port with MVM_IOEVENTFD_PIO) signals eventfd @fd and completes in the
 * kernel, without an exit. With MVM_IOEVENTFD_DATAMATCH only a write of
 * the value @datamatch does. @len is 1, 2, 4 or 8 (not 8 for ports).
 * With MVM_IOEVENTFD_DEASSIGN the matching registration is removed.
 * Registrations may not overlap in (addr, len, datamatch).
 */
struct mvm_ioeventfd {
	__u64 addr;
	__u64 datamatch;
	__u32 len;
	__s32 fd;
	__u32 flags;		/* MVM_IOEVENTFD_* */
	__u32 reserved0;
	__u64 reserved[2];
};

#define MVM_IOEVENTFD_PIO	(1U << 0)
#define MVM_IOEVENTFD_DATAMATCH	(1U << 1)
#define MVM_IOEVENTFD_DEASSIGN	(1U << 2)

/*
 * MVM_GET_TSC / MVM_SET_TSC: the VM's time-stamp counter, one offset
 * shared by all its vCPUs so that their TSCs agree. A new VM's TSC starts
 * at 0. GET returns the guest's TSC and the host's (@host_tsc) at the
 * same instant; SET makes the guest's TSC read @guest_tsc now and
 * ignores @host_tsc.
 */
struct mvm_tsc {
	__u64 guest_tsc;
	__u64 host_tsc;
	__u32 flags;		/* must be 0 */
	__u32 reserved0;
	__u64 reserved[2];
};

/* Exit reasons counted in struct mvm_vm_stats.exits (and mvm:exit). */
#define MVM_STAT_EXIT_IO		0
#define MVM_STAT_EXIT_MMIO		1
#define MVM_STAT_EXIT_HLT		2
#define MVM_STAT_EXIT_CPUID		3
#define MVM_STAT_EXIT_MSR		4
#define MVM_STAT_EXIT_CR		5
#define MVM_STAT_EXIT_EPT_FAULT		6	/* page faulted in, no exit to user */
#define MVM_STAT_EXIT_EXTINT		7	/* host interrupt */
#define MVM_STAT_EXIT_OTHER		8
#define MVM_STAT_EXIT_PREEMPT		9	/* time slice ended */
#define MVM_STAT_EXIT_INTR_WINDOW	10	/* guest became interruptible */
#define MVM_STAT_EXIT_APIC		11	/* x2APIC MSRs, in the kernel */
#define MVM_STAT_EXIT_IOAPIC		12	/* IOAPIC MMIO, in the kernel */
#define MVM_STAT_EXIT_IOEVENTFD		13	/* writes signalled to an eventfd */
#define MVM_STAT_EXIT_MARK		14	/* boot-milestone port */
#define MVM_STAT_EXIT_NR		16

/*
 * MVM_GET_STATS: counters of a VM.
 * @flags:              must be 0.
 * @exits:              VM exits by MVM_STAT_EXIT_*, summed over vCPUs.
 * @exits_to_user:      RUN calls that returned to userspace with an exit.
 * @kernel_bytes:       kernel memory held by the VM, its vCPUs included.
 * @vcpu_kernel_bytes:  of which per vCPU (the same for each).
 * @pinned_pages:       guest pages currently pinned.
 * @irqs_injected:      external interrupts delivered into the guest.
 * @halts:              HLTs that slept in the kernel.
 * @marks:              writes to MVM_GUEST_MARK_PORT ...
 * @last_mark:          ... the last value written,
 * @last_mark_ns:       ... when (CLOCK_MONOTONIC, ns),
 * @last_mark_host_tsc: ... and the host's TSC then.
 * @vm_id:              the VM's id in the mvm:* tracepoints.
 */
struct mvm_vm_stats {
	__u32 flags;
	__u32 nr_vcpus;
	__u64 exits[MVM_STAT_EXIT_NR];
	__u64 exits_to_user;
	__u64 kernel_bytes;
	__u64 vcpu_kernel_bytes;
	__u64 pinned_pages;
	__u64 irqs_injected;
	__u64 halts;
	__u64 marks;
	__u64 last_mark;
	__u64 last_mark_ns;
	__u64 last_mark_host_tsc;
	__u32 vm_id;
	__u32 reserved0;
	__u64 reserved[1];
};

/* General registers (MVM_GET_REGS / MVM_SET_REGS). */
struct mvm_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
	__u32 flags;		/* must be 0 */
	__u32 reserved0;
	__u64 reserved[4];
};

/*
 * A segment register, hidden part included. @type, @s, @dpl, @present,
 * @avl, @l, @db and @g are the descriptor's fields (Intel SDM Vol. 3A
 * 3.4.5); @unusable marks a null or unusable segment.
 */
struct mvm_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type;
	__u8 s, dpl, present, avl, l, db, g, unusable;
	__u8 padding;
};

struct mvm_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

/* Special registers (MVM_GET_SREGS / MVM_SET_SREGS). */
struct mvm_sregs {
	struct mvm_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct mvm_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	__u32 flags;		/* must be 0 */
	__u32 reserved0;
	__u64 reserved[8];
};

/* One MSR of MVM_GET_MSRS / MVM_SET_MSRS. */
struct mvm_msr_entry {
	__u32 index;
	__u32 reserved;		/* must be 0 */
	__u64 data;
};

/*
 * MVM_GET_MSRS / MVM_SET_MSRS: read or write @nmsrs MSRs.
 * @entries: user pointer to an array of struct mvm_msr_entry.
 * Returns the number of MSRs processed; it stops at the first MSR that
 * the vCPU does not have or that refuses the value.
 */
struct mvm_msrs {
	__u32 nmsrs;		/* at most 256 */
	__u32 flags;		/* must be 0 */
	__u64 entries;
	__u64 reserved[2];
};

/* One CPUID leaf as the guest will see it. */
struct mvm_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;		/* MVM_CPUID_FLAG_* */
	__u32 eax, ebx, ecx, edx;
	__u32 reserved[3];
};

/* The entry depends on ECX (subleaf @index); else @index is ignored. */
#define MVM_CPUID_FLAG_SIGNIFICANT_INDEX	(1U << 0)

/*
 * MVM_SET_CPUID / MVM_GET_CPUID: the guest's CPUID table.
 * @nent:    number of entries (at most MVM_CAP_MAX_CPUID_ENTRIES). For
 *           GET: in, the room at @entries; out, the number of entries.
 * @entries: user pointer to an array of struct mvm_cpuid_entry.
 *
 * mvm applies its policy on top: VMX and SVM are never shown, the
 * hypervisor bit is always set, and OSXSAVE and the initial APIC ID
 * follow the vCPU's state.
 */
struct mvm_cpuid {
	__u32 nent;
	__u32 flags;		/* must be 0 */
	__u64 entries;
	__u64 reserved[2];
};

/*
 * MVM_GET_FPU / MVM_SET_FPU: the guest's x87/SSE/AVX state as an XSAVE
 * area (standard, non-compacted format) plus XCR0.
 * @size: bytes at @data; must be MVM_CAP_XSAVE_SIZE.
 * @data: user pointer to the XSAVE area.
 */
struct mvm_fpu {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 data;
	__u64 xcr0;
	__u64 reserved[4];
};

/* Exit reasons in struct mvm_run.exit_reason. */
#define MVM_EXIT_UNKNOWN	0
#define MVM_EXIT_IO		1	/* port I/O: run->io */
#define MVM_EXIT_MMIO		2	/* access outside RAM: run->mmio */
#define MVM_EXIT_HLT		3	/* HLT with interrupts off (RFLAGS.IF 0):
					 * nothing can wake it; a powered-off
					 * Linux ends this way */
#define MVM_EXIT_SHUTDOWN	4	/* triple fault */
#define MVM_EXIT_FAIL_ENTRY	5	/* hardware refused the guest state */
#define MVM_EXIT_INTERNAL_ERROR	6	/* run->internal */
#define MVM_EXIT_INTR		7	/* signal or immediate_exit; RUN gave -EINTR */
#define MVM_EXIT_MEMORY_FAULT	8	/* RAM backing unusable; RUN gave -EFAULT */

/* run->internal.suberror values. */
#define MVM_INTERNAL_UNKNOWN_EXIT	1	/* data[0] exit reason, [1] qualification */
#define MVM_INTERNAL_DECODE		2	/* instruction not emulated; bytes in insn */
#define MVM_INTERNAL_EMULATION		3	/* guest memory of an instruction unreadable */
#define MVM_INTERNAL_DELIVERY_EV	4	/* exit while delivering an event */

#define MVM_IO_IN	0
#define MVM_IO_OUT	1

/*
 * The run page: mmap() MVM_CAP_RUN_SIZE bytes of the vCPU fd at offset 0,
 * shared read-write with the kernel.
 */
struct mvm_run {
	/* in */
	__u8 immediate_exit;	/* RUN returns -EINTR at once while set */
	__u8 padding0[7];
	/* out */
	__u32 exit_reason;	/* MVM_EXIT_* */
	__u32 flags;		/* MVM_RUN_* */
	__u64 reserved[6];
	union {
		/*
		 * MVM_EXIT_IO: @count items of @size bytes at the run page
		 * offset @data_offset. For OUT they hold what the guest
		 * wrote; for IN userspace fills them before the next RUN.
		 */
		struct {
			__u8 direction;	/* MVM_IO_IN or MVM_IO_OUT */
			__u8 size;	/* 1, 2 or 4 */
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		/*
		 * MVM_EXIT_MMIO: @len bytes at guest-physical @phys_addr.
		 * For writes @data holds them; for reads userspace puts them
		 * in @data before the next RUN.
		 */
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 padding[3];
		} mmio;
		/* MVM_EXIT_HLT: guest RFLAGS.IF at the HLT. */
		struct {
			__u8 interrupts_enabled;
			__u8 padding[7];
		} hlt;
		/* MVM_EXIT_FAIL_ENTRY: the VM-exit reason, as the CPU gave it. */
		struct {
			__u64 hardware_entry_failure_reason;
			__u32 cpu;
			__u32 padding;
		} fail_entry;
		/* MVM_EXIT_INTERNAL_ERROR. */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[8];
			__u8 insn_len;
			__u8 insn[15];
		} internal;
		/* MVM_EXIT_MEMORY_FAULT: the guest touched RAM whose
		 * backing could not be pinned (unmapped, or over
		 * RLIMIT_MEMLOCK). */
		struct {
			__u64 gpa;
			__u64 size;
			__s32 error;
			__u32 padding;
		} memory_fault;
		__u8 padding[256];
	};
};

/* run->flags: the exit happened with guest RFLAGS.IF set. */
#define MVM_RUN_IF		(1U << 0)

/* ioctls on the system fd (open("/dev/mvm")). */

/* Returns MVM_API_VERSION; the argument must be 0. */
#define MVM_GET_API_VERSION	_IO(MVMIO, 0x00)
#define MVM_CHECK_CAP		_IOWR(MVMIO, 0x01, struct mvm_check_cap)
#define MVM_CREATE_VM		_IOW(MVMIO, 0x02, struct mvm_create_vm)

/* ioctls on a VM fd. */
#define MVM_SET_MEMORY_REGION	_IOW(MVMIO, 0x10, struct mvm_memory_region)
#define MVM_CREATE_VCPU		_IOW(MVMIO, 0x11, struct mvm_create_vcpu)
#define MVM_GET_STATS		_IOR(MVMIO, 0x12, struct mvm_vm_stats)
#define MVM_IRQ_LINE		_IOW(MVMIO, 0x13, struct mvm_irq_level)
#define MVM_SIGNAL_MSI		_IOW(MVMIO, 0x14, struct mvm_msi)
#define MVM_IRQFD		_IOW(MVMIO, 0x15, struct mvm_irqfd)
#define MVM_IOEVENTFD		_IOW(MVMIO, 0x16, struct mvm_ioeventfd)
#define MVM_GET_TSC		_IOR(MVMIO, 0x17, struct mvm_tsc)
#define MVM_SET_TSC		_IOW(MVMIO, 0x18, struct mvm_tsc)

/* ioctls on a vCPU fd. */
#define MVM_RUN			_IO(MVMIO, 0x20)
#define MVM_GET_REGS		_IOR(MVMIO, 0x21, struct mvm_regs)
#define MVM_SET_REGS		_IOW(MVMIO, 0x22, struct mvm_regs)
#define MVM_GET_SREGS		_IOR(MVMIO, 0x23, struct mvm_sregs)
#define MVM_SET_SREGS		_IOW(MVMIO, 0x24, struct mvm_sregs)
#define MVM_GET_MSRS		_IOWR(MVMIO, 0x25, struct mvm_msrs)
#define MVM_SET_MSRS		_IOW(MVMIO, 0x26, struct mvm_msrs)
#define MVM_SET_CPUID		_IOW(MVMIO, 0x27, struct mvm_cpuid)
#define MVM_GET_CPUID		_IOWR(MVMIO, 0x28, struct mvm_cpuid)
#define MVM_GET_FPU		_IOWR(MVMIO, 0x29, struct mvm_fpu)
#define MVM_SET_FPU		_IOW(MVMIO, 0x2a, struct mvm_fpu)

#endif /* _UAPI_LINUX_MVM_H */
