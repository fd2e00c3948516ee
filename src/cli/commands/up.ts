// `berth up`: thin over src/compose/up.ts — flags → options (all checked before the files are read
// or an engine chosen), engine selection, exit code.
import { parallelLimit, parseScale, type UpFlags } from './verb-flags.js';
import { UsageError } from '../../errors.js';
import type { PlacementMode } from '../../model/project.js';
import type { PullPolicy } from '../../plan/plan.js';
import { composeUp, type UpOptions } from '../../compose/up.js';
import { engineFor } from '../engine-for.js';
import type { CliIO } from '../io.js';
import { choiceFlag } from '../lifecycle-context.js';
import { outputStyle } from '../output-style.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { parseDebounce } from './watch.js';
import { wantsSwarm } from '../swarm-target.js';

export type { UpFlags } from './verb-flags.js';

export function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} ${value}: expected a number of seconds`);
  return n;
}

export { parallelLimit } from './verb-flags.js';

const envFlag = (io: CliIO, name: string): boolean => ['1', 'true'].includes((io.env[name] ?? '').toLowerCase());

/** Every flag of `up`, checked: a usage error here means nothing was read and no engine touched. */
function upOptions(flags: UpFlags, services: string[], io: CliIO, progress: UpOptions['progress']): Omit<UpOptions, 'workingDir' | 'configFiles'> {
  if (flags.detach && (flags.abortOnContainerExit || flags.abortOnContainerFailure)) throw new UsageError('--abort-on-container-exit and --detach are incompatible');
  if (flags.forceRecreate && flags.recreate === false) throw new UsageError('--force-recreate and --no-recreate are incompatible');
  return {
    services,
    noDeps: flags.deps === false,
    forceRecreate: flags.forceRecreate,
    noRecreate: flags.recreate === false,
    alwaysRecreateDeps: flags.alwaysRecreateDeps,
    renewAnonVolumes: flags.renewAnonVolumes,
    removeOrphans: flags.removeOrphans ?? envFlag(io, 'COMPOSE_REMOVE_ORPHANS'),
    ignoreOrphans: envFlag(io, 'COMPOSE_IGNORE_ORPHANS'),
    scale: parseScale(flags.scale),
    pull: choiceFlag<PullPolicy>('--pull', flags.pull, ['always', 'missing', 'never', 'build']),
    quietPull: flags.quietPull,
    ...(flags.build === true ? { build: 'always' as const } : flags.build === false ? { build: 'never' as const } : {}),
    placement: choiceFlag<PlacementMode>('--placement', flags.placement, ['split', 'pod', 'single']),
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
  };
}

export async function runUp(globals: GlobalFlags, flags: UpFlags, services: string[], io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-up.js')).runSwarmUp(globals, flags, services, io);
  const style = outputStyle(globals, io, flags.progress);
  const options = upOptions(flags, services, io, style.progress);
  const debounce = parseDebounce(flags.debounce);
  const ctx = projectContext(globals, io, { required: true, services });
  const { port } = await engineFor(globals, io, 'change');
  const code = await composeUp(
    ctx.project!,
    { ...options, workingDir: ctx.workingDir, configFiles: ctx.configFiles },
    { port, stdout: io.stdout, stderr: io.stderr, colour: style.colour, now: Date.now, onInterrupt: io.onInterrupt },
  );
  if (!flags.watch || code !== 0 || flags.dryRun) return code;
  const { runWatchCommand } = await import('./watch.js');
  await runWatchCommand(globals, { debounce: String(debounce), up: false }, io);
  return 0;
}
