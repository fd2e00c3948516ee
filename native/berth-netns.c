/*
 * berth-netns: the built-in engine's network plumbing over rtnetlink, in one small process.
 *
 * Why: each `ip` run costs about 9 ms here before it does anything (iproute2 loads libbpf, libelf,
 * libmnl, libcap…), and a new sandbox took three processes (`unshare` running `ip -batch` inside,
 * then `ip -batch` for the host ends); a network create took four `ip` runs. This helper,
 * linked against libc alone, does each job in one process that starts in about 3 ms and sends the same
 * kernel requests `ip` would.
 *
 * Commands (exit 0 on success; on failure one line on stderr saying which request failed and why,
 * exit 1; nothing is undone here — the engine's error path removes what was made):
 *
 *   berth-netns endpoints FILE [--new]      endpoint lines on stdin, one per veth:
 *       IFNAME HOSTIF MAC MTU ADDRESS/PREFIX GATEWAY BRIDGE ALIAS…   (MTU 0 = default, GATEWAY - = none,
 *       ALIAS the rest of the line)
 *     With --new, a new network namespace is made and bind-mounted on FILE (an existing empty file),
 *     as `unshare --net=FILE` does, and its loopback is brought up; without, the namespace mounted on
 *     FILE is entered. Each veth is created from inside (the container end named IFNAME, with MAC,
 *     addressed, up, default route via GATEWAY), its peer HOSTIF created straight in our own
 *     namespace, then tagged with ALIAS, enslaved to BRIDGE and brought up.
 *
 *   berth-netns release FILE [HOSTIF…]     deletes the links HOSTIF (gone already is fine), unmounts
 *                                            every mount on FILE and removes it
 *
 *   berth-netns bridge NAME ALIAS GATEWAY/PREFIX MTU [RULE-PRIORITY]
 *                                            a bridge with that alias and address, up; with a priority,
 *                                            its prohibit rule as rule-add makes it; then the routes,
 *                                            as `routes` prints them (the caller checks for a subnet
 *                                            that became routed elsewhere meanwhile)
 *
 *   berth-netns rule-add PRIORITY IIF       `ip rule add priority P iif IIF prohibit`, after
 *                                            deleting copies already there
 *
 *   berth-netns routes                      the IPv4 unicast routes of every table, except default
 *                                            ones, as lines "DST/LEN DEV" (DEV "-" when none)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ENDPOINTS 64

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("berth-netns: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* ---- rtnetlink requests ---- */

struct request {
  struct nlmsghdr hdr;
  char body[4096 - sizeof(struct nlmsghdr)];
};

static uint32_t sequence;

static void *tail_of(struct nlmsghdr *h) { return (char *)h + NLMSG_ALIGN(h->nlmsg_len); }

static void put_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = tail_of(h);
  size_t total = RTA_LENGTH(len);
  if (NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(total) > sizeof(struct request)) fail("netlink request too large");
  a->rta_type = type;
  a->rta_len = (unsigned short)total;
  if (len) memcpy(RTA_DATA(a), data, len);
  h->nlmsg_len = (uint32_t)(NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(total));
}

static void put_str(struct nlmsghdr *h, unsigned short type, const char *s) { put_attr(h, type, s, strlen(s) + 1); }
static void put_u32(struct nlmsghdr *h, unsigned short type, uint32_t v) { put_attr(h, type, &v, sizeof v); }

static struct rtattr *nest_begin(struct nlmsghdr *h, unsigned short type) {
  struct rtattr *a = tail_of(h);
  put_attr(h, type, NULL, 0);
  return a;
}

static void nest_end(struct nlmsghdr *h, struct rtattr *a) { a->rta_len = (unsigned short)((char *)tail_of(h) - (char *)a); }

/* A message of `type` whose fixed header (ifinfomsg, ifaddrmsg…) is `fixed` bytes, zeroed. */
static void *begin(struct request *r, uint16_t type, uint16_t flags, size_t fixed) {
  memset(r, 0, sizeof *r);
  r->hdr.nlmsg_len = (uint32_t)NLMSG_LENGTH(fixed);
  r->hdr.nlmsg_type = type;
  r->hdr.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  r->hdr.nlmsg_seq = ++sequence;
  return NLMSG_DATA(&r->hdr);
}

