// What the JSON schema cannot express: references between parts of the project, dependency
// cycles, names and host ports that must be unique, and berth's x-placement rules. Runs on
// the canonical Project (after normalize and profiles), so every short syntax is gone and
// implicit depends_on (links, volumes_from, service:x namespaces) are already present.
// Each check returns problems; all of them are reported together, sorted by location.
import { ComposeError, formatKeyPath, type KeyPath, type Location } from '../errors.js';
import { cycleMessage, findCycles, serviceReferences, type ServiceReference } from '../graph/graph.js';
import type { PlacementMode, Project, ServiceConfig } from '../model/project.js';
import { isPlainObject } from '../lib/object.js';
import { publishedPortProblems } from './published-ports.js';

interface Problem {
  detail: string;
  path: KeyPath;
  hint?: string;
}

type Check = (project: Project) => Problem[];

/** The checks, in the order their problems are produced (the result is sorted anyway). */
const CHECKS: Record<string, Check> = {
  imageOrBuild: checkImageOrBuild,
  serviceReferences: checkServiceReferences,
  resourceReferences: checkResourceReferences,
  cycles: checkCycles,
  containerNames: checkContainerNames,
  publishedPorts: checkPublishedPorts,
  placement: checkPlacement,
  externalVolumes: checkExternalVolumes,
  fileObjects: checkFileObjects,
  networkMode: checkNetworkModeAndNetworks,
  deviceRequests: checkDeviceRequests,
};

export function validateSemantics(project: Project, locate?: (path: KeyPath) => Location): ComposeError[] {
  const where = locate ?? ((path: KeyPath): Location => ({ path }));
  const errors = Object.values(CHECKS)
    .flatMap((check) => check(project))
    .map((p) => new ComposeError(p.detail, { location: where(p.path), hint: p.hint }));
  return sortByLocation(errors);
}

/** file, line, column, then key path and message: the order a person reads a file in. */
export function sortByLocation(errors: readonly ComposeError[]): ComposeError[] {
  const key = (e: ComposeError): (string | number)[] => [
    e.location?.file ?? '',
    e.location?.line ?? Number.MAX_SAFE_INTEGER,
    e.location?.column ?? Number.MAX_SAFE_INTEGER,
    formatKeyPath(e.location?.path ?? []),
    e.detail,
  ];
  return [...errors].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}

const sortedNames = (record: Record<string, unknown>): string[] => Object.keys(record).sort();

// ---- what a container is made from ------------------------------------------------------

/**
 * compose-go's consistency check: a container needs an image to run, or a build to make one. A
 * `provider:` service is made by a plugin instead, and is exempt there too.
 */
function checkImageOrBuild(project: Project): Problem[] {
  return sortedNames(project.services)
    .filter((name) => {
      const svc = project.services[name];
      return !svc.image && !svc.build && !('provider' in svc);
    })
    .map((name) => ({
      detail: `service "${name}" has neither an image nor a build context specified`,
      path: ['services', name],
      hint: 'add `image:` (an image on the engine) or `build:` (a directory with a Dockerfile)',
    }));
}

// ---- references -------------------------------------------------------------------------

/** How a dangling service reference is worded, per attribute; compose-go's words where it has them. */
const UNKNOWN_SERVICE: Record<string, (service: string, target: string, attribute: string) => string> = {
  depends_on: (s, t) => `service "${s}" depends on undefined service "${t}"`,
  links: (s, t) => `service "${s}" links to undefined service "${t}"`,
  volumes_from: (s, t) => `service "${s}" mounts volumes from undefined service "${t}"`,
  network_mode: (_s, t, a) => `service "${t}" not found for ${a} 'service:${t}'`,
  ipc: (_s, t, a) => `service "${t}" not found for ${a} 'service:${t}'`,
  pid: (_s, t, a) => `service "${t}" not found for ${a} 'service:${t}'`,
};

/**
 * One problem per (service, missing target). Normalize copies links, volumes_from and
 * service:x namespaces into depends_on, so the same missing service usually appears twice;
 * the attribute the user wrote (not the implicit depends_on) is the one reported.
 */
