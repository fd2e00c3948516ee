// The read-only verbs: `top`, `port`, `images`, `events`, `ls`. Formats follow Compose v2's:
// tab-aligned tables with three spaces between columns, JSON where it offers JSON.

import type { EngineEvent, EnginePort } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import { LABEL } from './labels.js';
import { compareContainers, observedContainer } from './observe.js';
import { containersOf, type ProjectTarget } from './lifecycle.js';

/** Columns padded like Go's tabwriter with padding 3 (the last column is not padded). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] + 3))).join('').trimEnd() + '\n').join('');
}

export async function topOf(target: ProjectTarget, services: readonly string[]): Promise<string> {
  const containers = (await containersOf(target, services)).filter((c) => c.state === 'running');
  const parts: string[] = [];
  for (const c of containers) {
    const top = await target.port.containers.top(c.id);
    parts.push(`${c.name}\n${table([top.Titles, ...top.Processes])}`);
  }
  return parts.join('\n');
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

function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : Number(v.toPrecision(3))}${units[u]}`;
}

export interface ImageRow {
  ContainerName: string;
  Repository: string;
  Tag: string;
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
    rows.push({
      ContainerName: c.name,
      Repository: colon > slash ? tag.slice(0, colon) : tag,
      Tag: colon > slash ? tag.slice(colon + 1) : 'latest',
      ID: c.imageId,
      Size: image?.Size ?? 0,
    });
  }
  return rows;
}

export function formatImages(rows: ImageRow[]): string {
  return table([['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], ...rows.map((r) => [r.ContainerName, r.Repository, r.Tag, r.ID.replace(/^sha256:/, '').slice(0, 12), humanSize(r.Size)])]);
}

/** One event as `docker compose events --json` prints it. */
export function composeEvent(e: EngineEvent): Record<string, unknown> {
  const { [LABEL.service]: service, ...attributes } = e.Actor.Attributes;
  return {
    action: e.Action,
    attributes: Object.fromEntries(Object.entries(attributes).filter(([k]) => !k.startsWith('com.docker.compose.'))),
    container: e.Actor.ID,
    id: e.Actor.ID,
    service: service ?? '',
    time: new Date(Math.floor(e.timeNano / 1e6)).toISOString(),
    type: e.Type,
  };
}

/** Non-JSON events: `2024-01-02 15:04:05.123456 container start <id> (image=..., name=...)`. */
export function formatEvent(e: EngineEvent): string {
  const ev = composeEvent(e);
  const t = new Date(Math.floor(e.timeNano / 1e6)).toISOString().replace('T', ' ').replace('Z', '');
  const attrs = Object.entries(ev.attributes as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(', ');
  return `${t} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}\n`;
}

/** Streams the project's container events (of these services) until the signal fires. */
export async function streamEvents(target: ProjectTarget, services: readonly string[], json: boolean, out: (text: string) => void, signal?: AbortSignal): Promise<void> {
  const label = [`${LABEL.project}=${target.name}`];
  try {
    for await (const e of target.port.events({ filters: { type: ['container'], label }, ...(signal ? { signal } : {}) })) {
      if (services.length > 0 && !services.includes(e.Actor.Attributes[LABEL.service] ?? '')) continue;
      out(json ? `${JSON.stringify(composeEvent(e))}\n` : formatEvent(e));
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

export function formatProjects(rows: ProjectRow[]): string {
  return table([['NAME', 'STATUS', 'CONFIG FILES'], ...rows.map((r) => [r.Name, r.Status, r.ConfigFiles])]);
}
