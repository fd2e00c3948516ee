// The StackApplier over a Swarm (`berth watch` / `up --watch` with --engine swarm): each save is
// planned against what the manager has (src/swarm/converge.ts) and applied as `up` would — a changed
// service gets a `service update`, which Swarm rolls out per its update_config (and rolls back per
// failure_action); unchanged services are not touched. The apply waits until the updated services
// run their new tasks, so the report's time is the rollout's, and the next save plans against a
// settled stack. Removed services go (watch always removes orphans, as for containers).
import { ProgressTracker, plainReporter, quietReporter } from '../apply/progress.js';
import type { LoadedProject } from '../loader/loader.js';
import { applySwarmPlan, planSwarm, type SwarmTargetRef } from '../swarm/converge.js';
import { formatStackPlan, type StackPlan } from '../swarm/plan.js';
import type { StackAction, StackApplier } from './applier.js';

export interface SwarmApplierOptions {
  dryRun?: boolean;
  print: (text: string) => void;
  progress?: boolean;
  environment: Readonly<Record<string, string | undefined>>;
  /** Bounds each rollout's wait, ms (default 5 minutes: a stuck rollout is reported, watching goes on). */
  timeoutMs?: number;
  pollMs?: number;
}

export interface SwarmWatchPlan {
  plan: StackPlan;
}

export function swarmApplier(target: SwarmTargetRef, opts: SwarmApplierOptions): StackApplier<SwarmWatchPlan> {
  const planFor = async (loaded: LoadedProject, forced: string[] = []): Promise<SwarmWatchPlan> => ({
    plan: await planSwarm(target, loaded.project, { removeOrphans: forced.length === 0, environment: opts.environment, ...(forced.length ? { services: forced, noDeps: true, forceUpdate: true } : {}) }),
  });
  const execute = async ({ plan }: SwarmWatchPlan): Promise<void> => {
    for (const n of plan.notices) opts.print(`  notice: ${n}\n`);
    if (opts.dryRun) {
      opts.print(formatStackPlan(plan, { includeNoop: false }) || 'nothing to do\n');
      return;
    }
    if (plan.empty) return;
    const progress = new ProgressTracker(opts.progress ? plainReporter(opts.print) : quietReporter, Date.now);
    try {
      // Only what changed is waited for: an unchanged service is at its desired state already.
      const changed = { ...plan, services: plan.services.filter((s) => s.action !== 'noop' || plan.services.some((o) => o.action !== 'noop' && o.dependsOn.some((d) => d.key === s.key))) };
      await applySwarmPlan(target, changed, { progress, wait: true, timeoutMs: opts.timeoutMs ?? 300_000, ...(opts.pollMs ? { pollMs: opts.pollMs } : {}), warn: (t) => opts.print(`  warning: ${t}\n`) });
    } finally {
      progress.close();
    }
  };
  return {
    plan: (loaded) => planFor(loaded),
    describe: describeSwarmPlan,
    execute: (plan) => execute(plan),
    recreate: async (loaded, services) => execute(await planFor(loaded, services)),
  };
}

export function describeSwarmPlan({ plan }: SwarmWatchPlan): StackAction[] {
  const out: StackAction[] = [];
  for (const o of [...plan.networks, ...plan.configs, ...plan.secrets]) if (o.action === 'create') out.push({ target: `${o.kind} ${o.name}`, action: 'create', cause: o.cause });
  for (const s of plan.services) if (s.action !== 'noop') out.push({ target: s.key, action: s.action === 'update' ? 'rolling update' : s.action, cause: s.cause });
  for (const r of plan.removals) out.push({ target: r.key, action: 'remove', cause: r.cause });
  for (const o of plan.stale) out.push({ target: `${o.kind} ${o.name}`, action: 'remove', cause: o.cause });
  return out;
}
