// `deploy:` (and the service-level keys that say the same: scale, cpus, mem_limit,
// mem_reservation, pids_limit, restart, platform) → the service's mode, update and rollback
// policies, and the task's resources, restart policy and placement.
import type { ServiceConfig } from '../model/project.js';
import type { GenericResource, Placement, ResourceRequirements, RestartPolicy, ServiceMode, UpdateConfig } from '../client/swarm-api.js';
import { compact, decimalNumber, isRecord, nanoseconds, stringMap, wholeNumber, type Findings } from './values.js';

export type DeployMode = 'replicated' | 'global' | 'replicated-job' | 'global-job';
const MODES: readonly DeployMode[] = ['replicated', 'global', 'replicated-job', 'global-job'];

export interface DeployParts {
  mode: ServiceMode;
  job: boolean;
  update?: UpdateConfig;
  rollback?: UpdateConfig;
  resources?: ResourceRequirements;
  restart?: RestartPolicy;
  placement?: Placement;
  endpointMode?: 'vip' | 'dnsrr';
  labels: Record<string, string>;
}

export interface DeployContext {
  service: string;
  /** Some service waits for this one with `service_completed_successfully`: it is a one-shot. */
  awaitedCompletion: boolean;
  findings: Findings;
}

type Path = (string | number)[];

export function translateDeploy(svc: ServiceConfig, ctx: DeployContext): DeployParts {
  const f = ctx.findings;
  const at: Path = ['services', ctx.service, 'deploy'];
  const deploy: Record<string, unknown> = isRecord(svc.deploy) ? svc.deploy : {};
  const mode = deployMode(deploy.mode, ctx, [...at, 'mode']);
  const job = mode.endsWith('-job');
  const replicas = wholeNumber(deploy.replicas ?? svc.scale, [...at, 'replicas'], f);
  if (replicas !== undefined && (mode === 'global' || mode === 'global-job') && replicas !== 1) {
    f.error([...at, 'replicas'], `replicas cannot be set with mode ${mode}: a global service runs one task per node`);
  }
  const count = replicas ?? 1;
  const serviceMode: ServiceMode =
    mode === 'replicated' ? { Replicated: { Replicas: count } } : mode === 'global' ? { Global: {} } : mode === 'replicated-job' ? { ReplicatedJob: { MaxConcurrent: count, TotalCompletions: count } } : { GlobalJob: {} };

  let update = updatePolicy(deploy.update_config, [...at, 'update_config'], false, f);
  let rollback = updatePolicy(deploy.rollback_config, [...at, 'rollback_config'], true, f);
  if (job && (update || rollback)) {
    // Swarm runs a job's tasks to completion; there is nothing to roll forward or back.
    for (const k of ['update_config', 'rollback_config'] as const) if (deploy[k] !== undefined) f.error([...at, k], `a ${mode} service has no ${k}: a job runs to completion, it is not updated in place`);
    update = rollback = undefined;
  }

  const endpoint = deploy.endpoint_mode;
  if (endpoint !== undefined && endpoint !== 'vip' && endpoint !== 'dnsrr') f.error([...at, 'endpoint_mode'], `unknown endpoint_mode ${JSON.stringify(endpoint)}: expected vip or dnsrr`);

  return {
    mode: serviceMode,
    job,
    update,
    rollback,
    resources: resources(svc, deploy, ctx),
    restart: restartPolicy(svc, deploy, job, ctx),
    placement: placement(svc, deploy, ctx),
    endpointMode: endpoint === 'vip' || endpoint === 'dnsrr' ? endpoint : undefined,
    labels: stringMap(deploy.labels) ?? {},
  };
}

function deployMode(value: unknown, ctx: DeployContext, at: Path): DeployMode {
  if (value === undefined) {
    if (ctx.awaitedCompletion) {
      ctx.findings.notice(`services.${ctx.service}: runs as a replicated-job, because another service waits for it to complete successfully`);
      return 'replicated-job';
    }
    return 'replicated';
  }
  if (typeof value === 'string' && (MODES as readonly string[]).includes(value)) return value as DeployMode;
  ctx.findings.error(at, `unknown deploy mode ${JSON.stringify(value)}: expected ${MODES.join(', ')}`);
  return 'replicated';
}

