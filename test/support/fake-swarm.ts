// An in-memory Swarm manager behind the SwarmPort, for planner and executor tests: services with
// versions and update status, tasks that appear when a service is created or its task template
// changes (running at once, or held in a state until the test releases them), networks, configs,
// secrets, nodes, digests. Every mutating call is recorded in order (`calls`), so a test reads what
// berth asked for and when.
import { EnginePortError, type Filters } from '../../src/client/engine-port.js';
import type { FileObjectInfo, FileObjectSpec, NetworkCreateSpec, NetworkInfo, NodeInfo, ServiceInfo, ServiceSpec, SwarmInfo, TaskInfo, TaskState } from '../../src/client/swarm-api.js';
import type { FileObjectPort, ServiceLogLine, SwarmPort } from '../../src/client/swarm-port.js';
import { stableStringify } from '../../src/loader/stable-json.js';

let seq = 0;
const id = (prefix: string): string => `${prefix}${(++seq).toString(36).padStart(10, '0')}`;

function labelMatch(labels: Record<string, string> | null | undefined, filters: Filters | undefined): boolean {
  for (const f of filters?.label ?? []) {
    const eq = f.indexOf('=');
    const [k, v] = eq < 0 ? [f, undefined] : [f.slice(0, eq), f.slice(eq + 1)];
    if (!labels || !(k in labels) || (v !== undefined && labels[k] !== v)) return false;
  }
  return true;
}

export class FakeSwarm implements SwarmPort {
  readonly description = 'fake Swarm manager';
  readonly calls: string[] = [];
  readonly serviceStore = new Map<string, ServiceInfo>();
  taskStore: TaskInfo[] = [];
  readonly networkStore: NetworkInfo[] = [];
  readonly configStore: (FileObjectInfo & { Spec: FileObjectSpec })[] = [];
  readonly secretStore: (FileObjectInfo & { Spec: FileObjectSpec })[] = [];
  nodeStore: NodeInfo[] = ['node1', 'node2', 'node3'].map((h, i) => ({ ID: `n${i + 1}`, Spec: { Role: i === 0 ? 'manager' : 'worker', Availability: 'active' }, Description: { Hostname: h }, Status: { State: 'ready' } }));
  digests: Record<string, string> = {};
  /** Services whose new tasks stay in this state until `release`. */
  private readonly held = new Map<string, TaskState>();
  /** Services whose new tasks fail (exit 1). */
  readonly failing = new Set<string>();
  now = (): number => Date.now();

  hold(service: string, state: TaskState = 'starting'): void {
    this.held.set(service, state);
  }

  /** Moves the service's held tasks on to running (or complete, for a job). */
  release(service: string): void {
    this.held.delete(service);
    const s = this.serviceStore.get(service);
    if (!s) return;
    for (const t of this.taskStore) if (t.ServiceID === s.ID && t.DesiredState !== 'shutdown') this.setState(t, this.finalState(s));
  }

  private finalState(s: ServiceInfo): TaskState {
    if (this.failing.has(s.Spec.Name)) return 'failed';
    return s.Spec.Mode.ReplicatedJob || s.Spec.Mode.GlobalJob ? 'complete' : 'running';
  }

  private setState(t: TaskInfo, state: TaskState): void {
    t.Status = { ...t.Status, State: state, Timestamp: new Date(this.now()).toISOString(), ...(state === 'failed' ? { Err: 'task: non-zero exit (1)', ContainerStatus: { ExitCode: 1 } } : {}) };
  }

