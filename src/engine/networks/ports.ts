// Published ports: HostConfig.PortBindings / PublishAllPorts → concrete host bindings, and the
// userland proxy that forwards them to the container's address.
//
// Why a proxy in the daemon and not iptables DNAT: it needs no iptables (not installed everywhere,
// and rules would collide with other engines' on the same host), it works for HostIp 127.0.0.1
// (DNAT to a bridge from loopback needs route_localnet and hairpin tricks), a taken host port is
// reported as a plain EADDRINUSE at start, and the listener dies with the daemon, so nothing stale
// survives a crash. dockerd uses the same approach by default (docker-proxy). The cost is a copy
// through the daemon per byte, measured in bench/network.mjs.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Proto = 'tcp' | 'udp';

/** One binding to realise: host side (port 0 = any free one) → container port. */
export interface PortRequest {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  /** 0: pick a free one; with hostPortEnd, the first free one of the range. */
  hostPort: number;
  hostPortEnd?: number;
}

/** One realised binding (what inspect's NetworkSettings.Ports shows). */
export interface PortBindingActual {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

export class PortError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'conflict',
  ) {
    super(message);
    this.name = 'PortError';
  }

  get apiKind(): 'invalid' | 'conflict' {
    return this.kind;
  }
}

function parsePortRange(text: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  // moby (go-connections/nat) words a host port that is not a number as a port specification.
  if (!m) throw new PortError(what === 'host port' ? `invalid port specification: "${text}"` : `invalid ${what}: "${text}"`, 'invalid');
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 0 || b > 65535 || b < a) throw new PortError(`invalid ${what} range: "${text}"`, 'invalid');
  return [a, b];
}

/** `80/tcp`, `53/udp`, `8000-8002` (tcp) → protocol and container port range. */
export function parsePortKey(key: string): { proto: Proto; from: number; to: number } {
  const [ports, protoText = 'tcp'] = key.split('/');
  const proto = protoText.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw new PortError(`unsupported protocol "${protoText}" in port "${key}" (tcp and udp are supported)`, 'invalid');
  const [from, to] = parsePortRange(ports, 'container port');
  if (from === 0) throw new PortError(`invalid container port: "${key}"`, 'invalid');
  return { proto, from, to };
}

/** The bindings a container asks for, one per container port (ranges expanded as the CLI does). */
export function planPortRequests(
  bindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined,
  publishAll: boolean,
  exposed: Record<string, unknown> | null | undefined,
): PortRequest[] {
  const out: PortRequest[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { proto, from, to } = parsePortKey(key);
    for (const b of list && list.length > 0 ? list : [{}]) {
      const hostIp = b.HostIp ?? '';
      const [hFrom, hTo] = b.HostPort ? parsePortRange(b.HostPort, 'host port') : [0, 0];
      const count = to - from + 1;
      if (count > 1 && hFrom !== 0 && hTo - hFrom + 1 !== count) {
        throw new PortError(`port ranges don't match in size: container ${from}-${to}, host ${b.HostPort}`, 'invalid');
      }
      for (let i = 0; i < count; i++) {
        if (count > 1) out.push({ proto, containerPort: from + i, hostIp, hostPort: hFrom === 0 ? 0 : hFrom + i });
        else out.push({ proto, containerPort: from, hostIp, hostPort: hFrom, ...(hTo > hFrom ? { hostPortEnd: hTo } : {}) });
      }
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const { proto, from, to } = parsePortKey(key);
      for (let p = from; p <= to; p++) {
        if (!out.some((r) => r.proto === proto && r.containerPort === p)) out.push({ proto, containerPort: p, hostIp: '', hostPort: 0 });
      }
    }
  }
  return out;
}

interface Listener {
  close(): Promise<void>;
  port: number;
}

