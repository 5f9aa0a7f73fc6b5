// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's kernel command line, and where the virtio-mmio devices it
 * announces live.
 *
 * Fixed part, before the caller's text so the caller can override:
 *   console=ttyS0  the UART is the console (no VGA, no virtio-console)
 *   reboot=k       reboot through the i8042, which ends the VM as a
 *                  reboot (a triple fault would look like a crash)
 *   panic=-1       reboot at once after a panic instead of hanging; the
 *                  console watcher has already recorded the panic
 * then one virtio_mmio.device=<size>@<base>:<gsi> per device: Linux
 * finds virtio-mmio devices only through this parameter (no ACPI, no
 * device tree).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "vm_priv.h"

/*
 * Interrupt lines of the virtio devices: IOAPIC pins that the MP table
 * describes (ISA IRQs, edge-triggered) and that no legacy driver of a
 * Linux guest claims without sharing. Skipped: 0 timer, 1 keyboard, 2
 * cascade, 3 COM2, 4 COM1 (our UART), 8 the CMOS RTC (rtc_cmos requests
 * it unshared), 12 the PS/2 mouse.
 */
static const uint8_t virtio_gsis[VM_MAX_VIRTIO] = {
	5, 6, 7, 9, 10, 11, 13, 14, 15,
};

unsigned int vm_virtio_gsi(unsigned int i)
{
	return i < VM_MAX_VIRTIO ? virtio_gsis[i] : 0;
}

uint64_t vm_virtio_base(unsigned int i)
{
	return VM_VIRTIO_MMIO_BASE + (uint64_t)i * VM_VIRTIO_MMIO_STRIDE;
}

/* snprintf at @buf + *@used, counting what would be needed. */
static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	size_t room = *used < len ? len - *used : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? buf + *used : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	*used += (size_t)n;
	return 0;
}

int vm_cmdline_build(char *buf, size_t len, unsigned int nr_virtio,
		     const char *user)
{
	size_t used = 0;
	unsigned int i;
	int ret;

	if ((!buf && len) || nr_virtio > VM_MAX_VIRTIO)
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	ret = append(buf, len, &used, "console=ttyS0 reboot=k panic=-1");
	for (i = 0; !ret && i < nr_virtio; i++)
		ret = append(buf, len, &used,
			     " virtio_mmio.device=%u@0x%llx:%u",
			     (unsigned int)MVM_VIRTIO_MMIO_SIZE,
			     (unsigned long long)vm_virtio_base(i),
			     vm_virtio_gsi(i));
	if (!ret && user && user[0])
		ret = append(buf, len, &used, " %s", user);
	if (ret)
		return ret;
	if (used > INT32_MAX)
		return -E2BIG;
	return (int)used;
}
