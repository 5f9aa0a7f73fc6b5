// SPDX-License-Identifier: Apache-2.0
/*
 * The MC146818 real-time clock and its CMOS RAM (Motorola MC146818A
 * datasheet), at the PC's ports 0x70 (index) and 0x71 (data).
 *
 * The time comes from the caller's clock, plus an offset the guest sets
 * by writing the time registers; nothing ticks here. Consequences, all
 * visible to the guest:
 *   - Register A's update-in-progress bit (UIP) always reads 0: the
 *     registers are computed on each read and are never mid-update, so a
 *     guest never has to poll for the end of an update cycle (Linux's
 *     mc146818_get_time() and the "wait for UIP to fall" loops return at
 *     once).
 *   - No interrupt is ever generated (no periodic, alarm or
 *     update-ended events) and register C's flags are never set: reading
 *     C returns 0 (and would clear any flag). No IRQ 8 is wired.
 *   - The alarm registers (1, 3, 5) are plain storage.
 *   - Register D reads "valid RAM and time" (VRT) always.
 *   - Time writes, with register B's SET bit or without, move the clock:
 *     with SET, the time registers freeze (the datasheet's "update
 *     inhibited"), writes change the frozen time, and clearing SET makes
 *     it the guest's time from then on; without SET, each write takes
 *     effect at once. The guest's time is kept as an offset from the
 *     caller's clock. A written day of week is shown while SET is held
 *     and then recomputed from the date. Values out of range for their
 *     register (BCD nibbles above 9, month 13, ...) are clamped to the
 *     nearest valid value; a day past the end of its month rolls over
 *     into the next.
 * The index port's bit 7 (NMI disable on a PC) is ignored; the index is
 * 7 bits. The index port reads 0xff, as it is write-only on a PC.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pio.h"

#define RTC_INDEX	0	/* port offsets */
#define RTC_DATA	1

/* Registers (datasheet, "Address Map"). */
#define REG_SEC		0x00
#define REG_SEC_ALARM	0x01
#define REG_MIN		0x02
#define REG_MIN_ALARM	0x03
#define REG_HOUR	0x04
#define REG_HOUR_ALARM	0x05
#define REG_WDAY	0x06
#define REG_MDAY	0x07
#define REG_MON		0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d

#define A_UIP		0x80
#define A_RESET		0x26	/* 32.768 kHz time base, 1024 Hz rate */

#define B_SET		0x80
#define B_UIE		0x10
#define B_DM		0x04	/* 1: binary, 0: BCD */
#define B_24H		0x02	/* 1: 24-hour, 0: 12-hour */
#define B_RESET		B_24H

#define D_VRT		0x80

#define HOUR_PM		0x80	/* 12-hour mode */

struct mvm_rtc {
	pthread_mutex_t lock;
	struct mvm_rtc_config cfg;

	uint8_t index;
	uint8_t ram[MVM_RTC_CMOS_SIZE];	/* A, B, alarms, plain CMOS */
	int64_t offset;			/* guest time - caller's clock */
	struct tm frozen;		/* the time while B.SET is held */
};

static int64_t clock_now(const struct mvm_rtc *r)
{
	return r->cfg.now ? r->cfg.now(r->cfg.now_opaque) : 0;
}

/* The guest's current time, broken down. */
static void guest_time(const struct mvm_rtc *r, struct tm *tm)
{
	int64_t now = clock_now(r), t;
	time_t tt;

	if (__builtin_add_overflow(now, r->offset, &t))
		t = now;
	tt = (time_t)t;
	if (!gmtime_r(&tt, tm)) {	/* beyond struct tm's years */
		tt = 0;
		gmtime_r(&tt, tm);
	}
}

/* The broken-down time @tm becomes the guest's time from now on. */
static void set_guest_time(struct mvm_rtc *r, const struct tm *tm)
{
	struct tm t = *tm;
	int64_t now = clock_now(r), off;

	t.tm_isdst = 0;
	if (__builtin_sub_overflow((int64_t)timegm(&t), now, &off))
		off = 0;
	r->offset = off;
}