function listenTcp(hostIp: string, hostPort: number, target: () => { host: string; port: number }): Promise<Listener> {
  const conns = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const t = target();
    const upstream = connect({ host: t.host, port: t.port, allowHalfOpen: true });
    conns.add(client);
    conns.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
      conns.delete(client);
      conns.delete(upstream);
    };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', () => (upstream.writableEnded ? done() : upstream.end()));
    upstream.on('close', () => (client.writableEnded ? done() : client.end()));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: hostIp || '0.0.0.0', port: hostPort, exclusive: true }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : hostPort,
        close: () =>
          new Promise<void>((r) => {
            for (const c of conns) c.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** UDP: one upstream socket per client address, dropped after a minute of silence. */
function listenUdp(hostIp: string, hostPort: number, target: () => { host: string; port: number }): Promise<Listener> {
  const sock = createSocket('udp4');
  const flows = new Map<string, { up: UdpSocket; timer: NodeJS.Timeout }>();
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const up = createSocket('udp4');
      up.on('message', (reply) => sock.send(reply, rinfo.port, rinfo.address));
      up.on('error', () => undefined);
      flow = { up, timer: setTimeout(() => undefined, 0) };
      flows.set(key, flow);
    }
    clearTimeout(flow.timer);
    const f = flow;
    f.timer = setTimeout(() => {
      f.up.close();
      flows.delete(key);
    }, 60_000);
    f.timer.unref();
    const t = target();
    f.up.send(msg, t.port, t.host);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: hostIp || '0.0.0.0', port: hostPort, exclusive: true }, () => {
      sock.off('error', reject);
      sock.on('error', () => undefined);
      resolve({
        port: sock.address().port,
        close: async () => {
          for (const f of flows.values()) {
            clearTimeout(f.timer);
            f.up.close();
          }
          flows.clear();
          await new Promise<void>((r) => sock.close(() => r()));
        },
      });
    });
  });
}

/** Proxies per container; every address ever bound is remembered so tests can check none is left. */
export class PortPublisher {
  private readonly byContainer = new Map<string, { listeners: Listener[]; actual: PortBindingActual[] }>();
  readonly everBound: { proto: Proto; hostIp: string; hostPort: number }[] = [];

  /**
   * Binds every request (a previous run's port first when `prefer` names one, so a restarted daemon
   * keeps the ports clients know) and forwards to `targetIp`. All or nothing: on a failure the ones
   * already bound are closed and a PortError('conflict') says which port is taken.
   */
  async publish(containerId: string, requests: readonly PortRequest[], targetIp: string, prefer: readonly PortBindingActual[] = []): Promise<PortBindingActual[]> {
    await this.unpublish(containerId);
    const listeners: Listener[] = [];
    const actual: PortBindingActual[] = [];
    try {
      for (const r of requests) {
        const previous = prefer.find((p) => p.proto === r.proto && p.containerPort === r.containerPort && p.hostIp === r.hostIp);
        const candidates = r.hostPortEnd ? Array.from({ length: r.hostPortEnd - r.hostPort + 1 }, (_, i) => r.hostPort + i) : [r.hostPort];
        if (previous && r.hostPort === 0) candidates.unshift(previous.hostPort);
        const target = () => ({ host: targetIp, port: r.containerPort });
        let bound: Listener | undefined;
        let lastError: unknown;
        for (const port of candidates) {
          try {
            bound = await (r.proto === 'tcp' ? listenTcp(r.hostIp, port, target) : listenUdp(r.hostIp, port, target));
            break;
          } catch (e) {
            lastError = e;
          }
        }
        if (!bound) {
          const code = (lastError as NodeJS.ErrnoException | undefined)?.code;
          const where = `${r.hostIp || '0.0.0.0'}:${r.hostPortEnd ? `${r.hostPort}-${r.hostPortEnd}` : r.hostPort}/${r.proto}`;
          throw new PortError(
            code === 'EADDRINUSE'
              ? `driver failed programming external connectivity: Bind for ${where} failed: port is already allocated`
              : `driver failed programming external connectivity: cannot bind ${where}: ${(lastError as Error | undefined)?.message ?? 'unknown error'}`,
            code === 'EADDRINUSE' ? 'conflict' : 'invalid',
          );
        }
        listeners.push(bound);
        const a = { proto: r.proto, containerPort: r.containerPort, hostIp: r.hostIp, hostPort: bound.port };
        actual.push(a);
        this.everBound.push({ proto: a.proto, hostIp: a.hostIp, hostPort: a.hostPort });
      }
    } catch (e) {
      await Promise.all(listeners.map((l) => l.close()));
      throw e;
    }
    this.byContainer.set(containerId, { listeners, actual });
    return actual;
  }

  async unpublish(containerId: string): Promise<void> {
    const entry = this.byContainer.get(containerId);
    if (!entry) return;
    this.byContainer.delete(containerId);
    await Promise.all(entry.listeners.map((l) => l.close()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.byContainer.keys()].map((id) => this.unpublish(id)));
  }
}
