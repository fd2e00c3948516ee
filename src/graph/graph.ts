// The dependency graph the reconciler walks: services, the networks they attach to and the
// named volumes they mount. Start order puts every network and volume first (they have no
// dependencies of their own), then services by dependency depth; each level can start in
// parallel. Within a level nodes are sorted by id, so every run prints the same order.
import toposort from 'toposort';
import { ComposeError, throwIfAny, type KeyPath } from '../errors.js';
import type { Project, ServiceConfig } from '../model/project.js';

export type EdgeKind = 'depends_on' | 'link' | 'volumes_from' | 'namespace' | 'network' | 'volume';

export interface GraphEdge {
  /** The node that needs `to` first. */
  from: string;
  to: string;
  kind: EdgeKind;
  /** depends_on only: service_started, service_healthy or service_completed_successfully. */
  condition?: string;
}

export interface DependencyGraph {
  nodes: string[];
  edges: GraphEdge[];
  /** nodes in parallel start levels */
  startLevels(): string[][];
  stopLevels(): string[][];
  /** Every service `service` needs, directly or not (bare names, sorted). */
  dependenciesOf(service: string): string[];
  /** Every service that needs `service`, directly or not (bare names, sorted). */
  dependentsOf(service: string): string[];
}

export const serviceNode = (name: string): string => `service:${name}`;
export const networkNode = (name: string): string => `network:${name}`;
export const volumeNode = (name: string): string => `volume:${name}`;

/** One place where a service names another service. */
export interface ServiceReference {
  target: string;
  kind: Extract<EdgeKind, 'depends_on' | 'link' | 'volumes_from' | 'namespace'>;
  /** Where it is written: `services.web.links[0]`. */
  path: KeyPath;
  /** The attribute, for messages: `depends_on`, `links`, `volumes_from`, `network_mode`, `ipc`, `pid`. */
  attribute: string;
  condition?: string;
  /** Only depends_on may be optional; every other reference needs its target. */
  required: boolean;
}

type ReferenceRule = (service: ServiceConfig, name: string) => ServiceReference[];

/** `service:x` in network_mode, ipc and pid shares that service's namespace. */
function namespaceRule(attribute: 'network_mode' | 'ipc' | 'pid'): ReferenceRule {
  return (svc, name) => {
    const value = svc[attribute];
    if (typeof value !== 'string' || !value.startsWith('service:')) return [];
    return [{ target: value.slice('service:'.length), kind: 'namespace', path: ['services', name, attribute], attribute, required: true }];
  };
}

/** How each attribute names other services; the order is the order references are reported in. */
const REFERENCE_RULES: Record<string, ReferenceRule> = {
  depends_on: (svc, name) =>
    Object.entries(svc.depends_on ?? {}).map(([target, dep]) => ({
      target,
      kind: 'depends_on',
      path: ['services', name, 'depends_on', target],
      attribute: 'depends_on',
      condition: dep.condition,
      required: dep.required !== false,
    })),
  // `db` or `db:alias`
  links: (svc, name) =>
    (svc.links ?? []).map((link, i) => ({
      target: link.split(':')[0],
      kind: 'link',
      path: ['services', name, 'links', i],
      attribute: 'links',
      required: true,
    })),
  // `db`, `db:ro`, `service:db:rw`; `container:x` names a container outside the project.
  volumes_from: (svc, name) =>
    (svc.volumes_from ?? []).flatMap((entry, i): ServiceReference[] => {
      const parts = entry.split(':');
      if (parts[0] === 'container') return [];
      const target = parts[0] === 'service' ? parts[1] : parts[0];
      return [{ target, kind: 'volumes_from', path: ['services', name, 'volumes_from', i], attribute: 'volumes_from', required: true }];
    }),
  network_mode: namespaceRule('network_mode'),
  ipc: namespaceRule('ipc'),
  pid: namespaceRule('pid'),
};

