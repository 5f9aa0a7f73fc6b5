// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the legacy port-I/O devices (src/devices/): the 16550A
 * UART as Linux's 8250 driver probes and uses it, the i8042 controller's
 * commands and reset, the MC146818 RTC's time formats and CMOS RAM, and
 * hostile access sizes and offsets on all three.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "devices/pio.h"

/* ---- helpers --------------------------------------------------------- */

/* Every level change of an IRQ line, in order. */
struct irq_log {
	int levels[64];
	unsigned int n;
	unsigned int gsi;
};

static void irq_set(void *opaque, unsigned int gsi, int level)
{
	struct irq_log *l = opaque;

	l->gsi = gsi;
	if (l->n < 64)
		l->levels[l->n] = level;
	l->n++;
}

struct sink {
	uint8_t buf[256];
	size_t len;
};

static void sink_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	while (len-- && s->len < sizeof(s->buf))
		s->buf[s->len++] = *buf++;
}

static uint8_t in8(const struct mvm_pio_ops *ops, void *dev, uint16_t off)
{
	uint8_t v = 0xee;

	if (ops->read(dev, off, &v, 1))
		return 0xee;
	return v;
}

static void out8(const struct mvm_pio_ops *ops, void *dev, uint16_t off,
		 uint8_t v)
{
	ops->write(dev, off, &v, 1);
}

#define SIN(off)	in8(&mvm_serial_pio_ops, self->s, (off))
#define SOUT(off, v)	out8(&mvm_serial_pio_ops, self->s, (off), (v))

/* ---- UART ------------------------------------------------------------ */

FIXTURE(uart) {
	struct mvm_serial *s;
	struct irq_log irq;
	struct sink out;
};

FIXTURE_SETUP(uart)
{
	struct mvm_serial_config cfg = {
		.irq = { .set = irq_set, .opaque = &self->irq,
			 .gsi = MVM_SERIAL_COM1_GSI },
		.out = sink_out, .out_opaque = &self->out,
	};

	memset(&self->irq, 0, sizeof(self->irq));
	memset(&self->out, 0, sizeof(self->out));
	ASSERT_EQ(0, mvm_serial_create(&cfg, &self->s));
}

FIXTURE_TEARDOWN(uart)
{
	mvm_serial_destroy(self->s);
}

TEST_F(uart, reset_state)
{
	EXPECT_EQ(0x00, SIN(1));		/* IER */
	EXPECT_EQ(0x01, SIN(2));		/* IIR: none, no FIFO */
	EXPECT_EQ(0x00, SIN(3));		/* LCR */
	EXPECT_EQ(0x00, SIN(4));		/* MCR */
	EXPECT_EQ(0x60, SIN(5));		/* LSR: THRE, TEMT */
	EXPECT_EQ(0, self->irq.n);
}

/* Linux's autoconfig: scratch, IER nibble, loopback MSR == 0x90. */
TEST_F(uart, linux_probe)
{
	SOUT(7, 0xa5);
	EXPECT_EQ(0xa5, SIN(7));
	SOUT(7, 0x5a);
	EXPECT_EQ(0x5a, SIN(7));

	SOUT(1, 0);
	EXPECT_EQ(0, SIN(1) & 0x0f);
	SOUT(1, 0x0f);
	EXPECT_EQ(0x0f, SIN(1) & 0x0f);
	SOUT(1, 0xff);
	EXPECT_EQ(0x0f, SIN(1));		/* upper bits read 0 */
	SOUT(1, 0);

	SOUT(4, 0x10 | 0x0a);			/* LOOP | OUT2 | RTS */
	EXPECT_EQ(0x90, SIN(6) & 0xf0);		/* DCD | CTS */
	SOUT(4, 0);
	EXPECT_EQ(0xb0, SIN(6) & 0xf0);		/* idle terminal */
}

TEST_F(uart, fifo_detection)
{
	EXPECT_EQ(0, SIN(2) & 0xc0);
	SOUT(2, 0x01);
	EXPECT_EQ(0xc0, SIN(2) & 0xc0);		/* 16550A: bits 7:6 = 11 */
	EXPECT_EQ(0, SIN(2) & 0x20);		/* no 64-byte FIFO */
	SOUT(2, 0x00);
	EXPECT_EQ(0, SIN(2) & 0xc0);
}