function checkServiceReferences(project: Project): Problem[] {
  const problems: Problem[] = [];
  for (const name of sortedNames(project.services)) {
    const missing = new Map<string, ServiceReference>();
    for (const ref of serviceReferences(name, project.services[name])) {
      if (ref.target in project.services) continue;
      const seen = missing.get(ref.target);
      if (!seen || (seen.kind === 'depends_on' && ref.kind !== 'depends_on')) missing.set(ref.target, ref);
    }
    for (const ref of missing.values()) {
      problems.push({
        detail: UNKNOWN_SERVICE[ref.attribute](name, ref.target, ref.attribute),
        path: ref.path,
        hint: `define service "${ref.target}" under services:, or remove the reference`,
      });
    }
  }
  return problems;
}

type ResourceSection = 'networks' | 'volumes' | 'secrets' | 'configs';

/** Where a service names a top-level resource: the section it must be declared in, and each (path, key). */
const RESOURCE_REFERENCES: { section: ResourceSection; noun: string; refs: (svc: ServiceConfig, name: string) => [KeyPath, string][] }[] = [
  {
    section: 'networks',
    noun: 'network',
    refs: (svc, name) => sortedNames(svc.networks ?? {}).map((n) => [['services', name, 'networks', n], n]),
  },
  {
    section: 'volumes',
    noun: 'volume',
    // Anonymous volumes (no source) and binds/tmpfs name no top-level volume.
    refs: (svc, name) =>
      (svc.volumes ?? []).flatMap((v, i): [KeyPath, string][] => (v.type === 'volume' && v.source ? [[['services', name, 'volumes', i], v.source]] : [])),
  },
  { section: 'secrets', noun: 'secret', refs: (svc, name) => fileObjectRefs(svc.secrets, ['services', name, 'secrets']) },
  { section: 'configs', noun: 'config', refs: (svc, name) => fileObjectRefs(svc.configs, ['services', name, 'configs']) },
  {
    section: 'secrets',
    noun: 'build secret',
    refs: (svc, name) => fileObjectRefs(svc.build?.secrets, ['services', name, 'build', 'secrets']),
  },
];

function fileObjectRefs(list: unknown, base: KeyPath): [KeyPath, string][] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown, i): [KeyPath, string][] => {
    const source = typeof entry === 'string' ? entry : isPlainObject(entry) && typeof entry.source === 'string' ? entry.source : undefined;
    return source === undefined ? [] : [[[...base, i], source]];
  });
}

function checkResourceReferences(project: Project): Problem[] {
  const problems: Problem[] = [];
  for (const name of sortedNames(project.services)) {
    for (const rule of RESOURCE_REFERENCES) {
      for (const [path, key] of rule.refs(project.services[name], name)) {
        if (key in project[rule.section]) continue;
        problems.push({
          detail: `service "${name}" refers to undefined ${rule.noun} ${key}`,
          path,
          hint: `declare ${key} under the top-level ${rule.section}:`,
        });
      }
    }
  }
  return problems;
}

// ---- cycles -----------------------------------------------------------------------------

function checkCycles(project: Project): Problem[] {
  const edges = new Map<string, ServiceReference[]>();
  for (const name of sortedNames(project.services)) {
    edges.set(name, serviceReferences(name, project.services[name]).filter((r) => r.target in project.services));
  }
  return findCycles([...edges.keys()], (n) => (edges.get(n) ?? []).map((r) => r.target)).map((cycle) => ({
    detail: cycleMessage(cycle),
    // Point at the first link of the chain, as written.
    path: edges.get(cycle[0])!.find((r) => r.target === cycle[1 % cycle.length])!.path,
    hint: 'remove one of these dependencies',
  }));
}

// ---- unique names and ports --------------------------------------------------------------