function updatePolicy(value: unknown, at: Path, rollback: boolean, f: Findings): UpdateConfig | undefined {
  if (!isRecord(value)) return undefined;
  const actions = rollback ? ['continue', 'pause'] : ['continue', 'pause', 'rollback'];
  const action = value.failure_action;
  if (action !== undefined && !actions.includes(String(action))) f.error([...at, 'failure_action'], `unknown failure_action ${JSON.stringify(action)}: expected ${actions.join(', ')}`);
  const ratio = decimalNumber(value.max_failure_ratio, [...at, 'max_failure_ratio'], f);
  if (ratio !== undefined && ratio > 1) f.error([...at, 'max_failure_ratio'], `max_failure_ratio ${ratio} is above 1 (it is a fraction of the tasks)`);
  return compact<UpdateConfig>({
    // Swarm's own default: one task at a time (0 would mean all at once).
    Parallelism: wholeNumber(value.parallelism, [...at, 'parallelism'], f) ?? 1,
    Delay: nanoseconds(value.delay, [...at, 'delay'], f),
    FailureAction: actions.includes(String(action)) ? (action as UpdateConfig['FailureAction']) : undefined,
    Monitor: nanoseconds(value.monitor, [...at, 'monitor'], f),
    MaxFailureRatio: ratio,
    Order: value.order === 'start-first' ? 'start-first' : value.order === 'stop-first' ? 'stop-first' : undefined,
  });
}

/** deploy.resources, with the service-level shorthands; a shorthand and its deploy key must agree. */
function resources(svc: ServiceConfig, deploy: Record<string, unknown>, ctx: DeployContext): ResourceRequirements | undefined {
  const f = ctx.findings;
  const at: Path = ['services', ctx.service, 'deploy', 'resources'];
  const res = isRecord(deploy.resources) ? deploy.resources : {};
  const limits = isRecord(res.limits) ? res.limits : {};
  const reservations = isRecord(res.reservations) ? res.reservations : {};
  const pick = (deployValue: unknown, deployPath: Path, shorthand: string, parse: (v: unknown, p: Path) => number | undefined): number | undefined => {
    const fromDeploy = parse(deployValue, deployPath);
    const fromService = parse(svc[shorthand], ['services', ctx.service, shorthand]);
    if (fromDeploy !== undefined && fromService !== undefined && fromDeploy !== fromService) {
      f.error(['services', ctx.service, shorthand], `${shorthand} (${fromService}) and ${deployPath.slice(2).join('.')} (${fromDeploy}) disagree; keep one of them`);
    }
    return fromDeploy ?? fromService;
  };
  const cpus = (v: unknown, p: Path): number | undefined => {
    const n = decimalNumber(v, p, f);
    return n === undefined ? undefined : Math.round(n * 1e9);
  };
  const bytes = (v: unknown, p: Path): number | undefined => wholeNumber(v, p, f);
  const out = compact({
    Limits: compact({
      NanoCPUs: pick(limits.cpus, [...at, 'limits', 'cpus'], 'cpus', cpus),
      MemoryBytes: pick(limits.memory, [...at, 'limits', 'memory'], 'mem_limit', bytes),
      Pids: pick(limits.pids, [...at, 'limits', 'pids'], 'pids_limit', bytes),
    }),
    Reservations: compact({
      NanoCPUs: cpus(reservations.cpus, [...at, 'reservations', 'cpus']),
      MemoryBytes: pick(reservations.memory, [...at, 'reservations', 'memory'], 'mem_reservation', bytes),
      GenericResources: genericResources(reservations.generic_resources, [...at, 'reservations', 'generic_resources'], f),
    }),
  });
  return Object.keys(out).length ? out : undefined;
}

