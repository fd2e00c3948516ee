// The lab network: one Linux bridge, and per node (and for the registry) a network namespace
// joined to it by a veth with a static address. The namespaces are kept alive by bind mounts
// under `<lab>/ns/` (no process has to hold them), so dockerd can be started into them with
// `nsenter --net=FILE --uts=FILE` — not `ip netns exec`, which remounts /sys and breaks
// dockerd's cgroup detection.
//
// The host side of the bridge gets no address: the host reaches every dockerd through its unix
// socket and never needs IP on the lab, and with no address the host has no route into the lab,
// so nothing of the host's can leak in and nothing of the lab's can be routed out (no NAT, no
// default route in any namespace either: only the lab's own /24 is reachable).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isGone, LabError, run, runQuiet } from './host.js';

/** Creates the bridge, which is also the claim on its subnet; false when the name is taken. */
export async function claimBridge(bridge: string): Promise<boolean> {
  const r = await runQuiet('ip', ['link', 'add', bridge, 'type', 'bridge']);
  if (r.code !== 0) {
    if (/File exists/i.test(r.stderr)) return false;
    throw new LabError(`ip link add ${bridge} type bridge: ${r.stderr.trim()}`);
  }
  await hostWithoutAddress(bridge);
  await run('ip', ['link', 'set', bridge, 'up']);
  return true;
}

/**
 * Makes `<lab>/ns` a private mount of itself, as `ip netns` does for /run/netns: namespace files
 * cannot be bind-mounted into a shared mount (systemd makes `/` shared), and a private one keeps
 * the bind mounts from propagating into other mount namespaces.
 */
export async function prepareNamespaceDir(nsDir: string): Promise<void> {
  mkdirSync(nsDir, { recursive: true });
  await run('mount', ['--bind', nsDir, nsDir]);
  await run('mount', ['--make-private', nsDir]);
}

export interface NamespaceSpec {
  netns: string;
  /** Given for nodes: a UTS namespace whose hostname is `hostname`. */
  utsns?: string;
  hostname?: string;
  hostLink: string;
  bridge: string;
  address: string;
}

/** A namespace on the lab bridge: loopback up, `eth0` with `address/24`, no default route. */
export async function createNamespace(spec: NamespaceSpec): Promise<void> {
  for (const f of [spec.netns, spec.utsns]) if (f) writeFileSync(f, '');
  const unshareArgs = [`--net=${spec.netns}`];
  if (spec.utsns) unshareArgs.push(`--uts=${spec.utsns}`);
  // The command runs inside the new namespaces; `hostname` names the UTS one for good.
  await run('unshare', [...unshareArgs, ...(spec.utsns && spec.hostname ? ['hostname', spec.hostname] : ['true'])]);
  await run('ip', ['link', 'add', spec.hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', spec.netns]);
  await hostWithoutAddress(spec.hostLink);
  await run('ip', ['link', 'set', spec.hostLink, 'master', spec.bridge, 'up']);
  await run('nsenter', [`--net=${spec.netns}`, 'sh', '-c', `ip link set lo up && ip addr add ${spec.address}/24 dev eth0 && ip link set eth0 up`]);
}

/** No IPv6 link-local address on the host's lab links either (before they go up): the host stays without any address on the lab. */
async function hostWithoutAddress(link: string): Promise<void> {
  await runQuiet('sysctl', ['-q', '-w', `net.ipv6.conf.${link}.disable_ipv6=1`]);
}

/** Removes a link (veth host side or bridge); one already gone is fine. Returns whether it existed. */
export async function deleteLink(name: string): Promise<boolean> {
  const r = await runQuiet('ip', ['link', 'del', name]);
  if (r.code === 0) return true;
  if (isGone(r.stderr)) return false;
  throw new LabError(`ip link del ${name}: ${r.stderr.trim()}`);
}

/** Names of the host's links, and the IPv4 routes of every table (to choose a subnet overlapping none). */
export async function hostLinksAndRoutes(): Promise<{ links: string[]; routes: string[] }> {
  const links = (JSON.parse(await run('ip', ['-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
  const routes = (JSON.parse(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as { dst: string; type?: string }[])
    .filter((r) => r.type === undefined || r.type === 'unicast' || r.type === 'local')
    .map((r) => (r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/32`));
  return { links, routes };
}

export function nsFile(labDir: string, name: string, kind: 'net' | 'uts'): string {
  return path.join(labDir, 'ns', `${name}.${kind}`);
}
