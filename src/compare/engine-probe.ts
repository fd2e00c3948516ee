// What compare needs to see and do inside a running stack, over the engine port (the built-in
// engine or a Docker Engine): one stats sample, a container's state, the containers of a project,
// exec with captured output. Narrow on purpose so the measuring code is
// testable against a recorded fake and the engine choice stays the CLI's.

import { EnginePortError, isNotFound, type EnginePort } from '../client/engine-port.js';
import { LABEL } from '../observe/labels.js';

export interface ResourceSample {
  /** Working-set bytes: usage minus inactive page cache, as `docker stats` shows it. */
  memoryBytes: number;
  memoryLimitBytes?: number;
  /** Cumulative CPU time of the cgroup, ns. */
  cpuTotalNs: number;
  /** When the sample was taken (hrtime ns), for rates. */
  atNs: bigint;
}

export interface ContainerState {
  id: string;
  running: boolean;
  restartCount: number;
  startedAt: string;
  /** Host pid of the main process, 0 when not running. */
  pid: number;
  oomKilled: boolean;
  exitCode: number;
  health?: 'starting' | 'healthy' | 'unhealthy' | 'none';
}

export interface ProjectContainer {
  id: string;
  name: string;
  /** com.docker.compose.service, or '' for a container without one (a pod's sandbox). */
  service: string;
  labels: Record<string, string>;
  /** Host port per "8080/tcp", for published ports on loopback. */
  ports: Record<string, number>;
  running: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One process of a container as `docker top` lists it: host pid and command line. */
export interface ContainerProcess {
  pid: number;
  /** Parent pid: what tells a main process from its workers (pids wrap, so order does not). */
  ppid: number;
  command: string;
}

export interface EngineProbe {
  /** The container's processes with host pids; empty when it does not run. */
  processes(containerId: string): Promise<ContainerProcess[]>;
  sample(containerId: string): Promise<ResourceSample | undefined>;
  state(containerId: string): Promise<ContainerState | undefined>;
  projectContainers(project: string): Promise<ProjectContainer[]>;
  exec(containerId: string, cmd: string[], opts?: { env?: string[]; user?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** The last lines a container wrote (stdout and stderr), for saying why it failed. */
  logTail(containerId: string, lines: number): Promise<string>;
  /**
   * The loopback URL that reaches `hostPort` as the container publishes it. Absent: the port is
   * on this machine (http://127.0.0.1:<port>). A Swarm's task publishes on its own node.
   */
  appBase?(container: ProjectContainer, hostPort: number): Promise<string>;
}


/** Working set from a stats sample's memory_stats (cgroup v1 `total_inactive_file`, v2 `inactive_file`). */
export function workingSetBytes(memory: Record<string, unknown> | undefined): number | undefined {
  if (!memory || typeof memory.usage !== 'number') return undefined;
  const stats = (memory.stats ?? {}) as Record<string, number>;
  const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
  return Math.max(0, memory.usage - (inactive < memory.usage ? inactive : 0));
}

export function portProbe(port: EnginePort): EngineProbe {
  return {
    async processes(id) {
      let top: { Titles?: string[]; Processes?: string[][] };
      try {
        top = await port.containers.top(id, '-eo pid,ppid,args');
      } catch (e) {
        const code = e instanceof EnginePortError ? e.status : undefined;
        if (code === 404 || code === 409 || code === 500) return []; // gone, or not running
        throw e;
      }
      const titles = top.Titles ?? [];
      const pidCol = titles.indexOf('PID');
      const ppidCol = titles.indexOf('PPID');
      const cmdCol = titles.findIndex((t) => t === 'COMMAND' || t === 'CMD');
      return (top.Processes ?? []).map((row) => ({ pid: Number(row[pidCol]), ppid: Number(row[ppidCol]), command: row[cmdCol] ?? row[row.length - 1] ?? '' }));
    },
    async sample(id) {
      let s: Record<string, unknown>;
      try {
        s = (await port.containers.stats(id)) as unknown as Record<string, unknown>;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
      const memory = s.memory_stats as Record<string, unknown> | undefined;
      const cpu = s.cpu_stats as { cpu_usage?: { total_usage?: number } } | undefined;
      const bytes = workingSetBytes(memory);
      if (bytes === undefined) return undefined; // not running
      return {
        memoryBytes: bytes,
        memoryLimitBytes: typeof memory?.limit === 'number' ? memory.limit : undefined,
        cpuTotalNs: cpu?.cpu_usage?.total_usage ?? 0,
        atNs: process.hrtime.bigint(),
      };
    },
    async state(id) {
      try {
        const c = await port.containers.inspect(id);
        return {
          id: c.Id,
          running: c.State.Running,
          restartCount: c.RestartCount ?? 0,
          startedAt: c.State.StartedAt,
          pid: c.State.Pid,
          oomKilled: c.State.OOMKilled,
          exitCode: c.State.ExitCode,
          health: (c.State.Health?.Status as ContainerState['health']) ?? undefined,
        };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async projectContainers(project) {
      const list = await port.containers.list({ all: true, filters: { label: [`${LABEL.project}=${project}`] } });
      return list
        .map((c) => ({
          id: c.Id,
          name: (c.Names[0] ?? '').replace(/^\//, ''),
          service: c.Labels[LABEL.service] ?? '',
          labels: c.Labels,
          ports: Object.fromEntries(
            c.Ports.filter((p) => p.PublicPort !== undefined).map((p) => [`${p.PrivatePort}/${p.Type}`, p.PublicPort as number]),
          ),
          running: c.State === 'running',
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async logTail(id, lines) {
      try {
        const out: Buffer[] = [];
        for await (const chunk of port.containers.logs(id, { tail: lines })) out.push(chunk.data);
        return Buffer.concat(out).toString('utf8').trim();
      } catch {
        return '';
      }
    },
    async exec(id, cmd, opts = {}) {
      const { Id } = await port.exec.create(id, { Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(opts.env ? { Env: opts.env } : {}), ...(opts.user ? { User: opts.user } : {}) });
      const timeoutMs = opts.timeoutMs ?? 120_000;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      try {
        for await (const chunk of await port.exec.start(Id, { signal: abort.signal })) (chunk.stream === 'stdout' ? out : err).push(chunk.data);
      } finally {
        clearTimeout(timer);
      }
      if (abort.signal.aborted) throw new Error(`exec ${cmd.join(' ')} in ${id.slice(0, 12)} did not finish within ${timeoutMs}ms`);
      const info = await port.exec.inspect(Id);
      return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
    },
  };
}
