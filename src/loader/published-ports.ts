// Published host ports: which (address, port, protocol) each port entry claims, and the clashes.
// Every replica binds its service's published ports, so the same host port can be claimed once;
// a range gives each replica the lowest port it has left, as an engine would. The loader asks with
// one replica per service (clashes between entries are wrong on any engine); the container planner
// asks with the replicas it will run (one engine cannot bind a port twice, a Swarm can, on
// different nodes — src/swarm/plan.ts says what it needs there).
import { formatKeyPath, type KeyPath } from '../errors.js';
import type { PortConfig, Project } from '../model/project.js';

export interface PortProblem {
  detail: string;
  path: KeyPath;
  hint?: string;
}

interface PortClaim {
  service: string;
  path: KeyPath;
  ip: string;
  protocol: string;
  port: number;
}

/** An empty host_ip binds every address; 0.0.0.0 / :: every address of one family. */
function addressesOverlap(a: string, b: string): boolean {
  if (a === b || a === '' || b === '') return true;
  if (a === '0.0.0.0') return !b.includes(':');
  if (b === '0.0.0.0') return !a.includes(':');
  if (a === '::') return b.includes(':');
  if (b === '::') return a.includes(':');
  return false;
}

function describePort(ip: string, port: string | number, protocol: string): string {
  const host = ip === '' ? '' : ip.includes(':') ? `[${ip}]:` : `${ip}:`;
  return `${host}${port}/${protocol}`;
}

function parsePublished(published: PortConfig['published']): { from: number; to: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(String(published ?? ''));
  if (!m) return undefined;
  const from = Number(m[1]);
  return { from, to: m[2] === undefined ? from : Number(m[2]) };
}

/**
 * Every replica of every service binds its published ports, so the same (address, port,
 * protocol) can be claimed once. Fixed ports are claimed first, in service-name order; a
 * range then gives each replica the lowest port it has left, as the engine would.
 */
export function publishedPortProblems(project: Project, replicasOf: (service: string) => number): PortProblem[] {
  const problems: PortProblem[] = [];
  // Claims by port and protocol, each list in claiming order: the first overlapping claim of
  // a list is the first of all claims (a linear search over every claim was quadratic).
  const claims = new Map<string, PortClaim[]>();
  const claimKey = (port: number, protocol: string): string => `${port}/${protocol}`;
  const takenBy = (ip: string, protocol: string, port: number): PortClaim | undefined =>
    claims.get(claimKey(port, protocol))?.find((c) => addressesOverlap(c.ip, ip));
  const claim = (c: PortClaim): void => {
    const key = claimKey(c.port, c.protocol);
    const list = claims.get(key);
    if (list) list.push(c);
    else claims.set(key, [c]);
  };
  const ranges: { service: string; path: KeyPath; ip: string; protocol: string; from: number; to: number; replicas: number }[] = [];

  for (const name of Object.keys(project.services).sort()) {
    const svc = project.services[name];
    const replicas = Math.max(1, replicasOf(name));
    (svc.ports ?? []).forEach((p, i) => {
      const range = parsePublished(p.published);
      if (!range) return; // no host port: the engine picks a free one
      const path = ['services', name, 'ports', i];
      const ip = p.host_ip ?? '';
      const protocol = (p.protocol || 'tcp').toLowerCase();
      if (range.from !== range.to) {
        ranges.push({ service: name, path, ip, protocol, ...range, replicas });
        return;
      }
      const other = takenBy(ip, protocol, range.from);
      if (other) {
        problems.push({
          detail: `service "${name}" publishes host port ${describePort(ip, range.from, protocol)}, already published by service "${other.service}" (${formatKeyPath(other.path)})`,
          path,
          hint: 'use another host port, or a different host_ip',
        });
        return;
      }
      claim({ service: name, path, ip, protocol, port: range.from });
      if (replicas > 1) {
        problems.push({
          detail: `service "${name}" publishes host port ${describePort(ip, range.from, protocol)} from ${replicas} replicas; only one container can bind it`,
          path,
          hint: `publish a range such as "${range.from}-${range.from + replicas - 1}", or leave the host port out`,
        });
      }
    });
  }

  for (const r of ranges) {
    let got = 0;
    for (let port = r.from; port <= r.to && got < r.replicas; port++) {
      if (takenBy(r.ip, r.protocol, port)) continue;
      claim({ service: r.service, path: r.path, ip: r.ip, protocol: r.protocol, port });
      got++;
    }
    if (got < r.replicas) {
      problems.push({
        detail: `service "${r.service}" needs ${r.replicas} host port(s) from ${describePort(r.ip, `${r.from}-${r.to}`, r.protocol)}, one per replica, but only ${got} of them ${got === 1 ? 'is' : 'are'} free`,
        path: r.path,
        hint: 'widen the range, or move the other services off it',
      });
    }
  }
  return problems;
}