/* IIR and FCR ignore DLAB, as on a 16550A. */
TEST_F(uart, iir_ignores_dlab)
{
	SOUT(3, 0x80);
	SOUT(2, 0x01);
	EXPECT_EQ(0xc1, SIN(2));
	SOUT(3, 0x03);
	EXPECT_EQ(0xc1, SIN(2));
}

TEST_F(uart, divisor_latch)
{
	SOUT(3, 0x83);				/* DLAB, 8N1 */
	EXPECT_EQ(12, SIN(0));			/* power-on 9600 baud */
	SOUT(0, 0x01);				/* 115200 */
	SOUT(1, 0x00);
	EXPECT_EQ(0x01, SIN(0));
	EXPECT_EQ(0x00, SIN(1));
	SOUT(0, 0x80);
	SOUT(1, 0x01);
	EXPECT_EQ(0x80, SIN(0));
	EXPECT_EQ(0x01, SIN(1));
	SOUT(3, 0x03);
	EXPECT_EQ(0x00, SIN(1));		/* IER again, untouched */
	EXPECT_EQ(0, self->out.len);		/* DLL writes send nothing */
	SOUT(3, 0x83);
	EXPECT_EQ(0x80, SIN(0));		/* kept across DLAB */
}

TEST_F(uart, transmit_to_sink)
{
	const char *msg = "Linux version";
	size_t i;

	SOUT(3, 0x03);
	for (i = 0; i < strlen(msg); i++) {
		EXPECT_EQ(0x60, SIN(5) & 0x60);
		SOUT(0, (uint8_t)msg[i]);
	}
	ASSERT_EQ(strlen(msg), self->out.len);
	EXPECT_EQ(0, memcmp(msg, self->out.buf, self->out.len));
}

TEST_F(uart, transmit_word_length)
{
	SOUT(3, 0x00);				/* 5 bits */
	SOUT(0, 0xff);
	SOUT(3, 0x02);				/* 7 bits */
	SOUT(0, 0xff);
	ASSERT_EQ(2, self->out.len);
	EXPECT_EQ(0x1f, self->out.buf[0]);
	EXPECT_EQ(0x7f, self->out.buf[1]);
}

/* THRE: raised on enable, cleared by IIR read, re-armed by THR write. */
TEST_F(uart, thre_interrupt_levels)
{
	SOUT(1, 0x02);
	ASSERT_EQ(1, self->irq.n);
	EXPECT_EQ(1, self->irq.levels[0]);
	EXPECT_EQ(MVM_SERIAL_COM1_GSI, self->irq.gsi);

	EXPECT_EQ(0x02, SIN(2));		/* THRE is the source */
	ASSERT_EQ(2, self->irq.n);
	EXPECT_EQ(0, self->irq.levels[1]);
	EXPECT_EQ(0x01, SIN(2));		/* cleared by that read */
	EXPECT_EQ(2, self->irq.n);		/* no change, no call */

	SOUT(0, 'x');				/* THR empties again */
	ASSERT_EQ(3, self->irq.n);
	EXPECT_EQ(1, self->irq.levels[2]);
	SOUT(0, 'y');				/* already high: no call */
	EXPECT_EQ(3, self->irq.n);

	SOUT(1, 0x00);				/* disabling lowers it */
	ASSERT_EQ(4, self->irq.n);
	EXPECT_EQ(0, self->irq.levels[3]);
}

/* Linux's UART_BUG_THRE test: re-enabling ETBEI re-asserts THRE. */
TEST_F(uart, thre_reassert_on_reenable)
{
	SOUT(1, 0x02);
	EXPECT_EQ(0x02, SIN(2) & 0x0f);
	SOUT(1, 0x00);
	SOUT(1, 0x02);
	EXPECT_EQ(0x02, SIN(2) & 0x0f);
	SOUT(1, 0x00);
}

