// `ports`: every short syntax becomes one PortConfig per container port, as compose-go's
// types.ParsePortConfig does on top of go-connections' nat.ParsePortSpec:
// `[ip:][host[-host]:]container[-container][/proto]`. Container ranges expand; a host range
// against a single container port stays a range (`published: "8000-8010"`). The ports of
// one entry come out sorted by their `port/proto` *string*, as in compose-go.
import { throwIfAny, type ComposeError, type KeyPath } from '../../errors.js';
import type { PortConfig } from '../../model/project.js';
import { errorAt, type Rule } from './walk.js';
import { isPlainObject } from '../../lib/object.js';

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

export class PortSpecError extends Error {}

function parseRange(text: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return [start, end];
}

function isIP(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text.split('.').every((o) => Number(o) <= 255);
  // IPv6, optionally with an embedded IPv4 tail; at most one `::`.
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(':')) return false;
  const double = text.split('::');
  if (double.length > 2) return false;
  const groups = text.split(':').filter((g) => g !== '');
  const tail = groups[groups.length - 1] ?? '';
  const v4 = tail.includes('.');
  if (v4 && !isIP(tail)) return false;
  const hex = v4 ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return double.length === 2 ? count < 8 : count === 8;
}

/**
 * One short-syntax port spec → its PortConfigs. Throws PortSpecError with compose-go's words
 * (`Invalid containerPort: x`, `Invalid proto: x`, `No port specified: <empty>`).
 */
export function parsePortSpec(spec: string): PortConfig[] {
  const parts = spec.split(':');
  let ip = '';
  let hostPort = '';
  let container: string;
  if (parts.length === 1) container = parts[0];
  else if (parts.length === 2) [hostPort, container] = parts;
  else {
    ip = parts.slice(0, -2).join(':');
    hostPort = parts[parts.length - 2];
    container = parts[parts.length - 1];
  }
  const slash = container.indexOf('/');
  let proto = 'tcp';
  if (slash !== -1) {
    proto = container.slice(slash + 1) || 'tcp';
    container = container.slice(0, slash);
  }
  if (container === '') throw new PortSpecError(`No port specified: ${spec}<empty>`);
  proto = proto.toLowerCase();
  if (!PROTOCOLS.has(proto)) throw new PortSpecError(`Invalid proto: ${proto}`);

  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new PortSpecError(`Invalid ip address: ${ip}`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && !isIP(ip)) throw new PortSpecError(`Invalid ip address: ${ip}`);

  const containerRange = parseRange(container);
  if (!containerRange) throw new PortSpecError(`Invalid containerPort: ${container}`);
  const [start, end] = containerRange;
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== '') {
    const hostRange = parseRange(hostPort);
    if (!hostRange) throw new PortSpecError(`Invalid hostPort: ${hostPort}`);
    [hostStart, hostEnd] = hostRange;
    // A host range is allowed against a single container port: the engine picks one in it.
    if (end - start !== hostEnd - hostStart && end !== start) {
      throw new PortSpecError(`Invalid ranges specified for container and host Ports: ${container} and ${hostPort}`);
    }
  }

  const count = end - start + 1;
  const out: { key: string; port: PortConfig }[] = [];
  for (let i = 0; i < count; i++) {
    const port: PortConfig = { mode: 'ingress', target: start + i, protocol: proto };
    if (ip !== '') port.host_ip = ip;
    if (hostPort !== '') {
      port.published = String(hostStart + i);
      if (count === 1 && hostStart !== hostEnd) port.published += `-${hostEnd}`;
    }
    out.push({ key: `${start + i}/${proto}`, port });
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.map((p) => p.port);
}

/** `services.*.ports`: short entries expand; long entries get `mode`/`protocol` defaults. */
export const normalizePorts: Rule = (value, path) => {
  if (!Array.isArray(value)) return value;
  const out: unknown[] = [];
  const errors: ComposeError[] = [];
  value.forEach((entry, i) => {
    if (typeof entry === 'number') {
      out.push({ mode: 'ingress', target: entry, protocol: 'tcp' });
    } else if (typeof entry === 'string') {
      // Left as written when interpolation was skipped (`--no-interpolate`), as compose does.
      if (entry.includes('${')) return void out.push(entry);
      try {
        out.push(...parsePortSpec(entry));
      } catch (e) {
        if (!(e instanceof PortSpecError)) throw e;
        errors.push(errorAt([...path, i], e.message, 'use "[host_ip:][published:]target[/protocol]", e.g. "127.0.0.1:8080:80/tcp"'));
      }
    } else if (isPlainObject(entry)) {
      out.push(longPort(entry, [...path, i]));
    } else {
      errors.push(errorAt([...path, i], `invalid type ${typeof entry} for port: expected a string, a number or a mapping`));
    }
  });
  throwIfAny(errors);
  return out;
};

function longPort(entry: Record<string, unknown>, path: KeyPath): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry };
  out.mode ??= 'ingress';
  out.protocol ??= 'tcp';
  if (typeof out.target === 'string' && /^\d+$/.test(out.target)) out.target = Number(out.target);
  if (typeof out.published === 'number') out.published = String(out.published);
  if (typeof out.target !== 'number' && !(typeof out.target === 'string' && out.target.includes('${'))) {
    throw errorAt([...path, 'target'], 'port target must be a number', 'set `target:` to the container port');
  }
  return out;
}
