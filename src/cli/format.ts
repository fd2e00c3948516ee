// How the read-only verbs print: Compose v2's formats, tab-aligned tables with three spaces
// between columns, and JSON where it offers JSON.

import type { EngineEvent } from '../client/engine-port.js';
import type { ImageRow, ProjectRow } from '../compose/views.js';
import { humanSize } from '../lib/human-size.js';
import { LABEL } from '../observe/labels.js';

export { humanSize };

/** Columns padded like Go's tabwriter with padding 3 (the last column is not padded). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] + 3))).join('').trimEnd() + '\n').join('');
}


export function formatImages(rows: ImageRow[]): string {
  return table([
    ['CONTAINER', 'REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'SIZE'],
    ...rows.map((r) => [r.ContainerName, r.Repository, r.Tag, r.Digest ? r.Digest.slice(0, 19) : '<none>', r.ID.replace(/^sha256:/, '').slice(0, 12), humanSize(r.Size)]),
  ]);
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

export function formatProjects(rows: ProjectRow[]): string {
  return table([['NAME', 'STATUS', 'CONFIG FILES'], ...rows.map((r) => [r.Name, r.Status, r.ConfigFiles])]);
}

/** `top`: each container's name, then its process table. */
export function formatTop(rows: { name: string; titles: string[]; processes: string[][] }[]): string {
  return rows.map((r) => `${r.name}\n${table([r.titles, ...r.processes])}`).join('\n');
}
