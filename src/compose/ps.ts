// `ps`: the project's containers from one list call (no inspect per container), as a table, JSON
// lines (one object per container, like Compose v2), ids (-q) or service names (--services).
// Every row says the container's placement group and mode.

import type { EnginePort } from '../client/engine-port.js';
import { UsageError } from '../errors.js';
import { observeContainers, type ObservedContainer } from './observe.js';

export interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  format?: 'table' | 'json';
  /** --status (repeatable) and --filter status=X. */
  status?: string[];
  filter?: string[];
  /** Services named on the command line. */
  only?: string[];
}

const STATES = new Set(['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited']);

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

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

export async function composePs(port: EnginePort, project: string, opts: PsOptions, now: number): Promise<string> {
  const statuses = new Set(opts.status ?? []);
  for (const f of opts.filter ?? []) {
    const [key, value] = f.split('=');
    if (key !== 'status' || !value) throw new UsageError(`--filter ${f}: only status=<state> is supported`);
    statuses.add(value);
  }
  for (const s of statuses) if (!STATES.has(s)) throw new UsageError(`--status ${s}: one of ${[...STATES].join(', ')}`);
  let list = await observeContainers(port, project);
  if (opts.only?.length) list = list.filter((c) => opts.only!.includes(c.service));
  if (statuses.size) list = list.filter((c) => statuses.has(c.state));
  else if (!opts.all) list = list.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused');
  if (opts.services) return [...new Set(list.map((c) => c.service))].map((s) => `${s}\n`).join('');
  if (opts.quiet) return list.map((c) => `${c.id}\n`).join('');
  if (opts.format === 'json') return list.map((c) => `${JSON.stringify(psJson(c, project, now))}\n`).join('');
  const rows = [['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'GROUP', 'MODE', 'PORTS']];
  for (const c of list) {
    const command = c.command.length > 20 ? `"${c.command.slice(0, 19)}…"` : `"${c.command}"`;
    rows.push([c.name, c.image, command, c.service, ago(c.created, now), c.status, c.placement?.group ?? '-', c.placement?.mode ?? 'split', portsText(c)]);
  }
  return table(rows);
}