TEST_F(uart, receive_with_interrupt)
{
	const uint8_t in[] = { 'o', 'k' };

	SOUT(2, 0x01);				/* FIFO, trigger 1 */
	SOUT(1, 0x01);				/* ERBFI */
	EXPECT_EQ(0, self->irq.n);
	EXPECT_EQ(0, SIN(5) & 0x01);

	ASSERT_EQ(2, mvm_serial_input(self->s, in, sizeof(in)));
	ASSERT_EQ(1, self->irq.n);
	EXPECT_EQ(1, self->irq.levels[0]);
	EXPECT_EQ(0xc4, SIN(2));		/* RDA */
	EXPECT_EQ(0x61, SIN(5));		/* DR */
	EXPECT_EQ('o', SIN(0));
	EXPECT_EQ(1, self->irq.n);
	EXPECT_EQ('k', SIN(0));
	ASSERT_EQ(2, self->irq.n);
	EXPECT_EQ(0, self->irq.levels[1]);
	EXPECT_EQ(0x60, SIN(5));
	EXPECT_EQ('k', SIN(0));			/* empty: last byte again */
	EXPECT_EQ(2, self->irq.n);
}

/* Below the trigger level the character timeout is reported. */
TEST_F(uart, receive_trigger_and_timeout)
{
	uint8_t in[8] = "abcdefgh";

	SOUT(2, 0x81);				/* FIFO, trigger 8 */
	SOUT(1, 0x01);
	ASSERT_EQ(3, mvm_serial_input(self->s, in, 3));
	EXPECT_EQ(0xcc, SIN(2));		/* timeout */
	ASSERT_EQ(5, mvm_serial_input(self->s, in + 3, 5));
	EXPECT_EQ(0xc4, SIN(2));		/* RDA at 8 */
	EXPECT_EQ('a', SIN(0));
	EXPECT_EQ(0xcc, SIN(2));
}

TEST_F(uart, receive_fifo_bounded)
{
	uint8_t in[40];
	unsigned int i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	ASSERT_EQ(1, mvm_serial_input(self->s, in, sizeof(in)));	/* no FIFO */
	EXPECT_EQ(0, mvm_serial_rx_space(self->s));
	EXPECT_EQ(0, mvm_serial_input(self->s, in, sizeof(in)));

	SOUT(2, 0x01);				/* enabling clears the FIFO */
	EXPECT_EQ(0x60, SIN(5));
	ASSERT_EQ(16, mvm_serial_input(self->s, in, sizeof(in)));
	EXPECT_EQ(0, mvm_serial_input(self->s, in + 16, 24));
	EXPECT_EQ(0, SIN(5) & 0x02);		/* host bytes never overrun */
	for (i = 0; i < 16; i++)
		EXPECT_EQ(i, SIN(0));
	EXPECT_EQ(16, mvm_serial_rx_space(self->s));
	EXPECT_EQ(-EINVAL, mvm_serial_input(self->s, NULL, 1));
	EXPECT_EQ(0, mvm_serial_input(self->s, NULL, 0));
	EXPECT_EQ(-EINVAL, mvm_serial_input(NULL, in, 1));
}

TEST_F(uart, fcr_clears_rx)
{
	uint8_t in[4] = "wxyz";

	SOUT(2, 0x01);
	ASSERT_EQ(4, mvm_serial_input(self->s, in, 4));
	SOUT(2, 0x03);				/* clear RX */
	EXPECT_EQ(0x60, SIN(5));
	EXPECT_EQ(16, mvm_serial_rx_space(self->s));
}

/* Loopback: THR comes back on RBR, the host line is disconnected. */
TEST_F(uart, loopback_data_and_overrun)
{
	unsigned int i;

	SOUT(3, 0x03);
	SOUT(2, 0x01);
	SOUT(4, 0x10);
	EXPECT_EQ(0, mvm_serial_input(self->s, (const uint8_t *)"a", 1));
	for (i = 0; i < 17; i++)
		SOUT(0, (uint8_t)(0x40 + i));
	EXPECT_EQ(0, self->out.len);		/* nothing to the sink */
	EXPECT_EQ(0x63, SIN(5));		/* DR, OE */
	EXPECT_EQ(0x61, SIN(5));		/* OE cleared by the read */
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0x40 + i, SIN(0));	/* the 17th was lost */
	EXPECT_EQ(0x60, SIN(5));
}

