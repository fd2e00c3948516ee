// One Compose service → one Swarm ServiceSpec (the body of POST /services/create). The task's
// container comes from the service's keys; deploy.ts gives the mode and policies, endpoint.ts
// the ports and networks, mounts.ts the mounts. Refused keys are reported by refusals.ts; this
// module only reads the keys it maps.
import { LABEL } from '../observe/labels.js';
import type { Healthcheck, Project, ServiceConfig } from '../model/project.js';
import type { ConfigReference, ContainerSpec, HealthConfig, Labels, NetworkAttachment, SecretReference, ServiceSpec } from '../client/swarm-api.js';
import { translateDeploy } from './deploy.js';
import { translateEndpoint, translateNetworkAttachments, type VipFallback } from './endpoint.js';
import { translateMounts } from './mounts.js';
import type { SwarmFileObject, SwarmNetwork, SwarmVolume } from './objects.js';
import { compact, isRecord, nanoseconds, stringMap, wholeNumber, type Findings } from './values.js';

export interface ServiceContext {
  project: Project;
  namespace: string;
  vip: boolean;
  digests: Readonly<Record<string, string>>;
  networks: ReadonlyMap<string, SwarmNetwork>;
  volumes: ReadonlyMap<string, SwarmVolume>;
  configs: ReadonlyMap<string, SwarmFileObject>;
  secrets: ReadonlyMap<string, SwarmFileObject>;
  stackLabels: Labels;
  /** Services some other service waits for with service_completed_successfully. */
  awaitedCompletion: ReadonlySet<string>;
  configHash: (service: string) => string;
  vipFallback: VipFallback;
  findings: Findings;
}

/** What a placement group changes about a service's spec. */
export interface ServiceAdjustments {
  /** The Swarm service's name, when it is not `<stack>_<service>` (a single group's). */
  name?: string;
  labels?: Labels;
  constraints?: readonly string[];
  networks?: readonly NetworkAttachment[];
  aliases?: readonly string[];
  /** Replaces the container's Command and Args (a single group's supervisor). */
  command?: string[];
  configHash?: string;
}

export function translateService(service: string, svc: ServiceConfig, ctx: ServiceContext, adj: ServiceAdjustments = {}): ServiceSpec {
  const f = ctx.findings;
  const deploy = translateDeploy(svc, { service, awaitedCompletion: ctx.awaitedCompletion.has(service), findings: f });
  const image = imageOf(service, svc, ctx);
  const container = containerSpec(service, svc, image, ctx);
  if (adj.command) {
    container.Command = adj.command;
    delete container.Args;
  }
  const networks = [...translateNetworkAttachments(svc, { service, networks: ctx.networks, extraAliases: adj.aliases, findings: f }), ...(adj.networks ?? [])];
  const constraints = [...(deploy.placement?.Constraints ?? []), ...(adj.constraints ?? [])];
  const placement = compact({ ...(deploy.placement ?? {}), Constraints: constraints });
  const spec: ServiceSpec = {
    Name: adj.name ?? `${ctx.namespace}_${service}`,
    Labels: {
      ...deploy.labels,
      ...ctx.stackLabels,
      [LABEL.stackImage]: svc.image ?? '',
      [LABEL.service]: service,
      [LABEL.configHash]: adj.configHash ?? ctx.configHash(service),
      ...(adj.labels ?? {}),
    },
    TaskTemplate: compact({
      ContainerSpec: container,
      Resources: deploy.resources,
      RestartPolicy: deploy.restart,
      Placement: Object.keys(placement).length ? placement : undefined,
      Networks: networks,
      LogDriver: logDriver(service, svc, f),
    }),
    Mode: deploy.mode,
    EndpointSpec: translateEndpoint(svc, { service, vip: ctx.vip, endpointMode: deploy.endpointMode, findings: f }, ctx.vipFallback),
  };
  if (deploy.update) spec.UpdateConfig = deploy.update;
  if (deploy.rollback) spec.RollbackConfig = deploy.rollback;
  return spec;
}

/** The image, pinned to its digest when the caller resolved one (every node then runs the same bytes). */
function imageOf(service: string, svc: ServiceConfig, ctx: ServiceContext): string {
  if (typeof svc.image !== 'string' || svc.image === '') {
    ctx.findings.error(['services', service, svc.build ? 'build' : 'image'], svc.build
      ? 'Swarm nodes pull their images from a registry: a service with only build: needs image: <registry>/<name> to push the build to; add image or deploy with --engine docker'
      : 'the service has no image');
    return '';
  }
  const digest = ctx.digests[svc.image];
  if (!digest || svc.image.includes('@')) return svc.image;
  return `${svc.image}@${digest}`;
}

