// One lab node's dockerd: Debian's docker.io, started into the node's network and UTS namespaces
// with everything it writes under the node's directory (data-root, exec-root, pidfile, socket,
// its own containerd, config file and trust key) and its own containerd namespace and cgroup
// parent. It outlives the `berth` process that started it (detached, output to a log file).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { LabError, pidAlive, waitFor } from './host.js';
import type { LabNodeState } from './state.js';

export const DOCKERD = process.env.BERTH_DOCKERD ?? 'dockerd';

export interface DaemonOptions {
  cgroupParent: string;
  insecureRegistry: string;
}

/** dockerd's arguments for a node: pure, so the test can read them. */
export function dockerdArgs(node: LabNodeState, opts: DaemonOptions): string[] {
  const d = node.dir;
  return [
    // Our own config file, so /etc/docker/daemon.json is not read, and — because dockerd keeps
    // its trust key next to its config file — a key.json per node instead of /etc/docker/key.json.
    `--config-file=${path.join(d, 'daemon.json')}`,
    `--data-root=${path.join(d, 'data')}`,
    `--exec-root=${path.join(d, 'exec')}`,
    `--pidfile=${path.join(d, 'dockerd.pid')}`,
    `--host=unix://${node.socket}`,
    `--containerd-namespace=${node.containerdNamespace}`,
    `--containerd-plugins-namespace=${node.containerdNamespace}-plugins`,
    `--cgroup-parent=${opts.cgroupParent}/${node.name}`,
    // The lab has no default bridge and touches no firewall: nodes talk over overlays only.
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
    '--storage-driver=overlay2',
    `--insecure-registry=${opts.insecureRegistry}`,
    // `down` stops the lab: containers get 2 s, not 15, to stop on their own.
    '--shutdown-timeout=2',
  ];
}

/** Starts the node's dockerd in the background; resolves with its pid once its API answers. */
export async function startNodeDaemon(node: LabNodeState, opts: DaemonOptions, timeoutMs = 60_000): Promise<number> {
  mkdirSync(node.dir, { recursive: true });
  writeFileSync(path.join(node.dir, 'daemon.json'), '{}\n');
  const log = openSync(path.join(node.dir, 'dockerd.log'), 'a');
  let pid: number | undefined;
  try {
    const child = spawn('nsenter', [`--net=${node.netns}`, `--uts=${node.utsns}`, '--', DOCKERD, ...dockerdArgs(node, opts)], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.on('error', () => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  if (!pid) throw new LabError(`${node.name}: could not start nsenter ${DOCKERD}`);
  const docker = nodeClient(node);
  await waitFor(`${node.name}'s dockerd to answer on ${node.socket} (log: ${path.join(node.dir, 'dockerd.log')})`, timeoutMs, async () => {
    if (!pidAlive(pid)) throw new LabError(`${node.name}'s dockerd exited; see ${path.join(node.dir, 'dockerd.log')}`);
    try {
      await docker.ping();
      return true;
    } catch {
      return undefined;
    }
  });
  return pid;
}

export function nodeClient(node: Pick<LabNodeState, 'socket'>): Docker {
  return new Docker({ socketPath: node.socket });
}
