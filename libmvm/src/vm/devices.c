// SPDX-License-Identifier: Apache-2.0
/*
 * The VM's devices and their wiring.
 *
 *   port 0x3f8-0x3ff  16550A UART, COM1, GSI 4: the console
 *   port 0x60, 0x64   i8042: its reset line ends the VM as a reboot
 *   port 0x70-0x71    CMOS RTC showing the host's time(NULL)
 *   port 0x600-0x601  ACPI sleep control/status: S5 ends the VM as a
 *                     power-off
 *   0xd0000000 + i * 0x1000, GSI vm_virtio_gsi(i): virtio-mmio device i,
 *                     the disks in order, the network interfaces in
 *                     order, then the rng
 *
 * Interrupt lines go to the in-kernel IOAPIC with MVM_IRQ_LINE; the MP
 * table describes those pins as ISA IRQs (edge-triggered), and every
 * device raises its line for each new interrupt.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "vm_priv.h"

static void irq_set(void *opaque, unsigned int gsi, int level)
{
	struct mvm_vm *vm = opaque;
	struct mvm_irq_level l = { .gsi = gsi, .level = level ? 1 : 0 };

	if (ioctl(vm->vm_fd, MVM_IRQ_LINE, &l))
		vm_log_limited(vm, "MVM_IRQ_LINE gsi %u level %d: %s", gsi,
			       level, strerror(errno));
}

static void i8042_reset(void *opaque)
{
	vm_end(opaque, MVM_VM_REBOOT, -1,
	       "the guest reset the machine through the i8042");
}

static int64_t rtc_now(void *opaque)
{
	(void)opaque;
	return (int64_t)time(NULL);
}

static void virtio_log(void *opaque, int level, const char *msg)
{
	vm_log(opaque, level, "virtio: %s", msg);
}

/* ---- bus adapters --------------------------------------------------- */

static int pio_read(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int len)
{
	struct vm_pio_binding *b = opaque;
	int ret = b->ops->read(b->dev, (uint16_t)off, data, len);

	if (b->console)
		vm_console_uart_touched(b->console);
	return ret;
}

static int pio_write(void *opaque, uint64_t off, const uint8_t *data,
		     unsigned int len)
{
	struct vm_pio_binding *b = opaque;
	int ret = b->ops->write(b->dev, (uint16_t)off, data, len);

	if (b->console)
		vm_console_uart_touched(b->console);
	return ret;
}

static int virtio_read(void *dev, uint64_t off, uint8_t *data,
		       unsigned int len)
{
	return mvm_virtio_mmio_read(dev, off, data, len);
}

static int virtio_write(void *dev, uint64_t off, const uint8_t *data,
			unsigned int len)
{
	return mvm_virtio_mmio_write(dev, off, data, len);
}

/*
 * The ACPI sleep registers (loader.h, MVM_ACPI_SLEEP_PORT): writing S5
 * to the control register is the guest's ACPI power-off. The status
 * register reads 0 (never woken) and the rest is ignored.
 */
static int acpi_sleep_read(void *opaque, uint64_t off, uint8_t *data,
			   unsigned int len)
{
	(void)opaque;
	(void)off;
	memset(data, 0, len);
	return 0;
}

static int acpi_sleep_write(void *opaque, uint64_t off, const uint8_t *data,
			    unsigned int len)
{
	(void)len;
	if (off == 0 && mvm_acpi_sleep_is_poweroff(data[0]))
		vm_end(opaque, MVM_VM_POWEROFF, -1,
		       "the guest powered off through ACPI (S5)");
	return 0;
}

static int add_acpi_sleep(struct mvm_vm *vm)
{
	struct vm_range r = {
		.base = MVM_ACPI_SLEEP_PORT, .size = 2,
		.read = acpi_sleep_read, .write = acpi_sleep_write,
		.dev = vm, .name = "acpi-sleep",
	};
	int ret = vm_bus_add(&vm->pio, &r);

	if (ret)
		vm_log(vm, MVM_LOG_ERR, "ACPI sleep registers at port 0x%x: %s",
		       MVM_ACPI_SLEEP_PORT, strerror(-ret));
	return ret;
}

static int add_pio(struct mvm_vm *vm, const char *name, uint16_t port,
		   uint16_t nports, uint16_t adj,
		   const struct mvm_pio_ops *ops, void *dev, bool uart)
{
	struct vm_pio_binding *b = &vm->pio_bind[vm->pio.n];
	struct vm_range r = {
		.base = port, .size = nports, .adj = adj,
		.read = pio_read, .write = pio_write,
		.dev = b, .name = name,
	};
	int ret;

	if (vm->pio.n >= VM_BUS_MAX)
		return -ENOSPC;
	b->ops = ops;
	b->dev = dev;
	b->console = uart ? &vm->console : NULL;
	ret = vm_bus_add(&vm->pio, &r);
	if (ret)
		vm_log(vm, MVM_LOG_ERR, "%s at port 0x%x: %s", name, port,
		       strerror(-ret));
	return ret;
}

