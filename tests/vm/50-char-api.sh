#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
# timeout: 240
#
# /dev/argo from userspace within one domain: every ioctl's success and
# failure paths, read/write semantics, non-blocking and blocking calls,
# poll, signals, threads, processes, and 20000 random ioctls.
# The rig's /rig/bin is in PATH; a kselftest install has it in bin/.
PATH=$(cd "$(dirname "$0")" && pwd)/bin:$PATH
exec argo_char_test 20000
