// One HTTP exchange with a registry, over node:http/https: proxies (plain forwarding for http,
// a CONNECT tunnel for https), per-host CA certificates, unverified TLS for insecure hosts, and
// redirects for reads. Registries send blobs from object storage through a redirect, often to
// a presigned URL on another host, so the Authorization header is dropped when the host changes
// (as Go's net/http does) — the storage would reject it or, worse, see a registry token.
//
// Nothing here retries or interprets statuses; that is the client's job.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Readable } from 'node:stream';
import tls from 'node:tls';
import { proxyFor, type RegistryConfig } from './config.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a stream sent as is (set Content-Length in `headers` when known). */
  body?: Buffer | Readable;
  /** Skip certificate verification (insecure registries only). */
  insecureTls?: boolean;
  /** Follow 301/302/303/307/308 (GET and HEAD only), at most this many times (default 10). */
  maxRedirects?: number;
  /** Idle-socket timeout in ms (default 60 s): a stalled connection fails instead of hanging. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body stream; consume it or call `discard()`. */
  body: http.IncomingMessage;
  /** Where the answer came from, after redirects. */
  url: URL;
  discard(): void;
  text(limit?: number): Promise<string>;
  buffer(limit?: number): Promise<Buffer>;
}

/** Errors that carry the proxy used, so the unreachable message can name it. */
export interface TransportErrorInfo {
  proxy?: string;
}

export async function send(config: RegistryConfig, req: HttpRequest): Promise<HttpResponse> {
  let url = req.url;
  let method = req.method;
  let headers = { ...(req.headers ?? {}) };
  const redirects = req.method === 'GET' || req.method === 'HEAD' ? (req.maxRedirects ?? 10) : 0;
  for (let hop = 0; ; hop++) {
    const res = await sendOnce(config, { ...req, method, url, headers });
    const location = res.headers.location;
    if (hop < redirects && [301, 302, 303, 307, 308].includes(res.status) && location) {
      res.discard();
      const next = new URL(location, url);
      if (next.host !== url.host || next.protocol !== url.protocol) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      if (res.status === 303) method = 'GET';
      url = next;
      continue;
    }
    return res;
  }
}

function sendOnce(config: RegistryConfig, req: HttpRequest): Promise<HttpResponse> {
  const url = req.url;
  const proxy = proxyFor(config, url);
  const secure = url.protocol === 'https:';
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (secure ? 443 : 80));
  const ca = config.certificateAuthorities?.[url.host];
  const headers: Record<string, string> = { 'User-Agent': 'berth', ...(req.headers ?? {}) };
  if (Buffer.isBuffer(req.body)) headers['Content-Length'] = String(req.body.length);
  else if (!req.body && ['POST', 'PUT', 'PATCH'].includes(req.method)) headers['Content-Length'] = '0';

  return new Promise<HttpResponse>((resolve, reject) => {
    const fail = (e: Error): void => {
      if (proxy) (e as Error & TransportErrorInfo).proxy = proxy.href;
      reject(e);
    };
    let options: http.RequestOptions & https.RequestOptions = {
      method: req.method,
      headers,
      signal: req.signal,
      timeout: req.timeoutMs ?? 60_000,
    };
    let mod: typeof http | typeof https = secure ? https : http;
    if (secure) {
      options = { ...options, rejectUnauthorized: !req.insecureTls, ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}), servername: net.isIP(hostname) ? undefined : hostname };
    }
    if (proxy && !secure) {
      // Plain HTTP through a proxy: the absolute URL as the request target.
      mod = http;
      options = { ...options, host: proxy.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.port || 80), path: url.href };
      if (proxy.username) headers['Proxy-Authorization'] = basicHeader(decodeURIComponent(proxy.username), decodeURIComponent(proxy.password));
    } else if (proxy && secure) {
      const tunnelHeaders: Record<string, string> = { Host: url.host };
      if (proxy.username) tunnelHeaders['Proxy-Authorization'] = basicHeader(decodeURIComponent(proxy.username), decodeURIComponent(proxy.password));
      options = {
        ...options,
        host: hostname,
        port,
        path: url.pathname + url.search,
        // The TLS session runs inside a CONNECT tunnel the proxy opens for us.
        createConnection: (_opts, cb) => {
          const connect = http.request({ host: proxy.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.port || 80), method: 'CONNECT', path: `${hostname}:${port}`, headers: tunnelHeaders });
          connect.once('connect', (res, socket) => {
            if (res.statusCode !== 200) {
              socket.destroy();
              cb(new Error(`proxy ${proxy.host} refused CONNECT ${hostname}:${port}: ${res.statusCode}`), undefined as never);
              return;
            }
            // `host` is what the certificate is checked against (an IP works too); SNI only for names.
            cb(null, tls.connect({ socket, host: hostname, ...(options.servername ? { servername: options.servername } : {}), rejectUnauthorized: !req.insecureTls, ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}) }));
          });
          connect.once('error', (e) => cb(e, undefined as never));
          connect.end();
          return undefined;
        },
      };
    } else {
      options = { ...options, host: hostname, port, path: url.pathname + url.search };
    }
    const request = mod.request(options, (res) => {
      resolve(wrapResponse(res, url));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer from ${url.host} within ${options.timeout} ms`), { code: 'ETIMEDOUT' })));
    request.on('error', fail);
    if (req.body === undefined || Buffer.isBuffer(req.body)) {
      request.end(req.body);
    } else {
      req.body.on('error', (e) => request.destroy(e));
      req.body.pipe(request);
    }
  });
}

function wrapResponse(res: http.IncomingMessage, url: URL): HttpResponse {
  const buffer = async (limit = 4 * 1024 * 1024): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.destroy();
        throw new Error(`response from ${url.host} is larger than ${limit} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  };
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    body: res,
    url,
    discard: () => {
      res.resume();
      res.on('error', () => undefined);
    },
    buffer,
    text: async (limit) => (await buffer(limit)).toString('utf8'),
  };
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The single value of a response header. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'CERT_SIGNATURE_FAILURE', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
]);

/** Whether a connection error is a TLS failure (bad certificate, or a plain-HTTP server answering a handshake). */
export function isTlsError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && TLS_CODES.has(code)) return true;
  return e instanceof Error && /certificate|SSL routines|wrong version number|tls/i.test(e.message);
}