  /** New tasks for the service's current spec; the old ones are shut down. */
  private roll(s: ServiceInfo): void {
    for (const t of this.taskStore) if (t.ServiceID === s.ID && t.DesiredState === 'running') t.DesiredState = 'shutdown';
    const mode = s.Spec.Mode;
    const job = Boolean(mode.ReplicatedJob || mode.GlobalJob);
    const n = mode.Replicated?.Replicas ?? mode.ReplicatedJob?.TotalCompletions ?? this.nodeStore.length;
    const at = new Date(this.now()).toISOString();
    for (let i = 0; i < n; i++) {
      const state = this.held.get(s.Spec.Name) ?? this.finalState(s);
      this.taskStore.push({
        ID: id('t'),
        Version: { Index: 1 },
        CreatedAt: at,
        UpdatedAt: at,
        Spec: structuredClone(s.Spec.TaskTemplate),
        ServiceID: s.ID,
        ...(mode.Replicated || mode.ReplicatedJob ? { Slot: i + 1 } : {}),
        NodeID: this.nodeStore[i % this.nodeStore.length].ID,
        Status: { Timestamp: at, State: state, ...(state === 'failed' ? { Err: 'task: non-zero exit (1)' } : {}) },
        DesiredState: job ? 'complete' : 'running',
        ...(job ? { JobIteration: { Index: s.JobStatus?.JobIteration.Index ?? 0 } } : {}),
      });
    }
  }

  async swarmInfo(): Promise<SwarmInfo> {
    return { NodeID: 'n1', LocalNodeState: 'active', ControlAvailable: true, Nodes: this.nodeStore.length, Managers: 1 };
  }

  readonly services: SwarmPort['services'] = {
    list: async (f) =>
      [...this.serviceStore.values()]
        .filter((s) => labelMatch(s.Spec.Labels, f))
        .map((s) => {
          const mine = this.taskStore.filter((t) => t.ServiceID === s.ID && t.DesiredState !== 'shutdown');
          return structuredClone({ ...s, ServiceStatus: { RunningTasks: mine.filter((t) => t.Status.State === 'running').length, DesiredTasks: s.Spec.Mode.Replicated?.Replicas ?? mine.length } });
        }),
    create: async (spec) => {
      this.calls.push(`service.create ${spec.Name}`);
      if ([...this.serviceStore.values()].some((s) => s.Spec.Name === spec.Name)) throw new EnginePortError('service.create', spec.Name, 409, 'name conflicts with an existing object');
      this.checkRefs(spec);
      const at = new Date(this.now()).toISOString();
      const s: ServiceInfo = { ID: id('s'), Version: { Index: 1 }, CreatedAt: at, UpdatedAt: at, Spec: structuredClone(spec), ...(spec.Mode.ReplicatedJob || spec.Mode.GlobalJob ? { JobStatus: { JobIteration: { Index: 1 } } } : {}) };
      this.serviceStore.set(spec.Name, s);
      this.roll(s);
      return { ID: s.ID, Warnings: [] };
    },
    update: async (sid, version, spec) => {
      this.calls.push(`service.update ${spec.Name}`);
      const s = [...this.serviceStore.values()].find((x) => x.ID === sid);
      if (!s) throw new EnginePortError('service.update', sid, 404, 'service not found');
      if (s.Version.Index !== version) throw new EnginePortError('service.update', sid, 500, 'update out of sequence');
      this.checkRefs(spec);
      const dirty = stableStringify(s.Spec.TaskTemplate) !== stableStringify(spec.TaskTemplate);
      const replicas = s.Spec.Mode.Replicated?.Replicas !== spec.Mode.Replicated?.Replicas;
      s.PreviousSpec = s.Spec;
      s.Spec = structuredClone(spec);
      s.Version = { Index: s.Version.Index + 1 };
      s.UpdatedAt = new Date(this.now()).toISOString();
      if (s.JobStatus) s.JobStatus = { JobIteration: { Index: s.JobStatus.JobIteration.Index + 1 } };
      if (dirty || replicas || s.JobStatus) {
        this.roll(s);
        if (dirty) s.UpdateStatus = { State: 'completed', Message: 'update completed' };
      }
      return { Warnings: [] };
    },
    remove: async (sid) => {
      const s = [...this.serviceStore.values()].find((x) => x.ID === sid);
      if (!s) throw new EnginePortError('service.remove', sid, 404, 'service not found');
      this.calls.push(`service.remove ${s.Spec.Name}`);
      this.serviceStore.delete(s.Spec.Name);
      this.taskStore = this.taskStore.filter((t) => t.ServiceID !== sid);
    },
    logs: (sid) =>
      (async function* (): AsyncGenerator<ServiceLogLine> {
        yield { stream: 'stdout', time: '2024-01-01T00:00:00.000000000Z', text: `log of ${sid}` };
      })(),
  };

