// The Swarm planner: the translated stack (translate.ts) × what the Swarm has of it (stack-state.ts)
// → a StackPlan of single manager calls, each with its cause. Pure. The plan's text form
// (formatStackPlan) is what `up --dry-run` prints and what the golden tests compare.
//
// Per service, in order: missing → create; a mode Swarm cannot change in place (replicated ↔
// global ↔ job) → replace; --force-recreate → update with ForceUpdate bumped; --no-recreate →
// no-op; config hash changed / replicas / image digest / the rest of the spec (berth's spec-hash
// label) → update; a dependency updated with `restart: true` (or --always-recreate-deps) → update
// with ForceUpdate bumped; else no-op. Services run in dependency levels; each waits for its
// dependencies' conditions (apply.ts). Configs and secrets are named by content, so new content is
// a new object; an old one is removed once no service's spec — nor its previous spec, which a
// rollback returns to — refers to it.
import { createHash } from 'node:crypto';
import { ComposeError, throwIfAny } from '../errors.js';
import type { FileObjectSpec, NetworkCreateSpec, ServiceInfo, ServiceMode, ServiceSpec } from '../client/swarm-api.js';
import { stableStringify } from '../loader/stable-json.js';
import type { DependsOnCondition, Project } from '../model/project.js';
import { LABEL } from '../observe/labels.js';
import { selectServices } from '../plan/plan.js';
import { inNamespace, referencedObjects, type ObservedStack } from './stack-state.js';
import type { SwarmFileObject, SwarmNetwork } from './objects.js';
import type { SwarmService, SwarmStack } from './translate.js';
import { isRecord } from './values.js';

export type ObjectAction = 'create' | 'exists' | 'external' | 'remove';

export interface ObjectStep {
  kind: 'network' | 'config' | 'secret';
  action: ObjectAction;
  name: string;
  cause: string;
  /** The object's id when it exists (file objects: what service specs refer to). */
  id?: string;
  spec?: NetworkCreateSpec | FileObjectSpec;
}

export interface ServiceDependency {
  /** The dependency's Swarm service key and name. */
  key: string;
  name: string;
  condition: DependsOnCondition;
  required: boolean;
  restart: boolean;
}

export type ServiceAction = 'create' | 'update' | 'replace' | 'noop' | 'remove';

export interface ServiceStep {
  action: ServiceAction;
  /** The Compose service (or the `single` group) this Swarm service is. */
  key: string;
  name: string;
  services: string[];
  cause: string;
  /** What to send (create, update, replace), labels included. */
  spec?: ServiceSpec;
  existing?: ServiceInfo;
  dependsOn: ServiceDependency[];
  /** 0: needs nothing of the stack. */
  level: number;
  job: boolean;
  /** Failed tasks a wait on this service lets Swarm retry before it gives up. */
  toleratedFailures: number;
}

export interface StackPlan {
  namespace: string;
  networks: ObjectStep[];
  configs: ObjectStep[];
  secrets: ObjectStep[];
  /** In start order: by level, then name. */
  services: ServiceStep[];
  /** Orphans (with --remove-orphans): removed after everything else, dependents first. */
  removals: ServiceStep[];
  /** Configs, secrets and networks of the stack nothing needs any more, removed last. */
  stale: ObjectStep[];
  warnings: string[];
  notices: string[];
  readonly empty: boolean;
}

export interface StackPlanOptions {
  /** Compose services named on the command line; empty means all (with their dependencies unless noDeps). */
  services?: string[];
  noDeps?: boolean;
  removeOrphans?: boolean;
  /** --force-recreate: every selected service is redeployed. */
  forceUpdate?: boolean;
  /** --no-recreate: existing services are left as they are. */
  noUpdate?: boolean;
  /** --always-recreate-deps: dependents of an updated service are redeployed too. */
  alwaysUpdateDeps?: boolean;
}

/** A service task that failed this many times while a wait watched it is broken, not racing. */
const SERVICE_FAILURES_TOLERATED = 2;
const CONDITION_RANK: Record<DependsOnCondition, number> = { service_started: 0, service_healthy: 1, service_completed_successfully: 2 };

