// Kernel network objects through iproute2's `ip` (and util-linux's unshare/nsenter for named
// network namespaces): bridges, veth pairs, addresses, routes. Several commands go through one
// `ip -batch -` so a new sandbox costs two process spawns whatever its endpoints.
//
// Every link the engine makes carries an interface alias (`ip link set … alias`) naming the engine's
// state root, so leftovers can be listed exactly (other engines on the host make bridges too).

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../runtime/spawner.js';

export const IP = process.env.BERTH_IP_BINARY ?? 'ip';

export class NetOpError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetOpError';
  }
}

async function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  let r;
  try {
    r = await runCommand(cmd, args, input === undefined ? {} : { input });
  } catch (e) {
    throw new NetOpError(`${cmd}: ${(e as Error).message}`, { cause: e });
  }
  if (r.code === 0) return r.stdout.toString('utf8');
  const why = r.stderr.toString('utf8').trim() || (r.code !== null ? `exit status ${r.code}` : `signal ${r.signal}`);
  throw new NetOpError(`${cmd} ${args.join(' ')}: ${why}${input === undefined ? '' : ` (batch: ${input.trim().split('\n').join('; ')})`}`);
}

/** `ip -batch -` in the host's network namespace, or in the namespace bind-mounted at `netns`. */
export function ipBatch(lines: readonly string[], netns?: string): Promise<string> {
  const input = `${lines.join('\n')}\n`;
  return netns ? run('nsenter', [`--net=${netns}`, IP, '-batch', '-'], input) : run(IP, ['-batch', '-'], input);
}

const gone = (e: unknown): boolean => e instanceof NetOpError && /Cannot find device|does not exist|No such device/i.test(e.message);

