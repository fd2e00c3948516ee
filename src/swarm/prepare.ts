// From a loaded project to the stack berth deploys: the images built and pushed (build.ts), every
// other image pinned to the digest its registry serves now (so every node runs the same bytes, and
// a re-pushed tag is an update), each pod group given a node, then the translation. Reads the
// manager and the registry; changes nothing.
import type { NodeInfo, ServiceInfo } from '../client/swarm-api.js';
import type { SwarmPort } from '../client/swarm-port.js';
import { EnginePortError } from '../client/engine-port.js';
import { ComposeError, throwIfAny } from '../errors.js';
import type { PlacementMode, Project } from '../model/project.js';
import { LABEL } from '../observe/labels.js';
import { resolvePlacement } from '../plan/placement.js';
import { buildForSwarm, type ImageBuilder } from './build.js';
import type { ObservedStack } from './stack-state.js';
import { translateProject, type SwarmStack } from './translate.js';

export interface PrepareOptions {
  vip: boolean;
  placement?: PlacementMode;
  /** Replicas per service for this run (`--scale svc=n`). */
  scale?: Readonly<Record<string, number>>;
  /** never: deploy tags as written (each node resolves them itself). Default: pin digests. */
  pull?: 'always' | 'missing' | 'never' | 'build';
  /** The Compose services this run deploys (their images are the ones resolved). */
  services: readonly string[];
  builder?: ImageBuilder;
  environment: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => Buffer | string;
}

/**
 * Image reference → digest for the services this run deploys: built ones from their push, the
 * others from their registry (unless --pull never). Needs nothing of the stack's state, so it runs
 * while the stack is observed.
 */
export async function resolveImages(port: SwarmPort, project: Project, opts: Pick<PrepareOptions, 'services' | 'builder' | 'pull'>): Promise<Record<string, string>> {
  const built = await buildForSwarm(project, opts.services, opts.builder);
  if (opts.pull === 'never') return built;
  return { ...(await resolveDigests(port, project, opts.services.filter((s) => project.services[s].build === undefined))), ...built };
}

/** The stack berth deploys: the translation with the digests pinned and each pod group given a node. */
export function desiredStack(project: Project, observed: ObservedStack, digests: Readonly<Record<string, string>>, opts: Pick<PrepareOptions, 'vip' | 'placement' | 'environment' | 'readFile'>): SwarmStack {
  return translateProject(project, {
    vip: opts.vip,
    digests,
    ...(opts.placement ? { placement: opts.placement } : {}),
    podConstraints: podNodes(project, opts.placement, observed),
    environment: opts.environment,
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
  });
}

/**
 * `--scale svc=n` as the stack's own replicas for this run. A member of a `single` group runs in
 * the group's one service: more than one replica would copy the whole group (the loader refuses
 * the same in the files).
 */
export function withScale(project: Project, scale: Readonly<Record<string, number>>, placement?: PlacementMode): Project {
  const entries = Object.entries(scale);
  if (entries.length === 0) return project;
  const services = { ...project.services };
  const groups = resolvePlacement(project, placement);
  for (const [name, n] of entries) {
    if (!services[name]) throw new ComposeError(`--scale: no such service: ${name}`);
    const group = groups.groupOf(name);
    if (group?.mode === 'single' && n > 1) throw new ComposeError(`services.${name}: ${n} replicas cannot run in placement group "${group.name}" (mode single): the group is one service, and each replica would copy all of it. Use --placement split or pod, or scale it to 1.`);
    const deploy = { ...(services[name].deploy ?? {}), replicas: n };
    services[name] = { ...services[name], scale: n, deploy };
  }
  return { ...project, services };
}

/** Image reference → digest, asked of the manager (which asks the registry), once per image. */
async function resolveDigests(port: SwarmPort, project: Project, services: readonly string[]): Promise<Record<string, string>> {
  const images = new Map<string, string>();
  for (const s of services) {
    const image = project.services[s].image;
    if (image && !image.includes('@') && !images.has(image)) images.set(image, s);
  }
  const errors: ComposeError[] = [];
  const out: Record<string, string> = {};
  await Promise.all(
    [...images].map(async ([image, service]) => {
      try {
        out[image] = await port.imageDigest(image);
      } catch (e) {
        const why = e instanceof EnginePortError ? e.engineMessage : (e as Error).message;
        errors.push(new ComposeError(`the manager cannot read the digest of ${image} from its registry (${why}), so the nodes could run different bytes`, { location: { path: ['services', service, 'image'] }, hint: 'push the image to a registry every node reaches, or deploy the tag as written with --pull never' }));
      }
    }),
  );
  throwIfAny(errors.sort((a, b) => a.message.localeCompare(b.message)));
  return out;
}

/**
 * The node each pod group runs on: a node the user labelled `io.berth.pod.<project>_<group>=true`
 * (the translation's default constraint); else the node its members already run on, so a redeploy
 * does not move the pod; else a ready, active node — the one with the fewest pods, then by name.
 */
export function podNodes(project: Project, override: PlacementMode | undefined, observed: ObservedStack): Record<string, string> {
  const pods = resolvePlacement(project, override).groups.filter((g) => g.mode === 'pod');
  const usable = observed.nodes.filter((n) => n.Status?.State === 'ready' && (n.Spec.Availability ?? 'active') === 'active');
  const hostname = (n: NodeInfo): string => n.Description?.Hostname ?? n.ID;
  const load = new Map<string, number>();
  const out: Record<string, string> = {};
  for (const g of pods) {
    const label = `io.berth.pod.${project.name}_${g.name}`;
    if (observed.nodes.some((n) => n.Spec.Labels?.[label] === 'true')) continue;
    const current = g.services.map((s) => pinnedHost(observed.services, s)).find((h) => h !== undefined && usable.some((n) => hostname(n) === h));
    const chosen = current ?? [...usable].sort((a, b) => (load.get(hostname(a)) ?? 0) - (load.get(hostname(b)) ?? 0) || hostname(a).localeCompare(hostname(b), 'en', { numeric: true }))[0];
    if (!chosen) continue; // no usable node: the translation's label constraint stands, and its notice says how to label one
    const host = typeof chosen === 'string' ? chosen : hostname(chosen);
    load.set(host, (load.get(host) ?? 0) + 1);
    out[g.name] = `node.hostname==${host}`;
  }
  return out;
}

function pinnedHost(services: ReadonlyMap<string, ServiceInfo>, compose: string): string | undefined {
  for (const s of services.values()) {
    if (s.Spec.Labels?.[LABEL.service] !== compose) continue;
    for (const c of s.Spec.TaskTemplate.Placement?.Constraints ?? []) {
      const m = /^node\.hostname\s*==\s*(\S+)$/.exec(c);
      if (m) return m[1];
    }
  }
  return undefined;
}
