// What `ps`, `ls` and `logs` show of Swarm stacks, as data (src/cli/format-swarm.ts prints it):
// a stack's tasks with their node (and whether that node is up), desired and current state and
// error; every stack on the Swarm with its services and tasks; the services' logs merged, each line
// prefixed with the task (`api.2@node3`).
import type { ServiceInfo, TaskInfo } from '../client/swarm-api.js';
import type { SwarmPort } from '../client/swarm-port.js';
import { UsageError } from '../errors.js';
import { LABEL } from '../observe/labels.js';
import { namespaceFilter, nodeNames } from './stack-state.js';

export interface TaskRow {
  id: string;
  /** `<service>.<slot>`, or `<service>.<node id>` for a global service's task. */
  name: string;
  /** The Swarm service and the Compose service (or group) it runs. */
  swarmService: string;
  service: string;
  image: string;
  node: string;
  /** ready, down, unknown…: a task on a node that is down is only as current as the node's last word. */
  nodeState: string;
  desiredState: string;
  state: string;
  /** When the task reached its state (ms since the epoch). */
  since: number;
  error: string;
  ports: string;
  slot?: number;
  group: string;
  mode: string;
  containerId?: string;
}

export interface TaskListOptions {
  /** Also tasks no longer wanted (shut down, replaced): the history. */
  all?: boolean;
  /** Compose service names (or a single group's name); empty: all. */
  services?: readonly string[];
  /** Only tasks in these states (running, complete, failed…). */
  states?: readonly string[];
}

const CURRENT = new Set(['running', 'ready', 'complete', 'accepted']);

/** The Compose service a Swarm service runs, or its `single` group's name. */
function keyOf(s: ServiceInfo): string {
  return (s.Spec.Labels?.[LABEL.placementMode] === 'single' ? s.Spec.Labels[LABEL.placementGroup] : undefined) ?? s.Spec.Labels?.[LABEL.service] ?? s.Spec.Name;
}

/** Whether a Swarm service runs the named Compose service (itself, or as a member of its single group). */
function runs(s: ServiceInfo, name: string): boolean {
  return keyOf(s) === name || s.Spec.Labels?.[LABEL.service] === name || (s.Spec.Labels?.[LABEL.placementMembers]?.split(',').includes(name) ?? false);
}

/** The services `names` select (all when empty); an unknown name is a usage error. */
function selectByName(services: readonly ServiceInfo[], names: readonly string[] | undefined, namespace: string): ServiceInfo[] {
  for (const n of names ?? []) if (!services.some((s) => runs(s, n))) throw new UsageError(`no such service in stack ${namespace}: ${n}`);
  return services.filter((s) => !names?.length || names.some((n) => runs(s, n)));
}

/** The image as the stack named it: the digest berth pinned is left out, as `docker stack ps` does. */
function shortImage(image: string): string {
  return image.replace(/@sha256:[0-9a-f]{64}$/, '');
}

export async function stackTasks(port: SwarmPort, namespace: string, opts: TaskListOptions = {}): Promise<TaskRow[]> {
  const filter = namespaceFilter(namespace);
  const [services, tasks, nodes] = await Promise.all([port.services.list(filter), port.tasks.list(filter), port.nodes.list()]);
  const names = nodeNames(nodes);
  const byId = new Map(selectByName(services, opts.services, namespace).map((s) => [s.ID, s]));
  const rows: TaskRow[] = [];
  for (const t of tasks) {
    const svc = byId.get(t.ServiceID);
    if (!svc) continue;
    if (!opts.all && !CURRENT.has(t.DesiredState)) continue;
    if (opts.states?.length && !opts.states.includes(t.Status.State)) continue;
    rows.push(taskRow(t, svc, keyOf(svc), names));
  }
  return rows.sort((a, b) => a.swarmService.localeCompare(b.swarmService) || (a.slot ?? 0) - (b.slot ?? 0) || a.name.localeCompare(b.name) || b.since - a.since);
}

