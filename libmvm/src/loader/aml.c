// SPDX-License-Identifier: Apache-2.0
/*
 * AML byte code for a static DSDT: see aml.h for what it covers.
 *
 * Encodings are from ACPI 6.5: 20.2 (AML grammar: NameString, PkgLength,
 * data objects), 20.3 (opcode values), 19.6.35 (EISAID) and 6.4
 * (resource descriptors).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "aml.h"

/* Longest PkgLength: a lead byte and three more. */
#define PKG_LENGTH_BYTES_MAX	4

static bool room(struct mvm_aml *a, size_t n)
{
	if (a->err)
		return false;
	if (n > a->cap - a->len) {
		a->err = -ENOSPC;
		return false;
	}
	return true;
}

static void fail(struct mvm_aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void mvm_aml_init(struct mvm_aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = buf ? cap : 0;
	a->len = 0;
	a->err = !buf && cap ? -EINVAL : 0;
}

void mvm_aml_byte(struct mvm_aml *a, uint8_t v)
{
	if (room(a, 1))
		a->buf[a->len++] = v;
}

void mvm_aml_bytes(struct mvm_aml *a, const void *p, size_t n)
{
	if (!n || !room(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void mvm_aml_le16(struct mvm_aml *a, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	mvm_aml_bytes(a, b, sizeof(b));
}

static void put_le32(uint8_t *p, uint32_t v)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void mvm_aml_le32(struct mvm_aml *a, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	mvm_aml_bytes(a, b, sizeof(b));
}

void mvm_aml_le64(struct mvm_aml *a, uint64_t v)
{
	uint8_t b[8];

	put_le32(b, (uint32_t)v);
	put_le32(b + 4, (uint32_t)(v >> 32));
	mvm_aml_bytes(a, b, sizeof(b));
}

static bool is_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_lead_char(c) || (c >= '0' && c <= '9');
}

/* Length of the segment at @s (up to '.' or NUL), 0 when invalid. */
static size_t seg_len(const char *s)
{
	size_t n = 0;

	if (!is_lead_char(s[0]))
		return 0;
	while (s[n] && s[n] != '.') {
		if (n == 4 || !is_name_char(s[n]))
			return 0;
		n++;
	}
	return n;
}

void mvm_aml_name(struct mvm_aml *a, const char *path)
{
	unsigned int nsegs = 0;
	bool root = false;
	const char *s;
	size_t n;

	if (a->err)
		return;
	if (!path) {
		fail(a, -EINVAL);
		return;
	}
	if (path[0] == '\\') {
		root = true;
		path++;
	}
	if (root && !path[0]) {
		/* The root alone: RootChar NullName. */
		if (room(a, 2)) {
			mvm_aml_byte(a, AML_ROOT_CHAR);
			mvm_aml_byte(a, 0);
		}
		return;
	}
	/* Validate and count first: nothing is written for a bad path. */
	for (s = path;; s += n + 1) {
		n = seg_len(s);
		if (!n || nsegs == 255) {
			fail(a, -EINVAL);
			return;
		}
		nsegs++;
		if (!s[n])
			break;
	}
	if (!room(a, root + (nsegs == 2 ? 1 : nsegs > 2 ? 2 : 0) +
		     4 * (size_t)nsegs))
		return;

	if (root)
		mvm_aml_byte(a, AML_ROOT_CHAR);
	if (nsegs == 2) {
		mvm_aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		mvm_aml_byte(a, AML_MULTI_NAME_PREFIX);
		mvm_aml_byte(a, (uint8_t)nsegs);
	}
	for (s = path;; s += n + 1) {
		char seg[4] = { '_', '_', '_', '_' };

		n = seg_len(s);
		memcpy(seg, s, n);
		mvm_aml_bytes(a, seg, sizeof(seg));
		if (!s[n])
			break;
	}
}

void mvm_aml_integer(struct mvm_aml *a, uint64_t v)
{
	uint8_t b[9];
	unsigned int n, i;

	if (v <= 1) {
		mvm_aml_byte(a, v ? AML_ONE_OP : AML_ZERO_OP);
		return;
	}
	if (v <= UINT8_MAX) {
		b[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= UINT16_MAX) {
		b[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= UINT32_MAX) {
		b[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		b[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	for (i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * i));
	mvm_aml_bytes(a, b, 1 + n);
}

void mvm_aml_string(struct mvm_aml *a, const char *s)
{
	size_t i;

	if (a->err)
		return;
	if (!s) {
		fail(a, -EINVAL);
		return;
	}
	/* AsciiCharList: 0x01-0x7f. */
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] > 0x7f) {
			fail(a, -EINVAL);
			return;
		}
	}
	if (!room(a, i + 2))
		return;
	mvm_aml_byte(a, AML_STRING_PREFIX);
	mvm_aml_bytes(a, s, i);
	mvm_aml_byte(a, 0);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void mvm_aml_eisaid(struct mvm_aml *a, const char *id)
{
	unsigned int c[3], h[4], i;
	uint8_t b[5];

	if (a->err)
		return;
	if (!id || strnlen(id, 8) != 7) {
		fail(a, -EINVAL);
		return;
	}
	/* Three letters, five bits each ('A' is 1), then four nibbles. */
	for (i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			fail(a, -EINVAL);
			return;
		}
		c[i] = (unsigned int)(id[i] - '@');
	}
	for (i = 0; i < 4; i++) {
		int d = hex_digit(id[3 + i]);

		if (d < 0) {
			fail(a, -EINVAL);
			return;
		}
		h[i] = (unsigned int)d;
	}
	/* Stored most significant bit first: a zero bit, the three 5-bit
	 * letters, the four digits. The DWord is those four bytes read
	 * little-endian ("PNP0501" is 0x0105d041). */
	b[0] = AML_DWORD_PREFIX;
	b[1] = (uint8_t)(c[0] << 2 | c[1] >> 3);
	b[2] = (uint8_t)((c[1] & 7) << 5 | c[2]);
	b[3] = (uint8_t)(h[0] << 4 | h[1]);
	b[4] = (uint8_t)(h[2] << 4 | h[3]);
	mvm_aml_bytes(a, b, sizeof(b));
}

void mvm_aml_name_begin(struct mvm_aml *a, const char *name)
{
	mvm_aml_byte(a, AML_NAME_OP);
	mvm_aml_name(a, name);
}

size_t mvm_aml_scope_begin(struct mvm_aml *a, const char *name)
{
	size_t mark;

	mvm_aml_byte(a, AML_SCOPE_OP);
	mark = a->len;
	mvm_aml_name(a, name);
	return mark;
}

size_t mvm_aml_device_begin(struct mvm_aml *a, const char *name)
{
	size_t mark;

	mvm_aml_byte(a, AML_EXT_OP_PREFIX);
	mvm_aml_byte(a, AML_EXT_DEVICE_OP);
	mark = a->len;
	mvm_aml_name(a, name);
	return mark;
}

size_t mvm_aml_package_begin(struct mvm_aml *a, unsigned int count)
{
	size_t mark;

	if (count > UINT8_MAX)
		fail(a, -EINVAL);
	mvm_aml_byte(a, AML_PACKAGE_OP);
	mark = a->len;
	mvm_aml_byte(a, (uint8_t)count);
	return mark;
}

/* Bytes a PkgLength takes for a body of @body bytes; 0 if too long. */
static unsigned int pkg_length_bytes(size_t body)
{
	/* 1 byte holds 6 bits; each further byte adds 8 to the 4 of the
	 * lead byte. The length counts the PkgLength bytes themselves. */
	static const size_t max[PKG_LENGTH_BYTES_MAX] = {
		0x3f, 0xfff, 0xfffff, AML_PKG_LENGTH_MAX,
	};
	unsigned int k;

	for (k = 1; k <= PKG_LENGTH_BYTES_MAX; k++)
		if (body <= max[k - 1] - k)
			return k;
	return 0;
}

void mvm_aml_end(struct mvm_aml *a, size_t mark)
{
	size_t body, total;
	unsigned int k, i;
	uint8_t *p;

	if (a->err)
		return;
	if (mark > a->len) {
		fail(a, -EINVAL);
		return;
	}
	body = a->len - mark;
	k = pkg_length_bytes(body);
	if (!k) {
		fail(a, -EINVAL);
		return;
	}
	if (!room(a, k))
		return;
	p = a->buf + mark;
	memmove(p + k, p, body);
	a->len += k;
	total = body + k;
	if (k == 1) {
		p[0] = (uint8_t)total;
		return;
	}
	/* Lead byte: count of following bytes in bits 7:6, length bits
	 * 3:0; then bits 11:4, 19:12, 27:20. */
	p[0] = (uint8_t)((k - 1) << 6 | (total & 0xf));
	for (i = 1; i < k; i++)
		p[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

void mvm_aml_buffer(struct mvm_aml *a, const uint8_t *p, size_t n)
{
	size_t mark;

	if (!p && n) {
		fail(a, -EINVAL);
		return;
	}
	mvm_aml_byte(a, AML_BUFFER_OP);
	mark = a->len;
	mvm_aml_integer(a, n);
	mvm_aml_bytes(a, p, n);
	mvm_aml_end(a, mark);
}

void mvm_aml_res_io(struct mvm_aml *a, uint16_t base, uint8_t len)
{
	uint8_t d[8] = {
		AML_RES_IO, AML_RES_IO_DECODE16,
		(uint8_t)base, (uint8_t)(base >> 8),	/* range minimum */
		(uint8_t)base, (uint8_t)(base >> 8),	/* range maximum */
		1,					/* alignment */
		len,
	};

	if (!len)
		fail(a, -EINVAL);
	mvm_aml_bytes(a, d, sizeof(d));
}

void mvm_aml_res_irq(struct mvm_aml *a, unsigned int irq)
{
	uint16_t mask = irq < 16 ? (uint16_t)(1U << irq) : 0;
	uint8_t d[3] = { AML_RES_IRQ_NOFLAGS, (uint8_t)mask,
			 (uint8_t)(mask >> 8) };

	if (!mask)
		fail(a, -EINVAL);
	mvm_aml_bytes(a, d, sizeof(d));
}

void mvm_aml_res_mem32_fixed(struct mvm_aml *a, int rw, uint64_t base,
			     uint32_t len)
{
	/* Tag, length 9 (the bytes after the length field), information,
	 * base, length. */
	uint8_t d[12] = { AML_RES_MEM32_FIXED, 9, 0,
			  rw ? AML_RES_MEM_RW : 0 };

	if (base > UINT32_MAX || len > UINT32_MAX - base + 1)
		fail(a, -EINVAL);
	put_le32(d + 4, (uint32_t)base);
	put_le32(d + 8, len);
	mvm_aml_bytes(a, d, sizeof(d));
}

void mvm_aml_res_ext_irq(struct mvm_aml *a, uint8_t flags, uint32_t gsi)
{
	/* Tag, length 6 (flags, count, one interrupt), flags, count. */
	uint8_t d[9] = { AML_RES_EXT_IRQ, 6, 0, flags, 1 };

	put_le32(d + 5, gsi);
	mvm_aml_bytes(a, d, sizeof(d));
}

void mvm_aml_res_end(struct mvm_aml *a)
{
	static const uint8_t d[2] = { AML_RES_END_TAG, 0 };

	mvm_aml_bytes(a, d, sizeof(d));
}