TEST_F(uart, line_status_interrupt)
{
	unsigned int i;

	SOUT(3, 0x03);				/* 8 bits */
	SOUT(4, 0x10);				/* loopback, no FIFO */
	SOUT(1, 0x04);				/* ELSI */
	SOUT(0, 'a');
	EXPECT_EQ(0, self->irq.n);
	SOUT(0, 'b');				/* overrun */
	ASSERT_EQ(1, self->irq.n);
	EXPECT_EQ(0x06, SIN(2));		/* RLS */
	EXPECT_EQ(0x03, SIN(5) & 0x03);
	ASSERT_EQ(2, self->irq.n);
	EXPECT_EQ(0, self->irq.levels[1]);
	EXPECT_EQ('b', SIN(0));			/* replaced the unread byte */
	for (i = 0; i < self->irq.n && i < 64; i++)
		EXPECT_TRUE(self->irq.levels[i] == 0 ||
			    self->irq.levels[i] == 1);
}

TEST_F(uart, modem_status_interrupt)
{
	SOUT(1, 0x08);				/* EDSSI */
	SOUT(4, 0x10 | 0x01);			/* loopback: DSR = DTR */
	ASSERT_EQ(1, self->irq.n);
	EXPECT_EQ(0x00, SIN(2));		/* modem status source */
	EXPECT_EQ(1, self->irq.n);
	/* From the idle terminal: CTS and DCD fell, DSR stayed. */
	EXPECT_EQ(0x20 | 0x09, SIN(6));		/* DSR; DCTS, DDCD */
	ASSERT_EQ(2, self->irq.n);
	EXPECT_EQ(0x00, SIN(6) & 0x0f);		/* read clears */
	SOUT(4, 0x10 | 0x04);			/* RI rises: no TERI */
	EXPECT_EQ(0x02, SIN(6) & 0x0f);		/* DDSR only */
	SOUT(4, 0x10);				/* RI falls */
	EXPECT_EQ(0x04, SIN(6) & 0x0f);		/* TERI */
}

/* ---- hostile accesses -------------------------------------------------- */

TEST_F(uart, hostile_sizes_offsets)
{
	uint8_t b[4] = { 0 };

	EXPECT_EQ(-ERANGE, mvm_serial_pio_ops.read(self->s, 8, b, 1));
	EXPECT_EQ(-ERANGE, mvm_serial_pio_ops.write(self->s, 0xffff, b, 4));
	EXPECT_EQ(-EINVAL, mvm_serial_pio_ops.read(self->s, 0, b, 3));
	EXPECT_EQ(-EINVAL, mvm_serial_pio_ops.read(self->s, 0, b, 0));
	EXPECT_EQ(-EINVAL, mvm_serial_pio_ops.write(self->s, 0, b, 8));
	EXPECT_EQ(-EINVAL, mvm_serial_pio_ops.read(self->s, 0, NULL, 1));
	EXPECT_EQ(-EINVAL, mvm_serial_pio_ops.read(NULL, 0, b, 1));

	/* 4 bytes at offset 6: MSR, SCR, then two bytes past the end. */
	SOUT(7, 0x42);
	ASSERT_EQ(0, mvm_serial_pio_ops.read(self->s, 6, b, 4));
	EXPECT_EQ(0x42, b[1]);
	EXPECT_EQ(0xff, b[2]);
	EXPECT_EQ(0xff, b[3]);

	/* A 16-bit write to 3 is LCR then MCR. */
	b[0] = 0x03;
	b[1] = 0x0b;
	ASSERT_EQ(0, mvm_serial_pio_ops.write(self->s, 3, b, 2));
	EXPECT_EQ(0x03, SIN(3));
	EXPECT_EQ(0x0b, SIN(4));
	b[0] = 'q';
	b[1] = 0;
	ASSERT_EQ(0, mvm_serial_pio_ops.write(self->s, 0, b, 2));
	ASSERT_EQ(1, self->out.len);
	EXPECT_EQ('q', self->out.buf[0]);
}

