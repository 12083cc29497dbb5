#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# roles: dom0
# phase: driver
# timeout: 900
#
# argo-virtio-backend run as a service, in dom0, for two guests of its own
# (s1 and s2): devices from a configuration directory (one file a guest)
# plus one writable disk from the command line, which every guest may ask
# for and only one may have at a time; the control socket.
#   - s1 gets the command line's disk first; s2 asking for it is refused
#     and the backend's log says which disk and which guest holds it
#   - while s1 writes its configured disk over and over, a disk is
#     hot-added to s1 with `ctl add`, read, and removed with `ctl
#     remove`; the writes go on undisturbed and read back intact
#   - a new device in s2's file and SIGHUP: s2 gets it, s1's devices are
#     not touched
#   - `xl reboot s1`: s1 comes back as a new domain of the same name (a
#     new domid: xl's on_reboot = "restart" builds it anew) and gets its
#     device bound by name back without touching the backend.  That needs
#     the domain's name from xenstore: where the backend logs that names
#     are unavailable, these points are skipped, saying so.
#   - `xl save` and `xl restore` of s1 (a migration, to the guest): a new
#     domid again, and its disk bound by name follows it
#   - `xl shutdown s2`: s2 powers itself off
. /rig/tap.sh
MAC=/tmp/svc
. /rig/mac.sh
mkdir -p $MAC
CTL="argo-virtio-backend ctl --control $MAC/control.sock"

agent="socat -t 900 VSOCK-LISTEN:$MAC_AGENT,reuseaddr,fork EXEC:/bin/sh,stderr"
for name in s1 s2; do
	id=$(ON_REBOOT=restart VCPUS=1 /rig/start-domu "$name" "$agent")
	tap_ok $? "domain $name created (domid $id)"
	echo "$id" >$MAC/$name.domid
done
for name in s1 s2; do
	tap_is "$(mac_until $name 'echo up' up 300)" up "$name's agent answers over vsock"
done
s1=$(mac_domid s1)
s2=$(mac_domid s2)

# dom0 is the backend here: its own virtio-argo goes; the guests' (loaded
# at boot) go too until each is told to connect, s1 first
rmmod virtio_argo 2>/dev/null
for name in s1 s2; do
	on $name 'rmmod virtio_argo 2>/dev/null; modprobe -a virtio_blk virtio-rng' >/dev/null
