/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small AML byte-code writer for the DSDT of acpi.c: internal to the
 * loaders, never installed or exported.
 *
 * It writes the few constructs a static DSDT needs (ACPI 6.5, chapter
 * 20, "ACPI Machine Language Specification"): Scope, Device, Name,
 * Package and Buffer objects, integers, strings and name paths, plus
 * the resource descriptors of a _CRS buffer (ACPI 6.5, 6.4 "Resource
 * Data Types for ACPI"). No methods, no control flow.
 *
 * Every function appends to a struct mvm_aml, a caller-owned byte
 * buffer, and never past its end. Errors are sticky: once one happens
 * (-ENOSPC: the buffer is full; -EINVAL: a malformed name or argument)
 * nothing more is written and @err keeps the first errno, so a builder
 * checks it once at the end, and then has nothing usable. The functions
 * that write one item (a name, an integer, a string, a descriptor)
 * write all of it or none.
 *
 * Objects with a PkgLength (Scope, Device, Package) are written in two
 * calls: *_begin() returns a mark, mvm_aml_end() then puts the package
 * length in front of what was written since, in its shortest encoding.
 * Marks nest like the objects they stand for.
 */
#ifndef MVM_AML_H
#define MVM_AML_H

#include <stddef.h>
#include <stdint.h>

/* Opcodes and prefixes (ACPI 6.5, 20.3 "AML Byte Stream Byte Values"). */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_EXT_OP_PREFIX	0x5b
#define AML_ROOT_CHAR		0x5c	/* '\' */
#define AML_EXT_DEVICE_OP	0x82	/* after AML_EXT_OP_PREFIX */

/* Largest value a PkgLength encodes (28 bits). */
#define AML_PKG_LENGTH_MAX	0x0fffffffU

/*
 * Resource descriptor tags and fields (ACPI 6.5, 6.4.2 small and 6.4.3
 * large resource data types).
 */
#define AML_RES_IRQ_NOFLAGS	0x22	/* small, type 4, length 2 */
#define AML_RES_IO		0x47	/* small, type 8, length 7 */
#define AML_RES_END_TAG		0x79	/* small, type 0xf, length 1 */
#define AML_RES_MEM32_FIXED	0x86	/* large, type 6 */
#define AML_RES_EXT_IRQ		0x89	/* large, type 9 */

#define AML_RES_IO_DECODE16	0x01	/* I/O information: 16-bit decode */
#define AML_RES_MEM_RW		0x01	/* memory information: read-write */

/* Extended Interrupt flags (ACPI 6.5, 6.4.3.6). */
#define AML_RES_IRQ_CONSUMER	0x01
#define AML_RES_IRQ_EDGE	0x02
#define AML_RES_IRQ_ACTIVE_LOW	0x04
#define AML_RES_IRQ_SHARED	0x08
#define AML_RES_IRQ_WAKE	0x10

/*
 * An AML output buffer.
 * @buf: where bytes go; @cap its size.
 * @len: bytes written so far.
 * @err: 0, or the first error (-ENOSPC, -EINVAL); then nothing more is
 *       written.
 */
struct mvm_aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

/*
 * mvm_aml_init() - start writing at @buf, which holds @cap bytes. A NULL
 * @buf with a non-zero @cap sets @err to -EINVAL.
 */
void mvm_aml_init(struct mvm_aml *a, uint8_t *buf, size_t cap);

/* mvm_aml_byte() - append one byte. */
void mvm_aml_byte(struct mvm_aml *a, uint8_t v);

/* mvm_aml_bytes() - append @n bytes from @p (not inside @a->buf). */
void mvm_aml_bytes(struct mvm_aml *a, const void *p, size_t n);

/* mvm_aml_le16(), mvm_aml_le32(), mvm_aml_le64() - append a
 * little-endian word, doubleword, quadword. */
void mvm_aml_le16(struct mvm_aml *a, uint16_t v);
void mvm_aml_le32(struct mvm_aml *a, uint32_t v);
void mvm_aml_le64(struct mvm_aml *a, uint64_t v);

/*
 * mvm_aml_name() - append a NameString (ACPI 6.5, 20.2.2).
 * @path: an optional leading '\' (the root), then one or more name
 *        segments separated by '.'. A segment is 1 to 4 characters,
 *        the first 'A'-'Z' or '_', the rest also '0'-'9'; a shorter one
 *        is padded with '_' as ASL does ("RTC" is "RTC_"). "\" alone is
 *        the root itself.
 * Anything else sets -EINVAL.
 */
void mvm_aml_name(struct mvm_aml *a, const char *path);

/*
 * mvm_aml_integer() - append an integer in its shortest encoding:
 * ZeroOp, OneOp, or a Byte, Word, DWord or QWord prefix and the value.
 */
void mvm_aml_integer(struct mvm_aml *a, uint64_t v);

/*
 * mvm_aml_string() - append a String: StringPrefix, the characters,
 * NUL. Characters must be ASCII 0x01-0x7f (-EINVAL otherwise).
 */
void mvm_aml_string(struct mvm_aml *a, const char *s);

/*
 * mvm_aml_eisaid() - append the 32-bit compressed EISA ID of @id as an
 * integer (the ASL EISAID() macro, ACPI 6.5, 19.6.35): three upper-case
 * letters and four upper-case hexadecimal digits, "PNP0501". Anything
 * else sets -EINVAL.
 */
void mvm_aml_eisaid(struct mvm_aml *a, const char *id);

/* mvm_aml_name_begin() - start Name(@name, ...): NameOp and the name;
 * the caller appends one data object after it. */
void mvm_aml_name_begin(struct mvm_aml *a, const char *name);

/*
 * mvm_aml_scope_begin(), mvm_aml_device_begin() - open Scope(@name) or
 * Device(@name): the opcode, then (after mvm_aml_end()) its PkgLength and
 * @name, then whatever is appended until mvm_aml_end(@mark).
 *
 * Return: the mark to hand to mvm_aml_end().
 */
size_t mvm_aml_scope_begin(struct mvm_aml *a, const char *name);
size_t mvm_aml_device_begin(struct mvm_aml *a, const char *name);

/*
 * mvm_aml_package_begin() - open Package(@count) { ... }: the caller
 * appends exactly @count data objects (integers, strings), then calls
 * mvm_aml_end(@mark). @count at most 255.
 *
 * Return: the mark.
 */
size_t mvm_aml_package_begin(struct mvm_aml *a, unsigned int count);

/*
 * mvm_aml_end() - close the object opened at @mark: insert its PkgLength
 * (covering itself and everything written after the opcode) in the
 * fewest bytes it fits (ACPI 6.5, 20.2.4). -ENOSPC when the inserted
 * bytes do not fit, -EINVAL for a body longer than a PkgLength encodes
 * or a bad @mark.
 */
void mvm_aml_end(struct mvm_aml *a, size_t mark);

/*
 * mvm_aml_buffer() - append Buffer(@n) { @p[0..@n) }: BufferOp, its
 * PkgLength, the size as an integer, the bytes. Used for _CRS, whose
 * bytes come from a second struct mvm_aml filled by the mvm_aml_res_*()
 * functions.
 */
void mvm_aml_buffer(struct mvm_aml *a, const uint8_t *p, size_t n);

/*
 * mvm_aml_res_io() - I/O port descriptor (ACPI 6.5, 6.4.2.5) for a fixed
 * range: 16-bit decode, minimum = maximum = @base, alignment 1 (it only
 * matters for a range the OS may move), length @len (1..255).
 */
void mvm_aml_res_io(struct mvm_aml *a, uint16_t base, uint8_t len);

/*
 * mvm_aml_res_irq() - IRQ descriptor without the flags byte (ACPI 6.5,
 * 6.4.2.1; the ASL IRQNoFlags): ISA @irq (0..15), edge-triggered,
 * active-high, exclusive.
 */
void mvm_aml_res_irq(struct mvm_aml *a, unsigned int irq);

/*
 * mvm_aml_res_mem32_fixed() - 32-bit fixed memory range descriptor (ACPI
 * 6.5, 6.4.3.4): @base, @len bytes, read-write when @rw. The range must
 * end at or below 4 GiB (-EINVAL).
 */
void mvm_aml_res_mem32_fixed(struct mvm_aml *a, int rw, uint64_t base,
			     uint32_t len);

/*
 * mvm_aml_res_ext_irq() - Extended Interrupt descriptor (ACPI 6.5,
 * 6.4.3.6) with one interrupt, @gsi, and no resource source; @flags are
 * AML_RES_IRQ_*.
 */
void mvm_aml_res_ext_irq(struct mvm_aml *a, uint8_t flags, uint32_t gsi);

/*
 * mvm_aml_res_end() - End Tag (ACPI 6.5, 6.4.2.9) closing a resource
 * template, with checksum 0 ("the OS treats the template as valid").
 */
void mvm_aml_res_end(struct mvm_aml *a);

#endif /* MVM_AML_H */
