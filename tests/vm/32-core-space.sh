#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0 domu
# kselftest: single
#
# Zero-length and 8-piece messages, a message exactly filling the ring,
# -EMSGSIZE, -EAGAIN on a full ring and the wakeup when space is freed
# (also for 257 senders, more than one notify call takes),
# argo_sendv_wait() blocking and timing out, wrap-around.
. "$(dirname "$0")/lib/tap.sh"
tap_dmesg_mark
tap_modprobe argo_selftest mode=space 2>/dev/null
tap_ok $? "argo_selftest mode=space passes"
tap_kmod_results argo_selftest
rmmod argo_selftest
tap_done
