// How the Swarm views print: tasks (`ps`), stacks (`ls`), log lines with their task prefix, and the
// translated stack (`config` on Swarm). Tables as the other views make them (format.ts).
import { stringify } from 'yaml';
import type { StackLogLine, StackRow, TaskRow } from '../swarm/views.js';
import type { SwarmStack } from '../swarm/translate.js';
import { table } from './format.js';

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  const n = (v: number, unit: string): string => `${v} ${unit}${v === 1 ? '' : 's'} ago`;
  if (s < 60) return n(s, 'second');
  if (s < 3600) return n(Math.floor(s / 60), 'minute');
  if (s < 86400) return n(Math.floor(s / 3600), 'hour');
  return n(Math.floor(s / 86400), 'day');
}

const capital = (s: string): string => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** `node3 (down)` when the node is not ready: its tasks' states are then only its last word. */
function nodeCell(r: TaskRow): string {
  return r.nodeState && r.nodeState !== 'ready' ? `${r.node} (${r.nodeState})` : r.node;
}

export function taskJson(r: TaskRow, now: number): Record<string, unknown> {
  return {
    ID: r.id,
    Name: r.name,
    Service: r.service,
    SwarmService: r.swarmService,
    Image: r.image,
    Node: r.node,
    NodeState: r.nodeState,
    DesiredState: r.desiredState,
    CurrentState: r.state,
    Since: new Date(r.since).toISOString(),
    RunningFor: ago(r.since, now),
    Error: r.error,
    Ports: r.ports,
    Group: r.group,
    Mode: r.mode,
    ContainerID: r.containerId ?? '',
  };
}

export function formatTasks(rows: readonly TaskRow[], now: number, opts: { quiet?: boolean; services?: boolean; format?: 'table' | 'json' } = {}): string {
  if (opts.services) return [...new Set(rows.map((r) => r.service))].map((s) => `${s}\n`).join('');
  if (opts.quiet) return rows.map((r) => `${r.id}\n`).join('');
  if (opts.format === 'json') return rows.map((r) => `${JSON.stringify(taskJson(r, now))}\n`).join('');
  const out = [['NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS', 'GROUP', 'MODE']];
  for (const r of rows) out.push([r.name, r.image, nodeCell(r), capital(r.desiredState), `${capital(r.state)} ${ago(r.since, now)}`, r.error ? `"${r.error}"` : '', r.ports, r.group || '-', r.mode]);
  return table(out);
}

export function formatStacks(rows: readonly StackRow[], opts: { quiet?: boolean; format?: 'table' | 'json' } = {}): string {
  if (opts.quiet) return rows.map((r) => `${r.name}\n`).join('');
  if (opts.format === 'json') return `${JSON.stringify(rows.map((r) => ({ Name: r.name, Services: r.services, Running: r.running, Desired: r.desired, Status: r.status, Orchestrator: 'swarm' })))}\n`;
  return table([['NAME', 'SERVICES', 'TASKS', 'STATUS', 'ORCHESTRATOR'], ...rows.map((r) => [r.name, String(r.services), `${r.running}/${r.desired}`, r.status, 'swarm'])]);
}

// Compose's palette order, as for container logs.
const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** A writer of log lines, prefixed `api.2@node3 | ` (padded as they come), coloured per service. */
export function swarmLogPrinter(out: (t: string) => void, o: { noPrefix?: boolean; colour?: boolean; timestamps?: boolean }): (l: StackLogLine) => void {
  const services: string[] = [];
  let width = 0;
  return (l) => {
    if (!services.includes(l.service)) services.push(l.service);
    width = Math.max(width, l.task.length);
    const time = o.timestamps && l.time ? `${l.time} ` : '';
    if (o.noPrefix) return out(`${time}${l.text}\n`);
    const prefix = `${l.task.padEnd(width)}  | `;
    out(`${o.colour ? `\x1b[${COLOURS[services.indexOf(l.service) % COLOURS.length]}m${prefix}\x1b[0m` : prefix}${time}${l.text}\n`);
  };
}

/** `config` on Swarm: the objects `up` would create (secret data never printed, config data decoded). */
export function formatSwarmStack(stack: SwarmStack, format: 'yaml' | 'json'): string {
  const doc = {
    namespace: stack.namespace,
    networks: Object.fromEntries(stack.networks.map((n) => [n.name, n.external ? { external: true } : n.spec])),
    volumes: Object.fromEntries(stack.volumes.map((v) => [v.name, v.external ? { external: true } : { driver: v.driver, ...(v.driverOptions ? { driver_opts: v.driverOptions } : {}), labels: v.labels, scope: 'each node creates it when a task mounts it' }])),
    configs: Object.fromEntries(stack.configs.map((c) => [c.name, c.external ? { external: true } : { ...c.spec, Data: Buffer.from(c.spec!.Data, 'base64').toString('utf8') }])),
    secrets: Object.fromEntries(stack.secrets.map((c) => [c.name, c.external ? { external: true } : { ...c.spec, Data: `(${Buffer.from(c.spec!.Data, 'base64').length} bytes, not shown)` }])),
    services: Object.fromEntries(stack.services.map((s) => [s.spec.Name, s.spec])),
  };
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 });
}
