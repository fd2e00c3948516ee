// Gathers what the planner needs to know about the engine, in one parallel round: the project's
// containers, networks and volumes (by label), the images its services use, whether its external
// networks and volumes exist, and whether the engine has networks and volumes at all.
import { isNotFound, type EnginePort, type ImageInspect } from '../client/engine-port.js';
import { LABEL } from './labels.js';
import { observeContainers, type ObservedNetwork, type ObservedProject, type ObservedVolume } from './observe.js';
import type { Project } from '../model/project.js';

export interface ObservedState extends ObservedProject {
  /** Image reference → image id, or undefined when the engine does not have it. */
  images: Record<string, string | undefined>;
  /** Image reference → when the engine last pulled (tagged) it, RFC 3339 (its Metadata.LastTagTime). */
  imagePulledAt?: Record<string, string | undefined>;
  /** External network/volume name → whether it exists. */
  externalNetworks: Record<string, boolean>;
  externalVolumes: Record<string, boolean>;
  /** Whether the engine has the networks / volumes API (the built-in engine gained them late). */
  networksSupported: boolean;
  volumesSupported: boolean;
}

async function orAbsent<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Metadata.LastTagTime (dockerode's types omit it); the zero time Docker uses for "never" is none. */
function lastTagTime(i: ImageInspect | undefined): string | undefined {
  const t = (i as (ImageInspect & { Metadata?: { LastTagTime?: string } }) | undefined)?.Metadata?.LastTagTime;
  return t && !t.startsWith('0001-') ? t : undefined;
}

export async function gatherState(port: EnginePort, project: Project): Promise<ObservedState> {
  const filter = { label: [`${LABEL.project}=${project.name}`] };
  const refs = new Set<string>();
  for (const svc of Object.values(project.services)) if (svc.image) refs.add(svc.image);
  for (const [name, svc] of Object.entries(project.services)) if (!svc.image && svc.build) refs.add(`${project.name}-${name}`);
  const externalNetworks = Object.values(project.networks).filter((n) => n.external).map((n) => n.name);
  const externalVolumes = Object.values(project.volumes).filter((v) => v.external).map((v) => v.name);

  const [containers, networks, volumes, images, extNets, extVols] = await Promise.all([
    observeContainers(port, project.name),
    orAbsent(() => port.networks.list(filter)),
    orAbsent(() => port.volumes.list(filter)),
    Promise.all([...refs].map(async (ref) => [ref, await orAbsent(() => port.images.inspect(ref))] as const)),
    Promise.all(externalNetworks.map(async (n) => [n, (await orAbsent(() => port.networks.inspect(n))) !== undefined] as const)),
    Promise.all(externalVolumes.map(async (v) => [v, (await orAbsent(() => port.volumes.inspect(v))) !== undefined] as const)),
  ]);
  const observedNetworks: ObservedNetwork[] = (networks ?? []).map((n) => ({ id: n.Id, name: n.Name, key: n.Labels?.[LABEL.network], labels: n.Labels ?? {}, driver: n.Driver, internal: Boolean(n.Internal) }));
  const observedVolumes: ObservedVolume[] = (volumes ?? []).map((v) => ({ name: v.Name, key: v.Labels?.[LABEL.volume], labels: v.Labels ?? {}, driver: v.Driver }));
  return {
    project: project.name,
    containers,
    networks: observedNetworks,
    volumes: observedVolumes,
    images: Object.fromEntries(images.map(([ref, i]) => [ref, i?.Id])),
    imagePulledAt: Object.fromEntries(images.map(([ref, i]) => [ref, lastTagTime(i)])),
    externalNetworks: Object.fromEntries(extNets),
    externalVolumes: Object.fromEntries(extVols),
    networksSupported: networks !== undefined,
    volumesSupported: volumes !== undefined,
  };
}
