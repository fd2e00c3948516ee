// Project → the Swarm objects berth would create for it: overlay networks, volumes, configs and
// secrets (content-hashed names), and one ServiceSpec per service (or per `single` group). Pure
// but for reading config and secret files (injectable). Every key is mapped, honoured or refused
// as keys.ts says; every refusal and problem is collected and thrown together, never dropped.
import { readFileSync } from 'node:fs';
import { LABEL } from '../observe/labels.js';
import { throwIfAny } from '../errors.js';
import { serviceConfigHash } from '../loader/hash.js';
import type { PlacementMode, Project } from '../model/project.js';
import { resolvePlacement, type ResolvedGroup } from '../plan/placement.js';
import type { Labels, ServiceSpec } from '../client/swarm-api.js';
import type { VipFallback } from './endpoint.js';
import { podNetwork, stackLabels, translateFileObjects, translateNetworks, translateVolumes, type ObjectContext, type SwarmFileObject, type SwarmNetwork, type SwarmVolume } from './objects.js';
import { checkServiceKeys } from './refusals.js';
import { translateService, type ServiceAdjustments, type ServiceContext } from './service-spec.js';
import { groupHash, mergedGroupService, singleGroupCommand } from './single.js';
import { Findings } from './values.js';

export interface TranslateOptions {
  /** The stack namespace: service, network and object names start with it. Default: the project name. */
  namespace?: string;
  /** false when the Swarm has no IPVS: services get endpoint_mode dnsrr and host-mode ports. */
  vip: boolean;
  /** Image reference as written in the stack → its digest (`sha256:…`): tasks are pinned to it. */
  digests?: Readonly<Record<string, string>>;
  /** `--placement`: overrides every x-placement group's mode. */
  placement?: PlacementMode;
  /**
   * Pod groups: the constraint that puts a group's members on one node, e.g. `node.hostname==node2`.
   * Default: `node.labels.io.berth.pod.<project>_<group>==true` (label one node so).
   */
  podConstraints?: Readonly<Record<string, string>>;
  /** Reads config and secret files (default: the file system). */
  readFile?: (path: string) => Buffer | string;
  /** Values for configs and secrets taken from `environment:`. Default: none set. */
  environment?: Readonly<Record<string, string | undefined>>;
}

export interface SwarmService {
  /** The Compose service, or the group name of a `single` group. */
  key: string;
  /** The Compose services this Swarm service runs (several for a `single` group). */
  services: string[];
  spec: ServiceSpec;
}

export interface SwarmStack {
  namespace: string;
  networks: SwarmNetwork[];
  volumes: SwarmVolume[];
  configs: SwarmFileObject[];
  secrets: SwarmFileObject[];
  services: SwarmService[];
  /** Things the user should know that are not errors (no VIP, pods without shared namespaces, binds). */
  notices: string[];
}

export function translateProject(project: Project, opts: TranslateOptions): SwarmStack {
  const f = new Findings();
  const namespace = opts.namespace ?? project.name;
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p));
  const objectCtx: ObjectContext = { project, namespace, readFile, environment: opts.environment ?? {}, findings: f };
  const placement = resolvePlacement(project, opts.placement);

  for (const name of Object.keys(project.services).sort()) checkServiceKeys(name, project.services[name], f);

  const pods = placement.groups.filter((g) => g.mode === 'pod');
  const networks = translateNetworks(objectCtx, pods.map((g) => podNetwork(objectCtx, g.name)));
  const volumes = translateVolumes(objectCtx);
  const configs = translateFileObjects('configs', objectCtx);
  const secrets = translateFileObjects('secrets', objectCtx);
  const vipFallback: VipFallback = { services: new Set() };
  const ctx: ServiceContext = {
    project,
    namespace,
    vip: opts.vip,
    digests: opts.digests ?? {},
    networks: new Map(networks.map((n) => [n.key, n])),
    volumes: new Map(volumes.map((v) => [v.key, v])),
    configs: new Map(configs.map((c) => [c.key, c])),
    secrets: new Map(secrets.map((s) => [s.key, s])),
    stackLabels: stackLabels(objectCtx),
    awaitedCompletion: awaitedCompletion(project),
    // The same hash `up` computes, over the same reader (an optional env file that is absent hashes as absent).
    configHash: (s) => serviceConfigHash(project, s, opts.readFile ? (p) => readOrMissing(opts.readFile!, p) : undefined),
    vipFallback,
    findings: f,
  };

  const services: SwarmService[] = [];
  for (const name of Object.keys(project.services).sort()) {
    const group = placement.groupOf(name);
    if (group?.mode === 'single') {
      if (group.services[0] === name) services.push(singleGroupService(group, ctx, f));
      continue;
    }
    const adj = group?.mode === 'pod' ? podAdjustments(group, name, ctx, opts, f) : group ? { labels: groupLabels(group, 'member') } : {};
    services.push({ key: name, services: [name], spec: translateService(name, project.services[name], ctx, adj) });
  }

  if (vipFallback.services.size > 0) {
    f.notice(`this Swarm cannot do VIP load balancing (no IPVS in the kernel): services use endpoint_mode dnsrr and publish their ports in host mode, on the node running each task (${[...vipFallback.services].sort().join(', ')})`);
  }
  throwIfAny(f.sortedErrors());
  return { namespace, networks, volumes, configs, secrets, services: services.sort((a, b) => a.spec.Name.localeCompare(b.spec.Name)), notices: f.notices };
}

