/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading ACPI tables back, for the unit tests: the table chain from the
 * RSDP (signatures, lengths, checksums, OEM IDs) and a small AML reader
 * that decodes what src/loader/acpi.c writes into a DSDT (Scope, Device
 * and Name objects with integer, string, buffer and package values) and
 * rejects anything else, plus the _CRS resource descriptors it uses.
 *
 * Include after kselftest_harness.h: the checking helpers take the
 * test's _metadata and use its ASSERT/EXPECT macros.
 */
#ifndef MVM_TESTS_ACPI_READER_H
#define MVM_TESTS_ACPI_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loader/loader.h"

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* ---- reading the tables back ----------------------------------------- */

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
	uint64_t xsdt_gpa, fadt_gpa, madt_gpa, dsdt_gpa;
};

/* A table at @gpa with signature @sig: in memory, length, checksum. */
static const uint8_t *table_at(struct __test_metadata *_metadata,
			       const struct mvm_guest_mem *m, uint64_t gpa,
			       const char *sig)
{
	const uint8_t *t = mvm_gmem_ptr(m, gpa, 36);
	uint32_t len;

	ASSERT_NE(NULL, t);
	EXPECT_EQ(0, memcmp(t, sig, 4));
	len = mvm_get_le32(t + 4);
	ASSERT_GE(len, 36);
	/* Every table lies inside the ACPI region. */
	EXPECT_GE(gpa, MVM_ACPI_BASE);
	EXPECT_LE(gpa + len, MVM_ACPI_END);
	ASSERT_NE(NULL, mvm_gmem_ptr(m, gpa, len));
	EXPECT_EQ(0, sum8(t, len));
	EXPECT_EQ(0, memcmp(t + 10, "MVM   ", 6));
	EXPECT_EQ(0, memcmp(t + 28, "MVM ", 4));
	return t;
}

static void find_tables(struct __test_metadata *_metadata,
			const struct mvm_guest_mem *m, uint64_t rsdp,
			struct tables *t)
{
	const uint8_t *p = mvm_gmem_ptr(m, rsdp, MVM_ACPI_RSDP_SIZE);
	uint32_t xlen;

	ASSERT_NE(NULL, p);
	t->rsdp = p;
	EXPECT_EQ(0, memcmp(p, "RSD PTR ", 8));
	EXPECT_EQ(0, sum8(p, 20));
	EXPECT_EQ(0, sum8(p, 36));
	EXPECT_EQ(2, p[15]);
	EXPECT_EQ(0, memcmp(p + 9, "MVM   ", 6));
	EXPECT_EQ(0, mvm_get_le32(p + 16));	/* no RSDT */
	EXPECT_EQ(36, mvm_get_le32(p + 20));
	EXPECT_TRUE(all_zero(p + 33, 3));

	t->xsdt_gpa = mvm_get_le64(p + 24);
	t->xsdt = table_at(_metadata, m, t->xsdt_gpa, "XSDT");
	xlen = mvm_get_le32(t->xsdt + 4);
	ASSERT_EQ(36 + 2 * 8, xlen);
	EXPECT_EQ(1, t->xsdt[8]);
	t->fadt_gpa = mvm_get_le64(t->xsdt + 36);
	t->madt_gpa = mvm_get_le64(t->xsdt + 44);
	t->fadt = table_at(_metadata, m, t->fadt_gpa, "FACP");
	t->madt = table_at(_metadata, m, t->madt_gpa, "APIC");

	ASSERT_EQ(276, mvm_get_le32(t->fadt + 4));
	t->dsdt_gpa = mvm_get_le64(t->fadt + 140);
	EXPECT_EQ(t->dsdt_gpa, mvm_get_le32(t->fadt + 40));
	t->dsdt = table_at(_metadata, m, t->dsdt_gpa, "DSDT");
	EXPECT_EQ(2, t->dsdt[8]);
}

/* ---- a tiny AML reader ----------------------------------------------- */

#define MAX_NODES	128
#define PATH_MAX_LEN	40

enum node_kind { K_SCOPE, K_DEVICE, K_INT, K_STR, K_BUF, K_PKG };

struct node {
	char path[PATH_MAX_LEN];
	enum node_kind kind;
	uint64_t ival;
	char str[16];
	const uint8_t *buf;
	size_t buf_len;
	unsigned int pkg_n;
	uint64_t pkg[8];
};