function taskRow(t: TaskInfo, svc: ServiceInfo, key: string, names: ReturnType<typeof nodeNames>): TaskRow {
  const node = t.NodeID ? names.get(t.NodeID) : undefined;
  const ports = (t.Status.PortStatus?.Ports ?? []).map((p) => `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`).join(', ');
  return {
    id: t.ID,
    name: t.Slot !== undefined && t.Slot > 0 ? `${svc.Spec.Name}.${t.Slot}` : `${svc.Spec.Name}.${(t.NodeID ?? t.ID).slice(0, 12)}`,
    swarmService: svc.Spec.Name,
    service: key,
    image: shortImage(t.Spec.ContainerSpec.Image),
    node: node?.hostname ?? (t.NodeID ? t.NodeID.slice(0, 12) : ''),
    nodeState: node?.state ?? (t.NodeID ? 'unknown' : ''),
    desiredState: t.DesiredState,
    state: t.Status.State,
    since: Date.parse(t.Status.Timestamp),
    error: t.Status.Err ?? '',
    ports,
    ...(t.Slot ? { slot: t.Slot } : {}),
    group: svc.Spec.Labels?.[LABEL.placementGroup] ?? '',
    mode: svc.Spec.Labels?.[LABEL.placementMode] ?? 'split',
    ...(t.Status.ContainerStatus?.ContainerID ? { containerId: t.Status.ContainerStatus.ContainerID } : {}),
  };
}

export interface StackRow {
  name: string;
  services: number;
  running: number;
  desired: number;
  /** `running`, `converging`, `jobs done`…: one word for the table. */
  status: string;
}

/** Every stack on the Swarm (services labelled com.docker.stack.namespace, as `docker stack ls` finds them). */
export async function listStacks(port: SwarmPort, opts: { all?: boolean; filterName?: string } = {}): Promise<StackRow[]> {
  const services = await port.services.list({ label: [LABEL.stackNamespace] });
  const byStack = new Map<string, ServiceInfo[]>();
  for (const s of services) {
    const ns = s.Spec.Labels?.[LABEL.stackNamespace];
    if (!ns || (opts.filterName !== undefined && !ns.includes(opts.filterName))) continue;
    (byStack.get(ns) ?? byStack.set(ns, []).get(ns)!).push(s);
  }
  const rows = [...byStack].map(([name, list]): StackRow => {
    const running = list.reduce((n, s) => n + (s.ServiceStatus?.RunningTasks ?? 0), 0);
    const desired = list.filter((s) => !s.Spec.Mode.ReplicatedJob && !s.Spec.Mode.GlobalJob).reduce((n, s) => n + (s.ServiceStatus?.DesiredTasks ?? 0), 0);
    return { name, services: list.length, running, desired, status: running >= desired ? (desired === 0 ? 'idle' : 'running') : 'converging' };
  });
  return rows.filter((r) => opts.all || r.desired > 0 || r.running > 0).sort((a, b) => a.name.localeCompare(b.name));
}

export interface StackLogOptions {
  services?: readonly string[];
  follow?: boolean;
  tail?: number;
  /** Unix seconds. */
  since?: number;
  /** Only the task with this slot (`--index`). */
  index?: number;
  signal?: AbortSignal;
}

export interface StackLogLine {
  /** `api.2@node3`. */
  task: string;
  service: string;
  stream: 'stdout' | 'stderr';
  time: string;
  text: string;
}

/** Every selected service's log, line by line as the manager delivers them, until all end (or the signal). */
export async function followStackLogs(port: SwarmPort, namespace: string, opts: StackLogOptions, onLine: (l: StackLogLine) => void): Promise<void> {
  const filter = namespaceFilter(namespace);
  const [services, nodes] = await Promise.all([port.services.list(filter), port.nodes.list()]);
  const names = nodeNames(nodes);
  let tasks = new Map((await port.tasks.list(filter)).map((t) => [t.ID, t]));
  const refresh = async (): Promise<void> => {
    tasks = new Map((await port.tasks.list(filter)).map((t) => [t.ID, t]));
  };
  const selected = selectByName(services, opts.services, namespace);
  await Promise.all(
    selected.map(async (s) => {
      const lines = port.services.logs(s.ID, { follow: opts.follow ?? false, ...(opts.tail !== undefined ? { tail: opts.tail } : {}), ...(opts.since !== undefined ? { since: opts.since } : {}), tty: s.Spec.TaskTemplate.ContainerSpec.TTY === true, ...(opts.signal ? { signal: opts.signal } : {}) });
      for await (const l of lines) {
        if (l.taskId && !tasks.has(l.taskId)) await refresh();
        const t = l.taskId ? tasks.get(l.taskId) : undefined;
        if (opts.index !== undefined && t?.Slot !== opts.index) continue;
        const where = names.get(l.nodeId ?? t?.NodeID ?? '')?.hostname ?? (l.nodeId ?? '').slice(0, 12);
        const which = t?.Slot ? String(t.Slot) : (l.taskId ?? '').slice(0, 12);
        onLine({ task: `${s.Spec.Name}.${which}${where ? `@${where}` : ''}`, service: keyOf(s), stream: l.stream, time: l.time, text: l.text });
      }
    }),
  );
}
