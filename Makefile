# SPDX-License-Identifier: GPL-2.0
#
# VirtIO-Argo: out-of-tree kernel modules for Xen's Argo transport.
#
#   make [KDIR=/path/to/kernel/build]   build the four modules
#   make check                          the whole test suite (host + Xen VMs)
#   make install                        modules, libargo, the argo command
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
KBUILD_FLAGS ?=

.PHONY: all modules clean check unit install

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_FLAGS) modules

# The modules (into /lib/modules/<release>/updates via kbuild's
# modules_install, INSTALL_MOD_PATH honoured), then libargo, the argo
# command, headers, pkg-config file and udev rule (DESTDIR, PREFIX).
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	$(MAKE) -C tools install

# Not kbuild's `M=... clean`: that deletes every *.o and *.ko below this
# folder, including the test cache in build/ (the rig's unpacked kernels).
KBUILD_DIRS := argo-core argo-char argo-vsock virtio-argo tests/kmod
clean:
	find $(KBUILD_DIRS) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.a' \
		-o -name 'modules.order' -o -name 'Module.symvers' \) -delete
	rm -f modules.order Module.symvers .*.cmd
	$(MAKE) -C tools clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean

# Host unit tests only (no VM): fast feedback on pure logic.
unit:
	$(MAKE) -C tests/unit check

check:
	bash scripts/check