struct aml_tree {
	struct node n[MAX_NODES];
	unsigned int nr;
};

/* PkgLength at *@p; *@pkg_end receives where the package ends. */
static int rd_pkglen(const uint8_t **p, const uint8_t *end,
		     const uint8_t **pkg_end)
{
	const uint8_t *start = *p;
	unsigned int k, i;
	uint32_t len;

	if (start >= end)
		return -1;
	k = start[0] >> 6;
	if (end - start < 1 + (long)k)
		return -1;
	if (!k) {
		len = start[0] & 0x3f;
	} else {
		if (start[0] & 0x30)
			return -1;
		len = start[0] & 0xf;
		for (i = 1; i <= k; i++)
			len |= (uint32_t)start[i] << (4 + 8 * (i - 1));
	}
	if (len < 1 + k || len > (uint32_t)(end - start))
		return -1;
	*pkg_end = start + len;
	*p = start + 1 + k;
	return 0;
}

static bool name_char(uint8_t c, bool lead)
{
	return (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!lead && c >= '0' && c <= '9');
}

/* A NameString, resolved against @scope into "\SEG.SEG". */
static int rd_name(const uint8_t **p, const uint8_t *end, const char *scope,
		   char *out)
{
	const uint8_t *q = *p;
	unsigned int nseg = 1, i, j;
	char path[PATH_MAX_LEN];
	size_t len;

	if (q < end && *q == '\\') {
		strcpy(path, "\\");
		q++;
	} else {
		snprintf(path, sizeof(path), "%s", scope);
	}
	if (q >= end)
		return -1;
	if (*q == 0x2e) {
		nseg = 2;
		q++;
	} else if (*q == 0x2f) {
		if (q + 1 >= end)
			return -1;
		nseg = q[1];
		q += 2;
	} else if (*q == 0) {
		nseg = 0;
		q++;
	}
	if ((size_t)(end - q) < 4 * (size_t)nseg)
		return -1;
	for (i = 0; i < nseg; i++, q += 4) {
		len = strlen(path);
		if (len + 6 > sizeof(path))
			return -1;
		for (j = 0; j < 4; j++)
			if (!name_char(q[j], j == 0))
				return -1;
		if (len > 1)
			path[len++] = '.';
		memcpy(path + len, q, 4);
		path[len + 4] = '\0';
	}
	strcpy(out, path);
	*p = q;
	return 0;
}

static int rd_int(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	static const unsigned int size[] = { 1, 2, 4, 0, 8 };
	const uint8_t *q = *p;
	unsigned int n, i;

	if (q >= end)
		return -1;
	switch (*q) {
	case 0x00:
	case 0x01:
		*v = *q;
		*p = q + 1;
		return 0;
	case 0x0a:
	case 0x0b:
	case 0x0c:
	case 0x0e:
		n = size[*q - 0x0a];
		if (end - q < 1 + (long)n)
			return -1;
		*v = 0;
		for (i = 0; i < n; i++)
			*v |= (uint64_t)q[1 + i] << (8 * i);
		*p = q + 1 + n;
		return 0;
	}
	return -1;
}

/* A DataRefObject after a Name's NameString. */
static int rd_data(const uint8_t **p, const uint8_t *end, struct node *nd)
{
	const uint8_t *q = *p, *pend, *s;
	uint64_t size;

	if (q >= end)
		return -1;
	if (*q == 0x0d) {			/* String */
		s = memchr(q + 1, 0, (size_t)(end - q - 1));
		if (!s || (size_t)(s - q - 1) >= sizeof(nd->str))
			return -1;
		nd->kind = K_STR;
		memcpy(nd->str, q + 1, (size_t)(s - q - 1));
		nd->str[s - q - 1] = '\0';
		*p = s + 1;
		return 0;
	}
	if (*q == 0x11) {			/* Buffer */
		q++;
		if (rd_pkglen(&q, end, &pend) || rd_int(&q, pend, &size) ||
		    size != (uint64_t)(pend - q))
			return -1;
		nd->kind = K_BUF;
		nd->buf = q;
		nd->buf_len = (size_t)size;
		*p = pend;
		return 0;
	}
	if (*q == 0x12) {			/* Package */
		q++;
		if (rd_pkglen(&q, end, &pend) || q >= pend)
			return -1;
		nd->kind = K_PKG;
		nd->pkg_n = *q++;
		if (nd->pkg_n > 8)
			return -1;
		for (unsigned int i = 0; i < nd->pkg_n; i++)
			if (rd_int(&q, pend, &nd->pkg[i]))
				return -1;
		if (q != pend)
			return -1;
		*p = pend;
		return 0;
	}
	nd->kind = K_INT;
	return rd_int(p, end, &nd->ival);
}