TEST(uart_create_errors)
{
	struct mvm_serial_config cfg = { 0 };
	struct mvm_serial *s;
	uint8_t v;

	EXPECT_EQ(-EINVAL, mvm_serial_create(NULL, &s));
	EXPECT_EQ(-EINVAL, mvm_serial_create(&cfg, NULL));
	mvm_serial_destroy(NULL);
	/* No IRQ, no sink: everything still works. */
	ASSERT_EQ(0, mvm_serial_create(&cfg, &s));
	v = 0x0f;
	EXPECT_EQ(0, mvm_serial_pio_ops.write(s, 1, &v, 1));
	v = 'z';
	EXPECT_EQ(0, mvm_serial_pio_ops.write(s, 0, &v, 1));
	EXPECT_EQ(0, mvm_serial_pio_ops.read(s, 2, &v, 1));
	mvm_serial_destroy(s);
}

/* ---- i8042 -------------------------------------------------------------- */

FIXTURE(kbc) {
	struct mvm_i8042 *k;
	unsigned int resets;
};

static void count_reset(void *opaque)
{
	(*(unsigned int *)opaque)++;
}

FIXTURE_SETUP(kbc)
{
	struct mvm_i8042_config cfg = {
		.reset = count_reset, .reset_opaque = &self->resets,
	};

	self->resets = 0;
	ASSERT_EQ(0, mvm_i8042_create(&cfg, &self->k));
}

FIXTURE_TEARDOWN(kbc)
{
	mvm_i8042_destroy(self->k);
}

#define KIN(off)	in8(&mvm_i8042_pio_ops, self->k, (off))
#define KOUT(off, v)	out8(&mvm_i8042_pio_ops, self->k, (off), (v))

TEST_F(kbc, self_test)
{
	EXPECT_EQ(0, KIN(4) & 0x03);		/* OBF, IBF clear */
	KOUT(4, 0xaa);
	EXPECT_EQ(0x01, KIN(4) & 0x03);
	EXPECT_EQ(0x04, KIN(4) & 0x04);		/* system flag */
	EXPECT_EQ(0x55, KIN(0));
	EXPECT_EQ(0, KIN(4) & 0x01);
}

TEST_F(kbc, interface_tests)
{
	KOUT(4, 0xab);
	EXPECT_EQ(0x00, KIN(0));
	KOUT(4, 0xa9);
	EXPECT_EQ(0x01, KIN(4) & 0x01);
	EXPECT_EQ(0x00, KIN(0));
}

TEST_F(kbc, command_byte_roundtrip)
{
	KOUT(4, 0x20);
	EXPECT_EQ(0x44, KIN(0));		/* SYS, XLATE */
	KOUT(4, 0x60);
	EXPECT_EQ(0x08, KIN(4) & 0x08);		/* last write: command */
	KOUT(0, 0x47);
	EXPECT_EQ(0, KIN(4) & 0x08);
	KOUT(4, 0x20);
	EXPECT_EQ(0x47, KIN(0));
}

TEST_F(kbc, port_enable_disable)
{
	KOUT(4, 0xad);
	KOUT(4, 0xa7);
	KOUT(4, 0x20);
	EXPECT_EQ(0x30, KIN(0) & 0x30);
	KOUT(4, 0xae);
	KOUT(4, 0x20);
	EXPECT_EQ(0x20, KIN(0) & 0x30);
	KOUT(4, 0xa8);
	KOUT(4, 0x20);
	EXPECT_EQ(0x00, KIN(0) & 0x30);
}

TEST_F(kbc, output_port)
{
	KOUT(4, 0xd0);
	EXPECT_EQ(0x03, KIN(0));		/* reset high, A20 on */
	KOUT(4, 0xd1);
	KOUT(0, 0x01);				/* A20 off */
	KOUT(4, 0xd0);
	EXPECT_EQ(0x01, KIN(0));
	EXPECT_EQ(0, self->resets);
	KOUT(4, 0xd1);
	KOUT(0, 0x02);				/* bit 0 low: reset */
	EXPECT_EQ(1, self->resets);
}

