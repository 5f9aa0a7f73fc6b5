/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Basic types for the freestanding x86 code (instruction decoder, page
 * walker) that is compiled both into mvm.ko and into host unit tests and
 * fuzz targets.  This is the only header that code includes for types:
 * the kernel's <linux/types.h> provides uint8_t..uint64_t, bool and
 * size_t; on the host the C library's freestanding headers do.
 */
#ifndef MVM_X86_TYPES_H
#define MVM_X86_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#endif /* MVM_X86_TYPES_H */
