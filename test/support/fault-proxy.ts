// A reverse proxy in front of a test registry that logs every request and can misbehave on
// purpose: answer by itself (503s, redirects, fakes), corrupt a byte of a body, or cut the
// connection part-way through one. The Host header is passed on unchanged, so the Location
// headers the registry builds point back at the proxy and uploads go through it too.
// It also serves as a forward proxy: absolute request URLs are passed on as they are, and CONNECT
// opens a tunnel (to loopback targets only: tests send nothing elsewhere).
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface BodyFault {
  /** Flip the bits of the byte at this offset of the body. */
  corruptAt?: number;
  /** Destroy the connection after this many body bytes. */
  cutAfter?: number;
  /** Pause this long after each chunk passed on (a slow link), in ms. */
  delayMs?: number;
}

export interface ProxyHooks {
  respond?(req: ProxiedRequest): CannedResponse | undefined;
  /** The headers to forward instead of the client's (e.g. without Range, as a server that ignores it). */
  forwardHeaders?(req: ProxiedRequest): http.IncomingHttpHeaders;
  body?(req: ProxiedRequest, status: number): BodyFault | undefined;
}

export interface FaultProxy {
  host: string;
  requests: (ProxiedRequest & { status: number })[];
  hooks: ProxyHooks;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string, hooks: ProxyHooks = {}): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':');
  const requests: FaultProxy['requests'] = [];
  const proxy: Partial<FaultProxy> = { hooks, requests };
  const server = http.createServer((req, res) => {
    const r: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    const canned = proxy.hooks!.respond?.(r);
    if (canned) {
      requests.push({ ...r, status: canned.status });
      req.resume();
      res.writeHead(canned.status, canned.headers ?? {});
      res.end(canned.body);
      return;
    }
    const headers = proxy.hooks!.forwardHeaders?.(r) ?? req.headers;
    const upstream = http.request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers }, (up) => {
      const status = up.statusCode ?? 502;
      requests.push({ ...r, status });
      const fault = proxy.hooks!.body?.(r, status);
      res.writeHead(status, up.headers);
      let offset = 0;
      up.on('data', (chunk: Buffer) => {
        if (offset === Infinity) return;
        let out = chunk;
        if (fault?.corruptAt !== undefined && fault.corruptAt >= offset && fault.corruptAt < offset + chunk.length) {
          out = Buffer.from(chunk);
          out[fault.corruptAt - offset] ^= 0xff;
        }
        if (fault?.cutAfter !== undefined && offset + out.length > fault.cutAfter) {
          // Cut once the bytes before the cut have reached the socket, so the client sees them.
          up.destroy();
          res.write(out.subarray(0, Math.max(0, fault.cutAfter - offset)), () => setTimeout(() => res.socket?.destroy(), 20));
          fault.cutAfter = Infinity;
          offset = Infinity;
          return;
        }
        offset += out.length;
        res.write(out);
        if (fault?.delayMs) {
          up.pause();
          setTimeout(() => up.resume(), fault.delayMs);
        }
      });
      up.on('end', () => offset !== Infinity && res.end());
      up.on('error', () => res.destroy());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const tunnels = new Set<net.Socket>();
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon);
    requests.push({ method: 'CONNECT', url: target, headers: req.headers, status: host === '127.0.0.1' ? 200 : 403 });
    if (host !== '127.0.0.1') return socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    const up = net.connect(Number(target.slice(colon + 1)), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    tunnels.add(socket).add(up);
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  proxy.host = `127.0.0.1:${port}`;
  proxy.stop = async () => {
    for (const s of tunnels) s.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return proxy as FaultProxy;
}
