// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (device id 1) on a Linux TAP interface, one per guest: queue
 * 0 (receiveq) holds the guest's buffers for frames coming from the TAP,
 * queue 1 (transmitq) carries the frames the guest sends.  No control
 * queue, one queue pair.
 *
 * Every instance (guest) opens its own TAP when it is created: NAME, with
 * "%d" replaced by the guest's domid.  A TAP of that name that exists
 * already (a persistent one) is attached to instead.  The TAP is made with
 * IFF_VNET_HDR and a 12-byte header, which is exactly the guest's struct
 * virtio_net_hdr_v1 (VERSION_1 always carries num_buffers): a transmit
 * chain's readable bytes go to the TAP in one write() unchanged, and what
 * one read() returns is the header and frame the guest receives.  The
 * kernel does the offloads the driver cannot: its TUNSETOFFLOAD flags say
 * which of checksum and TSO the driver takes (set at DRIVER_OK, cleared
 * by a reset), so before that every frame arrives fully checksummed.
 *
 * Receive: the guest's buffers are held in arrival order.  Only while we
 * hold some, the driver is running and the guest reads its output do we
 * poll the TAP, and we read one frame at a time: what we cannot place
 * stays in the kernel's queue, never in ours.  With MRG_RXBUF a frame is
 * spread over as many buffers as it needs (num_buffers in the first
 * header), all but the last completed with HOLD so that the guest sees
 * them used at once, as virtio requires; one that needs more than we
 * hold waits, with reading stopped, until more buffers come.  Without
 * MRG_RXBUF it must fit the first buffer, else it is dropped, as a NIC
 * drops a frame larger than its buffer.
 *
 * Transmit: chains go to the TAP in order; a full TAP (EAGAIN) holds
 * them until it polls writable.  A malformed chain (too short or long, a
 * header using offloads not negotiated) is dropped and completed, as a
 * NIC drops a bad descriptor; the count and a rate-limited line say so.
 *
 * Link: the config status mirrors the TAP's state.  A NETLINK_ROUTE
 * socket per device reports link changes (the administrator's `ip link
 * set vnet5 down`), which update the guest's status and send it a config
 * event; a TAP deleted under us is a link down for good, until the driver
 * resets the device, which opens a new one.
 *
 * Watches: an instance can be freed by a callback of the same poll()
 * round that still has its TAP's descriptor to report (a guest reloading
 * its transport), and the loop reads its watch after that.  So the
 * watches of the TAPs are never freed while the loop runs: a device keeps
 * the ones its instances gave back, and reuses them.  A reused watch may
 * see one stale report meant for its previous descriptor; every callback
 * here copes with a report that turns out to be wrong (EAGAIN).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "backend.h"

#define NET_RXQ			0
#define NET_TXQ			1
/* The header before every frame, both ways: struct virtio_net_hdr_v1. */
#define NET_HDR_LEN		((uint32_t)sizeof(struct virtio_net_hdr_v1))
/*
 * The largest frame: a 64 KiB GSO packet with its Ethernet header and a
 * VLAN tag (the TAP inserts a tag the stack offloaded to it).
 */
#define NET_FRAME_MAX		(65536U + ETH_HLEN + 4U)
#define NET_PKT_MAX		(NET_HDR_LEN + NET_FRAME_MAX)
/* Frames read per poll() report: the loop has other descriptors too. */
#define NET_RX_BURST		64U
/* The default MAC: locally administered, "ARG", then 0 0 (or the domid). */
static const uint8_t net_default_mac[ETH_ALEN] = {
	0x02, 0x41, 0x52, 0x47, 0x00, 0x00
};
#define NET_MTU_MIN		68U
#define NET_MTU_MAX		65535U

#define F(bit)			(1ULL << (bit))

/* A watch for one TAP, kept by the device once an instance is done. */
struct net_watch {
	struct watch w;
	struct list_node spare;		/* on net_dev.spare while unused */
};

struct net_dev {
	char *tap;			/* the name, with at most one "%d" */
	char *bridge;			/* or NULL */
	uint8_t mac[ETH_ALEN];
	bool mac_per_guest;		/* offered to more than one guest */
	unsigned int mtu;		/* 0: not given, not offered */
	int nl_fd;			/* link changes, or -1 */
	struct watch w_nl;
	struct list_node spare;		/* struct net_watch not in use */
};

struct net_inst {
	int fd;				/* the TAP, or -1 (failed or lost) */
	int ifindex;
	char name[IFNAMSIZ];
	uint8_t mac[ETH_ALEN];
	uint16_t status;		/* VIRTIO_NET_S_LINK_UP or 0 */
	uint16_t status_told;		/* what the last GET_CONFIG said */
	unsigned int offload;		/* TUN_F_* set on the TAP */
	struct net_watch *nw;
	/*
	 * Chains held, FIFO.  No count is kept beside the lists: the core
	 * may free their chains (RESET_VQUEUE) without telling us.
	 */
	struct list_node rxq;		/* receive chains */
	struct list_node txq;		/* transmit chains not yet written */
	uint8_t *pkt;			/* the frame read but not yet placed */
	uint32_t pkt_len;		/* 0: none */
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;
};

static void net_update_watch(struct devinst *di);

/* ---- names and addresses ---- */

static void mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "XX:XX:XX:XX:XX:XX", exactly. */
static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int i;

	for (i = 0; i < ETH_ALEN; i++, s += 3) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (lo < 0 || s[2] != (i == ETH_ALEN - 1 ? '\0' : ':'))
			return -1;
		mac[i] = hi << 4 | lo;
	}
	return 0;
}

static unsigned int digits(unsigned int v)
{
	unsigned int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * NAME with its "%d" (if any) replaced by @domid.  The name is never used
 * as a format: it is the administrator's text, and may hold anything.
 */
static int expand_name(const char *name, uint16_t domid, char *buf,
		       size_t len)
{
	const char *pct = strstr(name, "%d");
	int n;

	if (pct)
		n = snprintf(buf, len, "%.*s%u%s", (int)(pct - name), name,
			     domid, pct + 2);
	else
		n = snprintf(buf, len, "%s", name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* What the kernel takes as an interface name (see dev_valid_name()). */
static bool ifname_ok(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || *s == '\t' ||
		    *s == '\n' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* ---- the TAP ---- */

/* A socket for interface ioctls (flags, index, MTU). */
static int ifsock(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int if_flags(int s, const char *name, short *flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		return -1;
	*flags = ifr.ifr_flags;
	return 0;
}

static uint16_t link_status(short flags)
{
	return (flags & IFF_UP) && (flags & IFF_RUNNING) ?
	       VIRTIO_NET_S_LINK_UP : 0;
}

/* The TAP's link changed: tell a running driver through a config event. */
static void net_set_link(struct devinst *di, uint16_t status)
{
	struct net_inst *ni = di->priv;

	if (ni->status == status)
		return;
	ni->status = status;
	vb_log("net device %u: guest %u: tap %s link %s", di->dev->dev_num,
	       di->g->domid, ni->name, status ? "up" : "down");
	di->generation++;
	send_event_config(di);
}

/* Which offloads the TAP may use: those the driver takes. */
static unsigned int net_offload_for(uint64_t features)
{
	unsigned int off;

	/* TSO is only valid with checksum offload (tun refuses it alone) */
	if (!(features & F(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	off = TUN_F_CSUM;
	if (features & F(VIRTIO_NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (features & F(VIRTIO_NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	return off;
}

static void net_set_offload(struct devinst *di, unsigned int off)
{
	struct net_inst *ni = di->priv;

	if (ni->fd < 0 || ni->offload == off)
		return;
	if (ioctl(ni->fd, TUNSETOFFLOAD, (unsigned long)off)) {
		guest_err(di->g, "net device %u: tap %s: offloads %#x: %s",
			  di->dev->dev_num, ni->name, off, strerror(errno));
		return;
	}
	ni->offload = off;
}

static struct net_watch *net_watch_get(struct net_dev *nd)
{
	struct net_watch *nw;

	if (!list_empty(&nd->spare)) {
		nw = list_first_entry(&nd->spare, struct net_watch, spare);
		list_del_init(&nw->spare);
		return nw;
	}
	nw = calloc(1, sizeof(*nw));
	if (!nw)
		return NULL;
	list_init(&nw->w.link);
	list_init(&nw->spare);
	return nw;
}

/* Close the TAP (a non-persistent one vanishes) and keep its watch. */
static void net_tap_close(struct devinst *di)
{
	struct net_dev *nd = di->dev->priv;
	struct net_inst *ni = di->priv;

	if (ni->nw) {
		watch_del(&ni->nw->w);
		ni->nw->w.fd = -1;
		ni->nw->w.events = 0;
		ni->nw->w.priv = NULL;
		list_add_tail(&ni->nw->spare, &nd->spare);
		ni->nw = NULL;
	}
	if (ni->fd >= 0)
		close(ni->fd);
	ni->fd = -1;
	ni->ifindex = 0;
	ni->offload = 0;
	ni->pkt_len = 0;
}

static void net_tap_event(struct watch *w, short revents);

/*
 * Make interface @ifindex a port of bridge @br (`ip link set TAP master
 * BR`).  A persistent TAP that is on that bridge already stays as it is.
 * Returns 0, or -1 with errno set.
 */
static int set_master(int ifindex, const char *br)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr rta;
		uint32_t master;
	} req;
	uint8_t ack[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nlmsghdr *nh = (const struct nlmsghdr *)ack;
	struct sockaddr_nl sa;
	int fd, err = EIO;

	memset(&req, 0, sizeof(req));
	req.master = if_nametoindex(br);
	if (!req.master)
		return -1;	/* errno: ENODEV */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	req.rta.rta_len = RTA_LENGTH(sizeof(req.master));
	req.rta.rta_type = IFLA_MASTER;
	/* the kernel answers before sendto() returns: nothing blocks */
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) == (ssize_t)sizeof(req)) {
		ssize_t n = recv(fd, ack, sizeof(ack), MSG_DONTWAIT);

		if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
		    nh->nlmsg_type == NLMSG_ERROR && nh->nlmsg_seq == 1)
			err = -((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
	} else {
		err = errno;
	}
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

/*
 * Create (or attach to) the guest's TAP, enslave it to the bridge, bring
 * it up.  Returns 0, or -1 with @why set (the TAP is closed again).
 */
static int net_tap_open(struct devinst *di, char *why, size_t len)
{
	struct net_dev *nd = di->dev->priv;
	struct net_inst *ni = di->priv;
	int hdr = NET_HDR_LEN, le = 1, s = -1;
	struct ifreq ifr;
	char mac[32];
	short flags;
	int e;

	if (!ni->name[0]) {	/* "" would make the kernel pick a name */
		snprintf(why, len, "no tap name");
		return -1;
	}
	ni->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (ni->fd < 0) {
		snprintf(why, len, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ni->name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(ni->fd, TUNSETIFF, &ifr)) {
		e = errno;
		snprintf(why, len, "tap %s: %s%s", ni->name, strerror(e),
			 e == EINVAL ? " (an interface of that name that is not a tap?)" :
			 e == EBUSY ? " (in use by another program)" : "");
		goto fail;
	}
	/* VERSION_1: the header is always 12 bytes, little-endian */
	if (ioctl(ni->fd, TUNSETVNETHDRSZ, &hdr) ||
	    (ioctl(ni->fd, TUNSETVNETLE, &le) && htole16(1) != 1) ||
	    ioctl(ni->fd, TUNSETOFFLOAD, 0UL)) {
		snprintf(why, len, "tap %s: header set-up: %s", ni->name,
			 strerror(errno));
		goto fail;
	}
	ni->offload = 0;
	s = ifsock();
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ni->name);
	if (s < 0 || ioctl(s, SIOCGIFINDEX, &ifr)) {
		snprintf(why, len, "tap %s: index: %s", ni->name,
			 strerror(errno));
		goto fail;
	}
	ni->ifindex = ifr.ifr_ifindex;
	if (nd->mtu) {
		ifr.ifr_mtu = nd->mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr)) {
			snprintf(why, len, "tap %s: mtu %u: %s", ni->name,
				 nd->mtu, strerror(errno));
			goto fail;
		}
	}
	if (nd->bridge && set_master(ni->ifindex, nd->bridge)) {
		snprintf(why, len, "tap %s: adding it to bridge %s: %s",
			 ni->name, nd->bridge, strerror(errno));
		goto fail;
	}
	if (if_flags(s, ni->name, &flags)) {
		snprintf(why, len, "tap %s: flags: %s", ni->name,
			 strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ni->name);
	ifr.ifr_flags = flags | IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) || if_flags(s, ni->name, &flags)) {
		snprintf(why, len, "tap %s: up: %s", ni->name, strerror(errno));
		goto fail;
	}
	close(s);
	s = -1;
	ni->nw = net_watch_get(nd);
	if (!ni->nw) {
		snprintf(why, len, "out of memory");
		goto fail;
	}
	ni->nw->w.fd = ni->fd;
	ni->nw->w.events = 0;
	ni->nw->w.cb = net_tap_event;
	ni->nw->w.priv = di;
	watch_add(&ni->nw->w);
	/* up and RUNNING (the carrier) may take the kernel a moment: netlink */
	ni->status = link_status(flags);
	mac_str(ni->mac, mac, sizeof(mac));
	vb_log("net device %u: guest %u on tap %s (mac %s)", di->dev->dev_num,
	       di->g->domid, ni->name, mac);
	return 0;
fail:
	if (s >= 0)
		close(s);
	net_tap_close(di);
	return -1;
}

/* The TAP went away under us (deleted): the link is down for good. */
static void net_tap_lost(struct devinst *di, const char *why)
{
	struct net_inst *ni = di->priv;

	vb_log("net device %u: guest %u: tap %s %s: closed until the driver resets the device",
	       di->dev->dev_num, di->g->domid, ni->name, why);
	net_tap_close(di);
	net_set_link(di, 0);
}

/* Is our descriptor detached from its TAP (the TAP was deleted)? */
static bool net_tap_detached(const struct net_inst *ni)
{
	struct ifreq ifr;

	return ni->fd >= 0 && ioctl(ni->fd, TUNGETIFF, &ifr) &&
	       errno == EBADFD;
}

/* ---- transmit ---- */

/* May the guest send this header and frame?  NULL, or what is wrong. */
static const char *net_tx_check(const struct devinst *di,
				const struct chain *c)
{
	uint64_t f = di->drv_features;
	uint32_t frame;
	uint8_t flags, gso;

	if (c->out_len < NET_HDR_LEN + ETH_HLEN)
		return "shorter than a header and an Ethernet header";
	frame = c->out_len - NET_HDR_LEN;
	if (frame > NET_FRAME_MAX)
		return "frame over 64 KiB";
	flags = c->out[offsetof(struct virtio_net_hdr_v1, flags)];
	gso = c->out[offsetof(struct virtio_net_hdr_v1, gso_type)];
	/* DATA_VALID and RSC_INFO are the device's; the driver sets neither */
	if (flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return "unknown header flags";
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t start = get_le16(c->out + offsetof(struct virtio_net_hdr_v1,
							    csum_start));
		uint32_t off = get_le16(c->out + offsetof(struct virtio_net_hdr_v1,
							  csum_offset));

		if (!(f & F(VIRTIO_NET_F_CSUM)))
			return "checksum offload not negotiated";
		if (start + off + 2 > frame)
			return "checksum beyond the frame";
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return NULL;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!(f & F(VIRTIO_NET_F_HOST_TSO4)))
			return "TSO4 not negotiated";
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!(f & F(VIRTIO_NET_F_HOST_TSO6)))
			return "TSO6 not negotiated";
		break;
	default:	/* UDP, ECN: never offered */
		return "GSO type not negotiated";
	}
	if (!get_le16(c->out + offsetof(struct virtio_net_hdr_v1, gso_size)))
		return "GSO with gso_size 0";
	return NULL;
}

static void net_tx_drop(struct devinst *di, struct chain *c, const char *why)
{
	struct net_inst *ni = di->priv;

	ni->tx_dropped++;
	guest_err(di->g, "net device %u: transmit chain of %u bytes dropped: %s (%llu dropped)",
		  di->dev->dev_num, c->out_len, why,
		  (unsigned long long)ni->tx_dropped);
	chain_complete(c, NULL, 0);
}

/* Write the held transmit chains to the TAP, in order, until it is full. */
static void net_tx_pump(struct devinst *di)
{
	struct net_inst *ni = di->priv;

	while (!list_empty(&ni->txq)) {
		struct chain *c = list_first_entry(&ni->txq, struct chain,
						   link);
		const char *bad = net_tx_check(di, c);
		ssize_t n;

		if (bad) {
			net_tx_drop(di, c, bad);
			continue;
		}
		if (ni->fd < 0) {
			/* no TAP: a NIC without a link drops what it sends */
			ni->tx_dropped++;
			chain_complete(c, NULL, 0);
			continue;
		}
		n = write(ni->fd, c->out, c->out_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;		/* POLLOUT says when */
		if (n < 0 && errno == EBADFD) {
			net_tap_lost(di, "deleted");
			continue;
		}
		if (n < 0 && errno == EIO) {
			/* the TAP is down: the link is, too (netlink says so) */
			ni->tx_dropped++;
			chain_complete(c, NULL, 0);
			continue;
		}
		if (n < 0) {
			/* the kernel refused this frame (a bad GSO header) */
			net_tx_drop(di, c, strerror(errno));
			continue;
		}
		ni->tx_packets++;
		chain_complete(c, NULL, 0);
	}
}

/* ---- receive ---- */

static uint32_t rxq_limit(const struct devinst *di)
{
	return di->vq[NET_RXQ].size ? di->vq[NET_RXQ].size : VB_QUEUE_SIZE;
}

/* The frame read (@len bytes with its header) cannot go to the guest. */
static void net_rx_drop(struct devinst *di, uint32_t len, const char *why)
{
	struct net_inst *ni = di->priv;

	ni->rx_dropped++;
	guest_err(di->g, "net device %u: received frame of %u bytes dropped: %s (%llu dropped)",
		  di->dev->dev_num, len > NET_HDR_LEN ? len - NET_HDR_LEN : 0,
		  why, (unsigned long long)ni->rx_dropped);
	ni->pkt_len = 0;
}

/*
 * The TAP's header for a driver that may not have negotiated what it
 * says: NULL when the driver may take it (possibly after clearing
 * DATA_VALID, a hint), or why not.
 */
static const char *net_rx_check(const struct devinst *di, uint8_t *hdr)
{
	uint64_t f = di->drv_features;
	uint8_t *flags = hdr + offsetof(struct virtio_net_hdr_v1, flags);
	uint8_t gso = hdr[offsetof(struct virtio_net_hdr_v1, gso_type)];

	if (!(f & F(VIRTIO_NET_F_GUEST_CSUM))) {
		/* virtio: without GUEST_CSUM, flags must be 0 */
		if (*flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return "partial checksum, GUEST_CSUM not negotiated";
		*flags = 0;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return NULL;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return (f & F(VIRTIO_NET_F_GUEST_TSO4)) ? NULL :
		       "TSO4 frame, GUEST_TSO4 not negotiated";
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return (f & F(VIRTIO_NET_F_GUEST_TSO6)) ? NULL :
		       "TSO6 frame, GUEST_TSO6 not negotiated";
	}
	return "GSO type not negotiated";
}

/*
 * Place the pending frame into held receive chains (chain_complete()
 * takes each off ni->rxq).  Returns false when it must wait for more
 * chains; true when it is gone (placed or dropped).
 */
static bool net_rx_place(struct devinst *di)
{
	struct net_inst *ni = di->priv;
	struct list_node *n, *t;
	struct chain *c;
	uint64_t room = 0;
	uint32_t off = 0, need = 0;

	if (list_empty(&ni->rxq))
		return false;
	c = list_first_entry(&ni->rxq, struct chain, link);
	if (!(di->drv_features & F(VIRTIO_NET_F_MRG_RXBUF))) {
		if (c->in_len < ni->pkt_len) {
			net_rx_drop(di, ni->pkt_len, "larger than the receive buffer");
			return true;
		}
		put_le16(ni->pkt + offsetof(struct virtio_net_hdr_v1,
					    num_buffers), 1);
		chain_complete(c, ni->pkt, ni->pkt_len);
		ni->pkt_len = 0;
		ni->rx_packets++;
		return true;
	}
	list_for_each_safe(n, t, &ni->rxq) {
		room += list_entry(n, struct chain, link)->in_len;
		need++;
		if (room >= ni->pkt_len)
			break;
	}
	if (room < ni->pkt_len) {
		/* a queue full of small buffers would wait forever */
		if (need >= rxq_limit(di)) {
			net_rx_drop(di, ni->pkt_len, "larger than all the receive buffers");
			return true;
		}
		return false;
	}
	put_le16(ni->pkt + offsetof(struct virtio_net_hdr_v1, num_buffers),
		 need);
	/* the guest must see the frame's buffers used all at once */
	while (off < ni->pkt_len) {
		uint32_t len;

		c = list_first_entry(&ni->rxq, struct chain, link);
		len = MIN(c->in_len, ni->pkt_len - off);
		if (off + len < ni->pkt_len)
			chain_complete_held(c, ni->pkt + off, len);
		else
			chain_complete(c, ni->pkt + off, len);
		off += len;
	}
	ni->pkt_len = 0;
	ni->rx_packets++;
	return true;
}

/* May we read from the TAP now? */
static bool net_rx_ready(const struct devinst *di)
{
	const struct net_inst *ni = di->priv;

	return ni->fd >= 0 && (di->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !devinst_broken(di) && !list_empty(&ni->rxq) && !ni->pkt_len &&
	       di->g->out.bytes < VB_OUTQ_HIGH;
}

/* Read frames and place them while there are chains to take them. */
static void net_rx_pump(struct devinst *di)
{
	struct net_inst *ni = di->priv;
	unsigned int burst;

	if (ni->pkt_len && !net_rx_place(di))
		return;
	for (burst = 0; burst < NET_RX_BURST && net_rx_ready(di); burst++) {
		ssize_t n = read(ni->fd, ni->pkt, NET_PKT_MAX);
		const char *bad;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && errno == EBADFD) {
			net_tap_lost(di, "deleted");
			return;
		}
		if (n < 0) {
			guest_err(di->g, "net device %u: tap %s: read: %s",
				  di->dev->dev_num, ni->name, strerror(errno));
			continue;
		}
		/* the TAP reports a frame larger than the buffer by its size */
		ni->pkt_len = (uint32_t)MIN((size_t)n, NET_PKT_MAX + 1);
		if (ni->pkt_len > NET_PKT_MAX) {
			net_rx_drop(di, ni->pkt_len, "too large");
			continue;
		}
		if (ni->pkt_len < NET_HDR_LEN + ETH_HLEN) {
			net_rx_drop(di, ni->pkt_len, "too short");
			continue;
		}
		bad = net_rx_check(di, ni->pkt);
		if (bad) {
			net_rx_drop(di, ni->pkt_len, bad);
			continue;
		}
		if (!net_rx_place(di))
			return;		/* waits for more receive chains */
	}
}

/*
 * Poll the TAP for what we can take now.  When we would read but the
 * guest's output is over VB_OUTQ_HIGH, the newest receive chain goes to
 * the guest's deferred chains: the core hands it back through ->chain
 * once the output drained, which is how we learn to read again.
 */
static void net_update_watch(struct devinst *di)
{
	struct net_inst *ni = di->priv;
	short ev = 0;

	if (!ni->nw)
		return;
	if (ni->fd >= 0 && !list_empty(&ni->rxq) && !ni->pkt_len &&
	    (di->status & VIRTIO_CONFIG_S_DRIVER_OK) && !devinst_broken(di) &&
	    di->g->out.bytes >= VB_OUTQ_HIGH) {
		struct chain *c = list_last_entry(&ni->rxq, struct chain, link);

		list_del_init(&c->link);
		list_add_tail(&c->link, &di->g->deferred);
	}
	if (net_rx_ready(di))
		ev |= POLLIN;
	if (ni->fd >= 0 && !list_empty(&ni->txq))
		ev |= POLLOUT;
	ni->nw->w.events = ev;
}

static void net_tap_event(struct watch *w, short revents)
{
	struct devinst *di = w->priv;
	struct net_inst *ni = di->priv;

	if ((revents & (POLLERR | POLLHUP | POLLNVAL)) &&
	    net_tap_detached(ni)) {
		net_tap_lost(di, "deleted");
		net_tx_pump(di);
	}
	if (revents & POLLOUT)
		net_tx_pump(di);
	if (revents & POLLIN)
		net_rx_pump(di);
	net_update_watch(di);
}

static void net_chain(struct devinst *di, struct chain *c)
{
	struct net_inst *ni = di->priv;

	if (c->vq == NET_TXQ) {
		list_add_tail(&c->link, &ni->txq);
		net_tx_pump(di);
		net_update_watch(di);
		return;
	}
	/* virtio: every receive buffer holds at least the header */
	if (c->in_len < NET_HDR_LEN) {
		devinst_fail(di, "receive buffer of %u bytes, smaller than the %u-byte header",
			     c->in_len, NET_HDR_LEN);
		return;
	}
	list_add_tail(&c->link, &ni->rxq);
	/* a frame waiting for room; new ones are read when POLLIN says */
	if (ni->pkt_len)
		net_rx_pump(di);
	net_update_watch(di);
}

/* ---- the instance ---- */

static void net_inst_config(const struct devinst *di, uint8_t *cfg)
{
	const struct net_dev *nd = di->dev->priv;
	struct net_inst *ni = di->priv;

	memcpy(cfg + offsetof(struct virtio_net_config, mac), ni->mac,
	       ETH_ALEN);
	put_le16(cfg + offsetof(struct virtio_net_config, status), ni->status);
	put_le16(cfg + offsetof(struct virtio_net_config, max_virtqueue_pairs),
		 1);
	put_le16(cfg + offsetof(struct virtio_net_config, mtu), nd->mtu);
	/* unknown (only read with SPEED_DUPLEX, which we do not offer) */
	put_le32(cfg + offsetof(struct virtio_net_config, speed), UINT32_MAX);
	cfg[offsetof(struct virtio_net_config, duplex)] = 0xFF;
	ni->status_told = ni->status;
}

static int net_inst_init(struct devinst *di)
{
	struct net_dev *nd = di->dev->priv;
	struct net_inst *ni = calloc(1, sizeof(*ni));
	char why[256];

	if (!ni)
		return -1;
	ni->pkt = malloc(NET_PKT_MAX);
	if (!ni->pkt) {
		free(ni);
		return -1;
	}
	ni->fd = -1;
	list_init(&ni->rxq);
	list_init(&ni->txq);
	memcpy(ni->mac, nd->mac, ETH_ALEN);
	if (nd->mac_per_guest) {
		ni->mac[4] = di->g->domid >> 8;
		ni->mac[5] = di->g->domid & 0xFF;
	}
	di->priv = ni;
	/* checked at parse time for every domid the device may see */
	if (expand_name(nd->tap, di->g->domid, ni->name, sizeof(ni->name))) {
		devinst_fail(di, "tap name '%s' too long for guest %u",
			     nd->tap, di->g->domid);
		return 0;
	}
	/*
	 * A TAP that cannot be made fails this instance only (the guest sees
	 * DEVICE_NEEDS_RESET), not the guest: its other devices work.
	 */
	if (net_tap_open(di, why, sizeof(why)))
		devinst_fail(di, "%s", why);
	return 0;
}

/*
 * The driver starts the device (after a reset, or a TAP failure) or sets
 * DRIVER_OK: reopen a TAP that failed or was lost, apply the offloads.
 */
static void net_inst_status(struct devinst *di, uint32_t old)
{
	struct net_inst *ni = di->priv;
	char why[256];

	if (devinst_broken(di))
		return;
	if (!old && ni->fd < 0 && net_tap_open(di, why, sizeof(why))) {
		devinst_fail(di, "%s", why);
		return;
	}
	if ((di->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		net_set_offload(di, net_offload_for(di->drv_features));
		/* the driver read the config before the link settled */
		if (ni->status != ni->status_told) {
			di->generation++;
			send_event_config(di);
		}
		net_update_watch(di);
	}
}

/*
 * Reset: the chains are gone already (freeing them took them off our
 * lists); so is a frame waiting for them.  The TAP stays.
 */
static void net_inst_reset(struct devinst *di)
{
	struct net_inst *ni = di->priv;

	ni->pkt_len = 0;
	net_set_offload(di, 0);
	net_update_watch(di);
}

static void net_inst_free(struct devinst *di)
{
	struct net_inst *ni = di->priv;

	if (ni->fd >= 0)
		vb_log("net device %u: guest %u off tap %s (rx %llu, tx %llu frames; dropped rx %llu, tx %llu)",
		       di->dev->dev_num, di->g->domid, ni->name,
		       (unsigned long long)ni->rx_packets,
		       (unsigned long long)ni->tx_packets,
		       (unsigned long long)ni->rx_dropped,
		       (unsigned long long)ni->tx_dropped);
	net_tap_close(di);
	free(ni->pkt);
	free(ni);
	di->priv = NULL;
}

/* ---- link changes ---- */

static struct devinst *net_find(struct device *d, int ifindex)
{
	struct list_node *n, *t;

	list_for_each_safe(n, t, &d->insts) {
		struct devinst *di = list_entry(n, struct devinst, dev_link);
		struct net_inst *ni = di->priv;

		if (ni && ni->fd >= 0 && ni->ifindex == ifindex)
			return di;
	}
	return NULL;
}

/*
 * Something happened to the TAP: ask for its state now.  A netlink
 * message tells the state at the time it was sent, and those queued while
 * we set the TAP up would replay states long gone (down, then up).
 */
static void net_link_refresh(struct devinst *di, int s)
{
	struct net_inst *ni = di->priv;
	char name[IF_NAMESIZE];
	short flags;

	if (net_tap_detached(ni)) {
		net_tap_lost(di, "deleted");
		net_tx_pump(di);
	} else if (s >= 0 && if_indextoname(ni->ifindex, name) &&
		   !if_flags(s, name, &flags)) {
		net_set_link(di, link_status(flags));
	}
	net_update_watch(di);
}

/* Netlink lost events (ENOBUFS): ask every TAP for its state. */
static void net_resync(struct device *d)
{
	struct list_node *n, *t;
	int s = ifsock();

	list_for_each_safe(n, t, &d->insts) {
		struct devinst *di = list_entry(n, struct devinst, dev_link);
		struct net_inst *ni = di->priv;

		if (ni && ni->fd >= 0)
			net_link_refresh(di, s);
	}
	if (s >= 0)
		close(s);
}

static void net_link_msg(struct device *d, const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct devinst *di;

	if ((nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK) ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	/* AF_BRIDGE messages are about bridge ports, not the link itself */
	if (ifi->ifi_family != AF_UNSPEC)
		return;
	di = net_find(d, ifi->ifi_index);
	if (!di)
		return;
	if (nh->nlmsg_type == RTM_DELLINK) {
		net_tap_lost(di, "deleted");
		net_tx_pump(di);
		net_update_watch(di);
	} else {
		int s = ifsock();

		net_link_refresh(di, s);
		if (s >= 0)
			close(s);
	}
}

static void net_nl_event(struct watch *w, short revents)
{
	static uint8_t buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct device *d = w->priv;
	struct net_dev *nd = d->priv;
	unsigned int i;

	(void)revents;
	for (i = 0; i < 16; i++) {
		struct sockaddr_nl sa;
		socklen_t salen = sizeof(sa);
		const struct nlmsghdr *nh;
		ssize_t n;
		unsigned int len;

		n = recvfrom(nd->nl_fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&sa, &salen);
		if (n < 0 && errno == ENOBUFS) {
			net_resync(d);
			continue;
		}
		if (n <= 0)
			return;		/* EAGAIN: all read */
		if (salen < sizeof(sa) || sa.nl_pid)
			continue;	/* only the kernel speaks here */
		len = (unsigned int)n;
		for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len))
			net_link_msg(d, nh);
	}
}

/* ---- the device ---- */

static int net_start(struct device *d, char *err, size_t errlen)
{
	struct net_dev *nd = d->priv;
	struct sockaddr_nl sa;
	int fd;

	/* fail at startup, not at each guest, without the right to make TAPs */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	close(fd);
	if (nd->bridge && !if_nametoindex(nd->bridge))
		vb_log("net device %u: bridge %s does not exist (yet): guests will fail until it does",
		       d->dev_num, nd->bridge);
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK;
	nd->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   NETLINK_ROUTE);
	if (nd->nl_fd < 0 || bind(nd->nl_fd, (struct sockaddr *)&sa,
				  sizeof(sa))) {
		vb_log("net device %u: netlink: %s: link changes will not reach the guests",
		       d->dev_num, strerror(errno));
		if (nd->nl_fd >= 0)
			close(nd->nl_fd);
		nd->nl_fd = -1;
		return 0;
	}
	nd->w_nl.fd = nd->nl_fd;
	nd->w_nl.events = POLLIN;
	nd->w_nl.cb = net_nl_event;
	nd->w_nl.priv = d;
	watch_add(&nd->w_nl);
	return 0;
}

static uint64_t net_features(const struct device *d)
{
	const struct net_dev *nd = d->priv;

	return F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
	       F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_GUEST_TSO4) |
	       F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_HOST_TSO4) |
	       F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_MRG_RXBUF) |
	       F(VIRTIO_NET_F_STATUS) | (nd->mtu ? F(VIRTIO_NET_F_MTU) : 0);
}

static void net_describe(const struct device *d, char *buf, size_t len)
{
	const struct net_dev *nd = d->priv;
	char mac[32];
	int n;

	mac_str(nd->mac, mac, sizeof(mac));
	if (nd->mac_per_guest)
		strcpy(mac + 12, "<domid>");
	n = snprintf(buf, len, "on tap %s, mac %s", nd->tap, mac);
	if (nd->bridge && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, ", bridge %s", nd->bridge);
	if (nd->mtu && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ", mtu %u", nd->mtu);
}

static void net_destroy(struct device *d)
{
	struct net_dev *nd = d->priv;

	watch_del(&nd->w_nl);
	if (nd->nl_fd >= 0)
		close(nd->nl_fd);
	while (!list_empty(&nd->spare)) {
		struct net_watch *nw = list_first_entry(&nd->spare,
							struct net_watch,
							spare);

		list_del_init(&nw->spare);
		free(nw);
	}
	free(nd->tap);
	free(nd->bridge);
	free(nd);
}

static const struct dev_ops net_ops = {
	.kind = "net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.config_size = sizeof(struct virtio_net_config),
	.start = net_start,
	.features = net_features,
	.hold_features = F(VIRTIO_NET_F_MRG_RXBUF),
	.inst_config = net_inst_config,
	.inst_init = net_inst_init,
	.inst_status = net_inst_status,
	.inst_reset = net_inst_reset,
	.inst_free = net_inst_free,
	.chain = net_chain,
	.describe = net_describe,
	.destroy = net_destroy,
};

static int set_name(char **dst, const char *key, const char *val, char *err,
		    size_t errlen)
{
	if (!val || !ifname_ok(val)) {
		snprintf(err, errlen, "%s= needs an interface name", key);
		return -1;
	}
	free(*dst);
	*dst = strdup(val);
	if (!*dst) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Is the TAP name well-formed, and does it fit IFNAMSIZ for every guest? */
static int check_tap(const struct device *d, const char *tap, char *err,
		     size_t errlen)
{
	const char *pct = strchr(tap, '%');
	unsigned int most = digits(0x7FEF), len;

	if (pct && (pct[1] != 'd' || strchr(pct + 1, '%'))) {
		snprintf(err, errlen, "tap name '%s': only one %%d (the domid) may appear",
			 tap);
		return -1;
	}
	if (!pct && !device_one_guest(d)) {
		snprintf(err, errlen, "tap name '%s' is the same for every guest: add %%d (the domid), or give one guest=",
			 tap);
		return -1;
	}
	if (d->nguests && !d->nnames && !d->any_guest) {
		unsigned int i;

		for (i = 0, most = 1; i < d->nguests; i++)
			if (digits(d->guests[i]) > most)
				most = digits(d->guests[i]);
	}
	len = strlen(tap);
	if (pct)
		len = len - 2 + most;
	if (len >= IFNAMSIZ) {
		snprintf(err, errlen, "tap name '%s' is longer than %u characters once the domid is in",
			 tap, IFNAMSIZ - 1);
		return -1;
	}
	return 0;
}

/* "tap=NAME[,mac=XX:XX:XX:XX:XX:XX][,bridge=BR][,mtu=N][,guest=DOMID]..." */
struct device *net_parse(const char *arg, char *err, size_t errlen)
{
	struct device *d = calloc(1, sizeof(*d));
	struct net_dev *nd = calloc(1, sizeof(*nd));
	char *copy = arg ? strdup(arg) : NULL, *s = copy, *key, *val;
	unsigned long mtu;

	if (!d || !nd || (arg && !copy)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->ops = &net_ops;
	d->priv = nd;
	list_init(&d->insts);
	nd->nl_fd = -1;
	nd->w_nl.fd = -1;
	list_init(&nd->w_nl.link);
	list_init(&nd->spare);
	memcpy(nd->mac, net_default_mac, ETH_ALEN);
	while ((key = opt_next(&s, &val))) {
		if (!strcmp(key, "tap")) {
			if (set_name(&nd->tap, key, val, err, errlen))
				goto fail;
		} else if (!strcmp(key, "bridge")) {
			if (set_name(&nd->bridge, key, val, err, errlen))
				goto fail;
			if (strlen(val) >= IFNAMSIZ) {
				snprintf(err, errlen, "bridge name '%s' is longer than %u characters",
					 val, IFNAMSIZ - 1);
				goto fail;
			}
		} else if (!strcmp(key, "mac")) {
			if (!val || parse_mac(val, nd->mac)) {
				snprintf(err, errlen, "mac= needs XX:XX:XX:XX:XX:XX");
				goto fail;
			}
			if (nd->mac[0] & 1) {
				snprintf(err, errlen, "mac %s is a multicast address",
					 val);
				goto fail;
			}
			if (!memcmp(nd->mac, "\0\0\0\0\0\0", ETH_ALEN)) {
				snprintf(err, errlen, "mac 00:00:00:00:00:00 is not an address");
				goto fail;
			}
		} else if (!strcmp(key, "mtu")) {
			if (!val || vb_parse_num(val, 10, NET_MTU_MAX, &mtu, NULL) ||
			    mtu < NET_MTU_MIN) {
				snprintf(err, errlen, "mtu= takes %u to %u",
					 NET_MTU_MIN, NET_MTU_MAX);
				goto fail;
			}
			nd->mtu = mtu;
		} else if (device_option(d, key, val, err, errlen)) {
			goto fail;
		}
	}
	if (!nd->tap) {
		snprintf(err, errlen, "--net needs tap=NAME");
		goto fail;
	}
	if (check_tap(d, nd->tap, err, errlen))
		goto fail;
	/* guests sharing the device must not share an address */
	nd->mac_per_guest = !device_one_guest(d);
	free(copy);
	return d;
fail:
	free(copy);
	if (nd) {
		free(nd->tap);
		free(nd->bridge);
	}
	free(nd);
	free(d);
	return NULL;
}
