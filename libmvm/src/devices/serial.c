// SPDX-License-Identifier: Apache-2.0
/*
 * An 8250/16550A UART (National Semiconductor PC16550D datasheet): the
 * guest's serial console at COM1.
 *
 * Transmission is instantaneous: a byte written to THR goes to the
 * output sink at once, so THR and the transmitter are always empty (LSR
 * THRE and TEMT always set), and the THR-empty interrupt is re-armed by
 * every THR write. There is no baud clock: the divisor latch is kept for
 * the guest to read back and paces nothing. The character timeout
 * interrupt (IIR 0xC) is reported as soon as fewer bytes than the
 * trigger level wait in the receive FIFO, as if the four character
 * times had passed. The modem lines outside loopback read as a
 * connected terminal (CTS, DSR, DCD set; RI clear). OUT2 does not gate
 * the interrupt line (on a PC it does; Linux always sets it, and not
 * gating is the more forgiving choice for other guests). Parity,
 * framing and break errors never happen on this line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pio.h"

/* Register offsets (datasheet, Table II "Register Summary"). */
#define UART_RBR	0	/* read, DLAB 0 */
#define UART_THR	0	/* write, DLAB 0 */
#define UART_DLL	0	/* DLAB 1 */
#define UART_IER	1	/* DLAB 0 */
#define UART_DLM	1	/* DLAB 1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_ERBFI	0x01	/* received data available */
#define IER_ETBEI	0x02	/* THR empty */
#define IER_ELSI	0x04	/* receiver line status */
#define IER_EDSSI	0x08	/* modem status */
#define IER_MASK	0x0f

#define IIR_NO_INT	0x01
#define IIR_MSR		0x00
#define IIR_THRE	0x02
#define IIR_RDA		0x04
#define IIR_RLS		0x06
#define IIR_TIMEOUT	0x0c
#define IIR_FIFO	0xc0	/* bits 7:6 set when FCR0 is set */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define FCR_TRIGGER	0xc0

