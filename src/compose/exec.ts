// `exec` and the container side of `run`: a process in a service's running container, its output
// relayed (demultiplexed, or raw with a TTY) and its exit code returned for the CLI to exit with.

import type { Readable } from 'node:stream';
import type { EnginePort, OutputChunk } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import { containersOf, type ProjectTarget } from './lifecycle.js';

export class ServiceNotRunningError extends BerthError {}

export interface ExecOptions {
  detach?: boolean;
  /** Allocate a TTY (the CLI decides: a terminal on stdin and no -T). */
  tty?: boolean;
  /** `-e KEY=VALUE`, in order. */
  env?: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
  /** Container number (`--index`), default 1. */
  index?: number;
  /** The user's input; attached unless detached. */
  stdin?: Readable;
  signal?: AbortSignal;
}

export interface Output {
  stdout: (data: Buffer) => void;
  stderr: (data: Buffer) => void;
}

export async function relay(chunks: AsyncIterable<OutputChunk>, out: Output): Promise<void> {
  for await (const c of chunks) (c.stream === 'stderr' ? out.stderr : out.stdout)(c.data);
}

/** Runs `command` in the service's container and resolves with its exit code (0 when detached). */
export async function execInService(target: ProjectTarget, service: string, command: string[], o: ExecOptions, out: Output): Promise<number> {
  const index = o.index ?? 1;
  const candidates = await containersOf(target, [service], { index });
  const container = candidates.find((c) => c.state === 'running');
  if (!container) {
    throw new ServiceNotRunningError(candidates.length === 0 && index !== 1 ? `service "${service}" has no container number ${index}` : `service "${service}" is not running`);
  }
  return execIn(target.port, container.id, command, o, out);
}

export async function execIn(port: EnginePort, containerId: string, command: string[], o: ExecOptions, out: Output): Promise<number> {
  const attach = !o.detach;
  const { Id } = await port.exec.create(containerId, {
    Cmd: command,
    AttachStdin: attach && o.stdin !== undefined,
    AttachStdout: attach,
    AttachStderr: attach,
    Tty: o.tty ?? false,
    ...(o.env && o.env.length > 0 ? { Env: o.env } : {}),
    ...(o.user ? { User: o.user } : {}),
    ...(o.workdir ? { WorkingDir: o.workdir } : {}),
    ...(o.privileged ? { Privileged: true } : {}),
  });
  const output = await port.exec.start(Id, {
    detach: o.detach ?? false,
    tty: o.tty ?? false,
    ...(attach && o.stdin ? { stdin: o.stdin } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (o.detach) return 0;
  await relay(output, out);
  // The output ends with the process; the engine may record the exit a moment later.
  for (let i = 0; i < 100; i++) {
    const inspect = await port.exec.inspect(Id);
    if (!inspect.Running && inspect.ExitCode !== null && inspect.ExitCode !== undefined) return inspect.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new BerthError(`exec in ${containerId.slice(0, 12)}: the engine did not report an exit code`);
}
