// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the legacy port-I/O devices (src/devices/): a
 * hostile guest's sequence of IN and OUT on the 16550A UART, the i8042
 * and the MC146818 RTC, interleaved with host input to the UART.
 *
 * Input layout:
 *   0   8 bytes: the RTC's clock, Unix seconds (little-endian, any value)
 *   8   operations of 4 bytes each:
 *       [0] bits 1:0 device (0 UART, 1 i8042, 2 RTC, 3 UART host input),
 *           bit 2 write, bits 4:3 size (1, 2, 4, or an invalid 3),
 *           bit 5 an offset anywhere in 0..0xffff instead of in range
 *       [1] offset (low bits, or with bit 5 the high byte of it too)
 *       [2..3] the value written (or, for host input, byte count and
 *           first byte)
 *
 * Checked after every operation: the return is 0, or -EINVAL exactly
 * for the invalid size, or -ERANGE exactly for an offset the device does
 * not decode; the IRQ line is only ever driven to 0 or 1, only on a
 * change, on GSI 4; the UART's receive space stays within 0..16 and host
 * input takes no more than it was offered nor more than there was
 * space; the output sink gets one byte at a time.
 *
 * Run with LOADER_FUZZ_WRITE_SEED=<file> in the environment, the binary
 * writes a seed input (Linux's UART probe, an i8042 self-test and reset,
 * RTC reads) to <file> and exits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pio.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "INVARIANT: %s (%s:%d)\n", #cond, \
			__FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

struct state {
	int level;
	unsigned long irq_calls, out_bytes, resets;
	int64_t now;
};

static void irq_set(void *opaque, unsigned int gsi, int level)
{
	struct state *st = opaque;

	CHECK(gsi == MVM_SERIAL_COM1_GSI);
	CHECK(level == 0 || level == 1);
	CHECK(level != st->level);
	st->level = level;
	st->irq_calls++;
}

static void sink(void *opaque, const uint8_t *buf, size_t len)
{
	struct state *st = opaque;

	CHECK(buf && len == 1);
	st->out_bytes++;
}

static void reset(void *opaque)
{
	((struct state *)opaque)->resets++;
}

static int64_t now(void *opaque)
{
	return ((struct state *)opaque)->now;
}