static int open_rtnl(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) fail("netlink socket: %s", strerror(errno));
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) fail("netlink bind: %s", strerror(errno));
  return fd;
}

/* Sends the request and waits for its acknowledgement: 0, or the kernel's (positive) errno. */
static int talk(int fd, struct request *r) {
  r->hdr.nlmsg_flags |= NLM_F_ACK;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, r, r->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != r->hdr.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR) continue;
      const struct nlmsgerr *e = NLMSG_DATA(h);
      return -e->error;
    }
  }
}

static void must(int fd, struct request *r, const char *what, const char *name) {
  int err = talk(fd, r);
  if (err) fail("%s %s: %s", what, name, strerror(err));
}

/* ---- links, addresses, routes ---- */

static void link_set(int fd, const char *name, unsigned master, const char *alias, int up) {
  struct request r;
  struct ifinfomsg *i = begin(&r, RTM_NEWLINK, 0, sizeof *i);
  i->ifi_family = AF_UNSPEC;
  if (up) {
    i->ifi_flags = IFF_UP;
    i->ifi_change = IFF_UP;
  }
  put_str(&r.hdr, IFLA_IFNAME, name);
  if (alias) put_str(&r.hdr, IFLA_IFALIAS, alias);
  if (master) put_u32(&r.hdr, IFLA_MASTER, master);
  must(fd, &r, "link set", name);
}

static int parse_mac(const char *s, unsigned char mac[6]) {
  unsigned v[6];
  char end;
  if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6) return -1;
  for (int k = 0; k < 6; k++) mac[k] = (unsigned char)v[k];
  return 0;
}

/* "a.b.c.d/len" → address and prefix length. */
static int parse_cidr(const char *s, struct in_addr *addr, unsigned *prefix) {
  char copy[64];
  if (strlen(s) >= sizeof copy) return -1;
  strcpy(copy, s);
  char *slash = strchr(copy, '/');
  if (!slash) return -1;
  *slash = 0;
  char *end;
  unsigned long p = strtoul(slash + 1, &end, 10);
  if (*end || p > 32 || inet_pton(AF_INET, copy, addr) != 1) return -1;
  *prefix = (unsigned)p;
  return 0;
}

static void addr_add(int fd, const char *dev, struct in_addr addr, unsigned prefix, const char *text) {
  unsigned index = if_nametoindex(dev);
  if (!index) fail("addr add %s dev %s: %s", text, dev, strerror(errno));
  struct request r;
  struct ifaddrmsg *a = begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *a);
  a->ifa_family = AF_INET;
  a->ifa_prefixlen = (unsigned char)prefix;
  a->ifa_index = index;
  put_attr(&r.hdr, IFA_LOCAL, &addr, sizeof addr);
  put_attr(&r.hdr, IFA_ADDRESS, &addr, sizeof addr);
  must(fd, &r, "addr add", text);
}

static void default_route(int fd, const char *dev, const char *gateway) {
  struct in_addr gw;
  if (inet_pton(AF_INET, gateway, &gw) != 1) fail("bad gateway address %s", gateway);
  unsigned index = if_nametoindex(dev);
  if (!index) fail("route add default dev %s: %s", dev, strerror(errno));
  struct request r;
  struct rtmsg *m = begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);
  m->rtm_family = AF_INET;
  m->rtm_table = RT_TABLE_MAIN;
  m->rtm_protocol = RTPROT_BOOT;
  m->rtm_scope = RT_SCOPE_UNIVERSE;
  m->rtm_type = RTN_UNICAST;
  put_attr(&r.hdr, RTA_GATEWAY, &gw, sizeof gw);
  put_u32(&r.hdr, RTA_OIF, index);
  must(fd, &r, "route add default via", gateway);
}

/* ---- endpoints ---- */

struct endpoint {
  char ifname[IFNAMSIZ], hostif[IFNAMSIZ], bridge[IFNAMSIZ];
  char mac_text[32], cidr[64], gateway[64], alias[256];
  unsigned char mac[6];
  unsigned mtu, prefix, bridge_index;
  struct in_addr addr;
};

