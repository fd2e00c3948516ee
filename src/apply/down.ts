// `down`: stop and remove the project's containers, then its networks, and with -v its volumes,
// with --rmi its images. Stop order is the reverse of the dependency order, but driven by the
// graph, not by levels: a container stops as soon as everything that depends on it has stopped,
// and it is removed right after, so a long chain costs one stop per link and nothing waits for
// an unrelated slow branch. Pod sandboxes stop after their members.

import PQueue from 'p-queue';
import { isNotFound, type EnginePort } from '../client/engine-port.js';
import { LABEL } from '../observe/labels.js';
import type { ObservedContainer } from '../observe/observe.js';
import { observeProject } from '../observe/observe.js';
import { BerthError } from '../errors.js';
import { serviceReferences } from '../graph/graph.js';
import type { Project } from '../model/project.js';
import type { ProgressTracker } from './progress.js';

export interface DownOptions {
  /** -v: also named volumes of the project and anonymous volumes of its containers. */
  volumes?: boolean;
  /** --rmi all|local. */
  rmi?: 'all' | 'local';
  removeOrphans?: boolean;
  /** -t seconds; default each container's stop_grace_period (its StopTimeout). */
  timeout?: number;
  parallel?: number;
}

export interface DownExecution {
  port: EnginePort;
  progress: ProgressTracker;
}

export class DownError extends BerthError {}

/**
 * Whether a volume is an anonymous one: engines from Docker 23 (and berth's) label it; older ones
 * (dockerd 20.10) only name it with 64 hex digits and give it no compose label.
 */
function isAnonymousVolume(name: string, labels: Record<string, string> | null | undefined): boolean {
  if (labels && 'com.docker.volume.anonymous' in labels) return true;
  return /^[0-9a-f]{64}$/.test(name) && !(labels && LABEL.project in labels);
}

/** Which services (or sandbox groups) each container must wait for before it stops. */
function stopAfter(project: Project | undefined, containers: ObservedContainer[]): Map<string, Set<string>> {
  // key: service label of a container; value: services whose containers must stop first.
  const waitFor = new Map<string, Set<string>>();
  const add = (svc: string, before: string): void => {
    if (svc === before) return;
    (waitFor.get(svc) ?? waitFor.set(svc, new Set()).get(svc)!).add(before);
  };
  if (project) {
    for (const [name, svc] of Object.entries(project.services)) {
      for (const ref of serviceReferences(name, svc)) add(ref.target, name);
    }
  }
  // A sandbox waits for every member of its group.
  for (const c of containers) {
    if (c.placement?.role !== 'sandbox') continue;
    for (const m of containers) if (m.placement?.group === c.placement.group && m.placement.role !== 'sandbox') add(c.service, m.service);
  }
  return waitFor;
}

