// Ownership by labels, in one place. Containers, networks and volumes carry the labels Docker
// Compose writes (com.docker.compose.*), spelled and valued exactly as it does, so stacks created by
// berth and by `docker compose` / `docker-compose` recognise each other on a Docker Engine. berth's
// own labels (io.berth.*) record what Compose has no word for: placement groups and modes.

import type { DependsOn, PlacementMode } from '../model/project.js';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  configHash: 'com.docker.compose.config-hash',
  /** "True" for `run` containers, "False" otherwise (capitalised, as Compose writes Go/Python bools). */
  oneoff: 'com.docker.compose.oneoff',
  /** The image id (sha256:…) the container was created from: a re-tagged image is a change. */
  image: 'com.docker.compose.image',
  /** `db:service_healthy:false,cache:service_started:true` — service:condition:restart. */
  dependsOn: 'com.docker.compose.depends_on',
  workingDir: 'com.docker.compose.project.working_dir',
  /** Comma-separated absolute paths. */
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  /** On a network: its key in the project's `networks:`. */
  network: 'com.docker.compose.network',
  /** On a volume: its key in the project's `volumes:`. */
  volume: 'com.docker.compose.volume',
  /** The Compose version that created the object. */
  version: 'com.docker.compose.version',
  /** One-off containers: a random slug. */
  slug: 'com.docker.compose.slug',
  /** Set on a replacement container: the id of the container it replaces. */
  replace: 'com.docker.compose.replace',
  /** Swarm: the stack a service, network, config or secret belongs to (as `docker stack deploy` writes it). */
  stackNamespace: 'com.docker.stack.namespace',
  /** Swarm: the image of a service as the stack file names it (before pinning to a digest). */
  stackImage: 'com.docker.stack.image',
  /**
   * Swarm: sha256 of the ServiceSpec berth sent (without this label). The config hash says whether
   * the Compose service changed; this also catches what only the translation decides (a pinned
   * digest, replicas, a pod's node, VIP or dnsrr), so an unchanged service is never updated.
   */
  swarmSpecHash: 'io.berth.swarm.spec-hash',
  /**
   * Swarm, on the task's container labels: sha256 of the service's TaskTemplate. It changes exactly
   * when Swarm replaces tasks (a rolling update), so a wait tells the new tasks from the old ones.
   */
  swarmTaskHash: 'io.berth.swarm.task-hash',
  // berth's own
  /** The x-placement group a container belongs to (absent for services in no group). */
  placementGroup: 'io.berth.placement.group',
  /** split | pod | single. */
  placementMode: 'io.berth.placement.mode',
  /** What the container is in its group: `sandbox` (pod holder), `member`, or `main` (single). */
  placementRole: 'io.berth.placement.role',
  /** single mode: comma-separated services the container's command runs beside its main one. */
  placementMembers: 'io.berth.placement.members',
} as const;

/**
 * The version label value. docker-compose 1.29 warns when it finds containers of a newer version
 * than itself but lists them; Compose v2 writes its own version here. berth writes a v2 version so
 * both generations treat its containers as v2 ones.
 */
export const COMPOSE_VERSION = '2.24.0';

export type PlacementRole = 'sandbox' | 'member' | 'main';

/** `label=key=value` filter strings for listing a project's objects. */
export function projectFilter(project: string): string[] {
  return [`${LABEL.project}=${project}`];
}

/** Filters selecting a project's service containers (not one-off `run` containers). */
export function serviceContainersFilter(project: string, service?: string): Record<string, string[]> {
  return {
    label: [`${LABEL.project}=${project}`, `${LABEL.oneoff}=False`, ...(service ? [`${LABEL.service}=${service}`] : [])],
  };
}

/** `db:service_healthy:false,...`, sorted by service, exactly as Compose v2 formats it. */
export function formatDependsOn(dependsOn: Record<string, DependsOn> | undefined): string {
  return Object.keys(dependsOn ?? {})
    .sort()
    .map((name) => `${name}:${dependsOn![name].condition}:${dependsOn![name].restart ?? false}`)
    .join(',');
}

export interface ContainerLabelInput {
  project: string;
  service: string;
  number: number;
  configHash: string;
  /** Image id the container is created from, when known. */
  imageId?: string;
  dependsOn?: Record<string, DependsOn>;
  workingDir?: string;
  configFiles?: readonly string[];
  oneoff?: boolean;
  placement?: { group: string; mode: PlacementMode; role: PlacementRole; members?: readonly string[] };
  /** Id of the container this one replaces (recreate). */
  replaces?: string;
}

/** The labels of a service container, in addition to the service's own `labels:`. */
export function containerLabels(input: ContainerLabelInput): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.project]: input.project,
    [LABEL.service]: input.service,
    [LABEL.containerNumber]: String(input.number),
    [LABEL.configHash]: input.configHash,
    [LABEL.oneoff]: input.oneoff ? 'True' : 'False',
    [LABEL.dependsOn]: formatDependsOn(input.dependsOn),
    [LABEL.version]: COMPOSE_VERSION,
  };
  if (input.imageId) labels[LABEL.image] = input.imageId;
  if (input.workingDir) labels[LABEL.workingDir] = input.workingDir;
  if (input.configFiles?.length) labels[LABEL.configFiles] = input.configFiles.join(',');
  if (input.replaces) labels[LABEL.replace] = input.replaces;
  if (input.placement) {
    labels[LABEL.placementGroup] = input.placement.group;
    labels[LABEL.placementMode] = input.placement.mode;
    labels[LABEL.placementRole] = input.placement.role;
    if (input.placement.members?.length) labels[LABEL.placementMembers] = input.placement.members.join(',');
  }
  return labels;
}

export function networkLabels(project: string, key: string, own: Record<string, string> = {}): Record<string, string> {
  return { ...own, [LABEL.project]: project, [LABEL.network]: key, [LABEL.version]: COMPOSE_VERSION };
}

export function volumeLabels(project: string, key: string, own: Record<string, string> = {}): Record<string, string> {
  return { ...own, [LABEL.project]: project, [LABEL.volume]: key, [LABEL.version]: COMPOSE_VERSION };
}

/** `<project>-<service>-<n>`, Compose v2's container name. */
export function containerName(project: string, service: string, number: number): string {
  return `${project}-${service}-${number}`;
}

/** The name of a pod group's sandbox container: `<project>-<group>-sandbox`. */
export function sandboxName(project: string, group: string): string {
  return `${project}-${group}-sandbox`;
}

/** The name of a single-mode group's container: `<project>-<group>-1`. */
export function groupContainerName(project: string, group: string): string {
  return `${project}-${group}-1`;
}
