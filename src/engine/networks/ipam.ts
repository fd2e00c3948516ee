// IPv4 address management for bridge networks: CIDR arithmetic, picking a free subnet out of the
// engine's address pools, and handing out addresses inside one subnet. Pure: what is already in use
// (host routes, other networks, attached endpoints) is passed in by the caller.

export class IpamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpamError';
  }

  readonly apiKind = 'invalid';
}

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

/** A pool subnets are carved from (Docker's `default-address-pools`: base + size). */
export interface AddressPool {
  base: string;
  size: number;
}

/** Docker's own default pools; the routed-subnet check keeps us off whatever the host already uses. */
export const DEFAULT_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 24 },
  { base: '172.18.0.0/15', size: 24 },
  { base: '172.20.0.0/14', size: 24 },
  { base: '172.24.0.0/13', size: 24 },
  { base: '192.168.0.0/16', size: 24 },
];

export function parseIp(text: string): number {
  const parts = text.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new IpamError(`invalid IPv4 address: "${text}"`);
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `10.1.2.0/24` → Cidr; the address is masked (Docker refuses host bits only for IPRange, we normalise). */
export function parseCidr(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m || Number(m[2]) > 32) throw new IpamError(`invalid CIDR address: "${text}"`);
  const prefix = Number(m[2]);
  return { base: (parseIp(m[1]) & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/**
 * A subnet of `size` bits from the pools that overlaps nothing in `taken`. Candidates are tried from
 * a random starting point: several engines (tests run side by side) allocating at the same moment
 * then rarely pick the same one, and the caller re-checks the routing table after claiming it.
 */
export function pickSubnet(pools: readonly AddressPool[], taken: readonly Cidr[], random: () => number = Math.random): Cidr {
  const candidates: Cidr[] = [];
  for (const pool of pools) {
    const p = parseCidr(pool.base);
    if (pool.size < p.prefix || pool.size > 30) throw new IpamError(`address pool ${pool.base}: size ${pool.size} must be between ${p.prefix} and 30`);
    const step = 2 ** (32 - pool.size);
    for (let n = 0; n < cidrSize(p) / step; n++) candidates.push({ base: (p.base + n * step) >>> 0, prefix: pool.size });
  }
  const start = Math.floor(random() * candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[(start + i) % candidates.length];
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  throw new IpamError('all predefined address pools have been fully subnetted');
}

/** What one network hands out: its subnet, gateway and the range container addresses come from. */
export interface SubnetPlan {
  subnet: Cidr;
  gateway: number;
  range: Cidr;
}

/** Checks a user's IPAM.Config entry (Subnet, Gateway, IPRange) and fills in the gateway. */
export function planSubnet(subnet: Cidr, gatewayText?: string, rangeText?: string): SubnetPlan {
  if (subnet.prefix > 30) throw new IpamError(`subnet ${formatCidr(subnet)} is too small for a bridge network (at most /30)`);
  const gateway = gatewayText ? parseIp(gatewayText) : subnet.base + 1;
  if (!contains(subnet, gateway)) throw new IpamError(`no matching subnet for gateway ${formatIp(gateway)}`);
  const range = rangeText ? parseCidr(rangeText) : subnet;
  if (!contains(subnet, range.base) || range.prefix < subnet.prefix) throw new IpamError(`no matching subnet for range ${formatCidr(range)}`);
  return { subnet, gateway, range };
}

/** The lowest free address of the range (not the network, broadcast or gateway address, not in `used`). */
export function allocateAddress(plan: SubnetPlan, used: ReadonlySet<number>): number {
  const first = plan.range.base;
  const last = plan.range.base + cidrSize(plan.range) - 1;
  const broadcast = plan.subnet.base + cidrSize(plan.subnet) - 1;
  for (let ip = first; ip <= last; ip++) {
    if (ip === plan.subnet.base || ip === broadcast || ip === plan.gateway || used.has(ip)) continue;
    return ip;
  }
  throw new IpamError(`no available IPv4 addresses on network ${formatCidr(plan.subnet)}`);
}

/** A user-chosen address (EndpointConfig.IPAMConfig.IPv4Address): inside the subnet and free. */
export function claimAddress(plan: SubnetPlan, text: string, used: ReadonlySet<number>): number {
  const ip = parseIp(text);
  const broadcast = plan.subnet.base + cidrSize(plan.subnet) - 1;
  if (!contains(plan.subnet, ip)) throw new IpamError(`invalid address ${text}: it does not belong to the network's subnet ${formatCidr(plan.subnet)}`);
  if (ip === plan.subnet.base || ip === broadcast || ip === plan.gateway) throw new IpamError(`invalid address ${text}: reserved in ${formatCidr(plan.subnet)}`);
  if (used.has(ip)) throw new IpamError(`Address already in use: ${text}`);
  return ip;
}

/** A locally administered MAC derived from the address, as Docker does (02:42:a.b.c.d). */
export function macFor(ip: number): string {
  return ['02', '42', ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