export function planStack(stack: SwarmStack, observed: ObservedStack, project: Project, opts: StackPlanOptions = {}): StackPlan {
  if (opts.forceUpdate && opts.noUpdate) throw new ComposeError('--force-recreate and --no-recreate cannot be combined');
  const errors: ComposeError[] = [];
  const warnings: string[] = [];
  const keyOf = new Map(stack.services.flatMap((s) => s.services.map((c) => [c, s.key] as const)));
  const byKey = new Map(stack.services.map((s) => [s.key, s]));

  const selectedCompose = selectServices(project, opts.services, opts.noDeps ?? false);
  const selected = new Set(selectedCompose.map((c) => keyOf.get(c)!));
  const deps = new Map(stack.services.map((s) => [s.key, dependenciesOf(s, project, keyOf, byKey, errors)]));
  const levels = levelsOf([...selected], (k) => deps.get(k)!.map((d) => d.key).filter((d) => selected.has(d)));

  const networks = planNetworks(stack.networks, observed, errors);
  const configs = planFileObjects('config', stack.configs, observed.configs, errors);
  const secrets = planFileObjects('secret', stack.secrets, observed.secrets, errors);

  const steps: ServiceStep[] = [];
  const updated = new Set<string>();
  for (const key of [...selected].sort((a, b) => levels.get(a)! - levels.get(b)! || a.localeCompare(b))) {
    const svc = byKey.get(key)!;
    const dependsOn = deps.get(key)!;
    const step = planService(svc, observed.services.get(svc.spec.Name), dependsOn, updated, opts);
    steps.push({ ...step, dependsOn, level: levels.get(key)!, services: svc.services, key, name: svc.spec.Name, job: isJob(svc.spec.Mode), toleratedFailures: toleratedFailures(svc, project) });
    if (step.action !== 'noop') updated.add(key);
  }

  const desiredNames = new Set(stack.services.map((s) => s.spec.Name));
  const orphans = [...observed.services.values()].filter((s) => !desiredNames.has(s.Spec.Name)).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
  const removals: ServiceStep[] = [];
  for (const o of orphans) {
    const key = o.Spec.Labels?.[LABEL.service] ?? o.Spec.Name;
    if (!opts.removeOrphans) {
      warnings.push(`service ${o.Spec.Name} is not in the stack files (an orphan); up --remove-orphans removes it`);
      continue;
    }
    removals.push({ action: 'remove', key, name: o.Spec.Name, services: [key], cause: 'orphan: not in the stack files', existing: o, dependsOn: [], level: 0, job: isJob(o.Spec.Mode), toleratedFailures: 0 });
  }

  const stale = staleObjects(stack, observed, steps, removals);
  for (const s of stack.services) checkMaxReplicas(s, warnings);
  throwIfAny(errors);
  const changes = [...networks, ...configs, ...secrets].some((s) => s.action === 'create') || steps.some((s) => s.action !== 'noop') || removals.length > 0 || stale.length > 0;
  return { namespace: stack.namespace, networks, configs, secrets, services: steps, removals, stale, warnings, notices: stack.notices, empty: !changes };
}

export function isJob(mode: ServiceMode | undefined): boolean {
  return Boolean(mode?.ReplicatedJob || mode?.GlobalJob);
}

function modeKind(mode: ServiceMode | undefined): string {
  if (!mode) return 'replicated';
  if (mode.Global) return 'global';
  if (mode.ReplicatedJob) return 'replicated-job';
  if (mode.GlobalJob) return 'global-job';
  return 'replicated';
}

