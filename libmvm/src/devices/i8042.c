// SPDX-License-Identifier: Apache-2.0
/*
 * The i8042 keyboard controller (IBM PC AT Technical Reference,
 * "Keyboard Controller"; the PS/2 extensions for the auxiliary port),
 * with nothing plugged into it: enough for Linux's i8042 driver to
 * probe it, and for a guest to reboot through it.
 *
 * Ports: 0x60 data (read the output buffer, write a command's parameter
 * or a byte for the keyboard), 0x64 status (read) and command (write).
 * The controller answers at once, so the input buffer is never full
 * (status IBF always clear) and no IRQ 1 or 12 is ever raised: command
 * results are polled by the guest, as Linux does.
 *
 * No keyboard and no mouse are attached. A byte the guest sends to the
 * keyboard (written to 0x60 with no command waiting for a parameter) or
 * to the mouse (command 0xD4 and its byte) is not answered: the status
 * register's time-out bit is set, which is how the AT controller
 * reports a device that does not clock. The interface tests (0xAB,
 * 0xA9) still answer 0x00, "no error": the clock and data lines are
 * fine, there is just nothing on them. Guests boot faster with
 * "i8042.noaux" (no mouse probe) on their command line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pio.h"

/* Status register (read 0x64). */
#define STR_OBF		0x01	/* output buffer full */
#define STR_IBF		0x02	/* input buffer full: never */
#define STR_SYS		0x04	/* system flag, from the command byte */
#define STR_CMD		0x08	/* last write went to 0x64 */
#define STR_UNLOCKED	0x10	/* keyboard not inhibited by the key lock */
#define STR_AUXDATA	0x20	/* the output buffer byte is from aux */
#define STR_TIMEOUT	0x40

/* Command byte, controller RAM byte 0. */
#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02
#define CTR_SYS		0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40

/*
 * At power-on the command byte is what a BIOS leaves after POST: system
 * flag set, translation on, both ports enabled, interrupts off.
 */
#define CTR_RESET	(CTR_SYS | CTR_XLATE)

/* Output port: bit 0 is the CPU reset line (active low), bit 1 A20. */
#define OUTP_RESET	0x01
#define OUTP_A20	0x02
#define OUTP_INIT	(OUTP_RESET | OUTP_A20)

/* Commands (written to 0x64). */
#define CMD_READ_RAM	0x20	/* 0x20-0x3f: RAM byte (cmd & 0x1f) */
#define CMD_WRITE_RAM	0x60	/* 0x60-0x7f: the next data byte */
#define CMD_AUX_DISABLE	0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE	0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_READ_OUTP	0xd0
#define CMD_WRITE_OUTP	0xd1
#define CMD_WRITE_KBD_OBUF 0xd2
#define CMD_WRITE_AUX_OBUF 0xd3
#define CMD_WRITE_AUX	0xd4
#define CMD_PULSE	0xf0	/* 0xf0-0xff: pulse output bits 3:0 low */

#define SELF_TEST_OK	0x55
#define PORT_TEST_OK	0x00

#define RAM_SIZE	32

struct mvm_i8042 {
	pthread_mutex_t lock;
	struct mvm_i8042_config cfg;

	uint8_t ram[RAM_SIZE];	/* ram[0] is the command byte */
	uint8_t status;		/* STR_CMD, STR_TIMEOUT, STR_AUXDATA */
	uint8_t outp;		/* output port */
	uint8_t obuf;		/* output buffer */
	bool obf;
	uint8_t pending;	/* command waiting for its data byte, or 0 */
};

static void reset_line(struct mvm_i8042 *k)
{
	if (k->cfg.reset)
		k->cfg.reset(k->cfg.reset_opaque);
}

static void put_obuf(struct mvm_i8042 *k, uint8_t v, bool aux)
{
	k->obuf = v;
	k->obf = true;
	if (aux)
		k->status |= STR_AUXDATA;
	else
		k->status &= (uint8_t)~STR_AUXDATA;
}

static uint8_t read_status(const struct mvm_i8042 *k)
{
	uint8_t v = k->status | STR_UNLOCKED;

	if (k->obf)
		v |= STR_OBF;
	if (k->ram[0] & CTR_SYS)
		v |= STR_SYS;
	return v;
}

static uint8_t read_data(struct mvm_i8042 *k)
{
	k->obf = false;
	return k->obuf;		/* an empty buffer repeats its last byte */
}

