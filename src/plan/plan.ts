// The planner: desired project × observed engine state → a Plan of single engine operations, each
// with its cause. Pure (no I/O): everything it needs about the engine is in ObservedState, gathered
// beforehand by gatherState (state.ts). The plan is what `up` executes and what `up --dry-run`
// prints (format.ts); golden tests assert on that text.
//
// Decisions per container number, in order: missing → create; --force-recreate → recreate;
// --no-recreate → start/no-op; config hash changed, image changed, network attachment changed, a
// shared-namespace parent recreated, a dependency recreated with `restart: true` or
// --always-recreate-deps → recreate; not running → start; else no-op. A recreate keeps the old
// container's anonymous volumes (unless -V).

import { ComposeError, throwIfAny } from '../errors.js';
import { buildGraph, serviceReferences } from '../graph/graph.js';
import { serviceConfigHash } from '../loader/hash.js';
import type { DependsOnCondition, PlacementMode, Project, ServiceConfig } from '../model/project.js';
import { containerLabels, groupContainerName, LABEL, sandboxName, type PlacementRole } from '../observe/labels.js';
import type { ObservedContainer } from '../observe/observe.js';
import type { ObservedState } from '../observe/state.js';
import { containerSpec, imageOf, type ContainerSpec } from './container-spec.js';
import type { GroupMember } from './group-launch.js';
import { hostPortErrors } from './host-ports.js';
import { resolvePlacement, type ResolvedGroup } from './placement.js';
import { planPulls, type PullPolicy, type PullStep } from './pulls.js';
import { planNetworks, planVolumes, type NetworkStep, type VolumeStep } from './resources.js';
import { checkScaleFitsPlacement, desiredScale } from './scale.js';
import { planBuilds, type BuildMode, type BuildStep } from './builds.js';
import { byString, hashOf } from './util.js';

export type { PullPolicy, PullStep } from './pulls.js';
export { desiredScale, PlacementScaleError, type ScaleRefusal } from './scale.js';
export type { NetworkStep, VolumeStep } from './resources.js';

export interface PlanOptions {
  /** Services named on the command line; empty means all. Their dependencies come too unless noDeps. */
  services?: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  alwaysRecreateDeps?: boolean;
  /** -V: recreate anonymous volumes instead of keeping them. */
  renewAnonVolumes?: boolean;
  removeOrphans?: boolean;
  /** COMPOSE_IGNORE_ORPHANS: no warning about orphans left in place. */
  ignoreOrphans?: boolean;
  /** --scale svc=n. */
  scale?: Record<string, number>;
  /** --pull; overrides every service's pull_policy. */
  pull?: PullPolicy;
  /** Which services with `build:` get built first: missing images (default), all (--build), none (--no-build). */
  build?: BuildMode;
  placement?: PlacementMode;
  /** Compose project labels. */
  workingDir?: string;
  configFiles?: string[];
  /** The service config hash; injectable so tests do not read env files. */
  hash?: (project: Project, service: string) => string;
  /** The clock daily/weekly/every_ pull policies compare with (default Date.now). */
  now?: () => number;
  /** Plan no pulls: they were just done (converge re-plans after pulling). */
  skipPulls?: boolean;
}

export type ContainerAction = 'create' | 'recreate' | 'start' | 'restart' | 'noop' | 'remove';

export interface ContainerStep {
  resource: 'container';
  action: ContainerAction;
  service: string;
  number: number;
  name: string;
  cause: string;
  /** The container there now (recreate, start, no-op, remove). */
  existing?: ObservedContainer;
  /** What to create (create, recreate). */
  spec?: ContainerSpec;
  /** single mode: the members the container's command starts beside the main one. */
  supervised?: GroupMember[];
}

export interface UnitDependency {
  unit: string;
  condition: DependsOnCondition;
  required: boolean;
  restart: boolean;
  /**
   * The dependent's container cannot even be created before this unit's exists: it joins its
   * namespaces (network_mode/ipc/pid `service:`, a pod sandbox) or takes its volumes (volumes_from).
   */
  atCreate?: boolean;
}

