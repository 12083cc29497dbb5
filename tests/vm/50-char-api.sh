#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# timeout: 240
#
# /dev/argo from userspace within one domain: every ioctl's success and
# failure paths, read/write semantics, non-blocking and blocking calls,
# poll, signals, threads, processes, and 20000 random ioctls.
exec /rig/bin/argo_char_test 20000