static struct node *new_node(struct aml_tree *t)
{
	if (t->nr == MAX_NODES)
		return NULL;
	memset(&t->n[t->nr], 0, sizeof(t->n[0]));
	return &t->n[t->nr++];
}

/* A TermList of Scope, Device and Name objects, nothing else. */
static int rd_terms(const uint8_t *p, const uint8_t *end, const char *scope,
		    struct aml_tree *t)
{
	while (p < end) {
		const uint8_t *pend;
		struct node *nd = new_node(t);

		if (!nd)
			return -1;
		if (p[0] == 0x10 || (p[0] == 0x5b && end - p > 1 &&
				     p[1] == 0x82)) {
			nd->kind = p[0] == 0x10 ? K_SCOPE : K_DEVICE;
			p += p[0] == 0x10 ? 1 : 2;
			if (rd_pkglen(&p, end, &pend) ||
			    rd_name(&p, pend, scope, nd->path) ||
			    rd_terms(p, pend, nd->path, t))
				return -1;
			p = pend;
		} else if (p[0] == 0x08) {
			p++;
			if (rd_name(&p, end, scope, nd->path) ||
			    rd_data(&p, end, nd))
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static const struct node *find(const struct aml_tree *t, const char *path)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->n[i].path, path))
			return &t->n[i];
	return NULL;
}

/* What a _CRS resource template holds. */
struct res {
	unsigned int nr_io;
	uint16_t io_min[4], io_max[4];
	uint8_t io_info[4], io_align[4], io_len[4];
	int irq;			/* IRQNoFlags: the IRQ, -1 none */
	bool mem;
	uint8_t mem_info;
	uint32_t mem_base, mem_len;
	bool ext;
	uint8_t ext_flags;
	uint32_t ext_gsi;
};

static int rd_res(const uint8_t *p, size_t n, struct res *r)
{
	const uint8_t *end = p + n;

	memset(r, 0, sizeof(*r));
	r->irq = -1;
	while (p < end) {
		if (p[0] == 0x79) {		/* End tag, last */
			return end - p == 2 && p[1] == 0 ? 0 : -1;
		} else if (p[0] == 0x47 && end - p >= 8 && r->nr_io < 4) {
			r->io_info[r->nr_io] = p[1];
			r->io_min[r->nr_io] = mvm_get_le16(p + 2);
			r->io_max[r->nr_io] = mvm_get_le16(p + 4);
			r->io_align[r->nr_io] = p[6];
			r->io_len[r->nr_io] = p[7];
			r->nr_io++;
			p += 8;
		} else if (p[0] == 0x22 && end - p >= 3 && r->irq < 0) {
			uint16_t mask = mvm_get_le16(p + 1);

			if (!mask || (mask & (mask - 1)))
				return -1;
			r->irq = __builtin_ctz(mask);
			p += 3;
		} else if (p[0] == 0x86 && end - p >= 12 &&
			   mvm_get_le16(p + 1) == 9) {
			r->mem = true;
			r->mem_info = p[3];
			r->mem_base = mvm_get_le32(p + 4);
			r->mem_len = mvm_get_le32(p + 8);
			p += 12;
		} else if (p[0] == 0x89 && end - p >= 9 &&
			   mvm_get_le16(p + 1) == 6 && p[4] == 1) {
			r->ext = true;
			r->ext_flags = p[3];
			r->ext_gsi = mvm_get_le32(p + 5);
			p += 9;
		} else {
			return -1;
		}
	}
	return -1;			/* no end tag */
}

static void parse_dsdt(struct __test_metadata *_metadata,
		       const uint8_t *dsdt, struct aml_tree *t)
{
	uint32_t len = mvm_get_le32(dsdt + 4);

	memset(t, 0, sizeof(*t));
	ASSERT_EQ(0, rd_terms(dsdt + 36, dsdt + len, "\\", t));
}

