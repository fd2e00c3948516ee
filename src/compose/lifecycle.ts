// The lifecycle verbs on a project's existing containers: start, stop, restart, kill, rm, pause,
// unpause, wait. Containers are found by their compose labels (observe.ts), so these work on
// stacks made by `docker compose` too. Order follows the dependency graph when the project model
// is known: start by start levels, stop by stop levels (dependents first); each level in parallel.
// Progress lines go through ProgressTracker, worded like Compose v2's ("Container x  Stopping").

import type { EnginePort } from '../client/engine-port.js';
import { isNotFound, isNotModified } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import { buildGraph } from '../graph/graph.js';
import type { Project } from '../model/project.js';
import { parseDuration } from '../loader/durations.js';
import type { ProgressTracker } from '../apply/progress.js';
import { observeContainers, type ObservedContainer } from '../observe/observe.js';

/** The project a command acts on: its name always, its model when the compose files could be read. */
export interface ProjectTarget {
  port: EnginePort;
  name: string;
  model?: Project;
}

export class NoSuchServiceError extends BerthError {
  constructor(readonly service: string) {
    super(`no such service: ${service}`);
  }
}

export class NoContainerError extends BerthError {}

/** Fails on a service the model does not have (compose: "no such service: x"). */
export function checkServices(target: ProjectTarget, services: readonly string[]): void {
  if (!target.model) return;
  for (const s of services) if (!(s in target.model.services)) throw new NoSuchServiceError(s);
}

export interface SelectOptions {
  /** `--index`: only the container with this number. */
  index?: number;
  /** Include one-off `run` containers. */
  oneoff?: boolean;
}

/** The project's containers of these services (all services when empty). */
export async function containersOf(target: ProjectTarget, services: readonly string[], options: SelectOptions = {}): Promise<ObservedContainer[]> {
  checkServices(target, services);
  const all = await observeContainers(target.port, target.name, { oneoff: options.oneoff ?? false });
  return all.filter((c) => (services.length === 0 || services.includes(c.service)) && (options.index === undefined || c.number === options.index));
}

/**
 * Containers grouped in dependency order: start order (dependencies first) or stop order. Without
 * a model, or for services the graph does not know (removed from the files), one group at the end.
 */
export function ordered(target: ProjectTarget, containers: ObservedContainer[], direction: 'start' | 'stop'): ObservedContainer[][] {
  if (!target.model) return containers.length > 0 ? [containers] : [];
  const graph = buildGraph(target.model);
  const levels = (direction === 'start' ? graph.startLevels() : graph.stopLevels()).map((level) =>
    level.filter((n) => n.startsWith('service:')).map((n) => n.slice('service:'.length)),
  );
  const placed = new Set<string>();
  const groups: ObservedContainer[][] = [];
  for (const level of levels) {
    const group = containers.filter((c) => level.includes(c.service));
    for (const c of group) placed.add(c.id);
    if (group.length > 0) groups.push(group);
  }
  const rest = containers.filter((c) => !placed.has(c.id));
  if (rest.length > 0) groups.push(rest);
  return groups;
}