static int read_endpoints(struct endpoint *eps) {
  char line[1024];
  int n = 0;
  while (fgets(line, sizeof line, stdin)) {
    if (line[0] == '\n' || line[0] == 0) continue;
    if (n == MAX_ENDPOINTS) fail("more than %d endpoints", MAX_ENDPOINTS);
    struct endpoint *e = &eps[n];
    memset(e, 0, sizeof *e);
    char ifname[64], hostif[64], bridge[64];
    int rest = -1;
    line[strcspn(line, "\n")] = 0;
    if (sscanf(line, "%63s %63s %31s %u %63s %63s %63s %n", ifname, hostif, e->mac_text, &e->mtu, e->cidr, e->gateway, bridge, &rest) != 7 || rest < 0 || !line[rest])
      fail("bad endpoint line (want IFNAME HOSTIF MAC MTU ADDRESS/PREFIX GATEWAY BRIDGE ALIAS): %s", line);
    /* The alias is the rest of the line: it names the engine's state root, spaces and all. */
    if (strlen(line + rest) >= sizeof e->alias) fail("alias too long: %s", line + rest);
    strcpy(e->alias, line + rest);
    if (strlen(ifname) >= IFNAMSIZ || strlen(hostif) >= IFNAMSIZ || strlen(bridge) >= IFNAMSIZ) fail("interface name too long in: %s", line);
    strcpy(e->ifname, ifname);
    strcpy(e->hostif, hostif);
    strcpy(e->bridge, bridge);
    if (parse_mac(e->mac_text, e->mac) < 0) fail("bad MAC address %s", e->mac_text);
    if (parse_cidr(e->cidr, &e->addr, &e->prefix) < 0) fail("bad address %s (want a.b.c.d/len)", e->cidr);
    n++;
  }
  return n;
}

/* The container end, created from inside the namespace, its peer created in ours (`host_ns`). */
static void create_veth(int fd, const struct endpoint *e, int host_ns) {
  struct request r;
  struct ifinfomsg *i = begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *i);
  i->ifi_family = AF_UNSPEC;
  put_str(&r.hdr, IFLA_IFNAME, e->ifname);
  put_attr(&r.hdr, IFLA_ADDRESS, e->mac, 6);
  if (e->mtu) put_u32(&r.hdr, IFLA_MTU, e->mtu);
  struct rtattr *info = nest_begin(&r.hdr, IFLA_LINKINFO);
  put_str(&r.hdr, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest_begin(&r.hdr, IFLA_INFO_DATA);
  struct rtattr *peer = nest_begin(&r.hdr, VETH_INFO_PEER);
  struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
  /* VETH_INFO_PEER carries an ifinfomsg, then the peer's own attributes. */
  memcpy(r.body + (NLMSG_ALIGN(r.hdr.nlmsg_len) - sizeof r.hdr), &peer_info, sizeof peer_info);
  r.hdr.nlmsg_len = (uint32_t)(NLMSG_ALIGN(r.hdr.nlmsg_len) + NLMSG_ALIGN(sizeof peer_info));
  put_str(&r.hdr, IFLA_IFNAME, e->hostif);
  if (e->mtu) put_u32(&r.hdr, IFLA_MTU, e->mtu);
  put_u32(&r.hdr, IFLA_NET_NS_FD, (uint32_t)host_ns);
  nest_end(&r.hdr, peer);
  nest_end(&r.hdr, data);
  nest_end(&r.hdr, info);
  int err = talk(fd, &r);
  if (err) fail("link add %s type veth peer name %s: %s", e->ifname, e->hostif, strerror(err));
}

