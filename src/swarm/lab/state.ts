// The lab's state file (`<dir>/lab.json`): everything `status` and `down` need to find the lab's
// pieces from another process. It is written before anything is created and rewritten as each
// piece comes up, so a half-made lab still names what it may have left behind.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const STATE_FILE = 'lab.json';

export type NodeRole = 'manager' | 'worker';

export interface LabNodeState {
  /** `node1`…: also the node's hostname (its own UTS namespace). */
  name: string;
  role: NodeRole;
  /** The node's static address on the lab bridge. */
  address: string;
  /** Bind mounts that keep the node's network and UTS namespaces alive without a process. */
  netns: string;
  utsns: string;
  /** The host side of the node's veth, enslaved to the lab bridge. */
  hostLink: string;
  dir: string;
  socket: string;
  dockerHost: string;
  containerdNamespace: string;
  /** dockerd's pid once started (the nsenter process execs into dockerd, so it is the same pid). */
  pid?: number;
}

export interface LabRegistryState {
  address: string;
  port: number;
  netns: string;
  hostLink: string;
  dir: string;
  pid?: number;
}

export interface LabState {
  version: 1;
  dir: string;
  /** `creating` until `up` finished; `ready` after; `failed` when `up` gave up (run `down`). */
  phase: 'creating' | 'ready' | 'failed';
  /** A /24 inside 198.18.0.0/15, e.g. `198.18.7.0/24`. */
  subnet: string;
  bridge: string;
  /** Parent of every node's cgroups (`--cgroup-parent`), so leftovers can be found and removed. */
  cgroupParent: string;
  nodes: LabNodeState[];
  registry: LabRegistryState;
  /** false when the manager's kernel has no IPVS: no VIP load balancing, no ingress routing mesh. */
  vip?: boolean;
  createdAt: string;
  /** Why `up` failed, when it did. */
  error?: string;
}

export function statePath(dir: string): string {
  return path.join(dir, STATE_FILE);
}

export function readLabState(dir: string): LabState | undefined {
  const file = statePath(dir);
  if (!existsSync(file)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isLabState(parsed)) throw new Error(`${file} is not a swarm-lab state file`);
  return parsed;
}

/** Written to a temporary file and renamed: a reader never sees half a state. */
export function writeLabState(state: LabState): void {
  const file = statePath(state.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

function isLabState(v: unknown): v is LabState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return s.version === 1 && typeof s.dir === 'string' && typeof s.bridge === 'string' && Array.isArray(s.nodes) && typeof s.registry === 'object';
}
