// `down` on Swarm: the stack's services in reverse dependency order — a service goes once every
// task of every service that depends on it has stopped — then, once the manager has forgotten all
// their tasks (their containers removed on the nodes), the stack's networks, configs and secrets, and
// with -v its volumes on every node berth can reach. Found by the stack label alone, so `down -p
// NAME` works without the files: the order comes from the depends_on label berth writes.
//
// The manager forgets a task before its node has removed the container, and dockerd 20.10 never
// forgets the tasks of a removed job (moby#44312, fixed in Moby 24): their containers stay on the
// nodes. So where berth can reach the nodes' own engines (a lab's, or BERTH_SWARM_NODES) it waits
// until no container of the stack is left on them, removing the finished jobs' itself.
//
// Volumes: Swarm (API 1.41) has no cluster-wide volume call; each node made its own when a task
// mounted it. berth removes them through the nodes' engines it is given and names the rest, with
// the nodes that ran tasks, instead of pretending.
import { isConflict, isNotFound, type ContainerPort, type VolumePort } from '../client/engine-port.js';
import type { ServiceInfo } from '../client/swarm-api.js';
import type { SwarmPort } from '../client/swarm-port.js';
import type { ProgressTracker } from '../apply/progress.js';
import { LABEL } from '../observe/labels.js';
import type { StackMonitor } from './monitor.js';
import { inNamespace, namespaceFilter, nodeNames } from './stack-state.js';

/** A node's own engine, for what Swarm does not manage cluster-wide (volumes). */
export interface NodeEngine {
  hostname: string;
  containers: Pick<ContainerPort, 'list' | 'remove'>;
  volumes: Pick<VolumePort, 'list' | 'remove'>;
}

export interface StackDownContext {
  port: SwarmPort;
  monitor: StackMonitor;
  progress: ProgressTracker;
  nodes?: readonly NodeEngine[];
  warn?: (text: string) => void;
}

export interface StackDownOptions {
  volumes?: boolean;
  /** How long to wait for a service's tasks (and, on reachable nodes, its containers) to be gone (default 90 s). */
  taskTimeoutMs?: number;
  /** Between two looks at the nodes' containers (default 250 ms). */
  pollMs?: number;
}

export interface StackDownResult {
  services: string[];
  /** Volumes left on nodes berth could not reach, with those nodes. */
  volumesLeft: { name: string; nodes: string[] }[];
}

/** Swarm service keys (the compose service, or a single group) a service's depends_on label names. */
function dependencyKeys(s: ServiceInfo): string[] {
  return (s.Spec.Labels?.[LABEL.dependsOn] ?? '').split(',').filter(Boolean).map((e) => e.split(':')[0]);
}