static int cmd_endpoints(int argc, char **argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--new") != 0)) fail("usage: berth-netns endpoints FILE [--new] < endpoint lines");
  const char *file = argv[2];
  int fresh = argc == 4;
  static struct endpoint eps[MAX_ENDPOINTS];
  int n = read_endpoints(eps);
  /* Everything about our own namespace is resolved before leaving it. */
  for (int k = 0; k < n; k++) {
    eps[k].bridge_index = if_nametoindex(eps[k].bridge);
    if (!eps[k].bridge_index) fail("bridge %s: %s", eps[k].bridge, strerror(errno));
  }
  int host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host_ns < 0) fail("open /proc/self/ns/net: %s", strerror(errno));
  int host = open_rtnl(); /* a netlink socket talks to the namespace it was made in */
  if (fresh) {
    if (unshare(CLONE_NEWNET) < 0) fail("unshare(CLONE_NEWNET): %s", strerror(errno));
    if (mount("/proc/self/ns/net", file, NULL, MS_BIND, NULL) < 0) fail("mount --bind /proc/self/ns/net %s: %s", file, strerror(errno));
  } else {
    int ns = open(file, O_RDONLY | O_CLOEXEC);
    if (ns < 0) fail("open %s: %s", file, strerror(errno));
    if (setns(ns, CLONE_NEWNET) < 0) fail("setns %s: %s", file, strerror(errno));
    close(ns);
  }
  int inside = open_rtnl();
  if (fresh) link_set(inside, "lo", 0, NULL, 1);
  for (int k = 0; k < n; k++) {
    const struct endpoint *e = &eps[k];
    create_veth(inside, e, host_ns);
    addr_add(inside, e->ifname, e->addr, e->prefix, e->cidr);
    link_set(inside, e->ifname, 0, NULL, 1);
    if (strcmp(e->gateway, "-") != 0) default_route(inside, e->ifname, e->gateway);
  }
  for (int k = 0; k < n; k++) {
    const struct endpoint *e = &eps[k];
    /* Alias, then master, then up: as separate requests, the order `ip` would apply them. */
    link_set(host, e->hostif, 0, e->alias, 0);
    link_set(host, e->hostif, e->bridge_index, NULL, 0);
    link_set(host, e->hostif, 0, NULL, 1);
  }
  return 0;
}

/* ---- releasing a sandbox ---- */

/*
 * The host ends go first, so "removed" means gone (the kernel would drop them with the namespace,
 * but later, from a work queue); one already gone is fine. Then every mount stacked on FILE (lazily
 * if busy) and the file itself: the namespace dies with its last user.
 */
