// `berth watch` and `berth up --watch`: thin over src/watch/session.ts.
import { UsageError } from '../../errors.js';
import type { StackApplier } from '../../watch/applier.js';
import { composeApplier } from '../../watch/compose-applier.js';
import { runWatch } from '../../watch/session.js';
import { engineFor } from '../engine-for.js';
import type { CliIO } from '../io.js';
import { outputStyle } from '../output-style.js';
import { loadOptionsFrom } from '../project-load.js';
import type { GlobalFlags } from '../project-options.js';
import { wantsSwarm } from '../swarm-target.js';

export interface WatchFlags {
  debounce?: string;
  /** commander's `--no-up`: false when given. */
  up?: boolean;
  dryRun?: boolean;
}

export function parseDebounce(value: string | undefined): number {
  if (value === undefined) return 50;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 60_000) throw new UsageError(`--debounce ${value}: expected milliseconds between 0 and 60000`);
  return n;
}

export async function runWatchCommand(globals: GlobalFlags, flags: WatchFlags, io: CliIO): Promise<void> {
  const debounceMs = parseDebounce(flags.debounce);
  const dryRun = flags.dryRun ?? false;
  const skipInitialApply = flags.up === false;
  outputStyle(globals, io);
  const loadOptions = loadOptionsFrom(globals, io);
  // On Swarm each save is a rolling update of what changed; develop.watch syncs into containers need one engine.
  const swarm = wantsSwarm(globals, io) ? await import('../swarm-target.js').then((m) => m.swarmFor(io)) : undefined;
  const engine = swarm ? undefined : await engineFor(globals, io, 'change');
  const applier: StackApplier = swarm
    ? (await import('../../watch/swarm-applier.js')).swarmApplier(swarm, { dryRun, print: io.stderr, environment: io.env })
    : composeApplier(engine!.port, { dryRun, print: io.stderr });
  const signal = interruptSignal(io);
  await runWatch({
    loadOptions,
    explicitFiles: Boolean(globals.file?.length || io.env.COMPOSE_FILE),
    explicitEnvFiles: Boolean(globals.envFile?.length),
    applier,
    engine: dryRun ? undefined : engine?.port,
    debounceMs,
    skipInitialApply,
    print: io.stderr,
    cwd: io.cwd,
    signal,
  });
}

/** Ctrl-C (or SIGTERM) stops watching; the stack keeps running. Tests inject `onInterrupt`. */
function interruptSignal(io: CliIO): AbortSignal {
  const ac = new AbortController();
  if (io.onInterrupt) {
    const off = io.onInterrupt(() => ac.abort());
    ac.signal.addEventListener('abort', off, { once: true });
    return ac.signal;
  }
  const stop = () => {
    if (ac.signal.aborted) process.exit(130); // a second Ctrl-C during shutdown
    ac.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  ac.signal.addEventListener('abort', () => {
    setImmediate(() => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
  });
  return ac.signal;
}
