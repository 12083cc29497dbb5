# SPDX-License-Identifier: GPL-2.0
#
# VirtIO-Argo: out-of-tree kernel modules for Xen's Argo transport.
#
#   make [KDIR=/path/to/kernel/build]   build the four modules
#   make check                          the whole test suite (host + Xen VMs)
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
KBUILD_FLAGS ?=

.PHONY: all modules clean check unit

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_FLAGS) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean

# Host unit tests only (no VM): fast feedback on pure logic.
unit:
	$(MAKE) -C tests/unit check

check:
	bash scripts/check
