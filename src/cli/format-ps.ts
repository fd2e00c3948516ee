// How `ps` prints the project's containers: a table (every row says the container's placement group
// and mode), JSON lines (one object per container, like Compose v2), ids (-q) or service names
// (--services).

import type { EnginePort } from '../client/engine-port.js';
import { psContainers, type PsOptions } from '../compose/ps.js';
import type { ObservedContainer } from '../observe/observe.js';
import { table } from './format.js';

export interface PsFormat {
  quiet?: boolean;
  services?: boolean;
  format?: 'table' | 'json';
  /** --no-trunc: the whole command. */
  noTrunc?: boolean;
}

function publishers(c: ObservedContainer): { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[] {
  return c.ports
    .filter((p) => p.PublicPort)
    .map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort, Protocol: p.Type }))
    .sort((a, b) => a.TargetPort - b.TargetPort || a.PublishedPort - b.PublishedPort);
}

function portsText(c: ObservedContainer): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of [...c.ports].sort((a, b) => a.PrivatePort - b.PrivatePort)) {
    const text = p.PublicPort ? `${p.IP ? `${p.IP}:` : ''}${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`;
    if (!seen.has(text)) out.push(text);
    seen.add(text);
  }
  return out.join(', ');
}

function ago(created: number, now: number): string {
  const s = Math.max(0, Math.floor(now / 1000) - created);
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.floor(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} hours ago`;
  return `${Math.floor(s / 86400)} days ago`;
}

export function psJson(c: ObservedContainer, project: string, now: number): Record<string, unknown> {
  return {
    ID: c.id,
    Name: c.name,
    Image: c.image,
    Command: c.command,
    Project: project,
    Service: c.service,
    Created: c.created,
    CreatedSince: ago(c.created, now),
    State: c.state,
    Status: c.status,
    Health: c.health ?? '',
    ExitCode: c.exitCode ?? 0,
    Publishers: publishers(c),
    Ports: portsText(c),
    Networks: c.networks,
    Group: c.placement?.group ?? '',
    Mode: c.placement?.mode ?? 'split',
    Role: c.placement?.role ?? '',
  };
}

export async function composePs(port: EnginePort, project: string, opts: PsOptions & PsFormat, now: number): Promise<string> {
  const list = await psContainers(port, project, opts);
  if (opts.services) return [...new Set(list.map((c) => c.service))].map((s) => `${s}\n`).join('');
  if (opts.quiet) return list.map((c) => `${c.id}\n`).join('');
  if (opts.format === 'json') return list.map((c) => `${JSON.stringify(psJson(c, project, now))}\n`).join('');
  const rows = [['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'GROUP', 'MODE', 'PORTS']];
  for (const c of list) {
    const command = c.command.length > 20 && !opts.noTrunc ? `"${c.command.slice(0, 19)}…"` : `"${c.command}"`;
    rows.push([c.name, c.image, command, c.service, ago(c.created, now), c.status, c.placement?.group ?? '-', c.placement?.mode ?? 'split', portsText(c)]);
  }
  return table(rows);
}