static void write_command(struct mvm_i8042 *k, uint8_t cmd)
{
	k->status |= STR_CMD;
	k->pending = 0;		/* a new command abandons an old one */

	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + RAM_SIZE) {
		put_obuf(k, k->ram[cmd - CMD_READ_RAM], false);
		return;
	}
	if ((cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) ||
	    cmd == CMD_WRITE_OUTP || cmd == CMD_WRITE_KBD_OBUF ||
	    cmd == CMD_WRITE_AUX_OBUF || cmd == CMD_WRITE_AUX) {
		k->pending = cmd;
		return;
	}
	if (cmd >= CMD_PULSE) {
		/* A clear bit in 3:0 pulses that output line; bit 0 resets. */
		if (!(cmd & OUTP_RESET))
			reset_line(k);
		return;
	}

	switch (cmd) {
	case CMD_AUX_DISABLE:
		k->ram[0] |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ram[0] &= (uint8_t)~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		put_obuf(k, PORT_TEST_OK, false);
		break;
	case CMD_SELF_TEST:
		k->ram[0] |= CTR_SYS;
		put_obuf(k, SELF_TEST_OK, false);
		break;
	case CMD_KBD_DISABLE:
		k->ram[0] |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ram[0] &= (uint8_t)~CTR_KBDDIS;
		break;
	case CMD_READ_OUTP:
		put_obuf(k, k->outp, false);
		break;
	default:
		/* Unknown or unimplemented: ignored, as by many chipsets. */
		break;
	}
}

static void write_data(struct mvm_i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->status &= (uint8_t)~STR_CMD;
	k->pending = 0;

	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
		k->ram[cmd - CMD_WRITE_RAM] = v;
		return;
	}
	switch (cmd) {
	case CMD_WRITE_OUTP:
		/* Bit 0 low holds the CPU in reset: reset, then release. */
		if (!(v & OUTP_RESET))
			reset_line(k);
		k->outp = v | OUTP_RESET;
		break;
	case CMD_WRITE_KBD_OBUF:
		put_obuf(k, v, false);
		break;
	case CMD_WRITE_AUX_OBUF:
		put_obuf(k, v, true);
		break;
	default:
		/* A byte for the keyboard (or, after 0xD4, the mouse): none. */
		k->status |= STR_TIMEOUT;
		break;
	}
}

static uint8_t read_byte(struct mvm_i8042 *k, unsigned int off)
{
	if (off == MVM_I8042_DATA)
		return read_data(k);
	if (off == MVM_I8042_CMD)
		return read_status(k);
	return 0xff;
}

static void write_byte(struct mvm_i8042 *k, unsigned int off, uint8_t v)
{
	if (off == MVM_I8042_DATA)
		write_data(k, v);
	else if (off == MVM_I8042_CMD)
		write_command(k, v);
}

/* Offsets 1-3 (ports 0x61-0x63) are not the controller's. */
static int i8042_check(void *dev, uint16_t off, const void *data,
		       unsigned int size)
{
	int ret = mvm_pio_check(dev, off, data, size, MVM_I8042_NR_PORTS);

	if (!ret && off != MVM_I8042_DATA && off != MVM_I8042_CMD)
		ret = -ERANGE;
	return ret;
}

static int i8042_read(void *dev, uint16_t off, uint8_t *data,
		      unsigned int size)
{
	struct mvm_i8042 *k = dev;
	unsigned int i;
	int ret;

	ret = i8042_check(dev, off, data, size);
	if (ret)
		return ret;
	pthread_mutex_lock(&k->lock);
	for (i = 0; i < size; i++)
		data[i] = read_byte(k, off + i);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static int i8042_write(void *dev, uint16_t off, const uint8_t *data,
		       unsigned int size)
{
	struct mvm_i8042 *k = dev;
	unsigned int i;
	int ret;

	ret = i8042_check(dev, off, data, size);
	if (ret)
		return ret;
	pthread_mutex_lock(&k->lock);
	for (i = 0; i < size; i++)
		write_byte(k, off + i, data[i]);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

const struct mvm_pio_ops mvm_i8042_pio_ops = {
	.read = i8042_read,
	.write = i8042_write,
};

int mvm_i8042_create(const struct mvm_i8042_config *cfg,
		     struct mvm_i8042 **out)
{
	struct mvm_i8042 *k;
	int ret;

	if (!out)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	ret = pthread_mutex_init(&k->lock, NULL);
	if (ret) {
		free(k);
		return -ret;
	}
	if (cfg)
		k->cfg = *cfg;
	k->ram[0] = CTR_RESET;
	k->outp = OUTP_INIT;
	*out = k;
	return 0;
}

void mvm_i8042_destroy(struct mvm_i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}
