#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: domu
# timeout: 240
#
# A VNC viewer types and clicks on a guest's virtio-gpu display, and the
# guest's programs read exactly that from evdev: the backend (in this
# domain, as in 58-virtio-gpu) serves the display with vnc= and adds a
# virtio-input device for it; tests/progs/vnc_type is the viewer, and
# evdev_read decodes what the stock virtio_input driver delivers.  The
# backend is started with command-line options, not a configuration
# file, on purpose: with 58 and 60-virtio-conform, this test keeps the
# command-line form tested.
. /rig/tap.sh
self=$(argo info | sed -n 's/^domid //p')
if ! modprobe -a virtio_gpu virtio_input evdev 2>/tmp/in-modprobe.err; then
	tap_skip "virtio-input over Argo" "no module: $(cat /tmp/in-modprobe.err)"
	tap_done
fi
rmmod virtio_argo 2>/dev/null
mkdir -p /tmp/in
argo-virtio-backend --gpu vnc=127.0.0.1:5900,size=640x480,guest=$self \
	</dev/null >/tmp/in/backend.log 2>&1 &
bpid=$!
i=0
until argo query "$self" 0x76690001 2>/dev/null | grep -q 'ring exists' || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
modprobe virtio-argo backends="$self"
tap_ok $? "modprobe virtio-argo (backends=$self)"
ev=
i=0
while [ -z "$ev" ] && [ $i -lt 300 ]; do
	for d in /sys/class/input/event*; do
		[ -e "$d" ] && grep -q 'VirtIO-Argo input' "$d/device/name" 2>/dev/null &&
			ev=/dev/input/$(basename "$d")
	done
	sleep 0.1; i=$((i + 1))
done
tap_ok $([ -n "$ev" ]; echo $?) "the backend's input device is $ev"
[ -c "$ev" ] || { i=0; until [ -c "$ev" ] || [ $i -ge 20 ]; do sleep 0.1; i=$((i + 1)); done; }
/rig/bin/evdev_read "$ev" 15 >/tmp/in/events.txt &
rpid=$!
sleep 1
out=$(/rig/bin/vnc_type 127.0.0.1:5900 'Hello, Argo! 123' 100 50 2>&1)
tap_is $? 0 "the viewer connected, typed and clicked"
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -q '^# display 640x480, VirtIO-Argo guest'
tap_ok $? "the viewer sees the 640x480 display"
wait $rpid
sed 's/^/# /' /tmp/in/events.txt
tap_is "$(sed -n 's/^text //p' /tmp/in/events.txt)" 'Hello, Argo! 123' \
	"the guest read exactly the typed text from evdev"
tap_is "$(sed -n 's/^pointer //p' /tmp/in/events.txt)" '100 50' \
	"the pointer is where the viewer put it"
tap_is "$(sed -n 's/^clicks //p' /tmp/in/events.txt)" 1 "one click"
for v in /sys/class/vtconsole/vtcon*; do
	grep -q 'frame buffer' "$v/name" 2>/dev/null && echo 0 >"$v/bind"
done
kill "$bpid" 2>/dev/null
wait "$bpid" 2>/dev/null
sed 's/^/# backend: /' /tmp/in/backend.log | tail -n 6
rmmod virtio_argo
tap_is $? 0 "rmmod virtio-argo"
tap_done
