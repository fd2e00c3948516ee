// The stack's own Swarm objects besides services: overlay networks, volumes (created by each node
// when a task mounts them, so they are described here and used in mounts), and configs and
// secrets named by a hash of their content — Swarm never changes a config's data, so new content
// is a new object and updating a service to it is the rotation.
import { createHash } from 'node:crypto';
import { LABEL, networkLabels, volumeLabels } from '../observe/labels.js';
import type { FileObjectConfig, Project } from '../model/project.js';
import type { FileObjectSpec, Labels, NetworkCreateSpec } from '../client/swarm-api.js';
import { compact, isRecord, stringMap, type Findings } from './values.js';

export interface SwarmNetwork {
  key: string;
  name: string;
  external: boolean;
  /** Absent for external networks: they must exist (swarm-scoped) already. */
  spec?: NetworkCreateSpec;
}

export interface SwarmVolume {
  key: string;
  name: string;
  external: boolean;
  driver: string;
  driverOptions?: Record<string, string>;
  labels: Labels;
}

export interface SwarmFileObject {
  key: string;
  /** The Swarm name services refer to: `<name>-<hash8>`, or the external name. */
  name: string;
  external: boolean;
  spec?: FileObjectSpec;
}

export interface ObjectContext {
  project: Project;
  namespace: string;
  readFile: (path: string) => Buffer | string;
  environment: Readonly<Record<string, string | undefined>>;
  findings: Findings;
}

const NOT_SWARM_DRIVERS = new Set(['bridge', 'host', 'none']);
/** Swarm refuses longer config and secret names. */
const MAX_OBJECT_NAME = 64;

export function stackLabels(ctx: Pick<ObjectContext, 'namespace' | 'project'>): Labels {
  return { [LABEL.stackNamespace]: ctx.namespace, [LABEL.project]: ctx.project.name };
}

export function translateNetworks(ctx: ObjectContext, extra: readonly SwarmNetwork[] = []): SwarmNetwork[] {
  const out: SwarmNetwork[] = [];
  for (const [key, def] of Object.entries(ctx.project.networks)) {
    const at = ['networks', key];
    if (def.external) {
      out.push({ key, name: def.name, external: true });
      continue;
    }
    const driver = def.driver ?? 'overlay';
    if (NOT_SWARM_DRIVERS.has(driver)) {
      ctx.findings.error([...at, 'driver'], `Swarm services cannot use ${driver} networks (they belong to one node); use the overlay driver (or leave driver out) or deploy with --engine docker`);
    }
    if (def.enable_ipv4 === false) ctx.findings.error([...at, 'enable_ipv4'], 'Swarm networks cannot turn IPv4 off; remove it or deploy with --engine docker');
    const ipam = def.ipam
      ? compact({
          Driver: def.ipam.driver,
          Config: def.ipam.config?.map((c) => compact({ Subnet: c.subnet, IPRange: c.ip_range, Gateway: c.gateway, AuxiliaryAddresses: c.aux_addresses })),
          Options: def.ipam.options,
        })
      : undefined;
    out.push({
      key,
      name: def.name,
      external: false,
      spec: compact({
        Name: def.name,
        Driver: driver,
        Scope: 'swarm' as const,
        // Attachable, so one-off containers (`berth run`) and tests can join the stack's network.
        Attachable: def.attachable ?? true,
        Internal: def.internal,
        EnableIPv6: def.enable_ipv6,
        CheckDuplicate: true,
        IPAM: ipam,
        Options: stringMap(def.driver_opts),
        Labels: { ...networkLabels(ctx.project.name, key, def.labels ?? {}), [LABEL.stackNamespace]: ctx.namespace },
      }),
    });
  }
  return [...out, ...extra].sort((a, b) => a.name.localeCompare(b.name));
}

/** An overlay network for a pod group's members (they cannot share a network namespace on Swarm). */
export function podNetwork(ctx: Pick<ObjectContext, 'namespace' | 'project'>, group: string): SwarmNetwork {
  const name = `${ctx.project.name}_pod_${group}`;
  return {
    key: `pod_${group}`,
    name,
    external: false,
    spec: { Name: name, Driver: 'overlay', Scope: 'swarm', Attachable: true, CheckDuplicate: true, Labels: { ...networkLabels(ctx.project.name, `pod_${group}`), [LABEL.stackNamespace]: ctx.namespace } },
  };
}

export function translateVolumes(ctx: ObjectContext): SwarmVolume[] {
  return Object.entries(ctx.project.volumes).map(([key, def]) => ({
    key,
    name: def.name,
    external: def.external === true,
    driver: def.driver ?? 'local',
    ...(def.driver_opts ? { driverOptions: stringMap(def.driver_opts) } : {}),
    labels: def.external ? {} : { ...volumeLabels(ctx.project.name, key, def.labels ?? {}), [LABEL.stackNamespace]: ctx.namespace },
  }));
}

export function translateFileObjects(kind: 'configs' | 'secrets', ctx: ObjectContext): SwarmFileObject[] {
  const out: SwarmFileObject[] = [];
  for (const [key, def] of Object.entries(ctx.project[kind])) {
    if (def.external) {
      out.push({ key, name: def.name, external: true });
      continue;
    }
    const data = content(kind, key, def, ctx);
    if (data === undefined) continue;
    const name = `${def.name}-${createHash('sha256').update(data).digest('hex').slice(0, 8)}`;
    if (name.length > MAX_OBJECT_NAME) ctx.findings.error([kind, key, 'name'], `the Swarm name ${name} is longer than ${MAX_OBJECT_NAME} characters; choose a shorter name`);
    const driver = kind === 'secrets' && typeof def.driver === 'string' ? { Name: def.driver, ...(isRecord(def.driver_opts) ? { Options: stringMap(def.driver_opts) } : {}) } : undefined;
    const templating = typeof def.template_driver === 'string' ? { Name: def.template_driver } : undefined;
    out.push({
      key,
      name,
      external: false,
      spec: compact({ Name: name, Labels: { ...(stringMap(def.labels) ?? {}), ...stackLabels(ctx) }, Data: data.toString('base64'), Driver: driver, Templating: templating }),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function content(kind: string, key: string, def: FileObjectConfig, ctx: ObjectContext): Buffer | undefined {
  const at = [kind, key];
  if (typeof def.content === 'string') return Buffer.from(def.content);
  if (typeof def.environment === 'string') {
    const value = ctx.environment[def.environment];
    if (value === undefined) {
      ctx.findings.error([...at, 'environment'], `the variable ${def.environment} is not set, so the ${kind.slice(0, -1)} has no content`);
      return undefined;
    }
    return Buffer.from(value);
  }
  if (typeof def.file === 'string') {
    try {
      const data = ctx.readFile(def.file);
      return typeof data === 'string' ? Buffer.from(data) : data;
    } catch (e) {
      ctx.findings.error([...at, 'file'], `cannot read ${def.file}: ${(e as Error).message}`);
      return undefined;
    }
  }
  ctx.findings.error(at, `the ${kind.slice(0, -1)} has no content: set file, content or environment, or mark it external`);
  return undefined;
}