TEST_F(kbc, reset_once_per_fe)
{
	KOUT(4, 0xfe);
	EXPECT_EQ(1, self->resets);
	KOUT(4, 0xfe);
	EXPECT_EQ(2, self->resets);
	KOUT(4, 0xff);				/* pulses nothing */
	EXPECT_EQ(2, self->resets);
}

TEST_F(kbc, unknown_and_no_device)
{
	unsigned int c;

	for (c = 0; c < 0x100; c++)
		if (c < 0xf0 && c != 0xd1)
			KOUT(4, (uint8_t)c);
	EXPECT_EQ(0, self->resets);
	KOUT(4, 0xaa);
	EXPECT_EQ(0x55, KIN(0));
	KOUT(0, 0xf2);				/* to the keyboard: none */
	EXPECT_EQ(0x40, KIN(4) & 0x41);		/* time-out, no data */
}

TEST_F(kbc, hostile_accesses)
{
	uint8_t b[4] = { 0xaa, 0, 0, 0 };

	EXPECT_EQ(-ERANGE, mvm_i8042_pio_ops.read(self->k, 1, b, 1));
	EXPECT_EQ(-ERANGE, mvm_i8042_pio_ops.write(self->k, 3, b, 1));
	EXPECT_EQ(-ERANGE, mvm_i8042_pio_ops.read(self->k, 5, b, 1));
	EXPECT_EQ(-EINVAL, mvm_i8042_pio_ops.write(self->k, 4, b, 3));
	ASSERT_EQ(0, mvm_i8042_pio_ops.write(self->k, 4, b, 4));
	ASSERT_EQ(0, mvm_i8042_pio_ops.read(self->k, 0, b, 4));
	EXPECT_EQ(0x55, b[0]);
	EXPECT_EQ(0xff, b[1]);
	EXPECT_EQ(0xff, b[3]);
}

/* ---- RTC ---------------------------------------------------------------- */

/* 2026-11-29 14:41:05 UTC, a Sunday. */
#define T0	1795963265LL

FIXTURE(rtc) {
	struct mvm_rtc *r;
	int64_t now;
};

static int64_t fixed_now(void *opaque)
{
	return *(int64_t *)opaque;
}

FIXTURE_SETUP(rtc)
{
	struct mvm_rtc_config cfg = { .now = fixed_now,
				      .now_opaque = &self->now };

	self->now = T0;
	ASSERT_EQ(0, mvm_rtc_create(&cfg, &self->r));
}

FIXTURE_TEARDOWN(rtc)
{
	mvm_rtc_destroy(self->r);
}

static uint8_t cmos_read(struct mvm_rtc *r, uint8_t idx)
{
	out8(&mvm_rtc_pio_ops, r, 0, idx);
	return in8(&mvm_rtc_pio_ops, r, 1);
}

static void cmos_write(struct mvm_rtc *r, uint8_t idx, uint8_t v)
{
	out8(&mvm_rtc_pio_ops, r, 0, idx);
	out8(&mvm_rtc_pio_ops, r, 1, v);
}

TEST_F(rtc, bcd_time)
{
	EXPECT_EQ(0x05, cmos_read(self->r, 0));
	EXPECT_EQ(0x41, cmos_read(self->r, 2));
	EXPECT_EQ(0x14, cmos_read(self->r, 4));
	EXPECT_EQ(0x01, cmos_read(self->r, 6));	/* Sunday */
	EXPECT_EQ(0x29, cmos_read(self->r, 7));
	EXPECT_EQ(0x11, cmos_read(self->r, 8));
	EXPECT_EQ(0x26, cmos_read(self->r, 9));
	EXPECT_EQ(0x20, cmos_read(self->r, 0x32));
}

