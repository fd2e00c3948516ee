// Executes an up Plan: one engine call per step, in dependency order, as parallel as the graph
// allows. Networks and volumes first (all at once), removals of orphans next, then every unit as
// soon as its dependencies meet their conditions (started / healthy / completed successfully) —
// not level by level, so a slow branch does not hold up an unrelated one. Engine calls go through
// one queue whose concurrency is --parallel / COMPOSE_PARALLEL_LIMIT; waiting on a dependency
// holds no queue slot.
//
// Interrupted (signal, error) anywhere, the engine is left with whole containers only: a recreate
// stops and removes the old container before creating the new one under the same name, so the
// next `up` sees either the old one (recreate again) or none (create).

import PQueue from 'p-queue';
import type { ContainerCreateBody, EnginePort } from '../client/engine-port.js';
import { EnginePortError, isConflict, isForbidden, isNotFound } from '../client/engine-port.js';
import { LABEL } from '../observe/labels.js';
import { BerthError, ComposeError } from '../errors.js';
import { groupLaunchBody } from '../plan/group-launch.js';
import type { ContainerStep, Plan, PlanUnit } from '../plan/plan.js';
import { ContainerWatch, DependencyFailedError } from './container-watch.js';
import type { ProgressTracker } from './progress.js';

export interface UpExecution {
  port: EnginePort;
  progress: ProgressTracker;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Engine calls at once; default unlimited (Infinity). */
  parallel?: number;
  /** --no-start: create only. */
  noStart?: boolean;
  /** Seconds to wait for the old container to stop in a recreate (-t); default its own stop_grace_period. */
  stopTimeout?: number;
  signal?: AbortSignal;
}

export interface UpResult {
  /** Unit id → ids of its containers after the run. */
  containers: Map<string, string[]>;
  /** Container id → name, for everything this project has running after the run. */
  names: Map<string, string>;
}

export class ApplyError extends BerthError {}

