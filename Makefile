# SPDX-License-Identifier: GPL-2.0
# mvm: top-level build.
#
#   make                 mvm.ko, libmvm, the CLI, the BPF programs, selftests
#   make check           install dependencies, build, run the host unit
#                        tests and both test hosts; ends "N passed, M failed"
#   make install         DESTDIR=... PREFIX=/usr/local
#   make deps            install build and test dependencies (Debian)
#   make demo            boot a Debian cloud kernel with `mvm run`: here
#                        with VT-x, else inside the Bochs test host
#
# KDIR selects the kernel mvm.ko is built for: the running kernel's build
# tree when it exists, else the test hosts' 6.1 headers.

TOP		:= $(CURDIR)
BUILD		:= $(TOP)/build

PREFIX		?= /usr/local
DESTDIR		?=
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
# udev and modules-load.d read only these, whatever PREFIX is.
UDEVRULESDIR	?= /lib/udev/rules.d
MODLOADDIR	?= /etc/modules-load.d
SRCDIR		?= /usr/src
VERSION		:= $(shell cat $(TOP)/VERSION)
KSERIES		?= 6.1

TESTHOST_KREL	= $(shell $(TOP)/scripts/kver.sh $(KSERIES) 2>/dev/null)
RUNNING_KDIR	:= $(wildcard /lib/modules/$(shell uname -r)/build)
KDIR		?= $(if $(RUNNING_KDIR),$(RUNNING_KDIR),/usr/src/linux-headers-$(TESTHOST_KREL))
# The release mvm.ko was built for, from its own vermagic.
KREL		= $(shell /sbin/modinfo -F vermagic $(TOP)/mvm.ko | cut -d' ' -f1)

.PHONY: all module testhost-module libmvm cli bpf selftests check \
	unit-tests fuzz install deps demo clean

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

cli: libmvm bpf
	$(MAKE) -C cli

bpf:
	$(MAKE) -C bpf KSERIES=$(KSERIES)

selftests: bpf libmvm
	$(MAKE) -C selftests

unit-tests:
	$(MAKE) -C libmvm unit-tests
	$(MAKE) -C kmod/x86/tests unit-tests

# libFuzzer on the MMIO decoder and the guest page walker.
FUZZ_SECONDS	?= 60
fuzz:
	$(MAKE) -C kmod/x86/tests fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C libmvm fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

deps:
	scripts/install-deps.sh

check:
	scripts/check.sh

# The guest payload and the module are built by the script: which module
# depends on whether the guest runs here or in the test host.
demo: cli
	selftests/guest/demo.sh $(KSERIES)

# Module sources DKMS needs to rebuild mvm.ko.
DKMS_FILES	:= Kbuild $(shell find kmod include -name '*.[ch]')

install: all
	install -D -m 0644 mvm.ko $(DESTDIR)/lib/modules/$(KREL)/updates/mvm.ko
	install -D -m 0644 build/libmvm/libmvm.a $(DESTDIR)$(LIBDIR)/libmvm.a
	install -D -m 0755 build/libmvm/libmvm.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libmvm.so.$(VERSION)
	ln -sf libmvm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmvm.so.0
	ln -sf libmvm.so.0 $(DESTDIR)$(LIBDIR)/libmvm.so
	install -D -m 0644 libmvm/include/mvm/mvm.h \
		$(DESTDIR)$(INCLUDEDIR)/mvm/mvm.h
	install -D -m 0644 libmvm/include/mvm/vm.h \
		$(DESTDIR)$(INCLUDEDIR)/mvm/vm.h
	install -D -m 0644 include/uapi/linux/mvm.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/mvm.h
	$(MAKE) -C libmvm $(TOP)/build/libmvm/libmvm.pc PREFIX=$(PREFIX) \
		LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR)
	install -D -m 0644 build/libmvm/libmvm.pc \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libmvm.pc
	install -D -m 0755 build/cli/mvm $(DESTDIR)$(BINDIR)/mvm
	install -D -m 0755 build/bpf/mvm-ioctlstat \
		$(DESTDIR)$(BINDIR)/mvm-ioctlstat
	install -D -m 0644 dist/60-mvm.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-mvm.rules
	install -D -m 0644 dist/modules-load-mvm.conf \
		$(DESTDIR)$(MODLOADDIR)/mvm.conf
	for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(SRCDIR)/mvm-$(VERSION)/$$f; \
	done
	sed 's|@VERSION@|$(VERSION)|' dkms.conf > \
		$(DESTDIR)$(SRCDIR)/mvm-$(VERSION)/dkms.conf
	$(if $(DESTDIR),,/sbin/depmod -a $(KREL) || true)
	@getent group mvm >/dev/null || echo "note: create group 'mvm' (groupadd -r mvm) for the udev rule to apply"

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -rf $(BUILD)
