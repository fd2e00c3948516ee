// Executing a StackPlan against a manager, one call per step: networks, then configs and secrets
// (their ids go into the service specs), then services — each as soon as its dependencies meet
// their conditions (started / healthy / completed, watched by the StackMonitor), as parallel as
// the graph and --parallel allow — then orphans, then what nothing needs any more. `waitForStack`
// is `up --wait`: every service at its desired state, with progress per service.
import { EnginePortError } from '../client/engine-port.js';
import type { FileObjectSpec, NetworkCreateSpec } from '../client/swarm-api.js';
import type { SwarmPort } from '../client/swarm-port.js';
import type { ProgressTracker } from '../apply/progress.js';
import { isCompleted, isHealthy, isStarted, serviceProgress, SwarmWaitError, updateFailure, type ServiceProgress, type StackMonitor, type StackSnapshot } from './monitor.js';
import { conditionWord, type ServiceDependency, type ServiceStep, type StackPlan } from './plan.js';
import { withObjectIds } from './translate.js';

export interface SwarmApplyContext {
  port: SwarmPort;
  monitor: StackMonitor;
  progress: ProgressTracker;
  /** Manager calls at once for services (default: unlimited). */
  parallel?: number;
  /** Bounds each wait for a dependency's condition (--wait-timeout); default: none. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Clock time, for counting task failures since a wait began. */
  now: () => number;
  /** Things worth a line that are not failures (a stale object still in use). */
  warn?: (text: string) => void;
}

export class SwarmApplyError extends SwarmWaitError {}

