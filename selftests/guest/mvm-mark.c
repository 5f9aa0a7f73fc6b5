// SPDX-License-Identifier: GPL-2.0
/*
 * mvm-mark: signal a boot milestone from guest userspace.
 *
 *   mvm-mark VALUE      (decimal, or hexadecimal with 0x; 32 bits)
 *
 * A 32-bit OUT of VALUE to MVM_GUEST_MARK_PORT: under mvm it fires the
 * tracepoint mvm:guest_mark and is recorded in the VM's statistics (see
 * include/uapi/linux/mvm.h); under another hypervisor it is an ordinary
 * write to an unused port (KVM's kvm_pio tracepoint shows it). Linked
 * statically: the guest initramfs has no C library.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

#include <linux/mvm.h>

int main(int argc, char **argv)
{
	unsigned long long v;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: mvm-mark VALUE\n");
		return 2;
	}
	errno = 0;
	v = strtoull(argv[1], &end, 0);
	if (errno || end == argv[1] || *end || v > UINT32_MAX ||
	    argv[1][0] == '-') {
		fprintf(stderr, "mvm-mark: '%s' is not a 32-bit number\n",
			argv[1]);
		return 2;
	}
	/* The port's four bytes: a 32-bit OUT touches all of them. */
	if (ioperm(MVM_GUEST_MARK_PORT, 4, 1)) {
		perror("mvm-mark: ioperm");
		return 1;
	}
	outl((uint32_t)v, MVM_GUEST_MARK_PORT);
	return 0;
}