done
for img in excl:16 s1:64 hot:8 named:8; do
	dd if=/dev/zero of=$MAC/${img%%:*}.img bs=1M count=0 seek=${img#*:} 2>/dev/null
done
printf 'hot-plugged disk' | dd of=$MAC/hot.img conv=notrunc 2>/dev/null
printf 'disk bound by name' | dd of=$MAC/named.img conv=notrunc 2>/dev/null
mkdir -p $MAC/conf.d
cat >$MAC/conf.d/00-backend.conf <<EOF
[backend]
control = $MAC/control.sock
EOF
cat >$MAC/conf.d/10-s1.conf <<EOF
# s1: a writable disk by its domid, a read-only one by its name
[blk s1-disk]
path = $MAC/s1.img
serial = s1-disk
guest = $s1

[blk s1-named]
path = $MAC/named.img
readonly = yes
serial = s1-named
guest = s1
EOF
cat >$MAC/conf.d/20-s2.conf <<EOF
[rng s2-rng]
guest = $s2
EOF
tap_is "$(argo-virtio-backend --config $MAC/conf.d --check-config | tail -n 1)" \
	"3 devices, configuration OK" "--check-config: the directory's 3 devices"
# the command line's disk: for every guest, one at a time
argo-virtio-backend --config $MAC/conf.d --blk $MAC/excl.img,serial=excl \
	</dev/null >$MAC/backend.log 2>&1 &
echo $! >$MAC/backend.pid
i=0
while [ ! -S $MAC/control.sock ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
tap_ok $([ -S $MAC/control.sock ]; echo $?) "the backend listens on its control socket"

# SERIALS: a domain's virtio disks' serials, sorted, on one line
# (the serial files end without a newline)
SERIALS='for b in /sys/block/vd*; do [ -e "$b/serial" ] && echo "$(cat "$b/serial")"; done | sort | tr "\n" " "'
serials() { on "$1" "$SERIALS"; }
# disk NAME SERIAL: the block device of NAME with that serial
disk() {
	on "$1" "for b in /sys/block/vd*; do [ \"\$(cat \$b/serial 2>/dev/null)\" = $2 ] && basename \$b; done"
}

# s1 first: it gets the command line's disk
on s1 "modprobe virtio-argo backends=0" >/dev/null
i=0
until grep -Eq "guest $s1( \(s1\))? connected" $MAC/backend.log || [ $i -ge 60 ]; do
	sleep 0.5; i=$((i + 1))
done
names=yes
if grep -q "guest $s1: domain name unavailable" $MAC/backend.log; then
	names=no
	want="excl s1-disk "
else
	want="excl s1-disk s1-named "
fi
tap_is "$(mac_until s1 "$SERIALS" "$want" 30)" "$want" \
	"s1's disks: the command line's and its own (names: $names)"
tap_is "$($CTL list | grep '^device 1 ' | sed 's/.*state=\([^ ]*\).*/\1/')" "held-by-$s1" \
	"ctl list: the command line's disk is held by s1"

# s2 asks: refused, and the log says why
on s2 "modprobe virtio-argo backends=0" >/dev/null
tap_is "$(mac_until s2 'ls /sys/bus/virtio/devices | wc -l' 1 30)" 1 \
	"s2 has one device (its rng), not the disk s1 holds"
tap_is "$(serials s2)" "" "s2 has no virtio disk"
line=$(grep "device 1 (blk1): refused to guest $s2" $MAC/backend.log)
tap_ok $(echo "$line" | grep -Eq "guest $s1( \(s1\))? holds it \(blk $MAC/excl.img, 32768 sectors, read-write, serial excl, not shared\)$"; echo $?) \
	"the log says which disk and who holds it"
echo "# $line"

# s1 writes its disk over and over (16 MiB a pass) while a disk comes
# and goes
d1=$(disk s1 s1-disk)
on s1 "dd if=/dev/urandom of=/tmp/pat bs=1M count=16 2>/dev/null; sha256sum </tmp/pat | cut -d' ' -f1 >/tmp/pat.sum" >/dev/null
on s1 "$(mac_bg "n=0; rc=0; while [ ! -e /tmp/io.stop ]; do dd if=/tmp/pat of=/dev/$d1 bs=64k oflag=direct 2>/tmp/io.err || { rc=1; break; }; n=\$((n + 1)); echo \$n >/tmp/io.n; done; echo \$rc >/tmp/io.rc")" >/dev/null
tap_is "$(mac_until s1 '[ -s /tmp/io.n ] && echo yes' yes 30)" yes "s1 is writing to $d1"
n0=$(on s1 'cat /tmp/io.n')
out=$($CTL add blk hot path=$MAC/hot.img serial=hot guest=$s1 2>&1)
tap_is "$out" "added hot (device 5)" "ctl add blk hot: added (device 5)"
i=0
until dh=$(disk s1 hot) && [ -n "$dh" ] || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
tap_ok $([ -n "$dh" ]; echo $?) "s1: the hot-added disk appears ($dh)"
tap_is "$(on s1 "dd if=/dev/$dh bs=16 count=1 2>/dev/null")" "hot-plugged disk" \
	"s1 reads the hot-added disk"
tap_is "$($CTL remove hot 2>&1)" "removed hot (device 5)" "ctl remove hot"
tap_is "$(mac_until s1 "ls /sys/block | grep -c '^$dh\$'" 0 30)" 0 "s1: the disk is gone"
n1=$(on s1 'cat /tmp/io.n')
tap_ok $([ "$n1" -gt "$n0" ] && [ -z "$(on s1 'cat /tmp/io.rc 2>/dev/null')" ]; echo $?) \
	"the writes went on meanwhile (pass $n0 to $n1), none failed"
tap_is "$($CTL remove hot 2>&1; echo rc=$?)" \
	"argo-virtio-backend ctl: no device named 'hot'
rc=1" "ctl remove of a device not there: the reason, exit 1"
on s1 'touch /tmp/io.stop' >/dev/null
tap_is "$(mac_until s1 'cat /tmp/io.rc 2>/dev/null' 0 120)" 0 "the writes end well"
on s1 'cat /tmp/io.err' | sed 's/^/# s1: /'
tap_is "$(on s1 "echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/$d1 bs=1M count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1")" \
	"$(on s1 'cat /tmp/pat.sum')" "... and read back intact"
req=$($CTL list | grep ' name=s1-disk ' | sed 's/.*requests=\([0-9]*\).*/\1/')
tap_ok $([ "${req:-0}" -ge 256 ]; echo $?) "ctl list counts s1-disk's requests ($req)"

# a new device in s2's file; SIGHUP: s2 gets it, s1's stay
cat >>$MAC/conf.d/20-s2.conf <<EOF
[blk s2-ro]
path = $MAC/named.img
readonly = yes
serial = s2-ro
guest = $s2
EOF
kill -HUP "$(cat $MAC/backend.pid)"
tap_is "$(mac_until s2 "$SERIALS" "s2-ro " 30)" "s2-ro " \
	"SIGHUP: s2 gets the device added to its file"
tap_ok $(grep -q 'reload: 1 added, 0 removed, 3 unchanged' $MAC/backend.log; echo $?) \
	"the log: 1 added, 0 removed, 3 unchanged"
tap_is "$(serials s1)" "$want" "s1's disks are untouched"

# s1 again: a new domain, a new domid, the same name
if [ $names = no ]; then
	why=$(grep "guest $s1: domain name unavailable" $MAC/backend.log | head -n 1)
	for p in "xl reboot s1: a new domid" "s1 (new domid) gets its disk bound by name back"; do
		tap_skip "$p" "the backend cannot read domain names here ($why)"
	done
else
	xl reboot s1 2>&1 | sed "s/^/# xl: /"
	i=0 n1=$s1
	while { [ -z "$n1" ] || [ "$n1" = "$s1" ]; } && [ $i -lt 240 ]; do
		sleep 0.5
		i=$((i + 1))
		n1=$(xl domid s1 2>/dev/null)
	done
	echo "$n1" >$MAC/s1.domid
	tap_ok $([ -n "$n1" ] && [ "$n1" != "$s1" ]; echo $?) \
		"xl reboot s1: a new domid ($s1 -> $n1, after $((i / 2)) s)"
	tap_ok $(grep -q '@@RIG:domu@@ reboot requested' /var/log/xen/console/guest-s1.log; echo $?) \
		"s1 rebooted in order: its init says 'reboot requested'"
	mac_until s1 'echo up' up 300 >/dev/null
	on s1 "modprobe -a virtio_blk virtio-rng; rmmod virtio_argo 2>/dev/null; modprobe virtio-argo backends=0" >/dev/null
	# (not s1-disk: it is bound to the old domid; the command line's disk
	# may have gone to s2, told it is free when the old s1 went)
	i=0
	until serials s1 | grep -q 's1-named' || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
	tap_ok $(serials s1 | grep -q 's1-named'; echo $?) \
		"s1 (new domid) gets its disk bound by name back: $(serials s1)"
	tap_ok $(grep -q "guest $n1 (s1) connected" $MAC/backend.log; echo $?) \
		"the log: guest $n1 (s1) connected"

	# s1 saved and restored (what a migration is to the guest): a new
	# domid again, and the disk bound by name follows it
	xl save s1 $MAC/s1.chk >$MAC/xl-save.log 2>&1 &&
		xl restore $MAC/s1.chk >$MAC/xl-restore.log 2>&1
	tap_ok $? "xl save and xl restore s1" "$(tail -q -n 2 $MAC/xl-save.log $MAC/xl-restore.log 2>/dev/null | tr "\n" " ")"
	rm -f $MAC/s1.chk
	n2=$(xl domid s1 2>/dev/null)
	echo "$n2" >$MAC/s1.domid
	tap_ok $([ -n "$n2" ] && [ "$n2" != "$n1" ]; echo $?) \
		"restored s1: a new domid ($n1 -> $n2)"
	READ_NAMED='for b in /sys/block/vd*; do [ "$(cat $b/serial)" = s1-named ] && head -c 18 /dev/${b##*/}; done'
	t0=$(date +%s)
	tap_is "$(mac_until s1 "$READ_NAMED" 'disk bound by name' 60)" 'disk bound by name' \
		"restored s1 reads its disk bound by name (after $(($(date +%s) - t0)) s)"
	tap_ok $(grep -q "virtio-argo: backend dom0: we were restored as domain $n2 (was $n1): the backend must see us connect again" \
		/var/log/xen/console/guest-s1.log; echo $?) \
		"restored s1's virtio-argo saw its new domid and connected again at once"
	tap_ok $(grep -q "guest $n2 (s1) connected" $MAC/backend.log; echo $?) \
		"the log: guest $n2 (s1) connected"
fi
tap_ok $(kill -0 "$(cat $MAC/backend.pid)"; echo $?) "the backend still runs"
sed 's/^/# backend: /' $MAC/backend.log | tail -n 40
kill "$(cat $MAC/backend.pid)"
i=0
while [ -S $MAC/control.sock ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
tap_ok $([ ! -e $MAC/control.sock ]; echo $?) "stopped: its control socket is removed"
# `xl shutdown`: the guest powers itself off (its init obeys the request)
timeout 60 xl shutdown -w s2 2>&1 | sed "s/^/# xl: /"
tap_ok $(! xl domid s2 >/dev/null 2>&1 &&
	grep -q '@@RIG:domu@@ power-off requested' /var/log/xen/console/guest-s2.log; echo $?) \
	"xl shutdown s2: it powered off in order, and is gone"
for name in s1 s2; do
	xl destroy $name 2>/dev/null
done
tap_done
