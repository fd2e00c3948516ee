// The lab's subnet: a /24 inside 198.18.0.0/15, the block RFC 2544 reserves for benchmarking
// network devices — a lab network by definition, routed by no real network, and outside the pools
// Docker allocates from (10.0.0.0/8 for overlays, 172.17-31/16 and 192.168/16 for bridges), so an
// overlay or docker_gwbridge inside a node never collides with the lab link itself.
// A subnet is claimed by creating the bridge named after it (`berthlab<index>`): the kernel
// refuses a second link of that name, so two labs started at once cannot take the same one.

export const LAB_SUBNETS = 512;

export interface LabAddressing {
  index: number;
  subnet: string;
  bridge: string;
  /** `a.b.c.` — append the host number. */
  prefix: string;
}

export function labAddressing(index: number): LabAddressing {
  if (!Number.isInteger(index) || index < 0 || index >= LAB_SUBNETS) throw new RangeError(`lab subnet index ${index} out of range`);
  const prefix = `198.${18 + (index >> 8)}.${index & 255}.`;
  return { index, subnet: `${prefix}0/24`, bridge: `berthlab${index}`, prefix };
}

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function range(cidr: string): [number, number] {
  const [ip, bitsText] = cidr.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipToInt(ip) / size) * size;
  return [start, start + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}

/**
 * Lab subnet indexes in the order to try: those overlapping no route of the host (a default
 * route is not a claim on any subnet) and whose bridge name no existing link holds.
 */
export function candidateIndexes(routes: readonly string[], links: readonly string[]): number[] {
  const specific = routes.filter((r) => r !== 'default' && !r.endsWith('/0'));
  const taken = new Set(links);
  const out: number[] = [];
  for (let i = 0; i < LAB_SUBNETS; i++) {
    const a = labAddressing(i);
    if (taken.has(a.bridge)) continue;
    if (specific.some((r) => cidrsOverlap(r, a.subnet))) continue;
    out.push(i);
  }
  return out;
}