export async function executeDown(projectName: string, project: Project | undefined, opts: DownOptions, x: DownExecution): Promise<void> {
  const port = x.port;
  const seen = await observeProject(port, projectName);
  const known = (c: ObservedContainer): boolean =>
    !project || c.service in project.services || c.placement?.role === 'sandbox';
  const orphans = seen.containers.filter((c) => !known(c));
  const containers = opts.removeOrphans ? seen.containers : seen.containers.filter(known);
  const queue = new PQueue({ concurrency: opts.parallel && opts.parallel > 0 ? opts.parallel : Infinity });

  const waitFor = stopAfter(project, containers);
  const byService = new Map<string, ObservedContainer[]>();
  for (const c of containers) (byService.get(c.service) ?? byService.set(c.service, []).get(c.service)!).push(c);
  // The chain waits only for stops; each removal runs beside it, off the critical path (removing
  // is slow on some engines: unmounts, endpoint teardown). Networks wait for every removal.
  const stopped = new Map<string, Promise<void>>();
  const removals: Promise<void>[] = [];
  const sandboxes: { c: ObservedContainer; stopError: unknown }[] = [];
  const failures: string[] = [];
  const serviceStopped = (service: string, stack: string[] = []): Promise<void> => {
    const existing = stopped.get(service);
    if (existing) return existing;
    // Cycles cannot come from a validated project; guard anyway so down never hangs.
    const deps = [...(waitFor.get(service) ?? [])].filter((d) => byService.has(d) && !stack.includes(d));
    const p = (async () => {
      await Promise.all(deps.map((d) => serviceStopped(d, [...stack, service]).catch(() => undefined)));
      await Promise.all(
        (byService.get(service) ?? []).map(async (c) => {
          const outcome = await queue.add(() => stop(c));
          if (outcome === undefined || outcome === 'gone') return;
          // A failed stop still goes on to the forced removal, which kills what still runs: down's
          // promise is that the container is gone, and only a failed removal breaks it.
          const stopError = outcome === 'stopped' ? undefined : outcome.error;
          // A pod sandbox goes last: its members name it in their namespace modes.
          if (c.placement?.role === 'sandbox') sandboxes.push({ c, stopError });
          else removals.push(queue.add(() => remove(c, stopError)) as Promise<void>);
        }),
      );
    })();
    stopped.set(service, p);
    return p;
  };
  const fail = (c: ObservedContainer, e: unknown): void => {
    x.progress.emit('Container', c.name, 'Error', { detail: (e as Error).message });
    failures.push((e as Error).message);
  };
  const stop = async (c: ObservedContainer): Promise<'stopped' | 'gone' | { error: unknown }> => {
    try {
      if (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') {
        x.progress.emit('Container', c.name, 'Stopping');
        await port.containers.stop(c.id, opts.timeout !== undefined ? { timeout: opts.timeout } : {});
        x.progress.emit('Container', c.name, 'Stopped');
      }
      return 'stopped';
    } catch (e) {
      if (isNotFound(e)) {
        x.progress.emit('Container', c.name, 'Removed');
        return 'gone';
      }
      return { error: e };
    }
  };
  const remove = async (c: ObservedContainer, stopError?: unknown): Promise<void> => {
    try {
      x.progress.emit('Container', c.name, 'Removing');
      await port.containers.remove(c.id, { force: true, volumes: opts.volumes ?? false });
      x.progress.emit('Container', c.name, 'Removed');
    } catch (e) {
      if (isNotFound(e)) return x.progress.emit('Container', c.name, 'Removed');
      if (stopError !== undefined) fail(c, stopError);
      fail(c, e);
    }
  };
  await Promise.all([...byService.keys()].map((s) => serviceStopped(s)));
  await Promise.all(removals);
  await Promise.all(sandboxes.map(({ c, stopError }) => queue.add(() => remove(c, stopError))));

  // Networks: the project's (by label), except external ones; a network still used by an orphan stays.
  const external = new Set(Object.values(project?.networks ?? {}).filter((n) => n.external).map((n) => n.name));
  await Promise.all(
    seen.networks
      .filter((n) => !external.has(n.name))
      .map((n) =>
        queue.add(async () => {
          x.progress.emit('Network', n.name, 'Removing');
          try {
            await port.networks.remove(n.id);
            x.progress.emit('Network', n.name, 'Removed');
          } catch (e) {
            if (isNotFound(e)) return x.progress.emit('Network', n.name, 'Removed');
            x.progress.emit('Network', n.name, 'Error', { detail: (e as Error).message });
            failures.push((e as Error).message);
          }
        }),
      ),
  );

  if (opts.volumes) {
    // Anonymous volumes a recreate carried over are mounted by name in the new container, so an
    // engine may no longer count them as that container's own: remove them explicitly.
    const labelled = new Set(seen.volumes.map((v) => v.name));
    const carried = [...new Set(containers.flatMap((c) => c.mounts.filter((m) => m.type === 'volume' && m.name && !labelled.has(m.name)).map((m) => m.name!)))];
    await Promise.all(
      carried.map((name) =>
        queue.add(async () => {
          try {
            const v = await port.volumes.inspect(name);
            if (!isAnonymousVolume(v.Name, v.Labels)) return;
            await port.volumes.remove(name);
            x.progress.emit('Volume', name, 'Removed');
          } catch (e) {
            if (!isNotFound(e)) failures.push((e as Error).message);
          }
        }),
      ),
    );
    const externalVolumes = new Set(Object.values(project?.volumes ?? {}).filter((v) => v.external).map((v) => v.name));
    await Promise.all(
      seen.volumes
        .filter((v) => !externalVolumes.has(v.name))
        .map((v) =>
          queue.add(async () => {
            x.progress.emit('Volume', v.name, 'Removing');
            try {
              await port.volumes.remove(v.name);
              x.progress.emit('Volume', v.name, 'Removed');
            } catch (e) {
              if (isNotFound(e)) return x.progress.emit('Volume', v.name, 'Removed');
              x.progress.emit('Volume', v.name, 'Error', { detail: (e as Error).message });
              failures.push((e as Error).message);
            }
          }),
        ),
    );
  }

  if (opts.rmi) {
    const images = new Set<string>();
    for (const [name, svc] of Object.entries(project?.services ?? {})) {
      if (opts.rmi === 'all' && svc.image) images.add(svc.image);
      if (!svc.image) images.add(`${projectName}-${name}`);
    }
    if (!project) for (const c of containers) if (opts.rmi === 'all') images.add(c.image);
    await Promise.all(
      [...images].sort().map((ref) =>
        queue.add(async () => {
          try {
            await port.images.remove(ref);
            x.progress.emit('Image', ref, 'Removed');
          } catch (e) {
            if (isNotFound(e)) return;
            x.progress.emit('Image', ref, 'Error', { detail: (e as Error).message });
            failures.push((e as Error).message);
          }
        }),
      ),
    );
  }

  if (orphans.length && !opts.removeOrphans) {
    x.progress.emit('Container', orphans.map((o) => o.name).join(', '), 'Skipped', { detail: 'orphans kept; use --remove-orphans' });
  }
  if (failures.length) throw new DownError(`down did not finish:\n${failures.map((f) => `  ${f}`).join('\n')}`);
}
