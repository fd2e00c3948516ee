// A small JSON client for the Docker Engine API's plain request/response calls. dockerode pulls in
// gRPC, protobuf and ssh2 (≈230 modules, ~0.2 s of CPU per process start) even for a list call;
// `ps`, a no-op `up` and `down` need none of that, so they go through node:http directly and
// dockerode is loaded only for streams (logs, attach, exec sessions, events, archives).

import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

/** TLS to a `tcp://` engine, as the docker CLI speaks it (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
export interface ClientTls {
  /** Check the engine's certificate (against `ca`, else the system's CAs) and its name. */
  verify: boolean;
  ca?: Buffer;
  /** The client certificate and key, which an engine with --tlsverify requires. */
  cert?: Buffer;
  key?: Buffer;
}

export interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
  tls?: ClientTls;
}

/**
 * One request to the endpoint: over its unix socket, plain TCP, or TLS. Plain requests name no
 * TLS server: node's agent derives one from the Host header for every new socket, through
 * net.isIP, a regex that costs ~5 ms on its first call and ~1 ms on each later one; naming it
 * empty skips that. Over TLS the name is the host's (none for an address, which SNI cannot carry),
 * and the certificate is checked against the host.
 */
export function endpointRequest(endpoint: Endpoint, options: RequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest {
  if (endpoint.socketPath) return httpRequest({ ...options, socketPath: endpoint.socketPath, servername: '' } as RequestOptions, onResponse);
  const target = { ...options, host: endpoint.host, port: endpoint.port };
  const tls = endpoint.tls;
  if (!tls) return httpRequest({ ...target, servername: '' } as RequestOptions, onResponse);
  return httpsRequest(
    {
      ...target,
      servername: isIP(endpoint.host ?? '') ? '' : endpoint.host,
      rejectUnauthorized: tls.verify,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    },
    onResponse,
  );
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export type Query = Record<string, string | number | boolean | undefined>;

export function queryString(q: Query | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'boolean' ? (v ? '1' : '0') : String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** One request; resolves with the status and the parsed JSON body (or the text, or undefined). */
export function jsonRequest(endpoint: Endpoint, method: string, path: string, options: { query?: Query; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const req: RequestOptions = {
      method,
      path: `${path}${queryString(options.query)}`,
      headers: { ...(options.headers ?? {}), ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}), Host: 'docker' },
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const r = endpointRequest(endpoint, req, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = undefined;
        if (text.length) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    r.on('error', reject);
    if (payload) r.write(payload);
    r.end();
  });
}

/** One parsed line of a JSON progress stream. */
export type ProgressLine = Record<string, unknown>;

/**
 * A call answered with a JSON progress stream (pull, push): each line is handed to `onLine` as
 * it arrives. A non-2xx answer resolves with its status and parsed body instead (the engine's
 * error); an `error` line (a failure half-way) is left to the caller, which sees every line.
 */
export function progressRequest(
  endpoint: Endpoint,
  method: string,
  path: string,
  options: { query?: Query; headers?: Record<string, string>; signal?: AbortSignal; onLine: (line: ProgressLine) => void },
): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const req: RequestOptions = {
      method,
      path: `${path}${queryString(options.query)}`,
      headers: { ...(options.headers ?? {}), Host: 'docker' },
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const r = endpointRequest(endpoint, req, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let pending = '';
      res.on('data', (c: Buffer) => {
        if (status < 200 || status >= 300) return void chunks.push(c);
        pending += c.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) !== -1) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line === '') continue;
          try {
            options.onLine(JSON.parse(line) as ProgressLine);
          } catch {
            options.onLine({ status: line });
          }
        }
      });
      res.on('error', reject);
      res.on('end', () => {
        if (status >= 200 && status < 300) {
          if (pending.trim()) options.onLine(JSON.parse(pending) as ProgressLine);
          return resolve({ status, body: undefined });
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // plain text
        }
        resolve({ status, body });
      });
    });
    r.on('error', reject);
    r.end();
  });
}

export interface StreamingResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives; for an error status, already read into `message`. */
  body: AsyncIterable<Buffer>;
  /** The engine's error message when the status is not 2xx. */
  message?: string;
}

/**
 * One request whose answer is a stream (an archive, stats lines): resolves once the headers are
 * in. A non-2xx answer is read whole and its `message` given, so callers wrap it once.
 */
export function streamingRequest(endpoint: Endpoint, method: string, path: string, options: { query?: Query; signal?: AbortSignal } = {}): Promise<StreamingResponse> {
  return new Promise((resolve, reject) => {
    const req: RequestOptions = {
      method,
      path: `${path}${queryString(options.query)}`,
      headers: { Host: 'docker' },
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const r = endpointRequest(endpoint, req, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve({ status, headers: res.headers, body: res });
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8').trim();
        let message = text || `HTTP ${status}`;
        try {
          const parsed = JSON.parse(text) as { message?: unknown };
          if (typeof parsed.message === 'string') message = parsed.message;
        } catch {
          /* not JSON: the text is the message */
        }
        resolve({ status, headers: res.headers, body: (async function* () {})(), message });
      });
    });
    r.on('error', reject);
    r.end();
  });
}