/** A small limiter: at most `n` of the given jobs at once. */
function limiter(n: number | undefined): <T>(job: () => Promise<T>) => Promise<T> {
  if (!n || n < 1) return (job) => job();
  let active = 0;
  const queue: (() => void)[] = [];
  return async (job) => {
    while (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await job();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

export async function executeStackPlan(plan: StackPlan, x: SwarmApplyContext): Promise<void> {
  const limit = limiter(x.parallel);
  await Promise.all(plan.networks.filter((n) => n.action === 'create').map((n) => limit(async () => {
    x.progress.emit('Network', n.name, 'Creating');
    await x.port.networks.create(n.spec as NetworkCreateSpec);
    x.progress.emit('Network', n.name, 'Created');
  })));

  const ids = { configs: {} as Record<string, string>, secrets: {} as Record<string, string> };
  await Promise.all([...plan.configs, ...plan.secrets].map((o) => limit(async () => {
    const into = o.kind === 'config' ? ids.configs : ids.secrets;
    if (o.action !== 'create') {
      if (o.id) into[o.name] = o.id;
      return;
    }
    const kind = o.kind === 'config' ? 'Config' : 'Secret';
    x.progress.emit(kind, o.name, 'Creating');
    into[o.name] = (await (o.kind === 'config' ? x.port.configs : x.port.secrets).create(o.spec as FileObjectSpec)).ID;
    x.progress.emit(kind, o.name, 'Created');
  })));

  // Every service step runs once its dependencies are satisfied; a failure stops the ones after it.
  const byKey = new Map(plan.services.map((s) => [s.key, s]));
  const done = new Map<string, Promise<void>>();
  const reported = new Set<string>();
  const run = (step: ServiceStep): Promise<void> => {
    const known = done.get(step.key);
    if (known) return known;
    const p = (async () => {
      // A service left as it is needs nothing of its dependencies now.
      if (step.action === 'noop') return;
      for (const d of step.dependsOn) {
        const dep = byKey.get(d.key);
        if (dep) await run(dep);
        await waitForDependency(d, dep, x, reported);
      }
      await limit(() => deploy(step, ids, x));
    })();
    done.set(step.key, p);
    return p;
  };
  await Promise.all(plan.services.map(run));

  for (const r of plan.removals) {
    x.progress.emit('Service', r.name, 'Removing');
    await x.port.services.remove(r.existing!.ID);
    x.progress.emit('Service', r.name, 'Removed');
  }
  for (const o of plan.stale) {
    const kind = o.kind === 'network' ? 'Network' : o.kind === 'config' ? 'Config' : 'Secret';
    try {
      x.progress.emit(kind, o.name, 'Removing');
      if (o.kind === 'network') await x.port.networks.remove(o.id!);
      else await (o.kind === 'config' ? x.port.configs : x.port.secrets).remove(o.id!);
      x.progress.emit(kind, o.name, 'Removed');
    } catch (e) {
      // Something outside the plan still uses it (a service of another stack, a task shutting down): kept.
      if (!(e instanceof EnginePortError) || (e.status !== 400 && e.status !== 403 && e.status !== 409 && e.status !== 404)) throw e;
      x.progress.emit(kind, o.name, 'Skipped', { detail: 'still in use' });
      x.warn?.(`${o.kind} ${o.name} is still in use (${e.engineMessage}); kept, the next up removes it`);
    }
  }
}

async function deploy(step: ServiceStep, ids: { configs: Record<string, string>; secrets: Record<string, string> }, x: SwarmApplyContext): Promise<void> {
  const spec = withObjectIds(step.spec!, ids);
  const warn = (w: string[]): void => {
    for (const line of w) x.warn?.(`service ${step.name}: ${line}`);
  };
  switch (step.action) {
    case 'create':
      x.progress.emit('Service', step.name, 'Creating');
      warn((await x.port.services.create(spec)).Warnings);
      x.progress.emit('Service', step.name, 'Created');
      return;
    case 'update':
      x.progress.emit('Service', step.name, 'Updating', { detail: step.cause });
      warn((await x.port.services.update(step.existing!.ID, step.existing!.Version.Index, spec)).Warnings);
      x.progress.emit('Service', step.name, 'Updated', { detail: step.cause });
      return;
    case 'replace':
      x.progress.emit('Service', step.name, 'Recreate', { detail: step.cause });
      await x.port.services.remove(step.existing!.ID);
      warn((await x.port.services.create(spec)).Warnings);
      x.progress.emit('Service', step.name, 'Recreated');
      return;
    default:
      return;
  }
}

const describeProgress = (p: ServiceProgress): string =>
  p.job ? `${p.completed}/${p.desired} completed` : `${p.running}/${p.desired} running${p.starting ? `, ${p.starting} starting` : ''}${p.outdated ? `, ${p.outdated} to replace` : ''}`;

/**
 * Resolves once `service`'s tasks satisfy `condition`; rejects when the service is missing (and
 * required), when Swarm paused or rolled back its update, or when more of its tasks failed than
 * the plan tolerates (a job: one, unless the stack asked for retries).
 */
export async function waitForCondition(
  name: string,
  condition: 'started' | 'healthy' | 'completed',
  toleratedFailures: number,
  x: Pick<SwarmApplyContext, 'monitor' | 'progress' | 'timeoutMs' | 'signal' | 'now'> & { required?: boolean; report?: boolean },
): Promise<ServiceProgress | undefined> {
  const since = x.now() - 1000;
  let last: ServiceProgress | undefined;
  let shown = '';
  const test = condition === 'started' ? isStarted : condition === 'healthy' ? isHealthy : isCompleted;
  return x.monitor.until(
    (s: StackSnapshot) => {
      const service = s.services.get(name);
      if (!service) {
        if (x.required === false) return null;
        throw new SwarmApplyError(`service ${name} does not exist`);
      }
      const p = serviceProgress(service, s.tasks, since);
      last = p;
      const failed = updateFailure(p);
      if (failed) throw new SwarmApplyError(`service ${name}: ${failed}`);
      if (p.failures > toleratedFailures) {
        throw new SwarmApplyError(`service ${name}: ${p.failures} task${p.failures > 1 ? 's' : ''} failed${p.lastError ? ` (last: ${p.lastError})` : ''}${p.job && toleratedFailures === 0 ? '; a job that fails is not retried by the wait (set deploy.restart_policy to allow retries); see berth logs' : '; see berth ps -a and berth logs'}`);
      }
      if (test(p)) return p;
      const words = describeProgress(p);
      if (x.report !== false && words !== shown) {
        shown = words;
        x.progress.emit('Service', name, 'Waiting', { detail: `${words}${p.lastError ? ` (last error: ${p.lastError})` : ''}` });
      }
      return undefined;
    },
    { ...(x.timeoutMs !== undefined ? { timeoutMs: x.timeoutMs } : {}), ...(x.signal ? { signal: x.signal } : {}), describe: () => `${name} to be ${condition}${last ? ` (${describeProgress(last)})` : ''}` },
  ).then((p) => p ?? undefined);
}

async function waitForDependency(d: ServiceDependency, dep: ServiceStep | undefined, x: SwarmApplyContext, reported: Set<string>): Promise<void> {
  // A dependency outside this run (`up api --no-deps`) is not waited for, as compose does.
  if (!dep) return;
  const condition = conditionWord(d.condition) as 'started' | 'healthy' | 'completed';
  const p = await waitForCondition(d.name, condition, dep.toleratedFailures, { ...x, required: d.required });
  // Several dependents may wait for one service: its state is reported once.
  if (reported.has(`${d.name} ${condition}`)) return;
  reported.add(`${d.name} ${condition}`);
  if (p) x.progress.emit('Service', d.name, condition === 'completed' ? 'Completed' : condition === 'healthy' ? 'Healthy' : 'Started', { detail: describeProgress(p) });
}

/** `up --wait`: every service of the plan at its desired state — running (healthy), or a job completed. */
export async function waitForStack(plan: StackPlan, x: Omit<SwarmApplyContext, 'port' | 'parallel'>): Promise<void> {
  await Promise.all(
    plan.services.map(async (s) => {
      const p = await waitForCondition(s.name, s.job ? 'completed' : 'healthy', s.toleratedFailures, x);
      if (p) x.progress.emit('Service', s.name, s.job ? 'Completed' : 'Running', { detail: describeProgress(p) });
    }),
  );
}