/** Runs the plan. The returned watch stays open for `--wait`; close it when done. */
export async function executeUp(plan: Plan, x: UpExecution): Promise<UpResult & { watch: ContainerWatch }> {
  const queue = new PQueue({ concurrency: x.parallel && x.parallel > 0 ? x.parallel : Infinity });
  const port = x.port;
  const watch = new ContainerWatch(port, plan.project, Math.floor(x.now() / 1000) - 1);
  const result: UpResult = { containers: new Map(), names: new Map() };
  const onQueue = <T>(fn: () => Promise<T>): Promise<T> => queue.add(fn, { throwOnTimeout: true }) as Promise<T>;
  const checkAbort = (): void => {
    if (x.signal?.aborted) throw new ApplyError('interrupted');
  };

  try {
    await Promise.all([
      ...plan.networks.filter((n) => n.action === 'create').map((n) =>
        onQueue(async () => {
          checkAbort();
          x.progress.emit('Network', n.name, 'Creating');
          try {
            await port.networks.create(n.body!);
          } catch (e) {
            // Another `up` of the same project made it meanwhile: made as wanted is a success.
            if (!isConflict(e) || !(await madeAsWanted(() => port.networks.inspect(n.name), n.body!.Labels))) throw e;
          }
          await removeDuplicateNetworks(port, n.name, n.body!.Labels);
          x.progress.emit('Network', n.name, 'Created');
        }),
      ),
      ...plan.volumes.filter((v) => v.action === 'create').map((v) =>
        onQueue(async () => {
          checkAbort();
          x.progress.emit('Volume', v.name, 'Creating');
          await port.volumes.create(v.body!);
          x.progress.emit('Volume', v.name, 'Created');
        }),
      ),
      ...plan.removals.map((r) => onQueue(() => removeContainer(port, r, x))),
    ]);

    // New containers of units that need nothing of another container at create time are created
    // (and connected) right away, all at once; only their start waits for the dependencies. A
    // cold start of a chain then costs one create round plus one start per link.
    const eager = new Map<ContainerStep, Promise<string>>();
    if (!x.signal?.aborted) {
      for (const unit of plan.units) {
        if (unit.dependsOn.some((d) => d.atCreate)) continue;
        for (const step of unit.steps) {
          if (step.action !== 'create') continue;
          const p = onQueue(() => createContainer(port, step, x, result.names));
          p.catch(() => undefined);
          eager.set(step, p);
        }
      }
    }

    // Each unit starts when its dependencies are ready. `ready` settles per unit once its
    // containers are started (the weakest condition); stronger conditions wait on the watch.
    const started = new Map<string, Promise<string[]>>();
    const units = new Map(plan.units.map((u) => [u.id, u]));
    const runUnit = async (unit: PlanUnit): Promise<string[]> => {
      for (const dep of unit.dependsOn) {
        const depStarted = started.get(dep.unit);
        if (!depStarted) continue; // not part of this run (--no-deps, or not selected)
        try {
          const ids = await depStarted;
          await waitCondition(watch, units.get(dep.unit)!, ids, dep.condition, x, result.names);
        } catch (e) {
          if (!dep.required) {
            x.progress.emit('Container', unit.service, 'Waiting', { detail: `optional dependency ${dep.unit} failed: ${(e as Error).message}` });
            continue;
          }
          throw e instanceof DependencyFailedError ? new ApplyError(`dependency failed to start: ${e.message}`) : e;
        }
      }
      checkAbort();
      const ids = await Promise.all(unit.steps.map((s) => onQueue(() => runStep(port, s, x, result.names, eager.get(s)))));
      return ids.filter((id): id is string => id !== undefined);
    };
    // Create the promises in start order so every dependency's promise exists before its dependents look.
    for (const unit of plan.units) {
      const p = runUnit(unit);
      p.catch(() => undefined);
      started.set(unit.id, p);
    }
    const outcomes = await Promise.allSettled(plan.units.map((u) => started.get(u.id)!));
    const failures: string[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') result.containers.set(plan.units[i].id, o.value);
      else failures.push((o.reason as Error).message ?? String(o.reason));
    });
    if (failures.length) throw new ApplyError([...new Set(failures)].join('\n'));
    return { ...result, watch };
  } catch (e) {
    await watch.close();
    throw e;
  }
}

async function waitCondition(
  watch: ContainerWatch,
  unit: PlanUnit,
  ids: string[],
  condition: string,
  x: UpExecution,
  names: Map<string, string>,
): Promise<void> {
  if (condition === 'service_started') return;
  await Promise.all(
    ids.map(async (id) => {
      const name = names.get(id) ?? id.slice(0, 12);
      if (condition === 'service_healthy') {
        x.progress.emit('Container', name, 'Waiting');
        await watch.healthy(id, name, x.signal);
        x.progress.emit('Container', name, 'Healthy');
      } else if (condition === 'service_completed_successfully') {
        x.progress.emit('Container', name, 'Waiting');
        const code = await watch.exited(id, x.signal);
        x.progress.emit('Container', name, 'Exited', { detail: `exit code ${code}` });
        if (code !== 0) throw new DependencyFailedError(`service "${unit.service}" didn't complete successfully: exit ${code}`);
      }
    }),
  );
}

/** The labels that say which project object a compose object is, and which configuration it has. */
const OWNER_LABELS = [LABEL.project, LABEL.service, LABEL.containerNumber, LABEL.oneoff, LABEL.configHash, LABEL.network, LABEL.volume];

/** Whether `theirs` is the object `wanted` describes, by its compose labels. */
function sameOwner(theirs: Record<string, string> | null | undefined, wanted: Record<string, string> | undefined): boolean {
  if (!theirs || !wanted) return false;
  return OWNER_LABELS.every((k) => theirs[k] === wanted[k]);
}

