// `berth up`: thin over src/compose/up.ts — flags → options, engine selection, exit code.
import { UsageError } from '../../errors.js';
import type { PlacementMode } from '../../model/project.js';
import type { ProgressMode } from '../../apply/progress.js';
import type { PullPolicy } from '../../plan/plan.js';
import { composeUp } from '../../compose/up.js';
import { engineFor, wantsColour } from '../engine-for.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { wantsSwarm } from '../swarm-target.js';

export interface UpFlags {
  detach?: boolean;
  abortOnContainerExit?: boolean;
  abortOnContainerFailure?: boolean;
  exitCodeFrom?: string;
  attach?: string[];
  noAttach?: string[];
  start?: boolean;
  scale?: string[];
  wait?: boolean;
  waitTimeout?: string;
  timestamps?: boolean;
  dryRun?: boolean;
  removeOrphans?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  alwaysRecreateDeps?: boolean;
  deps?: boolean;
  renewAnonVolumes?: boolean;
  pull?: string;
  placement?: string;
  progress?: string;
  timeout?: string;
  parallel?: string;
  /** `--watch` (src/watch): after up, apply each saved change of the stack files until Ctrl-C. */
  watch?: boolean;
  debounce?: string;
}

function parseScale(entries: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(e);
    if (!m) throw new UsageError(`--scale ${e}: expected SERVICE=NUM`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} ${value}: one of ${allowed.join(', ')}`);
  return value as T;
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} ${value}: expected a number of seconds`);
  return n;
}

export function parallelLimit(flag: string | undefined, env: CliIO['env']): number | undefined {
  const raw = flag ?? env.COMPOSE_PARALLEL_LIMIT;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || (n < 1 && n !== -1)) throw new UsageError(`parallel limit ${raw}: a positive integer, or -1 for unlimited`);
  return n === -1 ? undefined : n;
}

export async function runUp(globals: GlobalFlags, flags: UpFlags, services: string[], io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-up.js')).runSwarmUp(globals, flags, services, io);
  if (flags.detach && (flags.abortOnContainerExit || flags.abortOnContainerFailure)) throw new UsageError('--abort-on-container-exit and --detach are incompatible');
  if (flags.forceRecreate && flags.recreate === false) throw new UsageError('--force-recreate and --no-recreate are incompatible');
  const ctx = projectContext(globals, io, { required: true, services });
  const progress = oneOf<ProgressMode>('--progress', flags.progress, ['tty', 'plain', 'json', 'quiet']) ?? (io.isTTY ? 'tty' : 'plain');
  const { port } = await engineFor(globals, io);
  const code = await composeUp(
    ctx.project!,
    {
      services,
      noDeps: flags.deps === false,
      forceRecreate: flags.forceRecreate,
      noRecreate: flags.recreate === false,
      alwaysRecreateDeps: flags.alwaysRecreateDeps,
      renewAnonVolumes: flags.renewAnonVolumes,
      removeOrphans: flags.removeOrphans ?? ['1', 'true'].includes(io.env.COMPOSE_REMOVE_ORPHANS ?? ''),
      scale: parseScale(flags.scale),
      pull: oneOf<PullPolicy>('--pull', flags.pull, ['always', 'missing', 'never', 'build']),
      placement: oneOf<PlacementMode>('--placement', flags.placement, ['split', 'pod', 'single']),
      workingDir: ctx.workingDir,
      configFiles: ctx.configFiles,
      // --watch: up in the background, then watch in the foreground (see src/watch).
      detach: flags.detach || flags.watch,
      dryRun: flags.dryRun,
      noStart: flags.start === false,
      wait: flags.wait,
      waitTimeout: seconds('--wait-timeout', flags.waitTimeout),
      abortOnContainerExit: flags.abortOnContainerExit || flags.exitCodeFrom !== undefined,
      abortOnContainerFailure: flags.abortOnContainerFailure,
      exitCodeFrom: flags.exitCodeFrom,
      attach: flags.attach,
      noAttach: flags.noAttach,
      timestamps: flags.timestamps,
      parallel: parallelLimit(flags.parallel, io.env),
      timeout: seconds('-t', flags.timeout),
      progress,
    },
    { port, stdout: io.stdout, stderr: io.stderr, colour: wantsColour(globals, io), now: Date.now, onInterrupt: io.onInterrupt },
  );
  if (!flags.watch || code !== 0 || flags.dryRun) return code;
  const { runWatchCommand } = await import('./watch.js');
  await runWatchCommand(globals, { debounce: flags.debounce, up: false }, io);
  return 0;
}