/** Every other service that `name` refers to, in attribute order. */
export function serviceReferences(name: string, service: ServiceConfig): ServiceReference[] {
  return Object.values(REFERENCE_RULES).flatMap((rule) => rule(service, name));
}

/**
 * The cycles of a directed graph, one per strongly connected component (a component with
 * several loops reports the first one found), each as the chain of nodes starting at the
 * component's smallest name and following successors in name order. So the result does not
 * depend on declaration order: compose-go's Test_detectCycle gives `B -> D -> C -> B`.
 */
export function findCycles(nodes: readonly string[], successors: (node: string) => readonly string[]): string[][] {
  const sortedSucc = (n: string): string[] => [...new Set(successors(n))].sort();
  const cycles: string[][] = [];
  for (const component of stronglyConnected([...nodes].sort(), sortedSucc)) {
    const members = new Set(component);
    const start = [...component].sort()[0];
    if (component.length === 1 && !sortedSucc(start).includes(start)) continue;
    const chain = pathBack(start, (n) => sortedSucc(n).filter((m) => members.has(m)));
    if (chain) cycles.push(chain);
  }
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** compose-go's wording: `dependency cycle detected: a -> b -> a`. */
export function cycleMessage(cycle: readonly string[]): string {
  return `dependency cycle detected: ${[...cycle, cycle[0]].join(' -> ')}`;
}

/**
 * Depth-first from `start`, successors in order, until an edge leads back to `start`. With an
 * explicit stack: a chain of thousands of services must not exhaust the call stack.
 */
function pathBack(start: string, succ: (n: string) => string[]): string[] | undefined {
  const visited = new Set<string>([start]);
  const path: string[] = [start];
  const pending: string[][] = [succ(start)];
  while (pending.length > 0) {
    const next = pending[pending.length - 1].shift();
    if (next === undefined) {
      pending.pop();
      path.pop();
      continue;
    }
    if (next === start) return path;
    if (visited.has(next)) continue;
    visited.add(next);
    path.push(next);
    pending.push(succ(next));
  }
  return undefined;
}

/** Tarjan's algorithm, with an explicit stack (its depth would be the longest dependency chain). */
function stronglyConnected(nodes: readonly string[], succ: (n: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const known = new Set(nodes);
  const open = (v: string): { v: string; next: string[] } => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    return { v, next: succ(v).filter((w) => known.has(w)) };
  };
  for (const root of nodes) {
    if (index.has(root)) continue;
    const frames = [open(root)];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const w = frame.next.shift();
      if (w !== undefined) {
        if (!index.has(w)) frames.push(open(w));
        else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        continue;
      }
      // Every successor seen: close v, as the recursive version does on return.
      frames.pop();
      const v = frame.v;
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let x: string;
        do {
          x = stack.pop()!;
          onStack.delete(x);
          component.push(x);
        } while (x !== v);
        out.push(component);
      }
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(v)!));
    }
  }
  return out;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const KIND_ORDER: EdgeKind[] = ['depends_on', 'link', 'volumes_from', 'namespace', 'network', 'volume'];

/**
 * Builds the graph of a normalised project. Fails, with every problem at once, on a
 * required reference to a service that does not exist (an optional depends_on on a missing
 * service is dropped, as compose-go does), on an undeclared network or volume, and on a
 * dependency cycle.
 */
