// The lab's API: `upLab` builds a local multi-node Swarm (namespaces on one bridge, a dockerd per
// node, a registry), `labStatus` reads it back, `pushBusybox` puts a test image into its registry.
// `downLab` (teardown.ts) removes it. Every step records itself in the state file first, so a lab
// that failed half way is still removed completely by `down`.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { busyboxRootfsTar, importAndPush } from './busybox.js';
import { formSwarm, listSwarmNodes, probeVip, requireManager, waitAllReady, type SwarmNodeView } from './cluster.js';
import { LabError, pidAlive, runQuiet } from './host.js';
import { claimBridge, createNamespace, hostLinksAndRoutes, nsFile, prepareNamespaceDir } from './netns.js';
import { DOCKERD, nodeClient, startNodeDaemon } from './node-daemon.js';
import { REGISTRY_BINARY, startRegistry } from './registry.js';
import { readLabState, writeLabState, type LabNodeState, type LabState } from './state.js';
import { candidateIndexes, labAddressing } from './subnet.js';

export const DEFAULT_LAB_DIR = '/var/lib/berth/swarm-lab';
export const REGISTRY_PORT = 5000;
const MAX_NODES = 200;
/** sockaddr_un holds 108 bytes; containerd's debug socket is the deepest one dockerd makes. */
const MAX_SOCKET_PATH = 107;

export interface UpOptions {
  dir: string;
  nodes: number;
  /** How many of the nodes are managers (node1…nodeM); default 1. */
  managers?: number;
  /** Progress lines (`node2: dockerd started`). */
  log?: (line: string) => void;
}

/** What is missing on this machine for a lab, or undefined when everything is there. */
export async function labPrerequisitesMissing(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (process.getuid?.() !== 0) return 'the lab needs root (namespaces, bridges, dockerd)';
  const missing: string[] = [];
  for (const [cmd, pkg] of [[DOCKERD, 'docker.io'], [REGISTRY_BINARY, 'docker-registry'], ['nsenter', 'util-linux'], ['unshare', 'util-linux'], ['ip', 'iproute2'], ['tar', 'tar']] as const) {
    const r = await runQuiet('sh', ['-c', `command -v ${cmd}`]);
    if (r.code !== 0) missing.push(`${cmd} (Debian ${pkg})`);
  }
  return missing.length ? `missing ${missing.join(', ')}; scripts/install-system-deps.sh --tests installs them` : undefined;
}

export async function upLab(opts: UpOptions): Promise<LabState> {
  const log = opts.log ?? (() => undefined);
  const dir = path.resolve(opts.dir);
  const managers = opts.managers ?? 1;
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) throw new LabError(`--nodes ${opts.nodes}: expected a whole number from 1 to ${MAX_NODES}`);
  if (!Number.isInteger(managers) || managers < 1 || managers > opts.nodes) throw new LabError(`--managers ${managers}: expected a whole number from 1 to ${opts.nodes}`);
  const deepest = path.join(dir, `node${opts.nodes}`, 'exec', 'containerd', 'containerd-debug.sock');
  if (deepest.length > MAX_SOCKET_PATH) throw new LabError(`--dir ${dir} is too long: ${deepest} exceeds the ${MAX_SOCKET_PATH} bytes a unix socket path may have`);
  const missing = await labPrerequisitesMissing();
  if (missing) throw new LabError(missing);
  const existing = readLabState(dir);
  if (existing) throw new LabError(`a lab is already recorded in ${dir} (${existing.phase}); run \`berth swarm-lab down --dir ${dir}\` first`);
  mkdirSync(dir, { recursive: true });

  const addressing = await claimSubnet();
  const state = planLab(dir, addressing.index, opts.nodes, managers);
  writeLabState(state);
  log(`lab ${dir}: subnet ${state.subnet} on bridge ${state.bridge}`);
  try {
    await prepareNamespaceDir(path.join(dir, 'ns'));
    const reg = state.registry;
    await createNamespace({ netns: reg.netns, hostLink: reg.hostLink, bridge: state.bridge, address: reg.address });
    for (const n of state.nodes) {
      await createNamespace({ netns: n.netns, utsns: n.utsns, hostname: n.name, hostLink: n.hostLink, bridge: state.bridge, address: n.address });
    }
    reg.pid = await startRegistry(reg);
    writeLabState(state);
    log(`registry: listening on ${reg.address}:${reg.port}`);
    const daemonOpts = { cgroupParent: state.cgroupParent, insecureRegistry: `${reg.address}:${reg.port}` };
    // Started together; each pid is recorded as soon as it is known, for `down`. All starts are
    // waited for, even after one failed, so the state names every dockerd that did start.
    const started = await Promise.allSettled(
      state.nodes.map(async (n) => {
        n.pid = await startNodeDaemon(n, daemonOpts);
        writeLabState(state);
        log(`${n.name}: dockerd ready at ${n.dockerHost}`);
      }),
    );
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await formSwarm(state.nodes);
    await waitAllReady(state.nodes);
    state.vip = probeVip(requireManager(state.nodes).pid!);
    state.phase = 'ready';
    writeLabState(state);
    log(`swarm: ${opts.nodes} nodes ready (${managers} manager${managers > 1 ? 's' : ''}); VIP load balancing ${state.vip ? 'available' : 'unavailable (no IPVS): use endpoint_mode dnsrr and host-mode ports'}`);
    return state;
  } catch (e) {
    state.phase = 'failed';
    state.error = e instanceof Error ? e.message : String(e);
    writeLabState(state);
    throw new LabError(`swarm-lab up failed: ${state.error}\nthe half-made lab is recorded in ${dir}; logs are under it; remove it with \`berth swarm-lab down --dir ${dir}\``, { cause: e });
  }
}