  readonly tasks: SwarmPort['tasks'] = {
    list: async (f) => {
      const ids = new Set([...this.serviceStore.values()].filter((s) => labelMatch(s.Spec.TaskTemplate.ContainerSpec.Labels, f)).map((s) => s.ID));
      return structuredClone(this.taskStore.filter((t) => ids.has(t.ServiceID)));
    },
  };

  readonly nodes: SwarmPort['nodes'] = { list: async () => structuredClone(this.nodeStore) };

  readonly networks: SwarmPort['networks'] = {
    list: async (f) => structuredClone(this.networkStore.filter((n) => labelMatch(n.Labels, f))),
    create: async (spec: NetworkCreateSpec) => {
      this.calls.push(`network.create ${spec.Name}`);
      const n = { Id: id('net'), Name: spec.Name, Driver: spec.Driver, Scope: 'swarm', Labels: spec.Labels };
      this.networkStore.push(n);
      return { Id: n.Id };
    },
    remove: async (nid) => {
      const i = this.networkStore.findIndex((n) => n.Id === nid || n.Name === nid);
      if (i < 0) throw new EnginePortError('network.remove', nid, 404, 'network not found');
      this.calls.push(`network.remove ${this.networkStore[i].Name}`);
      this.networkStore.splice(i, 1);
    },
  };

  private fileObjects(kind: 'config' | 'secret', store: (FileObjectInfo & { Spec: FileObjectSpec })[]): FileObjectPort {
    return {
      list: async (f) => structuredClone(store.filter((o) => labelMatch(o.Spec.Labels, f)).map((o) => ({ ID: o.ID, Spec: { Name: o.Spec.Name, Labels: o.Spec.Labels } }))),
      create: async (spec) => {
        this.calls.push(`${kind}.create ${spec.Name}`);
        if (store.some((o) => o.Spec.Name === spec.Name)) throw new EnginePortError(`${kind}.create`, spec.Name, 409, 'already exists');
        const o = { ID: id(kind[0]), Spec: structuredClone(spec) };
        store.push(o);
        return { ID: o.ID };
      },
      remove: async (oid) => {
        const i = store.findIndex((o) => o.ID === oid);
        if (i < 0) throw new EnginePortError(`${kind}.remove`, oid, 404, 'not found');
        const name = store[i].Spec.Name;
        const users = [...this.serviceStore.values()].filter((s) => (kind === 'config' ? s.Spec.TaskTemplate.ContainerSpec.Configs : s.Spec.TaskTemplate.ContainerSpec.Secrets)?.some((r) => ('ConfigName' in r ? r.ConfigName : r.SecretName) === name));
        if (users.length) throw new EnginePortError(`${kind}.remove`, oid, 400, `${kind} '${name}' is in use by the following service: ${users[0].Spec.Name}`);
        this.calls.push(`${kind}.remove ${name}`);
        store.splice(i, 1);
      },
    };
  }

  readonly configs = this.fileObjects('config', this.configStore);
  readonly secrets = this.fileObjects('secret', this.secretStore);

  async imageDigest(reference: string): Promise<string> {
    const d = this.digests[reference];
    if (!d) throw new EnginePortError('distribution.inspect', reference, 404, `manifest unknown: ${reference}`);
    return d;
  }

  /** A spec names configs and secrets by id: they must exist, as Swarm checks. */
  private checkRefs(spec: ServiceSpec): void {
    const c = spec.TaskTemplate.ContainerSpec;
    for (const r of c.Configs ?? []) if (!this.configStore.some((o) => o.ID === r.ConfigID && o.Spec.Name === r.ConfigName)) throw new EnginePortError('service.create', spec.Name, 404, `config not found: ${r.ConfigName}`);
    for (const r of c.Secrets ?? []) if (!this.secretStore.some((o) => o.ID === r.SecretID && o.Spec.Name === r.SecretName)) throw new EnginePortError('service.create', spec.Name, 404, `secret not found: ${r.SecretName}`);
  }
}
