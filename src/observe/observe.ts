// Observe: what the engine holds of a project, found by its labels — containers, networks, volumes.
// One list call per kind (no per-container inspect), so `ps` and a no-op `up` stay fast; the
// planner compares these records with the desired project.

import type { ContainerSummary, EnginePort, NetworkInspect, VolumeInspect } from '../client/engine-port.js';
import { isNotFound } from '../client/engine-port.js';
import type { PlacementMode } from '../model/project.js';
import { LABEL, type PlacementRole } from './labels.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'starting' | 'healthy' | 'unhealthy' | undefined;

export interface ObservedContainer {
  id: string;
  /** Without the leading slash. */
  name: string;
  service: string;
  /** com.docker.compose.container-number; 0 when missing (not made by a compose tool). */
  number: number;
  configHash: string | undefined;
  /** Image id label (what compose recorded) and the engine's own ImageID. */
  imageLabel: string | undefined;
  imageId: string;
  image: string;
  oneoff: boolean;
  state: ContainerState;
  /** The engine's human status: "Up 3 seconds (healthy)", "Exited (0) 2 minutes ago". */
  status: string;
  health: HealthState;
  /** Parsed from the status for exited containers; undefined otherwise. */
  exitCode: number | undefined;
  created: number;
  /** Network names the container is attached to. */
  networks: string[];
  networkMode: string;
  ports: ContainerSummary['Ports'];
  /** Volume mounts (named and anonymous) with their engine-side names: a recreate keeps anonymous ones. */
  mounts: { type: string; name?: string; destination: string }[];
  labels: Record<string, string>;
  placement?: { group: string; mode: PlacementMode; role: PlacementRole };
  command: string;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  /** com.docker.compose.network: the key in the project's networks. */
  key: string | undefined;
  labels: Record<string, string>;
  driver: string;
  internal: boolean;
}

export interface ObservedVolume {
  name: string;
  key: string | undefined;
  labels: Record<string, string>;
  driver: string;
}

export interface ObservedProject {
  project: string;
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
}

export interface ObserveOptions {
  /** Include one-off (`run`) containers. Default false. */
  oneoff?: boolean;
  /** Skip listing networks and volumes (ps needs only containers). */
  containersOnly?: boolean;
}

export function healthFromStatus(status: string): HealthState {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return undefined;
}

export function exitCodeFromStatus(status: string): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : undefined;
}

export function observedContainer(c: ContainerSummary): ObservedContainer {
  const labels = c.Labels ?? {};
  const group = labels[LABEL.placementGroup];
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    service: labels[LABEL.service] ?? '',
    number: Number(labels[LABEL.containerNumber] ?? 0) || 0,
    configHash: labels[LABEL.configHash],
    imageLabel: labels[LABEL.image],
    imageId: c.ImageID,
    image: c.Image,
    oneoff: labels[LABEL.oneoff] === 'True',
    state: c.State as ContainerState,
    status: c.Status,
    health: healthFromStatus(c.Status ?? ''),
    exitCode: c.State === 'exited' ? exitCodeFromStatus(c.Status ?? '') : undefined,
    created: c.Created,
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
    networkMode: c.HostConfig?.NetworkMode ?? '',
    ports: c.Ports ?? [],
    mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, ...(m.Name ? { name: m.Name } : {}), destination: m.Destination })),
    labels,
    ...(group
      ? { placement: { group, mode: (labels[LABEL.placementMode] ?? 'split') as PlacementMode, role: (labels[LABEL.placementRole] ?? 'member') as PlacementRole } }
      : {}),
    command: c.Command,
  };
}

/** Sorted by service, then container number, then name: the order every listing prints. */
export function compareContainers(a: ObservedContainer, b: ObservedContainer): number {
  return a.service < b.service ? -1 : a.service > b.service ? 1 : a.number - b.number || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export async function observeContainers(port: EnginePort, project: string, options: ObserveOptions = {}): Promise<ObservedContainer[]> {
  const label = [`${LABEL.project}=${project}`, ...(options.oneoff ? [] : [`${LABEL.oneoff}=False`])];
  const list = await port.containers.list({ all: true, filters: { label } });
  return list.map(observedContainer).sort(compareContainers);
}

/**
 * Networks and volumes of the project. An engine without the networks or volumes API (the built-in
 * engine before it had them) answers 404; that reads as "none".
 */
export async function observeNetworks(port: EnginePort, project: string): Promise<ObservedNetwork[]> {
  let list: NetworkInspect[];
  try {
    list = await port.networks.list({ label: [`${LABEL.project}=${project}`] });
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return list
    .map((n) => ({ id: n.Id, name: n.Name, key: n.Labels?.[LABEL.network], labels: n.Labels ?? {}, driver: n.Driver, internal: Boolean(n.Internal) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function observeVolumes(port: EnginePort, project: string): Promise<ObservedVolume[]> {
  let list: VolumeInspect[];
  try {
    list = await port.volumes.list({ label: [`${LABEL.project}=${project}`] });
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return list
    .map((v) => ({ name: v.Name, key: v.Labels?.[LABEL.volume], labels: v.Labels ?? {}, driver: v.Driver }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Everything of the project, the three lists fetched in parallel. */
export async function observeProject(port: EnginePort, project: string, options: ObserveOptions = {}): Promise<ObservedProject> {
  if (options.containersOnly) return { project, containers: await observeContainers(port, project, options), networks: [], volumes: [] };
  const [containers, networks, volumes] = await Promise.all([
    observeContainers(port, project, options),
    observeNetworks(port, project),
    observeVolumes(port, project),
  ]);
  return { project, containers, networks, volumes };
}