static int cmd_release(int argc, char **argv) {
  if (argc < 3) fail("usage: berth-netns release FILE [HOSTIF…]");
  const char *file = argv[2];
  int fd = open_rtnl();
  for (int k = 3; k < argc; k++) {
    if (strlen(argv[k]) >= IFNAMSIZ) fail("link name too long: %s", argv[k]);
    struct request r;
    struct ifinfomsg *i = begin(&r, RTM_DELLINK, 0, sizeof *i);
    i->ifi_family = AF_UNSPEC;
    put_str(&r.hdr, IFLA_IFNAME, argv[k]);
    int err = talk(fd, &r);
    if (err && err != ENODEV) fail("link del %s: %s", argv[k], strerror(err));
  }
  for (int k = 0; k < 8; k++) {
    if (umount2(file, UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EBUSY && umount2(file, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break; /* nothing (more) mounted there */
    fail("umount %s: %s", file, strerror(errno));
  }
  if (unlink(file) < 0 && errno != ENOENT) fail("rm %s: %s", file, strerror(errno));
  return 0;
}

/* ---- bridges ---- */

static void add_prohibit_rule(uint32_t priority, const char *iif);
static int print_routes(void);

static int cmd_bridge(int argc, char **argv) {
  if (argc != 6 && argc != 7) fail("usage: berth-netns bridge NAME ALIAS GATEWAY/PREFIX MTU [RULE-PRIORITY]");
  const char *name = argv[2], *alias = argv[3], *cidr = argv[4];
  unsigned mtu = (unsigned)strtoul(argv[5], NULL, 10);
  struct in_addr addr;
  unsigned prefix;
  if (strlen(name) >= IFNAMSIZ) fail("bridge name too long: %s", name);
  if (parse_cidr(cidr, &addr, &prefix) < 0) fail("bad address %s (want a.b.c.d/len)", cidr);
  int fd = open_rtnl();
  struct request r;
  struct ifinfomsg *i = begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *i);
  i->ifi_family = AF_UNSPEC;
  put_str(&r.hdr, IFLA_IFNAME, name);
  if (mtu) put_u32(&r.hdr, IFLA_MTU, mtu);
  struct rtattr *info = nest_begin(&r.hdr, IFLA_LINKINFO);
  put_str(&r.hdr, IFLA_INFO_KIND, "bridge");
  nest_end(&r.hdr, info);
  must(fd, &r, "link add type bridge", name);
  link_set(fd, name, 0, alias, 0);
  addr_add(fd, name, addr, prefix, cidr);
  link_set(fd, name, 0, NULL, 1);
  if (argc == 7) add_prohibit_rule((uint32_t)strtoul(argv[6], NULL, 10), name);
  return print_routes();
}

/* ---- policy rules ---- */

static void rule_message(struct request *r, uint16_t type, uint16_t flags, uint32_t priority, const char *iif) {
  struct fib_rule_hdr *f = begin(r, type, flags, sizeof *f);
  f->family = AF_INET;
  f->action = FR_ACT_PROHIBIT;
  put_u32(&r->hdr, FRA_PRIORITY, priority);
  put_str(&r->hdr, FRA_IIFNAME, iif);
}

/* `ip rule add priority P iif IIF prohibit`, after deleting copies an engine that died mid-way left. */
static void add_prohibit_rule(uint32_t priority, const char *iif) {
  int fd = open_rtnl();
  struct request r;
  for (int k = 0; k < 16; k++) {
    rule_message(&r, RTM_DELRULE, 0, priority, iif);
    if (talk(fd, &r)) break;
  }
  rule_message(&r, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, priority, iif);
  int err = talk(fd, &r);
  if (err) fail("rule add priority %u iif %s prohibit: %s", priority, iif, strerror(err));
  close(fd);
}

static int cmd_rule_add(int argc, char **argv) {
  if (argc != 4) fail("usage: berth-netns rule-add PRIORITY IIF");
  add_prohibit_rule((uint32_t)strtoul(argv[2], NULL, 10), argv[3]);
  return 0;
}

/* ---- routes ---- */

static int print_routes(void) {
  int fd = open_rtnl();
  struct request r;
  struct rtmsg *m = begin(&r, RTM_GETROUTE, NLM_F_DUMP, sizeof *m);
  m->rtm_family = AF_INET;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &r, r.hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) fail("route dump: %s", strerror(errno));
  static char buf[32768];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("route dump: %s", strerror(errno));
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return fflush(stdout) == 0 ? 0 : 1;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        fail("route dump: %s", strerror(-e->error));
      }
      if (h->nlmsg_type != RTM_NEWROUTE) continue;
      const struct rtmsg *rt = NLMSG_DATA(h);
      if (rt->rtm_family != AF_INET || rt->rtm_type != RTN_UNICAST || rt->rtm_dst_len == 0) continue;
      struct in_addr dst = {0};
      unsigned oif = 0;
      int len = (int)RTM_PAYLOAD(h);
      for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == RTA_DST) memcpy(&dst, RTA_DATA(a), sizeof dst);
        else if (a->rta_type == RTA_OIF) memcpy(&oif, RTA_DATA(a), sizeof oif);
      }
      char text[INET_ADDRSTRLEN], dev[IF_NAMESIZE];
      inet_ntop(AF_INET, &dst, text, sizeof text);
      printf("%s/%u %s\n", text, rt->rtm_dst_len, oif && if_indextoname(oif, dev) ? dev : "-");
    }
  }
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "endpoints") == 0) return cmd_endpoints(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "release") == 0) return cmd_release(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "bridge") == 0) return cmd_bridge(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "rule-add") == 0) return cmd_rule_add(argc, argv);
  if (argc == 2 && strcmp(argv[1], "routes") == 0) return print_routes();
  fail("usage: berth-netns endpoints FILE [--new] | release FILE [HOSTIF…] | bridge NAME ALIAS GATEWAY/PREFIX MTU [RULE-PRIORITY] | rule-add PRIORITY IIF | routes");
  return 2;
}