#define LCR_WLS		0x03	/* word length: 5 + value bits */
#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_PE		0x04
#define LSR_FE		0x08
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define LSR_ERRORS	(LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_DELTAS	0x0f
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

/* The modem inputs outside loopback: a terminal is connected. */
#define MSR_LINES_IDLE	(MSR_CTS | MSR_DSR | MSR_DCD)

/* Power-on divisor: 9600 baud from the PC's 1.8432 MHz clock. */
#define DIVISOR_RESET	12

struct mvm_serial {
	pthread_mutex_t lock;
	struct mvm_serial_config cfg;

	uint8_t ier, fcr, lcr, mcr, scr;
	uint8_t lsr_err;	/* OE (the only error this line has) */
	uint8_t msr_delta;	/* MSR bits 3:0 */
	uint8_t dll, dlm;
	uint8_t rbr;		/* the last byte read, for empty reads */
	bool thre_pending;	/* THR-empty interrupt armed */
	int irq_level;		/* what the IRQ line was last driven to */

	uint8_t rx[MVM_SERIAL_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

static unsigned int rx_capacity(const struct mvm_serial *s)
{
	return s->fcr & FCR_ENABLE ? MVM_SERIAL_FIFO_SIZE : 1;
}

/* Receive FIFO trigger level, FCR bits 7:6 (datasheet, "FCR"). */
static unsigned int rx_trigger(const struct mvm_serial *s)
{
	static const unsigned int level[4] = { 1, 4, 8, 14 };

	if (!(s->fcr & FCR_ENABLE))
		return 1;
	return level[(s->fcr & FCR_TRIGGER) >> 6];
}

static uint8_t word_mask(const struct mvm_serial *s)
{
	return (uint8_t)(0xff >> (3 - (s->lcr & LCR_WLS)));
}

/* Modem status inputs: looped back from MCR, or the idle terminal. */
static uint8_t msr_lines(uint8_t mcr)
{
	uint8_t v = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_LINES_IDLE;
	if (mcr & MCR_RTS)
		v |= MSR_CTS;
	if (mcr & MCR_DTR)
		v |= MSR_DSR;
	if (mcr & MCR_OUT1)
		v |= MSR_RI;
	if (mcr & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

/* The highest-priority pending interrupt, as IIR bits 3:0. */
static uint8_t pending_id(const struct mvm_serial *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr_err & LSR_ERRORS))
		return IIR_RLS;
	if ((s->ier & IER_ERBFI) && s->rx_count)
		return s->rx_count >= rx_trigger(s) ? IIR_RDA : IIR_TIMEOUT;
	if ((s->ier & IER_ETBEI) && s->thre_pending)
		return IIR_THRE;
	if ((s->ier & IER_EDSSI) && (s->msr_delta & MSR_DELTAS))
		return IIR_MSR;
	return IIR_NO_INT;
}

static void update_irq(struct mvm_serial *s)
{
	int level = pending_id(s) != IIR_NO_INT;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (s->cfg.irq.set)
		s->cfg.irq.set(s->cfg.irq.opaque, s->cfg.irq.gsi, level);
}

static void rx_clear(struct mvm_serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

/* One byte into the receiver; false when it is full. */
static bool rx_push(struct mvm_serial *s, uint8_t b)
{
	if (s->rx_count >= rx_capacity(s))
		return false;
	s->rx[(s->rx_head + s->rx_count) % MVM_SERIAL_FIFO_SIZE] = b;
	s->rx_count++;
	return true;
}

static void transmit(struct mvm_serial *s, uint8_t b)
{
	b &= word_mask(s);
	if (s->mcr & MCR_LOOP) {
		if (!rx_push(s, b)) {
			/*
			 * Overrun: with FIFOs the byte in the shift register
			 * is lost; without, it overwrites the unread RBR.
			 */
			s->lsr_err |= LSR_OE;
			if (!(s->fcr & FCR_ENABLE))
				s->rx[s->rx_head] = b;
		}
	} else if (s->cfg.out) {
		s->cfg.out(s->cfg.out_opaque, &b, 1);
	}
	/* THR empties at once: the THRE interrupt is armed again. */
	s->thre_pending = true;
}

static uint8_t read_reg(struct mvm_serial *s, uint16_t off)
{
	uint8_t v, id;

	switch (off) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (s->rx_count) {
			s->rbr = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % MVM_SERIAL_FIFO_SIZE;
			s->rx_count--;
		}
		return s->rbr;
	case UART_IER:
		return s->lcr & LCR_DLAB ? s->dlm : s->ier;
	case UART_IIR:
		id = pending_id(s);
		/* Reading IIR clears THRE when it is the reported source. */
		if (id == IIR_THRE)
			s->thre_pending = false;
		return (uint8_t)(id | (s->fcr & FCR_ENABLE ? IIR_FIFO : 0));
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | s->lsr_err;
		if (s->rx_count)
			v |= LSR_DR;
		s->lsr_err = 0;		/* reading LSR clears the errors */
		return v;
	case UART_MSR:
		v = msr_lines(s->mcr) | s->msr_delta;
		s->msr_delta = 0;
		return v;
	default:			/* UART_SCR */
		return s->scr;
	}
}

static void write_ier(struct mvm_serial *s, uint8_t v)
{
	uint8_t old = s->ier;

	s->ier = v & IER_MASK;
	/*
	 * Enabling the THRE interrupt while THR is empty raises it (always
	 * the case here); Linux's UART_BUG_THRE probe relies on it.
	 */
	if ((s->ier & IER_ETBEI) && !(old & IER_ETBEI))
		s->thre_pending = true;
}

static void write_fcr(struct mvm_serial *s, uint8_t v)
{
	/* Changing FCR0 clears both FIFOs (datasheet, "FCR bit 0"). */
	if ((v ^ s->fcr) & FCR_ENABLE)
		rx_clear(s);
	if (!(v & FCR_ENABLE)) {
		s->fcr = 0;
		return;
	}
	if (v & FCR_CLEAR_RX)
		rx_clear(s);
	/* The transmit FIFO is always empty: FCR_CLEAR_TX has no effect. */
	s->fcr = v & (FCR_ENABLE | FCR_TRIGGER);
}

static void write_mcr(struct mvm_serial *s, uint8_t v)
{
	uint8_t old = msr_lines(s->mcr), now = msr_lines(v & MCR_MASK);
	uint8_t changed = old ^ now;

	if (changed & MSR_CTS)
		s->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		s->msr_delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))	/* trailing edge only */
		s->msr_delta |= MSR_TERI;
	if (changed & MSR_DCD)
		s->msr_delta |= MSR_DDCD;
	s->mcr = v & MCR_MASK;
}

static void write_reg(struct mvm_serial *s, uint16_t off, uint8_t v)
{
	switch (off) {
	case UART_THR:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB)
			s->dlm = v;
		else
			write_ier(s, v);
		break;
	case UART_FCR:
		write_fcr(s, v);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		write_mcr(s, v);
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		/* LSR and MSR: writes are for factory test, ignored. */
		break;
	}
}

static int serial_read(void *dev, uint16_t off, uint8_t *data,
		       unsigned int size)
{
	struct mvm_serial *s = dev;
	unsigned int i;
	int ret;

	ret = mvm_pio_check(dev, off, data, size, MVM_SERIAL_NR_PORTS);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < size; i++)
		data[i] = off + i < MVM_SERIAL_NR_PORTS ?
			  read_reg(s, (uint16_t)(off + i)) : 0xff;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int serial_write(void *dev, uint16_t off, const uint8_t *data,
			unsigned int size)
{
	struct mvm_serial *s = dev;
	unsigned int i;
	int ret;

	ret = mvm_pio_check(dev, off, data, size, MVM_SERIAL_NR_PORTS);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < size && off + i < MVM_SERIAL_NR_PORTS; i++)
		write_reg(s, (uint16_t)(off + i), data[i]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

const struct mvm_pio_ops mvm_serial_pio_ops = {
	.read = serial_read,
	.write = serial_write,
};

int mvm_serial_create(const struct mvm_serial_config *cfg,
		      struct mvm_serial **out)
{
	struct mvm_serial *s;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret) {
		free(s);
		return -ret;
	}
	s->cfg = *cfg;
	s->dll = DIVISOR_RESET;
	*out = s;
	return 0;
}

void mvm_serial_destroy(struct mvm_serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int mvm_serial_input(struct mvm_serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	if (!s || (!buf && len))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (!(s->mcr & MCR_LOOP))
		while (n < len && rx_push(s, buf[n]))
			n++;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return (int)n;
}

size_t mvm_serial_rx_space(struct mvm_serial *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (!(s->mcr & MCR_LOOP))
		n = rx_capacity(s) - s->rx_count;
	pthread_mutex_unlock(&s->lock);
	return n;
}
