// The StackApplier over the compose engine, exactly what `berth up` does: gather the running
// stack's state (containers, networks, volumes by label), plan against it (planUp: config hash
// changed → recreate, missing → create, orphans → remove, `restart: true` dependents), execute
// the plan (executeUp). Removed services are orphans: watch always removes them, as a saved file
// without the service means "I do not want it any more".
import type { EnginePort } from '../client/engine-port.js';
import { executeUp } from '../apply/up.js';
import { ProgressTracker, plainReporter, quietReporter } from '../apply/progress.js';
import { formatPlan } from '../plan/format.js';
import { planUp, type Plan, type PlanOptions } from '../plan/plan.js';
import { gatherState } from '../plan/state.js';
import type { LoadedProject } from '../spec/loader.js';
import type { Project } from '../spec/model.js';
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

/** The compose plan, plus the `restart: true` dependents whose own containers stay (they are restarted, not re-created). */
export interface WatchPlan {
  plan: Plan;
  restarts: { service: string; containers: string[]; cause: string }[];
}

export function composeApplier(port: EnginePort, opts: ComposeApplierOptions): StackApplier<WatchPlan> {
  const now = opts.now ?? Date.now;
  const planFor = async (loaded: LoadedProject, extra: PlanOptions = {}): Promise<WatchPlan> => {
    const plan = planUp(loaded.project, await gatherState(port, loaded.project), {
      removeOrphans: true,
      workingDir: loaded.discovery.projectDir,
      configFiles: loaded.discovery.files.filter((f) => f !== '-'),
      ...extra,
    });
    return { plan, restarts: dependentRestarts(loaded.project, plan) };
  };
  const execute = async ({ plan, restarts }: WatchPlan): Promise<void> => {
    if (opts.dryRun) {
      const lines = restarts.map((r) => `service ${r.service}: restart (${r.cause})\n`).join('');
      opts.print(formatPlan(plan, { includeNoop: false }) + lines || 'nothing to do\n');
      return;
    }
    if (!plan.empty) {
      const progress = new ProgressTracker(opts.progress ? plainReporter(opts.print) : quietReporter, now);
      const result = await executeUp(plan, { port, progress, now });
      result.watch.close();
      progress.close();
    }
    // After the dependencies are back (executeUp waited for their conditions), in plan order.
    for (const r of restarts) for (const id of r.containers) await port.containers.restart(id);
  };
  return {
    plan: (loaded) => planFor(loaded),
    describe: describePlan,
    execute: (plan) => execute(plan),
    recreate: async (loaded, services) => execute(await planFor(loaded, { services, noDeps: true, forceRecreate: true, removeOrphans: false })),
  };
}

/**
 * `depends_on: {db: {restart: true}}`: when db is re-created (or restarted), its dependent is
 * restarted, as compose does. The planner re-creates what changed; a dependent that itself did
 * not change keeps its container and is restarted after the apply.
 */
export function dependentRestarts(project: Project, plan: Plan): WatchPlan['restarts'] {
  const touched = new Set<string>();
  const keptContainers = new Map<string, string[]>();
  for (const u of plan.units) {
    for (const s of u.steps) {
      if (s.action === 'create' || s.action === 'recreate') touched.add(s.service);
      else if (s.action === 'noop' && s.existing) keptContainers.set(s.service, [...(keptContainers.get(s.service) ?? []), s.existing.id]);
    }
  }
  const out: WatchPlan['restarts'] = [];
  // Units are in start order, so a restart can itself trigger the next dependent's.
  for (const u of plan.units) {
    const svc = project.services[u.service];
    const kept = keptContainers.get(u.service);
    if (!svc || !kept?.length || touched.has(u.service)) continue;
    const because = Object.entries(svc.depends_on ?? {}).filter(([dep, d]) => d.restart && touched.has(dep)).map(([dep]) => dep);
    if (!because.length) continue;
    touched.add(u.service);
    out.push({ service: u.service, containers: kept, cause: `dependency ${because.sort().join(', ')} re-created or restarted (restart: true)` });
  }
  return out;
}

/** The plan's steps that change something, one StackAction each, in execution order. */
export function describePlan({ plan, restarts }: WatchPlan): StackAction[] {
  const out: StackAction[] = [];
  for (const n of plan.networks) if (n.action === 'create') out.push({ target: `network ${n.name}`, action: 'create', cause: n.cause });
  for (const v of plan.volumes) if (v.action === 'create') out.push({ target: `volume ${v.name}`, action: 'create', cause: v.cause });
  for (const r of plan.removals) out.push({ target: r.service, action: 'stop, remove', cause: r.cause });
  for (const u of plan.units) for (const s of u.steps) if (s.action !== 'noop') out.push({ target: s.service, action: s.action, cause: s.cause });
  for (const r of restarts) out.push({ target: r.service, action: 'restart', cause: r.cause });
  return out;
}