static bool decodes(unsigned int dev, unsigned int off)
{
	switch (dev) {
	case 0:
		return off < MVM_SERIAL_NR_PORTS;
	case 1:
		return off == MVM_I8042_DATA || off == MVM_I8042_CMD;
	default:
		return off < MVM_RTC_NR_PORTS;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[4] = { 1, 2, 4, 3 };
	struct state st = { 0 };
	struct mvm_serial_config scfg = {
		.irq = { .set = irq_set, .opaque = &st,
			 .gsi = MVM_SERIAL_COM1_GSI },
		.out = sink, .out_opaque = &st,
	};
	struct mvm_i8042_config kcfg = { .reset = reset, .reset_opaque = &st };
	struct mvm_rtc_config rcfg = { .now = now, .now_opaque = &st };
	const struct mvm_pio_ops *ops[3] = {
		&mvm_serial_pio_ops, &mvm_i8042_pio_ops, &mvm_rtc_pio_ops,
	};
	struct mvm_serial *s;
	struct mvm_i8042 *k;
	struct mvm_rtc *r;
	void *devs[3];
	size_t i;

	if (size < 8)
		return 0;
	memcpy(&st.now, data, 8);
	CHECK(!mvm_serial_create(&scfg, &s));
	CHECK(!mvm_i8042_create(&kcfg, &k));
	CHECK(!mvm_rtc_create(&rcfg, &r));
	devs[0] = s;
	devs[1] = k;
	devs[2] = r;

	for (i = 8; i + 4 <= size; i += 4) {
		const uint8_t *op = data + i;
		unsigned int dev = op[0] & 3, sz = sizes[(op[0] >> 3) & 3];
		uint16_t off = op[0] & 0x20 ? (uint16_t)(op[1] << 8 | op[2]) :
					      (uint16_t)(op[1] & 7);
		uint8_t buf[4] = { op[2], op[3], op[1], op[0] };
		size_t space;
		int ret;

		if (dev == 3) {
			size_t n = op[2] % 24;
			uint8_t in[24];

			memset(in, op[3], sizeof(in));
			space = mvm_serial_rx_space(s);
			ret = mvm_serial_input(s, in, n);
			CHECK(ret >= 0 && (size_t)ret <= n &&
			      (size_t)ret <= space);
		} else {
			if (op[0] & 4)
				ret = ops[dev]->write(devs[dev], off, buf, sz);
			else
				ret = ops[dev]->read(devs[dev], off, buf, sz);
			if (sz == 3)
				CHECK(ret == -EINVAL);
			else if (!decodes(dev, off))
				CHECK(ret == -ERANGE);
			else
				CHECK(ret == 0);
		}
		CHECK(mvm_serial_rx_space(s) <= MVM_SERIAL_FIFO_SIZE);
		/* The clock moves on, sometimes; it stops at INT64_MAX
		 * rather than overflow (the RTC itself copes with any
		 * value, INT64_MAX included). */
		if ((op[3] & 1) && st.now < INT64_MAX)
			st.now++;
	}

	mvm_serial_destroy(s);
	mvm_i8042_destroy(k);
	mvm_rtc_destroy(r);
	return 0;
}

static int write_seed(const char *path)
{
	static const uint8_t ops[][4] = {
		{ 0x04, 7, 0xa5, 0 }, { 0x00, 7, 0, 0 },	/* scratch */
		{ 0x04, 1, 0x0f, 0 }, { 0x00, 1, 0, 0 },	/* IER */
		{ 0x04, 4, 0x1a, 0 }, { 0x00, 6, 0, 0 },	/* loopback */
		{ 0x04, 2, 0x01, 0 }, { 0x00, 2, 0, 0 },	/* FIFO */
		{ 0x04, 3, 0x83, 0 }, { 0x04, 0, 0x01, 0 },	/* divisor */
		{ 0x04, 3, 0x03, 0 }, { 0x04, 1, 0x03, 0 },
		{ 0x04, 0, 'h', 0 }, { 0x03, 0, 5, 'i' },	/* tx, rx */
		{ 0x00, 5, 0, 0 }, { 0x00, 0, 0, 0 },
		{ 0x05, 4, 0xaa, 0 }, { 0x01, 0, 0, 0 },	/* self-test */
		{ 0x05, 4, 0x60, 0 }, { 0x05, 0, 0x47, 0 },	/* CTR */
		{ 0x05, 4, 0xfe, 0 },				/* reset */
		{ 0x06, 0, 0x0b, 0 }, { 0x06, 1, 0x86, 0 },	/* RTC SET */
		{ 0x06, 0, 0x09, 0 }, { 0x06, 1, 0x30, 1 },
		{ 0x06, 0, 0x0b, 0 }, { 0x06, 1, 0x02, 1 },
		{ 0x06, 0, 0x00, 0 }, { 0x02, 1, 0, 1 },
		{ 0x0e, 0, 0x32, 0x19 }, { 0x12, 0, 0, 0 },	/* 16-bit, 32 */
		{ 0x24, 0x03, 0xf8, 0 },			/* far off */
	};
	static const uint8_t clock[8] = { 0x81, 0x9a, 0x0c, 0x6b };
	FILE *f = fopen(path, "wb");

	if (!f)
		return 1;
	if (fwrite(clock, 1, sizeof(clock), f) != sizeof(clock) ||
	    fwrite(ops, 1, sizeof(ops), f) != sizeof(ops)) {
		fclose(f);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seed = getenv("LOADER_FUZZ_WRITE_SEED");

	if (seed)
		exit(write_seed(seed));
	return 0;
}