TEST_F(rtc, binary_time)
{
	cmos_write(self->r, 0x0b, 0x02 | 0x04);
	EXPECT_EQ(5, cmos_read(self->r, 0));
	EXPECT_EQ(41, cmos_read(self->r, 2));
	EXPECT_EQ(14, cmos_read(self->r, 4));
	EXPECT_EQ(29, cmos_read(self->r, 7));
	EXPECT_EQ(11, cmos_read(self->r, 8));
	EXPECT_EQ(26, cmos_read(self->r, 9));
	EXPECT_EQ(20, cmos_read(self->r, 0x32));
}

TEST_F(rtc, twelve_hour)
{
	cmos_write(self->r, 0x0b, 0x00);		/* 12-hour BCD */
	EXPECT_EQ(0x80 | 0x02, cmos_read(self->r, 4));	/* 2 PM */
	cmos_write(self->r, 0x0b, 0x04);		/* 12-hour binary */
	EXPECT_EQ(0x80 | 2, cmos_read(self->r, 4));
	self->now = T0 - 14 * 3600;			/* 00:41 */
	EXPECT_EQ(12, cmos_read(self->r, 4));		/* 12 AM */
	self->now = T0 - 2 * 3600;			/* 12:41 */
	EXPECT_EQ(0x80 | 12, cmos_read(self->r, 4));	/* 12 PM */
}

TEST_F(rtc, clock_follows_callback)
{
	self->now = T0 + 3600 * 24 * 3 + 2;		/* Dec 2, 14:41:07 */
	EXPECT_EQ(0x07, cmos_read(self->r, 0));
	EXPECT_EQ(0x02, cmos_read(self->r, 7));
	EXPECT_EQ(0x12, cmos_read(self->r, 8));
	self->now = 946684799;				/* 1999-12-31 23:59:59 */
	EXPECT_EQ(0x99, cmos_read(self->r, 9));
	EXPECT_EQ(0x19, cmos_read(self->r, 0x32));
}

TEST_F(rtc, uip_never_set_and_status_regs)
{
	int i;

	for (i = 0; i < 1000; i++) {
		self->now = T0 + i;
		EXPECT_EQ(0, cmos_read(self->r, 0x0a) & 0x80);
	}
	EXPECT_EQ(0x26, cmos_read(self->r, 0x0a));
	cmos_write(self->r, 0x0a, 0xa6);			/* UIP is read-only */
	EXPECT_EQ(0x26, cmos_read(self->r, 0x0a));
	EXPECT_EQ(0x02, cmos_read(self->r, 0x0b));
	EXPECT_EQ(0x00, cmos_read(self->r, 0x0c));
	EXPECT_EQ(0x80, cmos_read(self->r, 0x0d));		/* VRT */
	cmos_write(self->r, 0x0d, 0x00);
	EXPECT_EQ(0x80, cmos_read(self->r, 0x0d));
}

TEST_F(rtc, set_time_as_offset)
{
	cmos_write(self->r, 0x0b, 0x82);		/* SET, 24h BCD */
	self->now = T0 + 10;
	EXPECT_EQ(0x05, cmos_read(self->r, 0));		/* frozen */
	cmos_write(self->r, 0x09, 0x30);		/* 2030 */
	cmos_write(self->r, 0x04, 0x08);		/* 08:41:05 */
	EXPECT_EQ(0x30, cmos_read(self->r, 9));
	cmos_write(self->r, 0x0b, 0x02);		/* release */
	EXPECT_EQ(0x30, cmos_read(self->r, 9));
	EXPECT_EQ(0x08, cmos_read(self->r, 4));
	EXPECT_EQ(0x05, cmos_read(self->r, 0));
	self->now += 20;				/* and it runs */
	EXPECT_EQ(0x25, cmos_read(self->r, 0));
	EXPECT_EQ(0x29, cmos_read(self->r, 7));
	EXPECT_EQ(0x11, cmos_read(self->r, 8));
}

