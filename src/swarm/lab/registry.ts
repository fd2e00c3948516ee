// The lab's image registry: Debian's docker-registry (distribution 2.8) in its own network
// namespace on the lab bridge, storing on the filesystem under the lab directory. Nodes pull
// from it over plain HTTP (each dockerd has `--insecure-registry <address>:<port>`).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LabError, pidAlive, waitFor } from './host.js';
import type { LabRegistryState } from './state.js';

export const REGISTRY_BINARY = process.env.BERTH_DOCKER_REGISTRY ?? 'docker-registry';

export function registryConfig(reg: LabRegistryState): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(reg.dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${reg.address}:${reg.port}`,
    // One instance, so a fixed secret only silences the "random secret" warning.
    '  secret: berth-swarm-lab',
    '',
  ].join('\n');
}

/** Starts the registry in its namespace; resolves with its pid once it listens. */
export async function startRegistry(reg: LabRegistryState, timeoutMs = 20_000): Promise<number> {
  mkdirSync(path.join(reg.dir, 'data'), { recursive: true });
  const config = path.join(reg.dir, 'config.yml');
  writeFileSync(config, registryConfig(reg));
  const logFile = path.join(reg.dir, 'registry.log');
  const log = openSync(logFile, 'a');
  let pid: number | undefined;
  try {
    const child = spawn('nsenter', [`--net=${reg.netns}`, '--', REGISTRY_BINARY, 'serve', config], { detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  if (!pid) throw new LabError(`could not start ${REGISTRY_BINARY}`);
  const started = pid;
  await waitFor(`the lab registry to listen on ${reg.address}:${reg.port} (log: ${logFile})`, timeoutMs, () => {
    if (!pidAlive(started)) throw new LabError(`the lab registry exited; see ${logFile}`);
    return listensOn(started, reg.port) ? true : undefined;
  });
  return pid;
}

/**
 * Whether the process's network namespace has a TCP socket listening on `port`: read from
 * /proc/<pid>/net/tcp, which lists that namespace's sockets — the host has no address on the
 * lab to connect from, and this needs no helper process.
 */
export function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  try {
    return readFileSync(`/proc/${pid}/net/tcp`, 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => {
        const f = line.trim().split(/\s+/);
        return f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A'; // 0A: TCP_LISTEN
      });
  } catch {
    return false;
  }
}