async function eachLevel(groups: ObservedContainer[][], fn: (c: ObservedContainer) => Promise<void>): Promise<void> {
  for (const group of groups) {
    const results = await Promise.allSettled(group.map(fn));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Seconds before SIGKILL: -t, else the service's stop_grace_period, else the engine's default. */
function stopTimeout(target: ProjectTarget, c: ObservedContainer, timeout: number | undefined): number | undefined {
  if (timeout !== undefined) return timeout;
  const grace = target.model?.services[c.service]?.stop_grace_period;
  return grace ? Math.ceil(Number(parseDuration(grace)) / 1e9) : undefined;
}

export interface LifecycleContext {
  target: ProjectTarget;
  progress: ProgressTracker;
}

export async function startContainers(x: LifecycleContext, services: readonly string[]): Promise<void> {
  const containers = (await containersOf(x.target, services)).filter((c) => c.state !== 'running' && c.state !== 'paused');
  if (services.length > 0 && containers.length === 0 && (await containersOf(x.target, services)).length === 0) {
    throw new NoContainerError(`service "${services[0]}" has no container to start`);
  }
  await eachLevel(ordered(x.target, containers, 'start'), async (c) => {
    x.progress.emit('Container', c.name, 'Starting');
    await x.target.port.containers.start(c.id);
    x.progress.emit('Container', c.name, 'Started');
  });
}

export async function stopContainers(x: LifecycleContext, services: readonly string[], timeout?: number, options: { oneoff?: boolean } = {}): Promise<void> {
  const containers = (await containersOf(x.target, services, { oneoff: options.oneoff ?? false })).filter((c) => c.state === 'running' || c.state === 'paused' || c.state === 'restarting');
  await eachLevel(ordered(x.target, containers, 'stop'), async (c) => {
    x.progress.emit('Container', c.name, 'Stopping');
    const t = stopTimeout(x.target, c, timeout);
    await x.target.port.containers.stop(c.id, t === undefined ? {} : { timeout: t });
    x.progress.emit('Container', c.name, 'Stopped');
  });
}

export async function restartContainers(x: LifecycleContext, services: readonly string[], timeout?: number, noDeps = false): Promise<void> {
  let names = [...services];
  // compose restarts what depends on a restarted service too, unless --no-deps.
  if (!noDeps && x.target.model && names.length > 0) {
    const graph = buildGraph(x.target.model);
    names = [...new Set([...names, ...names.flatMap((s) => graph.dependentsOf(s))])];
  }
  const containers = await containersOf(x.target, names);
  await eachLevel(ordered(x.target, containers, 'start'), async (c) => {
    x.progress.emit('Container', c.name, 'Restarting');
    const t = stopTimeout(x.target, c, timeout);
    await x.target.port.containers.restart(c.id, t === undefined ? {} : { timeout: t });
    x.progress.emit('Container', c.name, 'Started');
  });
}

/**
 * `kill`: with the model known, only containers of its services — unless `orphans` (compose's
 * `kill --remove-orphans`), which signals those of services no longer in the files too.
 */
export async function killContainers(x: LifecycleContext, services: readonly string[], signal = 'SIGKILL', options: { orphans?: boolean } = {}): Promise<void> {
  const model = x.target.model;
  const containers = (await containersOf(x.target, services)).filter(
    (c) => (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') && (options.orphans || !model || c.service in model.services),
  );
  if (containers.length === 0) throw new NoContainerError('no container to kill');
  await eachLevel([containers], async (c) => {
    x.progress.emit('Container', c.name, 'Killing');
    await x.target.port.containers.kill(c.id, signal);
    x.progress.emit('Container', c.name, 'Killed');
  });
}

export interface RemoveOptions {
  force: boolean;
  stop: boolean;
  volumes: boolean;
  /** Asked when not forced: resolves true to go on. */
  confirm: (names: string[]) => Promise<boolean>;
}

/** `rm`: stopped containers only, unless -s stops the running ones first. Returns what was removed. */
export async function removeContainers(x: LifecycleContext, services: readonly string[], o: RemoveOptions): Promise<string[]> {
  // rm takes one-off (`run`) containers too, so -s stops them as well.
  if (o.stop) await stopContainers(x, services, undefined, { oneoff: true });
  const containers = (await containersOf(x.target, services, { oneoff: true })).filter((c) => c.state !== 'running' && c.state !== 'paused' && c.state !== 'restarting');
  if (containers.length === 0) return [];
  if (!o.force && !(await o.confirm(containers.map((c) => c.name)))) return [];
  await eachLevel([containers], async (c) => {
    x.progress.emit('Container', c.name, 'Removing');
    try {
      await x.target.port.containers.remove(c.id, { force: true, volumes: o.volumes });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    x.progress.emit('Container', c.name, 'Removed');
  });
  return containers.map((c) => c.name);
}

export async function pauseContainers(x: LifecycleContext, services: readonly string[], pause: boolean): Promise<void> {
  const containers = (await containersOf(x.target, services)).filter((c) => (pause ? c.state === 'running' : c.state === 'paused'));
  await eachLevel([containers], async (c) => {
    x.progress.emit('Container', c.name, pause ? 'Pausing' : 'Unpausing');
    try {
      if (pause) await x.target.port.containers.pause(c.id);
      else await x.target.port.containers.unpause(c.id);
    } catch (e) {
      if (!isNotModified(e)) throw e;
    }
    x.progress.emit('Container', c.name, pause ? 'Paused' : 'Unpaused');
  });
}

/**
 * `wait`: blocks until the services' containers stop; the exit code is the first one to stop's,
 * as `docker compose wait` returns it.
 */
export async function waitContainers(target: ProjectTarget, services: readonly string[], signal?: AbortSignal): Promise<number> {
  const containers = await containersOf(target, services);
  if (containers.length === 0) throw new NoContainerError('no containers for the given services');
  const first = await Promise.race(containers.map((c) => target.port.containers.wait(c.id, 'not-running', signal)));
  return first.StatusCode;
}
