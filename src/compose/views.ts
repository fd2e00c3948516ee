// The read-only verbs: `top`, `port`, `images`, `events`, `ls`: what they show, as data. How it is
// printed (tables, JSON) is the CLI's (src/cli/format.ts).

import type { EngineEvent, EnginePort } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import { LABEL } from '../observe/labels.js';
import { compareContainers, observedContainer } from '../observe/observe.js';
import { containersOf, type ProjectTarget } from './lifecycle.js';

/** `top`: the processes of each running container of the services. */
export async function topOf(target: ProjectTarget, services: readonly string[]): Promise<{ name: string; titles: string[]; processes: string[][] }[]> {
  const containers = (await containersOf(target, services)).filter((c) => c.state === 'running');
  const out: { name: string; titles: string[]; processes: string[][] }[] = [];
  for (const c of containers) {
    const top = await target.port.containers.top(c.id);
    out.push({ name: c.name, titles: top.Titles, processes: top.Processes });
  }
  return out;
}

export class PortNotPublishedError extends BerthError {}

/** `port SERVICE PRIVATE_PORT`: the host address the container port is published on. */
export async function portOf(target: ProjectTarget, service: string, privatePort: string, o: { protocol?: string; index?: number }): Promise<string> {
  const index = o.index ?? 1;
  const [c] = await containersOf(target, [service], { index });
  if (!c) throw new BerthError(`service "${service}" has no container number ${index}`);
  const key = `${privatePort}/${o.protocol ?? 'tcp'}`;
  const inspect = await target.port.containers.inspect(c.id);
  const bindings = (inspect.NetworkSettings?.Ports as Record<string, { HostIp: string; HostPort: string }[] | null> | undefined)?.[key];
  if (!bindings || bindings.length === 0) throw new PortNotPublishedError(`no port ${key} for container ${c.name}`);
  return `${bindings[0].HostIp || '0.0.0.0'}:${bindings[0].HostPort}`;
}

export interface ImageRow {
  ContainerName: string;
  Repository: string;
  Tag: string;
  /** The registry digest the image has for that repository (`sha256:…`), '' when none (built, loaded). */
  Digest: string;
  ID: string;
  Size: number;
}

export async function imagesOf(target: ProjectTarget, services: readonly string[]): Promise<ImageRow[]> {
  const containers = await containersOf(target, services);
  const rows: ImageRow[] = [];
  for (const c of containers) {
    const image = await target.port.images.inspect(c.imageId).catch(() => undefined);
    const tag = image?.RepoTags?.find((t) => t === c.image || t === `${c.image}:latest`) ?? image?.RepoTags?.[0] ?? c.image;
    const colon = tag.lastIndexOf(':');
    const slash = tag.lastIndexOf('/');
    const repository = colon > slash ? tag.slice(0, colon) : tag;
    const digest = image?.RepoDigests?.find((d) => d.startsWith(`${repository}@`)) ?? image?.RepoDigests?.[0] ?? '';
    rows.push({
      ContainerName: c.name,
      Repository: repository,
      Tag: colon > slash ? tag.slice(colon + 1) : 'latest',
      Digest: digest.includes('@') ? digest.slice(digest.indexOf('@') + 1) : '',
      ID: c.imageId,
      Size: image?.Size ?? 0,
    });
  }
  return rows;
}

/** Streams the project's container events (of these services) until the signal fires. */
export async function streamEvents(target: ProjectTarget, services: readonly string[], onEvent: (e: EngineEvent) => void, signal?: AbortSignal): Promise<void> {
  const label = [`${LABEL.project}=${target.name}`];
  try {
    for await (const e of target.port.events({ filters: { type: ['container'], label }, ...(signal ? { signal } : {}) })) {
      if (services.length > 0 && !services.includes(e.Actor.Attributes[LABEL.service] ?? '')) continue;
      onEvent(e);
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}

export interface ProjectRow {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

/** `ls`: every compose project on the engine, from its containers' labels. */
export async function listProjects(port: EnginePort, o: { all?: boolean; filterName?: string }): Promise<ProjectRow[]> {
  const containers = (await port.containers.list({ all: true, filters: { label: [LABEL.project] } })).map(observedContainer).sort(compareContainers);
  const projects = new Map<string, { states: Map<string, number>; files: string }>();
  for (const c of containers) {
    const name = c.labels[LABEL.project];
    const p = projects.get(name) ?? { states: new Map<string, number>(), files: c.labels[LABEL.configFiles] ?? '' };
    p.states.set(c.state, (p.states.get(c.state) ?? 0) + 1);
    projects.set(name, p);
  }
  const rows: ProjectRow[] = [];
  for (const [name, p] of [...projects].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!o.all && !p.states.has('running')) continue;
    if (o.filterName && !name.includes(o.filterName)) continue;
    const status = [...p.states].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, n]) => `${s}(${n})`).join(', ');
    rows.push({ Name: name, Status: status, ConfigFiles: p.files });
  }
  return rows;
}
