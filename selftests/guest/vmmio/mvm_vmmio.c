// SPDX-License-Identifier: GPL-2.0
/*
 * mvm_vmmio: register the virtio-mmio devices that a VMM announces on the
 * kernel command line, for guest kernels that cannot read them.
 *
 * A VMM without ACPI or a device tree tells the guest where its
 * virtio-mmio devices are with "virtio_mmio.device=SIZE@BASE:IRQ". Only a
 * kernel built with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES parses that, and
 * Debian's cloud kernels (6.1 and 6.12) are built without it: their
 * virtio_mmio finds devices through ACPI ("LNRO0005") or a device tree
 * only. The selftests' guest /init loads this module when the kernel
 * lacks the parameter and passes it the same strings:
 *
 *   insmod mvm_vmmio.ko devices=512@0xd0000000:5[,SIZE@BASE:IRQ...]
 *
 * Each becomes a "virtio-mmio" platform device with one memory and one
 * IRQ resource, which the stock virtio_mmio driver then binds, exactly as
 * it would bind those the kernel's own parser makes. A region already
 * claimed (the same device found through ACPI) is skipped, not doubled.
 *
 * This is a test aid, not a fix: a stock guest booted without it finds
 * no virtio-mmio device under a VMM that announces them only this way.
 * mvm describes its devices in ACPI as well (Documentation/acpi.rst);
 * this module keeps the disk tests about virtio-blk if that breaks, and
 * boot_test's virtio_found_without_shim reports it.
 */
#include <linux/err.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#define VMMIO_MAX	8

static char *devices[VMMIO_MAX];
static int ndevices;
module_param_array(devices, charp, &ndevices, 0444);
MODULE_PARM_DESC(devices, "virtio-mmio devices, SIZE@BASE:IRQ[:ID] each");

static struct platform_device *pdevs[VMMIO_MAX];

/* SIZE@BASE:IRQ[:ID], the format of virtio_mmio.device= (the ID is
 * accepted and ignored: the platform device IDs are allocated here). */
static int vmmio_parse(const char *s, u64 *size, u64 *base, unsigned int *irq)
{
	unsigned long long b;
	char *end;
	int n = 0;

	*size = memparse(s, &end);
	if (!*size || *end != '@')
		return -EINVAL;
	if (sscanf(end, "@%lli:%u%n", &b, irq, &n) != 2 || !n)
		return -EINVAL;
	end += n;
	if (*end && *end != ':')
		return -EINVAL;
	if (b + *size < b)
		return -EINVAL;
	*base = b;
	return 0;
}

static int __init vmmio_init(void)
{
	int i, added = 0;

	for (i = 0; i < ndevices; i++) {
		struct platform_device *pdev;
		struct resource res[2];
		unsigned int irq;
		u64 size, base;
		int ret;

		ret = vmmio_parse(devices[i], &size, &base, &irq);
		if (ret) {
			pr_err("mvm_vmmio: cannot parse '%s'\n", devices[i]);
			continue;
		}
		res[0] = (struct resource)DEFINE_RES_MEM(base, size);
		res[1] = (struct resource)DEFINE_RES_IRQ(irq);
		pdev = platform_device_register_resndata(NULL, "virtio-mmio",
							 PLATFORM_DEVID_AUTO,
							 res, ARRAY_SIZE(res),
							 NULL, 0);
		if (IS_ERR(pdev)) {
			/* -EBUSY: the region is already a device's. */
			pr_info("mvm_vmmio: %s not added (%ld)\n", devices[i],
				PTR_ERR(pdev));
			continue;
		}
		pdevs[i] = pdev;
		added++;
		pr_info("mvm_vmmio: %s is %s\n", devices[i],
			dev_name(&pdev->dev));
	}
	pr_info("mvm_vmmio: %d of %d devices added\n", added, ndevices);
	return 0;
}

static void __exit vmmio_exit(void)
{
	int i;

	for (i = 0; i < VMMIO_MAX; i++)
		if (pdevs[i])
			platform_device_unregister(pdevs[i]);
}

module_init(vmmio_init);
module_exit(vmmio_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("virtio-mmio devices from a parameter, for kernels without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES");
