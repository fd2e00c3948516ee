// `berth up` on Swarm (`--engine swarm`): thin over src/swarm/converge.ts. Flags that mean something
// for services are applied; the container-only ones are refused, each with why.
import { reporterFor, ProgressTracker, type ProgressMode } from '../../apply/progress.js';
import type { PlacementMode } from '../../model/project.js';
import { UsageError } from '../../errors.js';
import { convergeSwarm } from '../../swarm/converge.js';
import { formatStackPlan } from '../../swarm/plan.js';
import { followStackLogs } from '../../swarm/views.js';
import { outputStyle } from '../output-style.js';
import { managerImageBuilder } from '../swarm-builder.js';
import { swarmLogPrinter } from '../format-swarm.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { swarmFor, refuseOnSwarm } from '../swarm-target.js';
import { parallelLimit, parseScale, type UpFlags } from './verb-flags.js';

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} ${value}: one of ${allowed.join(', ')}`);
  return value as T;
}

export async function runSwarmUp(globals: GlobalFlags, flags: UpFlags, services: string[], io: CliIO): Promise<number> {
  refuseOnSwarm('up', flags as Record<string, unknown>, {
    abortOnContainerExit: '--abort-on-container-exit: Swarm restarts or replaces tasks, nothing aborts the stack',
    abortOnContainerFailure: '--abort-on-container-failure: Swarm restarts or replaces tasks, nothing aborts the stack',
    exitCodeFrom: '--exit-code-from: a service has many tasks and no one exit code (a job\'s outcome shows in berth ps)',
    renewAnonVolumes: '-V: anonymous volumes belong to each task\'s container; Swarm makes new ones with every new task',
    timeout: '-t: Swarm stops tasks after each service\'s stop_grace_period; set that instead',
  });
  if (flags.start === false) throw new UsageError('up --no-start on Swarm: services start when they are created; deploy with --scale SERVICE=0 to create them idle');
  if (flags.forceRecreate && flags.recreate === false) throw new UsageError('--force-recreate and --no-recreate are incompatible');
  if (flags.waitTimeout !== undefined && !flags.wait && !flags.watch) throw new UsageError('--wait-timeout needs --wait');
  const waitTimeout = flags.waitTimeout === undefined ? undefined : Number(flags.waitTimeout);
  if (waitTimeout !== undefined && (!Number.isFinite(waitTimeout) || waitTimeout < 0)) throw new UsageError(`--wait-timeout ${flags.waitTimeout}: expected a number of seconds`);
  const style = outputStyle(globals, io, flags.progress);
  const progressMode = style.progress as ProgressMode;
  const pull = oneOf('--pull', flags.pull, ['always', 'missing', 'never', 'build'] as const);
  const placement = oneOf<PlacementMode>('--placement', flags.placement, ['split', 'pod', 'single']);
  // The manager is asked while the files load.
  const targetAsked = swarmFor(io);
  targetAsked.catch(() => undefined);
  const ctx = projectContext(globals, io, { required: true, services });
  const target = await targetAsked;
  const colour = style.colour;
  const progress = new ProgressTracker(reporterFor(progressMode, io.stderr, colour), Date.now);
  const abort = new AbortController();
  const off = io.onInterrupt?.(() => abort.abort());
  try {
    await convergeSwarm(
      target,
      ctx.project!,
      {
        services,
        noDeps: flags.deps === false,
        removeOrphans: flags.removeOrphans ?? ['1', 'true'].includes(io.env.COMPOSE_REMOVE_ORPHANS ?? ''),
        forceUpdate: flags.forceRecreate,
        noUpdate: flags.recreate === false,
        alwaysUpdateDeps: flags.alwaysRecreateDeps,
        scale: parseScale(flags.scale),
        ...(pull ? { pull } : {}),
        ...(placement ? { placement } : {}),
        builder: managerImageBuilder(target.dockerHost, io.env, progress, (t) => io.stderr(`warning: ${t}\n`)),
        environment: io.env,
      },
      {
        progress,
        wait: flags.wait,
        ...(waitTimeout !== undefined ? { timeoutMs: waitTimeout * 1000 } : {}),
        parallel: parallelLimit(flags.parallel, io.env),
        signal: abort.signal,
        warn: (t) => io.stderr(`warning: ${t}\n`),
        review: (plan) => {
          for (const n of plan.notices) io.stderr(`notice: ${n}\n`);
          for (const w of plan.warnings) io.stderr(`warning: ${w}\n`);
          if (!flags.dryRun) return true;
          io.stdout(formatStackPlan({ ...plan, warnings: [] }));
          return false;
        },
      },
    );
  } catch (e) {
    if (abort.signal.aborted) {
      io.stderr('interrupted; what was deployed keeps running on the Swarm (berth down removes it)\n');
      return 130;
    }
    throw e;
  } finally {
    progress.close();
  }
  if (flags.dryRun) return 0;
  if (flags.detach || flags.wait || flags.watch) {
    off?.();
    if (!flags.watch) return 0;
    const { runWatchCommand } = await import('./watch.js');
    await runWatchCommand(globals, { debounce: flags.debounce, up: false }, io);
    return 0;
  }
  // Attached: the services' logs until Ctrl-C, which stops following; the stack stays deployed.
  try {
    const print = swarmLogPrinter(io.stdout, { colour, timestamps: flags.timestamps });
    const attach = flags.attach?.length ? new Set(flags.attach) : undefined;
    const noAttach = new Set(flags.noAttach ?? []);
    const narrowed = Boolean(attach || noAttach.size || services.length);
    const followed = Object.keys(ctx.project!.services).filter((s) => (!attach || attach.has(s)) && !noAttach.has(s) && (!services.length || services.includes(s)));
    await followStackLogs(target.port, ctx.project!.name, { ...(narrowed ? { services: followed } : {}), follow: true, signal: abort.signal }, print);
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    off?.();
  }
  if (abort.signal.aborted) {
    io.stderr('stopped following the logs; the stack keeps running on the Swarm (berth down removes it)\n');
    return 130;
  }
  return 0;
}
