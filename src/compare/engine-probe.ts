// What compare needs to see and do inside a running stack, over the Docker Engine API (the built-in
// engine or a Docker Engine, through dockerode): one stats sample, a container's state, the
// containers of a project, exec with captured output. Narrow on purpose so the measuring code is
// testable against a recorded fake and the engine choice stays the CLI's.

import type Dockerode from 'dockerode';

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
}

const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';

/** Working set from a stats sample's memory_stats (cgroup v1 `total_inactive_file`, v2 `inactive_file`). */
export function workingSetBytes(memory: Record<string, unknown> | undefined): number | undefined {
  if (!memory || typeof memory.usage !== 'number') return undefined;
  const stats = (memory.stats ?? {}) as Record<string, number>;
  const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
  return Math.max(0, memory.usage - (inactive < memory.usage ? inactive : 0));
}

export function dockerodeProbe(docker: Dockerode): EngineProbe {
  return {
    async processes(id) {
      let top: { Titles?: string[]; Processes?: string[][] };
      try {
        top = (await docker.getContainer(id).top({ ps_args: '-eo pid,ppid,args' })) as typeof top;
      } catch (e) {
        const code = (e as { statusCode?: number }).statusCode;
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
        s = (await docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as Record<string, unknown>;
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
        const c = await docker.getContainer(id).inspect();
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
      const list = await docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${project}`] } });
      return list
        .map((c) => ({
          id: c.Id,
          name: (c.Names[0] ?? '').replace(/^\//, ''),
          service: c.Labels[SERVICE_LABEL] ?? '',
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
        const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
        // Multiplexed frames: 8-byte header (stream, 0, 0, 0, size32) then the payload.
        const out: Buffer[] = [];
        for (let at = 0; at + 8 <= raw.length; ) {
          const size = raw.readUInt32BE(at + 4);
          out.push(raw.subarray(at + 8, at + 8 + size));
          at += 8 + size;
        }
        return (out.length ? Buffer.concat(out) : raw).toString('utf8').trim();
      } catch {
        return '';
      }
    },
    async exec(id, cmd, opts = {}) {
      const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Env: opts.env, User: opts.user });
      const stream = await exec.start({ hijack: true, stdin: false });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const { PassThrough } = await import('node:stream');
      const o = new PassThrough();
      const e = new PassThrough();
      o.on('data', (d: Buffer) => out.push(d));
      e.on('data', (d: Buffer) => err.push(d));
      docker.modem.demuxStream(stream, o, e);
      const timeoutMs = opts.timeoutMs ?? 120_000;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          stream.destroy();
          reject(new Error(`exec ${cmd.join(' ')} in ${id.slice(0, 12)} did not finish within ${timeoutMs}ms`));
        }, timeoutMs);
        stream.on('end', () => (clearTimeout(timer), resolve()));
        stream.on('close', () => (clearTimeout(timer), resolve()));
        stream.on('error', (x: Error) => (clearTimeout(timer), reject(x)));
      });
      const info = await exec.inspect();
      return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
    },
  };
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { statusCode?: number }).statusCode === 404;
}
