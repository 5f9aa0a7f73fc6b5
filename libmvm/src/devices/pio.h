/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The legacy port-I/O devices of libmvm: internal, never installed,
 * nothing here is exported from libmvm.so.
 *
 * A Linux microVM needs three chips from the PC it no longer has: a
 * 16550A UART for its console (serial.c), an i8042 keyboard controller
 * because that is how it reboots (i8042.c), and an MC146818 CMOS clock
 * for its wall time (rtc.c). Each is a model in userspace behind one
 * struct mvm_pio_ops; the VMM's port-I/O exit dispatcher finds the
 * device by port and calls it with the offset from the device's base.
 *
 * Accesses. @off is the port minus the device's base port, @size 1, 2 or
 * 4, @data @size bytes in little-endian order (as IN/OUT move them).
 * These are byte-wide ISA chips: a wider access is split into byte
 * accesses of consecutive ports, lowest first, as an ISA bus does with a
 * 16- or 32-bit cycle on an 8-bit device. Bytes that fall past the
 * device's last port (or into a hole in its range) read as 0xff and
 * their writes are dropped.
 *
 * Errnos, the same meaning for every device:
 *   -EINVAL   @size is not 1, 2 or 4, or @dev or @data is NULL.
 *   -ERANGE   @off is not one of the device's ports: the dispatcher
 *             routed a port that is not the device's. Nothing changes.
 * An error is the dispatcher's to handle; the guest should then see an
 * IN return all-ones and an OUT be dropped, as on a PC with nothing at
 * that port. Any sequence of guest accesses is otherwise accepted: the
 * guest is hostile, and no value it writes makes a device fail, grow or
 * stop.
 *
 * Threading. Every device has its own mutex, taken by every function
 * below that takes the device, so vCPU threads of an SMP guest may exit
 * to the same device concurrently and a host thread may feed it input
 * meanwhile. The callbacks a device is given (IRQ line, output sink,
 * reset, clock) are called with that mutex held: they are called in
 * the order of the guest's accesses, and they must not call back into
 * the same device nor destroy it (a reset callback typically asks the
 * vCPU loops to stop and returns). Create and destroy must not race
 * with any other call on the same device.
 */
#ifndef MVM_DEVICES_PIO_H
#define MVM_DEVICES_PIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An interrupt line from a device to the interrupt controller.
 * @set:    drives GSI @gsi to @level (0 or 1); a device calls it only when
 *          the level changes, the first time only to raise it (lines
 *          start low). NULL: the device has no interrupt wired.
 * @opaque: passed to @set.
 * @gsi:    the global system interrupt (ISA IRQ number for these chips).
 */
struct mvm_irq_line {
	void (*set)(void *opaque, unsigned int gsi, int level);
	void *opaque;
	unsigned int gsi;
};

/*
 * A port-I/O device: the two calls of the exit dispatcher.
 * @read:  IN of @size bytes at @off into @data.
 * @write: OUT of @size bytes from @data at @off.
 * Both return 0 or the negative errnos above, and take the device's
 * mutex.
 */
struct mvm_pio_ops {
	int (*read)(void *dev, uint16_t off, uint8_t *data, unsigned int size);
	int (*write)(void *dev, uint16_t off, const uint8_t *data,
		     unsigned int size);
};

/*
 * mvm_pio_check() - the checks every device does first.
 * @dev:    the device.
 * @off:    offset from the device's base.
 * @data:   the access buffer.
 * @size:   bytes in the access.
 * @nports: ports the device decodes (offsets 0 .. @nports - 1).
 *
 * Return: 0, -EINVAL or -ERANGE as above.
 */
static inline int mvm_pio_check(const void *dev, uint16_t off,
				const void *data, unsigned int size,
				unsigned int nports)
{
	if (!dev || !data || (size != 1 && size != 2 && size != 4))
		return -EINVAL;
	if (off >= nports)
		return -ERANGE;
	return 0;
}

/* ---- 8250/16550A UART (serial.c) ------------------------------------ */

#define MVM_SERIAL_COM1_BASE	0x3f8
#define MVM_SERIAL_COM1_GSI	4
#define MVM_SERIAL_NR_PORTS	8
#define MVM_SERIAL_FIFO_SIZE	16	/* 16550A: 16-byte FIFOs */

struct mvm_serial;

/*
 * How a UART is wired.
 * @irq:        its interrupt line (COM1: GSI 4); @irq.set may be NULL.
 * @out:        sink of the bytes the guest transmits, called once per
 *              byte with @len 1, in order, with the UART's mutex held;
 *              may be NULL (output dropped). It must not block for long:
 *              the guest's vCPU waits in it.
 * @out_opaque: passed to @out.
 */
struct mvm_serial_config {
	struct mvm_irq_line irq;
	void (*out)(void *opaque, const uint8_t *buf, size_t len);
	void *out_opaque;
};

/*
 * mvm_serial_create() - a 16550A in its power-on reset state.
 * @cfg: the wiring, copied.
 * @out: receives the UART.
 *
 * Return: 0; -EINVAL when @cfg or @out is NULL; -ENOMEM; or the error of
 * pthread_mutex_init() negated.
 */
