// `berth engine cleanup`: what an engine that died (kill -9, a crash, an OOM kill) leaves on the
// host, removed without starting it: its containers' processes (their engine is gone, and so may
// be their monitors), runc state, cgroups, mounts under the state root and the run root, network
// namespaces, bridges and veths, the bridges' isolation rules and outbound-NAT firewall rules, the
// monitors' io sockets, the API socket and the pid file.
//
// What it keeps: containers' records and data (writable layers, logs), images, volumes' data,
// network definitions — a later engine on the root finds its containers exited, its volumes and
// networks as they were. It refuses to run while an engine holds the root (the pid lock) or
// answers on the socket, and holds the lock itself meanwhile, so no engine starts under it.
//
// Everything goes through the teardown primitives the engine itself uses (runc delete, the
// network helper's netns release, link and rule deletes, rootfs unmount, cgroup paths); each step
// is tried for every object, and what could not be removed is reported, not hidden.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../../errors.js';
import { loadRecords, type ContainerRecord } from '../container/record.js';
import { ForwardingHolder } from '../networks/forwarding.js';
import { disableOutboundNat, isolationRuleBridges, isolationRuleDeletes } from '../networks/isolation.js';
import { NetworkStore, type NetworkRecord } from '../networks/store.js';
import { deleteLink, deleteLinkAfter, deleteNetns, ipBatchEach, listLinks } from '../networks/sysnet.js';
import { cgroupDirs } from '../runtime/cgroups.js';
import { ContainerRunner } from '../runtime/container-runner.js';
import { mountsUnder, releaseHostRootView, unmountRootfs } from '../runtime/rootfs.js';
import { acquirePidLock, DaemonLockError, lockPath, pingSocket, processAlive, readLockPid } from './daemon.js';

export class EngineRunningError extends BerthError {}

export interface CleanupOptions {
  root: string;
  runRoot: string;
  socketPath: string;
  /** The engine's --cgroup-parent (default /berth). */
  cgroupParent?: string;
  runcBinary?: string;
}

/** What was removed (or could not be: `failed`). */
export interface CleanupReport {
  /** Container processes stopped (runc containers deleted with --force). */
  containers: string[];
  /** Monitors (berth-shim) of this engine that were still alive after their containers went, and were killed. */
  monitors: number[];
  netns: string[];
  links: string[];
  rules: string[];
  firewall: string[];
  mounts: string[];
  cgroups: string[];
  files: string[];
  failed: string[];
}

const ID = /^[0-9a-f]{64}$/;

/** berth-shim processes of this run root's runc (`--root <runRoot>/runc`): monitors and TTY execs. */
function monitorsOf(runcRoot: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (!args[0]?.endsWith('berth-shim')) continue;
      const at = args.indexOf('--root');
      if (at >= 0 && args[at + 1] === runcRoot && processAlive(Number(name))) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const list = async (dir: string): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));

