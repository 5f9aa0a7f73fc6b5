/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entering the guest and coming back (SDM Vol. 3C 26 and 28).
 *
 * int mvm_vmx_enter(u64 *gprs, bool launched)
 *
 * Saves the host's callee-saved registers, points HOST_RSP at this stack,
 * loads the guest GPRs from @gprs (indexed by enum mvm_gpr; RSP lives in
 * the VMCS) and runs VMLAUNCH, or VMRESUME when @launched. A VM exit
 * lands at mvm_vmx_vmexit (HOST_RIP) with the guest's GPRs still live:
 * they are stored back into @gprs and 0 is returned. When VMLAUNCH or
 * VMRESUME itself fails (VMfail), 1 is returned and VM_INSTRUCTION_ERROR
 * says why. Called with interrupts disabled.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

#define VMCS_HOST_RSP	0x6c14

#define GPR(n)	((n) * 8)
#define G_RAX	GPR(0)
#define G_RCX	GPR(1)
#define G_RDX	GPR(2)
#define G_RBX	GPR(3)
#define G_RBP	GPR(5)
#define G_RSI	GPR(6)
#define G_RDI	GPR(7)
#define G_R8	GPR(8)
#define G_R9	GPR(9)
#define G_R10	GPR(10)
#define G_R11	GPR(11)
#define G_R12	GPR(12)
#define G_R13	GPR(13)
#define G_R14	GPR(14)
#define G_R15	GPR(15)

	.text
SYM_FUNC_START(mvm_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	/* @gprs, found at 0(%rsp) after the exit. */
	push	%rdi

	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfail

	/* The stack as the exit will find it at mvm_vmx_vmexit. */
	UNWIND_HINT_SAVE
	/* CF survives the MOVs and VERW below: set means VMRESUME. */
	bt	$0, %esi

	mov	G_RAX(%rdi), %rax
	mov	G_RCX(%rdi), %rcx
	mov	G_RDX(%rdi), %rdx
	mov	G_RBX(%rdi), %rbx
	mov	G_RBP(%rdi), %rbp
	mov	G_RSI(%rdi), %rsi
	mov	G_R8(%rdi), %r8
	mov	G_R9(%rdi), %r9
	mov	G_R10(%rdi), %r10
	mov	G_R11(%rdi), %r11
	mov	G_R12(%rdi), %r12
	mov	G_R13(%rdi), %r13
	mov	G_R14(%rdi), %r14
	mov	G_R15(%rdi), %r15
	mov	G_RDI(%rdi), %rdi

	/* Clear CPU buffers (MDS and kin) before the guest runs, where the
	 * kernel enabled that mitigation; clobbers only ZF. */
	VM_CLEAR_CPU_BUFFERS

	jc	.Lresume
	vmlaunch
	/* Only a VMfail comes back here; an exit goes to HOST_RIP. */
	jmp	.Lfail
.Lresume:
	vmresume
	jmp	.Lfail

SYM_INNER_LABEL(mvm_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	/* Its address is taken (HOST_RIP): mark it for IBT and objtool. */
	ENDBR
	push	%rdi
	mov	8(%rsp), %rdi

	mov	%rax, G_RAX(%rdi)
	mov	%rcx, G_RCX(%rdi)
	mov	%rdx, G_RDX(%rdi)
	mov	%rbx, G_RBX(%rdi)
	mov	%rbp, G_RBP(%rdi)
	mov	%rsi, G_RSI(%rdi)
	mov	%r8, G_R8(%rdi)
	mov	%r9, G_R9(%rdi)
	mov	%r10, G_R10(%rdi)
	mov	%r11, G_R11(%rdi)
	mov	%r12, G_R12(%rdi)
	mov	%r13, G_R13(%rdi)
	mov	%r14, G_R14(%rdi)
	mov	%r15, G_R15(%rdi)
	popq	G_RDI(%rdi)

	/* The guest may have trained the return stack buffer: refill it
	 * where the kernel's Spectre mitigations ask for that. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	xor	%eax, %eax
	jmp	.Lout

.Lfail:
	mov	$1, %eax

.Lout:
	/* Leave no guest value in a caller-saved register. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(mvm_vmx_enter)