function genericResources(value: unknown, at: Path, f: Findings): GenericResource[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.flatMap((r, i): GenericResource[] => {
    const discrete = isRecord(r) ? r.discrete_resource_spec : undefined;
    const named = isRecord(r) ? r.named_resource_spec : undefined;
    if (isRecord(discrete) && typeof discrete.kind === 'string') {
      const v = wholeNumber(discrete.value, [...at, i, 'discrete_resource_spec', 'value'], f);
      return v === undefined ? [] : [{ DiscreteResourceSpec: { Kind: discrete.kind, Value: v } }];
    }
    if (isRecord(named) && typeof named.kind === 'string' && named.value !== undefined) return [{ NamedResourceSpec: { Kind: named.kind, Value: String(named.value) } }];
    f.error([...at, i], 'expected discrete_resource_spec or named_resource_spec with a kind and a value');
    return [];
  });
}

const CONDITIONS = ['none', 'on-failure', 'any'] as const;

function restartPolicy(svc: ServiceConfig, deploy: Record<string, unknown>, job: boolean, ctx: DeployContext): RestartPolicy | undefined {
  const f = ctx.findings;
  const at: Path = ['services', ctx.service, 'deploy', 'restart_policy'];
  let policy: RestartPolicy | undefined;
  if (isRecord(deploy.restart_policy)) {
    const rp = deploy.restart_policy;
    const condition = rp.condition;
    if (condition !== undefined && !(CONDITIONS as readonly unknown[]).includes(condition)) f.error([...at, 'condition'], `unknown restart condition ${JSON.stringify(condition)}: expected ${CONDITIONS.join(', ')}`);
    policy = compact({
      Condition: (CONDITIONS as readonly unknown[]).includes(condition) ? (condition as RestartPolicy['Condition']) : undefined,
      Delay: nanoseconds(rp.delay, [...at, 'delay'], f),
      MaxAttempts: wholeNumber(rp.max_attempts, [...at, 'max_attempts'], f),
      Window: nanoseconds(rp.window, [...at, 'window'], f),
    });
  } else if (svc.restart !== undefined) {
    policy = fromRestart(svc.restart, ['services', ctx.service, 'restart'], f);
  }
  if (job) {
    // A job that restarted on success would never complete: Swarm's jobs restart on failure only.
    if (policy?.Condition === 'any') {
      f.error(isRecord(deploy.restart_policy) ? [...at, 'condition'] : ['services', ctx.service, 'restart'], 'a job cannot restart on any exit (it would never complete); use on-failure or none');
    }
    return { ...(policy ?? {}), Condition: policy?.Condition === 'none' ? 'none' : 'on-failure' };
  }
  return policy && Object.keys(policy).length ? policy : undefined;
}

/** `restart:` as docker stack reads it when there is no deploy.restart_policy. */
function fromRestart(restart: string, at: Path, f: Findings): RestartPolicy | undefined {
  if (restart === 'no') return { Condition: 'none' };
  if (restart === 'always' || restart === 'unless-stopped') return { Condition: 'any' };
  const m = /^on-failure(?::(\d+))?$/.exec(restart);
  if (m) return { Condition: 'on-failure', ...(m[1] ? { MaxAttempts: Number(m[1]) } : {}) };
  f.error(at, `unknown restart policy ${JSON.stringify(restart)}: expected no, always, unless-stopped or on-failure[:N]`);
  return undefined;
}

function placement(svc: ServiceConfig, deploy: Record<string, unknown>, ctx: DeployContext): Placement | undefined {
  const f = ctx.findings;
  const at: Path = ['services', ctx.service, 'deploy', 'placement'];
  const p = isRecord(deploy.placement) ? deploy.placement : {};
  const preferences = Array.isArray(p.preferences)
    ? p.preferences.flatMap((pref, i) => {
        if (isRecord(pref) && typeof pref.spread === 'string') return [{ Spread: { SpreadDescriptor: pref.spread } }];
        f.error([...at, 'preferences', i], 'expected {spread: <node attribute>}');
        return [];
      })
    : undefined;
  let platforms: Placement['Platforms'];
  if (typeof svc.platform === 'string') {
    const [os, arch] = svc.platform.split('/');
    platforms = [compact({ OS: os, Architecture: arch })];
  }
  const out = compact({
    Constraints: Array.isArray(p.constraints) ? p.constraints.map(String) : undefined,
    Preferences: preferences,
    MaxReplicas: wholeNumber(p.max_replicas_per_node, [...at, 'max_replicas_per_node'], f),
    Platforms: platforms,
  });
  return Object.keys(out).length ? out : undefined;
}
