// Kernel network objects: bridges, veth pairs, addresses, routes, network namespaces. What runs
// on every create (a sandbox, a network, plugging an endpoint, reading the routes) goes through
// berth-netns (native/berth-netns.c), one small rtnetlink process per job; removal, listing and
// the rarer paths go through iproute2's `ip` (several commands in one `ip -batch -`) and
// util-linux's nsenter/umount.
//
// Every link the engine makes carries an interface alias (`ip link set … alias`) naming the engine's
// state root, so leftovers can be listed exactly (other engines on the host make bridges too).

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nativeBinaryPath } from '../runtime/native-binaries.js';
import { runCommand } from '../runtime/spawner.js';

export const IP = process.env.BERTH_IP_BINARY ?? 'ip';

/** $BERTH_NETNS_BINARY, else dist/native/berth-netns of this package (built with the shim). */
export function netnsHelperPath(): string {
  return nativeBinaryPath('berth-netns', 'BERTH_NETNS_BINARY');
}

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

/** berth-netns with these arguments (and stdin): its stdout; its one-line error as a NetOpError. */
async function netnsHelper(args: readonly string[], input?: string): Promise<string> {
  const helper = netnsHelperPath();
  try {
    return await run(helper, args, input);
  } catch (e) {
    if (!existsSync(helper)) throw new NetOpError(`the network helper ${helper} is missing: build it with \`sh native/build.sh\` (npm install does)`, { cause: e });
    throw e;
  }
}

/** `ip rule add priority P iif IIF prohibit`, after deleting any copies of it already there. */
export async function addProhibitRule(priority: number, iif: string): Promise<void> {
  await netnsHelper(['rule-add', String(priority), iif]);
}

const gone = (e: unknown): boolean => e instanceof NetOpError && /Cannot find device|does not exist|No such device/i.test(e.message);

/** Subnets routed in the host's namespace (every table): a new network must overlap none of them. */
export async function routedSubnets(): Promise<RoutedSubnet[]> {
  return parseRoutes(await netnsHelper(['routes']));
}

export interface RoutedSubnet {
  dst: string;
  dev: string;
}

/** berth-netns's route lines: unicast routes other than default ones, "DST/LEN DEV" (DEV "-" for none). */
function parseRoutes(out: string): RoutedSubnet[] {
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [dst, dev] = line.trim().split(/\s+/);
      return { dst, dev: dev === '-' || dev === undefined ? '' : dev };
    });
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

/**
 * A bridge with the gateway address, up, and with `prohibitRulePriority` its isolation rule
 * (`priority P iif NAME prohibit`, copies left behind deleted first) — one berth-netns process.
 * Returns the host's routed subnets as they are once the bridge is up, for the caller to check
 * that nothing else routed the subnet meanwhile. Undone on failure — unless the name was already taken.
 */
export async function createBridge(opts: { name: string; alias: string; gatewayCidr: string; mtu?: number; prohibitRulePriority?: number }): Promise<RoutedSubnet[]> {
  const rule = opts.prohibitRulePriority === undefined ? [] : [String(opts.prohibitRulePriority)];
  try {
    return parseRoutes(await netnsHelper(['bridge', opts.name, opts.alias, opts.gatewayCidr, String(opts.mtu ?? 0), ...rule]));
  } catch (e) {
    // A link of that name that was there before is not ours to remove.
    const taken = e instanceof NetOpError && /link add type bridge \S+: File exists/.test(e.message);
    if (!taken) await deleteLinkAfter(opts.name, prohibitRuleDeletes(opts.name, opts.prohibitRulePriority)).catch(() => undefined);
    throw e;
  }
}

/** `ip -batch` lines deleting a bridge's prohibit rule (twice: a copy left behind; failures mean none). */
export function prohibitRuleDeletes(iif: string, priority: number | undefined): string[] {
  if (priority === undefined) return [];
  const line = `rule del priority ${priority} iif ${iif} prohibit`;
  return [line, line];
}

export async function deleteLink(name: string): Promise<void> {
  try {
    await run(IP, ['link', 'del', 'dev', name]);
  } catch (e) {
    if (!gone(e)) throw e;
  }
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

/**
 * Deletes the links `hostEnds` (already gone is fine), unmounts every mount stacked on the file
 * (lazily if busy) and removes it; the namespace dies with its last user. One berth-netns process.
 */
export async function deleteNetns(file: string, hostEnds: readonly string[] = []): Promise<void> {
  await netnsHelper(['release', file, ...hostEnds]);
}

export interface EndpointPlan {
  netns: string;
  bridge: string;
  /** Host side of the veth pair. */
  hostIf: string;
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

/** berth-netns's endpoint line: IFNAME HOSTIF MAC MTU ADDRESS/PREFIX GATEWAY BRIDGE ALIAS… */
function endpointLine(p: EndpointPlan): string {
  for (const word of [p.ifName, p.hostIf, p.mac, p.bridge, p.address]) {
    if (!/^[A-Za-z0-9_.:@-]+$/.test(word)) throw new NetOpError(`invalid network endpoint field "${word}"`);
  }
  if (/[\n\r]/.test(p.alias)) throw new NetOpError('a link alias cannot span lines');
  return [p.ifName, p.hostIf, p.mac, String(p.mtu ?? 0), `${p.address}/${p.prefix}`, p.gateway ?? '-', p.bridge, p.alias].join(' ');
}

/**
 * One veth pair into the namespace already mounted on `p.netns`: the container end created, named,
 * addressed and routed inside; the host end made straight in the daemon's namespace, tagged with
 * the engine's alias, enslaved to its bridge and up. One berth-netns process.
 */
export async function addEndpoint(p: EndpointPlan): Promise<void> {
  try {
    await netnsHelper(['endpoints', p.netns], `${endpointLine(p)}\n`);
  } catch (e) {
    await deleteLink(p.hostIf).catch(() => undefined);
    throw e;
  }
}

/**
 * A new sandbox in one process whatever its endpoints: berth-netns makes the namespace, bind-mounts
 * it on `file` (what `ip netns add` does under /run/netns, here under the engine's runtime dir: it
 * lives as long as the mount, independent of any process; containers join it by path), brings
 * loopback up and plugs each endpoint as `addEndpoint` does.
 */
export async function createSandbox(file: string, endpoints: readonly EndpointPlan[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o711 });
  await writeFile(file, '', { mode: 0o444 });
  try {
    await netnsHelper(['endpoints', file, '--new'], endpoints.map((p) => `${endpointLine(p)}\n`).join(''));
  } catch (e) {
    await deleteNetns(file, endpoints.map((p) => p.hostIf)).catch(() => undefined);
    throw e;
  }
}

/** Names of the interfaces inside a namespace (to pick the next ethN). */
export async function linksIn(netns: string): Promise<string[]> {
  const out = await run('nsenter', [`--net=${netns}`, IP, '-j', 'link', 'show']);
  return (JSON.parse(out || '[]') as LinkInfo[]).map((l) => l.ifname);
}