/** How many containers a service runs: `scale` wins over `deploy.replicas`, as in compose. */
function replicasOf(svc: ServiceConfig): { count: number; path: KeyPath } {
  if (typeof svc.scale === 'number') return { count: svc.scale, path: ['scale'] };
  if (typeof svc.deploy?.replicas === 'number') return { count: svc.deploy.replicas, path: ['deploy', 'replicas'] };
  return { count: 1, path: [] };
}

function checkContainerNames(project: Project): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<string, string>();
  for (const name of sortedNames(project.services)) {
    const svc = project.services[name];
    const containerName = svc.container_name;
    if (containerName === undefined) continue;
    const path = ['services', name, 'container_name'];
    const first = owner.get(containerName);
    if (first !== undefined) {
      problems.push({ detail: `service "${name}" uses container_name "${containerName}", already used by service "${first}"`, path, hint: 'container names must be unique' });
    } else {
      owner.set(containerName, name);
    }
    const { count } = replicasOf(svc);
    if (count > 1) {
      problems.push({
        detail: `service "${name}" sets container_name "${containerName}" but runs ${count} replicas; each container needs its own name`,
        path,
        hint: 'remove container_name to scale the service',
      });
    }
  }
  return problems;
}

/**
 * Host ports two port entries claim alike, counting one container per service: how many replicas
 * bind them is the engine's business, checked when planning (a Swarm places host-mode replicas on
 * different nodes; one engine cannot), so a stack that is right for one is not refused for both.
 */
function checkPublishedPorts(project: Project): Problem[] {
  return publishedPortProblems(project, () => 1);
}

// ---- exclusive attributes (compose-go validation/ and its consistency check) -------------

/** An external volume is created elsewhere: only its name (and x- keys) may be given. */
function checkExternalVolumes(project: Project): Problem[] {
  const problems: Problem[] = [];
  for (const name of sortedNames(project.volumes)) {
    const volume = project.volumes[name];
    if (volume.external !== true) continue;
    for (const key of Object.keys(volume).sort()) {
      if (key === 'name' || key === 'external' || key.startsWith('x-')) continue;
      problems.push({
        detail: `conflicting parameters "external" and "${key}" specified`,
        path: ['volumes', name, key],
        hint: `remove \`${key}\`: an external volume is configured where it was created`,
      });
    }
  }
  return problems;
}

/** Where a config or secret takes its content from: exactly one source, unless external or driver-provided. */
const FILE_OBJECT_SOURCES: Record<'configs' | 'secrets', string[]> = {
  configs: ['file', 'environment', 'content'],
  secrets: ['file', 'environment'],
};

function checkFileObjects(project: Project): Problem[] {
  const problems: Problem[] = [];
  for (const section of ['configs', 'secrets'] as const) {
    const sources = FILE_OBJECT_SOURCES[section];
    for (const name of sortedNames(project[section])) {
      const def = project[section][name];
      const path = [section, name];
      const given = sources.filter((k) => def[k] !== undefined);
      if (given.length > 1) {
        problems.push({ detail: `${sources.join('|')} attributes are mutually exclusive`, path, hint: `keep one of ${given.join(', ')}` });
      } else if (given.length === 0 && def.external !== true && def.driver === undefined) {
        problems.push({ detail: `one of ${sources.join('|')} must be set`, path, hint: 'say where the content comes from, or mark it external' });
      }
      if (section === 'secrets' && def.content !== undefined) {
        problems.push({ detail: 'content is not allowed for secrets', path: [...path, 'content'], hint: 'use `file` or `environment`' });
      }
    }
  }
  return problems;
}

/** `network_mode` replaces the service's networking, so `networks` would be ignored: compose refuses both. */
function checkNetworkModeAndNetworks(project: Project): Problem[] {
  return sortedNames(project.services)
    .filter((name) => project.services[name].network_mode !== undefined && project.services[name].networks !== undefined)
    .map((name) => ({
      detail: `service ${name} declares mutually exclusive \`network_mode\` and \`networks\``,
      path: ['services', name, 'networks'],
      hint: 'remove one of them',
    }));
}