/**
 * dockerd (20.10) checks a network name's uniqueness without a lock, so concurrent ups of one
 * project can make one network each. Every up then keeps the same one — the oldest, ties by id —
 * and removes its own extra; containers are made on the survivor.
 */
async function removeDuplicateNetworks(port: EnginePort, name: string, labels: Record<string, string> | undefined): Promise<void> {
  const same = (await port.networks.list({ name: [name] })).filter((n) => n.Name === name && sameOwner(n.Labels, labels));
  if (same.length < 2) return;
  const [, ...extra] = same.sort((a, b) => Date.parse(a.Created ?? '') - Date.parse(b.Created ?? '') || (a.Id < b.Id ? -1 : 1));
  for (const n of extra) {
    await port.networks.remove(n.Id).catch((e: unknown) => {
      // Gone already (its own up removed it), or in use (403, "has active endpoints"): another up got there first.
      if (!isNotFound(e) && !isForbidden(e)) throw e;
    });
  }
}

/** Retries a call that failed on a network name with duplicates, while removeDuplicateNetworks settles them. */
async function whileAmbiguous<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (attempt >= 40 || !(e instanceof EnginePortError && /is ambiguous/.test(e.engineMessage))) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A container another client is creating: dockerd reserves the name before the container exists, so a moment passes before it can be inspected. */
async function inspectWhenCreated(port: EnginePort, name: string): Promise<Awaited<ReturnType<EnginePort['containers']['inspect']>> | undefined> {
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      return await port.containers.inspect(name);
    } catch (e) {
      if (!isNotFound(e)) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return undefined;
}

async function madeAsWanted(inspect: () => Promise<{ Labels?: Record<string, string> | null }>, wanted: Record<string, string> | undefined): Promise<boolean> {
  const theirs = await inspect().catch(() => undefined);
  return theirs !== undefined && sameOwner(theirs.Labels, wanted);
}