export async function cleanupEngine(o: CleanupOptions): Promise<CleanupReport> {
  const report: CleanupReport = { containers: [], monitors: [], netns: [], links: [], rules: [], firewall: [], mounts: [], cgroups: [], files: [], failed: [] };
  const fail = (what: string, e: unknown): void => void report.failed.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  let release: () => Promise<void> = async () => undefined;
  const lock = lockPath(o.root);
  const stale = await readLockPid(lock);
  try {
    // Held for the whole cleanup: an engine starting meanwhile is refused, and a live one refuses us.
    // (No root, no lock to take: cleanup makes no state root of its own.)
    if (existsSync(o.root)) release = await acquirePidLock(lock);
  } catch (e) {
    if (e instanceof DaemonLockError && e.pid > 0) {
      throw new EngineRunningError(`the berth engine (pid ${e.pid}) is running on ${o.root}: cleanup would pull its containers and networks from under it; stop it first (\`berth engine stop\`), then run cleanup again`);
    }
    throw e;
  }
  try {
    if (await pingSocket(o.socketPath)) throw new EngineRunningError(`an engine answers on ${o.socketPath}: stop it first (\`berth engine stop\`), then run cleanup again`);
    const runcRoot = path.join(o.runRoot, 'runc');
    const runner = new ContainerRunner({ stateRoot: o.root, runcRoot, cgroupParent: o.cgroupParent ?? '/berth', ...(o.runcBinary ? { runcBinary: o.runcBinary } : {}) });
    const { records } = isDir(path.join(o.root, 'records')) ? await loadRecords(path.join(o.root, 'records')) : { records: [] };
    const byId = new Map<string, ContainerRecord>(records.map((r) => [r.id, r]));
    const networks: NetworkRecord[] = isDir(path.join(o.root, 'networks')) ? (await (await NetworkStore.open(path.join(o.root, 'networks'))).load()).records : [];

    // 1. Containers: what still runs of them is killed and runc forgets them (it removes the cgroups it made).
    for (const id of await list(runcRoot)) {
      try {
        await runner.runc.delete(id, { force: true });
        report.containers.push(id);
      } catch (e) {
        fail(`runc delete --force ${id}`, e);
      }
    }
    // Their monitors end once their containers have (the status they write is what a later
    // engine reports); one that does not within a few seconds is killed.
    let monitors = monitorsOf(runcRoot);
    for (let i = 0; i < 100 && monitors.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      monitors = monitors.filter((p) => processAlive(p));
    }
    for (const pid of monitors) {
      try {
        process.kill(pid, 'SIGKILL');
        report.monitors.push(pid);
      } catch (e) {
        fail(`kill ${pid}`, e);
      }
    }

    // 2. Networking: sandboxes (with their veths), then every link with the engine's alias, the
    // bridges' isolation rules, and outbound NAT (its firewall rules and the borrowed ip_forward).
    for (const id of await list(path.join(o.runRoot, 'netns'))) {
      const hostEnds = Object.values(byId.get(id)?.endpoints ?? {}).map((ep) => ep.hostIf);
      try {
        await deleteNetns(path.join(o.runRoot, 'netns', id), hostEnds);
        report.netns.push(id);
      } catch (e) {
        fail(`network namespace ${id}`, e);
      }
    }
    const alias = `berth ${o.root}`;
    const bridges = new Set(networks.map((n) => n.bridge).filter((b): b is string => b !== undefined));
    const ruled = new Set((await isolationRuleBridges().catch(() => [] as string[])).filter((b) => bridges.has(b)));
    const links = (await listLinks()).filter((l) => l.ifalias === alias);
    for (const l of links.filter((x) => !x.ifname.startsWith('brt-'))) {
      await deleteLink(l.ifname).then(() => report.links.push(l.ifname), (e: unknown) => fail(`link ${l.ifname}`, e));
    }
    for (const l of links.filter((x) => x.ifname.startsWith('brt-'))) {
      bridges.add(l.ifname);
      await deleteLinkAfter(l.ifname, isolationRuleDeletes(l.ifname)).then(() => report.links.push(l.ifname), (e: unknown) => fail(`bridge ${l.ifname}`, e));
    }
    // Rules whose bridge was already gone.
    const stillRuled = new Set(await isolationRuleBridges().catch(() => [] as string[]));
    for (const b of [...ruled].filter((x) => stillRuled.has(x))) await ipBatchEach(isolationRuleDeletes(b)).catch((e: unknown) => fail(`isolation rule of ${b}`, e));
    const afterRules = new Set(await isolationRuleBridges().catch(() => [] as string[]));
    for (const b of ruled) (afterRules.has(b) ? report.failed : report.rules).push(`iif ${b} prohibit`);
    const forwardingFile = path.join(o.runRoot, 'ip_forward.json');
    if (existsSync(forwardingFile)) {
      const holder = new ForwardingHolder(forwardingFile);
      for (const n of networks.filter((x) => x.bridge && x.subnet)) {
        await disableOutboundNat(n.bridge!, n.subnet!);
        await holder.release(n.bridge!).catch((e: unknown) => fail('restoring net.ipv4.ip_forward', e));
        report.firewall.push(`outbound NAT of ${n.bridge} (${n.subnet})`);
      }
    }

    // 3. Mounts under both roots (containers' root file systems and shared /dev/shm, volumes a
    // driver mounted, the host root view), deepest first — never the roots themselves, which may
    // be file systems of their own. Unmounting keeps the data: nothing is deleted here.
    await releaseHostRootView(o.runRoot).catch((e: unknown) => fail('host root view', e));
    for (const base of [o.runRoot, o.root]) {
      for (const mp of (await mountsUnder(base)).filter((m) => m !== base)) {
        if (!(await mountsUnder(mp)).includes(mp)) continue;
        await unmountRootfs(mp).then(() => report.mounts.push(mp), (e: unknown) => fail(`unmount ${mp}`, e));
      }
    }

    // 4. Cgroups runc did not get to remove (an interrupted create, a state it no longer had), of
    // this engine's containers only: other engines may share the cgroup parent.
    const ids = new Set([...byId.keys(), ...(await list(path.join(o.root, 'containers'))).filter((n) => ID.test(n))]);
    for (const id of ids) {
      for (const dir of cgroupDirs(runner.cgroupsPath(id, byId.get(id)?.hostConfig.CgroupParent))) {
        if (!existsSync(dir)) continue;
        await rmdir(dir).then(() => report.cgroups.push(dir), (e: unknown) => fail(`cgroup ${dir}`, e));
      }
    }

    // 5. Files: the monitors' io sockets, the API socket (nothing answers on it).
    for (const name of await list(path.join(o.runRoot, 'io'))) {
      const file = path.join(o.runRoot, 'io', name);
      await rm(file, { force: true }).then(() => report.files.push(file), (e: unknown) => fail(file, e));
    }
    if (existsSync(o.socketPath)) await rm(o.socketPath, { force: true }).then(() => report.files.push(o.socketPath), (e: unknown) => fail(o.socketPath, e));
    if (stale !== undefined) report.files.push(lock);
  } finally {
    // Releasing the lock removes the pid file (the dead engine's, which acquiring replaced).
    await release();
  }
  return report;
}