static void expect_s5(struct __test_metadata *_metadata,
		      const struct aml_tree *t)
{
	const struct node *s5 = find(t, "\\_S5_");

	ASSERT_NE(NULL, s5);
	ASSERT_EQ(K_PKG, s5->kind);
	ASSERT_EQ(4, s5->pkg_n);
	EXPECT_EQ(MVM_ACPI_S5_SLP_TYP, s5->pkg[0]);
	EXPECT_EQ(0, s5->pkg[1]);
	EXPECT_EQ(0, s5->pkg[2]);
	EXPECT_EQ(0, s5->pkg[3]);
}

static void expect_virtio(struct __test_metadata *_metadata,
			  const struct aml_tree *t, unsigned int i,
			  const struct mvm_acpi_virtio *v)
{
	char path[PATH_MAX_LEN];
	const struct node *nd;
	struct res r;

	snprintf(path, sizeof(path), "\\_SB_.VR%02X", i);
	nd = find(t, path);
	ASSERT_NE(NULL, nd);
	EXPECT_EQ(K_DEVICE, nd->kind);

	snprintf(path, sizeof(path), "\\_SB_.VR%02X._HID", i);
	nd = find(t, path);
	ASSERT_NE(NULL, nd);
	ASSERT_EQ(K_STR, nd->kind);
	EXPECT_STREQ("LNRO0005", nd->str);

	snprintf(path, sizeof(path), "\\_SB_.VR%02X._UID", i);
	nd = find(t, path);
	ASSERT_NE(NULL, nd);
	ASSERT_EQ(K_INT, nd->kind);
	EXPECT_EQ(i, nd->ival);

	snprintf(path, sizeof(path), "\\_SB_.VR%02X._CRS", i);
	nd = find(t, path);
	ASSERT_NE(NULL, nd);
	ASSERT_EQ(K_BUF, nd->kind);
	ASSERT_EQ(0, rd_res(nd->buf, nd->buf_len, &r));
	EXPECT_EQ(0, r.nr_io);
	EXPECT_EQ(-1, r.irq);
	ASSERT_TRUE(r.mem);
	EXPECT_EQ(1, r.mem_info);			/* ReadWrite */
	EXPECT_EQ(v->base, r.mem_base);
	EXPECT_EQ(v->size, r.mem_len);
	ASSERT_TRUE(r.ext);
	/* ResourceConsumer, Edge, ActiveHigh, Exclusive. */
	EXPECT_EQ(0x03, r.ext_flags);
	EXPECT_EQ(v->gsi, r.ext_gsi);
}

/* A legacy device: _HID the EISA ID @eisa, I/O ranges and one IRQ. */
static void expect_legacy(struct __test_metadata *_metadata,
			  const struct aml_tree *t, const char *dev,
			  uint32_t eisa, unsigned int nr_io,
			  const uint16_t *ports, const uint8_t *lens, int irq)
{
	char path[PATH_MAX_LEN];
	const struct node *nd;
	unsigned int i;
	struct res r;

	snprintf(path, sizeof(path), "\\_SB_.%s", dev);
	nd = find(t, path);
	ASSERT_NE(NULL, nd);
	EXPECT_EQ(K_DEVICE, nd->kind);
	snprintf(path, sizeof(path), "\\_SB_.%s._HID", dev);
	nd = find(t, path);
	ASSERT_NE(NULL, nd);
	ASSERT_EQ(K_INT, nd->kind);
	EXPECT_EQ(eisa, nd->ival);
	snprintf(path, sizeof(path), "\\_SB_.%s._CRS", dev);
	nd = find(t, path);
	ASSERT_NE(NULL, nd);
	ASSERT_EQ(K_BUF, nd->kind);
	ASSERT_EQ(0, rd_res(nd->buf, nd->buf_len, &r));
	ASSERT_EQ(nr_io, r.nr_io);
	for (i = 0; i < nr_io; i++) {
		EXPECT_EQ(1, r.io_info[i]);		/* Decode16 */
		EXPECT_EQ(ports[i], r.io_min[i]);
		EXPECT_EQ(ports[i], r.io_max[i]);
		EXPECT_EQ(1, r.io_align[i]);
		EXPECT_EQ(lens[i], r.io_len[i]);
	}
	EXPECT_EQ(irq, r.irq);
	EXPECT_FALSE(r.mem);
	EXPECT_FALSE(r.ext);
}

static unsigned int count_kind(const struct aml_tree *t, enum node_kind k)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nr; i++)
		n += t->n[i].kind == k;
	return n;
}

#endif /* MVM_TESTS_ACPI_READER_H */