function readOrMissing(read: (path: string) => Buffer | string, p: string): string {
  try {
    return String(read(p));
  } catch {
    return '\0missing\0';
  }
}

/** Services some other service waits for with `service_completed_successfully`: one-shots, so jobs. */
function awaitedCompletion(project: Project): Set<string> {
  const out = new Set<string>();
  for (const svc of Object.values(project.services)) {
    for (const [dep, d] of Object.entries(svc.depends_on ?? {})) if (d.condition === 'service_completed_successfully') out.add(dep);
  }
  return out;
}

function groupLabels(group: ResolvedGroup, role: 'member' | 'main'): Labels {
  return {
    [LABEL.placementGroup]: group.name,
    [LABEL.placementMode]: group.mode,
    [LABEL.placementRole]: role,
    ...(group.mode === 'single' && group.services.length > 1 ? { [LABEL.placementMembers]: group.services.slice(1).join(',') } : {}),
  };
}

/**
 * A pod member on Swarm: its own service, pinned with the group's constraint to the node the
 * others run on, and on an overlay network of the group's. Swarm cannot join containers'
 * namespaces, so members reach each other by name over that network, not over localhost.
 */
function podAdjustments(group: ResolvedGroup, service: string, ctx: ServiceContext, opts: TranslateOptions, f: Findings): ServiceAdjustments {
  const chosen = opts.podConstraints?.[group.name];
  const constraint = chosen ?? `node.labels.io.berth.pod.${ctx.project.name}_${group.name}==true`;
  f.notice(
    `placement group "${group.name}" (pod): Swarm cannot share network, IPC or PID namespaces between services, so ${group.services.join(', ')} run as separate services on one node (${constraint}) and reach each other by name on the overlay network ${ctx.project.name}_pod_${group.name}, not over localhost` +
      (chosen ? '' : `; label one node: docker node update --label-add io.berth.pod.${ctx.project.name}_${group.name}=true <node>`),
  );
  const net = ctx.networks.get(`pod_${group.name}`)!;
  return { labels: groupLabels(group, 'member'), constraints: [constraint], networks: [{ Target: net.name, Aliases: [service] }] };
}

function singleGroupService(group: ResolvedGroup, ctx: ServiceContext, f: Findings): SwarmService {
  const [main] = group.services;
  const merged = mergedGroupService(group, ctx.project.services);
  const command = singleGroupCommand(group, ctx.project.services, f);
  const spec = translateService(main, merged, ctx, {
    name: `${ctx.namespace}_${group.name}`,
    labels: groupLabels(group, 'main'),
    aliases: group.services,
    ...(command ? { command } : {}),
    configHash: groupHash(group, ctx.configHash),
  });
  return { key: group.name, services: [...group.services], spec };
}

/** The spec with the SecretID / ConfigID of every reference, once the objects exist (by Swarm name). */
export function withObjectIds(spec: ServiceSpec, ids: { secrets?: Readonly<Record<string, string>>; configs?: Readonly<Record<string, string>> }): ServiceSpec {
  const c = spec.TaskTemplate.ContainerSpec;
  const missing = (kind: string, name: string): never => {
    throw new Error(`no id for ${kind} ${name}: create it before the service`);
  };
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...c,
        ...(c.Secrets ? { Secrets: c.Secrets.map((s) => ({ ...s, SecretID: ids.secrets?.[s.SecretName] ?? missing('secret', s.SecretName) })) } : {}),
        ...(c.Configs ? { Configs: c.Configs.map((s) => ({ ...s, ConfigID: ids.configs?.[s.ConfigName] ?? missing('config', s.ConfigName) })) } : {}),
      },
    },
  };
}