static int create_legacy(struct mvm_vm *vm)
{
	struct mvm_serial_config sc = {
		.irq = { .set = irq_set, .opaque = vm,
			 .gsi = MVM_SERIAL_COM1_GSI },
		.out = vm_console_out,
		.out_opaque = &vm->console,
	};
	struct mvm_i8042_config kc = { .reset = i8042_reset,
				       .reset_opaque = vm };
	struct mvm_rtc_config rc = { .now = rtc_now };
	int ret;

	ret = mvm_serial_create(&sc, &vm->serial);
	if (ret)
		goto fail;
	vm->console.serial = vm->serial;
	ret = mvm_i8042_create(&kc, &vm->i8042);
	if (ret)
		goto fail;
	ret = mvm_rtc_create(&rc, &vm->rtc);
	if (ret)
		goto fail;

	/* The i8042 decodes 0x60 and 0x64 only; 0x61-0x63 stay unclaimed
	 * (0x61 is the PC's system control port, not the i8042's). */
	if (add_pio(vm, "uart", MVM_SERIAL_COM1_BASE, MVM_SERIAL_NR_PORTS, 0,
		    &mvm_serial_pio_ops, vm->serial, true) ||
	    add_pio(vm, "i8042", MVM_I8042_BASE + MVM_I8042_DATA, 1,
		    MVM_I8042_DATA, &mvm_i8042_pio_ops, vm->i8042, false) ||
	    add_pio(vm, "i8042", MVM_I8042_BASE + MVM_I8042_CMD, 1,
		    MVM_I8042_CMD, &mvm_i8042_pio_ops, vm->i8042, false) ||
	    add_pio(vm, "rtc", MVM_RTC_BASE, MVM_RTC_NR_PORTS, 0,
		    &mvm_rtc_pio_ops, vm->rtc, false) ||
	    add_acpi_sleep(vm))
		return -EINVAL;
	return 0;

fail:
	vm_log(vm, MVM_LOG_ERR, "creating the legacy devices: %s",
	       strerror(-ret));
	return ret;
}

static int create_virtio(struct mvm_vm *vm, const struct vm_plan *p)
{
	unsigned int nd = p->cfg.nr_disks, nn = p->cfg.nr_nets, i;
	int ret;

	for (i = 0; i < p->nr_virtio; i++) {
		struct mvm_virtio_env env = {
			.mem = &vm->mem.gmem,
			.irq = { .set = irq_set, .opaque = vm,
				 .gsi = vm_virtio_gsi(i) },
			.log = virtio_log,
			.log_opaque = vm,
		};
		struct vm_range r = {
			.base = vm_virtio_base(i),
			.size = MVM_VIRTIO_MMIO_SIZE,
			.read = virtio_read,
			.write = virtio_write,
		};
		const char *what;

		if (i >= nd && i < nd + nn) {
			/* Logs its own errors, naming the tap. */
			ret = vm_net_create(vm, &p->cfg.nets[i - nd], i - nd,
					    &env, r.base, &vm->virtio[i]);
			if (ret)
				return ret;
			what = vm->taps[i - nd].name;
		} else if (i < nd) {
			struct mvm_virtio_blk_config bc = {
				.fd = p->disks[i].fd,
				.read_only = p->cfg.disks[i].flags &
					     MVM_VM_DISK_READ_ONLY,
			};

			what = p->cfg.disks[i].path;
			ret = mvm_virtio_blk_create(&env, &bc, &vm->virtio[i]);
		} else {
			what = "virtio-rng";
			ret = mvm_virtio_rng_create(&env, &vm->virtio[i]);
		}
		if (ret) {
			vm_log(vm, MVM_LOG_ERR, "creating the virtio device for %s: %s",
			       what, strerror(-ret));
			return ret;
		}
		vm->nr_virtio = i + 1;
		r.dev = vm->virtio[i];
		r.name = what;
		ret = vm_bus_add(&vm->mmio, &r);
		if (ret) {
			vm_log(vm, MVM_LOG_ERR, "virtio device %u at 0x%llx: %s",
			       i, (unsigned long long)r.base, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int vm_devices_create(struct mvm_vm *vm, const struct vm_plan *p)
{
	int ret = create_legacy(vm);

	if (!ret)
		ret = create_virtio(vm, p);
	return ret;
}

void vm_devices_destroy(struct mvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_virtio; i++)
		mvm_virtio_destroy(vm->virtio[i]);
	vm->nr_virtio = 0;
	vm_net_close_taps(vm);
	mvm_rtc_destroy(vm->rtc);
	mvm_i8042_destroy(vm->i8042);
	mvm_serial_destroy(vm->serial);
	vm->rtc = NULL;
	vm->i8042 = NULL;
	vm->serial = NULL;
	vm->console.serial = NULL;
	vm->pio.n = 0;
	vm->mmio.n = 0;
}
