// SPDX-License-Identifier: Apache-2.0
/*
 * Booting: the kernel, its initrd and command line into guest memory
 * with the loaders of src/loader/, the MP and ACPI tables, and vCPU 0's
 * state for
 * the 64-bit boot protocol. A bzImage and a vmlinux both start at their
 * 64-bit entry with a zero page, so both boot the same way (no PVH).
 */
#include <errno.h>

#include "vm_priv.h"

static const char *load_error(int err)
{
	switch (err) {
	case -ENOEXEC:
		return "the image is malformed";
	case -ENOTSUP:
		return "the image lacks a 64-bit entry mvm can use";
	case -ENOSPC:
		return "it does not fit in guest memory: raise the memory size";
	case -E2BIG:
		return "the command line is longer than the kernel accepts";
	}
	return "the loader failed";
}

/*
 * The ACPI tables: a stock kernel finds its x2APIC driver through the
 * MADT before it touches the APIC, and virtio-mmio devices only in the
 * DSDT (Documentation/acpi.rst).
 */
static int write_acpi(struct mvm_vm *vm, const struct vm_plan *p,
		      struct mvm_boot_info *info)
{
	struct mvm_acpi_virtio dev[VM_MAX_VIRTIO];
	struct mvm_acpi_config cfg = {
		.nr_vcpus = vm->nr_vcpus,
		.legacy = MVM_ACPI_LEGACY_ALL,
		.virtio = dev,
		.nr_virtio = p->nr_virtio,
	};
	uint64_t rsdp;
	unsigned int i;
	int ret;

	for (i = 0; i < p->nr_virtio; i++) {
		dev[i].base = vm_virtio_base(i);
		dev[i].size = MVM_VIRTIO_MMIO_SIZE;
		dev[i].gsi = vm_virtio_gsi(i);
	}
	ret = mvm_acpi_write(&vm->mem.gmem, &cfg, &rsdp);
	if (!ret)
		ret = mvm_boot_set_acpi(&vm->mem.gmem, info, rsdp);
	return ret;
}

int vm_boot_load(struct mvm_vm *vm, const struct vm_plan *p,
		 struct mvm_boot_regs *regs)
{
	const struct mvm_guest_mem *m = &vm->mem.gmem;
	struct mvm_linux_args args = {
		.cmdline = p->cmdline,
		.initrd = p->initrd.map,
		.initrd_size = p->initrd.map ? p->initrd.size : 0,
	};
	struct mvm_boot_info info;
	struct mvm_elf_kernel k;
	const char *step;
	int ret;

	if (p->kinfo.kind == VM_KERNEL_BZIMAGE) {
		step = "loading the bzImage";
		ret = mvm_bzimage_load(m, p->kernel.map, p->kernel.size, &args,
				       &info);
	} else {
		step = "loading the vmlinux";
		ret = mvm_elf_load(m, p->kernel.map, p->kernel.size, &k);
		if (!ret) {
			step = "placing the command line and initrd";
			ret = mvm_elf_setup_linux64(m, &k, &args, &info);
		}
	}
	if (!ret) {
		step = "building the page tables and GDT";
		ret = mvm_boot64_setup(m, info.entry, info.boot_info, regs);
	}
	if (!ret) {
		step = "writing the MP table";
		ret = mvm_mptable_write(m, vm->nr_vcpus);
	}
	if (!ret) {
		step = "writing the ACPI tables";
		ret = write_acpi(vm, p, &info);
	}
	if (ret) {
		vm_log(vm, MVM_LOG_ERR, "kernel %s: %s failed: %s",
		       p->cfg.kernel, step, load_error(ret));
		return ret;
	}
	vm_log(vm, MVM_LOG_DEBUG,
	       "kernel at 0x%llx-0x%llx, entry 0x%llx, initrd at 0x%llx (%llu bytes), command line \"%s\"",
	       (unsigned long long)info.kernel_start,
	       (unsigned long long)info.kernel_end,
	       (unsigned long long)info.entry,
	       (unsigned long long)info.initrd_addr,
	       (unsigned long long)info.initrd_size, p->cmdline);
	return 0;
}