/** `deploy.resources.reservations.devices[*]`: count is "all" or a number, and excludes device_ids. */
function checkDeviceRequests(project: Project): Problem[] {
  const problems: Problem[] = [];
  for (const name of sortedNames(project.services)) {
    const resources = project.services[name].deploy?.resources;
    const reservations = isPlainObject(resources) ? resources.reservations : undefined;
    const devices = isPlainObject(reservations) ? reservations.devices : undefined;
    if (!Array.isArray(devices)) continue;
    devices.forEach((device: unknown, i: number) => {
      if (!isPlainObject(device)) return;
      const path = ['services', name, 'deploy', 'resources', 'reservations', 'devices', i];
      const { count } = device;
      if (typeof count === 'string' && count !== 'all' && !/^-?\d+$/.test(count)) {
        problems.push({ detail: `invalid value "${count}", the only value allowed is 'all' or a number`, path: [...path, 'count'] });
      }
      if (count !== undefined && device.device_ids !== undefined) {
        problems.push({ detail: '"count" and "device_ids" attributes are exclusive', path, hint: 'keep count, or list the device_ids' });
      }
    });
  }
  return problems;
}

// ---- x-placement ------------------------------------------------------------------------

/** The namespaces each mode shares between a group's members, by the attribute that would set them. */
const SHARED_NAMESPACES: Record<PlacementMode, { attribute: 'network_mode' | 'ipc' | 'pid'; namespace: string; onlyWithSharePid?: boolean }[]> = {
  split: [],
  pod: [
    { attribute: 'network_mode', namespace: 'network' },
    { attribute: 'ipc', namespace: 'IPC' },
    { attribute: 'pid', namespace: 'PID', onlyWithSharePid: true },
  ],
  single: [
    { attribute: 'network_mode', namespace: 'network' },
    { attribute: 'ipc', namespace: 'IPC' },
    { attribute: 'pid', namespace: 'PID' },
  ],
};

/**
 * x-placement: `{mode?, groups: {NAME: {mode, services, share_pid?}}}`. Malformed shapes are
 * the schema's to report; here only what needs the rest of the project is checked.
 */
function checkPlacement(project: Project): Problem[] {
  const placement = project.extensions['x-placement'];
  if (!isPlainObject(placement) || !isPlainObject(placement.groups)) return [];
  const problems: Problem[] = [];
  const groupOf = new Map<string, string>();
  for (const groupName of sortedNames(placement.groups)) {
    const group = placement.groups[groupName];
    if (!isPlainObject(group) || !Array.isArray(group.services)) continue;
    const mode = group.mode as PlacementMode;
    const base = ['x-placement', 'groups', groupName];
    group.services.forEach((member: unknown, i: number) => {
      if (typeof member !== 'string') return;
      const path = [...base, 'services', i];
      const svc = project.services[member];
      if (!svc) {
        problems.push({ detail: `placement group "${groupName}" lists undefined service "${member}"`, path, hint: 'list only services defined under services:' });
        return;
      }
      const first = groupOf.get(member);
      if (first !== undefined) {
        problems.push({
          detail: `service "${member}" is in placement groups "${first}" and "${groupName}"; a service belongs to one group at most`,
          path,
        });
        return;
      }
      groupOf.set(member, groupName);
      for (const ns of SHARED_NAMESPACES[mode] ?? []) {
        if (ns.onlyWithSharePid && group.share_pid !== true) continue;
        if (svc[ns.attribute] === undefined) continue;
        problems.push({
          detail: `service "${member}" sets ${ns.attribute} itself, but placement group "${groupName}" (${mode}) shares the ${ns.namespace} namespace of its members`,
          path: ['services', member, ns.attribute],
          hint: `remove ${ns.attribute} from the service, or take it out of the group`,
        });
      }
      const replicas = replicasOf(svc);
      if (mode === 'single' && replicas.count > 1) {
        problems.push({
          detail: `service "${member}" runs ${replicas.count} replicas, but placement group "${groupName}" (single) runs its members in one container`,
          path: ['services', member, ...replicas.path],
          hint: 'scale the group as a whole, or use mode pod',
        });
      }
    });
  }
  return problems;
}