/**
 * One node of the start graph: a service, or a pod group's sandbox (`sandbox:<group>`). A single
 * group's members other than the first are absorbed into the first one's unit.
 */
export interface PlanUnit {
  id: string;
  service: string;
  /** Start level: 0 needs nothing of the project. */
  level: number;
  dependsOn: UnitDependency[];
  steps: ContainerStep[];
  placement?: { group: string; mode: PlacementMode; role: PlacementRole };
  /** The service has a healthcheck (up --wait waits for healthy). */
  healthcheck: boolean;
}

export interface Plan {
  project: string;
  /** Images to pull before anything is created. */
  pulls: PullStep[];
  /** Images to build before anything else (see src/compose/build.ts). */
  builds: BuildStep[];
  networks: NetworkStep[];
  volumes: VolumeStep[];
  /** In start order (by level, then id). */
  units: PlanUnit[];
  /** Orphans (with --remove-orphans) and containers of a placement that no longer exists. */
  removals: ContainerStep[];
  warnings: string[];
  /** Whether the plan changes nothing. */
  readonly empty: boolean;
}

const SANDBOX_COMMAND = ['sleep', '2147483647'];

/** The services an `up` touches: the named ones and, unless noDeps, everything they need. */
export function selectServices(project: Project, named: readonly string[] | undefined, noDeps: boolean): string[] {
  const all = Object.keys(project.services).sort(byString);
  if (!named || named.length === 0) return all;
  const errors: ComposeError[] = [];
  for (const s of named) if (!(s in project.services)) errors.push(new ComposeError(`no such service: ${s}`));
  throwIfAny(errors);
  if (noDeps) return [...new Set(named)].sort(byString);
  const graph = buildGraph(project);
  const out = new Set<string>(named);
  for (const s of named) for (const d of graph.dependenciesOf(s)) out.add(d);
  return [...out].sort(byString);
}

class Planner {
  readonly errors: ComposeError[] = [];
  readonly warnings: string[] = [];
  private readonly hash: (project: Project, service: string) => string;
  /** Units that will get a new container: dependents may need recreating. */
  private readonly replaced = new Set<string>();
  /** Units whose containers are kept but restarted (`depends_on.<dep>.restart: true`); dependents of theirs restart too. */
  private readonly restarted = new Set<string>();
  readonly placement;

  constructor(
    readonly project: Project,
    readonly state: ObservedState,
    private readonly opts: PlanOptions,
  ) {
    this.hash = opts.hash ?? ((p, s) => serviceConfigHash(p, s));
    this.placement = resolvePlacement(project, opts.placement);
  }