export async function executeStackDown(namespace: string, x: StackDownContext, opts: StackDownOptions = {}): Promise<StackDownResult> {
  const filter = namespaceFilter(namespace);
  const [services, tasks, nodes] = await Promise.all([x.port.services.list(filter), x.port.tasks.list(filter), x.port.nodes.list()]);
  const names = nodeNames(nodes);
  const ranOn = [...new Set(tasks.map((t) => (t.NodeID ? names.get(t.NodeID)?.hostname : undefined)).filter((h): h is string => h !== undefined))].sort();
  const keyOf = (s: ServiceInfo): string => s.Spec.Labels?.[LABEL.placementGroup] && s.Spec.Labels?.[LABEL.placementMode] === 'single' ? s.Spec.Labels[LABEL.placementGroup] : s.Spec.Labels?.[LABEL.service] ?? s.Spec.Name;
  const remaining = new Map(services.map((s) => [keyOf(s), s]));
  const removed: string[] = [];
  const nodeDown = (id: string): boolean => names.get(id)?.state !== 'ready';

  while (remaining.size > 0) {
    // Those nothing remaining depends on; a cycle (labels edited by hand) falls back to all at once.
    const needed = new Set([...remaining.values()].flatMap(dependencyKeys));
    let wave = [...remaining.entries()].filter(([k]) => !needed.has(k));
    if (wave.length === 0) wave = [...remaining.entries()];
    await Promise.all(
      wave.map(async ([key, s]) => {
        remaining.delete(key);
        x.progress.emit('Service', s.Spec.Name, 'Removing');
        await x.port.services.remove(s.ID).catch((e: unknown) => {
          if ((e as { status?: number }).status !== 404) throw e;
        });
        // Its dependencies go once its tasks stopped; their removal from the nodes is waited for below, all at once.
        await tasksSettled(s, x, opts.taskTimeoutMs ?? 90_000, nodeDown, 'stopped');
        x.progress.emit('Service', s.Spec.Name, 'Stopped');
        removed.push(s.Spec.Name);
      }),
    );
  }
  // A job's tasks are never reaped on dockerd 20.10: nothing to wait for (their containers go below).
  await Promise.all(
    services.map(async (s) => {
      if (!s.Spec.Mode.ReplicatedJob && !s.Spec.Mode.GlobalJob) await tasksSettled(s, x, opts.taskTimeoutMs ?? 90_000, nodeDown, 'removed');
      x.progress.emit('Service', s.Spec.Name, 'Removed');
    }),
  );

  const [networks, configs, secrets] = await Promise.all([x.port.networks.list(filter), x.port.configs.list(filter), x.port.secrets.list(filter)]);
  await Promise.all([
    ...networks.filter((n) => inNamespace(n.Labels, namespace)).map(async (n) => {
      x.progress.emit('Network', n.Name, 'Removing');
      await x.port.networks.remove(n.Id);
      x.progress.emit('Network', n.Name, 'Removed');
    }),
    ...configs.filter((c) => inNamespace(c.Spec.Labels, namespace)).map(async (c) => {
      x.progress.emit('Config', c.Spec.Name, 'Removing');
      await x.port.configs.remove(c.ID);
      x.progress.emit('Config', c.Spec.Name, 'Removed');
    }),
    ...secrets.filter((c) => inNamespace(c.Spec.Labels, namespace)).map(async (c) => {
      x.progress.emit('Secret', c.Spec.Name, 'Removing');
      await x.port.secrets.remove(c.ID);
      x.progress.emit('Secret', c.Spec.Name, 'Removed');
    }),
  ]);

  const reachable = new Set((x.nodes ?? []).map((n) => n.hostname));
  const jobs = new Set(services.filter((s) => s.Spec.Mode.ReplicatedJob || s.Spec.Mode.GlobalJob).map((s) => s.ID));
  const jobContainers = new Set(tasks.filter((t) => jobs.has(t.ServiceID)).map((t) => t.Status.ContainerStatus?.ContainerID).filter((c): c is string => c !== undefined));
  await Promise.all((x.nodes ?? []).map((n) => containersGone(n, namespace, jobContainers, x, opts)));
  const leakedJobs = tasks.filter((t) => jobs.has(t.ServiceID) && !(t.NodeID && reachable.has(names.get(t.NodeID)?.hostname ?? '')));
  if (leakedJobs.length) {
    x.warn?.(`the manager keeps the finished tasks of removed jobs (${[...new Set(leakedJobs.map((t) => services.find((s) => s.ID === t.ServiceID)!.Spec.Name))].sort().join(', ')}) and their containers stay on ${[...new Set(leakedJobs.map((t) => names.get(t.NodeID ?? '')?.hostname ?? '?'))].sort().join(', ')}: a dockerd 20.10 bug (moby#44312, fixed in Moby 24); remove the containers there (docker container prune), or name the nodes' engines in BERTH_SWARM_NODES`);
  }

  const volumesLeft: StackDownResult['volumesLeft'] = [];
  if (opts.volumes) {
    for (const node of x.nodes ?? []) {
      const vols = await node.volumes.list(filter).catch((e: unknown) => {
        if ((e as { status?: number }).status !== 0) throw e;
        x.warn?.(`${node.hostname}'s engine does not answer: its volumes of ${namespace} stay`);
        return [];
      });
      for (const v of vols) {
        x.progress.emit('Volume', `${v.Name}@${node.hostname}`, 'Removing');
        await node.volumes.remove(v.Name);
        x.progress.emit('Volume', `${v.Name}@${node.hostname}`, 'Removed');
      }
    }
    const unreached = ranOn.filter((h) => !reachable.has(h));
    if (unreached.length) {
      const mounted = [...new Set(services.flatMap((s) => (s.Spec.TaskTemplate.ContainerSpec.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Source).map((m) => m.Source!)))].sort();
      for (const name of mounted) volumesLeft.push({ name, nodes: unreached });
      if (mounted.length) {
        x.warn?.(`volumes ${mounted.join(', ')} stay on ${unreached.join(', ')}: Swarm has no cluster-wide volume call and berth cannot reach those nodes' engines; remove them there (docker volume rm ${mounted.join(' ')}), or name the nodes' engines in BERTH_SWARM_NODES=host=DOCKER_HOST,…`);
      }
    }
  }
  return { services: removed.sort(), volumesLeft };
}

/**
 * Until the node runs no container of the stack: the finished jobs' are removed here (nothing else
 * removes them on dockerd 20.10), the others are waited for — their node is removing them.
 */
async function containersGone(node: NodeEngine, namespace: string, jobContainers: ReadonlySet<string>, x: StackDownContext, opts: StackDownOptions): Promise<void> {
  const deadline = Date.now() + (opts.taskTimeoutMs ?? 90_000);
  for (;;) {
    let left;
    try {
      left = await node.containers.list({ all: true, filters: { label: [`${LABEL.stackNamespace}=${namespace}`] } });
    } catch (e) {
      if ((e as { status?: number }).status !== 0) throw e;
      x.warn?.(`${node.hostname}'s engine does not answer (${(e as Error).message}); what the stack left there stays until it is back`);
      return;
    }
    if (left.length === 0) return;
    for (const c of left.filter((c) => jobContainers.has(c.Id) || c.State === 'exited' || c.State === 'created' || c.State === 'dead')) {
      await node.containers.remove(c.Id, { force: true, volumes: true }).catch((e: unknown) => {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      });
    }
    if (Date.now() > deadline) {
      x.warn?.(`${node.hostname} still has ${left.length} container(s) of ${namespace} after ${(opts.taskTimeoutMs ?? 90_000) / 1000}s (${left.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).join(', ')}); going on`);
      return;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}

/** Task states of a task that may still run a process. */
const ALIVE = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);

/**
 * Until every task of the removed service has stopped (its dependents are down: its dependencies
 * may go), or until the manager lists none any more (every container removed on its node). Tasks on
 * a node that is down are not waited for: that node removes them when it is back.
 */
async function tasksSettled(s: ServiceInfo, x: StackDownContext, timeoutMs: number, nodeDown: (id: string) => boolean, until: 'stopped' | 'removed'): Promise<void> {
  const waiting = (t: { ServiceID: string; NodeID?: string; Status: { State: string } }): boolean => t.ServiceID === s.ID && !(t.NodeID && nodeDown(t.NodeID)) && (until === 'removed' || ALIVE.has(t.Status.State));
  try {
    await x.monitor.until((snap) => (snap.tasks.some(waiting) ? undefined : true), { timeoutMs, describe: () => `the tasks of ${s.Spec.Name} to be ${until}` });
  } catch (e) {
    x.warn?.(`${(e as Error).message}; going on`);
  }
}
