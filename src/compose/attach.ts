// `attach`: the user's terminal joined to a service's running container — its output relayed, its
// stdin fed (unless --no-stdin, or the container keeps none open) — until the container exits
// (its exit code is returned), or the user types the detach keys (0, the container runs on).
// With signal proxying, Ctrl-C and SIGTERM go to the container instead of ending berth.
import type { Readable } from 'node:stream';
import { BerthError } from '../errors.js';
import { DetachFilter } from './detach-keys.js';
import { relay, type Output } from './exec.js';
import { containersOf, type ProjectTarget } from './lifecycle.js';

export interface AttachServiceOptions {
  /** --index, default 1. */
  index?: number;
  /** Forward SIGINT/SIGTERM to the container (default); false: they detach. */
  sigProxy: boolean;
  detachKeys: number[];
  /** Registers the CLI's Ctrl-C handler; returns its removal. */
  onInterrupt?: (handler: (signal?: NodeJS.Signals) => void) => () => void;
}

export interface AttachResult {
  /** The container's exit code, or undefined when the user detached. */
  exitCode?: number;
  container: string;
}

/**
 * The user's side, opened once the container is known (raw mode only for a TTY container): its
 * input (absent with --no-stdin) and where output goes.
 */
export type OpenTerminal = (tty: boolean) => { stdin?: Readable; output: Output };

export async function attachService(target: ProjectTarget, service: string, o: AttachServiceOptions, openTerminal: OpenTerminal): Promise<AttachResult> {
  const index = o.index ?? 1;
  const [c] = await containersOf(target, [service], { index });
  if (!c) throw new BerthError(`service "${service}" has no container number ${index}`);
  const inspect = await target.port.containers.inspect(c.id);
  if (!inspect.State.Running) throw new BerthError(`cannot attach to ${c.name}: it is not running (start it with \`berth start ${service}\`)`);
  const terminal = openTerminal(Boolean(inspect.Config.Tty));
  const abort = new AbortController();
  const filter = terminal.stdin && inspect.Config.OpenStdin ? terminal.stdin.pipe(new DetachFilter(o.detachKeys)) : undefined;
  filter?.on('detach', () => {
    // Nothing more of the user's input, not even its end, reaches the container.
    terminal.stdin?.unpipe(filter);
    abort.abort();
  });
  const off = o.onInterrupt?.((signal) => {
    if (!o.sigProxy) return abort.abort();
    void target.port.containers.kill(c.id, signal ?? 'SIGINT').catch(() => undefined);
  });
  try {
    const output = await target.port.containers.attach(c.id, { stdout: true, stderr: true, ...(filter ? { stdin: filter } : {}), signal: abort.signal });
    await relay(output, terminal.output);
    if (abort.signal.aborted) return { container: c.name };
    const { StatusCode } = await target.port.containers.wait(c.id, 'not-running');
    return { exitCode: StatusCode, container: c.name };
  } finally {
    off?.();
    if (filter) terminal.stdin?.unpipe(filter);
  }
}
