// The engine's embedded DNS server: UDP and TCP on a given address (each bridge's gateway), A and
// PTR answers from a resolver callback. Names outside the engine's are NXDOMAIN (and anything but
// class IN is REFUSED), unless upstream servers were configured, to which such queries are relayed
// unchanged.
// No upstream is the default: containers have no way out unless the engine is told otherwise.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
const CLASS_IN = 1;
const RCODE_NOERROR = 0;
const RCODE_FORMERR = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;
/** Docker's embedded DNS answers with a 600 s TTL. */
const TTL = 600;

export interface DnsQuestion {
  id: number;
  flags: number;
  name: string;
  type: number;
  klass: number;
  /** Bytes of the question section (copied into the answer). */
  question: Buffer;
}

export function parseQuery(msg: Buffer): DnsQuestion | undefined {
  if (msg.length < 12) return undefined;
  const qd = msg.readUInt16BE(4);
  if (qd !== 1 || (msg.readUInt16BE(2) & 0x8000) !== 0) return undefined;
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off];
    if (len === 0) {
      off++;
      break;
    }
    if ((len & 0xc0) !== 0 || off + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), flags: msg.readUInt16BE(2), name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), klass: msg.readUInt16BE(off + 2), question: msg.subarray(12, off + 4) };
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}

export type Answer = { type: typeof TYPE_A; address: string } | { type: typeof TYPE_PTR; name: string };

export function buildResponse(q: DnsQuestion, rcode: number, answers: readonly Answer[], authoritative = true): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, opcode 0, AA, RD copied from the query; RA clear: the server does not recurse by itself.
  header.writeUInt16BE(0x8000 | (authoritative ? 0x0400 : 0) | (q.flags & 0x0100) | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const records = answers.map((a) => {
    const rdata = a.type === TYPE_A ? Buffer.from(a.address.split('.').map(Number)) : encodeName(a.name);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(TTL, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, q.question, ...records]);
}

/** What the engine knows, asked by the name and the address the query came from. */
export interface DnsResolver {
  /** IPv4 addresses for `name` as seen by the container at `client`; undefined: not an engine name. */
  lookup(name: string, client: string): string[] | undefined;
  /** `d.c.b.a.in-addr.arpa` → container name, when the address is one of the engine's. */
  reverse(address: string, client: string): string | undefined;
  /** The asking container's own servers (its --dns, as host:port), which replace the engine's upstream for it. */
  upstreamFor?(client: string): readonly string[] | undefined;
}

export interface DnsServerOptions {
  address: string;
  port?: number;
  resolver: DnsResolver;
  /** host:port of upstream servers for names the engine does not know; none by default. */
  upstream?: readonly string[];
}

function ptrAddress(name: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  return m ? `${m[4]}.${m[3]}.${m[2]}.${m[1]}` : undefined;
}

/** The answer to one query; undefined when it must be relayed upstream. */
export function answerQuery(msg: Buffer, client: string, resolver: DnsResolver, hasUpstream: boolean): Buffer | undefined {
  const q = parseQuery(msg);
  if (!q) {
    if (msg.length < 12) return undefined;
    const h = Buffer.from(msg.subarray(0, 12));
    h.writeUInt16BE(0x8000 | RCODE_FORMERR, 2);
    h.fill(0, 4);
    return h;
  }
  if (q.klass !== CLASS_IN) return buildResponse(q, RCODE_REFUSED, []);
  const name = q.name.replace(/\.$/, '');
  if (q.type === TYPE_PTR) {
    const addr = ptrAddress(name);
    const target = addr ? resolver.reverse(addr, client) : undefined;
    if (target) return buildResponse(q, RCODE_NOERROR, [{ type: TYPE_PTR, name: target }]);
  } else {
    const found = resolver.lookup(name, client);
    if (found && found.length > 0) {
      // A name the engine knows exists: AAAA (and other types) get an empty NOERROR, not NXDOMAIN,
      // so resolvers that ask for both keep the A answer.
      return buildResponse(q, RCODE_NOERROR, q.type === TYPE_A ? found.map((address) => ({ type: TYPE_A, address }) as Answer) : []);
    }
  }
  if (hasUpstream) return undefined;
  // NXDOMAIN, not REFUSED, for every outside name: glibc stops walking its search list at a
  // REFUSED answer, so `db.example.org` (search domain appended) must fail cleanly before `db`.
  return buildResponse(q, RCODE_NXDOMAIN, []);
}

export class DnsServer {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly conns = new Set<Socket>();

  constructor(private readonly opts: DnsServerOptions) {}

  get address(): string {
    return this.opts.address;
  }

  async start(): Promise<void> {
    const port = this.opts.port ?? 53;
    const udp = createSocket({ type: 'udp4', reuseAddr: false });
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, rinfo.address).then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, this.opts.address, () => {
        udp.off('error', reject);
        udp.on('error', () => undefined);
        resolve();
      });
    });
    this.udp = udp;
    const tcp = createServer((sock) => this.serveTcp(sock));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, this.opts.address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      this.udp = undefined;
      throw e;
    }
    this.tcp = tcp;
  }

  private serveTcp(sock: Socket): void {
    this.conns.add(sock);
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => undefined);
    sock.setTimeout(10_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.handle(Buffer.from(msg), sock.remoteAddress?.replace(/^::ffff:/, '') ?? '').then((out) => {
          if (!out || sock.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.write(Buffer.concat([len, out]));
        });
      }
    });
  }

  private async handle(msg: Buffer, client: string): Promise<Buffer | undefined> {
    const own = this.opts.resolver.upstreamFor?.(client);
    const upstream = own && own.length > 0 ? own : (this.opts.upstream ?? []);
    const local = answerQuery(msg, client, this.opts.resolver, upstream.length > 0);
    if (local || upstream.length === 0) return local;
    return relay(msg, upstream[0]).catch(() => {
      const q = parseQuery(msg);
      return q ? buildResponse(q, 2 /* SERVFAIL */, [], false) : undefined;
    });
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }
}

/** One UDP round trip to an upstream server (host:port), 2 s timeout. */
function relay(msg: Buffer, server: string): Promise<Buffer> {
  const [host, portText] = server.includes(':') ? server.split(':') : [server, '53'];
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('upstream timeout'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.send(msg, Number(portText), host);
  });
}
