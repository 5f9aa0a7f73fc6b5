# SPDX-License-Identifier: GPL-2.0
# mvm: top-level build.
#
#   make                 mvm.ko, libmvm, the CLI, the BPF programs, selftests
#   make check           install dependencies, build, run the host unit
#                        tests and both test hosts; ends "N passed, M failed"
#   make install         DESTDIR=... PREFIX=/usr/local
#   make deps            install build and test dependencies (Debian)
#
# KDIR selects the kernel mvm.ko is built for: the running kernel's build
# tree when it exists, else the test hosts' 6.1 headers.

TOP		:= $(CURDIR)
BUILD		:= $(TOP)/build

PREFIX		?= /usr/local
DESTDIR		?=
KSERIES		?= 6.1

TESTHOST_KREL	= $(shell $(TOP)/scripts/kver.sh $(KSERIES) 2>/dev/null)
RUNNING_KDIR	:= $(wildcard /lib/modules/$(shell uname -r)/build)
KDIR		?= $(if $(RUNNING_KDIR),$(RUNNING_KDIR),/usr/src/linux-headers-$(TESTHOST_KREL))
KREL		= $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null)

.PHONY: all module testhost-module libmvm cli bpf selftests check \
	unit-tests install deps clean

all: module libmvm cli bpf selftests

module:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) does not exist: install kernel headers (make deps) or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

# mvm.ko for a test-host kernel series, kept apart per kernel release
# because kbuild builds in the source tree.
testhost-module:
	$(MAKE) module KDIR=/usr/src/linux-headers-$(TESTHOST_KREL)
	mkdir -p $(BUILD)/kmod/$(TESTHOST_KREL)
	cp mvm.ko $(BUILD)/kmod/$(TESTHOST_KREL)/mvm.ko

libmvm:
	$(MAKE) -C libmvm

cli: libmvm
	$(MAKE) -C cli

bpf:
	$(MAKE) -C bpf KSERIES=$(KSERIES)

selftests: bpf
	$(MAKE) -C selftests

unit-tests:
	$(MAKE) -C libmvm unit-tests

deps:
	scripts/install-deps.sh

check:
	scripts/check.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -rf $(BUILD)
