# SPDX-License-Identifier: GPL-2.0
#
# VirtIO-Argo: out-of-tree kernel modules for Xen's Argo transport.
#
#   make [KDIR=/path/to/kernel/build]   build the four modules
#   make check                          the whole test suite (host + Xen VMs)
#   make check-quick                    host tests, static analysis and one
#                                       6.1 boot of the in-VM suite: for
#                                       iterating on code (10 minutes warm)
#   make bench [BENCH_ARGS=...]         every Argo data path against Xen's
#                                       PV baseline in one boot; appends
#                                       the table to BENCHMARKS.md
#                                       (scripts/bench --help: the options)
#   make clean-cache                    empty the rig's cache (Xen, kernels:
#                                       ${XDG_CACHE_HOME:-~/.cache}/virtio-argo
#                                       or $ARGO_TEST_CACHE)
#   make install [DESTDIR=] [PREFIX=/usr/local] [KDIR=]
#                                       the modules (updates/, depmod),
#                                       libargo and its headers, the argo
#                                       command, the backend, the udev rule,
#                                       the backend's systemd unit, examples
#                                       (modules-load.d, modprobe.d, config)
#   make uninstall [same variables]     remove what install put there
#   make dkms-install / dkms-uninstall  the same modules through DKMS,
#                                       rebuilt for every kernel installed
#   make deb                            dist/virtio-argo-dkms_V_all.deb and
#                                       dist/argo-tools_V_ARCH.deb, with
#                                       dpkg-buildpackage from debian/
#   make kselftest-install INSTALL_PATH=DIR [KDIR=]
#                                       the in-guest tests as the kselftest
#                                       collection virtio-argo, for a
#                                       kernel's run_kselftest.sh
#                                       (docs/kselftest.md)
#   make clean
#
# docs/install.md explains each.

KDIR ?= /lib/modules/$(shell uname -r)/build
KBUILD_FLAGS ?=
DESTDIR ?=
PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^\#define ARGO_SUITE_VERSION "\(.*\)"$$/\1/p' include/argo/version.h)
# The release of the kernel KDIR belongs to, where install puts the modules:
# UTS_RELEASE, which is what `uname -r` says.  (Not kbuild's
# include/config/kernel.release: Debian's 6.1 headers have "6.1.N" there,
# not "6.1.0-M-amd64".)
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODULES := argo-core argo-char argo-vsock virtio-argo
DKMS_NAME := virtio-argo
DKMS_SRC = $(DESTDIR)/usr/src/$(DKMS_NAME)-$(VERSION)
# What the DKMS source folder holds: the kbuild inputs of the four modules.
DKMS_FILES := COPYING Kbuild dkms.conf \
	$(wildcard compat/*.h include/argo/*.h include/linux/*.h \
		include/uapi/linux/*.h) \
	$(foreach m,$(MODULES),$(wildcard $(m)/Kbuild $(m)/*.c $(m)/*.h))
DIST ?= $(CURDIR)/dist

.PHONY: all modules clean check check-quick bench clean-cache unit install uninstall modules_install \
	modules_uninstall dkms-src dkms-install dkms-uninstall deb kselftest-install

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_FLAGS) modules

# kbuild's modules_install puts the modules in
# $(DESTDIR)/lib/modules/<release>/updates/<module>/ (searched before the
# kernel's own); then depmod for that root, which kbuild skips when the
# headers have no System.map (Debian's have none).
MOD_DIR = $(DESTDIR)/lib/modules/$(KREL)/updates
DEPMOD = depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)
modules_install: modules
	@test -n "$(KREL)" || { echo "no kernel release in $(KDIR): set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates KERNELRELEASE=$(KREL) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	$(DEPMOD)

modules_uninstall:
	@test -n "$(KREL)" || { echo "no kernel release in $(KDIR): set KDIR" >&2; exit 1; }
	rm -f $(foreach m,$(MODULES),$(MOD_DIR)/$(m)/$(m).ko $(MOD_DIR)/$(m)/$(m).ko.xz \
		$(MOD_DIR)/$(m)/$(m).ko.zst)
	-rmdir $(foreach m,$(MODULES),$(MOD_DIR)/$(m)) $(MOD_DIR) 2>/dev/null
	$(DEPMOD)

install: modules_install
	$(MAKE) -C tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

uninstall: modules_uninstall
	$(MAKE) -C tools uninstall DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

# The DKMS source folder, /usr/src/virtio-argo-VERSION: only what kbuild
# needs (never the rig's work folder build/).
dkms-src:
	@grep -q '^PACKAGE_VERSION="$(VERSION)"$$' dkms.conf || \
		{ echo "dkms.conf's PACKAGE_VERSION is not $(VERSION)" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	$(foreach f,$(DKMS_FILES),install -D -m 0644 $(f) $(DKMS_SRC)/$(f) &&) true

dkms-install: dkms-src
	dkms add -m $(DKMS_NAME) -v $(VERSION)
	dkms build -m $(DKMS_NAME) -v $(VERSION)
	dkms install -m $(DKMS_NAME) -v $(VERSION)

dkms-uninstall:
	-dkms remove -m $(DKMS_NAME) -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# Debian packages from debian/ (debhelper, dh-dkms): virtio-argo-dkms
# (the DKMS source folder) and argo-tools (libargo, argo, the backend, its
# systemd unit, udev), built by dpkg-buildpackage -us -uc -b on a copy of
# the tree in DEB_WORK (scripts/make-deb); the .debs go to DIST.
DEB_WORK ?= $(CURDIR)/build/deb
deb:
	bash scripts/make-deb "$(DIST)" "$(VERSION)" "$(DEB_WORK)"

# The kselftest collection (scripts/kselftest-install): its test module
# needs the modules' Module.symvers, hence `modules` first.
INSTALL_PATH ?=
kselftest-install: modules
	INSTALL_PATH="$(INSTALL_PATH)" KDIR="$(KDIR)" bash scripts/kselftest-install

# Not kbuild's `M=... clean`: that deletes every *.o and *.ko below this
# folder, including the rig's work folder build/ (its module builds).
KBUILD_DIRS := argo-core argo-char argo-vsock virtio-argo tests/kmod
clean:
	find $(KBUILD_DIRS) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.a' \
		-o -name 'modules.order' -o -name 'Module.symvers' \) -delete
	rm -f modules.order Module.symvers .*.cmd
	rm -rf dist
	$(MAKE) -C tools clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean

# Host unit tests only (no VM): fast feedback on pure logic.
unit:
	$(MAKE) -C tests/unit check

check:
	bash scripts/check

check-quick:
	bash scripts/check --quick

# Not part of check (a whole run takes about 5 minutes and its figures
# are for reading); check runs its smoke run, scripts/bench --smoke.
BENCH_ARGS ?=
bench:
	bash scripts/bench $(BENCH_ARGS)

# The rig's cache is shared by every clone of this user; this empties it
# (the work folder build/ of this clone too).
clean-cache:
	bash scripts/clean-cache