async function claimSubnet(): Promise<ReturnType<typeof labAddressing>> {
  const { links, routes } = await hostLinksAndRoutes();
  for (const index of candidateIndexes(routes, links)) {
    const a = labAddressing(index);
    if (await claimBridge(a.bridge)) return a;
  }
  throw new LabError('no free lab subnet in 198.18.0.0/15: every /24 overlaps a route or is taken by another lab');
}

/** Every name and path of the lab, decided before anything is made. */
export function planLab(dir: string, index: number, nodeCount: number, managers: number): LabState {
  const a = labAddressing(index);
  const nodes: LabNodeState[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    const name = `node${i}`;
    const nodeDir = path.join(dir, name);
    const socket = path.join(nodeDir, 'docker.sock');
    nodes.push({
      name,
      role: i <= managers ? 'manager' : 'worker',
      address: `${a.prefix}${10 + i}`,
      netns: nsFile(dir, name, 'net'),
      utsns: nsFile(dir, name, 'uts'),
      // At most 15 bytes (IFNAMSIZ): `berthlab511n200`.
      hostLink: `${a.bridge}n${i}`,
      dir: nodeDir,
      socket,
      dockerHost: `unix://${socket}`,
      containerdNamespace: `${a.bridge}-${name}`,
    });
  }
  return {
    version: 1,
    dir,
    phase: 'creating',
    subnet: a.subnet,
    bridge: a.bridge,
    cgroupParent: `/${a.bridge}`,
    nodes,
    registry: { address: `${a.prefix}2`, port: REGISTRY_PORT, netns: nsFile(dir, 'registry', 'net'), hostLink: `${a.bridge}r`, dir: path.join(dir, 'registry') },
    createdAt: new Date().toISOString(),
  };
}

export interface LabNodeStatus extends Omit<SwarmNodeView, 'hostname'> {
  name: string;
  dockerHost: string;
  daemon: 'running' | 'stopped';
}

export interface LabStatus {
  dir: string;
  phase: LabState['phase'];
  subnet: string;
  bridge: string;
  vip?: boolean;
  registry: { address: string; running: boolean };
  managerDockerHost?: string;
  nodes: LabNodeStatus[];
  error?: string;
}

/** The lab as it is now: each node's daemon, and its role, state and availability as a manager sees them. */
export async function labStatus(dir: string): Promise<LabStatus> {
  const state = readLabState(path.resolve(dir));
  if (!state) throw new LabError(`no lab in ${path.resolve(dir)} (no ${path.join(path.resolve(dir), 'lab.json')}); start one with \`berth swarm-lab up\``);
  let seen: SwarmNodeView[] = [];
  const manager = state.nodes.find((n) => n.role === 'manager' && pidAlive(n.pid));
  if (manager) {
    try {
      seen = await listSwarmNodes(nodeClient(manager));
    } catch {
      // not in a swarm yet (or any more): every node shows as unknown
    }
  }
  return {
    dir: state.dir,
    phase: state.phase,
    subnet: state.subnet,
    bridge: state.bridge,
    vip: state.vip,
    registry: { address: `${state.registry.address}:${state.registry.port}`, running: pidAlive(state.registry.pid) },
    managerDockerHost: manager?.dockerHost,
    error: state.error,
    nodes: state.nodes.map((n) => {
      const s = seen.find((v) => v.hostname === n.name);
      return {
        name: n.name,
        role: s?.role ?? n.role,
        state: s?.state ?? 'unknown',
        availability: s?.availability ?? 'unknown',
        leader: s?.leader ?? false,
        address: n.address,
        dockerHost: n.dockerHost,
        daemon: pidAlive(n.pid) ? 'running' : 'stopped',
      };
    }),
  };
}

/** Builds the busybox image on node 1, pushes it to the lab registry; returns `<registry>/busybox:latest` and its digest. */
export async function pushBusybox(dir: string): Promise<{ reference: string; digest: string }> {
  const state = readLabState(path.resolve(dir));
  if (!state || state.phase !== 'ready') throw new LabError(`no ready lab in ${dir}`);
  const repo = `${state.registry.address}:${state.registry.port}/busybox`;
  const work = path.join(state.dir, 'tmp');
  if (!existsSync(work)) mkdirSync(work, { recursive: true });
  const digest = await importAndPush(nodeClient(state.nodes[0]), busyboxRootfsTar(work), repo, 'latest');
  return { reference: `${repo}:latest`, digest };
}

/** SIGKILLs a node's dockerd, as a node that dies would go: no shutdown, its containers left as they were. */
export function killNode(dir: string, name: string): number {
  const state = readLabState(path.resolve(dir));
  const node = state?.nodes.find((n) => n.name === name);
  if (!state || !node) throw new LabError(`no node ${name} in a lab in ${dir}`);
  if (!pidAlive(node.pid)) throw new LabError(`${name}'s dockerd is not running`);
  process.kill(node.pid, 'SIGKILL');
  return node.pid;
}

/** Starts a stopped node's dockerd again; it rejoins the Swarm from its own data-root. */
export async function restartNode(dir: string, name: string): Promise<void> {
  const state = readLabState(path.resolve(dir));
  const node = state?.nodes.find((n) => n.name === name);
  if (!state || !node) throw new LabError(`no node ${name} in a lab in ${dir}`);
  if (pidAlive(node.pid)) throw new LabError(`${name}'s dockerd is still running (pid ${node.pid})`);
  node.pid = await startNodeDaemon(node, { cgroupParent: state.cgroupParent, insecureRegistry: `${state.registry.address}:${state.registry.port}` });
  writeLabState(state);
}