function containerSpec(service: string, svc: ServiceConfig, image: string, ctx: ServiceContext): ContainerSpec {
  const f = ctx.findings;
  const at = ['services', service];
  const env = Object.entries(svc.environment ?? {})
    // Unset variables (`KEY` with no value and none in the environment) are left out, as compose does.
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const hosts = Object.keys(svc.extra_hosts ?? {})
    .sort()
    .flatMap((host) => (svc.extra_hosts![host] ?? []).map((ip) => `${ip} ${host}`));
  const ulimits = Object.keys(svc.ulimits ?? {})
    .sort()
    .map((name) => ({ Name: name, Soft: svc.ulimits![name].soft, Hard: svc.ulimits![name].hard }));
  const cred = isRecord(svc.credential_spec) ? compact({ Config: str(svc.credential_spec.config), File: str(svc.credential_spec.file), Registry: str(svc.credential_spec.registry) }) : undefined;
  return compact<ContainerSpec>({
    Image: image,
    Labels: { ...(svc.labels ?? {}), ...ctx.stackLabels, [LABEL.service]: service },
    Command: svc.entrypoint ?? undefined,
    Args: svc.command ?? undefined,
    Hostname: svc.hostname,
    Env: env,
    Dir: svc.working_dir,
    User: svc.user,
    Groups: Array.isArray(svc.group_add) ? svc.group_add.map(String) : undefined,
    Privileges: cred && Object.keys(cred).length ? { CredentialSpec: cred } : undefined,
    TTY: svc.tty === true || undefined,
    OpenStdin: svc.stdin_open === true || undefined,
    ReadOnly: svc.read_only === true || undefined,
    Mounts: translateMounts(svc, { service, volumes: ctx.volumes, stackLabels: ctx.stackLabels, findings: f }),
    StopSignal: svc.stop_signal,
    StopGracePeriod: nanoseconds(svc.stop_grace_period, [...at, 'stop_grace_period'], f),
    HealthCheck: svc.healthcheck ? healthCheck(svc.healthcheck, [...at, 'healthcheck'], f) : undefined,
    Hosts: hosts,
    DNSConfig: compact({ Nameservers: list(svc.dns), Search: list(svc.dns_search), Options: list(svc.dns_opt) }),
    Secrets: fileRefs('secrets', service, svc, ctx) as SecretReference[],
    Configs: fileRefs('configs', service, svc, ctx) as ConfigReference[],
    Isolation: str(svc.isolation),
    Init: typeof svc.init === 'boolean' ? svc.init : undefined,
    Sysctls: svc.sysctls ? stringMap(svc.sysctls) : undefined,
    CapabilityAdd: list(svc.cap_add),
    CapabilityDrop: list(svc.cap_drop),
    Ulimits: ulimits,
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function list(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined;
}

function healthCheck(h: Healthcheck, at: (string | number)[], f: Findings): HealthConfig {
  if (h.disable === true || (typeof h.disable === 'string' && h.disable === 'true')) return { Test: ['NONE'] };
  return compact({
    Test: h.test,
    Interval: nanoseconds(h.interval, [...at, 'interval'], f),
    Timeout: nanoseconds(h.timeout, [...at, 'timeout'], f),
    StartPeriod: nanoseconds(h.start_period, [...at, 'start_period'], f),
    Retries: wholeNumber(h.retries, [...at, 'retries'], f),
  });
}

/**
 * Secret and config references by the objects' Swarm names. The IDs Swarm also wants are only
 * known once the objects exist; `withObjectIds` (translate.ts) fills them in.
 */
function fileRefs(kind: 'secrets' | 'configs', service: string, svc: ServiceConfig, ctx: ServiceContext): (SecretReference | ConfigReference)[] {
  const objects = kind === 'secrets' ? ctx.secrets : ctx.configs;
  return (svc[kind] ?? []).flatMap((ref, i) => {
    const obj = objects.get(ref.source);
    if (!obj) {
      ctx.findings.error(['services', service, kind, i, 'source'], `${kind.slice(0, -1)} "${ref.source}" is not declared under the top-level ${kind}`);
      return [];
    }
    // Secrets default to /run/secrets/<source> (the loader wrote that); Swarm names them relative to it.
    let target = ref.target ?? (kind === 'secrets' ? ref.source : `/${ref.source}`);
    if (kind === 'secrets' && target.startsWith('/run/secrets/')) target = target.slice('/run/secrets/'.length);
    const file = { Name: target, UID: ref.uid ?? '0', GID: ref.gid ?? '0', Mode: ref.mode ?? 0o444 };
    return [kind === 'secrets' ? { File: file, SecretName: obj.name } : { File: file, ConfigName: obj.name }];
  });
}

function logDriver(service: string, svc: ServiceConfig, f: Findings): { Name: string; Options?: Record<string, string> } | undefined {
  if (!isRecord(svc.logging)) return undefined;
  const driver = svc.logging.driver;
  const options = stringMap(svc.logging.options);
  if (typeof driver !== 'string') {
    if (options && Object.keys(options).length) f.error(['services', service, 'logging', 'driver'], 'Swarm needs the log driver named to pass it options; add logging.driver');
    return undefined;
  }
  return compact({ Name: driver, Options: options });
}
