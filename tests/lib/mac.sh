# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the MAC tests (phase "mac": Xen booted with the example Flask
# policy, policy/argo_suite.te).  Sourced after /rig/tap.sh.
#
# 80-mac-domains starts the phase's domains and records them in /tmp/mac:
#   g1, g2   argo_guest_t     two guests
#   b        argo_backend_t   a driver domain
# Each runs an agent, a shell served over AF_VSOCK port 5300: the dom0 <->
# domain edges stay allowed by both policies the tests load, so dom0 can
# always reach the agents.
#
# The driver-domain tests (phase "driver", 93-95) drive their domains the
# same way, with MAC=/tmp/drv set before this file is sourced.

MAC=${MAC:-/tmp/mac}
MAC_AGENT=5300
MAC_DOMAINS="dom0 g1 g2 b"

# mac_domid NAME: the domain's id (dom0 is 0)
mac_domid() {
	if [ "$1" = dom0 ]; then echo 0; else cat "$MAC/$1.domid"; fi
}

# mac_cid NAME: the domain's vsock CID (domid + 2)
mac_cid() { echo $(($(mac_domid "$1") + 2)); }

# mac_allowed A B: does the example policy let A and B use Argo together?
# Everyone with dom0, each domain with itself, guests with the driver
# domain; not a guest with another guest.
mac_allowed() {
	case "$1:$2" in
	dom0:* | *:dom0) return 0 ;;
	g1:g2 | g2:g1) return 1 ;;
	*) return 0 ;;
	esac
}

# on NAME CMD: run the shell command CMD in domain NAME, print its output
# (standard error included).  A command that starts something in the
# background must detach it (mac_bg) or the call waits for it.  CMD's
# exit status is not passed back: print what the test needs to know.
#
# The end of the output is a marker line, not the connection's end: the
# agent's socat keeps the connection open while anything the shell
# started in the background lives, so the call reads up to the marker
# (ON_SECONDS, default 300, at most; the agent's own socat -t must allow
# as long) and then closes the connection itself.
on() {
	if [ "$1" = dom0 ]; then
		sh -c "$2" 2>&1
		return
	fi
	_on_out=/tmp/mac-on.$$
	_on_s=${ON_SECONDS:-300}
	printf '%s\necho @@MAC-END@@\n' "$2" |
		socat -t "$_on_s" -T "$_on_s" - "VSOCK-CONNECT:$(mac_cid "$1"):$MAC_AGENT" >"$_on_out" 2>&1 &
	_on_pid=$!
	_on_i=0
	until grep -q '@@MAC-END@@$' "$_on_out" 2>/dev/null ||
			! kill -0 $_on_pid 2>/dev/null || [ $_on_i -ge $((_on_s * 10)) ]; do
		sleep 0.1
		_on_i=$((_on_i + 1))
	done
	kill $_on_pid 2>/dev/null
	wait $_on_pid 2>/dev/null
	# the marker follows the output's last line, or ends an unfinished one
	awk '{ if (sub(/@@MAC-END@@$/, "")) { if ($0 != "") print; exit } print }' "$_on_out"
	# A domain that is gone (crashed: the guests panic on a WARN) is no
	# host vsock can reach: show the end of its console, where the reason
	# is, on standard error, as TAP comments, once per test.
	if grep -q 'No route to host' "$_on_out" && ! xl domid "$1" >/dev/null 2>&1 &&
			[ ! -e "/tmp/mac-gone.$1.$$" ]; then
		: >"/tmp/mac-gone.$1.$$"
		echo "# domain $1 is gone; the end of its console:" >&2
		tail -n 25 "/var/log/xen/console/guest-$1.log" 2>/dev/null | tr -d '\r' |
			sed "s/^/# $1: /" >&2
	fi
	rm -f "$_on_out"
}

# mac_bg CMD: the text of a command that runs CMD detached (for on); CMD
# must not contain single quotes
mac_bg() { printf "setsid sh -c '%s' </dev/null >/dev/null 2>&1 &" "$1"; }

# mac_until NAME CMD WANT [SECONDS]: run CMD in NAME until it prints WANT
# (a server just started may not listen yet); print what it printed last
mac_until() {
	_mu_i=0
	until _mu_out=$(on "$1" "$2") && [ "$_mu_out" = "$3" ] ||
			[ $_mu_i -ge $((${4:-30} * 2)) ]; do
		sleep 0.5
		_mu_i=$((_mu_i + 1))
	done
	printf '%s\n' "$_mu_out"
}

# mac_wait_ring NAME PORT: wait (30 s at most) until domain NAME has a
# ring at PORT that dom0 may send to
mac_wait_ring() {
	mac_until dom0 "argo query $(mac_domid "$1") $2 | cut -d, -f1" \
		"dom$(mac_domid "$1"):$2: ring exists" >/dev/null
}

# mac_avc_mark: remember how long Xen's log is; mac_avc looks after it
mac_avc_mark() { xl dmesg | wc -l >$MAC/avc.mark; }

# mac_avc PERM SRC-TYPE SRC TGT-TYPE TGT [WHY]: a test point: since the
# last mac_avc_mark, Xen logged the AVC denial of PERM from domain SRC to
# domain TGT (domids), with their labels
mac_avc() {
	xl dmesg | tail -n +$(($(cat $MAC/avc.mark) + 1)) |
		grep -q "avc:  denied  { $1 } for source=d$3 target=d$5 scontext=system_u:system_r:$2 tcontext=system_u:system_r:$4 tclass=argo"
	tap_ok $? "xl dmesg: AVC denial of $1, d$3 ($2) -> d$5 ($4)${6:+, $6}"
}