int mvm_serial_create(const struct mvm_serial_config *cfg,
		      struct mvm_serial **out);

/*
 * mvm_serial_destroy() - free a UART (NULL is ignored). Its IRQ line is
 * left as it was: the caller owns the interrupt controller.
 */
void mvm_serial_destroy(struct mvm_serial *s);

/*
 * mvm_serial_input() - bytes arriving on the UART's receive line.
 * @s:   the UART.
 * @buf: the bytes; may be NULL when @len is 0.
 * @len: how many.
 *
 * Takes as many bytes as the receiver has room for: 16 less what the
 * guest has not read with the FIFOs enabled, 1 less that with them off
 * (the receiver buffer register alone). None is taken in loopback mode,
 * where the receive line is disconnected. The caller keeps the rest and
 * offers it again later (after the guest's next access to the UART, or
 * on a timer): this is flow control, so bytes from the host are never
 * lost and never set the overrun flag. Overrun (LSR bit 1) is the
 * guest's own fault only: in loopback mode, transmitting into a full
 * receiver drops the new byte with the FIFOs on, and replaces the
 * unread one with them off (16550A datasheet, "LSR bit 1").
 * Raises the received-data interrupt when enabled.
 *
 * Return: the number of bytes taken (0 .. 16), or -EINVAL when @s is
 * NULL or @buf is NULL with @len > 0.
 */
int mvm_serial_input(struct mvm_serial *s, const uint8_t *buf, size_t len);

/*
 * mvm_serial_rx_space() - how many bytes mvm_serial_input() would take
 * now (0 for a NULL UART or in loopback mode).
 */
size_t mvm_serial_rx_space(struct mvm_serial *s);

/* The UART's port I/O: COM1 at MVM_SERIAL_COM1_BASE, 8 ports. */
extern const struct mvm_pio_ops mvm_serial_pio_ops;

/* ---- i8042 keyboard controller (i8042.c) ----------------------------- */

#define MVM_I8042_BASE		0x60	/* data port; offset 0 */
#define MVM_I8042_NR_PORTS	5	/* offsets 0 (0x60) and 4 (0x64) */
#define MVM_I8042_DATA		0	/* offset of the data port */
#define MVM_I8042_CMD		4	/* offset of the status/command port */

struct mvm_i8042;

/*
 * How the controller is wired.
 * @reset:        the CPU reset line: called, with the controller's mutex
 *                held, each time the guest pulses it (command 0xFE and
 *                the other 0xF0-0xFF pulses with bit 0 clear, or output
 *                port bit 0 written 0 with 0xD1). This is how Linux
 *                reboots a PC. May be NULL (reset ignored).
 * @reset_opaque: passed to @reset.
 */
struct mvm_i8042_config {
	void (*reset)(void *opaque);
	void *reset_opaque;
};

/*
 * mvm_i8042_create() - an i8042 with no keyboard and no mouse attached.
 * @cfg: the wiring, copied; NULL means none.
 * @out: receives the controller.
 *
 * Return: 0; -EINVAL when @out is NULL; -ENOMEM; or the error of
 * pthread_mutex_init() negated.
 */
int mvm_i8042_create(const struct mvm_i8042_config *cfg,
		     struct mvm_i8042 **out);

/* mvm_i8042_destroy() - free a controller (NULL is ignored). */
void mvm_i8042_destroy(struct mvm_i8042 *k);

/* The controller's port I/O: base MVM_I8042_BASE, 5 ports, 1-3 a hole. */
extern const struct mvm_pio_ops mvm_i8042_pio_ops;

/* ---- MC146818 CMOS RTC (rtc.c) ---------------------------------------- */

#define MVM_RTC_BASE		0x70
#define MVM_RTC_NR_PORTS	2	/* 0x70 index, 0x71 data */
#define MVM_RTC_CMOS_SIZE	128
#define MVM_RTC_CENTURY		0x32	/* the PC's century byte */

struct mvm_rtc;

/*
 * How the clock is wired.
 * @now:        the host's time in Unix seconds, UTC; called with the
 *              RTC's mutex held on each read or write of a time
 *              register. NULL means the epoch, always.
 * @now_opaque: passed to @now.
 */
struct mvm_rtc_config {
	int64_t (*now)(void *opaque);
	void *now_opaque;
};

/*
 * mvm_rtc_create() - an RTC showing @cfg's clock, 24-hour BCD mode, CMOS
 * RAM zeroed.
 * @cfg: the wiring, copied; NULL means none.
 * @out: receives the RTC.
 *
 * Return: 0; -EINVAL when @out is NULL; -ENOMEM; or the error of
 * pthread_mutex_init() negated.
 */
int mvm_rtc_create(const struct mvm_rtc_config *cfg, struct mvm_rtc **out);

/* mvm_rtc_destroy() - free an RTC (NULL is ignored). */
void mvm_rtc_destroy(struct mvm_rtc *r);

/* The RTC's port I/O: base MVM_RTC_BASE, 2 ports. */
extern const struct mvm_pio_ops mvm_rtc_pio_ops;

#endif /* MVM_DEVICES_PIO_H */
