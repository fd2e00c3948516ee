// The StackApplier over the compose engine, exactly what `berth up` does (compose/converge.ts):
// plan against the running stack's state (config hash changed → recreate, missing → create, orphans
// → remove, `restart: true` dependents), then apply that plan. Removed services are orphans: watch
// always removes them, as a saved file without the service means "I do not want it any more".
import type { EnginePort } from '../client/engine-port.js';
import { ProgressTracker, plainReporter, quietReporter } from '../apply/progress.js';
import { formatPlan } from '../plan/format.js';
import type { Plan, PlanOptions } from '../plan/plan.js';
import { applyPlan, planConvergence } from '../compose/converge.js';
import type { LoadedProject } from '../loader/loader.js';
import type { StackAction, StackApplier } from './applier.js';

export interface ComposeApplierOptions {
  /** Print each plan instead of executing it. */
  dryRun?: boolean;
  print: (text: string) => void;
  /** Per-resource progress lines (Creating, Started, …) under each report. Default off: the report says it. */
  progress?: boolean;
  /** Milliseconds since the epoch (labels and event windows), injectable for tests. */
  now?: () => number;
}

/** The compose plan (it carries `restart: true` dependents as restart steps, as `up` does). */
export interface WatchPlan {
  plan: Plan;
}

export function composeApplier(port: EnginePort, opts: ComposeApplierOptions): StackApplier<WatchPlan> {
  const now = opts.now ?? Date.now;
  const planFor = async (loaded: LoadedProject, extra: PlanOptions = {}): Promise<WatchPlan> => {
    const plan = await planConvergence(port, loaded.project, {
      removeOrphans: true,
      workingDir: loaded.discovery.projectDir,
      configFiles: loaded.discovery.files.filter((f) => f !== '-'),
      ...extra,
    });
    return { plan };
  };
  const execute = async ({ plan }: WatchPlan): Promise<void> => {
    if (opts.dryRun) {
      opts.print(formatPlan(plan, { includeNoop: false }) || 'nothing to do\n');
      return;
    }
    if (!plan.empty) {
      const progress = new ProgressTracker(opts.progress ? plainReporter(opts.print) : quietReporter, now);
      await applyPlan(plan, { port, progress, now });
      progress.close();
    }
  };
  return {
    plan: (loaded) => planFor(loaded),
    describe: describePlan,
    execute: (plan) => execute(plan),
    recreate: async (loaded, services) => execute(await planFor(loaded, { services, noDeps: true, forceRecreate: true, removeOrphans: false })),
  };
}

/** The plan's steps that change something, one StackAction each, in execution order. */
export function describePlan({ plan }: WatchPlan): StackAction[] {
  const out: StackAction[] = [];
  for (const n of plan.networks) if (n.action === 'create') out.push({ target: `network ${n.name}`, action: 'create', cause: n.cause });
  for (const v of plan.volumes) if (v.action === 'create') out.push({ target: `volume ${v.name}`, action: 'create', cause: v.cause });
  for (const r of plan.removals) out.push({ target: r.service, action: 'stop, remove', cause: r.cause });
  for (const u of plan.units) for (const s of u.steps) if (s.action !== 'noop') out.push({ target: s.service, action: s.action, cause: s.cause });
  return out;
}