export function buildGraph(project: Project): DependencyGraph {
  const errors: ComposeError[] = [];
  const services = Object.keys(project.services).sort();
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const addEdge = (edge: GraphEdge): void => {
    const key = `${edge.from}\u0000${edge.to}\u0000${edge.kind}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push(edge);
  };

  const serviceDeps = new Map<string, string[]>(services.map((s) => [s, []]));
  const firstPath = new Map<string, KeyPath>();
  for (const name of services) {
    const svc = project.services[name];
    for (const ref of serviceReferences(name, svc)) {
      if (!(ref.target in project.services)) {
        if (ref.required) {
          errors.push(new ComposeError(`service "${name}" depends on unknown service "${ref.target}"`, { location: { path: ref.path } }));
        }
        continue;
      }
      serviceDeps.get(name)!.push(ref.target);
      if (!firstPath.has(`${name}\u0000${ref.target}`)) firstPath.set(`${name}\u0000${ref.target}`, ref.path);
      addEdge({ from: serviceNode(name), to: serviceNode(ref.target), kind: ref.kind, ...(ref.condition ? { condition: ref.condition } : {}) });
    }
    for (const network of Object.keys(svc.networks ?? {}).sort()) {
      if (!(network in project.networks)) {
        errors.push(new ComposeError(`service "${name}" refers to undefined network ${network}`, { location: { path: ['services', name, 'networks', network] } }));
        continue;
      }
      addEdge({ from: serviceNode(name), to: networkNode(network), kind: 'network' });
    }
    (svc.volumes ?? []).forEach((volume, i) => {
      if (volume.type !== 'volume' || !volume.source) return;
      if (!(volume.source in project.volumes)) {
        errors.push(new ComposeError(`service "${name}" refers to undefined volume ${volume.source}`, { location: { path: ['services', name, 'volumes', i] } }));
        return;
      }
      addEdge({ from: serviceNode(name), to: volumeNode(volume.source), kind: 'volume' });
    });
  }
  for (const cycle of findCycles(services, (s) => serviceDeps.get(s) ?? [])) {
    const path = firstPath.get(`${cycle[0]}\u0000${cycle[1 % cycle.length]}`) ?? ['services', cycle[0]];
    errors.push(new ComposeError(cycleMessage(cycle), { location: { path } }));
  }
  throwIfAny(errors);

  edges.sort((a, b) => byId(a.from, b.from) || byId(a.to, b.to) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const levels = startLevelsOf(project, services, serviceDeps);
  const nodes = levels.flat();
  const dependencies = new Map(services.map((s) => [s, [...new Set(serviceDeps.get(s))]]));
  const dependents = new Map<string, string[]>(services.map((s) => [s, []]));
  for (const [s, deps] of dependencies) for (const d of deps) dependents.get(d)!.push(s);

  const closure = (adjacency: Map<string, string[]>, service: string): string[] => {
    const name = service.startsWith('service:') ? service.slice('service:'.length) : service;
    if (!adjacency.has(name)) throw new ComposeError(`no such service: ${name}`);
    const found = new Set<string>();
    const pending = [...adjacency.get(name)!];
    while (pending.length) {
      const next = pending.pop()!;
      if (found.has(next)) continue;
      found.add(next);
      pending.push(...adjacency.get(next)!);
    }
    return [...found].sort();
  };

  return {
    nodes,
    edges,
    startLevels: () => levels.map((l) => [...l]),
    stopLevels: () => levels.map((l) => [...l]).reverse(),
    dependenciesOf: (service) => closure(dependencies, service),
    dependentsOf: (service) => closure(dependents, service),
  };
}

/**
 * Level 0 holds every declared network and volume (they need nothing); services follow,
 * each one level after the deepest service it needs. toposort gives an order in which every
 * dependency comes before its dependents, so one pass assigns the levels.
 */
function startLevelsOf(project: Project, services: string[], deps: Map<string, string[]>): string[][] {
  const resources = [
    ...Object.keys(project.networks).map(networkNode),
    ...Object.keys(project.volumes).map(volumeNode),
  ].sort();
  const order = toposort.array(
    services,
    services.flatMap((s) => (deps.get(s) ?? []).map((d): [string, string] => [d, s])),
  );
  const depth = new Map<string, number>();
  for (const s of order) {
    depth.set(s, Math.max(-1, ...(deps.get(s) ?? []).map((d) => depth.get(d)!)) + 1);
  }
  const serviceLevels: string[][] = [];
  for (const s of services) (serviceLevels[depth.get(s)!] ??= []).push(serviceNode(s));
  const levels = resources.length ? [resources, ...serviceLevels] : serviceLevels;
  return levels.map((l) => l.sort());
}