/** Subnets routed in the host's namespace (every table): a new network must overlap none of them. */
export async function routedSubnets(): Promise<{ dst: string; dev: string }[]> {
  const out = await run(IP, ['-j', '-4', 'route', 'show', 'table', 'all']);
  const routes = JSON.parse(out || '[]') as { dst?: string; dev?: string; type?: string }[];
  return routes
    .filter((r) => r.dst && r.dst !== 'default' && (r.type === undefined || r.type === 'unicast'))
    .map((r) => ({ dst: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`, dev: r.dev ?? '' }));
}

export interface LinkInfo {
  ifname: string;
  ifalias?: string;
  master?: string;
  operstate?: string;
}

export async function listLinks(): Promise<LinkInfo[]> {
  return JSON.parse((await run(IP, ['-j', 'link', 'show'])) || '[]') as LinkInfo[];
}

export async function linkExists(name: string): Promise<boolean> {
  // The devices of our network namespace, without a process spawn; `ip` when /proc cannot tell.
  const listed = await readFile('/proc/self/net/dev', 'utf8').then(
    (text) => text.split('\n').slice(2).some((line) => line.includes(':') && line.slice(0, line.indexOf(':')).trim() === name),
    () => undefined,
  );
  if (listed !== undefined) return listed;
  try {
    await run(IP, ['link', 'show', 'dev', name]);
    return true;
  } catch (e) {
    if (gone(e)) return false;
    throw e;
  }
}

/** A bridge with the gateway address, up. Undone on failure. */
export async function createBridge(opts: { name: string; alias: string; gatewayCidr: string; mtu?: number }): Promise<void> {
  try {
    await ipBatch([
      `link add name ${opts.name} type bridge`,
      `link set dev ${opts.name} alias "${opts.alias}"`,
      ...(opts.mtu ? [`link set dev ${opts.name} mtu ${opts.mtu}`] : []),
      `addr add ${opts.gatewayCidr} dev ${opts.name}`,
      `link set dev ${opts.name} up`,
    ]);
  } catch (e) {
    await deleteLink(opts.name).catch(() => undefined);
    throw e;
  }
}

export async function deleteLink(name: string): Promise<void> {
  try {
    await run(IP, ['link', 'del', 'dev', name]);
  } catch (e) {
    if (!gone(e)) throw e;
  }
}

/** Deletes several links in one `ip -force -batch`; the ones already gone are ignored. */
export async function deleteLinks(names: readonly string[]): Promise<void> {
  const input = `${names.map((n) => `link del dev ${n}`).join('\n')}\n`;
  await run(IP, ['-force', '-batch', '-'], input).catch((e: unknown) => {
    if (!gone(e)) throw e;
  });
}

/**
 * Runs `ip -force -batch -` (every line, whatever fails) and returns the failed lines (1-based) with
 * their error: ip prints a command's error, then `Command failed -:<line>`.
 */
export async function ipBatchEach(lines: readonly string[]): Promise<Map<number, string>> {
  const failed = new Map<number, string>();
  const input = `${lines.join('\n')}\n`;
  let stderr: string;
  try {
    stderr = (await runCommand(IP, ['-force', '-batch', '-'], { input, discardStdout: true })).stderr.toString('utf8');
  } catch (e) {
    throw new NetOpError(`${IP}: ${(e as Error).message}`, { cause: e });
  }
  let message: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(line.trim());
    if (m) {
      failed.set(Number(m[1]), message.join('; ') || 'failed');
      message = [];
    } else if (line.trim() !== '') message.push(line.trim());
  }
  return failed;
}

/**
 * Deletes a link and, in the same `ip` process, runs `before` (cleanup lines such as policy-rule
 * deletes, whose failures mean "already gone" and are ignored). A link already gone is fine.
 */
export async function deleteLinkAfter(name: string, before: readonly string[]): Promise<void> {
  const failed = await ipBatchEach([...before, `link del dev ${name}`]);
  const error = failed.get(before.length + 1);
  if (error !== undefined && !/Cannot find device|does not exist|No such device/i.test(error)) throw new NetOpError(`ip link del dev ${name}: ${error}`);
}

/**
 * Deletes links, coalescing requests that come within `windowMs` of each other into one kernel
 * request: unregistering a link waits for RCU grace periods (~35 ms for a bridge here), and links
 * deleted together (`ip link del group G`, after tagging them with a random group) share the waits.
 * Compose removes a project's networks at once; their bridges go in one such request. Each request
 * carries its own cleanup lines (`before`, failures ignored). If the group path fails in any way, each
 * link is deleted on its own, so every caller gets its own link's answer.
 */
export class LinkReaper {
  private pending: { name: string; before: readonly string[]; settle: (e?: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly windowMs = 4) {}

  delete(name: string, before: readonly string[] = []): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ name, before, settle: (e) => (e === undefined ? resolve() : reject(e)) });
      this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 1) {
      const [one] = batch;
      await deleteLinkAfter(one.name, one.before).then(() => one.settle(), (e: unknown) => one.settle(e));
      return;
    }
    // A group no other link on the host is in: 2^30 random values above the small ones people use.
    const group = 0x40000000 + Math.floor(Math.random() * 0x3fffffff);
    const lines = [...batch.flatMap((b) => b.before), ...batch.map((b) => `link set dev ${b.name} group ${group}`), `link del group ${group}`];
    const failed = await ipBatchEach(lines).catch(() => new Map([[lines.length, 'ip failed']]));
    const tagLines = [...failed.keys()].filter((n) => n > lines.length - 1 - batch.length && n < lines.length);
    if (!failed.has(lines.length) && tagLines.length === 0) {
      for (const b of batch) b.settle();
      return;
    }
    await Promise.all(batch.map((b) => deleteLinkAfter(b.name, []).then(() => b.settle(), (e: unknown) => b.settle(e))));
  }
}

/** `net.ipv4.conf.<dev>.<key>` (the file, not sysctl(8): one write, no spawn). */
export async function setDeviceSysctl(dev: string, key: string, value: string): Promise<void> {
  await writeFile(`/proc/sys/net/ipv4/conf/${dev}/${key}`, value);
}

export async function netnsMounted(file: string): Promise<boolean> {
  try {
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    return mounts.split('\n').some((l) => l.split(' ')[4] === file);
  } catch {
    return false;
  }
}

/** Unmounts (every stacked mount) and removes the file; the namespace dies with its last user. */
export async function deleteNetns(file: string): Promise<void> {
  for (let i = 0; i < 8 && (await netnsMounted(file)); i++) {
    await run('umount', [file]).catch(async () => run('umount', ['-l', file]));
  }
  await rm(file, { force: true });
}

export interface EndpointPlan {
  netns: string;
  bridge: string;
  /** Host side of the veth pair. */
  hostIf: string;
  /** Temporary name of the container side until it is renamed inside the namespace. */
  peerIf: string;
  /** Name inside the container: eth0, eth1… */
  ifName: string;
  address: string;
  prefix: number;
  mac: string;
  /** Set for a default route (not for internal networks, not for a second network). */
  gateway?: string;
  alias: string;
  mtu?: number;
}

/** The host end of an endpoint's veth: tagged with the engine's alias, enslaved to its bridge, up. */
function hostEndLines(p: EndpointPlan): string[] {
  return [`link set dev ${p.hostIf} alias "${p.alias}"`, `link set dev ${p.hostIf} master ${p.bridge}`, `link set dev ${p.hostIf} up`];
}

/** One veth pair: host end enslaved to the bridge, container end configured inside the namespace. */
export async function addEndpoint(p: EndpointPlan): Promise<void> {
  try {
    await ipBatch([
      `link add name ${p.hostIf} ${p.mtu ? `mtu ${p.mtu} ` : ''}type veth peer name ${p.peerIf} address ${p.mac}`,
      `link set dev ${p.peerIf} netns ${p.netns}`,
      ...hostEndLines(p),
    ]);
    await ipBatch(
      [
        `link set dev ${p.peerIf} name ${p.ifName}`,
        `addr add ${p.address}/${p.prefix} dev ${p.ifName}`,
        `link set dev ${p.ifName} up`,
        ...(p.gateway ? [`route add default via ${p.gateway} dev ${p.ifName}`] : []),
      ],
      p.netns,
    );
  } catch (e) {
    await deleteLink(p.hostIf).catch(() => undefined);
    throw e;
  }
}

/**
 * A new sandbox in two process spawns whatever its endpoints: `unshare` makes the namespace and,
 * in the same process, `ip -batch` brings loopback up and creates each veth from the inside —
 * the container end named, addressed and routed where it lives, the host end created straight in
 * the daemon's namespace (`peer … netns /proc/<pid>/ns/net`); then one host batch enslaves the host
 * ends to their bridges. (Plugging into an existing namespace is `addEndpoint`.) The namespace is
 * bind-mounted on `file` (what `ip netns add` does under /run/netns, here under the engine's
 * runtime dir): it lives as long as the mount, independent of any process; containers join it by path.
 */
export async function createSandbox(file: string, endpoints: readonly EndpointPlan[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o711 });
  await writeFile(file, '', { mode: 0o444 });
  const hostNs = `/proc/${process.pid}/ns/net`;
  const inside = ['link set dev lo up'];
  const host: string[] = [];
  for (const p of endpoints) {
    const mtu = p.mtu ? `mtu ${p.mtu} ` : '';
    inside.push(
      `link add name ${p.ifName} ${mtu}address ${p.mac} type veth peer name ${p.hostIf} ${mtu}netns ${hostNs}`,
      `addr add ${p.address}/${p.prefix} dev ${p.ifName}`,
      `link set dev ${p.ifName} up`,
      ...(p.gateway ? [`route add default via ${p.gateway} dev ${p.ifName}`] : []),
    );
    host.push(...hostEndLines(p));
  }
  try {
    await run('unshare', [`--net=${file}`, IP, '-batch', '-'], `${inside.join('\n')}\n`);
    if (host.length > 0) await ipBatch(host);
  } catch (e) {
    if (endpoints.length > 0) await deleteLinks(endpoints.map((p) => p.hostIf)).catch(() => undefined);
    await deleteNetns(file).catch(() => undefined);
    throw e;
  }
}

/** Names of the interfaces inside a namespace (to pick the next ethN). */
export async function linksIn(netns: string): Promise<string[]> {
  const out = await run('nsenter', [`--net=${netns}`, IP, '-j', 'link', 'show']);
  return (JSON.parse(out || '[]') as LinkInfo[]).map((l) => l.ifname);
}