async function removeContainer(port: EnginePort, step: ContainerStep, x: UpExecution): Promise<void> {
  const c = step.existing!;
  x.progress.emit('Container', c.name, 'Stopping');
  try {
    if (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') await port.containers.stop(c.id, x.stopTimeout !== undefined ? { timeout: x.stopTimeout } : {});
  } catch (e) {
    // Gone already (a concurrent up or down removed it): what this step wanted.
    if (!isNotFound(e)) throw e;
  }
  x.progress.emit('Container', c.name, 'Removing');
  try {
    await port.containers.remove(c.id, { force: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  x.progress.emit('Container', c.name, 'Removed');
}

/**
 * A single group's container runs every member from its own command. The image is read here, once it
 * was pulled or built: the main member may take its command and user from it.
 */
async function singleGroupBody(port: EnginePort, step: ContainerStep): Promise<ContainerCreateBody> {
  const body = step.spec!.body;
  const image = await port.images.inspect(String(body.Image));
  return groupLaunchBody({ group: body.Labels?.[LABEL.placementGroup] ?? step.service, body, members: step.supervised!, image: image.Config ?? {} });
}

/** Creates a step's new container and connects its other networks; returns its id. */
async function createContainer(port: EnginePort, step: ContainerStep, x: UpExecution, names: Map<string, string>): Promise<string> {
  const spec = step.spec!;
  if (step.action === 'create') x.progress.emit('Container', step.name, 'Creating');
  // Where the engine takes them, all networks come with the create: one call, and berth's engine
  // prepares the run with its whole sandbox at once.
  const all = port.createsWithAllNetworks === true && spec.networks.length > 1;
  const own = step.supervised?.length ? await singleGroupBody(port, step) : spec.body;
  const body = all ? { ...own, NetworkingConfig: { EndpointsConfig: Object.fromEntries(spec.networks.map((n) => [n.name, n.endpoint])) } } : own;
  let Id: string;
  try {
    ({ Id } = await whileAmbiguous(() => port.containers.create(spec.name, body)));
  } catch (e) {
    // Another `up` of the same project created this very container (same name, same config hash)
    // meanwhile: it stands for this step too, connected and started as that up does it.
    if (!isConflict(e)) throw e;
    const theirs = await inspectWhenCreated(port, spec.name);
    if (!theirs || !sameOwner(theirs.Config?.Labels, spec.body.Labels)) throw e;
    names.set(theirs.Id, spec.name);
    x.progress.emit('Container', step.name, step.action === 'recreate' ? 'Recreated' : 'Created', { detail: 'by a concurrent up' });
    return theirs.Id;
  }
  names.set(Id, spec.name);
  if (!all) for (const extra of spec.networks.slice(1)) await port.networks.connect(extra.name, Id, extra.endpoint);
  x.progress.emit('Container', step.name, step.action === 'recreate' ? 'Recreated' : 'Created');
  return Id;
}

/** One container step; returns the id of the container that now stands for it. */
async function runStep(port: EnginePort, step: ContainerStep, x: UpExecution, names: Map<string, string>, created?: Promise<string>): Promise<string | undefined> {
  if (x.signal?.aborted) throw new ApplyError('interrupted');
  switch (step.action) {
    case 'noop':
      names.set(step.existing!.id, step.name);
      x.progress.emit('Container', step.name, 'Running');
      return step.existing!.id;
    case 'remove':
      await removeContainer(port, step, x);
      return undefined;
    case 'start':
      names.set(step.existing!.id, step.name);
      if (x.noStart) return step.existing!.id;
      x.progress.emit('Container', step.name, 'Starting');
      await startContainer(port, step, step.existing!.id);
      x.progress.emit('Container', step.name, 'Started');
      return step.existing!.id;
    case 'restart':
      names.set(step.existing!.id, step.name);
      if (x.noStart) return step.existing!.id;
      x.progress.emit('Container', step.name, 'Restarting');
      await port.containers.restart(step.existing!.id, x.stopTimeout !== undefined ? { timeout: x.stopTimeout } : {});
      x.progress.emit('Container', step.name, 'Started');
      return step.existing!.id;
    case 'create':
    case 'recreate': {
      if (step.action === 'recreate') {
        const old = step.existing!;
        x.progress.emit('Container', step.name, 'Recreate');
        if (old.state === 'running' || old.state === 'paused' || old.state === 'restarting') await port.containers.stop(old.id, x.stopTimeout !== undefined ? { timeout: x.stopTimeout } : {});
        // Anonymous volumes stay (volumes: false): the new container mounts them again.
        await port.containers.remove(old.id, { force: true, volumes: false });
      }
      const Id = await (created ?? createContainer(port, step, x, names));
      if (x.noStart) return Id;
      x.progress.emit('Container', step.name, 'Starting');
      await startContainer(port, step, Id);
      x.progress.emit('Container', step.name, 'Started');
      return Id;
    }
  }
}

/**
 * Starts a container, naming it (not its id) when the engine refuses. A host port something else
 * holds is the commonest refusal a newcomer meets: it is located at the service's `ports` and
 * says what to do.
 */
async function startContainer(port: EnginePort, step: ContainerStep, id: string): Promise<void> {
  try {
    await whileAmbiguous(() => port.containers.start(id));
  } catch (e) {
    if (!(e instanceof EnginePortError)) throw e;
    if (/port is already allocated|address already in use/i.test(e.engineMessage)) {
      throw new ComposeError(`container ${step.name} cannot start: ${e.engineMessage.replace(/^driver failed programming external connectivity[^:]*: /, '')}`, {
        location: { path: ['services', step.service, 'ports'] },
        hint: 'free that host port, or publish the service on another one',
        cause: e,
      });
    }
    throw new ApplyError(`container ${step.name} cannot start: ${e.engineMessage}${e.status ? ` (engine answered ${e.status})` : ''}`, { cause: e });
  }
}