static bool is_time_reg(uint8_t reg)
{
	switch (reg) {
	case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WDAY:
	case REG_MDAY: case REG_MON: case REG_YEAR: case MVM_RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t to_reg(const struct mvm_rtc *r, int v)
{
	if (v < 0)
		v = 0;
	if (r->ram[REG_B] & B_DM)
		return (uint8_t)v;
	v %= 100;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static int from_reg(const struct mvm_rtc *r, uint8_t v, int lo, int hi)
{
	int x = r->ram[REG_B] & B_DM ? v : (v >> 4) * 10 + (v & 0xf);

	return x < lo ? lo : x > hi ? hi : x;
}

static uint8_t read_time_reg(const struct mvm_rtc *r, uint8_t reg)
{
	struct tm tm;
	int year, h;

	if (r->ram[REG_B] & B_SET)
		tm = r->frozen;
	else
		guest_time(r, &tm);
	year = tm.tm_year + 1900;
	if (year < 0)
		year = 0;

	switch (reg) {
	case REG_SEC:
		return to_reg(r, tm.tm_sec > 59 ? 59 : tm.tm_sec);
	case REG_MIN:
		return to_reg(r, tm.tm_min);
	case REG_HOUR:
		if (r->ram[REG_B] & B_24H)
			return to_reg(r, tm.tm_hour);
		h = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
		return (uint8_t)(to_reg(r, h) |
				 (tm.tm_hour >= 12 ? HOUR_PM : 0));
	case REG_WDAY:
		return to_reg(r, tm.tm_wday + 1);	/* Sunday is 1 */
	case REG_MDAY:
		return to_reg(r, tm.tm_mday);
	case REG_MON:
		return to_reg(r, tm.tm_mon + 1);
	case REG_YEAR:
		return to_reg(r, year % 100);
	default:					/* century */
		return to_reg(r, year / 100 % 100);
	}
}

static void write_time_reg(struct mvm_rtc *r, uint8_t reg, uint8_t v)
{
	bool set = r->ram[REG_B] & B_SET;
	struct tm tm;
	int year, h;

	if (set)
		tm = r->frozen;
	else
		guest_time(r, &tm);
	year = tm.tm_year + 1900;
	if (year < 0 || year > 9999)
		year = 1970;

	switch (reg) {
	case REG_SEC:
		tm.tm_sec = from_reg(r, v, 0, 59);
		break;
	case REG_MIN:
		tm.tm_min = from_reg(r, v, 0, 59);
		break;
	case REG_HOUR:
		if (r->ram[REG_B] & B_24H) {
			tm.tm_hour = from_reg(r, v, 0, 23);
		} else {
			h = from_reg(r, v & ~HOUR_PM, 1, 12) % 12;
			tm.tm_hour = h + (v & HOUR_PM ? 12 : 0);
		}
		break;
	case REG_WDAY:
		tm.tm_wday = from_reg(r, v, 1, 7) - 1;
		break;
	case REG_MDAY:
		tm.tm_mday = from_reg(r, v, 1, 31);
		break;
	case REG_MON:
		tm.tm_mon = from_reg(r, v, 1, 12) - 1;
		break;
	case REG_YEAR:
		year = year / 100 * 100 + from_reg(r, v, 0, 99);
		break;
	default:					/* century */
		year = from_reg(r, v, 0, 99) * 100 + year % 100;
		break;
	}
	tm.tm_year = year - 1900;

	if (set)
		r->frozen = tm;
	else
		set_guest_time(r, &tm);
}

static void write_b(struct mvm_rtc *r, uint8_t v)
{
	uint8_t old = r->ram[REG_B];

	if ((v & B_SET) && !(old & B_SET))
		guest_time(r, &r->frozen);
	else if (!(v & B_SET) && (old & B_SET))
		set_guest_time(r, &r->frozen);
	if (v & B_SET)		/* SET clears UIE (datasheet, "SET") */
		v &= (uint8_t)~B_UIE;
	r->ram[REG_B] = v;
}

static uint8_t read_data(struct mvm_rtc *r)
{
	uint8_t reg = r->index;

	if (is_time_reg(reg))
		return read_time_reg(r, reg);
	switch (reg) {
	case REG_A:
		return r->ram[REG_A] & (uint8_t)~A_UIP;
	case REG_C:
		/* Read-to-clear; no event ever sets a flag here. */
		r->ram[REG_C] = 0;
		return 0;
	case REG_D:
		return D_VRT;
	default:
		return r->ram[reg];
	}
}

static void write_data(struct mvm_rtc *r, uint8_t v)
{
	uint8_t reg = r->index;

	if (is_time_reg(reg)) {
		write_time_reg(r, reg, v);
		return;
	}
	switch (reg) {
	case REG_A:
		r->ram[REG_A] = v & (uint8_t)~A_UIP;
		break;
	case REG_B:
		write_b(r, v);
		break;
	case REG_C:
	case REG_D:
		break;		/* read-only */
	default:
		r->ram[reg] = v;
		break;
	}
}

static int rtc_read(void *dev, uint16_t off, uint8_t *data, unsigned int size)
{
	struct mvm_rtc *r = dev;
	unsigned int i;
	int ret;

	ret = mvm_pio_check(dev, off, data, size, MVM_RTC_NR_PORTS);
	if (ret)
		return ret;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < size; i++)
		data[i] = off + i == RTC_DATA ? read_data(r) : 0xff;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int rtc_write(void *dev, uint16_t off, const uint8_t *data,
		     unsigned int size)
{
	struct mvm_rtc *r = dev;
	unsigned int i;
	int ret;

	ret = mvm_pio_check(dev, off, data, size, MVM_RTC_NR_PORTS);
	if (ret)
		return ret;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < size; i++) {
		if (off + i == RTC_INDEX)
			r->index = data[i] & 0x7f;	/* bit 7: NMI, ignored */
		else if (off + i == RTC_DATA)
			write_data(r, data[i]);
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

const struct mvm_pio_ops mvm_rtc_pio_ops = {
	.read = rtc_read,
	.write = rtc_write,
};

int mvm_rtc_create(const struct mvm_rtc_config *cfg, struct mvm_rtc **out)
{
	struct mvm_rtc *r;
	int ret;

	if (!out)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = pthread_mutex_init(&r->lock, NULL);
	if (ret) {
		free(r);
		return -ret;
	}
	if (cfg)
		r->cfg = *cfg;
	r->ram[REG_A] = A_RESET;
	r->ram[REG_B] = B_RESET;
	*out = r;
	return 0;
}

void mvm_rtc_destroy(struct mvm_rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}