/** The Swarm services a service waits for, with the strongest condition when members of a group overlap. */
function dependenciesOf(svc: SwarmService, project: Project, keyOf: ReadonlyMap<string, string>, byKey: ReadonlyMap<string, SwarmService>, errors: ComposeError[]): ServiceDependency[] {
  const out = new Map<string, ServiceDependency>();
  for (const member of svc.services) {
    for (const [dep, d] of Object.entries(project.services[member].depends_on ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const key = keyOf.get(dep);
      if (key === undefined || key === svc.key) continue; // inside one `single` group: its own command orders them
      const target = byKey.get(key)!;
      if (d.condition === 'service_completed_successfully' && !isJob(target.spec.Mode)) {
        errors.push(new ComposeError(`waits for ${dep} to complete, but ${dep} runs in mode ${modeKind(target.spec.Mode)} on Swarm and never completes`, { location: { path: ['services', member, 'depends_on', dep, 'condition'] }, hint: `give ${dep} deploy.mode: replicated-job (or leave mode out: berth makes it a job), or wait for service_healthy` }));
      }
      const prev = out.get(key);
      const next: ServiceDependency = { key, name: target.spec.Name, condition: d.condition, required: d.required ?? true, restart: d.restart ?? false };
      if (!prev || CONDITION_RANK[next.condition] > CONDITION_RANK[prev.condition]) out.set(key, { ...next, restart: next.restart || (prev?.restart ?? false) });
      else if (next.restart) prev.restart = true;
    }
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** Start levels over the selected services (the loader refuses cycles). */
function levelsOf(keys: string[], depsOf: (k: string) => string[]): Map<string, number> {
  const level = new Map<string, number>();
  const visit = (k: string, seen: Set<string>): number => {
    const known = level.get(k);
    if (known !== undefined) return known;
    if (seen.has(k)) return 0;
    seen.add(k);
    const l = Math.max(-1, ...depsOf(k).map((d) => visit(d, seen))) + 1;
    level.set(k, l);
    return l;
  };
  for (const k of keys) visit(k, new Set());
  return level;
}

function toleratedFailures(svc: SwarmService, project: Project): number {
  if (!isJob(svc.spec.Mode)) return SERVICE_FAILURES_TOLERATED;
  // A one-shot that fails has failed, unless the stack asked Swarm to retry it.
  const own = project.services[svc.services[0]];
  const rp = isRecord(own.deploy) && isRecord(own.deploy.restart_policy) ? own.deploy.restart_policy : undefined;
  if (!rp && own.restart === undefined) return 0;
  const max = svc.spec.TaskTemplate.RestartPolicy?.MaxAttempts;
  return max === undefined || max === 0 ? Number.POSITIVE_INFINITY : max;
}

/**
 * The spec with berth's bookkeeping labels: the dependencies (for `down` without the files), the
 * task hash on the container labels (waits tell new tasks from old ones by it) and the spec hash.
 */
export function labelledSpec(spec: ServiceSpec, dependsOn: readonly ServiceDependency[]): ServiceSpec {
  const labels: Record<string, string> = { ...spec.Labels, [LABEL.dependsOn]: dependsOn.map((d) => `${d.key}:${d.condition}:${d.restart}`).join(',') };
  delete labels[LABEL.swarmSpecHash];
  const withDeps = withTaskHash({ ...spec, Labels: labels });
  return { ...withDeps, Labels: { ...labels, [LABEL.swarmSpecHash]: specHash(withDeps) } };
}

/** Sets the task hash (see LABEL.swarmTaskHash) for the spec's TaskTemplate as it is. */
export function withTaskHash(spec: ServiceSpec): ServiceSpec {
  const c = spec.TaskTemplate.ContainerSpec;
  const own = { ...(c.Labels ?? {}) };
  delete own[LABEL.swarmTaskHash];
  const template = { ...spec.TaskTemplate, ContainerSpec: { ...c, Labels: own } };
  const hash = createHash('sha256').update(stableStringify(template)).digest('hex');
  return { ...spec, TaskTemplate: { ...template, ContainerSpec: { ...template.ContainerSpec, Labels: { ...own, [LABEL.swarmTaskHash]: hash } } } };
}

export function specHash(spec: ServiceSpec): string {
  return createHash('sha256').update(stableStringify(spec)).digest('hex');
}

function replicasOf(mode: ServiceMode | undefined): number | undefined {
  return mode?.Replicated?.Replicas ?? mode?.ReplicatedJob?.TotalCompletions;
}

function planService(svc: SwarmService, existing: ServiceInfo | undefined, dependsOn: ServiceDependency[], updated: ReadonlySet<string>, opts: StackPlanOptions): Pick<ServiceStep, 'action' | 'cause' | 'spec' | 'existing'> {
  const spec = labelledSpec(svc.spec, dependsOn);
  if (!existing) return { action: 'create', cause: 'not found', spec };
  const was = existing.Spec;
  // ForceUpdate is part of the task template: bumped, it redeploys every task; carried over, nothing.
  const force = (cause: string) => ({ action: 'update' as const, cause, existing, spec: withTaskHash({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: (was.TaskTemplate.ForceUpdate ?? 0) + 1 } }) });
  const keep = was.TaskTemplate.ForceUpdate ? withTaskHash({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: was.TaskTemplate.ForceUpdate } }) : spec;
  if (modeKind(was.Mode) !== modeKind(spec.Mode)) {
    return { action: 'replace', cause: `mode ${modeKind(was.Mode)} → ${modeKind(spec.Mode)} (Swarm cannot change a service's mode: removed and created again)`, existing, spec };
  }
  if (opts.forceUpdate) return force('--force-recreate');
  if (opts.noUpdate) return { action: 'noop', cause: '--no-recreate', existing };
  const label = (k: string) => was.Labels?.[k];
  if (label(LABEL.configHash) !== spec.Labels[LABEL.configHash]) return { action: 'update', cause: 'config hash changed', existing, spec: keep };
  const [r0, r1] = [replicasOf(was.Mode), replicasOf(spec.Mode)];
  if (r0 !== r1) return { action: 'update', cause: `replicas ${r0 ?? '-'} → ${r1 ?? '-'}`, existing, spec: keep };
  const [i0, i1] = [was.TaskTemplate.ContainerSpec.Image, spec.TaskTemplate.ContainerSpec.Image];
  if (i0 !== i1) return { action: 'update', cause: `image ${i0} → ${i1}`, existing, spec: keep };
  const objects = changedObjects(was, spec);
  if (objects) return { action: 'update', cause: objects, existing, spec: keep };
  if (label(LABEL.swarmSpecHash) !== spec.Labels[LABEL.swarmSpecHash]) return { action: 'update', cause: 'Swarm spec changed (placement, endpoint, networks or objects)', existing, spec: keep };
  const restarted = dependsOn.find((d) => updated.has(d.key) && (d.restart || opts.alwaysUpdateDeps));
  if (restarted) return force(`dependency ${restarted.key} updated${restarted.restart ? ' (restart: true)' : ' (--always-recreate-deps)'}`);
  return { action: 'noop', cause: 'up to date', existing };
}

/** `config site: new content` when a referenced config or secret is another object now (rotation). */
function changedObjects(was: ServiceSpec, now: ServiceSpec): string | undefined {
  const refs = (s: ServiceSpec) => [
    ...(s.TaskTemplate.ContainerSpec.Configs ?? []).map((r) => ['config', r.File.Name, r.ConfigName] as const),
    ...(s.TaskTemplate.ContainerSpec.Secrets ?? []).map((r) => ['secret', r.File.Name, r.SecretName] as const),
  ];
  const before = new Set(refs(was).map((r) => r.join('\0')));
  const changed = refs(now).filter((r) => !before.has(r.join('\0')));
  if (changed.length === 0) return undefined;
  // The object's key in the stack file: its Swarm name without `<project>_` and `-<hash8>`.
  const key = (name: string): string => name.replace(/-[0-9a-f]{8}$/, '').replace(/^[^_]*_/, '');
  return changed.map(([kind, , name]) => `${kind} ${key(name)}: new content`).join(', ');
}

function planNetworks(desired: readonly SwarmNetwork[], observed: ObservedStack, errors: ComposeError[]): ObjectStep[] {
  return desired.map((n): ObjectStep => {
    const found = observed.networks.find((o) => o.Name === n.name);
    if (n.external) {
      if (!found) errors.push(new ComposeError(`network ${n.name} is declared external, but the Swarm has no such network`, { location: { path: ['networks', n.key] }, hint: `create it: docker network create --driver overlay --attachable ${n.name}` }));
      else if (found.Scope !== 'swarm') errors.push(new ComposeError(`network ${n.name} is external but ${found.Scope}-scoped (driver ${found.Driver}); Swarm services attach only to swarm-scoped networks`, { location: { path: ['networks', n.key] }, hint: 'use an overlay network' }));
      return { kind: 'network', action: 'external', name: n.name, cause: 'external', ...(found ? { id: found.Id } : {}) };
    }
    if (!found) return { kind: 'network', action: 'create', name: n.name, cause: 'not found', spec: n.spec };
    if (found.Driver !== n.spec?.Driver) errors.push(new ComposeError(`network ${n.name} exists with driver ${found.Driver}, but the stack wants ${n.spec?.Driver}`, { location: { path: ['networks', n.key] }, hint: 'run `berth down` to remove it, then `berth up`' }));
    return { kind: 'network', action: 'exists', name: n.name, cause: 'exists', id: found.Id };
  });
}

function planFileObjects(kind: 'config' | 'secret', desired: readonly SwarmFileObject[], observed: ObservedStack['configs'], errors: ComposeError[]): ObjectStep[] {
  return desired.map((o): ObjectStep => {
    const found = observed.find((x) => x.Spec.Name === o.name);
    if (o.external) {
      if (!found) errors.push(new ComposeError(`${kind} ${o.name} is declared external, but the Swarm has no such ${kind}`, { location: { path: [`${kind}s`, o.key] }, hint: `create it: docker ${kind} create ${o.name} FILE` }));
      return { kind, action: 'external', name: o.name, cause: 'external', ...(found ? { id: found.ID } : {}) };
    }
    if (found) return { kind, action: 'exists', name: o.name, cause: 'same content exists', id: found.ID };
    return { kind, action: 'create', name: o.name, cause: 'new content', spec: o.spec };
  });
}

/**
 * The stack's configs, secrets and networks that nothing will need once the plan ran: not in the
 * stack, and not referenced by any service's spec or previous spec afterwards (an updated
 * service's current spec becomes its previous one, which a rollback returns to).
 */
function staleObjects(stack: SwarmStack, observed: ObservedStack, steps: readonly ServiceStep[], removals: readonly ServiceStep[]): ObjectStep[] {
  const ns = observed.namespace;
  const removed = new Set(removals.map((r) => r.name));
  const after: ServiceInfo[] = [];
  for (const s of observed.allServices) {
    if (removed.has(s.Spec.Name)) continue;
    const step = steps.find((x) => x.name === s.Spec.Name && x.spec);
    // Updated: the new spec, and the current one as the previous. Replaced: only the new one.
    after.push(step ? { ...s, Spec: step.spec!, PreviousSpec: step.action === 'replace' ? undefined : s.Spec } : s);
  }
  for (const step of steps) if (step.action === 'create' && step.spec) after.push({ ID: '', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: step.spec });
  const used = referencedObjects(after);
  const out: ObjectStep[] = [];
  const wanted = { config: new Set(stack.configs.map((c) => c.name)), secret: new Set(stack.secrets.map((c) => c.name)) };
  for (const [kind, list, refs] of [['config', observed.configs, used.configs], ['secret', observed.secrets, used.secrets]] as const) {
    for (const o of list) {
      if (!inNamespace(o.Spec.Labels, ns) || wanted[kind].has(o.Spec.Name) || refs.has(o.Spec.Name)) continue;
      out.push({ kind, action: 'remove', name: o.Spec.Name, id: o.ID, cause: 'no service uses it any more' });
    }
  }
  const netNames = new Set(stack.networks.map((n) => n.name));
  const netRefs = new Set(after.flatMap((s) => (s.Spec.TaskTemplate.Networks ?? []).map((n) => n.Target)));
  for (const n of observed.networks) {
    if (!inNamespace(n.Labels, ns) || netNames.has(n.Name) || netRefs.has(n.Name) || netRefs.has(n.Id)) continue;
    out.push({ kind: 'network', action: 'remove', name: n.Name, id: n.Id, cause: 'not in the stack files' });
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/**
 * Host-mode ports from several replicas: Swarm runs at most one such task per node (its scheduler
 * filters on host ports), so more replicas than eligible nodes stay pending. Said once, at plan
 * time, unless the stack already says one per node (max_replicas_per_node: 1) or runs globally.
 */
function checkMaxReplicas(svc: SwarmService, warnings: string[]): void {
  const replicas = svc.spec.Mode.Replicated?.Replicas ?? 1;
  const host = (svc.spec.EndpointSpec.Ports ?? []).filter((p) => p.PublishMode === 'host' && p.PublishedPort !== undefined);
  if (replicas <= 1 || host.length === 0 || svc.spec.TaskTemplate.Placement?.MaxReplicas === 1) return;
  warnings.push(`service ${svc.spec.Name} publishes host port ${host.map((p) => `${p.PublishedPort}/${p.Protocol}`).join(', ')} from ${replicas} replicas: Swarm runs at most one such task per node, so ${replicas} nodes must be eligible (deploy.placement.max_replicas_per_node: 1 says so)`);
}

/** The plan as text: one line per step, in execution order. */
export function formatStackPlan(plan: StackPlan, options: { includeNoop?: boolean } = {}): string {
  const includeNoop = options.includeNoop ?? true;
  const lines: string[] = [];
  for (const o of [...plan.networks, ...plan.configs, ...plan.secrets]) if (includeNoop || o.action === 'create') lines.push(`${o.kind} ${o.name}: ${o.action} (${o.cause})`);
  for (const s of plan.services) {
    if (!includeNoop && s.action === 'noop') continue;
    const after = s.dependsOn.length && s.action !== 'noop' ? ` after ${s.dependsOn.map((d) => `${d.key} ${conditionWord(d.condition)}`).join(', ')}` : '';
    lines.push(`service ${s.name}: ${s.action} (${s.cause})${after}`);
  }
  for (const r of plan.removals) lines.push(`service ${r.name}: remove (${r.cause})`);
  for (const o of plan.stale) lines.push(`${o.kind} ${o.name}: remove (${o.cause})`);
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export function conditionWord(c: DependsOnCondition): string {
  return c === 'service_healthy' ? 'healthy' : c === 'service_completed_successfully' ? 'completed' : 'started';
}