  plan(): Plan {
    const project = this.project;
    const selected = selectServices(project, this.opts.services, this.opts.noDeps ?? false);
    checkScaleFitsPlacement(this.project, this.placement, this.opts.scale, selected);
    this.errors.push(...hostPortErrors(project, (svc, s) => desiredScale(svc, this.opts.scale?.[s])));
    const selectedSet = new Set(selected);
    const networks = planNetworks(this, selected);
    const volumes = planVolumes(this, selected);
    const builds = planBuilds(this.project, selected, this.state.images, this.opts.build ?? 'missing', this.opts.pull);
    const pulls = this.planImages(selected, new Set(builds.map((b) => b.service)));
    const graph = buildGraph(project);
    const levelOf = new Map<string, number>();
    graph.startLevels().forEach((level, i) => level.forEach((node) => node.startsWith('service:') && levelOf.set(node.slice(8), i)));
    const minLevel = Math.min(...[...levelOf.values()], Infinity);

    const byService = new Map<string, ObservedContainer[]>();
    for (const c of this.state.containers) (byService.get(c.service) ?? byService.set(c.service, []).get(c.service)!).push(c);

    const units: PlanUnit[] = [];
    const removals: ContainerStep[] = [];
    const unitOf = (service: string): string => {
      const g = this.placement.groupOf(service);
      return g?.mode === 'single' ? g.services[0] : service;
    };

    // Pod sandboxes first: members depend on them.
    for (const g of this.placement.groups) {
      if (g.mode !== 'pod' || !g.services.some((s) => selectedSet.has(s))) continue;
      const level = Math.min(...g.services.map((s) => levelOf.get(s) ?? 0)) - minLevel;
      units.push(this.planSandbox(g, level - 0.5, byService.get(`${g.name}-sandbox`) ?? []));
    }

    // Dependencies first: whether a dependency is replaced decides its dependents' fate.
    const ordered = [...selected].sort((a, b) => (levelOf.get(a) ?? 0) - (levelOf.get(b) ?? 0) || byString(a, b));
    for (const service of ordered) {
      const group = this.placement.groupOf(service);
      const existing = byService.get(service) ?? [];
      if (group?.mode === 'single' && group.services[0] !== service) {
        // Runs inside the group's container; containers of an earlier placement go.
        for (const c of existing) removals.push(this.removeStep(c, `placement changed: runs inside ${groupContainerName(project.name, group.name)}`));
        continue;
      }
      const svc = project.services[service];
      const dependsOn = this.unitDependencies(service, svc, unitOf, group);
      const unit: PlanUnit = {
        id: service,
        service,
        level: (levelOf.get(service) ?? 0) - minLevel,
        dependsOn,
        steps: [],
        ...(group && group.mode !== 'split' ? { placement: { group: group.name, mode: group.mode, role: group.mode === 'single' ? 'main' : 'member' } } : group ? { placement: { group: group.name, mode: group.mode, role: 'member' } } : {}),
        healthcheck: Boolean(svc.healthcheck?.test?.length && svc.healthcheck.test[0] !== 'NONE' && !svc.healthcheck.disable),
      };
      unit.steps = this.planService(unit, svc, existing, group);
      units.push(unit);
    }

    // Orphans: containers of services the project no longer has (sandboxes of groups no longer pods too).
    const sandboxes = new Set(this.placement.groups.filter((g) => g.mode === 'pod').map((g) => `${g.name}-sandbox`));
    const orphans = this.state.containers.filter((c) => !(c.service in project.services) && !sandboxes.has(c.service));
    const placementLeftovers = orphans.filter((c) => c.placement?.role === 'sandbox' && this.placement.groups.some((g) => g.name === c.placement!.group));
    for (const c of placementLeftovers) removals.push(this.removeStep(c, 'placement changed: group is no longer a pod'));
    const realOrphans = orphans.filter((c) => !placementLeftovers.includes(c));
    if (realOrphans.length) {
      if (this.opts.removeOrphans) for (const c of realOrphans) removals.push(this.removeStep(c, 'orphan: service not in the project'));
      else if (!this.opts.ignoreOrphans) {
        this.warnings.push(
          `Found orphan containers (${realOrphans.map((c) => c.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
        );
      }
    }
    throwIfAny(this.errors);
    units.sort((a, b) => a.level - b.level || byString(a.id, b.id));
    const normalise = units.map((u, i, all) => ({ ...u, level: all.slice(0, i + 1).reduce((acc, x, j) => (j === 0 ? 0 : x.level !== all[j - 1].level ? acc + 1 : acc), 0) }));
    const plan: Plan = {
      project: project.name,
      pulls,
      builds,
      networks,
      volumes,
      units: normalise,
      removals,
      warnings: this.warnings,
      get empty() {
        return (
          pulls.length === 0 &&
          builds.length === 0 &&
          networks.every((n) => n.action !== 'create') &&
          volumes.every((v) => v.action !== 'create') &&
          removals.length === 0 &&
          normalise.every((u) => u.steps.every((s) => s.action === 'noop'))
        );
      },
    };
    return plan;
  }

  private unitDependencies(service: string, svc: ServiceConfig, unitOf: (s: string) => string, group: ResolvedGroup | undefined): UnitDependency[] {
    const deps = new Map<string, UnitDependency>();
    const self = unitOf(service);
    const add = (d: UnitDependency): void => {
      if (d.unit === self) return;
      const prev = deps.get(d.unit);
      // The strongest condition wins when two references name the same unit.
      const rank = { service_started: 0, service_healthy: 1, service_completed_successfully: 2 } as const;
      const atCreate = d.atCreate || prev?.atCreate;
      if (!prev || rank[d.condition] > rank[prev.condition]) deps.set(d.unit, { ...d, required: d.required || (prev?.required ?? false), restart: d.restart || (prev?.restart ?? false), ...(atCreate ? { atCreate } : {}) });
      else if (atCreate) prev.atCreate = true;
    };
    const members = group?.mode === 'single' ? group.services : [service];
    for (const m of members) {
      const s = this.project.services[m];
      for (const ref of serviceReferences(m, s)) {
        if (!(ref.target in this.project.services)) continue;
        if (ref.kind === 'depends_on') {
          const d = s.depends_on![ref.target];
          add({ unit: unitOf(ref.target), condition: d.condition, required: d.required, restart: d.restart ?? false });
        } else {
          add({ unit: unitOf(ref.target), condition: 'service_started', required: true, restart: ref.kind === 'namespace', ...(ref.kind === 'namespace' || ref.kind === 'volumes_from' ? { atCreate: true } : {}) });
        }
      }
    }
    if (group?.mode === 'pod') add({ unit: `sandbox:${group.name}`, condition: 'service_started', required: true, restart: true, atCreate: true });
    void svc;
    return [...deps.values()].sort((a, b) => byString(a.unit, b.unit));
  }

  /** The pulls the selected services need (pulls.ts); a missing image that may not be pulled is an error. */
  private planImages(selected: string[], building: ReadonlySet<string>): PullStep[] {
    const services = selected.filter((s) => {
      const g = this.placement.groupOf(s);
      return !(g?.mode === 'single' && g.services[0] !== s);
    });
    const { pulls, errors } = planPulls(this.project, this.state, services, { ...(this.opts.pull ? { pull: this.opts.pull } : {}), now: (this.opts.now ?? Date.now)(), building });
    this.errors.push(...errors);
    return this.opts.skipPulls ? [] : pulls;
  }

  private removeStep(c: ObservedContainer, cause: string): ContainerStep {
    return { resource: 'container', action: 'remove', service: c.service, number: c.number, name: c.name, cause, existing: c };
  }

  private baseLabels(service: string, number: number, hash: string, imageRef: string, placement?: { group: string; mode: PlacementMode; role: PlacementRole; members?: string[] }) {
    return containerLabels({
      project: this.project.name,
      service,
      number,
      configHash: hash,
      imageId: this.state.images[imageRef],
      dependsOn: this.project.services[service]?.depends_on,
      workingDir: this.opts.workingDir,
      configFiles: this.opts.configFiles,
      ...(placement ? { placement } : {}),
    });
  }

  /** Why the existing container must be replaced, or undefined. Order: the first reason found. */
  private recreateCause(unit: PlanUnit, c: ObservedContainer, hash: string, imageRef: string, desiredNetworks: string[] | undefined): string | undefined {
    if (this.opts.forceRecreate) return 'forced (--force-recreate)';
    if (this.opts.noRecreate) return undefined;
    if (c.configHash !== hash) return 'config hash changed';
    const want = this.state.images[imageRef];
    const have = c.imageLabel ?? c.imageId;
    if (want && have && want !== have && want !== c.imageId) return 'image changed';
    if (desiredNetworks && this.state.networksSupported) {
      const have = [...c.networks].sort(byString).join(',');
      if (have !== [...desiredNetworks].sort(byString).join(',')) return 'network attachment changed';
    }
    for (const d of unit.dependsOn) {
      if (!this.replaced.has(d.unit)) continue;
      if (d.restart && (d.unit.startsWith('sandbox:') || this.sharesNamespace(unit.service, d.unit))) return 'shared-namespace parent recreated';
      if (this.opts.alwaysRecreateDeps) return 'dependency recreated (--always-recreate-deps)';
    }
    return undefined;
  }

  /**
   * `depends_on: {db: {restart: true}}`: a running, unchanged container is restarted when db is
   * recreated or itself restarted, as docker compose does; undefined when nothing asks for it.
   */
  private restartCause(unit: PlanUnit): string | undefined {
    const because = unit.dependsOn.filter((d) => d.restart && !d.unit.startsWith('sandbox:') && !this.sharesNamespace(unit.service, d.unit) && (this.replaced.has(d.unit) || this.restarted.has(d.unit)));
    if (because.length === 0) return undefined;
    return `dependency ${because.map((d) => d.unit).sort(byString).join(', ')} recreated or restarted (restart: true)`;
  }

  private sharesNamespace(service: string, target: string): boolean {
    const svc = this.project.services[service];
    return [svc.network_mode, svc.ipc, svc.pid].some((m) => m === `service:${target}`);
  }

  private planService(unit: PlanUnit, svc: ServiceConfig, existing: ObservedContainer[], group: ResolvedGroup | undefined): ContainerStep[] {
    const service = unit.service;
    const project = this.project;
    let imageRef: string;
    try {
      imageRef = imageOf(project, service);
    } catch {
      return [];
    }
    const single = group?.mode === 'single';
    const count = single ? 1 : desiredScale(svc, this.opts.scale?.[service]);
    const serviceHash = this.hash(project, service);
    let hash = serviceHash;
    let placementLabel: { group: string; mode: PlacementMode; role: PlacementRole; members?: string[] } | undefined;
    if (group && group.mode === 'pod') {
      hash = hashOf({ service: serviceHash, pod: sandboxName(project.name, group.name), sharePid: group.sharePid });
      placementLabel = { group: group.name, mode: 'pod', role: 'member' };
    } else if (single && group) {
      // `launch`: the container's own command starts the members (group-launch.ts); a group container
      // made when `up` exec'd them instead is replaced, since no restart would run its members again.
      hash = hashOf({ single: group.services.map((s) => [s, this.hash(project, s)]), launch: 'command' });
      placementLabel = { group: group.name, mode: 'single', role: 'main', members: group.services.slice(1) };
    } else if (group) {
      placementLabel = { group: group.name, mode: 'split', role: 'member' };
    }

    const steps: ContainerStep[] = [];
    const byNumber = new Map<number, ObservedContainer[]>();
    for (const c of existing) (byNumber.get(c.number) ?? byNumber.set(c.number, []).get(c.number)!).push(c);
    let anyReplaced = false;
    for (let n = 1; n <= count; n++) {
      const found = (byNumber.get(n) ?? []).sort((a, b) => b.created - a.created);
      for (const extra of found.slice(1)) steps.push(this.removeStep(extra, 'duplicate container number'));
      const current = found[0];
      const labels = this.baseLabels(service, n, hash, imageRef, placementLabel);
      const anonymous = new Map<string, string>();
      if (current && !this.opts.renewAnonVolumes) {
        const named = new Set((svc.volumes ?? []).filter((v) => v.type === 'volume' && v.source).map((v) => v.target));
        for (const m of current.mounts) if (m.type === 'volume' && m.name && !named.has(m.destination)) anonymous.set(m.destination, m.name);
      }
      const spec = this.specFor(service, n, labels, anonymous, group);
      const desiredNetworks = svc.network_mode || group?.mode === 'pod' ? undefined : spec.networks.map((a) => a.name);
      if (!current) {
        steps.push({ resource: 'container', action: 'create', service, number: n, name: spec.name, cause: 'not found', spec, ...(single ? { supervised: this.supervisedMembers(group!) } : {}) });
        anyReplaced = true;
        continue;
      }
      const why = this.recreateCause(unit, current, hash, imageRef, desiredNetworks);
      if (why) {
        steps.push({ resource: 'container', action: 'recreate', service, number: n, name: spec.name, cause: why, existing: current, spec, ...(single ? { supervised: this.supervisedMembers(group!) } : {}) });
        anyReplaced = true;
      } else if (current.state !== 'running') {
        steps.push({ resource: 'container', action: 'start', service, number: n, name: current.name, cause: current.state === 'created' ? 'created, not started' : current.state, existing: current, ...(single ? { supervised: this.supervisedMembers(group!) } : {}) });
      } else if (this.restartCause(unit)) {
        steps.push({ resource: 'container', action: 'restart', service, number: n, name: current.name, cause: this.restartCause(unit)!, existing: current, ...(single ? { supervised: this.supervisedMembers(group!) } : {}) });
        this.restarted.add(unit.id);
      } else {
        steps.push({ resource: 'container', action: 'noop', service, number: n, name: current.name, cause: 'up to date', existing: current });
      }
    }
    for (const [n, cs] of [...byNumber].sort(([a], [b]) => b - a)) {
      if (n > count || n < 1) for (const c of cs) steps.push(this.removeStep(c, `scaled to ${count}`));
    }
    if (anyReplaced) this.replaced.add(unit.id);
    return steps;
  }

  private supervisedMembers(group: ResolvedGroup): GroupMember[] {
    return group.services.slice(1).map((s) => {
      const svc = this.project.services[s];
      const cmd = [...(svc.entrypoint ?? []), ...(svc.command ?? [])];
      if (cmd.length === 0) {
        this.errors.push(new ComposeError(`service "${s}" runs inside placement group "${group.name}" (single) and needs an explicit command or entrypoint`, { location: { path: ['services', s] } }));
      }
      const env = Object.entries(svc.environment ?? {}).filter((e): e is [string, string] => e[1] !== null).map(([k, v]) => `${k}=${v}`).sort();
      return { service: s, cmd, env, ...(svc.user ? { user: svc.user } : {}), ...(svc.working_dir ? { workingDir: svc.working_dir } : {}) };
    });
  }

  /** The create body for one container, adjusted for its placement. */
  private specFor(service: string, number: number, labels: Record<string, string>, anonymous: Map<string, string>, group: ResolvedGroup | undefined): ContainerSpec {
    const project = this.project;
    if (group?.mode === 'single') {
      // One container for the group: the main member's config, with every member's ports,
      // networks and mounts.
      const merged: ServiceConfig = { ...project.services[service] };
      for (const m of group.services.slice(1)) {
        const o = project.services[m];
        merged.ports = [...(merged.ports ?? []), ...(o.ports ?? [])];
        merged.networks = { ...(o.networks ?? {}), ...(merged.networks ?? {}) };
        const targets = new Set((merged.volumes ?? []).map((v) => v.target));
        merged.volumes = [...(merged.volumes ?? []), ...(o.volumes ?? []).filter((v) => !targets.has(v.target))];
      }
      const spec = containerSpec({ project: { ...project, services: { ...project.services, [service]: merged } }, service, number, labels, anonymousVolumes: anonymous, networksSupported: this.state.networksSupported });
      const aliases = group.services;
      for (const a of spec.networks) a.endpoint.Aliases = [...new Set([...aliases, ...(a.endpoint.Aliases ?? [])])];
      return { ...spec, name: groupContainerName(project.name, group.name) };
    }
    const spec = containerSpec({ project, service, number, labels, anonymousVolumes: anonymous, networksSupported: this.state.networksSupported });
    if (group?.mode === 'pod') {
      const sandbox = `container:${sandboxName(project.name, group.name)}`;
      const hc = { ...(spec.body.HostConfig ?? {}) };
      delete hc.PortBindings;
      hc.NetworkMode = sandbox;
      hc.IpcMode = sandbox;
      if (group.sharePid) hc.PidMode = sandbox;
      const body = { ...spec.body, HostConfig: hc };
      delete body.NetworkingConfig;
      delete body.ExposedPorts;
      delete body.Hostname;
      return { ...spec, body, networks: [] };
    }
    return spec;
  }

  /** A pod group's holder: the members' ports and networks, a process that only waits. */
  private planSandbox(group: ResolvedGroup, level: number, existing: ObservedContainer[]): PlanUnit {
    const project = this.project;
    const first = project.services[group.services[0]];
    const merged: ServiceConfig = { image: imageOf(project, group.services[0]), command: SANDBOX_COMMAND, entrypoint: [], init: true, ports: [], networks: {} };
    for (const s of group.services) {
      const svc = project.services[s];
      merged.ports = [...(merged.ports ?? []), ...(svc.ports ?? [])];
      merged.networks = { ...(merged.networks ?? {}), ...(svc.networks ?? {}) };
      if (svc.hostname && !merged.hostname) merged.hostname = svc.hostname;
      if (svc.extra_hosts) merged.extra_hosts = { ...(merged.extra_hosts ?? {}), ...svc.extra_hosts };
      if (svc.sysctls) merged.sysctls = { ...(merged.sysctls ?? {}), ...svc.sysctls };
    }
    void first;
    const service = `${group.name}-sandbox`;
    const imageRef = merged.image!;
    const hash = hashOf({ sandbox: merged, sharePid: group.sharePid });
    const labels = containerLabels({
      project: project.name,
      service,
      number: 1,
      configHash: hash,
      imageId: this.state.images[imageRef],
      workingDir: this.opts.workingDir,
      configFiles: this.opts.configFiles,
      placement: { group: group.name, mode: 'pod', role: 'sandbox', members: group.services },
    });
    const spec = containerSpec({ project: { ...project, services: { ...project.services, [service]: merged } }, service, number: 1, labels, networksSupported: this.state.networksSupported });
    spec.name = sandboxName(project.name, group.name);
    if (group.sharePid) spec.body.HostConfig = { ...(spec.body.HostConfig ?? {}), IpcMode: 'shareable' };
    else spec.body.HostConfig = { ...(spec.body.HostConfig ?? {}), IpcMode: 'shareable' };
    for (const a of spec.networks) a.endpoint.Aliases = [...new Set([...group.services, ...(a.endpoint.Aliases ?? []).filter((x) => x !== service)])];
    const unit: PlanUnit = { id: `sandbox:${group.name}`, service, level, dependsOn: [], steps: [], placement: { group: group.name, mode: 'pod', role: 'sandbox' }, healthcheck: false };
    const current = existing.sort((a, b) => b.created - a.created)[0];
    for (const extra of existing.slice(1)) unit.steps.push(this.removeStep(extra, 'duplicate container number'));
    if (!current) unit.steps.push({ resource: 'container', action: 'create', service, number: 1, name: spec.name, cause: 'not found', spec });
    else if (this.opts.forceRecreate || (!this.opts.noRecreate && current.configHash !== hash)) {
      unit.steps.push({ resource: 'container', action: 'recreate', service, number: 1, name: spec.name, cause: this.opts.forceRecreate ? 'forced (--force-recreate)' : 'config hash changed', existing: current, spec });
    } else if (current.state !== 'running') unit.steps.push({ resource: 'container', action: 'start', service, number: 1, name: current.name, cause: current.state, existing: current });
    else unit.steps.push({ resource: 'container', action: 'noop', service, number: 1, name: current.name, cause: 'up to date', existing: current });
    if (unit.steps.some((s) => s.action === 'create' || s.action === 'recreate')) this.replaced.add(unit.id);
    return unit;
  }
}

export function planUp(project: Project, state: ObservedState, options: PlanOptions = {}): Plan {
  if (options.forceRecreate && options.noRecreate) throw new ComposeError('--force-recreate and --no-recreate cannot be combined');
  return new Planner(project, state, options).plan();
}