TEST_F(rtc, write_without_set_and_clamping)
{
	cmos_write(self->r, 0x00, 0x30);		/* seconds 30 */
	EXPECT_EQ(0x30, cmos_read(self->r, 0));
	EXPECT_EQ(0x41, cmos_read(self->r, 2));
	cmos_write(self->r, 0x08, 0xff);		/* month 165 -> 12 */
	EXPECT_EQ(0x12, cmos_read(self->r, 8));
	cmos_write(self->r, 0x0b, 0x00);		/* 12-hour BCD */
	cmos_write(self->r, 0x04, 0x80 | 0x12);		/* 12 PM */
	cmos_write(self->r, 0x0b, 0x02);
	EXPECT_EQ(0x12, cmos_read(self->r, 4));
}

TEST_F(rtc, cmos_ram_roundtrip)
{
	unsigned int i;

	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			cmos_write(self->r, (uint8_t)i, (uint8_t)(i * 3 + 1));
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			EXPECT_EQ((uint8_t)(i * 3 + 1),
				  cmos_read(self->r, (uint8_t)i));
	cmos_write(self->r, 0x01, 0x59);		/* alarm: storage */
	EXPECT_EQ(0x59, cmos_read(self->r, 0x01));
}

TEST_F(rtc, index_masking)
{
	cmos_write(self->r, 0x20, 0xab);
	EXPECT_EQ(0xab, cmos_read(self->r, 0xa0));	/* NMI bit ignored */
	cmos_write(self->r, 0xff, 0x5c);
	EXPECT_EQ(0x5c, cmos_read(self->r, 0x7f));
	EXPECT_EQ(0x05, cmos_read(self->r, 0x80));	/* seconds */
	EXPECT_EQ(0xff, in8(&mvm_rtc_pio_ops, self->r, 0));
}

TEST_F(rtc, hostile_accesses)
{
	uint8_t b[4] = { 0x09, 0, 0, 0 };

	EXPECT_EQ(-ERANGE, mvm_rtc_pio_ops.read(self->r, 2, b, 1));
	EXPECT_EQ(-ERANGE, mvm_rtc_pio_ops.write(self->r, 0x100, b, 2));
	EXPECT_EQ(-EINVAL, mvm_rtc_pio_ops.read(self->r, 0, b, 5));
	/* 16-bit read of 0x70: 0xff (index), then the data. */
	ASSERT_EQ(0, mvm_rtc_pio_ops.write(self->r, 0, b, 1));
	ASSERT_EQ(0, mvm_rtc_pio_ops.read(self->r, 0, b, 2));
	EXPECT_EQ(0xff, b[0]);
	EXPECT_EQ(0x26, b[1]);
	/* 16-bit write of 0x70: index then data. */
	b[0] = 0x40;
	b[1] = 0x77;
	ASSERT_EQ(0, mvm_rtc_pio_ops.write(self->r, 0, b, 2));
	EXPECT_EQ(0x77, cmos_read(self->r, 0x40));
	ASSERT_EQ(0, mvm_rtc_pio_ops.read(self->r, 1, b, 4));
	EXPECT_EQ(0x77, b[0]);
	EXPECT_EQ(0xff, b[1]);
}

TEST(rtc_extreme_clock)
{
	struct mvm_rtc *r;
	int64_t now = INT64_MAX;
	struct mvm_rtc_config cfg = { .now = fixed_now, .now_opaque = &now };
	unsigned int i;

	ASSERT_EQ(0, mvm_rtc_create(&cfg, &r));
	for (i = 0; i < 10; i++)
		cmos_read(r, (uint8_t)i);
	cmos_write(r, 0x09, 0x50);
	now = INT64_MIN;
	cmos_read(r, 0x09);
	cmos_write(r, 0x0b, 0x86);
	cmos_write(r, 0x32, 0xff);
	cmos_write(r, 0x0b, 0x06);
	cmos_read(r, 0x32);
	mvm_rtc_destroy(r);
	ASSERT_EQ(0, mvm_rtc_create(NULL, &r));		/* the epoch */
	EXPECT_EQ(0x70, cmos_read(r, 0x09));
	EXPECT_EQ(0x19, cmos_read(r, 0x32));
	mvm_rtc_destroy(r);
	EXPECT_EQ(-EINVAL, mvm_rtc_create(NULL, NULL));
	EXPECT_EQ(-EINVAL, mvm_i8042_create(NULL, NULL));
}

TEST_HARNESS_MAIN
