// What a built-in engine has left on the host, read from the host alone (no daemon needed: it
// works on the remains of a killed one too). Every suite that starts an engine checks it at the
// end through this one helper (daemon-harness.ts `close()`, daemon-process.ts `close()`), and the
// fault tests check it after crashes and `berth engine cleanup`.
//
// An engine's kernel objects are recognised by what ties them to its state root: links carry the
// alias `berth <root>`, bridges are named in its network records, mounts and files sit under its
// root and run root, cgroups under its cgroup parent.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ISOLATION_RULE_PRIORITY } from '../../../src/engine/networks/isolation.js';
import { listLinks } from '../../../src/engine/networks/sysnet.js';
import { cgroupDirs } from '../../../src/engine/runtime/cgroups.js';
import { mountsUnder } from '../../../src/engine/runtime/rootfs.js';

export interface Leftovers {
  /** Mount points under the state root and the run root (rootfs overlays, shm, volumes, netns files). */
  mounts: string[];
  /** runc containers under <run-root>/runc. */
  runc: string[];
  /** Container cgroups under the engine's cgroup parent. */
  cgroups: string[];
  /** Links (bridges, veths) carrying the engine's alias. */
  links: string[];
  /** Policy-routing isolation rules (`iif <bridge> prohibit`) of the engine's bridges. */
  rules: string[];
  /** iptables rules naming the engine's bridges (outbound NAT). */
  firewall: string[];
  /** Network namespace files under <run-root>/netns, mounted or not. */
  netns: string[];
  /** Host ports the engine bound that something still listens on. */
  listeners: string[];
  /** Volume data directories still mounted (a subset of `mounts`, named apart). */
  volumes: string[];
  /** The monitors' io sockets under <run-root>/io. */
  ioSockets: string[];
  /** The daemon's socket and pid lock (only asked for once its daemon is down). */
  daemonFiles: string[];
}

export const NOTHING_LEFT: Leftovers = { mounts: [], runc: [], cgroups: [], links: [], rules: [], firewall: [], netns: [], listeners: [], volumes: [], ioSockets: [], daemonFiles: [] };

export interface EngineTrace {
  root: string;
  runRoot: string;
  cgroupParent: string;
  socketPath?: string;
  /** Bridges the engine had at some point (its records are gone once its networks are removed). */
  bridges?: Iterable<string>;
  /** Bridges of networks that exist now: not leftovers while the engine runs. */
  liveBridges?: Iterable<string>;
  /** `proto:ip:port` the engine published (a running daemon knows them). */
  bound?: Iterable<string>;
  /** The daemon is down: its socket and pid file count too. */
  daemonDown?: boolean;
}

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : []);

/** Bridge names in the engine's network records (<root>/networks/<id>.json). */
export function recordedBridges(root: string): string[] {
  const dir = path.join(root, 'networks');
  const out: string[] = [];
  for (const f of list(dir).filter((n) => n.endsWith('.json'))) {
    try {
      const bridge = (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { bridge?: string }).bridge;
      if (bridge) out.push(bridge);
    } catch {
      // a torn record is the engine's to report
    }
  }
  return out;
}

/**
 * The host's iptables rules as `<table>: <rule>` (iptables-save: it lists only the tables that
 * exist, loading nothing); none where iptables is not installed.
 */
function iptablesRules(): string[] {
  let text: string;
  try {
    text = execFileSync('iptables-save', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  let table = '';
  const rules: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ')) rules.push(`${table}: ${line}`);
  }
  return rules;
}

export async function engineLeftovers(e: EngineTrace): Promise<Leftovers> {
  const alias = `berth ${e.root}`;
  const live = new Set(e.liveBridges ?? []);
  const links = (await listLinks()).filter((l) => l.ifalias === alias);
  const bridges = new Set([...(e.bridges ?? []), ...recordedBridges(e.root), ...links.map((l) => l.ifname).filter((n) => n.startsWith('brt-'))]);
  const ruleIifs = (JSON.parse(execFileSync('ip', ['-j', '-4', 'rule', 'show'], { encoding: 'utf8' }) || '[]') as { priority?: number; iif?: string }[])
    .filter((r) => r.priority === ISOLATION_RULE_PRIORITY && r.iif !== undefined)
    .map((r) => r.iif!);
  const gone = [...bridges].filter((b) => !live.has(b));
  const firewall = gone.length === 0 ? [] : iptablesRules().filter((rule) => gone.some((b) => new RegExp(`(^| )-[io] ${b}( |$)`).test(rule.slice(rule.indexOf(': ') + 2))));
  const cgroups: string[] = [];
  for (const d of cgroupDirs(e.cgroupParent)) {
    if (!existsSync(d)) continue;
    for (const entry of readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) cgroups.push(path.join(d, entry.name));
  }
  const listening = new Set(
    execFileSync('ss', ['-Hltun'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 5)
      .map((f) => `${f[0]}:${f[4].replace(/^\[?::ffff:|\]$/g, '').replace(/^\*:/, '0.0.0.0:')}`),
  );
  const socketPath = e.socketPath ?? path.join(e.runRoot, 'engine.sock');
  return {
    mounts: [...(await mountsUnder(e.root)), ...(await mountsUnder(e.runRoot))],
    runc: list(path.join(e.runRoot, 'runc')),
    cgroups,
    links: links.map((l) => l.ifname).filter((n) => !live.has(n)),
    rules: ruleIifs.filter((b) => bridges.has(b) && !live.has(b)).map((b) => `iif ${b} prohibit`),
    firewall,
    netns: list(path.join(e.runRoot, 'netns')),
    listeners: [...new Set(e.bound ?? [])].filter((l) => listening.has(l)),
    volumes: await mountsUnder(path.join(e.root, 'volumes')),
    // The monitors' stdin/resize sockets (<run-root>/io) go with their containers.
    ioSockets: list(path.join(e.runRoot, 'io')),
    daemonFiles: e.daemonDown ? [socketPath, path.join(e.root, 'engine.pid')].filter((f) => existsSync(f)) : [],
  };
}

/** The non-empty entries, for a message. */
export function describeLeftovers(left: Leftovers): string | undefined {
  const found = Object.entries(left).filter(([, v]) => (v as string[]).length > 0);
  return found.length === 0 ? undefined : JSON.stringify(Object.fromEntries(found));
}
